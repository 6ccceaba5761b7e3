// SPDX-License-Identifier: GPL-2.0
/*
 * Process events connector selftests: every event type with its fields
 * checked against what this test did, filters, several listeners, the
 * control protocol and its acknowledgment, listener accounting, and no
 * uninitialised byte in what the kernel sends.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/cn_proc.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define MAX_EVENTS	4096
#define STATS_FILE	"/sys/kernel/debug/connector/proc_events"

static const struct cb_id proc_id = { CN_IDX_PROC, CN_VAL_PROC };
static char rxbuf[CN_BUF_SIZE];

struct seen {
	struct cn_msg msg;
	struct proc_event ev;
};

static struct seen events[MAX_EVENTS];
static int nr_events;

/* The event follows the 20-byte header unaligned: copy the parts apart. */
static void pe_keep(const struct cn_msg *msg)
{
	if (nr_events == MAX_EVENTS)
		return;
	memcpy(&events[nr_events].msg, msg, sizeof(*msg));
	memcpy(&events[nr_events].ev, msg->data, sizeof(events[0].ev));
	nr_events++;
}

static int pe_control(int fd, unsigned int seq, unsigned int ack,
		      const void *data, size_t len)
{
	return cn_send_msg(fd, proc_id, seq, ack, data, len);
}

/*
 * Wait for the acknowledgment of request @seq; events on the way are kept
 * in events[]. Returns the error it carries, or -1 when none came or it
 * broke the reply rule.
 */
static int pe_wait_ack(int fd, unsigned int seq, unsigned int ack)
{
	struct cn_msg *msg;

	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), 2000))) {
		struct proc_event *ev = (struct proc_event *)msg->data;

		if (msg->id.idx != CN_IDX_PROC || msg->id.val != CN_VAL_PROC ||
		    msg->len != sizeof(*ev))
			return -1;
		if (ev->what != PROC_EVENT_NONE) {
			pe_keep(msg);
			continue;
		}
		if (msg->seq != seq || msg->ack != ack + 1)
			return -1;
		return ev->event_data.ack.err;
	}
	return -1;
}

static int pe_request(int fd, enum proc_cn_mcast_op op, unsigned int mask)
{
	static unsigned int seq = 100;
	struct proc_input in = { .mcast_op = op, .event_type = mask };

	seq++;
	if (pe_control(fd, seq, seq * 3, &in, sizeof(in)))
		return -1;
	return pe_wait_ack(fd, seq, seq * 3);
}

/* A socket in CN_IDX_PROC that asked for @mask. */
static int pe_listener(unsigned int mask)
{
	int fd = cn_socket(CN_IDX_PROC);

	if (fd < 0 || pe_request(fd, PROC_CN_MCAST_LISTEN, mask)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Move every queued event of @fd into events[] (after the current ones). */
static void pe_drain(int fd)
{
	struct cn_msg *msg;

	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), 200)))
		pe_keep(msg);
}

static pid_t pe_pid_of(const struct proc_event *ev)
{
	return ev->what == PROC_EVENT_FORK ? ev->event_data.fork.child_pid :
					     ev->event_data.exec.process_pid;
}

/* The @n-th (from 0) event of type @what about task @pid, or NULL. */
static struct proc_event *pe_find(unsigned int what, pid_t pid, int n)
{
	int i;

	for (i = 0; i < nr_events; i++)
		if (events[i].ev.what == what && pe_pid_of(&events[i].ev) == pid &&
		    n-- == 0)
			return &events[i].ev;
	return NULL;
}

static int pe_count(unsigned int what, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < nr_events; i++)
		n += events[i].ev.what == what && pe_pid_of(&events[i].ev) == pid;
	return n;
}

