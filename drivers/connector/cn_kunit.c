// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * KUnit tests for the kernel connector.
 *
 * The table, the receive path and listener accounting are driven the way
 * userspace drives them: datagrams sent from kernel netlink sockets go
 * through netlink into the connector, in the sending thread's context.
 * Callbacks use ids in a private range, so the tests can run beside
 * real users.
 */

#include <kunit/test.h>
#include <linux/cn_proc.h>
#include <linux/completion.h>
#include <linux/connector.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "cn_internal.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

#define KT_IDX		0x7ffffff0	/* far above any registered idx */
#define KT_MANY		256

static atomic_t kt_calls[KT_MANY];

static void kt_count(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	if (msg->id.val < KT_MANY)
		atomic_inc(&kt_calls[msg->id.val]);
}

static struct socket *kt_socket(struct kunit *test)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	struct socket *sock;

	KUNIT_ASSERT_EQ(test, 0, sock_create_kern(&init_net, AF_NETLINK,
						  SOCK_DGRAM, NETLINK_CONNECTOR,
						  &sock));
	KUNIT_ASSERT_EQ(test, 0, kernel_bind(sock, (struct sockaddr *)&addr,
					     sizeof(addr)));
	return sock;
}

static u32 kt_portid(struct kunit *test, struct socket *sock)
{
	struct sockaddr_nl addr = { };

	KUNIT_ASSERT_LE(test, 0, kernel_getsockname(sock,
						    (struct sockaddr *)&addr));
	return addr.nl_pid;
}

static int kt_send_raw(struct socket *sock, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &kernel,
			      .msg_namelen = sizeof(kernel) };
	struct kvec vec = { .iov_base = (void *)buf, .iov_len = len };

	return kernel_sendmsg(sock, &msg, &vec, 1, len);
}

/* Build a well-formed datagram for @id with @len data bytes into @buf. */
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

/* Receive one connector message without waiting; NULL when none. */
static struct cn_msg *kt_recv(struct socket *sock, void *buf, size_t size)
{
	struct msghdr msg = { };
	struct kvec vec = { .iov_base = buf, .iov_len = size };
	int len = kernel_recvmsg(sock, &msg, &vec, 1, size, MSG_DONTWAIT);

	if (len < (int)(NLMSG_HDRLEN + sizeof(struct cn_msg)))
		return NULL;
	return nlmsg_data(buf);
}

static void kt_table_add_duplicate_delete(struct kunit *test)
{
	struct cb_id id = { KT_IDX, 1 };

	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	KUNIT_EXPECT_EQ(test, -EEXIST, cn_add_callback(&id, "kt2", kt_count));
	cn_del_callback(&id);
	/* Gone: the id can be taken again. */
	KUNIT_EXPECT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	cn_del_callback(&id);
}

static void kt_table_delete_unknown(struct kunit *test)
{
	struct cb_id id = { KT_IDX, 2 };

	cn_del_callback(&id);
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	cn_del_callback(&id);
	cn_del_callback(&id);
}

static void kt_table_many_ids(struct kunit *test)
{
	struct socket *sock = kt_socket(test);
	char *buf = kunit_kzalloc(test, 256, GFP_KERNEL);
	struct cb_id id = { KT_IDX + 1, 0 };
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < KT_MANY; i++) {
		atomic_set(&kt_calls[i], 0);
		id.val = i;
		KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	}
	/* Every id reaches its own callback, once. */
	for (i = 0; i < KT_MANY; i++)
		KUNIT_EXPECT_GT(test, kt_send_raw(sock, buf,
						  kt_build(buf, KT_IDX + 1, i, i,
							   NULL, 4)), 0);
	for (i = 0; i < KT_MANY; i++)
		KUNIT_EXPECT_EQ_MSG(test, 1, atomic_read(&kt_calls[i]),
				    "val %d", i);
	for (i = 0; i < KT_MANY; i++) {
		id.val = i;
		cn_del_callback(&id);
	}
	/* Removed: messages go nowhere. */
	kt_send_raw(sock, buf, kt_build(buf, KT_IDX + 1, 7, 0, NULL, 4));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[7]));
	sock_release(sock);
}

