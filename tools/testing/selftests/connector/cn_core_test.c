// SPDX-License-Identifier: GPL-2.0
/*
 * Connector core selftests: echo round trips with the cn_test sample
 * module, group delivery, rejection of malformed datagrams, group
 * permissions, the /proc/net/connector listing, and module unload while
 * messages are in flight.
 *
 * Needs root (to load cn_test) and CONFIG_SAMPLE_CONNECTOR=m.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

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

FIXTURE(cn)
{
	int fd;
};

FIXTURE_SETUP(cn)
{
	const char *why = cn_test_unavailable();

	self->fd = -1;
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=100"));
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
	/* The fixture socket joined no group: ticks must not reach it. */
	EXPECT_EQ(NULL, cn_recv(self->fd, rxbuf, sizeof(rxbuf), 500));
	EXPECT_EQ(EAGAIN, errno);
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
	const char *why = cn_test_unavailable();

	self->fd = -1;
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=100"));
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

/* Drop to an unprivileged user in a child and report what it could do. */
TEST(unprivileged_group_rules)
{
	int status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to drop privileges");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
		int fd, group, fails = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
		if (fd < 0)
			_exit(101);

		/* Process events are open to everyone... */
		group = CN_IDX_PROC;
		if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			       sizeof(group)))
			fails |= 1;
		/* ...driver groups are not, odd numbers included. */
		for (group = 2; group <= CN_NETLINK_USERS + 0xf; group++) {
			if (!setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
					&group, sizeof(group)) || errno != EPERM)
				fails |= 2;
		}
		close(fd);

		fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
		addr.nl_groups = 1u << (CN_TEST_IDX - 1);
		if (!bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
		    errno != EPERM)
			fails |= 4;
		addr.nl_groups = 1u << (CN_IDX_PROC - 1);
		if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
			fails |= 8;
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("bits: 1 CN_IDX_PROC refused, 2 a driver group allowed, %s",
		       "4 bind to a driver group allowed, 8 bind to CN_IDX_PROC refused");
}

TEST_F(cn, unprivileged_sender_gets_echo)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		fd = cn_socket(0);
		_exit(fd < 0 ? 101 : -echo_once(fd, 300, 32));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
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

	if (!stock || access(stock, R_OK))
		SKIP(return, "no second module with cn_test's id (CN_STOCK_TEST_KO)");
	int fd = open(stock, O_RDONLY | O_CLOEXEC);

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
	int status, fd;
	long waited;
	pid_t pid;

	fd = open(knob, O_WRONLY);
	if (fd < 0)
		SKIP(return, "%s: %s", knob, strerror(errno));
	ASSERT_EQ(3, write(fd, "400", 3));
	close(fd);

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

static void flood(void)
{
	unsigned int seq = 0;
	int fd = cn_socket(0);

	if (fd < 0)
		_exit(1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		cn_send_msg(fd, cn_test_id, seq, 0, NULL, (seq * 13) % 256);
		seq++;
		/* Drain replies now and then so the socket keeps working. */
		if (!(seq % 64))
			while (recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT) > 0)
				;
	}
}

TEST_F_TIMEOUT(cn, reload_while_flooded, 600)
{
	const char *env = getenv("CN_RELOAD_ROUNDS");
	int rounds = env ? atoi(env) : 50, flooders = 2, i;
	pid_t pids[8];

	env = getenv("CN_FLOODERS");
	if (env)
		flooders = atoi(env);
	ASSERT_LE(flooders, 8);
	for (i = 0; i < flooders; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0)
			flood();
	}
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, cn_module_unload("cn_test"))
			TH_LOG("unload %d: %s", i, strerror(errno));
		ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=1"))
			TH_LOG("load %d: %s", i, strerror(errno));
	}
	for (i = 0; i < flooders; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	TH_LOG("cn_test unloaded and reloaded %d times under %d flooders",
	       rounds, flooders);
	EXPECT_EQ(0, echo_once(self->fd, 500, 16));
}

TEST_HARNESS_MAIN
