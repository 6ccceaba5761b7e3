// SPDX-License-Identifier: GPL-2.0
/*
 * cnbench - the connector workloads of "make bench", run inside the guest.
 *
 * Prints one line per figure: "BENCH <name> <value> <unit>". Under QEMU
 * with -icount shift=0,sleep=off guest time counts instructions, so a rate
 * "per second" is per 10^9 guest instructions and repeats closely; every
 * figure is the best of several runs after a warm-up run.
 *
 * Usage: cnbench [N [SET]]. N scales the workloads (default 400). SET
 * "churn" runs only the control message churn (for the boot with two
 * vCPUs); without SET, $CNBENCH_ONLY decides, so that the host can choose
 * from the kernel command line (the kernel hands NAME=value words to
 * init's environment).
 *
 * What a kernel cannot do gets no line: listening with batches (stock
 * 6.12 answers EINVAL or nothing), listening from another pid or network
 * namespace (stock ignores it, or has no connector there) and several
 * messages in one datagram (stock dispatches the first only) are tried
 * first, and their figures are left out where that fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#define RUNS		5
#define CN_TEST_IDX	(CN_NETLINK_USERS + 3)
#define CN_TEST_VAL	0x456
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * PROC_CN_MCAST_LISTEN_BATCH. This program is also built against the
 * headers of stock 6.12, which do not have it.
 */
#define LISTEN_BATCH	3

#define ACK_WAIT_MS	200		/* replies are sent from the send() */
#define READER_RCVBUF	(4 << 20)	/* readers measure cost, not loss */
#define CHURN_RCVBUF	16384		/* holds the acks of CHURN_FLUSH sends */
#define CHURN_FLUSH	16
#define CHURN_PAIRS	400		/* LISTEN/IGNORE pairs in one datagram */
#define BURST_FORKS	2000		/* "kept_of_4000": a fork and an exit each */
#define LAT_FORKS	500
#define LAT_GAP_NS	1000000LL	/* the paced latency run: a fork a ms */
#define CONTAINER	(CLONE_NEWPID | CLONE_NEWNET)

#define CTL_SPACE	NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(struct proc_input))
/* Buffers of netlink messages are arrays of headers, for their alignment. */
#define NL_HDRS(bytes)	(((bytes) + sizeof(struct nlmsghdr) - 1) / sizeof(struct nlmsghdr))

static struct nlmsghdr buf[NL_HDRS(1 << 16)];
static unsigned int cookie_next = 0x10000;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The clock of proc_event.timestamp_ns (ktime_get_ns()). */
static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void report(const char *name, double value, const char *unit)
{
	printf("BENCH %s %.1f %s\n", name, value, unit);
	fflush(stdout);
}

/*
 * The ack field of control messages: unique in the run, since stock 6.12
 * broadcasts its acknowledgments to every listener taking all events.
 */
static unsigned int next_cookies(unsigned int n)
{
	cookie_next += n;
	return cookie_next - n;
}

/* A connector socket, bound, in @group (0: none); -1 on error. */
static int nl_open(int group, int rcvbuf)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);

	if (fd < 0)
		return -1;
	if (rcvbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		perror("SO_RCVBUFFORCE");
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    (group && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				 &group, sizeof(group)))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int nl_socket(int group, int rcvbuf)
{
	int fd = nl_open(group, rcvbuf);

	if (fd < 0) {
		perror("connector socket");
		exit(1);
	}
	return fd;
}

/* Lay out one netlink message with a cn_msg at @out; returns its space. */
static int pack_msg(void *out, unsigned int idx, unsigned int val,
		    unsigned int seq, unsigned int ack, const void *data,
		    unsigned short len)
{
	struct nlmsghdr *nlh = out;
	struct cn_msg *msg = NLMSG_DATA(nlh);

	memset(out, 0, NLMSG_SPACE(sizeof(*msg) + len));
	msg->id.idx = idx;
	msg->id.val = val;
	msg->seq = seq;
	msg->ack = ack;
	msg->len = len;
	memcpy(msg->data, data, len);
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*msg) + len);
	nlh->nlmsg_type = NLMSG_DONE;
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

static int nl_sendto(int fd, const void *data, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	return sendto(fd, data, len, 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) < 0 ? -1 : 0;
}

static void nl_send(int fd, unsigned int idx, unsigned int val, unsigned int seq,
		    const void *data, unsigned short len)
{
	struct nlmsghdr out[NL_HDRS(NLMSG_SPACE(sizeof(struct cn_msg) + 256))];

	if (nl_sendto(fd, out, pack_msg(out, idx, val, seq, 0, data, len)))
		perror("sendto");
}

