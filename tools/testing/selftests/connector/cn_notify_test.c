// SPDX-License-Identifier: GPL-2.0
/*
 * Callback notification selftests: a socket asks the connector (at
 * {CN_IDX_CONNECTOR, CN_VAL_CONNECTOR}) to report when ids in chosen
 * ranges come and go, then loads and unloads the cn_test sample.
 *
 * Needs root (to load cn_test) and CONFIG_SAMPLE_CONNECTOR=m.
 */

#define _GNU_SOURCE
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define REQUESTS_FILE	"/sys/kernel/debug/connector/notify_requests"

static const struct cb_id ctl_id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR };
static char rxbuf[CN_BUF_SIZE];

/* Send a request with @nidx idx ranges then @nval val ranges. */
static int request(int fd, unsigned int seq, __u32 group,
		   const struct cn_notify_req *ranges, __u32 nidx, __u32 nval)
{
	char data[sizeof(struct cn_ctl_msg) + 128 * sizeof(*ranges)];
	struct cn_ctl_msg *ctl = (struct cn_ctl_msg *)data;

	memset(data, 0, sizeof(data));
	ctl->idx_notify_num = nidx;
	ctl->val_notify_num = nval;
	ctl->group = group;
	ctl->len = (nidx + nval) * sizeof(*ranges);
	if (ranges)	/* else the ranges stay zero */
		memcpy(ctl->data, ranges, ctl->len);
	return cn_send_msg(fd, ctl_id, seq, seq + 1000, data,
			   sizeof(*ctl) + ctl->len);
}

/* The error in the acknowledgment of @seq, or -1 when none came. */
static int ack_of(int fd, unsigned int seq)
{
	struct cn_msg *msg = cn_wait_seq(fd, rxbuf, sizeof(rxbuf), ctl_id, seq,
					 2000);
	struct cn_notify_msg *note;

	if (!msg || msg->len != sizeof(*note) || msg->ack != seq + 1000 + 1)
		return -1;
	note = (struct cn_notify_msg *)msg->data;
	return note->type == CN_NOTIFY_ACK ? (int)note->err : -1;
}

/* Count notifications of @type for cn_test's id arriving within @ms. */
static int count_notes(int fd, __u32 type, int ms)
{
	struct cn_msg *msg;
	int n = 0;

	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), ms))) {
		struct cn_notify_msg *note = (struct cn_notify_msg *)msg->data;

		if (msg->id.idx != CN_IDX_CONNECTOR || msg->len != sizeof(*note) ||
		    note->type != type)
			continue;
		if (note->id.idx == CN_TEST_IDX && note->id.val == CN_TEST_VAL &&
		    !strcmp(note->name, "cn_test"))
			n++;
	}
	return n;
}

static int requests_now(void)
{
	FILE *f = fopen(REQUESTS_FILE, "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* Unload then load cn_test; count what @fd hears of each. */
static void cycle(struct __test_metadata *_metadata, int fd, int *added,
		  int *removed)
{
	ASSERT_EQ(0, cn_module_unload("cn_test"));
	*removed = count_notes(fd, CN_NOTIFY_REMOVED, 300);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	*added = count_notes(fd, CN_NOTIFY_ADDED, 300);
}

FIXTURE(notify)
{
	int fd;
};

FIXTURE_SETUP(notify)
{
	const char *why = cn_test_unavailable();

	self->fd = -1;
	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	self->fd = cn_socket(0);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(notify)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(notify, added_and_removed_exactly_once)
{
	struct cn_notify_req idx = { CN_TEST_IDX, 1 };
	int added, removed;

	ASSERT_EQ(0, request(self->fd, 1, 0, &idx, 1, 0));
	ASSERT_EQ(0, ack_of(self->fd, 1));
	cycle(_metadata, self->fd, &added, &removed);
	EXPECT_EQ(1, removed);
	EXPECT_EQ(1, added);
}

TEST_F(notify, ranges_that_match_and_that_do_not)
{
	static const struct {
		struct cn_notify_req ranges[2];
		__u32 nidx, nval;
		int want;
	} cases[] = {
		{ { { CN_TEST_IDX - 2, 5 } }, 1, 0, 1 },	/* idx inside */
		{ { { CN_TEST_IDX + 1, 5 } }, 1, 0, 0 },	/* idx after */
		{ { { 0, CN_TEST_IDX } }, 1, 0, 0 },		/* ends just before */
		{ { { CN_TEST_VAL, 1 } }, 0, 1, 1 },		/* val only */
		{ { { CN_TEST_VAL + 1, 9 } }, 0, 1, 0 },
		{ { { CN_TEST_IDX, 1 }, { CN_TEST_VAL, 1 } }, 1, 1, 1 },
		{ { { CN_TEST_IDX, 1 }, { CN_TEST_VAL + 1, 1 } }, 1, 1, 0 },
		{ { { 0xfffffff0, 0x10 } }, 1, 0, 0 },		/* the top values */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = cn_socket(0), added, removed;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, request(fd, 10 + i, 0, cases[i].ranges,
				     cases[i].nidx, cases[i].nval));
		ASSERT_EQ(0, ack_of(fd, 10 + i));
		cycle(_metadata, fd, &added, &removed);
		EXPECT_EQ(cases[i].want, added) TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].want, removed) TH_LOG("case %u", i);
		close(fd);
	}
}

