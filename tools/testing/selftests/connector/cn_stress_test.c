// SPDX-License-Identifier: GPL-2.0
/*
 * Connector stress and hostile-input selftests. Each test is bounded in
 * count and time, prints what it did, and ends by proving the connector
 * still works. Counts can be raised through the environment:
 *
 *   CN_FUZZ_DATAGRAMS  datagrams the fuzzer sends (default 20000)
 *   CN_FUZZ_SEED       its seed (default 1)
 *   CN_CHURN_SECONDS   length of the listener churn (default 5)
 *   CN_TEST_KO         the cn_test.ko to load (default: the kernel's)
 *
 * Needs root, cn_test.ko, debugfs and two CPUs: the harness guarantees
 * them, so a missing one is a failure. The fault injection tests need
 * CONFIG_FAULT_INJECTION and CONFIG_FAILSLAB and are skipped without.
 */

#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/cn_proc.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define STATS_FILE	"/sys/kernel/debug/connector/proc_events"
#define REQUESTS_FILE	"/sys/kernel/debug/connector/notify_requests"
#define NO_FAULTS	"no fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB)"

static const struct cb_id cn_test_id = { CN_TEST_IDX, CN_TEST_VAL };
static const struct cb_id proc_id = { CN_IDX_PROC, CN_VAL_PROC };
static const struct cb_id ctl_id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR };
static char rxbuf[CN_BUF_SIZE];
static char txbuf[CN_BUF_SIZE];

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* The number after @key on the first line of @file that starts with it. */
static int read_count(const char *file, const char *key)
{
	size_t klen = strlen(key);
	char line[64];
	int n = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen)) {
			n = strtol(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return n;
}

static int listener_count(void)
{
	return read_count(STATS_FILE, "listeners ");
}

static int request_count(void)
{
	return read_count(REQUESTS_FILE, "");
}

static void *shared_mem(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* The event in @msg, whatever its length; what is PROC_EVENT_NONE if short. */
static struct proc_event event_of(const struct cn_msg *msg)
{
	struct proc_event ev = { 0 };

	memcpy(&ev, msg->data, msg->len < sizeof(ev) ? msg->len : sizeof(ev));
	return ev;
}

/* cn_test answers: the connector's receive and send paths work. */
static bool echo_works(void)
{
	int fd = cn_socket(0);
	bool ok;

	if (fd < 0)
		return false;
	ok = !cn_send_msg(fd, cn_test_id, 4242, 0, "alive", 6) &&
	     cn_wait_seq(fd, rxbuf, sizeof(rxbuf), cn_test_id, 4242, 3000);
	close(fd);
	return ok;
}

/* Wait up to @ms for the fork event of @child on @fd. */
static bool fork_event_of(int fd, pid_t child, int ms)
{
	struct cn_msg *msg;

	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), ms))) {
		struct proc_event ev = event_of(msg);

		if (ev.what == PROC_EVENT_FORK && ev.event_data.fork.child_tgid == child)
			return true;
	}
	return false;
}

/* A process-event listener hears a fork: the event path works. */
static bool events_work(void)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_FORK };
	int fd = cn_socket(CN_IDX_PROC);
	bool ok;
	pid_t pid;

	if (fd < 0)
		return false;
	cn_send_msg(fd, proc_id, 1, 0, &in, sizeof(in));
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	ok = pid > 0 && fork_event_of(fd, pid, 2000);
	close(fd);
	return ok;
}

/* A notification request for cn_test's idx: the ack's error, or -1. */
static int notify_request(int fd, unsigned int seq, bool withdraw)
{
	struct {
		struct cn_ctl_msg ctl;
		struct cn_notify_req req;
	} rq = { { 1, 0, 0, sizeof(struct cn_notify_req) }, { CN_TEST_IDX, 1 } };
	struct cn_notify_msg note;
	struct cn_msg *msg;

	if (withdraw) {
		rq.ctl.idx_notify_num = 0;
		rq.ctl.len = 0;
	}
	if (cn_send_msg(fd, ctl_id, seq, 0, &rq,
			withdraw ? sizeof(rq.ctl) : sizeof(rq)))
		return -1;
	msg = cn_wait_seq(fd, rxbuf, sizeof(rxbuf), ctl_id, seq, 2000);
	if (!msg || msg->len != sizeof(note))
		return -1;
	memcpy(&note, msg->data, sizeof(note));
	return note.type == CN_NOTIFY_ACK ? (int)note.err : -1;
}

