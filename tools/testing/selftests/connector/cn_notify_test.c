// SPDX-License-Identifier: GPL-2.0
/*
 * Callback notification selftests: a socket asks the connector (at
 * {CN_IDX_CONNECTOR, CN_VAL_CONNECTOR}) to report when ids in chosen
 * ranges come and go, then loads and unloads the cn_test sample.
 *
 * Needs root, cn_test.ko (CONFIG_SAMPLE_CONNECTOR=m), debugfs, user
 * namespaces and two CPUs: the harness guarantees them, so a missing one
 * is a failure. Environment:
 *
 *   CN_RELOAD_ROUNDS   unload/reload rounds of the racing test (default 50)
 *   CN_TEST_KO         the cn_test.ko to load (default: the kernel's)
 */

#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cn_util.h"

#define REQUESTS_FILE	"/sys/kernel/debug/connector/notify_requests"
#define USER_MAX_FILE	"/proc/sys/net/connector/notify_max_user_requests"

static const struct cb_id ctl_id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR };
static const struct cn_notify_req test_idx = { CN_TEST_IDX, 1 };
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

/* Ask for cn_test's idx on @fd: the acknowledgment's error, or -1. */
static int request_test_idx(int fd, unsigned int seq)
{
	if (request(fd, seq, 0, &test_idx, 1, 0))
		return -1;
	return ack_of(fd, seq);
}

/*
 * Read the notifications about cn_test until none came for @ms; store
 * their types in @types (up to @max) and return how many there were.
 */
static int read_notes(int fd, __u32 *types, int max, int ms)
{
	struct cn_msg *msg;
	int n = 0;

	while ((msg = cn_recv(fd, rxbuf, sizeof(rxbuf), ms))) {
		struct cn_notify_msg *note = (struct cn_notify_msg *)msg->data;

		if (msg->id.idx != CN_IDX_CONNECTOR || msg->len != sizeof(*note) ||
		    note->type == CN_NOTIFY_ACK)
			continue;
		if (note->id.idx == CN_TEST_IDX && note->id.val == CN_TEST_VAL &&
		    !strcmp(note->name, "cn_test")) {
			if (n < max)
				types[n] = note->type;
			n++;
		}
	}
	return n;
}

/* Count notifications of @type for cn_test's id arriving within @ms. */
static int count_notes(int fd, __u32 type, int ms)
{
	__u32 types[256];
	int i, n = read_notes(fd, types, 256, ms), count = 0;

	for (i = 0; i < n && i < 256; i++)
		count += types[i] == type;
	return count;
}

/* Did @fd hear exactly one REMOVED then one ADDED for cn_test? */
static bool heard_cycle(int fd)
{
	__u32 types[8];

	return read_notes(fd, types, 8, 100) == 2 &&
	       types[0] == CN_NOTIFY_REMOVED && types[1] == CN_NOTIFY_ADDED;
}

static int requests_now(void)
{
	return cn_read_number(REQUESTS_FILE);
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

/* Root and cn_test.ko: the harness provides both. */
static void require_cn_test(struct __test_metadata *_metadata)
{
	const char *why = cn_test_unavailable();

	ASSERT_TRUE(!why)
		TH_LOG("a precondition the harness guarantees is missing: %s", why);
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

FIXTURE(notify)
{
	int fd;
};

FIXTURE_SETUP(notify)
{
	self->fd = -1;
	require_cn_test(_metadata);
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
	int added, removed;

	ASSERT_EQ(0, request_test_idx(self->fd, 1));
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

	/* The fixture socket matches every time: the positive control. */
	ASSERT_EQ(0, request_test_idx(self->fd, 9));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int fd = cn_socket(0), added, removed;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, request(fd, 10 + i, 0, cases[i].ranges,
				     cases[i].nidx, cases[i].nval));
		ASSERT_EQ(0, ack_of(fd, 10 + i));
		cycle(_metadata, fd, &added, &removed);
		EXPECT_EQ(cases[i].want, added) TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].want, removed) TH_LOG("case %u", i);
		EXPECT_EQ(1, count_notes(self->fd, CN_NOTIFY_ADDED, 100))
			TH_LOG("case %u: the control socket missed ADDED", i);
		close(fd);
	}
}

