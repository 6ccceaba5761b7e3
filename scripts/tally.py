#!/usr/bin/env python3
"""tally.py MANIFEST WHERE=LOG... : count the results of a test run.

Each LOG holds the results of one place WHERE (host, base, debug, ...):
"CNRESULT PASS|FAIL|SKIP name [why]" lines, kselftest TAP as
run_kselftest.sh prints it, and KUnit KTAP between "KUNIT-BEGIN suite"
and "KUNIT-END suite" lines. The MANIFEST lists every test each place
must report (see scripts/expected-tests). The run fails when a test
fails, when an expected test did not report, when a test reported that
the manifest does not know, when a TAP plan does not match its results,
when a test program ended without its result line, and when a test was
skipped where the manifest does not allow it. Prints the problems, each
failed test case followed by what it logged (up to DETAIL_MAX lines, so
that a failure in CI can be read from the tally alone), then
"N passed, N failed" (and the skips).
"""
import re
import sys

TAP = re.compile(r'^(not )?ok \d+ ([^#]*?)\s*(?:#\s*(?:(SKIP|TODO|TIMEOUT)\b)?(.*))?$')
PLAN = re.compile(r'^1\.\.(\d+)')
DETAIL_MAX = 40


def load_manifest(path):
    expected = {}
    for n, line in enumerate(open(path), 1):
        line = line.rstrip('\n')
        if not line.strip() or line.lstrip().startswith('#'):
            continue
        fields = line.split('\t')
        if len(fields) < 2:
            sys.exit(f'{path}:{n}: want "WHERE<TAB>NAME[<TAB>skip-ok]"')
        skip_ok = len(fields) > 2 and fields[2].strip() == 'skip-ok'
        for where in fields[0].split(','):
            expected[(where.strip(), fields[1].strip())] = skip_ok
    return expected


class Results:
    def __init__(self, where):
        self.where = where
        self.status = {}
        self.problems = []
        self.detail = {}    # name: the lines a failed case logged

    def add(self, name, status, why=''):
        key = name
        if key in self.status:
            self.problems.append(f'{self.where}: "{name}" reported twice')
            if status == 'FAIL':
                self.status[key] = (status, why)
            return
        self.status[key] = (status, why)


def parse_kselftest(res, lines):
    """run_kselftest.sh output: a plan, then per program a nested TAP
    block ("# " prefixed) closed by "ok N selftests: DIR: PROG"."""
    nested, plan, prog_lines = [], None, 0
    for raw in lines:
        if raw.startswith('# '):
            nested.append(raw[2:])
            continue
        m = TAP.match(raw)
        if not m or ' selftests: ' not in ' ' + m.group(2):
            continue
        prog_lines += 1
        prog = m.group(2).split(': ')[-1]
        results, plan, since = 0, None, []
        for line in nested:
            pm = PLAN.match(line)
            if pm:
                plan = int(pm.group(1))
                continue
            tm = TAP.match(line)
            if not tm:
                since.append(line)
                continue
            results += 1
            name = f'selftest: {prog}: {tm.group(2)}'
            logged, since = since, []
            if tm.group(1):
                res.detail[name] = logged
                res.add(name, 'FAIL', tm.group(4) or '')
            elif tm.group(3) == 'SKIP':
                res.add(name, 'SKIP', (tm.group(4) or '').strip())
            else:
                res.add(name, 'PASS')
        nested = []
        outer = f'selftest: {prog}'
        if m.group(3) == 'SKIP':
            # The whole program skipped: that is a skip, never a pass.
            res.add(outer, 'SKIP', (m.group(4) or '').strip())
            continue
        if m.group(1):
            res.add(outer, 'FAIL', (m.group(3) or '') + (m.group(4) or ''))
        elif plan is None:
            res.add(outer, 'FAIL', 'no TAP plan')
        elif plan != results:
            res.add(outer, 'FAIL', f'plan of {plan} tests, {results} results')
        else:
            res.add(outer, 'PASS')
    if nested:
        res.problems.append(f'{res.where}: a test program ended without its '
                            'result line (crashed or killed?)')


