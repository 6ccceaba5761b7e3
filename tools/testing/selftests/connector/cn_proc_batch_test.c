// SPDX-License-Identifier: GPL-2.0
/*
 * Batched process events: a listener that sends PROC_CN_MCAST_LISTEN_BATCH
 * gets its events several to a datagram, each a complete netlink message,
 * numbered per CPU in its stream (the listeners of one view that want the
 * same events), so that a gap in msg->seq shows a lost batch.
 *
 * Checked here: every event, in order, the same as a legacy listener got;
 * real batches in a burst; no wait for a lone event; masks and shared
 * streams; loss made visible; what a default receive buffer holds; IGNORE
 * and a legacy LISTEN ending batches; forkstat alongside; a listener in a
 * pid namespace. Legacy listeners alongside must see what they always did:
 * one event per datagram.
 *
 * Negative checks come after a positive control in the same window: a
 * legacy listener, a second socket, or the same socket earlier, got the
 * events in question.
 *
 * Bursts are comm changes, not forks: a fork takes tens of milliseconds on
 * a debug kernel, so that forks alone leave the stream idle between events
 * and every event goes out alone; a comm change is one system call. A burst
 * runs in a child pinned to one CPU, so that its events fill that CPU's
 * batch instead of two half-empty ones. Forks, execs and exits are made
 * only where their fields are checked, a few tens of them.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/cn_proc.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define STATS_FILE	"/sys/kernel/debug/connector/proc_events"
#define RMEM_DEFAULT	"/proc/sys/net/core/rmem_default"
#define FORKSTAT	"/usr/bin/forkstat"

/* One event message: a legacy datagram, and each part of a batch. */
#define PE_MSG_LEN	NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(struct proc_event))
/* A batch is one skb of 16 KiB: no datagram can be longer. */
#define BATCH_MAX_LEN	16384
/* Room for any datagram, so that a longer one shows instead of being cut. */
#define RX_SIZE		65536
#define MAX_RECS	16384
#define MAX_CPUS	1024
#define MAX_LOGS	4
#define MAX_WORK	40
/* Bounded waits: for what must come, for the silence after it. */
#define ACK_WAIT_MS	5000
#define EVENT_WAIT_MS	10000
#define QUIET_MS	300
#define DRAIN_MAX_MS	20000
#define STEP_MS		20000
/* Large enough that no burst here overflows it. */
#define BIG_RCVBUF	(32 << 20)
#define SMALL_RCVBUF	4096

#define BATCH		PROC_CN_MCAST_LISTEN_BATCH
#define LEGACY		PROC_CN_MCAST_LISTEN
#define FORK_EXIT	(PROC_EVENT_FORK | PROC_EVENT_EXIT)
/* The names of a burst: the index shows the order they came in. */
#define COMM_FMT	"cn-burst-%d"
#define COMM_LEN	sizeof(((struct proc_event *)0)->event_data.comm.comm)

static const struct cb_id proc_id = { CN_IDX_PROC, CN_VAL_PROC };

/* Aligned for the netlink headers; the events in it are copied out. */
static union {
	struct nlmsghdr nlh;
	unsigned char bytes[RX_SIZE];
} rx;

struct rec {
	__u32 seq;
	int dgram;	/* the datagram it came in, counted from 1 */
	struct proc_event ev;
};

/* What a listener read: its events in order, and the shape of its datagrams. */
struct plog {
	int fd;
	struct {
		int n;		/* events in recs[] */
		int unkept;	/* events past MAX_RECS */
		int dgrams;	/* datagrams, acknowledgments included */
		int ev_dgrams;	/* datagrams with events */
		int ev_msgs;	/* events in them */
		int multi;	/* datagrams of more than one message */
		int max_per;	/* most messages in one datagram */
		int not_single;	/* datagrams other than one PE_MSG_LEN message */
		int malformed;	/* datagrams with bytes that are no event message */
		int too_long;	/* datagrams longer than a batch */
		int enobufs;	/* overflows recv reported */
	} st;
	bool acked;
	__u32 ack_seq, ack_ack, ack_err;
	struct rec recs[MAX_RECS];
};

/* Why the last pl_listen() failed. */
static const char *pl_why = "";

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long now_ms(void)
{
	return now_us() / 1000;
}

/* Every field a process event message has, as stock 6.12 sends it. */
static bool msg_ok(const struct nlmsghdr *nlh)
{
	const struct cn_msg *msg = NLMSG_DATA(nlh);

	return nlh->nlmsg_len == PE_MSG_LEN && nlh->nlmsg_type == NLMSG_DONE &&
	       !nlh->nlmsg_flags && !nlh->nlmsg_pid &&
	       msg->id.idx == CN_IDX_PROC && msg->id.val == CN_VAL_PROC &&
	       msg->len == sizeof(struct proc_event) && !msg->flags;
}

static void pl_keep(struct plog *l, __u32 seq, const struct proc_event *ev)
{
	if (l->st.n == MAX_RECS) {
		l->st.unkept++;
		return;
	}
	l->recs[l->st.n].seq = seq;
	l->recs[l->st.n].dgram = l->st.dgrams;
	l->recs[l->st.n].ev = *ev;
	l->st.n++;
}

/*
 * Read one datagram of @l within @timeout_ms: keep its events, note the
 * acknowledgment in it, count its shape. Returns 1, 0 after @timeout_ms
 * of silence, -1 on error. Overflows (ENOBUFS) are counted, and reading
 * goes on.
 */
