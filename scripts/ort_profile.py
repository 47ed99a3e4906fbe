#!/usr/bin/env python3
"""Summarises an ONNX Runtime profile (the JSON trace a session writes with dtd4j.ort.profile set): the time of each
operator type per run of the session (the mean over its runs), largest first, and the share of the whole.
Usage: ort_profile.py TRACE.json [TOP]"""
import collections
import json
import sys

events = json.load(open(sys.argv[1]))
top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
per_op = collections.Counter()
for e in events:
    if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
        per_op[e["args"].get("op_name", "?")] += e["dur"]
n = max(1, len(runs))
total = sum(per_op.values())
result = {"runs": len(runs), "run_ms_mean": round(sum(e["dur"] for e in runs) / n / 1000, 2),
          "kernels_ms_per_run": round(total / n / 1000, 2),
          "by_operator_ms_per_run": {op: round(us / n / 1000, 2) for op, us in per_op.most_common(top)},
          "share": {op: round(us / total, 3) for op, us in per_op.most_common(top)}}
print(json.dumps(result, indent=1))
