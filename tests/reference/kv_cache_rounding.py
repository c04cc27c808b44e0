"""The half-precision KV cache, simulated in the float64 references (opt_reference.py,
llama_reference.py), for the rule by which an end-to-end test accepts a greedy token that differs
from the reference's.

strata stores K and V rounded to f16 (bf16 for a bf16 model: `--cache-dtype auto`). A reference
built with kv_dtype "f16" or "bf16" measures, at every greedy step, kv_noise = max over the
vocabulary of |logits with K, V rounded to that dtype - exact logits| (both float64, on the same
prefix). A token may flip where the reference's top-1 margin is within reach of that noise: the
gap between two logits moves by at most 2 * kv_noise, and the engine's K, V (fp32 before
rounding) can round to the neighbouring half of the reference's, so up to twice the simulated
perturbation; tests/e2e/common.py KV_NOISE_FACTOR = 4 covers both. The exact (float64, unrounded)
logits stay the reference's tokens and margins.
"""

import json
import os

import numpy as np


def auto_kv_dtype(model_dir):
    """strata's --cache-dtype auto: bf16 for a bf16 checkpoint, else f16 (config torch_dtype, as
    the test models write it)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        dtype = json.load(f).get("torch_dtype", "float32")
    return "bf16" if dtype == "bfloat16" else "f16"


def round_kv(x, kv_dtype):
    """x (float64) rounded to the nearest f16 / bf16 value (ties to even), as float64; x itself for
    f32 or None."""
    if kv_dtype == "f16":
        return x.astype(np.float32).astype(np.float16).astype(np.float64)
    if kv_dtype == "bf16":
        bits = np.ascontiguousarray(x.astype(np.float32)).view(np.uint32).astype(np.uint64)
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        return bits.astype(np.uint32).view(np.float32).astype(np.float64)
    return x


def is_half(kv_dtype):
    return kv_dtype in ("f16", "bf16")
