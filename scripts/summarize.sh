#!/bin/bash
# summarize.sh LOG...: count the results in guest console logs and host
# check logs, list the failures, and print "N passed, N failed".
# Results are kselftest TAP lines (at any nesting depth) and
# "CNRESULT PASS|FAIL|SKIP name" lines. A test program that failed without
# a failing test line (it crashed, or timed out) counts as one failure.
awk '
{ sub(/\r$/, "") }
/CNRESULT / {
	line = substr($0, index($0, "CNRESULT ") + 9)
	split(line, f, " ")
	if (f[1] == "PASS") pass++
	else if (f[1] == "FAIL") { fail++; failed = failed "\n  " line }
	else if (f[1] == "SKIP") { skip++; skipped = skipped "\n  " line }
	next
}
{
	line = $0
	while (sub(/^# /, "", line)) ;
	if (line !~ /^(not )?ok [0-9]+ /) next
	if (line ~ / selftests: /) {
		if (line ~ /^not ok/ && prog_fail == 0) {
			fail++; failed = failed "\n  " line
		}
		prog_fail = 0
		next
	}
	if (line ~ /^not ok/) { fail++; prog_fail++; failed = failed "\n  " line }
	else if (line ~ /# SKIP/) { skip++; skipped = skipped "\n  " line }
	else pass++
}
END {
	if (skipped != "") print "skipped:" skipped
	if (failed != "") print "failed:" failed
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit (fail > 0 || pass == 0)
}' "$@"
