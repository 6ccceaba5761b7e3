/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process events connector: the internals its KUnit tests call.
 */
#ifndef _CN_PROC_KUNIT_H
#define _CN_PROC_KUNIT_H

#include <linux/types.h>

struct cn_proc_exiting;
struct cn_proc_view;
struct proc_event;
struct task_struct;

#if IS_ENABLED(CONFIG_KUNIT)
bool cn_proc_mask_wants(u32 mask, u32 what, u32 exit_code);
u32 cn_proc_interest_mask(void);
unsigned int cn_proc_listener_count(void);
void cn_proc_settle(void);
bool cn_proc_fill(struct proc_event *ev, u32 what, struct task_struct *task,
		  bool tracing, const struct cn_proc_view *view,
		  const struct cn_proc_exiting *e);
#endif

#endif /* _CN_PROC_KUNIT_H */
