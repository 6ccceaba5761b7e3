#!/bin/sh
# Run chosen kselftests only: cn.run=PROG:TEST[,PROG:TEST...] (PROG: for
# the whole program) on the
# kernel command line. Each program's TAP goes to the results port as
# run_kselftest.sh would print it. For scripts/mutants.sh.
RES=/dev/ttyS1
run=
for arg in $(cat /proc/cmdline); do
	case "$arg" in cn.run=*) run=${arg#cn.run=} ;; esac
done
cd /kselftest/connector || exit 1
n=0
for item in $(echo "$run" | tr ',' ' '); do
	prog=${item%%:*}
	test=${item#*:}
	n=$((n + 1))
	# PROG: alone runs the whole program.
	if [ -n "$test" ]; then ./$prog -t "$test"; else ./$prog; fi > /tmp/out 2>&1
	rc=$?
	cat /tmp/out
	{ sed 's/^/# /' /tmp/out
	  [ $rc = 0 ] && echo "ok $n selftests: connector: $prog" ||
		echo "not ok $n selftests: connector: $prog # exit=$rc"; } > $RES
done