/* Count the ADDED and REMOVED for cn_test on @fd until @ms of silence. */
static void notes_heard(int fd, int *added, int *removed, int ms)
{
	struct cn_msg *msg;

	*added = *removed = 0;
	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), ms))) {
		struct cn_notify_msg note;

		if (msg->id.idx != CN_IDX_CONNECTOR || msg->len != sizeof(note))
			continue;
		memcpy(&note, msg->data, sizeof(note));
		if (note.id.idx != CN_TEST_IDX || note.id.val != CN_TEST_VAL)
			continue;
		*added += note.type == CN_NOTIFY_ADDED;
		*removed += note.type == CN_NOTIFY_REMOVED;
	}
}

static unsigned long long rng_state;

static unsigned int rnd(void)
{
	/* xorshift64*: reproducible from the seed, good enough to fuzz */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dULL) >> 32;
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

FIXTURE(stress)
{
	int base_listeners;
	int base_requests;
};

FIXTURE_SETUP(stress)
{
	const char *why = cn_test_unavailable();

	ASSERT_TRUE(!why)
		TH_LOG("a precondition the harness guarantees is missing: %s", why);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	self->base_listeners = listener_count();
	self->base_requests = request_count();
	ASSERT_LE(0, self->base_listeners)
		TH_LOG("%s not readable (debugfs is mounted by the harness)", STATS_FILE);
	ASSERT_LE(0, self->base_requests)
		TH_LOG("%s not readable (debugfs is mounted by the harness)",
		       REQUESTS_FILE);
}

static void faults_off(void);

/* A test that failed halfway must not leave allocations failing. */
FIXTURE_TEARDOWN(stress)
{
	faults_off();
}

/* Send @total fuzzed datagrams from @seed; how many send() refused. */
static long fuzz_send(int fd, long total, long seed)
{
	static const struct cb_id ids[] = {
		{ CN_TEST_IDX, CN_TEST_VAL }, { CN_IDX_PROC, CN_VAL_PROC },
		{ CN_IDX_CONNECTOR, CN_VAL_CONNECTOR }, { CN_W1_IDX, CN_W1_VAL },
		{ 0, 0 }, { CN_TEST_IDX, CN_TEST_VAL + 1 }, { 0xffffffff, 0 },
	};
	long refused = 0, i;

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (i = 0; i < total; i++) {
		size_t len = 0, room = sizeof(txbuf);
		int parts = 1 + rnd() % 3, p;

		for (p = 0; p < parts && room > 64; p++) {
			struct nlmsghdr *nlh = (struct nlmsghdr *)(txbuf + len);
			struct cn_msg *msg = NLMSG_DATA(nlh);
			unsigned int dlen, r = rnd();
			size_t n, j;

			/* Mostly small, sometimes anywhere up to the limit and past it. */
			dlen = r % 8 ? rnd() % 64 : rnd() % (CN_MAX_DATA + 64);
			if (NLMSG_SPACE(sizeof(*msg) + dlen) > room)
				dlen = 0;
			n = cn_build(nlh, ids[rnd() % ARRAY_SIZE(ids)], rnd(),
				     rnd(), NULL, dlen);
			for (j = 0; j < dlen; j++)
				msg->data[j] = rnd();
			/* Then make some of it lie. */
			switch (rnd() % 8) {
			case 0:
				nlh->nlmsg_len = rnd();
				break;
			case 1:
				msg->len = rnd();
				break;
			case 2:
				nlh->nlmsg_len = rnd() % (n + 32);
				break;
			case 3:
				msg->len = dlen + 1 + rnd() % 4;
				break;
			}
			len += NLMSG_ALIGN(n);
			room = sizeof(txbuf) - len;
		}
		/* Cut the datagram anywhere, now and then. */
		if (!(rnd() % 6))
			len = rnd() % (len + 1);
		if (cn_send_raw(fd, txbuf, len))
			refused++;
		/* Keep the socket's queue moving. */
		while (recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT) > 0)
			;
	}
	return refused;
}

