/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the connector selftests: sockets, messages, and the
 * cn_test sample module they talk to.
 */
#ifndef CN_UTIL_H
#define CN_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include <linux/connector.h>
#include <linux/netlink.h>

#define CN_TEST_IDX	(CN_NETLINK_USERS + 3)
#define CN_TEST_VAL	0x456
/* Largest data a message can carry: header and data within the limit. */
#define CN_MAX_DATA	(CONNECTOR_MAX_MSG_SIZE - sizeof(struct cn_msg))
#define CN_BUF_SIZE	(NLMSG_SPACE(sizeof(struct cn_msg) + 65536))

/* A NETLINK_CONNECTOR socket bound to an automatic port, in @group if set. */
static inline int cn_socket(int group)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd, size = 4 << 20;

	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    (group && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				 &group, sizeof(group)) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @len raw bytes to the kernel. */
static inline int cn_send_raw(int fd, const void *buf, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	return sendto(fd, buf, len, 0, (struct sockaddr *)&kernel,
		      sizeof(kernel)) == (ssize_t)len ? 0 : -1;
}

/*
 * Build a connector message into @buf: netlink header, cn_msg, @len bytes
 * of data (a byte pattern derived from @seq when @data is NULL). Returns
 * the netlink message length.
 */
static inline size_t cn_build(void *buf, struct cb_id id, unsigned int seq,
			      unsigned int ack, const void *data, size_t len)
{
	struct nlmsghdr *nlh = buf;
	struct cn_msg *msg = NLMSG_DATA(nlh);
	size_t i;

	memset(nlh, 0, NLMSG_LENGTH(sizeof(*msg)));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*msg) + len);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = seq;
	msg->id = id;
	msg->seq = seq;
	msg->ack = ack;
	msg->len = len;
	for (i = 0; i < len; i++)
		msg->data[i] = data ? ((const unsigned char *)data)[i] :
				      (unsigned char)(seq * 7 + i);
	return nlh->nlmsg_len;
}

static inline int cn_send_msg(int fd, struct cb_id id, unsigned int seq,
			      unsigned int ack, const void *data, size_t len)
{
	static char buf[CN_BUF_SIZE];

	return cn_send_raw(fd, buf, cn_build(buf, id, seq, ack, data, len));
}

/*
 * Receive one connector message into @buf within @timeout_ms. Returns the
 * message, or NULL on timeout or error (errno says which: EAGAIN for a
 * timeout).
 */
static inline struct cn_msg *cn_recv(int fd, void *buf, size_t size,
				     int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct nlmsghdr *nlh = buf;
	ssize_t len;
	int ready;

	ready = poll(&pfd, 1, timeout_ms);
	if (ready <= 0) {
		if (ready == 0)
			errno = EAGAIN;
		return NULL;
	}
	len = recv(fd, buf, size, 0);
	if (len < 0)
		return NULL;
	if (!NLMSG_OK(nlh, len) ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct cn_msg))) {
		errno = EBADMSG;
		return NULL;
	}
	return NLMSG_DATA(nlh);
}

/*
 * Wait for the reply to request @seq from @id: a message with that seq.
 * Other messages are skipped. NULL when none came within @timeout_ms.
 */
static inline struct cn_msg *cn_wait_seq(int fd, void *buf, size_t size,
					 struct cb_id id, unsigned int seq,
					 int timeout_ms)
{
	struct cn_msg *msg;

	while ((msg = cn_recv(fd, buf, size, timeout_ms)))
		if (msg->id.idx == id.idx && msg->id.val == id.val &&
		    msg->seq == seq)
			return msg;
	return NULL;
}

/* Path of the cn_test module of the running kernel. */
static inline const char *cn_test_path(void)
{
	static char path[256];
	struct utsname u;

	if (getenv("CN_TEST_KO"))
		return getenv("CN_TEST_KO");
	uname(&u);
	snprintf(path, sizeof(path),
		 "/lib/modules/%s/kernel/samples/connector/cn_test.ko",
		 u.release);
	return path;
}

