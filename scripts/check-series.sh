#!/bin/bash
# check-series.sh LOGDIR: generate the series, then check that it applies
# with git am to the pristine base, that checkpatch --strict has nothing to
# say about any patch, and that the kernel builds after every patch. Each
# step that changes the kernel before it is final (the uapi, the core,
# process events, notifications, KUnit) is booted and runs the tests that
# exist at that step (guest/step.sh), with results in LOGDIR/stepN.results;
# the steps after them build the kernel the full suite tests (a step that
# changes only selftests or documentation has the kernel of the step before).
#
# The steps are built in the test kernel's own object directory, from its
# own source tree: kbuild rebuilds only what each step changes. The tree
# is put back in its final state at the end.
. "$(dirname "$0")/lib.sh"
logs=$1
"$TOP/scripts/make-series.sh"
G=$BUILD/series
R=$G/repo
OUT=${SERIES_OUT:-$TOP/out/series}
patches=$(ls "$OUT"/[0-9][0-9][0-9][0-9]-*.patch | grep -v 0000-cover-letter)
status=0
restore() { "$TOP/scripts/prepare-tree.sh"; }
trap restore EXIT

# 1. git am on a clean checkout of the base.
am=$G/am
git -C "$R" worktree add -q --detach "$am" step0
if git -C "$am" -c user.name=check -c user.email=check@localhost am -q $patches; then
	echo "git am: $(echo $patches | wc -w) patches apply to the pristine base"
else
	echo "git am: the series does not apply"; status=1
fi
git -C "$R" worktree remove --force "$am"

# 2. checkpatch on every patch. /usr/bin first: Debian's python3 has the
# modules the kernel's spdxcheck needs; another python3 on PATH may not.
for p in $patches; do
	# checkpatch exits non-zero when it has something to say: keep going.
	out=$(cd "$R" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --terse --no-summary "$p" 2>&1) || true
	if [ -n "$out" ]; then echo "$out"; status=1; fi
done
[ $status = 0 ] && echo "checkpatch --strict: nothing to say about any patch"

# 3. Every step builds; the early ones boot and pass their tests.
frags=("$TOP/configs/base.config" "$TOP/configs/debug.config")
n=$(echo $patches | wc -w)
built=
for i in $(seq 1 "$n"); do
	subject=$(git -C "$R" log -1 --format=%s "step$i")
	# A step that changes only files kbuild never reads (selftests under
	# tools/, Documentation/, MAINTAINERS) leaves the kernel of the step
	# before it, which was built: building it again would prove nothing.
	if [ -n "$built" ] && ! git -C "$R" diff --name-only "step$((i - 1))" "step$i" |
		grep -qvE '^(tools/testing/selftests/|Documentation/|MAINTAINERS$)'; then
		echo "builds: $i $subject (changes no file kbuild reads: the kernel of step $((i - 1)))"
		continue
	fi
	built=
	step=$G/step
	rm -rf "$step" && mkdir -p "$step"
	git -C "$R" archive "step$i" -- $OWNED_DIRS $OWNED_FILES | tar -x -C "$step"
	for d in $OWNED_DIRS; do
		mkdir -p "$step/$d" "$SRC/$d"
		rsync -r --checksum --delete "$step/$d/" "$SRC/$d/"
	done
	for f in $OWNED_FILES; do
		rsync --checksum "$step/$f" "$SRC/$f"
	done
	# The step's Kconfig decides which options exist: configure anew,
	# from the final tree's configuration when make test saved it.
	rm -f "$BUILD/obj-test/.fragments"
	base=
	[ -f "$BUILD/test.config" ] && base=$BUILD/test.config
	if BASE_CONFIG=$base ALLOW_UNKNOWN=1 "$TOP/scripts/build-kernel.sh" test "$SRC" "${frags[@]}" \
		>"$logs/build-step$i.log" 2>&1; then
		echo "builds: $i $subject"
		built=1
	else
		tail -n 30 "$logs/build-step$i.log"
		echo "DOES NOT BUILD: $i $subject"; status=1
		continue
	fi
	# Steps whose kernel changes before the final one boot.
	[ "$i" -le 5 ] || continue
	if OBJ=$BUILD/obj-test INITRD=$BUILD/obj-test/initramfs-step.cpio.gz \
		"$TOP/scripts/build-guest.sh" "step$i" "$SRC" step >>"$logs/build-step$i.log" 2>&1 &&
	   OBJ=$BUILD/obj-test INITRD=$BUILD/obj-test/initramfs-step.cpio.gz \
		"$TOP/scripts/boot.sh" "step$i" step "$logs/step$i.log" 600; then
		echo "boots, clean kernel log: $i $subject"
	else
		echo "DOES NOT BOOT CLEANLY: $i $subject"; status=1
	fi
done
rm -f "$BUILD/obj-test/.fragments"
exit $status
