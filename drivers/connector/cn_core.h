/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel connector: what the core offers the connector's own services.
 *
 * The core (connector.c and cn_callback.c) owns the NETLINK_CONNECTOR
 * socket of every network namespace, the message path and the callback
 * table. Services such as process events and callback notifications are
 * built on the interface below; the core never calls them by name.
 */
#ifndef _CN_CORE_H
#define _CN_CORE_H

#include <linux/connector.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/uidgid.h>

struct dentry;
struct module;
struct net;
struct seq_file;
struct sk_buff;
struct sock;
struct user_namespace;

/* Longest callback name kept, NUL included. */
#define CN_NAME_LEN		32

/* cn_callback.c: the table of registered ids. */

struct cn_callback;

/* A callback that every network namespace reaches, not only the initial. */
#define CN_CALLBACK_ALL_NETNS	BIT(0)
/*
 * A callback whose sends never wait for room in its sender's queue: it
 * answers with cn_reply() or cn_reply_member(), never through
 * cn_netlink_send() with flags that may sleep, so the receive path need
 * not note which socket it serves. cn_add_service() sets it.
 */
#define CN_CALLBACK_REPLIES_NOWAIT	BIT(1)

int cn_table_add(const struct cb_id *id, const char *name,
		 cn_callback_fn fn, unsigned int flags);
void cn_table_del(const struct cb_id *id);
struct cn_callback *cn_table_get(const struct net *net, const struct cb_id *id,
				 unsigned int *flags);
void cn_table_run(struct cn_callback *cb, struct cn_msg *msg,
		  struct netlink_skb_parms *nsp);
bool cn_table_reaches(const struct net *net, const struct cb_id *id);
int cn_table_show(struct seq_file *m, const struct net *net);

/* connector.c: services, sends, per-socket state. */

int cn_add_service(const struct cb_id *id, const char *name,
		   cn_callback_fn callback);
void cn_del_service(const struct cb_id *id);

int cn_msg_append(struct sk_buff *skb, const struct cn_msg *hdr,
		  const void *data, u16 len);
int cn_unicast(struct net *net, struct sk_buff *skb, u32 portid);
int cn_broadcast(struct net *net, struct sk_buff *skb, u32 group, gfp_t gfp,
		 netlink_filter_fn filter, void *filter_data);
bool cn_has_listeners(struct net *net, u32 group);
int cn_reply(const struct netlink_skb_parms *nsp, const struct cn_msg *req,
	     const void *data, u16 len);
int cn_reply_member(const struct netlink_skb_parms *nsp,
		    const struct cn_msg *req, u32 group, const void *data,
		    u16 len);
bool cn_sender_capable(const struct netlink_skb_parms *nsp, int cap);

/**
 * struct cn_sock_ops - a service that keeps state on connector sockets
 * @owner: the module of the service; a socket with state pins it
 * @release: called once for a socket closing with state of this service;
 *	it owns @state from then on. May sleep.
 * @slot: set by cn_sock_ops_register()
 *
 * The core owns the sk_user_data of every userspace NETLINK_CONNECTOR
 * socket and gives each registered service a slot of its own there, so
 * services never share, or fight over, a socket field.
 */
struct cn_sock_ops {
	struct module *owner;
	void (*release)(struct sock *sk, void *state);
	unsigned int slot;
};

int cn_sock_ops_register(struct cn_sock_ops *ops);
void cn_sock_ops_unregister(struct cn_sock_ops *ops);
int cn_sock_attach(struct sock *sk);
void *cn_sock_state(const struct sock *sk, const struct cn_sock_ops *ops);
void *cn_sock_state_swap(struct sock *sk, const struct cn_sock_ops *ops,
			 void *state);

/**
 * struct cn_limit - a per-user limit on something services hand out
 * @max: how many each user may hold, at every level (a sysctl's data)
 * @lock: guards @users
 * @users: the charges, per user and user namespace
 *
 * In the style of inotify's limits: a charge goes to a user in its user
 * namespace and to the owner of that namespace at every level above, so
 * that no user, whatever namespaces it makes, holds more than @max.
 */
struct cn_limit {
	int max;
	struct mutex lock;	/* @users */
	DECLARE_HASHTABLE(users, 6);
};

#define CN_LIMIT_INIT(name, limit) {					\
	.max = (limit),							\
	.lock = __MUTEX_INITIALIZER(name.lock),				\
	.users = { [0 ... (1 << 6) - 1] = HLIST_HEAD_INIT },		\
}

int cn_limit_charge(struct cn_limit *limit, struct user_namespace *ns,
		    kuid_t uid);
void cn_limit_uncharge(struct cn_limit *limit, struct user_namespace *ns,
		       kuid_t uid);

struct dentry *cn_debugfs_dir(void);

#endif /* _CN_CORE_H */