/* A process events control message; its seq and ack fields are @cookie. */
static int proc_ctl(int fd, unsigned int op, unsigned int mask, unsigned int cookie)
{
	struct proc_input in = { .mcast_op = op, .event_type = mask };
	struct nlmsghdr out[NL_HDRS(CTL_SPACE)];

	return nl_sendto(fd, out, pack_msg(out, CN_IDX_PROC, CN_VAL_PROC, cookie,
					   cookie, &in, sizeof(in)));
}

/*
 * The process event in @nlh, copied out (it is not 8-byte aligned in the
 * datagram); returns its cn_msg, or NULL when @nlh holds no event.
 */
static const struct cn_msg *proc_event_of(const struct nlmsghdr *nlh,
					  struct proc_event *ev)
{
	const struct cn_msg *msg = NLMSG_DATA(nlh);

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg) + sizeof(*ev)) ||
	    msg->id.idx != CN_IDX_PROC || msg->id.val != CN_VAL_PROC ||
	    msg->len < sizeof(*ev))
		return NULL;
	memcpy(ev, msg->data, sizeof(*ev));
	return msg;
}

/*
 * Wait up to @ms for the acknowledgments of the @n (at most 64) control
 * messages whose ack fields were @cookie, @cookie + 1, ...: an
 * acknowledgment carries its request's ack plus one (stock 6.12 replaces
 * the seq but keeps that). Their errors go to @err, if not NULL. Returns
 * how many came.
 */
static int collect_acks(int fd, unsigned int cookie, int n, int *err, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long end = now_ns() + ms * 1000000LL, left;
	unsigned long long seen = 0;
	struct nlmsghdr *nlh;
	struct proc_event ev;
	int got = 0, len;

	while (got < n) {
		left = end - now_ns();
		if (left <= 0 || poll(&pfd, 1, left / 1000000 + 1) != 1)
			break;
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno != ENOBUFS && errno != EAGAIN)
			break;
		for (nlh = buf; len > 0 && NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			const struct cn_msg *msg = proc_event_of(nlh, &ev);
			unsigned int i = msg ? msg->ack - 1 - cookie : n;

			if (i >= (unsigned int)n || ev.what != PROC_EVENT_NONE ||
			    (seen >> i & 1))
				continue;
			seen |= 1ULL << i;
			if (err)
				err[i] = ev.event_data.ack.err;
			got++;
		}
	}
	return got;
}

/* The error in the acknowledgment of control message @cookie; -1: none. */
static int wait_ack(int fd, unsigned int cookie, int ms)
{
	int err;

	return collect_acks(fd, cookie, 1, &err, ms) ? err : -1;
}

/* Count (and discard) what is queued on @fd, waiting @ms for more. */
static long drain(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long n = 0;

	while (poll(&pfd, 1, ms) == 1) {
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (len > 0)
			n++;
		else if (len < 0 && errno != ENOBUFS)
			break;
	}
	return n;
}

/* Read and drop what is queued on @fd, without waiting. */
/* Read and drop what @fd holds; returns the datagrams read. */
static long flush_socket(int fd)
{
	long n = 0;
	int len;

	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0 || errno == ENOBUFS)
		n += len >= 0;
	return n;
}

/* Count the events of types @what on @fd, per message, waiting @ms for more. */
static long count_events(int fd, unsigned int what, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh;
	struct proc_event ev;
	long n = 0;
	int len;

	while (poll(&pfd, 1, ms) == 1) {
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0 && errno != ENOBUFS && errno != EAGAIN)
			break;
		for (nlh = buf; len > 0 && NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			if (proc_event_of(nlh, &ev) && (ev.what & what))
				n++;
	}
	return n;
}

static int listener(unsigned int mask, int rcvbuf)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, mask };
	int fd = nl_socket(CN_IDX_PROC, rcvbuf);

	nl_send(fd, CN_IDX_PROC, CN_VAL_PROC, 1, &in, sizeof(in));
	drain(fd, 50);
	return fd;
}

/* A socket of this process listening with batches; -1 when refused. */
static int batched_listener(unsigned int mask, int rcvbuf)
{
	unsigned int cookie = next_cookies(1);
	int fd = nl_socket(CN_IDX_PROC, rcvbuf);

	if (proc_ctl(fd, LISTEN_BATCH, mask, cookie) == 0 &&
	    wait_ack(fd, cookie, ACK_WAIT_MS) == 0)
		return fd;
	close(fd);
	return -1;
}

/*
 * Whether a kernel has process events at all (the PROC_EVENTS=n floor has
 * not): a LISTEN for everything is acknowledged, to the sender (ours) or
 * to the group (stock).
 */
