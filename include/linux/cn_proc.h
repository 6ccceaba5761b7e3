/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Process events connector: the hooks the scheduler, exec, credentials,
 * ptrace and coredump code call. Without CONFIG_PROC_EVENTS they vanish.
 */
#ifndef CN_PROC_H
#define CN_PROC_H

#include <uapi/linux/cn_proc.h>

struct task_struct;

#ifdef CONFIG_PROC_EVENTS
/* Hooks that say which change happened: PROC_EVENT_UID/GID, PTRACE_*. */
void proc_id_connector(struct task_struct *task, int which_id);
void proc_ptrace_connector(struct task_struct *task, int which_id);
/* One hook per event. */
void proc_fork_connector(struct task_struct *task);
void proc_exec_connector(struct task_struct *task);
void proc_sid_connector(struct task_struct *task);
void proc_comm_connector(struct task_struct *task);
void proc_coredump_connector(struct task_struct *task);
void proc_exit_connector(struct task_struct *task);
#else
static inline void proc_id_connector(struct task_struct *task, int which_id) {}
static inline void proc_ptrace_connector(struct task_struct *task,
					 int which_id) {}
static inline void proc_fork_connector(struct task_struct *task) {}
static inline void proc_exec_connector(struct task_struct *task) {}
static inline void proc_sid_connector(struct task_struct *task) {}
static inline void proc_comm_connector(struct task_struct *task) {}
static inline void proc_coredump_connector(struct task_struct *task) {}
static inline void proc_exit_connector(struct task_struct *task) {}
#endif /* CONFIG_PROC_EVENTS */

#endif /* CN_PROC_H */
