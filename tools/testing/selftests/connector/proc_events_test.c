// SPDX-License-Identifier: GPL-2.0
/*
 * Process events connector selftests: every event type with its fields
 * checked against what this test did (threads included, so that a pid
 * and a tgid cannot be confused), filters, several listeners, the control
 * protocol and its acknowledgment, compatibility of the masks with stock
 * 6.12, listener accounting, per-CPU numbering, filter changes racing
 * with events, and no uninitialised byte in what the kernel sends.
 *
 * Negative checks ("this socket got nothing") always come after a
 * positive control: another socket, or the same one earlier, got the
 * event in question, and the socket under test was then drained for
 * QUIET_MS more.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <linux/cn_proc.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define MAX_EVENTS	8192
#define STATS_FILE	"/sys/kernel/debug/connector/proc_events"
#define RESTRICT_FILE	"/proc/sys/net/connector/proc_events_restrict"

/* Every message the connector sends a listener has exactly this size. */
#define PE_MSG_LEN	NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(struct proc_event))
/* Where the struct proc_event starts in the datagram. */
#define PE_EV_OFF	(NLMSG_HDRLEN + sizeof(struct cn_msg))
/* Receive buffer: room for much more than one message, to see extra bytes. */
#define RX_SIZE		4096
/* Bounded waits: for what must come, and the silence after it. */
#define ACK_WAIT_MS	5000
#define EVENT_WAIT_MS	5000
#define QUIET_MS	300
#define DRAIN_MAX_MS	10000
/* Large enough that no test here loses an event to a full queue. */
#define BIG_RCVBUF	(32 << 20)

static const struct cb_id proc_id = { CN_IDX_PROC, CN_VAL_PROC };
/* Aligned for the netlink header; the event in it is copied out. */
static union {
	struct nlmsghdr nlh;
	unsigned char bytes[RX_SIZE];
} rx;

/* Failures noticed below the tests, reported by the fixture teardown. */
static int pe_enobufs;
static int pe_malformed;

struct seen {
	struct cn_msg msg;
	struct proc_event ev;
};

static struct seen events[MAX_EVENTS];
static int nr_events;

static long long pe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A connector socket in @group (0: none) with a queue nothing overflows. */
static int pe_socket(int group)
{
	int fd = cn_socket(group), size = BIG_RCVBUF;

	/* Needs CAP_NET_ADMIN; the unprivileged keep cn_socket's buffer. */
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return fd;
}

/*
 * Receive one datagram into rx.bytes, prefilled with a pattern so that a
 * byte the kernel did not write shows. Returns its full length (more
 * than RX_SIZE if it was truncated), 0 after @timeout_ms of silence, -1
 * on error. An overflow (ENOBUFS) is counted and receiving goes on.
 */
