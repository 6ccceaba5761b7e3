#!/bin/bash
# kunit.sh RESULTS: run the connector's KUnit suites the way kernel
# developers run KUnit:
#   ./tools/testing/kunit/kunit.py run --kunitconfig=drivers/connector --arch=x86_64
# on the test kernel's object directory, whose configuration contains the
# .kunitconfig (KUnit built in), so kunit.py keeps the configuration and
# only checks that the build is up to date; the same compiler command
# (ccache) keeps it from rebuilding anything. QEMU gets two CPUs. The
# results, as kunit.py parsed them, are written to RESULTS as CNRESULT
# lines for the tally.
. "$(dirname "$0")/lib.sh"
out=$1
obj=$BUILD/obj-test
json=$(mktemp)
trap 'rm -f "$json"' EXIT

# kunit.py regenerates .config unless the kunitconfig of its last run,
# with the architecture's own options, is in last_used_kunitconfig: on a
# fresh build directory there is none. Ours is that kunitconfig (the
# subset check below still holds the configuration to it).
{ cat "$SRC/drivers/connector/.kunitconfig"
  printf 'CONFIG_SERIAL_8250=y\nCONFIG_SERIAL_8250_CONSOLE=y\n'; } > "$obj/last_used_kunitconfig"

# kunit.py rewrites .config from the .kunitconfig alone when it thinks
# the two disagree: that would rebuild another kernel in our directory.
# Ask it first; if it would, fail and say so instead.
cp "$obj/.config" "$obj/.config.before-kunit"
cd "$SRC"
./tools/testing/kunit/kunit.py config --kunitconfig=drivers/connector --arch=x86_64 \
	--build_dir="$obj" --make_options CC="ccache gcc" --make_options HOSTCC="ccache gcc" </dev/null
if ! cmp -s "$obj/.config" "$obj/.config.before-kunit"; then
	cp "$obj/.config.before-kunit" "$obj/.config"
	rm -f "$obj/.fragments"
	echo "kunit.py would not take the test kernel's configuration as it is"
	exit 1
fi
set +e
./tools/testing/kunit/kunit.py run --kunitconfig=drivers/connector --arch=x86_64 \
	--build_dir="$obj" --make_options CC="ccache gcc" --make_options HOSTCC="ccache gcc" \
	--jobs="$(nproc)" --qemu_args="-smp 2 -accel tcg" --timeout=900 --json="$json" </dev/null
rc=$?
set -e
python3 - "$json" "$out" <<'PY'
import json, sys
try:
    tree = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    tree = {"sub_groups": [], "test_cases": []}
lines = []
def walk(group, prefix):
    for case in group.get("test_cases", []):
        status = {"PASS": "PASS", "SKIP": "SKIP"}.get(case["status"], "FAIL")
        lines.append(f"CNRESULT {status} kunit: {prefix}{case['name']}")
    for sub in group.get("sub_groups", []):
        walk(sub, prefix + sub["name"] + ".")
walk(tree, "")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
exit $rc
