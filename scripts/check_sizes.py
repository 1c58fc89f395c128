#!/usr/bin/env python3
"""Checks the size rules of the source tree: no C source or header over 700
lines, no function over 150 lines, include/smile.h at most 600 lines, and no
comment or help text in src/, cli/ or include/ that cites a document outside
this repository (spec section marks, [ref]/[ours]/[proj] tags).

Usage: scripts/check_sizes.py   (from the repository root)
Prints one line per violation and exits 1 if there is any.
"""
import re
import subprocess
import sys

MAX_FILE, MAX_FUNC, MAX_SMILE_H = 700, 150, 600
CITE = re.compile(r"§|\[ref\]|\[ours\]|\[proj\]|experiments\.md|samplers\.md|metrics\.md")
DOCS_REF = re.compile(r"docs/[A-Za-z0-9_./-]+\.md")


def code_only(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return re.sub(r"//.*", "", line)


def functions(lines):
    """Yields (name, first line, length) of top-level brace blocks that follow a
    parenthesised header (function definitions)."""
    depth, start, name = 0, None, None
    in_comment = False
    for i, raw in enumerate(lines):
        s = code_only(raw)
        if in_comment:
            if "*/" not in s:
                continue
            s, in_comment = s.split("*/", 1)[1], False
        s = re.sub(r"/\*.*?\*/", "", s)
        if "/*" in s:
            s, in_comment = s.split("/*", 1)[0], True
        if depth == 0 and "{" in s and start is None:
            head = " ".join(lines[max(0, i - 3):i + 1])
            m = re.findall(r"(\w+)\s*\(", head)
            if m and "=" not in s and not re.match(r"\s*(typedef|struct|enum|union)\b", raw):
                name, start = m[0], i
        depth += s.count("{") - s.count("}")
        if depth == 0 and start is not None:
            yield name, start + 1, i - start + 1
            start = None


def main():
    files = subprocess.run(["git", "ls-files", "*.c", "*.h", "*.inc"], capture_output=True,
                           text=True).stdout.split()
    errors = []
    for f in files:
        try:
            lines = open(f, errors="replace").read().split("\n")
        except OSError:
            continue
        n = len(lines) - (1 if lines and lines[-1] == "" else 0)
        limit = MAX_SMILE_H if f == "include/smile.h" else MAX_FILE
        if n > limit:
            errors.append("%s: %d lines (at most %d)" % (f, n, limit))
        for name, first, length in functions(lines):
            if length > MAX_FUNC:
                errors.append("%s:%d: function %s has %d lines (at most %d)" %
                              (f, first, name, length, MAX_FUNC))
        if f.startswith(("src/", "cli/", "include/")):
            for k, line in enumerate(lines, 1):
                if CITE.search(DOCS_REF.sub("", line)):
                    errors.append("%s:%d: cites a document outside the repository: %s" %
                                  (f, k, line.strip()[:80]))
    for e in errors:
        print(e)
    print("check_sizes: %d files, %d violations" % (len(files), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
