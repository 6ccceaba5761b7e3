// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Process events connector: reports fork, exec, id changes, session
 * changes, ptrace, comm changes, core dumps and exits to the sockets that
 * asked for them on the CN_IDX_PROC group.
 *
 * Listener state lives with the socket (in sk_user_data) and goes when the
 * socket closes, whether or not the socket said IGNORE first. What the
 * listeners want in total is kept as one mask, so that the hooks on the
 * fork and exit paths can return at once when nobody wants their event;
 * with no listener at all they are one static branch.
 */

#include <linux/cred.h>
#include <linux/cn_proc.h>
#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/ktime.h>
#include <linux/local_lock.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/seq_file.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include <kunit/visibility.h>

#include "cn_internal.h"

static const struct cb_id cn_proc_id = { CN_IDX_PROC, CN_VAL_PROC };

/**
 * struct cn_proc_listener - process-event state of one socket
 * @mask: the events this socket asked for (never 0)
 * @rcu: frees the state after the broadcast filters that may read it
 *
 * Owned by the socket through sk_user_data: set on LISTEN, cleared on
 * IGNORE and when the socket closes. Changes hold cn_proc_lock; the
 * broadcast filter reads it under RCU.
 */
struct cn_proc_listener {
	u32 mask;
	struct rcu_head rcu;
};

/*
 * cn_proc_lock serialises listener changes and guards the counters below.
 * cn_proc_bit_users[b] counts the listeners whose mask has bit b;
 * cn_proc_interest has bit b set while that count is not zero, and is read
 * locklessly by the hooks. cn_proc_active is on while any socket listens.
 */
static DEFINE_MUTEX(cn_proc_lock);
static unsigned int cn_proc_listeners;
static unsigned int cn_proc_bit_users[32];
static u32 cn_proc_interest;
static DEFINE_STATIC_KEY_FALSE(cn_proc_active);

/*
 * Per CPU, the sequence number of the next event and the lock that keeps
 * numbering and delivery in the same order, so that a listener can detect
 * a lost event as a gap in one CPU's sequence.
 */
struct cn_proc_cpu {
	local_lock_t lock;
	u32 seq;
};

static DEFINE_PER_CPU(struct cn_proc_cpu, cn_proc_cpu) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/* What the broadcast filter needs to know about the event in flight. */
struct cn_proc_match {
	u32 what;
	u32 exit_code;
};

/* Does a listener with @mask want event @what with @exit_code? */
VISIBLE_IF_KUNIT bool cn_proc_mask_wants(u32 mask, u32 what, u32 exit_code)
{
	if (what == PROC_EVENT_EXIT && exit_code &&
	    (mask & PROC_EVENT_NONZERO_EXIT))
		return true;
	return mask & what;
}
EXPORT_SYMBOL_IF_KUNIT(cn_proc_mask_wants);

/* The events some listener wants now. */
VISIBLE_IF_KUNIT u32 cn_proc_interest_mask(void)
{
	return READ_ONCE(cn_proc_interest);
}
EXPORT_SYMBOL_IF_KUNIT(cn_proc_interest_mask);

static bool cn_proc_wanted(u32 what, u32 exit_code)
{
	if (!static_branch_unlikely(&cn_proc_active))
		return false;
	return cn_proc_mask_wants(cn_proc_interest_mask(), what, exit_code);
}

/* Broadcast filter: non-zero keeps the event from socket @dsk. */
static int cn_proc_filter(struct sock *dsk, struct sk_buff *skb, void *data)
{
	const struct cn_proc_match *match = data;
	struct cn_proc_listener *listener;
	bool wants;

	rcu_read_lock();
	listener = rcu_dereference_sk_user_data(dsk);
	wants = listener && cn_proc_mask_wants(listener->mask, match->what,
					       match->exit_code);
	rcu_read_unlock();
	return !wants;
}

static void cn_proc_broadcast(struct proc_event *ev)
{
	struct cn_proc_match match = { .what = ev->what };
	struct cn_msg hdr = {
		.id = cn_proc_id,
		.len = sizeof(*ev),
	};

	if (ev->what == PROC_EVENT_EXIT)
		match.exit_code = ev->event_data.exit.exit_code;

	local_lock(&cn_proc_cpu.lock);
	hdr.seq = __this_cpu_inc_return(cn_proc_cpu.seq) - 1;
	ev->cpu = smp_processor_id();
	cn_send(cn_init_dev(), &hdr, ev, sizeof(*ev), 0, CN_IDX_PROC,
		GFP_NOWAIT, cn_proc_filter, &match);
	local_unlock(&cn_proc_cpu.lock);
}

static void cn_proc_parent(struct task_struct *task, __kernel_pid_t *pid,
			   __kernel_pid_t *tgid)
{
	struct task_struct *parent;

	rcu_read_lock();
	if (pid_alive(task)) {
		parent = rcu_dereference(task->real_parent);
		*pid = parent->pid;
		*tgid = parent->tgid;
	}
	rcu_read_unlock();
}

