// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KUnit tests for the kernel connector.
 *
 * The table, the receive path, listener accounting and notifications are
 * driven the way userspace drives them: datagrams sent from kernel netlink
 * sockets go through netlink into the connector, in the sending thread's
 * context. Callbacks use ids in a private range, so the tests can run
 * beside real users, built in or as a module.
 *
 * Hygiene. Whatever a case creates (sockets, callbacks, notifiers, threads,
 * mounts) is released by a KUnit action registered before or right after
 * it is created, so a failed assertion, which ends the test thread on the
 * spot, never leaves a callback pointing into this module, a thread
 * blocked or a socket open. Actions run in reverse order: the memory and
 * sockets a thread uses are registered before the thread. Callbacks and
 * notifiers run inside the connector (under its locks, or with an entry
 * pinned), so they never assert: they record, and the test thread checks.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/completion.h>
#include <linux/connector.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kmod.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "cn_core.h"
#ifdef CONFIG_PROC_EVENTS
#include <linux/cn_proc.h>
#include "cn_proc_kunit.h"
#endif

MODULE_IMPORT_NS(CONNECTOR_CORE);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* The tests' private idx values: far above any registered user. */
#define KT_IDX		0x7ffffff0
#define KT_IDX_RANGE	16
#define KT_IDX_MANY	(KT_IDX + 1)
#define KT_IDX_RACE	(KT_IDX + 2)
#define KT_IDX_NOTIFY	(KT_IDX + 3)

#define KT_MANY		256
#define KT_BUF		512
/* Generous: debug kernels are slow, and nothing here should take long. */
#define KT_TIMEOUT	(30 * HZ)
#define KT_RACE_LOOPS	2000
#define KT_RACE_MET	50		/* times the racers must meet */
#define KT_RACE_TIME	(20 * HZ)	/* how long they may take to */
#define KT_REPLACE_LOOPS	500
#define KT_REPLIES	64
#define KT_WAITER_SEQ	0x10000

/*
 * The rule every race case loops by: after @i rounds, of @min at least,
 * with the race seen @met times, or once @deadline passed (the test then
 * fails on its proof that the race happened). A vCPU may not run at all
 * for a while on a busy host, so a fixed count proves nothing.
 */
static bool kt_race_done(unsigned int i, unsigned int min, unsigned long met,
			 unsigned long deadline)
{
	return time_after(jiffies, deadline) || (i >= min && met >= KT_RACE_MET);
}

/* Calls of kt_count(), per val of the id. */
static atomic_t kt_calls[KT_MANY];

static void kt_count(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	if (msg->id.val < KT_MANY)
		atomic_inc(&kt_calls[msg->id.val]);
}

/* Sockets. */

/**
 * struct kt_sk - a kernel NETLINK_CONNECTOR socket and its buffers
 * @sock: the socket; released by an action
 * @portid: its port id
 * @seq: the sequence number of the last request sent on it
 * @enobufs: overruns reported to it
 * @tx_len: bytes of @tx a sending thread sends
 * @tx: a datagram to send
 * @rx: the datagram last received
 */
struct kt_sk {
	struct socket *sock;
	u32 portid;
	u32 seq;
	unsigned int enobufs;
	size_t tx_len;
	u8 tx[KT_BUF] __aligned(8);
	u8 rx[KT_BUF] __aligned(8);
};

KUNIT_DEFINE_ACTION_WRAPPER(kt_sock_release, sock_release, struct socket *);

/* A bound socket of the initial network namespace, in @groups (bit n-1). */
static struct kt_sk *kt_socket_groups(struct kunit *test, u32 groups)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = groups,
	};
	struct kt_sk *sk;

	sk = kunit_kzalloc(test, sizeof(*sk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sk);
	KUNIT_ASSERT_EQ(test, 0, sock_create_kern(&init_net, AF_NETLINK, SOCK_DGRAM,
						  NETLINK_CONNECTOR, &sk->sock));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kt_sock_release, sk->sock));
	KUNIT_ASSERT_EQ(test, 0, kernel_bind(sk->sock, (struct sockaddr *)&addr,
					     sizeof(addr)));
	KUNIT_ASSERT_EQ(test, (int)sizeof(addr),
			kernel_getsockname(sk->sock, (struct sockaddr *)&addr));
	sk->portid = addr.nl_pid;
	return sk;
}

static struct kt_sk *kt_socket(struct kunit *test)
{
	return kt_socket_groups(test, 0);
}

/* Send @len bytes of @buf to the connector, as userspace would. */
static int kt_send(struct kt_sk *sk, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = {
		.msg_name = &kernel,
		.msg_namelen = sizeof(kernel),
	};
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_sendmsg(sk->sock, &msg, &vec, 1, len);
}

/* Build one well-formed message into @buf; returns its nlmsg_len. */
static size_t kt_build(void *buf, u32 idx, u32 val, u32 seq, const void *data,
		       u16 len)
{
	struct nlmsghdr *nlh = buf;
	struct cn_msg *msg = nlmsg_data(nlh);

	memset(buf, 0, NLMSG_HDRLEN + sizeof(*msg));
	nlh->nlmsg_len = nlmsg_msg_size(sizeof(*msg) + len);
	nlh->nlmsg_type = NLMSG_DONE;
	msg->id.idx = idx;
	msg->id.val = val;
	msg->seq = seq;
	msg->len = len;
	if (data)
		memcpy(msg->data, data, len);
	else
		memset(msg->data, 0x5a, len);
	return nlh->nlmsg_len;
}

/*
 * The next message queued on @sk, or NULL when there is none. Never waits:
 * what the tests look for is queued by the time they look, since the
 * connector answers in the context of the sender, and notifiers run in the
 * context of the task that changes the table.
 */
static struct cn_msg *kt_recv(struct kt_sk *sk)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)sk->rx;
	struct kvec vec = { .iov_base = sk->rx, .iov_len = sizeof(sk->rx) };
	struct msghdr msg = { };
	struct cn_msg *cn;
	int len;

	len = kernel_recvmsg(sk->sock, &msg, &vec, 1, sizeof(sk->rx), MSG_DONTWAIT);
	if (len == -ENOBUFS) {
		/* An overrun is reported once; what was queued is still there. */
		sk->enobufs++;
		len = kernel_recvmsg(sk->sock, &msg, &vec, 1, sizeof(sk->rx),
				     MSG_DONTWAIT);
	}
	if (len < (int)(NLMSG_HDRLEN + sizeof(*cn)) || nlh->nlmsg_len > (u32)len)
		return NULL;
	cn = nlmsg_data(nlh);
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*cn) + cn->len)
		return NULL;
	return cn;
}

/* Empty @sk's queue; returns the number of messages it held. */
static unsigned int kt_drain(struct kt_sk *sk)
{
	unsigned int n = 0;

	while (n < 100000 && kt_recv(sk))
		n++;
	return n;
}

/* Callbacks. */

/**
 * struct kt_ids - ids a case may register, deleted when it ends
 * @idx: their idx
 * @first: the first val
 * @count: how many vals from @first on
 */
struct kt_ids {
	u32 idx;
	u32 first;
	u32 count;
};

static void kt_del_ids(void *data)
{
	const struct kt_ids *ids = data;
	struct cb_id id = { .idx = ids->idx };
	u32 i;

	/* Deleting an id that is not registered is a no-op. */
	for (i = 0; i < ids->count; i++) {
		id.val = ids->first + i;
		cn_del_callback(&id);
	}
}

/* From now on, however the case ends, these ids end up unregistered. */
static void kt_own_ids(struct kunit *test, u32 idx, u32 first, u32 count)
{
	struct kt_ids *ids = kunit_kzalloc(test, sizeof(*ids), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ids);
	ids->idx = idx;
	ids->first = first;
	ids->count = count;
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kt_del_ids, ids));
}

static void kt_add(struct kunit *test, u32 idx, u32 val, const char *name,
		   cn_callback_fn fn)
{
	struct cb_id id = { .idx = idx, .val = val };

	kt_own_ids(test, idx, val, 1);
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, name, fn));
}

/* Threads. */

/**
 * struct kt_thread - a kernel thread a case runs
 * @task: the thread; we hold a reference
 * @fn: what it runs
 * @data: argument of @fn
 * @gate: completed by the cleanup before it stops the thread, so that a
 *	thread waiting on it can finish
 * @room: drained by the cleanup before it stops the thread, so that a
 *	thread waiting for room in its queue can finish
 * @done: completed when @fn has returned
 * @ret: what @fn returned
 */
struct kt_thread {
	struct task_struct *task;
	int (*fn)(void *data);
	void *data;
	struct completion *gate;
	struct kt_sk *room;
	struct completion done;
	int ret;
};

