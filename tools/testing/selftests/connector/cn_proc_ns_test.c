// SPDX-License-Identifier: GPL-2.0
/*
 * Process events in containers. A listener sees the processes as the task
 * that sent its LISTEN saw them: the pid and user namespaces of that task,
 * fixed at LISTEN, and the network namespace of its socket. It is told
 * only about tasks its pid namespace shows, with pids numbered there and
 * ids mapped into its user namespace.
 *
 * Containers with their own user, pid and network namespaces, the host
 * network namespace shared, nested pid namespaces, id mapping, forkstat in
 * a container, namespaces that die under a listener, namespaces created
 * after LISTEN, sockets passed out of a container, what other network
 * namespaces reach, network namespace churn, and the per network namespace
 * LISTEN policy.
 *
 * Runs as root; where an unprivileged container is what is checked, the
 * container is built by uid 65534. Every process of a container reports
 * to the test through a pipe: its pids (the NSpid line of its status,
 * host first), the events its listener read, and any step that failed.
 */

#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/cn_proc.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define NOBODY		65534
#define STATS_FILE	"/sys/kernel/debug/connector/proc_events"
#define RESTRICT_FILE	"/proc/sys/net/connector/proc_events_restrict"
#define VIEWS_MAX_FILE	"/proc/sys/net/connector/proc_max_user_views"
#define FORKSTAT	"/usr/bin/forkstat"
#define MAX_EV		2048
#define MAX_RECS	4096
#define MAX_LEVELS	4
/* Bound of every wait for a step of another process. */
#define STEP_MS		20000
/* A listener has read everything once nothing came for this long. */
#define QUIET_MS	300
/* Host ids that id mapping tests map ids 0..999 of a container to. */
#define MAP_BASE	100000
/* How long a zombie is left unreaped: see reap(). */
#define REAP_GRACE_MS	100

static const struct cb_id proc_id = { CN_IDX_PROC, CN_VAL_PROC };
static const struct cb_id test_id = { CN_TEST_IDX, CN_TEST_VAL };
static const struct cb_id notify_id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR };
static char rxbuf[CN_BUF_SIZE];

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Events a listener read, copied out of their unaligned messages. */
struct evlist {
	int n;
	struct proc_event ev[MAX_EV];
};

/*
 * Read one datagram from @fd within @ms. Its events go to @l (when given);
 * the acknowledgment of request @seq, when there, sets *@ack_err.
 * Returns 1 when a datagram came, 0 when none did, -errno on error.
 */
static int pe_recv(int fd, struct evlist *l, int ms, unsigned int seq,
		   int *ack_err)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh = (struct nlmsghdr *)rxbuf;
	int len, ready;

	ready = poll(&pfd, 1, ms);
	if (ready < 0)
		return -errno;
	if (!ready)
		return 0;
	len = recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
	if (len < 0)
		return -errno;
	for (; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
		struct cn_msg *msg = NLMSG_DATA(nlh);
		struct proc_event ev;

		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg) + sizeof(ev)) ||
		    msg->id.idx != CN_IDX_PROC || msg->id.val != CN_VAL_PROC ||
		    msg->len != sizeof(ev))
			continue;
		memcpy(&ev, msg->data, sizeof(ev));
		if (ev.what == PROC_EVENT_NONE) {
			if (ack_err && msg->seq == seq)
				*ack_err = ev.event_data.ack.err;
		} else if (l && l->n < MAX_EV) {
			l->ev[l->n++] = ev;
		}
	}
	return 1;
}

/*
 * Send @op with @mask on @fd. Returns the error its acknowledgment
 * carries, or -1 when none came. Events read on the way go to @l.
 */
static int pe_request(int fd, enum proc_cn_mcast_op op, unsigned int mask,
		      struct evlist *l)
{
	static unsigned int seq = 1000;
	struct proc_input in = { .mcast_op = op, .event_type = mask };
	long long end = now_ms() + 5000;
	int err = -1;

	seq++;
	if (cn_send_msg(fd, proc_id, seq, 0, &in, sizeof(in)))
		return -1;
	while (err < 0 && now_ms() < end)
		if (pe_recv(fd, l, end - now_ms(), seq, &err) <= 0)
			break;
	return err;
}

/* A socket that listens to every event, or -1. */
static int pe_listener(void)
{
	int fd = cn_socket(CN_IDX_PROC);

	if (fd >= 0 && pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Read until nothing came for QUIET_MS (at most 10 s: a listener of the
 * whole machine may never be quiet). 0, or -errno of a failed read.
 */
static int pe_drain(int fd, struct evlist *l)
{
	long long end = now_ms() + 10000;
	int got;

	do
		got = pe_recv(fd, l, QUIET_MS, 0, NULL);
	while (got > 0 && now_ms() < end);
	return got < 0 ? got : 0;
}

/* The task an event is about: the child of a fork, else the process. */
static pid_t ev_pid(const struct proc_event *ev)
{
	return ev->what == PROC_EVENT_FORK ? ev->event_data.fork.child_pid :
					     ev->event_data.exec.process_pid;
}

static const struct proc_event *ev_find(const struct evlist *l,
					unsigned int what, pid_t pid)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->ev[i].what == what && ev_pid(&l->ev[i]) == pid)
			return &l->ev[i];
	return NULL;
}

static int ev_count(const struct evlist *l, unsigned int what, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->ev[i].what == what && ev_pid(&l->ev[i]) == pid;
	return n;
}

/* The first event of @l about a task not in @ok[@n], or NULL. */
static const struct proc_event *ev_foreign(const struct evlist *l,
					   const pid_t *ok, int n)
{
	int i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < n; j++)
			if (ev_pid(&l->ev[i]) == ok[j])
				break;
		if (j == n)
			return &l->ev[i];
	}
	return NULL;
}

/*
 * @l has, numbered as its listener sees them: the fork of @pid by @parent,
 * its exec when @exec (none otherwise), and its exit with wait status
 * @code while @parent was still its parent.
 */
static void expect_run(struct __test_metadata *_metadata, const char *who,
		       const struct evlist *l, pid_t parent, pid_t pid,
		       bool exec, int code)
{
	const struct proc_event *ev;

	ev = ev_find(l, PROC_EVENT_FORK, pid);
	EXPECT_NE(NULL, ev) TH_LOG("%s: no fork of pid %d", who, pid);
	if (ev) {
		EXPECT_EQ(pid, ev->event_data.fork.child_tgid)
			TH_LOG("%s: fork of %d", who, pid);
		EXPECT_EQ(parent, ev->event_data.fork.parent_pid)
			TH_LOG("%s: parent in the fork of %d", who, pid);
		EXPECT_EQ(parent, ev->event_data.fork.parent_tgid)
			TH_LOG("%s: parent in the fork of %d", who, pid);
	}
	EXPECT_EQ(exec, ev_count(l, PROC_EVENT_EXEC, pid))
		TH_LOG("%s: exec events of %d", who, pid);
	ev = ev_find(l, PROC_EVENT_EXIT, pid);
	EXPECT_NE(NULL, ev) TH_LOG("%s: no exit of pid %d", who, pid);
	if (ev) {
		EXPECT_EQ(pid, ev->event_data.exit.process_tgid)
			TH_LOG("%s: exit of %d", who, pid);
		EXPECT_EQ(code, (int)ev->event_data.exit.exit_code)
			TH_LOG("%s: exit code of %d", who, pid);
		EXPECT_EQ(SIGCHLD, (int)ev->event_data.exit.exit_signal)
			TH_LOG("%s: exit signal of %d", who, pid);
		EXPECT_EQ(parent, ev->event_data.exit.parent_pid)
			TH_LOG("%s: parent in the exit of %d", who, pid);
		EXPECT_EQ(parent, ev->event_data.exit.parent_tgid)
			TH_LOG("%s: parent in the exit of %d", who, pid);
	}
}

/* @l has the id change of @pid, @what (UID or GID), to @id, or logs why not. */
static void expect_id(struct __test_metadata *_metadata, const char *who,
		      const struct evlist *l, unsigned int what, pid_t pid,
		      unsigned int id)
{
	const struct proc_event *ev = ev_find(l, what, pid);
	const char *name = what == PROC_EVENT_UID ? "uid" : "gid";

	EXPECT_NE(NULL, ev) TH_LOG("%s: no %s event of pid %d", who, name, pid);
	if (!ev)
		return;
	EXPECT_EQ(pid, ev->event_data.id.process_tgid) TH_LOG("%s: %s event", who, name);
	EXPECT_EQ(id, ev->event_data.id.r.ruid) TH_LOG("%s: real %s of %d", who, name, pid);
	EXPECT_EQ(id, ev->event_data.id.e.euid)
		TH_LOG("%s: effective %s of %d", who, name, pid);
}

