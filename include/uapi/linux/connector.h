/* SPDX-License-Identifier: GPL-2.0+ WITH Linux-syscall-note */
/*
 * Kernel connector: messages between kernel modules and userspace, carried
 * over NETLINK_CONNECTOR and addressed by a (idx, val) pair.
 *
 * A datagram is a netlink header followed by a struct cn_msg and its data.
 * See Documentation/driver-api/connector.rst.
 */
#ifndef _UAPI__CONNECTOR_H
#define _UAPI__CONNECTOR_H

#include <linux/types.h>

/*
 * Registered connector users. The idx of a user is also the netlink
 * multicast group its broadcasts go to.
 */
#define CN_IDX_PROC			0x1	/* process events, cn_proc.h */
#define CN_VAL_PROC			0x1
#define CN_IDX_CIFS			0x2
#define CN_VAL_CIFS			0x1
#define CN_W1_IDX			0x3	/* 1-wire bus */
#define CN_W1_VAL			0x1
#define CN_IDX_V86D			0x4	/* uvesafb helper */
#define CN_VAL_V86D_UVESAFB		0x1
#define CN_IDX_BB			0x5
#define CN_DST_IDX			0x6
#define CN_DST_VAL			0x1
#define CN_IDX_DM			0x7	/* device-mapper userspace log */
#define CN_VAL_DM_USERSPACE_LOG		0x1
#define CN_IDX_DRBD			0x8
#define CN_VAL_DRBD			0x1
#define CN_KVP_IDX			0x9	/* Hyper-V key/value pairs */
#define CN_KVP_VAL			0x1
#define CN_VSS_IDX			0xA	/* Hyper-V volume snapshots */
#define CN_VSS_VAL			0x1

/* One past the highest idx above. */
#define CN_NETLINK_USERS		11

/* The largest struct cn_msg plus data the connector accepts. */
#define CONNECTOR_MAX_MSG_SIZE		16384

/**
 * struct cb_id - address of a connector user
 * @idx: user (and multicast group) number
 * @val: sub-address within that user
 */
struct cb_id {
	__u32 idx;
	__u32 val;
};

/**
 * struct cn_msg - connector message header
 * @id: the user the message is for or from
 * @seq: sequence number chosen by the sender
 * @ack: acknowledgment number; a reply carries the request's @seq and
 *	the request's @ack plus one
 * @len: number of bytes in @data
 * @flags: user specific
 * @data: the payload
 */
struct cn_msg {
	struct cb_id id;

	__u32 seq;
	__u32 ack;

	__u16 len;
	__u16 flags;
	__u8 data[];
};

/*
 * Callback notifications.
 *
 * The connector itself answers at {CN_IDX_CONNECTOR, CN_VAL_CONNECTOR}.
 * A socket asks to be told when connector users whose ids fall in chosen
 * ranges are registered or unregistered by sending it a struct cn_ctl_msg
 * followed by its ranges. Every request is answered, by the seq/ack rule,
 * with a struct cn_notify_msg of type CN_NOTIFY_ACK; each later change of a
 * matching id is reported with a struct cn_notify_msg of type
 * CN_NOTIFY_ADDED or CN_NOTIFY_REMOVED, sent after the change took effect.
 */
#define CN_IDX_CONNECTOR		0xffffffff
#define CN_VAL_CONNECTOR		0xffffffff

/**
 * struct cn_notify_req - a range of idx or val values
 * @first: the first value of the range
 * @range: how many values the range has, from @first on: at least 1, and
 *	the range may not go past 0xffffffff
 */
struct cn_notify_req {
	__u32 first;
	__u32 range;
};

/**
 * struct cn_ctl_msg - notification request, the data of a control message
 * @idx_notify_num: number of idx ranges in @data
 * @val_notify_num: number of val ranges in @data, after the idx ranges.
 *	An id matches the request when its idx is in one of the idx ranges
 *	and its val in one of the val ranges; no idx range means any idx, no
 *	val range any val. At most 64 ranges in all.
 * @group: where notifications go: 0 for the requesting socket itself, or a
 *	multicast group of the connector past the registered users'
 *	(CN_NETLINK_USERS to CN_NETLINK_USERS + 0xf), which needs
 *	CAP_NET_ADMIN
 * @len: bytes in @data: (@idx_notify_num + @val_notify_num) times
 *	sizeof(struct cn_notify_req)
 * @data: the ranges, as struct cn_notify_req
 *
 * A request with no range at all withdraws the requests this socket made
 * for the same @group. Requests also end when their socket is closed. A
 * socket may have 16 requests at a time.
 */
struct cn_ctl_msg {
	__u32 idx_notify_num;
	__u32 val_notify_num;
	__u32 group;
	__u32 len;
	__u8 data[];
};

/* Types of struct cn_notify_msg. */
#define CN_NOTIFY_ACK			0	/* answer to a request */
#define CN_NOTIFY_ADDED			1	/* a callback was registered */
#define CN_NOTIFY_REMOVED		2	/* a callback was unregistered */

#define CN_NOTIFY_NAME_LEN		32

/**
 * struct cn_notify_msg - what the connector sends from its own id
 * @type: CN_NOTIFY_ACK, CN_NOTIFY_ADDED or CN_NOTIFY_REMOVED
 * @err: with CN_NOTIFY_ACK, 0 or a positive errno: EINVAL for a malformed
 *	request or group, EPERM for a group without CAP_NET_ADMIN, ENOSPC
 *	when the socket or its user has too many requests, ENOMEM, ENODEV
 *	while the service is being unloaded; otherwise 0
 * @id: the id that was registered or unregistered
 * @name: its callback's name, NUL terminated
 */
struct cn_notify_msg {
	__u32 type;
	__u32 err;
	struct cb_id id;
	char name[CN_NOTIFY_NAME_LEN];
};

#endif /* _UAPI__CONNECTOR_H */