static bool proc_events_present(void)
{
	unsigned int cookie = next_cookies(2);
	int fd = nl_socket(CN_IDX_PROC, 0);
	bool yes;

	yes = proc_ctl(fd, PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL, cookie) == 0 &&
	      wait_ack(fd, cookie, ACK_WAIT_MS) >= 0;
	/* Stock 6.12 does not count a listener down when its socket closes. */
	proc_ctl(fd, PROC_CN_MCAST_IGNORE, 0, cookie + 1);
	close(fd);
	return yes;
}

/* Processes per second that fork and exit (or exec /bin/true first). */
static double spawn_rate(int n, int exec)
{
	double t0 = now();
	int i;

	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			if (exec)
				execl("/bin/true", "true", NULL);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	return n / (now() - t0);
}

/*
 * Whether @fd hears of a child this process forks: the proof that a
 * listener the kernel acknowledged gets events where it is (a namespaced
 * one gets none of the workload's, which runs outside its namespace).
 */
static bool hears_own_fork(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	long long end = now_ns() + 2000 * 1000000LL;
	struct nlmsghdr *nlh;
	struct proc_event ev;
	pid_t pid = fork();
	int len;

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return false;
	waitpid(pid, NULL, 0);
	while (now_ns() < end && poll(&pfd, 1, 100) >= 0) {
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		for (nlh = buf; len > 0 && NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len))
			if (proc_event_of(nlh, &ev) && ev.what == PROC_EVENT_FORK &&
			    ev.event_data.fork.child_tgid == pid)
				return true;
	}
	return false;
}

struct lproc_args {
	unsigned int op;
	unsigned int mask;
	unsigned int cookie;
	int rcvbuf;
	bool checked;	/* acknowledged without error, hears its own fork */
	int ready;	/* gets 'y' once listening */
};

/* A listener in a process of its own: it reads all it gets until killed. */
static int lproc_main(void *data)
{
	const struct lproc_args *a = data;
	int fd = nl_open(CN_IDX_PROC, a->rcvbuf);
	char ok = 'n';

	if (fd >= 0 && proc_ctl(fd, a->op, a->mask, a->cookie) == 0) {
		if (!a->checked) {
			drain(fd, 50);
			ok = 'y';
		} else if (wait_ack(fd, a->cookie, ACK_WAIT_MS) == 0 &&
			   hears_own_fork(fd)) {
			ok = 'y';
		}
	}
	if (write(a->ready, &ok, 1) != 1 || ok != 'y')
		return 1;
	while (recv(fd, buf, sizeof(buf), 0) >= 0 || errno == ENOBUFS || errno == EINTR)
		;
	return 1;
}

/*
 * Start a listener process, pid 1 of new namespaces if @clone_flags asks
 * for them. Returns its pid once it listens, or -1 when it could not.
 */
static pid_t lproc_start(unsigned int op, unsigned int mask, bool checked,
			 int rcvbuf, int clone_flags)
{
	/* No CLONE_VM: each child has its own copy; clone() aligns it. */
	static char stack[256 << 10];
	struct lproc_args a = { op, mask, next_cookies(1), rcvbuf, checked };
	int pipefd[2];
	char ok = 'n';
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	a.ready = pipefd[1];
	pid = clone(lproc_main, stack + sizeof(stack), clone_flags | SIGCHLD, &a);
	if (pid < 0)
		perror("clone");
	close(pipefd[1]);
	if (pid > 0 && (read(pipefd[0], &ok, 1) != 1 || ok != 'y')) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pipefd[0]);
	return pid;
}

static void lproc_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/*
 * A scenario of the fork rates. Sockets of this process are read after the
 * timed run, from a receive buffer that holds all they get; readers are
 * processes of their own that read all the time; isolated listeners are
 * each pid 1 of new namespaces and hear nothing of the workload, which
 * runs in the initial ones.
 */
struct scenario {
	const char *name;
	unsigned int mask;
	int listeners;		/* sockets of this process */
	int readers;		/* listener processes, reading */
	bool batched;		/* the readers ask for batches */
	int isolated;		/* listener processes in new namespaces */
	int ns_flags;		/* which namespaces */
	int killed;		/* listeners killed without IGNORE before */
	bool fork_only;		/* no fork_exec_exit figure */
};