/* A counter of the debugfs statistics ("listeners", "views"), or -1. */
static int pe_stat(const char *name)
{
	char line[64], key[32];
	unsigned int v;
	int found = -1;
	FILE *f = fopen(STATS_FILE, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %u", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* Poll counter @name for up to @ms until it is @want: its last value. */
static int pe_stat_wait(const char *name, int want, int ms)
{
	long long end = now_ms() + ms;
	int v;

	while ((v = pe_stat(name)) != want && now_ms() < end)
		usleep(50000);
	return v;
}

/*
 * "views" once the idle views that earlier tests left are reaped (about a
 * second after their last listener): unchanged for 1.5 s, at most 6 s.
 */
static int pe_views_settled(void)
{
	long long end = now_ms() + 6000;
	int v = pe_stat("views"), same = 0, next;

	while (v >= 0 && same < 3 && now_ms() < end) {
		usleep(500000);
		next = pe_stat("views");
		same = next == v ? same + 1 : 0;
		v = next;
	}
	return v;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = strlen(s), n;

	if (fd < 0)
		return -1;
	n = write(fd, s, len);
	close(fd);
	return n == len ? 0 : -1;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * Wait up to @ms for child @pid: its wait status, or -1 when it did not
 * end in time (it is killed then).
 */
static int wait_child(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	int status;
	pid_t got;

	for (;;) {
		got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return status;
		if (got < 0 || now_ms() >= end)
			break;
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/*
 * Reap child @pid whose exit a listener must see. A task's exit event is
 * built after it became a zombie: a listener outside the initial pid
 * namespace gets none about a task its parent reaped before that, and no
 * listener gets its parent then. So wait for the zombie, leave it time to
 * finish exiting, then reap it. Its wait status, or -1.
 */
static int reap(pid_t pid)
{
	long long end = now_ms() + STEP_MS;
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT | WNOHANG))
			return wait_child(pid, 0);
		if (si.si_pid == pid)
			break;
		if (now_ms() >= end)
			return wait_child(pid, 0);
		usleep(2000);
	}
	usleep(REAP_GRACE_MS * 1000);
	return wait_child(pid, STEP_MS);
}

/* An exit code that tells how a child with wait status @status ended. */
static int exit_like(int status)
{
	if (status == -1)
		return 99;
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Wait up to @ms for a byte on @fd: 0, or -1. */
static int wait_byte(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, ms) <= 0 || read(fd, &c, 1) != 1)
		return -1;
	return 0;
}

static int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -1;
}

/* A descriptor passed on @sock within @ms, or -1. */
static int recv_fd(int sock, int ms)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *cm;
	int fd;

	if (poll(&pfd, 1, ms) <= 0 || recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * Records: how the processes of a container report to the test. Writes of
 * a record are atomic (smaller than PIPE_BUF), so any number of processes
 * share one pipe.
 */
enum rec_kind { R_STEP = 1, R_PIDS, R_VAL, R_EVENT, R_FAIL };

enum rec_key {
	K_READY = 1, K_DONE, K_UNSHARED,
	/* R_PIDS: the processes of a container */
	K_INIT, K_NESTED_INIT, K_HELPER, K_W_TRUE, K_W_EXIT3, K_WA, K_WB, K_W,
	/* R_VAL */
	K_FORKSTAT, K_FORKSTAT_STATUS, K_LISTS_PROC, K_LISTS_NOTIFY,
	K_LISTS_TEST, K_LISTS_OTHER, K_LISTEN_ERR, K_ECHO, K_IGNORE_ERR,
	K_RESTRICT, K_UNPRIV_ERR, K_USERNS_ERR, K_USERNS_PIDNS_ERR, K_ROOT_ERR,
	K_RESTORED, K_UNPRIV_AFTER, K_INHERITED,
	/* R_EVENT: which listener read the event */
	SRC_IN, SRC_MIDDLE, SRC_NESTED,
};

struct rec {
	int kind;
	int key;
	int n;
	/*
	 * R_PIDS: the NSpid line, the initial pid namespace's number first
	 * and this process's getpid() last; R_VAL: v[0]; R_FAIL: the source
	 * line and errno.
	 */
	int v[MAX_LEVELS];
	char what[80];
	struct proc_event ev;
};

/* In a container: where its records go, and where go-aheads come from. */
static int rec_wfd = -1;
static int go_rfd = -1;

static void rec_put(const struct rec *r)
{
	if (write(rec_wfd, r, sizeof(*r)) != sizeof(*r))
		_exit(90);
}

static void rec_step(int key)
{
	struct rec r = { .kind = R_STEP, .key = key };

	rec_put(&r);
}

static void rec_val(int key, int v)
{
	struct rec r = { .kind = R_VAL, .key = key, .n = 1, .v = { v } };

	rec_put(&r);
}

static void child_fail(int line, const char *what)
{
	struct rec r = { .kind = R_FAIL, .n = 2, .v = { line, errno } };

	snprintf(r.what, sizeof(r.what), "%s", what);
	rec_put(&r);
	_exit(1);
}

/* A step of a container process that must succeed: else report it, exit. */
#define CHILD_TRY(cond)					\
	do {						\
		if (!(cond))				\
			child_fail(__LINE__, #cond);	\
	} while (0)

/* Report this process's pid in every pid namespace that shows it. */
static void rec_pids(int key)
{
	struct rec r = { .kind = R_PIDS, .key = key };
	char line[256], *p, *end;
	FILE *f = fopen("/proc/self/status", "re");

	CHILD_TRY(f);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6))
			continue;
		for (p = line + 6; r.n < MAX_LEVELS; p = end) {
			r.v[r.n] = strtol(p, &end, 10);
			if (end == p)
				break;
			r.n++;
		}
	}
	fclose(f);
	CHILD_TRY(r.n > 0 && r.v[r.n - 1] == getpid());
	rec_put(&r);
}

static void rec_events(int src, const struct evlist *l)
{
	struct rec r = { .kind = R_EVENT, .key = src };
	int i;

	for (i = 0; i < l->n; i++) {
		r.ev = l->ev[i];
		rec_put(&r);
	}
}

/* In a container: wait for the test's next go-ahead. */
static int wait_go(void)
{
	return wait_byte(go_rfd, 3 * STEP_MS);
}

/* Test side: a container being built and run by a child of the test. */
struct ctr {
	pid_t pid;
	int rec;
	int go;
	bool eof;
};

static struct rec recs[MAX_RECS];
static int nr_recs;

/* Fork a child of the test that runs @fn(@arg) and exits with its value. */
static int ctr_start(struct ctr *c, int (*fn)(const void *), const void *arg)
{
	int rp[2], gp[2];

	nr_recs = 0;
	c->eof = false;
	if (pipe2(rp, O_CLOEXEC))
		return -1;
	if (pipe2(gp, O_CLOEXEC)) {
		close(rp[0]);
		close(rp[1]);
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		close(rp[0]);
		close(gp[1]);
		rec_wfd = rp[1];
		go_rfd = gp[0];
		_exit(fn(arg));
	}
	close(rp[1]);
	close(gp[0]);
	c->rec = rp[0];
	c->go = gp[1];
	if (c->pid < 0) {
		close(c->rec);
		close(c->go);
		return -1;
	}
	return 0;
}

/* Read one record within @ms: 1, 0 when every writer is gone, -1 on timeout. */
static int ctr_read(struct ctr *c, int ms)
{
	struct pollfd pfd = { .fd = c->rec, .events = POLLIN };
	struct rec r;
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(r)) {
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		n = read(c->rec, (char *)&r + got, sizeof(r) - got);
		if (n <= 0) {
			c->eof = true;
			return 0;
		}
		got += n;
	}
	if (nr_recs < MAX_RECS)
		recs[nr_recs++] = r;
	return 1;
}

static const struct rec *rec_find(int kind, int key)
{
	int i;

	for (i = 0; i < nr_recs; i++)
		if (recs[i].kind == kind && recs[i].key == key)
			return &recs[i];
	return NULL;
}

/* Log the steps that failed in the container. Returns how many. */
static int ctr_failures(struct __test_metadata *_metadata)
{
	int i, n = 0;

	for (i = 0; i < nr_recs; i++) {
		if (recs[i].kind != R_FAIL)
			continue;
		TH_LOG("container, line %d: \"%s\" failed (errno %d, %s)",
		       recs[i].v[0], recs[i].what, recs[i].v[1],
		       strerror(recs[i].v[1]));
		n++;
	}
	return n;
}

/* Wait for step @key of the container; false (and why, logged) if it never came. */
static bool ctr_step(struct __test_metadata *_metadata, struct ctr *c, int key)
{
	long long end = now_ms() + STEP_MS;

	while (!rec_find(R_STEP, key)) {
		if (c->eof || now_ms() >= end || ctr_read(c, end - now_ms()) < 0) {
			TH_LOG("container step %d never came%s", key,
			       c->eof ? ": the container ended" : "");
			ctr_failures(_metadata);
			return false;
		}
	}
	return true;
}

static void ctr_go(struct ctr *c)
{
	if (write(c->go, "g", 1) != 1)
		c->eof = true;
}

/*
 * Read every record until the container's processes are gone, and reap
 * the test's child: its wait status, or -1 when @ms passed first.
 */
static int ctr_end(struct ctr *c, int ms)
{
	long long end = now_ms() + ms;
	int status = -1;

	while (!c->eof && now_ms() < end)
		if (ctr_read(c, end - now_ms()) < 0)
			break;
	if (c->eof)
		status = wait_child(c->pid, 5000);
	else
		wait_child(c->pid, 0);
	close(c->rec);
	close(c->go);
	return status;
}

