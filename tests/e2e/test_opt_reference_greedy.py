#!/usr/bin/python3
"""Greedy tokens of `strata run` equal the float64 reference (tests/reference/opt_reference.py)
on tiny random OPT models of every supported layout: pre-LN F32, F16, BF16, post-LN opt-350m
shape (word_embed_proj_dim != hidden), 3 shards, no "model." prefix (and no "__metadata__"),
untied lm_head.

Prompts of different lengths go in one file with a batch size that mixes them. A token may differ
from the reference only where the reference's top-1 margin is below common.tie_threshold: fp32
noise (TIE_MARGIN) plus, for the default half-precision KV cache (f16; bf16 for the bf16 model),
KV_NOISE_FACTOR times the logit change the reference measures with its K, V rounded to that
dtype (tests/reference/kv_cache_rounding.py); the comparison of that sequence stops there, and it
is reported. Two models also run with `--cache-dtype f32` against the fp32-noise threshold alone. Also checked: prompt_tokens (bos
included) against the reference tokenizer, finish_reason ("stop" iff eos was generated, eos
included in token_ids), text against the reference detokenizer, request max_tokens overriding
--max-new-tokens, and `strata generate` printing the same completion as `strata run`.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, OPTReference, make_model  # noqa: E402

MAX_NEW = 12
PROMPTS = [
    "Hello",
    "The quick brown fox jumps over the lazy dog.",
    "I'm 42 years old, aren't I? We'll see: 3.14 > 3!",
    "a",
    "Once upon a time there was a little house in the woods, and in the house there lived a "
    "cat. The cat liked the sun, and the sun liked the cat.",
    "Café naïve résumé in Zürich",
    "What is the time?\nIt is half past seven.",
]
# Model variants: (name, make_tiny_opt options). eos_scale 2 makes some sequences end in eos.
MODELS = [
    ("pre-ln f32", dict(layers=2, hidden=64, heads=4, ffn=128, seed=1, eos_scale=2.0)),
    ("pre-ln f16", dict(layers=2, hidden=64, heads=4, ffn=128, seed=2, dtype="f16")),
    ("pre-ln bf16", dict(layers=2, hidden=48, heads=4, ffn=96, seed=3, dtype="bf16")),
    ("post-ln 350m-shaped", dict(layers=3, hidden=64, heads=4, ffn=128, seed=4, post_ln=True,
                                 word_embed_proj_dim=32, eos_scale=1.2)),
    ("sharded x3", dict(layers=3, hidden=32, heads=4, ffn=64, seed=5, shards=3)),
    ("no model. prefix", dict(layers=2, hidden=32, heads=4, ffn=64, seed=6, no_prefix=True,
                              no_metadata=True)),
    ("untied lm_head", dict(layers=2, hidden=64, heads=4, ffn=128, seed=7, untied=True)),
]
# Run again with an exact fp32 KV cache (--cache-dtype f32): no half-precision allowance.
F32_CACHE_MODELS = [MODELS[0], MODELS[2]]


def requests_for():
    reqs = []
    for i, p in enumerate(PROMPTS):
        r = {"prompt": p}
        if i % 2 == 0:
            r["id"] = f"req-{i}"
        if i == 2:
            r["max_tokens"] = 5  # overrides --max-new-tokens
        reqs.append(r)
    return reqs


def texts_equal(got, want_bytes):
    """Strict equality when the reference bytes are valid UTF-8; otherwise the engine's policy
    for invalid sequences (U+FFFD count, dropping) is not part of the contract, so compare with
    every U+FFFD removed."""
    try:
        return got == want_bytes.decode("utf-8"), True
    except UnicodeDecodeError:
        want = want_bytes.decode("utf-8", errors="replace")
        return got.replace("\ufffd", "") == want.replace("\ufffd", ""), False


def check_model(ck, tmp, name, options, cache_dtype="auto"):
    """cache_dtype: strata's --cache-dtype, and the KV cache whose rounding noise the reference
    measures (auto: f16, bf16 for a bf16 model; f32: none)."""
    if cache_dtype != "auto":
        name = f"{name}, {cache_dtype} cache"
    print(f"model: {name} {options}")
    path = make_model(tmp, name.replace(" ", "_").replace(".", "").replace(",", ""), **options)
    ref = OPTReference(path, kv_dtype=cache_dtype)
    reqs = requests_for()
    work = os.path.join(tmp, "work-" + os.path.basename(path))
    os.makedirs(work)
    p, outs = common.run_requests(path, reqs, work,
                                  ["--max-new-tokens", MAX_NEW, "--batch-size", 8,
                                   "--cache-dtype", cache_dtype])
    if not common.check_run_ok(ck, p, outs, reqs, name):
        return None
    eos_seen = 0
    for i, (req, out) in enumerate(zip(reqs, outs)):
        what = f"{name} / prompt {i} ({len(req['prompt'])} chars)"
        want = ref.generate(req["prompt"], req.get("max_tokens", MAX_NEW))
        ck.check(out["prompt_tokens"] == len(want["prompt_ids"]),
                 f"{what}: prompt_tokens {out['prompt_tokens']} == reference "
                 f"{len(want['prompt_ids'])}")
        got = out["token_ids"]
        n = common.compare_greedy(ck, want, got, what)
        if n is None or n < len(want["token_ids"]):
            continue  # failed, or stopped at a near tie: the rest is not comparable
        eos_seen += want["finish_reason"] == "stop"
        ck.check(out["finish_reason"] == want["finish_reason"],
                 f"{what}: finish_reason {out['finish_reason']!r} == {want['finish_reason']!r}")
        body = got[:-1] if got and got[-1] == ref.eos else got
        equal, strict = texts_equal(out["text"], ref.tokenizer.decode_bytes(body))
        ck.check(equal, f"{what}: text equals the reference detokenization"
                 + ("" if strict else " (ignoring U+FFFD: invalid UTF-8 in the tokens)"),
                 f"got {out['text']!r}, want {ref.tokenizer.decode(body)!r}")
    ck.note(f"{name}: {eos_seen} sequences ended with eos")
    return path, outs


def check_generate(ck, path, outs):
    """`strata generate` prints the same completion as `strata run` for prompt 1."""
    p = common.run_strata(["generate", "--model", path, "--prompt", PROMPTS[1],
                           "--max-new-tokens", MAX_NEW])
    if not ck.check(p.returncode == 0, "strata generate succeeds", common.describe(p)):
        return
    want = outs[1]["text"]
    got = p.stdout[:-1] if p.stdout.endswith("\n") else p.stdout
    if "\ufffd" in want or "\ufffd" in got:
        got, want = got.replace("\ufffd", ""), want.replace("\ufffd", "")
    ck.check(got == want or got.rstrip("\n") == want.rstrip("\n"),
             "strata generate prints the completion of strata run",
             f"generate {p.stdout!r}, run {outs[1]['text']!r}")


def main():
    ck = Checker("greedy tokens vs float64 reference")
    common.strata_bin()
    with common.tempdir("greedy") as tmp:
        first = None
        for name, options in MODELS:
            r = check_model(ck, tmp, name, options)
            first = first or r
        for name, options in F32_CACHE_MODELS:
            check_model(ck, tmp, name, options, cache_dtype="f32")
        if first:
            check_generate(ck, *first)
    ck.finish()


if __name__ == "__main__":
    main()
