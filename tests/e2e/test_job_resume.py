#!/usr/bin/python3
"""Journal and --resume of `strata run` (a job of 40 requests, --batch-size 2: 20 micro-batches):
- kill -9 at random points (fixed seed, so the run is reproducible), once or repeatedly, then
  --resume to the end: the output is byte-identical to an uninterrupted run, every input exactly
  once, in input order, and no journal is left; a torn journal tail and a torn header are cut;
- SIGINT (and SIGTERM) mid-job: exit 130 within seconds, stderr says how to resume (the command
  with --resume); that very command completes the job identically;
- --resume after the input file changed: one-line error, exit 2, journal kept; restoring the
  input then resumes; --resume with other settings (--seed) is refused the same way;
- --resume without a journal starts the job from the beginning (documented in --help);
- a run without --resume while a journal exists is refused (exit 2, one line naming --resume)
  and leaves the journal untouched;
- a second run of the same job while the first still runs is refused, not interleaved;
- no temporary output file of a killed run is left once the job completes.
"""

import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

RANDOM_SEED = 20261123
N_REQUESTS = 40
BATCH = 2
KILL_CYCLES = 6
WORDS = ("the a cat dog runs over quick brown fox lazy time once upon hello world market river "
         "light stone garden").split()


def make_requests():
    rng = random.Random(RANDOM_SEED)
    reqs = []
    for i in range(N_REQUESTS):
        r = {"id": f"r{i:02d}",
             "prompt": " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30))),
             "max_tokens": rng.randint(60, 160)}
        if i % 5 == 1:
            r["temperature"], r["seed"] = 0.9, 1000 + i  # sampled with its own seed
        elif i % 5 == 2:
            r["temperature"] = 0.7  # sampled with a seed derived from --seed and its line
        elif i % 7 == 3:
            r["stop"] = ["e"]
        reqs.append(r)
    return reqs


class Job:
    """One job: the model, the input and the common flags; each attempt gets its own output."""

    def __init__(self, model, inp, tmp):
        self.model, self.inp, self.tmp = model, inp, tmp
        self.flags = {"--batch-size": BATCH, "--seed": 11}

    def args(self, out, extra=(), **flags):
        """extra: flags added; flags: batch_size=5 replaces --batch-size's value."""
        values = dict(self.flags, **{"--" + k.replace("_", "-"): v for k, v in flags.items()})
        return ["run", "--model", self.model, "--input", self.inp, "--output", out] + \
            [x for kv in values.items() for x in kv] + list(extra)

    def start(self, out, extra=()):
        cmd = [common.strata_bin()] + [str(a) for a in self.args(out, extra)]
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self, out, extra=(), **flags):
        return common.run_strata(self.args(out, extra, **flags))


