#!/usr/bin/python3
"""--shard i/N and `strata merge`:
- N = 3 over 10 requests (greedy, sampled with a seed, sampled with a seed derived from --seed and
  the line, stop strings): each shard writes OUTPUT.shard.json; merging the shards, given in any
  order, equals the unsharded output byte for byte; the same for N = 13 > 10 requests (shards
  with no request), for N = 1 (--shard 0/1 writes a sidecar too: a one-task array merges like
  any other) and for an OpenAI Batch file with an error line (but for its ids and times, which
  every run draws anew);
- merge refuses, with one line "strata: error: ...", exit 2 and no merged file (an existing one
  left unchanged): a missing shard, a shard given twice, a shard of another input, a shard of a
  job split another number of ways, a shard run with other settings, an output without its
  sidecar (not a shard, or rerun unsharded since), a truncated shard output, a merged output
  that is one of the shards;
- bad --shard values are refused with one line naming --shard.
"""

import itertools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

REQUESTS = [
    {"id": "a", "prompt": "Once upon a time", "max_tokens": 9},
    {"prompt": "The quick brown fox jumps over the lazy dog", "max_tokens": 6},
    {"id": "c", "prompt": "x", "temperature": 0.8, "seed": 3},
    {"id": "d", "prompt": "Numbers like 3.14159", "temperature": 1.2},
    {"id": "e", "prompt": "Hello there, general", "stop": ["e"], "max_tokens": 12},
    {"id": 6, "prompt": "Water boils at 100 degrees.", "max_tokens": 0},
    {"id": "g", "prompt": "They're here, you're there, we're everywhere", "top_k": 5,
     "temperature": 0.7},
    {"id": "h", "prompt": "Caf\u00e9?"},
    {"id": "i", "prompt": "a b c d e f g h i j k l m n o p", "max_tokens": 3},
    {"id": "j", "prompt": "The end."},
]
FLAGS = ["--max-new-tokens", 10, "--seed", 5, "--batch-size", 3, "--quiet"]


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def without_run_stamps(path):
    """An OpenAI Batch output without what each run draws anew (ids, created), which no two
    runs share (cli/job/openai_response.h)."""
    lines = common.read_jsonl(path)
    for line in lines:
        del line["id"]
        if line["response"]:
            del line["response"]["request_id"]
            del line["response"]["body"]["id"]
            del line["response"]["body"]["created"]
    return lines