/* The container ran every step and exited 0. */
static void ctr_expect_clean(struct __test_metadata *_metadata, int status)
{
	EXPECT_EQ(0, ctr_failures(_metadata));
	EXPECT_EQ(0, status) TH_LOG("container wait status 0x%x (-1: did not end in time)",
				    status);
}

/* Pid at level @level (0: the initial pid namespace) of process @key, or -1. */
static pid_t pid_at(int key, int level)
{
	const struct rec *r = rec_find(R_PIDS, key);

	return r && level < r->n ? r->v[level] : -1;
}

/* Pid of process @key in its own pid namespace (its getpid()), or -1. */
static pid_t pid_in(int key)
{
	const struct rec *r = rec_find(R_PIDS, key);

	return r ? r->v[r->n - 1] : -1;
}

static int rec_value(int key)
{
	const struct rec *r = rec_find(R_VAL, key);

	return r ? r->v[0] : -1000;
}

/* The events listener @src of the container read. */
static void rec_evlist(struct evlist *l, int src)
{
	int i;

	l->n = 0;
	for (i = 0; i < nr_recs; i++)
		if (recs[i].kind == R_EVENT && recs[i].key == src && l->n < MAX_EV)
			l->ev[l->n++] = recs[i].ev;
}

/* A host process that runs /bin/true, reaped: its pid, or -1. */
static pid_t host_true(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/true", "true", NULL);
		_exit(99);
	}
	if (pid < 0 || reap(pid))
		return -1;
	return pid;
}

static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -1;
	/*
	 * Changing uid made this process non-dumpable, which gives its /proc
	 * files to root: it could not write its own uid_map.
	 */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/*
 * In a user namespace this process just created, map 0 to @uid and @gid,
 * its ids outside: what "unshare --map-root-user" does, unprivileged.
 */
static int map_self_root(uid_t uid, gid_t gid)
{
	char map[64];

	if (write_file("/proc/self/setgroups", "deny"))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_file("/proc/self/uid_map", map))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", gid);
	return write_file("/proc/self/gid_map", map);
}

/* The container dies with the test (a failed ASSERT, a timeout). */
static void die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
}

struct ns_opts {
	bool unpriv;		/* built by uid 65534 */
	bool userns;		/* in a user namespace of its own, 0 mapped */
	bool netns;		/* in a network namespace of its own */
	bool mntns;		/* in a mount namespace of its own */
	bool socket_before;	/* socket made before entering the namespaces */
};

/*
 * In the test's child: become what @o asks for, create a pid namespace
 * (and the others @o wants) and fork its first process. Returns in that
 * process, with *@sock (when asked for) a socket in CN_IDX_PROC; the
 * test's child waits for it and exits with its status.
 */
static void ns_enter(const struct ns_opts *o, int *sock)
{
	int flags = CLONE_NEWPID, fd = -1;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	if (o->unpriv)
		CHILD_TRY(drop_to_nobody() == 0);
	if (sock && o->socket_before) {
		fd = cn_socket(CN_IDX_PROC);
		CHILD_TRY(fd >= 0);
	}
	uid = geteuid();
	gid = getegid();
	if (o->userns) {
		CHILD_TRY(unshare(CLONE_NEWUSER) == 0);
		CHILD_TRY(map_self_root(uid, gid) == 0);
	}
	if (o->netns)
		flags |= CLONE_NEWNET;
	if (o->mntns)
		flags |= CLONE_NEWNS;
	CHILD_TRY(unshare(flags) == 0);
	die_with_parent();
	pid = fork();
	CHILD_TRY(pid >= 0);
	if (pid > 0)
		_exit(exit_like(wait_child(pid, 6 * STEP_MS)));
	die_with_parent();
	if (sock && !o->socket_before) {
		fd = cn_socket(CN_IDX_PROC);
		CHILD_TRY(fd >= 0);
	}
	if (sock)
		*sock = fd;
}

/* Fork a child that reports itself as @key and runs /bin/true, or exits @code. */
static pid_t run_child(int key, bool exec, int code)
{
	pid_t pid = fork();

	if (pid == 0) {
		rec_pids(key);
		if (exec)
			execl("/bin/true", "true", NULL);
		_exit(code);
	}
	return pid;
}

static bool unpriv_userns_off(void)
{
	return read_int("/proc/sys/kernel/unprivileged_userns_clone") == 0;
}

/* Why the tests of this file cannot run here, or NULL. */
static const char *ns_unavailable(void)
{
	if (geteuid())
		return "needs root";
	if (cn_proc_lists("cn_proc", proc_id) != 1)
		return "no process events connector (CONFIG_PROC_EVENTS=n)";
	if (access("/proc/self/ns/user", F_OK))
		return "no user namespaces (CONFIG_USER_NS=n)";
	if (access("/proc/self/ns/pid", F_OK))
		return "no pid namespaces (CONFIG_PID_NS=n)";
	if (access("/proc/self/ns/net", F_OK))
		return "no network namespaces (CONFIG_NET_NS=n)";
	if (read_int("/proc/sys/user/max_user_namespaces") == 0)
		return "user.max_user_namespaces is 0";
	return NULL;
}

#define UNPRIV_USERNS_OFF \
	"unprivileged user namespaces are off (kernel.unprivileged_userns_clone=0)"

/*
 * A container's first process listens, the test runs a host workload,
 * then the container runs its own: /bin/true, and a child exiting 3.
 */
static int workload_body(const void *arg)
{
	static struct evlist in;
	pid_t pid;
	int fd;

	ns_enter(arg, &fd);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, &in) == 0);
	rec_pids(K_INIT);
	rec_step(K_READY);
	CHILD_TRY(wait_go() == 0);
	pid = run_child(K_W_TRUE, true, 0);
	CHILD_TRY(pid > 0 && reap(pid) == 0);
	pid = run_child(K_W_EXIT3, false, 3);
	CHILD_TRY(pid > 0 && reap(pid) == 3 << 8);
	CHILD_TRY(pe_drain(fd, &in) == 0);
	rec_events(SRC_IN, &in);
	return 0;
}

FIXTURE(container)
{
	int host;
};

FIXTURE_VARIANT(container)
{
	struct ns_opts o;
};

/* unshare --user --map-root-user --pid --net --fork, as uid 65534 */
FIXTURE_VARIANT_ADD(container, unpriv_user_pid_net) {
	.o = { .unpriv = true, .userns = true, .netns = true },
};

/* The same, listening on a socket of the host network namespace. */
FIXTURE_VARIANT_ADD(container, unpriv_user_pid_net_socket_before) {
	.o = { .unpriv = true, .userns = true, .netns = true, .socket_before = true },
};

/* The host network namespace shared. */
FIXTURE_VARIANT_ADD(container, unpriv_user_pid) {
	.o = { .unpriv = true, .userns = true },
};

FIXTURE_VARIANT_ADD(container, unpriv_user_pid_socket_before) {
	.o = { .unpriv = true, .userns = true, .socket_before = true },
};

/* Root in a pid namespace only: the initial user and network namespaces. */
FIXTURE_VARIANT_ADD(container, root_pid) {
	.o = { 0 },
};

FIXTURE_VARIANT_ADD(container, root_pid_socket_before) {
	.o = { .socket_before = true },
};

FIXTURE_SETUP(container)
{
	const char *why = ns_unavailable();

	self->host = -1;
	if (why)
		SKIP(return, "%s", why);
	if (variant->o.unpriv && unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	self->host = pe_listener();
	ASSERT_LE(0, self->host);
}

FIXTURE_TEARDOWN(container)
{
	if (self->host >= 0)
		close(self->host);
}

TEST_F_TIMEOUT(container, sees_own_workload_only, 120)
{
	static struct evlist in, host;
	const struct proc_event *ev;
	pid_t ok[3], h;
	struct ctr c;
	int status;

	ASSERT_EQ(0, ctr_start(&c, workload_body, &variant->o));
	ASSERT_TRUE(ctr_step(_metadata, &c, K_READY));
	/* The host's workload runs while the container's listener listens. */
	h = host_true();
	ASSERT_LT(0, h);
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	EXPECT_EQ(0, pe_drain(self->host, &host));
	rec_evlist(&in, SRC_IN);

	/* Inside: the container's workload, numbered as the container sees it. */
	ok[0] = pid_in(K_INIT);
	ok[1] = pid_in(K_W_TRUE);
	ok[2] = pid_in(K_W_EXIT3);
	EXPECT_EQ(1, ok[0]);
	expect_run(_metadata, "container", &in, ok[0], ok[1], true, 0);
	expect_run(_metadata, "container", &in, ok[0], ok[2], false, 3 << 8);
	/* ... and nothing else: not the host's workload of the same window. */
	ev = ev_foreign(&in, ok, 3);
	EXPECT_EQ(NULL, ev) TH_LOG("container saw event 0x%x about pid %d",
				   ev->what, ev_pid(ev));
	EXPECT_EQ(0, ev_count(&in, PROC_EVENT_FORK, h));
	EXPECT_EQ(0, ev_count(&in, PROC_EVENT_EXEC, h));

	/* The host sees its own workload and the container's, in host pids. */
	expect_run(_metadata, "host", &host, getpid(), h, true, 0);
	expect_run(_metadata, "host", &host, pid_at(K_INIT, 0),
		   pid_at(K_W_TRUE, 0), true, 0);
	expect_run(_metadata, "host", &host, pid_at(K_INIT, 0),
		   pid_at(K_W_EXIT3, 0), false, 3 << 8);
}

FIXTURE(ns)
{
	int unused;
};

FIXTURE_SETUP(ns)
{
	const char *why = ns_unavailable();

	if (why)
		SKIP(return, "%s", why);
}

/* Set when a test restricted the initial namespace: its teardown lifts it. */
static bool init_restricted;
/* Set when a test lowered proc_max_user_views: the value to put back. */
static int saved_views_max = -1;

FIXTURE_TEARDOWN(ns)
{
	char val[16];

	if (init_restricted)
		write_file(RESTRICT_FILE, "0");
	if (saved_views_max >= 0) {
		snprintf(val, sizeof(val), "%d", saved_views_max);
		write_file(VIEWS_MAX_FILE, val);
	}
}

/* The nested namespace's first process: listens, then runs WB on request. */
static void nested_init(int ready, int go)
{
	static struct evlist lb;
	pid_t pid;
	int fd;

	fd = cn_socket(CN_IDX_PROC);
	CHILD_TRY(fd >= 0);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, &lb) == 0);
	rec_pids(K_NESTED_INIT);
	CHILD_TRY(write(ready, "r", 1) == 1);
	CHILD_TRY(wait_byte(go, STEP_MS) == 0);
	pid = run_child(K_WB, true, 0);
	CHILD_TRY(pid > 0 && reap(pid) == 0);
	CHILD_TRY(pe_drain(fd, &lb) == 0);
	rec_events(SRC_NESTED, &lb);
	_exit(0);
}

