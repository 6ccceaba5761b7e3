// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Process events connector: reports fork, exec, id changes, session
 * changes, ptrace, comm changes, core dumps and exits to the sockets that
 * asked for them, a service of the connector in every network namespace.
 *
 * Views. A listener sees the processes as the task that sent its LISTEN
 * saw them: the pid namespace and user namespace of that task, and the
 * network namespace of its socket, make up the listener's view, fixed at
 * LISTEN. A listener receives an event only about a task its pid
 * namespace shows, with every pid translated into that namespace (0 for a
 * related task outside it) and every id mapped into its user namespace.
 * Listeners with the same view share it, and each event is built once per
 * view that wants it, not once per listener. Views are hashed by pid
 * namespace: an event looks only at the views of the namespaces that show
 * its task, so listeners elsewhere cost it nothing.
 *
 * Cost with nobody listening: each hook reads one word, the union of what
 * all listeners want, and returns. Nothing a user does patches kernel
 * text or holds a global lock for longer than its own bookkeeping.
 */

#include <linux/cn_proc.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/local_lock.h>
#include <linux/percpu.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <kunit/visibility.h>
#include <trace/events/sched.h>

#include "cn_core.h"
#include "cn_proc_kunit.h"

MODULE_IMPORT_NS(CONNECTOR_CORE);

static const struct cb_id cn_proc_id = { CN_IDX_PROC, CN_VAL_PROC };

/* Bits of the masks: counters are kept for these only. */
#define CN_PROC_BITS	32

/**
 * struct cn_proc_view - what a set of listeners may see, and how
 * @node: link in cn_proc_views, under cn_proc_lock; RCU for readers
 * @net: network namespace of the listeners' sockets; a listener's socket
 *	keeps it alive, and the event path only reaches a view under RCU
 * @pid_ns: pid namespace the listeners see; held
 * @user_ns: user namespace ids are mapped into; held
 * @listeners: listeners with this view, under cn_proc_lock
 * @idle: no listener since @idle_since, under cn_proc_lock
 * @idle_since: when the last listener left
 * @bit_users: per mask bit, listeners of this view that want it
 * @legacy_users: the same, for the listeners without batches
 * @interest: union of the masks of the view's listeners (READ_ONCE)
 * @legacy_interest: the same, for the listeners without batches
 * @streams: the view's batch streams, under cn_proc_lock; RCU for readers
 * @seq: per CPU, the number of the next event of this view
 * @charged_ns: user namespace of the user the view is charged to, NULL
 *	when it is not charged
 * @charged_uid: that user
 * @free_work: frees the view, its streams and its references after
 *	readers are done
 *
 * A view holds its network namespace: an idle view lives on for a while
 * after its last listener, with batches that may still be sent there.
 */
struct cn_proc_view {
	struct hlist_node node;
	struct net *net;
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
	unsigned int listeners;
	bool idle;
	unsigned long idle_since;
	unsigned int bit_users[CN_PROC_BITS];
	unsigned int legacy_users[CN_PROC_BITS];
	u32 interest;
	u32 legacy_interest;
	struct list_head streams;
	u32 __percpu *seq;
	struct user_namespace *charged_ns;
	kuid_t charged_uid;
	struct rcu_work free_work;
};

/*
 * Batches. A listener that asks for them (PROC_CN_MCAST_LISTEN_BATCH) gets
 * its events packed several to a datagram, each a complete netlink
 * message. Listeners of one view that one user opened with one mask share
 * a stream, so that how a listener reads shapes the batches of its own
 * user's listeners only; each stream gathers one batch per CPU, in an skb
 * allocated when its first event comes. A batch is sent
 *  - when it is full (CN_PROC_BATCH_BYTES of messages, about 210 events);
 *  - when it would no longer fit in the receive buffer of the stream's
 *    listener with the least room, among those that are not overflowing
 *    already, so that a listener that falls behind keeps as many events
 *    as its buffer can hold;
 *  - when its first event is CN_PROC_BATCH_DELAY old, unless a listener
 *    of the stream is filling up (it had earlier datagrams queued at the
 *    last send, and room left) and events keep coming: fuller batches
 *    cost its buffer less per event, so it keeps more of a burst;
 *  - when its first event is CN_PROC_BATCH_MAX_DELAY old, in any case;
 *  - at once, as a datagram of one, when the stream was idle for
 *    CN_PROC_BATCH_DELAY: a lone event does not wait for company.
 * A batch that is not full is copied into an skb of its exact size first
 * (cn_proc_batch_fit()), so that a receive buffer is charged for what it
 * holds: about 79 bytes per event in a full batch, against some 830 for an
 * event in a datagram of its own. msg->seq counts the stream's events per CPU: every event of
 * a batched listener's mask is numbered, so a gap means a lost batch,
 * never a filtered event.
 */
#define CN_PROC_BATCH_BYTES	SKB_WITH_OVERHEAD(16384)
#define CN_PROC_BATCH_DELAY	(2 * NSEC_PER_MSEC)
#define CN_PROC_BATCH_MAX_DELAY	(100 * NSEC_PER_MSEC)
#define CN_PROC_MSG_BYTES	NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct cn_msg) + \
						 sizeof(struct proc_event)))

/**
 * struct cn_proc_batch - a stream's pending events on one CPU
 * @lock: guards the rest; taken with BH off (the timer runs in softirq)
 * @skb: the pending messages, or NULL
 * @seq: the number of the stream's next event on this CPU
 * @first_ns: when the first pending message came
 * @last_ns: when the last datagram was sent
 * @room: receive buffer left, after the last datagram, in the stream's
 *	listener with the least that was not overflowing (UINT_MAX: none)
 * @filling: at the last send, a listener had not read everything sent
 *	before and still had room: it is filling up
 * @tick_seq: @seq when the timer last ran (or was started)
 * @timer: sends the batch when it has waited long enough
 * @stream: the stream this batch belongs to
 */
struct cn_proc_batch {
	spinlock_t lock;	/* the rest; with BH off */
	struct sk_buff *skb;
	u32 seq;
	u64 first_ns;
	u64 last_ns;
	unsigned int room;
	bool filling;
	u32 tick_seq;
	struct hrtimer timer;
	struct cn_proc_stream *stream;
};

/**
 * struct cn_proc_stream - batched delivery to the listeners of one view
 *	that one user opened with one mask
 * @node: link in the view's @streams
 * @view: the view
 * @net: the view's network namespace, held: a batch timer may still send
 *	when the view is gone
 * @mask: the events of the stream
 * @owner: the user (effective uid of the socket's opener) whose listeners
 *	share the stream: a listener's reading shapes its stream's batches,
 *	which must not be another user's to shape
 * @listeners: listeners on it, under cn_proc_lock (0: idle)
 * @idle_since: when the last listener left
 * @batch: per CPU, the pending batch
 * @charged_ns: user namespace of the user the stream is charged to, NULL
 *	when it is not charged
 * @charged_uid: that user
 * @free_work: frees the stream after readers are done
 */
struct cn_proc_stream {
	struct list_head node;
	struct cn_proc_view *view;
	struct net *net;
	u32 mask;
	kuid_t owner;
	unsigned int listeners;
	unsigned long idle_since;
	struct cn_proc_batch __percpu *batch;
	struct user_namespace *charged_ns;
	kuid_t charged_uid;
	struct rcu_work free_work;
};

