#!/usr/bin/python3
"""The bundled example model (examples/models/opt-fortunes-tiny, a trained OPT) through strata:
its greedy continuations equal those that the training script recorded with torch
(expected_greedy.json: float32 compute on the same F16 weights) wherever torch's top-1 margin
exceeds float32 noise, and its prompt token ids equal torch-side BPE's. A trained model has
peaked, structured logits that random test models lack, so this is the end-to-end check on a
real-looking model; it also runs the README's example requests."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

MODEL = os.path.join(common.SOURCE_DIR, "examples", "models", "opt-fortunes-tiny")
NOISE = 1e-3  # logit gap below which float32 summation order may swap the top-1 token


def main():
    ck = common.Checker("test_example_model")
    expected_path = os.path.join(MODEL, "expected_greedy.json")
    if not os.path.isfile(expected_path):
        print(f"FAIL: {expected_path} is missing (scripts/train_example_model.py writes it)")
        sys.exit(1)
    expected = json.load(open(expected_path, encoding="utf-8"))
    cases = expected["cases"]
    with common.tempdir("example") as tmp:
        reqs = [{"id": f"c{i}", "prompt": c["prompt"]} for i, c in enumerate(cases)]
        p, outs = common.run_requests(MODEL, reqs, tmp,
                                      ["--max-new-tokens", expected["max_new_tokens"],
                                       "--batch-size", 3])
        if common.check_run_ok(ck, p, outs, reqs, "example model"):
            for case, out in zip(cases, outs):
                what = repr(case["prompt"])
                ck.check(out["prompt_tokens"] == len(case["prompt_ids"]),
                         f"{what}: prompt tokens as the training script's BPE")
                want, got = case["greedy_ids"], out["token_ids"]
                # Compare up to the first step where torch itself saw a near tie.
                n = next((i for i, m in enumerate(case["margins"]) if m < NOISE), len(want))
                ck.check(got[:n] == want[:n], f"{what}: greedy tokens equal torch's "
                         f"({n} of {len(want)} compared)", f"got {got}, want {want}")
                if n == len(want):
                    ck.check(out["text"] == case["text"], f"{what}: text equals torch's",
                             f"got {out['text']!r}, want {case['text']!r}")
        out_path = os.path.join(tmp, "readme.jsonl")
        p = common.run_strata(["run", "--model", MODEL, "--input",
                               os.path.join(common.SOURCE_DIR, "examples", "requests.jsonl"),
                               "--output", out_path, "--quiet"])
        if ck.check(p.returncode == 0, "the README's example job runs", common.describe(p)):
            results = common.read_jsonl(out_path)
            ck.check(all(r["text"].strip() for r in results),
                     "every example request gets a non-empty completion",
                     str([r["text"] for r in results]))
    ck.finish()


if __name__ == "__main__":
    main()
