// SPDX-License-Identifier: GPL-2.0
/*
 * Connector stress and hostile-input selftests. Each test is bounded in
 * count and time, prints what it did, and ends by proving the connector
 * still works. Counts can be raised through the environment:
 *
 *   CN_FUZZ_DATAGRAMS  datagrams the fuzzer sends (default 20000)
 *   CN_FUZZ_SEED       its seed (default 1)
 *   CN_CHURN_SECONDS   length of the listener churn (default 5)
 *
 * Needs root; fault injection needs CONFIG_FAULT_INJECTION and
 * CONFIG_FAILSLAB (it is skipped without them).
 */

#define _GNU_SOURCE
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/cn_proc.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define STATS_FILE	"/sys/kernel/debug/connector/proc_events"
#define REQUESTS_FILE	"/sys/kernel/debug/connector/notify_requests"

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

/* A process-event listener hears a fork: the event path works. */
static bool events_work(void)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_FORK };
	int fd = cn_socket(CN_IDX_PROC);
	struct cn_msg *msg;
	bool ok = false;
	pid_t pid;

	if (fd < 0)
		return false;
	cn_send_msg(fd, proc_id, 1, 0, &in, sizeof(in));
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	while (!ok && (msg = cn_recv(fd, rxbuf, sizeof(rxbuf), 2000))) {
		struct proc_event ev;

		memcpy(&ev, msg->data, sizeof(ev));
		ok = ev.what == PROC_EVENT_FORK && ev.event_data.fork.child_pid == pid;
	}
	close(fd);
	return ok;
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

FIXTURE(stress)
{
	int base_listeners;
	int base_requests;
};

FIXTURE_SETUP(stress)
{
	const char *why = cn_test_unavailable();

	if (why)
		SKIP(return, "%s", why);
	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	self->base_listeners = listener_count();
	self->base_requests = request_count();
}

FIXTURE_TEARDOWN(stress)
{
}

/*
 * Malformed and random datagrams at every registered id and at unknown
 * ones: lengths of every size, headers that lie, several messages in a
 * datagram, control messages with random payloads, some of them from an
 * unprivileged process.
 */
TEST_F_TIMEOUT(stress, fuzz, 1800)
{
	static const struct cb_id ids[] = {
		{ CN_TEST_IDX, CN_TEST_VAL }, { CN_IDX_PROC, CN_VAL_PROC },
		{ CN_IDX_CONNECTOR, CN_VAL_CONNECTOR }, { CN_W1_IDX, CN_W1_VAL },
		{ 0, 0 }, { CN_TEST_IDX, CN_TEST_VAL + 1 }, { 0xffffffff, 0 },
	};
	long total = env_long("CN_FUZZ_DATAGRAMS", 20000);
	long seed = env_long("CN_FUZZ_SEED", 1);
	long sent = 0, refused = 0, i, unpriv = total / 10;
	int status;
	pid_t pid;

	/* A tenth of it from an unprivileged process, then the rest. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		total = unpriv;
		seed += 1000;
	}
	if (pid > 0)
		total -= unpriv;

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	{
		int fd = cn_socket(0), group = CN_IDX_PROC;

		ASSERT_LE(0, fd);
		setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			   sizeof(group));
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
			sent++;
			/* Keep the socket's queue moving. */
			while (recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT) > 0)
				;
		}
		close(fd);
	}
	if (pid == 0)
		_exit(0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	TH_LOG("fuzz: %ld datagrams (seed %ld, %ld more unprivileged), %ld refused by send()",
	       sent, seed, unpriv, refused);
	EXPECT_TRUE(echo_works());
	EXPECT_TRUE(events_work());
	if (self->base_listeners >= 0)
		EXPECT_EQ(self->base_listeners, listener_count());
	if (self->base_requests >= 0)
		EXPECT_EQ(self->base_requests, request_count());
}

/* Listeners come and go in every way while processes fork and exit. */
TEST_F_TIMEOUT(stress, listener_churn, 600)
{
	long seconds = env_long("CN_CHURN_SECONDS", 5);
	pid_t storm, churners[4];
	long rounds = 0, killed = 0;
	time_t end;
	int i;

	storm = fork();
	ASSERT_LE(0, storm);
	if (storm == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rng_state = 12345;
		for (;;) {
			pid_t p = fork();

			if (p == 0) {
				if (rnd() & 1)
					execl("/bin/true", "true", NULL);
				_exit(rnd() & 3);
			}
			if (p > 0)
				waitpid(p, NULL, 0);
		}
	}

	end = time(NULL) + seconds;
	while (time(NULL) < end) {
		for (i = 0; i < 4; i++) {
			churners[i] = fork();
			ASSERT_LE(0, churners[i]);
			if (churners[i] == 0) {
				struct proc_input in = { PROC_CN_MCAST_LISTEN, 0 };
				int fd = cn_socket(i & 1 ? CN_IDX_PROC : 0), n;

				rng_state = getpid() * 7919ULL + rounds;
				for (n = 0; n < 20 && fd >= 0; n++) {
					in.mcast_op = rnd() % 3 ? PROC_CN_MCAST_LISTEN :
								  PROC_CN_MCAST_IGNORE;
					in.event_type = rnd() & PROC_EVENT_ALL;
					cn_send_msg(fd, proc_id, n, 0, &in,
						    rnd() & 1 ? sizeof(in) : 4);
					recv(fd, rxbuf, sizeof(rxbuf), MSG_DONTWAIT);
				}
				/* Leave with or without IGNORE, or wait to be killed. */
				if (rnd() & 1)
					pause();
				_exit(0);
			}
		}
		usleep(20 * 1000);
		for (i = 0; i < 4; i++) {
			if (!kill(churners[i], SIGKILL))
				killed++;
			waitpid(churners[i], NULL, 0);
		}
		rounds++;
	}
	kill(storm, SIGKILL);
	waitpid(storm, NULL, 0);

	TH_LOG("churn: %ld rounds of 4 listeners in %ld s during a fork storm, %ld kill signals",
	       rounds, seconds, killed);
	if (self->base_listeners >= 0)
		EXPECT_EQ(self->base_listeners, listener_count())
			TH_LOG("listener count did not come back");
	EXPECT_TRUE(events_work());
}

