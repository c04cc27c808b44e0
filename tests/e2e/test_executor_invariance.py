#!/usr/bin/python3
"""Offloading executor through `strata run` (issue 3): every policy of a grid — all on device;
weights 0, 50 and 100% on disk; KV cache on host and on disk; cpu_attention on and off; overlap
on and off; three batch shapes — gives exactly the token_ids, text and finish_reason of the
all-in-memory path run with --batch-size equal to the policy's gpu_batch_size (the same
micro-batches). Also: --model given a converted store; a policy that cannot fit the capacities is
refused before any work (exit 2, one line naming the tier and the numbers); the disk-resident KV
files under --offload-dir are gone after a run, after an error and after Ctrl-C.
"""

import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

MAX_NEW = 8
PROMPTS = [
    "Hi",
    "The rain in Spain stays mainly in the plain.",
    "x",
    "Numbers like 3.14159 and 2.71828",
    "They're here, you're there, we're everywhere.",
    "Café?",
    "Water boils at 100 degrees.",
    "One, two, three, four, five, six, seven.",
]
FIELDS = ("token_ids", "text", "finish_reason", "prompt_tokens", "completion_tokens")
SHAPES = [(1, 1), (2, 3), (3, 2)]  # (gpu_batch_size, num_gpu_batches)
# (name, --percent W_DEV W_HOST C_DEV C_HOST A_DEV A_HOST)
PLACEMENTS = [
    ("all on device", [100, 0, 100, 0, 100, 0]),
    ("weights 50% disk, cache on host", [25, 25, 0, 100, 100, 0]),
    ("weights 100% disk, cache on disk", [0, 0, 0, 0, 0, 100]),
    ("weights on host, cache split over three tiers", [0, 100, 30, 30, 100, 0]),
]


def leftover(offload):
    return sorted(e for e in os.listdir(offload) if e.startswith("strata-kv-"))


# Placement and shape all given by hand: run's default --policy auto has nothing to plan, so a
# policy that does not fit meets the executor's own capacity check.
FIXED_SHAPE = ["--gpu-batch-size", "1", "--num-gpu-batches", "1"]


