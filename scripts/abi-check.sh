#!/bin/bash
# abi-check.sh: the uapi headers must lay out every structure exactly as
# stock 6.12 does, on 64 and on 32 bit, and the structures stock 6.12 does
# not have (callback notifications) must be the same on 64 and 32 bit and
# have their historic layout. Nothing is run: a probe is compiled to an
# object holding one 64-bit value per size, offset and constant, against
# the stock headers and against ours, and the objects' data are compared,
# so that it also works on a host that cannot run 32-bit programs.
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/stock/linux" "$work/ours/linux"
for h in connector.h cn_proc.h; do
	cp "$PRISTINE/include/uapi/linux/$h" "$work/stock/linux/"
	cp "$TOP/include/uapi/linux/$h" "$work/ours/linux/"
done

# One expression per line: the same list is compiled against both sides.
cat > "$work/common.list" <<'LIST'
sizeof(struct cb_id)
_Alignof(struct cb_id)
offsetof(struct cb_id, idx)
offsetof(struct cb_id, val)
sizeof(struct cn_msg)
_Alignof(struct cn_msg)
offsetof(struct cn_msg, id)
offsetof(struct cn_msg, seq)
offsetof(struct cn_msg, ack)
offsetof(struct cn_msg, len)
offsetof(struct cn_msg, flags)
offsetof(struct cn_msg, data)
CN_IDX_PROC
CN_VAL_PROC
CN_IDX_CIFS
CN_VAL_CIFS
CN_W1_IDX
CN_W1_VAL
CN_IDX_V86D
CN_VAL_V86D_UVESAFB
CN_IDX_BB
CN_DST_IDX
CN_DST_VAL
CN_IDX_DM
CN_VAL_DM_USERSPACE_LOG
CN_IDX_DRBD
CN_VAL_DRBD
CN_KVP_IDX
CN_KVP_VAL
CN_VSS_IDX
CN_VSS_VAL
CN_NETLINK_USERS
CONNECTOR_MAX_MSG_SIZE
PROC_CN_MCAST_LISTEN
PROC_CN_MCAST_IGNORE
PROC_EVENT_ALL
PROC_EVENT_NONE
PROC_EVENT_FORK
PROC_EVENT_EXEC
PROC_EVENT_UID
PROC_EVENT_GID
PROC_EVENT_SID
PROC_EVENT_PTRACE
PROC_EVENT_COMM
PROC_EVENT_NONZERO_EXIT
PROC_EVENT_COREDUMP
PROC_EVENT_EXIT
sizeof(enum proc_cn_mcast_op)
sizeof(enum proc_cn_event)
sizeof(struct proc_input)
offsetof(struct proc_input, mcast_op)
offsetof(struct proc_input, event_type)
sizeof(struct proc_event)
_Alignof(struct proc_event)
offsetof(struct proc_event, what)
offsetof(struct proc_event, cpu)
offsetof(struct proc_event, timestamp_ns)
offsetof(struct proc_event, event_data)
offsetof(struct proc_event, event_data.ack.err)
offsetof(struct proc_event, event_data.fork.parent_pid)
offsetof(struct proc_event, event_data.fork.parent_tgid)
offsetof(struct proc_event, event_data.fork.child_pid)
offsetof(struct proc_event, event_data.fork.child_tgid)
offsetof(struct proc_event, event_data.exec.process_pid)
offsetof(struct proc_event, event_data.exec.process_tgid)
offsetof(struct proc_event, event_data.id.process_pid)
offsetof(struct proc_event, event_data.id.process_tgid)
offsetof(struct proc_event, event_data.id.r.ruid)
offsetof(struct proc_event, event_data.id.r.rgid)
offsetof(struct proc_event, event_data.id.e.euid)
offsetof(struct proc_event, event_data.id.e.egid)
offsetof(struct proc_event, event_data.sid.process_pid)
offsetof(struct proc_event, event_data.sid.process_tgid)
offsetof(struct proc_event, event_data.ptrace.process_pid)
offsetof(struct proc_event, event_data.ptrace.process_tgid)
offsetof(struct proc_event, event_data.ptrace.tracer_pid)
offsetof(struct proc_event, event_data.ptrace.tracer_tgid)
offsetof(struct proc_event, event_data.comm.process_pid)
offsetof(struct proc_event, event_data.comm.process_tgid)
offsetof(struct proc_event, event_data.comm.comm)
sizeof(((struct proc_event *)0)->event_data.comm.comm)
offsetof(struct proc_event, event_data.coredump.process_pid)
offsetof(struct proc_event, event_data.coredump.process_tgid)
offsetof(struct proc_event, event_data.coredump.parent_pid)
offsetof(struct proc_event, event_data.coredump.parent_tgid)
offsetof(struct proc_event, event_data.exit.process_pid)
offsetof(struct proc_event, event_data.exit.process_tgid)
offsetof(struct proc_event, event_data.exit.exit_code)
offsetof(struct proc_event, event_data.exit.exit_signal)
offsetof(struct proc_event, event_data.exit.parent_pid)
offsetof(struct proc_event, event_data.exit.parent_tgid)
sizeof(struct fork_proc_event)
sizeof(struct exec_proc_event)
sizeof(struct id_proc_event)
sizeof(struct sid_proc_event)
sizeof(struct ptrace_proc_event)
sizeof(struct comm_proc_event)
sizeof(struct coredump_proc_event)
sizeof(struct exit_proc_event)
LIST

