#!/usr/bin/env python3
"""maintainers.py ENTRY MAINTAINERS: put ENTRY into a kernel MAINTAINERS
file at its alphabetical place, replacing an entry of the same title. The
file is replaced, not written in place (the build tree shares inodes with
the pristine tree).

The list is not perfectly sorted, so of the places where the previous
title sorts before ours and the next one after, the one whose previous
title shares the longest prefix with ours wins."""
import os
import sys

entry_path, path = sys.argv[1], sys.argv[2]
entry = open(entry_path).read().rstrip("\n").split("\n")
title = entry[0].upper()
lines = open(path).read().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith("Maintainers List"))


def is_title(i):
    return (i > start and lines[i] and lines[i - 1] == ""
            and i + 1 < len(lines) and lines[i + 1][1:3] == ":\t")


def entry_end(i):
    """Index just past entry i and its trailing blank line."""
    while i < len(lines) and lines[i]:
        i += 1
    return i + 1


# Drop an entry with our title, if the file has one already.
for i in range(len(lines)):
    if is_title(i) and lines[i].upper() == title:
        del lines[i:entry_end(i)]
        break

titles = [i for i in range(len(lines)) if is_title(i)]


def shared(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


best, best_score = None, -1
for prev, nxt in zip(titles, titles[1:]):
    p, n = lines[prev].upper(), lines[nxt].upper()
    if p <= title < n and shared(p, title) > best_score:
        best, best_score = nxt, shared(p, title)
if best is None:
    sys.exit("no place found for the entry")
lines[best:best] = entry + [""]
tmp = path + ".tmp"
with open(tmp, "w") as f:
    f.write("\n".join(lines))
os.replace(tmp, path)