/* A callback that blocks until the test lets it go. */
static struct {
	struct completion entered, release, sent, deleted;
	struct socket *sock;
	void *buf;
	size_t len;
} kt_block;

static void kt_blocking(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	complete(&kt_block.entered);
	wait_for_completion(&kt_block.release);
}

static int kt_sender(void *unused)
{
	kt_send_raw(kt_block.sock, kt_block.buf, kt_block.len);
	complete(&kt_block.sent);
	return 0;
}

static int kt_deleter(void *unused)
{
	struct cb_id id = { KT_IDX, 3 };

	cn_del_callback(&id);
	complete(&kt_block.deleted);
	return 0;
}

static void kt_table_delete_waits(struct kunit *test)
{
	struct cb_id id = { KT_IDX, 3 };
	struct task_struct *t;

	init_completion(&kt_block.entered);
	init_completion(&kt_block.release);
	init_completion(&kt_block.sent);
	init_completion(&kt_block.deleted);
	kt_block.sock = kt_socket(test);
	kt_block.buf = kunit_kzalloc(test, 128, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kt_block.buf);
	kt_block.len = kt_build(kt_block.buf, KT_IDX, 3, 0, NULL, 4);
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_blocking));

	t = kthread_run(kt_sender, NULL, "kt_sender");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	KUNIT_ASSERT_NE(test, 0UL,
			wait_for_completion_timeout(&kt_block.entered, 10 * HZ));
	t = kthread_run(kt_deleter, NULL, "kt_deleter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));

	/* The callback is running: the delete must not finish. */
	msleep(200);
	KUNIT_EXPECT_FALSE(test, completion_done(&kt_block.deleted));

	complete(&kt_block.release);
	KUNIT_EXPECT_NE(test, 0UL,
			wait_for_completion_timeout(&kt_block.deleted, 10 * HZ));
	KUNIT_EXPECT_NE(test, 0UL,
			wait_for_completion_timeout(&kt_block.sent, 10 * HZ));
	sock_release(kt_block.sock);
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
	struct socket *sock = kt_socket(test);
	struct cb_id id = { KT_IDX, 4 };
	struct nlmsghdr *nlh;
	struct cn_msg *msg;
	size_t len, sent;
	char *buf;
	int shape;

	buf = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	nlh = (struct nlmsghdr *)buf;
	msg = nlmsg_data(nlh);
	atomic_set(&kt_calls[4], 0);
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));

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
		kt_send_raw(sock, buf, sent);
		KUNIT_EXPECT_EQ_MSG(test, 0, atomic_read(&kt_calls[4]),
				    "shape %d reached the callback", shape);
	}

	/* The largest valid message still gets through. */
	kt_send_raw(sock, buf, kt_build(buf, KT_IDX, 4, 99, NULL,
					CONNECTOR_MAX_MSG_SIZE - sizeof(*msg)));
	KUNIT_EXPECT_EQ(test, 1, atomic_read(&kt_calls[4]));
	cn_del_callback(&id);
	sock_release(sock);
}

