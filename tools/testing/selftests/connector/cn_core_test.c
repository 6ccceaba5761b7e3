// SPDX-License-Identifier: GPL-2.0
/*
 * Connector core selftests: echo round trips with the cn_test sample
 * module, group delivery, rejection of malformed datagrams, group
 * permissions, unicasts that wait or never wait for room, the
 * /proc/net/connector listing, and module unload while messages are in
 * flight.
 *
 * Needs root, cn_test.ko (CONFIG_SAMPLE_CONNECTOR=m) and two CPUs: the
 * harness guarantees them, so a missing one is a failure. Environment:
 *
 *   CN_RELOAD_ROUNDS   unload/reload rounds under flood (default 50)
 *   CN_FLOODERS        flooding processes (default 2, at most 8)
 *   CN_TEST_KO         the cn_test.ko to load (default: the kernel's)
 *   CN_STOCK_TEST_KO   a module that wants cn_test's id (required)
 *   CN_NO_PROC_EVENTS  set when the kernel has no process events
 */

#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define CN_LAST_GROUP	(CN_NETLINK_USERS + 0xf)

/* cn_test's burst request and the messages of a burst. */
#define BURST_MAGIC	0x42555253
#define BURST_COUNT	3000

struct burst_req {
	__u32 magic;
	__u32 count;
};

struct burst_msg {
	__u32 index;
	__u32 count;
};

static const struct cb_id cn_test_id = { CN_TEST_IDX, CN_TEST_VAL };
static char rxbuf[CN_BUF_SIZE];
static char txbuf[CN_BUF_SIZE];

/* Send @len bytes to cn_test and check the echo: seq kept, ack + 1, data. */
static int echo_once(int fd, unsigned int seq, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)txbuf;
	struct cn_msg *req = NLMSG_DATA(nlh), *reply;

	if (cn_send_raw(fd, txbuf, cn_build(txbuf, cn_test_id, seq, seq ^ 0x5a5a,
					    NULL, len)))
		return -1;
	reply = cn_wait_seq(fd, rxbuf, sizeof(rxbuf), cn_test_id, seq, 2000);
	if (!reply)
		return -2;
	if (reply->ack != (seq ^ 0x5a5a) + 1 || reply->len != len)
		return -3;
	if (memcmp(reply->data, req->data, len))
		return -4;
	return 0;
}

/* True when no message with @seq arrives on @fd within @ms. */
static bool silent_for(int fd, unsigned int seq, int ms)
{
	return !cn_wait_seq(fd, rxbuf, sizeof(rxbuf), cn_test_id, seq, ms);
}

/* A cn_test tick broadcast within @ms on @fd? */
static bool tick_within(int fd, int ms)
{
	struct cn_msg *msg;

	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), ms)))
		if (msg->id.idx == CN_TEST_IDX && msg->id.val == CN_TEST_VAL &&
		    msg->len >= 12 && !strncmp((char *)msg->data, "cn_test tick", 12))
			return true;
	return false;
}

/* Root and cn_test.ko: the harness provides both. */
static void require_cn_test(struct __test_metadata *_metadata)
{
	const char *why = cn_test_unavailable();

	ASSERT_TRUE(!why)
		TH_LOG("a precondition the harness guarantees is missing: %s", why);
}

/* cn_test loaded and ticking every 100 ms, as the broadcast tests want. */
static void load_cn_test(struct __test_metadata *_metadata)
{
	require_cn_test(_metadata);
	if (cn_module_loaded("cn_test") &&
	    cn_module_param("cn_test", "tick_ms") != 100)
		ASSERT_EQ(0, cn_module_unload("cn_test"));
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=100"));
}

/* The first two CPUs we may use; fewer than two fails the test. */
static void two_cpus(struct __test_metadata *_metadata, int cpus[2])
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cn_cpus(cpus, 2);

	ASSERT_EQ(2, n)
		TH_LOG("this race needs two CPUs: %ld online, %d usable (the guest has 2)",
		       online, n);
}

static void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Become @id (user and group) for good: 0, or -1. */
static int become(uid_t id)
{
	if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id))
		return -1;
	return 0;
}

