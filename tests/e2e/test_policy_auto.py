#!/usr/bin/python3
"""--policy auto (issue 5) through `strata run` and `strata bench`: a plan is made for the
model, this machine's cached profile, the capacities and the workload, and runs; policy flags
given by hand win over the plan; the tokens equal the all-in-memory path's (greedy outputs are
batch-invariant); without a cached profile one is measured into the cache (one line says so).
bench prints the cost model's prediction for the policy it ran next to each measured figure,
and its JSON line carries predicted throughputs and the gap in % (planned or given by hand).
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

PROMPTS = ["Hi", "The rain in Spain stays mainly in the plain.", "x",
           "Numbers like 3.14159 and 2.71828", "Water boils at 100 degrees.", "Café?"]
FIELDS = ("token_ids", "text", "finish_reason", "prompt_tokens", "completion_tokens")


def summary(stderr):
    lines = [l for l in stderr.splitlines() if "--policy auto (" in l]
    return lines[-1] if lines else ""


def run_auto(ck, model, reqs, tmp, args, what, want):
    """Runs strata run (not quiet, to see the plan's line); checks success and tokens."""
    common._run_counter[0] += 1
    inp = os.path.join(tmp, f"auto-{common._run_counter[0]}.jsonl")
    out = inp + ".out"
    common.write_jsonl(inp, reqs)
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out] + args)
    if not ck.check(p.returncode == 0 and os.path.exists(out), f"{what}: run succeeds",
                    common.describe(p)):
        return p, ""
    got = common.read_jsonl(out)
    diff = [(i, f) for i, (a, b) in enumerate(zip(want, got)) for f in FIELDS if a.get(f) != b.get(f)]
    ck.check(len(got) == len(want) and not diff,
             f"{what}: tokens equal the all-in-memory path", str(diff[:4]))
    line = summary(p.stderr)
    ck.check(line != "", f"{what}: one line shows the plan", p.stderr[-800:])
    return p, line


