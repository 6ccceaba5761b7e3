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

#endif /* _UAPI__CONNECTOR_H */
