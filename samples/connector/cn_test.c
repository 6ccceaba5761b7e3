// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cn_test - a connector user to try the connector with, and to test it.
 *
 * It registers {CN_NETLINK_USERS + 3, 0x456}. Every message sent to that
 * id is answered to its sender by the connector's reply rule: same seq,
 * ack plus one, and the same data. Every tick_ms milliseconds it also
 * broadcasts a numbered message to its group (CN_NETLINK_USERS + 3).
 *
 * A message whose data is a struct cn_test_burst asks for a burst instead
 * of an echo: from a kernel thread, cn_test sends @count messages to the
 * sender, each carrying its index, as a driver that answers from its own
 * thread does. Such sends wait for room in the receiver's queue.
 *
 * samples/connector/ucon.c talks to it from userspace; the connector
 * selftests use it to exercise the core.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/connector.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

static const struct cb_id cn_test_id = { CN_NETLINK_USERS + 3, 0x456 };

static unsigned int tick_ms = 1000;
module_param(tick_ms, uint, 0444);
MODULE_PARM_DESC(tick_ms, "Interval of the group broadcast in ms, 0 for none (default 1000)");

static unsigned int reply_delay_ms;
module_param(reply_delay_ms, uint, 0644);
MODULE_PARM_DESC(reply_delay_ms, "Sleep this long in the callback before replying (tests unloading)");

static bool echo = true;
module_param(echo, bool, 0644);
MODULE_PARM_DESC(echo, "Answer every message (default); off only counts them, to measure dispatch");

static atomic_t cn_test_received = ATOMIC_INIT(0);
module_param_named(received, cn_test_received.counter, int, 0444);
MODULE_PARM_DESC(received, "Messages the callback has seen");

static atomic_t cn_test_burst_sent = ATOMIC_INIT(0);
module_param_named(burst_sent, cn_test_burst_sent.counter, int, 0444);
MODULE_PARM_DESC(burst_sent, "Burst messages sent");

static atomic_t cn_test_burst_failed = ATOMIC_INIT(0);
module_param_named(burst_failed, cn_test_burst_failed.counter, int, 0444);
MODULE_PARM_DESC(burst_failed, "Burst messages the connector could not send");

static bool verbose;
module_param(verbose, bool, 0644);
MODULE_PARM_DESC(verbose, "Log every message received");

static struct delayed_work cn_test_tick_work;
static u32 cn_test_ticks;

/* "BURS": the data of a burst request, and of each message of a burst. */
#define CN_TEST_BURST_MAGIC	0x42555253
#define CN_TEST_BURST_MAX	100000

struct cn_test_burst {
	__u32 magic;
	__u32 count;
};

struct cn_test_burst_msg {
	__u32 index;
	__u32 count;
};

struct cn_test_burst_work {
	struct work_struct work;
	u32 portid;
	u32 count;
};

static struct workqueue_struct *cn_test_wq;

/* Runs in a kernel thread, like a driver answering from its own thread. */
static void cn_test_burst_send(struct work_struct *work)
{
	struct cn_test_burst_work *bw = container_of(work, typeof(*bw), work);
	struct {
		struct cn_msg hdr;
		struct cn_test_burst_msg data;
	} msg = {
		.hdr = { .id = cn_test_id, .len = sizeof(msg.data) },
		.data = { .count = bw->count },
	};
	u32 i;

	for (i = 0; i < bw->count; i++) {
		msg.hdr.seq = i;
		msg.data.index = i;
		if (cn_netlink_send(&msg.hdr, bw->portid, 0, GFP_KERNEL))
			atomic_inc(&cn_test_burst_failed);
		else
			atomic_inc(&cn_test_burst_sent);
	}
	kfree(bw);
}

/* Is @msg a burst request? Then queue the burst and say so. */
static bool cn_test_burst(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	struct cn_test_burst req;
	struct cn_test_burst_work *bw;

	if (msg->len != sizeof(req))
		return false;
	memcpy(&req, msg->data, sizeof(req));
	if (req.magic != CN_TEST_BURST_MAGIC)
		return false;
	if (req.count > CN_TEST_BURST_MAX)
		return true;
	bw = kmalloc(sizeof(*bw), GFP_KERNEL);
	if (!bw)
		return true;
	INIT_WORK(&bw->work, cn_test_burst_send);
	bw->portid = nsp->portid;
	bw->count = req.count;
	queue_work(cn_test_wq, &bw->work);
	return true;
}

static void cn_test_callback(struct cn_msg *msg, struct netlink_skb_parms *nsp)
{
	struct cn_msg *reply;
	int err;

	atomic_inc(&cn_test_received);
	if (verbose)
		pr_info("from portid %u: seq %u ack %u len %u\n",
			nsp->portid, msg->seq, msg->ack, msg->len);
	if (!echo || cn_test_burst(msg, nsp))
		return;

	/* The callback runs in the sender's context and may sleep. */
	if (reply_delay_ms)
		msleep(reply_delay_ms);

	reply = kmalloc(sizeof(*reply) + msg->len, GFP_KERNEL);
	if (!reply)
		return;
	reply->id = cn_test_id;
	reply->seq = msg->seq;
	reply->ack = msg->ack + 1;
	reply->len = msg->len;
	reply->flags = 0;
	memcpy(reply->data, msg->data, msg->len);

	err = cn_netlink_send(reply, nsp->portid, 0, GFP_KERNEL);
	if (err && verbose)
		pr_info("reply to portid %u failed: %d\n", nsp->portid, err);
	kfree(reply);
}

static void cn_test_tick(struct work_struct *work)
{
	char text[32];
	struct cn_msg *msg;
	int len;

	len = scnprintf(text, sizeof(text), "cn_test tick %u", cn_test_ticks) + 1;
	msg = kzalloc(sizeof(*msg) + len, GFP_KERNEL);
	if (msg) {
		msg->id = cn_test_id;
		msg->seq = cn_test_ticks;
		msg->len = len;
		memcpy(msg->data, text, len);
		/* No portid, no group: the connector uses our id's group. */
		cn_netlink_send(msg, 0, 0, GFP_KERNEL);
		kfree(msg);
	}
	cn_test_ticks++;
	schedule_delayed_work(&cn_test_tick_work, msecs_to_jiffies(tick_ms));
}

static int __init cn_test_init(void)
{
	int err;

	cn_test_wq = alloc_ordered_workqueue("cn_test", 0);
	if (!cn_test_wq)
		return -ENOMEM;
	err = cn_add_callback(&cn_test_id, "cn_test", cn_test_callback);
	if (err) {
		pr_err("cannot register %u:%u: %d\n",
		       cn_test_id.idx, cn_test_id.val, err);
		destroy_workqueue(cn_test_wq);
		return err;
	}

	INIT_DELAYED_WORK(&cn_test_tick_work, cn_test_tick);
	if (tick_ms)
		schedule_delayed_work(&cn_test_tick_work,
				      msecs_to_jiffies(tick_ms));
	pr_info("registered %u:%u\n", cn_test_id.idx, cn_test_id.val);
	return 0;
}

static void __exit cn_test_exit(void)
{
	/* Once this returns our callback cannot run: safe to unload. */
	cn_del_callback(&cn_test_id);
	cancel_delayed_work_sync(&cn_test_tick_work);
	/* A burst still going finishes first (or its receiver goes away). */
	destroy_workqueue(cn_test_wq);
}

module_init(cn_test_init);
module_exit(cn_test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Connector sample and test user: echoes messages, broadcasts ticks");
