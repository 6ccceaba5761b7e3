// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel connector: notifications of callbacks coming and going, a
 * service of the connector in every network namespace.
 *
 * A socket asks with a struct cn_ctl_msg sent to the connector's own id;
 * the connector table's notifier tells us of every change, and we tell
 * the sockets whose requests match, in the order the changes happened.
 *
 * Requests belong to their socket: it keeps them in its own list and
 * drops them when it closes. Each is also charged to the user who made
 * it (struct cn_limit): no user may hold more than
 * net.connector.notify_max_user_requests at any level of its user
 * namespaces, so no user can crowd another out. The memory is charged to
 * the requester's memory cgroup.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "cn_core.h"

MODULE_IMPORT_NS(CONNECTOR_CORE);

#define CN_NOTIFY_MAX_RANGES	64
#define CN_NOTIFY_PER_SOCKET	16

static const struct cb_id cn_notify_id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR };

/**
 * struct cn_notify_sock - the requests of one socket
 * @sk: the socket; never outlives this state, which its release drops
 * @net: its network namespace
 * @portid: its port id, where notifications for it go
 * @requests: its requests, under cn_notify_lock
 * @count: number of @requests
 */
struct cn_notify_sock {
	struct sock *sk;
	struct net *net;
	u32 portid;
	struct list_head requests;
	unsigned int count;
};

/**
 * struct cn_notify_request - one request for notifications
 * @node: link in cn_notify_requests, under cn_notify_lock
 * @sock_node: link in the owner's @requests
 * @owner: the socket that asked
 * @user_ns: user namespace of the user charged for it; the charge holds it
 * @uid: the user charged for it
 * @group: the multicast group notifications go to, or 0 for the owner
 * @nr_idx: number of idx ranges at the start of @ranges
 * @nr_val: number of val ranges after them
 * @ranges: the ranges
 */
struct cn_notify_request {
	struct list_head node;
	struct list_head sock_node;
	struct cn_notify_sock *owner;
	struct user_namespace *user_ns;
	kuid_t uid;
	u32 group;
	u32 nr_idx;
	u32 nr_val;
	struct cn_notify_req ranges[];
};

/*
 * cn_notify_lock guards every request list and the count. It is held to
 * deliver, which is when requests are read; deliveries never wait for a
 * receiver.
 */
static DEFINE_MUTEX(cn_notify_lock);
static LIST_HEAD(cn_notify_requests);
static unsigned int cn_notify_count;

/* net.connector.notify_max_user_requests */
static struct cn_limit cn_notify_limit = CN_LIMIT_INIT(cn_notify_limit, 128);
static struct ctl_table_header *cn_notify_sysctl;

static struct cn_sock_ops cn_notify_sock_ops;

static bool cn_in_ranges(const struct cn_notify_req *ranges, u32 nr, u32 v)
{
	u32 i;

	if (!nr)
		return true;	/* no range: any value */
	for (i = 0; i < nr; i++)
		if (v - ranges[i].first < ranges[i].range)
			return true;
	return false;
}

static bool cn_notify_matches(const struct cn_notify_request *req,
			      const struct cb_id *id)
{
	return cn_in_ranges(req->ranges, req->nr_idx, id->idx) &&
	       cn_in_ranges(req->ranges + req->nr_idx, req->nr_val, id->val);
}

/*
 * Send @skb to the socket that made a request, and to no other: its port
 * id is free for another socket as soon as netlink has unhashed it, which
 * is before our release runs. Holding the socket's file keeps it hashed
 * while we send; a socket whose file is already going gets nothing. A
 * socket the kernel made has no file and is closed by its kernel owner.
 */
static void cn_notify_to_owner(struct cn_notify_sock *owner,
			       struct sk_buff *skb)
{
	struct sock *sk = owner->sk;
	struct file *file = NULL;
	bool alive;

	read_lock_bh(&sk->sk_callback_lock);
	alive = !sock_flag(sk, SOCK_DEAD) && sk->sk_socket;
	if (alive && sk->sk_socket->file) {
		file = get_file_active(&sk->sk_socket->file);
		alive = file;
	}
	read_unlock_bh(&sk->sk_callback_lock);

	if (alive)
		cn_unicast(owner->net, skb, owner->portid);
	else
		kfree_skb(skb);
	if (file)
		fput(file);
}

static void cn_notify_deliver(struct cn_notify_request *req,
			      const struct cn_notify_msg *note)
{
	struct cn_msg hdr = { .id = cn_notify_id };
	struct sk_buff *skb;

	skb = nlmsg_new(sizeof(hdr) + sizeof(*note), GFP_KERNEL);
	if (!skb)
		return;
	cn_msg_append(skb, &hdr, note, sizeof(*note));
	/* Best effort, like every netlink delivery: a full queue drops it. */
	if (req->group)
		cn_broadcast(req->owner->net, skb, req->group, GFP_KERNEL,
			     NULL, NULL);
	else
		cn_notify_to_owner(req->owner, skb);
}

