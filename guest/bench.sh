#!/bin/sh
# make bench, in the guest: the workloads, with cn_test loaded when the
# kernel has it.
modprobe cn_test tick_ms=0 2>/dev/null
cnbench "${CNBENCH_N:-400}"
