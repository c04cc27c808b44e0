#!/usr/bin/python3
"""strata bench (issue 3): a dummy opt-125m (real geometry, random f16 weights written into
--offload-dir only) through the offloading executor with a disk-heavy policy, overlap on and off:
human lines with prefill/decode/total throughput and a final JSON line whose figures are
consistent (total = generated tokens / (prefill + decode seconds)), carrying the policy, the
per-resource seconds and the bytes placed per tier. Also the same figures for a tiny HF model.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402


def check_report(ck, p, what, block, prompt_len, gen_len):
    if not ck.check(p.returncode == 0, f"{what}: succeeds", common.describe(p)):
        return None
    lines = p.stdout.strip().split("\n")
    ck.check(any(l.startswith("prefill latency:") for l in lines) and
             any(l.startswith("decode latency:") for l in lines) and
             any(l.startswith("total latency:") for l in lines),
             f"{what}: prints prefill, decode and total lines", p.stdout[:500])
    try:
        j = json.loads(lines[-1])
    except ValueError:
        ck.check(False, f"{what}: last line is JSON", lines[-1][:300])
        return None
    ck.check(j["block_size"] == block and j["prompt_len"] == prompt_len and
             j["gen_len"] == gen_len, f"{what}: JSON names the workload", str(j)[:300])
    total = j["generated_tokens"] / (j["prefill_seconds"] + j["decode_seconds"])
    ck.check(abs(total - j["total_throughput"]) <= 1e-6 * total,
             f"{what}: total = generated / (prefill + decode)", f"{total} vs {j['total_throughput']}")
    ck.check(j["prefill_throughput"] > 0 and j["decode_throughput"] > 0,
             f"{what}: positive throughputs")
    ck.check(j["generated_tokens"] <= block * gen_len and j["generated_tokens"] >= block,
             f"{what}: generated tokens within the block's budget")
    ck.check(j["projected"] is False, f"{what}: measured, not projected")
    for key in ("prefill_throughput", "decode_throughput", "total_throughput"):
        ck.check(j.get("predicted", {}).get(key, 0) > 0, f"{what}: predicted {key} beside it")
    for key in ("disk_read", "disk_write", "host_to_device", "device_to_host", "compute", "wait"):
        ck.check(key in j["resource_seconds"], f"{what}: resource_seconds has {key}")
    return j


def main():
    ck = Checker("bench")
    common.strata_bin()
    with common.tempdir("bench") as tmp:
        common.use_canned_profile(os.path.join(tmp, "cache"))  # bench plans (--policy auto)
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        policy = ["--percent", "0", "50", "0", "100", "100", "0", "--gpu-batch-size", "2",
                  "--num-gpu-batches", "2", "--offload-dir", offload]
        base = ["bench", "--dummy", "opt-125m", "--prompt-len", "16", "--gen-len", "4", "--quiet"]
        results = {}
        for overlap in (True, False):
            args = base + policy + ([] if overlap else ["--no-overlap"])
            p = common.run_strata(args, timeout=600)
            what = f"dummy opt-125m, overlap {'on' if overlap else 'off'}"
            j = check_report(ck, p, what, 4, 16, 4)
            if j:
                results[overlap] = j
                ck.check(j["policy"]["overlap"] is overlap, f"{what}: policy overlap recorded")
                ck.check(j["placed"]["disk"]["weights"] > 0 and j["placed"]["device"]["weights"] == 0,
                         f"{what}: half the weights placed on disk, none on device",
                         str(j["placed"]))
                ck.check(j["bytes_moved"]["disk_read"] > 0, f"{what}: weights read from disk")
                ck.check(j["backend"] == "cpu", f"{what}: backend recorded", str(j.get("backend")))
                # Weights cross to the device every stage: an achieved copy rate, beside the
                # profile's (the canned one's 10 GB/s).
                rates = j["host_to_device_bytes_per_s"]
                ck.check(rates["achieved"] > 0 and rates["profiled"] == 10e9,
                         f"{what}: host-to-device rate achieved and profiled", str(rates))
        store = os.path.join(offload, "strata-dummy-opt-125m")
        ck.check(os.path.isfile(os.path.join(store, "manifest.yaml")),
                 "dummy weights written once into --offload-dir")
        with open(os.path.join(store, "layer_000.bin"), "rb") as f:
            head = f.read(4096)
        ck.check(len(set(head[i:i + 2] for i in range(0, 4096, 2))) > 100,
                 "dummy weights are random, not constant")
        ck.check(sorted(os.listdir(offload)) == ["strata-dummy-opt-125m"],
                 "nothing else left in --offload-dir", str(os.listdir(offload)))

        model = make_model(tmp, "tiny", layers=2, hidden=64, heads=4, ffn=128, seed=5)
        p = common.run_strata(["bench", "--model", model, "--prompt-len", "8", "--gen-len", "6",
                               "--gpu-batch-size", "3", "--num-gpu-batches", "1", "--quiet",
                               "--offload-dir", offload])
        check_report(ck, p, "tiny HF model", 3, 8, 6)

        p = common.run_strata(["bench", "--dummy", "opt-7b", "--offload-dir", offload])
        common.check_one_error_line(ck, p, "unknown dummy", ["opt-7b"], exit_code=2)
    ck.finish()


if __name__ == "__main__":
    main()
