#!/usr/bin/env python3
"""House rules of the source tree, checked on every test run.

Usage: scripts/check_house.py BUILD_DIR   (from the repository root)

Layering, from the object files in BUILD_DIR and the includes:
* File graph: an edge a.c -> b.c when a's object file uses a symbol that b's
  defines (nm). A circle between files (a strongly connected component of more
  than one file) is an error.
* Module graph: src/<module>/ folders in the order of LAYERS below; a file may
  use symbols and include headers of its own module and of modules in lower
  layers only.
* Private headers: src/<m>/*_internal.h may be included only by files of <m>
  (and by tests). src/<m>/<m>.h is the module's interface to the modules
  above it.
Sizes and citations: no C source or header over 700 lines, no function over
150 lines, include/smile.h at most 600 lines, and no comment or help text in
src/, cli/ or include/ that cites a document outside this repository.
Prints one line per violation and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

# Lower layers first; modules in one layer may not use each other.
LAYERS = [
    ["core"],
    ["nn", "data", "io", "diag", "mpi"],
    ["sampler", "model", "metrics"],
    ["prob", "analytic"],
    ["train"],
    ["fit"],
]
LEVEL = {m: i for i, layer in enumerate(LAYERS) for m in layer}
# Modules compiled only in some builds: src/mpi (make MPI=1, build-mpi/).
OPTIONAL = {"mpi"}


def module_of(path):
    parts = path.split(os.sep)
    return parts[1] if len(parts) > 2 and parts[0] == "src" else None


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBRCVW":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            used.add(f[1])
    return defined, used


def allowed(src_mod, dst_mod, same_layer_ok=False):
    if src_mod == dst_mod or dst_mod is None:
        return True
    if src_mod not in LEVEL or dst_mod not in LEVEL:
        return False
    return LEVEL[dst_mod] < LEVEL[src_mod]


def sccs(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def layer_errors(build):
    errors = []
    srcs = sorted(os.path.join(d, f) for d, _, fs in os.walk("src") for f in fs
                  if f.endswith(".c"))
    defs, uses = {}, {}
    for s in srcs:
        obj = os.path.join(build, s[:-2] + ".o")
        if not os.path.exists(obj) and module_of(s) in OPTIONAL:
            continue  # built only with MPI=1 (check that build folder for it)
        if not os.path.exists(obj):
            errors.append("%s: no object file %s (build first)" % (s, obj))
            continue
        defs[s], uses[s] = symbols(obj)
    owner = {}
    for s, ds in defs.items():
        for sym in ds:
            owner[sym] = s
    graph = {s: sorted({owner[u] for u in uses[s] if u in owner and owner[u] != s})
             for s in defs}
    for comp in sccs(graph):
        if len(comp) > 1:
            errors.append("circle between files: " + " ".join(sorted(comp)))
    for s, targets in graph.items():
        for t in targets:
            if not allowed(module_of(s), module_of(t)):
                errors.append("%s uses %s (module %s may not use %s)" %
                              (s, t, module_of(s), module_of(t)))
    inc_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk("src") for f in fs
                   if f.endswith((".c", ".h", ".inc")))
    for s in files:
        mod = module_of(s)
        if mod not in LEVEL:
            errors.append("%s: folder %s is not in the layer table" % (s, mod))
        for line in open(s, errors="replace"):
            m = inc_re.match(line)
            if not m:
                continue
            inc = m.group(1)
            if inc.startswith("smile") and "/" not in inc:
                continue  # public headers (include/)
            path = inc if inc.startswith("src/") else os.path.join("src", inc)
            if "/" not in inc:
                path = os.path.join(os.path.dirname(s), inc)
            dmod = module_of(os.path.normpath(path))
            if not allowed(mod, dmod):
                errors.append("%s includes %s (module %s may not use %s)" % (s, inc, mod, dmod))
            if dmod != mod and os.path.basename(path).endswith("_internal.h"):
                errors.append("%s includes %s, a private header of module %s" % (s, inc, dmod))
    return errors, len(defs)


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


def size_errors():
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
    return errors, len(files)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    errors = []
    for name, (errs, n) in (("layers", layer_errors(build)), ("sizes", size_errors())):
        errors += errs
        print("\n".join(errs + ["check_house %s: %d files, %d violations" % (name, n, len(errs))]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
