/* SPDX-License-Identifier: LGPL-2.1 WITH Linux-syscall-note */
/*
 * Process events connector: the messages the kernel sends to listeners on
 * the CN_IDX_PROC group, and the control messages listeners send to
 * {CN_IDX_PROC, CN_VAL_PROC} to start, filter and stop them.
 *
 * See Documentation/driver-api/connector.rst.
 */
#ifndef _UAPICN_PROC_H
#define _UAPICN_PROC_H

#include <linux/types.h>

/*
 * Control operations: start or stop receiving events on this socket.
 * PROC_CN_MCAST_LISTEN_BATCH listens as PROC_CN_MCAST_LISTEN does, but has
 * the events delivered several to a datagram, each a complete netlink
 * message (read them with NLMSG_NEXT()), and numbers them per CPU in the
 * listener's own sequence, so that a gap in msg->seq means lost events.
 * Kernels before it answer EINVAL. See connector.rst for when a batch is
 * sent.
 */
enum proc_cn_mcast_op {
	PROC_CN_MCAST_LISTEN = 1,
	PROC_CN_MCAST_IGNORE = 2,
	PROC_CN_MCAST_LISTEN_BATCH = 3
};

/* Every event a listener can ask for. Keep in step with proc_cn_event. */
#define PROC_EVENT_ALL (PROC_EVENT_FORK | PROC_EVENT_EXEC | PROC_EVENT_UID |  \
			PROC_EVENT_GID | PROC_EVENT_SID | PROC_EVENT_PTRACE | \
			PROC_EVENT_COMM | PROC_EVENT_NONZERO_EXIT |           \
			PROC_EVENT_COREDUMP | PROC_EVENT_EXIT)

/*
 * Event types. Each is one bit, so that a set of them is a filter mask.
 * PROC_EVENT_NONE marks the acknowledgment of a control message.
 * PROC_EVENT_NONZERO_EXIT is a filter bit only: asked for without
 * PROC_EVENT_EXIT, it selects the exits whose exit_code is not zero.
 */
enum proc_cn_event {
	PROC_EVENT_NONE = 0x00000000,
	PROC_EVENT_FORK = 0x00000001,
	PROC_EVENT_EXEC = 0x00000002,
	PROC_EVENT_UID  = 0x00000004,
	PROC_EVENT_GID  = 0x00000040,
	PROC_EVENT_SID  = 0x00000080,
	PROC_EVENT_PTRACE = 0x00000100,
	PROC_EVENT_COMM = 0x00000200,
	PROC_EVENT_NONZERO_EXIT = 0x20000000,
	PROC_EVENT_COREDUMP = 0x40000000,
	PROC_EVENT_EXIT = 0x80000000
};

/*
 * Control message with a filter. A bare enum proc_cn_mcast_op (4 bytes)
 * is also accepted and means "all events".
 */
struct proc_input {
	enum proc_cn_mcast_op mcast_op;
	enum proc_cn_event event_type;
};

/* The part of a mask that names known events. */
static inline enum proc_cn_event valid_event(enum proc_cn_event ev_type)
{
	return (enum proc_cn_event)(ev_type & PROC_EVENT_ALL);
}

/*
 * One event. A *_pid field holds a thread id (the kernel's task pid), a
 * *_tgid field a process id (thread group id), both as the pid namespace
 * of the task that sent the listener's LISTEN numbers them (0 for a task
 * that namespace does not show); user and group ids are as its user
 * namespace maps them. For a listener in the initial namespaces, that is
 * what they always were.
 */
struct proc_event {
	enum proc_cn_event what;	/* one event type, or NONE for an ack */
	__u32 cpu;			/* CPU that reported the event */
	__aligned_u64 timestamp_ns;	/* nanoseconds since boot */
	union {	/* keep last: the message ends with the largest member */
		struct {
			__u32 err;	/* 0 or a positive errno */
		} ack;

		struct fork_proc_event {
			__kernel_pid_t parent_pid;
			__kernel_pid_t parent_tgid;
			__kernel_pid_t child_pid;
			__kernel_pid_t child_tgid;
		} fork;

		struct exec_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
		} exec;

		struct id_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
			union {
				__u32 ruid;	/* PROC_EVENT_UID */
				__u32 rgid;	/* PROC_EVENT_GID */
			} r;
			union {
				__u32 euid;
				__u32 egid;
			} e;
		} id;

		struct sid_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
		} sid;

		struct ptrace_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
			__kernel_pid_t tracer_pid;	/* 0 on detach */
			__kernel_pid_t tracer_tgid;
		} ptrace;

		struct comm_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
			char           comm[16];
		} comm;

		struct coredump_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
			__kernel_pid_t parent_pid;
			__kernel_pid_t parent_tgid;
		} coredump;

		struct exit_proc_event {
			__kernel_pid_t process_pid;
			__kernel_pid_t process_tgid;
			__u32 exit_code, exit_signal;
			__kernel_pid_t parent_pid;
			__kernel_pid_t parent_tgid;
		} exit;

	} event_data;
};

#endif /* _UAPICN_PROC_H */
