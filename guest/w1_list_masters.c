// SPDX-License-Identifier: GPL-2.0
/*
 * Ask the 1-wire core (wire.ko, an in-tree connector user that is not
 * ours) for its bus masters over NETLINK_CONNECTOR, and check its answer.
 * The w1 netlink header is not uapi, so its layout is restated here.
 * Exit 0 when a well-formed W1_LIST_MASTERS answer arrives.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#define W1_LIST_MASTERS	6

struct w1_netlink_msg {
	__u8 type;
	__u8 status;
	__u16 len;
	__u8 id[8];
	__u8 data[];
};

int main(void)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[8192] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct cn_msg *cn = NLMSG_DATA(nlh);
	struct w1_netlink_msg *w1 = (struct w1_netlink_msg *)cn->data;
	struct pollfd pfd;
	int fd, len;

	fd = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_CONNECTOR);
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		perror("socket");
		return 1;
	}
	cn->id.idx = CN_W1_IDX;
	cn->id.val = CN_W1_VAL;
	cn->seq = 42;
	cn->len = sizeof(*w1);
	w1->type = W1_LIST_MASTERS;
	nlh->nlmsg_len = NLMSG_LENGTH(sizeof(*cn) + cn->len);
	nlh->nlmsg_type = NLMSG_DONE;
	if (sendto(fd, buf, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		perror("sendto");
		return 1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 5000) != 1) {
		fprintf(stderr, "no answer from w1 within 5 s\n");
		return 1;
	}
	memset(buf, 0, sizeof(buf));
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < (int)NLMSG_LENGTH(sizeof(*cn) + sizeof(*w1))) {
		fprintf(stderr, "short answer: %d bytes\n", len);
		return 1;
	}
	printf("w1 answered: id %u.%u seq %u ack %u, type %u status %u, %u master id bytes\n",
	       cn->id.idx, cn->id.val, cn->seq, cn->ack, w1->type, w1->status,
	       w1->len);
	return !(cn->id.idx == CN_W1_IDX && cn->id.val == CN_W1_VAL &&
		 cn->seq == 42 && w1->type == W1_LIST_MASTERS && w1->status == 0 &&
		 cn->len == sizeof(*w1) + w1->len);
}
