#!/bin/bash
# make-series.sh: write the patch series to out/series/ with git
# format-patch: a git tree of the pristine base in build/series/src, one
# commit per series/NN-*.msg, then a cover letter with the diffstat and
# how the series was tested.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/prepare-tree.sh"

G=$BUILD/series
OUT=${SERIES_OUT:-$TOP/out/series}
name=$(git -C "$TOP" config user.name || echo "Kernel Connector Developers")
email=$(git -C "$TOP" config user.email || echo "connector@localhost")
git_() { git -C "$G/src" -c user.name="$name" -c user.email="$email" "$@"; }

# The base: the pristine tree in git, once.
if [ ! -f "$G/.base-done" ]; then
	log "making a git tree of the pristine base (once)"
	rm -rf "$G" && mkdir -p "$G"
	cp -a "$PRISTINE" "$G/src"
	rm -f "$G/src/.unpacked"
	git_ init -q
	git_ add -A -f
	git_ commit -q -m "Linux $(make -s -C "$G/src" kernelversion) (Debian linux-source-6.12)"
	git_ tag base
	touch "$G/.base-done"
fi
git_ checkout -q -B series base
git_ reset -q --hard base
git_ clean -qfdx

# Lines of MAINTAINERS.connector for the paths in $introduced.
entry_for() {
	local line path keep
	while IFS= read -r line; do
		case "$line" in
		F:*)	path=${line#F:	}; keep=0
			for p in $introduced; do
				case "$path" in "$p"|"$p/"|"$p"/*) keep=1 ;; esac
			done
			if [ $keep = 1 ]; then echo "$line"; fi ;;
		*)	echo "$line" ;;
		esac
	done < "$TOP/MAINTAINERS.connector"
}

introduced=""
for msg in "$TOP"/series/[0-9]*.msg; do
	files=$(sed -n '1s/^Files: //p' "$msg")
	[ -n "$files" ] || die "$msg: no Files line"
	for p in $files; do
		[ "$p" = MAINTAINERS ] || introduced="$introduced $p"
	done
	for p in $files; do
		if [ "$p" = MAINTAINERS ]; then
			entry_for > "$G/entry"
			cp "$PRISTINE/MAINTAINERS" "$G/src/MAINTAINERS"
			python3 "$TOP/scripts/maintainers.py" "$G/entry" "$G/src/MAINTAINERS"
		elif [ -d "$TOP/$p" ]; then
			mkdir -p "$G/src/$p"
			rsync -r --checksum --delete "$TOP/$p/" "$G/src/$p/"
		elif [ -f "$TOP/$p" ]; then
			cp "$TOP/$p" "$G/src/$p"
		else
			die "$msg: $p is not in the repository"
		fi
	done
	# -f: Debian's .gitignore ignores every top-level path of the tree.
	git_ add -A -f -- $files
	git_ diff --cached --quiet && die "$msg: changes nothing"
	sed '1,2d' "$msg" > "$G/message"
	git_ commit -q -s -F "$G/message"
done

# Nothing we own may be left out of the series.
for p in $OWNED_DIRS $OWNED_FILES MAINTAINERS; do
	diff -r -q "$SRC/$p" "$G/src/$p" >/dev/null ||
		die "the series does not bring $p to its state in the tree: add it to a series/*.msg"
done

rm -rf "$OUT" && mkdir -p "$OUT"
git_ format-patch -q --cover-letter --base=base -o "$OUT" base..series
cover=$OUT/0000-cover-letter.patch
subject=$(head -1 "$TOP/series/cover.msg")
{
	sed '1,2d' "$TOP/series/cover.msg"
	cat <<TXT

How it was tested: each patch of the series builds (x86_64, a small
configuration with CONFIG_CONNECTOR=y, CONFIG_PROC_EVENTS=y and the
samples); the result boots under QEMU and passes the connector KUnit
suite and kselftests, on a plain kernel, on a kernel with KASAN,
lockdep, PROVE_RCU, kmemleak, UBSAN, DEBUG_OBJECTS, DEBUG_LIST and
fault injection (with the stress tests at full strength), and with
CONFIG_CONNECTOR=m. forkstat, the old ucon sample, the old proc_filter
selftest and the old cn_test module work unchanged against it; drivers/w1
(answering W1_LIST_MASTERS in the guest), dm-log-userspace, uvesafb and
hv_utils build unchanged. checkpatch --strict, sparse, W=1 and
kernel-doc have nothing to say about the files of the series.
TXT
} > "$G/blurb"
python3 - "$cover" "$subject" "$G/blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb)
open(path, "w").write(s)
PY
log "series written to $OUT:"
ls "$OUT" >&2