TEST_F(notify, withdraw)
{
	int control = cn_socket(0), added, removed;

	ASSERT_LE(0, control);
	ASSERT_EQ(0, request_test_idx(control, 29));
	ASSERT_EQ(0, request_test_idx(self->fd, 30));
	ASSERT_EQ(0, request(self->fd, 31, 0, NULL, 0, 0));
	ASSERT_EQ(0, ack_of(self->fd, 31));
	cycle(_metadata, self->fd, &added, &removed);
	EXPECT_EQ(0, added);
	EXPECT_EQ(0, removed);
	/* Same cycle, a request that was not withdrawn: both arrived. */
	EXPECT_TRUE(heard_cycle(control))
		TH_LOG("the control socket did not get REMOVED then ADDED");
	close(control);
}

TEST_F(notify, close_cleans_up)
{
	int base = requests_now(), fd, i;

	ASSERT_LE(0, base) TH_LOG("%s not readable (debugfs is mounted by the harness)",
				  REQUESTS_FILE);
	fd = cn_socket(0);
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, request_test_idx(fd, 40 + i));
	EXPECT_EQ(base + 3, requests_now());
	close(fd);
	EXPECT_EQ(base, requests_now());
}

TEST_F(notify, per_socket_cap)
{
	int i, err = 0, other = cn_socket(0);

	ASSERT_LE(0, other);
	for (i = 0; i < 17 && !err; i++) {
		ASSERT_EQ(0, request(self->fd, 50 + i, 0, &test_idx, 1, 0));
		err = ack_of(self->fd, 50 + i);
	}
	EXPECT_EQ(ENOSPC, err);
	EXPECT_EQ(17, i);
	/* The cap is the socket's: another one still gets its request. */
	EXPECT_EQ(0, request_test_idx(other, 70));
	close(other);
}

TEST_F(notify, group_delivery)
{
	int group = CN_NETLINK_USERS + 5, member = cn_socket(group);
	int added, removed;

	ASSERT_LE(0, member);
	ASSERT_EQ(0, request(self->fd, 60, group, &test_idx, 1, 0));
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
	/* The positive control: a well-formed request is accepted. */
	EXPECT_EQ(0, request_test_idx(self->fd, 77));
}

TEST_F(notify, unprivileged_requests)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd;

		if (become(65534))
			_exit(10);
		fd = cn_socket(0);
		if (fd < 0)
			_exit(11);
		/* To a group: refused. To itself: allowed. */
		if (request(fd, 80, CN_NETLINK_USERS + 5, &test_idx, 1, 0) ||
		    ack_of(fd, 80) != EPERM)
			_exit(12);
		if (request_test_idx(fd, 81))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child status 0x%x (12: group not refused, 13: own refused)",
		       status);
}

/*
 * Notifications go to the socket that asked, not to whatever socket has
 * its port id later: a port id is reused as soon as its socket is gone.
 */
TEST_F(notify, only_the_requesting_socket)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int asker = cn_socket(0), heir, control, base = requests_now();
	int added, removed, heir_got;

	ASSERT_LE(0, base) TH_LOG("%s not readable", REQUESTS_FILE);
	ASSERT_LE(0, asker);
	control = cn_socket(0);
	ASSERT_LE(0, control);
	ASSERT_EQ(0, request_test_idx(asker, 90));
	ASSERT_EQ(0, request_test_idx(control, 91));
	addr.nl_pid = cn_portid(asker);
	ASSERT_NE(0, addr.nl_pid);
	close(asker);
	EXPECT_EQ(base + 1, requests_now()) TH_LOG("the closed socket's request stayed");

	heir = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
	ASSERT_LE(0, heir);
	ASSERT_EQ(0, bind(heir, (struct sockaddr *)&addr, sizeof(addr)))
		TH_LOG("bind to the freed port id %u: %s", addr.nl_pid,
		       strerror(errno));

	cycle(_metadata, control, &added, &removed);
	heir_got = read_notes(heir, NULL, 0, 300);
	/* The positive control: the same reload reached a socket that asked. */
	EXPECT_EQ(1, removed);
	EXPECT_EQ(1, added);
	EXPECT_EQ(0, heir_got)
		TH_LOG("the socket now at port %u got %d notifications meant for its predecessor",
		       addr.nl_pid, heir_got);
	close(heir);
	close(control);
}