static int pl_recv(struct plog *l, long long timeout_ms)
{
	struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
	struct nlmsghdr *nlh = &rx.nlh;
	int left, msgs = 0, events = 0, ready;
	bool bad = false;
	ssize_t got;

	for (;;) {
		ready = poll(&pfd, 1, timeout_ms > 0 ? timeout_ms : 0);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			return ready;
		got = recv(l->fd, rx.bytes, sizeof(rx.bytes), MSG_DONTWAIT | MSG_TRUNC);
		if (got >= 0)
			break;
		if (errno == ENOBUFS)
			l->st.enobufs++;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	l->st.dgrams++;
	if (got > BATCH_MAX_LEN)
		l->st.too_long++;
	left = got < (ssize_t)sizeof(rx.bytes) ? got : (ssize_t)sizeof(rx.bytes);
	bad = got > left;
	for (; NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
		const struct cn_msg *msg = NLMSG_DATA(nlh);
		struct proc_event ev;

		if (!msg_ok(nlh)) {
			bad = true;
			break;
		}
		msgs++;
		/* The event follows the 20-byte cn_msg: unaligned. */
		memcpy(&ev, msg->data, sizeof(ev));
		if (ev.what == PROC_EVENT_NONE) {
			l->acked = true;
			l->ack_seq = msg->seq;
			l->ack_ack = msg->ack;
			l->ack_err = ev.event_data.ack.err;
			continue;
		}
		events++;
		pl_keep(l, msg->seq, &ev);
	}
	if (left || !msgs)
		bad = true;
	l->st.malformed += bad;
	if (bad || msgs != 1 || got != PE_MSG_LEN)
		l->st.not_single++;
	if (events) {
		l->st.ev_dgrams++;
		l->st.ev_msgs += events;
	}
	if (msgs > 1)
		l->st.multi++;
	if (msgs > l->st.max_per)
		l->st.max_per = msgs;
	return 1;
}

/*
 * The task an event is about: the child of a fork, else the process (every
 * other member of the union starts with process_pid, comm's included).
 */
static pid_t ev_pid(const struct proc_event *ev)
{
	return ev->what == PROC_EVENT_FORK ? ev->event_data.fork.child_pid :
					     ev->event_data.exec.process_pid;
}

static const struct rec *pl_find_from(const struct plog *l, unsigned int what,
				      pid_t pid, int from)
{
	int i;

	for (i = from; i < l->st.n; i++)
		if (l->recs[i].ev.what == what && ev_pid(&l->recs[i].ev) == pid)
			return &l->recs[i];
	return NULL;
}

static const struct rec *pl_find(const struct plog *l, unsigned int what, pid_t pid)
{
	return pl_find_from(l, what, pid, 0);
}

static int pl_count(const struct plog *l, unsigned int what, pid_t pid)
{
	int i, n = 0;

	for (i = 0; i < l->st.n; i++)
		n += l->recs[i].ev.what == what && ev_pid(&l->recs[i].ev) == pid;
	return n;
}

/* Read until event @what about @pid, kept from index @from on, came. */
static const struct rec *pl_wait(struct plog *l, unsigned int what, pid_t pid,
				 int from, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	const struct rec *r;

	for (;;) {
		r = pl_find_from(l, what, pid, from);
		if (r)
			return r;
		from = l->st.n;
		if (now_ms() >= deadline || pl_recv(l, deadline - now_ms()) <= 0)
			return NULL;
	}
}

static bool pl_await(struct plog *l, unsigned int what, pid_t pid)
{
	return pl_wait(l, what, pid, 0, EVENT_WAIT_MS);
}

/* Is @ev the comm event that names @pid COMM_FMT with @i? */
static bool is_comm(const struct proc_event *ev, pid_t pid, int i)
{
	char want[COMM_LEN];

	snprintf(want, sizeof(want), COMM_FMT, i);
	return ev->what == PROC_EVENT_COMM && ev->event_data.comm.process_pid == pid &&
	       !strncmp(ev->event_data.comm.comm, want, sizeof(want));
}

/*
 * Read until the comm event naming @pid COMM_FMT with @i came: the last
 * event of a burst tells that the burst is all there.
 */
static bool pl_await_comm(struct plog *l, pid_t pid, int i)
{
	long long deadline = now_ms() + EVENT_WAIT_MS;
	int from = 0;

	for (;;) {
		for (; from < l->st.n; from++)
			if (is_comm(&l->recs[from].ev, pid, i))
				return true;
		if (now_ms() >= deadline || pl_recv(l, deadline - now_ms()) <= 0)
			return false;
	}
}

/* Read until QUIET_MS of silence, DRAIN_MAX_MS at most. */
static void pl_drain(struct plog *l)
{
	long long deadline = now_ms() + DRAIN_MAX_MS;

	while (now_ms() < deadline && pl_recv(l, QUIET_MS) > 0)
		;
}

/*
 * Send @op with @mask on @l's socket. Returns the error its
 * acknowledgment carries, or -1 when none came. Events on the way are
 * kept.
 */
static int pl_request(struct plog *l, unsigned int op, unsigned int mask)
{
	struct proc_input in = { .mcast_op = op, .event_type = mask };
	long long deadline = now_ms() + ACK_WAIT_MS;
	static __u32 seq = 0x8000;
	__u32 ack;

	seq++;
	ack = seq * 7;
	l->acked = false;
	if (cn_send_msg(l->fd, proc_id, seq, ack, &in, sizeof(in)))
		return -1;
	while (!l->acked || l->ack_seq != seq) {
		l->acked = false;
		if (now_ms() >= deadline || pl_recv(l, deadline - now_ms()) <= 0)
			return -1;
	}
	return l->ack_ack == ack + 1 ? (int)l->ack_err : -1;
}

enum { BUF_BIG, BUF_DEFAULT, BUF_SMALL };

/* A socket in CN_IDX_PROC with a receive buffer of kind @buf, or -1. */
static int pl_socket(int buf)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd, size = BIG_RCVBUF, group = CN_IDX_PROC;
	socklen_t len = sizeof(size);

	if (buf == BUF_BIG) {
		fd = cn_socket(CN_IDX_PROC);
		if (fd < 0)
			return -1;
		/* Above rmem_max: needs CAP_NET_ADMIN. */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) ||
		    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) ||
		    size < BIG_RCVBUF) {
			pl_why = "SO_RCVBUFFORCE refused: the test runs as root";
			close(fd);
			return -1;
		}
		return fd;
	}
	if (buf == BUF_SMALL) {
		fd = cn_socket_rcvbuf(SMALL_RCVBUF);
	} else {
		/* No SO_RCVBUF at all: the buffer is rmem_default. */
		fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0 && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				  &group, sizeof(group))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Shared, so that a child can fill it for the test to check. */
static struct plog *pl_alloc(void)
{
	struct plog *l;

	l = mmap(NULL, sizeof(*l), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (l == MAP_FAILED)
		return NULL;
	l->fd = -1;
	return l;
}

/* Open @l's socket and send @op with @mask: 0 once acknowledged with 0. */
static int pl_listen(struct plog *l, int buf, unsigned int op, unsigned int mask)
{
	pl_why = "no socket";
	l->fd = pl_socket(buf);
	if (l->fd < 0)
		return -1;
	memset(&l->st, 0, sizeof(l->st));
	if (pl_request(l, op, mask)) {
		pl_why = "LISTEN not acknowledged with 0";
		return -1;
	}
	return 0;
}

static void pl_log_shape(struct __test_metadata *_metadata, const char *name,
			 const struct plog *l)
{
	TH_LOG("%s: %d events in %d datagrams: at most %d, %.1f on average, %d of several",
	       name, l->st.ev_msgs, l->st.ev_dgrams, l->st.max_per,
	       l->st.ev_dgrams ? (double)l->st.ev_msgs / l->st.ev_dgrams : 0.0,
	       l->st.multi);
}

/* Nothing malformed, nothing lost to overflow, everything kept. */
static void pl_expect_clean(struct __test_metadata *_metadata, const char *name,
			    const struct plog *l)
{
	EXPECT_EQ(0, l->st.malformed)
		TH_LOG("%s: %d datagrams with bytes that are not %zu-byte event messages",
		       name, l->st.malformed, (size_t)PE_MSG_LEN);
	EXPECT_EQ(0, l->st.too_long)
		TH_LOG("%s: %d datagrams longer than a %d-byte batch", name,
		       l->st.too_long, BATCH_MAX_LEN);
	EXPECT_EQ(0, l->st.enobufs)
		TH_LOG("%s: the receive queue overflowed (ENOBUFS)", name);
	EXPECT_EQ(0, l->st.unkept)
		TH_LOG("%s: more than %d events: raise MAX_RECS", name, MAX_RECS);
}

struct cpu_run {
	bool seen;
	__u32 first, last;
	int count;
};

struct runs {
	struct cpu_run cpu[MAX_CPUS];
	int breaks;	/* numbers that do not follow the one before */
	int backwards;	/* of them, numbers lower than the one before */
	int bad_cpu;	/* events from a CPU number past MAX_CPUS */
};

/*
 * The numbers of @l per CPU, in the order read: consecutive unless events
 * were lost. The first break is logged.
 */
static void pl_runs(struct __test_metadata *_metadata, const char *name,
		    const struct plog *l, struct runs *r)
{
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < l->st.n; i++) {
		unsigned int cpu = l->recs[i].ev.cpu;
		__u32 seq = l->recs[i].seq;
		struct cpu_run *c;

		if (cpu >= MAX_CPUS) {
			r->bad_cpu++;
			continue;
		}
		c = &r->cpu[cpu];
		if (!c->seen) {
			c->seen = true;
			c->first = seq;
		} else if (seq != c->last + 1) {
			if (!r->breaks)
				TH_LOG("%s: cpu %u: seq %u after %u", name, cpu, seq,
				       c->last);
			r->breaks++;
			r->backwards += (int)(seq - c->last) < 0;
		}
		c->last = seq;
		c->count++;
	}
}

/* A child that exits with @code, or runs /bin/true when @code < 0. */
static pid_t spawn(int code)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (code < 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(99);
		}
		_exit(code);
	}
	return pid;
}

/* Wait status of @pid, reaped; -1 on error. */
static int reap(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid ? status : -1;
}

/* Has child @pid ended? It is left to be reaped. */
static bool has_exited(pid_t pid)
{
	siginfo_t info = { 0 };

	return !waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) &&
	       info.si_pid == pid;
}