TEST_F(notify, withdraw)
{
	struct cn_notify_req idx = { CN_TEST_IDX, 1 };
	int added, removed;

	ASSERT_EQ(0, request(self->fd, 30, 0, &idx, 1, 0));
	ASSERT_EQ(0, ack_of(self->fd, 30));
	ASSERT_EQ(0, request(self->fd, 31, 0, NULL, 0, 0));
	ASSERT_EQ(0, ack_of(self->fd, 31));
	cycle(_metadata, self->fd, &added, &removed);
	EXPECT_EQ(0, added);
	EXPECT_EQ(0, removed);
}

TEST_F(notify, close_cleans_up)
{
	struct cn_notify_req idx = { CN_TEST_IDX, 1 };
	int base = requests_now(), fd, i;

	if (base < 0)
		SKIP(return, "%s not readable (debugfs)", REQUESTS_FILE);
	fd = cn_socket(0);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, request(fd, 40 + i, 0, &idx, 1, 0));
		ASSERT_EQ(0, ack_of(fd, 40 + i));
	}
	EXPECT_EQ(base + 3, requests_now());
	close(fd);
	EXPECT_EQ(base, requests_now());
}

TEST_F(notify, per_socket_cap)
{
	struct cn_notify_req idx = { CN_TEST_IDX, 1 };
	int i, err = 0;

	for (i = 0; i < 17 && !err; i++) {
		ASSERT_EQ(0, request(self->fd, 50 + i, 0, &idx, 1, 0));
		err = ack_of(self->fd, 50 + i);
	}
	EXPECT_EQ(ENOSPC, err);
	EXPECT_EQ(17, i);
}

TEST_F(notify, group_delivery)
{
	struct cn_notify_req idx = { CN_TEST_IDX, 1 };
	int group = CN_NETLINK_USERS + 5, member = cn_socket(group);
	int added, removed;

	ASSERT_LE(0, member);
	ASSERT_EQ(0, request(self->fd, 60, group, &idx, 1, 0));
	ASSERT_EQ(0, ack_of(self->fd, 60));
	ASSERT_EQ(0, cn_module_unload("cn_test"));
	removed = count_notes(member, CN_NOTIFY_REMOVED, 300);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	added = count_notes(member, CN_NOTIFY_ADDED, 300);
	EXPECT_EQ(1, removed);
	EXPECT_EQ(1, added);
	/* Nothing went to the requester itself. */
	EXPECT_EQ(0, count_notes(self->fd, CN_NOTIFY_ADDED, 100));
	close(member);
}

TEST_F(notify, malformed_requests)
{
	struct cn_notify_req r[2] = { { CN_TEST_IDX, 1 }, { 0, 0 } };
	struct cn_ctl_msg ctl = { 1, 0, 0, sizeof(r[0]) };

	/* Shorter than the header. */
	ASSERT_EQ(0, cn_send_msg(self->fd, ctl_id, 70, 1070, &ctl, 8));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 70));
	/* len disagrees with the range counts, or with the message. */
	ctl.len = 3 * sizeof(r[0]);
	ASSERT_EQ(0, cn_send_msg(self->fd, ctl_id, 71, 1071, &ctl, sizeof(ctl)));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 71));
	/* Too many ranges, and counts that overflow. */
	ASSERT_EQ(0, request(self->fd, 72, 0, NULL, 65, 0));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 72));
	ctl.idx_notify_num = 0x80000000;
	ctl.val_notify_num = 0x80000001;
	ctl.len = 8;
	ASSERT_EQ(0, cn_send_msg(self->fd, ctl_id, 73, 1073, &ctl, sizeof(ctl)));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 73));
	/* An empty range. */
	ASSERT_EQ(0, request(self->fd, 74, 0, &r[1], 1, 0));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 74));
	/* A range that would wrap past 0xffffffff. */
	r[1].first = 0xfffffff0;
	r[1].range = 0x20;
	ASSERT_EQ(0, request(self->fd, 76, 0, &r[1], 1, 0));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 76));
	/* A group beyond the connector's. */
	ASSERT_EQ(0, request(self->fd, 75, CN_NETLINK_USERS + 0x10, r, 1, 0));
	EXPECT_EQ(EINVAL, ack_of(self->fd, 75));
}

TEST_F(notify, unprivileged_requests)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct cn_notify_req idx = { CN_TEST_IDX, 1 };
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = cn_socket(0);
		if (fd < 0)
			_exit(11);
		/* To a group: refused. To itself: allowed. */
		if (request(fd, 80, CN_NETLINK_USERS + 5, &idx, 1, 0) ||
		    ack_of(fd, 80) != EPERM)
			_exit(12);
		if (request(fd, 81, 0, &idx, 1, 0) || ack_of(fd, 81) != 0)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x", status);
}

TEST_HARNESS_MAIN