static int kt_thread_main(void *data)
{
	struct kt_thread *t = data;

	t->ret = t->fn(t->data);
	complete(&t->done);
	return 0;
}

static void kt_thread_stop(void *data)
{
	struct kt_thread *t = data;

	if (t->gate)
		complete_all(t->gate);
	if (t->room)
		kt_drain(t->room);
	/*
	 * Waits for the thread to exit. A thread still waiting for socket
	 * room is woken with a pending signal, which ends that wait too.
	 */
	kthread_stop_put(t->task);
}

/* Start @fn(@data) in a thread, on @cpu unless it is negative. */
static struct kt_thread *kt_thread_start(struct kunit *test, int (*fn)(void *),
					 void *data, int cpu,
					 struct completion *gate,
					 struct kt_sk *room, const char *name)
{
	struct task_struct *task;
	struct kt_thread *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->fn = fn;
	t->data = data;
	t->gate = gate;
	t->room = room;
	init_completion(&t->done);
	task = kthread_create(kt_thread_main, t, "%s", name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	get_task_struct(task);
	t->task = task;
	if (cpu >= 0)
		kthread_bind(task, cpu);
	/* A thread stopped before it ran never calls @fn. */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kt_thread_stop, t));
	wake_up_process(task);
	return t;
}

static bool kt_wait(struct completion *done, unsigned long timeout)
{
	return wait_for_completion_timeout(done, timeout);
}

/* Two online CPUs, for the cases that race. */
static void kt_two_cpus(struct kunit *test, unsigned int cpu[2])
{
	if (num_online_cpus() < 2)
		kunit_skip(test, "a race needs two online CPUs, %u online",
			   num_online_cpus());
	cpu[0] = cpumask_first(cpu_online_mask);
	cpu[1] = cpumask_next(cpu[0], cpu_online_mask);
	KUNIT_ASSERT_LT(test, cpu[1], nr_cpu_ids);
}

/* A spare multicast group (past the registered idx values) nobody is in. */
static u32 kt_free_group(struct kunit *test)
{
	u32 group;

	for (group = CN_NETLINK_USERS + 0xf; group > CN_NETLINK_USERS; group--)
		if (!cn_has_listeners(&init_net, group))
			return group;
	KUNIT_ASSERT_TRUE_MSG(test, false, "every spare connector group has members");
	return 0;
}

/* The "connector" suite: the table, the receive path, the send path. */

static atomic_t kt_dup_calls;

static void kt_count_dup(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	atomic_inc(&kt_dup_calls);
}

static void kt_table_add_duplicate_delete(struct kunit *test)
{
	struct cb_id id = { KT_IDX, 1 };
	struct kt_sk *sk = kt_socket(test);
	size_t len = kt_build(sk->tx, KT_IDX, 1, 0, NULL, 4);

	atomic_set(&kt_calls[1], 0);
	atomic_set(&kt_dup_calls, 0);
	kt_own_ids(test, KT_IDX, 1, 1);

	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	KUNIT_EXPECT_EQ(test, -EEXIST, cn_add_callback(&id, "kt_dup", kt_count_dup));
	/* The refused duplicate replaced nothing: the first one answers. */
	KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx, len), 0);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[1]));
	KUNIT_EXPECT_EQ(test, 0, atomic_read(&kt_dup_calls));

	cn_del_callback(&id);
	KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx, len), 0);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[1]));

	/* Gone: the id can be taken again, by another callback. */
	KUNIT_EXPECT_EQ(test, 0, cn_add_callback(&id, "kt_dup", kt_count_dup));
	KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx, len), 0);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_dup_calls));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[1]));
}

static void kt_table_delete_unknown(struct kunit *test)
{
	struct cb_id id = { KT_IDX, 2 }, unknown = { KT_IDX, 3 };
	struct kt_sk *sk = kt_socket(test);
	size_t len = kt_build(sk->tx, KT_IDX, 2, 0, NULL, 4);

	atomic_set(&kt_calls[2], 0);
	kt_own_ids(test, KT_IDX, 2, 2);

	/* Never registered: nothing happens, and nothing waits. */
	cn_del_callback(&unknown);
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	/* A neighbour's delete leaves this one alone. */
	cn_del_callback(&unknown);
	KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx, len), 0);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[2]));
	/* A second delete of the same id is as harmless as the first. */
	cn_del_callback(&id);
	cn_del_callback(&id);
	KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx, len), 0);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[2]));
}

static void kt_table_many_ids(struct kunit *test)
{
	struct cb_id id = { KT_IDX_MANY, 0 };
	struct kt_sk *sk = kt_socket(test);
	int i;

	kt_own_ids(test, KT_IDX_MANY, 0, KT_MANY);
	for (i = 0; i < KT_MANY; i++) {
		atomic_set(&kt_calls[i], 0);
		id.val = i;
		KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt_many", kt_count));
	}
	/* Every id reaches its own callback, once. */
	for (i = 0; i < KT_MANY; i++)
		KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx,
					      kt_build(sk->tx, KT_IDX_MANY, i, i, NULL, 4)),
				0);
	for (i = 0; i < KT_MANY; i++)
		KUNIT_EXPECT_EQ_MSG(test, 1, atomic_read(&kt_calls[i]), "val %d", i);
	/* The same val under another idx is another id, and is not there. */
	kt_send(sk, sk->tx, kt_build(sk->tx, KT_IDX_MANY + 1, 7, 0, NULL, 4));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[7]));

	for (i = 0; i < KT_MANY; i++) {
		id.val = i;
		cn_del_callback(&id);
	}
	/* Removed: messages go nowhere. */
	for (i = 0; i < KT_MANY; i += 37)
		kt_send(sk, sk->tx, kt_build(sk->tx, KT_IDX_MANY, i, 0, NULL, 4));
	for (i = 0; i < KT_MANY; i += 37)
		KUNIT_EXPECT_EQ_MSG(test, 1, atomic_read(&kt_calls[i]), "val %d", i);
}

/* A callback that blocks until the test, or its cleanup, lets it go. */
static struct {
	struct completion entered;
	struct completion release;
	atomic_t calls;
} kt_block;

static void kt_blocking(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	atomic_inc(&kt_block.calls);
	complete(&kt_block.entered);
	wait_for_completion(&kt_block.release);
}

static int kt_send_fn(void *data)
{
	struct kt_sk *sk = data;

	return kt_send(sk, sk->tx, sk->tx_len);
}

static int kt_delete_fn(void *data)
{
	cn_del_callback(data);
	return 0;
}

static void kt_table_delete_waits(struct kunit *test)
{
	struct kt_thread *sender, *deleter;
	struct kt_sk *sk, *probe;
	struct cb_id *id;

	init_completion(&kt_block.entered);
	init_completion(&kt_block.release);
	atomic_set(&kt_block.calls, 0);
	id = kunit_kzalloc(test, sizeof(*id), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, id);
	id->idx = KT_IDX;
	id->val = 3;
	sk = kt_socket(test);
	probe = kt_socket(test);
	sk->tx_len = kt_build(sk->tx, KT_IDX, 3, 0, NULL, 4);
	kt_add(test, KT_IDX, 3, "kt_block", kt_blocking);

	sender = kt_thread_start(test, kt_send_fn, sk, -1, &kt_block.release, NULL,
				 "kt_sender");
	KUNIT_ASSERT_TRUE_MSG(test, kt_wait(&kt_block.entered, KT_TIMEOUT),
			      "the callback was never called");
	deleter = kt_thread_start(test, kt_delete_fn, id, -1, &kt_block.release, NULL,
				  "kt_deleter");

	/* The callback is running: the delete must not return while it does. */
	KUNIT_EXPECT_FALSE(test, kt_wait(&deleter->done, msecs_to_jiffies(200)));
	complete_all(&kt_block.release);
	/* Once it has returned, the delete does. */
	KUNIT_EXPECT_TRUE(test, kt_wait(&deleter->done, KT_TIMEOUT));
	KUNIT_EXPECT_TRUE(test, kt_wait(&sender->done, KT_TIMEOUT));
	KUNIT_EXPECT_GT(test, sender->ret, 0);

	/* And the callback is gone for good. */
	KUNIT_EXPECT_GT(test, kt_send(probe, probe->tx,
				      kt_build(probe->tx, KT_IDX, 3, 1, NULL, 4)), 0);
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_block.calls));
}

/* What kt_record() saw: the seq of each message, in order. */
static struct {
	spinlock_t lock;	/* guards @n and @seq */
	unsigned int n;
	u32 seq[16];
} kt_seqs = {
	.lock = __SPIN_LOCK_UNLOCKED(kt_seqs.lock),
};

