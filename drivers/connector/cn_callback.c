// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel connector: the table of registered ids and their callbacks.
 *
 * Readers (the receive path) look ids up under RCU and pin the entry with
 * a reference while its callback runs: no lock per message, and the
 * callback may sleep. Changes hold cn_table_lock, a mutex that also keeps
 * the notifications of changes in the order the changes took effect.
 *
 * Deleting an entry marks it dying, drops the table's reference and waits
 * until every running callback has dropped its own; only then is the
 * entry unhashed and its removal published. Until then the id stays taken,
 * so that a REMOVED notification can never follow the ADDED of a new
 * registration of the same id.
 *
 * The table publishes every change on a notifier chain
 * (cn_notify_register()); it calls nothing else.
 */

#include <linux/completion.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/rculist.h>
#include <linux/refcount.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <net/net_namespace.h>

#include "cn_core.h"

/**
 * struct cn_callback - one registered id
 * @node: link in cn_table; RCU for readers, cn_table_lock for writers
 * @id: the address messages carry to reach @fn
 * @fn: the callback
 * @flags: %CN_CALLBACK_* flags; 0 for a driver's callback
 * @dying: set under cn_table_lock when a delete has begun
 * @serial: tells this registration from any other, even one that reuses
 *	its memory once it is freed
 * @users: the table's reference plus one per running @fn
 * @released: completed when @users drops to zero
 * @rcu: defers freeing past readers that may still see @node
 * @name: shown in /proc/net/connector
 */
struct cn_callback {
	struct hlist_node node;
	struct cb_id id;
	cn_callback_fn fn;
	unsigned int flags;
	bool dying;
	u64 serial;
	refcount_t users;
	struct completion released;
	struct rcu_head rcu;
	char name[CN_NAME_LEN];
};

#define CN_TABLE_BITS	5

static DEFINE_MUTEX(cn_table_lock);
static DEFINE_HASHTABLE(cn_table, CN_TABLE_BITS);
/* Woken when a deleted entry is gone from the table. */
static DECLARE_WAIT_QUEUE_HEAD(cn_table_gone);
/* The serial of the last registration, under cn_table_lock. */
static u64 cn_table_serial;
static BLOCKING_NOTIFIER_HEAD(cn_table_chain);

static u32 cn_id_hash(const struct cb_id *id)
{
	return hash_64(((u64)id->idx << 32) | id->val, CN_TABLE_BITS);
}

/* Caller holds cn_table_lock or rcu_read_lock(). */
static struct cn_callback *cn_table_find(const struct cb_id *id)
{
	struct cn_callback *cb;

	hlist_for_each_entry_rcu(cb, &cn_table[cn_id_hash(id)], node,
				 lockdep_is_held(&cn_table_lock))
		if (cb->id.idx == id->idx && cb->id.val == id->val)
			return cb;
	return NULL;
}

static bool cn_callback_reaches(const struct cn_callback *cb,
				const struct net *net)
{
	return (cb->flags & CN_CALLBACK_ALL_NETNS) || net_eq(net, &init_net);
}

/* Caller holds cn_table_lock: changes are published in their order. */
static void cn_table_publish(unsigned long action, struct cn_callback *cb)
{
	struct cn_notify_info info = {
		.id = cb->id,
		.name = cb->name,
		.all_netns = cb->flags & CN_CALLBACK_ALL_NETNS,
	};

	lockdep_assert_held(&cn_table_lock);
	blocking_notifier_call_chain(&cn_table_chain, action, &info);
}

int cn_table_add(const struct cb_id *id, const char *name,
		 cn_callback_fn fn, unsigned int flags)
{
	struct cn_callback *cb;

	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	if (!cb)
		return -ENOMEM;
	cb->id = *id;
	cb->fn = fn;
	cb->flags = flags;
	refcount_set(&cb->users, 1);
	init_completion(&cb->released);
	strscpy(cb->name, name, sizeof(cb->name));

	mutex_lock(&cn_table_lock);
	if (cn_table_find(id)) {
		mutex_unlock(&cn_table_lock);
		kfree(cb);
		return -EEXIST;
	}
	cb->serial = ++cn_table_serial;
	hlist_add_head_rcu(&cb->node, &cn_table[cn_id_hash(id)]);
	cn_table_publish(CN_NOTIFY_ADDED, cb);
	mutex_unlock(&cn_table_lock);
	return 0;
}

static void cn_table_put(struct cn_callback *cb)
{
	/*
	 * complete() holds the completion's lock while it wakes the deleter,
	 * and the deleter takes that lock before it returns, so @cb stays
	 * valid until complete() is done with it.
	 */
	if (refcount_dec_and_test(&cb->users))
		complete(&cb->released);
}

