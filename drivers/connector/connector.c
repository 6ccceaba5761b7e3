// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel connector: one NETLINK_CONNECTOR kernel socket per network
 * namespace, the receive path that hands messages to the callbacks of
 * cn_callback.c, the send path, and the interface the connector's own
 * services are built on (cn_core.h).
 *
 * Driver callbacks registered with cn_add_callback() are reached from the
 * initial network namespace only, and their sends go there, as they
 * always did. Services registered with cn_add_service() are reached from
 * every namespace and answer in the namespace of the sender.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/user_namespace.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "cn_core.h"

/**
 * struct cn_dev - the connector of one network namespace
 * @nls: its kernel NETLINK_CONNECTOR socket, for senders. Set when the
 *	namespace is set up and cleared in pre_exit, an RCU grace period
 *	before the socket is released: a sender that sees it under RCU may
 *	send on it there, or hold it and send after (cn_nls_get()).
 * @sock: the same socket, for its release
 */
struct cn_dev {
	struct sock __rcu *nls;
	struct sock *sock;
};

/* The registered idx values, and room for users past them. */
#define CN_NETLINK_GROUPS	(CN_NETLINK_USERS + 0xf)

static unsigned int cn_net_id __read_mostly;
static bool cn_ready __read_mostly;
static struct dentry *cn_debugfs;

static struct cn_dev *cn_dev_of(const struct net *net)
{
	return net_generic(net, cn_net_id);
}

/*
 * Tasks that are running callbacks that may wait right now (a driver's,
 * not a service's: CN_CALLBACK_REPLIES_NOWAIT), with the socket whose
 * message they dispatch: a unicast to that socket from inside the
 * callback must never wait for room in its queue, since the task that
 * would make room is the one waiting. Entries live on the stack of
 * cn_rx_skb(); a bucket's lock covers its list.
 */
struct cn_rx_ctx {
	struct hlist_node node;
	const struct task_struct *task;
	const struct net *net;
	u32 portid;
};

#define CN_RX_BITS	6

static struct cn_rx_bucket {
	spinlock_t lock;	/* the bucket's list */
	struct hlist_head head;
} cn_rx_tasks[1 << CN_RX_BITS];

static struct cn_rx_bucket *cn_rx_bucket_of(const struct task_struct *task)
{
	return &cn_rx_tasks[hash_ptr(task, CN_RX_BITS)];
}

static void cn_rx_enter(struct cn_rx_ctx *ctx, const struct net *net,
			u32 portid)
{
	struct cn_rx_bucket *b = cn_rx_bucket_of(current);

	ctx->task = current;
	ctx->net = net;
	ctx->portid = portid;
	spin_lock(&b->lock);
	hlist_add_head(&ctx->node, &b->head);
	spin_unlock(&b->lock);
}

static void cn_rx_leave(struct cn_rx_ctx *ctx)
{
	struct cn_rx_bucket *b = cn_rx_bucket_of(ctx->task);

	spin_lock(&b->lock);
	hlist_del(&ctx->node);
	spin_unlock(&b->lock);
}

/* Is the current task dispatching a message from socket @portid in @net? */
static bool cn_rx_dispatching(const struct net *net, u32 portid)
{
	struct cn_rx_bucket *b = cn_rx_bucket_of(current);
	struct cn_rx_ctx *ctx;
	bool found = false;

	spin_lock(&b->lock);
	hlist_for_each_entry(ctx, &b->head, node) {
		if (ctx->task == current && net_eq(ctx->net, net) &&
		    ctx->portid == portid) {
			found = true;
			break;
		}
	}
	spin_unlock(&b->lock);
	return found;
}

/**
 * cn_msg_append() - add a connector message to an skb
 * @skb: the skb, with tailroom for the message
 * @hdr: the connector header; its @len is replaced by @len
 * @data: the data that follows the header
 * @len: number of bytes of @data
 *
 * Each message is a netlink message of type %NLMSG_DONE whose sequence
 * number is the connector header's. Several may follow each other in one
 * skb; readers walk them with NLMSG_NEXT().
 *
 * Context: any.
 * Return: 0, or -EMSGSIZE when the skb has no room for it.
 */