FIXTURE(cn)
{
	int fd;
};

FIXTURE_SETUP(cn)
{
	self->fd = -1;
	load_cn_test(_metadata);
	self->fd = cn_socket(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(cn)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(cn, echo_every_size, 600)
{
	size_t len;

	for (len = 0; len <= CN_MAX_DATA; len++) {
		int err = echo_once(self->fd, len, len);

		if (err)
			ASSERT_EQ(0, err) TH_LOG("echo of %zu bytes failed", len);
	}
	TH_LOG("echoed every size from 0 to %zu bytes", (size_t)CN_MAX_DATA);
}

TEST_F(cn, larger_than_max_is_dropped)
{
	cn_send_msg(self->fd, cn_test_id, 77, 0, NULL, CN_MAX_DATA + 1);
	EXPECT_TRUE(silent_for(self->fd, 77, 300));
	EXPECT_EQ(0, echo_once(self->fd, 78, CN_MAX_DATA));
}

TEST_F(cn, broadcast_reaches_group_members)
{
	int member = cn_socket(CN_TEST_IDX);
	struct cn_msg *msg;

	ASSERT_LE(0, member);
	/* cn_test broadcasts with neither portid nor group: its idx is used. */
	msg = cn_recv(member, rxbuf, sizeof(rxbuf), 3000);
	ASSERT_NE(NULL, msg);
	EXPECT_EQ(CN_TEST_IDX, msg->id.idx);
	EXPECT_EQ(CN_TEST_VAL, msg->id.val);
	EXPECT_EQ(0, strncmp((char *)msg->data, "cn_test tick", 12));
	close(member);
}

TEST_F(cn, broadcast_skips_non_members)
{
	int member = cn_socket(CN_TEST_IDX), ticks = 0;

	ASSERT_LE(0, member);
	/*
	 * Every tick goes to all members at once: once the member has had
	 * three, the fixture socket (no group) would have had them too.
	 */
	while (ticks < 3 && tick_within(member, 3000))
		ticks++;
	EXPECT_EQ(3, ticks) TH_LOG("the group member got %d ticks", ticks);
	EXPECT_EQ(-1, recv(self->fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT))
		TH_LOG("a socket outside the group got a broadcast");
	EXPECT_EQ(EAGAIN, errno);
	close(member);
}

TEST_F(cn, unknown_id_is_dropped)
{
	struct cb_id nobody = { CN_TEST_IDX, CN_TEST_VAL + 100 };

	cn_send_msg(self->fd, nobody, 90, 0, "x", 1);
	EXPECT_EQ(NULL, cn_recv(self->fd, rxbuf, sizeof(rxbuf), 300));
	EXPECT_EQ(0, echo_once(self->fd, 91, 8));
}

TEST_F(cn, several_messages_in_one_datagram)
{
	size_t first = cn_build(txbuf, cn_test_id, 200, 0, NULL, 5);
	size_t second = cn_build(txbuf + NLMSG_ALIGN(first), cn_test_id, 201, 0,
				 NULL, 9);

	ASSERT_EQ(0, cn_send_raw(self->fd, txbuf, NLMSG_ALIGN(first) + second));
	EXPECT_NE(NULL, cn_wait_seq(self->fd, rxbuf, sizeof(rxbuf), cn_test_id,
				    200, 2000));
	EXPECT_NE(NULL, cn_wait_seq(self->fd, rxbuf, sizeof(rxbuf), cn_test_id,
				    201, 2000));
}

TEST_F(cn, walk_stops_at_malformed_message)
{
	size_t first = cn_build(txbuf, cn_test_id, 210, 0, NULL, 5);
	char *next = txbuf + NLMSG_ALIGN(first);
	size_t second = cn_build(next, cn_test_id, 211, 0, NULL, 9);
	struct cn_msg *bad = NLMSG_DATA((struct nlmsghdr *)next);

	bad->len = 10;	/* one byte more than the message holds */
	ASSERT_EQ(0, cn_send_raw(self->fd, txbuf, NLMSG_ALIGN(first) + second));
	EXPECT_NE(NULL, cn_wait_seq(self->fd, rxbuf, sizeof(rxbuf), cn_test_id,
				    210, 2000));
	EXPECT_TRUE(silent_for(self->fd, 211, 300));
}

/* Malformed datagrams: none may reach cn_test, all leave it working. */
FIXTURE(malformed)
{
	int fd;
};

FIXTURE_VARIANT(malformed)
{
	int shape;
};

enum {
	SHORTER_THAN_NLMSGHDR,
	NLMSGHDR_ONLY,
	TRUNCATED_CN_MSG,
	NLMSG_LEN_BEYOND_DATAGRAM,
	NLMSG_LEN_BELOW_HEADER,
	NLMSG_LEN_HUGE,
	CN_LEN_BEYOND_PAYLOAD,
	CN_LEN_HUGE,
	PAYLOAD_OVER_MAX,
};

FIXTURE_VARIANT_ADD(malformed, shorter_than_nlmsghdr) {
	.shape = SHORTER_THAN_NLMSGHDR,
};

FIXTURE_VARIANT_ADD(malformed, nlmsghdr_only) {
	.shape = NLMSGHDR_ONLY,
};

FIXTURE_VARIANT_ADD(malformed, truncated_cn_msg) {
	.shape = TRUNCATED_CN_MSG,
};

FIXTURE_VARIANT_ADD(malformed, nlmsg_len_beyond_datagram) {
	.shape = NLMSG_LEN_BEYOND_DATAGRAM,
};

FIXTURE_VARIANT_ADD(malformed, nlmsg_len_below_header) {
	.shape = NLMSG_LEN_BELOW_HEADER,
};

FIXTURE_VARIANT_ADD(malformed, nlmsg_len_huge) {
	.shape = NLMSG_LEN_HUGE,
};

FIXTURE_VARIANT_ADD(malformed, cn_len_beyond_payload) {
	.shape = CN_LEN_BEYOND_PAYLOAD,
};

FIXTURE_VARIANT_ADD(malformed, cn_len_huge) {
	.shape = CN_LEN_HUGE,
};

FIXTURE_VARIANT_ADD(malformed, payload_over_max) {
	.shape = PAYLOAD_OVER_MAX,
};

FIXTURE_SETUP(malformed)
{
	self->fd = -1;
	load_cn_test(_metadata);
	self->fd = cn_socket(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(malformed)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(malformed, rejected)
{
	unsigned int seq = 1000 + variant->shape;
	struct nlmsghdr *nlh = (struct nlmsghdr *)txbuf;
	struct cn_msg *msg = NLMSG_DATA(nlh);
	size_t len = cn_build(txbuf, cn_test_id, seq, 0, NULL, 10);
	size_t sent = len;

	switch (variant->shape) {
	case SHORTER_THAN_NLMSGHDR:
		sent = sizeof(*nlh) - 4;
		break;
	case NLMSGHDR_ONLY:
		nlh->nlmsg_len = NLMSG_HDRLEN;
		sent = NLMSG_HDRLEN;
		break;
	case TRUNCATED_CN_MSG:
		nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(*msg) - 4;
		sent = nlh->nlmsg_len;
		break;
	case NLMSG_LEN_BEYOND_DATAGRAM:
		nlh->nlmsg_len = len + 100;
		break;
	case NLMSG_LEN_BELOW_HEADER:
		nlh->nlmsg_len = 4;
		break;
	case NLMSG_LEN_HUGE:
		nlh->nlmsg_len = 0xffffffff;
		break;
	case CN_LEN_BEYOND_PAYLOAD:
		msg->len = 11;
		break;
	case CN_LEN_HUGE:
		msg->len = 0xffff;
		break;
	case PAYLOAD_OVER_MAX:
		sent = cn_build(txbuf, cn_test_id, seq, 0, NULL, CN_MAX_DATA + 1);
		break;
	}
	ASSERT_EQ(0, cn_send_raw(self->fd, txbuf, sent));
	EXPECT_TRUE(silent_for(self->fd, seq, 300))
		TH_LOG("a malformed message reached cn_test");
	EXPECT_EQ(0, echo_once(self->fd, seq + 100, 10))
		TH_LOG("the connector stopped working");
}

/* Join @group on a new socket with setsockopt: 0, an errno, or -1. */
static int join_by_setsockopt(int group)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR), err = 0;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
		       sizeof(group)))
		err = errno;
	close(fd);
	return err;
}