/**
 * struct cn_proc_listener - process-event state of one socket
 * @view: the view fixed at LISTEN; NULL once the mask of an IGNORE lapsed
 *	(READ_ONCE)
 * @stream: the stream of a batched listener, NULL for one without batches
 * @mask: the events asked for; 0 while a listener without batches
 *	ignores (READ_ONCE)
 * @accounted: the mask counted in the view and the totals, under
 *	cn_proc_lock: @mask, or for a while after IGNORE the mask before it
 * @linger: link in cn_proc_lingering while @accounted outlives @mask
 * @linger_since: when it began to
 * @rcu: frees the state after the broadcast filters that may read it
 *
 * A LISTEN that changes the view or the stream replaces the socket's
 * state as a whole, so a filter reading it sees a view, a stream and a
 * mask that belong together. A listener without batches that keeps its
 * view changes only @mask, in place: IGNORE sets it to 0 and the next
 * LISTEN sets it again, so that a program toggling the two allocates
 * nothing.
 *
 * After IGNORE the counts keep the socket's bits, and the socket its
 * view, for CN_PROC_LINGER, so that a program toggling LISTEN and IGNORE
 * recounts nothing: the filters see @mask at once, and events wanted only
 * by a lingering mask are built for nobody until it lapses. Closing the
 * socket, or a LISTEN with another mask, counts at once.
 */
struct cn_proc_listener {
	struct cn_proc_view *view;
	struct cn_proc_stream *stream;
	u32 mask;
	u32 accounted;
	struct list_head linger;
	unsigned long linger_since;
	struct rcu_head rcu;
};

/*
 * cn_proc_lock guards the views (their list, counters and listener
 * counts), the totals below, the changes of every socket's listener state
 * (its @accounted and @linger, and the list of lingering masks). It is a
 * spinlock held for bookkeeping only: allocations happen before, frees
 * after.
 */
static DEFINE_SPINLOCK(cn_proc_lock);
#define CN_PROC_VIEW_BITS	6
static DEFINE_HASHTABLE(cn_proc_views, CN_PROC_VIEW_BITS);
static unsigned int cn_proc_listeners;
static unsigned int cn_proc_nr_views;
/* Views outside the initial pid namespace (READ_ONCE). */
static unsigned int cn_proc_nested_views;
static unsigned int cn_proc_idle_views;
static unsigned int cn_proc_idle_streams;
static unsigned int cn_proc_bit_users[CN_PROC_BITS];
/* What some listener wants: read locklessly by the hooks. */
static u32 cn_proc_interest;

/* Per CPU: events are numbered and sent in the same order. */
struct cn_proc_cpu {
	local_lock_t lock;
};

static DEFINE_PER_CPU(struct cn_proc_cpu, cn_proc_cpu) = {
	.lock = INIT_LOCAL_LOCK(lock),
};

/* Per network namespace: the LISTEN policy (sysctl). */
struct cn_proc_net {
	int restrict_listen;
	struct ctl_table_header *sysctl;
};

static unsigned int cn_proc_net_id __read_mostly;

static struct cn_sock_ops cn_proc_sock_ops;

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