/*
 * Middle pid namespace: its first process listens, a helper creates the
 * nested namespace whose first process listens too. Then WA runs in the
 * middle namespace (the nested listener listening), then WB in the nested.
 */
static int nested_body(const void *arg)
{
	static const struct ns_opts o = { 0 };
	static struct evlist la;
	int fd, ready[2], go[2];
	pid_t helper, pid;

	ns_enter(&o, &fd);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, &la) == 0);
	rec_pids(K_INIT);
	CHILD_TRY(pipe(ready) == 0 && pipe(go) == 0);
	/* A child makes the nested namespace: this process forks in the middle one. */
	helper = fork();
	CHILD_TRY(helper >= 0);
	if (helper == 0) {
		CHILD_TRY(unshare(CLONE_NEWPID) == 0);
		pid = fork();
		CHILD_TRY(pid >= 0);
		if (pid == 0)
			nested_init(ready[1], go[0]);
		_exit(exit_like(wait_child(pid, 3 * STEP_MS)));
	}
	CHILD_TRY(wait_byte(ready[0], STEP_MS) == 0);
	pid = run_child(K_WA, true, 0);
	CHILD_TRY(pid > 0 && reap(pid) == 0);
	CHILD_TRY(write(go[1], "g", 1) == 1);
	CHILD_TRY(wait_child(helper, 3 * STEP_MS) == 0);
	CHILD_TRY(pe_drain(fd, &la) == 0);
	rec_events(SRC_MIDDLE, &la);
	return 0;
}

TEST_F_TIMEOUT(ns, nested_pid_namespaces, 120)
{
	static struct evlist la, lb;
	const struct proc_event *ev;
	struct ctr c;
	pid_t ok[2];
	int status;

	ASSERT_EQ(0, ctr_start(&c, nested_body, NULL));
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	rec_evlist(&la, SRC_MIDDLE);
	rec_evlist(&lb, SRC_NESTED);

	/* NSpid: host, middle, nested. */
	ASSERT_EQ(3, rec_find(R_PIDS, K_WB) ? rec_find(R_PIDS, K_WB)->n : 0);
	EXPECT_EQ(1, pid_at(K_INIT, 1));
	EXPECT_EQ(1, pid_at(K_NESTED_INIT, 2));

	/* The middle listener: its own task and the nested one, its numbers. */
	expect_run(_metadata, "middle", &la, 1, pid_at(K_WA, 1), true, 0);
	expect_run(_metadata, "middle", &la, pid_at(K_NESTED_INIT, 1),
		   pid_at(K_WB, 1), true, 0);

	/* The nested listener: the nested task only, in nested numbers. */
	expect_run(_metadata, "nested", &lb, 1, pid_at(K_WB, 2), true, 0);
	ok[0] = 1;
	ok[1] = pid_at(K_WB, 2);
	ev = ev_foreign(&lb, ok, 2);
	EXPECT_EQ(NULL, ev) TH_LOG("nested saw event 0x%x about pid %d (WA is %d in the middle)",
				   ev->what, ev_pid(ev), pid_at(K_WA, 1));
	EXPECT_EQ(1, ev_count(&lb, PROC_EVENT_FORK, pid_at(K_WB, 2)));
	EXPECT_EQ(0, ev_count(&lb, PROC_EVENT_EXEC, pid_at(K_WA, 1)));
}

/*
 * Container with ids 0..999 mapped to MAP_BASE.. by the test, in a pid
 * namespace of its own when @arg points to true. Its listener listens,
 * the test runs its workload, then a child sets uid 5 and gid 6.
 */
static int idmap_body(const void *arg)
{
	bool pidns = *(const bool *)arg;
	static struct evlist in;
	pid_t pid;
	int fd;

	CHILD_TRY(unshare(CLONE_NEWUSER) == 0);
	rec_step(K_UNSHARED);
	CHILD_TRY(wait_go() == 0);
	CHILD_TRY(setresgid(0, 0, 0) == 0);
	CHILD_TRY(setgroups(0, NULL) == 0);
	CHILD_TRY(setresuid(0, 0, 0) == 0);
	if (pidns) {
		CHILD_TRY(unshare(CLONE_NEWPID) == 0);
		die_with_parent();
		pid = fork();
		CHILD_TRY(pid >= 0);
		if (pid > 0)
			_exit(exit_like(wait_child(pid, 6 * STEP_MS)));
	}
	die_with_parent();
	fd = cn_socket(CN_IDX_PROC);
	CHILD_TRY(fd >= 0);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, &in) == 0);
	rec_pids(K_INIT);
	rec_step(K_READY);
	CHILD_TRY(wait_go() == 0);
	pid = fork();
	CHILD_TRY(pid >= 0);
	if (pid == 0) {
		rec_pids(K_W);
		CHILD_TRY(setresgid(6, 6, 6) == 0);
		CHILD_TRY(setresuid(5, 5, 5) == 0);
		_exit(0);
	}
	CHILD_TRY(reap(pid) == 0);
	CHILD_TRY(pe_drain(fd, &in) == 0);
	rec_events(SRC_IN, &in);
	return 0;
}

/* As root, map ids 0..999 of the user namespace of @pid to MAP_BASE... */
static int map_range(pid_t pid)
{
	char path[64], map[64];

	snprintf(map, sizeof(map), "0 %d 1000", MAP_BASE);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	if (write_file(path, map))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	return write_file(path, map);
}

TEST_F_TIMEOUT(ns, ids_mapped_into_listener_userns, 120)
{
	static struct evlist in, host;
	static const bool pidns = true;
	struct ctr c;
	int status, hfd;

	hfd = pe_listener();
	ASSERT_LE(0, hfd);
	ASSERT_EQ(0, ctr_start(&c, idmap_body, &pidns));
	ASSERT_TRUE(ctr_step(_metadata, &c, K_UNSHARED));
	ASSERT_EQ(0, map_range(c.pid));
	ctr_go(&c);
	ASSERT_TRUE(ctr_step(_metadata, &c, K_READY));
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	EXPECT_EQ(0, pe_drain(hfd, &host));
	close(hfd);
	rec_evlist(&in, SRC_IN);

	EXPECT_EQ(1, pid_in(K_INIT));
	expect_id(_metadata, "container", &in, PROC_EVENT_UID, pid_in(K_W), 5);
	expect_id(_metadata, "container", &in, PROC_EVENT_GID, pid_in(K_W), 6);
	expect_id(_metadata, "host", &host, PROC_EVENT_UID, pid_at(K_W, 0),
		  MAP_BASE + 5);
	expect_id(_metadata, "host", &host, PROC_EVENT_GID, pid_at(K_W, 0),
		  MAP_BASE + 6);
}

/*
 * A listener in a user namespace of its own but the host's pid namespace
 * sees host tasks; an id its namespace does not map reads as the overflow
 * id.
 */
