#!/bin/bash
# boot.sh NAME MODE LOG [TIMEOUT]
# Boot build/obj-NAME under QEMU (TCG, two vCPUs) with the guest init in
# MODE (demo, test, bench, shell). The kernel's console goes to LOG; the
# guest writes its test results to a second serial port, which goes to
# LOG with .log replaced by .results. Fails when the guest does not
# finish in TIMEOUT seconds, does not report that it finished, or when the
# kernel log holds a splat.
. "$(dirname "$0")/lib.sh"

name=$1 mode=$2 logf=$3 limit=${4:-600}
obj=${OBJ:-$BUILD/obj-$name}
kernel=$obj/arch/x86/boot/bzImage
initrd=${INITRD:-$obj/initramfs.cpio.gz}
results=${logf%.log}.results
[ -f "$kernel" ] && [ -f "$initrd" ] || die "$name: kernel or initramfs missing"

append="console=ttyS0 panic=-1 cn.mode=$mode ${GUEST_APPEND:-}"
# qboot builds an MP table that lists every vCPU (SeaBIOS under TCG may
# count only the boot CPU), so the guest has two CPUs without ACPI.
# No 5-level paging (la57): with it, 6.12 under KASAN reports a false
# "wild-memory-access" when an interrupt comes while identify_cpu() has
# cleared the CPU's feature bits (LA57 among them) and not yet read them
# again; KASAN then takes a direct-map address for one without shadow.
# It is a bug of the base kernel, seen in about one boot in twelve on a
# loaded host, and nothing of ours.
qemu=(qemu-system-x86_64 -accel tcg -cpu max,la57=off -smp "${GUEST_SMP:-2}" -m "${GUEST_MEM:-1024}"
      -bios qboot.rom -kernel "$kernel" -initrd "$initrd" -append "$append"
      -no-reboot -display none -vga none -nodefaults ${QEMU_EXTRA:-})

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

rm -f "$logf" "$results"
log "booting $name ($mode), console in $logf, results in $results, limit ${limit}s"
set +e
timeout --kill-after=10 "$limit" "${qemu[@]}" -monitor none \
	-chardev "file,id=console,path=$logf" -serial chardev:console \
	-chardev "file,id=results,path=$results" -serial chardev:results </dev/null
rc=$?
set -e
if [ $rc = 124 ] || [ $rc = 137 ]; then
	tail -n 40 "$logf" >&2
	die "$name: the guest did not finish within ${limit}s (hung?)"
fi
[ $rc = 0 ] || die "$name: qemu failed with status $rc"
exec "$TOP/scripts/check-log.sh" "$logf"
