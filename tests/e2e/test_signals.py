#!/usr/bin/python3
"""Signals are honoured within a second at every phase of a job (issue 16, point 3): SIGTERM,
SIGINT and SIGHUP sent at several moments — while the requests are read and tokenized, while the
model is converted into a store on first use, while it loads, while it generates — end
`strata run` with exit 130 within 1.5 s (a second, plus this machine's scheduling slack), a
last stderr line that says it was interrupted, and a journal from which `--resume` finishes the
job with the uninterrupted output byte for byte. A kill -9 in the middle of the conversion
leaves a `*.tmp-PID` store that the next run removes.
"""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model, run_strata  # noqa: E402

N = 60
DELAYS = [0.05, 0.3, 0.8, 1.5, 2.5]
SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


def job_args(model, inp, out, offload):
    # Weights on disk: the model is converted into a store on first use (a phase of its own).
    return ["run", "--model", model, "--input", inp, "--output", out, "--quiet",
            "--percent", 0, 50, 0, 100, 100, 0, "--offload-dir", offload, "--batch-size", 4]


def main():
    ck = Checker("signals")
    common.strata_bin()
    with common.tempdir("signals") as tmp:
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
        model = make_model(tmp, "m", layers=6, hidden=256, heads=4, ffn=1024, seed=3)
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        reqs = [{"id": f"r{i}", "prompt": f"Request {i}: " + "tell me more " * (i % 7),
                 "max_tokens": 24} for i in range(N)]
        inp = os.path.join(tmp, "in.jsonl")
        common.write_jsonl(inp, reqs)
        base = os.path.join(tmp, "base.jsonl")
        started = time.time()
        p = run_strata(job_args(model, inp, base, offload))
        ck.check(p.returncode == 0, "uninterrupted run", common.describe(p))
        ck.note(f"an uninterrupted run (store converted) takes {time.time() - started:.1f} s")
        with open(base, "rb") as f:
            want = f.read()

        cache = os.path.join(tmp, "cache", "strata", "stores")
        for k, delay in enumerate(DELAYS):
            sig = SIGNALS[k % len(SIGNALS)]
            # Every other case starts without the converted store, so the conversion is a phase.
            if k % 2 == 0 and os.path.isdir(cache):
                for e in os.listdir(cache):
                    subprocess.run(["rm", "-rf", os.path.join(cache, e)], check=True)
            out = os.path.join(tmp, f"out{k}.jsonl")
            cmd = [common.strata_bin()] + [str(a) for a in job_args(model, inp, out, offload)]
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(delay)
            sent = time.time()
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            latency = time.time() - sent
            err = err.decode(errors="replace")
            what = f"{signal.Signals(sig).name} after {delay} s"
            if proc.returncode == 0:
                ck.note(f"{what}: the job had already finished")
            elif proc.returncode == -sig and not os.path.exists(out + ".journal"):
                # Before the job installed its handlers (process start-up): the default action,
                # with nothing begun that could be lost.
                ck.note(f"{what}: ended by the signal itself during start-up, before any work")
            else:
                last = err.strip().splitlines()[-1] if err.strip() else ""
                ck.check(proc.returncode == 130 and "interrupted" in last,
                         f"{what}: exit 130 saying it was interrupted",
                         f"exit {proc.returncode}, stderr {err[-400:]!r}")
                ck.check(latency < 1.5, f"{what}: ended {latency:.2f} s after the signal")
            p = run_strata(job_args(model, inp, out, offload) + ["--resume"])
            ok = p.returncode == 0 and os.path.exists(out)
            if ck.check(ok, f"{what}: --resume finishes the job", common.describe(p)):
                with open(out, "rb") as f:
                    ck.check(f.read() == want, f"{what}: output equals the uninterrupted run's")

        # kill -9 during the conversion: the next run removes the half-written store.
        subprocess.run(["rm", "-rf", cache], check=True)
        out = os.path.join(tmp, "killed.jsonl")
        cmd = [common.strata_bin()] + [str(a) for a in job_args(model, inp, out, offload)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        temps = []
        while time.time() < deadline and proc.poll() is None and not temps:
            temps = [e for e in os.listdir(cache) if ".tmp-" in e] if os.path.isdir(cache) else []
            time.sleep(0.005)
        proc.kill()
        proc.communicate()
        if temps:
            p = run_strata(job_args(model, inp, out, offload) + ["--resume"])
            left = [e for e in os.listdir(cache) if ".tmp-" in e]
            ck.check(p.returncode == 0 and not left,
                     "kill -9 mid-conversion: the next run removes the half-written store",
                     f"{common.describe(p)}; left {left}")
        else:
            ck.note("the conversion finished before it could be killed; nothing to clean")
    ck.finish()


if __name__ == "__main__":
    main()
