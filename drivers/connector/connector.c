// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel connector: the NETLINK_CONNECTOR socket, the receive path that
 * hands messages to registered users, and the send path they answer with.
 */

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "cn_internal.h"

/*
 * The instance of the initial network namespace. Its socket is set once at
 * init, before any user can register, and cleared at module exit, after the
 * last user has gone.
 */
static struct cn_dev cn_dev;

struct cn_dev *cn_init_dev(void)
{
	return &cn_dev;
}

/*
 * Every send funnels through here: @hdr is copied as it is, followed by
 * @len bytes from @data, which may hold further struct cn_msg records
 * behind the first one's data.
 */
int cn_send(struct cn_dev *dev, const struct cn_msg *hdr, const void *data,
	    u16 len, u32 portid, u32 group, gfp_t gfp,
	    netlink_filter_fn filter, void *filter_data)
{
	size_t size = sizeof(*hdr) + len;
	struct sk_buff *skb;
	struct cn_msg *out;
	int err;

	if (len > CONNECTOR_MAX_MSG_SIZE)
		return -EMSGSIZE;

	if (!portid && !group) {
		err = cn_table_group(dev, &hdr->id, &group);
		if (err)
			return err;
	}
	/* Build nothing for a group nobody is in. */
	if (!portid && !netlink_has_listeners(dev->nls, group))
		return -ESRCH;

	skb = nlmsg_new(size, gfp);
	if (!skb)
		return -ENOMEM;
	/* nlmsg_new() made room for exactly this message: this cannot fail. */
	out = nlmsg_data(__nlmsg_put(skb, 0, hdr->seq, NLMSG_DONE, size, 0));
	*out = *hdr;
	memcpy(out->data, data, len);

	if (!group) {
		/*
		 * Never wait for room in a user's receive queue: the receiver
		 * may be the very task we run in, inside its own sendmsg().
		 */
		err = netlink_unicast(dev->nls, skb, portid, MSG_DONTWAIT);
		return min(err, 0);
	}
	NETLINK_CB(skb).dst_group = group;
	return netlink_broadcast_filtered(dev->nls, skb, portid, group, gfp,
					  filter, filter_data);
}

/**
 * cn_netlink_send() - send a connector message
 * @msg: the message, followed by its @msg->len bytes of data
 * @portid: when not zero, the socket to unicast to
 * @group: when not zero, the multicast group to broadcast to
 * @gfp_mask: allocation flags
 *
 * The single-message, unfiltered form of cn_netlink_send_mult().
 *
 * Context: any context the allocation flags allow.
 * Return: as cn_netlink_send_mult().
 */
int cn_netlink_send(struct cn_msg *msg, u32 portid, u32 group,
		    gfp_t gfp_mask)
{
	return cn_send(&cn_dev, msg, msg->data, msg->len, portid, group,
		       gfp_mask, NULL, NULL);
}
EXPORT_SYMBOL_GPL(cn_netlink_send);

/**
 * cn_netlink_send_mult() - send one or more connector messages
 * @msg: the first message; further ones may follow its data
 * @len: number of bytes after the header of @msg: @msg->len for a single
 *	message, more when several struct cn_msg are sent together
 * @portid: when not zero, the socket to unicast to
 * @group: when not zero, the multicast group to broadcast to (the socket
 *	@portid, if also given, is left out of the broadcast)
 * @gfp_mask: allocation flags for the message
 * @filter: with @group, called for each member socket; non-zero skips it
 * @filter_data: passed to @filter
 *
 * With neither @portid nor @group the message goes to the group of the
 * user registered for @msg->id, which is its idx.
 *
 * Context: any context the allocation flags allow.
 * Return: 0 on success, -ENODEV when no group was given and no user has
 * @msg->id, -ESRCH when nobody listens on the group, -EMSGSIZE when @len
 * exceeds %CONNECTOR_MAX_MSG_SIZE, -ENOMEM, or another netlink error
 * (-ECONNREFUSED for a vanished @portid, -EAGAIN or -ENOBUFS for a full
 * receiver: the send never waits for a receiver to make room).
 */
int cn_netlink_send_mult(struct cn_msg *msg, u16 len, u32 portid,
			 u32 group, gfp_t gfp_mask,
			 netlink_filter_fn filter, void *filter_data)
{
	return cn_send(&cn_dev, msg, msg->data, len, portid, group, gfp_mask,
		       filter, filter_data);
}
EXPORT_SYMBOL_GPL(cn_netlink_send_mult);

/*
 * A netlink message is only handed on when its header, the connector
 * header and the data that header announces are all inside it, and it is
 * not larger than the connector accepts.
 */
static struct cn_msg *cn_msg_check(const struct nlmsghdr *nlh)
{
	struct cn_msg *msg;
	u32 payload;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*msg))
		return NULL;
	payload = nlh->nlmsg_len - NLMSG_HDRLEN;
	if (payload > CONNECTOR_MAX_MSG_SIZE)
		return NULL;
	msg = nlmsg_data(nlh);
	if (msg->len > payload - sizeof(*msg))
		return NULL;
	return msg;
}

static void cn_dispatch(struct cn_dev *dev, struct cn_msg *msg,
			struct netlink_skb_parms *nsp)
{
	struct cn_callback *cb;

