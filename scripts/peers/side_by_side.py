"""The `peers` section of scripts/bench_cpu.py (issue 15 point 5): Strata and PyTorch eager
(scripts/peers/torch_opt.py) alternately, on the same Hugging Face weights, same workload, same
thread count, in one run.

Cases (the checkpoints are random f16 ones of the real geometry, scripts/peers/
make_opt_checkpoint.py, written once under WORK/models):
  a  OPT-125m, batch 16, prompt 128, gen 16, everything in memory
     (strata bench --percent 100 0 100 0 100 0 --gpu-batch-size 16 --num-gpu-batches 1)
  b  OPT-1.3b, batch 8, prompt 512, gen 32, everything in memory
  c  b with every weight on disk (--percent 0 0 100 0 100 0: Strata converts the checkpoint
     once into a store under the offload dir and streams each layer from it every step). Torch
     has no disk tier: c's ratios are against b's torch runs (weights in RAM).
Torch runs twice per pair: with the BLAS library's default kernel (OPENBLAS_CORETYPE unset,
nn.Linear's path) and with the best configuration measured at the start of the section (each
OPENBLAS_CORETYPE this CPU can run, and oneDNN's inner product, timed on the cases' GEMM shapes
by torch_gemm_rate.py, best of CALIBRATION_ROUNDS rounds; --torch-best CORETYPE:blas|onednn
skips that). When the best is the default, one torch run per pair serves both. Strata runs with OPENBLAS_CORETYPE unset.

A pair is one run of each engine configuration, back to back (a: strata, torch default, torch
best; b/c: strata b, torch default, strata c, torch best); --pairs N for a, --pairs-large N for
b and c. Figures are the medians over pairs; ratios are of the medians, with the range of the
pairs' own ratios as the noise. Next to each: achieved prefill GFLOP/s and decode weight-pass
GB/s (formulas in FORMULAS) and the measured peaks (strata profile's DRAM read rate and GEMM
rate; the fastest torch GEMM of the calibration).
"""

import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_opt_checkpoint  # noqa: E402

CASES = {
    "a": {"title": "(a) OPT-125m, batch 16, 128/16, all in memory", "geometry": "opt-125m",
          "batch": 16, "prompt": 128, "gen": 16, "percent": [100, 0, 100, 0, 100, 0]},
    "b": {"title": "(b) OPT-1.3b, batch 8, 512/32, all in memory", "geometry": "opt-1.3b",
          "batch": 8, "prompt": 512, "gen": 32, "percent": [100, 0, 100, 0, 100, 0]},
    "c": {"title": "(c) OPT-1.3b, batch 8, 512/32, weights on disk", "geometry": "opt-1.3b",
          "batch": 8, "prompt": 512, "gen": 32, "percent": [0, 0, 100, 0, 100, 0],
          "torch_of": "b"},
}
CALIBRATION_ROUNDS = 3
FORMULAS = ("prefill GFLOP/s = (2*B*P*L*(4H^2 + 2HF) + 2*B*L*P^2*H + 2*B*V*H) / prefill "
            "seconds (decoder linears on every prompt token, causal attention scores and "
            "values, lm_head on the last position); decode weight GB/s = (G-1) * W / decode "
            "seconds, W = bytes of the decoder linears and lm_head as the engine holds them "
            "(Strata f16: 2 per parameter, torch float32: 4), as if the whole decode step were "
            "the weight pass (a lower bound on the pass's rate)")


def _geometry(name):
    layers, hidden, heads, ffn = make_opt_checkpoint.GEOMETRIES[name]
    return {"L": layers, "H": hidden, "F": ffn, "V": make_opt_checkpoint.VOCAB_SIZE}


def linear_params(geometry):
    g = _geometry(geometry)
    return g["L"] * (4 * g["H"] ** 2 + 2 * g["H"] * g["F"]) + g["V"] * g["H"]


def prefill_flops(case):
    g, B, P = _geometry(case["geometry"]), case["batch"], case["prompt"]
    return (2 * B * P * g["L"] * (4 * g["H"] ** 2 + 2 * g["H"] * g["F"]) +
            2 * B * g["L"] * P * P * g["H"] + 2 * B * g["V"] * g["H"])


def _env(coretype):
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    return env


def _last_json(cmd, env):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"failed (exit {p.returncode}): {' '.join(map(str, cmd))}\n"
                         f"{p.stderr.strip()[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def _cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def candidates():
    """(OPENBLAS_CORETYPE, linear) pairs this CPU can run; "" is the library's own choice."""
    flags, out = _cpu_flags(), [("", "blas"), ("", "onednn")]
    if "avx2" in flags:
        out += [("Haswell", "blas"), ("Zen", "blas")]
    if "avx512f" in flags:
        out.append(("SkylakeX", "blas"))
    if "avx512_bf16" in flags:
        out.append(("Cooperlake", "blas"))
    return out