/* Join @group on a new socket with bind and its bit: 0, an errno, or -1. */
static int join_by_bind(int group)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1u << (group - 1),
	};
	int fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR), err = 0;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		err = errno;
	close(fd);
	return err;
}

/*
 * Groups past the connector's that netlink still has (it gives every
 * protocol 32): like driver groups, they need CAP_NET_ADMIN; programs such
 * as the old ucon sample bind to all 32 at once as root.
 */
static const int past_groups[] = { CN_LAST_GROUP + 1, 32 };
/* Past netlink's range: no such group, for anyone. */
#define NO_SUCH_GROUP	33

/*
 * An unprivileged user may join the process events group, with
 * setsockopt and with bind, and no other group: driver groups carry
 * traffic only their daemons should see.
 */
TEST(unprivileged_group_rules)
{
	struct {
		int by_setsockopt[NO_SUCH_GROUP + 1];
		int by_bind[CN_LAST_GROUP + 1];
		int setup;
	} *res = shared_mem(sizeof(*res));
	unsigned int i;
	int status, g;
	pid_t pid;

	ASSERT_EQ(0, geteuid()) TH_LOG("needs root (the harness runs as root)");
	ASSERT_NE(NULL, res);
	res->setup = -1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(65534))
			_exit(1);
		for (g = 1; g <= CN_LAST_GROUP; g++) {
			res->by_setsockopt[g] = join_by_setsockopt(g);
			res->by_bind[g] = join_by_bind(g);
		}
		for (i = 0; i < ARRAY_SIZE(past_groups); i++)
			res->by_setsockopt[past_groups[i]] =
				join_by_setsockopt(past_groups[i]);
		res->by_setsockopt[NO_SUCH_GROUP] =
			join_by_setsockopt(NO_SUCH_GROUP);
		res->setup = 0;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, res->setup) TH_LOG("could not become user 65534");

	/* The positive controls: the same user joins CN_IDX_PROC both ways. */
	EXPECT_EQ(0, res->by_setsockopt[CN_IDX_PROC])
		TH_LOG("CN_IDX_PROC refused to setsockopt: %s",
		       strerror(res->by_setsockopt[CN_IDX_PROC]));
	EXPECT_EQ(0, res->by_bind[CN_IDX_PROC])
		TH_LOG("CN_IDX_PROC refused to bind: %s",
		       strerror(res->by_bind[CN_IDX_PROC]));
	for (g = 2; g <= CN_LAST_GROUP; g++) {
		EXPECT_EQ(EPERM, res->by_setsockopt[g])
			TH_LOG("group %d by setsockopt: %s", g,
			       strerror(res->by_setsockopt[g]));
		EXPECT_EQ(EPERM, res->by_bind[g])
			TH_LOG("group %d by bind: %s", g, strerror(res->by_bind[g]));
	}
	for (i = 0; i < ARRAY_SIZE(past_groups); i++) {
		g = past_groups[i];
		EXPECT_EQ(EPERM, res->by_setsockopt[g])
			TH_LOG("unprivileged, group %d past the last: %s", g,
			       strerror(res->by_setsockopt[g]));
		EXPECT_EQ(0, join_by_setsockopt(g))
			TH_LOG("root, group %d past the last", g);
	}
	EXPECT_EQ(EINVAL, res->by_setsockopt[NO_SUCH_GROUP])
		TH_LOG("unprivileged, group %d: %s", NO_SUCH_GROUP,
		       strerror(res->by_setsockopt[NO_SUCH_GROUP]));
	EXPECT_EQ(EINVAL, join_by_setsockopt(NO_SUCH_GROUP))
		TH_LOG("root, group %d", NO_SUCH_GROUP);
	/* Root's positive control: a driver group. */
	EXPECT_EQ(0, join_by_setsockopt(CN_TEST_IDX));
	munmap(res, sizeof(*res));
}