static ssize_t pe_recv_raw(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t len;
	int ready;

	for (;;) {
		ready = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return ready;
		memset(rx.bytes, 0xa5, sizeof(rx.bytes));
		len = recv(fd, rx.bytes, sizeof(rx.bytes), MSG_DONTWAIT | MSG_TRUNC);
		if (len >= 0)
			return len;
		if (errno == ENOBUFS)
			pe_enobufs++;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
}

/*
 * The next message of @fd, or NULL after @timeout_ms of silence. A
 * datagram that is not exactly one process-event message is counted in
 * pe_malformed and skipped.
 */
static struct cn_msg *pe_next(int fd, int timeout_ms)
{
	struct nlmsghdr *nlh = &rx.nlh;
	struct cn_msg *msg = NLMSG_DATA(nlh);
	ssize_t len;

	for (;;) {
		len = pe_recv_raw(fd, timeout_ms);
		if (len <= 0)
			return NULL;
		if (len == NLMSG_ALIGN(PE_MSG_LEN) &&
		    nlh->nlmsg_len == PE_MSG_LEN &&
		    msg->id.idx == CN_IDX_PROC && msg->id.val == CN_VAL_PROC &&
		    msg->len == sizeof(struct proc_event))
			return msg;
		pe_malformed++;
	}
}

/* The event follows the 20-byte header unaligned: copy the parts apart. */
static void pe_keep(const struct cn_msg *msg)
{
	if (nr_events == MAX_EVENTS)
		return;
	memcpy(&events[nr_events].msg, msg, sizeof(*msg));
	memcpy(&events[nr_events].ev, msg->data, sizeof(events[0].ev));
	nr_events++;
}

static pid_t pe_pid_of(const struct proc_event *ev)
{
	return ev->what == PROC_EVENT_FORK ? ev->event_data.fork.child_pid :
					     ev->event_data.exec.process_pid;
}

/* The @n-th (from 0) kept event of type @what about task @pid, or NULL. */
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

/* Keep what @fd receives until QUIET_MS of silence (DRAIN_MAX_MS at most). */
static void pe_drain(int fd)
{
	long long deadline = pe_now_ms() + DRAIN_MAX_MS;
	struct cn_msg *msg;

	while (pe_now_ms() < deadline) {
		msg = pe_next(fd, QUIET_MS);
		if (!msg)
			break;
		pe_keep(msg);
	}
}

/* Keep what @fd receives until event @what about @pid is kept. */
static struct proc_event *pe_await(int fd, unsigned int what, pid_t pid)
{
	long long deadline = pe_now_ms() + EVENT_WAIT_MS;
	struct proc_event *ev;
	struct cn_msg *msg;

	for (;;) {
		ev = pe_find(what, pid, 0);
		if (ev || pe_now_ms() > deadline)
			return ev;
		msg = pe_next(fd, deadline - pe_now_ms());
		if (!msg)
			return NULL;
		pe_keep(msg);
	}
}

/*
 * Positive control: wait until @fd, a listener that wants @what, got
 * @what about each of @pids (at most 8). What it reads is not kept.
 */
static bool pe_witness(int fd, unsigned int what, const pid_t *pids, int n)
{
	long long deadline = pe_now_ms() + EVENT_WAIT_MS;
	bool found[8] = { false };
	struct proc_event ev;
	struct cn_msg *msg;
	int missing = n, i;

	while (missing > 0 && pe_now_ms() <= deadline) {
		msg = pe_next(fd, deadline - pe_now_ms());
		if (!msg)
			return false;
		memcpy(&ev, msg->data, sizeof(ev));
		for (i = 0; i < n && i < 8; i++) {
			if (!found[i] && ev.what == what &&
			    pe_pid_of(&ev) == pids[i]) {
				found[i] = true;
				missing--;
			}
		}
	}
	return !missing;
}

static bool pe_witness1(int fd, unsigned int what, pid_t pid)
{
	return pe_witness(fd, what, &pid, 1);
}

static int pe_control(int fd, unsigned int seq, unsigned int ack,
		      const void *data, size_t len)
{
	return cn_send_msg(fd, proc_id, seq, ack, data, len);
}

/*
 * Wait for the acknowledgment of request @seq; events on the way are kept
 * in events[]. Returns the error it carries, or -1 when none came or a
 * different acknowledgment came first.
 */
static int pe_wait_ack(int fd, unsigned int seq, unsigned int ack)
{
	long long deadline = pe_now_ms() + ACK_WAIT_MS;
	struct proc_event ev;
	struct cn_msg *msg;

	while (pe_now_ms() <= deadline) {
		msg = pe_next(fd, deadline - pe_now_ms());
		if (!msg)
			return -1;
		memcpy(&ev, msg->data, sizeof(ev));
		if (ev.what != PROC_EVENT_NONE) {
			pe_keep(msg);
			continue;
		}
		if (msg->seq != seq || msg->ack != ack + 1)
			return -1;
		return ev.event_data.ack.err;
	}
	return -1;
}

/* Send control data @data of @len bytes; the error of its ack, or -1. */
static int pe_send_request(int fd, const void *data, size_t len)
{
	static unsigned int seq = 100;

	seq++;
	if (pe_control(fd, seq, seq * 3, data, len))
		return -1;
	return pe_wait_ack(fd, seq, seq * 3);
}

static int pe_request(int fd, unsigned int op, unsigned int mask)
{
	struct proc_input in = { .mcast_op = op, .event_type = mask };

	return pe_send_request(fd, &in, sizeof(in));
}

/* A socket in CN_IDX_PROC that asked for @mask. */
static int pe_listener(unsigned int mask)
{
	int fd = pe_socket(CN_IDX_PROC);

	if (fd < 0 || pe_request(fd, PROC_CN_MCAST_LISTEN, mask)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Wait status of the last child pe_run() reaped. */
static int pe_status;

/* Fork a child that runs @fn, reap it, return its pid. */
static pid_t pe_run(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	pe_status = -1;
	if (pid > 0 && waitpid(pid, &pe_status, 0) != pid)
		pe_status = -1;
	return pid;
}

/*
 * Fork a child that runs @fn, not reaped: the caller waits for its exit
 * event first, so that the event is built while the parent is known.
 */
static pid_t pe_spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	return pid;
}

/* A child traced and let go; -1 if ptrace failed. */
static pid_t pe_traced_child(void)
{
	int status, err;
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (pid < 0)
		return -1;
	err = ptrace(PTRACE_ATTACH, pid, NULL, NULL) ||
	      waitpid(pid, &status, 0) != pid ||
	      ptrace(PTRACE_DETACH, pid, NULL, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return err ? -1 : pid;
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

/* The union of the listeners' masks, from debugfs, or 0 when unreadable. */
static unsigned int pe_interest(void)
{
	unsigned int mask = 0;
	char line[64];
	FILE *f = fopen(STATS_FILE, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		sscanf(line, "interest %x", &mask);
	fclose(f);
	return mask;
}

static int pe_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * The first two CPUs this task may use. The harness guarantees two: with
 * fewer, the tests that need them fail instead of passing vacuously.
 */
static void pe_two_cpus(struct __test_metadata *_metadata, int cpus[2])
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t allowed;
	int i, n = 0;

	ASSERT_LE(2, online)
		TH_LOG("%ld CPU online: this test needs 2 (the harness guarantees 2)",
		       online);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(allowed), &allowed));
	for (i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &allowed))
			cpus[n++] = i;
	ASSERT_EQ(2, n)
		TH_LOG("%d CPU in this task's affinity mask: this test needs 2", n);
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

/* Six distinct ids, no uid equal to a gid: any swap shows. */
#define TEST_RGID	2001
#define TEST_EGID	2002
#define TEST_SGID	2003
#define TEST_RUID	3001
#define TEST_EUID	3002
#define TEST_SUID	3003

static void child_ids(void)
{
	if (setresgid(TEST_RGID, TEST_EGID, TEST_SGID) ||
	    setresuid(TEST_RUID, TEST_EUID, TEST_SUID))
		_exit(1);
}

static void child_setsid(void)
{
	if (setsid() < 0)
		_exit(1);
}

static void child_comm(void)
{
	if (prctl(PR_SET_NAME, "cn-renamed"))
		_exit(1);
}

static void child_abort(void)
{
	struct rlimit none = { 0, 0 };

	setrlimit(RLIMIT_CORE, &none);
	signal(SIGABRT, SIG_DFL);
	raise(SIGABRT);
}

/*
 * Threads without libpthread: raw clone() on static stacks. The threads
 * only make system calls, so sharing the creator's TLS is harmless.
 */
#define STACK_SIZE	(64 * 1024)
#define THREAD_FLAGS	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			 CLONE_THREAD | CLONE_SYSVSEM)
#define T1_EXIT		6
#define T2_EXIT		7

enum { WHO_T1, WHO_Q, WHO_T2, WHO_NR };

struct tid_report {
	int who;
	pid_t tid;
};

static union {
	max_align_t align;
	char bytes[STACK_SIZE];
} stacks[3];
static int report_fd = -1;

static void report_tid(int who)
{
	struct tid_report r = { who, syscall(SYS_gettid) };

	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		syscall(SYS_exit_group, 2);
}

/* T2, the second thread of Q: reports itself and leaves alone. */
static int thread_t2(void *arg)
{
	report_tid(WHO_T2);
	syscall(SYS_exit, T2_EXIT);
	return 0;
}

/* Q: forked by T1; its leader starts T2 and leaves, T2 keeps Q alive. */
static int process_q(void *arg)
{
	report_tid(WHO_Q);
	if (clone(thread_t2, stacks[2].bytes + STACK_SIZE, THREAD_FLAGS, NULL) < 0)
		syscall(SYS_exit_group, 3);
	syscall(SYS_exit, 0);
	return 0;
}

/* T1, the second thread of P: forks Q, reaps it, leaves alone. */
static int thread_t1(void *arg)
{
	pid_t q;

	report_tid(WHO_T1);
	q = clone(process_q, stacks[1].bytes + STACK_SIZE, SIGCHLD, NULL);
	if (q < 0 || syscall(SYS_wait4, q, NULL, 0, NULL) != q)
		syscall(SYS_exit_group, 4);
	syscall(SYS_exit, T1_EXIT);
	return 0;
}

/* P: starts T1 and leaves; the process ends when T1 does. */
static void process_p(void)
{
	if (clone(thread_t1, stacks[0].bytes + STACK_SIZE, THREAD_FLAGS, NULL) < 0)
		_exit(5);
	syscall(SYS_exit, 0);
}

FIXTURE(pe)
{
	int fd;
	int witness;
};

/* Process events exist when cn_proc is a registered connector user. */
static bool pe_available(void)
{
	return cn_proc_lists("cn_proc", proc_id) == 1;
}

FIXTURE_SETUP(pe)
{
	self->fd = -1;
	self->witness = -1;
	if (!pe_available())
		SKIP(return, "no process events connector (CONFIG_PROC_EVENTS=n)");
	nr_events = 0;
	pe_enobufs = 0;
	pe_malformed = 0;
	self->fd = pe_socket(CN_IDX_PROC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pe)
{
	EXPECT_EQ(0, pe_malformed)
		TH_LOG("%d datagrams were not one %zu-byte process event message",
		       pe_malformed, (size_t)PE_MSG_LEN);
	EXPECT_EQ(0, pe_enobufs)
		TH_LOG("a receive queue overflowed (ENOBUFS): events were lost");
	if (self->witness >= 0)
		close(self->witness);
	if (self->fd >= 0)
		close(self->fd);
}

/* A listener that wants everything, for positive controls. */
#define OPEN_WITNESS() do {						\
	self->witness = pe_listener(PROC_EVENT_ALL);			\
	ASSERT_LE(0, self->witness);					\
} while (0)

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

/*
 * Socket B's acknowledgments must not reach socket A, a listener in the
 * same group, while A does receive the events of the same window.
 */
TEST_F(pe, ack_goes_to_requester_only)
{
	static const struct {
		unsigned int seq, ack, op, err;
	} req[] = {
		{ 0x5eed0001, 0x0acc0100, PROC_CN_MCAST_LISTEN, 0 },
		{ 0x5eed0002, 0x0acc0200, 7, EINVAL },
		{ 0x5eed0003, 0x0acc0300, PROC_CN_MCAST_IGNORE, 0 },
	};
	struct proc_input in;
	int b, i, j, acks = 0;
	pid_t pid = -1;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	b = pe_socket(CN_IDX_PROC);
	ASSERT_LE(0, b);
	for (i = 0; i < 3; i++) {
		in.mcast_op = req[i].op;
		in.event_type = PROC_EVENT_FORK;
		ASSERT_EQ(0, pe_control(b, req[i].seq, req[i].ack, &in, sizeof(in)));
		if (i == 0)
			pid = pe_run(child_exit_0);
		EXPECT_EQ(req[i].err, pe_wait_ack(b, req[i].seq, req[i].ack))
			TH_LOG("request %d of socket B", i);
	}
	close(b);
	ASSERT_LT(0, pid);

	nr_events = 0;
	ASSERT_NE(NULL, pe_await(self->fd, PROC_EVENT_FORK, pid));
	ASSERT_NE(NULL, pe_await(self->fd, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	for (i = 0; i < nr_events; i++) {
		const struct cn_msg *m = &events[i].msg;

		if (events[i].ev.what == PROC_EVENT_NONE) {
			acks++;
			TH_LOG("A got an ack: seq 0x%x ack 0x%x", m->seq, m->ack);
		}
		for (j = 0; j < 3; j++)
			EXPECT_FALSE(m->seq == req[j].seq && m->ack == req[j].ack + 1)
				TH_LOG("A got the answer to B's request %d", j);
	}
	EXPECT_EQ(0, acks);
}

/*
 * The answer goes where 6.12 put it, the group, and of the group only to
 * the sender: a socket outside CN_IDX_PROC gets no answer to its LISTEN
 * (its LISTEN still counts), and, in the same window, the same socket
 * gets the answer to its next request once it joined.
 */
TEST_F(pe, ack_only_to_group_members)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC };
	int fd, group = CN_IDX_PROC, base = pe_listeners();

	ASSERT_LE(0, base);
	fd = pe_socket(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pe_control(fd, 0x6e6f0001, 5, &in, sizeof(in)));
	/* The request was handled when sendmsg() returned. */
	EXPECT_EQ(base + 1, pe_listeners());
	ASSERT_EQ(0, setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&group, sizeof(group)));
	in.event_type = PROC_EVENT_FORK;
	ASSERT_EQ(0, pe_control(fd, 0x6e6f0002, 6, &in, sizeof(in)));
	/* The first answer would come first: pe_wait_ack() fails on it. */
	EXPECT_EQ(0, pe_wait_ack(fd, 0x6e6f0002, 6))
		TH_LOG("the member's answer did not come first, or not at all");
	EXPECT_EQ(base + 1, pe_listeners());
	close(fd);
	EXPECT_EQ(base, pe_listeners());
}

/*
 * After IGNORE the kernel keeps counting the socket's mask for a moment
 * (a LISTEN of the same mask meanwhile recounts nothing), then stops:
 * the events of a socket that stopped listening are not built for long.
 */
TEST_F(pe, ignored_mask_lapses)
{
	unsigned int mine = ~pe_interest() & PROC_EVENT_ALL, now = 0;
	long long deadline;

	if (!mine)
		SKIP(return, "other listeners want every event");
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, mine));
	/* Positive control: the mask is counted while the socket listens. */
	ASSERT_EQ(mine, pe_interest() & mine);
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_IGNORE, 0));
	deadline = pe_now_ms() + 3000;
	while (pe_now_ms() < deadline) {
		now = pe_interest() & mine;
		if (!now)
			break;
		usleep(20000);
	}
	EXPECT_EQ(0, now) TH_LOG("still counted 3 s after IGNORE: %#x", now);
}

