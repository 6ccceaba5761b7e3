/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel connector: in-kernel interface.
 *
 * A kernel user registers a callback for a struct cb_id; messages that
 * userspace sends to that id over NETLINK_CONNECTOR are handed to it, and
 * the user answers or broadcasts with cn_netlink_send().
 */
#ifndef __CONNECTOR_H
#define __CONNECTOR_H

/*
 * Existing users reach list, workqueue, refcount and socket definitions
 * through this header; keep providing them.
 */
#include <linux/list.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <uapi/linux/connector.h>

/**
 * typedef cn_callback_fn - receive handler of a connector user
 * @msg: the message; valid only until the handler returns
 * @nsp: netlink parameters of the sending socket (portid, credentials)
 *
 * Runs in the context of the task that sent the message and may sleep.
 */
typedef void (*cn_callback_fn)(struct cn_msg *msg,
			       struct netlink_skb_parms *nsp);

int cn_add_callback(const struct cb_id *id, const char *name,
		    cn_callback_fn callback);
void cn_del_callback(const struct cb_id *id);

int cn_netlink_send_mult(struct cn_msg *msg, u16 len, u32 portid,
			 u32 group, gfp_t gfp_mask,
			 netlink_filter_fn filter,
			 void *filter_data);
int cn_netlink_send(struct cn_msg *msg, u32 portid, u32 group,
		    gfp_t gfp_mask);

/**
 * struct cn_notify_info - a change reported to connector notifiers
 * @id: the id that was registered or unregistered
 * @name: the name its callback was registered with
 * @all_netns: the callback is reached from every network namespace (a
 *	service of the connector itself), not only from the initial one
 *
 * The notifier's action is %CN_NOTIFY_ADDED or %CN_NOTIFY_REMOVED.
 */
struct cn_notify_info {
	struct cb_id id;
	const char *name;
	bool all_netns;
};

int cn_notify_register(struct notifier_block *nb);
int cn_notify_unregister(struct notifier_block *nb);

#endif /* __CONNECTOR_H */