static void kt_record(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	spin_lock(&kt_seqs.lock);
	if (kt_seqs.n < ARRAY_SIZE(kt_seqs.seq))
		kt_seqs.seq[kt_seqs.n] = msg->seq;
	kt_seqs.n++;
	spin_unlock(&kt_seqs.lock);
}

static void kt_seqs_reset(void)
{
	spin_lock(&kt_seqs.lock);
	kt_seqs.n = 0;
	spin_unlock(&kt_seqs.lock);
}

enum kt_shape {
	KT_SHORT_DATAGRAM,
	KT_HEADER_ONLY,
	KT_TRUNCATED_CN_MSG,
	KT_NLMSG_LEN_PAST_DATAGRAM,
	KT_NLMSG_LEN_BELOW_HEADER,
	KT_NLMSG_LEN_HUGE,
	KT_CN_LEN_PAST_PAYLOAD,
	KT_CN_LEN_HUGE,
	KT_OVER_MAX,
	KT_SHAPES
};

static void kt_malformed_messages(struct kunit *test)
{
	size_t size = NLMSG_SPACE(sizeof(struct cn_msg) + CONNECTOR_MAX_MSG_SIZE);
	struct kt_sk *sk = kt_socket(test);
	struct nlmsghdr *nlh;
	struct cn_msg *msg;
	size_t len, sent, off;
	u32 seq;
	u8 *buf;
	int shape;

	buf = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	nlh = (struct nlmsghdr *)buf;
	msg = nlmsg_data(nlh);
	kt_seqs_reset();
	kt_add(test, KT_IDX, 4, "kt_record", kt_record);

	for (shape = 0; shape < KT_SHAPES; shape++) {
		len = kt_build(buf, KT_IDX, 4, shape, NULL, 10);
		sent = len;
		switch (shape) {
		case KT_SHORT_DATAGRAM:
			sent = NLMSG_HDRLEN - 4;
			break;
		case KT_HEADER_ONLY:
			nlh->nlmsg_len = NLMSG_HDRLEN;
			sent = NLMSG_HDRLEN;
			break;
		case KT_TRUNCATED_CN_MSG:
			nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*msg) - 1;
			sent = nlh->nlmsg_len;
			break;
		case KT_NLMSG_LEN_PAST_DATAGRAM:
			nlh->nlmsg_len = len + 1;
			break;
		case KT_NLMSG_LEN_BELOW_HEADER:
			nlh->nlmsg_len = NLMSG_HDRLEN - 1;
			break;
		case KT_NLMSG_LEN_HUGE:
			nlh->nlmsg_len = U32_MAX;
			break;
		case KT_CN_LEN_PAST_PAYLOAD:
			msg->len = 11;
			break;
		case KT_CN_LEN_HUGE:
			msg->len = U16_MAX;
			break;
		case KT_OVER_MAX:
			sent = kt_build(buf, KT_IDX, 4, shape, NULL,
					CONNECTOR_MAX_MSG_SIZE - sizeof(*msg) + 1);
			break;
		}
		kt_send(sk, buf, sent);
		KUNIT_EXPECT_EQ_MSG(test, 0U, kt_seqs.n, "shape %d reached the callback",
				    shape);
	}

	/* The largest valid message still gets through. */
	KUNIT_EXPECT_GT(test, kt_send(sk, buf, kt_build(buf, KT_IDX, 4, 99, NULL,
							CONNECTOR_MAX_MSG_SIZE -
							sizeof(*msg))), 0);
	KUNIT_EXPECT_EQ(test, 1U, kt_seqs.n);

	/*
	 * Several messages in one datagram are dispatched in order, and the
	 * walk stops at the first malformed one: 100 and 101 arrive, 103
	 * after the broken 102 does not.
	 */
	kt_seqs_reset();
	off = 0;
	for (seq = 100; seq < 104; seq++) {
		len = kt_build(buf + off, KT_IDX, 4, seq, NULL, 4);
		msg = nlmsg_data((struct nlmsghdr *)(buf + off));
		if (seq == 102)
			msg->len = 5;
		off += NLMSG_ALIGN(len);
	}
	KUNIT_EXPECT_GT(test, kt_send(sk, buf, off), 0);
	KUNIT_ASSERT_EQ(test, 2U, kt_seqs.n);
	KUNIT_EXPECT_EQ(test, 100U, kt_seqs.seq[0]);
	KUNIT_EXPECT_EQ(test, 101U, kt_seqs.seq[1]);
}

static void kt_send_errors(struct kunit *test)
{
	struct kt_sk *sk = kt_socket(test), *member;
	struct cb_id id = { KT_IDX, 5 };
	u32 group = kt_free_group(test);
	struct cn_msg *msg, *got;

	msg = kunit_kzalloc(test, sizeof(*msg) + 16, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	msg->id = id;
	msg->seq = 55;
	msg->len = 16;
	memset(msg->data, 0x3c, 16);
	kt_own_ids(test, KT_IDX, 5, 1);

	/* No portid, no group, nobody registered for the id. */
	KUNIT_EXPECT_EQ(test, -ENODEV, cn_netlink_send(msg, 0, 0, GFP_KERNEL));
	/* Registered, but nobody is in its group (its idx). */
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	KUNIT_EXPECT_EQ(test, -ESRCH, cn_netlink_send(msg, 0, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -ESRCH, cn_netlink_send(msg, 0, group, GFP_KERNEL));
	/* Larger than the connector carries. */
	KUNIT_EXPECT_EQ(test, -EMSGSIZE,
			cn_netlink_send_mult(msg, CONNECTOR_MAX_MSG_SIZE + 1, sk->portid, 0,
					     GFP_KERNEL, NULL, NULL));
	/* To a socket that does not exist. */
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED,
			cn_netlink_send(msg, 0x7ffffffe, 0, GFP_KERNEL));

	/* To one that does: delivered whole. */
	KUNIT_EXPECT_EQ(test, 0, cn_netlink_send(msg, sk->portid, 0, GFP_KERNEL));
	got = kt_recv(sk);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, 0, memcmp(got, msg, sizeof(*msg) + 16));

	/* To a group with a member: delivered to it... */
	member = kt_socket_groups(test, BIT(group - 1));
	KUNIT_EXPECT_EQ(test, 0, cn_netlink_send(msg, 0, group, GFP_KERNEL));
	got = kt_recv(member);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_EXPECT_EQ(test, 0, memcmp(got, msg, sizeof(*msg) + 16));
	/* ...unless it is the portid left out of the broadcast. */
	KUNIT_EXPECT_EQ(test, -ESRCH,
			cn_netlink_send(msg, member->portid, group, GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, kt_recv(member));
}

/*
 * What kt_notifier_fn() saw of id {KT_IDX, 6}: each action, whether a
 * message sent to the id at that moment reached its callback, and the
 * name and namespace scope reported.
 */
static struct {
	struct kt_sk *probe;
	atomic_t calls;
	unsigned int n;
	unsigned long action[4];
	bool reached[4];
	bool all_netns[4];
	char name[CN_NOTIFY_NAME_LEN];
} kt_seen;

static void kt_seen_cb(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	atomic_inc(&kt_seen.calls);
}

static int kt_notifier_fn(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	const struct cn_notify_info *info = data;
	struct kt_sk *probe = kt_seen.probe;
	unsigned int n;
	int before;

	/* Real users may come and go meanwhile: look at our id only. */
	if (info->id.idx != KT_IDX || info->id.val != 6)
		return NOTIFY_DONE;
	n = kt_seen.n++;
	if (n >= ARRAY_SIZE(kt_seen.action))
		return NOTIFY_OK;
	/*
	 * The receive path takes no table lock, so a message can be sent from
	 * here: it shows whether the callback is callable when reported.
	 */
	before = atomic_read(&kt_seen.calls);
	kt_send(probe, probe->tx, probe->tx_len);
	kt_seen.reached[n] = atomic_read(&kt_seen.calls) != before;
	kt_seen.action[n] = action;
	kt_seen.all_netns[n] = info->all_netns;
	strscpy(kt_seen.name, info->name, sizeof(kt_seen.name));
	return NOTIFY_OK;
}

KUNIT_DEFINE_ACTION_WRAPPER(kt_notify_unregister, cn_notify_unregister,
			    struct notifier_block *);

static void kt_notifier_chain_order(struct kunit *test)
{
	static struct notifier_block nb = { .notifier_call = kt_notifier_fn };
	struct cb_id id = { KT_IDX, 6 };

	memset(&kt_seen, 0, sizeof(kt_seen));
	kt_seen.probe = kt_socket(test);
	kt_seen.probe->tx_len = kt_build(kt_seen.probe->tx, KT_IDX, 6, 0, NULL, 4);
	kt_own_ids(test, KT_IDX, 6, 1);
	KUNIT_ASSERT_EQ(test, 0, cn_notify_register(&nb));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kt_notify_unregister, &nb));

	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt_notified", kt_seen_cb));
	KUNIT_ASSERT_EQ(test, 1U, kt_seen.n);
	KUNIT_EXPECT_EQ(test, (unsigned long)CN_NOTIFY_ADDED, kt_seen.action[0]);
	/* ADDED comes once the callback can be called. */
	KUNIT_EXPECT_TRUE(test, kt_seen.reached[0]);
	KUNIT_EXPECT_FALSE(test, kt_seen.all_netns[0]);
	KUNIT_EXPECT_STREQ(test, "kt_notified", kt_seen.name);

	/* A refused duplicate changes nothing, so it is not reported. */
	KUNIT_EXPECT_EQ(test, -EEXIST, cn_add_callback(&id, "kt", kt_count));
	KUNIT_EXPECT_EQ(test, 1U, kt_seen.n);

	cn_del_callback(&id);
	KUNIT_ASSERT_EQ(test, 2U, kt_seen.n);
	KUNIT_EXPECT_EQ(test, (unsigned long)CN_NOTIFY_REMOVED, kt_seen.action[1]);
	/* REMOVED comes once the callback can no longer be called. */
	KUNIT_EXPECT_FALSE(test, kt_seen.reached[1]);
	KUNIT_EXPECT_STREQ(test, "kt_notified", kt_seen.name);
	/* Deleting what is not there reports nothing. */
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, 2U, kt_seen.n);

	/* Unregistered: told nothing more, though the table still changes. */
	kunit_remove_action(test, kt_notify_unregister, &nb);
	KUNIT_EXPECT_EQ(test, 0, cn_notify_unregister(&nb));
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_seen_cb));
	KUNIT_EXPECT_GT(test, kt_send(kt_seen.probe, kt_seen.probe->tx,
				      kt_seen.probe->tx_len), 0);
	KUNIT_EXPECT_EQ(test, 2, atomic_read(&kt_seen.calls));
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, 2U, kt_seen.n);
	KUNIT_EXPECT_EQ(test, -ENOENT, cn_notify_unregister(&nb));
}