/* Wait status of @pid within @ms; killed and -1 after that. */
static int reap_within(pid_t pid, int ms)
{
	long long deadline = now_ms() + ms;
	int status;
	pid_t got;

	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
		usleep(10000);
	if (got == pid)
		return status;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/*
 * Rename the calling task @n times, COMM_FMT with 0..@n-1, as fast as the
 * machine allows. Returns how long it took in us, -1 on error.
 */
/* Events @gap_us apart (0: as fast as it goes), by spinning, not sleeping. */
static int comm_gap_us;

static long long comm_loop(int n)
{
	long long start = now_us(), next = start;
	char name[COMM_LEN];
	int i;

	for (i = 0; i < n; i++) {
		while (comm_gap_us && now_us() < next)
			;
		next += comm_gap_us;
		snprintf(name, sizeof(name), COMM_FMT, i);
		if (prctl(PR_SET_NAME, name))
			return -1;
	}
	return now_us() - start;
}

/*
 * A burst of @n comm events from a child pinned to @cpu, whose pid goes to
 * @pid. A child, so that each burst is about a task of its own and the
 * test keeps its name. Returns how long the renaming took in us, -1 on
 * error.
 */
static long long comm_burst(int n, int cpu, pid_t *pid)
{
	long long took = -1;
	int fds[2];

	if (pipe(fds))
		return -1;
	*pid = fork();
	if (*pid == 0) {
		close(fds[0]);
		if (!cn_pin(cpu))
			took = comm_loop(n);
		_exit(took >= 0 && write(fds[1], &took, sizeof(took)) == sizeof(took) ? 0 : 1);
	}
	close(fds[1]);
	if (*pid > 0) {
		if (read(fds[0], &took, sizeof(took)) != sizeof(took))
			took = -1;
		if (reap(*pid) != 0)
			took = -1;
	}
	close(fds[0]);
	return took;
}

/* A burst's rate, in events per second, for the logs. */
static long long per_second(int n, long long us)
{
	return us > 0 ? n * 1000000LL / us : 0;
}

/*
 * The comm events about @pid in @l are its burst of @n as it ran: COMM_FMT
 * with 0..@n-1 in order, about the process @pid, from @cpu, numbered
 * upwards. Returns the events wrong or missing; the first is logged.
 */
static int comm_check(struct __test_metadata *_metadata, const char *name,
		      const struct plog *l, pid_t pid, int n, int cpu)
{
	int i, k = 0, bad = 0;
	__u32 last = 0;

	for (i = 0; i < l->st.n; i++) {
		const struct rec *r = &l->recs[i];
		const struct proc_event *ev = &r->ev;
		bool ok;

		if (ev->what != PROC_EVENT_COMM || ev->event_data.comm.process_pid != pid)
			continue;
		ok = k < n && is_comm(ev, pid, k) && ev->event_data.comm.process_tgid == pid &&
		     ev->cpu == (unsigned int)cpu && (!k || (int)(r->seq - last) > 0);
		if (!ok && !bad++)
			TH_LOG("%s: comm %d of %d about %d: \"%.16s\" on cpu %u, seq %u after %u",
			       name, k, n, pid, ev->event_data.comm.comm, ev->cpu, r->seq, last);
		last = r->seq;
		k++;
	}
	if (k < n)
		TH_LOG("%s: %d of %d comm events about %d", name, k, n, pid);
	return bad + (k < n ? n - k : 0);
}

struct workload {
	int n;
	pid_t pid[MAX_WORK];
	int status[MAX_WORK];
};

/* What child @i of a workload does: every third runs /bin/true. */
static int work_code(int i)
{
	return i % 3 ? 1 + i % 50 : -1;
}

static pid_t last_exec(const struct workload *w)
{
	int i;

	for (i = w->n - 1; i >= 0; i--)
		if (work_code(i) < 0)
			return w->pid[i];
	return -1;
}

static bool in_workload(const struct workload *w, pid_t pid)
{
	int i;

	for (i = 0; i < w->n; i++)
		if (w->pid[i] == pid)
			return true;
	return false;
}

/*
 * Run @n children of work_code() one after the other, child i pinned to
 * @cpus[i % @nr_cpus] (a fork and an exec are reported on the CPU of the
 * task that makes them), each reaped at once: the parent fields of exit
 * events are not checked.
 */
static int run_workload(struct workload *w, int n, const int *cpus, int nr_cpus)
{
	cpu_set_t old;
	int i;

	if (n > MAX_WORK || sched_getaffinity(0, sizeof(old), &old))
		return -1;
	w->n = 0;
	for (i = 0; i < n; i++) {
		if (cn_pin(cpus[i % nr_cpus]))
			break;
		w->pid[i] = spawn(work_code(i));
		if (w->pid[i] < 0)
			break;
		w->status[i] = reap(w->pid[i]);
		w->n++;
	}
	sched_setaffinity(0, sizeof(old), &old);
	return w->n == n ? 0 : -1;
}

/*
 * Each child of @w appears in @l as it ran, for the events in @want: one
 * fork from this process, an exec when it ran /bin/true (none else), one
 * exit with its wait status. Returns the children that do not; the first
 * is logged.
 */
static int check_workload(struct __test_metadata *_metadata, const char *name,
			  const struct plog *l, const struct workload *w,
			  unsigned int want)
{
	int i, bad = 0;

	for (i = 0; i < w->n; i++) {
		pid_t pid = w->pid[i];
		int forks = pl_count(l, PROC_EVENT_FORK, pid);
		int execs = pl_count(l, PROC_EVENT_EXEC, pid);
		int exits = pl_count(l, PROC_EVENT_EXIT, pid);
		const struct rec *f = pl_find(l, PROC_EVENT_FORK, pid);
		const struct rec *x = pl_find(l, PROC_EVENT_EXIT, pid);
		bool ok;

		ok = forks == !!(want & PROC_EVENT_FORK) &&
		     exits == !!(want & PROC_EVENT_EXIT) &&
		     (work_code(i) < 0 && (want & PROC_EVENT_EXEC) ? execs >= 1 : !execs);
		if (ok && f)
			ok = f->ev.event_data.fork.parent_pid == getpid() &&
			     f->ev.event_data.fork.parent_tgid == getpid() &&
			     f->ev.event_data.fork.child_tgid == pid;
		if (ok && x)
			ok = x->ev.event_data.exit.process_tgid == pid &&
			     x->ev.event_data.exit.exit_code == (__u32)w->status[i] &&
			     x->ev.event_data.exit.exit_signal == SIGCHLD;
		if (!ok && !bad)
			TH_LOG("%s: child %d (pid %d, status 0x%x): %d fork %d exec %d exit",
			       name, i, pid, w->status[i], forks, execs, exits);
		bad += !ok;
	}
	return bad;
}

/*
 * The events about @w's children in @a and @b are the same, byte for byte
 * (cpu and timestamp included: an event is built once for its view), and
 * with the same msg->seq when @same_seq. Returns the events of @a without
 * a twin in @b plus the difference in number.
 */
static int same_events(struct __test_metadata *_metadata, const char *name,
		       const struct plog *a, const struct plog *b,
		       const struct workload *w, bool same_seq)
{
	static bool used[MAX_RECS];
	int i, j, na = 0, nb = 0, alone = 0;

	memset(used, 0, sizeof(used));
	for (j = 0; j < b->st.n; j++)
		nb += in_workload(w, ev_pid(&b->recs[j].ev));
	for (i = 0; i < a->st.n; i++) {
		const struct rec *r = &a->recs[i];

		if (!in_workload(w, ev_pid(&r->ev)))
			continue;
		na++;
		for (j = 0; j < b->st.n; j++)
			if (!used[j] && !memcmp(&r->ev, &b->recs[j].ev, sizeof(r->ev)) &&
			    (!same_seq || r->seq == b->recs[j].seq))
				break;
		if (j < b->st.n) {
			used[j] = true;
			continue;
		}
		if (!alone++)
			TH_LOG("%s: event 0x%x about %d (cpu %u, seq %u) has no twin",
			       name, r->ev.what, ev_pid(&r->ev), r->ev.cpu, r->seq);
	}
	if (na != nb)
		TH_LOG("%s: %d events about the workload, and %d", name, na, nb);
	return alone + abs(na - nb);
}

/* Events of @l whose type is not in @want. */
static int pl_foreign_types(const struct plog *l, unsigned int want)
{
	int i, n = 0;

	for (i = 0; i < l->st.n; i++)
		n += !(l->recs[i].ev.what & want);
	return n;
}

/* "listeners N" of the debugfs statistics, -1 when unreadable. */
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

static void first_cpu(struct __test_metadata *_metadata, int *cpu)
{
	ASSERT_EQ(1, cn_cpus(cpu, 1)) TH_LOG("no CPU in this task's affinity mask");
	ASSERT_GT(MAX_CPUS, *cpu);
}

/* The harness guarantees two CPUs: with fewer, fail rather than pass vacuously. */
static void two_cpus(struct __test_metadata *_metadata, int cpus[2])
{
	ASSERT_EQ(2, cn_cpus(cpus, 2))
		TH_LOG("this test needs 2 CPUs in its affinity mask (the harness guarantees 2)");
	ASSERT_GT(MAX_CPUS, cpus[1]);
}

/* The listeners of a test, closed by its teardown. */
struct pl_set {
	struct plog *logs[MAX_LOGS];
	int n;
};

FIXTURE(batch)
{
	struct pl_set set;
};

FIXTURE_SETUP(batch)
{
	self->set.n = 0;
	if (cn_proc_lists("cn_proc", proc_id) != 1)
		SKIP(return, "no process events connector (CONFIG_PROC_EVENTS=n)");
}

FIXTURE_TEARDOWN(batch)
{
	int i;

	for (i = 0; i < self->set.n; i++) {
		if (self->set.logs[i]->fd >= 0)
			close(self->set.logs[i]->fd);
		munmap(self->set.logs[i], sizeof(struct plog));
	}
}

/* A listener of the test in @set, acknowledged: the test fails without it. */
static struct plog *pl_open(struct __test_metadata *_metadata, struct pl_set *set,
			    int buf, unsigned int op, unsigned int mask)
{
	struct plog *l;

	ASSERT_GT(MAX_LOGS, set->n);
	l = pl_alloc();
	ASSERT_NE(NULL, l);
	set->logs[set->n++] = l;
	ASSERT_EQ(0, pl_listen(l, buf, op, mask))
		TH_LOG("listener %d (op %u, mask 0x%x): %s", set->n, op, mask, pl_why);
	return l;
}

#define OPEN(buf, op, mask) pl_open(_metadata, &self->set, buf, op, mask)

/*
 * A batched listener gets every event, and for each CPU in consecutive
 * numbers; a legacy listener in the same window gets the very same events.
 * The children alternate between two CPUs, so that both CPUs count.
 */
TEST_F_TIMEOUT(batch, every_event_once_in_order, 180)
{
	static struct workload w;
	struct plog *b, *leg;
	struct runs r;
	int cpus[2];

	two_cpus(_metadata, cpus);
	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_ALL);
	leg = OPEN(BUF_BIG, LEGACY, PROC_EVENT_ALL);
	ASSERT_EQ(0, run_workload(&w, MAX_WORK, cpus, 2));
	ASSERT_TRUE(pl_await(leg, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(leg);
	ASSERT_TRUE(pl_await(b, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(b);

	pl_log_shape(_metadata, "batched", b);
	pl_expect_clean(_metadata, "batched", b);
	pl_expect_clean(_metadata, "legacy", leg);
	EXPECT_EQ(0, check_workload(_metadata, "batched", b, &w, PROC_EVENT_ALL));
	EXPECT_EQ(0, check_workload(_metadata, "legacy", leg, &w, PROC_EVENT_ALL));
	/* msg->seq is numbered per stream and per view: not compared. */
	EXPECT_EQ(0, same_events(_metadata, "batched vs legacy", b, leg, &w, false));
	pl_runs(_metadata, "batched", b, &r);
	TH_LOG("batched: %d events from cpu %d, %d from cpu %d", r.cpu[cpus[0]].count,
	       cpus[0], r.cpu[cpus[1]].count, cpus[1]);
	EXPECT_EQ(0, r.bad_cpu);
	EXPECT_LT(0, r.cpu[cpus[0]].count);
	EXPECT_LT(0, r.cpu[cpus[1]].count);
	/* Everything wanted and read: no number may be missing. */
	EXPECT_EQ(0, r.breaks);
}

#define BURST_COMMS	4000

/*
 * A burst the listener does not read during comes packed, and whole: every
 * event, in order, numbered without a gap.
 */
TEST_F_TIMEOUT(batch, burst_packs_several_per_datagram, 120)
{
	struct plog *b;
	struct runs r;
	long long us;
	int cpu;
	pid_t pid;

	first_cpu(_metadata, &cpu);
	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM);
	us = comm_burst(BURST_COMMS, cpu, &pid);
	ASSERT_LE(0, us);
	ASSERT_TRUE(pl_await_comm(b, pid, BURST_COMMS - 1));
	pl_drain(b);

	TH_LOG("%d comm changes on cpu %d in %lld us (%lld per second)", BURST_COMMS, cpu, us,
	       per_second(BURST_COMMS, us));
	pl_log_shape(_metadata, "batched", b);
	pl_expect_clean(_metadata, "batched", b);
	EXPECT_EQ(0, comm_check(_metadata, "batched", b, pid, BURST_COMMS, cpu));
	pl_runs(_metadata, "batched", b, &r);
	EXPECT_EQ(0, r.bad_cpu);
	EXPECT_EQ(0, r.breaks);
	EXPECT_LT(0, b->st.multi) TH_LOG("no datagram held more than one event");
}

/*
 * A legacy listener next to a batched one gets exactly what stock 6.12
 * sends: one 76-byte message per datagram. Positive control: batches did
 * flow to the batched listener in the same window.
 */
TEST_F_TIMEOUT(batch, legacy_alongside_unchanged, 120)
{
	struct plog *b, *leg;
	int cpu;
	pid_t pid;

	first_cpu(_metadata, &cpu);
	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM);
	leg = OPEN(BUF_BIG, LEGACY, PROC_EVENT_COMM);
	ASSERT_LE(0, comm_burst(BURST_COMMS, cpu, &pid));
	ASSERT_TRUE(pl_await_comm(leg, pid, BURST_COMMS - 1));
	pl_drain(leg);
	ASSERT_TRUE(pl_await_comm(b, pid, BURST_COMMS - 1));
	pl_drain(b);

	pl_log_shape(_metadata, "batched", b);
	pl_log_shape(_metadata, "legacy", leg);
	pl_expect_clean(_metadata, "batched", b);
	pl_expect_clean(_metadata, "legacy", leg);
	EXPECT_EQ(0, comm_check(_metadata, "batched", b, pid, BURST_COMMS, cpu));
	EXPECT_EQ(0, comm_check(_metadata, "legacy", leg, pid, BURST_COMMS, cpu));
	ASSERT_LT(0, b->st.multi) TH_LOG("positive control: the batched listener got no batch");
	EXPECT_EQ(0, leg->st.not_single)
		TH_LOG("legacy: %d of %d datagrams were not one %zu-byte message",
		       leg->st.not_single, leg->st.dgrams, (size_t)PE_MSG_LEN);
	EXPECT_EQ(1, leg->st.max_per);
}

#define LONE_ROUNDS	3
#define LONE_MAX_US	50000

/*
 * An event on a stream idle for a while is sent at once, not held for
 * company: the bound is generous (a held event waits up to 100 ms).
 */
TEST_F_TIMEOUT(batch, lone_event_sent_at_once, 60)
{
	long long worst = 0;
	struct plog *b;
	int round;

	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_FORK);
	for (round = 0; round < LONE_ROUNDS; round++) {
		long long start, took = -1;
		const struct rec *r;
		int from;
		pid_t pid;

		/* Idle: 50 ms without a fork of ours; what came is read. */
		usleep(50000);
		for (from = 0; from < 1000 && pl_recv(b, 0) > 0; from++)
			;
		from = b->st.n;
		pid = spawn(0);
		start = now_us();
		ASSERT_LT(0, pid);
		r = pl_wait(b, PROC_EVENT_FORK, pid, from, 1000);
		if (r)
			took = now_us() - start;
		EXPECT_EQ(0, reap(pid));
		ASSERT_NE(NULL, r) TH_LOG("round %d: no fork event of %d within 1 s", round, pid);
		TH_LOG("round %d: fork event read %lld us after fork() returned", round, took);
		if (took > worst)
			worst = took;
	}
	pl_expect_clean(_metadata, "batched", b);
	EXPECT_GT(LONE_MAX_US, worst) TH_LOG("a lone fork waited %lld us", worst);
}

#define MASK_WORK	30

/*
 * A batched listener that wants exec only gets exec events, numbered
 * without gaps: the events it does not want are not counted in its stream.
 */
TEST_F_TIMEOUT(batch, exec_mask_numbers_only_its_events, 120)
{
	static struct workload w;
	struct plog *e, *leg;
	struct runs r;
	int cpu;

	first_cpu(_metadata, &cpu);
	e = OPEN(BUF_BIG, BATCH, PROC_EVENT_EXEC);
	leg = OPEN(BUF_BIG, LEGACY, PROC_EVENT_ALL);
	ASSERT_EQ(0, run_workload(&w, MASK_WORK, &cpu, 1));
	ASSERT_TRUE(pl_await(leg, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(leg);
	ASSERT_TRUE(pl_await(e, PROC_EVENT_EXEC, last_exec(&w)));
	pl_drain(e);

	pl_expect_clean(_metadata, "exec", e);
	pl_expect_clean(_metadata, "legacy", leg);
	/* Positive control: the forks and exits left out did happen. */
	EXPECT_EQ(0, check_workload(_metadata, "legacy", leg, &w, PROC_EVENT_ALL));
	EXPECT_EQ(0, check_workload(_metadata, "exec", e, &w, PROC_EVENT_EXEC));
	EXPECT_EQ(0, pl_foreign_types(e, PROC_EVENT_EXEC));
	pl_runs(_metadata, "exec", e, &r);
	TH_LOG("exec: %d events from cpu %d", r.cpu[cpu].count, cpu);
	/* Between two execs of the workload there are forks and exits. */
	EXPECT_LE(2, r.cpu[cpu].count);
	EXPECT_EQ(0, r.breaks) TH_LOG("numbers skipped: events outside the mask were counted");
}

/* Two batched listeners with different masks each get their own events. */
TEST_F_TIMEOUT(batch, different_masks_get_their_events, 120)
{
	static struct workload w;
	struct plog *f, *fe, *leg;
	struct runs r;
	int cpu;

	first_cpu(_metadata, &cpu);
	f = OPEN(BUF_BIG, BATCH, PROC_EVENT_FORK);
	fe = OPEN(BUF_BIG, BATCH, FORK_EXIT);
	leg = OPEN(BUF_BIG, LEGACY, PROC_EVENT_ALL);
	ASSERT_EQ(0, run_workload(&w, MASK_WORK, &cpu, 1));
	ASSERT_TRUE(pl_await(leg, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(leg);
	ASSERT_TRUE(pl_await(f, PROC_EVENT_FORK, w.pid[w.n - 1]));
	pl_drain(f);
	ASSERT_TRUE(pl_await(fe, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(fe);

	pl_expect_clean(_metadata, "fork", f);
	pl_expect_clean(_metadata, "fork|exit", fe);
	pl_expect_clean(_metadata, "legacy", leg);
	/* Positive control: the execs and exits left out did happen. */
	EXPECT_EQ(0, check_workload(_metadata, "legacy", leg, &w, PROC_EVENT_ALL));
	EXPECT_EQ(0, check_workload(_metadata, "fork", f, &w, PROC_EVENT_FORK));
	EXPECT_EQ(0, check_workload(_metadata, "fork|exit", fe, &w, FORK_EXIT));
	EXPECT_EQ(0, pl_foreign_types(f, PROC_EVENT_FORK));
	EXPECT_EQ(0, pl_foreign_types(fe, FORK_EXIT));
	pl_runs(_metadata, "fork", f, &r);
	EXPECT_EQ(0, r.breaks);
	pl_runs(_metadata, "fork|exit", fe, &r);
	EXPECT_EQ(0, r.breaks);
}

/*
 * Two batched listeners with the same mask share a stream: both get every
 * event, with the same numbers.
 */
TEST_F_TIMEOUT(batch, same_mask_shares_stream, 120)
{
	const unsigned int mask = PROC_EVENT_FORK | PROC_EVENT_EXEC | PROC_EVENT_EXIT;
	static struct workload w;
	struct plog *a, *b;
	struct runs r;
	int cpu;

	first_cpu(_metadata, &cpu);
	a = OPEN(BUF_BIG, BATCH, mask);
	b = OPEN(BUF_BIG, BATCH, mask);
	ASSERT_EQ(0, run_workload(&w, MASK_WORK, &cpu, 1));
	ASSERT_TRUE(pl_await(a, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(a);
	ASSERT_TRUE(pl_await(b, PROC_EVENT_EXIT, w.pid[w.n - 1]));
	pl_drain(b);

	pl_expect_clean(_metadata, "first", a);
	pl_expect_clean(_metadata, "second", b);
	EXPECT_EQ(0, check_workload(_metadata, "first", a, &w, mask));
	EXPECT_EQ(0, check_workload(_metadata, "second", b, &w, mask));
	EXPECT_EQ(0, same_events(_metadata, "first vs second", a, b, &w, true));
	pl_runs(_metadata, "first", a, &r);
	EXPECT_EQ(0, r.breaks);
	pl_runs(_metadata, "second", b, &r);
	EXPECT_EQ(0, r.breaks);
}

#define LOSS_COMMS	4000
#define LOSS_TAIL	5

/*
 * A batched listener with a small buffer that does not read during a burst
 * loses batches: recv reports ENOBUFS, and the numbers of what it kept
 * have gaps exactly where a big-buffer listener of the same stream got the
 * events it lost. After the burst, a few events it has room for come, on
 * the same CPU, so that the numbers after the loss show it.
 */
TEST_F_TIMEOUT(batch, loss_shows_as_enobufs_and_gap, 120)
{
	int cpu, i, c, enobufs, missing = 0, big_only = 0, strays = 0;
	struct runs rs, rg;
	struct plog *s, *g;
	pid_t pid, tail;
	long long us;

	first_cpu(_metadata, &cpu);
	g = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM);
	s = OPEN(BUF_SMALL, BATCH, PROC_EVENT_COMM);
	us = comm_burst(LOSS_COMMS, cpu, &pid);
	ASSERT_LE(0, us);
	pl_drain(s);
	enobufs = s->st.enobufs;
	ASSERT_TRUE(pl_await_comm(g, pid, LOSS_COMMS - 1));
	pl_drain(g);

	/* One at a time, each read before the next: room for all of them. */
	for (i = 0; i < LOSS_TAIL; i++) {
		usleep(10000);
		ASSERT_LE(0, comm_burst(1, cpu, &tail));
		ASSERT_TRUE(pl_await_comm(s, tail, 0))
			TH_LOG("the small buffer did not get the events after the burst");
		ASSERT_TRUE(pl_await_comm(g, tail, 0));
	}
	pl_drain(s);
	pl_drain(g);

	TH_LOG("%d comm changes on cpu %d in %lld us (%lld per second)", LOSS_COMMS, cpu, us,
	       per_second(LOSS_COMMS, us));
	/* Positive control: the big buffer got every event, in sequence. */
	pl_expect_clean(_metadata, "big", g);
	EXPECT_EQ(0, comm_check(_metadata, "big", g, pid, LOSS_COMMS, cpu));
	pl_runs(_metadata, "big", g, &rg);
	EXPECT_EQ(0, rg.breaks);

	TH_LOG("small buffer: ENOBUFS %d times after the burst; kept %d events, the big one %d",
	       enobufs, s->st.n, g->st.n);
	ASSERT_LE(1, enobufs) TH_LOG("the small buffer never overflowed: nothing to detect");
	EXPECT_EQ(0, s->st.malformed);
	EXPECT_EQ(0, s->st.unkept);
	pl_runs(_metadata, "small", s, &rs);
	EXPECT_EQ(0, rs.backwards);
	EXPECT_EQ(0, rs.bad_cpu);
	for (c = 0; c < MAX_CPUS; c++) {
		const struct cpu_run *r = &rs.cpu[c];
		int span, in_big = 0;

		if (!r->seen)
			continue;
		span = r->last - r->first + 1;
		for (i = 0; i < g->st.n; i++)
			in_big += g->recs[i].ev.cpu == (unsigned int)c &&
				  g->recs[i].seq - r->first <= r->last - r->first;
		TH_LOG("cpu %d: small buffer got %d of numbers %u..%u; the big one %d of them",
		       c, r->count, r->first, r->last, in_big);
		missing += span - r->count;
		big_only += in_big - r->count;
	}
	/* What the small buffer kept, the big one got: same number, same bytes. */
	for (i = 0; i < s->st.n; i++) {
		const struct rec *r = &s->recs[i];
		int j;

		for (j = 0; j < g->st.n; j++)
			if (g->recs[j].ev.cpu == r->ev.cpu && g->recs[j].seq == r->seq &&
			    !memcmp(&g->recs[j].ev, &r->ev, sizeof(r->ev)))
				break;
		strays += j == g->st.n;
	}
	EXPECT_LE(1, missing) TH_LOG("ENOBUFS, but no gap in the numbers");
	EXPECT_EQ(missing, big_only)
		TH_LOG("the gaps (%d numbers) are not the events only the big buffer got (%d)",
		       missing, big_only);
	EXPECT_EQ(0, strays) TH_LOG("%d events of the small buffer unknown to the big one", strays);
}

#define CAP_COMMS	4000
#define CAP_MIN_EVENTS	2560
#define CAP_RATIO	5

/*
 * With the default receive buffer, batches hold many more events than
 * datagrams of one: nobody reads during a burst of 4000 events. The same
 * burst runs twice, for the batched listener and for the legacy one, so
 * that the legacy listener's cost (a datagram per event) does not slow
 * the batched one's burst, which would then fill fewer full batches in
 * their longest wait than a burst at full speed.
 */
TEST_F_TIMEOUT(batch, default_rcvbuf_holds_more_events, 120)
{
	long rmem = cn_read_number(RMEM_DEFAULT);
	int cpu, size = 0, leg_size = 0, kept, leg_kept;
	struct plog *d, *leg, *g, *lg;
	pid_t pid, leg_pid;
	socklen_t len;
	long long us;

	first_cpu(_metadata, &cpu);
	TH_LOG("net.core.rmem_default = %ld", rmem);
	/* Same stream as d: proves the burst made all its events. */
	g = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM);
	d = OPEN(BUF_DEFAULT, BATCH, PROC_EVENT_COMM);
	len = sizeof(size);
	ASSERT_EQ(0, getsockopt(d->fd, SOL_SOCKET, SO_RCVBUF, &size, &len));
	us = comm_burst(CAP_COMMS, cpu, &pid);
	ASSERT_LE(0, us);
	TH_LOG("batched: %d comm changes on cpu %d in %lld us (%lld per second)",
	       CAP_COMMS, cpu, us, per_second(CAP_COMMS, us));
	pl_drain(d);
	ASSERT_TRUE(pl_await_comm(g, pid, CAP_COMMS - 1));
	pl_drain(g);
	kept = pl_count(d, PROC_EVENT_COMM, pid);
	pl_log_shape(_metadata, "batched, default buffer", d);
	pl_expect_clean(_metadata, "big", g);
	EXPECT_EQ(0, comm_check(_metadata, "big", g, pid, CAP_COMMS, cpu));
	EXPECT_EQ(0, d->st.malformed);

	/* The same burst for a legacy listener, and a big one that sees it all. */
	lg = OPEN(BUF_BIG, LEGACY, PROC_EVENT_COMM);
	leg = OPEN(BUF_DEFAULT, LEGACY, PROC_EVENT_COMM);
	len = sizeof(leg_size);
	ASSERT_EQ(0, getsockopt(leg->fd, SOL_SOCKET, SO_RCVBUF, &leg_size, &len));
	us = comm_burst(CAP_COMMS, cpu, &leg_pid);
	ASSERT_LE(0, us);
	TH_LOG("legacy: %d comm changes on cpu %d in %lld us (%lld per second)",
	       CAP_COMMS, cpu, us, per_second(CAP_COMMS, us));
	pl_drain(leg);
	ASSERT_TRUE(pl_await_comm(lg, leg_pid, CAP_COMMS - 1));
	pl_drain(lg);
	leg_kept = pl_count(leg, PROC_EVENT_COMM, leg_pid);
	EXPECT_EQ(0, leg->st.malformed);
	EXPECT_EQ(CAP_COMMS, pl_count(lg, PROC_EVENT_COMM, leg_pid));

	TH_LOG("SO_RCVBUF: batched %d, legacy %d", size, leg_size);
	TH_LOG("kept of the burst: batched %d (ENOBUFS %d), legacy %d (ENOBUFS %d), big buffer %d",
	       kept, d->st.enobufs, leg_kept, leg->st.enobufs,
	       pl_count(g, PROC_EVENT_COMM, pid));
	EXPECT_LE(CAP_MIN_EVENTS, kept);
	EXPECT_LE(CAP_RATIO * leg_kept, kept);
	/* The legacy listener did lose events: the burst overflowed it. */
	EXPECT_LT(0, leg->st.enobufs);
}

#define PACED_COMMS	300
#define PACED_GAP_US	1000
#define PACED_TRIES	4
/* Most events a datagram for a listener that keeps up (the control). */
#define PACED_READER_MAX	8.0
/* Fewest events a datagram, and times the control's, for a filling one. */
#define PACED_FILL_MIN		10.0
#define PACED_FILL_TIMES	3.0
/* A gap in the burst that the logs count: most of the 2 ms short delay. */
#define PACED_QUIET_NS		1500000LL
/* The longest delay is 100 ms: no datagram spans more, with slack. */
#define PACED_SPAN_MAX_NS	150000000LL

/* How a listener got a paced burst. */
struct paced {
	int events;	/* of the burst */
	int dgrams;	/* datagrams they came in */
	int quiet;	/* gaps of PACED_QUIET_NS or more between its events */
	long long span_ns;	/* the most from first to last event of a datagram */
	double avg;	/* events a datagram */
};

static void paced_shape(const struct plog *l, pid_t pid, struct paced *p)
{
	const struct rec *prev = NULL, *head = NULL;
	int i;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < l->st.n; i++) {
		const struct rec *r = &l->recs[i];
		long long since_head;

		if (r->ev.what != PROC_EVENT_COMM || ev_pid(&r->ev) != pid)
			continue;
		p->events++;
		if (!prev || r->dgram != prev->dgram) {
			p->dgrams++;
			head = r;
		}
		since_head = r->ev.timestamp_ns - head->ev.timestamp_ns;
		if (since_head > p->span_ns)
			p->span_ns = since_head;
		p->quiet += prev && (long long)(r->ev.timestamp_ns - prev->ev.timestamp_ns) >=
				    PACED_QUIET_NS;
		prev = r;
	}
	p->avg = p->dgrams ? (double)p->events / p->dgrams : 0.0;
}

/*
 * A listener that is filling up (it left earlier datagrams unread, and has
 * room) gets its batches held while events keep coming, up to the longest
 * delay, where a listener that keeps up gets them after the short delay.
 * Events come a millisecond apart from one CPU, so that the short delay
 * alone makes batches of a few: the filling listener must average
 * PACED_FILL_MIN events a datagram or more, and PACED_FILL_TIMES what the
 * control gets; and no datagram of it may span more than the longest
 * delay (PACED_SPAN_MAX_NS, with slack, from its events' timestamps).
 *
 * The control, in the same window, is a listener that keeps up, with a
 * mask of its own so that it has a stream of its own. It must keep up, or
 * it is held too: its reader runs on the burst's CPU under SCHED_FIFO, so
 * that a datagram wakes it ahead of the burst. (On a CPU of its own, the
 * host can stall the reader's vCPU alone, and it falls behind.) A window
 * where the control did not get the short delay (PACED_READER_MAX events
 * a datagram or fewer) cannot tell a held stream from one that is not.
 * The burst runs PACED_TRIES times at most, until a window that can tell
 * shows the hold: on a debug kernel the reader's own time on the CPU can
 * stall the burst past the short delay, and a stalled batch rightly goes.
 * Without the hold no window can show it: the filling listener then gets
 * the control's shape in every one. The span is checked in every window.
 */
TEST_F_TIMEOUT(batch, filling_listener_gets_fuller_batches, 120)
{
	struct paced f = { 0 }, r = { 0 }, jf = { 0 }, jr = { 0 };
	struct plog *fill, *reader;
	int cpus[2], status, try, judged = 0;
	int ready[2];
	pid_t pid, rd;
	long long us;
	char c;

	two_cpus(_metadata, cpus);
	fill = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM);
	reader = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM | PROC_EVENT_EXIT);
	for (try = 1; try <= PACED_TRIES; try++) {
		/* Nothing queued on either: neither is filling up yet. */
		pl_drain(fill);
		pl_drain(reader);
		memset(&fill->st, 0, sizeof(fill->st));
		memset(&reader->st, 0, sizeof(reader->st));
		ASSERT_EQ(0, pipe(ready));
		rd = fork();
		ASSERT_LE(0, rd);
		if (rd == 0) {
			struct sched_param sp = { .sched_priority = 1 };

			/* Not a listener that reads: the filling one stays unread. */
			close(fill->fd);
			prctl(PR_SET_PDEATHSIG, SIGKILL);

			/* Ready once it runs where it must; reads until the events stop. */
			close(ready[0]);
			if (cn_pin(cpus[0]) || sched_setscheduler(0, SCHED_FIFO, &sp) ||
			    write(ready[1], "r", 1) != 1)
				_exit(1);
			close(ready[1]);
			do
				status = pl_recv(reader, QUIET_MS * 3);
			while (status > 0);
			_exit(status < 0);
		}
		close(ready[1]);
		ASSERT_EQ(1, read(ready[0], &c, 1))
			TH_LOG("the reader could not run on cpu %d under SCHED_FIFO", cpus[0]);
		close(ready[0]);
		comm_gap_us = PACED_GAP_US;
		us = comm_burst(PACED_COMMS, cpus[0], &pid);
		comm_gap_us = 0;
		ASSERT_EQ(rd, waitpid(rd, &status, 0));
		ASSERT_EQ(0, status) TH_LOG("the reader failed");
		ASSERT_LE(0, us);
		/*
		 * What came after the reader gave up (a stall longer than
		 * its wait): the control was behind by then, and what the
		 * kernel sent it still counts, as sent.
		 */
		pl_drain(reader);
		pl_drain(fill);
		paced_shape(fill, pid, &f);
		paced_shape(reader, pid, &r);
		TH_LOG("try %d: %d comm changes %d us apart on cpu %d in %lld us",
		       try, PACED_COMMS, PACED_GAP_US, cpus[0], us);
		TH_LOG("try %d: %d gaps of %lld us or more", try, f.quiet, PACED_QUIET_NS / 1000);
		TH_LOG("try %d: filling: %d datagrams, %.1f events each, %lld ms at most",
		       try, f.dgrams, f.avg, f.span_ns / 1000000);
		TH_LOG("try %d: control: %d datagrams, %.1f events each", try, r.dgrams, r.avg);
		ASSERT_EQ(PACED_COMMS, f.events);
		ASSERT_EQ(PACED_COMMS, r.events);
		pl_expect_clean(_metadata, "filling", fill);
		pl_expect_clean(_metadata, "reading", reader);
		EXPECT_GE(PACED_SPAN_MAX_NS, f.span_ns)
			TH_LOG("a batch was held past the longest delay");
		if (r.avg > PACED_READER_MAX)
			continue;
		judged++;
		jf = f;
		jr = r;
		if (jf.avg >= PACED_FILL_MIN && jf.avg >= PACED_FILL_TIMES * jr.avg)
			break;
	}
	ASSERT_LT(0, judged)
		TH_LOG("in %d tries the control never got the short delay: too busy to tell",
		       PACED_TRIES);
	TH_LOG("%d windows could tell; the last of them is judged", judged);
	EXPECT_LE(PACED_FILL_MIN, jf.avg)
		TH_LOG("a filling listener's batches were not held");
	EXPECT_LE(PACED_FILL_TIMES * jr.avg, jf.avg)
		TH_LOG("a filling listener got no fuller batches than one that keeps up");
}

#define SWITCH_COMMS	1000

/*
 * After IGNORE, a socket that got batches gets no event, not even of a
 * burst that would fill batches.
 */
TEST_F_TIMEOUT(batch, ignore_ends_batches, 120)
{
	struct plog *b, *leg;
	int cpu, kept;
	pid_t pid;

	first_cpu(_metadata, &cpu);
	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_ALL);
	leg = OPEN(BUF_BIG, LEGACY, PROC_EVENT_ALL);
	/* Positive control: before IGNORE, the socket gets batches. */
	ASSERT_LE(0, comm_burst(SWITCH_COMMS, cpu, &pid));
	ASSERT_TRUE(pl_await_comm(b, pid, SWITCH_COMMS - 1));
	pl_log_shape(_metadata, "batched", b);
	ASSERT_LT(0, b->st.multi) TH_LOG("positive control: no batch before IGNORE");
	ASSERT_EQ(0, pl_request(b, PROC_CN_MCAST_IGNORE, 0));
	/* What was on its way before the acknowledgment. */
	pl_drain(b);
	kept = b->st.n;

	ASSERT_LE(0, comm_burst(SWITCH_COMMS, cpu, &pid));
	ASSERT_TRUE(pl_await_comm(leg, pid, SWITCH_COMMS - 1));
	pl_drain(leg);
	EXPECT_EQ(0, comm_check(_metadata, "legacy", leg, pid, SWITCH_COMMS, cpu));
	pl_drain(b);
	EXPECT_EQ(kept, b->st.n) TH_LOG("%d events after IGNORE", b->st.n - kept);
	pl_expect_clean(_metadata, "ignored", b);
}

/* A legacy LISTEN on a batched socket turns batches off. */
TEST_F_TIMEOUT(batch, legacy_listen_ends_batches, 120)
{
	struct plog *b;
	int cpu;
	pid_t pid;

	first_cpu(_metadata, &cpu);
	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_COMM);
	ASSERT_LE(0, comm_burst(SWITCH_COMMS, cpu, &pid));
	ASSERT_TRUE(pl_await_comm(b, pid, SWITCH_COMMS - 1));
	pl_drain(b);
	pl_log_shape(_metadata, "batched", b);
	pl_expect_clean(_metadata, "batched", b);
	EXPECT_EQ(0, comm_check(_metadata, "batched", b, pid, SWITCH_COMMS, cpu));
	ASSERT_LT(0, b->st.multi) TH_LOG("positive control: no batch before the LISTEN");

	ASSERT_EQ(0, pl_request(b, PROC_CN_MCAST_LISTEN, PROC_EVENT_COMM));
	/* Batches already on their way before the acknowledgment. */
	pl_drain(b);
	memset(&b->st, 0, sizeof(b->st));
	/* The same burst: it would come in batches if they were still on. */
	ASSERT_LE(0, comm_burst(SWITCH_COMMS, cpu, &pid));
	ASSERT_TRUE(pl_await_comm(b, pid, SWITCH_COMMS - 1));
	pl_drain(b);
	pl_log_shape(_metadata, "after LISTEN", b);
	pl_expect_clean(_metadata, "after LISTEN", b);
	EXPECT_EQ(0, comm_check(_metadata, "after LISTEN", b, pid, SWITCH_COMMS, cpu));
	EXPECT_EQ(0, b->st.not_single)
		TH_LOG("%d of %d datagrams were not one %zu-byte message",
		       b->st.not_single, b->st.dgrams, (size_t)PE_MSG_LEN);
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

/* forkstat, a legacy listener, works while a batched listener listens. */
TEST_F_TIMEOUT(batch, forkstat_alongside, 120)
{
	static char out[1 << 16];
	const struct rec *x;
	int base, n, fd, status;
	long long deadline;
	struct plog *b;
	pid_t fs, pid;
	ssize_t len;
	bool seen;

	ASSERT_EQ(0, access(FORKSTAT, X_OK))
		TH_LOG("%s is missing: the guest always has forkstat", FORKSTAT);
	b = OPEN(BUF_BIG, BATCH, PROC_EVENT_ALL);
	fd = memfd_create("forkstat", MFD_CLOEXEC);
	ASSERT_LE(0, fd);
	base = pe_listeners();
	fs = fork();
	ASSERT_LE(0, fs);
	if (fs == 0) {
		if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		execl(FORKSTAT, "forkstat", "-e", "fork,exec,exit", "-D", "3", "-l",
		      (char *)NULL);
		_exit(127);
	}
	/* forkstat listens once it is counted as one listener more. */
	n = base;
	deadline = now_ms() + 10000;
	while (base >= 0 && n <= base && now_ms() < deadline) {
		usleep(10000);
		n = pe_listeners();
	}
	if (base < 0) {
		TH_LOG("%s unreadable: giving forkstat 1.5 s to start", STATS_FILE);
		usleep(1500000);
	} else if (n <= base) {
		TH_LOG("forkstat not counted as a listener within 10 s; going on");
	}

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec sleep 0.3", (char *)NULL);
		_exit(127);
	}
	EXPECT_EQ(0, reap(pid));
	ASSERT_TRUE(pl_await(b, PROC_EVENT_EXIT, pid));
	status = reap_within(fs, STEP_MS);
	pl_drain(b);
	len = pread(fd, out, sizeof(out) - 1, 0);
	close(fd);
	ASSERT_LE(0, len);
	out[len] = '\0';

	EXPECT_EQ(0, status) TH_LOG("forkstat wait status 0x%x", status);
	seen = forkstat_has(out, "fork", pid, "child") && forkstat_has(out, "exec", pid, NULL) &&
	       forkstat_has(out, "exit", pid, "0");
	EXPECT_TRUE(seen) TH_LOG("no fork, exec and exit lines of %d; forkstat said:\n%.4000s",
				 pid, out);
	/* The batched listener got them too. */
	pl_expect_clean(_metadata, "batched", b);
	EXPECT_EQ(1, pl_count(b, PROC_EVENT_FORK, pid));
	EXPECT_LE(1, pl_count(b, PROC_EVENT_EXEC, pid));
	EXPECT_EQ(1, pl_count(b, PROC_EVENT_EXIT, pid));
	x = pl_find(b, PROC_EVENT_EXIT, pid);
	if (x)
		EXPECT_EQ(0, x->ev.event_data.exit.exit_code);
}

#define NS_CHILDREN	30
#define NS_COMMS	1000

/* Where the process in the pid namespace stopped, its exit status. */
enum {
	NS_OK, NS_UNSHARE, NS_FORK, NS_PIN, NS_LISTEN, NS_GO, NS_SPAWN,
	NS_REAP, NS_COMM, NS_EVENTS, NS_KILLED, NS_NR
};

static const char *const ns_steps[NS_NR] = {
	"ok", "unshare(CLONE_NEWPID)", "fork into the namespace", "pin to a CPU",
	"LISTEN_BATCH", "wait for the test", "fork a child", "reap a child",
	"change its name", "receive its events", "killed",
};

/* What the namespace's first process shares with the test. */
struct ns_share {
	int ready, go;
	pid_t b_host;		/* its pid on the host */
	pid_t np[NS_CHILDREN];	/* its children, namespace pids */
	int st[NS_CHILDREN];	/* their wait status */
	struct plog log;	/* what its listener read */
};

/* What child @i in the namespace does: every tenth runs /bin/true. */
static int ns_code(int i)
{
	return i % 10 ? 1 + i % 50 : -1;
}

/*
 * Pid 1 of the new namespace: listens with batches, waits for the test,
 * runs a few children and then a burst of comm changes of its own (forks
 * are too slow to fill batches) without reading, then reads everything.
 */
static int ns_body(struct ns_share *s, int cpu)
{
	long long deadline = now_ms() + STEP_MS;
	int i;

	if (cn_pin(cpu))
		return NS_PIN;
	if (pl_listen(&s->log, BUF_BIG, BATCH, PROC_EVENT_ALL))
		return NS_LISTEN;
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE)) {
		if (now_ms() > deadline)
			return NS_GO;
		usleep(1000);
	}
	for (i = 0; i < NS_CHILDREN; i++) {
		s->np[i] = spawn(ns_code(i));
		if (s->np[i] < 0)
			return NS_SPAWN;
		s->st[i] = reap(s->np[i]);
		if (s->st[i] < 0)
			return NS_REAP;
	}
	if (comm_loop(NS_COMMS) < 0)
		return NS_COMM;
	if (!pl_await(&s->log, PROC_EVENT_EXIT, s->np[NS_CHILDREN - 1]) ||
	    !pl_await_comm(&s->log, 1, NS_COMMS - 1))
		return NS_EVENTS;
	pl_drain(&s->log);
	return NS_OK;
}