def check_run(ck, tmp, model, offload):
    reqs = [{"id": f"r{i}", "prompt": pr, "max_tokens": 3 + i % 4} for i, pr in enumerate(PROMPTS)]
    p, want = common.run_requests(model, reqs, tmp, ["--batch-size", 4])
    if not common.check_run_ok(ck, p, want, reqs, "all-in-memory"):
        ck.finish()

    _, line = run_auto(ck, model, reqs, tmp, ["--policy", "auto", "--offload-dir", offload],
                       "auto", want)
    ck.check("predicted" in line and "token/s" in line, "auto: the plan's prediction is shown", line)

    # Hand flags win: batch shape, placement, overlap and attention as given.
    hand = ["--gpu-batch-size", 2, "--num-gpu-batches", 3, "--percent", 0, 100, 0, 100, 100, 0,
            "--no-overlap", "--cpu-attention"]
    _, line = run_auto(ck, model, reqs, tmp, ["--policy", "auto", "--offload-dir", offload] + hand,
                       "auto with every policy flag by hand", want)
    for part in ("gpu_batch_size 2 x num_gpu_batches 3", "--percent 0 100 0 100 100 0",
                 "cpu_attention on", "overlap off"):
        ck.check(part in line, f"hand flags win: {part!r}", line)

    # One hand flag: the planner fills in the rest around it.
    _, line = run_auto(ck, model, reqs, tmp, ["--policy", "auto", "--gpu-batch-size", 3],
                       "auto with --gpu-batch-size 3", want)
    ck.check("gpu_batch_size 3 x" in line, "a hand --gpu-batch-size is kept", line)
    ck.check(re.search(r"--percent 100 0 100 0 100 0", line) is not None,
             "a tiny model is planned all on the device", line)

    # A device too small for the weights: the plan moves them off it (KV with no --offload-dir
    # stays off the disk).
    _, line = run_auto(ck, model, reqs, tmp, ["--policy", "auto", "--device-mem", "4MiB"],
                       "auto in a 4 MiB device", want)
    m = re.search(r"--percent (\S+) (\S+) (\S+) (\S+)", line)
    ck.check(m is not None and float(m.group(1)) < 100, "weights leave a 4 MiB device", line)

    # run plans by default: with no policy flag the plan's line is printed; a plan that keeps
    # everything on the device runs in memory (no store is converted); --policy in-memory skips
    # the planner; with every placement and shape flag given there is nothing to plan.
    stores = os.path.join(os.environ["XDG_CACHE_HOME"], "strata", "stores")
    before = sorted(os.listdir(stores)) if os.path.isdir(stores) else []
    p, line = run_auto(ck, model, reqs, tmp, [], "run with no policy flag", want)
    ck.check("gpu_batch_size" in line, "run plans by default (--policy auto)", p.stderr[-600:])
    ck.check("generating in memory" in p.stderr, "an all-on-device plan runs in memory",
             p.stderr[-600:])
    after = sorted(os.listdir(stores)) if os.path.isdir(stores) else []
    ck.check(after == before, "an in-memory plan converts no store", f"{before} -> {after}")
    p, got = common.run_requests(model, reqs, tmp, ["--policy", "in-memory", "--batch-size", 2])
    ck.check(p.returncode == 0 and got is not None and
             [g["token_ids"] for g in got] == [w["token_ids"] for w in want],
             "--policy in-memory runs", common.describe(p))
    inp = os.path.join(tmp, "in-memory-conflict.jsonl")
    common.write_jsonl(inp, reqs)
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", inp + ".out",
                           "--policy", "in-memory", "--percent", 0, 100, 0, 100, 100, 0])
    common.check_one_error_line(ck, p, "--policy in-memory with --percent", ["in-memory"],
                                exit_code=2)
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", inp + ".out2",
                           "--gpu-batch-size", 2, "--num-gpu-batches", 3,
                           "--percent", 0, 100, 0, 100, 100, 0])
    ck.check(p.returncode == 0 and "--policy auto (" not in p.stderr,
             "every placement and shape flag given: nothing is planned", common.describe(p))

    # Impossible capacities: one error line, exit 2, before any work.
    inp = os.path.join(tmp, "impossible.jsonl")
    common.write_jsonl(inp, reqs)
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", inp + ".out",
                           "--policy", "auto", "--device-mem", "1KiB", "--host-mem", "1KiB"])
    common.check_one_error_line(ck, p, "auto with impossible capacities", [], exit_code=2)
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", inp + ".out",
                           "--policy", "sometimes"])
    common.check_one_error_line(ck, p, "--policy not auto, in-memory or a file", ["sometimes"],
                                exit_code=2)


def check_bench_json(ck, j, what):
    pred = j.get("predicted", {})
    for key in ("prefill_throughput", "decode_throughput", "total_throughput", "prefill_seconds",
                "decode_seconds"):
        ck.check(isinstance(pred.get(key), (int, float)) and pred[key] > 0,
                 f"{what}: predicted {key} > 0", str(pred))
    for phase in ("prefill", "decode", "total"):
        gap = j.get("gap_percent", {}).get(phase)
        want = 100.0 * (j[f"{phase}_throughput"] / pred.get(f"{phase}_throughput", 1) - 1)
        ck.check(isinstance(gap, (int, float)) and abs(gap - want) < 1e-6 * max(1, abs(want)),
                 f"{what}: gap_percent {phase} = measured / predicted - 1", f"{gap} vs {want}")