/* Is the registration @serial still the entry of @id in the table? */
static bool cn_table_holds(const struct cb_id *id, u64 serial)
{
	struct cn_callback *cb;
	bool found;

	rcu_read_lock();
	cb = cn_table_find(id);
	found = cb && cb->serial == serial;
	rcu_read_unlock();
	return found;
}

void cn_table_del(const struct cb_id *id)
{
	struct cn_callback *cb;
	u64 other = 0;

	mutex_lock(&cn_table_lock);
	cb = cn_table_find(id);
	if (cb && cb->dying) {
		/* Another delete is under way: return when it is done. */
		other = cb->serial;
		cb = NULL;
	}
	if (cb)
		WRITE_ONCE(cb->dying, true);
	mutex_unlock(&cn_table_lock);
	if (other)
		wait_event(cn_table_gone, !cn_table_holds(id, other));
	if (!cb)
		return;

	/*
	 * A reader that found the entry either holds a reference already,
	 * which we wait for, or fails to take one once ours is gone. The
	 * wait is not under the lock: a running callback may itself
	 * register or delete other ids.
	 */
	cn_table_put(cb);
	wait_for_completion(&cb->released);

	mutex_lock(&cn_table_lock);
	hlist_del_rcu(&cb->node);
	cn_table_publish(CN_NOTIFY_REMOVED, cb);
	mutex_unlock(&cn_table_lock);
	wake_up_all(&cn_table_gone);
	kfree_rcu(cb, rcu);
}

/**
 * cn_table_get() - find the callback of an id and pin it
 * @net: network namespace of the sending socket
 * @id: the id a message is addressed to
 * @flags: set to the %CN_CALLBACK_* flags it was registered with, when
 *	an entry is returned
 *
 * Context: any; takes no lock.
 * Return: the entry, pinned until cn_table_run(), or NULL when no
 * callback @net reaches has @id (or it is being deleted).
 */
struct cn_callback *cn_table_get(const struct net *net, const struct cb_id *id,
				 unsigned int *flags)
{
	struct cn_callback *cb;

	rcu_read_lock();
	cb = cn_table_find(id);
	/*
	 * An entry being deleted takes no new callers, so that callers
	 * overlapping each other cannot keep its delete waiting forever.
	 */
	if (cb && (READ_ONCE(cb->dying) || !cn_callback_reaches(cb, net) ||
		   !refcount_inc_not_zero(&cb->users)))
		cb = NULL;
	rcu_read_unlock();
	if (cb)
		*flags = cb->flags;
	return cb;
}

/**
 * cn_table_run() - hand a message to a pinned callback, and unpin it
 * @cb: an entry cn_table_get() returned
 * @msg: the message, already checked
 * @nsp: netlink parameters of the sender
 *
 * Context: process context (the sender's).
 */
void cn_table_run(struct cn_callback *cb, struct cn_msg *msg,
		  struct netlink_skb_parms *nsp)
{
	cb->fn(msg, nsp);
	cn_table_put(cb);
}

/**
 * cn_table_reaches() - is @id registered and reachable from @net?
 * @net: a network namespace
 * @id: the id
 *
 * Context: any; takes no lock.
 * Return: true when a callback has @id and @net reaches it.
 */
bool cn_table_reaches(const struct net *net, const struct cb_id *id)
{
	struct cn_callback *cb;
	bool found;

	rcu_read_lock();
	cb = cn_table_find(id);
	found = cb && cn_callback_reaches(cb, net);
	rcu_read_unlock();
	return found;
}

/* /proc/net/connector: what @net reaches, in the format userspace knows. */
int cn_table_show(struct seq_file *m, const struct net *net)
{
	struct cn_callback *cb;
	unsigned int bkt;

	seq_puts(m, "Name            ID\n");
	rcu_read_lock();
	hash_for_each_rcu(cn_table, bkt, cb, node)
		if (cn_callback_reaches(cb, net))
			seq_printf(m, "%-15s %u:%u\n", cb->name, cb->id.idx,
				   cb->id.val);
	rcu_read_unlock();
	return 0;
}

/**
 * cn_notify_register() - be told when connector callbacks come and go
 * @nb: called with %CN_NOTIFY_ADDED once a callback can be called and
 *	with %CN_NOTIFY_REMOVED once one can no longer run, with a
 *	struct cn_notify_info
 *
 * Changes are reported one at a time, in the order they took effect, in
 * the context of the task that made them. The notifier may sleep but must
 * not register or unregister connector callbacks.
 *
 * Context: process context; sleeps.
 * Return: 0.
 */
int cn_notify_register(struct notifier_block *nb)
{
	return blocking_notifier_chain_register(&cn_table_chain, nb);
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
	return blocking_notifier_chain_unregister(&cn_table_chain, nb);
}
EXPORT_SYMBOL_GPL(cn_notify_unregister);
