#!/bin/sh
# The test command's guest side. Results go to the second serial port
# (/dev/ttyS1), and only there: "CNRESULT PASS|FAIL|SKIP name [# why]"
# lines, kselftest TAP as run_kselftest.sh prints it, and KUnit KTAP
# between "KUNIT-BEGIN suite" and "KUNIT-END suite". The host counts them
# against scripts/expected-tests. Progress for humans goes to the console.
kver=$(uname -r)
export CN_STOCK_TEST_KO=/lib/modules/$kver/extra/stock_cn_test.ko
RES=/dev/ttyS1

result() { echo "CNRESULT $*" > $RES; echo "CNRESULT $*"; }
check() { # check NAME COMMAND...: PASS when COMMAND succeeds
	name=$1; shift
	if "$@"; then result PASS "$name"; else result FAIL "$name"; fi
}
flavour=test
for arg in $(cat /proc/cmdline); do
	case "$arg" in cn.flavour=*) flavour=${arg#cn.flavour=} ;; esac
done
step() { echo; echo "==== [$(cut -d' ' -f1 /proc/uptime)] $*"; }

step "CPUs"
cpus=$(grep -c '^processor' /proc/cpuinfo)
online=$(cat /sys/devices/system/cpu/online)
echo "$cpus CPUs, online: $online"
[ "$cpus" -ge 2 ] && [ "$online" != 0 ] && result PASS "guest: two CPUs online" ||
	result FAIL "guest: two CPUs online # $cpus CPUs, online $online"

if [ $flavour = modular ]; then
	# CONFIG_CONNECTOR=m: the core is the module cn, notifications are
	# cn_notify, there are no process events.
	export CN_NO_PROC_EVENTS=1
	check "modular: modprobe cn" modprobe cn
	check "modular: modprobe cn_notify" modprobe cn_notify
fi

# KUnit: built in, the suites ran at boot; as modules, load them now.
step "KUnit"
if [ ! -d /sys/kernel/debug/kunit ] || ! ls /sys/kernel/debug/kunit | grep -q '^connector'; then
	check "kunit: modprobe cn_kunit" modprobe cn_kunit
fi
for suite in /sys/kernel/debug/kunit/connector*; do
	[ -r "$suite/results" ] || continue
	echo "KUNIT-BEGIN ${suite##*/}" > $RES
	cat "$suite/results" > $RES
	echo "KUNIT-END ${suite##*/}" > $RES
	cat "$suite/results"
done

if [ $flavour = test ]; then
	# Stress at the counts the reliability work asks for.
	export CN_RELOAD_ROUNDS=200 CN_FLOODERS=4
	export CN_FUZZ_DATAGRAMS=100000 CN_CHURN_SECONDS=20
fi

step "kselftests (run_kselftest.sh, as installed by make install)"
cd /kselftest
if [ $flavour = modular ]; then
	# No process events in this kernel: the core's and notifications' tests.
	./run_kselftest.sh -t connector:cn_core_test -t connector:cn_notify_test 2>&1 |
		tee $RES
else
	./run_kselftest.sh 2>&1 | tee $RES
fi
cd /

# The tests that read every field and byte of what the connector sends:
# they run again as 32-bit programs and built against the stock headers.
pe_layout="-t ack_follows_reply_rule -t fork_exec_exit -t threads_pid_and_tgid
	-t exit_code_and_coredump -t ids_not_swapped -t sid_and_comm
	-t ptrace_attach_detach -t no_uninitialised_bytes
	-t unknown_event_bit_is_ignored"
notify_layout="-t added_and_removed_exactly_once -t no_uninitialised_bytes
	-t malformed_requests -t group_delivery"

if [ $flavour = test ]; then
	step "32-bit programs (IA32 emulation) against the same kernel"
	# Built with -m32, they must pass exactly as the 64-bit ones do.
	for t in proc_events_test cn_notify_test; do
		case $t in
		proc_events_test) sel=$pe_layout ;;
		*) sel=$notify_layout ;;
		esac
		"/usr/bin/${t}_m32" $sel > /tmp/$t.m32 2>&1
		rc=$?
		cat /tmp/$t.m32
		# Reported as one more program, the way run_kselftest.sh does.
		{ sed 's/^/# /' /tmp/$t.m32
		  [ $rc = 0 ] && echo "ok 1 selftests: m32: ${t}_m32" ||
			echo "not ok 1 selftests: m32: ${t}_m32 # exit=$rc"; } > $RES
	done
fi

