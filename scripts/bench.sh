#!/bin/bash
# bench.sh: build stock 6.12 and ours from the same configuration (plus
# ours without CONFIG_PROC_EVENTS, the floor), run the same workloads in
# each under QEMU with -icount shift=0,sleep=off, and print one table:
# workload, stock, ours, ours/stock. Stock and ours boot a second time
# with two vCPUs for the control message churn alone. Also writes
# out/bench/bench.csv and out/bench/bench.png. Never fails on a number.
. "$(dirname "$0")/lib.sh"
# With --report: only print the table again from the figures in out/bench.
report_only=false
[ "${1:-}" = --report ] && report_only=true
$report_only || "$TOP/scripts/deps.sh"
command -v gnuplot >/dev/null || { export DEBIAN_FRONTEND=noninteractive;
	apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null; }
$report_only || "$TOP/scripts/prepare-tree.sh"
out=$TOP/out/bench
mkdir -p "$out" "$BUILD/logs"
frags=("$TOP/configs/base.config" "$TOP/configs/bench.config")

if ! $report_only; then
"$TOP/scripts/build-kernel.sh" bench-stock "$PRISTINE" "${frags[@]}"
"$TOP/scripts/build-kernel.sh" bench-ours "$SRC" "${frags[@]}"
"$TOP/scripts/build-kernel.sh" bench-floor "$SRC" "${frags[@]}" "$TOP/configs/noproc.config"

# The stock kernel gets our cn_test (the same callback work in both).
"$TOP/scripts/our-cn-test-for.sh" bench-stock

# bench_run KERNEL SMP LOG TXT [CNBENCH_ONLY]: boot, keep "name value unit".
# The kernel hands CNBENCH_ONLY=... from its command line to init's
# environment, where cnbench finds it.
bench_run() {
	local k=$1 smp=$2 logf=$3 txt=$4 only=${5:-}
	GUEST_SMP=$smp QEMU_EXTRA="-icount shift=0,sleep=off" \
		GUEST_APPEND="nokaslr norandmaps${only:+ CNBENCH_ONLY=$only}" \
		"$TOP/scripts/boot.sh" "bench-$k" bench "$logf" 3000 ||
		log "bench-$k ($smp vCPU): the guest run had a problem (see $logf)"
	if [ -f "$logf" ]; then
		tr -d '\r' < "$logf" | awk '/^BENCH /{print $2, $3, $4}' > "$txt"
	else
		: > "$txt"
	fi
}

for k in stock ours floor; do
	# The guest kind "bench" (NO_SELFTESTS for a build-guest.sh without kinds).
	NO_SELFTESTS=1 "$TOP/scripts/build-guest.sh" "bench-$k" "$SRC" bench
	bench_run "$k" 1 "$BUILD/logs/bench-$k.log" "$out/$k.txt"
done
# Turning listening on and off must not get dearer with more CPUs (no
# text patching, no machine-wide stops): the churn again on two.
for k in stock ours; do
	bench_run "$k" 2 "$BUILD/logs/bench-$k-2cpu.log" "$out/$k-2cpu.txt" churn
done

fi

python3 - "$out" <<'PY'
import math, os, sys
out = sys.argv[1]
units = {}
def load(*kinds):
    d = {}
    for k in kinds:
        path = f"{out}/{k}.txt"
        if not os.path.exists(path):
            continue
        for line in open(path):
            f = line.split()
            if len(f) < 2:
                continue
            d[f[0]] = float(f[1])
            units.setdefault(f[0], f[2] if len(f) > 2 else "")
    return d
stock, ours, floor = load("stock", "stock-2cpu"), load("ours", "ours-2cpu"), load("floor")
names = list(ours) + [n for n in stock if n not in ours]
lower_is_better = lambda n: n.endswith("_lost") or n.endswith("_pct") or units.get(n) == "us"
rows = []
for n in names:
    s, o = stock.get(n), ours.get(n)
    if s is None or o is None:
        ratio = ""
    elif lower_is_better(n):
        ratio = "" if o == 0 and s == 0 else ("%.3f" % (s / o) if o else "inf")
    else:
        ratio = "%.3f" % (o / s) if s else ""
    rows.append((n, s, o, ratio))