static const struct scenario scenarios[] = {
	{ "no_listener", 0 },
	{ "1_listener_all", PROC_EVENT_ALL, .listeners = 1 },
	{ "4_listeners_all", PROC_EVENT_ALL, .listeners = 4 },
	{ "5_listeners_all", PROC_EVENT_ALL, .listeners = 5 },
	{ "16_listeners_all", PROC_EVENT_ALL, .listeners = 16 },
	{ "1_listener_exec_only", PROC_EVENT_EXEC, .listeners = 1 },
	{ "1_listener_nonzero_exit", PROC_EVENT_NONZERO_EXIT, .listeners = 1 },
	{ "after_4_killed_listeners", PROC_EVENT_ALL, .killed = 4 },
	{ "1_listener_child_pidns", PROC_EVENT_ALL,
	  .isolated = 1, .ns_flags = CLONE_NEWPID },
	{ "4_listeners_4_containers", PROC_EVENT_ALL,
	  .isolated = 4, .ns_flags = CONTAINER },
	{ "host_plus_4_containers", PROC_EVENT_ALL, .listeners = 1,
	  .isolated = 4, .ns_flags = CONTAINER },
	{ "1_listener_all_reading", PROC_EVENT_ALL, .readers = 1, .fork_only = true },
	{ "4_listeners_all_reading", PROC_EVENT_ALL, .readers = 4, .fork_only = true },
	{ "16_listeners_all_reading", PROC_EVENT_ALL, .readers = 16, .fork_only = true },
	{ "1_listener_all_batched", PROC_EVENT_ALL, .readers = 1, .batched = true,
	  .fork_only = true },
	{ "4_listeners_all_batched", PROC_EVENT_ALL, .readers = 4, .batched = true,
	  .fork_only = true },
	{ "16_listeners_all_batched", PROC_EVENT_ALL, .readers = 16, .batched = true,
	  .fork_only = true },
};