TEST_F_TIMEOUT(ns, unmapped_ids_read_overflow, 120)
{
	static struct evlist in, host;
	static const bool pidns;
	struct ctr c;
	int status, hfd;
	pid_t h;

	hfd = pe_listener();
	ASSERT_LE(0, hfd);
	ASSERT_EQ(0, ctr_start(&c, idmap_body, &pidns));
	ASSERT_TRUE(ctr_step(_metadata, &c, K_UNSHARED));
	ASSERT_EQ(0, map_range(c.pid));
	ctr_go(&c);
	ASSERT_TRUE(ctr_step(_metadata, &c, K_READY));
	/* A host task takes ids the container does not map. */
	h = fork();
	ASSERT_LE(0, h);
	if (h == 0) {
		if (setresgid(1234, 1234, 1234) || setresuid(1234, 1234, 1234))
			_exit(1);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(h, STEP_MS));
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	EXPECT_EQ(0, pe_drain(hfd, &host));
	close(hfd);
	rec_evlist(&in, SRC_IN);

	expect_id(_metadata, "container", &in, PROC_EVENT_UID, h, NOBODY);
	expect_id(_metadata, "container", &in, PROC_EVENT_GID, h, NOBODY);
	/* Control: ids it maps read as mapped, in the same listener. */
	expect_id(_metadata, "container", &in, PROC_EVENT_UID, pid_at(K_W, 0), 5);
	expect_id(_metadata, "container", &in, PROC_EVENT_GID, pid_at(K_W, 0), 6);
	expect_id(_metadata, "host", &host, PROC_EVENT_UID, h, 1234);
	expect_id(_metadata, "host", &host, PROC_EVENT_GID, h, 1234);
}

/* Where forkstat in the container writes (a memfd of the test). */
static int forkstat_out = -1;

static int forkstat_body(const void *arg)
{
	static const struct ns_opts o = {
		.unpriv = true, .userns = true, .netns = true, .mntns = true,
	};
	pid_t fs, pid;

	ns_enter(&o, NULL);
	/* A /proc of the new pid namespace, for forkstat to read. */
	CHILD_TRY(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHILD_TRY(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			NULL) == 0);
	fs = fork();
	CHILD_TRY(fs >= 0);
	if (fs == 0) {
		if (dup2(forkstat_out, 1) < 0 || dup2(forkstat_out, 2) < 0)
			_exit(126);
		execl(FORKSTAT, "forkstat", "-e", "fork,exec,exit", "-D", "3", "-l",
		      NULL);
		_exit(127);
	}
	rec_val(K_FORKSTAT, fs);
	rec_step(K_READY);
	CHILD_TRY(wait_go() == 0);
	pid = fork();
	CHILD_TRY(pid >= 0);
	if (pid == 0) {
		rec_val(K_W, getpid());
		execlp("sleep", "sleep", "0.3", NULL);
		_exit(99);
	}
	CHILD_TRY(reap(pid) == 0);
	rec_val(K_FORKSTAT_STATUS, wait_child(fs, STEP_MS));
	return 0;
}

/* Has forkstat's output a line "<time> <event> <pid> [<word>] ..."? */
static bool forkstat_has(const char *out, const char *event, pid_t pid,
			 const char *word)
{
	char line[512], t[32], ev[32], w[32];
	size_t len;
	int n, p;

	while (*out) {
		len = strcspn(out, "\n");
		snprintf(line, sizeof(line), "%.*s", (int)len, out);
		out += len + (out[len] == '\n');
		n = sscanf(line, "%31s %31s %d %31s", t, ev, &p, w);
		if (n >= 3 && !strcmp(ev, event) && p == pid &&
		    (!word || (n == 4 && !strcmp(w, word))))
			return true;
	}
	return false;
}

TEST_F_TIMEOUT(ns, forkstat_in_container, 120)
{
	static char out[1 << 16];
	struct ctr c;
	int base, status, fstatus;
	ssize_t len;
	pid_t w;

	ASSERT_EQ(0, access(FORKSTAT, X_OK))
		TH_LOG("%s is missing: the guest always has forkstat", FORKSTAT);
	if (unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	forkstat_out = memfd_create("forkstat", MFD_CLOEXEC);
	ASSERT_LE(0, forkstat_out);
	base = pe_stat("listeners");
	ASSERT_EQ(0, ctr_start(&c, forkstat_body, NULL));
	ASSERT_TRUE(ctr_step(_metadata, &c, K_READY));
	/* forkstat is listening once there is one listener more. */
	if (base < 0)
		usleep(1500000);
	else if (pe_stat_wait("listeners", base + 1, 10000) != base + 1)
		TH_LOG("forkstat not counted as a listener within 10 s; going on");
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);

	len = pread(forkstat_out, out, sizeof(out) - 1, 0);
	ASSERT_LE(0, len);
	out[len] = '\0';
	close(forkstat_out);
	w = rec_value(K_W);
	fstatus = rec_value(K_FORKSTAT_STATUS);
	EXPECT_EQ(0, fstatus) TH_LOG("forkstat wait status 0x%x", fstatus);
	EXPECT_TRUE(forkstat_has(out, "fork", w, "child"));
	EXPECT_TRUE(forkstat_has(out, "exec", w, NULL));
	EXPECT_TRUE(forkstat_has(out, "exit", w, "0"));
	if (!forkstat_has(out, "fork", w, "child") || !forkstat_has(out, "exec", w, NULL) ||
	    !forkstat_has(out, "exit", w, "0") || fstatus)
		TH_LOG("container pids: forkstat %d, workload %d; forkstat said:\n%s",
		       rec_value(K_FORKSTAT), w, out);
}

/* The container end of a socket pair the test receives descriptors on. */
static int pass_fd = -1;

/* Listens, runs /bin/true, passes the listener to the test and ends. */
static int dying_body(const void *arg)
{
	static const struct ns_opts o = { .unpriv = true, .userns = true, .netns = true };
	pid_t pid;
	int fd;

	ns_enter(&o, &fd);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL) == 0);
	rec_pids(K_INIT);
	pid = run_child(K_W_TRUE, true, 0);
	CHILD_TRY(pid > 0 && reap(pid) == 0);
	CHILD_TRY(send_fd(pass_fd, fd) == 0);
	return 0;
}

TEST_F_TIMEOUT(ns, listener_outlives_its_container, 120)
{
	static struct evlist in, after, host;
	int base, views, sp[2], lfd, hfd, status;
	const struct proc_event *ev;
	struct ctr c;
	pid_t ok[2], h;

	if (unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	base = pe_stat("listeners");
	if (base < 0)
		SKIP(return, "%s not readable (CONFIG_DEBUG_FS=n or debugfs not mounted)",
		     STATS_FILE);
	views = pe_views_settled();
	hfd = pe_listener();
	ASSERT_LE(0, hfd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp));
	pass_fd = sp[1];
	ASSERT_EQ(0, ctr_start(&c, dying_body, NULL));
	close(sp[1]);
	lfd = recv_fd(sp[0], STEP_MS);
	close(sp[0]);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	ASSERT_LE(0, lfd);

	/* Every process of the container is gone; what it did is queued. */
	EXPECT_EQ(0, pe_drain(lfd, &in));
	ok[0] = 1;
	ok[1] = pid_in(K_W_TRUE);
	expect_run(_metadata, "dead container", &in, 1, ok[1], true, 0);
	ev = ev_foreign(&in, ok, 2);
	EXPECT_EQ(NULL, ev) TH_LOG("dead container's listener: event 0x%x about pid %d",
				   ev->what, ev_pid(ev));

	/* Still a listener, and nothing more comes: the host's workload neither. */
	EXPECT_EQ(base + 2, pe_stat("listeners"));
	h = host_true();
	ASSERT_LT(0, h);
	EXPECT_EQ(0, pe_drain(lfd, &after));
	EXPECT_EQ(0, after.n) TH_LOG("dead container's listener: event 0x%x about pid %d",
				     after.ev[0].what, ev_pid(&after.ev[0]));
	/* Control: the host's listener saw that workload. */
	EXPECT_EQ(0, pe_drain(hfd, &host));
	expect_run(_metadata, "host", &host, getpid(), h, true, 0);

	close(lfd);
	close(hfd);
	EXPECT_EQ(base, pe_stat("listeners"));
	/* Idle views are reaped a second after their last listener left. */
	EXPECT_EQ(views, pe_stat_wait("views", views, 3000))
		TH_LOG("views not back to %d within 3 s", views);
}

/*
 * An unprivileged container's first process listens, then creates new
 * user, pid and network namespaces. A helper left in the namespaces of the
 * LISTEN runs WA; the first process runs WB, the first process of the new
 * pid namespace.
 */
static int fixed_body(const void *arg)
{
	static const struct ns_opts o = { .unpriv = true, .userns = true };
	static struct evlist in;
	pid_t helper, pid;
	int fd, go[2];

	ns_enter(&o, &fd);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, &in) == 0);
	rec_pids(K_INIT);
	CHILD_TRY(pipe(go) == 0);
	helper = fork();
	CHILD_TRY(helper >= 0);
	if (helper == 0) {
		rec_pids(K_HELPER);
		CHILD_TRY(wait_byte(go[0], 3 * STEP_MS) == 0);
		pid = run_child(K_WA, true, 0);
		CHILD_TRY(pid > 0 && reap(pid) == 0);
		_exit(0);
	}
	CHILD_TRY(unshare(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET) == 0);
	CHILD_TRY(map_self_root(0, 0) == 0);
	rec_step(K_READY);
	CHILD_TRY(wait_go() == 0);
	pid = run_child(K_WB, true, 0);
	CHILD_TRY(pid > 0 && reap(pid) == 0);
	CHILD_TRY(write(go[1], "g", 1) == 1);
	CHILD_TRY(wait_child(helper, 2 * STEP_MS) == 0);
	CHILD_TRY(pe_drain(fd, &in) == 0);
	rec_events(SRC_IN, &in);
	return 0;
}

