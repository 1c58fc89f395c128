"""Flattens a JSON file into sorted 'path = value' lines for the golden test.

Numbers keep their exact text (repr of the parsed float round-trips), so a
byte-level change in any metric shows. Left out: wall-clock timings
(keys containing 'seconds'), the data path, the version and free-text notes.
"""
import json
import sys

SKIP = {"data", "note", "smile_version", "data_sha256"}


def walk(node, path, out):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in SKIP or "seconds" in k:
                continue
            walk(v, path + "/" + k, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, "%s[%d]" % (path, i), out)
    else:
        out.append("%s = %s" % (path, json.dumps(node)))


lines = []
walk(json.load(open(sys.argv[1])), "", lines)
print("\n".join(sorted(lines)))