/*
 * Malformed and random datagrams at every registered id and at unknown
 * ones: lengths of every size, headers that lie, several messages in a
 * datagram, control messages with random payloads, some of them from an
 * unprivileged process.
 */
TEST_F_TIMEOUT(stress, fuzz, 1800)
{
	long total = env_long("CN_FUZZ_DATAGRAMS", 20000);
	long seed = env_long("CN_FUZZ_SEED", 1);
	long refused, unpriv = total / 10;
	int status, fd, group = CN_IDX_PROC;
	pid_t pid;

	/* A tenth of it from an unprivileged process, with its own seed. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = cn_socket(CN_IDX_PROC);
		if (fd < 0)
			_exit(11);
		fuzz_send(fd, unpriv, seed + 1000);
		_exit(0);
	}
	fd = cn_socket(0);
	ASSERT_LE(0, fd);
	setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group));
	refused = fuzz_send(fd, total - unpriv, seed);
	close(fd);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("unprivileged fuzzer status 0x%x", status);

	TH_LOG("fuzz: %ld datagrams (seed %ld, %ld of them unprivileged), %ld refused by send()",
	       total, seed, unpriv, refused);
	EXPECT_TRUE(echo_works());
	EXPECT_TRUE(events_work());
	EXPECT_EQ(self->base_listeners, listener_count());
	EXPECT_EQ(self->base_requests, request_count());
}

struct churn_stats {
	long forks;		/* by the storm */
	long events;		/* received by the churners */
};

/* Fork and exit without end on @cpu. */
static void fork_storm(int cpu, struct churn_stats *st)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cn_pin(cpu))
		_exit(2);
	rng_state = 12345;
	for (;;) {
		pid_t p = fork();

		if (p == 0) {
			if (rnd() & 1)
				execl("/bin/true", "true", NULL);
			_exit(rnd() & 3);
		}
		if (p > 0) {
			waitpid(p, NULL, 0);
			__atomic_add_fetch(&st->forks, 1, __ATOMIC_RELAXED);
		}
	}
}

/* A listener that changes its mind, reads a little, and goes somehow. */
static void churner(int i, long round, struct churn_stats *st)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, 0 };
	int fd = cn_socket(i & 1 ? CN_IDX_PROC : 0), n;
	struct cn_msg *msg;

	rng_state = getpid() * 7919ULL + round;
	for (n = 0; n < 20 && fd >= 0; n++) {
		in.mcast_op = rnd() % 3 ? PROC_CN_MCAST_LISTEN :
					  PROC_CN_MCAST_IGNORE;
		in.event_type = rnd() & PROC_EVENT_ALL;
		cn_send_msg(fd, proc_id, n, 0, &in, rnd() & 1 ? sizeof(in) : 4);
		recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
	}
	/* What the storm sends us meanwhile, counted as it comes: we may be killed. */
	for (n = 0; n < 64 && fd >= 0; n++) {
		msg = cn_recv(fd, rxbuf, sizeof(rxbuf), 5);
		if (!msg)
			break;
		if (msg->id.idx == CN_IDX_PROC && event_of(msg).what != PROC_EVENT_NONE)
			__atomic_add_fetch(&st->events, 1, __ATOMIC_RELAXED);
	}
	/* Leave with or without IGNORE, or wait to be killed. */
	if (rnd() & 1)
		pause();
	_exit(0);
}

/*
 * Listeners come and go in every way on one CPU while processes fork and
 * exit on the other: the events the churners got show the two overlapped.
 */