TEST_F_TIMEOUT(ns, view_fixed_at_listen, 120)
{
	static struct evlist in, host;
	const struct proc_event *ev;
	int hfd, status;
	struct ctr c;
	pid_t ok[4], h;

	if (unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	hfd = pe_listener();
	ASSERT_LE(0, hfd);
	ASSERT_EQ(0, ctr_start(&c, fixed_body, NULL));
	ASSERT_TRUE(ctr_step(_metadata, &c, K_READY));
	h = host_true();
	ASSERT_LT(0, h);
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	EXPECT_EQ(0, pe_drain(hfd, &host));
	close(hfd);
	rec_evlist(&in, SRC_IN);

	/* WB is 1 in the namespace created after LISTEN: not the listener's. */
	EXPECT_EQ(1, pid_at(K_WB, 2));
	ok[0] = 1;
	ok[1] = pid_at(K_HELPER, 1);
	ok[2] = pid_at(K_WA, 1);
	ok[3] = pid_at(K_WB, 1);
	/* Tasks of the LISTEN's pid namespace, numbered there. */
	expect_run(_metadata, "listener", &in, ok[1], ok[2], true, 0);
	expect_run(_metadata, "listener", &in, 1, ok[3], true, 0);
	/* Nothing of the host. */
	ev = ev_foreign(&in, ok, 4);
	EXPECT_EQ(NULL, ev) TH_LOG("listener saw event 0x%x about pid %d",
				   ev->what, ev_pid(ev));
	expect_run(_metadata, "host", &host, getpid(), h, true, 0);
}

/*
 * Listens, passes the socket to the test, runs /bin/true when told, and
 * waits to be told to end.
 */
static int passed_body(const void *arg)
{
	static const struct ns_opts o = { .unpriv = true, .userns = true, .netns = true };
	pid_t pid;
	int fd;

	ns_enter(&o, &fd);
	CHILD_TRY(pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL) == 0);
	rec_pids(K_INIT);
	CHILD_TRY(send_fd(pass_fd, fd) == 0);
	close(fd);
	CHILD_TRY(wait_go() == 0);
	pid = run_child(K_W_TRUE, true, 0);
	CHILD_TRY(pid > 0 && reap(pid) == 0);
	rec_step(K_DONE);
	CHILD_TRY(wait_go() == 0);
	return 0;
}

/*
 * The test reads a container's listener, LISTENing again itself first when
 * @relisten, while the container and the host run a workload each.
 */
static void passed_socket(struct __test_metadata *_metadata, bool relisten,
			  struct evlist *got, struct evlist *host, pid_t *h)
{
	int sp[2], lfd, hfd, status;
	struct ctr c;

	hfd = pe_listener();
	ASSERT_LE(0, hfd);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp));
	pass_fd = sp[1];
	ASSERT_EQ(0, ctr_start(&c, passed_body, NULL));
	close(sp[1]);
	lfd = recv_fd(sp[0], STEP_MS);
	close(sp[0]);
	if (lfd < 0)
		ctr_failures(_metadata);
	ASSERT_LE(0, lfd);
	if (relisten)
		ASSERT_EQ(0, pe_request(lfd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL));
	*h = host_true();
	ASSERT_LT(0, *h);
	ctr_go(&c);
	ASSERT_TRUE(ctr_step(_metadata, &c, K_DONE));
	/* Read by the host while the container lives. */
	EXPECT_EQ(0, pe_drain(lfd, got));
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);
	EXPECT_EQ(0, pe_drain(hfd, host));
	close(hfd);
	close(lfd);
}

TEST_F_TIMEOUT(ns, passed_socket_keeps_container_view, 120)
{
	static struct evlist got, host;
	const struct proc_event *ev;
	pid_t ok[2], h = -1;

	if (unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	passed_socket(_metadata, false, &got, &host, &h);
	ok[0] = 1;
	ok[1] = pid_in(K_W_TRUE);
	expect_run(_metadata, "passed listener", &got, 1, ok[1], true, 0);
	ev = ev_foreign(&got, ok, 2);
	EXPECT_EQ(NULL, ev) TH_LOG("passed listener: event 0x%x about pid %d",
				   ev->what, ev_pid(ev));
	EXPECT_EQ(0, ev_count(&got, PROC_EVENT_FORK, h));
	/* Control: the host's workload ran in the same window. */
	expect_run(_metadata, "host", &host, getpid(), h, true, 0);
}

/* A later LISTEN from another task takes that task's view. */
TEST_F_TIMEOUT(ns, relisten_takes_new_task_view, 120)
{
	static struct evlist got, host;
	pid_t h = -1;

	if (unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	passed_socket(_metadata, true, &got, &host, &h);
	expect_run(_metadata, "relistened", &got, getpid(), h, true, 0);
	expect_run(_metadata, "relistened", &got, pid_at(K_INIT, 0),
		   pid_at(K_W_TRUE, 0), true, 0);
	EXPECT_EQ(0, ev_count(&got, PROC_EVENT_FORK, pid_in(K_W_TRUE)));
}

/* Entries of /proc/net/connector other than the connector's services, or -1. */
static int other_entries(void)
{
	char line[256], name[64];
	unsigned int idx, val;
	FILE *f = fopen("/proc/net/connector", "re");
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %u:%u", name, &idx, &val) == 3 &&
		    strcmp(name, "cn_proc") && strcmp(name, "cn_notify"))
			n++;
	fclose(f);
	return n;
}

static int services_body(const void *arg)
{
	int fd;

	CHILD_TRY(unshare(CLONE_NEWNET) == 0);
	rec_val(K_LISTS_PROC, cn_proc_lists("cn_proc", proc_id));
	rec_val(K_LISTS_NOTIFY, cn_proc_lists("cn_notify", notify_id));
	rec_val(K_LISTS_TEST, cn_proc_lists("cn_test", test_id));
	rec_val(K_LISTS_OTHER, other_entries());
	/* In the group, where the answers to control messages go. */
	fd = cn_socket(CN_IDX_PROC);
	CHILD_TRY(fd >= 0);
	/* Answers come in this namespace before and after the silence. */
	rec_val(K_LISTEN_ERR, pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_EXEC, NULL));
	CHILD_TRY(cn_send_msg(fd, test_id, 4321, 0, "ping", 4) == 0);
	rec_val(K_ECHO, !!cn_wait_seq(fd, rxbuf, sizeof(rxbuf), test_id, 4321, 300));
	rec_val(K_IGNORE_ERR, pe_request(fd, PROC_CN_MCAST_IGNORE, 0, NULL));
	return 0;
}

static long cn_test_received(void)
{
	FILE *f = fopen("/sys/module/cn_test/parameters/received", "re");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

TEST_F_TIMEOUT(ns, other_netns_reaches_only_services, 120)
{
	const char *why = cn_test_unavailable();
	long received;
	int fd, status, notify;
	struct ctr c;

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), ""));
	/* Earlier tests may have left it silent or slow. */
	write_file("/sys/module/cn_test/parameters/echo", "Y");
	write_file("/sys/module/cn_test/parameters/reply_delay_ms", "0");

	/* Control: the host lists cn_test, and it answers there. */
	EXPECT_EQ(1, cn_proc_lists("cn_test", test_id));
	fd = cn_socket(0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cn_send_msg(fd, test_id, 1234, 0, "ping", 4));
	EXPECT_NE(NULL, cn_wait_seq(fd, rxbuf, sizeof(rxbuf), test_id, 1234, 2000));
	close(fd);
	notify = cn_proc_lists("cn_notify", notify_id);

	received = cn_test_received();
	ASSERT_EQ(0, ctr_start(&c, services_body, NULL));
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);

	EXPECT_EQ(1, rec_value(K_LISTS_PROC));
	EXPECT_EQ(notify, rec_value(K_LISTS_NOTIFY)) TH_LOG("cn_notify listed on the host: %d",
							    notify);
	EXPECT_EQ(0, rec_value(K_LISTS_TEST));
	EXPECT_EQ(0, rec_value(K_LISTS_OTHER));
	EXPECT_EQ(0, rec_value(K_ECHO));
	EXPECT_EQ(0, rec_value(K_LISTEN_ERR));
	EXPECT_EQ(0, rec_value(K_IGNORE_ERR));
	/* cn_test's callback never saw the message. */
	if (received >= 0)
		EXPECT_EQ(received, cn_test_received());
}

TEST_F_TIMEOUT(ns, many_network_namespaces, 600)
{
	const char *env = getenv("CN_NETNS_ROUNDS");
	int rounds = env ? atoi(env) : 1000;
	int i, base, views, status, failed = 0, first = -1, first_status = 0;
	long long start;
	pid_t pid;

	if (rounds <= 0)
		rounds = 1000;
	base = pe_stat("listeners");
	views = base < 0 ? -1 : pe_views_settled();
	start = now_ms();
	for (i = 0; i < rounds && failed < 10; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd, err;

			if (unshare(CLONE_NEWNET))
				_exit(250);
			fd = cn_socket(CN_IDX_PROC);
			if (fd < 0)
				_exit(251);
			err = pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL);
			_exit(err < 0 ? 252 : err);
		}
		status = wait_child(pid, STEP_MS);
		if (status) {
			failed++;
			if (first < 0) {
				first = i;
				first_status = status;
			}
		}
	}
	TH_LOG("%d network namespaces in %lld ms", i, now_ms() - start);
	/* Exit 250: unshare failed, 251: socket, 252: no ack, else the ack's errno. */
	EXPECT_EQ(0, failed) TH_LOG("round %d: wait status 0x%x", first, first_status);
	if (base < 0) {
		TH_LOG("%s not readable: counts not checked", STATS_FILE);
		return;
	}
	EXPECT_EQ(base, pe_stat_wait("listeners", base, 5000));
	/* Idle views are reaped a second after their last listener left. */
	EXPECT_EQ(views, pe_stat_wait("views", views, 10000))
		TH_LOG("views not back to %d within 10 s", views);
}

