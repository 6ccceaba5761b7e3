// SPDX-License-Identifier: GPL-2.0
/*
 * With the connector built as modules (cn, cn_notify): unloading them
 * while connector sockets are open, one of them holding a notification
 * request, must be refused cleanly (the modules are in use), and must not
 * disturb the sockets: the request still answers afterwards. The caller
 * unloads the modules once this program has closed its sockets.
 * Exit 0 when all of that holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/connector.h>
#include <linux/netlink.h>

static int cn_socket(void)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	return fd;
}

/* Ask for notifications about idx 14; return the error of the answer. */
static int request(int fd, unsigned int seq)
{
	struct {
		struct nlmsghdr nlh;
		struct cn_msg msg;
		struct cn_ctl_msg ctl;
		struct cn_notify_req req;
	} out = {
		.nlh = { .nlmsg_len = sizeof(out), .nlmsg_type = NLMSG_DONE },
		.msg = {
			.id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR },
			.seq = seq,
			.len = sizeof(out.ctl) + sizeof(out.req),
		},
		.ctl = { .idx_notify_num = 1, .len = sizeof(out.req) },
		.req = { 14, 1 },
	};
	char buf[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (send(fd, &out, sizeof(out), 0) != sizeof(out))
		return -1;
	while (poll(&pfd, 1, 2000) == 1) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		struct cn_msg *msg = NLMSG_DATA(nlh);
		struct cn_notify_msg note;
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < (ssize_t)NLMSG_LENGTH(sizeof(*msg) + sizeof(note)))
			continue;
		memcpy(&note, msg->data, sizeof(note));
		if (msg->seq == seq && note.type == CN_NOTIFY_ACK)
			return note.err;
	}
	return -1;
}

static int refused(const char *module)
{
	if (!syscall(__NR_delete_module, module, O_NONBLOCK)) {
		printf("%s unloaded although sockets are open\n", module);
		return 0;
	}
	printf("unloading %s while sockets are open: %s\n", module,
	       strerror(errno));
	return errno == EWOULDBLOCK || errno == EBUSY;
}

int main(void)
{
	int plain = cn_socket(), asker = cn_socket(), ok = 1;

	if (plain < 0 || asker < 0) {
		perror("socket");
		return 1;
	}
	if (request(asker, 1)) {
		printf("the notification request was not acknowledged\n");
		return 1;
	}
	ok &= refused("cn_notify");
	ok &= refused("cn");
	/* The refusal changed nothing: the service still answers. */
	if (request(asker, 2)) {
		printf("no answer after the refused unloads\n");
		ok = 0;
	}
	close(asker);
	close(plain);
	return ok ? 0 : 1;
}
