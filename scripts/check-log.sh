#!/bin/bash
# check-log.sh LOG: fail when a guest console log shows that the guest did
# not finish its work, or that the kernel reported a problem.
. "$(dirname "$0")/lib.sh"

logf=$1
splats='(BUG:|WARNING:|Oops|Kernel panic|kernel BUG|general protection fault|KASAN:|UBSAN:|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called from invalid context|unreferenced object|Call Trace:|DEBUG_LOCKS_WARN_ON|ODEBUG:|list_add corruption|list_del corruption|refcount_t:)'
if grep -aEq "$splats" "$logf"; then
	log "the kernel log of $logf holds a report:"
	grep -aE -B2 -A20 "$splats" "$logf" | head -n 80 >&2
	exit 1
fi
grep -aq '^GUEST-DONE' "$logf" || {
	tail -n 40 "$logf" >&2
	die "the guest did not report that it finished (crash or reboot?)"
}