/* Receive one datagram into @buf filled with 0xa5 first: its length. */
static ssize_t recv_prefilled(int fd, char *buf, size_t size, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	memset(buf, 0xa5, size);
	if (poll(&pfd, 1, ms) != 1)
		return -1;
	return recv(fd, buf, size, 0);
}

/*
 * One notification per datagram, sized exactly, its padding and every
 * field the kernel does not set zero: nothing of kernel memory leaks.
 */
static void check_note_bytes(struct __test_metadata *_metadata,
			     const char *buf, ssize_t len, __u32 type)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct cn_msg *msg = NLMSG_DATA(nlh);
	struct cn_notify_msg note;
	size_t i, end;
	int dirty = 0;

	ASSERT_LE((ssize_t)NLMSG_LENGTH(sizeof(*msg) + sizeof(note)), len);
	ASSERT_EQ(NLMSG_LENGTH(sizeof(*msg) + sizeof(note)), nlh->nlmsg_len);
	EXPECT_EQ(NLMSG_ALIGN(nlh->nlmsg_len), len);
	for (i = nlh->nlmsg_len; i < (size_t)len; i++)
		dirty += buf[i] != 0;
	EXPECT_EQ(0, dirty) TH_LOG("type %u: non-zero padding", type);
	EXPECT_EQ(CN_IDX_CONNECTOR, msg->id.idx);
	EXPECT_EQ(CN_VAL_CONNECTOR, msg->id.val);
	EXPECT_EQ(sizeof(note), msg->len);
	EXPECT_EQ(0, msg->flags) TH_LOG("type %u: cn_msg.flags", type);
	memcpy(&note, msg->data, sizeof(note));
	EXPECT_EQ(type, note.type);
	EXPECT_EQ(0, note.err);
	end = strnlen(note.name, sizeof(note.name));
	EXPECT_GT(sizeof(note.name), end) TH_LOG("type %u: name not terminated", type);
	for (dirty = 0, i = end; i < sizeof(note.name); i++)
		dirty += note.name[i] != 0;
	EXPECT_EQ(0, dirty)
		TH_LOG("type %u: %d non-zero bytes after the name's NUL", type, dirty);
	if (type == CN_NOTIFY_ACK)
		return;
	EXPECT_EQ(CN_TEST_IDX, note.id.idx);
	EXPECT_EQ(CN_TEST_VAL, note.id.val);
	EXPECT_STREQ("cn_test", note.name);
}