def main():
    ck = Checker("shard merge")
    common.strata_bin()
    with common.tempdir("shard") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=13)
        inp = os.path.join(tmp, "requests.jsonl")
        common.write_jsonl(inp, REQUESTS[:4] + [""] + REQUESTS[4:])

        def run(out, *extra, input_path=inp, flags=FLAGS):
            return common.run_strata(["run", "--model", model, "--input", input_path, "--output",
                                      out] + list(flags) + list(extra))

        def shards(n, prefix, input_path=inp, flags=FLAGS):
            outs = []
            for i in range(n):
                out = os.path.join(tmp, f"{prefix}-{i}-of-{n}.jsonl")
                p = run(out, "--shard", f"{i}/{n}", input_path=input_path, flags=flags)
                # Exit 3 for the shard holding an OpenAI file's broken line.
                ck.check(p.returncode in (0, 3) and os.path.exists(out + ".shard.json"),
                         f"{prefix}: shard {i}/{n} runs and writes its sidecar", common.describe(p))
                outs.append(out)
            return outs

        def merge(out, parts):
            return common.run_strata(["merge", "--output", out] + list(parts))

        print("unsharded run")
        whole = os.path.join(tmp, "whole.jsonl")
        p = run(whole)
        outputs = common.read_jsonl(whole) if p.returncode == 0 else None
        if not common.check_run_ok(ck, p, outputs, REQUESTS, "unsharded run"):
            ck.finish()
        ck.check(not os.path.exists(whole + ".shard.json"), "unsharded run: no sidecar")
        want = read_bytes(whole)

        for n in (1, 3, 13):
            print(f"--shard i/{n} over {len(REQUESTS)} requests")
            parts = shards(n, f"s{n}")
            sizes = [len(read_bytes(x).splitlines()) for x in parts]
            ck.check(sum(sizes) == len(REQUESTS) and max(sizes) - min(sizes) <= 1,
                     f"N={n}: shards hold every request once, balanced: {sizes}")
            orders = [list(range(n)), list(reversed(range(n)))]
            if n == 3:
                orders = [list(o) for o in itertools.permutations(range(3))]
            for k, order in enumerate(orders):
                merged = os.path.join(tmp, f"merged{n}-{k}.jsonl")
                p = merge(merged, [parts[i] for i in order])
                if ck.check(p.returncode == 0, f"N={n}: merge in order {order} succeeds",
                            common.describe(p)):
                    ck.check(read_bytes(merged) == want,
                             f"N={n}, order {order}: merged output equals the unsharded one")
                    ck.check(p.stderr == "", f"N={n}: merge prints nothing on success",
                             repr(p.stderr))

        print("OpenAI Batch file, 2 shards")
        oa_inp = os.path.join(tmp, "openai.jsonl")
        common.write_jsonl(oa_inp, [
            {"custom_id": f"q{i}", "method": "POST", "url": "/v1/completions",
             "body": {"prompt": r["prompt"], "max_tokens": 5}} for i, r in enumerate(REQUESTS[:5])
        ] + ['{"custom_id": "broken", "url": "/v1/completions"}'])
        oa_whole = os.path.join(tmp, "openai-whole.jsonl")
        p = run(oa_whole, input_path=oa_inp)
        ck.check(p.returncode == 3, "OpenAI file unsharded (exit 3: its broken line)",
                 common.describe(p))
        oa_parts = shards(2, "oa", input_path=oa_inp)
        oa_merged = os.path.join(tmp, "openai-merged.jsonl")
        p = merge(oa_merged, reversed(oa_parts))
        ck.check(p.returncode == 0 and
                 without_run_stamps(oa_merged) == without_run_stamps(oa_whole),
                 "OpenAI file: merged shards equal the unsharded output but for the ids and "
                 "times each run draws", common.describe(p))

        print("merge refuses what is not one whole job")
        parts = [os.path.join(tmp, f"s3-{i}-of-3.jsonl") for i in range(3)]
        other_inp = os.path.join(tmp, "other.jsonl")
        common.write_jsonl(other_inp, REQUESTS[1:] + [{"prompt": "another"}])
        other = shards(3, "other", input_path=other_inp)
        four = shards(4, "four")
        other_flags = [x if x != 5 else 6 for x in FLAGS]  # --seed 6
        settings = shards(3, "settings", flags=other_flags)
        plain = os.path.join(tmp, "plain.jsonl")
        p = run(plain, "--shard", "1/3")
        p2 = run(plain)  # rerun unsharded to the same path: the stale sidecar must go
        ck.check(p.returncode == 0 and p2.returncode == 0 and
                 not os.path.exists(plain + ".shard.json"),
                 "an unsharded rerun removes the output's earlier sidecar")
        truncated = os.path.join(tmp, "truncated.jsonl")
        p = run(truncated, "--shard", "1/3")
        with open(truncated, "rb") as f:
            lines = f.read().splitlines(keepends=True)
        with open(truncated, "wb") as f:
            f.write(b"".join(lines[:-1]))
        cases = [
            ("missing shard", [parts[0], parts[2]], ["1/3", "missing"]),
            ("shard given twice", [parts[0], parts[1], parts[1], parts[2]], ["1/3", "twice"]),
            ("shard of another input", [parts[0], other[1], parts[2]], ["other-1-of-3", "input"]),
            ("shard of a 4-way split", [parts[0], parts[1], four[2]], ["four-2-of-4", "4"]),
            ("shard with other settings", [parts[0], settings[1], parts[2]],
             ["settings-1-of-3", "settings"]),
            ("output without a sidecar", [parts[0], plain, parts[2]], ["plain.jsonl", "shard"]),
            ("truncated shard output", [parts[0], truncated, parts[2]],
             ["truncated.jsonl", "lines"]),
        ]
        merged = os.path.join(tmp, "refused.jsonl")
        before = b'{"keep": "me"}\n'
        with open(merged, "wb") as f:
            f.write(before)
        for name, args, must in cases:
            p = merge(merged, args)
            common.check_one_error_line(ck, p, f"merge, {name}", must, exit_code=2)
            ck.check(read_bytes(merged) == before, f"merge, {name}: existing --output unchanged")
        before0 = read_bytes(parts[0])
        p = merge(parts[0], parts)
        common.check_one_error_line(ck, p, "merge onto one of its shards", ["overwrite"],
                                    exit_code=2)
        ck.check(read_bytes(parts[0]) == before0, "merge onto one of its shards: shard unchanged")
        fresh = os.path.join(tmp, "never.jsonl")
        p = merge(fresh, [parts[0], parts[2]])
        ck.check(not os.path.exists(fresh), "merge refused: no merged file created")

        print("bad --shard values")
        for value in ("3/3", "1/0", "-1/3", "a/3", "1", "1/3x", ""):
            p = run(os.path.join(tmp, "bad-shard.jsonl"), "--shard", value)
            common.check_one_error_line(ck, p, f"--shard {value!r}", ["--shard"], exit_code=2)
        ck.check(not os.path.exists(os.path.join(tmp, "bad-shard.jsonl")),
                 "bad --shard: no output file")
    ck.finish()


if __name__ == "__main__":
    main()
