#!/usr/bin/python3
"""Llama, Mistral, Qwen2 and Qwen3 (issue 13): greedy tokens of `strata run` on small random
checkpoints of each family equal the float64 reference (tests/reference/llama_reference.py,
written separately from transformers' modeling files, no KV cache). Variants: grouped-query
attention with 1 and 2 KV heads, head_dim != hidden / heads, f32, f16 and bf16, sharded, tied
and untied heads, llama3 and linear RoPE scaling, a Mistral sliding window shorter than the
prompts. Every model also runs under offloaded policies (weights and KV cache on the host and
on disk, cpu_attention, compressed KV cache) and several batch sizes: the tokens must equal
the all-on-device run's (compression: the all-on-device run of the same compression).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker  # noqa: E402

sys.path.insert(0, os.path.join(common.SOURCE_DIR, "scripts"))
sys.path.insert(0, os.path.join(common.SOURCE_DIR, "tests", "reference"))
import make_tiny_llama  # noqa: E402
from llama_reference import LlamaReference  # noqa: E402

MAX_NEW = 8
PROMPTS = ["Hello", "The quick brown fox jumps over the lazy dog.", "a",
           "I'm 42 years old, aren't I? We'll see: 3.14 > 3!", "Café naïve résumé in Zürich"]
MODELS = [
    ("llama gqa-2 llama3-rope untied", dict(family="llama", kv_heads=2, rope_scaling="llama3",
                                            seed=11)),
    ("llama mqa tied bf16 linear-rope", dict(family="llama", kv_heads=1, tied=True, dtype="bf16",
                                             rope_scaling="linear", seed=12)),
    ("mistral window 6 f16", dict(family="mistral", kv_heads=2, sliding_window=6, dtype="f16",
                                  seed=13)),
    ("qwen2 biases sharded", dict(family="qwen2", kv_heads=2, shards=3, tied=True, seed=14)),
    ("qwen3 head_dim 24", dict(family="qwen3", hidden=64, heads=4, kv_heads=2, head_dim=24,
                               seed=15)),
]
POLICIES = [
    ("weights and cache on the host", ["--percent", 0, 100, 0, 100, 100, 0,
                                       "--gpu-batch-size", 2, "--num-gpu-batches", 2]),
    ("weights on disk, cpu attention", ["--percent", 50, 0, 0, 100, 100, 0, "--cpu-attention",
                                        "--gpu-batch-size", 3, "--num-gpu-batches", 1]),
    ("cache on disk", ["--percent", 100, 0, 0, 0, 100, 0, "--gpu-batch-size", 1,
                       "--num-gpu-batches", 2]),
]


def check_model(ck, tmp, name, options):
    model = os.path.join(tmp, name.replace(" ", "-"))
    make_tiny_llama.make_model(model, layers=2, **options)
    reqs = [{"id": f"r{i}", "prompt": p, "max_tokens": MAX_NEW} for i, p in enumerate(PROMPTS)]
    p, got = common.run_requests(model, reqs, tmp, ["--batch-size", 5, "--policy", "in-memory"])
    if not common.check_run_ok(ck, p, got, reqs, name):
        return
    ref = LlamaReference(model)
    for r, g in zip(reqs, got):
        want = ref.generate(r["prompt"], MAX_NEW)
        ck.check(g["prompt_tokens"] == len(want["prompt_ids"]),
                 f"{name} {r['id']}: prompt tokens as the reference's")
        common.compare_greedy(ck, want, g["token_ids"], f"{name} {r['id']}")
    base = [g["token_ids"] for g in got]
    offload = os.path.join(tmp, "offload")
    os.makedirs(offload, exist_ok=True)
    for what, flags in POLICIES:
        p, out = common.run_requests(model, reqs, tmp, ["--offload-dir", offload] + flags)
        ck.check(p.returncode == 0 and out is not None and [o["token_ids"] for o in out] == base,
                 f"{name}, {what}: the all-on-device tokens", common.describe(p))
    p, one = common.run_requests(model, reqs, tmp, ["--batch-size", 1, "--policy", "in-memory"])
    ck.check(one is not None and [o["token_ids"] for o in one] == base,
             f"{name}: batch size 1 gives the batch-5 tokens", common.describe(p))
    q8 = ["--compress-cache", "q8", "--gpu-batch-size", 5, "--num-gpu-batches", 1]
    _, dev = common.run_requests(model, reqs, tmp, ["--percent", 100, 0, 100, 0, 100, 0] + q8)
    _, host = common.run_requests(model, reqs, tmp, ["--percent", 100, 0, 0, 100, 100, 0,
                                                     "--cpu-attention"] + q8)
    ck.check(dev is not None and host is not None and
             [o["token_ids"] for o in dev] == [o["token_ids"] for o in host],
             f"{name}: a q8 KV cache on the host with cpu attention equals it on the device")


def main():
    ck = Checker("model families vs reference")
    common.strata_bin()
    with common.tempdir("families") as tmp:
        for name, options in MODELS:
            check_model(ck, tmp, name, options)
    ck.finish()


if __name__ == "__main__":
    main()