	cb = cn_table_get(dev, &msg->id);
	if (!cb)
		return;
	cb->fn(msg, nsp);
	cn_table_put(cb);
}

/*
 * Netlink input: runs in the sending task, which keeps @skb alive until we
 * return. Every well-formed message of the datagram is dispatched in order;
 * the walk stops at the first one that is not.
 */
static void cn_rx_skb(struct sk_buff *skb)
{
	struct netlink_skb_parms *nsp = &NETLINK_CB(skb);
	struct nlmsghdr *nlh = nlmsg_hdr(skb);
	int remaining = skb->len;
	struct cn_msg *msg;

	while (nlmsg_ok(nlh, remaining)) {
		msg = cn_msg_check(nlh);
		if (!msg)
			return;
		cn_dispatch(&cn_dev, msg, nsp);
		nlh = nlmsg_next(nlh, &remaining);
	}
}

/*
 * Anyone may receive process events; every other group carries driver
 * traffic (1-wire, device-mapper, hypervisor daemons) and needs
 * CAP_NET_ADMIN. Called once per group being joined.
 */
static int cn_bind(struct net *net, int group)
{
	if (group == CN_IDX_PROC)
		return 0;
	return ns_capable(net->user_ns, CAP_NET_ADMIN) ? 0 : -EPERM;
}

/* Called for every NETLINK_CONNECTOR socket that closes, member or not. */
static void cn_release(struct sock *sk, unsigned long *groups)
{
	cn_notify_release(sk);
	cn_proc_release(sk);
}

/**
 * cn_add_callback() - register a connector user
 * @id: the address userspace sends to; must not be registered already
 * @name: shown in /proc/net/connector (truncated to 31 characters)
 * @callback: called with every valid message sent to @id, in the sending
 *	task's context; it may sleep
 *
 * Context: process context; sleeps.
 * Return: 0, -EEXIST when @id is taken, -ENOMEM, or -EAGAIN when the
 * connector is not initialised yet.
 */
int cn_add_callback(const struct cb_id *id, const char *name,
		    cn_callback_fn callback)
{
	if (!READ_ONCE(cn_dev.nls))
		return -EAGAIN;
	return cn_table_add(&cn_dev, id, name, callback);
}
EXPORT_SYMBOL_GPL(cn_add_callback);

/**
 * cn_del_callback() - unregister a connector user
 * @id: the address given to cn_add_callback(); unknown ids are ignored
 *
 * Waits for running invocations of the callback to finish. On return the
 * callback is not running and will not be called again, so the caller may
 * free what it uses or unload its module. Must not be called from the
 * callback being removed.
 *
 * Context: process context; sleeps.
 */
void cn_del_callback(const struct cb_id *id)
{
	cn_table_del(&cn_dev, id);
}
EXPORT_SYMBOL_GPL(cn_del_callback);

static struct netlink_kernel_cfg cn_netlink_cfg __initdata = {
	.input = cn_rx_skb,
	.bind = cn_bind,
	.release = cn_release,
	/* The registered idx values, and room for users outside the list. */
	.groups = CN_NETLINK_USERS + 0xf,
	/* cn_bind() decides who may join which group. */
	.flags = NL_CFG_F_NONROOT_RECV,
};

static int __init cn_init(void)
{
	struct sock *nls;
	int err;

	cn_table_init(&cn_dev);
	nls = netlink_kernel_create(&init_net, NETLINK_CONNECTOR, &cn_netlink_cfg);
	if (!nls)
		return -EIO;
	WRITE_ONCE(cn_dev.nls, nls);

	if (!proc_create_single_data("connector", 0444, init_net.proc_net,
				     cn_table_show, &cn_dev)) {
		err = -ENOMEM;
		goto err_sock;
	}
	/* debugfs is optional: its failures are not ours to report. */
	cn_dev.debugfs = debugfs_create_dir("connector", NULL);

	err = cn_notify_init(&cn_dev);
	if (err)
		goto err_proc;
	err = cn_proc_init(&cn_dev);
	if (err)
		goto err_notify;
	return 0;

err_notify:
	cn_table_del(&cn_dev, &cn_notify_ctl_id);
err_proc:
	debugfs_remove(cn_dev.debugfs);
	remove_proc_entry("connector", init_net.proc_net);
err_sock:
	WRITE_ONCE(cn_dev.nls, NULL);
	netlink_kernel_release(nls);
	return err;
}
subsys_initcall(cn_init);

static void __exit cn_exit(void)
{
	/*
	 * Users hold references on this module, so only our own control
	 * callback is left. (cn_proc cannot be built as a module.)
	 */
	cn_table_del(&cn_dev, &cn_notify_ctl_id);
	WARN_ON(!cn_table_empty(&cn_dev));
	debugfs_remove(cn_dev.debugfs);
	remove_proc_entry("connector", init_net.proc_net);
	netlink_kernel_release(cn_dev.nls);
	WRITE_ONCE(cn_dev.nls, NULL);
}
module_exit(cn_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kernel connector: messages between kernel users and userspace over netlink");
MODULE_ALIAS_NET_PF_PROTO(PF_NETLINK, NETLINK_CONNECTOR);
