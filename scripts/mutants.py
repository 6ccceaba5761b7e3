#!/usr/bin/env python3
"""mutants.py [NAME...]: show that the tests can fail for the bugs they name.

For each mutant: plant its bug in the build tree (build/src), rebuild the
test kernel (incrementally), boot it running only the tests that name the
bug (guest/select.sh), and check that they fail; then put the tree back.
The same tests run once first on the kernel without a bug, where they
must pass. Prints a table; exits non-zero if a control failed or a mutant
survived. Not part of make test (each mutant costs a rebuild and a boot).
"""
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, 'build')
SRC = os.path.join(BUILD, 'src')
OBJ = os.path.join(BUILD, 'obj-test')
LOGS = os.path.join(BUILD, 'logs')
FRAGS = [os.path.join(TOP, 'configs', f) for f in ('base.config', 'debug.config')]

CN = 'drivers/connector/'
MUTANTS = [
    ('pid and tgid swapped in fork events',
     [(CN + 'cn_proc.c', 'ev->event_data.fork.child_pid = pid;',
       'ev->event_data.fork.child_pid = cn_proc_tgid(task, view, e);')],
     ['proc_events_test:threads_pid_and_tgid']),
    ('real and effective uid swapped',
     [(CN + 'cn_proc.c', 'id->r.ruid = from_kuid_munged(ns, cred->uid);',
       'id->r.ruid = from_kuid_munged(ns, cred->euid);')],
     ['proc_events_test:ids_not_swapped']),
    ('the ack broadcast to every listener',
     [(CN + 'cn_proc.c', '	cn_reply_member(nsp, msg, CN_IDX_PROC, &ev, sizeof(ev));\n}',
       '''	{
		struct cn_msg hdr = { .id = msg->id, .seq = msg->seq,
				      .ack = msg->ack + 1 };
		struct sk_buff *skb = nlmsg_new(sizeof(hdr) + sizeof(ev),
						GFP_KERNEL);

		if (skb) {
			cn_msg_append(skb, &hdr, &ev, sizeof(ev));
			cn_broadcast(sock_net(nsp->sk), skb, CN_IDX_PROC,
				     GFP_KERNEL, NULL, NULL);
		}
	}
	cn_reply_member(nsp, msg, CN_IDX_PROC, &ev, sizeof(ev));
}''')],
     ['proc_events_test:ack_goes_to_requester_only']),
    ('events not cleared before they are filled',
     [(CN + 'cn_proc.c', '	memset(ev, 0, sizeof(*ev));\n	ev->what = what;',
       '	ev->what = what;')],
     ['proc_events_test:no_uninitialised_bytes']),
    ('a failed LISTEN acknowledged as a success',
     [(CN + 'cn_proc.c', '	ev.event_data.ack.err = -err;',
       '	ev.event_data.ack.err = err == -ENOMEM ? 0 : -err;')],
     ['cn_stress_test:allocation_failures']),
    ('a static key flipped by every LISTEN',
     [(CN + 'cn_proc.c', 'static bool cn_proc_wanted(u32 what, u32 exit_code)\n{',
       '''static DEFINE_STATIC_KEY_FALSE(cn_proc_mutant_key);

static bool cn_proc_wanted(u32 what, u32 exit_code)
{
	if (static_branch_unlikely(&cn_proc_mutant_key))
		cpu_relax();'''),
      (CN + 'cn_proc.c', '	if (!batched && cn_proc_relisten(sk, mask))\n		return 0;',
       '''	if (!batched && cn_proc_relisten(sk, mask)) {
		static_branch_enable(&cn_proc_mutant_key);
		static_branch_disable(&cn_proc_mutant_key);
		return 0;
	}'''),
      (CN + 'cn_proc.c', '#include <linux/cred.h>\n', '#include <linux/cred.h>\n#include <linux/jump_label.h>\n')],
     ['proc_events_test:listen_ignore_patches_no_text']),
    ('a replaced mask taken out before the new one is in',
     [(CN + 'cn_proc.c', '''	if (mask)
		cn_proc_account(listener->view, mask, batched, 1);
	if (listener->accounted)
		cn_proc_account(listener->view, listener->accounted, batched, -1);''',
       '''	if (listener->accounted) {
		cn_proc_account(listener->view, listener->accounted, batched, -1);
		spin_unlock(&cn_proc_lock);
		udelay(200);
		spin_lock(&cn_proc_lock);
	}
	if (mask)
		cn_proc_account(listener->view, mask, batched, 1);'''),
      (CN + 'cn_proc.c', '#include <linux/cred.h>\n', '#include <linux/cred.h>\n#include <linux/delay.h>\n')],
     ['proc_events_test:filter_change_loses_no_events']),
    ('a unicast from a driver thread never waits',
     [(CN + 'connector.c',
       'wait = gfpflags_allow_blocking(gfp) && !cn_rx_dispatching(net, portid);',
       'wait = false && !cn_rx_dispatching(net, portid);')],
     ['cn_core_test:unicast_from_kthread_waits_for_room']),
    ('no per-user limit (cn_limit)',
     [(CN + 'connector.c', '		if (user->held >= max) {',
       '		if (user->held >= max && !max) {')],
     ['cn_notify_test:per_user', 'cn_proc_ns_test:views_are_limited_per_user']),
    ('a socket opened by any user gets the CAP_SYS_RESOURCE exemption',
     [(CN + 'cn_proc.c', '	    (!file || !security_capable(',
       '	    (true || !security_capable(')],
     ['cn_proc_ns_test:views_are_limited_per_user']),
    ('restrict asks over the listener\'s own user namespace',
     [(CN + 'cn_proc.c',
       'owner = task_active_pid_ns(current)->user_ns;',
       'owner = current_user_ns();')],
     ['cn_proc_ns_test:restrict_is_per_network_namespace']),
    ('a namespace lifts the initial namespace\'s restrict',
     [(CN + 'cn_proc.c',
       'if (!READ_ONCE(pn->restrict_listen) && !READ_ONCE(init->restrict_listen))',
       'if (!READ_ONCE(pn->restrict_listen) && (init || true))')],
     ['cn_proc_ns_test:initial_policy_binds_every_namespace']),
    ('host thread ids in a container\'s events',
     [(CN + 'cn_proc.c', '	nr = task_pid_nr_ns(task, view->pid_ns);',
       '	nr = task->pid;')],
     ['cn_proc_ns_test:sees_own_workload_only', 'cn_proc_ns_test:nested_pid_namespaces']),
    ('no pids taken at exit for containers',
     [(CN + 'cn_proc.c', '		ns = e ? ns_of_pid(e->pid) : &init_pid_ns;',
       '		ns = e ? &init_pid_ns : &init_pid_ns;')],
     ['cn_proc_ns_test:exits_of_tasks_already_reaped']),
    ('the answer to a sender outside the group',
     [(CN + 'cn_proc.c', '	cn_reply_member(nsp, msg, CN_IDX_PROC, &ev, sizeof(ev));',
       '	cn_reply(nsp, msg, &ev, sizeof(ev));')],
     ['proc_events_test:ack_only_to_group_members']),
    ('an ignored mask that never lapses',
     [(CN + 'cn_proc.c', '	list_add_tail(&listener->linger, &cn_proc_lingering);',
       '	INIT_LIST_HEAD(&listener->linger);')],
     ['proc_events_test:ignored_mask_lapses']),
    ('batches never held for a listener filling up',
     [(CN + 'cn_proc.c', '	if (b->skb && b->filling &&', '	if (b->skb && b->filling && false &&')],
     ['cn_proc_batch_test:filling_listener_gets_fuller_batches']),
    ('a held batch with no longest delay',
     [(CN + 'cn_proc.c', '	    now - b->first_ns < CN_PROC_BATCH_MAX_DELAY) {',
       '	    (now - b->first_ns < CN_PROC_BATCH_MAX_DELAY || true)) {')],
     ['cn_proc_batch_test:filling_listener_gets_fuller_batches']),
]


