#!/usr/bin/python3
"""Batch invariance: each prompt run alone (--batch-size 1, one-line file) and inside mixed-length
batches (all prompts in one file with --batch-size 1, 3 and 16) gives identical token_ids, text,
finish_reason and prompt_tokens. Greedy decoding, on a pre-LN and a post-LN tiny OPT model.

A difference is a failure (left padding, position ids, padding masks and per-sequence stopping
must not change a sequence's tokens); the reference's top-1 margin at the first differing step is
printed to tell a real bug from an fp32 near tie.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, OPTReference, make_model  # noqa: E402

MAX_NEW = 10
PROMPTS = [
    "Hi",
    "The rain in Spain stays mainly in the plain; the sun in the north is rare.",
    "x",
    "Numbers like 3.14159 and 2.71828",
    "They're here, you're there, we're everywhere: that's the point of the story. "
    "The children played in the garden while their parents talked about the weather.",
    "Café?",
    "Water boils at 100 degrees.",
]
MODELS = [
    ("pre-ln", dict(layers=2, hidden=64, heads=4, ffn=128, seed=21, eos_scale=2.0)),
    ("post-ln", dict(layers=2, hidden=64, heads=4, ffn=128, seed=22, post_ln=True)),
]
FIELDS = ("token_ids", "text", "finish_reason", "prompt_tokens", "completion_tokens")


def main():
    ck = Checker("batch invariance")
    common.strata_bin()
    with common.tempdir("batch") as tmp:
        for name, options in MODELS:
            print(f"model: {name} {options}")
            path = make_model(tmp, name, **options)
            ref = None
            alone = []
            for i, prompt in enumerate(PROMPTS):
                req = [{"id": f"p{i}", "prompt": prompt}]
                p, outs = common.run_requests(path, req, tmp, ["--policy", "in-memory",
                                                                "--batch-size", 1,
                                                                "--max-new-tokens", MAX_NEW])
                if not common.check_run_ok(ck, p, outs, req, f"{name}: prompt {i} alone"):
                    ck.finish()
                alone.append(outs[0])
            reqs = [{"id": f"p{i}", "prompt": pr} for i, pr in enumerate(PROMPTS)]
            for bs in (1, 3, 16):
                p, outs = common.run_requests(path, reqs, tmp, ["--policy", "in-memory",
                                                                 "--batch-size", bs,
                                                                 "--max-new-tokens", MAX_NEW])
                what = f"{name}: all prompts, --batch-size {bs}"
                if not common.check_run_ok(ck, p, outs, reqs, what):
                    continue
                for i, (a, b) in enumerate(zip(alone, outs)):
                    diff = [f for f in FIELDS if a.get(f) != b.get(f)]
                    detail = ""
                    if diff:
                        ref = ref or OPTReference(path)
                        ta, tb = a["token_ids"], b["token_ids"]
                        step = next((k for k in range(min(len(ta), len(tb))) if ta[k] != tb[k]),
                                    min(len(ta), len(tb)))
                        margins = ref.generate(PROMPTS[i], MAX_NEW)["margins"]
                        m = f"{margins[step]:.3g}" if step < len(margins) else "n/a"
                        detail = (f"fields {diff}; alone {ta} {a.get('text')!r}; batched {tb} "
                                  f"{b.get('text')!r}; first differing step {step}, reference "
                                  f"margin there {m}")
                    ck.check(not diff, f"{what}: prompt {i} identical to running it alone",
                             detail)
    ck.finish()


if __name__ == "__main__":
    main()