TEST_F_TIMEOUT(stress, listener_churn, 600)
{
	long seconds = env_long("CN_CHURN_SECONDS", 5);
	struct churn_stats *st = shared_mem(sizeof(*st));
	long rounds = 0, killed = 0, forks;
	pid_t storm, churners[4];
	int cpus[2], i;
	time_t end;

	two_cpus(_metadata, cpus);
	ASSERT_NE(NULL, st);
	ASSERT_EQ(0, cn_pin(cpus[0]));
	storm = fork();
	ASSERT_LE(0, storm);
	if (storm == 0)
		fork_storm(cpus[1], st);

	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		for (i = 0; i < 4; i++) {
			churners[i] = fork();
			ASSERT_LE(0, churners[i]);
			if (churners[i] == 0)
				churner(i, rounds, st);
		}
		usleep(20 * 1000);
		for (i = 0; i < 4; i++) {
			if (!kill(churners[i], SIGKILL))
				killed++;
			waitpid(churners[i], NULL, 0);
		}
		rounds++;
	}
	forks = __atomic_load_n(&st->forks, __ATOMIC_RELAXED);
	kill(storm, SIGKILL);
	waitpid(storm, NULL, 0);

	TH_LOG("churn: %ld rounds of 4 listeners on CPU %d in %ld s, %ld kill signals",
	       rounds, cpus[0], seconds, killed);
	TH_LOG("churn: %ld forks on CPU %d meanwhile; the churners received %ld events",
	       forks, cpus[1], st->events);
	EXPECT_LT(0, forks);
	EXPECT_LT(0, st->events) TH_LOG("the churn never overlapped the storm");
	EXPECT_EQ(self->base_listeners, listener_count())
		TH_LOG("listener count did not come back");
	EXPECT_TRUE(events_work());
	munmap(st, sizeof(*st));
}

/*
 * A listener that stops reading: the producer is never held up, the
 * listener sees ENOBUFS once, then events again. The events are comm
 * changes, the cheapest there are: the burst only has to outrun the
 * receive buffer.
 */
TEST_F_TIMEOUT(stress, slow_listener_overflows, 600)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_COMM };
	int fd = cn_socket(CN_IDX_PROC), size = 4096, enobufs = 0, after = 0;
	long changes, received = 0;
	struct timespec t0, t1;
	char name[16];

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	ASSERT_EQ(0, cn_send_msg(fd, proc_id, 1, 0, &in, sizeof(in)));

	/* Far more events than the receive buffer holds, none read. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (changes = 0; changes < 2000; changes++) {
		snprintf(name, sizeof(name), "cn-flood-%ld", changes);
		ASSERT_EQ(0, prctl(PR_SET_NAME, name));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);

	for (;;) {
		ssize_t len = recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);

		if (len < 0 && errno == ENOBUFS) {
			enobufs++;
			continue;
		}
		if (len < 0)
			break;
		received++;
	}
	/* The producer goes on; new events reach the listener again. */
	ASSERT_EQ(0, prctl(PR_SET_NAME, "cn-stress"));
	while (cn_recv(fd, rxbuf, sizeof(rxbuf), 1000))
		after++;

	TH_LOG("overflow: %ld comm changes in %ld ms; read %ld events, %d ENOBUFS, then %d more",
	       changes, (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000,
	       received, enobufs, after);
	EXPECT_EQ(1, enobufs);
	EXPECT_LT(received, changes);
	EXPECT_LE(1, after);
	close(fd);
	EXPECT_EQ(self->base_listeners, listener_count());
}

/* fail-nth through a descriptor opened beforehand: opening allocates. */
static int fail_nth_arm(int fd, int n)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%d", n);

	return pwrite(fd, val, len, 0) == len ? 0 : -1;
}

static int fail_nth_left(int fd)
{
	char val[16] = "";

	if (pread(fd, val, sizeof(val) - 1, 0) <= 0)
		return -1;
	return atoi(val);
}

static const char *const fault_knobs[][2] = {
	/* Fail sleeping allocations too, and keep the log quiet. */
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
};

/*
 * This thread's fail-nth, with the knobs set; -1 when the kernel has no
 * fault injection (then the caller skips).
 */
static int fault_open(struct __test_metadata *_metadata)
{
	unsigned int k;
	int nth;

	nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (nth < 0 || access("/sys/kernel/debug/failslab", F_OK)) {
		if (nth >= 0)
			close(nth);
		return -1;
	}
	for (k = 0; k < ARRAY_SIZE(fault_knobs); k++) {
		int err = cn_write_file(fault_knobs[k][0], fault_knobs[k][1]) ? errno : 0;

		EXPECT_EQ(0, err) TH_LOG("fault injection knob %u: %s", k, strerror(err));
	}
	return nth;
}

enum { OP_LISTEN, OP_IGNORE, OP_ECHO, OP_NOTIFY, NR_OPS };

static const char *const op_names[NR_OPS] = {
	"LISTEN", "IGNORE", "echo", "notification request",
};

/* What came back for a control message and the echo behind it. */
struct answer {
	bool ack;
	int err;
	bool echo;
};

