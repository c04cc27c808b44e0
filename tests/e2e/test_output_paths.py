#!/usr/bin/python3
"""No path the user names is destroyed, and output problems are found before any work
(issue 16, point 1). Cases, each against `strata run` / `plan -o` / `merge` on a tiny model:
  - --output and plan -o through a symlink: the file it points to gets the results, the link
    stays a link; the results equal those of a plain file output;
  - --metrics /dev/null: written in place, /dev/null stays a character device;
  - --output - streams the lines to stdout, in input order, equal to the file output; --input -
    reads the requests from stdin; --resume with either is refused (no journal is possible);
  - two outputs naming one file (--metrics ./out.jsonl with --output out.jsonl), an output
    naming the input (through a symlink), a directory as --output, a missing folder, merge
    --output naming a shard's sidecar: one error line naming the flags, exit 2, nothing written
    or changed, and no model loaded (refused before any work: the model given does not exist).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, make_model, run_strata  # noqa: E402

REQUESTS = [{"id": f"r{i}", "prompt": p, "max_tokens": 3 + i}
            for i, p in enumerate(["Hello there", "a", "The quick brown fox", "Zürich?", "x y z"])]


def snapshot(folder):
    """Every entry of the folder with its kind and content (symlinks as their target)."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.islink(path):
            out[name] = ("link", os.readlink(path))
        elif os.path.isfile(path):
            with open(path, "rb") as f:
                out[name] = ("file", f.read())
        else:
            out[name] = ("other", None)
    return out


def main():
    ck = Checker("output paths")
    common.strata_bin()
    with common.tempdir("outpaths") as tmp:
        model = make_model(tmp, "m", layers=1, hidden=32, heads=2, ffn=64, seed=5)
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        inp = os.path.join(work, "in.jsonl")
        common.write_jsonl(inp, REQUESTS)
        plain = os.path.join(work, "plain.jsonl")
        p = run_strata(["run", "--model", model, "--input", inp, "--output", plain, "--quiet"])
        ck.check(p.returncode == 0, "plain run", common.describe(p))
        with open(plain, "rb") as f:
            want = f.read()

        # Symlinked outputs: the target is written, the link stays.
        real = os.path.join(work, "real.jsonl")
        with open(real, "w") as f:
            f.write("old\n")
        link = os.path.join(work, "link.jsonl")
        os.symlink("real.jsonl", link)
        p = run_strata(["run", "--model", model, "--input", inp, "--output", link, "--quiet",
                        "--metrics", "/dev/null"])
        ck.check(p.returncode == 0, "--output LINK --metrics /dev/null", common.describe(p))
        ck.check(os.path.islink(link) and os.readlink(link) == "real.jsonl",
                 "--output through a symlink: the link stays")
        with open(real, "rb") as f:
            ck.check(f.read() == want, "--output through a symlink: its target holds the results")
        ck.check(os.path.exists("/dev/null") and not os.path.isfile("/dev/null") and
                 os.stat("/dev/null").st_rdev != 0, "--metrics /dev/null: still a device")
        ck.check(not any((n.startswith("real.jsonl.") or n.startswith("link.jsonl.")) and
                         n != "real.jsonl.meta.json" for n in os.listdir(work)),
                 "no journal or temporary file left (the meta sidecar beside the target)",
                 str(os.listdir(work)))
        plan_real = os.path.join(work, "policy-real.yaml")
        plan_link = os.path.join(work, "policy.yaml")
        os.symlink(plan_real, plan_link)
        p = run_strata(["plan", "--model", model, "--hardware", "t4-flexgen", "--prompt-len", 32,
                        "--gen-len", 8, "-o", plan_link])
        ck.check(p.returncode == 0 and os.path.islink(plan_link) and os.path.isfile(plan_real),
                 "plan -o LINK: the link stays and its target is the policy", common.describe(p))

        # Streams: --output - and --input -.
        p = run_strata(["run", "--model", model, "--input", inp, "--output", "-", "--quiet"])
        ck.check(p.returncode == 0 and p.stdout_bytes == want,
                 "--output -: stdout holds the file output's lines, in input order",
                 common.describe(p) + f" stdout {p.stdout[:300]!r}")
        with open(inp, "rb") as f:
            q = subprocess.run([common.strata_bin(), "run", "--model", model, "--input", "-",
                                "--output", "-", "--quiet"], input=f.read(),
                               capture_output=True, timeout=common.RUN_TIMEOUT_S)
        ck.check(q.returncode == 0 and q.stdout == want, "--input - --output -: same lines",
                 f"exit {q.returncode} stderr {q.stderr[:300]!r}")
        p = run_strata(["run", "--model", model, "--input", inp, "--output", "-", "--resume"])
        check_one_error_line(ck, p, "--output - --resume", ["--resume", "cannot be resumed"],
                             exit_code=2)

        # Refused before any work: the model does not exist, so only a path check can answer.
        missing_model = os.path.join(tmp, "no-such-model")
        os.symlink(inp, os.path.join(work, "in-link.jsonl"))
        before = snapshot(work)
        cases = [
            ("--metrics ./out.jsonl with --output out.jsonl",
             ["--output", os.path.join(work, "out.jsonl"), "--metrics",
              os.path.join(work, ".", "out.jsonl")], ["--metrics", "--output", "same file"]),
            ("--output a symlink to the input",
             ["--output", os.path.join(work, "in-link.jsonl")], ["--output", "overwrite the input"]),
            ("--output a directory", ["--output", work], ["--output", "is a directory"]),
            ("--output in a missing folder", ["--output", os.path.join(work, "nope", "o.jsonl")],
             ["--output", "does not exist"]),
            ("--metrics in a missing folder", ["--output", os.path.join(work, "o.jsonl"),
                                               "--metrics", os.path.join(work, "nope", "m.json")],
             ["--metrics", "does not exist"]),
        ]
        for what, args, names in cases:
            p = run_strata(["run", "--model", missing_model, "--input", inp] + args)
            check_one_error_line(ck, p, what, names, exit_code=2)
            ck.check(snapshot(work) == before, f"{what}: nothing written or changed")

        # merge --output naming a shard's sidecar.
        shards = []
        for i in range(2):
            out = os.path.join(work, f"s{i}.jsonl")
            p = run_strata(["run", "--model", model, "--input", inp, "--output", out, "--quiet",
                            "--shard", f"{i}/2"])
            ck.check(p.returncode == 0, f"shard {i}/2", common.describe(p))
            shards.append(out)
        before = snapshot(work)
        p = run_strata(["merge", "-o", shards[0] + ".shard.json"] + shards)
        check_one_error_line(ck, p, "merge -o a shard's sidecar", ["--output", "sidecar"],
                             exit_code=2)
        ck.check(snapshot(work) == before, "merge -o a sidecar: nothing changed")
        merged = os.path.join(work, "merged.jsonl")
        p = run_strata(["merge", "-o", merged] + shards)
        with open(merged, "rb") as f:
            ck.check(p.returncode == 0 and f.read() == want, "merge -o: the unsharded output")
    ck.finish()


if __name__ == "__main__":
    main()