/* The number of listeners now. */
VISIBLE_IF_KUNIT unsigned int cn_proc_listener_count(void)
{
	unsigned int n;

	spin_lock(&cn_proc_lock);
	n = cn_proc_listeners;
	spin_unlock(&cn_proc_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(cn_proc_listener_count);

static bool cn_proc_wanted(u32 what, u32 exit_code)
{
	return cn_proc_mask_wants(cn_proc_interest_mask(), what, exit_code);
}

/* What the broadcast filter needs to know about the event in flight. */
struct cn_proc_match {
	const struct cn_proc_view *view;
	u32 what;
	u32 exit_code;
};

/*
 * Broadcast filter of an event for the listeners without batches: non-zero
 * keeps it from socket @dsk.
 */
static int cn_proc_filter(struct sock *dsk, struct sk_buff *skb, void *data)
{
	const struct cn_proc_match *match = data;
	const struct cn_proc_listener *listener;
	bool wants;

	rcu_read_lock();
	listener = cn_sock_state(dsk, &cn_proc_sock_ops);
	wants = listener && READ_ONCE(listener->view) == match->view &&
		!listener->stream &&
		cn_proc_mask_wants(READ_ONCE(listener->mask), match->what,
				   match->exit_code);
	rcu_read_unlock();
	return !wants;
}

/* What the broadcast filter of a batch needs, and learns. */
struct cn_proc_batch_match {
	const struct cn_proc_stream *stream;
	unsigned int room;
	bool seen;
	bool filling;
};

/*
 * Broadcast filter of a batch: it goes to the stream's listeners. Notes
 * the least room left in their receive buffers, of those that are not
 * overflowing (one that overflowed is not helped by smaller batches), and
 * whether one of them is filling up (behind, with room left), which
 * fuller batches help: each costs its buffer less per event. Only the
 * stream's user's own listeners have a say.
 */
static int cn_proc_batch_filter(struct sock *dsk, struct sk_buff *skb,
				void *data)
{
	struct cn_proc_batch_match *match = data;
	const struct cn_proc_listener *listener;
	int queued, room;
	bool wants;

	rcu_read_lock();
	listener = cn_sock_state(dsk, &cn_proc_sock_ops);
	wants = listener && listener->stream == match->stream;
	rcu_read_unlock();
	if (!wants)
		return 1;
	queued = atomic_read(&dsk->sk_rmem_alloc);
	room = READ_ONCE(dsk->sk_rcvbuf) - queued - (int)skb->truesize;
	if (room >= 0) {
		match->room = match->seen ? min_t(unsigned int, match->room, room) :
			      room;
		match->seen = true;
		if (queued)
			match->filling = true;
	}
	return 0;
}

static bool cn_proc_view_is_initial(const struct cn_proc_view *view)
{
	return !view || view->pid_ns == &init_pid_ns;
}

/*
 * Exits. The kernel reports an exit after it let the parent reap the
 * task, and a reaped task has no pid left to number in a namespace. For
 * tasks outside the initial pid namespace, while views there exist, the
 * task's pids are taken earlier, at the sched_process_exit tracepoint
 * (in do_exit(), before the task can be reaped), and kept here until its
 * exit is reported. drop_monitor hooks a tracepoint the same way. Without
 * tracepoints such exits reach the initial namespace only.
 */
struct cn_proc_exiting {
	struct hlist_node node;
	struct task_struct *task;
	struct pid *pid;
	struct pid *tgid;
};

static DEFINE_SPINLOCK(cn_proc_exiting_lock);
static DEFINE_HASHTABLE(cn_proc_exiting, 6);
static unsigned int cn_proc_nr_exiting;

static void cn_proc_exit_probe(void *unused, struct task_struct *task)
{
	struct pid_namespace *ns = task_active_pid_ns(task);
	struct cn_proc_exiting *e;

	if (!READ_ONCE(cn_proc_nested_views) || !ns || ns == &init_pid_ns ||
	    !cn_proc_wanted(PROC_EVENT_EXIT, task->exit_code))
		return;
	e = kmalloc(sizeof(*e), GFP_NOWAIT | __GFP_NOWARN);
	if (!e)
		return;
	e->task = task;
	e->pid = get_pid(task_pid(task));
	e->tgid = get_pid(task_tgid(task));
	spin_lock(&cn_proc_exiting_lock);
	hash_add(cn_proc_exiting, &e->node, (unsigned long)task);
	WRITE_ONCE(cn_proc_nr_exiting, cn_proc_nr_exiting + 1);
	spin_unlock(&cn_proc_exiting_lock);
}

/* The pids taken for @task at its exit, if any: the caller frees them. */
static struct cn_proc_exiting *cn_proc_exiting_take(struct task_struct *task)
{
	struct cn_proc_exiting *e;

	if (!READ_ONCE(cn_proc_nr_exiting))
		return NULL;
	spin_lock(&cn_proc_exiting_lock);
	hash_for_each_possible(cn_proc_exiting, e, node, (unsigned long)task) {
		if (e->task == task) {
			hash_del(&e->node);
			WRITE_ONCE(cn_proc_nr_exiting, cn_proc_nr_exiting - 1);
			spin_unlock(&cn_proc_exiting_lock);
			return e;
		}
	}
	spin_unlock(&cn_proc_exiting_lock);
	return NULL;
}

static void cn_proc_exiting_free(struct cn_proc_exiting *e)
{
	if (!e)
		return;
	put_pid(e->pid);
	put_pid(e->tgid);
	kfree(e);
}

/*
 * Numbers of @task in @view; the initial view keeps every task's own. A
 * reaped task is numbered with the pids taken at its exit (@e), if any.
 */
static pid_t cn_proc_pid(struct task_struct *task,
			 const struct cn_proc_view *view,
			 const struct cn_proc_exiting *e)
{
	pid_t nr;

	if (cn_proc_view_is_initial(view))
		return task->pid;
	nr = task_pid_nr_ns(task, view->pid_ns);
	if (!nr && e)
		nr = pid_nr_ns(e->pid, view->pid_ns);
	return nr;
}

static pid_t cn_proc_tgid(struct task_struct *task,
			  const struct cn_proc_view *view,
			  const struct cn_proc_exiting *e)
{
	pid_t nr;

	if (cn_proc_view_is_initial(view))
		return task->tgid;
	nr = task_tgid_nr_ns(task, view->pid_ns);
	if (!nr && e)
		nr = pid_nr_ns(e->tgid, view->pid_ns);
	return nr;
}

static void cn_proc_parent(struct task_struct *task,
			   const struct cn_proc_view *view,
			   __kernel_pid_t *pid, __kernel_pid_t *tgid)
{
	struct task_struct *parent;

	rcu_read_lock();
	if (pid_alive(task)) {
		parent = rcu_dereference(task->real_parent);
		*pid = cn_proc_pid(parent, view, NULL);
		*tgid = cn_proc_tgid(parent, view, NULL);
	}
	rcu_read_unlock();
}

static void cn_proc_fill_ids(struct id_proc_event *id, u32 what,
			     struct task_struct *task,
			     const struct cn_proc_view *view)
{
	struct user_namespace *ns = view ? view->user_ns : &init_user_ns;
	const struct cred *cred;

	rcu_read_lock();
	cred = __task_cred(task);
	if (what == PROC_EVENT_UID) {
		id->r.ruid = from_kuid_munged(ns, cred->uid);
		id->e.euid = from_kuid_munged(ns, cred->euid);
	} else {
		id->r.rgid = from_kgid_munged(ns, cred->gid);
		id->e.egid = from_kgid_munged(ns, cred->egid);
	}
	rcu_read_unlock();
}

/**
 * cn_proc_fill() - build an event about a task, as a view sees it
 * @ev: the event; every byte of it is written
 * @what: the event type
 * @task: the task the event is about
 * @tracing: for %PROC_EVENT_PTRACE, true on attach (the tracer is
 *	current) and false on detach
 * @view: the view, or NULL for the initial namespaces
 * @e: for an exit, the pids taken when the task began to exit, or NULL
 *
 * Every event but fork starts with the task's pid and tgid; the rest is
 * per type. Related tasks the view does not show read 0.
 *
 * Return: false when the view does not show @task: nothing to send.
 */
VISIBLE_IF_KUNIT bool cn_proc_fill(struct proc_event *ev, u32 what,
				   struct task_struct *task, bool tracing,
				   const struct cn_proc_view *view,
				   const struct cn_proc_exiting *e)
{
	pid_t pid = cn_proc_pid(task, view, e);

	if (!pid)
		return false;

	/* Whole struct: no padding byte may carry stale stack to userspace. */
	memset(ev, 0, sizeof(*ev));
	ev->what = what;
	ev->timestamp_ns = ktime_get_ns();

	if (what == PROC_EVENT_FORK) {
		cn_proc_parent(task, view, &ev->event_data.fork.parent_pid,
			       &ev->event_data.fork.parent_tgid);
		ev->event_data.fork.child_pid = pid;
		ev->event_data.fork.child_tgid = cn_proc_tgid(task, view, e);
		return true;
	}
	/* The common initial sequence of every other member of the union. */
	ev->event_data.exec.process_pid = pid;
	ev->event_data.exec.process_tgid = cn_proc_tgid(task, view, e);

	switch (what) {
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		cn_proc_fill_ids(&ev->event_data.id, what, task, view);
		break;
	case PROC_EVENT_PTRACE:
		if (tracing) {
			ev->event_data.ptrace.tracer_pid =
				cn_proc_pid(current, view, NULL);
			ev->event_data.ptrace.tracer_tgid =
				cn_proc_tgid(current, view, NULL);
		}
		break;
	case PROC_EVENT_COMM:
		get_task_comm(ev->event_data.comm.comm, task);
		break;
	case PROC_EVENT_COREDUMP:
		cn_proc_parent(task, view, &ev->event_data.coredump.parent_pid,
			       &ev->event_data.coredump.parent_tgid);
		break;
	case PROC_EVENT_EXIT:
		ev->event_data.exit.exit_code = task->exit_code;
		ev->event_data.exit.exit_signal = task->exit_signal;
		cn_proc_parent(task, view, &ev->event_data.exit.parent_pid,
			       &ev->event_data.exit.parent_tgid);
		break;
	}
	return true;
}
EXPORT_SYMBOL_IF_KUNIT(cn_proc_fill);

/*
 * What a receive buffer is charged for a batch of @len bytes of messages:
 * cn_proc_batch_fit() gives it a head of that size.
 */
static unsigned int cn_proc_batch_truesize(unsigned int len)
{
	return SKB_TRUESIZE(SKB_DATA_ALIGN(len));
}

/*
 * A batch that is not full moves into an skb whose head is a page
 * fragment of its own size, built as network drivers build theirs, so
 * that a receive buffer is charged for what the batch holds. A head from
 * kmalloc would cost the size class above it: a batch of 104 events the
 * same 16 KiB as one of 211, and a burst that the timer happens to split
 * would then overflow a listener far sooner. Without memory for the
 * copy, the batch goes as it is. The fragment's page is shared and freed
 * with its last fragment, as for received network packets.
 */
static struct sk_buff *cn_proc_batch_fit(struct sk_buff *skb)
{
	unsigned int size = SKB_DATA_ALIGN(skb->len) +
			    SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	struct sk_buff *fit;
	void *head;

	if (cn_proc_batch_truesize(skb->len) >= skb->truesize)
		return skb;
	head = netdev_alloc_frag(size);
	if (!head)
		return skb;
	fit = build_skb(head, size);
	/*
	 * A fragment from the memory reserves would make every listener's
	 * sk_filter() drop the batch without a word: keep the original.
	 */
	if (!fit || fit->pfmemalloc) {
		if (fit)
			consume_skb(fit);
		else
			skb_free_frag(head);
		return skb;
	}
	skb_put_data(fit, skb->data, skb->len);
	consume_skb(skb);
	return fit;
}

/*
 * Send the pending messages of @b (held, BH off) to its stream's
 * listeners, in an skb that is charged for no more than needed.
 */
static void cn_proc_batch_send(struct cn_proc_batch *b, u64 now)
{
	struct cn_proc_batch_match match = {
		.stream = b->stream,
	};
	struct sk_buff *skb = b->skb;

	lockdep_assert_held(&b->lock);
	if (!skb)
		return;
	b->skb = NULL;
	b->last_ns = now;
	skb = cn_proc_batch_fit(skb);
	cn_broadcast(b->stream->net, skb, CN_IDX_PROC, GFP_NOWAIT,
		     cn_proc_batch_filter, &match);
	/* With no listener that has room, batch sizes help nobody. */
	b->room = match.seen ? match.room : UINT_MAX;
	b->filling = match.filling;
}

static enum hrtimer_restart cn_proc_batch_timer(struct hrtimer *timer)
{
	struct cn_proc_batch *b = container_of(timer, struct cn_proc_batch,
					       timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	u64 now = ktime_get_ns();

	spin_lock(&b->lock);
	/*
	 * A listener filling up gets fuller batches while events keep
	 * coming, up to the maximum delay; a batch that did not grow since
	 * the last tick goes now.
	 */
	if (b->skb && b->filling && b->seq != b->tick_seq &&
	    now - b->first_ns < CN_PROC_BATCH_MAX_DELAY) {
		b->tick_seq = b->seq;
		hrtimer_forward_now(timer, ns_to_ktime(CN_PROC_BATCH_DELAY));
		ret = HRTIMER_RESTART;
	} else {
		cn_proc_batch_send(b, now);
	}
	spin_unlock(&b->lock);
	return ret;
}

/* Append @ev with number @seq to the messages of @b; there is room. */
static void cn_proc_batch_put(struct cn_proc_batch *b, u32 seq,
			      const struct proc_event *ev)
{
	struct cn_msg hdr = { .id = cn_proc_id, .seq = seq };

	/* 76 bytes, a multiple of NLMSG_ALIGNTO: no padding to clear. */
	BUILD_BUG_ON(NLMSG_LENGTH(sizeof(hdr) + sizeof(*ev)) != CN_PROC_MSG_BYTES);
	cn_msg_append(b->skb, &hdr, ev, sizeof(*ev));
}

/* Add @ev to this CPU's batch of @stream; with the CPU's local lock held. */
static void cn_proc_batch_add(struct cn_proc_stream *stream,
			      const struct proc_event *ev)
{
	u64 now = ev->timestamp_ns;
	struct cn_proc_batch *b;
	bool idle, one;

	b = this_cpu_ptr(stream->batch);
	spin_lock_bh(&b->lock);
	idle = !b->skb && (s64)(now - b->last_ns) >= CN_PROC_BATCH_DELAY;
	if (!b->skb) {
		/* Room for one message: alone, or when no second would fit. */
		one = idle ||
		      b->room < cn_proc_batch_truesize(2 * CN_PROC_MSG_BYTES);
		b->skb = alloc_skb(one ? CN_PROC_MSG_BYTES : CN_PROC_BATCH_BYTES,
				   GFP_NOWAIT | __GFP_NOWARN);
		if (!b->skb) {
			b->seq++;	/* lost, and the numbers show it */
			goto out;
		}
		b->first_ns = now;
	}
	cn_proc_batch_put(b, b->seq++, ev);
	if (idle || skb_tailroom(b->skb) < CN_PROC_MSG_BYTES ||
	    cn_proc_batch_truesize(b->skb->len + CN_PROC_MSG_BYTES) > b->room)
		cn_proc_batch_send(b, now);
	else if (!hrtimer_is_queued(&b->timer)) {
		b->tick_seq = b->seq;
		hrtimer_start(&b->timer, ns_to_ktime(CN_PROC_BATCH_DELAY),
			      HRTIMER_MODE_REL_PINNED_SOFT);
	}
out:
	spin_unlock_bh(&b->lock);
}

/*
 * Number the event in its view and send it, alone, to the view's
 * listeners without batches that want it.
 */
static void cn_proc_send(struct cn_proc_view *view, const struct proc_event *ev,
			 const struct cn_proc_match *match)
{
	struct cn_msg hdr = { .id = cn_proc_id };
	struct sk_buff *skb;

	hdr.seq = __this_cpu_inc_return(*view->seq) - 1;
	skb = nlmsg_new(sizeof(hdr) + sizeof(*ev), GFP_NOWAIT);
	if (!skb)
		return;
	cn_msg_append(skb, &hdr, ev, sizeof(*ev));
	cn_broadcast(view->net, skb, CN_IDX_PROC, GFP_NOWAIT, cn_proc_filter,
		     (void *)match);
}

/*
 * Report @what about @task to every view that shows it and wants it: to
 * its listeners without batches, and into its streams. The CPU's local
 * lock keeps one CPU's events numbered and sent in order.
 */
static void cn_proc_report(u32 what, struct task_struct *task, bool tracing,
			   const struct cn_proc_exiting *e)
{
	struct cn_proc_match match = { .what = what };
	struct cn_proc_stream *stream;
	struct pid_namespace *ns;
	struct cn_proc_view *view;
	struct proc_event ev;

	if (what == PROC_EVENT_EXIT)
		match.exit_code = task->exit_code;

	rcu_read_lock();
	/*
	 * The namespaces that show @task: its own and every ancestor. A task
	 * already reaped has only the pids taken at its exit, if any; without
	 * them, only the initial namespace, which numbers it with its own
	 * fields, shows it.
	 */
	ns = task_active_pid_ns(task);
	if (!ns)
		ns = e ? ns_of_pid(e->pid) : &init_pid_ns;
	local_lock(&cn_proc_cpu.lock);
	for (; ns; ns = ns->parent) {
		hash_for_each_possible_rcu(cn_proc_views, view, node,
					   (unsigned long)ns) {
			if (view->pid_ns != ns ||
			    !cn_proc_mask_wants(READ_ONCE(view->interest), what,
						match.exit_code))
				continue;
			if (!cn_proc_fill(&ev, what, task, tracing, view, e))
				continue;
			ev.cpu = smp_processor_id();
			match.view = view;
			if (cn_proc_mask_wants(READ_ONCE(view->legacy_interest),
					       what, match.exit_code))
				cn_proc_send(view, &ev, &match);
			list_for_each_entry_rcu(stream, &view->streams, node)
				if (READ_ONCE(stream->listeners) &&
				    cn_proc_mask_wants(stream->mask, what,
						       match.exit_code))
					cn_proc_batch_add(stream, &ev);
		}
	}
	local_unlock(&cn_proc_cpu.lock);
	rcu_read_unlock();
}

void proc_fork_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_FORK, 0))
		cn_proc_report(PROC_EVENT_FORK, task, false, NULL);
}

