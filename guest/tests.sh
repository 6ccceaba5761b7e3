#!/bin/sh
# The test command's guest side: the kselftests, then the compatibility
# checks that need more than one program. Every check prints one line
# "CNRESULT PASS|FAIL|SKIP name [why]" for the host to count.
kver=$(uname -r)
export CN_STOCK_TEST_KO=/lib/modules/$kver/extra/stock_cn_test.ko

result() { echo "CNRESULT $*"; }
modular=0
grep -q 'cn.modular=1' /proc/cmdline && modular=1
if [ $modular = 1 ]; then
	# CONFIG_CONNECTOR=m: the core is the module cn, without process events.
	export CN_NO_PROC_EVENTS=1
	modprobe cn && result PASS "modular: modprobe cn" || result FAIL "modular: modprobe cn"
fi
check() { # check NAME COMMAND...: PASS when COMMAND succeeds
	name=$1; shift
	if "$@"; then result PASS "$name"; else result FAIL "$name"; fi
}

if grep -q 'cn.users=1' /proc/cmdline; then
	# The kernel with the in-tree connector users as modules.
	echo "==== in-tree connector users"
	check "w1: wire.ko loads" modprobe wire
	check "w1: answers W1_LIST_MASTERS over NETLINK_CONNECTOR" w1_list_masters
	grep -q '^w1 ' /proc/net/connector && result PASS "w1: listed in /proc/net/connector" ||
		result FAIL "w1: listed in /proc/net/connector"
	check "w1: wire.ko unloads" rmmod wire
	check "dm-log-userspace: loads" modprobe dm-log-userspace
	grep -q '^dmlogusr ' /proc/net/connector && result PASS "dm-log-userspace: listed in /proc/net/connector" ||
		result FAIL "dm-log-userspace: listed in /proc/net/connector"
	check "dm-log-userspace: unloads" modprobe -r dm-log-userspace
	cat /proc/net/connector
	exit 0
fi


echo "==== KUnit: the connector's internals (modprobe cn_kunit)"
if modprobe cn_kunit; then
	for suite in /sys/kernel/debug/kunit/connector*; do
		[ -r "$suite/results" ] || continue
		cat "$suite/results"
		# Each case is an indented "ok N name" or "not ok N name" line.
		sed -n 's/^[[:space:]]\{1,\}\(not \)\{0,1\}ok [0-9]\{1,\} \([^#]*\)\(# SKIP.*\)\{0,1\}$/\1|\2|\3/p' \
			"$suite/results" | while IFS='|' read -r not name skip; do
			name="kunit: ${suite##*/}.${name% }"
			if [ -n "$not" ]; then result FAIL "$name"
			elif [ -n "$skip" ]; then result SKIP "$name"
			else result PASS "$name"; fi
		done
	done
	rmmod cn_kunit
else
	result FAIL "kunit: modprobe cn_kunit"
fi

if grep -q 'cn.stress=1' /proc/cmdline; then
	# The debug kernel: stress at the counts the reliability issue asks for.
	export CN_RELOAD_ROUNDS=200 CN_FLOODERS=4
	export CN_FUZZ_DATAGRAMS=100000 CN_CHURN_SECONDS=20
fi

echo "==== kselftests (run_kselftest.sh, as installed by make install)"
cd /kselftest
if [ $modular = 1 ]; then
	# No process events in this kernel: the core's tests only.
	./run_kselftest.sh -t connector:cn_core_test
else
	./run_kselftest.sh
fi
cd /

echo "==== compatibility with stock 6.12 programs and modules"
# The selftests leave cn_test loaded with their own parameters.
modprobe -r cn_test 2>/dev/null
modprobe cn_test tick_ms=200

stock_ucon_receives() {
	stock-ucon > /tmp/stock-ucon.out 2>&1 &
	pid=$!
	sleep 2
	kill $pid; wait $pid 2>/dev/null
	cat /tmp/stock-ucon.out
	grep -q '\[e\.456\]' /tmp/stock-ucon.out
}
check stock_ucon_receives_our_cn_test stock_ucon_receives

stock_cn_test_works() {
	rmmod cn_test || return 1
	insmod "$CN_STOCK_TEST_KO" || return 1
	cat /proc/net/connector
	grep -q '^cn_test *14:1110$' /proc/net/connector &&
	grep -q '^cn_test *14:1111$' /proc/net/connector || return 1
	# Its callback logs what it receives; its timer broadcasts every second.
	ucon -s 2 -n 2 -t 4 > /tmp/ucon.out || { cat /tmp/ucon.out; return 1; }
	cat /tmp/ucon.out
	dmesg | grep -q 'cn_test_callback: .*idx=e, val=456, seq=1' || return 1
	rmmod stock_cn_test || return 1
	! grep -q '^cn_test' /proc/net/connector
}
check stock_cn_test_module_works stock_cn_test_works

if [ $modular = 1 ]; then
	modprobe -r cn_test 2>/dev/null
	check "modular: cn unloads cleanly" modprobe -r cn
fi

if [ $modular = 0 ]; then
	echo "==== forkstat, Debian's process monitor, against our kernel"
	forkstat_sees_workload() {
		forkstat -e fork,exec,exit -D 4 -l > /tmp/forkstat.out 2>&1 &
		fpid=$!
		sleep 1.5
		sh -c 'exec sleep 0.3' &
		wpid=$!
		wait $wpid
		wait $fpid
		cat /tmp/forkstat.out
		grep -Eq "fork +$wpid +child" /tmp/forkstat.out &&
		grep -Eq "exec +$wpid " /tmp/forkstat.out &&
		grep -Eq "exit +$wpid +0 " /tmp/forkstat.out
	}
	check forkstat_shows_fork_exec_exit forkstat_sees_workload

	echo "==== the stock 6.12 proc_filter selftest against our kernel"
	proc_filter_sees() { # proc_filter_sees ARGS: run a workload under it
		stock-proc_filter "$@" > /tmp/pf.out 2>&1 &
		pfpid=$!
		sleep 1
		sh -c 'exit 0' & ok=$!; wait $ok
		sh -c 'exit 3' & bad=$!; wait $bad
		sleep 0.5
		kill -INT $pfpid; wait $pfpid
		grep -a "process $bad\b\|$bad " /tmp/pf.out
		grep -Eq "Exit process $bad \(tgid $bad\) with code 768" /tmp/pf.out || return 1
		if [ "$1" = -f ]; then
			! grep -Eq "Exit process $ok " /tmp/pf.out
		else
			grep -Eq "Exit process $ok .*code 0" /tmp/pf.out
		fi
	}
	check stock_proc_filter_all_events proc_filter_sees
	check stock_proc_filter_nonzero_exit_filter proc_filter_sees -f

	echo "==== proc_events_test built against the stock 6.12 uapi headers"
	proc_events_test_stock_uapi 2>&1 | sed 's/^\(\(not \)\?ok [0-9]* \)/\1stock-uapi:/'
fi

if [ -e /sys/kernel/debug/kmemleak ]; then
	echo "==== kmemleak"
	# Objects freed through RCU need a grace period or two to go.
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
	echo "kmemleak scan done"
fi