/*
 * Registration racing removal of the same id: the notifications of that id
 * must come in the order the changes took effect, ADDED and REMOVED in
 * turn, whoever made them.
 *
 * The racers run until they have met (one found the id the other held)
 * often enough, not for a fixed count: on a busy host one vCPU can sleep
 * through a fixed count of the other's loops, and then nothing raced.
 */
struct kt_race;

struct kt_racer {
	struct kt_race *race;
	unsigned int added;
	unsigned int exists;
	unsigned int errors;
	int first_error;
};

struct kt_race {
	struct notifier_block nb;
	struct cb_id id;
	struct completion go;
	unsigned long deadline;
	atomic_t met;		/* EEXIST seen by either racer */
	spinlock_t lock;	/* guards the fields below */
	unsigned int len;
	unsigned int bad;
	unsigned int first_bad;
	u32 bad_action;
	struct cb_id bad_id;
	struct kt_racer racer[2];
};

/* Checks each notification of the race against the one before it. */
static int kt_race_note(struct notifier_block *nb, unsigned long action,
			void *data)
{
	struct kt_race *race = container_of(nb, struct kt_race, nb);
	const struct cn_notify_info *info = data;
	unsigned long expect;

	if (info->id.idx - KT_IDX >= KT_IDX_RANGE)
		return NOTIFY_DONE;
	spin_lock(&race->lock);
	expect = race->len % 2 ? CN_NOTIFY_REMOVED : CN_NOTIFY_ADDED;
	if ((action != expect || info->id.idx != race->id.idx ||
	     info->id.val != race->id.val) && !race->bad++) {
		race->first_bad = race->len;
		race->bad_action = action;
		race->bad_id = info->id;
	}
	race->len++;
	spin_unlock(&race->lock);
	return NOTIFY_OK;
}

static int kt_racer_fn(void *data)
{
	struct kt_racer *r = data;
	struct kt_race *race = r->race;
	unsigned int i;
	int err;

	wait_for_completion(&race->go);
	for (i = 0; !kthread_should_stop(); i++) {
		if (kt_race_done(i, KT_RACE_LOOPS, atomic_read(&race->met),
				 race->deadline))
			break;
		err = cn_add_callback(&race->id, "kt_race", kt_count);
		if (!err) {
			r->added++;
			cn_del_callback(&race->id);
		} else if (err == -EEXIST) {
			r->exists++;
			atomic_inc(&race->met);
		} else if (!r->errors++) {
			r->first_error = err;
		}
		cond_resched();
	}
	return 0;
}

static void kt_notifier_add_remove_race(struct kunit *test)
{
	unsigned int cpu[2], i, added = 0, exists = 0;
	struct kt_thread *t[2];
	struct kt_race *race;

	kt_two_cpus(test, cpu);
	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	race->id.idx = KT_IDX_RACE;
	race->id.val = 1;
	race->nb.notifier_call = kt_race_note;
	spin_lock_init(&race->lock);
	init_completion(&race->go);
	kt_own_ids(test, KT_IDX_RACE, 1, 1);
	KUNIT_ASSERT_EQ(test, 0, cn_notify_register(&race->nb));
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, kt_notify_unregister,
							   &race->nb));

	for (i = 0; i < 2; i++) {
		race->racer[i].race = race;
		t[i] = kt_thread_start(test, kt_racer_fn, &race->racer[i], cpu[i],
				       &race->go, NULL, "kt_racer");
	}
	/* Both start together, each on its own CPU. */
	race->deadline = jiffies + KT_RACE_TIME;
	complete_all(&race->go);
	for (i = 0; i < 2; i++)
		KUNIT_ASSERT_TRUE_MSG(test, kt_wait(&t[i]->done, KT_RACE_TIME + KT_TIMEOUT),
				      "racer %u did not finish", i);

	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ_MSG(test, 0U, race->racer[i].errors,
				    "racer %u: first error %d", i,
				    race->racer[i].first_error);
		added += race->racer[i].added;
		exists += race->racer[i].exists;
	}
	kunit_info(test, "%u registrations, %u found the id taken\n", added, exists);
	/* Proof that the racers overlapped. */
	KUNIT_EXPECT_GE(test, exists, KT_RACE_MET);

	/* The racers are done: the count no longer changes. */
	KUNIT_EXPECT_EQ(test, 2 * added, race->len);
	KUNIT_EXPECT_GT(test, race->len, 0U);
	KUNIT_EXPECT_EQ_MSG(test, 0U, race->bad,
			    "notification %u of %u: %u for %u:%u, expected %u",
			    race->first_bad, race->len, race->bad_action,
			    race->bad_id.idx, race->bad_id.val,
			    race->first_bad % 2 ? CN_NOTIFY_REMOVED : CN_NOTIFY_ADDED);
}

/*
 * A reply sent from inside a callback to the socket whose message it
 * handles must never wait for room: the only task that could make room is
 * the one that would wait.
 */
static struct {
	const struct task_struct *task;
	atomic_t calls;
	unsigned int ok;
	unsigned int eagain;
	unsigned int other;
	int first_other;
	u8 reply[sizeof(struct cn_msg) + 32] __aligned(8);
} kt_reply;

static void kt_reply_cb(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	struct cn_msg *reply = (struct cn_msg *)kt_reply.reply;
	unsigned int i;
	int err;

	atomic_inc(&kt_reply.calls);
	kt_reply.task = current;
	memset(kt_reply.reply, 0x6b, sizeof(kt_reply.reply));
	reply->id = msg->id;
	reply->ack = msg->seq + 1;
	reply->len = sizeof(kt_reply.reply) - sizeof(*reply);
	reply->flags = 0;
	for (i = 0; i < KT_REPLIES; i++) {
		reply->seq = i;
		err = cn_netlink_send(reply, nsp->portid, 0, GFP_KERNEL);
		if (!err)
			kt_reply.ok++;
		else if (err == -EAGAIN)
			kt_reply.eagain++;
		else if (!kt_reply.other++)
			kt_reply.first_other = err;
	}
}

/**
 * struct kt_watchdog - turns a regression that blocks into a failure
 * @sk: the socket the blocked send waits on
 * @done: completed once the send returned (or by the cleanup)
 * @fired: the send did not return in time, and the watchdog made room
 */
struct kt_watchdog {
	struct kt_sk *sk;
	struct completion done;
	bool fired;
};