void proc_exec_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_EXEC, 0))
		cn_proc_report(PROC_EVENT_EXEC, task, false, NULL);
}

void proc_id_connector(struct task_struct *task, int which_id)
{
	if (which_id != PROC_EVENT_UID && which_id != PROC_EVENT_GID)
		return;
	if (cn_proc_wanted(which_id, 0))
		cn_proc_report(which_id, task, false, NULL);
}

void proc_sid_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_SID, 0))
		cn_proc_report(PROC_EVENT_SID, task, false, NULL);
}

void proc_ptrace_connector(struct task_struct *task, int which_id)
{
	if (which_id != PTRACE_ATTACH && which_id != PTRACE_DETACH)
		return;
	if (cn_proc_wanted(PROC_EVENT_PTRACE, 0))
		cn_proc_report(PROC_EVENT_PTRACE, task,
			       which_id == PTRACE_ATTACH, NULL);
}

void proc_comm_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_COMM, 0))
		cn_proc_report(PROC_EVENT_COMM, task, false, NULL);
}

void proc_coredump_connector(struct task_struct *task)
{
	if (cn_proc_wanted(PROC_EVENT_COREDUMP, 0))
		cn_proc_report(PROC_EVENT_COREDUMP, task, false, NULL);
}

void proc_exit_connector(struct task_struct *task)
{
	struct cn_proc_exiting *e = cn_proc_exiting_take(task);

	if (cn_proc_wanted(PROC_EVENT_EXIT, task->exit_code))
		cn_proc_report(PROC_EVENT_EXIT, task, false, e);
	cn_proc_exiting_free(e);
}