def journal_entries(out):
    """Complete result lines in OUT.journal (the header not counted); -1 when there is none."""
    try:
        with open(out + ".journal", "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return -1
    return max(0, data.count(b"\n") - 1)


def wait_for_entries(proc, out, n, timeout=60):
    """Polls until the journal holds n results; False if the process ended or time ran out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if journal_entries(out) >= n:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def check_complete(ck, out, baseline, what):
    """The resumed output equals the uninterrupted one byte for byte; no journal is left."""
    if not ck.check(os.path.exists(out), f"{what}: output exists"):
        return
    got = read_bytes(out)
    ids = [common.json.loads(x)["id"] for x in got.decode().splitlines()]
    ck.check(ids == [f"r{i:02d}" for i in range(N_REQUESTS)],
             f"{what}: every request exactly once, in input order", f"ids: {ids}")
    first_diff = next((i for i, (a, b) in enumerate(zip(got.splitlines(), baseline.splitlines()))
                       if a != b), None)
    ck.check(got == baseline, f"{what}: output byte-identical to the uninterrupted run",
             f"first differing line: {first_diff}")
    ck.check(not os.path.exists(out + ".journal"), f"{what}: journal removed at the end")


def stderr_lines(p):
    return [x for x in p.stderr.splitlines() if x.strip()]


def main():
    ck = Checker("job resume")
    common.strata_bin()
    rng = random.Random(RANDOM_SEED)
    with common.tempdir("resume") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=5,
                           max_positions=512)
        reqs = make_requests()
        inp = os.path.join(tmp, "requests.jsonl")
        common.write_jsonl(inp, reqs[:20] + [""] + reqs[20:])  # a blank line: line numbers move
        job = Job(model, inp, tmp)

        print("uninterrupted run")
        base_out = os.path.join(tmp, "baseline.jsonl")
        t0 = time.monotonic()
        p = job.run(base_out)
        duration = time.monotonic() - t0
        outputs = common.read_jsonl(base_out) if p.returncode == 0 else None
        if not common.check_run_ok(ck, p, outputs, reqs, "uninterrupted run"):
            ck.finish()
        baseline = read_bytes(base_out)
        ck.check(not os.path.exists(base_out + ".journal"), "uninterrupted run: no journal left")
        ck.note(f"uninterrupted run took {duration:.2f} s")

        print(f"kill -9 at random points ({KILL_CYCLES} jobs, random.Random({RANDOM_SEED}))")
        mid_job_kills = 0
        for cycle in range(KILL_CYCLES):
            out = os.path.join(tmp, f"kill{cycle}.jsonl")
            kills = rng.randint(1, 3)
            history = []
            for k in range(kills):
                delay = rng.uniform(0.0, duration * 1.1)
                proc = job.start(out, ["--resume"] if k > 0 else [])
                time.sleep(delay)
                killed = proc.poll() is None
                if killed:
                    proc.kill()
                proc.communicate()
                entries = journal_entries(out)
                history.append(f"{delay:.2f}s:{'killed' if killed else 'ended'}:{entries}")
                if killed and 0 < entries < N_REQUESTS:
                    mid_job_kills += 1
            if cycle == 1 and journal_entries(out) >= 0:
                # A kill in the middle of an append leaves a torn last line: resume must cut it.
                with open(out + ".journal", "ab") as f:
                    f.write(b'{"index": 39, "line": {"id": "r39", "te')
                history.append("torn tail appended")
            p = job.run(out, ["--resume"])
            what = f"job {cycle} ({', '.join(history)})"
            if ck.check(p.returncode == 0, f"{what}: --resume completes", common.describe(p)):
                check_complete(ck, out, baseline, what)
        ck.check(mid_job_kills >= 1, f"at least one kill landed mid-job ({mid_job_kills})")

        print("kill -9 after 10 results, then twice more during the resumed runs")
        out = os.path.join(tmp, "kill-fixed.jsonl")
        counts = []
        for k, at in enumerate((10, 16, 24)):
            proc = job.start(out, ["--resume"] if k else [])
            reached = wait_for_entries(proc, out, at)
            proc.kill()
            proc.communicate()
            counts.append(journal_entries(out))
            ck.check(reached, f"kill {k + 1}: the journal reached {at} results before kill -9")
        ck.check(counts == sorted(counts) and counts[0] >= 10,
                 f"journal results only grow across kills: {counts}")
        p = job.run(out, ["--resume"])
        if ck.check(p.returncode == 0, "three kills: --resume completes", common.describe(p)):
            check_complete(ck, out, baseline, "three kills")

        print("torn header (killed while the journal was being created)")
        out = os.path.join(tmp, "torn-header.jsonl")
        with open(out + ".journal", "wb") as f:
            f.write(b'{"strata_journal": 1, "input_dig')
        p = job.run(out, ["--resume"])
        if ck.check(p.returncode == 0, "torn header: --resume starts over and completes",
                    common.describe(p)):
            check_complete(ck, out, baseline, "torn header")

        for sig, name in ((signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")):
            print(f"{name} mid-job")
            out = os.path.join(tmp, f"{name.lower()}.jsonl")
            proc = job.start(out)
            if not ck.check(wait_for_entries(proc, out, 4), f"{name}: job under way"):
                proc.kill()
                proc.communicate()
                continue
            sent = time.monotonic()
            proc.send_signal(sig)
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            took = time.monotonic() - sent
            err = err.decode("utf-8", "replace")
            ck.check(proc.returncode == 130, f"{name}: exit code 130 (got {proc.returncode})",
                     err[-500:])
            ck.check(took < 5.0, f"{name}: stopped within 5 s ({took:.2f} s)")
            ck.check(not os.path.exists(out), f"{name}: no output file yet")
            saved = journal_entries(out)
            ck.check(0 < saved < N_REQUESTS, f"{name}: journal keeps the finished results ({saved})")
            hint = [x for x in err.splitlines() if "--resume" in x]
            ck.check(len(hint) == 1 and "interrupted" in hint[0],
                     f"{name}: stderr says it was interrupted and how to resume", err[-500:])
            ck.check("Traceback" not in err and "terminate called" not in err,
                     f"{name}: no crash text")
            m = re.search(r"run: (.*--resume.*)$", hint[0]) if hint else None
            if ck.check(m is not None, f"{name}: the hint holds the command with --resume",
                        hint[0] if hint else err[-300:]):
                cmd = shlex.split(m.group(1))
                ck.check(cmd[0] == common.strata_bin() and out in cmd and "--resume" in cmd,
                         f"{name}: the hinted command is this job's", m.group(1))
                p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   timeout=common.RUN_TIMEOUT_S)
                ck.check(p.returncode == 0, f"{name}: the hinted command completes the job",
                         p.stderr.decode()[-500:])
                check_complete(ck, out, baseline, f"{name} then resume")
                summary = [x for x in p.stderr.decode().splitlines() if "resumed" in x]
                ck.check(len(summary) == 1 and f"({saved} resumed" in summary[0],
                         f"{name}: the summary counts {saved} resumed requests", str(summary))

        print("--resume after the input changed")
        out = os.path.join(tmp, "changed.jsonl")
        proc = job.start(out)
        wait_for_entries(proc, out, 4)
        proc.kill()
        proc.communicate()
        journal_before = read_bytes(out + ".journal")
        original = read_bytes(inp)
        changed = dict(reqs[5], prompt="a prompt that was edited after the job began")
        common.write_jsonl(inp, reqs[:5] + [changed] + reqs[6:20] + [""] + reqs[20:])
        p = job.run(out, ["--resume"])
        common.check_one_error_line(ck, p, "changed input",
                                    [re.compile(r"input (file )?(has )?changed"), ".journal"],
                                    exit_code=2)
        ck.check(not os.path.exists(out), "changed input: no output file")
        ck.check(read_bytes(out + ".journal") == journal_before, "changed input: journal kept")
        with open(inp, "wb") as f:
            f.write(original)
        p = job.run(out, ["--resume"], seed=12)
        common.check_one_error_line(ck, p, "--resume with another --seed", ["seed", ".journal"],
                                    exit_code=2)
        p = job.run(out, ["--resume"], batch_size=5)  # batch size does not change results
        if ck.check(p.returncode == 0, "input restored: --resume (another --batch-size) completes",
                    common.describe(p)):
            check_complete(ck, out, baseline, "input restored")

        print("--resume without a journal")
        out = os.path.join(tmp, "fresh.jsonl")
        p = job.run(out, ["--resume", "--quiet"])
        if ck.check(p.returncode == 0, "--resume without a journal starts the job and completes",
                    common.describe(p)):
            check_complete(ck, out, baseline, "--resume without a journal")
        ck.check(p.stderr == "", "--resume --quiet without a journal: nothing on stderr",
                 repr(p.stderr))
        p = common.run_strata(["run", "--help"])
        help_text = " ".join(p.stdout.split())
        ck.check("--resume" in help_text and "without a journal" in help_text,
                 "run --help says what --resume does without a journal")

        print("a run without --resume while a journal exists")
        out = os.path.join(tmp, "refuse.jsonl")
        proc = job.start(out)
        wait_for_entries(proc, out, 6)
        proc.kill()
        proc.communicate()
        journal_before = read_bytes(out + ".journal")
        p = job.run(out)
        common.check_one_error_line(ck, p, "journal exists, no --resume", ["--resume", ".journal"],
                                    exit_code=2)
        ck.check(read_bytes(out + ".journal") == journal_before,
                 "journal exists, no --resume: journal untouched")
        ck.check(not os.path.exists(out), "journal exists, no --resume: no output written")
        # What a kill while the finished job wrote its sidecar would leave (the journal stays
        # until the sidecar is written): the resumed run, the output's one writer, removes it.
        stale_meta = out + ".meta.json.tmp-99999"
        with open(stale_meta, "w") as f:
            f.write("{")
        p = job.run(out, ["--resume"])
        if ck.check(p.returncode == 0, "then --resume completes", common.describe(p)):
            check_complete(ck, out, baseline, "refused then resumed")
        ck.check(not os.path.exists(stale_meta), "--resume removes a killed run's partial sidecar")

        print("two runs of the same job at once")
        out = os.path.join(tmp, "twice.jsonl")
        first = job.start(out)
        if wait_for_entries(first, out, 2):
            # Held still (it keeps its lock) while the second starts, so the first cannot finish
            # before the second asks: the check does not depend on the machine's speed.
            os.kill(first.pid, signal.SIGSTOP)
            try:
                p = job.run(out, ["--resume"])
            finally:
                os.kill(first.pid, signal.SIGCONT)
            common.check_one_error_line(ck, p, "second concurrent run", ["another strata run"],
                                        exit_code=2)
        else:
            ck.check(False, "two runs: the first got under way")
        first.communicate()
        ck.check(first.returncode == 0, "two runs: the first one completes")
        check_complete(ck, out, baseline, "two runs: the first one's output")

        leftovers = [x for x in os.listdir(tmp) if ".tmp-" in x]
        ck.check(not leftovers, "no temporary file of a killed run outlives the job", str(leftovers))
        shutil.rmtree(model, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
