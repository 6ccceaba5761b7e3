#!/bin/sh
# The run command's demo: the connector working, step by step.
step() { echo; echo "==== $*"; }

step "the connector's users before cn_test is loaded (/proc/net/connector)"
cat /proc/net/connector

step "modprobe cn_test tick_ms=500"
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

step "live process events: forkstat watches a small workload"
forkstat -e fork,exec,exit -D 3 -l &
fpid=$!
sleep 1
sh -c 'echo workload running; true; sleep 0.2; exit 3'
wait $fpid

step "modprobe -r cn_test"
modprobe -r cn_test
cat /proc/net/connector