/*
 * Listener bookkeeping, all under cn_proc_lock.
 *
 * A view whose last listener left stays hashed, idle, for a while: a
 * program that toggles LISTEN and IGNORE finds it again instead of
 * building a new one each time. cn_proc_reaper frees views idle for a
 * second; until then an idle view costs events one test of its interest.
 */
#define CN_PROC_IDLE	HZ

static void cn_proc_reap(struct work_struct *work);
static DECLARE_DELAYED_WORK(cn_proc_reaper, cn_proc_reap);

/* @word with @bit set when @users is not zero, and clear when it is. */
static u32 cn_proc_bit_if(u32 word, unsigned int bit, unsigned int users)
{
	return users ? word | BIT(bit) : word & ~BIT(bit);
}

/*
 * Add (@delta 1) or remove (@delta -1) a listener's @mask in @view and in
 * the totals; @batched for a listener with batches. Only the bits of
 * @mask change, so an event wanted before and after never looks
 * unwanted in between.
 */
static void cn_proc_account(struct cn_proc_view *view, u32 mask,
			    bool batched, int delta)
{
	u32 interest = view->interest, legacy = view->legacy_interest;
	u32 total = cn_proc_interest, bits;
	unsigned int bit;

	lockdep_assert_held(&cn_proc_lock);
	/* One pass per set bit, lowest first: a LISTEN can be hot. */
	for (bits = mask; bits; bits &= bits - 1) {
		bit = __ffs(bits);
		view->bit_users[bit] += delta;
		interest = cn_proc_bit_if(interest, bit, view->bit_users[bit]);
		cn_proc_bit_users[bit] += delta;
		total = cn_proc_bit_if(total, bit, cn_proc_bit_users[bit]);
		if (batched)
			continue;
		view->legacy_users[bit] += delta;
		legacy = cn_proc_bit_if(legacy, bit, view->legacy_users[bit]);
	}
	WRITE_ONCE(view->interest, interest);
	WRITE_ONCE(view->legacy_interest, legacy);
	WRITE_ONCE(cn_proc_interest, total);
}

/*
 * Views and streams are charged to the user whose LISTEN made them, as
 * inotify charges watches (struct cn_limit): each costs every event it
 * wants a broadcast, a walk of the connector's group members, so no user
 * may make more than net.connector.proc_max_user_views of them, whatever
 * namespaces it makes. CAP_SYS_RESOURCE, which lifts resource limits
 * elsewhere, lifts this one: a host running a monitor in each of many
 * containers of its own is not held to a count meant for users.
 */
static struct cn_limit cn_proc_limit = CN_LIMIT_INIT(cn_proc_limit, 16);

/* The file that holds @sk, or NULL for a socket the kernel made. */
static struct file *cn_proc_sock_file(const struct sock *sk)
{
	return sk->sk_socket ? sk->sk_socket->file : NULL;
}

/*
 * The user whose listeners @sk joins in a stream: whoever opened it. A
 * socket handed to a program of another user (a setuid one writing to
 * it as its stderr) stays in its opener's streams.
 */
static kuid_t cn_proc_sock_owner(const struct sock *sk)
{
	struct file *file = cn_proc_sock_file(sk);

	return file ? file->f_cred->euid : current_euid();
}

/*
 * Charge a view or stream made for a LISTEN on @sk to the sender. The
 * exemption needs CAP_SYS_RESOURCE of the sender and of the socket's
 * opener, netlink's rule for capabilities, so that a socket handed to a
 * privileged program does not make uncharged views.
 */
static int cn_proc_charge(const struct sock *sk, struct user_namespace **ns,
			  kuid_t *uid)
{
	struct file *file = cn_proc_sock_file(sk);
	int err;

	*ns = NULL;
	*uid = current_euid();
	/* No audit record: most listeners are not asking for an exemption. */
	if (ns_capable_noaudit(&init_user_ns, CAP_SYS_RESOURCE) &&
	    (!file || !security_capable(file->f_cred, &init_user_ns,
					CAP_SYS_RESOURCE, CAP_OPT_NOAUDIT)))
		return 0;
	*ns = current_user_ns();
	err = cn_limit_charge(&cn_proc_limit, *ns, *uid);
	if (err)
		*ns = NULL;
	return err;
}

static void cn_proc_stream_free(struct cn_proc_stream *stream)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct cn_proc_batch *b = per_cpu_ptr(stream->batch, cpu);

		hrtimer_cancel(&b->timer);
		kfree_skb(b->skb);
	}
	if (stream->charged_ns)
		cn_limit_uncharge(&cn_proc_limit, stream->charged_ns,
				  stream->charged_uid);
	if (stream->net)
		put_net(stream->net);
	free_percpu(stream->batch);
	kfree(stream);
}

static void cn_proc_stream_free_work(struct work_struct *work)
{
	cn_proc_stream_free(container_of(to_rcu_work(work),
					 struct cn_proc_stream, free_work));
}

/*
 * A new stream of @mask for listeners of @sk's owner, charged to the
 * current user, not in a view yet.
 */
static struct cn_proc_stream *cn_proc_stream_new(const struct sock *sk,
						 u32 mask, int *err)
{
	struct cn_proc_stream *stream;
	int cpu;

	*err = -ENOMEM;
	stream = kzalloc(sizeof(*stream), GFP_KERNEL_ACCOUNT);
	if (!stream)
		return NULL;
	stream->batch = alloc_percpu_gfp(struct cn_proc_batch,
					 GFP_KERNEL_ACCOUNT);
	if (!stream->batch) {
		kfree(stream);
		return NULL;
	}
	stream->mask = mask;
	stream->owner = cn_proc_sock_owner(sk);
	INIT_RCU_WORK(&stream->free_work, cn_proc_stream_free_work);
	for_each_possible_cpu(cpu) {
		struct cn_proc_batch *b = per_cpu_ptr(stream->batch, cpu);

		spin_lock_init(&b->lock);
		b->room = UINT_MAX;
		hrtimer_init(&b->timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL_PINNED_SOFT);
		b->timer.function = cn_proc_batch_timer;
		b->stream = stream;
	}
	*err = cn_proc_charge(sk, &stream->charged_ns, &stream->charged_uid);
	if (*err) {
		cn_proc_stream_free(stream);
		return NULL;
	}
	return stream;
}

static struct cn_proc_stream *cn_proc_stream_find(struct cn_proc_view *view,
						  u32 mask, kuid_t owner)
{
	struct cn_proc_stream *stream;

	lockdep_assert_held(&cn_proc_lock);
	list_for_each_entry(stream, &view->streams, node)
		if (stream->mask == mask && uid_eq(stream->owner, owner))
			return stream;
	return NULL;
}

static void cn_proc_view_free(struct cn_proc_view *view)
{
	struct cn_proc_stream *stream, *next;

	/* What the reaper left: streams idle for less than CN_PROC_IDLE. */
	list_for_each_entry_safe(stream, next, &view->streams, node)
		cn_proc_stream_free(stream);
	if (view->charged_ns)
		cn_limit_uncharge(&cn_proc_limit, view->charged_ns,
				  view->charged_uid);
	put_net(view->net);
	put_pid_ns(view->pid_ns);
	put_user_ns(view->user_ns);
	free_percpu(view->seq);
	kfree(view);
}

static void cn_proc_view_free_work(struct work_struct *work)
{
	cn_proc_view_free(container_of(to_rcu_work(work), struct cn_proc_view,
				       free_work));
}

/*
 * A new, unhashed view of the current task through @sk, charged to the
 * current user.
 */
static struct cn_proc_view *cn_proc_view_new(const struct sock *sk, int *err)
{
	struct cn_proc_view *view;