/* Fork a child that runs @fn, reap it, return its pid. */
static pid_t pe_run(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

static int pe_listeners(void)
{
	char line[64];
	int n = -1;
	FILE *f = fopen(STATS_FILE, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "listeners %d", &n);
	fclose(f);
	return n;
}

static void child_exec_true(void)
{
	execl("/bin/true", "true", NULL);
	_exit(99);
}

static void child_exit_3(void)
{
	_exit(3);
}

static void child_exit_0(void)
{
	_exit(0);
}

static void child_setuid(void)
{
	if (setgid(65534) || setuid(65534))
		_exit(1);
}

static void child_setsid(void)
{
	setsid();
}

static void child_comm(void)
{
	prctl(PR_SET_NAME, "cn-renamed");
}

static void child_abort(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	signal(SIGABRT, SIG_DFL);
	raise(SIGABRT);
}

FIXTURE(pe)
{
	int fd;
};

/* Process events exist when cn_proc is a registered connector user. */
static bool pe_available(void)
{
	return cn_proc_lists("cn_proc", proc_id) == 1;
}

FIXTURE_SETUP(pe)
{
	self->fd = -1;
	if (!pe_available())
		SKIP(return, "no process events connector (CONFIG_PROC_EVENTS=n)");
	nr_events = 0;
	self->fd = cn_socket(CN_IDX_PROC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pe)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(pe, ack_follows_reply_rule)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL };

	ASSERT_EQ(0, pe_control(self->fd, 4242, 77, &in, sizeof(in)));
	EXPECT_EQ(0, pe_wait_ack(self->fd, 4242, 77));
	/* The bare 4-byte form, IGNORE. */
	in.mcast_op = PROC_CN_MCAST_IGNORE;
	ASSERT_EQ(0, pe_control(self->fd, 4243, 0xffffffff, &in.mcast_op, 4));
	EXPECT_EQ(0, pe_wait_ack(self->fd, 4243, 0xffffffff));
}

TEST_F(pe, fork_exec_exit)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_exec_true);
	ASSERT_LT(0, pid);
	pe_drain(self->fd);

	ev = pe_find(PROC_EVENT_FORK, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(getpid(), ev->event_data.fork.parent_tgid);
	EXPECT_EQ(getpid(), ev->event_data.fork.parent_pid);
	EXPECT_EQ(pid, ev->event_data.fork.child_tgid);
	EXPECT_NE(0, ev->timestamp_ns);

	ev = pe_find(PROC_EVENT_EXEC, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.exec.process_tgid);

	ev = pe_find(PROC_EVENT_EXIT, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.exit.process_tgid);
	EXPECT_EQ(0, ev->event_data.exit.exit_code);
	EXPECT_EQ(SIGCHLD, ev->event_data.exit.exit_signal);
	EXPECT_EQ(getpid(), ev->event_data.exit.parent_pid);
	EXPECT_EQ(getpid(), ev->event_data.exit.parent_tgid);
}

TEST_F(pe, exit_code_and_coredump)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_exit_3);
	pe_drain(self->fd);
	ev = pe_find(PROC_EVENT_EXIT, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(3 << 8, ev->event_data.exit.exit_code);

	pid = pe_run(child_abort);
	pe_drain(self->fd);
	ev = pe_find(PROC_EVENT_COREDUMP, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.coredump.process_tgid);
	EXPECT_EQ(getpid(), ev->event_data.coredump.parent_tgid);
	ev = pe_find(PROC_EVENT_EXIT, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(SIGABRT, ev->event_data.exit.exit_code & 0x7f);
}

TEST_F(pe, uid_gid_sid_comm)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_setuid);
	pe_drain(self->fd);
	ev = pe_find(PROC_EVENT_GID, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(65534, ev->event_data.id.r.rgid);
	EXPECT_EQ(65534, ev->event_data.id.e.egid);
	ev = pe_find(PROC_EVENT_UID, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(65534, ev->event_data.id.r.ruid);
	EXPECT_EQ(65534, ev->event_data.id.e.euid);

	pid = pe_run(child_setsid);
	pe_drain(self->fd);
	ev = pe_find(PROC_EVENT_SID, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.sid.process_tgid);

	pid = pe_run(child_comm);
	pe_drain(self->fd);
	ev = pe_find(PROC_EVENT_COMM, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_STREQ("cn-renamed", ev->event_data.comm.comm);
}

TEST_F(pe, ptrace_attach_detach)
{
	struct proc_event *ev;
	int status;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_PTRACE));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, pid, NULL, NULL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, pid, NULL, NULL));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	pe_drain(self->fd);

	ev = pe_find(PROC_EVENT_PTRACE, pid, 0);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(getpid(), ev->event_data.ptrace.tracer_pid);
	EXPECT_EQ(getpid(), ev->event_data.ptrace.tracer_tgid);
	ev = pe_find(PROC_EVENT_PTRACE, pid, 1);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(0, ev->event_data.ptrace.tracer_pid);
	EXPECT_EQ(0, ev->event_data.ptrace.tracer_tgid);
	/* Filtered to ptrace: the exit was not delivered. */
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
}