/* The table's notifier: runs under its lock, one change at a time. */
static int cn_notify_change(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	const struct cn_notify_info *info = data;
	struct cn_notify_msg note = { .type = action, .id = info->id };
	struct cn_notify_request *req;

	strscpy_pad(note.name, info->name, sizeof(note.name));
	mutex_lock(&cn_notify_lock);
	list_for_each_entry(req, &cn_notify_requests, node) {
		/* A namespace hears of the ids it can reach. */
		if (!info->all_netns && !net_eq(req->owner->net, &init_net))
			continue;
		if (cn_notify_matches(req, &info->id))
			cn_notify_deliver(req, &note);
	}
	mutex_unlock(&cn_notify_lock);
	return NOTIFY_OK;
}

static struct notifier_block cn_notify_nb = {
	.notifier_call = cn_notify_change,
};

/* Unlink and free @req. */
static void cn_notify_drop(struct cn_notify_request *req)
{
	lockdep_assert_held(&cn_notify_lock);
	list_del(&req->node);
	list_del(&req->sock_node);
	req->owner->count--;
	cn_notify_count--;
	cn_limit_uncharge(&cn_notify_limit, req->user_ns, req->uid);
	kfree(req);
}

/* The requests of a closing socket: its own, nobody else's. */
static void cn_notify_release(struct sock *sk, void *state)
{
	struct cn_notify_sock *owner = state;
	struct cn_notify_request *req, *next;

	mutex_lock(&cn_notify_lock);
	list_for_each_entry_safe(req, next, &owner->requests, sock_node)
		cn_notify_drop(req);
	mutex_unlock(&cn_notify_lock);
	kfree(owner);
}

static struct cn_sock_ops cn_notify_sock_ops = {
	.owner = THIS_MODULE,
	.release = cn_notify_release,
};

/* The requests state of @sk, set up on first use; an ERR_PTR on failure. */
static struct cn_notify_sock *cn_notify_sock_of(struct sock *sk, u32 portid)
{
	struct cn_notify_sock *owner, *old;

	/* Only this socket's callbacks set its slot, under our lock. */
	lockdep_assert_held(&cn_notify_lock);
	owner = cn_sock_state(sk, &cn_notify_sock_ops);
	if (owner)
		return owner;
	if (cn_sock_attach(sk))
		return ERR_PTR(-ENOMEM);
	owner = kzalloc(sizeof(*owner), GFP_KERNEL_ACCOUNT);
	if (!owner)
		return ERR_PTR(-ENOMEM);
	owner->sk = sk;
	owner->net = sock_net(sk);
	owner->portid = portid;
	INIT_LIST_HEAD(&owner->requests);
	old = cn_sock_state_swap(sk, &cn_notify_sock_ops, owner);
	if (IS_ERR(old)) {
		kfree(owner);
		return ERR_CAST(old);
	}
	WARN_ON_ONCE(old);
	return owner;
}

/*
 * A socket left without requests gives its state back, and with it the
 * hold it had on this module.
 */
static void cn_notify_sock_trim(struct sock *sk, struct cn_notify_sock *owner)
{
	lockdep_assert_held(&cn_notify_lock);
	if (owner->count)
		return;
	WARN_ON_ONCE(cn_sock_state_swap(sk, &cn_notify_sock_ops, NULL) != owner);
	kfree(owner);
}

/* Withdraw @sk's requests for @group. */
static void cn_notify_withdraw(struct sock *sk, u32 group)
{
	struct cn_notify_request *req, *next;
	struct cn_notify_sock *owner;

	mutex_lock(&cn_notify_lock);
	owner = cn_sock_state(sk, &cn_notify_sock_ops);
	if (owner) {
		list_for_each_entry_safe(req, next, &owner->requests, sock_node)
			if (req->group == group)
				cn_notify_drop(req);
		cn_notify_sock_trim(sk, owner);
	}
	mutex_unlock(&cn_notify_lock);
}

/* File @req for @nsp's socket, charged to the current user. */
static int cn_notify_add(struct cn_notify_request *req,
			 const struct netlink_skb_parms *nsp)
{
	struct cn_notify_sock *owner;
	int err;

	req->user_ns = current_user_ns();
	req->uid = current_euid();

	mutex_lock(&cn_notify_lock);
	owner = cn_notify_sock_of(nsp->sk, nsp->portid);
	if (IS_ERR(owner)) {
		err = PTR_ERR(owner);
		goto out;
	}
	err = -ENOSPC;
	if (owner->count < CN_NOTIFY_PER_SOCKET)
		err = cn_limit_charge(&cn_notify_limit, req->user_ns, req->uid);
	if (err) {
		cn_notify_sock_trim(nsp->sk, owner);
		goto out;
	}
	req->owner = owner;
	list_add_tail(&req->node, &cn_notify_requests);
	list_add_tail(&req->sock_node, &owner->requests);
	owner->count++;
	cn_notify_count++;
out:
	mutex_unlock(&cn_notify_lock);
	return err;
}