TEST_F(pe, fork_exec_exit)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_spawn(child_exec_true);
	ASSERT_LT(0, pid);

	ev = pe_await(self->fd, PROC_EVENT_FORK, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(getpid(), ev->event_data.fork.parent_pid);
	EXPECT_EQ(getpid(), ev->event_data.fork.parent_tgid);
	EXPECT_EQ(pid, ev->event_data.fork.child_tgid);
	EXPECT_NE(0, ev->timestamp_ns);

	ev = pe_await(self->fd, PROC_EVENT_EXEC, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.exec.process_tgid);

	/* Not reaped yet: the event knows the parent. */
	ev = pe_await(self->fd, PROC_EVENT_EXIT, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.exit.process_tgid);
	EXPECT_EQ(0, ev->event_data.exit.exit_code);
	EXPECT_EQ(SIGCHLD, ev->event_data.exit.exit_signal);
	EXPECT_EQ(getpid(), ev->event_data.exit.parent_pid);
	EXPECT_EQ(getpid(), ev->event_data.exit.parent_tgid);
	EXPECT_EQ(pid, waitpid(pid, NULL, 0));
}

/*
 * *_pid is a thread id, *_tgid a process id. Process P's second thread T1
 * forks process Q, whose leader starts thread T2: T2's fork event has
 * four different numbers, so every swap shows. The parent of a thread is
 * its process's parent (task->real_parent, as stock 6.12 reports it):
 * for T2 that is T1, a thread that is not its process's leader.
 */
TEST_F(pe, threads_pid_and_tgid)
{
	struct tid_report r;
	pid_t tid[WHO_NR] = { 0 };
	struct proc_event *ev;
	struct pollfd pfd;
	int fds[2], i, status;
	pid_t p, t1, q, t2;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	ASSERT_EQ(0, pipe(fds));
	report_fd = fds[1];
	p = pe_spawn(process_p);
	ASSERT_LT(0, p);
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (i = 0; i < WHO_NR; i++) {
		ASSERT_EQ(1, poll(&pfd, 1, EVENT_WAIT_MS))
			TH_LOG("only %d of %d threads reported their ids", i, WHO_NR);
		ASSERT_EQ(sizeof(r), read(fds[0], &r, sizeof(r)));
		ASSERT_TRUE(r.who >= 0 && r.who < WHO_NR);
		tid[r.who] = r.tid;
	}
	close(fds[0]);
	ASSERT_EQ(p, waitpid(p, &status, 0));
	/* P's status is that of its last thread: T1, or its leader if slow. */
	EXPECT_TRUE(WIFEXITED(status) &&
		    (WEXITSTATUS(status) == T1_EXIT || WEXITSTATUS(status) == 0))
		TH_LOG("P ended with status 0x%x", status);
	t1 = tid[WHO_T1];
	q = tid[WHO_Q];
	t2 = tid[WHO_T2];
	ASSERT_TRUE(t1 != p && q != p && q != t1 && t2 != q && t2 != t1)
		TH_LOG("p %d t1 %d q %d t2 %d", p, t1, q, t2);

	ev = pe_await(self->fd, PROC_EVENT_FORK, t2);
	ASSERT_NE(NULL, ev) TH_LOG("no fork event with child_pid %d (T2)", t2);
	EXPECT_EQ(t2, ev->event_data.fork.child_pid);
	EXPECT_EQ(q, ev->event_data.fork.child_tgid);
	EXPECT_EQ(t1, ev->event_data.fork.parent_pid);
	EXPECT_EQ(p, ev->event_data.fork.parent_tgid);

	/* A process forked by a thread that is not its leader. */
	ev = pe_await(self->fd, PROC_EVENT_FORK, q);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(q, ev->event_data.fork.child_tgid);
	EXPECT_EQ(t1, ev->event_data.fork.parent_pid);
	EXPECT_EQ(p, ev->event_data.fork.parent_tgid);

	ev = pe_await(self->fd, PROC_EVENT_FORK, t1);
	ASSERT_NE(NULL, ev) TH_LOG("no fork event with child_pid %d (T1)", t1);
	EXPECT_EQ(p, ev->event_data.fork.child_tgid);
	EXPECT_EQ(getpid(), ev->event_data.fork.parent_pid);
	EXPECT_EQ(getpid(), ev->event_data.fork.parent_tgid);

	ev = pe_await(self->fd, PROC_EVENT_EXIT, t2);
	ASSERT_NE(NULL, ev) TH_LOG("no exit event with process_pid %d (T2)", t2);
	EXPECT_EQ(t2, ev->event_data.exit.process_pid);
	EXPECT_EQ(q, ev->event_data.exit.process_tgid);
	EXPECT_EQ(T2_EXIT << 8, ev->event_data.exit.exit_code);
	EXPECT_EQ((__u32)-1, ev->event_data.exit.exit_signal);

	ev = pe_await(self->fd, PROC_EVENT_EXIT, t1);
	ASSERT_NE(NULL, ev) TH_LOG("no exit event with process_pid %d (T1)", t1);
	EXPECT_EQ(p, ev->event_data.exit.process_tgid);
	EXPECT_EQ(T1_EXIT << 8, ev->event_data.exit.exit_code);
	EXPECT_EQ((__u32)-1, ev->event_data.exit.exit_signal);

	/* A leader that left first is still a process: SIGCHLD. */
	ev = pe_await(self->fd, PROC_EVENT_EXIT, q);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(q, ev->event_data.exit.process_tgid);
	EXPECT_EQ(SIGCHLD, ev->event_data.exit.exit_signal);
}