def add_calibration(table, j):
    """Folds one torch_gemm_rate.py result into table (keyed by (coretype, linear)), keeping
    each candidate's best; its time is the sum over the shapes (each shape counts by its time,
    not its rate)."""
    coretype = "" if j["openblas_coretype"] == "library default" else j["openblas_coretype"]
    rates = [r["flops_per_s"] for r in j["shapes"]]
    seconds = sum(2.0 * r["m"] * r["k"] * r["n"] / r["flops_per_s"] for r in j["shapes"])
    row = table.setdefault((coretype, j["linear"]), {
        "coretype": coretype, "linear": j["linear"], "corename": j["openblas_corename"],
        "seconds": seconds, "flops_per_s": rates,
        "shapes": ["x".join(str(r[d]) for d in "mkn") for r in j["shapes"]]})
    if seconds < row["seconds"]:
        row.update(seconds=seconds, flops_per_s=rates)


def conclude_calibration(table):
    rows = list(table.values())
    best = min(rows, key=lambda r: r["seconds"])
    peaks = {shape: max(r["flops_per_s"][i] for r in rows)
             for i, shape in enumerate(best["shapes"])}
    return {"table": rows, "best": (best["coretype"], best["linear"]),
            "gemm_peak_flops_per_s": peaks}


def calibrate(args, threads, cases, log):
    """Times each candidate on the prefill GEMM shapes of the cases; the best is the fastest."""
    shapes = []
    for c in cases:  # fc1 of the case's prefill: [B*P, H] x [F, H]^T, rows capped at 2048
        g = _geometry(CASES[c]["geometry"])
        shape = (min(CASES[c]["batch"] * CASES[c]["prompt"], 2048), g["H"], g["F"])
        if shape not in shapes:
            shapes.append(shape)
    # Rounds over the candidates, the order reversed every other round, best of each: on a
    # shared machine a slow moment hits one candidate, not the choice.
    table = {}
    for round_ in range(CALIBRATION_ROUNDS):
        for coretype, linear in candidates()[::1 if round_ % 2 == 0 else -1]:
            j = _last_json([sys.executable, os.path.join(HERE, "torch_gemm_rate.py"),
                            "--threads", threads, "--linear", linear, "--reps", 4] +
                           [",".join(map(str, s)) for s in shapes], _env(coretype))
            add_calibration(table, j)
            print(json.dumps({"section": "peers", "calibration": j}), file=log, flush=True)
    return conclude_calibration(table)


def read_profile(cache_home):
    """The scalar fields of the CPU profile strata profile wrote under cache_home."""
    d = os.path.join(cache_home, "strata")
    names = [n for n in os.listdir(d) if n.startswith("hardware-") and n.endswith("-cpu.yaml")]
    if not names:
        raise SystemExit(f"no CPU profile under {d}: strata profile did not write one")
    out = {}
    with open(os.path.join(d, sorted(names)[0])) as f:
        for line in f:
            key, _, value = line.partition(":")
            try:
                out[key.strip()] = float(value)
            except ValueError:
                pass
    return out


def strata_run(args, case, model, threads):
    cmd = [args.strata, "bench", "--model", model, "--prompt-len", case["prompt"], "--gen-len",
           case["gen"], "--percent"] + case["percent"] + [
           "--gpu-batch-size", case["batch"], "--num-gpu-batches", 1, "--offload-dir", args.off,
           "--quiet"]
    if args.strata_has_threads:
        cmd += ["--threads", threads]
    return _last_json(cmd, _env(""))


def torch_run(case, model, threads, config):
    coretype, linear = config
    return _last_json([sys.executable, os.path.join(HERE, "torch_opt.py"), "--model", model,
                       "--batch", case["batch"], "--prompt-len", case["prompt"], "--gen-len",
                       case["gen"], "--threads", threads, "--linear", linear], _env(coretype))


def figures(run, case, bytes_per_param):
    """The run's throughputs plus achieved prefill GFLOP/s and decode weight-pass GB/s."""
    steps = case["gen"] - 1
    return {"prefill": run["prefill_throughput"], "decode": run["decode_throughput"],
            "total": run["total_throughput"],
            "prefill_gflops": prefill_flops(case) / run["prefill_seconds"] / 1e9,
            "decode_weight_gbps": (steps * bytes_per_param * linear_params(case["geometry"]) /
                                   run["decode_seconds"] / 1e9 if run["decode_seconds"] else 0)}


