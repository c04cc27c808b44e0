#!/usr/bin/python3
"""Reruns the figures of docs/benchmarks.md on this machine, CPU backend (no GPU needed).

    scripts/bench_cpu.py [--strata build-bench/cli/strata] [--work /var/tmp/strata-bench]
                         [--reps 3] [--only io,overlap,predict,t4,ab,peers] [--baseline OTHER]
                         [--cases a,b,c] [--pairs 3] [--pairs-large 2] [--threads N]
                         [--torch-best CORETYPE:blas|onednn]

Every section runs in the same invocation, so its ratios are against a baseline measured
minutes apart on the same machine and file system:
  io       weight-store streaming reads through Strata's io_uring O_DIRECT path (strata bench
           with every weight on disk and overlap off: bytes read by the disk worker / its busy
           seconds) next to fio sequential O_DIRECT reads of the same layer files, same request
           size (1 MiB) and queue depth (32) as UringFile; ratio strata / fio (target >= 0.9).
  overlap  strata bench, a disk-heavy policy with overlap on and off (same model, same run).
  predict  strata bench for several policies: measured vs the cost model's prediction on this
           machine's measured profile (written into WORK/cache by strata profile first).
  t4       strata plan --hardware t4-flexgen for OPT-6.7B/30B/175B, Llama-3.1-70B and
           Qwen2.5-72B at 512/32, +- --compress-weight.
  ab       (with --baseline OTHER) strata bench of opt-125m, planned and one disk-heavy --percent
           policy, by this binary and OTHER (e.g. a build of the previous commit) in turn, A B A
           B ..., so a change is measured before and after in one run; ratio this / OTHER
           of the best runs, and the median of the pairs' ratios (the robust figure).
  peers    (not in the default set; needs Debian's python3-torch) Strata next to PyTorch eager
           (scripts/peers/torch_opt.py) on the same Hugging Face weights, alternately: (a)
           OPT-125m batch 16 128/16 in memory, (b) OPT-1.3b batch 8 512/32 in memory, (c) (b)
           with the weights on disk; torch with its BLAS library's default kernel and with the
           best one measured here; medians over --pairs (a) / --pairs-large (b, c) pairs,
           ratios, achieved GFLOP/s and GB/s next to the measured peaks; a markdown table at
           the end (scripts/peers/side_by_side.py says how).
Each measurement is repeated --reps times; the best (highest throughput) is kept, as the
machine may be shared. `uptime` is printed before each section. Results: one JSON line per
measurement on stdout, a summary table at the end.
"""

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys

SOURCE = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def sh(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          check=True, **kw).stdout


def uptime():
    return sh(["uptime"]).strip()


def machine(work):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    fs = sh(["df", "-T", work]).splitlines()[-1].split()
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "offload_fs": f"{fs[1]} on {fs[0]}", "gpu": shutil.which("nvidia-smi") is not None}


def bench(args, extra):
    out = sh([args.strata, "bench", "--offload-dir", args.off, "--quiet"] + [str(x) for x in extra])
    return json.loads(out.strip().splitlines()[-1])


def best_bench(args, extra, key="total_throughput"):
    runs = [bench(args, extra) for _ in range(args.reps)]
    return max(runs, key=lambda j: j[key])


def io_section(args, results):
    print("# io:", uptime(), flush=True)
    model = "opt-1.3b"
    base = ["--dummy", model, "--prompt-len", 8, "--gen-len", 2, "--percent", 0, 0, 100, 0, 100, 0,
            "--gpu-batch-size", 1, "--num-gpu-batches", 1, "--no-overlap", "--no-cpu-attention"]
    store = os.path.join(args.off, f"strata-dummy-{model}")
    files = sorted(os.path.join(store, f) for f in os.listdir(store) if f.endswith(".bin")) \
        if os.path.isdir(store) else []
    strata_rates, fio_rates = [], []
    for _ in range(args.reps):
        j = bench(args, base)
        rate = j["bytes_moved"]["disk_read"] / j["resource_seconds"]["disk_read"]
        strata_rates.append(rate)
        if not files:
            files = sorted(os.path.join(store, f) for f in os.listdir(store) if f.endswith(".bin"))
        # One job reading the files one after another (as the store is streamed), 1 MiB
        # requests, 32 in flight: UringFile's piece size and queue depth.
        fio = json.loads(sh(["fio", "--name=seq", "--rw=read", "--direct=1", "--bs=1M",
                             "--iodepth=32", "--ioengine=io_uring", "--numjobs=1",
                             "--file_service_type=sequential",
                             "--filename=" + ":".join(f.replace(":", "\\:") for f in files),
                             "--output-format=json"]))
        fio_rates.append(fio["jobs"][0]["read"]["bw_bytes"])
        print(json.dumps({"section": "io", "strata_bytes_per_s": rate,
                          "fio_bytes_per_s": fio_rates[-1]}), flush=True)
    results["io"] = {"model": model, "files": len(files),
                     "bytes": sum(os.path.getsize(f) for f in files),
                     "strata_best": max(strata_rates), "fio_best": max(fio_rates),
                     "ratio": max(strata_rates) / max(fio_rates)}