TEST_F(pe, exit_code_and_coredump)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_exit_3);
	ASSERT_LT(0, pid);
	ev = pe_await(self->fd, PROC_EVENT_EXIT, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(3 << 8, ev->event_data.exit.exit_code);

	pid = pe_run(child_abort);
	ASSERT_LT(0, pid);
	ev = pe_await(self->fd, PROC_EVENT_COREDUMP, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.coredump.process_tgid);
	EXPECT_EQ(getpid(), ev->event_data.coredump.parent_pid);
	EXPECT_EQ(getpid(), ev->event_data.coredump.parent_tgid);
	ev = pe_await(self->fd, PROC_EVENT_EXIT, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(SIGABRT, ev->event_data.exit.exit_code & 0x7f);
}

TEST_F(pe, ids_not_swapped)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, geteuid()) TH_LOG("needs root to set arbitrary ids");
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_ids);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, pe_status) TH_LOG("setresgid/setresuid failed in the child");

	ev = pe_await(self->fd, PROC_EVENT_GID, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.id.process_tgid);
	EXPECT_EQ(TEST_RGID, ev->event_data.id.r.rgid);
	EXPECT_EQ(TEST_EGID, ev->event_data.id.e.egid);

	ev = pe_await(self->fd, PROC_EVENT_UID, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.id.process_tgid);
	EXPECT_EQ(TEST_RUID, ev->event_data.id.r.ruid);
	EXPECT_EQ(TEST_EUID, ev->event_data.id.e.euid);
}

TEST_F(pe, sid_and_comm)
{
	struct proc_event *ev;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_setsid);
	ASSERT_LT(0, pid);
	ev = pe_await(self->fd, PROC_EVENT_SID, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.sid.process_tgid);

	pid = pe_run(child_comm);
	ASSERT_LT(0, pid);
	ev = pe_await(self->fd, PROC_EVENT_COMM, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.comm.process_tgid);
	EXPECT_STREQ("cn-renamed", ev->event_data.comm.comm);
}

TEST_F(pe, ptrace_attach_detach)
{
	struct proc_event *ev;
	pid_t pid;

	OPEN_WITNESS();
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_PTRACE));
	pid = pe_traced_child();
	ASSERT_LT(0, pid);

	ev = pe_await(self->fd, PROC_EVENT_PTRACE, pid);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.ptrace.process_tgid);
	EXPECT_EQ(getpid(), ev->event_data.ptrace.tracer_pid);
	EXPECT_EQ(getpid(), ev->event_data.ptrace.tracer_tgid);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	ev = pe_find(PROC_EVENT_PTRACE, pid, 1);
	ASSERT_NE(NULL, ev);
	EXPECT_EQ(pid, ev->event_data.ptrace.process_tgid);
	EXPECT_EQ(0, ev->event_data.ptrace.tracer_pid);
	EXPECT_EQ(0, ev->event_data.ptrace.tracer_tgid);
	/* Filtered to ptrace: the exit the witness got was not delivered. */
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
}

TEST_F(pe, filters_alone_and_combined)
{
	pid_t pid;

	OPEN_WITNESS();
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC));
	pid = pe_run(child_exec_true);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(1, pe_count(PROC_EVENT_EXEC, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));

	/* A new LISTEN replaces the filter. */
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN,
				PROC_EVENT_FORK | PROC_EVENT_EXIT));
	pid = pe_run(child_exec_true);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(1, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXEC, pid));
	EXPECT_EQ(1, pe_count(PROC_EVENT_EXIT, pid));
}

TEST_F(pe, nonzero_exit_only)
{
	pid_t pids[2];
	struct proc_event *ev;

	OPEN_WITNESS();
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN,
				PROC_EVENT_NONZERO_EXIT));
	pids[0] = pe_run(child_exit_0);
	pids[1] = pe_run(child_exit_3);
	ASSERT_TRUE(pe_witness(self->witness, PROC_EVENT_EXIT, pids, 2));
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pids[0]));
	EXPECT_EQ(1, pe_count(PROC_EVENT_EXIT, pids[1]));
	ev = pe_find(PROC_EVENT_EXIT, pids[1], 0);
	if (ev)
		EXPECT_EQ(3 << 8, ev->event_data.exit.exit_code);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pids[1]));
}

/* Each listener gets exactly what it asked for, whatever the others do. */
TEST_F(pe, listeners_do_not_affect_each_other)
{
	/* 0: listened, then ignored. */
	static const unsigned int masks[] = {
		PROC_EVENT_ALL, PROC_EVENT_FORK, PROC_EVENT_EXEC,
		PROC_EVENT_NONZERO_EXIT, PROC_EVENT_EXIT, 0,
	};
	const int n = ARRAY_SIZE(masks);
	int fds[ARRAY_SIZE(masks)], i;
	pid_t pids[2];

	OPEN_WITNESS();
	for (i = 0; i < n; i++) {
		fds[i] = pe_listener(masks[i] ? masks[i] : PROC_EVENT_ALL);
		ASSERT_LE(0, fds[i]);
		if (!masks[i])
			ASSERT_EQ(0, pe_request(fds[i], PROC_CN_MCAST_IGNORE, 0));
	}
	pids[0] = pe_run(child_exec_true);
	pids[1] = pe_run(child_exit_3);
	ASSERT_TRUE(pe_witness(self->witness, PROC_EVENT_EXIT, pids, 2));
	for (i = 0; i < n; i++) {
		unsigned int m = masks[i];
		int fork = !!(m & PROC_EVENT_FORK);

		nr_events = 0;
		pe_drain(fds[i]);
		EXPECT_EQ(fork, pe_count(PROC_EVENT_FORK, pids[0]))
			TH_LOG("listener %d (mask 0x%x), fork", i, m);
		EXPECT_EQ(fork, pe_count(PROC_EVENT_FORK, pids[1]))
			TH_LOG("listener %d (mask 0x%x), fork", i, m);
		EXPECT_EQ(!!(m & PROC_EVENT_EXEC), pe_count(PROC_EVENT_EXEC, pids[0]))
			TH_LOG("listener %d (mask 0x%x), exec", i, m);
		EXPECT_EQ(!!(m & PROC_EVENT_EXIT), pe_count(PROC_EVENT_EXIT, pids[0]))
			TH_LOG("listener %d (mask 0x%x), exit 0", i, m);
		EXPECT_EQ(!!(m & (PROC_EVENT_EXIT | PROC_EVENT_NONZERO_EXIT)),
			  pe_count(PROC_EVENT_EXIT, pids[1]))
			TH_LOG("listener %d (mask 0x%x), exit 3", i, m);
		close(fds[i]);
	}
}

