#!/usr/bin/env python3
"""For the demo: which branch of the lab's ECMP diamond each traced flow took."""
import json
import sys

BRANCH = {"198.18.1.2": "a", "198.18.2.2": "b"}
out = []
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        hops = t["hops"]
        hop2 = hops[1]["addr"] if len(hops) > 1 else None
        out.append("flow %d:%s" % (t["flow"], BRANCH.get(hop2, "?")))
print("  ".join(out))
