#!/usr/bin/python3
"""The command line behaves alike everywhere (issue 16, point 6): `strata --version` prints the
version and exits 0; an unknown command is one error line naming it and listing the commands,
exit 2; every command accepts -q; `merge` takes -o like `plan`; `--max-tokens` is an alias of
`--max-new-tokens`; every command with --backend (run, generate, bench, perplexity) defaults it
alike (auto); every command that computes (run, generate, bench, perplexity, profile) takes
--threads, defaults it to the cores this process may use, and refuses 0, a negative or an absurd
count with one line naming the flag (issue 15 point 4)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, run_strata  # noqa: E402

COMMANDS = ["run", "generate", "tokenize", "merge", "convert", "plan", "profile", "bench",
            "perplexity"]
COMPUTING = ["run", "generate", "bench", "perplexity", "profile"]


def main():
    ck = Checker("command line surface")
    p = run_strata(["--version"])
    ck.check(p.returncode == 0 and re.match(r"strata \d+\.\d+\.\d+ ", p.stdout) is not None,
             "--version prints the version", common.describe(p) + p.stdout)
    p = run_strata(["frobnicate", "--model", "x"])
    check_one_error_line(ck, p, "an unknown command", ["unknown command 'frobnicate'", "run",
                                                       "perplexity"], exit_code=2)
    for c in COMMANDS:
        p = run_strata([c, "--help"])
        ck.check(p.returncode == 0 and re.search(r"-q,--quiet|--quiet,-q", p.stdout) is not None,
                 f"{c} accepts -q", common.describe(p))
        backend = re.search(r"--backend TEXT:\{auto,cpu,cuda\}=(\w+)", p.stdout)
        if backend:
            ck.check(backend.group(1) == "auto", f"{c}: --backend defaults to auto",
                     backend.group(0))
    cores = len(os.sched_getaffinity(0))
    for c in COMPUTING:
        p = run_strata([c, "--help"])
        default = re.search(r"--threads INT:[^=\n]*=(\d+)", p.stdout)
        ck.check(default is not None and int(default.group(1)) == cores,
                 f"{c}: --threads defaults to the {cores} cores of the affinity mask",
                 default.group(0) if default else p.stdout[:400])
        for value in ("0", "-2", "100000", "two"):
            p = run_strata([c, "--threads", value])
            check_one_error_line(ck, p, f"{c} --threads {value}", ["--threads"], exit_code=2)
    p = run_strata(["merge", "--help"])
    ck.check("-o,--output" in p.stdout, "merge takes -o", p.stdout[:300])
    p = run_strata(["run", "--help"])
    ck.check("--max-tokens" in p.stdout, "run takes --max-tokens")
    ck.finish()


if __name__ == "__main__":
    main()
