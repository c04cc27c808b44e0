#!/usr/bin/python3
"""KV-cache compression end to end (issue 4, points 3-5): `--compress-cache q4|q8|none` on
`strata run`, `generate`, `bench` and `perplexity`, and the policy YAML's `compress_cache`.

Cases: with --compress-cache q4 every placement (cache on host, on disk, over three tiers;
cpu_attention; no overlap with 2x3 micro-batches) gives the greedy tokens of the all-on-device
run with the same compression, and so does q8; `generate` gives the run's text for the same
prompt; a policy YAML with `compress_cache: q4` gives the --compress-cache q4 tokens (and the
flag wins over the file); `--compress-cache none` equals no flag. `bench` reports the KV bytes it
moved: with q4 the host->device and device->host KV copies are exactly 48/128 of the default f16
ones (head_dim 16: 4 heads x (4 + 8) bytes vs 64 x 2 per token), which are half the
`--cache-dtype f32` ones, and the JSON names the cache format.
`perplexity --compress-cache` names the format and stays close to the uncompressed figure. A job
interrupted (SIGINT) with --compress-cache q4 refuses --resume with q8 and completes with q4. Bad
values (q5, Q4, 4) on each command and in the YAML are one error line naming the flag (or field)
and the value, exit 2.
"""

import json
import math
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, make_model, run_strata  # noqa: E402

PROMPTS = ["Hi", "The rain in Spain stays mainly in the plain.", "x",
           "Numbers like 3.14159 and 2.71828", "Café?", "One, two, three, four, five."]
ALL_ON_DEVICE = ["--percent", 100, 0, 100, 0, 100, 0]
PLACEMENTS = [
    ("cache on host", [100, 0, 0, 100, 100, 0], []),
    ("cache on disk, weights on host", [0, 100, 0, 0, 100, 0], []),
    ("cache over three tiers", [30, 30, 30, 30, 100, 0], []),
    ("cache on disk, cpu_attention", [100, 0, 0, 0, 100, 0], ["--cpu-attention"]),
    ("cache host/disk, cpu_attention, activations on host", [50, 0, 0, 50, 0, 100],
     ["--cpu-attention"]),
    ("cache over three tiers, no overlap, 2x3", [0, 50, 20, 40, 100, 0],
     ["--no-overlap", "--gpu-batch-size", 2, "--num-gpu-batches", 3]),
]


def same_tokens(ck, want, got, label):
    diff = [i for i, (a, b) in enumerate(zip(want, got))
            if a["token_ids"] != b["token_ids"] or a["text"] != b["text"]]
    ck.check(not diff, f"{label}: same tokens as all on device",
             f"requests {diff}: want {want[diff[0]] if diff else ''} got "
             f"{got[diff[0]] if diff else ''}")


def run_ok(ck, model, reqs, tmp, args, label):
    p, got = common.run_requests(model, reqs, tmp, args)
    return got if common.check_run_ok(ck, p, got, reqs, label) else None


def bench(ck, model, offload, compress, cache_dtype="auto"):
    p = run_strata(["bench", "--model", model, "--prompt-len", 8, "--gen-len", 6,
                    "--percent", 100, 0, 0, 100, 100, 0, "--gpu-batch-size", 3,
                    "--num-gpu-batches", 1, "--offload-dir", offload, "--quiet",
                    "--compress-cache", compress, "--cache-dtype", cache_dtype])
    if not ck.check(p.returncode == 0, f"bench --compress-cache {compress} --cache-dtype "
                    f"{cache_dtype}", common.describe(p)):
        return None
    return json.loads(p.stdout.strip().split("\n")[-1])