TEST_F(pe, ignore_stops_events)
{
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	pid = pe_run(child_exit_0);
	/* Positive control: before IGNORE this socket got the child. */
	ASSERT_NE(NULL, pe_await(self->fd, PROC_EVENT_FORK, pid));
	ASSERT_NE(NULL, pe_await(self->fd, PROC_EVENT_EXIT, pid));
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_IGNORE, 0));

	OPEN_WITNESS();
	nr_events = 0;
	pid = pe_run(child_exit_0);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
}

TEST_F(pe, group_member_that_never_listened_gets_nothing)
{
	pid_t pid;

	OPEN_WITNESS();
	pid = pe_run(child_exec_true);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(0, nr_events) TH_LOG("first: what 0x%x about %d",
				       events[0].ev.what, pe_pid_of(&events[0].ev));
}

TEST_F(pe, listener_accounting)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC };
	int base, fd;

	base = pe_listeners();
	ASSERT_LE(0, base) TH_LOG("%s not readable: debugfs is part of the test kernel",
				  STATS_FILE);

	/* Close without IGNORE: the listener is gone with the socket. */
	fd = pe_listener(PROC_EVENT_ALL);
	ASSERT_LE(0, fd);
	EXPECT_EQ(base + 1, pe_listeners());
	close(fd);
	EXPECT_EQ(base, pe_listeners());

	/* IGNORE from a socket that never listened changes nothing. */
	fd = pe_socket(CN_IDX_PROC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pe_request(fd, PROC_CN_MCAST_IGNORE, 0));
	EXPECT_EQ(base, pe_listeners());
	close(fd);
	/*
	 * LISTEN without joining the group (no answer comes; the request was
	 * handled when sendmsg() returned): counted, then freed on close.
	 */
	fd = pe_socket(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pe_control(fd, 4444, 0, &in, sizeof(in)));
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
	static const size_t sizes[] = { 0, 1, 3, 5, 12, 16 };
	static const unsigned int ops[] = { 0, 4, 7, 0xffffffff };
	int base = pe_listeners(), i;
	pid_t pid;

	ASSERT_LE(0, base) TH_LOG("%s not readable: debugfs is part of the test kernel",
				  STATS_FILE);
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		EXPECT_EQ(EINVAL, pe_send_request(self->fd, data, sizes[i]))
			TH_LOG("LISTEN with %zu bytes of data", sizes[i]);
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		data[0] = ops[i];
		EXPECT_EQ(EINVAL, pe_send_request(self->fd, data, 8))
			TH_LOG("operation %u, 8 bytes", ops[i]);
		EXPECT_EQ(EINVAL, pe_send_request(self->fd, data, 4))
			TH_LOG("operation %u, 4 bytes", ops[i]);
	}
	/* None of it made this socket a listener. */
	EXPECT_EQ(base, pe_listeners());
	OPEN_WITNESS();
	pid = pe_run(child_exit_0);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
}

/*
 * As stock 6.12: bits this kernel does not know are ignored, and a mask
 * with no known bit (0, 0xffffffff's unknown part alone, or the bare
 * 4-byte form) means every event.
 */
TEST_F(pe, mask_without_known_bits_means_all)
{
	static const unsigned int masks[] = { 0xffffffff, 0, 0x00000400 };
	unsigned int op = PROC_CN_MCAST_LISTEN;
	struct proc_input in;
	int i, fd;
	pid_t pid;

	for (i = 0; i < 4; i++) {
		fd = pe_socket(CN_IDX_PROC);
		ASSERT_LE(0, fd);
		if (i < 3) {
			in.mcast_op = PROC_CN_MCAST_LISTEN;
			in.event_type = masks[i];
			EXPECT_EQ(0, pe_send_request(fd, &in, sizeof(in)))
				TH_LOG("LISTEN 0x%08x", masks[i]);
		} else {
			EXPECT_EQ(0, pe_send_request(fd, &op, sizeof(op)))
				TH_LOG("LISTEN, 4-byte form");
		}
		nr_events = 0;
		pid = pe_run(child_exec_true);
		ASSERT_LT(0, pid);
		EXPECT_NE(NULL, pe_await(fd, PROC_EVENT_FORK, pid))
			TH_LOG("request %d: no fork", i);
		EXPECT_NE(NULL, pe_await(fd, PROC_EVENT_EXEC, pid))
			TH_LOG("request %d: no exec", i);
		EXPECT_NE(NULL, pe_await(fd, PROC_EVENT_EXIT, pid))
			TH_LOG("request %d: no exit", i);
		close(fd);
	}
}

TEST_F(pe, unknown_event_bit_is_ignored)
{
	pid_t pid;

	OPEN_WITNESS();
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN,
				PROC_EVENT_FORK | 0x00000400));
	pid = pe_run(child_exec_true);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	EXPECT_NE(NULL, pe_await(self->fd, PROC_EVENT_FORK, pid));
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXEC, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
}

/* A refused request leaves a listener, and a non-listener, as they were. */
TEST_F(pe, unknown_op_keeps_state)
{
	static const unsigned int ops[] = { 7, 0 };
	struct proc_input in;
	int base, i;
	pid_t pid;

	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_FORK));
	pid = pe_run(child_exit_0);
	ASSERT_NE(NULL, pe_await(self->fd, PROC_EVENT_FORK, pid));
	pe_drain(self->fd);
	base = pe_listeners();
	ASSERT_LE(0, base) TH_LOG("%s not readable: debugfs is part of the test kernel",
				  STATS_FILE);

	/* Would a refused op act as LISTEN, exec and exit would come. */
	for (i = 0; i < 2; i++) {
		in.mcast_op = ops[i];
		in.event_type = PROC_EVENT_ALL;
		EXPECT_EQ(EINVAL, pe_send_request(self->fd, &in, sizeof(in)))
			TH_LOG("operation %u", ops[i]);
		EXPECT_EQ(EINVAL, pe_send_request(self->fd, &in.mcast_op, 4))
			TH_LOG("operation %u, 4-byte form", ops[i]);
	}
	EXPECT_EQ(base, pe_listeners());
	OPEN_WITNESS();
	nr_events = 0;
	pid = pe_run(child_exec_true);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(1, pe_count(PROC_EVENT_FORK, pid)) TH_LOG("no longer listening");
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXEC, pid)) TH_LOG("mask changed");
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid)) TH_LOG("mask changed");

	/* Not listening: a refused request does not start it. */
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_IGNORE, 0));
	base = pe_listeners();
	in.mcast_op = 7;
	EXPECT_EQ(EINVAL, pe_send_request(self->fd, &in, sizeof(in)));
	EXPECT_EQ(base, pe_listeners());
	nr_events = 0;
	pid = pe_run(child_exit_0);
	ASSERT_TRUE(pe_witness1(self->witness, PROC_EVENT_EXIT, pid));
	pe_drain(self->fd);
	EXPECT_EQ(0, pe_count(PROC_EVENT_FORK, pid));
	EXPECT_EQ(0, pe_count(PROC_EVENT_EXIT, pid));
}

/*
 * End of member @m of the union in struct proc_event: its members are all
 * made of 4-byte fields, so this is the end of the last field.
 */
#define PE_END(m) (offsetof(struct proc_event, event_data) + \
		   sizeof(((struct proc_event *)0)->event_data.m))