static void kt_send_errors(struct kunit *test)
{
	struct socket *sock = kt_socket(test);
	struct cn_msg *msg = kunit_kzalloc(test, sizeof(*msg) + 16, GFP_KERNEL);
	struct cb_id id = { KT_IDX, 5 };

	KUNIT_ASSERT_NOT_NULL(test, msg);
	msg->id = id;
	msg->len = 16;
	/* No portid, no group, nobody registered for the id. */
	KUNIT_EXPECT_EQ(test, -ENODEV, cn_netlink_send(msg, 0, 0, GFP_KERNEL));
	/* Registered, but nobody is in its group. */
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	KUNIT_EXPECT_EQ(test, -ESRCH, cn_netlink_send(msg, 0, 0, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, -ESRCH,
			cn_netlink_send(msg, 0, CN_NETLINK_USERS + 0xe,
					GFP_KERNEL));
	/* Larger than the connector carries. */
	KUNIT_EXPECT_EQ(test, -EMSGSIZE,
			cn_netlink_send_mult(msg, CONNECTOR_MAX_MSG_SIZE + 1,
					     kt_portid(test, sock), 0,
					     GFP_KERNEL, NULL, NULL));
	/* To a socket that does not exist. */
	KUNIT_EXPECT_EQ(test, -ECONNREFUSED,
			cn_netlink_send(msg, 0x7ffffffe, 0, GFP_KERNEL));
	/* To one that does: delivered. */
	KUNIT_EXPECT_EQ(test, 0,
			cn_netlink_send(msg, kt_portid(test, sock), 0,
					GFP_KERNEL));
	cn_del_callback(&id);
	sock_release(sock);
}

/* What the notifier saw: the last action, id and name, and how often. */
static struct {
	unsigned long action;
	struct cb_id id;
	char name[CN_NOTIFY_NAME_LEN];
	int calls;
} kt_seen;

static int kt_notifier_fn(struct notifier_block *nb, unsigned long action,
			  void *data)
{
	const struct cn_notify_info *info = data;

	/* Real users may come and go meanwhile: look at our ids only. */
	if (info->id.idx != KT_IDX)
		return NOTIFY_DONE;
	kt_seen.action = action;
	kt_seen.id = info->id;
	strscpy(kt_seen.name, info->name, sizeof(kt_seen.name));
	kt_seen.calls++;
	return NOTIFY_OK;
}

static struct notifier_block kt_notifier = { .notifier_call = kt_notifier_fn };

static void kt_notifier_chain(struct kunit *test)
{
	struct cb_id id = { KT_IDX, 6 };

	memset(&kt_seen, 0, sizeof(kt_seen));
	KUNIT_ASSERT_EQ(test, 0, cn_notify_register(&kt_notifier));

	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt_notified", kt_count));
	KUNIT_EXPECT_EQ(test, 1, kt_seen.calls);
	KUNIT_EXPECT_EQ(test, (unsigned long)CN_NOTIFY_ADDED, kt_seen.action);
	KUNIT_EXPECT_EQ(test, 6U, kt_seen.id.val);
	KUNIT_EXPECT_STREQ(test, "kt_notified", kt_seen.name);

	/* A refused duplicate changes nothing, so it is not reported. */
	KUNIT_EXPECT_EQ(test, -EEXIST, cn_add_callback(&id, "kt", kt_count));
	KUNIT_EXPECT_EQ(test, 1, kt_seen.calls);

	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, 2, kt_seen.calls);
	KUNIT_EXPECT_EQ(test, (unsigned long)CN_NOTIFY_REMOVED, kt_seen.action);
	/* Deleting what is not there reports nothing. */
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, 2, kt_seen.calls);

	KUNIT_EXPECT_EQ(test, 0, cn_notify_unregister(&kt_notifier));
	KUNIT_ASSERT_EQ(test, 0, cn_add_callback(&id, "kt", kt_count));
	cn_del_callback(&id);
	KUNIT_EXPECT_EQ(test, 2, kt_seen.calls);
	KUNIT_EXPECT_EQ(test, -ENOENT, cn_notify_unregister(&kt_notifier));
}

static struct kunit_case kt_core_cases[] = {
	KUNIT_CASE(kt_table_add_duplicate_delete),
	KUNIT_CASE(kt_table_delete_unknown),
	KUNIT_CASE(kt_table_many_ids),
	KUNIT_CASE(kt_table_delete_waits),
	KUNIT_CASE(kt_malformed_messages),
	KUNIT_CASE(kt_send_errors),
	KUNIT_CASE(kt_notifier_chain),
	{}
};

static struct kunit_suite kt_core_suite = {
	.name = "connector",
	.test_cases = kt_core_cases,
};

