#!/bin/bash
# check-docs.sh: build Documentation/driver-api/connector.rst with Sphinx
# and the kernel's own kerneldoc extension, treating every warning as an
# error, and run scripts/kernel-doc over every file we own. (A full
# "make htmldocs" takes far longer than this check is worth on 2 cores.)
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/prepare-tree.sh"

work=$(mktemp -d)
trap '[ -n "${KEEP_DOCS:-}" ] || rm -rf "$work"' EXIT
cp "$SRC/Documentation/driver-api/connector.rst" "$work/index.rst"
cat > "$work/conf.py" <<PY
import sys
sys.path.insert(0, '$SRC/Documentation/sphinx')
extensions = ['kerneldoc', 'rstFlatTable', 'kernel_include']
kerneldoc_bin = '$SRC/scripts/kernel-doc'
kerneldoc_srctree = '$SRC'
project = 'connector'
master_doc = 'index'
highlight_language = 'none'
PY
sphinx-build -W --keep-going -q -b html "$work" "$work/html"
echo "Sphinx: connector.rst builds with no warning"

cd "$SRC"
files=$(cd "$TOP" && git ls-files drivers/connector include | grep -E '\.[ch]$')
out=$(scripts/kernel-doc -none -Wall $files 2>&1)
if [ -n "$out" ]; then
	echo "$out"
	exit 1
fi
echo "kernel-doc -Wall: nothing to say about $(echo $files | wc -w) files"
