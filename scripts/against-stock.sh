#!/bin/bash
# against-stock.sh: run our test suite on the stock 6.12 kernel built from
# the same base config, with our cn_test sample module built for it. Not
# part of the test command: stock 6.12 is expected to fail the tests that
# check the bugs we fixed, and this shows that those tests can fail.
. "$(dirname "$0")/lib.sh"
"$TOP/scripts/deps.sh"
"$TOP/scripts/prepare-tree.sh"
# The bench fragment leaves out what only our tree has (the KUnit suite).
"$TOP/scripts/build-kernel.sh" bench-stock "$PRISTINE" "$TOP/configs/base.config" "$TOP/configs/bench.config"

# Our cn_test, built out of tree against the stock kernel, in place of the
# stock sample (the tests need its echo and its module parameters).
"$TOP/scripts/our-cn-test-for.sh" bench-stock

# The selftests use our uapi additions: build them against our headers.
"$TOP/scripts/build-kernel.sh" base "$SRC" "$TOP/configs/base.config"
SELFTEST_HEADERS=$BUILD/obj-base/usr/include "$TOP/scripts/build-guest.sh" bench-stock "$SRC"
mkdir -p "$BUILD/logs"
logf=$BUILD/logs/guest-stock.log
"$TOP/scripts/boot.sh" bench-stock test "$logf" 1500 || true
"$TOP/scripts/summarize.sh" "$logf" || true