#ifdef CONFIG_PROC_EVENTS
static const u32 kt_events[] = {
	PROC_EVENT_FORK, PROC_EVENT_EXEC, PROC_EVENT_UID, PROC_EVENT_GID,
	PROC_EVENT_SID, PROC_EVENT_PTRACE, PROC_EVENT_COMM,
	PROC_EVENT_COREDUMP, PROC_EVENT_EXIT,
};

static pid_t kt_parent_tgid(void)
{
	pid_t tgid;

	rcu_read_lock();
	tgid = rcu_dereference(current->real_parent)->tgid;
	rcu_read_unlock();
	return tgid;
}

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
				bool want = kt_should_deliver(mask, kt_events[e],
							      codes[c]);

				if (cn_proc_mask_wants(mask, kt_events[e],
						       codes[c]) != want)
					KUNIT_FAIL(test, "mask %#x event %#x code %#x",
						   mask, kt_events[e], codes[c]);
				checked++;
			}
		}
	}
	kunit_info(test, "%u combinations checked\n", checked);
}

/* Send a process-events control message, return the ack's error. */
static int kt_proc_control(struct kunit *test, struct socket *sock, u32 op,
			   u32 mask, u32 seq)
{
	struct proc_input in = { .mcast_op = op, .event_type = mask };
	char *buf = kunit_kzalloc(test, 512, GFP_KERNEL);
	struct proc_event ev;
	struct cn_msg *msg;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	kt_send_raw(sock, buf, kt_build(buf, CN_IDX_PROC, CN_VAL_PROC, seq,
					&in, sizeof(in)));
	msg = kt_recv(sock, buf, 512);
	KUNIT_ASSERT_NOT_NULL(test, msg);
	KUNIT_EXPECT_EQ(test, seq, msg->seq);
	KUNIT_EXPECT_EQ(test, 1U, msg->ack);
	KUNIT_ASSERT_EQ(test, (u16)sizeof(ev), msg->len);
	memcpy(&ev, msg->data, sizeof(ev));
	KUNIT_EXPECT_EQ(test, (u32)PROC_EVENT_NONE, (u32)ev.what);
	return ev.event_data.ack.err;
}

static void kt_proc_interest_mask(struct kunit *test)
{
	u32 base = cn_proc_interest_mask();
	struct socket *a = kt_socket(test), *b = kt_socket(test);
	u32 mine = PROC_EVENT_EXEC | PROC_EVENT_FORK | PROC_EVENT_SID;

	KUNIT_EXPECT_EQ(test, 0, kt_proc_control(test, a, PROC_CN_MCAST_LISTEN,
						 PROC_EVENT_EXEC, 1));
	KUNIT_EXPECT_EQ(test, base | PROC_EVENT_EXEC, cn_proc_interest_mask());
	KUNIT_EXPECT_EQ(test, 0, kt_proc_control(test, b, PROC_CN_MCAST_LISTEN,
						 PROC_EVENT_FORK, 2));
	KUNIT_EXPECT_EQ(test, base | PROC_EVENT_EXEC | PROC_EVENT_FORK,
			cn_proc_interest_mask());
	/* A new filter replaces the old one. */
	KUNIT_EXPECT_EQ(test, 0, kt_proc_control(test, b, PROC_CN_MCAST_LISTEN,
						 PROC_EVENT_SID, 3));
	KUNIT_EXPECT_EQ(test, base | PROC_EVENT_EXEC | PROC_EVENT_SID,
			cn_proc_interest_mask());
	/* Bad requests change nothing. */
	KUNIT_EXPECT_EQ(test, EINVAL, kt_proc_control(test, b, 7, 0, 4));
	KUNIT_EXPECT_EQ(test, EINVAL,
			kt_proc_control(test, b, PROC_CN_MCAST_LISTEN, BIT(10), 5));
	KUNIT_EXPECT_EQ(test, base | PROC_EVENT_EXEC | PROC_EVENT_SID,
			cn_proc_interest_mask());
	/* IGNORE, and a socket closed without IGNORE, both leave. */
	KUNIT_EXPECT_EQ(test, 0, kt_proc_control(test, a, PROC_CN_MCAST_IGNORE,
						 0, 6));
	KUNIT_EXPECT_EQ(test, base | PROC_EVENT_SID, cn_proc_interest_mask());
	sock_release(b);
	KUNIT_EXPECT_EQ(test, base, cn_proc_interest_mask() & (base | mine));
	sock_release(a);
}