def run(cmd, logf, **kw):
    with open(logf, 'a') as f:
        return subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, **kw).returncode


def boot(name, tests):
    """Build the kernel and guest as the tree is, run @tests; {test: bool}."""
    logf = os.path.join(LOGS, f'mutant-{name}.build.log')
    env = dict(os.environ, OBJ=OBJ)
    if run([os.path.join(TOP, 'scripts', 'build-kernel.sh'), 'test', SRC] + FRAGS, logf):
        return None
    initrd = os.path.join(OBJ, 'initramfs-select.cpio.gz')
    if run([os.path.join(TOP, 'scripts', 'build-guest.sh'), 'select', SRC, 'full'],
           logf, env=dict(env, INITRD=initrd)):
        return None
    console = os.path.join(LOGS, f'mutant-{name}.log')
    run([os.path.join(TOP, 'scripts', 'boot.sh'), 'select', 'select', console, '1200'], logf,
        env=dict(env, INITRD=initrd, GUEST_APPEND='cn.run=' + ','.join(tests)))
    got = {}
    results = console[:-4] + '.results'
    lines = open(results, errors='replace').read().splitlines() if os.path.exists(results) else []
    for t in tests:
        prog, test = t.split(':')
        passed = any(l.strip().startswith('# ok') and l.rstrip().endswith('.' + test)
                     for l in lines)
        got[t] = passed
    return got


def main():
    want = sys.argv[1:]
    os.makedirs(LOGS, exist_ok=True)
    subprocess.run([os.path.join(TOP, 'scripts', 'prepare-tree.sh')], check=True)
    chosen = [m for m in MUTANTS if not want or any(w in m[0] for w in want)]
    tests = sorted({t for m in chosen for t in m[2]})
    rows, status = [], 0
    control = boot('control', tests)
    for t in tests:
        ok = control is not None and control.get(t)
        rows.append(('(no bug)', t, 'passes' if ok else 'FAILS'))
        status |= not ok
    for name, edits, mtests in chosen:
        saved = {}
        try:
            for path, old, new in edits:
                full = os.path.join(SRC, path)
                text = saved.setdefault(full, open(full).read())
                cur = open(full).read()
                if old not in cur:
                    sys.exit(f'mutant "{name}": text not found in {path}')
                # Write a new inode: build/src shares inodes with the pristine tree.
                os.remove(full)
                open(full, 'w').write(cur.replace(old, new, 1))
            got = boot(name.replace(' ', '_').replace("'", ''), mtests)
        finally:
            for full, text in saved.items():
                os.remove(full)
                open(full, 'w').write(text)
        for t in mtests:
            if got is None:
                rows.append((name, t, 'did not build or boot'))
                status = 1
            elif got[t]:
                rows.append((name, t, 'PASSES: the test missed the bug'))
                status = 1
            else:
                rows.append((name, t, 'fails, as it must'))
    subprocess.run([os.path.join(TOP, 'scripts', 'prepare-tree.sh')], check=True)
    print('| bug planted | test | result |')
    print('|---|---|---|')
    for r in rows:
        print(f'| {r[0]} | {r[1]} | {r[2]} |')
    return status


if __name__ == '__main__':
    sys.exit(main())