	*err = -ENOMEM;
	view = kzalloc(sizeof(*view), GFP_KERNEL_ACCOUNT);
	if (!view)
		return NULL;
	view->seq = alloc_percpu_gfp(u32, GFP_KERNEL_ACCOUNT);
	if (!view->seq) {
		kfree(view);
		return NULL;
	}
	view->net = get_net(sock_net(sk));
	view->pid_ns = get_pid_ns(task_active_pid_ns(current));
	view->user_ns = get_user_ns(current_user_ns());
	INIT_LIST_HEAD(&view->streams);
	INIT_RCU_WORK(&view->free_work, cn_proc_view_free_work);
	*err = cn_proc_charge(sk, &view->charged_ns, &view->charged_uid);
	if (*err) {
		cn_proc_view_free(view);
		return NULL;
	}
	return view;
}

/* Is @view the view of the current task through a socket of @net? */
static bool cn_proc_view_is_current(const struct cn_proc_view *view,
				    const struct net *net)
{
	/* task_active_pid_ns(), inline: current's pid cannot go. */
	return view->net == net &&
	       view->pid_ns == ns_of_pid(task_pid(current)) &&
	       view->user_ns == current_user_ns();
}

/* The hashed view of the current task through a socket of @net, if any. */
static struct cn_proc_view *cn_proc_view_find(struct net *net)
{
	struct cn_proc_view *view;

	lockdep_assert_held(&cn_proc_lock);
	hash_for_each_possible(cn_proc_views, view, node,
			       (unsigned long)task_active_pid_ns(current))
		if (cn_proc_view_is_current(view, net))
			return view;
	return NULL;
}

static void cn_proc_view_hold(struct cn_proc_view *view)
{
	lockdep_assert_held(&cn_proc_lock);
	if (view->idle) {
		view->idle = false;
		cn_proc_idle_views--;
	}
	view->listeners++;
}

/* Schedule the reaper, without pushing back a pending run. */
static void cn_proc_reap_later(void)
{
	queue_delayed_work(system_wq, &cn_proc_reaper, CN_PROC_IDLE);
}

static void cn_proc_view_release(struct cn_proc_view *view)
{
	lockdep_assert_held(&cn_proc_lock);
	if (--view->listeners)
		return;
	view->idle = true;
	view->idle_since = jiffies;
	cn_proc_idle_views++;
	cn_proc_reap_later();
}

static void cn_proc_stream_hold(struct cn_proc_stream *stream)
{
	lockdep_assert_held(&cn_proc_lock);
	if (!stream->listeners)
		cn_proc_idle_streams--;
	WRITE_ONCE(stream->listeners, stream->listeners + 1);
}

static void cn_proc_stream_release(struct cn_proc_stream *stream)
{
	lockdep_assert_held(&cn_proc_lock);
	WRITE_ONCE(stream->listeners, stream->listeners - 1);
	if (stream->listeners)
		return;
	stream->idle_since = jiffies;
	cn_proc_idle_streams++;
	cn_proc_reap_later();
}

static bool cn_proc_idle_long(unsigned long since)
{
	return time_after_eq(jiffies, since + CN_PROC_IDLE);
}

/*
 * Free the views and streams idle for CN_PROC_IDLE; look again later for
 * the rest. Idle ones cost events a test of their interest meanwhile.
 */
static void cn_proc_reap(struct work_struct *work)
{
	struct cn_proc_stream *stream, *next;
	struct cn_proc_view *view;
	struct hlist_node *tmp;
	unsigned int bkt;
	bool again;

	spin_lock(&cn_proc_lock);
	hash_for_each_safe(cn_proc_views, bkt, tmp, view, node) {
		list_for_each_entry_safe(stream, next, &view->streams, node) {
			if (stream->listeners ||
			    !cn_proc_idle_long(stream->idle_since))
				continue;
			list_del_rcu(&stream->node);
			cn_proc_idle_streams--;
			queue_rcu_work(system_wq, &stream->free_work);
		}
		if (!view->idle || !cn_proc_idle_long(view->idle_since))
			continue;
		hash_del_rcu(&view->node);
		cn_proc_nr_views--;
		cn_proc_idle_views--;
		if (view->pid_ns != &init_pid_ns)
			WRITE_ONCE(cn_proc_nested_views,
				   cn_proc_nested_views - 1);
		/* Its streams are idle too, and go with it. */
		list_for_each_entry(stream, &view->streams, node)
			cn_proc_idle_streams--;
		queue_rcu_work(system_wq, &view->free_work);
	}
	again = cn_proc_idle_views || cn_proc_idle_streams;
	spin_unlock(&cn_proc_lock);
	if (again)
		cn_proc_reap_later();
}

/*
 * Count @mask for @listener instead of what it counted: the new bits
 * before the old ones go, so that an event both want never looks
 * unwanted in between.
 */
static void cn_proc_recount(struct cn_proc_listener *listener, u32 mask)
{
	bool batched = listener->stream;

	lockdep_assert_held(&cn_proc_lock);
	if (listener->accounted == mask)
		return;
	if (mask)
		cn_proc_account(listener->view, mask, batched, 1);
	if (listener->accounted)
		cn_proc_account(listener->view, listener->accounted, batched, -1);
	listener->accounted = mask;
}

/* @listener listens to @mask (not 0) from now on. */
static void cn_proc_set_mask(struct cn_proc_listener *listener, u32 mask)
{
	lockdep_assert_held(&cn_proc_lock);
	cn_proc_recount(listener, mask);
	list_del_init(&listener->linger);
	if (!listener->mask)
		cn_proc_listeners++;
	WRITE_ONCE(listener->mask, mask);
}

/*
 * Take @listener off its view, its stream and the totals. The caller owns
 * it and frees it after readers are done.
 */
static void cn_proc_unaccount(struct cn_proc_listener *listener)
{
	lockdep_assert_held(&cn_proc_lock);
	if (listener->mask)
		cn_proc_listeners--;
	cn_proc_recount(listener, 0);
	list_del_init(&listener->linger);
	if (listener->stream)
		cn_proc_stream_release(listener->stream);
	/* A lapsed state gave its view up already. */
	if (listener->view)
		cn_proc_view_release(listener->view);
}

/*
 * Lingering masks (struct cn_proc_listener), oldest first: they lapse in
 * that order. Each IGNORE lapses up to CN_PROC_LAPSE_INLINE of the masks
 * due, so that the callers pay for the recounts they cause; the worker
 * lapses what is left, a batch per lock hold.
 */
#define CN_PROC_LINGER		(HZ / 10)
#define CN_PROC_LAPSE_INLINE	2
#define CN_PROC_LAPSE_BATCH	32

static LIST_HEAD(cn_proc_lingering);
static void cn_proc_unlinger(struct work_struct *work);
static DECLARE_DELAYED_WORK(cn_proc_unlinger_work, cn_proc_unlinger);

/*
 * The mask of @listener lapses: it is recounted to nothing and the view
 * is given up, so that a socket that stopped listening holds nothing
 * until it listens again (through a new state).
 */
static void cn_proc_lapse(struct cn_proc_listener *listener)
{
	lockdep_assert_held(&cn_proc_lock);
	cn_proc_recount(listener, 0);
	list_del_init(&listener->linger);
	cn_proc_view_release(listener->view);
	/* Filters compare it with the view of an event: none matches. */
	WRITE_ONCE(listener->view, NULL);
}

/*
 * Lapse up to @max lingering masks, those due or, with @all, every one.
 * Returns true when it stopped at @max; else sets *@wait (with @wait) to
 * the jiffies until the next is due, or 0 when none lingers.
 */