static int kt_watchdog_fn(void *data)
{
	struct kt_watchdog *w = data;

	if (kt_wait(&w->done, KT_TIMEOUT))
		return 0;
	WRITE_ONCE(w->fired, true);
	while (!completion_done(&w->done) && !kthread_should_stop()) {
		kt_drain(w->sk);
		msleep(20);
	}
	return 0;
}

/* A message a kernel thread sends to @portid. */
struct kt_waiter {
	u32 portid;
	u8 msg[sizeof(struct cn_msg) + 4] __aligned(8);
};

/* From a kernel thread, not a callback: waits for room, as it always did. */
static int kt_waiter_fn(void *data)
{
	struct kt_waiter *w = data;
	struct cn_msg *msg = (struct cn_msg *)w->msg;

	msg->id.idx = KT_IDX;
	msg->id.val = 8;
	msg->seq = KT_WAITER_SEQ;
	msg->len = 4;
	return cn_netlink_send(msg, w->portid, 0, GFP_KERNEL);
}

static void kt_reply_never_blocks(struct kunit *test)
{
	unsigned int replies = 0, waited = 0, i;
	struct kt_thread *watchdog, *waiter;
	struct kt_waiter *wait_msg;
	struct kt_watchdog *w;
	struct cn_msg *msg;
	struct kt_sk *sk;
	size_t len;

	memset(&kt_reply, 0, sizeof(kt_reply));
	sk = kt_socket(test);
	wait_msg = kunit_kzalloc(test, sizeof(*wait_msg), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, wait_msg);
	wait_msg->portid = sk->portid;
	/* The smallest queue: a couple of replies fill it. */
	sock_set_rcvbuf(sk->sock->sk, 0);
	kt_add(test, KT_IDX, 8, "kt_reply", kt_reply_cb);
	len = kt_build(sk->tx, KT_IDX, 8, 7, NULL, 4);

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->sk = sk;
	init_completion(&w->done);
	watchdog = kt_thread_start(test, kt_watchdog_fn, w, -1, &w->done, NULL,
				   "kt_watchdog");

	/* The callback runs here, in the test thread, and replies to it. */
	KUNIT_EXPECT_GT(test, kt_send(sk, sk->tx, len), 0);
	kunit_release_action(test, kt_thread_stop, watchdog);
	KUNIT_ASSERT_FALSE_MSG(test, w->fired,
			       "the replies waited for room in the sender's own queue");

	KUNIT_ASSERT_EQ(test, 1, atomic_read(&kt_reply.calls));
	KUNIT_EXPECT_PTR_EQ(test, kt_reply.task, (const struct task_struct *)current);
	KUNIT_EXPECT_EQ_MSG(test, 0U, kt_reply.other, "first error %d",
			    kt_reply.first_other);
	kunit_info(test, "%u replies queued, %u dropped with EAGAIN\n", kt_reply.ok,
		   kt_reply.eagain);
	/* Proof that the queue was full, and that it held what fit. */
	KUNIT_EXPECT_GT(test, kt_reply.eagain, 0U);
	KUNIT_EXPECT_GT(test, kt_reply.ok, 0U);

	/*
	 * The same full queue makes a kernel thread that is not answering
	 * this socket wait for room, and the wait ends when the socket reads.
	 */
	waiter = kt_thread_start(test, kt_waiter_fn, wait_msg, -1, NULL, sk, "kt_waiter");
	KUNIT_EXPECT_FALSE_MSG(test, kt_wait(&waiter->done, msecs_to_jiffies(200)),
			       "a kernel thread did not wait for room: %d", waiter->ret);

	for (i = 0; i < 2; i++) {
		while ((msg = kt_recv(sk))) {
			if (msg->seq == KT_WAITER_SEQ)
				waited++;
			else
				replies++;
		}
		if (!i)
			KUNIT_EXPECT_TRUE(test, kt_wait(&waiter->done, KT_TIMEOUT));
	}
	KUNIT_EXPECT_EQ(test, 0, waiter->ret);
	KUNIT_EXPECT_EQ(test, 1U, waited);
	KUNIT_EXPECT_EQ(test, kt_reply.ok, replies);
	/* The drops were reported to the receiver. */
	KUNIT_EXPECT_GT(test, sk->enobufs, 0U);
}

static struct kunit_case kt_core_cases[] = {
	KUNIT_CASE(kt_table_add_duplicate_delete),
	KUNIT_CASE(kt_table_delete_unknown),
	KUNIT_CASE(kt_table_many_ids),
	KUNIT_CASE(kt_table_delete_waits),
	KUNIT_CASE(kt_malformed_messages),
	KUNIT_CASE(kt_send_errors),
	KUNIT_CASE(kt_notifier_chain_order),
	KUNIT_CASE(kt_notifier_add_remove_race),
	KUNIT_CASE(kt_reply_never_blocks),
	{}
};

static struct kunit_suite kt_core_suite = {
	.name = "connector",
	.test_cases = kt_core_cases,
};

kunit_test_suite(kt_core_suite);

#ifdef CONFIG_PROC_EVENTS
/* The "connector_proc_events" suite. */

static const u32 kt_events[] = {
	PROC_EVENT_FORK, PROC_EVENT_EXEC, PROC_EVENT_UID, PROC_EVENT_GID,
	PROC_EVENT_SID, PROC_EVENT_PTRACE, PROC_EVENT_COMM,
	PROC_EVENT_COREDUMP, PROC_EVENT_EXIT,
};

/* A bit no kernel event uses. */
#define KT_UNKNOWN_BIT	BIT(10)

/* The documented rule, case by case. */
static bool kt_should_deliver(u32 mask, u32 what, u32 exit_code)
{
	if (what != PROC_EVENT_EXIT)
		return mask & what;
	if (mask & PROC_EVENT_EXIT)
		return true;
	return exit_code != 0 && (mask & PROC_EVENT_NONZERO_EXIT);
}

static void kt_proc_filter_decision(struct kunit *test)
{
	static const u32 codes[] = { 0, 1, 0x100, 0x8b };
	u32 bits[10], combo, mask, checked = 0;
	unsigned int i, e, c, n = 0;

	for (i = 0; i < 32; i++)
		if (PROC_EVENT_ALL & BIT(i))
			bits[n++] = BIT(i);
	KUNIT_ASSERT_EQ(test, 10U, n);

	/* Every mask made of known bits, every event, several exit codes. */
	for (combo = 0; combo < BIT(n); combo++) {
		for (mask = 0, i = 0; i < n; i++)
			if (combo & BIT(i))
				mask |= bits[i];
		for (e = 0; e < ARRAY_SIZE(kt_events); e++) {
			for (c = 0; c < ARRAY_SIZE(codes); c++) {
				bool want = kt_should_deliver(mask, kt_events[e], codes[c]);

				if (cn_proc_mask_wants(mask, kt_events[e], codes[c]) != want)
					KUNIT_FAIL(test, "mask %#x event %#x code %#x",
						   mask, kt_events[e], codes[c]);
				checked++;
			}
		}
	}
	kunit_info(test, "%u combinations checked\n", checked);
}

#define KT_EVENTS_BEFORE_ACK	1000

/*
 * A socket for control messages of process events: in CN_IDX_PROC, where
 * their answers go.
 */
static struct kt_sk *kt_proc_socket(struct kunit *test)
{
	return kt_socket_groups(test, BIT(CN_IDX_PROC - 1));
}

/* Send a process-events control message of @len bytes; returns the ack's errno. */
static u32 kt_proc_request(struct kunit *test, struct kt_sk *sk, const void *data,
			   u16 len)
{
	u32 seq = ++sk->seq;
	struct proc_event ev;
	struct cn_msg *msg;
	unsigned int i;

	KUNIT_ASSERT_GT(test, kt_send(sk, sk->tx, kt_build(sk->tx, CN_IDX_PROC,
							   CN_VAL_PROC, seq, data, len)),
			0);
	/*
	 * The answer was queued before the send returned; events of the
	 * socket's mask (kernel threads fork) may be queued before it.
	 */
	for (i = 0; i < KT_EVENTS_BEFORE_ACK; i++) {
		msg = kt_recv(sk);
		KUNIT_ASSERT_NOT_NULL_MSG(test, msg, "no acknowledgment of request %u",
					  seq);
		KUNIT_ASSERT_EQ(test, (u16)sizeof(ev), msg->len);
		memcpy(&ev, msg->data, sizeof(ev));
		if (ev.what == PROC_EVENT_NONE)
			break;
	}
	KUNIT_EXPECT_EQ(test, (u32)CN_IDX_PROC, msg->id.idx);
	KUNIT_EXPECT_EQ(test, (u32)CN_VAL_PROC, msg->id.val);
	KUNIT_EXPECT_EQ(test, seq, msg->seq);
	KUNIT_EXPECT_EQ(test, 1U, msg->ack);
	KUNIT_EXPECT_EQ(test, (u32)PROC_EVENT_NONE, (u32)ev.what);
	for (i = sizeof(ev.event_data.ack); i < sizeof(ev.event_data); i++)
		KUNIT_EXPECT_EQ_MSG(test, 0, ((u8 *)&ev.event_data)[i],
				    "ack byte %u", i);
	return ev.event_data.ack.err;
}