/* Set the effective and permitted capabilities to @caps (a bit mask). */
static int set_caps(__u64 caps)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { 0 };

	data[0].effective = (__u32)caps;
	data[0].permitted = (__u32)caps;
	data[1].effective = (__u32)(caps >> 32);
	data[1].permitted = (__u32)(caps >> 32);
	return syscall(__NR_capset, &hdr, data);
}

/*
 * What the driver groups need is CAP_NET_ADMIN, not uid 0: a daemon that
 * runs as its own user with just that capability may join, and the same
 * process without it may not.
 */
TEST_F(cn, cap_net_admin_without_root)
{
	struct {
		int setup, uid, join, tick, join_after_drop, bind_after_drop;
		int proc_after_drop;
	} *res = shared_mem(sizeof(*res));
	int status;
	pid_t pid;

	ASSERT_NE(NULL, res);
	res->setup = -1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd, group = CN_TEST_IDX;

		if (prctl(PR_SET_KEEPCAPS, 1) || become(3001)) {
			res->setup = 1;
			_exit(1);
		}
		res->uid = geteuid();
		if (set_caps(1ULL << CAP_NET_ADMIN)) {
			res->setup = 2;
			_exit(1);
		}
		/* Bound: broadcasts skip sockets without a port id. */
		fd = cn_socket(0);
		res->join = fd < 0 ? -1 :
			    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				       &group, sizeof(group)) ? errno : 0;
		res->tick = !res->join && tick_within(fd, 3000);
		close(fd);

		if (set_caps(0)) {
			res->setup = 3;
			_exit(1);
		}
		res->join_after_drop = join_by_setsockopt(CN_TEST_IDX);
		res->bind_after_drop = join_by_bind(CN_TEST_IDX);
		res->proc_after_drop = join_by_setsockopt(CN_IDX_PROC);
		res->setup = 0;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, res->setup)
		TH_LOG("step %d failed (1 uid 3001 with PR_SET_KEEPCAPS, 2 capset, 3 drop)",
		       res->setup);
	EXPECT_EQ(3001, res->uid);
	/* With the capability: joins, and cn_test's ticks arrive. */
	EXPECT_EQ(0, res->join)
		TH_LOG("uid 3001 with CAP_NET_ADMIN could not join group %d: %s",
		       CN_TEST_IDX, strerror(res->join));
	EXPECT_TRUE(res->tick) TH_LOG("no cn_test tick reached the member");
	/* Without it: refused, though CN_IDX_PROC still is not. */
	EXPECT_EQ(EPERM, res->join_after_drop)
		TH_LOG("setsockopt without CAP_NET_ADMIN: %s",
		       strerror(res->join_after_drop));
	EXPECT_EQ(EPERM, res->bind_after_drop)
		TH_LOG("bind without CAP_NET_ADMIN: %s", strerror(res->bind_after_drop));
	EXPECT_EQ(0, res->proc_after_drop);
	munmap(res, sizeof(*res));
}

