"""Shared helpers for the end-to-end tests of the strata binary (tests/e2e/test_*.py).

ctest runs each test_*.py with /usr/bin/python3 and sets STRATA_BIN (the binary) and
STRATA_SOURCE_DIR (the repository root). Exit 0 = pass, 1 = fail, 77 = skipped. Run one by hand:
    STRATA_BIN=build/cli/strata /usr/bin/python3 tests/e2e/test_sampling.py
(without STRATA_BIN, build/cli/strata and build/strata under the source dir are tried).
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

SOURCE_DIR = os.path.abspath(os.environ.get("STRATA_SOURCE_DIR") or
                             os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "reference"))

from gpt2_tokenizer import GPT2Tokenizer  # noqa: E402,F401
from opt_reference import OPTReference  # noqa: E402,F401

SKIP = 77
ERROR_PREFIX = "strata: error: "
RUN_TIMEOUT_S = 180
# Greedy tokens may differ from the float64 reference only where the reference's top-1 margin
# (best logit minus second best) is below this: fp32 rounding can then flip the argmax.
TIE_MARGIN = 1e-4
# strata's default KV cache is half precision (f16; bf16 for bf16 models): a reference built with
# that kv_dtype measures, per step, kv_noise = max |logits with K, V rounded to it - exact logits|
# (tests/reference/kv_cache_rounding.py). A token may also differ where the margin is below
# KV_NOISE_FACTOR * kv_noise: 2 because the gap between two logits moves by up to twice the
# largest logit change, times 2 because the engine's fp32 K, V may round to the neighbouring half
# of the reference's (up to twice the simulated perturbation).
KV_NOISE_FACTOR = 4.0


def tie_threshold(ref_result, step):
    """The margin below which step's greedy token may differ from the reference's."""
    noise = ref_result.get("kv_noise")
    return TIE_MARGIN + (KV_NOISE_FACTOR * noise[step] if noise else 0.0)


def clear_of_ties(ref_result):
    """Whether every step's margin is above its tie_threshold: the engine must then reproduce
    the reference's tokens exactly."""
    return all(m >= tie_threshold(ref_result, i) for i, m in enumerate(ref_result["margins"]))