#define CTL_ACK	0x100	/* the ack field of the control messages */

static void read_answer(int fd, const struct cb_id *id, unsigned int seq,
			struct answer *a)
{
	struct cn_msg *msg;

	memset(a, 0, sizeof(*a));
	/* Replies are queued before send() returns: wait only for a late ack. */
	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), a->ack ? 0 : 300))) {
		if (msg->id.idx == cn_test_id.idx && msg->id.val == cn_test_id.val &&
		    msg->seq == seq) {
			a->echo = true;
			continue;
		}
		if (msg->id.idx != id->idx || msg->id.val != id->val ||
		    msg->seq != seq || msg->ack != CTL_ACK + 1)
			continue;
		if (id->idx == CN_IDX_PROC) {
			struct proc_event ev = event_of(msg);

			if (ev.what != PROC_EVENT_NONE)
				continue;
			a->err = ev.event_data.ack.err;
		} else {
			struct cn_notify_msg note;

			if (msg->len != sizeof(note))
				continue;
			memcpy(&note, msg->data, sizeof(note));
			a->err = note.type == CN_NOTIFY_ACK ? (int)note.err : -1;
		}
		a->ack = true;
	}
}

struct fault_tally {
	long steps, injected;
	long ok, enomem;	/* acknowledged with 0, with ENOMEM */
	long ack_lost;		/* in effect, its ack's allocation failed */
	long at_send;		/* send() failed: never reached the connector */
	long before;		/* neither ack nor echo: dropped before dispatch */
	long wrong;		/* an answer that does not tell the truth */
};

/*
 * With one allocation failed, the answer to LISTEN or to a notification
 * request must say what happened: 0 and in effect, or ENOMEM and not. No
 * answer is right only when the request never got to its handler, or when
 * the failed allocation was the answer's own (then the request is in
 * effect).
 */
static void judge(struct __test_metadata *_metadata, int op, int n, bool sent,
		  const struct answer *a, int in_effect, struct fault_tally *t)
{
	const char *why = NULL;

	if (!sent) {
		t->at_send++;
		if (in_effect)
			why = "in effect though send() failed";
	} else if (a->ack && a->err == 0) {
		t->ok++;
		if (in_effect != 1)
			why = "acknowledged with 0 but not in effect";
	} else if (a->ack && a->err == ENOMEM) {
		t->enomem++;
		if (in_effect)
			why = "acknowledged with ENOMEM but in effect";
	} else if (a->ack) {
		why = "acknowledged with an error other than ENOMEM";
	} else if (in_effect == 1) {
		t->ack_lost++;
	} else if (a->echo) {
		why = "failed without an acknowledgment, and the datagram went on";
	} else {
		t->before++;
	}
	if (why) {
		t->wrong++;
		TH_LOG("%s, failing allocation %d: %s (ack %d err %d, echo %d, in effect %d)",
		       op_names[op], n, why, a->ack, a->err, a->echo, in_effect);
	}
}

/*
 * The datagram of @op into txbuf: the control message (or echo) with
 * @seq, and behind LISTEN and the notification request an echo, which
 * shows whether the walk went past the request. Returns its length.
 */
static size_t build_op(int op, unsigned int seq)
{
	static const struct proc_input listen = {
		PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL
	};
	static const struct proc_input ignore = { PROC_CN_MCAST_IGNORE, 0 };
	static const struct {
		struct cn_ctl_msg ctl;
		struct cn_notify_req req;
	} notify = { { 1, 0, 0, sizeof(struct cn_notify_req) }, { CN_TEST_IDX, 1 } };
	size_t len;

	switch (op) {
	case OP_LISTEN:
		len = cn_build(txbuf, proc_id, seq, CTL_ACK, &listen, sizeof(listen));
		break;
	case OP_IGNORE:
		len = cn_build(txbuf, proc_id, seq, CTL_ACK, &ignore, sizeof(ignore));
		return len;
	case OP_ECHO:
		len = cn_build(txbuf, cn_test_id, seq, CTL_ACK, "fault", 6);
		return len;
	default:
		len = cn_build(txbuf, ctl_id, seq, CTL_ACK, &notify, sizeof(notify));
		break;
	}
	return NLMSG_ALIGN(len) +
	       cn_build(txbuf + NLMSG_ALIGN(len), cn_test_id, seq, 0, "next", 4);
}

