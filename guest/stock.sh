#!/bin/sh
# make against-stock, in the guest: our selftests one program at a time,
# skipping those named by cn.skip=PROG[,PROG...] (done in an earlier boot,
# or the one that brought the kernel down). Each program's output goes to
# the results port as it comes, after a "START prog" line, so that what a
# program did before an oops is kept.
RES=/dev/ttyS1
skip=
for arg in $(cat /proc/cmdline); do
	case "$arg" in cn.skip=*) skip=,${arg#cn.skip=}, ;; esac
done
modprobe cn_test tick_ms=0
cd /kselftest/connector || exit 1
for prog in cn_core_test cn_notify_test cn_stress_test proc_events_test \
	    cn_proc_ns_test cn_proc_batch_test; do
	case "$skip" in *,$prog,*) continue ;; esac
	echo "START $prog" > $RES
	./$prog 2>&1 | awk '{ print "# " $0; fflush() }' > $RES
	echo "DONE $prog" > $RES
done