static void cn_proc_fill_ids(struct id_proc_event *id, u32 what,
			     struct task_struct *task)
{
	const struct cred *cred;

	rcu_read_lock();
	cred = __task_cred(task);
	if (what == PROC_EVENT_UID) {
		id->r.ruid = from_kuid_munged(&init_user_ns, cred->uid);
		id->e.euid = from_kuid_munged(&init_user_ns, cred->euid);
	} else {
		id->r.rgid = from_kgid_munged(&init_user_ns, cred->gid);
		id->e.egid = from_kgid_munged(&init_user_ns, cred->egid);
	}
	rcu_read_unlock();
}

/**
 * cn_proc_fill() - build an event about a task
 * @ev: the event; every byte of it is written
 * @what: the event type
 * @task: the task the event is about
 * @tracing: for %PROC_EVENT_PTRACE, true on attach (the tracer is
 *	current) and false on detach
 *
 * Every event but fork starts with the task's pid and tgid; the rest is
 * per type.
 */
VISIBLE_IF_KUNIT void cn_proc_fill(struct proc_event *ev, u32 what,
				   struct task_struct *task, bool tracing)
{
	/* Whole struct: no padding byte may carry stale stack to userspace. */
	memset(ev, 0, sizeof(*ev));
	ev->what = what;
	ev->timestamp_ns = ktime_get_ns();

	if (what == PROC_EVENT_FORK) {
		cn_proc_parent(task, &ev->event_data.fork.parent_pid,
			       &ev->event_data.fork.parent_tgid);
		ev->event_data.fork.child_pid = task->pid;
		ev->event_data.fork.child_tgid = task->tgid;
		return;
	}
	/* The common initial sequence of every other member of the union. */
	ev->event_data.exec.process_pid = task->pid;
	ev->event_data.exec.process_tgid = task->tgid;

	switch (what) {
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		cn_proc_fill_ids(&ev->event_data.id, what, task);
		break;
	case PROC_EVENT_PTRACE:
		if (tracing) {
			ev->event_data.ptrace.tracer_pid = current->pid;
			ev->event_data.ptrace.tracer_tgid = current->tgid;
		}
		break;
	case PROC_EVENT_COMM:
		get_task_comm(ev->event_data.comm.comm, task);
		break;
	case PROC_EVENT_COREDUMP:
		cn_proc_parent(task, &ev->event_data.coredump.parent_pid,
			       &ev->event_data.coredump.parent_tgid);
		break;
	case PROC_EVENT_EXIT:
		ev->event_data.exit.exit_code = task->exit_code;
		ev->event_data.exit.exit_signal = task->exit_signal;
		cn_proc_parent(task, &ev->event_data.exit.parent_pid,
			       &ev->event_data.exit.parent_tgid);
		break;
	}
}
EXPORT_SYMBOL_IF_KUNIT(cn_proc_fill);

static void cn_proc_report(u32 what, struct task_struct *task, bool tracing)
{
	struct proc_event ev;

	cn_proc_fill(&ev, what, task, tracing);
	cn_proc_broadcast(&ev);
}

void proc_fork_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_FORK, 0))
		cn_proc_report(PROC_EVENT_FORK, task, false);
}

void proc_exec_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_EXEC, 0))
		cn_proc_report(PROC_EVENT_EXEC, task, false);
}

void proc_id_connector(struct task_struct *task, int which_id)
{
	if (which_id != PROC_EVENT_UID && which_id != PROC_EVENT_GID)
		return;
	if (cn_proc_wanted(which_id, 0))
		cn_proc_report(which_id, task, false);
}

void proc_sid_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_SID, 0))
		cn_proc_report(PROC_EVENT_SID, task, false);
}

void proc_ptrace_connector(struct task_struct *task, int which_id)
{
	if (which_id != PTRACE_ATTACH && which_id != PTRACE_DETACH)
		return;
	if (cn_proc_wanted(PROC_EVENT_PTRACE, 0))
		cn_proc_report(PROC_EVENT_PTRACE, task,
			       which_id == PTRACE_ATTACH);
}

void proc_comm_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_COMM, 0))
		cn_proc_report(PROC_EVENT_COMM, task, false);
}

void proc_coredump_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_COREDUMP, 0))
		cn_proc_report(PROC_EVENT_COREDUMP, task, false);
}

void proc_exit_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_EXIT, task->exit_code))
		cn_proc_report(PROC_EVENT_EXIT, task, false);
}

/*
 * Account a listener's mask in (@delta 1) or out (@delta -1) of the
 * aggregate. Caller holds cn_proc_lock.
 */
static void cn_proc_account(u32 mask, int delta)
{
	u32 interest = 0;
	int bit;

	lockdep_assert_held(&cn_proc_lock);
	for (bit = 0; bit < 32; bit++) {
		if (mask & BIT(bit))
			cn_proc_bit_users[bit] += delta;
		if (cn_proc_bit_users[bit])
			interest |= BIT(bit);
	}
	WRITE_ONCE(cn_proc_interest, interest);

	if (delta > 0 && cn_proc_listeners++ == 0)
		static_branch_enable(&cn_proc_active);
	else if (delta < 0 && --cn_proc_listeners == 0)
		static_branch_disable(&cn_proc_active);
}

