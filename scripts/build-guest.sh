#!/bin/bash
# build-guest.sh NAME TREE [KIND]
# Make build/obj-NAME/initramfs.cpio.gz (OBJ and INITRD override the
# paths): busybox, our guest scripts, the kernel's modules and, by KIND:
#   full  (default) the connector selftests (built and installed the
#         kselftest way), 32-bit builds of ucon and of two tests, ucon,
#         the stock 6.12 ucon, cn_test and proc_filter built against our
#         headers, forkstat, and the helpers of the test script;
#   step  what a step of the series has: that tree's samples and its
#         stock selftest program, if it has them;
#   bench the benchmark workloads only.
. "$(dirname "$0")/lib.sh"

name=$1 tree=$2 kind=${3:-full}
obj=${OBJ:-$BUILD/obj-$name}
initrd=${INITRD:-$obj/initramfs.cpio.gz}
root=$obj/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,root,lib,lib64,etc,guest}
kver=$(cat "$obj/include/config/kernel.release")
cflags="-O2 -Wall -Werror -isystem $obj/usr/include"

cp /bin/busybox "$root/bin/busybox"
cp "$TOP"/guest/*.sh "$TOP/guest/init" "$root/guest/"
mv "$root/guest/init" "$root/init"
chmod +x "$root/init" "$root"/guest/*.sh
echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/false" >> "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
cp -a "$obj/modroot/lib/modules" "$root/lib/"

case $kind in
bench)
	gcc $cflags -o "$root/usr/bin/cnbench" "$TOP/guest/cnbench.c"
	;;
step)
	cp "$obj/.config" "$root/guest/kconfig"
	# The tree's own sample programs and selftest, whichever it has.
	[ -x "$obj/samples/connector/ucon" ] && cp "$obj/samples/connector/ucon" "$root/usr/bin/ucon"
	if [ -f "$tree/tools/testing/selftests/connector/proc_filter.c" ]; then
		gcc $cflags -o "$root/usr/bin/proc_filter" \
			"$tree/tools/testing/selftests/connector/proc_filter.c"
	fi
	;;
full)
	cp "$obj/samples/connector/ucon" "$root/usr/bin/ucon"
	gcc $cflags -o "$root/usr/bin/w1_list_masters" "$TOP/guest/w1_list_masters.c"
	gcc $cflags -o "$root/usr/bin/cn_unload_check" "$TOP/guest/cn_unload_check.c"

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

	# 32-bit builds of ucon and of two tests: the same messages, read by
	# a 32-bit program through IA32 emulation.
	# (The kselftest harness casts pointers to intmax_t in its asserts.)
	st=$tree/tools/testing/selftests
	m32="-m32 -static $cflags -Wno-pointer-to-int-cast -I$st -I$st/connector"
	gcc $m32 -o "$root/usr/bin/ucon_m32" "$tree/samples/connector/ucon.c"
	for t in proc_events_test cn_notify_test; do
		gcc $m32 -o "$root/usr/bin/${t}_m32" "$st/connector/$t.c"
	done

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
	gcc -O2 -Wall -I"$compat/stock-uapi" -isystem "$obj/usr/include" -I"$st" \
		-o "$compat/proc_events_test_stock_uapi" \
		"$tree/tools/testing/selftests/connector/proc_events_test.c"
	cp "$compat/stock-proc_filter" "$compat/proc_events_test_stock_uapi" \
		"$compat/stock-ucon" "$root/usr/bin/"
	mkdir -p "$root/lib/modules/$kver/extra"
	cp "$compat/stock_cn_test.ko" "$root/lib/modules/$kver/extra/"
	# forkstat, Debian's process monitor.
	cp "$(command -v forkstat)" "$root/usr/bin/"
	;;
*)
	die "unknown guest kind $kind"
	;;
esac
# The kselftest runner and the demo need coreutils timeout (--foreground).
cp /usr/bin/timeout "$root/usr/bin/timeout"

# Shared libraries of every dynamic program in the image.
for exe in "$root"/usr/bin/* $(find "$root/kselftest" -type f -perm -u+x 2>/dev/null); do
	libs=$(ldd "$exe" 2>/dev/null | grep -o '/[^ ]*' || true)
	for lib in $libs; do
		mkdir -p "$root$(dirname "$lib")"
		cp -nL "$lib" "$root$lib"
	done
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd"
log "initramfs ready: $initrd"
