#!/bin/bash
# against-stock.sh: run our test suite on the stock 6.12 kernel built from
# the same base config, with our cn_test sample module built for it. Not
# part of the test command: stock 6.12 is expected to fail the tests that
# check the bugs we fixed, and this shows that those tests can fail.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
"$TOP/scripts/build-kernel.sh" stock "$PRISTINE" "$TOP/configs/base.config"
obj=$BUILD/obj-stock

# Our cn_test, built out of tree against the stock kernel, in place of the
# stock sample (the tests need its echo and its module parameters).
mod=$obj/our-cn_test
rm -rf "$mod" && mkdir -p "$mod"
cp "$TOP/samples/connector/cn_test.c" "$mod/"
echo 'obj-m += cn_test.o' > "$mod/Kbuild"
make -s -C "$obj" M="$mod" CC="ccache gcc" modules
kver=$(cat "$obj/include/config/kernel.release")
cp "$mod/cn_test.ko" "$obj/modroot/lib/modules/$kver/kernel/samples/connector/cn_test.ko"

# The selftests use our uapi additions: build them against our headers.
"$TOP/scripts/build-kernel.sh" base "$SRC" "$TOP/configs/base.config"
SELFTEST_HEADERS=$BUILD/obj-base/usr/include "$TOP/scripts/build-guest.sh" stock "$SRC"
mkdir -p "$BUILD/logs"
logf=$BUILD/logs/guest-stock.log
"$TOP/scripts/boot.sh" stock test "$logf" 1500 || true
"$TOP/scripts/summarize.sh" "$logf" || true