def medians(runs):
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def schedule(cases, best_is_default):
    """[(group cases, pair steps)]: a pair runs its steps back to back; a step is (engine, case)
    with engine strata, torch_default or torch_best."""
    groups = []
    if "a" in cases:
        groups.append((["a"], [("strata", "a"), ("torch_default", "a"), ("torch_best", "a")]))
    big = [c for c in ("b", "c") if c in cases]
    if big:
        steps = [("strata", "b")] if "b" in big else []
        steps.append(("torch_default", "b"))
        steps += [("strata", "c")] if "c" in big else []
        steps.append(("torch_best", "b"))
        groups.append((big, steps))
    if best_is_default:
        groups = [(g, [s for s in steps if s[0] != "torch_best"]) for g, steps in groups]
    return groups


def _ratio_range(num, den, key):
    ratios = [a[key] / b[key] for a, b in zip(num, den) if b[key]]
    return [min(ratios), max(ratios)] if ratios else None


def summarize(runs, cases, calib, profile, best_is_default):
    rows = []
    for c in cases:
        case, tc = CASES[c], CASES[c].get("torch_of", c)
        strata = runs[("strata", c)]
        default = runs[("torch_default", tc)]
        best = default if best_is_default else runs[("torch_best", tc)]
        s, d, b = medians(strata), medians(default), medians(best)
        rows.append({
            "case": c, "title": case["title"], "pairs": len(strata),
            "strata": s, "torch_default": d, "torch_best": b,
            "strata_over_torch_best": {k: s[k] / b[k] for k in ("prefill", "decode", "total")},
            "strata_over_torch_default": {k: s[k] / d[k] for k in ("prefill", "decode", "total")},
            "pair_total_ratio_range": {"best": _ratio_range(strata, best, "total"),
                                       "default": _ratio_range(strata, default, "total")},
            "total_runs": {"strata": [r["total"] for r in strata],
                           "torch_default": [r["total"] for r in default],
                           "torch_best": [r["total"] for r in best]}})
    names = {(r["coretype"], r["linear"]): r["corename"] for r in calib["table"]}
    return {"cases": rows, "torch_best": {"openblas_coretype": calib["best"][0] or "default",
                                          "linear": calib["best"][1],
                                          "corename": names.get(calib["best"], "?")},
            "openblas_default_corename": names.get(("", "blas"), "?"),
            "calibration": calib["table"], "gemm_peak_flops_per_s": calib["gemm_peak_flops_per_s"],
            "profile": {k: profile.get(k) for k in ("dram_bytes_per_s",
                                                    "device_gemm_prefill_flops",
                                                    "device_memory_bytes_per_s")},
            "formulas": FORMULAS}


def markdown(summary):
    p = {k: (v or 0.0) for k, v in summary["profile"].items()}
    tb = summary["torch_best"]
    lines = [
        f"OpenBLAS's own choice on this CPU (Strata's and torch-default's kernel): "
        f"{summary['openblas_default_corename']}. torch best: OPENBLAS_CORETYPE="
        f"{tb['openblas_coretype']} ({tb['corename']}), linear {tb['linear']}; GEMM peak (fastest torch candidate, per shape): " +
        ", ".join(f"{k} {v / 1e9:.0f}" for k, v in summary["gemm_peak_flops_per_s"].items()) +
        f" GFLOP/s; strata profile: DRAM {p['dram_bytes_per_s'] / 1e9:.1f} GB/s, Strata GEMM "
        f"{p['device_gemm_prefill_flops'] / 1e9:.0f} GFLOP/s, f16 weight pass "
        f"{p['device_memory_bytes_per_s'] / 1e9:.2f} GB/s", "",
        "| case | engine | prefill tok/s | decode tok/s | total tok/s | prefill GFLOP/s | "
        "decode weight GB/s | total runs |", "|---|---|---|---|---|---|---|---|"]
    for r in summary["cases"]:
        for eng in ("strata", "torch_default", "torch_best"):
            f = r[eng]
            runs = ", ".join(f"{v:.3g}" for v in r["total_runs"][eng])
            lines.append(f"| {r['case']} | {eng} | {f['prefill']:.1f} | {f['decode']:.2f} | "
                         f"{f['total']:.2f} | {f['prefill_gflops']:.1f} | "
                         f"{f['decode_weight_gbps']:.2f} | {runs} |")
    lines += ["", "| case | Strata/torch-best prefill, decode, total | Strata/torch-default "
              "prefill, decode, total | pairs' total ratio range (best; default) |",
              "|---|---|---|---|"]
    for r in summary["cases"]:
        fb, fd = r["strata_over_torch_best"], r["strata_over_torch_default"]
        rb = r["pair_total_ratio_range"]["best"] or [0, 0]
        rd = r["pair_total_ratio_range"]["default"] or [0, 0]
        lines.append(f"| {r['case']} | {fb['prefill']:.2f}, {fb['decode']:.2f}, "
                     f"{fb['total']:.2f} | {fd['prefill']:.2f}, {fd['decode']:.2f}, "
                     f"{fd['total']:.2f} | {rb[0]:.2f}-{rb[1]:.2f}; {rd[0]:.2f}-{rd[1]:.2f} |")
    return "\n".join(lines)


