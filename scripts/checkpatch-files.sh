#!/bin/bash
# checkpatch-files.sh: scripts/checkpatch.pl --strict on every source file
# this project owns; any error, warning or check fails.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/prepare-tree.sh"
cd "$SRC"
out=$(for f in $(cd "$TOP" && git ls-files drivers/connector include samples/connector tools/testing/selftests/connector | grep -E '\.[ch]$|Kconfig|Makefile'); do
	perl scripts/checkpatch.pl --strict --no-summary --terse --no-tree -f "$f" 2>&1
done | grep -v '^$' || true)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "checkpatch --strict: nothing to say"
