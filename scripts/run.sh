#!/bin/bash
# The run command: build what is missing, boot, show the connector at work.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
# The kernel make test tests: base configuration and debug options.
"$TOP/scripts/build-kernel.sh" test "$SRC" "$TOP/configs/base.config" "$TOP/configs/debug.config"
"$TOP/scripts/build-guest.sh" test "$SRC"
mkdir -p "$BUILD/logs"
logf=$BUILD/logs/demo.log
set +e
"$TOP/scripts/boot.sh" test demo "$logf" 600
rc=$?
set -e
# Show the demo without the kernel's boot chatter.
sed -n '/^GUEST-START/,/^GUEST-DONE/p' "$logf" | tr -d '\r'
exit $rc