int cn_msg_append(struct sk_buff *skb, const struct cn_msg *hdr,
		  const void *data, u16 len)
{
	struct nlmsghdr *nlh;
	struct cn_msg *msg;

	nlh = nlmsg_put(skb, 0, hdr->seq, NLMSG_DONE, sizeof(*msg) + len, 0);
	if (!nlh)
		return -EMSGSIZE;
	msg = nlmsg_data(nlh);
	*msg = *hdr;
	msg->len = len;
	memcpy(msg->data, data, len);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(cn_msg_append, CONNECTOR_CORE);

/* The kernel socket of @net, under RCU; NULL while the namespace dies. */
static struct sock *cn_nls(const struct net *net)
{
	return rcu_dereference(cn_dev_of(net)->nls);
}

/*
 * The kernel socket of @net, held, or NULL while the namespace dies. A
 * send holds the socket, not the RCU read lock: netlink may sleep in a
 * send when the allocation flags allow it (copies for a group, waiting
 * for room). The pointer is cleared before the socket is released, and
 * RCU readers are waited for in between, so a socket found is alive.
 */
static struct sock *cn_nls_get(const struct net *net)
{
	struct sock *nls;

	rcu_read_lock();
	nls = cn_nls(net);
	if (nls)
		sock_hold(nls);
	rcu_read_unlock();
	return nls;
}

/*
 * Unicast @skb to @portid in @net, waiting for room in the receiver's
 * queue only when @wait is set.
 */
static int cn_unicast_wait(struct net *net, struct sk_buff *skb, u32 portid,
			   bool wait)
{
	struct sock *nls = cn_nls_get(net);
	int err;

	if (!nls) {
		kfree_skb(skb);
		return -ENODEV;
	}
	err = netlink_unicast(nls, skb, portid, !wait);
	sock_put(nls);
	return min(err, 0);
}

/*
 * Broadcast @skb to @group in @net, leaving out @portid (if not 0). A
 * broadcast that cannot sleep (every process event) stays under RCU and
 * writes no shared reference count; one that may sleep holds the socket.
 */
static int cn_broadcast_except(struct net *net, struct sk_buff *skb,
			       u32 portid, u32 group, gfp_t gfp,
			       netlink_filter_fn filter, void *filter_data)
{
	bool sleeps = gfpflags_allow_blocking(gfp);
	struct sock *nls;
	int err = -ENODEV;

	NETLINK_CB(skb).dst_group = group;
	if (!sleeps) {
		rcu_read_lock();
		nls = cn_nls(net);
		if (nls)
			err = netlink_broadcast_filtered(nls, skb, portid, group,
							 gfp, filter,
							 filter_data);
		rcu_read_unlock();
	} else {
		nls = cn_nls_get(net);
		if (nls) {
			err = netlink_broadcast_filtered(nls, skb, portid, group,
							 gfp, filter,
							 filter_data);
			sock_put(nls);
		}
	}
	if (!nls)
		kfree_skb(skb);
	return err;
}

/**
 * cn_unicast() - send an skb of connector messages to one socket
 * @net: the network namespace of the socket
 * @skb: the messages; consumed
 * @portid: the socket
 *
 * Never waits: when the receiver's queue is full the skb is dropped and
 * the receiver sees %ENOBUFS on its next receive.
 *
 * Context: any.
 * Return: 0 or a negative errno (-ECONNREFUSED for no such socket,
 * -EAGAIN for a full queue).
 */
int cn_unicast(struct net *net, struct sk_buff *skb, u32 portid)
{
	return cn_unicast_wait(net, skb, portid, false);
}
EXPORT_SYMBOL_NS_GPL(cn_unicast, CONNECTOR_CORE);

/**
 * cn_broadcast() - send an skb of connector messages to a group
 * @net: the network namespace
 * @skb: the messages; consumed
 * @group: the multicast group
 * @gfp: allocation flags for the copies netlink makes
 * @filter: called for every member; non-zero leaves that member out
 * @filter_data: passed to @filter
 *
 * Context: any the allocation flags allow.
 * Return: 0, -ESRCH when no member received it, or a negative errno.
 */
int cn_broadcast(struct net *net, struct sk_buff *skb, u32 group, gfp_t gfp,
		 netlink_filter_fn filter, void *filter_data)
{
	return cn_broadcast_except(net, skb, 0, group, gfp, filter,
				   filter_data);
}
EXPORT_SYMBOL_NS_GPL(cn_broadcast, CONNECTOR_CORE);

/**
 * cn_has_listeners() - may any socket listen on @group?
 * @net: the network namespace
 * @group: the multicast group
 *
 * Netlink keeps one answer for all namespaces: false means nobody in any
 * namespace is in @group, true that somebody may be.
 *
 * Context: any.
 * Return: false when no connector socket is in @group.
 */
bool cn_has_listeners(struct net *net, u32 group)
{
	struct sock *nls;
	bool ret = false;

	rcu_read_lock();
	nls = cn_nls(net);
	if (nls)
		ret = netlink_has_listeners(nls, group);
	rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_NS_GPL(cn_has_listeners, CONNECTOR_CORE);

/* The answer to @req: its id, its seq and its ack plus one, and @data. */
static struct sk_buff *cn_answer(const struct cn_msg *req, const void *data,
				 u16 len)
{
	struct cn_msg hdr = {
		.id = req->id,
		.seq = req->seq,
		.ack = req->ack + 1,
	};
	struct sk_buff *skb;

	skb = nlmsg_new(sizeof(hdr) + len, GFP_KERNEL);
	/* nlmsg_new() made room for exactly this message. */
	if (skb)
		cn_msg_append(skb, &hdr, data, len);
	return skb;
}

/**
 * cn_reply() - answer a request to the socket that sent it
 * @nsp: netlink parameters of the request
 * @req: the request; the answer carries its id, its seq and its ack plus
 *	one
 * @data: the answer's data
 * @len: number of bytes of @data
 *
 * The answer goes to the sender alone, in the sender's network namespace,
 * and never waits for room in its queue.
 *
 * Context: process context, inside the callback that got @req.
 * Return: 0 or a negative errno.
 */
int cn_reply(const struct netlink_skb_parms *nsp, const struct cn_msg *req,
	     const void *data, u16 len)
{
	struct sk_buff *skb;

	if (!nsp->sk)
		return -ENOTCONN;
	skb = cn_answer(req, data, len);
	if (!skb)
		return -ENOMEM;
	return cn_unicast(sock_net(nsp->sk), skb, nsp->portid);
}
EXPORT_SYMBOL_NS_GPL(cn_reply, CONNECTOR_CORE);

/* Broadcast filter of an answer: only the socket that asked (@data). */
static int cn_only_asker(struct sock *dsk, struct sk_buff *skb, void *data)
{
	return dsk != data;
}

/**
 * cn_reply_member() - answer a request to its sender, if in a group
 * @nsp: netlink parameters of the request
 * @req: the request; the answer carries its id, its seq and its ack plus
 *	one
 * @group: the multicast group the sender must be a member of
 * @data: the answer's data
 * @len: number of bytes of @data
 *
 * For services whose answers were always broadcast to a group: the
 * sender gets the answer when it is a member of @group, where it always
 * found it, and no other member does. Nothing is built when nobody in any
 * namespace is in @group; otherwise the answer costs a walk of the
 * group's members, as a broadcast does. Never waits for room in the
 * sender's queue.
 *
 * Context: process context, inside the callback that got @req.
 * Return: 0 when the sender got it, -ESRCH when it did not (not a member,
 * or its queue is full), or another negative errno.
 */
int cn_reply_member(const struct netlink_skb_parms *nsp,
		    const struct cn_msg *req, u32 group, const void *data,
		    u16 len)
{
	struct sk_buff *skb;
	struct net *net;

	if (!nsp->sk)
		return -ENOTCONN;
	net = sock_net(nsp->sk);
	if (!cn_has_listeners(net, group))
		return -ESRCH;
	skb = cn_answer(req, data, len);
	if (!skb)
		return -ENOMEM;
	return cn_broadcast(net, skb, group, GFP_NOWAIT, cn_only_asker,
			    nsp->sk);
}
EXPORT_SYMBOL_NS_GPL(cn_reply_member, CONNECTOR_CORE);

/**
 * cn_sender_capable() - may the sender of a message use @cap?
 * @nsp: netlink parameters of the message
 * @cap: the capability, over the user namespace of the socket's network
 *	namespace
 *
 * Netlink's rule: the task that sends (the callback runs in its context)
 * must have @cap, and so must whoever opened the socket, when a file
 * holds it. A socket created by the kernel has no file; its sender is
 * kernel code acting for itself.
 *
 * Context: process context, inside the callback that got the message.
 * Return: true when the sender may use @cap.
 */
bool cn_sender_capable(const struct netlink_skb_parms *nsp, int cap)
{
	struct user_namespace *ns;
	struct file *file;

	if (!nsp->sk)
		return false;
	ns = sock_net(nsp->sk)->user_ns;
	if (!ns_capable(ns, cap))
		return false;
	file = nsp->sk->sk_socket ? nsp->sk->sk_socket->file : NULL;
	return !file || file_ns_capable(file, ns, cap);
}
EXPORT_SYMBOL_NS_GPL(cn_sender_capable, CONNECTOR_CORE);

/*
 * Send @len bytes that follow the header of @msg (one message, or several
 * packed behind the first one's data) to @portid or @group in @net. With
 * neither, the group is the idx of the message's id, which must be
 * registered: the rule drivers have always relied on.
 */
static int cn_send(struct net *net, const struct cn_msg *msg, u16 len,
		   u32 portid, u32 group, gfp_t gfp, netlink_filter_fn filter,
		   void *filter_data)
{
	size_t size = sizeof(*msg) + len;
	struct sk_buff *skb;
	struct nlmsghdr *nlh;
	bool wait;

	if (len > CONNECTOR_MAX_MSG_SIZE)
		return -EMSGSIZE;
	if (!portid && !group) {
		if (!cn_table_reaches(net, &msg->id))
			return -ENODEV;
		group = msg->id.idx;
	}
	/* Build nothing for a group nobody is in. */
	if (!portid && !cn_has_listeners(net, group))
		return -ESRCH;

	skb = nlmsg_new(size, gfp);
	if (!skb)
		return -ENOMEM;
	/* nlmsg_new() made room for exactly this message. */
	nlh = nlmsg_put(skb, 0, msg->seq, NLMSG_DONE, size, 0);
	memcpy(nlmsg_data(nlh), msg, size);

	/* @portid, if any, is left out of a broadcast. */
	if (group)
		return cn_broadcast_except(net, skb, portid, group, gfp, filter,
					   filter_data);

	/*
	 * When the receiver's queue is full, wait for room if the flags
	 * allow sleeping, as the connector always has; but never for the
	 * socket whose message this task is dispatching: that wait would
	 * never end.
	 */
	wait = gfpflags_allow_blocking(gfp) && !cn_rx_dispatching(net, portid);
	return cn_unicast_wait(net, skb, portid, wait);
}

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
 * Messages go to sockets of the initial network namespace. With neither
 * @portid nor @group they go to the group of the callback registered for
 * @msg->id, which is its idx.
 *
 * A unicast to a socket whose receive queue is full waits for room when
 * @gfp_mask allows sleeping, except when the socket is the one whose
 * message the calling callback is handling: then, and when the flags do
 * not allow sleeping, the message is dropped and the receiver sees
 * %ENOBUFS.
 *
 * Context: any context the allocation flags allow.
 * Return: 0 on success, -ENODEV when no group was given and no callback
 * has @msg->id, -ESRCH when nobody listens on the group, -EMSGSIZE when
 * @len exceeds %CONNECTOR_MAX_MSG_SIZE, -ENOMEM, -ECONNREFUSED when no
 * socket has @portid, -EAGAIN when its queue is full and the send may not
 * wait, or another netlink error.
 */
int cn_netlink_send_mult(struct cn_msg *msg, u16 len, u32 portid,
			 u32 group, gfp_t gfp_mask,
			 netlink_filter_fn filter, void *filter_data)
{
	return cn_send(&init_net, msg, len, portid, group, gfp_mask, filter,
		       filter_data);
}
EXPORT_SYMBOL_GPL(cn_netlink_send_mult);

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
	return cn_send(&init_net, msg, msg->len, portid, group, gfp_mask,
		       NULL, NULL);
}
EXPORT_SYMBOL_GPL(cn_netlink_send);

/*
 * A netlink message is handed on only when its header, the connector
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

/*
 * Netlink input: runs in the sending task, which keeps @skb alive until we
 * return. Every well-formed message of the datagram is dispatched in
 * order, and the walk stops at the first one that is not. There is no cap
 * on the number of messages: each costs what it would in a datagram of its
 * own, charged to the sender, and the walk offers the CPU after each.
 */
static void cn_rx_skb(struct sk_buff *skb)
{
	struct netlink_skb_parms *nsp = &NETLINK_CB(skb);
	struct net *net = sock_net(skb->sk);
	struct nlmsghdr *nlh = nlmsg_hdr(skb);
	int remaining = skb->len;
	struct cn_callback *cb;
	unsigned int flags;
	struct cn_rx_ctx ctx;
	bool noted = false;
	struct cn_msg *msg;

	while (nlmsg_ok(nlh, remaining)) {
		msg = cn_msg_check(nlh);
		if (!msg)
			break;
		cb = cn_table_get(net, &msg->id, &flags);
		if (cb) {
			/* Only a callback that may wait needs the note. */
			if (!noted && !(flags & CN_CALLBACK_REPLIES_NOWAIT)) {
				cn_rx_enter(&ctx, net, nsp->portid);
				noted = true;
			}
			cn_table_run(cb, msg, nsp);
		}
		nlh = nlmsg_next(nlh, &remaining);
		cond_resched();
	}
	if (noted)
		cn_rx_leave(&ctx);
}

/*
 * Anyone may join CN_IDX_PROC, the process events group; every other group
 * carries driver traffic (1-wire, device-mapper, hypervisor daemons) and
 * needs CAP_NET_ADMIN. That includes the groups netlink adds past ours (it
 * gives every protocol 32): they carry nothing, but programs such as the
 * old ucon sample bind to all 32 at once. Called once per group joined.
 */
static int cn_bind(struct net *net, int group)
{
	if (group == CN_IDX_PROC)
		return 0;
	return ns_capable(net->user_ns, CAP_NET_ADMIN) ? 0 : -EPERM;
}

/*
 * Per-socket state. The core owns sk_user_data of userspace connector
 * sockets: a struct cn_sock with one slot per registered service, set up
 * the first time a service keeps state on the socket. Slots are written
 * with xchg()/cmpxchg(), so a state has exactly one owner at a time;
 * readers (broadcast filters) read them under RCU.
 */
#define CN_SOCK_SLOTS	4

struct cn_sock {
	void __rcu *state[CN_SOCK_SLOTS];
	struct rcu_head rcu;
};

/* Registered services; cn_sock_ops_lock serialises changes. */
static DEFINE_MUTEX(cn_sock_ops_lock);
static const struct cn_sock_ops *cn_sock_ops_tab[CN_SOCK_SLOTS];

/**
 * cn_sock_ops_register() - get a slot for state on connector sockets
 * @ops: the service; @ops->slot is set
 *
 * Context: process context; sleeps.
 * Return: 0, or -ENOSPC when every slot is taken.
 */
int cn_sock_ops_register(struct cn_sock_ops *ops)
{
	int err = -ENOSPC;
	unsigned int i;

	mutex_lock(&cn_sock_ops_lock);
	for (i = 0; i < CN_SOCK_SLOTS; i++) {
		if (!cn_sock_ops_tab[i]) {
			ops->slot = i;
			WRITE_ONCE(cn_sock_ops_tab[i], ops);
			err = 0;
			break;
		}
	}
	mutex_unlock(&cn_sock_ops_lock);
	return err;
}
EXPORT_SYMBOL_NS_GPL(cn_sock_ops_register, CONNECTOR_CORE);

/**
 * cn_sock_ops_unregister() - give a slot back
 * @ops: a service given to cn_sock_ops_register()
 *
 * No socket can hold state of @ops any more: each one pins @ops->owner.
 *
 * Context: process context; sleeps.
 */
void cn_sock_ops_unregister(struct cn_sock_ops *ops)
{
	mutex_lock(&cn_sock_ops_lock);
	WRITE_ONCE(cn_sock_ops_tab[ops->slot], NULL);
	mutex_unlock(&cn_sock_ops_lock);
}
EXPORT_SYMBOL_NS_GPL(cn_sock_ops_unregister, CONNECTOR_CORE);

/*
 * The socket's struct cn_sock, or NULL. Readers hold rcu_read_lock(); the
 * socket's owner (a callback running for one of its messages, or its
 * release) may read it without: it is only set there, and only freed
 * after the release.
 */
static struct cn_sock *cn_sock_of(const struct sock *sk)
{
	return rcu_dereference_check(__sk_user_data(sk), 1);
}

/**
 * cn_sock_state() - a service's state on a socket
 * @sk: a connector socket
 * @ops: the service
 *
 * Context: under rcu_read_lock(), or in a callback running for a message
 * of @sk (the sending task keeps the socket open).
 * Return: the state, or NULL.
 */
void *cn_sock_state(const struct sock *sk, const struct cn_sock_ops *ops)
{
	struct cn_sock *cs = cn_sock_of(sk);

	return cs ? rcu_dereference_check(cs->state[ops->slot], 1) : NULL;
}
EXPORT_SYMBOL_NS_GPL(cn_sock_state, CONNECTOR_CORE);

/**
 * cn_sock_attach() - make a socket ready to hold state of services
 * @sk: a connector socket, inside a callback running for one of its
 *	messages
 *
 * Context: process context; may sleep.
 * Return: 0 or -ENOMEM.
 */
int cn_sock_attach(struct sock *sk)
{
	struct cn_sock *cs;

	if (cn_sock_of(sk))
		return 0;
	cs = kzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs)
		return -ENOMEM;
	/* Another service may set up the same socket at the same time. */
	write_lock_bh(&sk->sk_callback_lock);
	if (!cn_sock_of(sk)) {
		rcu_assign_sk_user_data(sk, cs);
		cs = NULL;
	}
	write_unlock_bh(&sk->sk_callback_lock);
	kfree(cs);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(cn_sock_attach, CONNECTOR_CORE);

/**
 * cn_sock_state_swap() - replace a service's state on a socket
 * @sk: a socket inside a callback running for one of its messages; given
 *	to cn_sock_attach() first, unless @state is NULL
 * @ops: the service
 * @state: the new state, or NULL to take the old one back. From now on
 *	@ops->release() is called for it when the socket closes, unless it
 *	is swapped out first.
 *
 * The caller owns the returned state; readers under RCU may still see it
 * until a grace period has passed. Does not sleep. A socket with state
 * pins the service's module; a service whose module is going away gets
 * no new state.
 *
 * Context: any; the caller serialises the changes it makes to its slot.
 * Return: the state @state replaced, or NULL; ERR_PTR(-ENODEV) when the
 * service is going away (nothing changed).
 */
void *cn_sock_state_swap(struct sock *sk, const struct cn_sock_ops *ops,
			 void *state)
{
	struct cn_sock *cs = cn_sock_of(sk);
	void *old;

	/* Taking back what a socket never had needs no state to exist. */
	if (!cs) {
		WARN_ON_ONCE(state);
		return NULL;
	}
	if (state && !rcu_access_pointer(cs->state[ops->slot]) &&
	    !try_module_get(ops->owner))
		return ERR_PTR(-ENODEV);
	old = unrcu_pointer(xchg(&cs->state[ops->slot],
				 RCU_INITIALIZER(state)));
	if (!state && old)
		module_put(ops->owner);
	return old;
}
EXPORT_SYMBOL_NS_GPL(cn_sock_state_swap, CONNECTOR_CORE);

/*
 * Called for every userspace connector socket that closes, after netlink
 * has unhashed it. A socket without state costs a pointer test.
 */
static void cn_release(struct sock *sk, unsigned long *groups)
{
	struct cn_sock *cs = cn_sock_of(sk);
	const struct cn_sock_ops *ops;
	unsigned int i;
	void *state;

	if (!cs)
		return;
	for (i = 0; i < CN_SOCK_SLOTS; i++) {
		state = unrcu_pointer(xchg(&cs->state[i], NULL));
		if (!state)
			continue;
		/* A slot with state has its service registered: it is pinned. */
		ops = READ_ONCE(cn_sock_ops_tab[i]);
		if (WARN_ON_ONCE(!ops))
			continue;
		ops->release(sk, state);
		module_put(ops->owner);
	}
	rcu_assign_sk_user_data(sk, NULL);
	kfree_rcu(cs, rcu);
}

/*
 * Per-user limits (struct cn_limit). An entry counts what one user holds
 * at one level; it exists while the count is not zero. The user
 * namespace of an entry is kept alive by the charges below it, each of
 * which holds a reference on the namespace it was made in.
 */
struct cn_limit_user {
	struct hlist_node node;
	const struct user_namespace *ns;
	kuid_t uid;
	unsigned int held;
};

static struct cn_limit_user *cn_limit_find(struct cn_limit *limit,
					   const struct user_namespace *ns,
					   kuid_t uid)
{
	struct cn_limit_user *user;

	hash_for_each_possible(limit->users, user, node,
			       (unsigned long)ns ^ __kuid_val(uid))
		if (user->ns == ns && uid_eq(user->uid, uid))
			return user;
	return NULL;
}

/* Drop one charge of (@ns, @uid) and the owners above, up to @stop. */
static void cn_limit_drop(struct cn_limit *limit,
			  const struct user_namespace *ns, kuid_t uid,
			  const struct user_namespace *stop)
{
	struct cn_limit_user *user;

	lockdep_assert_held(&limit->lock);
	for (; ns && ns != stop; uid = ns->owner, ns = ns->parent) {
		user = cn_limit_find(limit, ns, uid);
		if (WARN_ON_ONCE(!user))
			continue;
		if (--user->held)
			continue;
		hash_del(&user->node);
		kfree(user);
	}
}

/**
 * cn_limit_charge() - charge one item to a user
 * @limit: the limit
 * @ns: the user namespace the user acts in; the charge holds a reference
 *	on it until cn_limit_uncharge()
 * @uid: the user
 *
 * Context: process context; sleeps.
 * Return: 0, -ENOSPC when the user or an owner above is at the limit, or
 * -ENOMEM.
 */
int cn_limit_charge(struct cn_limit *limit, struct user_namespace *ns,
		    kuid_t uid)
{
	const struct user_namespace *level = ns;
	int max = READ_ONCE(limit->max);
	struct cn_limit_user *user;
	kuid_t who = uid;
	int err = 0;

	mutex_lock(&limit->lock);
	for (; level; who = level->owner, level = level->parent) {
		user = cn_limit_find(limit, level, who);
		if (!user) {
			user = kzalloc(sizeof(*user), GFP_KERNEL_ACCOUNT);
			if (!user) {
				err = -ENOMEM;
				break;
			}
			user->ns = level;
			user->uid = who;
			hash_add(limit->users, &user->node,
				 (unsigned long)level ^ __kuid_val(who));
		}
		if (user->held >= max) {
			if (!user->held) {
				hash_del(&user->node);
				kfree(user);
			}
			err = -ENOSPC;
			break;
		}
		user->held++;
	}
	if (err)
		cn_limit_drop(limit, ns, uid, level);
	mutex_unlock(&limit->lock);
	if (!err)
		get_user_ns(ns);
	return err;
}
EXPORT_SYMBOL_NS_GPL(cn_limit_charge, CONNECTOR_CORE);

/**
 * cn_limit_uncharge() - give back an item cn_limit_charge() charged
 * @limit: the limit
 * @ns: the user namespace given to cn_limit_charge()
 * @uid: the user given to cn_limit_charge()
 *
 * Context: process context; sleeps.
 */
void cn_limit_uncharge(struct cn_limit *limit, struct user_namespace *ns,
		       kuid_t uid)
{
	mutex_lock(&limit->lock);
	cn_limit_drop(limit, ns, uid, NULL);
	mutex_unlock(&limit->lock);
	put_user_ns(ns);
}
EXPORT_SYMBOL_NS_GPL(cn_limit_uncharge, CONNECTOR_CORE);

/**
 * cn_add_callback() - register a connector callback
 * @id: the address userspace sends to; must not be registered already
 * @name: shown in /proc/net/connector (truncated to 31 characters)
 * @callback: called with every valid message sent to @id from the initial
 *	network namespace, in the sending task's context; it may sleep
 *
 * Context: process context; sleeps.
 * Return: 0, -EEXIST when @id is taken (or still being removed), -ENOMEM,
 * or -EAGAIN when the connector is not initialised yet.
 */
int cn_add_callback(const struct cb_id *id, const char *name,
		    cn_callback_fn callback)
{
	if (!READ_ONCE(cn_ready))
		return -EAGAIN;
	return cn_table_add(id, name, callback, 0);
}
EXPORT_SYMBOL_GPL(cn_add_callback);

/**
 * cn_del_callback() - unregister a connector callback
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
	cn_table_del(id);
}
EXPORT_SYMBOL_GPL(cn_del_callback);

/**
 * cn_add_service() - register a callback every network namespace reaches
 * @id: the address; must not be registered already
 * @name: shown in /proc/net/connector of every namespace
 * @callback: as for cn_add_callback(); it answers in the namespace of
 *	the sender (sock_net(nsp->sk)), with cn_reply() or
 *	cn_reply_member(), and never through cn_netlink_send() with flags
 *	that may sleep: the receive path does not note for it which socket
 *	it serves, so such a send to its own sender could wait forever
 *
 * For the connector's own services, which work in every network
 * namespace; driver callbacks use cn_add_callback().
 *
 * Context: process context; sleeps.
 * Return: as cn_add_callback().
 */
int cn_add_service(const struct cb_id *id, const char *name,
		   cn_callback_fn callback)
{
	if (!READ_ONCE(cn_ready))
		return -EAGAIN;
	return cn_table_add(id, name, callback,
			    CN_CALLBACK_ALL_NETNS | CN_CALLBACK_REPLIES_NOWAIT);
}
EXPORT_SYMBOL_NS_GPL(cn_add_service, CONNECTOR_CORE);

/**
 * cn_del_service() - unregister a service
 * @id: the address given to cn_add_service()
 *
 * Context: process context; sleeps. As cn_del_callback().
 */
void cn_del_service(const struct cb_id *id)
{
	cn_table_del(id);
}
EXPORT_SYMBOL_NS_GPL(cn_del_service, CONNECTOR_CORE);

/**
 * cn_debugfs_dir() - the connector's debugfs directory
 *
 * Services put their statistics there, for the root user; see
 * Documentation/driver-api/connector.rst.
 *
 * Context: any.
 * Return: the directory, or an error pointer when debugfs is not there.
 */
struct dentry *cn_debugfs_dir(void)
{
	return cn_debugfs;
}
EXPORT_SYMBOL_NS_GPL(cn_debugfs_dir, CONNECTOR_CORE);

static int cn_procfs_show(struct seq_file *m, void *v)
{
	return cn_table_show(m, seq_file_single_net(m));
}

static int __net_init cn_net_init(struct net *net)
{
	struct netlink_kernel_cfg cfg = {
		.input = cn_rx_skb,
		.bind = cn_bind,
		.release = cn_release,
		.groups = CN_NETLINK_GROUPS,
		/* cn_bind() decides who may join which group. */
		.flags = NL_CFG_F_NONROOT_RECV,
	};
	struct sock *nls;

	if (!proc_create_net_single("connector", 0444, net->proc_net,
				    cn_procfs_show, NULL))
		return -ENOMEM;
	/* Last: from here on, userspace of @net can reach us. */
	nls = netlink_kernel_create(net, NETLINK_CONNECTOR, &cfg);
	if (!nls) {
		remove_proc_entry("connector", net->proc_net);
		return -ENOMEM;
	}
	cn_dev_of(net)->sock = nls;
	rcu_assign_pointer(cn_dev_of(net)->nls, nls);
	return 0;
}

/* Senders under RCU stop seeing the socket a grace period before exit. */
static void __net_exit cn_net_pre_exit(struct net *net)
{
	RCU_INIT_POINTER(cn_dev_of(net)->nls, NULL);
}

static void __net_exit cn_net_exit(struct net *net)
{
	netlink_kernel_release(cn_dev_of(net)->sock);
	remove_proc_entry("connector", net->proc_net);
}

static struct pernet_operations cn_net_ops = {
	.init = cn_net_init,
	.pre_exit = cn_net_pre_exit,
	.exit = cn_net_exit,
	.id = &cn_net_id,
	.size = sizeof(struct cn_dev),
};

static int __init cn_init(void)
{
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cn_rx_tasks); i++) {
		spin_lock_init(&cn_rx_tasks[i].lock);
		INIT_HLIST_HEAD(&cn_rx_tasks[i].head);
	}
	/* debugfs is optional: its failures are not ours to report. */
	cn_debugfs = debugfs_create_dir("connector", NULL);

	/* Last: this creates the sockets userspace talks to. */
	err = register_pernet_subsys(&cn_net_ops);
	if (err) {
		debugfs_remove(cn_debugfs);
		return err;
	}
	WRITE_ONCE(cn_ready, true);
	return 0;
}
subsys_initcall(cn_init);

static void __exit cn_exit(void)
{
	/* Services and drivers hold references on this module: none is left. */
	WRITE_ONCE(cn_ready, false);
	unregister_pernet_subsys(&cn_net_ops);
	debugfs_remove(cn_debugfs);
}
module_exit(cn_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kernel connector: messages between kernel users and userspace over netlink");
MODULE_ALIAS_NET_PF_PROTO(PF_NETLINK, NETLINK_CONNECTOR);
