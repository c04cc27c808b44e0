#!/usr/bin/python3
"""Progress, summary and --metrics of `strata run`, length bucketing, per-request limits:
- one block that decodes for seconds: the bar is redrawn (tokens/s) before its requests finish;
- stderr not a terminal: plain progress lines ("strata: TIME k/N requests | x tokens/s | ETA ..."),
  several of them, counts rising to N/N, no carriage returns or escape codes; then exactly one
  summary line naming the padding efficiency and the output; nothing on stdout;
- stderr a terminal (a pty): a redrawn bar ("\\r[###...] k/N requests ... ETA");
- --quiet: nothing at all on stderr or stdout on success;
- --metrics FILE: JSON with requests, prefill/decode/total throughput, per-resource time,
  planner_prediction (null allowed), peak memory, padding efficiency; token counts agree with
  the output (generated tokens = sum of completion_tokens: finished sequences stop generating);
- length bucketing: prompts of mixed lengths in an order that pads badly (short and long
  alternating): the reported padding efficiency is at least what micro-batches in input order
  would give (computed from prompt_tokens in the output), and well above it;
- per-request max_tokens and stop strings are honoured inside shared micro-batches;
- --metrics in a directory that does not exist is refused before any work.
"""

import json
import os
import pty
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

BATCH = 4
# Plain lines carry a UTC timestamp (issue 16 point 6).
PROGRESS = re.compile(r"^strata: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (\d+)/(\d+) requests \| "
                      r"[\d.]+ tokens/s \| ETA \S+$")


def make_requests():
    """Alternating short and long prompts: micro-batches in input order would pad badly."""
    reqs = []
    for i in range(40):
        words = 1 + i % 3 if i % 2 == 0 else 24 + i % 5
        prompt = " ".join(["stone", "river", "light", "garden"][(i + k) % 4] for k in range(words))
        reqs.append({"id": f"p{i}", "prompt": prompt, "max_tokens": 4 + i % 9})
    return reqs


def input_order_efficiency(prompt_lens, batch):
    real = padded = 0
    for at in range(0, len(prompt_lens), batch):
        chunk = prompt_lens[at:at + batch]
        real += sum(chunk)
        padded += len(chunk) * max(chunk)
    return real / padded