/* Four processes listen for everything, then die without IGNORE. */
static void kill_listeners(int n)
{
	pid_t pids[16];
	int i;

	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			listener(PROC_EVENT_ALL, 0);
			pause();
			_exit(0);
		}
	}
	usleep(200 * 1000);
	for (i = 0; i < n; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/*
 * The rate of one scenario: its listeners set up, measured, taken down;
 * -1 when one of them could not listen.
 */
static double run_scenario(const struct scenario *sc, int n, int exec)
{
	pid_t pids[32];
	int fds[16], nproc = 0, i;
	double r = -1;

	if (sc->killed)
		kill_listeners(sc->killed);
	/* Processes first, so that they do not hold this process's sockets. */
	for (i = 0; i < sc->isolated; i++) {
		pids[nproc] = lproc_start(PROC_CN_MCAST_LISTEN, sc->mask, true, 0,
					  sc->ns_flags);
		if (pids[nproc] < 0)
			goto out;
		nproc++;
	}
	for (i = 0; i < sc->readers; i++) {
		pids[nproc] = lproc_start(sc->batched ? LISTEN_BATCH : PROC_CN_MCAST_LISTEN,
					  sc->mask, sc->batched, READER_RCVBUF, 0);
		if (pids[nproc] < 0)
			goto out;
		nproc++;
	}
	for (i = 0; i < sc->listeners; i++)
		fds[i] = listener(sc->mask, 32 << 20);
	r = spawn_rate(exec ? n / 2 : n, exec);
	for (i = 0; i < sc->listeners; i++) {
		drain(fds[i], 0);
		close(fds[i]);
	}
out:
	for (i = 0; i < nproc; i++)
		lproc_stop(pids[i]);
	/*
	 * What dead listeners used is freed later, by workers and RCU (ours
	 * keeps an idle view, and with it its namespaces, for a second): let
	 * that happen now rather than in the next scenario's timed run.
	 */
	if (nproc)
		usleep(sc->isolated ? 1500 * 1000 : 50 * 1000);
	return r;
}

/*
 * Rounds over all scenarios, best of each: interleaving keeps slow drifts
 * of the guest (memory, pid numbers) from favouring whichever comes first.
 */
static void bench_spawn(int n)
{
	enum { NSC = ARRAY_SIZE(scenarios) };
	double best[NSC][2] = { { 0 } }, r;
	bool cannot[NSC] = { false };
	int round, s, exec;

	for (round = 0; round <= RUNS; round++) {
		for (s = 0; s < NSC; s++) {
			for (exec = 0; exec < 2; exec++) {
				if (cannot[s] || (exec && scenarios[s].fork_only))
					continue;
				r = run_scenario(&scenarios[s], n, exec);
				if (r < 0) {
					cannot[s] = true;
					fprintf(stderr, "cnbench: %s: refused here\n",
						scenarios[s].name);
				} else if (round && r > best[s][exec]) {
					best[s][exec] = r;	/* round 0 warms up */
				}
			}
		}
	}
	for (s = 0; s < NSC; s++) {
		for (exec = 0; exec < 2; exec++) {
			char name[96];

			if (cannot[s] || (exec && scenarios[s].fork_only))
				continue;
			snprintf(name, sizeof(name), "%s/%s",
				 exec ? "fork_exec_exit" : "fork_exit",
				 scenarios[s].name);
			report(name, best[s][exec], "per_s");
		}
	}
}

/*
 * One listener reading as fast as it can while processes fork and exit
 * as fast as they can: the events it received per second, and how many
 * it lost. Then a burst it cannot keep up with, read only afterwards.
 */
static void bench_delivery(int n)
{
	int pipefd[2], fd, i;
	long got = 0, lost;
	double t0, t1;
	pid_t reader;

	if (pipe(pipefd))
		exit(1);
	reader = fork();
	if (reader == 0) {
		fd = listener(PROC_EVENT_FORK | PROC_EVENT_EXIT, 0);
		if (write(pipefd[1], "r", 1) != 1)
			_exit(1);
		got = drain(fd, 2000);
		if (write(pipefd[1], &got, sizeof(got)) != sizeof(got))
			_exit(1);
		_exit(0);
	}
	if (read(pipefd[0], buf, 1) != 1)
		exit(1);
	t0 = now();
	spawn_rate(n, 0);
	t1 = now();
	if (read(pipefd[0], &got, sizeof(got)) != sizeof(got))
		exit(1);
	waitpid(reader, NULL, 0);
	lost = 2L * n - got;
	report("delivery/events_received", got / (t1 - t0), "per_s");
	report("delivery/events_lost", lost < 0 ? 0 : lost, "events");

	/* The burst: default receive buffer, nobody reading. */
	fd = listener(PROC_EVENT_FORK | PROC_EVENT_EXIT, 0);
	spawn_rate(n, 0);
	got = drain(fd, 100);
	close(fd);
	report("burst/events_lost_pct", 100.0 * (2L * n - got) / (2L * n), "pct");
	for (i = 0; i < 2; i++)
		close(pipefd[i]);
}

/*
 * Burst capacity: a listener with the default receive buffer that does not
 * read while BURST_FORKS processes fork and exit, then drains: how many of
 * the events it kept, one event a datagram and with batches. A batch that
 * is not full goes out at most 100 ms late: the drain waits longer.
 */
static void bench_burst_kept(void)
{
	const unsigned int mask = PROC_EVENT_FORK | PROC_EVENT_EXIT;
	long best[2] = { 0 }, kept;
	bool batched = true;
	int round, fd[2], i;

	for (round = 0; round <= RUNS; round++) {
		fd[0] = listener(mask, 0);
		fd[1] = batched ? batched_listener(mask, 0) : -1;
		if (batched && fd[1] < 0) {
			batched = false;
			fprintf(stderr, "cnbench: no batches here: no batched burst\n");
		}
		spawn_rate(BURST_FORKS, 0);
		for (i = 0; i < 2; i++) {
			if (fd[i] < 0)
				continue;
			kept = count_events(fd[i], mask, 300);
			close(fd[i]);
			if (round && kept > best[i])
				best[i] = kept;
		}
	}
	report("burst/kept_of_4000_legacy", best[0], "events");
	if (batched)
		report("burst/kept_of_4000_batched", best[1], "events");
}

struct lat_result {
	int count;
	double p50_us;
	double p99_us;
};

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * A latency listener's process. For each fork event whose parent is
 * @forker it notes how long after the event's timestamp it read it. When
 * @down gives the time the workload started and closes, it reads until
 * quiet for 300 ms (longer than a batch may wait), then writes the count
 * and percentiles of the events stamped after that start to @up.
 */
static void lat_reader(bool batched, pid_t forker, int up, int down)
{
	static long long stamp[LAT_FORKS * 2], lat[LAT_FORKS * 2];
	const unsigned int mask = PROC_EVENT_FORK | PROC_EVENT_EXIT;
	unsigned int cookie = next_cookies(1);
	struct pollfd pfd[2] = { { .events = POLLIN }, { .fd = down, .events = POLLIN } };
	struct lat_result res = { 0 };
	long long start = 0, t;
	struct nlmsghdr *nlh;
	struct proc_event ev;
	int fd, n = 0, i, len;
	bool stopped = false;
	char ok = 'n';

	fd = nl_socket(CN_IDX_PROC, READER_RCVBUF);
	pfd[0].fd = fd;
	if (!batched) {
		if (proc_ctl(fd, PROC_CN_MCAST_LISTEN, mask, cookie) == 0) {
			drain(fd, 50);
			ok = 'y';
		}
	} else if (proc_ctl(fd, LISTEN_BATCH, mask, cookie) == 0 &&
		   wait_ack(fd, cookie, ACK_WAIT_MS) == 0) {
		ok = 'y';
	}
	if (write(up, &ok, 1) != 1 || ok != 'y')
		_exit(1);

	while (poll(pfd, stopped ? 1 : 2, stopped ? 300 : -1) > 0) {
		if (!stopped && pfd[1].revents) {
			if (read(down, &start, sizeof(start)) != sizeof(start))
				start = 0;
			stopped = true;
		}
		if (!pfd[0].revents)
			continue;
		len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		t = now_ns();
		for (nlh = buf; len > 0 && NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (!proc_event_of(nlh, &ev) || ev.what != PROC_EVENT_FORK ||
			    ev.event_data.fork.parent_tgid != forker ||
			    n == ARRAY_SIZE(lat))
				continue;
			stamp[n] = ev.timestamp_ns;
			lat[n++] = t - (long long)ev.timestamp_ns;
		}
	}
	/* Readers fork before the workload: their own fork events are not in it. */
	for (i = 0; i < n; i++)
		if (stamp[i] >= start)
			lat[res.count++] = lat[i];
	if (res.count) {
		qsort(lat, res.count, sizeof(lat[0]), cmp_ll);
		res.p50_us = lat[res.count / 2] / 1e3;
		res.p99_us = lat[res.count * 99 / 100] / 1e3;
	}
	if (write(up, &res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

struct lat_proc {
	pid_t pid;
	int up;		/* from the reader */
	int down;	/* to the reader */
};

static bool lat_start(struct lat_proc *lp, bool batched)
{
	pid_t forker = getpid();
	int up[2], down[2];
	char ok = 'n';

	if (pipe2(up, O_CLOEXEC))
		return false;
	if (pipe2(down, O_CLOEXEC)) {
		close(up[0]);
		close(up[1]);
		return false;
	}
	lp->pid = fork();
	if (lp->pid == 0) {
		close(up[0]);
		close(down[1]);
		lat_reader(batched, forker, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	lp->up = up[0];
	lp->down = down[1];
	if (lp->pid > 0 && read(lp->up, &ok, 1) == 1 && ok == 'y')
		return true;
	close(lp->up);
	close(lp->down);
	if (lp->pid > 0)
		waitpid(lp->pid, NULL, 0);
	return false;
}

static bool lat_finish(struct lat_proc *lp, long long start, struct lat_result *res)
{
	bool ok = write(lp->down, &start, sizeof(start)) == sizeof(start);

	close(lp->down);
	ok = read(lp->up, res, sizeof(*res)) == sizeof(*res) && ok;
	close(lp->up);
	waitpid(lp->pid, NULL, 0);
	return ok && res->count >= LAT_FORKS / 2;
}

/* @n processes fork and exit, one every @gap_ns, or back to back (0). */
static void paced_forks(int n, long long gap_ns)
{
	struct timespec next;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < n; i++) {
		pid_t pid;

		if (gap_ns) {
			next.tv_nsec += gap_ns;
			next.tv_sec += next.tv_nsec / 1000000000;
			next.tv_nsec %= 1000000000;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
		pid = fork();
		if (pid == 0)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
}

/*
 * The latency batching adds: a listener without batches and one with them,
 * each in a process of its own, both reading, while LAT_FORKS processes
 * fork and exit one a millisecond, then back to back. Latency is the time
 * a listener read a fork event minus the event's timestamp, both
 * CLOCK_MONOTONIC in the guest; the figures are the lowest median and 99th
 * percentile of the rounds, in microseconds.
 */
static void bench_latency(void)
{
	static const struct {
		const char *prefix;
		long long gap_ns;
	} modes[] = { { "", LAT_GAP_NS }, { "burst_", 0 } };
	static const char * const kinds[] = { "legacy", "batched" };
	double best[2][2][2];	/* mode, kind, p50/p99 */
	struct lat_proc lp[2];
	struct lat_result res;
	bool batched = true, up[2];
	int round, m, k;
	long long start;
	char name[96];

	for (m = 0; m < 2; m++) {
		for (k = 0; k < 2; k++) {
			best[m][k][0] = -1;
			best[m][k][1] = -1;
		}
	}
	for (round = 0; round <= RUNS; round++) {
		for (m = 0; m < 2; m++) {
			up[0] = lat_start(&lp[0], false);
			up[1] = batched && lat_start(&lp[1], true);
			if (batched && !up[1]) {
				batched = false;
				fprintf(stderr, "cnbench: no batches here: no batched latency\n");
			}
			start = now_ns();
			paced_forks(LAT_FORKS, modes[m].gap_ns);
			for (k = 0; k < 2; k++) {
				if (!up[k])
					continue;
				if (!lat_finish(&lp[k], start, &res)) {
					fprintf(stderr, "cnbench: latency %s%s: too few events\n",
						modes[m].prefix, kinds[k]);
					continue;
				}
				if (!round)
					continue;
				if (best[m][k][0] < 0 || res.p50_us < best[m][k][0])
					best[m][k][0] = res.p50_us;
				if (best[m][k][1] < 0 || res.p99_us < best[m][k][1])
					best[m][k][1] = res.p99_us;
			}
		}
	}
	for (m = 0; m < 2; m++) {
		for (k = 0; k < 2; k++) {
			if (best[m][k][0] < 0 || (k && !batched))
				continue;
			snprintf(name, sizeof(name), "latency/%s%s_p50_us",
				 modes[m].prefix, kinds[k]);
			report(name, best[m][k][0], "us");
			snprintf(name, sizeof(name), "latency/%s%s_p99_us",
				 modes[m].prefix, kinds[k]);
			report(name, best[m][k][1], "us");
		}
	}
}

/*
 * Whether every message packed in one datagram is dispatched (stock 6.12
 * dispatches the first only): four LISTENs, four acknowledgments. The
 * socket is in the group, where stock sends them.
 */
static bool datagram_dispatches_all(void)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL };
	struct nlmsghdr out[NL_HDRS(4 * CTL_SPACE)];
	unsigned int cookie = next_cookies(5);
	int fd = nl_socket(CN_IDX_PROC, 0), len = 0, got = 0, i;

	for (i = 0; i < 4; i++)
		len += pack_msg((char *)out + len, CN_IDX_PROC, CN_VAL_PROC, cookie + i,
				cookie + i, &in, sizeof(in));
	if (nl_sendto(fd, out, len) == 0)
		got = collect_acks(fd, cookie, 4, NULL, ACK_WAIT_MS);
	proc_ctl(fd, PROC_CN_MCAST_IGNORE, 0, cookie + 4);
	close(fd);
	if (got != 4)
		fprintf(stderr, "cnbench: %d of 4 packed messages answered: no datagram churn\n",
			got);
	return got == 4;
}

/* Control messages per second, @msgs of them one per send() on @fd. */
static double churn_single(int fd, struct nlmsghdr one[2][NL_HDRS(CTL_SPACE)],
			   const int len[2], int msgs, long *answers)
{
	double t0 = now(), r;
	long n = 0;
	int i;

	for (i = 0; i < msgs; i++) {
		nl_sendto(fd, one[i & 1], len[i & 1]);
		if (i % CHURN_FLUSH == CHURN_FLUSH - 1)
			n += flush_socket(fd);
	}
	r = msgs / (now() - t0);
	*answers = n + flush_socket(fd);
	return r;
}

/*
 * Churn: LISTEN and IGNORE in turn from one socket, control messages per
 * second, one per send() and then 2 * CHURN_PAIRS per datagram. First
 * from a socket outside CN_IDX_PROC, which gets no answers (stock sends
 * them to the group, ours to the sender when it is in the group); then
 * from a socket in the group, which gets an answer to each message in
 * both kernels and reads them every CHURN_FLUSH sends (and after each
 * datagram, whose surplus its small buffer drops). Named per CPU count,
 * "churn" on one and "churn<N>cpu" on more.
 */
static void bench_churn(int n)
{
	static struct nlmsghdr dgram[NL_HDRS(2 * CHURN_PAIRS * CTL_SPACE)];
	static const struct proc_input in[2] = {
		{ PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL },
		{ PROC_CN_MCAST_IGNORE, 0 },
	};
	struct nlmsghdr one[2][NL_HDRS(CTL_SPACE)];
	int msgs = n * 20, sends, fd, member, dlen = 0, len[2], round, i;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	bool datagrams = datagram_dispatches_all();
	double best[3] = { 0 }, t0, r;
	long answers;
	cpu_set_t one_cpu, all_cpus;
	char prefix[32], name[96];

	for (i = 0; i < 2; i++)
		len[i] = pack_msg(one[i], CN_IDX_PROC, CN_VAL_PROC, i, 0, &in[i],
				  sizeof(in[i]));
	for (i = 0; i < 2 * CHURN_PAIRS; i++)
		dlen += pack_msg((char *)dgram + dlen, CN_IDX_PROC, CN_VAL_PROC, i, 0,
				 &in[i & 1], sizeof(in[0]));
	sends = msgs / (2 * CHURN_PAIRS);
	if (sends < 1)
		sends = 1;

	/*
	 * On one CPU, whatever the guest has: a task that moves between
	 * vCPUs mid-loop reads its start and end times from two clocks.
	 */
	CPU_ZERO(&one_cpu);
	CPU_SET(0, &one_cpu);
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) ||
	    sched_setaffinity(0, sizeof(one_cpu), &one_cpu))
		fprintf(stderr, "cnbench: churn not pinned: %s\n", strerror(errno));
	fd = nl_socket(0, CHURN_RCVBUF);
	for (round = 0; round <= RUNS; round++) {
		r = churn_single(fd, one, len, msgs, &answers);
		if (round && r > best[0])
			best[0] = r;
		/* Only while it runs: stock would send the others' answers to it. */
		member = nl_socket(CN_IDX_PROC, CHURN_RCVBUF);
		r = churn_single(member, one, len, msgs, &answers);
		close(member);
		if (round == RUNS)
			fprintf(stderr, "cnbench: churn in the group: %ld answers read for %d messages\n",
				answers, msgs);
		if (round && r > best[2])
			best[2] = r;
		if (!datagrams)
			continue;
		t0 = now();
		for (i = 0; i < sends; i++) {
			nl_sendto(fd, dgram, dlen);
			flush_socket(fd);
		}
		r = 2.0 * CHURN_PAIRS * sends / (now() - t0);
		if (round && r > best[1])
			best[1] = r;
	}
	close(fd);
	sched_setaffinity(0, sizeof(all_cpus), &all_cpus);

	if (cpus > 1)
		snprintf(prefix, sizeof(prefix), "churn%ldcpu", cpus);
	else
		snprintf(prefix, sizeof(prefix), "churn");
	snprintf(name, sizeof(name), "%s/listen_ignore_msgs_single", prefix);
	report(name, best[0], "per_s");
	snprintf(name, sizeof(name), "%s/listen_ignore_msgs_single_in_group", prefix);
	report(name, best[2], "per_s");
	/* Stock answers half the messages (a LISTEN), ours every one. */
	snprintf(name, sizeof(name), "%s/answers_read_in_group", prefix);
	report(name, best[2] * answers / msgs, "per_s");
	if (datagrams) {
		snprintf(name, sizeof(name), "%s/listen_ignore_msgs_datagram%d",
			 prefix, CHURN_PAIRS);
		report(name, best[1], "per_s");
	}
}

static void set_param(const char *name, const char *value)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/sys/module/cn_test/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		perror(path);
	if (fd >= 0)
		close(fd);
}

/* Round trips per second through cn_test, by @senders processes. */
static double echo_rate(int senders, int n)
{
	static const char payload[] = "0123456789abcdef0123456789abcdef";
	int pipefd[2], i;
	double t0 = now();

	if (pipe(pipefd))
		exit(1);
	for (i = 0; i < senders; i++) {
		if (fork() == 0) {
			int fd = nl_socket(0, 0), k;

			for (k = 0; k < n; k++) {
				nl_send(fd, CN_TEST_IDX, CN_TEST_VAL, k, payload, 32);
				if (recv(fd, buf, sizeof(buf), 0) <= 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < senders; i++)
		wait(NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	return senders * n / (now() - t0);
}

static void bench_echo(int n)
{
	double best, r, t0;
	int senders[] = { 1, 4 }, s, run, fd, k;

	set_param("tick_ms", "0");
	for (s = 0; s < 2; s++) {
		best = 0;
		for (run = 0; run <= RUNS; run++) {
			r = echo_rate(senders[s], n / senders[s]);
			if (run && r > best)
				best = r;
		}
		report(senders[s] == 1 ? "echo/round_trips_1_sender" :
					 "echo/round_trips_4_senders", best, "per_s");
	}

	/* Dispatch: messages in, callback runs, nothing comes back. */
	set_param("echo", "N");
	fd = nl_socket(0, 0);
	best = 0;
	for (run = 0; run <= RUNS; run++) {
		t0 = now();
		for (k = 0; k < n; k++)
			nl_send(fd, CN_TEST_IDX, CN_TEST_VAL, k, "0123456789abcdef", 16);
		r = n / (now() - t0);
		if (run && r > best)
			best = r;
	}
	report("dispatch/messages_to_callback", best, "per_s");
	set_param("echo", "Y");
	close(fd);
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		perror(path);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	const char *only = argc > 2 ? argv[2] : getenv("CNBENCH_ONLY");
	int n = argc > 1 ? atoi(argv[1]) : 400;
	bool proc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * The same address layout in every boot, and pid numbers well past
	 * the point where the pid IDR grows a level, so that neither differs
	 * between kernels or drifts during the run.
	 */
	write_file("/proc/sys/kernel/randomize_va_space", "0");
	write_file("/proc/sys/kernel/pid_max", "4194304");
	write_file("/proc/sys/kernel/ns_last_pid", "100000");
	proc = proc_events_present();
	if (!proc)
		fprintf(stderr, "cnbench: no process events: no burst, latency or churn figures\n");
	if (only && !strcmp(only, "churn")) {
		if (proc)
			bench_churn(n);
		printf("BENCH-DONE\n");
		return 0;
	}
	bench_spawn(n);
	bench_delivery(n * 4);
	if (proc) {
		bench_burst_kept();
		bench_latency();
		bench_churn(n);
	}
	if (access("/sys/module/cn_test", F_OK) == 0)
		bench_echo(n * 5);
	else
		fprintf(stderr, "cn_test not loaded: no echo or dispatch figures\n");
	printf("BENCH-DONE\n");
	return 0;
}