static u32 kt_proc_control(struct kunit *test, struct kt_sk *sk, u32 op, u32 mask)
{
	struct proc_input in = { .mcast_op = op, .event_type = mask };

	return kt_proc_request(test, sk, &in, sizeof(in));
}

/* Take the lowest bit of *@free (FORK when nobody else wants it). */
static u32 kt_take_bit(u32 *free)
{
	u32 bit = *free & -*free;

	*free &= ~bit;
	return bit;
}

/*
 * Other listeners on a running system may already want some events. The
 * accounting of ours shows only in bits nobody else wants: find enough.
 */
static u32 kt_proc_free_bits(struct kunit *test, unsigned int need)
{
	u32 base = cn_proc_interest_mask();
	u32 free = PROC_EVENT_ALL & ~base;

	if (hweight32(free) < need)
		kunit_skip(test, "other listeners want %#x: fewer than %u events left to observe",
			   base, need);
	return free;
}

/* Check the listener count. */
static void kt_expect_listeners(struct kunit *test, unsigned int want,
				const char *step)
{
	KUNIT_EXPECT_EQ_MSG(test, want, cn_proc_listener_count(), "%s", step);
}

/* Check which of the bits in @mine some listener wants. */
static void kt_expect_interest(struct kunit *test, u32 mine, u32 want, const char *step)
{
	u32 interest = cn_proc_interest_mask();

	KUNIT_EXPECT_EQ_MSG(test, want, interest & mine, "%s: interest %#x", step, interest);
	KUNIT_EXPECT_EQ_MSG(test, 0U, interest & ~(u32)PROC_EVENT_ALL,
			    "%s: interest %#x", step, interest);
}

static void kt_proc_interest_mask(struct kunit *test)
{
	u32 free = kt_proc_free_bits(test, 3);
	u32 x = kt_take_bit(&free), y = kt_take_bit(&free), z = kt_take_bit(&free);
	u32 mine = x | y | z;
	struct kt_sk *a = kt_proc_socket(test), *b = kt_proc_socket(test);
	unsigned int n0 = cn_proc_listener_count();

	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, a, PROC_CN_MCAST_LISTEN, x));
	kt_expect_interest(test, mine, x, "a listens to x");
	kt_expect_listeners(test, n0 + 1, "a listens to x");

	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, b, PROC_CN_MCAST_LISTEN, y));
	kt_expect_interest(test, mine, x | y, "b listens to y");
	kt_expect_listeners(test, n0 + 2, "b listens to y");

	/* A LISTEN replaces the socket's mask: no new listener. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, b, PROC_CN_MCAST_LISTEN, y | z));
	kt_expect_interest(test, mine, x | y | z, "b replaces y by y|z");
	kt_expect_listeners(test, n0 + 2, "b replaces y by y|z");

	/* The bit both masks want stays, the other goes. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, b, PROC_CN_MCAST_LISTEN, z));
	kt_expect_interest(test, mine, x | z, "b replaces y|z by z");
	kt_expect_listeners(test, n0 + 2, "b replaces y|z by z");

	/* z is now wanted by both sockets: counted twice, not once. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, a, PROC_CN_MCAST_LISTEN, x | z));
	kt_expect_interest(test, mine, x | z, "a replaces x by x|z");
	kt_expect_listeners(test, n0 + 2, "a replaces x by x|z");

	/*
	 * IGNORE ends the listener at once; its bits linger in the counts
	 * for a moment (a LISTEN of the same mask meanwhile costs no
	 * recount), then go.
	 */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, a, PROC_CN_MCAST_IGNORE, 0));
	kt_expect_listeners(test, n0 + 1, "a ignores");
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, a, PROC_CN_MCAST_LISTEN, x | z));
	kt_expect_listeners(test, n0 + 2, "a listens again while lingering");
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, a, PROC_CN_MCAST_IGNORE, 0));
	cn_proc_settle();
	kt_expect_interest(test, mine, z, "a ignores, settled");
	kt_expect_listeners(test, n0 + 1, "a ignores, settled");

	/* Closing a listening socket without IGNORE ends it as well. */
	kunit_release_action(test, kt_sock_release, b->sock);
	kt_expect_interest(test, mine, 0, "b closed");
	kt_expect_listeners(test, n0, "b closed");

	/* IGNORE on a socket that does not listen changes nothing. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, a, PROC_CN_MCAST_IGNORE, 0));
	kt_expect_interest(test, mine, 0, "a ignores again");
	kt_expect_listeners(test, n0, "a ignores again");
}

/* Nothing recounts the lingering mask of an IGNORE but time. */
static void kt_proc_linger_lapses(struct kunit *test)
{
	u32 free = kt_proc_free_bits(test, 1);
	u32 x = kt_take_bit(&free);
	struct kt_sk *sk = kt_proc_socket(test);
	unsigned int n0 = cn_proc_listener_count();
	unsigned long deadline;

	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, x));
	/* Positive control: the bit is counted while the socket listens. */
	kt_expect_interest(test, x, x, "listening");
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_IGNORE, 0));
	kt_expect_listeners(test, n0, "ignored");
	deadline = jiffies + 5 * HZ;
	while (cn_proc_interest_mask() & x && time_before(jiffies, deadline))
		msleep(20);
	kt_expect_interest(test, x, 0, "lapsed");
	kunit_info(test, "lapsed after %u ms\n",
		   jiffies_to_msecs(jiffies + 5 * HZ - deadline));
}

static void kt_proc_unknown_bits(struct kunit *test)
{
	u32 free = kt_proc_free_bits(test, 2);
	u32 f = free & -free;
	u32 op = PROC_CN_MCAST_LISTEN;
	struct kt_sk *sk = kt_proc_socket(test);

	KUNIT_ASSERT_EQ(test, 0U, (u32)(KT_UNKNOWN_BIT & PROC_EVENT_ALL));

	/* Every bit: every event, and the unknown bits are dropped. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, U32_MAX));
	KUNIT_EXPECT_EQ(test, (u32)PROC_EVENT_ALL, cn_proc_interest_mask());

	/* A known bit with an unknown one: the known one only. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN,
						  f | KT_UNKNOWN_BIT));
	kt_expect_interest(test, free, f, "known bit with an unknown one");

	/* No known bit at all, whether unknown bits or none: every event. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN,
						  KT_UNKNOWN_BIT));
	KUNIT_EXPECT_EQ(test, (u32)PROC_EVENT_ALL, cn_proc_interest_mask());
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, f));
	kt_expect_interest(test, free, f, "back to one bit");
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, 0));
	KUNIT_EXPECT_EQ(test, (u32)PROC_EVENT_ALL, cn_proc_interest_mask());

	/* The bare 4-byte operation means every event too. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, f));
	kt_expect_interest(test, free, f, "back to one bit again");
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_request(test, sk, &op, sizeof(op)));
	KUNIT_EXPECT_EQ(test, (u32)PROC_EVENT_ALL, cn_proc_interest_mask());

	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_IGNORE, 0));
	cn_proc_settle();
	kt_expect_interest(test, free, 0, "ignores");
}

static void kt_proc_bad_requests(struct kunit *test)
{
	static const u32 ops[] = { 0, 4, 7, U32_MAX };
	static const u16 sizes[] = { 0, 1, 3, 5, 7, 9, 12, 16 };
	u32 free = kt_proc_free_bits(test, 2);
	u32 f = kt_take_bit(&free);
	u32 mine = f | free;
	struct kt_sk *sk = kt_proc_socket(test);
	unsigned int n0 = cn_proc_listener_count();
	u32 junk[4] __aligned(8);
	unsigned int i;

	/* Positive control: a valid request takes effect. */
	KUNIT_EXPECT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, f));
	kt_expect_interest(test, mine, f, "listens");
	kt_expect_listeners(test, n0 + 1, "listens");

	/* Unknown operations: EINVAL, and the socket keeps its mask. */
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		KUNIT_EXPECT_EQ_MSG(test, (u32)EINVAL,
				    kt_proc_control(test, sk, ops[i], PROC_EVENT_ALL),
				    "op %#x", ops[i]);
		kt_expect_interest(test, mine, f, "unknown op");
	}

	/*
	 * Any size but 4 and 8 bytes: EINVAL. The data would IGNORE if it
	 * were taken, which the listener count would show at once (the
	 * interest only a moment later).
	 */
	junk[0] = PROC_CN_MCAST_IGNORE;
	junk[1] = PROC_EVENT_ALL;
	junk[2] = PROC_CN_MCAST_IGNORE;
	junk[3] = PROC_EVENT_ALL;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		KUNIT_EXPECT_EQ_MSG(test, (u32)EINVAL,
				    kt_proc_request(test, sk, junk, sizes[i]),
				    "%u bytes", sizes[i]);
		kt_expect_interest(test, mine, f, "bad size");
		kt_expect_listeners(test, n0 + 1, "bad size");
	}
	kt_expect_listeners(test, n0 + 1, "after the bad requests");
}

