#!/bin/sh
# A step of the patch series, booted: the checks that exist at that step.
# The kernel boots with two CPUs and a clean log (checked on the host);
# /proc/net/connector lists what the step has; the step's cn_test sample
# loads and its ucon, or the stock one, hears it; the stock proc_filter
# selftest, while the step still has it, sees a workload's exits; the
# KUnit suites, once the step has them, pass. Results go to /dev/ttyS1.
RES=/dev/ttyS1
result() { echo "CNRESULT $*" > $RES; echo "CNRESULT $*"; }
check() {
	name=$1; shift
	if "$@"; then result PASS "$name"; else result FAIL "$name"; fi
}

cpus=$(grep -c '^processor' /proc/cpuinfo)
[ "$cpus" -ge 2 ] && result PASS "step: two CPUs online" ||
	result FAIL "step: two CPUs online # $cpus"

# The step's kernel configuration, put here by the host.
cat /proc/net/connector
want_proc=0
grep -q '^CONFIG_PROC_EVENTS=y' /guest/kconfig && want_proc=1
has_proc=0
grep -q '^cn_proc ' /proc/net/connector && has_proc=1
[ $has_proc = $want_proc ] && result PASS "step: /proc/net/connector lists cn_proc as configured" ||
	result FAIL "step: /proc/net/connector lists cn_proc as configured # listed $has_proc, configured $want_proc"
if grep -q '^CONFIG_CONNECTOR_NOTIFY=y' /guest/kconfig; then
	check "step: /proc/net/connector lists cn_notify" grep -q '^cn_notify ' /proc/net/connector
fi

cn_test_heard() {
	modprobe cn_test || return 1
	grep -q '^cn_test ' /proc/net/connector || return 1
	ucon > /tmp/ucon.out 2>&1 &
	pid=$!
	sleep 3
	kill $pid; wait $pid 2>/dev/null
	cat /tmp/ucon.out
	modprobe -r cn_test || return 1
	# The stock sample ticks every second to group 14, as ours does.
	grep -q 'e\.456\|14\.1110' /tmp/ucon.out
}
check "step: cn_test loads, ucon hears it, it unloads" cn_test_heard

if [ -x /usr/bin/proc_filter ] && [ $want_proc = 1 ]; then
	proc_filter_sees() {
		proc_filter "$@" > /tmp/pf.out 2>&1 &
		pfpid=$!
		sleep 1
		sh -c 'exit 0' & ok=$!; wait $ok
		sh -c 'exit 3' & bad=$!; wait $bad
		sleep 0.5
		kill -INT $pfpid; wait $pfpid
		grep -Eq "Exit process $bad \(tgid $bad\) with code 768" /tmp/pf.out || return 1
		if [ "$1" = -f ]; then
			! grep -Eq "Exit process $ok " /tmp/pf.out
		else
			grep -Eq "Exit process $ok .*code 0" /tmp/pf.out
		fi
	}
	check "step: proc_filter sees exits" proc_filter_sees
	check "step: proc_filter -f sees non-zero exits only" proc_filter_sees -f
fi

for suite in /sys/kernel/debug/kunit/connector*; do
	[ -r "$suite/results" ] || continue
	echo "KUNIT-BEGIN ${suite##*/}" > $RES
	cat "$suite/results" > $RES
	echo "KUNIT-END ${suite##*/}" > $RES
	cat "$suite/results"
done
