#!/bin/bash
# our-cn-test-for.sh NAME: build our cn_test sample out of tree against the
# kernel in build/obj-NAME (a stock kernel) and install it there in place
# of the stock sample, so that tests and benchmarks run the same callback
# on both kernels.
. "$(dirname "$0")/lib.sh"
obj=$BUILD/obj-$1
mod=$obj/our-cn_test
rm -rf "$mod" && mkdir -p "$mod"
cp "$TOP/samples/connector/cn_test.c" "$mod/"
echo 'obj-m += cn_test.o' > "$mod/Kbuild"
make -s -C "$obj" M="$mod" CC="ccache gcc" modules
kver=$(cat "$obj/include/config/kernel.release")
cp "$mod/cn_test.ko" "$obj/modroot/lib/modules/$kver/kernel/samples/connector/cn_test.ko"