/* Returns 0 or a negative errno for the acknowledgment. */
static int cn_notify_request(const struct cn_msg *msg,
			     const struct netlink_skb_parms *nsp)
{
	const struct cn_ctl_msg *ctl = (const struct cn_ctl_msg *)msg->data;
	struct cn_notify_request *req;
	u32 nr, i;
	int err;

	if (msg->len < sizeof(*ctl))
		return -EINVAL;
	if (ctl->idx_notify_num > CN_NOTIFY_MAX_RANGES ||
	    ctl->val_notify_num > CN_NOTIFY_MAX_RANGES)
		return -EINVAL;
	nr = ctl->idx_notify_num + ctl->val_notify_num;
	if (nr > CN_NOTIFY_MAX_RANGES ||
	    ctl->len != nr * sizeof(struct cn_notify_req) ||
	    msg->len != sizeof(*ctl) + ctl->len)
		return -EINVAL;
	/*
	 * Not into the group of a registered user (process events, 1-wire,
	 * ...): its listeners would take a notification for their own
	 * messages.
	 */
	if (ctl->group && (ctl->group < CN_NETLINK_USERS ||
			   ctl->group > CN_NETLINK_USERS + 0xf))
		return -EINVAL;
	if (ctl->group && !cn_sender_capable(nsp, CAP_NET_ADMIN))
		return -EPERM;

	if (!nr) {
		cn_notify_withdraw(nsp->sk, ctl->group);
		return 0;
	}

	req = kmalloc(struct_size(req, ranges, nr), GFP_KERNEL_ACCOUNT);
	if (!req)
		return -ENOMEM;
	req->group = ctl->group;
	req->nr_idx = ctl->idx_notify_num;
	req->nr_val = ctl->val_notify_num;
	memcpy(req->ranges, ctl->data, nr * sizeof(req->ranges[0]));
	/* A range holds at least one value and does not wrap past U32_MAX. */
	for (i = 0; i < nr; i++) {
		const struct cn_notify_req *r = &req->ranges[i];

		if (!r->range || r->first > U32_MAX - (r->range - 1)) {
			kfree(req);
			return -EINVAL;
		}
	}

	err = cn_notify_add(req, nsp);
	if (err)
		kfree(req);
	return err;
}

static void cn_notify_ctl(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	struct cn_notify_msg answer = { .type = CN_NOTIFY_ACK };

	if (!nsp->sk)
		return;
	answer.err = -cn_notify_request(msg, nsp);
	cn_reply(nsp, msg, &answer, sizeof(answer));
}

/*
 * debugfs connector/notify_requests, for the root user: the number of
 * requests in all.
 */
static int cn_notify_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&cn_notify_lock);
	seq_printf(m, "%u\n", cn_notify_count);
	mutex_unlock(&cn_notify_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cn_notify_stats);

static struct ctl_table cn_notify_sysctl_table[] = {
	{
		.procname = "notify_max_user_requests",
		.data = &cn_notify_limit.max,
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
	},
};

static struct dentry *cn_notify_debugfs;

static int __init cn_notify_init(void)
{
	int err;

	/* The limit is the system's: only the initial namespace sets it. */
	cn_notify_sysctl = register_net_sysctl(&init_net, "net/connector",
					       cn_notify_sysctl_table);
	if (!cn_notify_sysctl && IS_ENABLED(CONFIG_SYSCTL))
		return -ENOMEM;
	err = cn_sock_ops_register(&cn_notify_sock_ops);
	if (err)
		goto err_sysctl;
	err = cn_notify_register(&cn_notify_nb);
	if (err)
		goto err_ops;
	/* Last: from here on, requests can come. */
	err = cn_add_service(&cn_notify_id, "cn_notify", cn_notify_ctl);
	if (err)
		goto err_nb;
	cn_notify_debugfs = debugfs_create_file("notify_requests", 0444,
						cn_debugfs_dir(), NULL,
						&cn_notify_stats_fops);
	return 0;

err_nb:
	cn_notify_unregister(&cn_notify_nb);
err_ops:
	cn_sock_ops_unregister(&cn_notify_sock_ops);
err_sysctl:
	if (cn_notify_sysctl)
		unregister_net_sysctl_table(cn_notify_sysctl);
	return err;
}
module_init(cn_notify_init);

static void __exit cn_notify_exit(void)
{
	/* Sockets with requests pin this module: none is left. */
	debugfs_remove(cn_notify_debugfs);
	cn_del_service(&cn_notify_id);
	cn_notify_unregister(&cn_notify_nb);
	cn_sock_ops_unregister(&cn_notify_sock_ops);
	if (cn_notify_sysctl)
		unregister_net_sysctl_table(cn_notify_sysctl);
}
module_exit(cn_notify_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kernel connector: notifications of callbacks coming and going");
