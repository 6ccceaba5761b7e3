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
 *   ucon -w -g 0         ask to be told when cn_test's id is registered or
 *                        unregistered (callback notifications), and print
 *                        what the connector says
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
		"Usage: %s [-i idx] [-v val] [-g group] [-s count] [-n max] [-t seconds] [-w]\n"
		"  -i, -v  connector id to send to (default %u.%u, cn_test)\n"
		"  -g      multicast group to join, 0 for none (default: idx)\n"
		"  -s      send a burst of count messages\n"
		"  -n      exit after receiving max messages\n"
		"  -t      exit after seconds without a message (default: never)\n"
		"  -w      watch: ask to be told when the id is registered or\n"
		"          unregistered (callback notifications)\n",
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

/* Ask the connector to report registrations of @id's idx and val. */
static int watch(int fd, struct cb_id id)
{
	struct {
		struct cn_ctl_msg ctl;
		struct cn_notify_req ranges[2];
	} req = {
		.ctl = {
			.idx_notify_num = 1,
			.val_notify_num = 1,
			.len = 2 * sizeof(struct cn_notify_req),
		},
		.ranges = { { id.idx, 1 }, { id.val, 1 } },
	};
	char buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(req))] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct cn_msg *msg = NLMSG_DATA(nlh);

	msg->id.idx = CN_IDX_CONNECTOR;
	msg->id.val = CN_VAL_CONNECTOR;
	msg->seq = 1;
	msg->len = sizeof(req);
	memcpy(msg->data, &req, sizeof(req));
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*msg) + msg->len);
	nlh->nlmsg_type = NLMSG_DONE;
	if (send(fd, nlh, nlh->nlmsg_len, 0) < 0) {
		perror("send");
		return -1;
	}
	printf("asked to be told when [%u.%u] comes or goes\n", id.idx, id.val);
	return 0;
}

static const char *note_type(unsigned int type)
{
	switch (type) {
	case CN_NOTIFY_ACK:
		return "ack";
	case CN_NOTIFY_ADDED:
		return "added";
	case CN_NOTIFY_REMOVED:
		return "removed";
	}
	return "?";
}

/* What the connector itself says: an answer or a notification. */
static void print_note(const struct cn_msg *msg)
{
	struct cn_notify_msg note;

	if (msg->len < sizeof(note)) {
		printf("recv    [connector] short message, len=%u\n", msg->len);
		return;
	}
	memcpy(&note, msg->data, sizeof(note));
	note.name[sizeof(note.name) - 1] = '\0';
	if (note.type == CN_NOTIFY_ACK)
		printf("recv    [connector] ack seq=%u err=%u\n", msg->seq, note.err);
	else
		printf("recv    [connector] %s [%u.%u] \"%s\"\n", note_type(note.type),
		       note.id.idx, note.id.val, note.name);
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
	int group = -1, fd, opt, watching = 0;
	char *buf;

	while ((opt = getopt(argc, argv, "i:v:g:s:n:t:wh")) != -1) {
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
		case 'w':
			watching = 1;
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

	if (watching && watch(fd, id) < 0)
		return 1;
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
			struct cn_msg *msg = NLMSG_DATA(nlh);

			/* Trust no length the message does not hold. */
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)) ||
			    msg->len > nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*msg))) {
				printf("recv    malformed message, skipped\n");
				continue;
			}
			if (msg->id.idx == CN_IDX_CONNECTOR &&
			    msg->id.val == CN_VAL_CONNECTOR)
				print_note(msg);
			else
				print_msg(msg);
			got++;
		}
	}
	printf("%u messages received\n", got);
	close(fd);
	free(buf);
	return 0;
}
