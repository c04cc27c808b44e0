#!/usr/bin/python3
"""Bad request files make `strata run` fail before writing anything: exit code 2, stderr exactly
one line starting "strata: error: " that names the input file, the line number and the field,
no --output file created, and an already existing --output file left unchanged.

Cases: malformed JSON on line 3; a line without "prompt"; wrong types ("prompt": 5,
"max_tokens": "ten", "temperature": "hot"); bad values ("temperature": -1, "max_tokens": -3);
an empty input file.

A well-formed request whose prompt is longer than max_position_embeddings allows fails alone
(issue 16 point 4): the other requests run, its line is `{"id", "error": {"code":
"context_length_exceeded", "message"}}` naming the file, line and field, exit code 3; under
--strict it stops the job like the cases above.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

MAX_POSITIONS = 64
# No id: each good line gets its own ("line-N"); duplicate ids are refused (test_hostile_inputs).
GOOD = '{"prompt": "Hello there", "max_tokens": 4}'
LONG_PROMPT = " ".join(f"word{i} 12345 x" for i in range(MAX_POSITIONS))

# (case name, file lines, line number at fault or None, field at fault or None)
CASES = [
    ("malformed JSON on line 3", [GOOD, GOOD, '{"prompt": "abc", "max_tokens": 4', GOOD], 3, None),
    ("missing prompt", [GOOD, '{"id": "x", "max_tokens": 4}', GOOD], 2, "prompt"),
    ("prompt is a number", [GOOD, '{"prompt": 5}'], 2, "prompt"),
    ("max_tokens is a string", [GOOD, GOOD, '{"prompt": "hi", "max_tokens": "ten"}'], 3,
     "max_tokens"),
    ("max_tokens negative", ['{"prompt": "hi", "max_tokens": -3}', GOOD], 1, "max_tokens"),
    ("temperature negative", [GOOD, '{"prompt": "hi", "temperature": -1}'], 2, "temperature"),
    ("temperature is a string", [GOOD, GOOD, GOOD, '{"prompt": "hi", "temperature": "hot"}'], 4,
     "temperature"),
    ("empty input file", [], None, None),
]
TOO_LONG = [GOOD, json.dumps({"id": "long", "prompt": LONG_PROMPT, "max_tokens": 4}), GOOD]


def line_pattern(n):
    return re.compile(rf"(?:line[\s:=#]*|:){n}(?!\d)", re.IGNORECASE)


def main():
    ck = Checker("bad request inputs")
    common.strata_bin()
    with common.tempdir("badreq") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=32, heads=4, ffn=64, seed=61,
                           max_positions=MAX_POSITIONS)
        tok = common.GPT2Tokenizer.from_model_dir(model)
        n_long = 1 + len(tok.encode(LONG_PROMPT))
        assert n_long > 2 * MAX_POSITIONS, n_long

        print("sanity: a good file runs")
        inp = os.path.join(tmp, "good.jsonl")
        common.write_jsonl(inp, [GOOD, GOOD])
        out = os.path.join(tmp, "good.out.jsonl")
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--quiet"])
        ck.check(p.returncode == 0 and os.path.exists(out), "good requests: strata run succeeds",
                 common.describe(p))

        for n, (name, lines, line_no, field) in enumerate(CASES):
            print(f"case: {name} ({n_long} prompt tokens)" if "longer" in name else
                  f"case: {name}")
            inp = os.path.join(tmp, f"requests-case{n}.jsonl")
            with open(inp, "w", encoding="utf-8") as f:
                f.write("".join(line + "\n" for line in lines))
            for existing in (False, True):
                what = name + (" (output exists)" if existing else "")
                out = os.path.join(tmp, f"case{n}{'-existing' if existing else ''}.out.jsonl")
                before = b'{"id": "previous", "text": "keep me"}\n'
                if existing:
                    with open(out, "wb") as f:
                        f.write(before)
                p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                                       "--max-new-tokens", 4, "--quiet"])
                line = common.check_one_error_line(ck, p, what, [os.path.basename(inp)],
                                                   exit_code=2)
                stripped = line.replace(tmp, "")
                if line_no is not None:
                    ck.check(line_pattern(line_no).search(stripped) is not None,
                             f"{what}: message names line {line_no}", f"line: {line!r}")
                if field is not None:
                    ck.check(field in stripped, f"{what}: message names field {field!r}",
                             f"line: {line!r}")
                if existing:
                    with open(out, "rb") as f:
                        ck.check(f.read() == before, f"{what}: existing output unchanged")
                else:
                    ck.check(not os.path.exists(out), f"{what}: no output file created")
                if not existing:
                    print(f"        stderr: {line!r}")
                leftovers = sorted(x for x in os.listdir(tmp) if x.startswith(f"case{n}") and
                                   x != os.path.basename(out) and "existing" not in x)
                if leftovers:
                    ck.note(f"{what}: files left beside the output: {leftovers}")
        check_prompt_too_long(ck, model, tmp, n_long)
    ck.finish()


def check_prompt_too_long(ck, model, tmp, n_long):
    print(f"case: prompt longer than max_position_embeddings ({n_long} prompt tokens)")
    inp = os.path.join(tmp, "too-long.jsonl")
    common.write_jsonl(inp, TOO_LONG)
    out = os.path.join(tmp, "too-long.out.jsonl")
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                           "--max-new-tokens", 4, "--quiet"])
    if ck.check(p.returncode == 3 and os.path.exists(out),
                "prompt too long: the job runs and exits 3", common.describe(p)):
        got = common.read_jsonl(out)
        ck.check([g.get("id") for g in got] == ["line-1", "long", "line-3"],
                 "prompt too long: one line per request, in input order", str(got)[:300])
        ck.check(all("text" in g and "error" not in g for g in (got[0], got[2])),
                 "prompt too long: the other requests have their results", str(got)[:300])
        err = got[1].get("error") or {}
        ck.check(err.get("code") == "context_length_exceeded" and "text" not in got[1] and
                 line_pattern(2).search(err.get("message", "").replace(tmp, "")) is not None and
                 "'prompt'" in err.get("message", ""),
                 "prompt too long: its line is an error naming the line and the field",
                 str(got[1]))
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out + ".strict",
                           "--max-new-tokens", 4, "--quiet", "--strict"])
    line = common.check_one_error_line(ck, p, "prompt too long, --strict", ["too-long.jsonl:2"],
                                       exit_code=2)
    ck.check("prompt" in line and not os.path.exists(out + ".strict"),
             "prompt too long, --strict: names the field, no output", line)


if __name__ == "__main__":
    main()
