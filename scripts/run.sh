#!/bin/bash
# The run command: build what is missing, boot, show the connector at work.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
"$TOP/scripts/build-kernel.sh" base "$SRC" "$TOP/configs/base.config"
"$TOP/scripts/build-guest.sh" base "$SRC"
mkdir -p "$BUILD/logs"
logf=$BUILD/logs/demo.log
set +e
"$TOP/scripts/boot.sh" base demo "$logf" 300
rc=$?
set -e
# Show the demo without the kernel's boot chatter.
sed -n '/^GUEST-START/,/^GUEST-DONE/p' "$logf" | tr -d '\r'
exit $rc
