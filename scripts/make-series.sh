#!/bin/bash
# make-series.sh: write the patch series to out/series/ with git
# format-patch. The base is a git tree holding the pristine files the series
# touches, and what checkpatch needs to run (build/series/repo); one commit
# per series/NN-*.msg (see scripts/series.py for what a .msg says), then a
# cover letter with the diffstat and how the series was tested. Tags
# step0 (the base) to stepN mark the steps.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/prepare-tree.sh"

G=$BUILD/series
R=$G/repo
OUT=${SERIES_OUT:-$TOP/out/series}
name=$(git -C "$TOP" config user.name || echo "Kernel Connector Developers")
email=$(git -C "$TOP" config user.email || echo "connector@localhost")
git_() { git -C "$R" -c user.name="$name" -c user.email="$email" "$@"; }

# What the base holds: every path a patch may touch, and checkpatch with
# what it reads (its data files, the licenses for the SPDX check).
base_paths="$OWNED_DIRS $OWNED_FILES MAINTAINERS scripts LICENSES
COPYING CREDITS Kbuild Makefile README .gitignore"
rm -rf "$G" && mkdir -p "$R"
for p in $base_paths; do
	[ -e "$PRISTINE/$p" ] || continue
	mkdir -p "$R/$(dirname "$p")"
	cp -a "$PRISTINE/$p" "$R/$p"
done
# checkpatch wants to see the top of a kernel tree.
mkdir -p "$R"/{Documentation,arch,include,drivers,fs,init,ipc,kernel,lib}
git_ init -q
git_ add -A -f
git_ commit -q -m "Linux $(make -s -C "$PRISTINE" kernelversion) (Debian linux-source-6.12): the files the series touches"
git_ tag step0

n=0
for msg in "$TOP"/series/[0-9]*.msg; do
	n=$((n + 1))
	python3 "$TOP/scripts/series.py" "$TOP" "$PRISTINE" "$R" "$n"
	git_ add -A -f
	git_ diff --cached --quiet && die "$msg: changes nothing"
	sed '1,/^$/d' "$msg" > "$G/message"
	git_ commit -q -s -F "$G/message"
	git_ tag "step$n"
done

# Nothing we own may be left out of the series.
for p in $OWNED_DIRS $OWNED_FILES; do
	diff -r -q "$SRC/$p" "$R/$p" >/dev/null ||
		die "the series does not bring $p to its state in the tree"
done
diff -q "$SRC/MAINTAINERS" "$R/MAINTAINERS" >/dev/null ||
	die "the series does not bring MAINTAINERS to its state in the tree"

rm -rf "$OUT" && mkdir -p "$OUT"
git_ format-patch -q --cover-letter --base=step0 -o "$OUT" step0..HEAD
cover=$OUT/0000-cover-letter.patch
subject=$(head -1 "$TOP/series/cover.msg")
sed '1,2d' "$TOP/series/cover.msg" > "$G/blurb"
python3 - "$cover" "$subject" "$G/blurb" <<'PY'
import sys
path, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject).replace("*** BLURB HERE ***", blurb)
open(path, "w").write(s)
PY
log "series of $n patches written to $OUT"
