#!/bin/bash
# The test command: build the test kernel (base + debug options) and test
# it in every way the suite knows, run the same tests on the base kernel
# (no debug options), then print the tally against the manifest of
# expected tests (scripts/expected-tests).
#
# To stay inside the time budget there are two cold kernel builds, the
# test kernel and the base one: the series steps and the modular
# connector are incremental rebuilds of the test kernel's object directory
# (kbuild recompiles only what a change touches).
#
# Results: host checks print CNRESULT lines into logs/host.results; each
# guest writes its own to logs/<guest>.results through a second serial
# port; KUnit through kunit.py writes logs/kunit.results.
. "$(dirname "$0")/lib.sh"
start=$(date +%s)
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
logs=$BUILD/logs
rm -rf "$logs" && mkdir -p "$logs"
host=$logs/host.results
: > "$host"
result() { echo "CNRESULT $*" | tee -a "$host"; }
TEST_FRAGS=("$TOP/configs/base.config" "$TOP/configs/debug.config")

# host NAME COMMAND...: a check that runs on the build machine.
host() {
	local name=$1 logf
	shift
	logf=$logs/host-${name//[^a-zA-Z0-9]/_}.log
	log "host check: $name"
	if "$@" >"$logf" 2>&1; then
		result PASS "$name"
	else
		tail -n 60 "$logf"
		result FAIL "$name"
	fi
}

# guest_build NAME KIND [OBJ]: the initramfs of a guest of the kernel
# in OBJ (the test kernel's object directory by default).
guest_build() {
	local name=$1 kind=$2 obj=${3:-$BUILD/obj-test}
	if OBJ=$obj INITRD=$obj/initramfs-$name.cpio.gz \
		"$TOP/scripts/build-guest.sh" "$name" "$SRC" "$kind" >>"$logs/build-$name.log" 2>&1; then
		result PASS "$name: guest build"
	else
		tail -n 40 "$logs/build-$name.log"
		result FAIL "$name: guest build"
		return 1
	fi
}

# guest_boot NAME [OBJ]: boot it; the kernel image is read at start, so
# the object directory may be rebuilt while it runs.
guest_boot() {
	local name=$1 obj=${2:-$BUILD/obj-test}
	if OBJ=$obj INITRD=$obj/initramfs-$name.cpio.gz \
		"$TOP/scripts/boot.sh" "$name" test "$logs/$name.log" "${GUEST_LIMIT:-2400}" \
		>"$logs/boot-$name.log" 2>&1; then
		result PASS "$name: guest finished with a clean kernel log"
	else
		cat "$logs/boot-$name.log"
		result FAIL "$name: guest finished with a clean kernel log"
	fi
}

rm -f "$BUILD/test.config"
host "abi: uapi layouts identical to stock 6.12, notification messages as specified" \
	"$TOP/scripts/abi-check.sh"
host "checkpatch --strict: every file we own" "$TOP/scripts/checkpatch-files.sh"
host "docs: connector.rst builds, kernel-doc clean" "$TOP/scripts/check-docs.sh"

# The kernel the suite runs on: base + debug options, KUnit built in.
# While its guest runs (mostly one busy vCPU), the host uses the other
# core: kunit.py, sparse, and the series steps, which rebuild the object
# directory step by step (the guest read its kernel when it started).
if "$TOP/scripts/build-kernel.sh" test "$SRC" "${TEST_FRAGS[@]}" >"$logs/build-kernel.log" 2>&1; then
	result PASS "test: kernel build"
	# The series steps configure from it (scripts/check-series.sh).
	cp "$BUILD/obj-test/.config" "$BUILD/test.config"
	if guest_build test full; then
		GUEST_APPEND="cn.flavour=test" guest_boot test &
		test_guest=$!
	fi
	# The base kernel, without the debug options (its own object
	# directory): the same tests, at the speed users see.
	if "$TOP/scripts/build-kernel.sh" base "$SRC" "$TOP/configs/base.config" \
		>"$logs/build-base.log" 2>&1; then
		result PASS "base: kernel build"
		if guest_build base full "$BUILD/obj-base"; then
			GUEST_APPEND="cn.flavour=base" guest_boot base "$BUILD/obj-base" &
			base_guest=$!
		fi
	else
		tail -n 40 "$logs/build-base.log"
		result FAIL "base: kernel build"
	fi
	host "kunit.py run --kunitconfig=drivers/connector" "$TOP/scripts/kunit.sh" "$logs/kunit.results"
	host "sparse (C=2) and W=1: nothing to say" "$TOP/scripts/check-static.sh"
	# The connector as modules: the same configuration with CONNECTOR=m,
	# an incremental rebuild; its guest runs while the series is checked.
	if "$TOP/scripts/build-kernel.sh" test "$SRC" "${TEST_FRAGS[@]}" "$TOP/configs/modular.config" \
		>"$logs/build-modular.log" 2>&1; then
		result PASS "modular: kernel build"
		if guest_build modular full; then
			GUEST_APPEND="cn.flavour=modular" guest_boot modular &
			modular_guest=$!
		fi
	else
		tail -n 40 "$logs/build-modular.log"
		result FAIL "modular: kernel build"
	fi
	host "series: git am, checkpatch, every step builds, boots and passes its tests" \
		"$TOP/scripts/check-series.sh" "$logs"
	[ -n "${test_guest:-}" ] && wait "$test_guest"
	[ -n "${base_guest:-}" ] && wait "$base_guest"
	[ -n "${modular_guest:-}" ] && wait "$modular_guest"
else
	tail -n 40 "$logs/build-kernel.log"
	result FAIL "test: kernel build"
fi

echo
log "the run took $(( ($(date +%s) - start) / 60 )) minutes"
places=(host="$host" test="$logs/test.results" base="$logs/base.results"
	kunit="$logs/kunit.results" modular="$logs/modular.results")
for r in "$logs"/step*.results; do
	[ -e "$r" ] && { s=${r##*/}; places+=("${s%.results}=$r"); }
done
python3 "$TOP/scripts/tally.py" "$TOP/scripts/expected-tests" "${places[@]}"