with open(f"{out}/bench.csv", "w") as f:
    f.write("workload,unit,stock,ours,ours_over_stock,floor_no_proc_events\n")
    for n, s, o, r in rows:
        f.write(f"{n},{units.get(n, '')},{s if s is not None else ''},"
                f"{o if o is not None else ''},{r},{floor.get(n, '')}\n")

def fmt(v):
    return "-" if v is None else ("%.1f" % v)
lines = ["| workload | unit | stock 6.12 | ours | ours/stock |", "|---|---|---:|---:|---:|"]
for n, s, o, r in rows:
    lines.append(f"| {n} | {units.get(n, '')} | {fmt(s)} | {fmt(o)} | {r} |")

# The targets of the benchmark issues. A figure a kernel did not produce
# reads "-" and "n/a"; nothing here fails.
def div(a, b):
    return a / b if a is not None and b else None
def rel(a, b):
    return div(ours.get(a), ours.get(b))
def vs_stock(a, b=None):
    return div(ours.get(a), stock.get(b or a))
t = []
def target(what, value, goal, strict=False, form="%.3f", gform="%.2f"):
    op = ">" if strict else ">="
    if value is None or math.isnan(value):
        t.append(f"| {what} | - | {op} {gform % goal} | n/a |")
        return
    ok = value > goal if strict else value >= goal
    t.append(f"| {what} | {form % value} | {op} {gform % goal} | {'met' if ok else 'MISSED'} |")
for w in ("fork_exit", "fork_exec_exit"):
    target(f"{w}, no listener: ours/stock", vs_stock(f"{w}/no_listener"), 1.00)
    target(f"{w}, no listener: ours / PROC_EVENTS=n floor",
           div(ours.get(f"{w}/no_listener"), floor.get(f"{w}/no_listener")), 0.99)
    target(f"{w}, after 4 killed listeners / no listener", rel(f"{w}/after_4_killed_listeners", f"{w}/no_listener"), 0.99)
    for k in ("1", "4", "16"):
        n = f"{w}/{k}_listener{'s' if k != '1' else ''}_all"
        target(f"{w}, {k} listener(s) taking all: ours/stock", vs_stock(n), 1.00)
target("fork_exit, exec-only listener / no listener", rel("fork_exit/1_listener_exec_only", "fork_exit/no_listener"), 0.98)
for n in ("echo/round_trips_1_sender", "echo/round_trips_4_senders", "dispatch/messages_to_callback"):
    if n in ours and n in stock:
        target(f"{n}: ours/stock", vs_stock(n), 1.00)
# Churn: no text patching, on one CPU or two. Stock cannot pack control
# messages: ours packed is held against stock one per send().
for p in ("churn", "churn2cpu"):
    target(f"{p}/listen_ignore_msgs_single: ours/stock", vs_stock(f"{p}/listen_ignore_msgs_single"), 1.00)
    target(f"{p}/listen_ignore_msgs_single_in_group: ours/stock",
           vs_stock(f"{p}/listen_ignore_msgs_single_in_group"), 1.00)
    # Stock answers a LISTEN only, ours every message: per answer read.
    target(f"{p}/answers_read_in_group: ours/stock",
           vs_stock(f"{p}/answers_read_in_group"), 1.00)
    target(f"{p}/listen_ignore_msgs_datagram400: ours / stock single",
           vs_stock(f"{p}/listen_ignore_msgs_datagram400", f"{p}/listen_ignore_msgs_single"), 1.00)
# Namespaces: a distinct view costs no more than one more host listener.
for w in ("fork_exit", "fork_exec_exit"):
    target(f"{w}, host + 4 containers / 5 host listeners (ours)",
           rel(f"{w}/host_plus_4_containers", f"{w}/5_listeners_all"), 0.95)