/*
 * A driver answering from its own thread with GFP_KERNEL waits for room
 * in a full receive queue, as stock 6.12 did: a slow reader with a tiny
 * buffer still gets every message, once, with no overrun.
 */
TEST_F_TIMEOUT(cn, unicast_from_kthread_waits_for_room, 120)
{
	struct burst_req req = { BURST_MAGIC, BURST_COUNT };
	static unsigned char seen[BURST_COUNT];
	long sent0, failed0, sent = -1, failed = -1;
	int fd, i, received = 0, dups = 0, bad = 0, enobufs = 0;
	int out_of_order = 0, next = 0, reads = 0;
	struct pollfd pfd;

	sent0 = cn_module_param("cn_test", "burst_sent");
	failed0 = cn_module_param("cn_test", "burst_failed");
	ASSERT_LE(0, sent0) TH_LOG("cn_test has no burst_sent parameter");
	ASSERT_LE(0, failed0) TH_LOG("cn_test has no burst_failed parameter");
	fd = cn_socket_rcvbuf(4096);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cn_send_msg(fd, cn_test_id, 7000, 0, &req, sizeof(req)));

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (received < BURST_COUNT) {
		ssize_t len;
		struct nlmsghdr *nlh = (struct nlmsghdr *)rxbuf;

		/* The sender waits for us: a long silence means it gave up. */
		if (poll(&pfd, 1, 10000) <= 0)
			break;
		len = recv(fd, rxbuf, sizeof(rxbuf), 0);
		if (len < 0) {
			if (errno != ENOBUFS)
				break;
			enobufs++;
			continue;
		}
		for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			struct cn_msg *msg = NLMSG_DATA(nlh);
			struct burst_msg m;

			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg) + sizeof(m)) ||
			    msg->id.idx != CN_TEST_IDX || msg->id.val != CN_TEST_VAL ||
			    msg->len != sizeof(m)) {
				bad++;
				continue;
			}
			memcpy(&m, msg->data, sizeof(m));
			if (msg->seq >= BURST_COUNT || m.index != msg->seq ||
			    m.count != BURST_COUNT || msg->ack) {
				bad++;
				continue;
			}
			if (seen[msg->seq]++) {
				dups++;
				continue;
			}
			received++;
			if (msg->seq != (unsigned int)next)
				out_of_order++;
			next = msg->seq + 1;
		}
		/* Slower than the sender at first, so that it must wait. */
		if (++reads < 1000)
			usleep(200);
	}
	close(fd);
	/* The sender counts a message after it was queued: let it finish. */
	for (i = 0; i < 500; i++) {
		sent = cn_module_param("cn_test", "burst_sent");
		if (sent >= sent0 + BURST_COUNT)
			break;
		usleep(10 * 1000);
	}
	failed = cn_module_param("cn_test", "burst_failed");

	TH_LOG("burst: %d of %d received, %d duplicates, %d malformed, %d out of order",
	       received, BURST_COUNT, dups, bad, out_of_order);
	TH_LOG("burst: %d ENOBUFS; cn_test counted %ld sent, %ld failed",
	       enobufs, sent - sent0, failed - failed0);
	EXPECT_EQ(BURST_COUNT, received);
	EXPECT_EQ(0, dups);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, enobufs) TH_LOG("the kernel thread's sends were dropped");
	EXPECT_EQ(sent0 + BURST_COUNT, sent);
	EXPECT_EQ(failed0, failed);
	for (i = 0; i < BURST_COUNT; i++)
		if (!seen[i])
			break;
	EXPECT_EQ(BURST_COUNT, i) TH_LOG("index %d never came", i);
}

