#!/bin/bash
# check-static.sh: sparse (make C=2) and W=1 over every kernel file we own,
# in the test kernel's build; any diagnostic fails.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/prepare-tree.sh"
obj=$BUILD/obj-test
[ -f "$obj/.config" ] || die "build the test kernel first"
logf=$(mktemp)
trap 'rm -f "$logf"' EXIT
make -C "$SRC" O="$obj" CC="ccache gcc" C=2 W=1 -j"$(nproc)" \
	drivers/connector/ samples/connector/ >"$logf" 2>&1 ||
	{ cat "$logf"; die "make C=2 W=1 failed"; }
checked=$(grep -c '^ *CHECK ' "$logf" || true)
[ "$checked" -gt 0 ] || { cat "$logf"; die "sparse checked nothing"; }
if grep -E 'warning:|error:' "$logf"; then
	exit 1
fi
echo "sparse checked $checked files"
echo "sparse (C=2) and W=1: nothing to say about drivers/connector and samples/connector"