def main():
    ck = Checker("executor invariance")
    common.strata_bin()
    with common.tempdir("executor") as tmp:
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")  # conversions stay in tmp
        model = make_model(tmp, "pre-ln", layers=2, hidden=64, heads=4, ffn=128, seed=31)
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        reqs = [{"id": f"p{i}", "prompt": pr, "max_tokens": 1 + (i * 3) % MAX_NEW}
                for i, pr in enumerate(PROMPTS)]
        for g, k in SHAPES:
            p, want = common.run_requests(model, reqs, tmp, ["--batch-size", g])
            if not common.check_run_ok(ck, p, want, reqs, f"all-in-memory --batch-size {g}"):
                ck.finish()
            for name, percent in PLACEMENTS:
                for cpu_attention in (False, True):
                    if cpu_attention and percent[2] > 0:
                        continue  # cpu_attention needs the cache off the device
                    for overlap in (True, False):
                        args = ["--gpu-batch-size", g, "--num-gpu-batches", k, "--percent"] + \
                            percent + ["--offload-dir", offload]
                        if cpu_attention:
                            args.append("--cpu-attention")
                        if not overlap:
                            args.append("--no-overlap")
                        what = (f"G={g} K={k} {name}" + (", cpu_attention" if cpu_attention else "")
                                + ("" if overlap else ", no overlap"))
                        p, got = common.run_requests(model, reqs, tmp, args)
                        if not common.check_run_ok(ck, p, got, reqs, what):
                            continue
                        diff = [(i, f) for i, (a, b) in enumerate(zip(want, got)) for f in FIELDS
                                if a.get(f) != b.get(f)]
                        ck.check(not diff, f"{what}: identical to the all-in-memory path",
                                 f"differences (request, field): {diff[:6]}; first want "
                                 f"{want[diff[0][0]] if diff else ''} got "
                                 f"{got[diff[0][0]] if diff else ''}")
                        ck.check(not leftover(offload), f"{what}: no KV files left behind",
                                 f"{leftover(offload)}")

        # --policy FILE.yaml (the form strata plan writes), flags on top of it.
        policy = os.path.join(tmp, "policy.yaml")
        with open(policy, "w") as f:
            f.write("gpu_batch_size: 2\nnum_gpu_batches: 2\nweights: {host: 0.5, disk: 0.5}\n"
                    "cache: {host: 0.5, disk: 0.5}\nactivations: {host: 1}\n"
                    "cpu_attention: true\noverlap: false\n")
        p, want = common.run_requests(model, reqs, tmp, ["--batch-size", 2])
        p, got = common.run_requests(model, reqs, tmp, ["--policy", policy, "--offload-dir", offload])
        if common.check_run_ok(ck, p, got, reqs, "--policy FILE"):
            ck.check(want == got, "--policy FILE: identical to the all-in-memory path")
        p, got = common.run_requests(model, reqs, tmp, ["--policy", policy, "--offload-dir", offload,
                                                        "--gpu-batch-size", 3])
        p3, want3 = common.run_requests(model, reqs, tmp, ["--batch-size", 3])
        if common.check_run_ok(ck, p, got, reqs, "--policy FILE --gpu-batch-size 3"):
            ck.check(want3 == got, "--policy FILE --gpu-batch-size 3: the flag wins, same tokens")

        # strata generate through the executor prints the same completion.
        gen = ["generate", "--model", model, "--prompt", PROMPTS[1], "--max-new-tokens", 6,
               "--backend", "cpu"]
        p1 = common.run_strata(gen)
        p2 = common.run_strata(gen + ["--percent", 0, 50, 0, 50, 0, 100, "--offload-dir", offload])
        ck.check(p1.returncode == 0 and p2.returncode == 0 and p1.stdout == p2.stdout,
                 "strata generate: same completion through the executor",
                 f"{common.describe(p2)}; {p1.stdout!r} vs {p2.stdout!r}")

        # --model given a store made by strata convert.
        store = os.path.join(tmp, "store")
        p = common.run_strata(["convert", "--model", model, "--out", store, "--quiet"])
        ck.check(p.returncode == 0, "strata convert succeeds", common.describe(p))
        p, want = common.run_requests(model, reqs, tmp, ["--batch-size", 2])
        p, got = common.run_requests(store, reqs, tmp, ["--batch-size", 2])
        if common.check_run_ok(ck, p, got, reqs, "--model STORE"):
            ck.check(want == got, "--model STORE: identical to the Hugging Face directory")

        # An HF directory with an offloading flag is converted on first use into the cache.
        p, got = common.run_requests(model, reqs, tmp, ["--batch-size", 2, "--offload-dir", offload])
        if common.check_run_ok(ck, p, got, reqs, "HF dir converted on first use"):
            ck.check(want == got, "HF dir converted on first use: identical tokens")
            ck.check(os.path.isdir(os.path.join(offload, "strata-stores")),
                     "the converted store is cached under --offload-dir/strata-stores")

        # A policy that cannot fit: refused before any work, exit 2, the numbers in one line.
        out = os.path.join(tmp, "never.jsonl")
        inp = os.path.join(tmp, "fit.jsonl")
        common.write_jsonl(inp, reqs)
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--device-mem", "64KiB", "--percent", "100", "0", "100", "0", "100",
                               "0", "--offload-dir", offload] + FIXED_SHAPE)
        common.check_one_error_line(ck, p, "device too small", ["policy does not fit",
                                    "device needs", "but has"], exit_code=2)
        ck.check(not os.path.exists(out), "device too small: no output written")
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--host-mem", "1KiB", "--percent", "0", "100", "0", "100", "100",
                               "0"] + FIXED_SHAPE)
        common.check_one_error_line(ck, p, "host too small", ["host needs"], exit_code=2)
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--percent", "100", "0", "0", "0", "100", "0"])
        common.check_one_error_line(ck, p, "disk cache without --offload-dir", ["--offload-dir"],
                                    exit_code=2)
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--device-mem", "lots"])
        common.check_one_error_line(ck, p, "bad size", ["--device-mem", "lots"], exit_code=2)

        # An I/O error: a file size limit below one KV file (EFBIG, as ENOSPC on a full disk)
        # fails the run with one line naming the file, and leaves no KV folder behind.
        def small_files():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (8192, resource.RLIM_INFINITY))
        cmd = [common.strata_bin(), "run", "--model", store, "--input", inp, "--output", out,
               "--percent", "100", "0", "0", "0", "100", "0", "--offload-dir", offload,
               "--gpu-batch-size", "8", "--backend", "cpu", "--quiet"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=small_files, timeout=120)
        common.check_one_error_line(ck, p, "KV file over the size limit",
                                    ["kv_layer_000.bin", "preallocate"], exit_code=1)
        ck.check(not leftover(offload), "KV files removed after an I/O error", f"{leftover(offload)}")
        for leftover_journal in (out + ".journal",):
            if os.path.exists(leftover_journal):
                os.remove(leftover_journal)

        # After a Ctrl-C while the disk cache is in use, the KV files are removed too.
        long_reqs = [{"id": f"l{i}", "prompt": "a b c d e f g " * 6, "max_tokens": 40}
                     for i in range(12)]
        inp2 = os.path.join(tmp, "long.jsonl")
        common.write_jsonl(inp2, long_reqs)
        cmd = [common.strata_bin(), "run", "--model", model, "--input", inp2, "--output",
               os.path.join(tmp, "long.out.jsonl"), "--percent", "0", "0", "0", "0", "100", "0",
               "--offload-dir", offload, "--gpu-batch-size", "2", "--num-gpu-batches", "2",
               "--no-overlap", "--quiet"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = False
        deadline = time.time() + 60
        while time.time() < deadline and proc.poll() is None:
            if leftover(offload):
                seen = True
                break
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
        if seen:
            ck.check(proc.returncode in (0, 130), "Ctrl-C during a disk run: exit 130 (or done)",
                     f"exit {proc.returncode}")
        else:
            ck.note("the run finished before its KV files were seen; Ctrl-C not exercised")
        ck.check(not leftover(offload), "KV files removed after Ctrl-C", f"{leftover(offload)}")
    ck.finish()


if __name__ == "__main__":
    main()