/*
 * A callback's reply to the socket whose message it handles must not wait
 * for room: that socket's task is inside send() and cannot read. With 200
 * requests in one datagram and a tiny buffer, the overflow is dropped and
 * reported once (ENOBUFS), and send() returns.
 */
TEST_F_TIMEOUT(cn, reply_to_sender_never_blocks, 90)
{
	struct {
		int setup, sent, send_errno, echoes, enobufs, misordered, after;
	} *res = shared_mem(sizeof(*res));
	const int requests = 200;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, res);
	res->setup = -1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		size_t len = 0;
		int fd, i, last = -1;

		/* Blocked for good in send() ends here, killed by SIGALRM. */
		alarm(30);
		fd = cn_socket_rcvbuf(1);
		if (fd < 0)
			_exit(1);
		for (i = 0; i < requests; i++)
			len += NLMSG_ALIGN(cn_build(txbuf + len, cn_test_id, i, 0,
						    NULL, 8));
		res->sent = !cn_send_raw(fd, txbuf, len);
		res->send_errno = res->sent ? 0 : errno;
		alarm(0);
		for (;;) {
			struct cn_msg *msg = NLMSG_DATA((struct nlmsghdr *)rxbuf);
			ssize_t got = recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);

			if (got < 0 && errno == ENOBUFS) {
				res->enobufs++;
				continue;
			}
			if (got < (ssize_t)NLMSG_LENGTH(sizeof(*msg)))
				break;
			if (msg->id.idx != CN_TEST_IDX || msg->id.val != CN_TEST_VAL)
				continue;
			res->echoes++;
			if ((int)msg->seq <= last)
				res->misordered++;
			last = msg->seq;
		}
		/* Read empty, the socket gets its replies again. */
		res->after = echo_once(fd, 5000, 8);
		res->setup = 0;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_FALSE(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		TH_LOG("send() of %d requests blocked for 30 s on its own replies",
		       requests);
	ASSERT_EQ(0, res->setup) TH_LOG("child status 0x%x", status);
	TH_LOG("%d requests in one datagram: %d echoes, %d ENOBUFS",
	       requests, res->echoes, res->enobufs);
	EXPECT_TRUE(res->sent) TH_LOG("send: %s", strerror(res->send_errno));
	/* The first reply fits in any buffer; a tiny one holds a few more. */
	EXPECT_LE(1, res->echoes);
	EXPECT_GE(50, res->echoes) TH_LOG("more replies queued than the buffer holds");
	EXPECT_EQ(1, res->enobufs);
	EXPECT_EQ(0, res->misordered);
	EXPECT_EQ(0, res->after) TH_LOG("no echo once the queue was read");
	/* The positive control: another socket is answered as ever. */
	EXPECT_EQ(0, echo_once(self->fd, 5001, 8));
	munmap(res, sizeof(*res));
}