static bool cn_proc_lapse_some(unsigned int max, bool all,
			       unsigned long *wait)
{
	struct cn_proc_listener *listener;
	unsigned long now = jiffies, due;
	unsigned int n;

	lockdep_assert_held(&cn_proc_lock);
	if (wait)
		*wait = 0;
	for (n = 0; n < max; n++) {
		listener = list_first_entry_or_null(&cn_proc_lingering,
						    struct cn_proc_listener,
						    linger);
		if (!listener)
			return false;
		due = listener->linger_since + CN_PROC_LINGER;
		if (!all && time_before(now, due)) {
			if (wait)
				*wait = due - now;
			return false;
		}
		cn_proc_lapse(listener);
	}
	return true;
}

static void cn_proc_unlinger(struct work_struct *work)
{
	unsigned long wait;
	bool more;

	do {
		spin_lock(&cn_proc_lock);
		more = cn_proc_lapse_some(CN_PROC_LAPSE_BATCH, false, &wait);
		spin_unlock(&cn_proc_lock);
		cond_resched();
	} while (more);
	/*
	 * The head is due first: an IGNORE that queued this work meanwhile
	 * queued it for later, so moving it earlier loses nothing.
	 */
	if (wait)
		mod_delayed_work(system_wq, &cn_proc_unlinger_work, wait);
}

#if IS_ENABLED(CONFIG_KUNIT)
/* Lapse the lingering masks now, due or not: for the KUnit suite. */
void cn_proc_settle(void)
{
	bool more;

	do {
		spin_lock(&cn_proc_lock);
		more = cn_proc_lapse_some(CN_PROC_LAPSE_BATCH, true, NULL);
		spin_unlock(&cn_proc_lock);
	} while (more);
}
EXPORT_SYMBOL_IF_KUNIT(cn_proc_settle);
#endif

/* @listener, without batches, stops listening; its mask lingers. */
static void cn_proc_stop(struct cn_proc_listener *listener)
{
	lockdep_assert_held(&cn_proc_lock);
	if (!listener->mask)
		return;
	/* Pay for the recounts that are due: the worker is the backstop. */
	cn_proc_lapse_some(CN_PROC_LAPSE_INLINE, false, NULL);
	cn_proc_listeners--;
	WRITE_ONCE(listener->mask, 0);
	listener->linger_since = jiffies;
	list_add_tail(&listener->linger, &cn_proc_lingering);
	/* Pending already when others linger: it rearms for the rest. */
	if (!delayed_work_pending(&cn_proc_unlinger_work))
		queue_delayed_work(system_wq, &cn_proc_unlinger_work,
				   CN_PROC_LINGER);
}

/*
 * LISTEN without batches from a socket whose state has the current task's
 * view and no stream: change its mask in place. False when the state must
 * be replaced.
 */
static bool cn_proc_relisten(struct sock *sk, u32 mask)
{
	struct cn_proc_listener *listener;
	const struct cn_proc_view *view;
	bool done = false;

	spin_lock(&cn_proc_lock);
	/* Under the lock: another thread may be replacing it. */
	listener = cn_sock_state(sk, &cn_proc_sock_ops);
	view = listener ? listener->view : NULL;
	if (view && !listener->stream &&
	    cn_proc_view_is_current(view, sock_net(sk))) {
		cn_proc_set_mask(listener, mask);
		done = true;
	}
	spin_unlock(&cn_proc_lock);
	return done;
}

/*
 * LISTEN with @mask from the current task on @sk, with batches or not.
 * The new mask is accounted before the old one is taken out, so that an
 * event both masks want is never missed, and a replace leaves the
 * listener count alone.
 */
static int cn_proc_listen(struct sock *sk, u32 mask, bool batched)
{
	struct cn_proc_stream *stream = NULL, *spare_stream = NULL;
	struct cn_proc_view *view, *spare_view = NULL;
	struct cn_proc_listener *listener, *old;
	struct net *net = sock_net(sk);
	int err;

	if (!batched && cn_proc_relisten(sk, mask))
		return 0;
	err = cn_sock_attach(sk);
	if (err)
		return err;
	listener = kzalloc(sizeof(*listener), GFP_KERNEL_ACCOUNT);
	if (!listener)
		return -ENOMEM;

	/* Find the view and stream, or make them outside the lock. */
	spin_lock(&cn_proc_lock);
	for (;;) {
		view = cn_proc_view_find(net);
		if (!view && spare_view) {
			view = spare_view;
			spare_view = NULL;
			view->idle = true;	/* held below */
			cn_proc_idle_views++;
			hash_add_rcu(cn_proc_views, &view->node,
				     (unsigned long)view->pid_ns);
			cn_proc_nr_views++;
			if (view->pid_ns != &init_pid_ns)
				WRITE_ONCE(cn_proc_nested_views,
					   cn_proc_nested_views + 1);
		}
		if (view && batched) {
			stream = cn_proc_stream_find(view, mask,
						     cn_proc_sock_owner(sk));
			if (!stream && spare_stream) {
				stream = spare_stream;
				spare_stream = NULL;
				stream->view = view;
				stream->net = get_net(view->net);
				cn_proc_idle_streams++;	/* held below */
				list_add_tail_rcu(&stream->node, &view->streams);
			}
		}
		if (view && (!batched || stream))
			break;
		spin_unlock(&cn_proc_lock);
		if (!view && !spare_view)
			spare_view = cn_proc_view_new(sk, &err);
		if (!err && batched && !spare_stream)
			spare_stream = cn_proc_stream_new(sk, mask, &err);
		if (err)
			goto out;
		spin_lock(&cn_proc_lock);
	}

	cn_proc_view_hold(view);
	if (stream)
		cn_proc_stream_hold(stream);
	listener->view = view;
	listener->stream = stream;
	INIT_LIST_HEAD(&listener->linger);
	cn_proc_set_mask(listener, mask);
	/* cn_proc is built in: its state never fails to pin a module. */
	old = cn_sock_state_swap(sk, &cn_proc_sock_ops, listener);
	if (old)
		cn_proc_unaccount(old);
	spin_unlock(&cn_proc_lock);

	if (old)
		kfree_rcu(old, rcu);
	listener = NULL;
out:
	kfree(listener);
	if (spare_view)
		cn_proc_view_free(spare_view);
	if (spare_stream)
		cn_proc_stream_free(spare_stream);
	return err;
}

/*
 * IGNORE: @sk stops listening, if it did. A listener without batches
 * keeps its state, with mask 0, for its next LISTEN; a batched one gives
 * up its stream with its state.
 */
static void cn_proc_ignore(struct sock *sk)
{
	struct cn_proc_listener *listener;

	spin_lock(&cn_proc_lock);
	/* Under the lock: another thread may be replacing it. */
	listener = cn_sock_state(sk, &cn_proc_sock_ops);
	if (listener && !listener->stream) {
		cn_proc_stop(listener);
		listener = NULL;
	} else if (listener) {
		listener = cn_sock_state_swap(sk, &cn_proc_sock_ops, NULL);
		cn_proc_unaccount(listener);
	}
	spin_unlock(&cn_proc_lock);
	if (listener)
		kfree_rcu(listener, rcu);
}

/* A listener's socket closed: its state is ours to drop. */
static void cn_proc_release(struct sock *sk, void *state)
{
	struct cn_proc_listener *listener = state;

	spin_lock(&cn_proc_lock);
	cn_proc_unaccount(listener);
	spin_unlock(&cn_proc_lock);
	kfree_rcu(listener, rcu);
}

static struct cn_sock_ops cn_proc_sock_ops = {
	.owner = THIS_MODULE,
	.release = cn_proc_release,
};

/*
 * The policy of the initial network namespace binds every namespace, so
 * that a namespace its owner made cannot lift the host's. The capability
 * is asked over the user namespace that owns the pid namespace to be
 * watched, which a user cannot choose by making a user namespace of its
 * own, and for the sender and the socket's opener alike.
 */