def check_resume(ck, model, tmp):
    inp = os.path.join(tmp, "long.jsonl")
    common.write_jsonl(inp, [{"id": f"r{i}", "prompt": PROMPTS[i % len(PROMPTS)] + str(i),
                              "max_tokens": 8} for i in range(300)])
    out = os.path.join(tmp, "long.out.jsonl")
    args = ["run", "--model", model, "--input", inp, "--output", out, "--batch-size", 1, "--quiet"]
    proc = subprocess.Popen([common.strata_bin()] + [str(a) for a in args +
                                                     ["--compress-cache", "q4"]],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    end = time.monotonic() + 60
    while time.monotonic() < end and proc.poll() is None:
        if os.path.exists(out + ".journal") and open(out + ".journal", "rb").read().count(b"\n") > 2:
            break
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    if not ck.check(proc.returncode == 130 and os.path.exists(out + ".journal"),
                    "q4 job interrupted with its journal kept", f"exit {proc.returncode}"):
        return
    p = run_strata(args + ["--resume", "--compress-cache", "q8"])
    check_one_error_line(ck, p, "--resume with another --compress-cache",
                         ["compression", "q8"], exit_code=2)
    p = run_strata(args + ["--resume", "--compress-cache", "q4"])
    ck.check(p.returncode == 0 and len(common.read_jsonl(out)) == 300,
             "--resume with the same --compress-cache completes the job", common.describe(p))


def main():
    ck = Checker("kv cache compression")
    common.strata_bin()
    with common.tempdir("kvq") as tmp:
        common.use_canned_profile(os.path.join(tmp, "cache"))  # bench plans its predictions
        model = make_model(tmp, "m", layers=2, hidden=64, heads=4, ffn=128, seed=51)
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        reqs = [{"id": f"p{i}", "prompt": pr, "max_tokens": 3 + (i * 3) % 7}
                for i, pr in enumerate(PROMPTS)]

        # Invariance with a compressed cache, q4 over the whole grid and q8 on two placements.
        wants = {}
        for compress in ("q4", "q8"):
            base = ["--compress-cache", compress]
            want = run_ok(ck, model, reqs, tmp, base + ALL_ON_DEVICE, f"{compress}: all on device")
            if not want:
                continue
            wants[compress] = want
            for name, percent, extra in (PLACEMENTS if compress == "q4" else PLACEMENTS[1:4:2]):
                args = base + ["--percent"] + percent + ["--offload-dir", offload] + extra
                label = f"{compress}: {name}"
                got = run_ok(ck, model, reqs, tmp, args, label)
                if got:
                    same_tokens(ck, want, got, label)
        ck.check(os.listdir(offload) == [] or os.listdir(offload) == ["strata-stores"],
                 "no KV files left in --offload-dir", str(os.listdir(offload)))
        plain = run_ok(ck, model, reqs, tmp, ALL_ON_DEVICE, "uncompressed, all on device")
        none = run_ok(ck, model, reqs, tmp, ["--compress-cache", "none"] + ALL_ON_DEVICE,
                      "--compress-cache none")
        if plain and none:
            ck.check(plain == none, "--compress-cache none equals no flag")
        if plain and "q4" in wants:
            same = sum(a["token_ids"] == b["token_ids"] for a, b in zip(plain, wants["q4"]))
            ck.note(f"q4 cache vs fp32 cache: {same}/{len(plain)} requests with identical tokens")

        # The all-in-memory path compresses the same way: --policy in-memory, and run's default
        # plan (everything fits on the device) with only --compress-cache given.
        if "q4" in wants:
            for args, label in ((["--policy", "in-memory", "--batch-size", 2], "--policy in-memory"),
                                ([], "run's default plan")):
                got = run_ok(ck, model, reqs, tmp, ["--compress-cache", "q4"] + args,
                             f"q4: {label}")
                if got:
                    same_tokens(ck, wants["q4"], got, f"q4: {label}")

        # generate: the same text as the run for the same prompt.
        if "q4" in wants:
            p = run_strata(["generate", "--model", model, "--prompt", PROMPTS[1],
                            "--max-new-tokens", reqs[1]["max_tokens"], "--compress-cache", "q4",
                            "--percent", 0, 100, 0, 100, 100, 0])
            ck.check(p.returncode == 0 and p.stdout == wants["q4"][1]["text"] + "\n",
                     "generate --compress-cache q4 prints the run's text",
                     common.describe(p) + f" stdout {p.stdout!r} vs {wants['q4'][1]['text']!r}")

        # The policy YAML's compress_cache is honoured, and the flag wins over it.
        policy = os.path.join(tmp, "policy.yaml")
        with open(policy, "w") as f:
            f.write("gpu_batch_size: 2\nnum_gpu_batches: 3\nweights: {host: 0.5, disk: 0.5}\n"
                    "cache: {host: 0.5, disk: 0.5}\nactivations: {device: 1}\ncompress_cache: q4\n")
        got = run_ok(ck, model, reqs, tmp, ["--policy", policy, "--offload-dir", offload],
                     "policy compress_cache: q4")
        if got and "q4" in wants:
            ck.check(got == wants["q4"], "policy compress_cache: q4 gives the --compress-cache q4 "
                     "tokens")
        got = run_ok(ck, model, reqs, tmp, ["--policy", policy, "--offload-dir", offload,
                                            "--compress-cache", "q8"], "policy q4, flag q8")
        if got and "q8" in wants:
            ck.check(got == wants["q8"], "--compress-cache q8 wins over the policy's q4")

        # bench: the KV bytes moved shrink by exactly the packed row's share.
        dense, packed = bench(ck, model, offload, "none"), bench(ck, model, offload, "q4")
        exact = bench(ck, model, offload, "none", "f32")
        if dense and packed and exact:
            ck.check(dense["policy"]["kv_cache"] == "f16" and packed["policy"]["kv_cache"] == "q4"
                     and exact["policy"]["kv_cache"] == "f32",
                     "bench JSON names the KV cache format", str(packed["policy"]))
            kd, kp, ke = dense["kv_bytes_moved"], packed["kv_bytes_moved"], exact["kv_bytes_moved"]
            ck.check(kd["host_to_device"] > 0 and kd["device_to_host"] > 0,
                     "bench: f16 KV copies counted", str(kd))
            if dense["generated_tokens"] == packed["generated_tokens"] == exact["generated_tokens"]:
                for path in ("host_to_device", "device_to_host"):
                    ck.check(kp[path] * 128 == kd[path] * 48, f"bench: q4 KV {path} bytes are "
                             f"48/128 of f16 ({kp[path]} vs {kd[path]})")
                    ck.check(kd[path] * 2 == ke[path], f"bench: f16 KV {path} bytes are half "
                             f"of f32 ({kd[path]} vs {ke[path]})")
            else:
                ck.check(kp["host_to_device"] * 3 < kd["host_to_device"],
                         "bench: q4 KV copies far smaller", f"{kp} vs {kd}")
            ck.check(dense["bytes_moved"]["host_to_device"] >= kd["host_to_device"],
                     "bench: KV bytes are part of the bytes moved")

        # perplexity with a compressed cache.
        text = os.path.join(tmp, "text.txt")
        with open(text, "w") as f:
            f.write(" ".join(PROMPTS) * 5)
        ppl = {}
        for compress in ("none", "q8", "q4"):
            p = run_strata(["perplexity", "--model", model, "--text", text, "--window", 40,
                            "--compress-cache", compress])
            if ck.check(p.returncode == 0, f"perplexity --compress-cache {compress}",
                        common.describe(p)):
                r = json.loads(p.stdout)
                ppl[compress] = r["perplexity"]
                want_name = {"none": "f32", "q8": "q8g16", "q4": "q4g16"}[compress]
                ck.check(r["kv_cache"] == want_name and math.isfinite(r["perplexity"]) and
                         r["perplexity"] > 1, f"perplexity {compress}: {r}")
        if len(ppl) == 3:
            ck.check(abs(ppl["q8"] / ppl["none"] - 1) < 0.02 and ppl["q8"] != ppl["none"],
                     f"q8 cache: perplexity within 2% of fp32, not identical ({ppl})")
            ck.check(abs(ppl["q4"] / ppl["none"] - 1) < 0.2, f"q4 cache: perplexity within 20% "
                     f"of fp32 ({ppl})")

        # A job interrupted with --compress-cache q4 resumes only with the same compression.
        check_resume(ck, model, tmp)

        # Bad values: one error line, exit 2, naming the flag and the value.
        inp = os.path.join(tmp, "bad.jsonl")
        common.write_jsonl(inp, reqs[:1])
        for bad in ("q5", "Q4", "4"):
            for cmd in (["run", "--model", model, "--input", inp, "--output", inp + ".out"],
                        ["generate", "--model", model, "--prompt", "Hi"],
                        ["bench", "--model", model, "--prompt-len", 4, "--gen-len", 2],
                        ["perplexity", "--model", model, "--text", text]):
                p = run_strata(cmd + ["--compress-cache", bad])
                check_one_error_line(ck, p, f"{cmd[0]} --compress-cache {bad}",
                                     ["--compress-cache", f"'{bad}'", "q4", "q8"], exit_code=2)
        ck.check(not os.path.exists(inp + ".out"), "bad --compress-cache: no output written")
        with open(policy, "a") as f:
            f.write("compress_weight: none\n")
        with open(policy) as f:
            text_yaml = f.read().replace("compress_cache: q4", "compress_cache: q3")
        with open(policy, "w") as f:
            f.write(text_yaml)
        p, _ = common.run_requests(model, reqs, tmp, ["--policy", policy, "--offload-dir", offload])
        check_one_error_line(ck, p, "policy compress_cache: q3", ["compress_cache", "q3"],
                             exit_code=2)
    ck.finish()


if __name__ == "__main__":
    main()