/* Samples the interest mask while another CPU replaces a listener's mask. */
struct kt_sampler {
	u32 keep;
	u32 toggle;
	bool stop;
	unsigned long samples;
	unsigned long missing;
	unsigned long with_toggle;
};

static int kt_sampler_fn(void *data)
{
	struct kt_sampler *s = data;
	u32 mask;

	while (!READ_ONCE(s->stop) && !kthread_should_stop()) {
		mask = cn_proc_interest_mask();
		s->samples++;
		if ((mask & s->keep) != s->keep)
			s->missing++;
		if (mask & s->toggle)
			WRITE_ONCE(s->with_toggle, s->with_toggle + 1);
		cond_resched();
	}
	return 0;
}

static void kt_proc_replace_race(struct kunit *test)
{
	u32 free = kt_proc_free_bits(test, 2);
	unsigned int cpu[2], i, errors = 0;
	struct kt_sampler *s;
	unsigned long deadline;
	struct kt_thread *t;
	struct kt_sk *sk;

	kt_two_cpus(test, cpu);
	sk = kt_proc_socket(test);
	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->keep = kt_take_bit(&free);
	s->toggle = kt_take_bit(&free);
	KUNIT_ASSERT_EQ(test, 0U, kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, s->keep));

	t = kt_thread_start(test, kt_sampler_fn, s,
			    cpu[raw_smp_processor_id() == cpu[0]], NULL, NULL,
			    "kt_sampler");
	/*
	 * Each replace wants keep in both masks: it must never drop out.
	 * Replace until the sampler has seen the wider mask a few times (or
	 * time runs out): its vCPU may not run at all for a while.
	 */
	deadline = jiffies + KT_RACE_TIME;
	for (i = 0; ; i++) {
		if (kt_race_done(i, KT_REPLACE_LOOPS, READ_ONCE(s->with_toggle),
				 deadline))
			break;
		if (kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, s->keep | s->toggle))
			errors++;
		if (kt_proc_control(test, sk, PROC_CN_MCAST_LISTEN, s->keep))
			errors++;
	}
	WRITE_ONCE(s->stop, true);
	KUNIT_ASSERT_TRUE(test, kt_wait(&t->done, KT_TIMEOUT));

	KUNIT_EXPECT_EQ(test, 0U, errors);
	kunit_info(test, "%u replaces, %lu samples, %lu during a wider mask\n",
		   2 * i, s->samples, s->with_toggle);
	KUNIT_EXPECT_EQ(test, 0UL, s->missing);
	/* Proof that the sampler ran while the masks were being replaced. */
	KUNIT_EXPECT_GE(test, s->with_toggle, (unsigned long)KT_RACE_MET);
}

static void kt_parent_ids(pid_t *pid, pid_t *tgid)
{
	struct task_struct *parent;

	rcu_read_lock();
	parent = rcu_dereference(current->real_parent);
	*pid = parent->pid;
	*tgid = parent->tgid;
	rcu_read_unlock();
}

/* Bytes of the event past what its member uses must be zero. */
static void kt_expect_zero_from(struct kunit *test, const struct proc_event *ev,
				size_t used, u32 what)
{
	size_t i;

	for (i = used; i < sizeof(ev->event_data); i++)
		KUNIT_EXPECT_EQ_MSG(test, 0, ((const u8 *)&ev->event_data)[i],
				    "event %#x byte %zu", what, i);
}

static void kt_proc_fill_events(struct kunit *test)
{
	struct proc_event *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	u32 ruid, euid, rgid, egid;
	pid_t ppid, ptgid;
	unsigned int e;
	size_t used;

	KUNIT_ASSERT_NOT_NULL(test, ev);
	kt_parent_ids(&ppid, &ptgid);
	ruid = from_kuid_munged(&init_user_ns, current_uid());
	euid = from_kuid_munged(&init_user_ns, current_euid());
	rgid = from_kgid_munged(&init_user_ns, current_gid());
	egid = from_kgid_munged(&init_user_ns, current_egid());

	for (e = 0; e < ARRAY_SIZE(kt_events); e++) {
		u32 what = kt_events[e];

		/* Stale bytes would show as 0xa5. */
		memset(ev, 0xa5, sizeof(*ev));
		KUNIT_EXPECT_TRUE(test, cn_proc_fill(ev, what, current, true, NULL, NULL));
		KUNIT_EXPECT_EQ(test, what, (u32)ev->what);
		KUNIT_EXPECT_EQ(test, 0U, ev->cpu);	/* set when sent */
		KUNIT_EXPECT_NE(test, 0ULL, (u64)ev->timestamp_ns);

		switch (what) {
		case PROC_EVENT_FORK:
			KUNIT_EXPECT_EQ(test, ppid, ev->event_data.fork.parent_pid);
			KUNIT_EXPECT_EQ(test, ptgid, ev->event_data.fork.parent_tgid);
			KUNIT_EXPECT_EQ(test, current->pid, ev->event_data.fork.child_pid);
			KUNIT_EXPECT_EQ(test, current->tgid, ev->event_data.fork.child_tgid);
			used = sizeof(ev->event_data.fork);
			break;
		case PROC_EVENT_UID:
			KUNIT_EXPECT_EQ(test, ruid, ev->event_data.id.r.ruid);
			KUNIT_EXPECT_EQ(test, euid, ev->event_data.id.e.euid);
			used = sizeof(ev->event_data.id);
			break;
		case PROC_EVENT_GID:
			KUNIT_EXPECT_EQ(test, rgid, ev->event_data.id.r.rgid);
			KUNIT_EXPECT_EQ(test, egid, ev->event_data.id.e.egid);
			used = sizeof(ev->event_data.id);
			break;
		case PROC_EVENT_PTRACE:
			/* Attach: the tracer is the current task. */
			KUNIT_EXPECT_EQ(test, current->pid, ev->event_data.ptrace.tracer_pid);
			KUNIT_EXPECT_EQ(test, current->tgid, ev->event_data.ptrace.tracer_tgid);
			used = sizeof(ev->event_data.ptrace);
			break;
		case PROC_EVENT_COMM:
			KUNIT_EXPECT_STREQ(test, current->comm, ev->event_data.comm.comm);
			/* Past the name, the array is zero too. */
			used = offsetof(struct comm_proc_event, comm) +
			       strlen(ev->event_data.comm.comm);
			break;
		case PROC_EVENT_COREDUMP:
			KUNIT_EXPECT_EQ(test, ppid, ev->event_data.coredump.parent_pid);
			KUNIT_EXPECT_EQ(test, ptgid, ev->event_data.coredump.parent_tgid);
			used = sizeof(ev->event_data.coredump);
			break;
		case PROC_EVENT_EXIT:
			KUNIT_EXPECT_EQ(test, (u32)current->exit_code,
					ev->event_data.exit.exit_code);
			KUNIT_EXPECT_EQ(test, (u32)current->exit_signal,
					ev->event_data.exit.exit_signal);
			KUNIT_EXPECT_EQ(test, ppid, ev->event_data.exit.parent_pid);
			KUNIT_EXPECT_EQ(test, ptgid, ev->event_data.exit.parent_tgid);
			used = sizeof(ev->event_data.exit);
			break;
		default:	/* EXEC, SID */
			used = sizeof(ev->event_data.exec);
			break;
		}
		if (what != PROC_EVENT_FORK) {
			KUNIT_EXPECT_EQ(test, current->pid, ev->event_data.exec.process_pid);
			KUNIT_EXPECT_EQ(test, current->tgid, ev->event_data.exec.process_tgid);
		}
		kt_expect_zero_from(test, ev, used, what);
	}

	/* Detach: no tracer, and its fields are zero like the padding. */
	memset(ev, 0xa5, sizeof(*ev));
	KUNIT_EXPECT_TRUE(test, cn_proc_fill(ev, PROC_EVENT_PTRACE, current, false, NULL, NULL));
	kt_expect_zero_from(test, ev, offsetof(struct ptrace_proc_event, tracer_pid),
			    PROC_EVENT_PTRACE);
}

