#!/bin/sh
# The run command's demo: the connector working, step by step.
step() { echo; echo "==== $*"; }

step "the connector's users before cn_test is loaded (/proc/net/connector)"
cat /proc/net/connector

step "ucon -w asks to be told when cn_test's id comes and goes; then modprobe cn_test tick_ms=500"
ucon -w -g 0 -n 3 -t 30 > /tmp/watch.out &
wpid=$!
sleep 1
modprobe cn_test tick_ms=500
cat /proc/net/connector

step "ucon sends 3 messages to cn_test and prints the 3 echoes and the ticks cn_test broadcasts"
ucon -s 3 -n 7 -t 5

step "the stock 6.12 ucon program, built against our headers, receives cn_test's broadcasts"
stock-ucon > /tmp/stock-ucon.out 2>&1 &
pid=$!
sleep 2
kill $pid
grep -a '\[e\.456\]' /tmp/stock-ucon.out | head -n 4

step "modprobe -r cn_test; what ucon -w was told"
modprobe -r cn_test
wait $wpid
cat /tmp/watch.out
cat /proc/net/connector

step "live process events: forkstat watches a small workload"
forkstat -e fork,exec,exit -D 3 -l &
fpid=$!
sleep 1
sh -c 'echo workload running; true; sleep 0.2; exit 3'
wait $fpid

step "a container (unprivileged user, own user, pid and network namespaces) runs forkstat: it sees its own workload, with its own pids, and not the host's"
(sleep 1.5; sh -c 'echo host workload, not seen inside; sleep 0.2') &
su nobody -s /bin/sh -c "unshare -Urpnf --mount-proc sh -c '
	forkstat -e fork,exec,exit -D 3 -l &
	sleep 1
	sh -c \"echo container workload; sleep 0.2\"
	wait'" 2>&1
wait