/* How listen_as_nobody() gets its namespaces. */
enum nobody_ns {
	NOBODY_PLAIN,		/* none of its own */
	NOBODY_USERNS,		/* a user namespace, in the initial pid one */
	NOBODY_USERNS_PIDNS,	/* a user namespace and a pid one it owns */
};

/*
 * LISTEN by a child as uid 65534 with the namespaces @how says: the error
 * of its acknowledgment, 253 when none came, or 250..252 and 254 when it
 * could not get there.
 */
static int listen_as_nobody(enum nobody_ns how)
{
	pid_t pid = fork();
	int fd, err, flags = 0;

	if (pid == 0) {
		if (drop_to_nobody())
			_exit(250);
		if (how != NOBODY_PLAIN)
			flags |= CLONE_NEWUSER;
		if (how == NOBODY_USERNS_PIDNS)
			flags |= CLONE_NEWPID;
		if (flags && unshare(flags))
			_exit(251);
		if (how == NOBODY_USERNS_PIDNS) {
			/* Only a child enters the new pid namespace. */
			pid = fork();
			if (pid < 0)
				_exit(254);
			if (pid > 0)
				_exit(exit_like(wait_child(pid, STEP_MS)));
		}
		fd = cn_socket(CN_IDX_PROC);
		if (fd < 0)
			_exit(252);
		err = pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL);
		_exit(err < 0 ? 253 : err);
	}
	if (pid < 0)
		return -1;
	return exit_like(wait_child(pid, STEP_MS));
}

static int restrict_body(const void *arg)
{
	int fd;

	CHILD_TRY(unshare(CLONE_NEWNET) == 0);
	/* /proc/sys/net is the writer's network namespace's. */
	CHILD_TRY(write_file(RESTRICT_FILE, "1") == 0);
	rec_val(K_RESTRICT, read_int(RESTRICT_FILE));
	rec_val(K_UNPRIV_ERR, listen_as_nobody(NOBODY_PLAIN));
	rec_val(K_USERNS_ERR, listen_as_nobody(NOBODY_USERNS));
	rec_val(K_USERNS_PIDNS_ERR, listen_as_nobody(NOBODY_USERNS_PIDNS));
	fd = cn_socket(CN_IDX_PROC);
	CHILD_TRY(fd >= 0);
	rec_val(K_ROOT_ERR, pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL));
	close(fd);
	rec_step(K_READY);
	CHILD_TRY(wait_go() == 0);
	CHILD_TRY(write_file(RESTRICT_FILE, "0") == 0);
	rec_val(K_RESTORED, read_int(RESTRICT_FILE));
	rec_val(K_UNPRIV_AFTER, listen_as_nobody(NOBODY_PLAIN));
	return 0;
}

TEST_F_TIMEOUT(ns, restrict_is_per_network_namespace, 120)
{
	struct ctr c;
	int status;

	ASSERT_EQ(0, read_int(RESTRICT_FILE)) TH_LOG("%s: missing, or not 0 by default",
						     RESTRICT_FILE);
	ASSERT_EQ(0, ctr_start(&c, restrict_body, NULL));
	ASSERT_TRUE(ctr_step(_metadata, &c, K_READY));
	/* The other namespace is restricted now; the initial one is not. */
	EXPECT_EQ(0, read_int(RESTRICT_FILE));
	EXPECT_EQ(0, listen_as_nobody(NOBODY_PLAIN));
	ctr_go(&c);
	status = ctr_end(&c, 3 * STEP_MS);
	ctr_expect_clean(_metadata, status);

	EXPECT_EQ(1, rec_value(K_RESTRICT));
	EXPECT_EQ(EPERM, rec_value(K_UNPRIV_ERR));
	/*
	 * A user namespace of one's own gives no right to watch the initial
	 * pid namespace, which it does not own ...
	 */
	EXPECT_EQ(EPERM, rec_value(K_USERNS_ERR));
	/* ... but a pid namespace it made and owns is its own to watch. */
	if (!unpriv_userns_off())
		EXPECT_EQ(0, rec_value(K_USERNS_PIDNS_ERR));
	EXPECT_EQ(0, rec_value(K_ROOT_ERR));
	EXPECT_EQ(0, rec_value(K_RESTORED));
	EXPECT_EQ(0, rec_value(K_UNPRIV_AFTER));
	EXPECT_EQ(0, read_int(RESTRICT_FILE));
}

static int init_policy_body(const void *arg)
{
	int fd;

	CHILD_TRY(unshare(CLONE_NEWNET) == 0);
	/* A new namespace starts with the initial one's policy ... */
	rec_val(K_INHERITED, read_int(RESTRICT_FILE));
	/* ... and cannot lift it by clearing its own. */
	CHILD_TRY(write_file(RESTRICT_FILE, "0") == 0);
	rec_val(K_RESTORED, read_int(RESTRICT_FILE));
	rec_val(K_UNPRIV_ERR, listen_as_nobody(NOBODY_PLAIN));
	fd = cn_socket(CN_IDX_PROC);
	CHILD_TRY(fd >= 0);
	rec_val(K_ROOT_ERR, pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL));
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(ns, initial_policy_binds_every_namespace, 120)
{
	struct ctr c;
	int status;

	ASSERT_EQ(0, read_int(RESTRICT_FILE));
	/* Positive control: unrestricted, nobody may listen. */
	ASSERT_EQ(0, listen_as_nobody(NOBODY_PLAIN));
	init_restricted = true;
	ASSERT_EQ(0, write_file(RESTRICT_FILE, "1"));
	ASSERT_EQ(0, ctr_start(&c, init_policy_body, NULL));
	status = ctr_end(&c, 3 * STEP_MS);
	EXPECT_EQ(EPERM, listen_as_nobody(NOBODY_PLAIN));
	EXPECT_EQ(0, write_file(RESTRICT_FILE, "0"));
	EXPECT_EQ(0, listen_as_nobody(NOBODY_PLAIN));
	ctr_expect_clean(_metadata, status);

	EXPECT_EQ(1, rec_value(K_INHERITED));
	EXPECT_EQ(0, rec_value(K_RESTORED));
	EXPECT_EQ(EPERM, rec_value(K_UNPRIV_ERR));
	EXPECT_EQ(0, rec_value(K_ROOT_ERR));
}

/*
 * A socket of CN_IDX_PROC opened by a child as @opener (not 0), passed
 * back on a socket pair; -1 when that failed.
 */
static int socket_opened_by(uid_t opener)
{
	int sp[2], fd = -1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(opener, opener, opener) ||
		    setresuid(opener, opener, opener))
			_exit(1);
		fd = cn_socket(CN_IDX_PROC);
		_exit(fd < 0 || send_fd(sp[1], fd));
	}
	if (pid > 0) {
		fd = recv_fd(sp[0], STEP_MS);
		if (exit_like(wait_child(pid, STEP_MS)) && fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	close(sp[0]);
	close(sp[1]);
	return fd;
}

/*
 * A listener held open by a child as @uid, in a pid namespace of its own
 * (and a user namespace when @uid is not 0), so that its LISTEN makes a
 * view, on a socket it opened or (@opener not 0) that user @opener opened:
 * the acknowledgment's error (253 when none came, 250..252 and 254 when
 * it could not get there) is written to @res. The child holds its socket
 * until @release reads EOF.
 */
static pid_t hold_view(uid_t uid, uid_t opener, int res, int release_r,
		       int release_w)
{
	pid_t pid = fork();
	int fd = -1, err;

	if (pid)
		return pid;
	close(release_w);
	err = 252;
	if (opener) {
		fd = socket_opened_by(opener);
		if (fd < 0)
			goto out;
	}
	err = 250;
	if (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)))
		goto out;
	err = 251;
	if (unshare((uid ? CLONE_NEWUSER : 0) | CLONE_NEWPID))
		goto out;
	pid = fork();
	err = 254;
	if (pid < 0)
		goto out;
	if (pid > 0)
		_exit(exit_like(wait_child(pid, 3 * STEP_MS)));
	err = 252;
	if (fd < 0)
		fd = cn_socket(CN_IDX_PROC);
	if (fd >= 0) {
		err = pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, NULL);
		if (err < 0)
			err = 253;
	}
	if (write(res, &err, sizeof(err)) != sizeof(err))
		_exit(1);
	/* Hold the view until the test lets go. */
	if (err == 0)
		while (read(release_r, &err, 1) > 0)
			;
	_exit(0);
out:
	if (write(res, &err, sizeof(err)) != sizeof(err))
		_exit(1);
	_exit(0);
}

