#!/bin/bash
# Unpack the pristine base tree once, then make the build tree: a hard-link
# copy of the pristine one with this project's files laid over it. Files are
# only rewritten when their content changed, so incremental builds stay
# incremental; the pristine tree is never written to.
. "$(dirname "$0")/lib.sh"

[ -f "$TARBALL" ] || die "$TARBALL missing: run scripts/deps.sh (apt-get install linux-source-6.12)"

if [ ! -f "$PRISTINE/.unpacked" ]; then
	log "unpacking $TARBALL"
	rm -rf "$PRISTINE" && mkdir -p "$PRISTINE"
	tar -C "$PRISTINE" --strip-components=1 -xf "$TARBALL"
	touch "$PRISTINE/.unpacked"
fi

if [ ! -f "$SRC/.linked" ]; then
	log "creating build tree $SRC"
	rm -rf "$SRC"
	cp -al "$PRISTINE" "$SRC"
	rm -f "$SRC/.unpacked"
	touch "$SRC/.linked"
fi

# rsync writes a new inode for every file it changes, which breaks the hard
# link instead of writing through it into the pristine tree.
for d in $OWNED_DIRS; do
	mkdir -p "$SRC/$d"
	if [ -d "$TOP/$d" ]; then
		rsync -r --checksum --delete "$TOP/$d/" "$SRC/$d/"
	fi
done
for f in $OWNED_FILES; do
	if [ -f "$TOP/$f" ]; then
		rsync --checksum "$TOP/$f" "$SRC/$f"
	fi
done

# The MAINTAINERS entry, at its place in the pristine file.
if ! cmp -s "$TOP/MAINTAINERS.connector" "$SRC/.maintainers-entry"; then
	cp "$PRISTINE/MAINTAINERS" "$SRC/MAINTAINERS.new"
	python3 "$TOP/scripts/maintainers.py" "$TOP/MAINTAINERS.connector" "$SRC/MAINTAINERS.new"
	mv "$SRC/MAINTAINERS.new" "$SRC/MAINTAINERS"
	cp "$TOP/MAINTAINERS.connector" "$SRC/.maintainers-entry"
fi