# Ours only: the callback notification messages, as older kernels defined
# the request (struct cn_notify_req, struct cn_ctl_msg), and the answer.
cat > "$work/notify.list" <<'LIST'
PROC_CN_MCAST_LISTEN_BATCH = 3
CN_IDX_CONNECTOR = 4294967295
CN_VAL_CONNECTOR = 4294967295
sizeof(struct cn_notify_req) = 8
offsetof(struct cn_notify_req, first) = 0
offsetof(struct cn_notify_req, range) = 4
sizeof(struct cn_ctl_msg) = 16
offsetof(struct cn_ctl_msg, idx_notify_num) = 0
offsetof(struct cn_ctl_msg, val_notify_num) = 4
offsetof(struct cn_ctl_msg, group) = 8
offsetof(struct cn_ctl_msg, len) = 12
offsetof(struct cn_ctl_msg, data) = 16
CN_NOTIFY_ACK = 0
CN_NOTIFY_ADDED = 1
CN_NOTIFY_REMOVED = 2
CN_NOTIFY_NAME_LEN = 32
sizeof(struct cn_notify_msg) = 48
offsetof(struct cn_notify_msg, type) = 0
offsetof(struct cn_notify_msg, err) = 4
offsetof(struct cn_notify_msg, id) = 8
offsetof(struct cn_notify_msg, name) = 16
LIST

# probe LIST SIDE BITS: the values of LIST's expressions, one per line.
probe() {
	local list=$1 side=$2 bits=$3
	local src=$work/probe-$side-$bits
	{
		echo '#include <stddef.h>'
		echo '#include <linux/connector.h>'
		echo '#include <linux/cn_proc.h>'
		echo 'const unsigned long long abi_values[] = {'
		sed 's/ = .*//; s/^\(.*\)$/\t(unsigned long long)(\1),/' "$list"
		echo '};'
	} > "$src.c"
	gcc -m"$bits" -std=gnu11 -Wall -Werror -I"$work/$side" -c -o "$src.o" "$src.c"
	objcopy -O binary --only-section=.rodata "$src.o" "$src.bin"
	python3 - "$src.bin" "$list" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
names = [l.split(' = ')[0] for l in open(sys.argv[2]).read().splitlines()]
values = struct.unpack('<%dQ' % len(names), data[:8 * len(names)])
for n, v in zip(names, values):
    print(n, '=', v & 0xffffffff if v >> 32 == 0xffffffff else v)
PY
}

status=0
for bits in 64 32; do
	probe "$work/common.list" stock $bits > "$work/stock-$bits.txt"
	probe "$work/common.list" ours $bits > "$work/ours-$bits.txt"
	if diff -u "$work/stock-$bits.txt" "$work/ours-$bits.txt"; then
		echo "uapi ABI ($bits-bit): $(wc -l < "$work/ours-$bits.txt") sizes, offsets and values identical to stock 6.12"
	else
		status=1
	fi
	probe "$work/notify.list" ours $bits > "$work/notify-$bits.txt"
	if diff -u "$work/notify.list" "$work/notify-$bits.txt"; then
		echo "notification messages ($bits-bit): $(wc -l < "$work/notify.list") sizes, offsets and values as specified"
	else
		status=1
	fi
done
exit $status