/*
 * A listener that stops reading: the producer is never held up, the
 * listener sees ENOBUFS once, then events again.
 */
TEST_F_TIMEOUT(stress, slow_listener_overflows, 600)
{
	struct proc_input in = { PROC_CN_MCAST_LISTEN, PROC_EVENT_FORK };
	int fd = cn_socket(CN_IDX_PROC), size = 4096, enobufs = 0, after = 0;
	struct timespec t0, t1;
	long forks = 0, received = 0;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)));
	ASSERT_EQ(0, cn_send_msg(fd, proc_id, 1, 0, &in, sizeof(in)));

	/* Far more events than the receive buffer holds, none read. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (forks = 0; forks < 2000; forks++) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		ASSERT_LT(0, pid);
		waitpid(pid, NULL, 0);
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
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	while (cn_recv(fd, rxbuf, sizeof(rxbuf), 1000))
		after++;

	TH_LOG("overflow: %ld forks in %ld ms; listener read %ld events, %d ENOBUFS, then %d more",
	       forks, (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000,
	       received, enobufs, after);
	EXPECT_EQ(1, enobufs);
	EXPECT_LT(received, forks);
	EXPECT_LE(1, after);
	close(fd);
	if (self->base_listeners >= 0)
		EXPECT_EQ(self->base_listeners, listener_count());
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
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
 * Every allocation on the connector's paths fails in turn (fail-nth):
 * LISTEN, IGNORE, an echo, a notification request. Each failure must be
 * handled, and nothing may stay behind.
 */
TEST_F_TIMEOUT(stress, allocation_failures, 900)
{
	struct proc_input listen = { PROC_CN_MCAST_LISTEN, PROC_EVENT_ALL };
	struct proc_input ignore = { PROC_CN_MCAST_IGNORE, 0 };
	struct {
		struct cn_ctl_msg ctl;
		struct cn_notify_req req;
	} notify = { { 1, 0, 0, sizeof(struct cn_notify_req) }, { CN_TEST_IDX, 1 } };
	long injected = 0, steps = 0;
	unsigned int k;
	int op, n, nth;

	nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0 || access("/sys/kernel/debug/failslab", F_OK))
		SKIP(return, "no fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB)");
	for (k = 0; k < ARRAY_SIZE(fault_knobs); k++)
		ASSERT_EQ(0, write_file(fault_knobs[k][0], fault_knobs[k][1]));

	for (op = 0; op < 4; op++) {
		for (n = 1; n < 200; n++) {
			int fd = cn_socket(op == 0 ? CN_IDX_PROC : 0);

			ASSERT_LE(0, fd);
			ASSERT_EQ(0, fail_nth_arm(nth, n));
			/* Success and failure are both fine: only the aftermath counts. */
			switch (op) {
			case 0:
				cn_send_msg(fd, proc_id, n, 0, &listen, sizeof(listen));
				break;
			case 1:
				cn_send_msg(fd, proc_id, n, 0, &ignore, sizeof(ignore));
				break;
			case 2:
				cn_send_msg(fd, cn_test_id, n, 0, "fault", 6);
				break;
			default:
				cn_send_msg(fd, ctl_id, n, 0, &notify, sizeof(notify));
				break;
			}
			steps++;
			if (fail_nth_left(nth) != 0) {
				/* The path made fewer than n allocations: done. */
				fail_nth_arm(nth, 0);
				close(fd);
				break;
			}
			injected++;
			close(fd);
			if (self->base_listeners >= 0)
				ASSERT_EQ(self->base_listeners, listener_count())
					TH_LOG("op %d, failing allocation %d", op, n);
			if (self->base_requests >= 0)
				ASSERT_EQ(self->base_requests, request_count())
					TH_LOG("op %d, failing allocation %d", op, n);
		}
	}
	fail_nth_arm(nth, 0);
	close(nth);
	TH_LOG("fault injection: %ld operations, %ld of them with a failed allocation",
	       steps, injected);
	EXPECT_LT(0, injected);
	EXPECT_TRUE(echo_works());
	EXPECT_TRUE(events_work());
}

TEST_HARNESS_MAIN
