// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel connector: the table of registered users.
 *
 * Writers (add, delete, the /proc listing) hold cn_dev.lock. The receive
 * path looks ids up under RCU and pins the entry with a reference, so no
 * lock is taken per message and the handler can sleep. Deleting an entry
 * unhashes it, drops the table's reference and waits until every running
 * handler has dropped its own: after cn_table_del() returns the handler is
 * not running and can never run again, so its module may go away.
 */

#include <linux/completion.h>
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cn_internal.h"

static u32 cn_id_hash(const struct cb_id *id)
{
	return hash_64(((u64)id->idx << 32) | id->val, CN_HASH_BITS);
}

static bool cn_id_equal(const struct cb_id *a, const struct cb_id *b)
{
	return a->idx == b->idx && a->val == b->val;
}

/* Caller holds dev->lock or rcu_read_lock(). */
static struct cn_callback *cn_table_find(struct cn_dev *dev,
					 const struct cb_id *id)
{
	struct cn_callback *cb;

	hlist_for_each_entry_rcu(cb, &dev->callbacks[cn_id_hash(id)], node,
				 lockdep_is_held(&dev->lock))
		if (cn_id_equal(&cb->id, id))
			return cb;
	return NULL;
}

void cn_table_init(struct cn_dev *dev)
{
	mutex_init(&dev->lock);
	hash_init(dev->callbacks);
}

int cn_table_add(struct cn_dev *dev, const struct cb_id *id, const char *name,
		 cn_callback_fn fn)
{
	struct cn_callback *cb;

	cb = kzalloc(sizeof(*cb), GFP_KERNEL);
	if (!cb)
		return -ENOMEM;

	cb->id = *id;
	cb->fn = fn;
	cb->group = id->idx;
	refcount_set(&cb->users, 1);
	init_completion(&cb->released);
	strscpy(cb->name, name, sizeof(cb->name));

	mutex_lock(&dev->lock);
	if (cn_table_find(dev, id)) {
		mutex_unlock(&dev->lock);
		kfree(cb);
		return -EEXIST;
	}
	hlist_add_head_rcu(&cb->node, &dev->callbacks[cn_id_hash(id)]);
	mutex_unlock(&dev->lock);

	/*
	 * The entry may be deleted as soon as the lock is dropped: report the
	 * name the caller gave, truncated as the entry holds it.
	 */
	cn_notify_change(dev, id, name, CN_NOTIFY_ADDED);
	return 0;
}

void cn_table_del(struct cn_dev *dev, const struct cb_id *id)
{
	struct cn_callback *cb;

	mutex_lock(&dev->lock);
	cb = cn_table_find(dev, id);
	if (cb)
		hlist_del_rcu(&cb->node);
	mutex_unlock(&dev->lock);
	if (!cb)
		return;

	/*
	 * New lookups can no longer find the entry; a reader that found it
	 * before the unhash either already holds a reference, which we wait
	 * for, or fails to take one once ours is gone.
	 */
	cn_table_put(cb);
	wait_for_completion(&cb->released);
	/* Only now is the callback gone for good: tell who asked. */
	cn_notify_change(dev, &cb->id, cb->name, CN_NOTIFY_REMOVED);
	kfree_rcu(cb, rcu);
}

/**
 * cn_table_get() - find a user and pin it
 * @dev: the connector instance
 * @id: the id to look up
 *
 * Context: any; takes no lock.
 * Return: the entry with a reference the caller drops with cn_table_put(),
 * or NULL when no live entry has @id.
 */
struct cn_callback *cn_table_get(struct cn_dev *dev, const struct cb_id *id)
{
	struct cn_callback *cb;

	rcu_read_lock();
	cb = cn_table_find(dev, id);
	if (cb && !refcount_inc_not_zero(&cb->users))
		cb = NULL;
	rcu_read_unlock();
	return cb;
}

void cn_table_put(struct cn_callback *cb)
{
	/*
	 * complete() holds the completion's lock while it wakes the deleter,
	 * and the deleter takes that lock before it returns, so @cb stays
	 * valid until complete() is done with it.
	 */
	if (refcount_dec_and_test(&cb->users))
		complete(&cb->released);
}

/**
 * cn_table_group() - multicast group of the user registered for an id
 * @dev: the connector instance
 * @id: the id to look up
 * @group: set to the group when found
 *
 * Context: any; takes no lock.
 * Return: 0, or -ENODEV when no user has @id.
 */
int cn_table_group(struct cn_dev *dev, const struct cb_id *id, u32 *group)
{
	struct cn_callback *cb;
	int err = -ENODEV;

	rcu_read_lock();
	cb = cn_table_find(dev, id);
	if (cb) {
		*group = cb->group;
		err = 0;
	}
	rcu_read_unlock();
	return err;
}

bool cn_table_empty(struct cn_dev *dev)
{
	bool empty;

	mutex_lock(&dev->lock);
	empty = hash_empty(dev->callbacks);
	mutex_unlock(&dev->lock);
	return empty;
}

/* /proc/net/connector: one line per user, the format userspace knows. */
int cn_table_show(struct seq_file *m, void *v)
{
	struct cn_dev *dev = m->private;
	struct cn_callback *cb;
	unsigned int bkt;

	seq_puts(m, "Name            ID\n");
	mutex_lock(&dev->lock);
	hash_for_each(dev->callbacks, bkt, cb, node)
		seq_printf(m, "%-15s %u:%u\n", cb->name, cb->id.idx, cb->id.val);
	mutex_unlock(&dev->lock);
	return 0;
}