TEST_F(pe, filters_alone_and_combined)
{
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC));
	pid = pe_run(child_exec_true);
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(1, pe_count(PROC_EVENT_EXEC, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));

	/* A new LISTEN replaces the filter. */
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN,
				PROC_EVENT_FORK | PROC_EVENT_EXIT));
	pid = pe_run(child_exec_true);
	pe_drain(self->fd);
	EXPECT_EQ(1, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXEC, pid));
	EXPECT_EQ(1, pe_count(PROC_EVENT_EXIT, pid));
}

TEST_F(pe, nonzero_exit_only)
{
	pid_t ok, bad;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN,
				PROC_EVENT_NONZERO_EXIT));
	ok = pe_run(child_exit_0);
	bad = pe_run(child_exit_3);
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, ok));
	EXPECT_EQ(1, pe_count(PROC_EVENT_EXIT, bad));
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, bad));
}

/* Each listener gets exactly what it asked for, whatever the others do. */
TEST_F(pe, listeners_do_not_affect_each_other)
{
	static const unsigned int masks[] = {
		PROC_EVENT_ALL, PROC_EVENT_FORK, PROC_EVENT_EXEC,
		PROC_EVENT_NONZERO_EXIT, PROC_EVENT_EXIT,
	};
	int fds[5], i;
	pid_t pid;

	for (i = 0; i < 5; i++) {
		fds[i] = pe_listener(masks[i]);
		ASSERT_LE(0, fds[i]);
	}
	pid = pe_run(child_exec_true);
	for (i = 0; i < 5; i++) {
		unsigned int m = masks[i];

		nr_events = 0;
		pe_drain(fds[i]);
		EXPECT_EQ(!!(m & PROC_EVENT_FORK), pe_count(PROC_EVENT_FORK, pid))
			TH_LOG("listener %d (mask 0x%x), fork", i, m);
		EXPECT_EQ(!!(m & PROC_EVENT_EXEC), pe_count(PROC_EVENT_EXEC, pid))
			TH_LOG("listener %d (mask 0x%x), exec", i, m);
		EXPECT_EQ(!!(m & PROC_EVENT_EXIT), pe_count(PROC_EVENT_EXIT, pid))
			TH_LOG("listener %d (mask 0x%x), exit 0", i, m);
		close(fds[i]);
	}
}

TEST_F(pe, ignore_stops_events)
{
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_IGNORE, 0));
	nr_events = 0;
	pid = pe_run(child_exec_true);
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
}

TEST_F(pe, group_member_that_never_listened_gets_nothing)
{
	int listener = pe_listener(PROC_EVENT_ALL);
	pid_t pid;

	ASSERT_LE(0, listener);
	pid = pe_run(child_exec_true);
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	close(listener);
}

TEST_F(pe, listener_accounting)
{
	int base, fd;

	base = pe_listeners();
	if (base < 0)
		SKIP(return, "%s not readable (debugfs)", STATS_FILE);

	/* Close without IGNORE: the listener is gone with the socket. */
	fd = pe_listener(PROC_EVENT_ALL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(base + 1, pe_listeners());
	close(fd);
	EXPECT_EQ(base, pe_listeners());

	/* IGNORE from a socket that never listened changes nothing. */
	fd = cn_socket(0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pe_request(fd, PROC_CN_MCAST_IGNORE, 0));
	EXPECT_EQ(base, pe_listeners());
	/* LISTEN without joining the group: counted, then freed on close. */
	EXPECT_EQ(0, pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC));
	EXPECT_EQ(base + 1, pe_listeners());
	close(fd);
	EXPECT_EQ(base, pe_listeners());

	/* LISTEN twice counts once; IGNORE twice uncounts once. */
	fd = pe_listener(PROC_EVENT_ALL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_FORK));
	EXPECT_EQ(base + 1, pe_listeners());
	EXPECT_EQ(0, pe_request(fd, PROC_CN_MCAST_IGNORE, 0));
	EXPECT_EQ(0, pe_request(fd, PROC_CN_MCAST_IGNORE, 0));
	EXPECT_EQ(base, pe_listeners());
	close(fd);
	EXPECT_EQ(base, pe_listeners());
}

