#!/usr/bin/env python3
"""series.py TOP PRISTINE REPO N: write the state of every path the series
touches after patch N (0: the pristine base) into the git work tree REPO.

The patches are series/NN-*.msg, in order. The header of each, up to the
first blank line, says what the patch does to the tree:

  Files: PATH...    paths brought to their final state (the state in TOP):
                    a directory is mirrored, a file copied
  Remove: PATH...   files of the base that the patch deletes
  Lines: PATH /START/[../END/]
                    lines of PATH that this patch adds: from a line
                    matching START, alone or up to (not including) the
                    next line matching END. Before this patch the file
                    lacks them.
  MAINTAINERS in Files brings in the lines of MAINTAINERS.connector that
  name paths of this patch and of the ones before it.

A path's state at step N is its final state minus the lines that later
patches add, or its base state while no patch up to N has brought it.
"""
import os
import re
import shutil
import subprocess
import sys


def parse(msg):
    head = open(msg).read().split('\n\n', 1)[0].splitlines()
    patch = {'files': [], 'remove': [], 'lines': []}
    for line in head:
        key, _, value = line.partition(': ')
        if key == 'Files':
            patch['files'] += value.split()
        elif key == 'Remove':
            patch['remove'] += value.split()
        elif key == 'Lines':
            path, _, rule = value.partition(' ')
            m = re.fullmatch(r'/(.*?)/(?:\.\./(.*)/)?', rule.strip())
            if not m:
                sys.exit(f'{msg}: bad Lines rule: {rule}')
            patch['lines'].append((path, re.compile(m.group(1)),
                                   re.compile(m.group(2)) if m.group(2) else None))
        else:
            sys.exit(f'{msg}: unknown header line: {line}')
    if not patch['files'] and not patch['lines']:
        sys.exit(f'{msg}: no Files or Lines')
    return patch


def strip(text, rules):
    """Drop the lines the rules select."""
    out, lines, i = [], text.split('\n'), 0
    while i < len(lines):
        for start, end in rules:
            if start.search(lines[i]):
                if end is None:
                    i += 1
                else:
                    i += 1
                    while i < len(lines) and not end.search(lines[i]):
                        i += 1
                break
        else:
            out.append(lines[i])
            i += 1
    return '\n'.join(out)


def maintainers(top, pristine, repo, introduced):
    entry = []
    for line in open(os.path.join(top, 'MAINTAINERS.connector')):
        if line.startswith('F:'):
            path = line[2:].strip().rstrip('/')
            if not any(path == p or path.startswith(p + '/') or p.startswith(path + '/')
                       for p in introduced):
                continue
        entry.append(line)
    tmp = os.path.join(repo, '.git', 'maintainers-entry')
    open(tmp, 'w').write(''.join(entry))
    shutil.copyfile(os.path.join(pristine, 'MAINTAINERS'), os.path.join(repo, 'MAINTAINERS'))
    subprocess.run([sys.executable, os.path.join(top, 'scripts', 'maintainers.py'), tmp,
                    os.path.join(repo, 'MAINTAINERS')], check=True)


def mirror(src, dst):
    if os.path.isdir(dst):
        shutil.rmtree(dst)
    shutil.copytree(src, dst)


def main():
    top, pristine, repo, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    msgs = sorted(f for f in os.listdir(os.path.join(top, 'series'))
                  if re.match(r'\d+-.*\.msg$', f))
    patches = [parse(os.path.join(top, 'series', f)) for f in msgs]
    if n > len(patches):
        sys.exit(f'the series has {len(patches)} patches')
    done, later = patches[:n], patches[n:]

    introduced, removed = [], []
    for p in done:
        introduced += [f for f in p['files'] if f != 'MAINTAINERS']
        removed += p['remove']
    for f in removed:
        path = os.path.join(repo, f)
        if os.path.exists(path):
            os.remove(path)
    for f in introduced:
        src, dst = os.path.join(top, f), os.path.join(repo, f)
        if os.path.isdir(src):
            mirror(src, dst)
            continue
        if not os.path.exists(src):
            sys.exit(f'{f} is not in the repository')
        rules = [(s, e) for p in later for (path, s, e) in p['lines'] if path == f]
        text = strip(open(src).read(), rules)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        open(dst, 'w').write(text)
        shutil.copymode(src, dst)
    # A file whose lines a patch adds must have been brought by then.
    for i, p in enumerate(done):
        for (path, _, _) in p['lines']:
            if path not in introduced:
                sys.exit(f'{msgs[i]}: adds lines to {path}, which no patch up to it brings')
    if any('MAINTAINERS' in p['files'] for p in done):
        maintainers(top, pristine, repo, introduced)


if __name__ == '__main__':
    main()