/* Caller holds cn_proc_lock, which is what keeps sk_user_data stable. */
static struct cn_proc_listener *cn_proc_listener_of(struct sock *sk)
{
	struct cn_proc_listener *listener;

	lockdep_assert_held(&cn_proc_lock);
	rcu_read_lock();
	listener = rcu_dereference_sk_user_data(sk);
	rcu_read_unlock();
	return listener;
}

static int cn_proc_listen(struct sock *sk, u32 mask)
{
	struct cn_proc_listener *listener;

	lockdep_assert_held(&cn_proc_lock);
	listener = cn_proc_listener_of(sk);
	if (listener) {
		/* A new filter replaces the old one. */
		cn_proc_account(listener->mask, -1);
		WRITE_ONCE(listener->mask, mask);
		cn_proc_account(mask, 1);
		return 0;
	}

	listener = kzalloc(sizeof(*listener), GFP_KERNEL);
	if (!listener)
		return -ENOMEM;
	listener->mask = mask;
	rcu_assign_sk_user_data(sk, listener);
	cn_proc_account(mask, 1);
	return 0;
}

static void cn_proc_forget(struct sock *sk)
{
	struct cn_proc_listener *listener;

	lockdep_assert_held(&cn_proc_lock);
	listener = cn_proc_listener_of(sk);
	if (!listener)
		return;
	rcu_assign_sk_user_data(sk, NULL);
	cn_proc_account(listener->mask, -1);
	kfree_rcu(listener, rcu);
}

/**
 * cn_proc_release() - drop the process-event state of a closing socket
 * @sk: a NETLINK_CONNECTOR socket being released
 *
 * Context: process context; sleeps.
 */
void cn_proc_release(struct sock *sk)
{
	mutex_lock(&cn_proc_lock);
	cn_proc_forget(sk);
	mutex_unlock(&cn_proc_lock);
}

/*
 * Answer a control message: to the sender alone, with the request's seq
 * and its ack plus one, so the sender can match the answer to its request.
 */
static void cn_proc_ack(const struct cn_msg *req, u32 portid, int err)
{
	struct proc_event ev;
	struct cn_msg hdr = {
		.id = cn_proc_id,
		.seq = req->seq,
		.ack = req->ack + 1,
		.len = sizeof(ev),
	};

	memset(&ev, 0, sizeof(ev));
	ev.timestamp_ns = ktime_get_ns();
	ev.cpu = raw_smp_processor_id();
	/* The acknowledgment carries a positive errno. */
	ev.event_data.ack.err = -err;
	cn_send(cn_init_dev(), &hdr, &ev, sizeof(ev), portid, 0, GFP_KERNEL,
		NULL, NULL);
}

/* Returns 0 or a negative errno. */
static int cn_proc_control(const struct cn_msg *msg, struct sock *sk)
{
	struct proc_input input;
	int err = 0;

	/* Ids and pids are reported as the initial namespaces see them. */
	if (current_user_ns() != &init_user_ns ||
	    !task_is_in_init_pid_ns(current))
		return -EPERM;

	if (msg->len == sizeof(input)) {
		memcpy(&input, msg->data, sizeof(input));
	} else if (msg->len == sizeof(input.mcast_op)) {
		memcpy(&input.mcast_op, msg->data, sizeof(input.mcast_op));
		input.event_type = PROC_EVENT_ALL;
	} else {
		return -EINVAL;
	}

	if ((u32)input.event_type & ~(u32)PROC_EVENT_ALL)
		return -EINVAL;
	/* An empty mask has always meant "everything". */
	if (input.event_type == PROC_EVENT_NONE)
		input.event_type = PROC_EVENT_ALL;

	mutex_lock(&cn_proc_lock);
	switch (input.mcast_op) {
	case PROC_CN_MCAST_LISTEN:
		err = cn_proc_listen(sk, input.event_type);
		break;
	case PROC_CN_MCAST_IGNORE:
		cn_proc_forget(sk);
		break;
	default:
		err = -EINVAL;
		break;
	}
	mutex_unlock(&cn_proc_lock);
	return err;
}

static void cn_proc_callback(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	int err;

	if (!nsp->sk)
		return;
	err = cn_proc_control(msg, nsp->sk);
	cn_proc_ack(msg, nsp->portid, err);
}

/* debugfs connector/proc_events: the listener accounting, for tests. */
static int cn_proc_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&cn_proc_lock);
	seq_printf(m, "listeners %u\ninterest 0x%08x\n", cn_proc_listeners,
		   cn_proc_interest);
	mutex_unlock(&cn_proc_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cn_proc_stats);

int cn_proc_init(struct cn_dev *dev)
{
	int err;

	err = cn_table_add(dev, &cn_proc_id, "cn_proc", cn_proc_callback);
	if (err)
		return err;
	debugfs_create_file("proc_events", 0444, dev->debugfs, NULL,
			    &cn_proc_stats_fops);
	return 0;
}
