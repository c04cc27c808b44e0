#!/usr/bin/python3
"""The runtime's one wiring (issue 12): a policy written by `strata plan -o` is accepted by
`strata run --policy FILE` for the same model and capacities, and gives the all-on-device
tokens; `strata run --policy auto` reads config.json once and opens the checkpoint once
(counted with strace over every process and thread of the run).
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

PROMPTS = ["Hi", "The rain in Spain", "x", "Numbers like 3.14159", "Water boils.", "Café?"]

# (what, capacities and flags given to both plan and run): tight device, tight device and host
# with a disk, compressed weights and cache, host attention.
CASES = [
    ("a 4 MiB device", ["--device-mem", "4MiB"]),
    ("4 MiB device, 3 MiB host, disk", ["--device-mem", "4MiB", "--host-mem", "3MiB",
                                        "--disk-mem", "1GiB"]),
    ("compressed weights and cache", ["--device-mem", "2MiB", "--compress-weight", "q4",
                                      "--compress-cache", "q8"]),
    ("cpu attention", ["--device-mem", "6MiB", "--cpu-attention"]),
]


def check_plan_then_run(ck, tmp, model, offload, reqs, want):
    gen = max(r["max_tokens"] for r in reqs)
    for what, flags in CASES:
        policy = os.path.join(tmp, re.sub(r"\W+", "-", what) + ".yaml")
        p = common.run_strata(["plan", "--model", model, "--prompt-len", 16, "--gen-len", gen,
                               "--num-requests", len(reqs), "-o", policy] + flags)
        if not ck.check(p.returncode == 0 and os.path.isfile(policy), f"{what}: plan -o",
                        common.describe(p)):
            continue
        run_flags = [f for f in flags if f != "--cpu-attention"]  # the file carries it
        p, got = common.run_requests(model, reqs, tmp, ["--policy", policy, "--offload-dir",
                                                        offload] + run_flags)
        ck.check(p.returncode == 0 and got is not None, f"{what}: run accepts the plan's policy",
                 common.describe(p))
        compression = [f for i, f in enumerate(flags) if f.startswith("--compress") or
                       (i > 0 and flags[i - 1].startswith("--compress"))]
        ref = want
        if compression:  # the all-on-device tokens of the same compression
            _, ref = common.run_requests(model, reqs, tmp, ["--percent", 100, 0, 100, 0, 100, 0,
                                                            "--gpu-batch-size", 3,
                                                            "--num-gpu-batches", 1] + compression)
        if got is not None and ref is not None:
            ck.check([g["token_ids"] for g in got] == [w["token_ids"] for w in ref],
                     f"{what}: the planned policy gives the all-on-device tokens")


def opens(trace, name):
    """Successful opens of files called `name` in an strace -f log."""
    pattern = re.compile(r'open(at)?\(.*"[^"]*/' + re.escape(name) + r'".*\) = \d+')
    return sum(1 for line in trace.splitlines() if pattern.search(line))


def check_single_reads(ck, tmp, model, offload, reqs):
    strace = shutil.which("strace")
    if not ck.check(strace is not None, "strace is installed (scripts/install-deps.sh)"):
        return
    inp = os.path.join(tmp, "traced.jsonl")
    common.write_jsonl(inp, reqs)
    log = os.path.join(tmp, "strace.log")
    cmd = [strace, "-f", "-qq", "-e", "trace=open,openat", "-o", log, common.strata_bin(), "run",
           "--model", model, "--input", inp, "--output", inp + ".out", "--policy", "auto",
           "--offload-dir", offload, "--quiet"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if not ck.check(p.returncode == 0, "traced run succeeds", p.stderr.decode()[-800:]):
        return
    with open(log, encoding="utf-8", errors="replace") as f:
        trace = f.read()
    ck.check(opens(trace, "config.json") == 1, "run --policy auto reads config.json once",
             f"{opens(trace, 'config.json')} opens")
    ck.check(opens(trace, "model.safetensors") == 1,
             "run --policy auto opens the checkpoint once",
             f"{opens(trace, 'model.safetensors')} opens")


def main():
    ck = Checker("runtime wiring")
    common.strata_bin()
    with common.tempdir("wiring") as tmp:
        common.use_canned_profile(os.path.join(tmp, "cache"))
        model = make_model(tmp, "tiny", layers=4, hidden=128, heads=4, ffn=512, seed=7)
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        reqs = [{"id": f"r{i}", "prompt": pr, "max_tokens": 2 + i % 3}
                for i, pr in enumerate(PROMPTS)]
        p, want = common.run_requests(model, reqs, tmp, ["--batch-size", 3])
        if not common.check_run_ok(ck, p, want, reqs, "all-on-device"):
            ck.finish()
        check_plan_then_run(ck, tmp, model, offload, reqs, want)
        check_single_reads(ck, tmp, model, offload, reqs)
    ck.finish()


if __name__ == "__main__":
    main()