def run_on_pty(cmd):
    """Runs cmd with stderr on a pseudo-terminal; returns (exit code, stderr text)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO once the child has closed the pty
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=common.RUN_TIMEOUT_S), b"".join(chunks).decode("utf-8", "replace")


def main():
    ck = Checker("progress and metrics")
    common.strata_bin()
    with common.tempdir("progress") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=17)
        reqs = make_requests()
        inp = os.path.join(tmp, "requests.jsonl")
        common.write_jsonl(inp, reqs)
        out = os.path.join(tmp, "out.jsonl")
        metrics_path = os.path.join(tmp, "metrics.json")
        base = ["run", "--model", model, "--input", inp, "--batch-size", BATCH,
                "--backend", "cpu"]  # no fallback notice where a CUDA build finds no GPU

        print("stderr not a terminal")
        p = common.run_strata(base + ["--output", out, "--metrics", metrics_path])
        outputs = common.read_jsonl(out) if p.returncode == 0 else None
        if not common.check_run_ok(ck, p, outputs, reqs, "run with --metrics"):
            ck.finish()
        ck.check(p.stdout == "", "nothing on stdout", repr(p.stdout[:200]))
        lines = p.stderr.splitlines()
        progress = [PROGRESS.match(x) for x in lines]
        counts = [int(m.group(1)) for m in progress if m]
        ck.check(len(counts) >= 5, f"several plain progress lines ({len(counts)})", p.stderr)
        ck.check(counts == sorted(counts) and counts and counts[-1] == len(reqs) and
                 all(int(m.group(2)) == len(reqs) for m in progress if m),
                 f"progress counts rise to {len(reqs)}/{len(reqs)}: {counts}")
        ck.check("\r" not in p.stderr and "\x1b" not in p.stderr,
                 "no carriage return or escape code when stderr is not a terminal")
        # run plans by default: the plan's one line comes before any progress.
        plan = [i for i, x in enumerate(lines) if "--policy auto (" in x]
        ck.check(plan == [0], "the plan's line comes first, once", str(lines[:3]))
        summary = [x for x in lines if not PROGRESS.match(x) and "--policy auto (" not in x]
        ck.check(len(summary) == 1, "exactly one summary line after the progress lines",
                 str(summary))
        summary = summary[0] if summary else ""
        ck.check(lines and lines[-1] == summary, "the summary line comes last")
        m = re.search(r"padding efficiency (\d+)%", summary)
        ck.check(m is not None and summary.startswith("strata: ") and out in summary and
                 f"{len(reqs)} requests" in summary,
                 "summary names requests, padding efficiency and the output", summary)

        print("--metrics")
        with open(metrics_path) as f:
            metrics = json.load(f)
        ck.note(json.dumps(metrics))
        ck.check(metrics.get("requests") == len(reqs), "metrics: requests")
        tp = metrics.get("throughput_tokens_per_s") or {}
        ck.check(all(isinstance(tp.get(k), (int, float)) and tp[k] > 0
                     for k in ("prefill", "decode", "total")),
                 "metrics: prefill, decode and total throughput > 0", str(tp))
        res = metrics.get("time_per_resource_s")
        ck.check(isinstance(res, dict) and res and
                 all(isinstance(v, (int, float)) and v >= 0 for v in res.values()),
                 "metrics: time per resource (seconds)", str(res))
        ck.check("planner_prediction" in metrics and
                 (metrics["planner_prediction"] is None or
                  isinstance(metrics["planner_prediction"], dict)),
                 "metrics: planner_prediction (null without a plan)")
        peak = metrics.get("peak_memory_bytes")
        ck.check(isinstance(peak, dict) and isinstance(peak.get("host"), int) and
                 peak["host"] > 1 << 20, "metrics: peak host memory in bytes", str(peak))
        prompt_total = sum(o["prompt_tokens"] for o in outputs)
        completion_total = sum(o["completion_tokens"] for o in outputs)
        ck.check(metrics.get("prompt_tokens") == prompt_total,
                 f"metrics: prompt_tokens = sum over the output ({prompt_total})",
                 str(metrics.get("prompt_tokens")))
        ck.check(metrics.get("generated_tokens") == completion_total,
                 f"metrics: generated_tokens = sum of completion_tokens ({completion_total}): "
                 "finished sequences stop generating", str(metrics.get("generated_tokens")))
        eff = metrics.get("padding_efficiency")
        padded = metrics.get("padded_prompt_tokens")
        ck.check(isinstance(eff, float) and 0 < eff <= 1 and padded and
                 abs(eff - prompt_total / padded) < 1e-9,
                 "metrics: padding efficiency = prompt tokens / padded prompt slots", str(eff))
        if m and isinstance(eff, float):
            ck.check(int(m.group(1)) == round(100 * eff),
                     "summary's padding efficiency equals the metrics file's")

        print("length bucketing")
        lens = [o["prompt_tokens"] for o in outputs]
        unbucketed = input_order_efficiency(lens, BATCH)
        best = input_order_efficiency(sorted(lens), BATCH)
        ck.note(f"padding efficiency: input order {unbucketed:.3f}, reported {eff}, "
                f"sorted by length {best:.3f}")
        if isinstance(eff, float):
            ck.check(eff >= unbucketed, "bucketing: at least the input order's efficiency")
            ck.check(eff >= best - 1e-9 and eff > unbucketed + 0.2,
                     "bucketing: as good as batches sorted by prompt length, far above input order")
        ck.check(all(o["completion_tokens"] <= r["max_tokens"] for o, r in zip(outputs, reqs)) and
                 all(o["completion_tokens"] == r["max_tokens"]
                     for o, r in zip(outputs, reqs) if o["finish_reason"] == "length"),
                 "per-request max_tokens honoured in shared micro-batches")

        print("stop strings inside shared micro-batches")
        stops = []
        for o in outputs:
            t = o["text"]
            cut = t[len(t) // 2:len(t) // 2 + 2] if len(t) >= 4 else ""
            stops.append(cut if cut.strip() and "\ufffd" not in cut else "")
        with_stop = [dict(r, stop=[s]) if s else r for r, s in zip(reqs, stops)]
        p, stopped = common.run_requests(model, with_stop, tmp, ["--batch-size", BATCH], "stop")
        if common.check_run_ok(ck, p, stopped, with_stop, "requests with stop strings"):
            bad = []
            for o, s, st in zip(outputs, stops, stopped):
                if not s:
                    ok = st["token_ids"] == o["token_ids"]
                else:
                    ok = (st["text"] == o["text"][:o["text"].find(s)] and
                          st["finish_reason"] == "stop" and
                          st["token_ids"] == o["token_ids"][:len(st["token_ids"])])
                if not ok:
                    bad.append(f"{o['id']} stop {s!r}: {st['text']!r} vs {o['text']!r}")
            ck.check(sum(1 for s in stops if s) >= 10 and not bad,
                     f"stop strings honoured ({sum(1 for s in stops if s)} requests), others "
                     "unchanged", "; ".join(bad[:4]))

        print("--quiet")
        quiet_out = os.path.join(tmp, "quiet.jsonl")
        p = common.run_strata(base + ["--output", quiet_out, "--quiet"])
        ck.check(p.returncode == 0 and p.stderr == "" and p.stdout == "",
                 "--quiet: nothing on stderr or stdout", common.describe(p))
        ck.check(os.path.exists(quiet_out) and
                 common.read_jsonl(quiet_out) == outputs, "--quiet: the same output")

        print("--metrics into a directory that does not exist")
        bad_out = os.path.join(tmp, "bad-metrics.jsonl")
        p = common.run_strata(base + ["--output", bad_out, "--metrics",
                                      os.path.join(tmp, "no-such-dir", "m.json")])
        common.check_one_error_line(ck, p, "--metrics in a missing directory", ["--metrics"],
                                    exit_code=2)
        ck.check(not os.path.exists(bad_out), "--metrics in a missing directory: refused before "
                 "any work (no output)")

        print("stderr a terminal")
        cmd = [common.strata_bin()] + [str(a) for a in base] + [
            "--output", os.path.join(tmp, "tty.jsonl")]
        code, text = run_on_pty(cmd)
        ck.check(code == 0, "run with stderr on a pty succeeds", text[-300:])
        ck.check(re.search(r"\r\[#*\.*\] \d+/40 requests \| [\d.]+ tokens/s \| ETA", text)
                 is not None and "\r[" + "#" * 30 + "] 40/40" in text,
                 "a redrawn bar, full at the end", repr(text[-300:]))
        rows = text.replace("\r\n", "\n").split("\n")
        ck.check(not any(PROGRESS.match(x) for x in rows), "no plain progress lines on a terminal")
        ck.check("padding efficiency" in text.splitlines()[-1] if text.strip() else False,
                 "the summary on its own last line", repr(text[-200:]))

        print("progress inside one long block")
        slow = make_model(tmp, "slow", layers=6, hidden=256, heads=4, ffn=1024, seed=3,
                          max_positions=256)
        slow_in = os.path.join(tmp, "slow.jsonl")
        common.write_jsonl(slow_in, [{"id": f"s{i}", "prompt": f"Request {i}", "max_tokens": 200}
                                     for i in range(16)])
        code, text = run_on_pty([common.strata_bin(), "run", "--model", slow, "--input", slow_in,
                                 "--output", os.path.join(tmp, "slow.out.jsonl"),
                                 "--batch-size", "16", "--policy", "in-memory"])
        inside = re.findall(r"\r\[\.+\] 0/16 requests \| ([\d.]+) tokens/s", text)
        ck.check(code == 0 and len(inside) >= 1 and float(inside[-1]) > 0,
                 f"the bar moves inside a block: {len(inside)} redraws with tokens/s before its "
                 "requests finish", repr(text[-300:]))

        print("metrics of the offloading executor")
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        exe_metrics = os.path.join(tmp, "executor-metrics.json")
        p = common.run_strata(base + ["--output", os.path.join(tmp, "exe.jsonl"), "--metrics",
                                      exe_metrics, "--percent", 0, 50, 0, 100, 100, 0,
                                      "--offload-dir", offload, "--quiet"])
        if ck.check(p.returncode == 0, "a run with half the weights on disk", common.describe(p)):
            m = json.load(open(exe_metrics, encoding="utf-8"))
            times, moved, peak = m["time_per_resource_s"], m["bytes_moved"], m["peak_memory_bytes"]
            ck.check(times.get("disk_read", 0) > 0 and moved.get("disk_read", 0) > 0,
                     "metrics: the disk-read worker's time and bytes", str(times) + str(moved))
            for key in ("disk_write", "host_to_device", "device_to_host", "compute",
                        "waiting_for_transfers"):
                ck.check(key in times, f"metrics: time of {key}", str(times))
            placed = m.get("placed_bytes_by_use", {})
            ck.check(peak.get("disk", 0) > 0 and placed.get("disk", {}).get("weights", 0) > 0,
                     "metrics: weights placed on the disk tier", str(peak) + str(placed))
            ck.check(placed.get("host", {}).get("kv_cache", 0) > 0 and
                     placed.get("device", {}).get("kv_cache", 1) == 0,
                     "metrics: the KV cache on the host, none on the device", str(placed))
            ck.check(placed.get("host", {}).get("weights") == placed.get("disk", {}).get("weights"),
                     "metrics: weights split half host, half disk", str(placed))
    ck.finish()


if __name__ == "__main__":
    main()