TEST_F(notify, no_uninitialised_bytes)
{
	static char buf[4096];
	ssize_t len;

	ASSERT_EQ(0, request(self->fd, 95, 0, &test_idx, 1, 0));
	len = recv_prefilled(self->fd, buf, sizeof(buf), 2000);
	ASSERT_LT(0, len) TH_LOG("no acknowledgment");
	check_note_bytes(_metadata, buf, len, CN_NOTIFY_ACK);

	ASSERT_EQ(0, cn_module_unload("cn_test"));
	len = recv_prefilled(self->fd, buf, sizeof(buf), 2000);
	ASSERT_LT(0, len) TH_LOG("no REMOVED");
	check_note_bytes(_metadata, buf, len, CN_NOTIFY_REMOVED);

	ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"));
	len = recv_prefilled(self->fd, buf, sizeof(buf), 2000);
	ASSERT_LT(0, len) TH_LOG("no ADDED");
	check_note_bytes(_metadata, buf, len, CN_NOTIFY_ADDED);
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

struct churn {
	int stop;
	long acked;	/* requests acknowledged with 0 */
	long errors;	/* requests or withdrawals not acknowledged with 0 */
	int last_error;
};

/* Request and withdraw on a socket of our own until told to stop. */
static void churn_requests(int cpu, struct churn *c)
{
	unsigned int seq = 1;
	int fd, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (cn_pin(cpu))
		_exit(2);
	fd = cn_socket(0);
	if (fd < 0)
		_exit(1);
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		err = request_test_idx(fd, seq++);
		if (!err) {
			__atomic_add_fetch(&c->acked, 1, __ATOMIC_RELAXED);
			err = request(fd, seq, 0, NULL, 0, 0) ? -2 : ack_of(fd, seq);
			seq++;
		}
		if (err) {
			c->last_error = err;
			__atomic_add_fetch(&c->errors, 1, __ATOMIC_RELAXED);
		}
	}
	_exit(0);
}

/*
 * Requests come and go on one CPU while cn_test comes and goes on the
 * other: a standing request hears of every change, once, in order.
 */
TEST_F_TIMEOUT(notify, requests_while_reloading, 900)
{
	const char *env = getenv("CN_RELOAD_ROUNDS");
	int rounds = env ? atoi(env) : 50, cpus[2], i, n, status;
	struct churn *c = shared_mem(sizeof(*c));
	long before, during, errors;
	int misplaced = 0, first_bad = -1;
	__u32 *types;
	pid_t pid;

	two_cpus(_metadata, cpus);
	ASSERT_NE(NULL, c);
	ASSERT_LE(1, rounds);
	types = calloc(2 * rounds + 16, sizeof(*types));
	ASSERT_NE(NULL, types);
	ASSERT_EQ(0, request_test_idx(self->fd, 100));
	ASSERT_EQ(0, cn_pin(cpus[0]));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		churn_requests(cpus[1], c);
	for (i = 0; i < 500 && !__atomic_load_n(&c->acked, __ATOMIC_RELAXED); i++)
		usleep(10 * 1000);
	before = __atomic_load_n(&c->acked, __ATOMIC_RELAXED);
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, cn_module_unload("cn_test")) TH_LOG("round %d", i);
		ASSERT_EQ(0, cn_module_load(cn_test_path(), "tick_ms=0"))
			TH_LOG("round %d", i);
	}
	during = __atomic_load_n(&c->acked, __ATOMIC_RELAXED) - before;
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	errors = c->errors;

	n = read_notes(self->fd, types, 2 * rounds + 16, 1000);
	for (i = 0; i < n && i < 2 * rounds + 16; i++) {
		__u32 want = i % 2 ? CN_NOTIFY_ADDED : CN_NOTIFY_REMOVED;

		if (types[i] != want && !misplaced++)
			first_bad = i;
	}
	TH_LOG("%d reloads on CPU %d; on CPU %d %ld requests acknowledged meanwhile, %ld errors",
	       rounds, cpus[0], cpus[1], during, errors);
	TH_LOG("the standing request heard %d notifications", n);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("requester status 0x%x", status);
	EXPECT_LT(0, during) TH_LOG("no request raced with the reloads");
	EXPECT_EQ(0, errors) TH_LOG("last error %d", c->last_error);
	EXPECT_EQ(2 * rounds, n);
	EXPECT_EQ(0, misplaced)
		TH_LOG("not REMOVED, ADDED, REMOVED...: first wrong at %d", first_bad);
	free(types);
	munmap(c, sizeof(*c));
}

/*
 * Per-user limits, with notify_max_user_requests lowered for the test and
 * put back by the parent whatever happens in the test.
 */
#define USER_MAX	20

FIXTURE(limit)
{
	char old[32];
};