static bool cn_proc_may_listen(const struct netlink_skb_parms *nsp)
{
	struct net *net = sock_net(nsp->sk);
	const struct cn_proc_net *pn = net_generic(net, cn_proc_net_id);
	const struct cn_proc_net *init = net_generic(&init_net, cn_proc_net_id);
	struct user_namespace *owner;
	struct file *file;

	if (!READ_ONCE(pn->restrict_listen) && !READ_ONCE(init->restrict_listen))
		return true;
	owner = task_active_pid_ns(current)->user_ns;
	if (!ns_capable(owner, CAP_NET_ADMIN))
		return false;
	file = nsp->sk->sk_socket ? nsp->sk->sk_socket->file : NULL;
	return !file || file_ns_capable(file, owner, CAP_NET_ADMIN);
}

/* Returns 0 or a negative errno for the acknowledgment. */
static int cn_proc_control(const struct cn_msg *msg,
			   const struct netlink_skb_parms *nsp)
{
	struct sock *sk = nsp->sk;
	struct proc_input input;
	u32 mask;

	if (msg->len == sizeof(input)) {
		memcpy(&input, msg->data, sizeof(input));
	} else if (msg->len == sizeof(input.mcast_op)) {
		memcpy(&input.mcast_op, msg->data, sizeof(input.mcast_op));
		input.event_type = PROC_EVENT_ALL;
	} else {
		return -EINVAL;
	}

	switch (input.mcast_op) {
	case PROC_CN_MCAST_LISTEN:
	case PROC_CN_MCAST_LISTEN_BATCH:
		/*
		 * Bits this kernel does not know are ignored, as they always
		 * were, so that a program built against a newer header (or
		 * asking for 0xffffffff) still listens; a mask of no known
		 * event means every event.
		 */
		mask = (u32)input.event_type & PROC_EVENT_ALL;
		if (!mask)
			mask = PROC_EVENT_ALL;
		if (!cn_proc_may_listen(nsp))
			return -EPERM;
		return cn_proc_listen(sk, mask,
				      input.mcast_op == PROC_CN_MCAST_LISTEN_BATCH);
	case PROC_CN_MCAST_IGNORE:
		cn_proc_ignore(sk);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * A control message is answered with the request's seq and its ack plus
 * one, so that it can be matched to its request. The answer goes to the
 * members of CN_IDX_PROC, where it always went, but of them to the sender
 * alone: a sender outside the group gets none. Not inlined: the stack of
 * @ev is initialised on entry, which a message without an answer (nobody
 * in the group) should not pay for.
 */
static noinline void cn_proc_answer(const struct cn_msg *msg,
				    const struct netlink_skb_parms *nsp, int err)
{
	struct proc_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.timestamp_ns = ktime_get_ns();
	ev.cpu = raw_smp_processor_id();
	/* The acknowledgment carries a positive errno. */
	ev.event_data.ack.err = -err;
	cn_reply_member(nsp, msg, CN_IDX_PROC, &ev, sizeof(ev));
}

static void cn_proc_callback(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	int err;

	if (!nsp->sk)
		return;
	err = cn_proc_control(msg, nsp);
	/* Nobody in the group: nobody to answer. */
	if (cn_has_listeners(sock_net(nsp->sk), CN_IDX_PROC))
		cn_proc_answer(msg, nsp, err);
}

/*
 * debugfs connector/proc_events, for the root user: the number of
 * listeners, the union of their masks, and the number of views.
 */
static int cn_proc_stats_show(struct seq_file *m, void *v)
{
	unsigned int listeners = cn_proc_listener_count(), views;
	u32 interest;

	spin_lock(&cn_proc_lock);
	views = cn_proc_nr_views;
	interest = cn_proc_interest;
	spin_unlock(&cn_proc_lock);
	seq_printf(m, "listeners %u\ninterest 0x%08x\nviews %u\n", listeners,
		   interest, views);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cn_proc_stats);

static struct ctl_table cn_proc_sysctl[] = {
	{
		.procname = "proc_events_restrict",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = SYSCTL_ONE,
	},
};

static int __net_init cn_proc_net_init(struct net *net)
{
	struct cn_proc_net *pn = net_generic(net, cn_proc_net_id);
	struct ctl_table *table = cn_proc_sysctl;

	/* A new namespace starts with the policy of the initial one. */
	if (!net_eq(net, &init_net)) {
		const struct cn_proc_net *init = net_generic(&init_net,
							     cn_proc_net_id);

		pn->restrict_listen = READ_ONCE(init->restrict_listen);
	}
	if (!IS_ENABLED(CONFIG_SYSCTL))
		return 0;
	if (!net_eq(net, &init_net)) {
		table = kmemdup(cn_proc_sysctl, sizeof(cn_proc_sysctl),
				GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}
	table[0].data = &pn->restrict_listen;
	pn->sysctl = register_net_sysctl_sz(net, "net/connector", table,
					    ARRAY_SIZE(cn_proc_sysctl));
	if (!pn->sysctl) {
		if (table != cn_proc_sysctl)
			kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit cn_proc_net_exit(struct net *net)
{
	struct cn_proc_net *pn = net_generic(net, cn_proc_net_id);
	const struct ctl_table *table;

	if (!pn->sysctl)
		return;
	table = pn->sysctl->ctl_table_arg;
	unregister_net_sysctl_table(pn->sysctl);
	if (table != cn_proc_sysctl)
		kfree(table);
}

static struct pernet_operations cn_proc_net_ops = {
	.init = cn_proc_net_init,
	.exit = cn_proc_net_exit,
	.id = &cn_proc_net_id,
	.size = sizeof(struct cn_proc_net),
};

/* The system's limit: only the initial namespace sets it. */
static struct ctl_table cn_proc_limit_sysctl[] = {
	{
		.procname = "proc_max_user_views",
		.data = &cn_proc_limit.max,
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
	},
};

static int __init cn_proc_init(void)
{
	struct ctl_table_header *limit_sysctl;
	bool probe;
	int err;

	err = register_pernet_subsys(&cn_proc_net_ops);
	if (err)
		return err;
	limit_sysctl = register_net_sysctl(&init_net, "net/connector",
					   cn_proc_limit_sysctl);
	if (!limit_sysctl && IS_ENABLED(CONFIG_SYSCTL)) {
		err = -ENOMEM;
		goto err_net;
	}
	/*
	 * The probe would take a sleeping lock with preemption off on
	 * PREEMPT_RT; there, as without tracepoints, the exit of a task
	 * already reaped reaches the initial pid namespace only.
	 */
	probe = !IS_ENABLED(CONFIG_PREEMPT_RT) &&
		!register_trace_sched_process_exit(cn_proc_exit_probe, NULL);
	err = cn_sock_ops_register(&cn_proc_sock_ops);
	if (err)
		goto err_probe;
	/* Last: from here on, listeners can come. */
	err = cn_add_service(&cn_proc_id, "cn_proc", cn_proc_callback);
	if (err)
		goto err_ops;
	debugfs_create_file("proc_events", 0444, cn_debugfs_dir(), NULL,
			    &cn_proc_stats_fops);
	return 0;

err_ops:
	cn_sock_ops_unregister(&cn_proc_sock_ops);
err_probe:
	if (probe) {
		unregister_trace_sched_process_exit(cn_proc_exit_probe, NULL);
		tracepoint_synchronize_unregister();
	}
	if (limit_sysctl)
		unregister_net_sysctl_table(limit_sysctl);
err_net:
	unregister_pernet_subsys(&cn_proc_net_ops);
	return err;
}
device_initcall(cn_proc_init);