TEST_F(cn, unprivileged_sender_gets_echo)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (become(65534))
			_exit(100);
		fd = cn_socket(0);
		_exit(fd < 0 ? 101 : -echo_once(fd, 300, 32));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x", status);
}

TEST_F(cn, proc_lists_and_unlists_callbacks)
{
	const struct cb_id proc_id = { CN_IDX_PROC, CN_VAL_PROC };

	/* Without CONFIG_PROC_EVENTS (a modular connector) there is no cn_proc. */
	int has_proc = !getenv("CN_NO_PROC_EVENTS");

	EXPECT_EQ(1, cn_proc_lists("cn_test", cn_test_id));
	EXPECT_EQ(has_proc, cn_proc_lists("cn_proc", proc_id));
	ASSERT_EQ(0, cn_module_unload("cn_test"));
	EXPECT_EQ(0, cn_proc_lists("cn_test", cn_test_id));
	EXPECT_EQ(has_proc, cn_proc_lists("cn_proc", proc_id));
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=100"));
	EXPECT_EQ(1, cn_proc_lists("cn_test", cn_test_id));
}

TEST_F(cn, duplicate_id_is_refused)
{
	/* A second copy of cn_test wants the same id: it must fail to load. */
	const char *stock = getenv("CN_STOCK_TEST_KO");
	int fd;

	ASSERT_TRUE(stock && !access(stock, R_OK))
		TH_LOG("no second module with cn_test's id: CN_STOCK_TEST_KO=%s",
		       stock ? stock : "(unset)");
	fd = open(stock, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_FALSE(cn_module_loaded("stock_cn_test"));
	/* Its init gets -EEXIST from cn_add_callback() and fails with it. */
	EXPECT_EQ(-1, syscall(__NR_finit_module, fd, "", 0));
	EXPECT_EQ(EEXIST, errno);
	close(fd);
	EXPECT_FALSE(cn_module_loaded("stock_cn_test"));
	EXPECT_EQ(0, echo_once(self->fd, 400, 4));
}

static long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * cn_del_callback() must wait for a callback that is running: unloading
 * cn_test while its callback sleeps has to wait for the callback, which
 * then still replies. (Not waiting would free the module's code under the
 * sleeping callback.)
 */
TEST_F(cn, unload_waits_for_running_callback)
{
	const char *knob = "/sys/module/cn_test/parameters/reply_delay_ms";
	struct timespec start;
	int status;
	long waited;
	pid_t pid;

	ASSERT_EQ(0, cn_write_file(knob, "400"))
		TH_LOG("%s: %s (our cn_test has it)", knob, strerror(errno));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int sock = cn_socket(0);

		/* The callback runs, and sleeps, inside this send. */
		if (sock < 0 || cn_send_msg(sock, cn_test_id, 600, 0, "slow", 4))
			_exit(1);
		_exit(cn_wait_seq(sock, rxbuf, sizeof(rxbuf), cn_test_id, 600,
				  2000) ? 0 : 2);
	}
	usleep(100 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &start);
	ASSERT_EQ(0, cn_module_unload("cn_test"));
	waited = ms_since(&start);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the sleeping callback did not complete its reply");
	EXPECT_LE(150, waited)
		TH_LOG("unload returned after %ld ms, before the callback ended", waited);
	TH_LOG("unload waited %ld ms for the running callback", waited);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=100"));
}