enum {
	K_ACK, K_FORK, K_EXEC, K_UID, K_GID, K_SID, K_PTRACE_ATTACH,
	K_PTRACE_DETACH, K_COMM, K_COREDUMP, K_EXIT, K_NR
};

/* Bytes of struct proc_event each message uses; all after them are 0. */
static const struct {
	const char *name;
	unsigned int what;
	size_t used;
} pe_kinds[K_NR] = {
	[K_ACK]		  = { "ack", PROC_EVENT_NONE, PE_END(ack) },
	[K_FORK]	  = { "fork", PROC_EVENT_FORK, PE_END(fork) },
	[K_EXEC]	  = { "exec", PROC_EVENT_EXEC, PE_END(exec) },
	[K_UID]		  = { "uid", PROC_EVENT_UID, PE_END(id) },
	[K_GID]		  = { "gid", PROC_EVENT_GID, PE_END(id) },
	[K_SID]		  = { "sid", PROC_EVENT_SID, PE_END(sid) },
	[K_PTRACE_ATTACH] = { "ptrace attach", PROC_EVENT_PTRACE, PE_END(ptrace) },
	[K_PTRACE_DETACH] = { "ptrace detach", PROC_EVENT_PTRACE, PE_END(ptrace) },
	[K_COMM]	  = { "comm", PROC_EVENT_COMM, PE_END(comm) },
	[K_COREDUMP]	  = { "coredump", PROC_EVENT_COREDUMP, PE_END(coredump) },
	[K_EXIT]	  = { "exit", PROC_EVENT_EXIT, PE_END(exit) },
};

static int pe_kind(const struct proc_event *ev)
{
	int k;

	if (ev->what == PROC_EVENT_PTRACE)
		return ev->event_data.ptrace.tracer_pid ? K_PTRACE_ATTACH :
							  K_PTRACE_DETACH;
	for (k = 0; k < K_NR; k++)
		if (pe_kinds[k].what == ev->what)
			return k;
	return -1;
}

/*
 * Receive one datagram (prefilled buffer) and check all of it: the
 * headers, and 0 in every byte after those its type uses up to the end
 * of the datagram. Returns its kind, -1 after @timeout_ms of silence, -2
 * for an unknown type.
 */
static int pe_recv_checked(struct __test_metadata *_metadata, int fd,
			   int timeout_ms, struct cn_msg *hdr,
			   struct proc_event *ev)
{
	const struct nlmsghdr *nlh = &rx.nlh;
	const struct cn_msg *msg = NLMSG_DATA(nlh);
	size_t len, end, i;
	ssize_t got;
	int kind;

	got = pe_recv_raw(fd, timeout_ms);
	if (got <= 0)
		return -1;
	len = got;
	EXPECT_EQ(NLMSG_ALIGN(PE_MSG_LEN), len);
	if (len > sizeof(rx.bytes))
		len = sizeof(rx.bytes);
	EXPECT_EQ(PE_MSG_LEN, nlh->nlmsg_len);
	EXPECT_EQ(0, nlh->nlmsg_flags);
	EXPECT_EQ(0, nlh->nlmsg_pid);
	EXPECT_EQ(CN_IDX_PROC, msg->id.idx);
	EXPECT_EQ(CN_VAL_PROC, msg->id.val);
	EXPECT_EQ(sizeof(*ev), msg->len);
	EXPECT_EQ(0, msg->flags);
	memcpy(hdr, msg, sizeof(*hdr));
	memcpy(ev, msg->data, sizeof(*ev));
	kind = pe_kind(ev);
	if (kind < 0) {
		TH_LOG("unknown event type 0x%x", ev->what);
		EXPECT_LE(0, kind);
		return -2;
	}
	end = PE_EV_OFF + pe_kinds[kind].used;
	for (i = end; i < len && !rx.bytes[i]; i++)
		;
	EXPECT_EQ(len, i)
		TH_LOG("%s: byte %zu of %zu is 0x%02x, not 0 (bytes from %zu on are unused)",
		       pe_kinds[kind].name, i, len, rx.bytes[i], end);
	if (kind == K_COMM) {
		const char *comm = ev->event_data.comm.comm;

		for (i = strnlen(comm, sizeof(ev->event_data.comm.comm));
		     i < sizeof(ev->event_data.comm.comm) && !comm[i]; i++)
			;
		EXPECT_EQ(sizeof(ev->event_data.comm.comm), i)
			TH_LOG("comm: byte %zu after the name is not 0", i);
	}
	return kind;
}

TEST_F(pe, no_uninitialised_bytes)
{
	struct proc_input listen = { PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL };
	struct proc_input bad = { 7, PROC_EVENT_ALL };
	enum { SEQ_LISTEN = 9001, SEQ_BAD, SEQ_AGAIN };
	int seen[K_NR] = { 0 }, kind, k, acks = 0, missing;
	pid_t mine[6];
	long long deadline;
	struct proc_event ev;
	struct cn_msg hdr;

	ASSERT_EQ(0, pe_control(self->fd, SEQ_LISTEN, 1, &listen, sizeof(listen)));
	deadline = pe_now_ms() + ACK_WAIT_MS;
	do {
		kind = pe_recv_checked(_metadata, self->fd,
				       deadline - pe_now_ms(), &hdr, &ev);
	} while (kind != -1 && !(kind == K_ACK && hdr.seq == SEQ_LISTEN) &&
		 pe_now_ms() <= deadline);
	ASSERT_TRUE(kind == K_ACK && hdr.seq == SEQ_LISTEN)
		TH_LOG("LISTEN not acknowledged");
	ASSERT_EQ(0, ev.event_data.ack.err);
	seen[K_ACK]++;

	mine[0] = pe_run(child_exec_true);	/* fork, exec, exit */
	mine[1] = pe_run(child_ids);		/* uid, gid */
	mine[2] = pe_run(child_setsid);		/* sid */
	mine[3] = pe_run(child_comm);		/* comm */
	mine[4] = pe_run(child_abort);		/* coredump */
	mine[5] = pe_traced_child();		/* ptrace attach, detach */
	for (k = 0; k < 6; k++)
		ASSERT_LT(0, mine[k]);
	/* An acknowledgment with an error, and one without. */
	ASSERT_EQ(0, pe_control(self->fd, SEQ_BAD, 2, &bad, sizeof(bad)));
	ASSERT_EQ(0, pe_control(self->fd, SEQ_AGAIN, 3, &listen, sizeof(listen)));

	/* Until everything came, then QUIET_MS more: all of it is checked. */
	deadline = pe_now_ms() + 2 * EVENT_WAIT_MS;
	for (;;) {
		bool all = acks == 2;

		for (k = 0; k < K_NR; k++)
			all = all && seen[k];
		if (pe_now_ms() > deadline + DRAIN_MAX_MS)
			break;
		kind = pe_recv_checked(_metadata, self->fd,
				       all ? QUIET_MS : deadline - pe_now_ms(),
				       &hdr, &ev);
		if (kind == -1)
			break;
		if (kind < 0)
			continue;
		if (kind == K_ACK) {
			if (hdr.seq != SEQ_BAD && hdr.seq != SEQ_AGAIN)
				continue;
			EXPECT_EQ(hdr.seq == SEQ_BAD ? EINVAL : 0,
				  ev.event_data.ack.err)
				TH_LOG("ack of request %u", hdr.seq);
			seen[K_ACK]++;
			acks++;
			continue;
		}
		for (k = 0; k < 6; k++)
			if (pe_pid_of(&ev) == mine[k])
				seen[kind]++;
	}
	missing = 0;
	for (k = 0; k < K_NR; k++) {
		if (!seen[k]) {
			TH_LOG("never saw a message of type %s", pe_kinds[k].name);
			missing++;
		}
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(2, acks);
}

/*
 * msg->seq counts per CPU. Every event wanted and read: for each CPU the
 * numbers follow each other. Forks alternate between two CPUs so that
 * both count.
 */
TEST_F_TIMEOUT(pe, seq_counts_per_cpu, 120)
{
	unsigned int next[CPU_SETSIZE];
	int count[CPU_SETSIZE] = { 0 };
	int cpus[2], i, gaps = 0, wrong_cpu = 0;
	pid_t pids[200];
	cpu_set_t allowed;

	pe_two_cpus(_metadata, cpus);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(allowed), &allowed));
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL));
	nr_events = 0;
	for (i = 0; i < 200; i++) {
		/* The child inherits the CPU; its fork is reported there. */
		ASSERT_EQ(0, pe_pin(cpus[i % 2]));
		pids[i] = pe_run(child_exit_0);
		ASSERT_LT(0, pids[i]);
	}
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(allowed), &allowed));
	ASSERT_NE(NULL, pe_await(self->fd, PROC_EVENT_EXIT, pids[199]));
	pe_drain(self->fd);
	ASSERT_LE(400, nr_events);	/* a fork and an exit each */

	for (i = 0; i < nr_events; i++) {
		unsigned int cpu = events[i].ev.cpu, seq = events[i].msg.seq;

		if (events[i].ev.what == PROC_EVENT_NONE)
			continue;
		ASSERT_GT(CPU_SETSIZE, cpu);
		if (count[cpu]++ && seq != next[cpu]) {
			if (!gaps)
				TH_LOG("cpu %u: seq %u after %u", cpu, seq, next[cpu] - 1);
			gaps++;
		}
		next[cpu] = seq + 1;
	}
	for (i = 0; i < 200; i++) {
		struct proc_event *ev = pe_find(PROC_EVENT_FORK, pids[i], 0);

		ASSERT_NE(NULL, ev);
		wrong_cpu += ev->cpu != cpus[i % 2];
	}
	TH_LOG("events: %d from cpu %d, %d from cpu %d", count[cpus[0]], cpus[0],
	       count[cpus[1]], cpus[1]);
	EXPECT_EQ(0, wrong_cpu) TH_LOG("fork events not from the parent's CPU");
	EXPECT_LT(0, count[cpus[0]]);
	EXPECT_LT(0, count[cpus[1]]);
	/* Everything is wanted, so every event numbered was delivered. */
	EXPECT_EQ(0, gaps);
}