/*
 * What @op left in effect while its socket is open, above the counts at
 * the start: 1 for a listener or a request.
 */
static int op_in_effect(int op, int base_listeners, int base_requests)
{
	if (op == OP_LISTEN)
		return listener_count() - base_listeners;
	if (op == OP_NOTIFY)
		return request_count() - base_requests;
	return 0;
}

/*
 * Every allocation on the paths of the control messages and of an echo
 * fails in turn (fail-nth): each failure must be handled and answered
 * truthfully, and nothing may stay behind.
 */
TEST_F_TIMEOUT(stress, allocation_failures, 1800)
{
	struct fault_tally tally[NR_OPS] = { 0 };
	int op, n, nth, fd, left, in_effect;
	struct answer a;

	nth = fault_open(_metadata);
	if (nth < 0)
		SKIP(return, NO_FAULTS);

	for (op = 0; op < NR_OPS; op++) {
		const struct cb_id *id = op == OP_ECHO ? &cn_test_id :
					 op == OP_NOTIFY ? &ctl_id : &proc_id;
		bool judged = op == OP_LISTEN || op == OP_NOTIFY;
		struct fault_tally *t = &tally[op];
		size_t len;

		for (n = 1; n <= 1000; n++) {
			bool sent;

			/* Process-event answers go to members of the group. */
			fd = cn_socket(op == OP_LISTEN || op == OP_IGNORE ?
				       CN_IDX_PROC : 0);
			ASSERT_LE(0, fd);
			len = build_op(op, n);
			ASSERT_EQ(0, fail_nth_arm(nth, n));
			sent = !cn_send_raw(fd, txbuf, len);
			left = fail_nth_left(nth);
			fail_nth_arm(nth, 0);
			t->steps++;
			if (left != 0) {
				/* The path made fewer than n allocations: done. */
				close(fd);
				break;
			}
			t->injected++;
			if (judged) {
				read_answer(fd, id, n, &a);
				in_effect = op_in_effect(op, self->base_listeners,
							 self->base_requests);
				judge(_metadata, op, n, sent, &a, in_effect, t);
			}
			close(fd);
			ASSERT_EQ(self->base_listeners, listener_count())
				TH_LOG("%s, failing allocation %d", op_names[op], n);
			ASSERT_EQ(self->base_requests, request_count())
				TH_LOG("%s, failing allocation %d", op_names[op], n);
		}
		TH_LOG("%s: %ld operations, %ld with a failed allocation",
		       op_names[op], t->steps, t->injected);
		if (judged) {
			TH_LOG("%s: acked 0 %ld, ENOMEM %ld; ack lost %ld; send failed %ld",
			       op_names[op], t->ok, t->enomem, t->ack_lost, t->at_send);
			TH_LOG("%s: dropped before dispatch %ld; wrong answers %ld",
			       op_names[op], t->before, t->wrong);
		}
		EXPECT_LT(0, t->injected);
		EXPECT_EQ(0, t->wrong);

		/* The positive control: the same datagram, nothing injected. */
		fd = cn_socket(op == OP_LISTEN || op == OP_IGNORE ? CN_IDX_PROC : 0);
		ASSERT_LE(0, fd);
		len = build_op(op, 100000);
		ASSERT_EQ(0, cn_send_raw(fd, txbuf, len));
		read_answer(fd, id, 100000, &a);
		EXPECT_TRUE(op == OP_ECHO ? a.echo : a.ack && a.err == 0)
			TH_LOG("%s without injection: ack %d err %d echo %d",
			       op_names[op], a.ack, a.err, a.echo);
		if (judged) {
			EXPECT_TRUE(a.echo);
			EXPECT_EQ(1, op_in_effect(op, self->base_listeners,
						  self->base_requests))
				TH_LOG("%s without injection not in effect", op_names[op]);
		}
		close(fd);
		EXPECT_EQ(self->base_listeners, listener_count());
		EXPECT_EQ(self->base_requests, request_count());
	}
	close(nth);
	EXPECT_TRUE(echo_works());
	EXPECT_TRUE(events_work());
}

/*
 * Every allocation of a fork fails in turn, the event's among them, in a
 * process whose parent listens: the fork and its event may fail, the
 * listener must stay as it was and hear the next fork.
 */