step "compatibility with stock 6.12 programs and modules"
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
check "compat: stock ucon receives cn_test's broadcasts" stock_ucon_receives

ucon_32_like_64() {
	# What ucon receives is the same whether it is built for 64 or 32 bit.
	ucon -s 3 -n 3 -g 0 -t 5 > /tmp/u64 || return 1
	ucon_m32 -s 3 -n 3 -g 0 -t 5 > /tmp/u32 || return 1
	cat /tmp/u64
	diff /tmp/u64 /tmp/u32
}
[ $flavour = test ] && check "m32: ucon receives what the 64-bit ucon does" ucon_32_like_64

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
check "compat: stock cn_test module works" stock_cn_test_works

# The base kernel (no debug options) runs what the test kernel runs, but
# for the 32-bit programs (the ABI does not depend on the configuration),
# the stress at full strength and kmemleak, which it does not have.
if [ $flavour = test ] || [ $flavour = base ]; then
	step "forkstat, Debian's process monitor, against our kernel"
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
	check "compat: forkstat shows fork, exec and exit" forkstat_sees_workload

	step "the stock 6.12 proc_filter selftest against our kernel"
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
			# The positive control is the line above, in the same window.
			! grep -Eq "Exit process $ok " /tmp/pf.out
		else
			grep -Eq "Exit process $ok .*code 0" /tmp/pf.out
		fi
	}
	check "compat: stock proc_filter, all events" proc_filter_sees
	check "compat: stock proc_filter -f, non-zero exits only" proc_filter_sees -f

	step "proc_events_test built against the stock 6.12 uapi headers"
	proc_events_test_stock_uapi $pe_layout > /tmp/stock-uapi.tap 2>&1
	rc=$?
	cat /tmp/stock-uapi.tap
	{ sed 's/^/# /' /tmp/stock-uapi.tap
	  [ $rc = 0 ] && echo "ok 1 selftests: stock-uapi: proc_events_test_stock_uapi" ||
		echo "not ok 1 selftests: stock-uapi: proc_events_test_stock_uapi # exit=$rc"; } > $RES
fi

if [ $flavour = modular ]; then
	step "in-tree connector users, unchanged, against the modular connector"
	check "users: w1: wire.ko loads" modprobe wire
	check "users: w1: answers W1_LIST_MASTERS over NETLINK_CONNECTOR" w1_list_masters
	grep -q '^w1 ' /proc/net/connector && result PASS "users: w1: listed in /proc/net/connector" ||
		result FAIL "users: w1: listed in /proc/net/connector"
	check "users: w1: wire.ko unloads" rmmod wire
	check "users: dm-log-userspace: loads" modprobe dm-log-userspace
	grep -q '^dmlogusr ' /proc/net/connector && result PASS "users: dm-log-userspace: listed in /proc/net/connector" ||
		result FAIL "users: dm-log-userspace: listed in /proc/net/connector"
	# rmmod, not modprobe -r: that would go on to remove dm-mod and cn,
	# which cn_notify still holds.
	check "users: dm-log-userspace: unloads" rmmod dm_log_userspace
	# Loading them needs their hardware (or v86d); that they were built
	# against the connector module is what can be checked here.
	check "users: uvesafb, hv_utils: built against the modular connector" sh -c \
		'modinfo -F depends uvesafb | grep -qw cn && modinfo -F depends hv_utils | grep -qw cn'

	step "unloading the core while sockets, listeners and requests are open"
	modprobe -r cn_test 2>/dev/null
	check "modular: unload with open sockets" /usr/bin/cn_unload_check
	check "modular: cn unloads cleanly" sh -c 'modprobe -r cn_kunit 2>/dev/null; modprobe -r cn_notify && modprobe -r cn && ! grep -q . /proc/net/connector 2>/dev/null'
fi

if [ $flavour = base ]; then
	: no kmemleak in the base kernel
elif [ -e /sys/kernel/debug/kmemleak ]; then
	step "kmemleak"
	# Objects freed through RCU, and idle views, need a moment to go.
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	sleep 5
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > /tmp/leaks
	cat /tmp/leaks
	# A detector that gave up finds nothing: that is not a pass.
	if dmesg | grep -q 'kmemleak.*disabled'; then
		result FAIL "kmemleak: no leak # the detector was disabled"
	elif [ -s /tmp/leaks ]; then
		result FAIL "kmemleak: no leak"
	else
		result PASS "kmemleak: no leak"
	fi
else
	result FAIL "kmemleak: no leak # /sys/kernel/debug/kmemleak missing"
fi