#define RACE_CHILDREN	1000
#define RACE_MASK_A	(PROC_EVENT_FORK | PROC_EVENT_EXIT)
#define RACE_MASK_B	(PROC_EVENT_FORK | PROC_EVENT_EXEC)

struct race {
	int go, start, end;
	pid_t pids[RACE_CHILDREN];
};

/* Pinned to @cpu: fork and reap RACE_CHILDREN children, between markers. */
static void race_forker(struct race *r, int cpu)
{
	long long deadline = pe_now_ms() + 30000;
	pid_t pid;
	int i;

	if (pe_pin(cpu))
		_exit(2);
	while (!__atomic_load_n(&r->go, __ATOMIC_ACQUIRE)) {
		if (pe_now_ms() > deadline)
			_exit(3);
		usleep(1000);
	}
	__atomic_store_n(&r->start, 1, __ATOMIC_RELEASE);
	for (i = 0; i < RACE_CHILDREN; i++) {
		pid = fork();
		if (pid < 0)
			_exit(4);
		if (pid == 0)
			_exit(0);
		r->pids[i] = pid;
		if (waitpid(pid, NULL, 0) != pid)
			_exit(5);
	}
	__atomic_store_n(&r->end, 1, __ATOMIC_RELEASE);
	_exit(0);
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* Keep the child pid of a fork event of @parent in @got. */
static void race_note(const struct cn_msg *msg, pid_t parent, pid_t *got,
		      int *nr_got)
{
	struct proc_event ev;

	memcpy(&ev, msg->data, sizeof(ev));
	if (ev.what == PROC_EVENT_FORK &&
	    ev.event_data.fork.parent_tgid == parent &&
	    *nr_got < 2 * RACE_CHILDREN)
		got[(*nr_got)++] = ev.event_data.fork.child_pid;
}

/*
 * While a process on one CPU forks, the listener re-sends LISTEN on the
 * other, switching between two masks that both want FORK: not one fork
 * may be lost in a switch.
 */
TEST_F_TIMEOUT(pe, filter_change_loses_no_events, 300)
{
	static pid_t got[2 * RACE_CHILDREN];
	int cpus[2], size = BIG_RCVBUF, nr_got = 0, requests = 0;
	int in_window = 0, bad_acks = 0, missing = 0, dups = 0, status, i;
	long long deadline;
	struct proc_input in;
	struct cn_msg *msg;
	unsigned int seq = 0x10000;
	struct race *r;
	pid_t forker;
	socklen_t len = sizeof(size);

	pe_two_cpus(_metadata, cpus);
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root for SO_RCVBUFFORCE");
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
				sizeof(size)));
	ASSERT_EQ(0, getsockopt(self->fd, SOL_SOCKET, SO_RCVBUF, &size, &len));
	ASSERT_LE(BIG_RCVBUF, size);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	ASSERT_EQ(0, pe_request(self->fd, PROC_CN_MCAST_LISTEN, RACE_MASK_A));
	ASSERT_EQ(0, pe_pin(cpus[0]));
	forker = fork();
	ASSERT_LE(0, forker);
	if (forker == 0)
		race_forker(r, cpus[1]);

	__atomic_store_n(&r->go, 1, __ATOMIC_RELEASE);
	deadline = pe_now_ms() + 240000;
	while (!__atomic_load_n(&r->end, __ATOMIC_ACQUIRE) &&
	       pe_now_ms() < deadline) {
		bool started = __atomic_load_n(&r->start, __ATOMIC_ACQUIRE);
		struct proc_event ev;
		int err = -1;

		seq++;
		in.mcast_op = PROC_CN_MCAST_LISTEN;
		in.event_type = seq & 1 ? RACE_MASK_B : RACE_MASK_A;
		ASSERT_EQ(0, pe_control(self->fd, seq, seq, &in, sizeof(in)));
		for (;;) {
			msg = pe_next(self->fd, ACK_WAIT_MS);
			if (!msg)
				break;
			memcpy(&ev, msg->data, sizeof(ev));
			if (ev.what != PROC_EVENT_NONE) {
				race_note(msg, forker, got, &nr_got);
				continue;
			}
			if (msg->seq == seq && msg->ack == seq + 1)
				err = ev.event_data.ack.err;
			break;
		}
		bad_acks += err != 0;
		if (err)
			break;
		requests++;
		if (started && !__atomic_load_n(&r->end, __ATOMIC_ACQUIRE))
			in_window++;
	}
	if (!__atomic_load_n(&r->end, __ATOMIC_ACQUIRE))
		kill(forker, SIGKILL);
	ASSERT_EQ(forker, waitpid(forker, &status, 0));
	ASSERT_EQ(0, status) TH_LOG("the forker failed (status 0x%x)", status);
	ASSERT_EQ(0, bad_acks) TH_LOG("LISTEN %u not acknowledged with 0", seq);

	/* The last forks may still be on their way. */
	deadline = pe_now_ms() + EVENT_WAIT_MS;
	while (nr_got < RACE_CHILDREN && pe_now_ms() < deadline) {
		msg = pe_next(self->fd, deadline - pe_now_ms());
		if (!msg)
			break;
		race_note(msg, forker, got, &nr_got);
	}
	for (;;) {
		msg = pe_next(self->fd, QUIET_MS);
		if (!msg)
			break;
		race_note(msg, forker, got, &nr_got);
	}

	TH_LOG("%d of %d LISTEN requests were acknowledged while the forks ran",
	       in_window, requests);
	ASSERT_LT(0, in_window) TH_LOG("no filter change overlapped the forks");
	ASSERT_EQ(0, pe_enobufs)
		TH_LOG("ENOBUFS: lost to overflow, not to filter changes; enlarge the buffer");

	qsort(got, nr_got, sizeof(got[0]), pid_cmp);
	for (i = 1; i < nr_got; i++)
		dups += got[i] == got[i - 1];
	for (i = 0; i < RACE_CHILDREN; i++) {
		if (bsearch(&r->pids[i], got, nr_got, sizeof(got[0]), pid_cmp))
			continue;
		if (missing++ < 5)
			TH_LOG("no fork event for child %d (pid %d)", i, r->pids[i]);
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, dups) TH_LOG("fork events delivered twice");
	munmap(r, sizeof(*r));
}