FIXTURE_SETUP(limit)
{
	char text[16];
	ssize_t len;
	int fd;

	self->old[0] = 0;
	ASSERT_EQ(0, geteuid()) TH_LOG("needs root (the harness runs as root)");
	fd = open(USER_MAX_FILE, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", USER_MAX_FILE, strerror(errno));
	len = read(fd, self->old, sizeof(self->old) - 1);
	close(fd);
	ASSERT_LT(0, len);
	self->old[len] = 0;
	snprintf(text, sizeof(text), "%d", USER_MAX);
	ASSERT_EQ(0, cn_write_file(USER_MAX_FILE, text))
		TH_LOG("%s: %s", USER_MAX_FILE, strerror(errno));
}

FIXTURE_TEARDOWN_PARENT(limit)
{
	int err;

	if (!self->old[0])
		return;
	err = cn_write_file(USER_MAX_FILE, self->old) ? errno : 0;
	EXPECT_EQ(0, err) TH_LOG("could not restore %s: %s", USER_MAX_FILE, strerror(err));
}

/* A child holding requests: how it went, and the pipe that ends it. */
struct holder {
	pid_t pid;
	int report;	/* read: struct holder_report */
	int release;	/* closing it lets the child go */
};

struct holder_report {
	int step;	/* 0, or the setup step that failed */
	int err;	/* errno of that step */
	int acked;	/* requests acknowledged with 0 */
	int refusal;	/* the error of the one refused */
};

static int write_map(const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	return cn_write_file(path, text);
}

/* In a new user namespace that maps root inside to @uid outside. */
static int enter_userns(uid_t uid, struct holder_report *r)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %u 1", uid);
	/* setresuid() made us undumpable: /proc/self would be root's. */
	r->step = 3;
	if (prctl(PR_SET_DUMPABLE, 1))
		return -1;
	r->step = 4;
	if (unshare(CLONE_NEWUSER))
		return -1;
	r->step = 5;
	if (write_map("setgroups", "deny") || write_map("uid_map", map) ||
	    write_map("gid_map", map))
		return -1;
	r->step = 6;
	if (geteuid() != 0)
		return -1;
	return 0;
}

/*
 * Fork a child that becomes @uid (in a user namespace it creates, when
 * @userns) and files requests, ten per socket (below the socket cap),
 * until one is refused; then it reports and holds them until released.
 */
