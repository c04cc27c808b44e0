#!/usr/bin/python3
"""What produced an output, and a finished job's --resume (issue 16, point 6):
  - `--metrics` records the Strata version, the job's identity (input digest, model and its
    file identity, sampling defaults), the policy run and, under --policy auto, the planner's
    prediction (it was null even when one was printed);
  - OUTPUT.meta.json beside the output records the same identity, policy and prediction;
  - `--resume` of a job whose output is complete finishes at once: it says so, generates
    nothing (the output file is not rewritten) and exits 0;
  - with other input bytes the same command does not take the old output for finished.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model, run_strata  # noqa: E402


def main():
    ck = Checker("job meta")
    common.strata_bin()
    with common.tempdir("meta") as tmp:
        model = make_model(tmp, "m", layers=2, hidden=64, heads=4, ffn=128, seed=8)
        inp = os.path.join(tmp, "in.jsonl")
        common.write_jsonl(inp, [{"id": f"r{i}", "prompt": f"Item {i}", "max_tokens": 5}
                                 for i in range(6)])
        out = os.path.join(tmp, "out.jsonl")
        metrics = os.path.join(tmp, "metrics.json")
        cmd = ["run", "--model", model, "--input", inp, "--output", out, "--metrics", metrics]
        p = run_strata(cmd + ["--policy", "auto"])
        if not ck.check(p.returncode == 0, "the job runs", common.describe(p)):
            ck.finish()
        with open(metrics) as f:
            m = json.load(f)
        ck.check(isinstance(m.get("strata_version"), str) and m["strata_version"],
                 "metrics: the Strata version", str(m.get("strata_version")))
        job = m.get("job") or {}
        ck.check(all(job.get(k) for k in ("input_digest", "model", "model_identity")) and
                 "defaults" in job, "metrics: the job's identity", str(job)[:300])
        ck.check(isinstance(m.get("policy"), dict) and m["policy"].get("gpu_batch_size", 0) >= 1,
                 "metrics: the policy run", str(m.get("policy")))
        pred = m.get("planner_prediction")
        ck.check(isinstance(pred, dict) and pred.get("total_throughput", 0) > 0,
                 "metrics: the planner's prediction under --policy auto", str(pred))
        meta_path = out + ".meta.json"
        if ck.check(os.path.isfile(meta_path), "OUTPUT.meta.json is written"):
            with open(meta_path) as f:
                meta = json.load(f)
            ck.check(meta.get("job") == job and meta.get("policy") == m.get("policy") and
                     meta.get("planner_prediction") == pred and meta.get("requests") == 6,
                     "OUTPUT.meta.json: the same identity, policy and prediction", str(meta)[:300])

        with open(out, "rb") as f:
            before = f.read()
        stamp = os.stat(out).st_mtime_ns
        time.sleep(0.05)
        p = run_strata(cmd + ["--policy", "auto", "--resume"])
        ck.check(p.returncode == 0 and "already complete" in p.stderr,
                 "--resume of a finished job says it is complete", common.describe(p))
        ck.check(os.stat(out).st_mtime_ns == stamp, "--resume of a finished job rewrites nothing")
        with open(out, "rb") as f:
            ck.check(f.read() == before, "the output is unchanged")

        common.write_jsonl(inp, [{"id": f"r{i}", "prompt": f"Other {i}", "max_tokens": 5}
                                 for i in range(6)])
        p = run_strata(cmd + ["--policy", "auto", "--resume"])
        with open(out, "rb") as f:
            ck.check(p.returncode == 0 and "already complete" not in p.stderr and
                     f.read() != before, "--resume with other input generates the new job",
                     common.describe(p))
    ck.finish()


if __name__ == "__main__":
    main()
