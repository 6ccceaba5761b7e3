#!/bin/bash
# build-guest.sh NAME TREE
# Make build/obj-NAME/initramfs.cpio.gz: busybox, our guest scripts, the
# kernel's modules, the connector selftests, ucon, the stock ucon and
# cn_test built from the pristine tree against our headers, and forkstat.
. "$(dirname "$0")/lib.sh"

name=$1 tree=$2
obj=$BUILD/obj-$name
root=$obj/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,lib,lib64,etc,guest}
kver=$(cat "$obj/include/config/kernel.release")

cp /bin/busybox "$root/bin/busybox"
cp "$TOP"/guest/* "$root/guest/"
mv "$root/guest/init" "$root/init"
chmod +x "$root/init" "$root"/guest/*.sh
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >> "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
cp -a "$obj/modroot/lib/modules" "$root/lib/"

# Our userspace sample, built by kbuild against our uapi headers.
cp "$obj/samples/connector/ucon" "$root/usr/bin/ucon"

# The benchmark workloads.
gcc -O2 -Wall -isystem "$obj/usr/include" -o "$root/usr/bin/cnbench" "$TOP/guest/cnbench.c"
rm -f "$root/guest/cnbench.c"

# The w1 exchange, for the kernel with the in-tree users.
gcc -O2 -Wall -isystem "$obj/usr/include" -o "$root/usr/bin/w1_list_masters" \
	"$TOP/guest/w1_list_masters.c"
rm -f "$root/guest/w1_list_masters.c"

# The selftests, built and installed the kselftest way; against our uapi
# headers even for a stock kernel (SELFTEST_HEADERS), as they use ours.
if [ -z "${NO_SELFTESTS:-}" ]; then
log "building selftests"
ks=$obj/kselftest
rm -rf "$ks"
make -s -C "$tree/tools/testing/selftests" TARGETS=connector \
	O="$obj" KHDR_INCLUDES="-isystem ${SELFTEST_HEADERS:-$obj/usr/include}" \
	INSTALL_PATH="$root/kselftest" install >"$obj/kselftest-build.log" 2>&1 ||
	{ cat "$obj/kselftest-build.log"; die "selftests do not build"; }
if grep -q 'warning:' "$obj/kselftest-build.log"; then
	cat "$obj/kselftest-build.log"
	die "the selftests build with warnings"
fi

# Compatibility witnesses from the pristine tree, built against our
# headers: the stock ucon program and the stock cn_test module.
log "building stock samples against our headers"
compat=$obj/compat
rm -rf "$compat" && mkdir -p "$compat"
gcc -O2 -Wall -isystem "$obj/usr/include" -o "$compat/stock-ucon" \
	"$PRISTINE/samples/connector/ucon.c"
cp "$PRISTINE/samples/connector/cn_test.c" "$compat/"
printf 'obj-m += stock_cn_test.o\nstock_cn_test-y := cn_test.o\n' > "$compat/Kbuild"
make -s -C "$obj" M="$compat" CC="ccache gcc" modules >"$compat/build.log" 2>&1 ||
	{ cat "$compat/build.log"; die "stock cn_test does not build against our headers"; }
# The stock proc_filter selftest, and our process-event test compiled
# against the stock uapi headers instead of ours.
mkdir -p "$compat/stock-uapi/linux"
cp "$PRISTINE/include/uapi/linux/connector.h" "$PRISTINE/include/uapi/linux/cn_proc.h" \
	"$compat/stock-uapi/linux/"
gcc -O2 -Wall -I"$compat/stock-uapi" -isystem "$obj/usr/include" \
	-o "$compat/stock-proc_filter" \
	"$PRISTINE/tools/testing/selftests/connector/proc_filter.c"
gcc -O2 -Wall -I"$compat/stock-uapi" -isystem "$obj/usr/include" \
	-o "$compat/proc_events_test_stock_uapi" \
	"$tree/tools/testing/selftests/connector/proc_events_test.c"
cp "$compat/stock-proc_filter" "$compat/proc_events_test_stock_uapi" "$root/usr/bin/"
cp "$compat/stock-ucon" "$root/usr/bin/"
mkdir -p "$root/lib/modules/$kver/extra"
cp "$compat/stock_cn_test.ko" "$root/lib/modules/$kver/extra/"

fi

# forkstat, Debian's process monitor, with the shared libraries it needs.
cp "$(command -v forkstat)" "$root/usr/bin/"
# The kselftest runner needs coreutils timeout (--foreground).
cp /usr/bin/timeout "$root/usr/bin/timeout"

# Shared libraries of every dynamic program in the image.
for exe in "$root"/usr/bin/* $(find "$root/kselftest" -type f -perm -u+x 2>/dev/null); do
	libs=$(ldd "$exe" 2>/dev/null | grep -o '/[^ ]*' || true)
	for lib in $libs; do
		mkdir -p "$root$(dirname "$lib")"
		cp -nL "$lib" "$root$lib"
	done
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$obj/initramfs.cpio.gz"
log "initramfs ready: $obj/initramfs.cpio.gz"
