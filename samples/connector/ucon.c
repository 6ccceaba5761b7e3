// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ucon - talk to a connector user from userspace.
 *
 * Joins the user's multicast group, optionally sends a burst of messages
 * to it, and prints every connector message it receives. Made to go with
 * samples/connector/cn_test.c, whose id is the default.
 *
 *   ucon                 listen to cn_test's broadcasts
 *   ucon -s 10           send 10 messages, print the replies and broadcasts
 *   ucon -n 5 -t 10      stop after 5 messages or 10 seconds
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/connector.h>
#include <linux/netlink.h>

#define BUF_SIZE	(NLMSG_SPACE(sizeof(struct cn_msg) + CONNECTOR_MAX_MSG_SIZE))

static void usage(const char *prog)
{
	fprintf(stderr,
		"Usage: %s [-i idx] [-v val] [-g group] [-s count] [-n max] [-t seconds]\n"
		"  -i, -v  connector id to send to (default %u.%u, cn_test)\n"
		"  -g      multicast group to join, 0 for none (default: idx)\n"
		"  -s      send a burst of count messages\n"
		"  -n      exit after receiving max messages\n"
		"  -t      exit after seconds without a message (default: never)\n",
		prog, CN_NETLINK_USERS + 3, 0x456);
	exit(2);
}

static unsigned int number(const char *arg, const char *prog)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 0);

	if (!*arg || *end)
		usage(prog);
	return v;
}

static int send_one(int fd, struct cb_id id, unsigned int seq)
{
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + 64)] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct cn_msg *msg = NLMSG_DATA(nlh);
	int len;

	len = snprintf((char *)msg->data, 64, "ucon message %u", seq) + 1;
	msg->id = id;
	msg->seq = seq;
	msg->ack = 0;
	msg->len = len;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*msg) + len);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = getpid();
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0) {
		perror("send");
		return -1;
	}
	printf("sent    [%u.%u] seq=%u ack=0 len=%u\n", id.idx, id.val, seq, len);
	return 0;
}

static void print_msg(const struct cn_msg *msg)
{
	unsigned int i, printable = msg->len > 0;

	for (i = 0; i + 1 < msg->len; i++)
		if (msg->data[i] < 0x20 || msg->data[i] > 0x7e)
			printable = 0;
	printf("recv    [%u.%u] seq=%u ack=%u len=%u", msg->id.idx, msg->id.val,
	       msg->seq, msg->ack, msg->len);
	if (printable && msg->data[msg->len - 1] == '\0')
		printf(" \"%s\"", (const char *)msg->data);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct cb_id id = { CN_NETLINK_USERS + 3, 0x456 };
	unsigned int burst = 0, max = 0, timeout = 0, got = 0, i;
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	int group = -1, fd, opt;
	char *buf;

	while ((opt = getopt(argc, argv, "i:v:g:s:n:t:h")) != -1) {
		switch (opt) {
		case 'i':
			id.idx = number(optarg, argv[0]);
			break;
		case 'v':
			id.val = number(optarg, argv[0]);
			break;
		case 'g':
			group = number(optarg, argv[0]);
			break;
		case 's':
			burst = number(optarg, argv[0]);
			break;
		case 'n':
			max = number(optarg, argv[0]);
			break;
		case 't':
			timeout = number(optarg, argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	if (group < 0)
		group = id.idx;

	buf = malloc(BUF_SIZE);
	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
	if (!buf || fd < 0) {
		perror("socket");
		return 1;
	}
	addr.nl_pid = 0;	/* let the kernel pick our port id */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("bind");
		return 1;
	}
	if (group && setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&group, sizeof(group)) < 0) {
		fprintf(stderr, "joining group %d: %s\n", group, strerror(errno));
		return 1;
	}
	if (group)
		printf("joined group %d\n", group);
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (i = 0; i < burst; i++)
		if (send_one(fd, id, i) < 0)
			return 1;

	while (!max || got < max) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		ssize_t len;
		int ready;

		ready = poll(&pfd, 1, timeout ? (int)timeout * 1000 : -1);
		if (ready < 0) {
			perror("poll");
			return 1;
		}
		if (ready == 0) {
			printf("no message for %u s, %u received\n", timeout, got);
			return max ? 1 : 0;
		}
		len = recv(fd, buf, BUF_SIZE, 0);
		if (len < 0) {
			if (errno == ENOBUFS) {
				printf("receive queue overflowed: messages were lost\n");
				continue;
			}
			perror("recv");
			return 1;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct cn_msg)))
				continue;
			print_msg(NLMSG_DATA(nlh));
			got++;
		}
	}
	printf("%u messages received\n", got);
	close(fd);
	free(buf);
	return 0;
}