def overlap_section(args, results):
    print("# overlap:", uptime(), flush=True)
    base = ["--dummy", "opt-125m", "--prompt-len", 32, "--gen-len", 8, "--percent", 0, 0, 0, 0,
            100, 0, "--gpu-batch-size", 4, "--num-gpu-batches", 2, "--no-cpu-attention"]
    on = best_bench(args, base)
    off = best_bench(args, base + ["--no-overlap"])
    for name, j in (("on", on), ("off", off)):
        print(json.dumps({"section": "overlap", "overlap": name, "json": j}), flush=True)
    results["overlap"] = {"on": on["total_throughput"], "off": off["total_throughput"],
                          "ratio": on["total_throughput"] / off["total_throughput"],
                          "on_resources": on["resource_seconds"],
                          "off_resources": off["resource_seconds"]}


POLICIES = [
    ("planned (--policy auto)", []),
    ("all on device, 4x2", ["--percent", 100, 0, 100, 0, 100, 0, "--gpu-batch-size", 4,
                            "--num-gpu-batches", 2, "--no-cpu-attention"]),
    ("weights+KV on host, 4x2", ["--percent", 0, 100, 0, 100, 100, 0, "--gpu-batch-size", 4,
                                 "--num-gpu-batches", 2, "--no-cpu-attention"]),
    ("weights+KV on host, cpu_attention, 4x2", ["--percent", 0, 100, 0, 100, 100, 0,
                                                "--gpu-batch-size", 4, "--num-gpu-batches", 2,
                                                "--cpu-attention"]),
    ("weights 50% disk, 4x2", ["--percent", 50, 0, 100, 0, 100, 0, "--gpu-batch-size", 4,
                               "--num-gpu-batches", 2, "--no-cpu-attention"]),
    ("weights+KV on disk, 4x2", ["--percent", 0, 0, 0, 0, 100, 0, "--gpu-batch-size", 4,
                                 "--num-gpu-batches", 2, "--no-cpu-attention"]),
    ("weights+KV on disk, 4x2, no overlap", ["--percent", 0, 0, 0, 0, 100, 0, "--gpu-batch-size",
                                             4, "--num-gpu-batches", 2, "--no-cpu-attention",
                                             "--no-overlap"]),
]


def predict_section(args, results):
    print("# predict:", uptime(), flush=True)
    rows = []
    for name, flags in POLICIES:
        j = best_bench(args, ["--dummy", "opt-125m", "--prompt-len", 32, "--gen-len", 8] + flags)
        print(json.dumps({"section": "predict", "policy": name, "json": j}), flush=True)
        rows.append({"policy": name, "block": j["block_size"], "measured": {
            k: j[f"{k}_throughput"] for k in ("prefill", "decode", "total")},
            "predicted": {k: j["predicted"][f"{k}_throughput"] for k in ("prefill", "decode", "total")},
            "gap_percent": j["gap_percent"], "bottleneck": [j["predicted"]["prefill_bottleneck"],
                                                            j["predicted"]["decode_bottleneck"]]})
    results["predict"] = rows


