// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel connector: notifications of callbacks coming and going.
 *
 * Userspace asks with a struct cn_ctl_msg sent to the connector's own id;
 * kernel code subscribes to a notifier chain. Requests belong to the
 * socket that made them and end with it.
 */

#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/notifier.h>
#include <linux/overflow.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/sock.h>

#include "cn_internal.h"

#define CN_NOTIFY_MAX_RANGES		64
#define CN_NOTIFY_PER_SOCKET		16
#define CN_NOTIFY_MAX_REQUESTS		1024

const struct cb_id cn_notify_ctl_id = { CN_IDX_CONNECTOR, CN_VAL_CONNECTOR };

/**
 * struct cn_notify_request - one socket's request for notifications
 * @node: link in cn_notify_requests
 * @owner: the requesting socket; only compared, never dereferenced
 * @portid: where notifications go when @group is 0
 * @group: the multicast group notifications go to, or 0
 * @nr_idx: number of idx ranges at the start of @ranges
 * @nr_val: number of val ranges after them
 * @ranges: the ranges
 */
struct cn_notify_request {
	struct list_head node;
	const struct sock *owner;
	u32 portid;
	u32 group;
	u32 nr_idx;
	u32 nr_val;
	struct cn_notify_req ranges[];
};

/* cn_notify_lock guards the request list and its count. */
static DEFINE_MUTEX(cn_notify_lock);
static LIST_HEAD(cn_notify_requests);
static unsigned int cn_notify_count;

static BLOCKING_NOTIFIER_HEAD(cn_notify_chain);

/**
 * cn_notify_register() - be told when connector callbacks come and go
 * @nb: called with %CN_NOTIFY_ADDED after a callback was registered and
 *	%CN_NOTIFY_REMOVED after one was unregistered, with a
 *	struct cn_notify_info
 *
 * The notifier runs in the context of the task that registered or
 * unregistered the callback, and must not register or unregister
 * connector callbacks itself.
 *
 * Context: process context; sleeps.
 * Return: 0.
 */
int cn_notify_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&cn_notify_chain, nb);
}
EXPORT_SYMBOL_GPL(cn_notify_register);

/**
 * cn_notify_unregister() - stop being told about connector callbacks
 * @nb: a notifier given to cn_notify_register()
 *
 * Context: process context; sleeps.
 * Return: 0, or -ENOENT when @nb was not registered.
 */
int cn_notify_unregister(struct notifier_block *nb)
{
	return blocking_notifier_chain_unregister(&cn_notify_chain, nb);
}
EXPORT_SYMBOL_GPL(cn_notify_unregister);

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

void cn_notify_change(struct cn_dev *dev, const struct cb_id *id,
		      const char *name, u32 type)
{
	struct cn_notify_info info = { .id = *id, .name = name };
	struct cn_notify_msg note = { .type = type, .id = *id };
	struct cn_msg hdr = { .id = cn_notify_ctl_id, .len = sizeof(note) };
	struct cn_notify_request *req;

	strscpy_pad(note.name, name, sizeof(note.name));
	blocking_notifier_call_chain(&cn_notify_chain, type, &info);

	mutex_lock(&cn_notify_lock);
	list_for_each_entry(req, &cn_notify_requests, node) {
		if (!cn_notify_matches(req, id))
			continue;
		/* Best effort, like every netlink delivery. */
		cn_send(dev, &hdr, &note, sizeof(note),
			req->group ? 0 : req->portid, req->group, GFP_KERNEL,
			NULL, NULL);
	}
	mutex_unlock(&cn_notify_lock);
}

/* Drop @owner's requests for @group, or all of them when @all. */
static void cn_notify_drop(const struct sock *owner, u32 group, bool all)
{
	struct cn_notify_request *req, *next;

	mutex_lock(&cn_notify_lock);
	list_for_each_entry_safe(req, next, &cn_notify_requests, node) {
		if (req->owner != owner || (!all && req->group != group))
			continue;
		list_del(&req->node);
		cn_notify_count--;
		kfree(req);
	}
	mutex_unlock(&cn_notify_lock);
}

void cn_notify_release(struct sock *sk)
{
	cn_notify_drop(sk, 0, true);
}

static int cn_notify_add(struct cn_notify_request *req)
{
	struct cn_notify_request *other;
	unsigned int mine = 0;
	int err = 0;

	mutex_lock(&cn_notify_lock);
	list_for_each_entry(other, &cn_notify_requests, node)
		mine += other->owner == req->owner;
	if (mine >= CN_NOTIFY_PER_SOCKET ||
	    cn_notify_count >= CN_NOTIFY_MAX_REQUESTS) {
		err = -ENOSPC;
	} else {
		list_add_tail(&req->node, &cn_notify_requests);
		cn_notify_count++;
	}
	mutex_unlock(&cn_notify_lock);
	return err;
}

/* Returns 0 or a negative errno for the acknowledgment. */
static int cn_notify_request(const struct cn_msg *msg,
			     struct netlink_skb_parms *nsp)
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
	if (ctl->group > CN_NETLINK_USERS + 0xf)
		return -EINVAL;
	if (ctl->group && !sk_net_capable(nsp->sk, CAP_NET_ADMIN))
		return -EPERM;

	if (!nr) {
		cn_notify_drop(nsp->sk, ctl->group, false);
		return 0;
	}

	req = kmalloc(struct_size(req, ranges, nr), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	req->owner = nsp->sk;
	req->portid = nsp->portid;
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

	err = cn_notify_add(req);
	if (err)
		kfree(req);
	return err;
}

static void cn_notify_ctl(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	struct cn_notify_msg answer = { .type = CN_NOTIFY_ACK };
	struct cn_msg hdr = {
		.id = cn_notify_ctl_id,
		.seq = msg->seq,
		.ack = msg->ack + 1,
		.len = sizeof(answer),
	};

	if (!nsp->sk)
		return;
	answer.err = -cn_notify_request(msg, nsp);
	cn_send(cn_init_dev(), &hdr, &answer, sizeof(answer), nsp->portid, 0,
		GFP_KERNEL, NULL, NULL);
}

/* debugfs connector/notify_requests: the number of requests, for tests. */
static int cn_notify_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&cn_notify_lock);
	seq_printf(m, "%u\n", cn_notify_count);
	mutex_unlock(&cn_notify_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(cn_notify_stats);

int cn_notify_init(struct cn_dev *dev)
{
	int err;

	err = cn_table_add(dev, &cn_notify_ctl_id, "cn_notify", cn_notify_ctl);
	if (err)
		return err;
	debugfs_create_file("notify_requests", 0444, dev->debugfs, NULL,
			    &cn_notify_stats_fops);
	return 0;
}