TEST_F(pe, malformed_control_messages)
{
	unsigned int data[4] = { PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL };
	int base = pe_listeners();

	/* Wrong sizes. */
	ASSERT_EQ(0, pe_control(self->fd, 1, 0, data, 3));
	EXPECT_EQ(EINVAL, pe_wait_ack(self->fd, 1, 0));
	ASSERT_EQ(0, pe_control(self->fd, 2, 0, data, 12));
	EXPECT_EQ(EINVAL, pe_wait_ack(self->fd, 2, 0));
	ASSERT_EQ(0, pe_control(self->fd, 3, 0, data, 0));
	EXPECT_EQ(EINVAL, pe_wait_ack(self->fd, 3, 0));
	/* Unknown operation. */
	data[0] = 7;
	ASSERT_EQ(0, pe_control(self->fd, 4, 0, data, 8));
	EXPECT_EQ(EINVAL, pe_wait_ack(self->fd, 4, 0));
	ASSERT_EQ(0, pe_control(self->fd, 5, 0, data, 4));
	EXPECT_EQ(EINVAL, pe_wait_ack(self->fd, 5, 0));
	/* Unknown event bits. */
	data[0] = PROC_CN_MCAST_LISTEN;
	data[1] = PROC_EVENT_EXEC | 0x400;
	ASSERT_EQ(0, pe_control(self->fd, 6, 0, data, 8));
	EXPECT_EQ(EINVAL, pe_wait_ack(self->fd, 6, 0));
	/* None of it made this socket a listener. */
	if (base >= 0)
		EXPECT_EQ(base, pe_listeners());
}

TEST_F(pe, no_uninitialised_bytes)
{
	unsigned char *p;
	struct cn_msg *msg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)rxbuf;
	size_t used, i, checked = 0;
	pid_t pid;
	ssize_t len;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_exec_true);
	for (;;) {
		memset(rxbuf, 0xa5, sizeof(rxbuf));
		len = recv(self->fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
		if (len < 0)
			break;
		ASSERT_EQ(NLMSG_ALIGN(nlh->nlmsg_len), len);
		msg = NLMSG_DATA(nlh);
		struct proc_event *ev = (struct proc_event *)msg->data;

		if (ev->what != PROC_EVENT_FORK || ev->event_data.fork.child_pid != pid)
			continue;
		/* Bytes of the union past the fork member, and netlink padding. */
		used = (unsigned char *)&ev->event_data.fork + sizeof(ev->event_data.fork) -
		       (unsigned char *)rxbuf;
		p = (unsigned char *)rxbuf;
		for (i = used; i < (size_t)len; i++)
			EXPECT_EQ(0, p[i]) TH_LOG("byte %zu of the datagram is 0x%02x", i, p[i]);
		EXPECT_EQ(0, msg->flags);
		checked++;
	}
	EXPECT_EQ(1, checked);
}

TEST_F(pe, seq_counts_per_cpu)
{
	unsigned int next[64] = { 0 };
	bool started[64] = { false };
	int i, gaps = 0;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	nr_events = 0;
	for (i = 0; i < 100; i++)
		pe_run(child_exit_0);
	pe_drain(self->fd);
	ASSERT_LE(200, nr_events);	/* a fork and an exit each */
	for (i = 0; i < nr_events; i++) {
		unsigned int cpu = events[i].ev.cpu;

		ASSERT_GT(64, cpu);
		if (started[cpu] && events[i].msg.seq != next[cpu])
			gaps++;
		started[cpu] = true;
		next[cpu] = events[i].msg.seq + 1;
	}
	/* Everything is wanted, so every event numbered was delivered. */
	EXPECT_EQ(0, gaps);
}

TEST(unprivileged_may_listen)
{
	int status;
	pid_t pid;

	if (!pe_available())
		SKIP(return, "no process events connector (CONFIG_PROC_EVENTS=n)");
	if (geteuid())
		SKIP(return, "needs root to drop privileges");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = pe_listener(PROC_EVENT_FORK);
		if (fd < 0)
			_exit(11);
		pid = pe_run(child_exit_0);
		pe_drain(fd);
		_exit(pe_count(PROC_EVENT_FORK, pid) == 1 ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x", status);
}

TEST(other_user_namespace_is_refused)
{
	int status;
	pid_t pid;

	if (!pe_available())
		SKIP(return, "no process events connector (CONFIG_PROC_EVENTS=n)");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = cn_socket(CN_IDX_PROC);

		if (fd < 0)
			_exit(10);
		if (unshare(CLONE_NEWUSER))
			_exit(4);	/* no user namespaces: skip */
		_exit(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL) == EPERM ?
		      0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 4)
		SKIP(return, "user namespaces unavailable");
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
