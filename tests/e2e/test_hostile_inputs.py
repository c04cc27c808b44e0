#!/usr/bin/python3
"""Inputs an attacker or a careless script would give (issue 16, points 3 and 4): each is one
error line naming what is wrong, exit 2, never a crash, a hang or unbounded memory; and a job
whose requests each fit the model's context runs, however their lengths combine.
  - JSON nested 100k levels deep in a request line (prompt, stop, id), in config.json, in
    vocab.json and in a journal line: "nested more than 64 levels", not a stack overflow;
  - a 2 MB prompt is refused within the run's time limit (tokenizing is linear);
  - a huge value in a field (a 1 MB "stop" object) is not echoed back whole: the line stays short;
  - a FIFO as config.json, model.safetensors or vocab.json: refused, not read forever;
  - size and count flags: 0, negative and absurd values of --gpu-batch-size, --num-gpu-batches,
    --batch-size, --max-new-tokens, --host-mem, --device-mem name the flag and the range;
    --num-gpu-batches at its bound is refused by the capacity check, naming the batch given;
  - duplicate ids (Strata lines) and duplicate custom_ids (OpenAI lines): refused before any
    work, naming both lines;
  - planning per request: one request with the longest prompt and another with the largest
    max_tokens, each within the context but not their sum, run under --policy auto (the
    planner sees the job's envelope, not one impossible sequence).
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, make_model, run_strata  # noqa: E402

DEEP = 100_000


def deep_array(n):
    return "[" * n + "]" * n


def run_job(model, tmp, lines, extra=(), name="job"):
    inp = os.path.join(tmp, f"{name}.jsonl")
    with open(inp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    out = os.path.join(tmp, f"{name}.out.jsonl")
    return run_strata(["run", "--model", model, "--input", inp, "--output", out, "--quiet"] +
                      list(extra), timeout=120), out


def main():
    ck = Checker("hostile inputs")
    common.strata_bin()
    with common.tempdir("hostile") as tmp:
        model = make_model(tmp, "m", layers=1, hidden=32, heads=2, ffn=64, seed=9,
                           max_positions=64)
        good = json.dumps({"id": "ok", "prompt": "Hello", "max_tokens": 2})

        # Deep JSON in request lines.
        for field in ("prompt", "stop", "id"):
            line = '{"%s": %s}' % (field, deep_array(DEEP))
            p, out = run_job(model, tmp, [good, line], name=f"deep-{field}")
            check_one_error_line(ck, p, f"request line nested {DEEP} deep in '{field}'",
                                 [":2:", "nested more than 64 levels"], exit_code=2)
            ck.check(not os.path.exists(out), f"deep '{field}': no output written")
        openai = '{"custom_id": "a", "method": "POST", "url": "/v1/completions", "body": ' \
                 '{"model": "m", "prompt": %s}}' % deep_array(DEEP)
        ok_openai = json.dumps({"custom_id": "b", "method": "POST", "url": "/v1/completions",
                                "body": {"model": "m", "prompt": "Hi", "max_tokens": 2}})
        p, out = run_job(model, tmp, [ok_openai, openai], name="deep-openai")
        if ck.check(p.returncode in (0, 3) and os.path.exists(out),
                     "OpenAI file with a deep line: the job runs", common.describe(p)):
            lines = common.read_jsonl(out)
            ck.check(len(lines) == 2 and lines[1].get("error") and
                     "nested more than 64 levels" in json.dumps(lines[1]["error"]),
                     "OpenAI file with a deep line: that line is an error line", str(lines)[:300])

        # A 2 MB prompt is tokenized in linear time and refused (it was quadratic: 80k words took
        # 40 s, a 5 MB prompt never finished).
        big = json.dumps({"prompt": " ".join(f"word{i % 977} and" for i in range(200_000))})
        p, out = run_job(model, tmp, [good, big], name="big-prompt")
        if ck.check(p.returncode == 3 and os.path.exists(out),
                    "a 2 MB prompt: refused alone, exit 3", common.describe(p)):
            lines = common.read_jsonl(out)
            ck.check(len(lines) == 2 and "text" in lines[0] and
                     ":2:" in lines[1].get("error", {}).get("message", "") and
                     "exceed" in lines[1]["error"]["message"],
                     "a 2 MB prompt: its line is an error naming line 2", str(lines)[:300])

        # A huge field value is not echoed back whole.
        huge = json.dumps({"prompt": "hi", "stop": {"x": "y" * 1_000_000}})
        p, _ = run_job(model, tmp, [huge], name="huge")
        line = check_one_error_line(ck, p, "a 1 MB 'stop' object", ["'stop'"], exit_code=2)
        ck.check(len(line) < 500, f"a 1 MB value: the error line is {len(line)} characters")

        # Deep JSON in model files and in a journal.
        for name, content in (("config.json", '{"model_type": %s}' % deep_array(DEEP)),
                              ("vocab.json", '{"a": %s}' % deep_array(DEEP))):
            broken = os.path.join(tmp, f"m-deep-{name}")
            shutil.copytree(model, broken)
            with open(os.path.join(broken, name), "w") as f:
                f.write(content)
            p, _ = run_job(broken, tmp, [good], name=f"deep-{name}")
            check_one_error_line(ck, p, f"{name} nested {DEEP} deep",
                                 [name, "nested more than 64 levels"], exit_code=2)
        # A FIFO as a model file would block its reader forever.
        for name in ("config.json", "model.safetensors", "vocab.json"):
            fifo_model = os.path.join(tmp, f"m-fifo-{name}")
            shutil.copytree(model, fifo_model)
            os.remove(os.path.join(fifo_model, name))
            os.mkfifo(os.path.join(fifo_model, name))
            p, _ = run_job(fifo_model, tmp, [good], name=f"fifo-{name}")
            check_one_error_line(ck, p, f"a FIFO as {name}", [name, "not a regular file"],
                                 exit_code=2)

        p, out = run_job(model, tmp, [good], name="journaled")
        journal = out + ".journal"
        with open(journal, "w") as f:
            f.write(deep_array(DEEP) + "\n")
        p, _ = run_job(model, tmp, [good], ["--resume"], name="journaled")
        check_one_error_line(ck, p, "a journal line nested deep", [".journal:1", "nested"],
                             exit_code=2)

        # Size and count flags.
        for flag, value, names in (
                ("--gpu-batch-size", "0", ["--gpu-batch-size", "from 1 to"]),
                ("--gpu-batch-size", "-3", ["--gpu-batch-size", "from 1 to"]),
                ("--num-gpu-batches", "2147483647", ["--num-gpu-batches", "from 1 to"]),
                ("--batch-size", "0", ["--batch-size", "from 1 to"]),
                ("--max-new-tokens", "99999999999", ["--max-new-tokens", "from 0 to"]),
                ("--host-mem", "0", ["--host-mem", "positive size"]),
                ("--device-mem", "-5GiB", ["--device-mem"]),
                ("--num-gpu-batches", "1048576", ["num_gpu_batches 1048576", "batch given"])):
            p, _ = run_job(model, tmp, [good], [flag, value], name="flags")
            check_one_error_line(ck, p, f"{flag} {value}", names, exit_code=2)
        p = run_strata(["run", "--model", model, "--input", "x", "--output", "y",
                        "--max-tokens", "5", "--help"])
        ck.check(p.returncode == 0 and "--max-tokens" in p.stdout,
                 "--max-tokens is an alias of --max-new-tokens", common.describe(p))

        # Duplicate ids.
        p, out = run_job(model, tmp, [good, json.dumps({"prompt": "x"}), good], name="dup")
        check_one_error_line(ck, p, "duplicate id", [":3:", "already used on line 1"],
                             exit_code=2)
        ck.check(not os.path.exists(out), "duplicate id: refused before any work")
        p, out = run_job(model, tmp, [ok_openai, ok_openai], name="dup-openai")
        check_one_error_line(ck, p, "duplicate custom_id", [":2:", "custom_id"], exit_code=2)

        # Planning per request: a ~40-token prompt + 4 new, a short prompt + 50 new, context 64.
        long_prompt = " ".join(["x"] * 19)
        reqs = [json.dumps({"id": "long-prompt", "prompt": long_prompt, "max_tokens": 4}),
                json.dumps({"id": "long-gen", "prompt": "a b", "max_tokens": 50})]
        p, out = run_job(model, tmp, reqs, ["--policy", "auto", "--offload-dir", tmp],
                         name="envelope")
        if ck.check(p.returncode == 0 and os.path.exists(out),
                    "requests that each fit the context run under --policy auto",
                    common.describe(p)):
            got = common.read_jsonl(out)
            ck.check([g["completion_tokens"] <= r for g, r in zip(got, (4, 50))] == [True, True]
                     and got[0]["prompt_tokens"] + 4 <= 64 < got[0]["prompt_tokens"] + 50,
                     "the two requests' lengths do not fit one sequence together", str(got)[:300])
    ck.finish()


if __name__ == "__main__":
    main()
