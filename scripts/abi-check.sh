#!/bin/bash
# abi-check.sh: the uapi headers must lay out every structure exactly as
# stock 6.12 does. One program prints the size and offset of every member
# and the value of every constant; it is built against the stock headers
# and against ours, and the two outputs must be identical.
. "$(dirname "$0")/lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/stock/linux" "$work/ours/linux"
for h in connector.h cn_proc.h; do
	cp "$PRISTINE/include/uapi/linux/$h" "$work/stock/linux/"
	cp "$TOP/include/uapi/linux/$h" "$work/ours/linux/"
done
cat > "$work/abi.c" <<'C'
#include <stddef.h>
#include <stdio.h>
#include <linux/connector.h>
#include <linux/cn_proc.h>
#define S(t) printf("sizeof %s %zu align %zu\n", #t, sizeof(t), _Alignof(t))
#define O(t, m) printf("%s.%s %zu %zu\n", #t, #m, offsetof(t, m), sizeof(((t *)0)->m))
#define V(c) printf("%s %lld\n", #c, (long long)(c))
int main(void)
{
	S(struct cb_id); O(struct cb_id, idx); O(struct cb_id, val);
	S(struct cn_msg); O(struct cn_msg, id); O(struct cn_msg, seq);
	O(struct cn_msg, ack); O(struct cn_msg, len); O(struct cn_msg, flags);
	printf("struct cn_msg.data %zu\n", offsetof(struct cn_msg, data));
	V(CN_IDX_PROC); V(CN_VAL_PROC); V(CN_IDX_CIFS); V(CN_VAL_CIFS);
	V(CN_W1_IDX); V(CN_W1_VAL); V(CN_IDX_V86D); V(CN_VAL_V86D_UVESAFB);
	V(CN_IDX_BB); V(CN_DST_IDX); V(CN_DST_VAL); V(CN_IDX_DM);
	V(CN_VAL_DM_USERSPACE_LOG); V(CN_IDX_DRBD); V(CN_VAL_DRBD);
	V(CN_KVP_IDX); V(CN_KVP_VAL); V(CN_VSS_IDX); V(CN_VSS_VAL);
	V(CN_NETLINK_USERS); V(CONNECTOR_MAX_MSG_SIZE);
	V(PROC_CN_MCAST_LISTEN); V(PROC_CN_MCAST_IGNORE); V(PROC_EVENT_ALL);
	V(PROC_EVENT_NONE); V(PROC_EVENT_FORK); V(PROC_EVENT_EXEC);
	V(PROC_EVENT_UID); V(PROC_EVENT_GID); V(PROC_EVENT_SID);
	V(PROC_EVENT_PTRACE); V(PROC_EVENT_COMM); V(PROC_EVENT_NONZERO_EXIT);
	V(PROC_EVENT_COREDUMP); V(PROC_EVENT_EXIT);
	V(valid_event(0xffffffff));
	S(enum proc_cn_mcast_op); S(enum proc_cn_event);
	S(struct proc_input); O(struct proc_input, mcast_op);
	O(struct proc_input, event_type);
	S(struct proc_event); O(struct proc_event, what); O(struct proc_event, cpu);
	O(struct proc_event, timestamp_ns); O(struct proc_event, event_data);
	O(struct proc_event, event_data.ack.err);
	O(struct proc_event, event_data.fork.parent_pid);
	O(struct proc_event, event_data.fork.parent_tgid);
	O(struct proc_event, event_data.fork.child_pid);
	O(struct proc_event, event_data.fork.child_tgid);
	O(struct proc_event, event_data.exec.process_pid);
	O(struct proc_event, event_data.exec.process_tgid);
	O(struct proc_event, event_data.id.process_pid);
	O(struct proc_event, event_data.id.process_tgid);
	O(struct proc_event, event_data.id.r.ruid);
	O(struct proc_event, event_data.id.r.rgid);
	O(struct proc_event, event_data.id.e.euid);
	O(struct proc_event, event_data.id.e.egid);
	O(struct proc_event, event_data.sid.process_pid);
	O(struct proc_event, event_data.sid.process_tgid);
	O(struct proc_event, event_data.ptrace.process_pid);
	O(struct proc_event, event_data.ptrace.process_tgid);
	O(struct proc_event, event_data.ptrace.tracer_pid);
	O(struct proc_event, event_data.ptrace.tracer_tgid);
	O(struct proc_event, event_data.comm.process_pid);
	O(struct proc_event, event_data.comm.process_tgid);
	O(struct proc_event, event_data.comm.comm);
	O(struct proc_event, event_data.coredump.process_pid);
	O(struct proc_event, event_data.coredump.process_tgid);
	O(struct proc_event, event_data.coredump.parent_pid);
	O(struct proc_event, event_data.coredump.parent_tgid);
	O(struct proc_event, event_data.exit.process_pid);
	O(struct proc_event, event_data.exit.process_tgid);
	O(struct proc_event, event_data.exit.exit_code);
	O(struct proc_event, event_data.exit.exit_signal);
	O(struct proc_event, event_data.exit.parent_pid);
	O(struct proc_event, event_data.exit.parent_tgid);
	S(struct fork_proc_event); S(struct exec_proc_event); S(struct id_proc_event);
	S(struct sid_proc_event); S(struct ptrace_proc_event); S(struct comm_proc_event);
	S(struct coredump_proc_event); S(struct exit_proc_event);
	return 0;
}
C
status=0
for m in 64 32; do
	for side in stock ours; do
		gcc -m$m -Wall -Werror -I"$work/$side" -o "$work/abi-$side" "$work/abi.c"
		"$work/abi-$side" > "$work/$side-$m.txt"
	done
	if diff -u "$work/stock-$m.txt" "$work/ours-$m.txt"; then
		echo "uapi ABI ($m-bit): $(wc -l < "$work/ours-$m.txt") sizes, offsets and values identical to stock 6.12"
	else
		status=1
	fi
done
exit $status