/* Send to cn_test without end, from @cpu, counting into @sent. */
static void flood(int cpu, long *sent)
{
	unsigned int seq = 0;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cn_pin(cpu))
		_exit(2);
	fd = cn_socket(0);
	if (fd < 0)
		_exit(1);
	for (;;) {
		if (!cn_send_msg(fd, cn_test_id, seq, 0, NULL, (seq * 13) % 256))
			__atomic_add_fetch(sent, 1, __ATOMIC_RELAXED);
		seq++;
		/* Drain replies now and then so the socket keeps working. */
		if (!(seq % 64))
			while (recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT) > 0)
				;
	}
}

/*
 * Unload and reload cn_test while other CPUs send to it. The callback's
 * "received" count of each load shows that the messages really were
 * being dispatched to it when it went away.
 */
TEST_F_TIMEOUT(cn, reload_while_flooded, 900)
{
	const char *env = getenv("CN_RELOAD_ROUNDS");
	int rounds = env ? atoi(env) : 50, flooders = 2, i, reached = 0;
	long *sent = shared_mem(sizeof(*sent)), most = 0, total = 0;
	int cpus[2], dead = 0, status;
	pid_t pids[8];

	two_cpus(_metadata, cpus);
	ASSERT_NE(NULL, sent);
	env = getenv("CN_FLOODERS");
	if (env)
		flooders = atoi(env);
	ASSERT_LE(1, flooders);
	ASSERT_LE(flooders, 8);
	ASSERT_LE(1, rounds);
	ASSERT_EQ(0, cn_pin(cpus[0]));
	for (i = 0; i < flooders; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			flood(cpus[i % 2 ? 0 : 1], sent);
	}
	for (i = 0; i < rounds; i++) {
		long got = 0;
		int ms;

		ASSERT_EQ(0, cn_module_unload("cn_test"))
			TH_LOG("unload %d: %s", i, strerror(errno));
		ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=1"))
			TH_LOG("load %d: %s", i, strerror(errno));
		/* What this load's callback has seen before it goes. */
		for (ms = 0; ms < 50 && got <= 0; ms++) {
			got = cn_module_param("cn_test", "received");
			if (got <= 0)
				usleep(1000);
		}
		if (got > 0)
			reached++;
		total += got > 0 ? got : 0;
		if (got > most)
			most = got;
	}
	for (i = 0; i < flooders; i++) {
		if (waitpid(pids[i], &status, WNOHANG) == pids[i])
			dead++;
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	TH_LOG("%d reloads on CPU %d under %d flooders (CPUs %d and %d): %ld messages sent",
	       rounds, cpus[0], flooders, cpus[1], cpus[0], *sent);
	TH_LOG("the callback got messages in %d of the %d loads, %ld in all, at most %ld in one",
	       reached, rounds, total, most);
	EXPECT_EQ(0, dead) TH_LOG("a flooder died early");
	EXPECT_LT(rounds / 2, reached)
		TH_LOG("the flood did not reach the callback during most loads");
	ASSERT_EQ(0, cn_module_unload("cn_test"));
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=100"));
	EXPECT_EQ(0, echo_once(self->fd, 500, 16));
	munmap(sent, sizeof(*sent));
}

TEST_HARNESS_MAIN