static void kt_proc_fill_events(struct kunit *test)
{
	struct proc_event *ev = kunit_kzalloc(test, sizeof(*ev), GFP_KERNEL);
	unsigned int e, i;
	size_t used;

	KUNIT_ASSERT_NOT_NULL(test, ev);
	for (e = 0; e < ARRAY_SIZE(kt_events); e++) {
		u32 what = kt_events[e];

		memset(ev, 0xa5, sizeof(*ev));
		cn_proc_fill(ev, what, current, true);
		KUNIT_EXPECT_EQ(test, what, (u32)ev->what);
		KUNIT_EXPECT_EQ(test, 0U, ev->cpu);	/* set when sent */
		KUNIT_EXPECT_NE(test, 0ULL, (u64)ev->timestamp_ns);

		switch (what) {
		case PROC_EVENT_FORK:
			KUNIT_EXPECT_EQ(test, current->pid,
					ev->event_data.fork.child_pid);
			KUNIT_EXPECT_EQ(test, current->tgid,
					ev->event_data.fork.child_tgid);
			KUNIT_EXPECT_EQ(test, kt_parent_tgid(),
					ev->event_data.fork.parent_tgid);
			used = sizeof(ev->event_data.fork);
			break;
		case PROC_EVENT_UID:
		case PROC_EVENT_GID:
			KUNIT_EXPECT_EQ(test, 0U, ev->event_data.id.r.ruid);
			KUNIT_EXPECT_EQ(test, 0U, ev->event_data.id.e.euid);
			used = sizeof(ev->event_data.id);
			break;
		case PROC_EVENT_PTRACE:
			KUNIT_EXPECT_EQ(test, current->pid,
					ev->event_data.ptrace.tracer_pid);
			used = sizeof(ev->event_data.ptrace);
			break;
		case PROC_EVENT_COMM:
			KUNIT_EXPECT_STREQ(test, current->comm,
					   ev->event_data.comm.comm);
			used = sizeof(ev->event_data.comm);
			break;
		case PROC_EVENT_COREDUMP:
			KUNIT_EXPECT_EQ(test, kt_parent_tgid(),
					ev->event_data.coredump.parent_tgid);
			used = sizeof(ev->event_data.coredump);
			break;
		case PROC_EVENT_EXIT:
			KUNIT_EXPECT_EQ(test, (u32)current->exit_signal,
					ev->event_data.exit.exit_signal);
			KUNIT_EXPECT_EQ(test, kt_parent_tgid(),
					ev->event_data.exit.parent_tgid);
			used = sizeof(ev->event_data.exit);
			break;
		default:
			used = sizeof(ev->event_data.exec);
			break;
		}
		if (what != PROC_EVENT_FORK) {
			KUNIT_EXPECT_EQ(test, current->pid,
					ev->event_data.exec.process_pid);
			KUNIT_EXPECT_EQ(test, current->tgid,
					ev->event_data.exec.process_tgid);
		}
		/* What the member does not use, up to the end, is zero. */
		for (i = used; i < sizeof(ev->event_data); i++)
			KUNIT_EXPECT_EQ_MSG(test, 0,
					    ((u8 *)&ev->event_data)[i],
					    "event %#x byte %u", what, i);
	}
}

static struct kunit_case kt_proc_cases[] = {
	KUNIT_CASE(kt_proc_filter_decision),
	KUNIT_CASE(kt_proc_interest_mask),
	KUNIT_CASE(kt_proc_fill_events),
	{}
};

static struct kunit_suite kt_proc_suite = {
	.name = "connector_proc_events",
	.test_cases = kt_proc_cases,
};

kunit_test_suites(&kt_core_suite, &kt_proc_suite);
#else
kunit_test_suites(&kt_core_suite);
#endif

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for the kernel connector");
