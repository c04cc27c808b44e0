#!/usr/bin/python3
"""Quantization, compression and perplexity for the Llama-style families (issue 13, point 6).

For one small random checkpoint of each family (llama with GQA and llama3 RoPE, mistral with a
sliding window, qwen2 with q/k/v biases, qwen3 with q/k norms and head_dim != hidden / heads):
  - `strata perplexity` at stored precision equals the perplexity of the float64 reference
    forward (tests/reference/llama_reference.py) over the same windows ([bos] + up to window-1
    tokens, non-overlapping) to 1e-4 relative; with --compress-weight q4 it equals, to 1e-4
    relative, the reference's perplexity over the weights of the `convert --quant w4g64` store
    dequantized here from the documented layout; with --compress-weight q8 and with
    --compress-cache q8 it stays within 5% of stored precision;
  - `strata convert --quant w4g64` writes a store whose attention and MLP matrices are q4g64;
    runs from that store under offloaded placements (weights on disk, host, split over three
    tiers; cpu attention) give the tokens of `--compress-weight q4` all on device;
  - --compress-weight q8 and --compress-cache q4 each give, under offloaded placements, the
    tokens of the all-on-device run with the same compression (the invariance grid).
"""

import json
import math
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, run_strata  # noqa: E402

sys.path.insert(0, os.path.join(common.SOURCE_DIR, "scripts"))
sys.path.insert(0, os.path.join(common.SOURCE_DIR, "tests", "reference"))
import make_tiny_llama  # noqa: E402
from llama_reference import LlamaReference  # noqa: E402
from test_convert import read_manifest  # noqa: E402
from test_quant_store import dequantize  # noqa: E402

WINDOW = 24
TEXT = ("The quick brown fox jumps over the lazy dog. I'm 42 years old, aren't I? "
        "Café naïve résumé in Zürich; numbers 3.14159 and 2.71828. ") * 2
PROMPTS = ["Hello", "The quick brown fox jumps over the lazy dog.", "a",
           "We'll see: 3.14 > 3!"]
MODELS = [
    ("llama", dict(family="llama", kv_heads=2, rope_scaling="llama3", seed=21)),
    ("mistral", dict(family="mistral", kv_heads=2, sliding_window=6, dtype="f16", seed=22)),
    ("qwen2", dict(family="qwen2", kv_heads=1, tied=True, seed=23)),
    ("qwen3", dict(family="qwen3", hidden=64, heads=4, kv_heads=2, head_dim=24, seed=24)),
]
# The quantized matrices of a Llama-style layer (docs/quantization.md: every linear weight).
LINEAR = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
PLACEMENTS = [
    ("weights on disk, cache on the host", [0, 0, 0, 100, 100, 0]),
    ("weights over three tiers, cpu attention", [30, 30, 0, 100, 100, 0, "--cpu-attention"]),
    ("weights on the host, cache on disk", [0, 100, 0, 0, 100, 0, "--gpu-batch-size", 2,
                                            "--num-gpu-batches", 2]),
]
ON_DEVICE = ["--percent", 100, 0, 100, 0, 100, 0]


def reference_perplexity(ref, window):
    ids = ref.tokenizer.encode(TEXT)
    nll, n = 0.0, 0
    for at in range(0, len(ids), window - 1):
        w = [ref.bos] + ids[at:at + window - 1]
        logits = ref.forward(w)[:-1]
        top = logits.max(axis=-1, keepdims=True)
        logz = np.log(np.exp(logits - top).sum(axis=-1)) + top[:, 0]
        nll += float((logz - logits[np.arange(len(w) - 1), w[1:]]).sum())
        n += len(w) - 1
    return math.exp(nll / n), n


def perplexity(ck, model, text, args, what):
    p = run_strata(["perplexity", "--model", model, "--text", text, "--window", WINDOW] + args)
    if not ck.check(p.returncode == 0, f"{what}: strata perplexity {args}", common.describe(p)):
        return None
    return json.loads(p.stdout)


def dequantized_linear(store):
    """The store's q<bits>g<group> matrices decoded in float64, by reference weight name."""
    out = {}
    for t in read_manifest(store)[1]:
        m = re.fullmatch(r"q(\d)g(\d+)", t["dtype"])
        if not m:
            continue
        rows, cols = (int(x) for x in t["shape"].split(","))
        with open(os.path.join(store, t["file"]), "rb") as f:
            f.seek(int(t["offset"]))
            raw = f.read(int(t["length"]))
        name = t["name"][len("model."):] if t["name"].startswith("model.") else t["name"]
        out[name] = dequantize(raw, int(m[1]), int(m[2]), rows, cols)[0]
    return out