def check_bench(ck, tmp, model, offload):
    base = ["bench", "--model", model, "--prompt-len", 8, "--gen-len", 4, "--offload-dir", offload]
    p = common.run_strata(base)
    if ck.check(p.returncode == 0, "bench (auto by default) succeeds", common.describe(p)):
        lines = p.stdout.strip().split("\n")
        j = json.loads(lines[-1])
        ck.check(j.get("policy_source") == "auto", "bench plans by default", str(j)[:300])
        for phase in ("prefill", "decode", "total"):
            ck.check(any(l.startswith(f"{phase} latency:") and "predicted" in l for l in lines),
                     f"bench: the {phase} line shows the prediction next to the measurement")
        ck.check("--policy auto (" in p.stderr, "bench: the plan is shown on stderr", p.stderr[-500:])
        check_bench_json(ck, j, "bench auto")

    policy = os.path.join(tmp, "hand.yaml")
    with open(policy, "w", encoding="utf-8") as f:
        f.write("gpu_batch_size: 2\nnum_gpu_batches: 2\npercent: [0, 50, 0, 100, 100, 0]\n"
                "cpu_attention: false\noverlap: true\n")
    p = common.run_strata(base + ["--policy", policy, "--quiet"])
    if ck.check(p.returncode == 0, "bench with a policy file succeeds", common.describe(p)):
        j = json.loads(p.stdout.strip().split("\n")[-1])
        ck.check(j.get("policy_source") == "file" and j["block_size"] == 4,
                 "bench runs the file's policy", str(j)[:300])
        check_bench_json(ck, j, "bench policy file")


def check_profile_measured(ck, tmp, model, offload):
    cache = os.path.join(tmp, "fresh-cache")
    os.environ["XDG_CACHE_HOME"] = cache
    os.environ.pop("STRATA_PROFILE", None)
    p = common.run_strata(["bench", "--model", model, "--prompt-len", 4, "--gen-len", 2,
                           "--offload-dir", offload], timeout=120)
    ck.check(p.returncode == 0, "bench without a cached profile succeeds", common.describe(p))
    measured = [l for l in p.stderr.splitlines() if "no hardware profile" in l]
    ck.check(len(measured) == 1, "one line says the profile is being measured", p.stderr[-600:])
    ck.check(os.path.isfile(common.profile_cache_path(cache)), "the profile is cached")
    # Paths aside: a random temporary directory's name may contain "t4" (strata-e2e-auto-rpot496v).
    said = p.stderr.replace(tmp, "").replace(offload, "").lower()
    ck.check("t4" not in said, "no fallback to T4 figures", p.stderr[-600:])

    # A cached profile from an older probe (no probe_version) is measured again, once.
    path = common.profile_cache_path(cache)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    ck.check("probe_version:" in text, "the cached profile records its probe version", text[:300])
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(l for l in text.splitlines(True) if not l.startswith("probe_version:")))
    bench = ["bench", "--model", model, "--prompt-len", 4, "--gen-len", 2, "--offload-dir", offload]
    p = common.run_strata(bench, timeout=120)
    ck.check(p.returncode == 0 and "measured by an older strata" in p.stderr,
             "a stale cached profile is measured again, saying why", common.describe(p))
    with open(path, encoding="utf-8") as f:
        ck.check("probe_version:" in f.read(), "the re-measured profile is cached")
    p = common.run_strata(bench, timeout=120)
    ck.check(p.returncode == 0 and "measur" not in p.stderr,
             "an up-to-date cached profile is used as it is", common.describe(p))

    # A profile chosen with STRATA_PROFILE is the user's: used as it is, never rewritten.
    chosen = os.path.join(tmp, "chosen.yaml")
    with open(chosen, "w", encoding="utf-8") as f:
        f.write("".join(l for l in text.splitlines(True) if not l.startswith("probe_version:")))
    os.environ["STRATA_PROFILE"] = chosen
    p = common.run_strata(bench, timeout=120)
    os.environ.pop("STRATA_PROFILE", None)
    with open(chosen, encoding="utf-8") as f:
        ck.check(p.returncode == 0 and "measur" not in p.stderr and "probe_version" not in f.read(),
                 "a STRATA_PROFILE without a probe version is not measured again",
                 common.describe(p))


def main():
    ck = Checker("policy auto")
    common.strata_bin()
    with common.tempdir("auto") as tmp:
        common.use_canned_profile(os.path.join(tmp, "cache"))
        model = make_model(tmp, "tiny", layers=6, hidden=128, heads=4, ffn=512, seed=41)
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        check_run(ck, tmp, model, offload)
        check_bench(ck, tmp, model, offload)
        check_profile_measured(ck, tmp, model, offload)
    ck.finish()


if __name__ == "__main__":
    main()