def _load_make_tiny_opt():
    path = os.path.join(SOURCE_DIR, "scripts", "make_tiny_opt.py")
    spec = importlib.util.spec_from_file_location("make_tiny_opt", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_tiny_opt = _load_make_tiny_opt()


class Checker:
    """Collects check results; finish() prints a summary and exits 0 or 1."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.passed = 0

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print(f"  ok    {what}")
        else:
            self.failures.append(what)
            print(f"  FAIL  {what}" + (f"\n        {detail}" if detail else ""))
        return bool(cond)

    def note(self, text):
        print(f"  note  {text}")

    def finish(self):
        if self.failures:
            print(f"{self.name}: {len(self.failures)} FAILED, {self.passed} passed")
            for f in self.failures:
                print(f"  - {f}")
            sys.exit(1)
        print(f"{self.name}: all {self.passed} checks passed")
        sys.exit(0)


def strata_bin():
    """Path of the strata binary; exits 1 (fail) with a message when it does not exist."""
    candidates = [os.environ["STRATA_BIN"]] if os.environ.get("STRATA_BIN") else [
        os.path.join(SOURCE_DIR, "build", "cli", "strata"),
        os.path.join(SOURCE_DIR, "build", "strata")]
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    print(f"FAIL: strata binary not found (tried {', '.join(candidates)}); set STRATA_BIN")
    sys.exit(1)


def run_strata(args, timeout=RUN_TIMEOUT_S):
    """Runs strata with args; returns CompletedProcess with str stdout/stderr (UTF-8, replace)."""
    cmd = [strata_bin()] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        print(f"FAIL: timed out after {timeout}s: {' '.join(cmd)}")
        sys.exit(1)
    p.stdout_bytes = p.stdout
    p.stdout = p.stdout.decode("utf-8", errors="replace")
    p.stderr = p.stderr.decode("utf-8", errors="replace")
    return p


def describe(p):
    err = p.stderr.strip()
    if len(err) > 2000:
        err = err[:1000] + "\n...\n" + err[-1000:]
    return f"exit {p.returncode}; stderr: {err!r}"


def tempdir(prefix):
    return tempfile.TemporaryDirectory(prefix=f"strata-e2e-{prefix}-")


def make_model(parent, name, **options):
    """Writes a tiny OPT model into parent/name (options: make_tiny_opt.make_model keywords)."""
    path = os.path.join(parent, name)
    make_tiny_opt.make_model(path, **options)
    return path


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f.read().splitlines()]


_run_counter = [0]


def run_requests(model_dir, requests, workdir, args=(), name="requests"):
    """Writes requests to workdir/name-N.jsonl (N counts calls, so no run sees another's output
    or journal), runs `strata run --quiet`; returns (proc, outputs) with outputs None when the
    run failed or the output is not valid JSONL."""
    _run_counter[0] += 1
    inp = os.path.join(workdir, f"{name}-{_run_counter[0]}.jsonl")
    out = os.path.join(workdir, f"{name}-{_run_counter[0]}.out.jsonl")
    write_jsonl(inp, requests)
    p = run_strata(["run", "--model", model_dir, "--input", inp, "--output", out, "--quiet"] +
                   list(args))
    if p.returncode != 0 or not os.path.exists(out):
        return p, None
    try:
        return p, read_jsonl(out)
    except (ValueError, UnicodeDecodeError) as e:
        print(f"  output {out} is not valid JSONL: {e}")
        return p, None


def check_run_ok(ck, p, outputs, requests, what):
    """Checks that a run succeeded and that the output obeys the JSONL contract: one line per
    request in input order, ids (absent -> "line-N"), field types, completion_tokens ==
    len(token_ids), finish_reason in {stop, length}. Returns True when all hold."""
    if not ck.check(p.returncode == 0 and outputs is not None, f"{what}: strata run succeeds",
                    describe(p)):
        return False
    ok = ck.check(len(outputs) == len(requests),
                  f"{what}: one output line per request ({len(outputs)} vs {len(requests)})")
    if not ok:
        return False
    problems = []
    for n, (req, out) in enumerate(zip(requests, outputs), start=1):
        want_id = req.get("id", f"line-{n}") if isinstance(req, dict) else f"line-{n}"
        if out.get("id") != want_id:
            problems.append(f"line {n}: id {out.get('id')!r}, expected {want_id!r}")
        for field, typ in (("text", str), ("token_ids", list), ("finish_reason", str),
                           ("prompt_tokens", int), ("completion_tokens", int)):
            if not isinstance(out.get(field), typ) or isinstance(out.get(field), bool):
                problems.append(f"line {n}: field {field} missing or not {typ.__name__}: "
                                f"{out.get(field)!r}")
        toks = out.get("token_ids")
        if isinstance(toks, list):
            if not all(isinstance(t, int) and not isinstance(t, bool) for t in toks):
                problems.append(f"line {n}: token_ids not all integers")
            if out.get("completion_tokens") != len(toks):
                problems.append(f"line {n}: completion_tokens {out.get('completion_tokens')} != "
                                f"len(token_ids) {len(toks)}")
        if out.get("finish_reason") not in ("stop", "length"):
            problems.append(f"line {n}: finish_reason {out.get('finish_reason')!r}")
    return ck.check(not problems, f"{what}: output lines well-formed, ids in input order",
                    "; ".join(problems[:6]))


def compare_greedy(ck, ref_result, got_ids, what):
    """Compares engine greedy ids with the reference's. A divergence is accepted only where the
    reference's top-1 margin is below tie_threshold (TIE_MARGIN plus the half-precision KV cache's
    measured noise; comparison stops there). Returns the number of tokens that were compared and
    found equal, or None on failure."""
    want, margins = ref_result["token_ids"], ref_result["margins"]
    for i in range(max(len(want), len(got_ids))):
        if i >= len(want) or i >= len(got_ids):
            ck.check(False, f"{what}: {len(got_ids)} tokens generated, reference "
                     f"{len(want)}", f"got {got_ids}\n        want {want}")
            return None
        if got_ids[i] != want[i]:
            if margins[i] < tie_threshold(ref_result, i):
                ck.note(f"{what}: step {i} differs ({got_ids[i]} vs reference {want[i]}) at a "
                        f"near tie (reference margin {margins[i]:.2e}, below "
                        f"{tie_threshold(ref_result, i):.2e}); compared {i} tokens")
                return i
            ck.check(False, f"{what}: greedy tokens equal the reference",
                     f"first difference at step {i}: got {got_ids[i]}, reference {want[i]} "
                     f"(reference margin {margins[i]:.3g}, threshold "
                     f"{tie_threshold(ref_result, i):.3g})\n        got  {got_ids}\n"
                     f"        want {want}")
            return None
    ck.check(True, f"{what}: {len(want)} greedy tokens equal the reference "
             f"(min margin {min(margins) if margins else float('nan'):.3g})")
    return len(want)


def check_one_error_line(ck, p, what, must_name=(), exit_code=None):
    """Checks a failed run: non-zero exit (exit_code if given), not killed by a signal, stderr
    exactly one line starting ERROR_PREFIX that contains each string of must_name (strings,
    or compiled regexes). Returns the line."""
    ck.check(p.returncode >= 0, f"{what}: not killed by a signal", describe(p))
    if exit_code is None:
        ck.check(p.returncode > 0, f"{what}: non-zero exit", describe(p))
    else:
        ck.check(p.returncode == exit_code, f"{what}: exit code {exit_code}", describe(p))
    lines = p.stderr.rstrip("\n").split("\n") if p.stderr.strip() else []
    ck.check(len(lines) == 1 and lines[0].strip() != "",
             f"{what}: stderr is exactly one non-empty line", f"stderr: {p.stderr!r}")
    # Judge the message itself even when other lines surround it: the error line if any.
    error_lines = [x for x in lines if x.startswith(ERROR_PREFIX)]
    line = error_lines[-1] if error_lines else (lines[0] if lines else "")
    ck.check(line.startswith(ERROR_PREFIX), f"{what}: stderr starts {ERROR_PREFIX!r}",
             f"line: {line!r}")
    for name in must_name:
        if isinstance(name, re.Pattern):
            ck.check(name.search(line) is not None, f"{what}: message matches /{name.pattern}/",
                     f"line: {line!r}")
        else:
            ck.check(name in line, f"{what}: message names {name!r}", f"line: {line!r}")
    for bad in ("Traceback", "terminate called", "Segmentation", "core dumped", "Aborted"):
        if bad in p.stderr:
            ck.check(False, f"{what}: no crash text in stderr ({bad!r})", p.stderr[:500])
    return line


def current_probe_version():
    """kProbeVersion of planner/hardware_profile.h: a cached profile from an older probe is
    measured again, so the canned one claims the current probe."""
    import re
    with open(os.path.join(SOURCE_DIR, "planner", "hardware_profile.h"), encoding="utf-8") as f:
        return int(re.search(r"constexpr int kProbeVersion = (\d+);", f.read()).group(1))


# A plausible CPU hardware profile (the fields of planner/hardware_profile_yaml.h), so tests that
# plan (--policy auto, strata bench) neither probe the machine nor touch the user's cache.
CANNED_PROFILE = {
    "name": "e2e-canned-cpu",
    "probe_version": current_probe_version(),
    "host_to_device_bytes_per_s": 10e9,
    "device_to_host_bytes_per_s": 10e9,
    "disk_read_bytes_per_s": 1e9,
    "disk_write_bytes_per_s": 0.8e9,
    "device_gemm_prefill_flops": 50e9,
    "device_gemm_decode_flops": 5e9,
    "device_memory_bytes_per_s": 20e9,
    "device_attention_bytes_per_s": 4e9,
    "host_attention_bytes_per_s": 4e9,
    "cpu_flops": 50e9,
    "dram_bytes_per_s": 20e9,
    "device_capacity": "2 GiB",
    "host_capacity": "4 GiB",
    "disk_capacity": "8 GiB",
    "activation_bytes_per_element": 4,
}


def profile_cache_path(cache_home):
    """Where strata looks for this machine's profile with XDG_CACHE_HOME=cache_home
    (cli/plan/plan_options.cpp cached_profile_path)."""
    import socket
    return os.path.join(cache_home, "strata", f"hardware-{socket.gethostname()}-cpu.yaml")


def write_canned_profile(path, **overrides):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for key, value in dict(CANNED_PROFILE, **overrides).items():
            f.write(f"{key}: {value}\n")
    return path


def use_canned_profile(cache_home, **overrides):
    """Points XDG_CACHE_HOME (for every strata run from now on) at cache_home and writes
    CANNED_PROFILE (with overrides) as this machine's cached profile there (STRATA_PROFILE
    unset, so strata looks there). Returns its path."""
    os.environ["XDG_CACHE_HOME"] = cache_home
    os.environ.pop("STRATA_PROFILE", None)
    return write_canned_profile(profile_cache_path(cache_home), **overrides)


# `strata run` plans with --policy auto by default, which needs this machine's hardware profile:
# every test uses the canned one (STRATA_PROFILE) unless it says otherwise, so no test measures
# the machine by accident, and plans do not depend on how loaded the machine is.
_CANNED_DIR = tempfile.TemporaryDirectory(prefix="strata-e2e-profile-")
os.environ["STRATA_PROFILE"] = write_canned_profile(
    os.path.join(_CANNED_DIR.name, "canned-cpu.yaml"))