static struct kunit_case kt_proc_cases[] = {
	KUNIT_CASE(kt_proc_filter_decision),
	KUNIT_CASE(kt_proc_interest_mask),
	KUNIT_CASE(kt_proc_linger_lapses),
	KUNIT_CASE(kt_proc_unknown_bits),
	KUNIT_CASE(kt_proc_bad_requests),
	KUNIT_CASE(kt_proc_replace_race),
	KUNIT_CASE(kt_proc_fill_events),
	{}
};

static struct kunit_suite kt_proc_suite = {
	.name = "connector_proc_events",
	.test_cases = kt_proc_cases,
};

kunit_test_suite(kt_proc_suite);
#endif /* CONFIG_PROC_EVENTS */

#if IS_ENABLED(CONFIG_CONNECTOR_NOTIFY)
/* The "connector_notify" suite: requests to the connector's own id. */

/*
 * Ask for notifications of @id (NULL: withdraw) to @group, or to @sk itself
 * when @group is 0. Returns the acknowledgment's errno.
 */
static u32 kt_notify_ask(struct kunit *test, struct kt_sk *sk, u32 group,
			 const struct cb_id *id)
{
	u8 data[sizeof(struct cn_ctl_msg) + 2 * sizeof(struct cn_notify_req)] __aligned(8);
	struct cn_ctl_msg *ctl = (struct cn_ctl_msg *)data;
	struct cn_notify_req *range = (struct cn_notify_req *)ctl->data;
	u32 seq = ++sk->seq;
	struct cn_notify_msg ack;
	struct cn_msg *msg;

	memset(data, 0, sizeof(data));
	ctl->group = group;
	if (id) {
		ctl->idx_notify_num = 1;
		ctl->val_notify_num = 1;
		ctl->len = 2 * sizeof(*range);
		range[0].first = id->idx;
		range[0].range = 1;
		range[1].first = id->val;
		range[1].range = 1;
	}
	KUNIT_ASSERT_GT(test, kt_send(sk, sk->tx,
				      kt_build(sk->tx, CN_IDX_CONNECTOR, CN_VAL_CONNECTOR,
					       seq, data, sizeof(*ctl) + ctl->len)),
			0);
	msg = kt_recv(sk);
	KUNIT_ASSERT_NOT_NULL_MSG(test, msg, "no answer from %#x:%#x (is cn_notify loaded?)",
				  CN_IDX_CONNECTOR, CN_VAL_CONNECTOR);
	KUNIT_EXPECT_EQ(test, (u32)CN_IDX_CONNECTOR, msg->id.idx);
	KUNIT_EXPECT_EQ(test, (u32)CN_VAL_CONNECTOR, msg->id.val);
	KUNIT_EXPECT_EQ(test, seq, msg->seq);
	KUNIT_EXPECT_EQ(test, 1U, msg->ack);
	KUNIT_ASSERT_EQ(test, (u16)sizeof(ack), msg->len);
	memcpy(&ack, msg->data, sizeof(ack));
	KUNIT_EXPECT_EQ(test, (u32)CN_NOTIFY_ACK, ack.type);
	return ack.err;
}

/* The type of the next notification on @sk, about @id; -1 for none. */
static int kt_notify_next(struct kunit *test, struct kt_sk *sk,
			  const struct cb_id *id, const char *name)
{
	struct cn_notify_msg note;
	struct cn_msg *msg = kt_recv(sk);

	if (!msg)
		return -1;
	KUNIT_EXPECT_EQ(test, (u32)CN_IDX_CONNECTOR, msg->id.idx);
	KUNIT_EXPECT_EQ(test, (u32)CN_VAL_CONNECTOR, msg->id.val);
	KUNIT_ASSERT_EQ(test, (u16)sizeof(note), msg->len);
	memcpy(&note, msg->data, sizeof(note));
	KUNIT_EXPECT_EQ(test, 0U, note.err);
	KUNIT_EXPECT_EQ(test, id->idx, note.id.idx);
	KUNIT_EXPECT_EQ(test, id->val, note.id.val);
	KUNIT_ASSERT_EQ(test, '\0', note.name[sizeof(note.name) - 1]);
	KUNIT_EXPECT_STREQ(test, name, note.name);
	return note.type;
}

static void kt_notify_group_kernel_socket(struct kunit *test)
{
	struct cb_id id = { KT_IDX_NOTIFY, 1 };
	u32 group = kt_free_group(test);
	struct kt_sk *asker, *member;
	u32 err;

	kt_own_ids(test, id.idx, id.val, 1);
	asker = kt_socket(test);
	member = kt_socket_groups(test, BIT(group - 1));

	/*
	 * A socket the kernel made has no file: the permission check must
	 * cope with that. KUnit runs the case in a kernel thread, which holds
	 * CAP_NET_ADMIN: the request is granted.
	 */
	err = kt_notify_ask(test, asker, group, &id);
	KUNIT_ASSERT_EQ_MSG(test, 0U, err, "group request from a kernel socket: ack %u", err);
	/* The group is told; the asker, not in it, is not. */
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt_group", kt_count));
	KUNIT_EXPECT_EQ(test, CN_NOTIFY_ADDED, kt_notify_next(test, member, &id, "kt_group"));
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, CN_NOTIFY_REMOVED, kt_notify_next(test, member, &id, "kt_group"));
	KUNIT_EXPECT_EQ(test, -1, kt_notify_next(test, member, &id, "kt_group"));
	KUNIT_EXPECT_EQ(test, -1, kt_notify_next(test, asker, &id, "kt_group"));
	/* No range: withdraw the asker's requests for the group. */
	KUNIT_EXPECT_EQ(test, 0U, kt_notify_ask(test, asker, group, NULL));

	/*
	 * From now on only the member's own request tells it anything: one
	 * notification per change, not two.
	 */
	KUNIT_EXPECT_EQ(test, 0U, kt_notify_ask(test, member, 0, &id));
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt_group", kt_count));
	KUNIT_EXPECT_EQ(test, CN_NOTIFY_ADDED, kt_notify_next(test, member, &id, "kt_group"));
	KUNIT_EXPECT_EQ(test, -1, kt_notify_next(test, member, &id, "kt_group"));
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, CN_NOTIFY_REMOVED, kt_notify_next(test, member, &id, "kt_group"));
	KUNIT_EXPECT_EQ(test, -1, kt_notify_next(test, member, &id, "kt_group"));
	KUNIT_EXPECT_EQ(test, -1, kt_notify_next(test, asker, &id, "kt_group"));
}

static void kt_notify_socket_added_removed(struct kunit *test)
{
	struct cb_id id = { KT_IDX_NOTIFY, 2 }, other = { KT_IDX_NOTIFY, 3 };
	struct kt_sk *sk = kt_socket(test);

	kt_own_ids(test, KT_IDX_NOTIFY, 2, 2);
	KUNIT_ASSERT_EQ(test, 0U, kt_notify_ask(test, sk, 0, &id));

	/* An id outside the request is not reported... */
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&other, "kt_other", kt_count));
	/* ...while the one asked for is, in the same window. */
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt_notify", kt_count));
	KUNIT_EXPECT_EQ(test, CN_NOTIFY_ADDED, kt_notify_next(test, sk, &id, "kt_notify"));
	cn_del_callback(&other);
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, CN_NOTIFY_REMOVED, kt_notify_next(test, sk, &id, "kt_notify"));
	KUNIT_EXPECT_EQ(test, -1, kt_notify_next(test, sk, &id, "kt_notify"));
}

/* The notifications may be a module of their own: have it loaded. */
static int kt_notify_suite_init(struct kunit_suite *suite)
{
	if (IS_MODULE(CONFIG_CONNECTOR_NOTIFY))
		request_module("cn_notify");
	return 0;
}

static struct kunit_case kt_notify_cases[] = {
	KUNIT_CASE(kt_notify_group_kernel_socket),
	KUNIT_CASE(kt_notify_socket_added_removed),
	{}
};

static struct kunit_suite kt_notify_suite = {
	.name = "connector_notify",
	.suite_init = kt_notify_suite_init,
	.test_cases = kt_notify_cases,
};

kunit_test_suite(kt_notify_suite);
#endif /* CONFIG_CONNECTOR_NOTIFY */

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the kernel connector");