/* Start hold_view() and return its answer, or -1. */
static int hold_view_answer(uid_t uid, uid_t opener, int *res, int *release,
			    pid_t *pid)
{
	struct pollfd pfd = { .fd = res[0], .events = POLLIN };
	int err;

	*pid = hold_view(uid, opener, res[1], release[0], release[1]);
	if (*pid < 0)
		return -1;
	if (poll(&pfd, 1, STEP_MS) <= 0 ||
	    read(res[0], &err, sizeof(err)) != sizeof(err))
		return -1;
	return err;
}

#define LIMITED_UID	4242
#define OTHER_UID	4243
#define OPENER_UID	4244
#define LIMIT		3
#define VIEWS_MAX	16

/*
 * Every view costs each event a broadcast: a user may make no more than
 * proc_max_user_views of them, and the others still get theirs. Root
 * (CAP_SYS_RESOURCE) is not held to it, unless the socket's opener is.
 */
TEST_F_TIMEOUT(ns, views_are_limited_per_user, 120)
{
	pid_t holders[3 * LIMIT + 5];
	int res[2], release[2], i, n = 0, err;
	long long end;
	char val[16];

	if (unpriv_userns_off())
		SKIP(return, UNPRIV_USERNS_OFF);
	saved_views_max = read_int(VIEWS_MAX_FILE);
	ASSERT_EQ(VIEWS_MAX, saved_views_max) TH_LOG("%s: missing, or not %d by default",
						     VIEWS_MAX_FILE, VIEWS_MAX);
	snprintf(val, sizeof(val), "%d", LIMIT);
	/* Root's views that earlier tests left would count against it. */
	pe_views_settled();
	ASSERT_EQ(0, write_file(VIEWS_MAX_FILE, val));
	ASSERT_EQ(0, pipe2(res, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(release, O_CLOEXEC));

	/* The user's first LIMIT views are made, the next one is refused ... */
	for (i = 0; i < LIMIT; i++) {
		err = hold_view_answer(LIMITED_UID, 0, res, release, &holders[n++]);
		EXPECT_EQ(0, err) TH_LOG("view %d of the limited user", i + 1);
	}
	err = hold_view_answer(LIMITED_UID, 0, res, release, &holders[n++]);
	EXPECT_EQ(ENOSPC, err) TH_LOG("view %d of the limited user", LIMIT + 1);
	/* ... while another user still gets theirs ... */
	EXPECT_EQ(0, hold_view_answer(OTHER_UID, 0, res, release, &holders[n++]));
	/* ... and root, with CAP_SYS_RESOURCE, more than the limit ... */
	for (i = 0; i <= LIMIT; i++)
		EXPECT_EQ(0, hold_view_answer(0, 0, res, release, &holders[n++]))
			TH_LOG("root's view %d", i + 1);
	/*
	 * ... but not on sockets a user without it opened (handed to root,
	 * say, as a setuid program's stderr): then root is charged.
	 */
	for (i = 0; i < LIMIT; i++)
		EXPECT_EQ(0, hold_view_answer(0, OPENER_UID, res, release, &holders[n++]))
			TH_LOG("root's view %d on a socket user %d opened", i + 1, OPENER_UID);
	EXPECT_EQ(ENOSPC, hold_view_answer(0, OPENER_UID, res, release, &holders[n++]))
		TH_LOG("root's view %d on a socket user %d opened", LIMIT + 1, OPENER_UID);

	/* Letting go gives the user its views back (reaped a second later). */
	close(release[1]);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, exit_like(wait_child(holders[i], STEP_MS)));
	ASSERT_EQ(0, pipe2(release, O_CLOEXEC));
	end = now_ms() + 10000;
	do {
		usleep(200000);
		err = hold_view_answer(LIMITED_UID, 0, res, release, &holders[0]);
		close(release[1]);
		wait_child(holders[0], STEP_MS);
		close(release[0]);
		ASSERT_EQ(0, pipe2(release, O_CLOEXEC));
	} while (err == ENOSPC && now_ms() < end);
	EXPECT_EQ(0, err) TH_LOG("the limited user's views were not given back");
	close(release[0]);
	close(release[1]);
	close(res[0]);
	close(res[1]);
}

/*
 * Tasks whose pids are gone when their exit is reported: threads, which
 * are released as they exit, and children whose parent waits for them
 * already. The kernel reports an exit after exit_notify(), when such a
 * task is no longer in any pid namespace; a listener in a container must
 * still get it, numbered as the container numbers it.
 */
#define REAPED_CHILDREN	20
#define REAPED_THREADS	4
#define REAPED_EXIT	7
#define REAPED_STACK	(64 * 1024)

struct reaped {
	int err;		/* 0, or where the container's side failed */
	int forks, exits;	/* of the children, as the container's listener saw them */
	int thread_forks, thread_exits;
};

static union {
	max_align_t align;
	char bytes[REAPED_STACK];
} reaped_stacks[REAPED_THREADS];
static pid_t reaped_tids[REAPED_THREADS];

static int reaped_thread(void *arg)
{
	reaped_tids[(long)arg] = syscall(SYS_gettid);
	syscall(SYS_exit, 0);
	return 0;
}

/* The first process of a pid namespace: listen, run the workload, count. */
static struct reaped reaped_inside(void)
{
	static struct evlist l;
	struct reaped r = { 0 };
	pid_t kids[REAPED_CHILDREN], self = getpid();
	pid_t ctid[REAPED_THREADS];
	int fd, i, j, status;

	fd = cn_socket(CN_IDX_PROC);
	if (fd < 0 || pe_request(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, &l)) {
		r.err = 1;
		return r;
	}
	for (i = 0; i < REAPED_CHILDREN; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			_exit(REAPED_EXIT);
		/* Waiting already: the child is reaped as soon as it can be. */
		if (kids[i] < 0 || waitpid(kids[i], &status, 0) != kids[i]) {
			r.err = 2;
			return r;
		}
	}
	for (i = 0; i < REAPED_THREADS; i++) {
		ctid[i] = -1;
		if (clone(reaped_thread, reaped_stacks[i].bytes + REAPED_STACK,
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_CHILD_CLEARTID, (void *)(long)i, NULL, NULL,
			  &ctid[i]) < 0) {
			r.err = 3;
			return r;
		}
		/* The kernel clears ctid when the thread is gone. */
		for (j = 0; j < 5000 && __atomic_load_n(&ctid[i], __ATOMIC_ACQUIRE); j++)
			usleep(1000);
		if (ctid[i]) {
			r.err = 4;
			return r;
		}
	}
	if (pe_drain(fd, &l)) {
		r.err = 5;
		return r;
	}
	for (i = 0; i < l.n; i++) {
		const struct proc_event *ev = &l.ev[i];
		const struct fork_proc_event *f = &ev->event_data.fork;
		const struct exit_proc_event *x = &ev->event_data.exit;
		bool is_fork = ev->what == PROC_EVENT_FORK;
		bool is_exit = ev->what == PROC_EVENT_EXIT;

		for (j = 0; j < REAPED_CHILDREN; j++) {
			if (is_fork && f->child_pid == kids[j] && f->child_tgid == kids[j] &&
			    f->parent_tgid == self)
				r.forks++;
			if (is_exit && x->process_pid == kids[j] && x->process_tgid == kids[j] &&
			    x->exit_code == REAPED_EXIT << 8)
				r.exits++;
		}
		for (j = 0; j < REAPED_THREADS; j++) {
			if (is_fork && f->child_pid == reaped_tids[j] && f->child_tgid == self)
				r.thread_forks++;
			if (is_exit && x->process_pid == reaped_tids[j] && x->process_tgid == self)
				r.thread_exits++;
		}
	}
	close(fd);
	return r;
}

TEST_F_TIMEOUT(ns, exits_of_tasks_already_reaped, 120)
{
	struct reaped r = { .err = 99 };
	int fds[2], status;
	pid_t c, g;

	ASSERT_EQ(0, pipe2(fds, O_CLOEXEC));
	c = fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(10);
		g = fork();
		if (g == 0) {
			r = reaped_inside();
			_exit(write(fds[1], &r, sizeof(r)) == sizeof(r) ? 0 : 11);
		}
		_exit(g < 0 ? 12 : exit_like(wait_child(g, 3 * STEP_MS)));
	}
	close(fds[1]);
	status = wait_child(c, 4 * STEP_MS);
	EXPECT_EQ(0, exit_like(status));
	ASSERT_EQ(sizeof(r), read(fds[0], &r, sizeof(r)));
	close(fds[0]);
	ASSERT_EQ(0, r.err) TH_LOG("the container's side failed at step %d", r.err);
	TH_LOG("children: %d forks, %d exits; threads: %d forks, %d exits",
	       r.forks, r.exits, r.thread_forks, r.thread_exits);
	/* The controls: the forks, reported before anyone could reap. */
	EXPECT_EQ(REAPED_CHILDREN, r.forks);
	EXPECT_EQ(REAPED_THREADS, r.thread_forks);
	EXPECT_EQ(REAPED_CHILDREN, r.exits);
	EXPECT_EQ(REAPED_THREADS, r.thread_exits);
}

TEST_HARNESS_MAIN
