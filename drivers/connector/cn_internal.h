/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel connector: declarations shared by the files of drivers/connector.
 */
#ifndef _CN_INTERNAL_H
#define _CN_INTERNAL_H

#include <linux/connector.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>

/* Longest callback name shown in /proc/net/connector, NUL included. */
#define CN_NAME_LEN	32

/**
 * struct cn_callback - one registered connector user
 * @node: link in &cn_dev.callbacks; readers walk it under RCU
 * @id: the address messages must carry to reach @fn
 * @fn: the handler
 * @group: multicast group of broadcasts sent for @id without a group
 * @users: one reference held by the table plus one per running @fn
 * @released: completed when @users drops to zero
 * @rcu: defers freeing past readers that may still see @node
 * @name: shown in /proc/net/connector
 */
struct cn_callback {
	struct hlist_node node;
	struct cb_id id;
	cn_callback_fn fn;
	u32 group;
	refcount_t users;
	struct completion released;
	struct rcu_head rcu;
	char name[CN_NAME_LEN];
};

#define CN_HASH_BITS	5

/**
 * struct cn_dev - one connector instance: its socket and its users
 * @nls: the kernel NETLINK_CONNECTOR socket, NULL while the instance is down
 * @lock: serialises changes to @callbacks (and the /proc listing)
 * @callbacks: registered users, hashed by id; RCU for readers
 * @debugfs: the connector's debugfs directory, for its statistics
 */
struct cn_dev {
	struct sock *nls;
	struct dentry *debugfs;
	/* writers of @callbacks */
	struct mutex lock;
	DECLARE_HASHTABLE(callbacks, CN_HASH_BITS);
};

/* cn_callback.c */
void cn_table_init(struct cn_dev *dev);
int cn_table_add(struct cn_dev *dev, const struct cb_id *id, const char *name,
		 cn_callback_fn fn);
void cn_table_del(struct cn_dev *dev, const struct cb_id *id);
struct cn_callback *cn_table_get(struct cn_dev *dev, const struct cb_id *id);
void cn_table_put(struct cn_callback *cb);
int cn_table_group(struct cn_dev *dev, const struct cb_id *id, u32 *group);
bool cn_table_empty(struct cn_dev *dev);
int cn_table_show(struct seq_file *m, void *v);

/* connector.c */
int cn_send(struct cn_dev *dev, const struct cn_msg *hdr, const void *data,
	    u16 len, u32 portid, u32 group, gfp_t gfp,
	    netlink_filter_fn filter, void *filter_data);
struct cn_dev *cn_init_dev(void);

/* cn_notify.c */
extern const struct cb_id cn_notify_ctl_id;
int cn_notify_init(struct cn_dev *dev);
void cn_notify_change(struct cn_dev *dev, const struct cb_id *id,
		      const char *name, u32 type);
void cn_notify_release(struct sock *sk);

/* cn_proc.c */
#ifdef CONFIG_PROC_EVENTS
int cn_proc_init(struct cn_dev *dev);
void cn_proc_release(struct sock *sk);
#else
static inline int cn_proc_init(struct cn_dev *dev)
{
	return 0;
}

static inline void cn_proc_release(struct sock *sk)
{
}
#endif

#if IS_ENABLED(CONFIG_KUNIT) && IS_ENABLED(CONFIG_PROC_EVENTS)
/* Internals of cn_proc.c that cn_kunit.c tests. */
struct proc_event;
struct task_struct;
bool cn_proc_mask_wants(u32 mask, u32 what, u32 exit_code);
u32 cn_proc_interest_mask(void);
void cn_proc_fill(struct proc_event *ev, u32 what, struct task_struct *task,
		  bool tracing);
#endif

#endif /* _CN_INTERNAL_H */
