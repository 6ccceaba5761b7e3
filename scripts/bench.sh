#!/bin/bash
# bench.sh: build stock 6.12 and ours from the same configuration (plus
# ours without CONFIG_PROC_EVENTS, the floor), run the same workloads in
# each under QEMU with -icount shift=0,sleep=off, and print one table:
# workload, stock, ours, ours/stock. Also writes out/bench/bench.csv and
# out/bench/bench.png. Never fails on a number.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
command -v gnuplot >/dev/null || { export DEBIAN_FRONTEND=noninteractive;
	apt-get install -y -qq --no-install-recommends gnuplot-nox >/dev/null; }
"$TOP/scripts/prepare-tree.sh"
out=$TOP/out/bench
mkdir -p "$out" "$BUILD/logs"
frags=("$TOP/configs/base.config" "$TOP/configs/bench.config")

"$TOP/scripts/build-kernel.sh" bench-stock "$PRISTINE" "${frags[@]}"
"$TOP/scripts/build-kernel.sh" bench-ours "$SRC" "${frags[@]}"
"$TOP/scripts/build-kernel.sh" bench-floor "$SRC" "${frags[@]}" "$TOP/configs/noproc.config"

# The stock kernel gets our cn_test (the same callback work in both).
"$TOP/scripts/our-cn-test-for.sh" bench-stock

for k in stock ours floor; do
	NO_SELFTESTS=1 "$TOP/scripts/build-guest.sh" "bench-$k" "$SRC"
	GUEST_SMP=1 QEMU_EXTRA="-icount shift=0,sleep=off" GUEST_APPEND="nokaslr norandmaps" \
		"$TOP/scripts/boot.sh" "bench-$k" bench "$BUILD/logs/bench-$k.log" 3000 ||
		log "bench-$k: the guest run had a problem (see $BUILD/logs/bench-$k.log)"
	tr -d '\r' < "$BUILD/logs/bench-$k.log" | awk '/^BENCH /{print $2, $3}' > "$out/$k.txt"
done

python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
def load(k):
    d = {}
    for line in open(f"{out}/{k}.txt"):
        name, value = line.split()
        d[name] = float(value)
    return d
stock, ours, floor = load("stock"), load("ours"), load("floor")
names = list(stock) + [n for n in ours if n not in stock]
lower_is_better = lambda n: n.endswith("_lost") or n.endswith("_pct")
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
    f.write("workload,stock,ours,ours_over_stock,floor_no_proc_events\n")
    for n, s, o, r in rows:
        f.write(f"{n},{s if s is not None else ''},{o if o is not None else ''},{r},{floor.get(n, '')}\n")

def fmt(v):
    return "-" if v is None else ("%.1f" % v)
lines = ["| workload | stock 6.12 | ours | ours/stock |", "|---|---:|---:|---:|"]
for n, s, o, r in rows:
    lines.append(f"| {n} | {fmt(s)} | {fmt(o)} | {r} |")

# The targets of the benchmark issue.
def rel(a, b):
    return ours[a] / ours[b] if a in ours and b in ours and ours[b] else float("nan")
t = []
def target(what, value, goal):
    ok = value >= goal
    t.append(f"| {what} | {value:.3f} | >= {goal:.2f} | {'met' if ok else 'MISSED'} |")
for w in ("fork_exit", "fork_exec_exit"):
    target(f"{w}, no listener: ours/stock", ours[f"{w}/no_listener"] / stock[f"{w}/no_listener"], 1.00)
    target(f"{w}, no listener: ours / PROC_EVENTS=n floor", ours[f"{w}/no_listener"] / floor[f"{w}/no_listener"], 0.99)
    target(f"{w}, after 4 killed listeners / no listener", rel(f"{w}/after_4_killed_listeners", f"{w}/no_listener"), 0.99)
    for k in ("1", "4", "16"):
        n = f"{w}/{k}_listener{'s' if k != '1' else ''}_all"
        target(f"{w}, {k} listener(s) taking all: ours/stock", ours[n] / stock[n], 1.00)
target("fork_exit, exec-only listener / no listener", rel("fork_exit/1_listener_exec_only", "fork_exit/no_listener"), 0.98)
for n in ("echo/round_trips_1_sender", "echo/round_trips_4_senders", "dispatch/messages_to_callback"):
    if n in ours and n in stock:
        target(f"{n}: ours/stock", ours[n] / stock[n], 1.00)
lines += ["", "| target | measured | goal | |", "|---|---:|---:|---|"] + t
open(f"{out}/table.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))

# The chart: ours relative to stock, per workload (rates only).
with open(f"{out}/chart.dat", "w") as f:
    for n, s, o, r in rows:
        if s and o and not lower_is_better(n):
            f.write(f'"{n}" {o / s:.4f} {floor[n] / s if n in floor and s else 0:.4f}\n')
PY

gnuplot <<GP
set terminal pngcairo size 1200,700 noenhanced font ",9"
set output "$out/bench.png"
set title "Kernel connector, ours relative to stock 6.12 (same config, QEMU -icount; higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0.9:1.35]
set ylabel "rate relative to stock"
set xtics rotate by -40 scale 0
set grid ytics
set key top left
plot "$out/chart.dat" using 2:xtic(1) title "ours / stock", \
     "" using 3 title "CONFIG_PROC_EVENTS=n floor / stock", \
     1 with lines lw 2 lc rgb "black" title "stock"
GP
log "wrote $out/bench.csv, $out/table.md and $out/bench.png"