def t4_section(args, results):
    rows = []
    for model in ("opt-6.7b", "opt-30b", "opt-175b", "llama-3.1-70b", "qwen2.5-72b"):
        for compress in (False, True):
            out = sh([args.strata, "plan", "--dummy", model, "--hardware", "t4-flexgen",
                      "--prompt-len", "512", "--gen-len", "32"] +
                     (["--compress-weight"] if compress else []))
            shape = re.search(r"gpu_batch_size (\d+) x num_gpu_batches (\d+).*cpu_attention (\w+)", out)
            percent = re.search(r"FlexGen --percent ([\d. ]+)", out).group(1).strip()
            total = float(re.search(r"total\s+([\d.]+) tokens/s", out).group(1))
            rows.append({"model": model, "compress_weight": compress,
                         "gbs": int(shape.group(1)), "k": int(shape.group(2)),
                         "cpu_attention": shape.group(3), "percent": percent, "total": total})
            print(json.dumps({"section": "t4", **rows[-1]}), flush=True)
    results["t4"] = rows


AB_POLICIES = [
    ("opt-125m planned", ["--dummy", "opt-125m", "--prompt-len", 32, "--gen-len", 8]),
    ("opt-125m weights+KV on disk, 4x2", ["--dummy", "opt-125m", "--prompt-len", 32, "--gen-len",
                                          8, "--percent", 0, 0, 0, 0, 100, 0, "--gpu-batch-size",
                                          4, "--num-gpu-batches", 2, "--no-cpu-attention"]),
]


def ab_section(args, results):
    if not args.baseline:
        raise SystemExit("--only ab needs --baseline (the other strata binary)")
    print("# ab:", uptime(), flush=True)
    other = argparse.Namespace(**dict(vars(args), strata=args.baseline))
    results["ab"] = {}
    for name, extra in AB_POLICIES:
        this_runs, base_runs = [], []
        for _ in range(args.reps):  # alternate, so drift in the machine's speed hits both
            this_runs.append(bench(args, extra)["total_throughput"])
            base_runs.append(bench(other, extra)["total_throughput"])
        this_best, base_best = max(this_runs), max(base_runs)
        # The best of each side is sensitive to one lucky run; the median of the pairs' ratios
        # (each pair ran back to back) is the robust figure.
        pairs = sorted(a / b for a, b in zip(this_runs, base_runs))
        results["ab"][name] = {"this": this_best, "baseline": base_best,
                               "ratio": this_best / base_best,
                               "median_pair_ratio": pairs[len(pairs) // 2] if len(pairs) % 2
                               else (pairs[len(pairs) // 2 - 1] + pairs[len(pairs) // 2]) / 2,
                               "this_runs": this_runs, "baseline_runs": base_runs}
        print(json.dumps({"section": "ab", "policy": name, **results["ab"][name]}), flush=True)


def peers_section(args, results):
    sys.path.insert(0, os.path.join(SOURCE, "scripts", "peers"))
    import side_by_side
    side_by_side.peers_section(args, results, uptime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strata", default=os.path.join(SOURCE, "build-bench", "cli", "strata"))
    ap.add_argument("--work", default="/var/tmp/strata-bench")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="io,overlap,predict,t4")
    ap.add_argument("--baseline", help="another strata binary for the ab section")
    ap.add_argument("--cases", default="a,b,c", help="peers: which of the cases a, b, c")
    ap.add_argument("--pairs", type=int, default=3, help="peers: pairs of runs for case a")
    ap.add_argument("--pairs-large", type=int, default=2, help="peers: pairs for cases b, c")
    ap.add_argument("--threads", type=int, default=0,
                    help="peers: threads for both engines (default: every core)")
    ap.add_argument("--torch-best", default="",
                    help="peers: torch's best as CORETYPE:blas|onednn instead of measuring it")
    args = ap.parse_args()
    args.off = os.path.join(args.work, "offload")
    os.makedirs(args.off, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = os.path.join(args.work, "cache")  # this run's own profile
    results = {"machine": machine(args.work)}
    print(json.dumps({"machine": results["machine"]}), flush=True)
    sections = args.only.split(",")
    if {"io", "overlap", "predict", "ab", "peers"} & set(sections):
        print("# profile:", uptime(), flush=True)
        sh([args.strata, "profile", "--offload-dir", args.off, "--backend", "cpu", "--quiet"])
    for name in sections:
        {"io": io_section, "overlap": overlap_section, "predict": predict_section,
         "t4": t4_section, "ab": ab_section, "peers": peers_section}[name](args, results)
    print(json.dumps({"summary": results}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