# Batching: burst capacity at the default receive buffer, and the cost of
# 16 listeners. (batched / no listener) > (legacy / no listener) is
# batched / legacy > 1: against legacy listeners reading in processes of
# their own as the batched ones do, and against the legacy row that reads
# only after the timed run.
target("burst/kept_of_4000_batched (ours)", ours.get("burst/kept_of_4000_batched"), 2560,
       form="%.0f", gform="%.0f")
target("fork_exit, 16 listeners: batched / legacy, both reading (ours)",
       rel("fork_exit/16_listeners_all_batched", "fork_exit/16_listeners_all_reading"), 1.00, strict=True)
target("fork_exit, 16 listeners: batched (reading) / legacy (read after) (ours)",
       rel("fork_exit/16_listeners_all_batched", "fork_exit/16_listeners_all"), 1.00, strict=True)
lines += ["", "| target | measured | goal | |", "|---|---:|---:|---|"] + t
open(f"{out}/table.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))

# The chart: rates only (no latencies, no counts), relative to stock. A
# rate stock cannot produce is drawn against the stock rate nearest to it:
# batched listeners against legacy ones reading the same way, packed
# control messages against one per send(), namespaced listeners against
# what stock does for those processes (no listener; the host listener).
def stock_ref(n):
    w, _, sc = n.partition("/")
    if sc.endswith("_batched"):
        return f"{w}/{sc[:-len('_batched')]}_reading"
    if sc.endswith("_datagram400"):
        return f"{w}/{sc[:-len('_datagram400')]}_single"
    if sc in ("1_listener_child_pidns", "4_listeners_4_containers"):
        return f"{w}/no_listener"
    if sc == "host_plus_4_containers":
        return f"{w}/1_listener_all"
    return None
vals = []
with open(f"{out}/chart.dat", "w") as f:
    for n, s, o, r in rows:
        if units.get(n) != "per_s" or lower_is_better(n) or not o:
            continue
        ref = stock.get(stock_ref(n)) if s is None else None
        if not s and not ref:
            continue
        cols = [o / s if s else None, floor[n] / s if s and floor.get(n) else None,
                o / ref if ref else None]
        vals += [v for v in cols if v is not None]
        f.write(f'"{n}" ' + " ".join("?" if v is None else f"{v:.4f}" for v in cols) + "\n")
# Packed control messages may be several times faster: clip the axis so
# that the figures near 1 stay readable.
lo = max(0, min([0.9] + [v - 0.05 for v in vals]))
hi = min(2.0, max([1.35] + [v + 0.05 for v in vals]))
clipped = " (bars above 2 are clipped: see the table)" if max(vals, default=0) > hi else ""
open(f"{out}/chart.range", "w").write(f"{lo:.2f} {hi:.2f}{clipped}\n")
PY

read -r ylo yhi clipped < "$out/chart.range"
[ -s "$out/chart.dat" ] || { log "no rate of both kernels: no chart"; exit 0; }
gnuplot <<GP
set terminal pngcairo size 1600,800 noenhanced font ",9"
set output "$out/bench.png"
set title "Kernel connector, ours relative to stock 6.12 (same config, QEMU -icount; higher is better)${clipped:+ $clipped}"
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [$ylo:$yhi]
set ylabel "rate relative to stock"
set xtics rotate by -40 scale 0
set grid ytics
set key top left
set bmargin 14
set rmargin 28
plot "$out/chart.dat" using 2:xtic(1) title "ours / stock", \
     "" using 3 title "CONFIG_PROC_EVENTS=n floor / stock", \
     "" using 4 title "ours / nearest stock row (stock cannot run it)", \
     1 with lines lw 2 lc rgb "black" title "stock"
GP
log "wrote $out/bench.csv, $out/table.md and $out/bench.png"