TEST_F_TIMEOUT(stress, allocation_failures_event_broadcast, 1800)
{
	struct proc_input listen = { PROC_CN_MCAST_LISTEN, PROC_EVENT_FORK };
	long steps = 0, heard = 0, missed = 0, fork_failed = 0;
	int nth, listener, n, status, code = -1;
	bool finished = false;
	struct answer a;
	pid_t pid;

	nth = fault_open(_metadata);
	if (nth < 0)
		SKIP(return, NO_FAULTS);
	close(nth);

	listener = cn_socket(CN_IDX_PROC);
	ASSERT_LE(0, listener);
	ASSERT_EQ(0, cn_send_msg(listener, proc_id, 1, CTL_ACK, &listen, sizeof(listen)));
	read_answer(listener, &proc_id, 1, &a);
	ASSERT_TRUE(a.ack && a.err == 0);
	ASSERT_EQ(self->base_listeners + 1, listener_count());

	for (n = 1; n <= 10000 && !finished; n++) {
		struct cn_msg *msg;
		bool got = false;

		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			int fd = open("/proc/thread-self/fail-nth", O_RDWR), left;
			pid_t child;

			if (fd < 0 || fail_nth_arm(fd, n))
				_exit(10);
			child = fork();
			if (child == 0)
				_exit(0);
			left = fail_nth_left(fd);
			fail_nth_arm(fd, 0);
			if (child > 0)
				waitpid(child, NULL, 0);
			_exit(left != 0 ? 1 : child < 0 ? 2 : 0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status)) TH_LOG("step %d: status 0x%x", n, status);
		code = WEXITSTATUS(status);
		ASSERT_NE(10, code) TH_LOG("the forking child could not arm fail-nth");
		/* The event was sent, or not, before the fork returned. */
		while ((msg = cn_recv(listener, rxbuf, sizeof(rxbuf), 0))) {
			struct proc_event ev = event_of(msg);

			if (ev.what == PROC_EVENT_FORK && ev.event_data.fork.parent_tgid == pid)
				got = true;
		}
		steps++;
		if (code == 1) {
			finished = true;
			break;
		}
		if (code == 2)
			fork_failed++;
		else if (got)
			heard++;
		else
			missed++;
		ASSERT_EQ(self->base_listeners + 1, listener_count())
			TH_LOG("failing allocation %d of a fork", n);
	}
	TH_LOG("forks with a failed allocation: %ld steps, %ld forks failed",
	       steps, fork_failed);
	TH_LOG("forks with a failed allocation: %ld events heard, %ld missed",
	       heard, missed);
	EXPECT_TRUE(finished) TH_LOG("a fork made more than %d allocations?", n - 1);
	EXPECT_LT(0, heard + missed + fork_failed);
	/*
	 * Some step failed the event's own allocation: the fork went on and
	 * its event was lost. None means the faults never reached the
	 * broadcast path, and the test showed nothing about it.
	 */
	EXPECT_LT(0, missed);
	EXPECT_LT(0, heard);

	/* The positive control: the listener hears the next fork. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	EXPECT_TRUE(fork_event_of(listener, pid, 2000));
	EXPECT_EQ(self->base_listeners + 1, listener_count());
	close(listener);
	EXPECT_EQ(self->base_listeners, listener_count());
	EXPECT_TRUE(events_work());
	EXPECT_TRUE(echo_works());
}

/* The text range of kernel function @name, from /proc/kallsyms. */
static int text_range(const char *name, unsigned long long *start,
		      unsigned long long *end)
{
	char line[512], sym[256], type;
	unsigned long long addr, best = ~0ULL;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -1;
	*start = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3)
			continue;
		if (!strcmp(sym, name))
			*start = addr;
	}
	rewind(f);
	/* The end: the lowest symbol above the start. */
	while (*start && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3)
			continue;
		if (addr > *start && addr < best)
			best = addr;
	}
	fclose(f);
	*end = best;
	return *start && best != ~0ULL ? 0 : -1;
}

/*
 * In this order: the filters first, the probability last, so that no
 * allocation outside the target (opening the next knob, for one) ever
 * fails; and back the other way.
 */
