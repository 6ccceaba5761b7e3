#!/bin/bash
# against-stock.sh: run our selftests on the stock 6.12 kernel built from
# the same base configuration, with our cn_test sample module built for it,
# to show which tests catch which stock bug. Not part of the test command:
# stock 6.12 is expected to fail, and to crash. Every test program runs:
# when one brings the kernel down, the guest is booted again for the rest.
# Prints, per program, the tests that failed on stock, and the one that
# was running when the kernel went down.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
# The bench fragment leaves out what only our tree has (the KUnit suite).
ALLOW_UNKNOWN=1 "$TOP/scripts/build-kernel.sh" bench-stock "$PRISTINE" \
	"$TOP/configs/base.config" "$TOP/configs/bench.config"
# Our cn_test, built out of tree against the stock kernel, in place of the
# stock sample (the tests need its echo and its module parameters).
"$TOP/scripts/our-cn-test-for.sh" bench-stock
# The selftests use our uapi additions: build them against our headers.
"$TOP/scripts/build-kernel.sh" test "$SRC" "$TOP/configs/base.config" "$TOP/configs/debug.config"
SELFTEST_HEADERS=$BUILD/obj-test/usr/include "$TOP/scripts/build-guest.sh" bench-stock "$SRC"

logs=$BUILD/logs/stock
rm -rf "$logs" && mkdir -p "$logs"
progs="cn_core_test cn_notify_test cn_stress_test proc_events_test cn_proc_ns_test cn_proc_batch_test"
done_=""
for boot in 1 2 3 4 5 6 7; do
	GUEST_APPEND="cn.skip=${done_#,}" "$TOP/scripts/boot.sh" bench-stock stock \
		"$logs/boot$boot.log" 1800 || true
	r=$logs/boot$boot.results
	[ -f "$r" ] || break
	for p in $(sed -n 's/^START \([a-z_]*\).*/\1/p' "$r" | tr -d '\r'); do
		grep -q "^DONE $p" "$r" || echo "$p" >> "$logs/crashed"
		done_="$done_,$p"
	done
	left=0
	for p in $progs; do
		case ",$done_," in *",$p,"*) ;; *) left=1 ;; esac
	done
	[ $left = 0 ] && break
done
python3 - "$logs" $progs <<'PY'
import glob, os, re, sys
logs, progs = sys.argv[1], sys.argv[2:]
crashed = set(open(os.path.join(logs, 'crashed')).read().split()) \
    if os.path.exists(os.path.join(logs, 'crashed')) else set()
per = {p: {'failed': [], 'passed': 0, 'running': None} for p in progs}
for r in sorted(glob.glob(os.path.join(logs, 'boot*.results'))):
    prog = None
    for line in open(r, errors='replace'):
        line = line.rstrip('\r\n')
        if line.startswith('START '):
            prog = line.split()[1]
            continue
        if prog is None or not line.startswith('# '):
            continue
        body = line[2:]
        m = re.match(r'(not )?ok \d+ (\S+)', body)
        if m:
            if m.group(1):
                per[prog]['failed'].append(m.group(2))
            elif '# SKIP' not in body:
                per[prog]['passed'] += 1
        m = re.match(r'#\s+RUN\s+(\S+)', body)
        if m:
            per[prog]['running'] = m.group(1)
print('| program | failed on stock 6.12 | passed |')
print('|---|---|---:|')
for p in progs:
    f = list(per[p]['failed'])
    if p in crashed:
        f.append(f"{per[p]['running']} (the kernel went down)")
    print(f"| {p} | {', '.join(f) if f else '-'} | {per[p]['passed']} |")
PY