def parse_best(text):
    coretype, _, linear = text.partition(":")
    if linear not in ("blas", "onednn"):
        raise SystemExit(f"--torch-best {text!r}: give CORETYPE:blas or CORETYPE:onednn "
                         "(CORETYPE may be empty: the library's default)")
    return (coretype, linear)


def peers_section(args, results, uptime):
    if subprocess.run([sys.executable, "-c", "import torch"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        raise SystemExit(f"--only peers needs torch for {sys.executable}: "
                         "apt-get install python3-torch")
    cases = [c for c in args.cases.split(",") if c]
    unknown = [c for c in cases if c not in CASES]
    if unknown or not cases:
        raise SystemExit(f"--cases {args.cases!r}: give some of a,b,c")
    threads = args.threads or os.cpu_count()
    help_text = subprocess.run([args.strata, "bench", "--help"], stdout=subprocess.PIPE,
                               text=True).stdout
    args.strata_has_threads = "--threads" in help_text
    print("# peers:", uptime(), flush=True)
    models = {}
    for c in cases:
        g = CASES[c]["geometry"]
        models[c] = os.path.join(args.work, "models", g)
        make_opt_checkpoint.make_checkpoint(models[c], g)
    models["b"] = models.get("b") or models.get("c")
    profile = read_profile(os.environ["XDG_CACHE_HOME"])
    calib = ({"best": parse_best(args.torch_best), "table": [], "gemm_peak_flops_per_s": {}}
             if args.torch_best else
             calibrate(args, threads, cases, sys.stdout))
    best_is_default = calib["best"] == ("", "blas")
    print(json.dumps({"section": "peers", "torch_best": calib["best"]}), flush=True)
    runs = {}
    for group, steps in schedule(cases, best_is_default):
        pairs = args.pairs if group == ["a"] else args.pairs_large
        print("# peers", ",".join(group), "pairs", pairs, ":", uptime(), flush=True)
        for i in range(pairs):
            for engine, c in steps:
                case = CASES[c]
                if engine == "strata":
                    raw = strata_run(args, case, models[c], threads)
                    f = figures(raw, case, 2)
                else:
                    config = calib["best"] if engine == "torch_best" else ("", "blas")
                    raw = torch_run(case, models[c], threads, config)
                    f = figures(raw, case, 4)
                runs.setdefault((engine, c), []).append(f)
                print(json.dumps({"section": "peers", "case": c, "engine": engine, "pair": i,
                                  "figures": f, "json": raw}), flush=True)
        print("# peers", ",".join(group), "done:", uptime(), flush=True)
    results["peers"] = summarize(runs, cases, calib, profile, best_is_default)
    results["peers"]["threads"] = threads
    print(markdown(results["peers"]), flush=True)


def summarize_log(log_path, cache_home):
    """The summary and table of a peers run from its stdout (also an interrupted one: every
    finished run counts; the torch best is the logged one, else the logged calibration's)."""
    runs, table, best = {}, {}, None
    with open(log_path) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            j = json.loads(line)
            if j.get("section") != "peers":
                continue
            if "calibration" in j:
                add_calibration(table, j["calibration"])
            elif "torch_best" in j:
                best = tuple(j["torch_best"])
            elif "engine" in j:
                runs.setdefault((j["engine"], j["case"]), []).append(j["figures"])
    calib = conclude_calibration(table) if table else {"table": [], "gemm_peak_flops_per_s": {}}
    calib["best"] = best or calib.get("best", ("", "blas"))
    best_is_default = calib["best"] == ("", "blas")
    cases = [c for c in CASES if ("strata", c) in runs and
             ("torch_default", CASES[c].get("torch_of", c)) in runs and
             (best_is_default or ("torch_best", CASES[c].get("torch_of", c)) in runs)]
    return summarize(runs, cases, calib, read_profile(cache_home), best_is_default)


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description="The table of a `bench_cpu.py --only peers` log")
    p.add_argument("log", help="the stdout of scripts/bench_cpu.py --only peers")
    p.add_argument("--work", default="/var/tmp/strata-bench",
                   help="its --work (the profile is read from WORK/cache)")
    a = p.parse_args(argv)
    summary = summarize_log(a.log, os.path.join(a.work, "cache"))
    print(json.dumps({"peers": summary}))
    print(markdown(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