def parse_kunit(res, suite, lines):
    """KTAP of one suite: its cases one level in, then the suite line."""
    plan, cases, suite_seen, since = None, 0, False, []
    for raw in lines:
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip()
        if line.startswith('# '):
            since.append(line)
            continue
        pm = PLAN.match(line)
        if pm and indent and plan is None:
            plan = int(pm.group(1))
            continue
        tm = TAP.match(line)
        if not tm:
            continue
        if indent == 0:
            suite_seen = True
            continue
        if indent > 4:
            continue    # parameters of a parameterized case
        cases += 1
        name = f'kunit: {suite}.{tm.group(2)}'
        logged, since = since, []
        if tm.group(1):
            res.detail[name] = logged
            res.add(name, 'FAIL')
        elif tm.group(3) == 'SKIP':
            res.add(name, 'SKIP', (tm.group(4) or '').strip())
        else:
            res.add(name, 'PASS')
    if not suite_seen:
        res.add(f'kunit: {suite}', 'FAIL', 'the suite did not finish')
    elif plan != cases:
        res.add(f'kunit: {suite}', 'FAIL', f'plan of {plan} cases, {cases} results')
    else:
        res.add(f'kunit: {suite}', 'PASS')


def parse_log(where, path):
    res = Results(where)
    try:
        text = open(path, errors='replace').read()
    except OSError as e:
        res.problems.append(f'{where}: no results ({e.strerror})')
        return res
    lines = [l.rstrip('\r\n') for l in text.splitlines()]
    ksel, kunit, suite = [], None, None
    for line in lines:
        if line.startswith('KUNIT-BEGIN '):
            suite, kunit = line.split(' ', 1)[1].strip(), []
            continue
        if line.startswith('KUNIT-END'):
            if suite is not None:
                parse_kunit(res, suite, kunit)
            suite, kunit = None, None
            continue
        if kunit is not None:
            kunit.append(line)
            continue
        if line.startswith('CNRESULT '):
            parts = line.split(' ', 2)
            if len(parts) < 3 or parts[1] not in ('PASS', 'FAIL', 'SKIP'):
                res.problems.append(f'{where}: bad result line: {line}')
                continue
            name, _, why = parts[2].partition(' # ')
            res.add(name.strip(), parts[1], why)
            continue
        ksel.append(line)
    if suite is not None:
        res.add(f'kunit: {suite}', 'FAIL', 'the suite did not finish')
    parse_kselftest(res, ksel)
    return res


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == '--list':
        # What the logs report, as manifest lines: to review, not to paste
        # blindly (a test that should have reported may be missing).
        for arg in sys.argv[2:]:
            where, _, path = arg.partition('=')
            res = parse_log(where, path)
            for p in res.problems:
                print(f'# {p}')
            for name, (status, why) in sorted(res.status.items()):
                flag = '\tskip-ok' if status == 'SKIP' else ''
                print(f'{where}\t{name}{flag}')
        return 0
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    expected = load_manifest(sys.argv[1])
    places = {}
    for arg in sys.argv[2:]:
        where, _, path = arg.partition('=')
        places[where] = parse_log(where, path)

    passed = failed = skipped = 0
    lines = []
    for where, res in places.items():
        for p in res.problems:
            failed += 1
            lines.append(f'FAIL  {p}')
        for name, (status, why) in sorted(res.status.items()):
            key = (where, name)
            label = f'{where}: {name}'
            if key not in expected:
                failed += 1
                lines.append(f'FAIL  {label}: not in the manifest '
                             f'(reported {status})')
            elif status == 'PASS':
                passed += 1
            elif status == 'SKIP':
                skipped += 1
                if expected[key]:
                    lines.append(f'SKIP  {label}: {why}')
                else:
                    failed += 1
                    lines.append(f'FAIL  {label}: skipped, which is not '
                                 f'allowed here: {why}')
            else:
                failed += 1
                lines.append(f'FAIL  {label} {why}'.rstrip())
                logged = res.detail.get(name, [])
                lines.extend(f'      | {l}' for l in logged[-DETAIL_MAX:])
    for (where, name) in expected:
        if where in places and name not in places[where].status:
            failed += 1
            lines.append(f'FAIL  {where}: {name}: did not report')
    missing = sorted({w for (w, _) in expected} - set(places))
    for where in missing:
        failed += 1
        lines.append(f'FAIL  {where}: no results at all')

    print('\n'.join(lines))
    if skipped:
        print(f'{skipped} skipped (allowed skips only; a skip is not a pass)')
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0


if __name__ == '__main__':
    sys.exit(main())