/* Why tests that need cn_test cannot run here, or NULL when they can. */
static inline const char *cn_test_unavailable(void)
{
	if (geteuid())
		return "needs root to load cn_test";
	if (access(cn_test_path(), R_OK))
		return "cn_test.ko missing (CONFIG_SAMPLE_CONNECTOR=m)";
	return NULL;
}

/*
 * A bound socket whose receive buffer is @rcvbuf bytes as SO_RCVBUF takes
 * them (the kernel doubles the value, and raises it to its minimum).
 */
static inline int cn_socket_rcvbuf(int rcvbuf)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The netlink port id of @fd, 0 when it has none. */
static inline __u32 cn_portid(int fd)
{
	struct sockaddr_nl addr = { 0 };
	socklen_t len = sizeof(addr);

	if (getsockname(fd, (struct sockaddr *)&addr, &len))
		return 0;
	return addr.nl_pid;
}

/* Write all of @text to @path: 0, or -1 with errno set. */
static inline int cn_write_file(const char *path, const char *text)
{
	ssize_t len = strlen(text), done;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	done = write(fd, text, len);
	err = errno;
	close(fd);
	if (done == len)
		return 0;
	errno = done < 0 ? err : EIO;
	return -1;
}

/* The number a file starts with; -1 when it cannot be read. */
static inline long cn_read_number(const char *path)
{
	char text[64];
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	text[len] = 0;
	return strtol(text, NULL, 10);
}

/* A numeric parameter of a loaded module; -1 when it cannot be read. */
static inline long cn_module_param(const char *module, const char *param)
{
	char path[192];

	snprintf(path, sizeof(path), "/sys/module/%s/parameters/%s", module,
		 param);
	return cn_read_number(path);
}

/*
 * Up to @max CPUs this task may run on, lowest first; returns how many.
 * Raw system calls: no _GNU_SOURCE needed by the includer.
 */
static inline int cn_cpus(int *cpus, int max)
{
	unsigned long mask[16] = { 0 };
	int bits = 8 * sizeof(mask[0]), n = 0, cpu;
	long len;

	len = syscall(__NR_sched_getaffinity, 0, sizeof(mask), mask);
	if (len <= 0)
		return 0;
	for (cpu = 0; cpu < 8 * len && n < max; cpu++)
		if (mask[cpu / bits] & (1UL << (cpu % bits)))
			cpus[n++] = cpu;
	return n;
}

/* Run the calling task on @cpu only: 0, or -1. */
static inline int cn_pin(int cpu)
{
	unsigned long mask[16] = { 0 };
	int bits = 8 * sizeof(mask[0]);

	if (cpu < 0 || cpu >= 8 * (int)sizeof(mask))
		return -1;
	mask[cpu / bits] = 1UL << (cpu % bits);
	return syscall(__NR_sched_setaffinity, 0, sizeof(mask), mask) ? -1 : 0;
}

static inline bool cn_module_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Load a module file with @params; 0 when loaded or already there. */
static inline int cn_module_load(const char *path, const char *params)
{
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	err = syscall(__NR_finit_module, fd, params, 0);
	close(fd);
	return err && errno == EEXIST ? 0 : err;
}

static inline int cn_module_unload(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK);
}

/* Does /proc/net/connector list @name with @id? -1 when unreadable. */
static inline int cn_proc_lists(const char *name, struct cb_id id)
{
	char line[256], want[64];
	bool found = false;
	FILE *f;

	f = fopen("/proc/net/connector", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%u:%u", id.idx, id.val);
	while (fgets(line, sizeof(line), f)) {
		char lname[64], lid[64];

		if (sscanf(line, "%63s %63s", lname, lid) == 2 &&
		    !strcmp(lname, name) && !strcmp(lid, want))
			found = true;
	}
	fclose(f);
	return found;
}

#endif /* CN_UTIL_H */