static const char *const notify_faults[][2] = {
	{ "/sys/kernel/debug/failslab/task-filter", "Y" },
	{ "/sys/kernel/debug/failslab/stacktrace-depth", "32" },
	{ "/sys/kernel/debug/failslab/interval", "1" },
	{ "/sys/kernel/debug/failslab/times", "-1" },
};

/*
 * failslab's defaults. require-end is ULONG_MAX when no range is asked
 * for: with 0 there, no stack would match and fail-nth, which the other
 * tests use, would fail nothing.
 */
static const char *const no_faults[][2] = {
	{ "/sys/kernel/debug/failslab/probability", "0" },
	{ "/sys/kernel/debug/failslab/times", "1" },
	{ "/sys/kernel/debug/failslab/require-start", "0" },
	{ "/sys/kernel/debug/failslab/require-end", "0xffffffffffffffff" },
	{ "/sys/kernel/debug/failslab/task-filter", "N" },
};

/* Whatever happened, leave fault injection off. */
static void faults_off(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(no_faults); i++)
		cn_write_file(no_faults[i][0], no_faults[i][1]);
}

/* Load or unload cn_test in a child whose allocations may fail. */
static int in_failing_task(bool load)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (cn_write_file("/proc/self/make-it-fail", "1"))
			_exit(2);
		_exit(load ? !!cn_module_load(cn_test_path(), "tick_ms=0") :
			     !!cn_module_unload("cn_test"));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * The notification of a registration is built and sent by the task that
 * registers, here the one loading cn_test. Fail every allocation made
 * from the notification code (a stack-trace filter on its text, for that
 * task only): the loads and unloads go on, their notifications are lost,
 * nothing leaks; without the failures they are heard again.
 */
TEST_F_TIMEOUT(stress, allocation_failures_notification_delivery, 600)
{
	unsigned long long start, end;
	int holder, added, removed, k, rounds = 5, lost = 0;
	char val[32];
	unsigned int i;

	if (access("/sys/kernel/debug/failslab/require-start", F_OK))
		SKIP(return, NO_FAULTS);
	ASSERT_EQ(0, text_range("cn_notify_change", &start, &end))
		TH_LOG("cn_notify_change not in /proc/kallsyms");
	holder = cn_socket(0);
	ASSERT_LE(0, holder);
	ASSERT_EQ(0, notify_request(holder, 1, false));
	ASSERT_EQ(self->base_requests + 1, request_count());
	ASSERT_EQ(0, cn_module_unload("cn_test"));
	notes_heard(holder, &added, &removed, 300);
	ASSERT_EQ(1, removed);

	for (i = 0; i < ARRAY_SIZE(notify_faults); i++)
		ASSERT_EQ(0, cn_write_file(notify_faults[i][0], notify_faults[i][1]))
			faults_off();
	snprintf(val, sizeof(val), "%llu", start);
	ASSERT_EQ(0, cn_write_file("/sys/kernel/debug/failslab/require-start", val))
		faults_off();
	snprintf(val, sizeof(val), "%llu", end);
	ASSERT_EQ(0, cn_write_file("/sys/kernel/debug/failslab/require-end", val))
		faults_off();
	ASSERT_EQ(0, cn_write_file("/sys/kernel/debug/failslab/probability", "100"))
		faults_off();
	for (k = 0; k < rounds; k++) {
		/* The registrations themselves must not be touched. */
		EXPECT_EQ(0, in_failing_task(true)) TH_LOG("load %d", k);
		notes_heard(holder, &added, &removed, 200);
		lost += !added;
		EXPECT_EQ(0, in_failing_task(false)) TH_LOG("unload %d", k);
		notes_heard(holder, &added, &removed, 200);
		lost += !removed;
		EXPECT_EQ(self->base_requests + 1, request_count());
	}
	faults_off();
	TH_LOG("notification code at %#llx-%#llx: %d of %d notifications lost",
	       start, end, lost, 2 * rounds);
	EXPECT_EQ(2 * rounds, lost);

	/* The positive control: the next load is announced, once. */
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	notes_heard(holder, &added, &removed, 300);
	EXPECT_EQ(1, added);
	EXPECT_EQ(0, removed);
	EXPECT_EQ(self->base_requests + 1, request_count());
	close(holder);
	EXPECT_EQ(self->base_requests, request_count());
	EXPECT_TRUE(echo_works());
}

TEST_HARNESS_MAIN
