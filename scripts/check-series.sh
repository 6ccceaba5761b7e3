#!/bin/bash
# check-series.sh: generate the series, then check that it applies with
# git am to the pristine base, that checkpatch --strict has nothing to say
# about any patch, and that the kernel builds after every patch.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/make-series.sh"
G=$BUILD/series
OUT=${SERIES_OUT:-$TOP/out/series}
patches=$(ls "$OUT"/[0-9][0-9][0-9][0-9]-*.patch | grep -v 0000-cover-letter)
status=0

# 1. git am on a clean checkout of the base.
am=$G/am
git -C "$G/src" worktree remove --force "$am" 2>/dev/null || rm -rf "$am"
git -C "$G/src" worktree prune
git -C "$G/src" worktree add -q --detach "$am" base
if git -C "$am" -c user.name=check -c user.email=check@localhost am -q $patches; then
	echo "git am: $(echo $patches | wc -w) patches apply to the pristine base"
else
	echo "git am: the series does not apply"; status=1
fi
git -C "$G/src" worktree remove --force "$am"

# 2. checkpatch on every patch. /usr/bin first: Debian's python3 has the
# modules the kernel's spdxcheck needs; another python3 on PATH may not.
for p in $patches; do
	out=$(cd "$G/src" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --terse --no-summary "$p" 2>&1)
	if [ -n "$out" ]; then echo "$out"; status=1; fi
done
if [ $status = 0 ]; then echo "checkpatch --strict: nothing to say about any patch"; fi

# 3. Build after every patch (base configuration), in build/series/obj so
# that compiler command lines match the normal build's and ccache hits.
for c in $(git -C "$G/src" rev-list --reverse base..series); do
	subject=$(git -C "$G/src" log -1 --format=%s "$c")
	git -C "$G/src" checkout -q "$c"
	# Configure anew at each step: the step may bring options of its own.
	rm -f "$G/obj/.fragments"
	if ALLOW_UNKNOWN=1 OBJ=$G/obj "$TOP/scripts/build-kernel.sh" bisect "$G/src" "$TOP/configs/base.config" >"$G/build.log" 2>&1; then
		echo "builds: $subject"
	else
		tail -n 30 "$G/build.log"
		echo "DOES NOT BUILD: $subject"; status=1
	fi
done
git -C "$G/src" checkout -q series
exit $status