def check_perplexity(ck, tmp, name, model, store):
    text = os.path.join(tmp, "text.txt")
    with open(text, "w", encoding="utf-8") as f:
        f.write(TEXT)
    ref = LlamaReference(model)
    dense = None
    for args, weights in (([], {}), (["--compress-weight", "q4"], store and
                                     dequantized_linear(store))):
        if weights is None:
            continue
        unknown = set(weights) - set(ref.w)
        if not ck.check(not unknown, f"{name}: the store's quantized tensors are the "
                        "reference's", str(sorted(unknown))):
            continue
        ref.w.update(weights)
        want, tokens = reference_perplexity(ref, WINDOW)
        got = perplexity(ck, model, text, args, name)
        dense = got if not args else dense
        if got is not None:
            ck.check(got["tokens"] == tokens and abs(got["perplexity"] / want - 1) < 1e-4,
                     f"{' '.join([name] + args)}: perplexity {got['perplexity']:.6f} over "
                     f"{got['tokens']} tokens equals the float64 reference's {want:.6f} over "
                     f"{tokens}" + (" (dequantized store weights)" if weights else ""))
    if dense is None:
        return
    for args, bound in ((["--compress-weight", "q8"], 0.05), (["--compress-cache", "q8"], 0.05)):
        r = perplexity(ck, model, text, args, name)
        if r is not None:
            ratio = r["perplexity"] / dense["perplexity"]
            ck.check(math.isfinite(ratio) and abs(ratio - 1) < bound,
                     f"{name} {' '.join(args)}: perplexity {r['perplexity']:.4f}, "
                     f"{ratio:.4f} x stored precision (bound {bound})")


def check_store(ck, name, store):
    _, tensors = read_manifest(store)
    dtypes = {t["name"]: t["dtype"] for t in tensors}
    linear = [n for n in dtypes if n.endswith(tuple(f"{x}.weight" for x in LINEAR))]
    ck.check(len(linear) == 7 * 2 and all(dtypes[n] == "q4g64" for n in linear) and
             all(not d.startswith("q") for n, d in dtypes.items() if n not in linear),
             f"{name}: convert --quant w4g64 quantizes the 14 linear matrices and nothing else",
             str(dtypes))


def grid(ck, tmp, name, model, reqs, offload, args, want, what):
    for label, placement in PLACEMENTS:
        p, got = common.run_requests(model, reqs, tmp, args + ["--percent"] + placement +
                                     ["--offload-dir", offload])
        ck.check(p.returncode == 0 and got is not None and want is not None and
                 [g["token_ids"] for g in got] == want,
                 f"{name} {what}, {label}: the all-on-device tokens of the same compression",
                 common.describe(p))


def check_model(ck, tmp, name, options):
    model = os.path.join(tmp, name)
    make_tiny_llama.make_model(model, layers=2, **options)
    reqs = [{"id": f"r{i}", "prompt": p, "max_tokens": 6} for i, p in enumerate(PROMPTS)]
    offload = os.path.join(tmp, "offload")
    os.makedirs(offload, exist_ok=True)

    def on_device(args):
        p, got = common.run_requests(model, reqs, tmp, args + ON_DEVICE)
        ok = common.check_run_ok(ck, p, got, reqs, f"{name} {' '.join(args)} all on device")
        return [g["token_ids"] for g in got] if ok else None

    q4 = on_device(["--compress-weight", "q4"])
    store = os.path.join(tmp, f"{name}-w4g64")
    p = run_strata(["convert", "--model", model, "--out", store, "--quant", "w4g64"])
    converted = ck.check(p.returncode == 0, f"{name}: convert --quant w4g64", common.describe(p))
    check_perplexity(ck, tmp, name, model, store if converted else None)
    if converted:
        check_store(ck, name, store)
        p, got = common.run_requests(store, reqs, tmp, ON_DEVICE)
        ck.check(got is not None and [g["token_ids"] for g in got] == q4,
                 f"{name}: the w4g64 store all on device gives the --compress-weight q4 tokens",
                 common.describe(p))
        grid(ck, tmp, name, store, reqs, offload, [], q4, "w4g64 store")
    q8 = ["--compress-weight", "q8"]
    grid(ck, tmp, name, model, reqs, offload, q8, on_device(q8), "--compress-weight q8")
    cache4 = ["--compress-cache", "q4"]
    grid(ck, tmp, name, model, reqs, offload, cache4, on_device(cache4), "--compress-cache q4")


def main():
    ck = Checker("model families: quantization, compression, perplexity")
    common.strata_bin()
    with common.tempdir("family-quant") as tmp:
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
        for name, options in MODELS:
            check_model(ck, tmp, name, options)
    ck.finish()


if __name__ == "__main__":
    main()