/* Set the LISTEN policy sysctl to @val; the old value, or -1 if absent. */
/*
 * Function-call interrupts every CPU has taken (the "CAL:" line of
 * /proc/interrupts on x86): patching kernel text sends them to every CPU.
 * -1 when there is no such line.
 */
static long long pe_call_ipis(void)
{
	char line[4096];
	long long sum = -1;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		long long n;

		while (*p == ' ')
			p++;
		if (strncmp(p, "CAL:", 4))
			continue;
		sum = 0;
		for (p += 4;; p = end) {
			n = strtoll(p, &end, 10);
			if (end == p)
				break;
			sum += n;
		}
	}
	fclose(f);
	return sum;
}

/*
 * A thread of this process that keeps a second CPU busy in user space.
 * A call the kernel makes on every CPU (the synchronisation after a text
 * patch, a TLB shootdown) must interrupt it with an IPI, where an idle CPU
 * that polls for work is spared the interrupt and would hide the call.
 */
static int spin_stop, spin_up;	/* __atomic accesses */
static int spin_cpu;
static union {
	max_align_t align;
	char bytes[STACK_SIZE];
} spin_stack;

static int thread_spin(void *arg)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(spin_cpu, &one);
	if (syscall(SYS_sched_setaffinity, 0, sizeof(one), &one))
		syscall(SYS_exit, 1);
	__atomic_store_n(&spin_up, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&spin_stop, __ATOMIC_ACQUIRE))
		;
	__atomic_store_n(&spin_up, 0, __ATOMIC_RELEASE);
	syscall(SYS_exit, 0);
	return 0;
}

/* Function-call IPIs taken while @n pages are mapped, touched, unmapped. */
static long long pe_shootdown_ipis(int n)
{
	long long before = pe_call_ipis();
	int i;

	for (i = 0; i < n; i++) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -1;
		__atomic_store_n(p, 1, __ATOMIC_RELAXED);
		munmap(p, 4096);
	}
	return pe_call_ipis() - before;
}

/*
 * A user toggling LISTEN and IGNORE must not make the kernel patch its
 * text (a static key flipped per request, each flip an IPI to every CPU)
 * nor hold a global lock across a datagram: one datagram of 2000
 * LISTEN/IGNORE pairs while a thread keeps the other CPU busy. A static
 * key flipped per request would cost several IPIs per flip, thousands in
 * all; the rest of the system's activity meanwhile costs about a hundred.
 * Positive controls: unmapping 200 pages while the thread runs costs an
 * IPI each (the count sees calls to the busy CPU), and every one of the
 * 4000 requests was acknowledged, so they all ran.
 */
TEST_F_TIMEOUT(pe, listen_ignore_patches_no_text, 300)
{
	enum { PAIRS = 2000 };
	size_t one = NLMSG_ALIGN(NLMSG_LENGTH(sizeof(struct cn_msg) +
					      sizeof(struct proc_input)));
	int size = 2 * PAIRS * one + 4096, big = 64 << 20, cpus[2];
	long long before, after, shootdowns;
	char *buf = malloc(size);
	int i, acks = 0;
	size_t len = 0;

	ASSERT_NE(NULL, buf);
	pe_two_cpus(_metadata, cpus);
	ASSERT_EQ(0, cn_pin(cpus[0]));
	spin_cpu = cpus[1];
	ASSERT_LT(0, clone(thread_spin, spin_stack.bytes + STACK_SIZE,
			   THREAD_FLAGS, NULL));
	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&spin_up, __ATOMIC_ACQUIRE))
			break;
		usleep(1000);
	}
	ASSERT_TRUE(__atomic_load_n(&spin_up, __ATOMIC_ACQUIRE))
		TH_LOG("the spinning thread did not start");
	shootdowns = pe_shootdown_ipis(200);
	TH_LOG("200 pages unmapped: %lld function-call IPIs", shootdowns);
	EXPECT_LE(100, shootdowns)
		TH_LOG("IPIs to the busy CPU are not counted: this test proves nothing");
	before = pe_call_ipis();
	ASSERT_LE(0, before) TH_LOG("no CAL line in /proc/interrupts");
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
				sizeof(size)));
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
				sizeof(big)));
	for (i = 0; i < 2 * PAIRS; i++) {
		struct proc_input in = {
			.mcast_op = i & 1 ? PROC_CN_MCAST_IGNORE :
					    PROC_CN_MCAST_LISTEN,
			.event_type = PROC_EVENT_ALL,
		};

		len += NLMSG_ALIGN(cn_build(buf + len, proc_id, 7000 + i, 0, &in,
					    sizeof(in)));
	}
	ASSERT_EQ(0, cn_send_raw(self->fd, buf, len));
	while (acks < 2 * PAIRS) {
		struct proc_event ev;
		struct cn_msg *msg = pe_next(self->fd, 2000);

		if (!msg)
			break;
		memcpy(&ev, msg->data, sizeof(ev));
		if (ev.what == PROC_EVENT_NONE && msg->seq == 7000U + acks &&
		    !ev.event_data.ack.err)
			acks++;
	}
	after = pe_call_ipis();
	__atomic_store_n(&spin_stop, 1, __ATOMIC_RELEASE);
	TH_LOG("%d requests acknowledged; %lld function-call IPIs meanwhile",
	       acks, after - before);
	EXPECT_EQ(2 * PAIRS, acks);
	EXPECT_GT(PAIRS / 2, after - before)
		TH_LOG("LISTEN/IGNORE made the CPUs take IPIs: kernel text patched?");
	free(buf);
}

static int pe_set_restrict(int val)
{
	int old = -1;
	FILE *f = fopen(RESTRICT_FILE, "r+");

	if (!f)
		return -1;
	if (fscanf(f, "%d", &old) == 1 && old != val) {
		rewind(f);
		fprintf(f, "%d\n", val);
	}
	fclose(f);
	return old;
}

TEST(unprivileged_may_listen)
{
	int status, old;
	pid_t pid;

	if (!pe_available())
		SKIP(return, "no process events connector (CONFIG_PROC_EVENTS=n)");
	if (geteuid())
		SKIP(return, "needs root to drop privileges");
	/* The default policy: anyone may listen. */
	old = pe_set_restrict(0);
	if (old > 0)
		TH_LOG("%s was %d; set to 0 for this test", RESTRICT_FILE, old);
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
		_exit(pe_await(fd, PROC_EVENT_FORK, pid) ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (old > 0)
		pe_set_restrict(old);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x", status);
}

TEST_HARNESS_MAIN