/* Between the test and the namespace: makes it, and reports how it ended. */
static void ns_helper(struct ns_share *s, int cpu)
{
	int status;
	pid_t b;

	if (unshare(CLONE_NEWPID))
		_exit(NS_UNSHARE);
	b = fork();
	if (b < 0)
		_exit(NS_FORK);
	if (b == 0)
		_exit(ns_body(s, cpu));
	s->b_host = b;
	if (waitpid(b, &status, 0) != b || !WIFEXITED(status))
		_exit(NS_KILLED);
	_exit(WEXITSTATUS(status));
}

/*
 * A batched listener in a child pid namespace gets the events of its
 * namespace only, in namespace pids, batched; a host batched listener
 * gets the same workload and comm burst in host pids, and a host child
 * the namespace does not show (positive control).
 */
TEST_F_TIMEOUT(batch, pid_namespace_listener, 180)
{
	int cpu, status, i, k, foreign = 0, bad = 0, forks = 0, h_bad = 0;
	static pid_t hp[NS_CHILDREN];
	long long deadline;
	struct plog *h, *l;
	struct ns_share *s;
	struct runs r;
	bool ready, hc_seen = false;
	pid_t a, hc = -1;

	if (geteuid())
		SKIP(return, "needs root for CLONE_NEWPID");
	first_cpu(_metadata, &cpu);
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, s);
	l = &s->log;
	l->fd = -1;
	h = OPEN(BUF_BIG, BATCH, PROC_EVENT_ALL);
	a = fork();
	ASSERT_LE(0, a);
	if (a == 0)
		ns_helper(s, cpu);

	deadline = now_ms() + STEP_MS;
	while (!(ready = __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE)) &&
	       now_ms() < deadline && !has_exited(a))
		usleep(1000);
	if (ready) {
		/* While the namespace listens: a host task it does not show. */
		hc = spawn(0);
		hc_seen = hc > 0 && !reap(hc) && pl_await(h, PROC_EVENT_EXIT, hc);
		__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	} else if (s->b_host > 0) {
		kill(s->b_host, SIGKILL);
	}
	status = reap_within(a, ready ? 6 * STEP_MS : STEP_MS);
	if (status == -1 && s->b_host > 0)
		kill(s->b_host, SIGKILL);
	ASSERT_TRUE(ready && WIFEXITED(status) && WEXITSTATUS(status) == NS_OK)
		TH_LOG("in the namespace: failed at \"%s\" (status 0x%x)",
		       WIFEXITED(status) && WEXITSTATUS(status) < NS_NR ?
		       ns_steps[WEXITSTATUS(status)] : "?", status);
	ASSERT_TRUE(hc_seen) TH_LOG("positive control: no exit event of host child %d", hc);
	/* comm_check() below tells whether all of it came. */
	pl_await_comm(h, s->b_host, NS_COMMS - 1);
	pl_drain(h);

	/* The namespace's listener: its tasks, its numbers, batched. */
	pl_log_shape(_metadata, "namespace", l);
	pl_expect_clean(_metadata, "namespace", l);
	EXPECT_LT(0, l->st.multi) TH_LOG("namespace: no datagram held more than one event");
	EXPECT_EQ(0, comm_check(_metadata, "namespace", l, 1, NS_COMMS, cpu));
	pl_runs(_metadata, "namespace", l, &r);
	EXPECT_EQ(0, r.breaks);
	for (i = 0; i < l->st.n; i++) {
		const struct proc_event *ev = &l->recs[i].ev;
		pid_t pid = ev_pid(ev);

		for (k = 0; k < NS_CHILDREN && s->np[k] != pid; k++)
			;
		if (pid != 1 && k == NS_CHILDREN && !foreign++)
			TH_LOG("namespace: event 0x%x about pid %d, not of the namespace",
			       ev->what, pid);
		if (ev->what == PROC_EVENT_FORK) {
			forks++;
			bad += ev->event_data.fork.parent_pid != 1 ||
			       ev->event_data.fork.parent_tgid != 1;
		}
	}
	EXPECT_EQ(0, foreign);
	EXPECT_EQ(NS_CHILDREN, forks) TH_LOG("namespace: fork events of others");
	EXPECT_EQ(0, bad) TH_LOG("namespace: forks whose parent is not its pid 1");
	for (i = 0; i < NS_CHILDREN; i++) {
		const struct rec *x = pl_find(l, PROC_EVENT_EXIT, s->np[i]);
		bool ok;

		ok = pl_count(l, PROC_EVENT_FORK, s->np[i]) == 1 && x &&
		     pl_count(l, PROC_EVENT_EXIT, s->np[i]) == 1 &&
		     x->ev.event_data.exit.exit_code == (__u32)s->st[i] &&
		     (ns_code(i) < 0) == (pl_count(l, PROC_EVENT_EXEC, s->np[i]) > 0);
		if (!ok && !h_bad)
			TH_LOG("namespace: child %d (pid %d) not reported as it ran", i, s->np[i]);
		h_bad += !ok;
	}
	EXPECT_EQ(0, h_bad);

	/*
	 * The host listener: the same children in host pids. Their forks are
	 * all on the CPU their parent is pinned to, so in order.
	 */
	pl_log_shape(_metadata, "host", h);
	pl_expect_clean(_metadata, "host", h);
	ASSERT_NE(NULL, pl_find(h, PROC_EVENT_FORK, hc)) TH_LOG("positive control: host child");
	EXPECT_EQ(0, comm_check(_metadata, "host", h, s->b_host, NS_COMMS, cpu));
	for (i = 0, k = 0; i < h->st.n; i++) {
		const struct proc_event *ev = &h->recs[i].ev;

		if (ev->what == PROC_EVENT_FORK && ev->event_data.fork.parent_tgid == s->b_host &&
		    k < NS_CHILDREN)
			hp[k++] = ev->event_data.fork.child_pid;
	}
	ASSERT_EQ(NS_CHILDREN, k) TH_LOG("host: forks of the namespace's pid 1 (host pid %d)",
					 s->b_host);
	for (i = 0, h_bad = 0; i < NS_CHILDREN; i++) {
		const struct rec *x = pl_find(h, PROC_EVENT_EXIT, hp[i]);
		bool ok;

		ok = x && x->ev.event_data.exit.exit_code == (__u32)s->st[i] &&
		     (ns_code(i) < 0) == (pl_count(h, PROC_EVENT_EXEC, hp[i]) > 0);
		if (!ok && !h_bad)
			TH_LOG("host: child %d (pid %d, %d in the namespace) not as it ran",
			       i, hp[i], s->np[i]);
		h_bad += !ok;
	}
	EXPECT_EQ(0, h_bad);
	munmap(s, sizeof(*s));
}

TEST_HARNESS_MAIN