static int holder_start(struct holder *h, uid_t uid, bool userns)
{
	int report[2], release[2];

	if (pipe(report) || pipe(release))
		return -1;
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (h->pid == 0) {
		struct holder_report r = { 0 };
		unsigned int seq = 1;
		int fd = -1, on_fd = 10;
		char c;

		close(report[0]);
		close(release[1]);
		r.step = 1;
		if (become(uid) || (userns && enter_userns(uid, &r))) {
			r.err = errno;
			goto out;
		}
		r.step = 0;
		while (r.acked < 10 * USER_MAX) {
			if (on_fd == 10) {
				fd = cn_socket(0);
				if (fd < 0) {
					r.step = 7;
					r.err = errno;
					break;
				}
				on_fd = 0;
			}
			r.refusal = request_test_idx(fd, seq++);
			if (r.refusal)
				break;
			r.acked++;
			on_fd++;
		}
out:
		if (write(report[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		/* Holds until the parent closes its end, or is gone. */
		while (read(release[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(report[1]);
	close(release[0]);
	h->report = report[0];
	h->release = release[1];
	return 0;
}

static int holder_report(struct holder *h, struct holder_report *r)
{
	struct pollfd pfd = { .fd = h->report, .events = POLLIN };

	if (poll(&pfd, 1, 30000) != 1)
		return -1;
	return read(h->report, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

/* Let the holder go, and wait until its requests are gone with it. */
static int holder_stop(struct holder *h)
{
	int status;

	close(h->report);
	close(h->release);
	if (waitpid(h->pid, &status, 0) != h->pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * One request as @uid on a fresh socket: the ack's error, -1 for none,
 * or 200 and more when the child could not be set up.
 */
static int one_request_as(uid_t uid)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return 250;
	if (pid == 0) {
		if (become(uid))
			_exit(201);
		fd = cn_socket(0);
		if (fd < 0)
			_exit(202);
		_exit(request_test_idx(fd, 1) & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 251;
	status = WEXITSTATUS(status);
	return status == 0xff ? -1 : status;
}

/*
 * As @uid: 16 requests on one socket, the 17th refused by the socket cap,
 * then one more on another socket accepted. Returns the failed step.
 */
static int socket_cap_as(uid_t uid)
{
	int status, fd, i;
	pid_t pid = fork();

	if (pid < 0)
		return 250;
	if (pid == 0) {
		if (become(uid))
			_exit(201);
		fd = cn_socket(0);
		if (fd < 0)
			_exit(202);
		for (i = 0; i < 16; i++)
			if (request_test_idx(fd, 1 + i))
				_exit(1 + i);
		if (request_test_idx(fd, 17) != ENOSPC)
			_exit(17);
		fd = cn_socket(0);
		if (fd < 0)
			_exit(203);
		_exit(request_test_idx(fd, 18) ? 18 : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 251;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(limit, per_user, 120)
{
	struct holder_report r;
	int root_fd, err;
	struct holder h;

	ASSERT_EQ(0, holder_start(&h, 65534, false));
	ASSERT_EQ(0, holder_report(&h, &r)) TH_LOG("the holder did not report");
	ASSERT_EQ(0, r.step) TH_LOG("user 65534: setup step %d: %s", r.step,
				    strerror(r.err));
	EXPECT_EQ(USER_MAX, r.acked);
	EXPECT_EQ(ENOSPC, r.refusal);
	TH_LOG("user 65534 got %d requests, then error %d", r.acked, r.refusal);

	/* While it holds them: the limit is per user, not the system's. */
	err = one_request_as(65533);
	EXPECT_EQ(0, err) TH_LOG("user 65533 while 65534 is full: %d", err);
	err = socket_cap_as(65533);
	EXPECT_EQ(0, err) TH_LOG("user 65533, socket cap, step %d", err);
	root_fd = cn_socket(0);
	ASSERT_LE(0, root_fd);
	EXPECT_EQ(0, request_test_idx(root_fd, 1)) TH_LOG("root refused");
	close(root_fd);
	/* The same user is still full, on any socket. */
	EXPECT_EQ(ENOSPC, one_request_as(65534));

	EXPECT_EQ(0, holder_stop(&h));
	/* Its requests went with it, and with them its charge. */
	EXPECT_EQ(0, one_request_as(65534));
}

TEST_F_TIMEOUT(limit, charged_to_namespace_owner, 120)
{
	struct holder_report r;
	struct holder h;
	int err;

	ASSERT_EQ(0, holder_start(&h, 65532, true));
	ASSERT_EQ(0, holder_report(&h, &r)) TH_LOG("the holder did not report");
	ASSERT_NE(4, r.step)
		TH_LOG("unshare(CLONE_NEWUSER): %s (the test kernel has user namespaces)",
		       strerror(r.err));
	ASSERT_EQ(0, r.step) TH_LOG("setup step %d: %s (3 dumpable, 5 id maps, 6 uid)",
				    r.step, strerror(r.err));
	EXPECT_EQ(USER_MAX, r.acked);
	EXPECT_EQ(ENOSPC, r.refusal);
	TH_LOG("root of a namespace owned by 65532 got %d requests, then error %d",
	       r.acked, r.refusal);

	/* What was charged inside is charged to the owner outside. */
	err = one_request_as(65532);
	EXPECT_EQ(ENOSPC, err) TH_LOG("user 65532 outside: %d", err);
	/* The positive control, in the same window: another user. */
	err = one_request_as(65533);
	EXPECT_EQ(0, err) TH_LOG("user 65533: %d", err);

	EXPECT_EQ(0, holder_stop(&h));
	err = one_request_as(65532);
	EXPECT_EQ(0, err) TH_LOG("user 65532 after the namespace's requests went: %d", err);
}

TEST_HARNESS_MAIN
