#!/usr/bin/python3
"""Writes a small random Llama-style checkpoint (llama, mistral, qwen2 or qwen3) in Hugging Face
layout, for tests.

    make_tiny_llama.py --out DIR [--family llama] [--layers 2] [--hidden 64] [--heads 4]
                       [--kv-heads 2] [--head-dim D] [--ffn 128] [--max-positions 128]
                       [--seed 0] [--dtype f32|f16|bf16] [--shards N] [--tied]
                       [--rope-scaling llama3|linear|dynamic] [--sliding-window W]

DIR receives config.json as transformers' LlamaConfig / MistralConfig / Qwen2Config /
Qwen3Config write it, model.safetensors (or shards and the index), and the same small GPT-2
style vocab.json / merges.txt as make_tiny_opt.py (the tokenizer does not depend on the family).
Weights are random and deterministic from --seed, scaled so greedy logits are well separated.
"""

import argparse
import collections
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_tiny_opt as opt  # noqa: E402

BOS_ID, EOS_ID = 2, 2


def make_config(a, vocab_size):
    cfg = {
        "architectures": [{"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM",
                           "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM"}[a.family]],
        "model_type": a.family,
        "vocab_size": vocab_size,
        "hidden_size": a.hidden,
        "intermediate_size": a.ffn,
        "num_hidden_layers": a.layers,
        "num_attention_heads": a.heads,
        "num_key_value_heads": a.kv_heads,
        "head_dim": a.head_dim,
        "max_position_embeddings": a.max_positions,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "hidden_act": "silu",
        "tie_word_embeddings": a.tied,
        "bos_token_id": BOS_ID,
        "eos_token_id": [EOS_ID, 1] if a.family == "llama" else EOS_ID,
        "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[a.dtype],
        "transformers_version": "4.51.0",
    }
    if a.family in ("llama", "qwen3"):
        cfg["attention_bias"] = False
    if a.family == "llama":
        cfg["mlp_bias"] = False
    if a.family == "mistral":
        cfg["sliding_window"] = a.sliding_window
    if a.family in ("qwen2", "qwen3"):
        cfg["use_sliding_window"] = False
    if a.rope_scaling == "llama3":
        cfg["rope_scaling"] = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                               "high_freq_factor": 4.0, "original_max_position_embeddings": 32}
    elif a.rope_scaling in ("linear", "dynamic"):
        cfg["rope_scaling"] = {"type": a.rope_scaling, "factor": 2.0}
    return cfg


def build_tensors(cfg, n_tokens, seed):
    rng = np.random.default_rng(seed)
    V, H, F, L = (cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"],
                  cfg["num_hidden_layers"])
    Q = cfg["num_attention_heads"] * cfg["head_dim"]
    KV = cfg["num_key_value_heads"] * cfg["head_dim"]
    family = cfg["model_type"]
    f32 = np.float32

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(f32)

    def token_rows():
        w = normal((V, H), 2.5 / math.sqrt(H))
        w[n_tokens:] = 0.0
        for i in (0, 1, 3):  # <s>, <pad>, <unk>: keep them out of greedy output
            w[i] *= opt.ROW_SHRINK_SPECIAL
        return w

    t = collections.OrderedDict()
    t["model.embed_tokens.weight"] = token_rows()
    for i in range(L):
        p = f"model.layers.{i}."
        qkv_bias = family == "qwen2"
        for name, rows in (("q_proj", Q), ("k_proj", KV), ("v_proj", KV)):
            t[p + f"self_attn.{name}.weight"] = normal((rows, H), 1.0 / math.sqrt(H))
            if qkv_bias:
                t[p + f"self_attn.{name}.bias"] = normal((rows,), 0.3)
        t[p + "self_attn.o_proj.weight"] = normal((H, Q), 0.7 / math.sqrt(Q))
        if family == "qwen3":
            t[p + "self_attn.q_norm.weight"] = (1.0 + normal((cfg["head_dim"],), 0.1)).astype(f32)
            t[p + "self_attn.k_norm.weight"] = (1.0 + normal((cfg["head_dim"],), 0.1)).astype(f32)
        t[p + "input_layernorm.weight"] = (1.0 + normal((H,), 0.1)).astype(f32)
        t[p + "mlp.gate_proj.weight"] = normal((F, H), 1.0 / math.sqrt(H))
        t[p + "mlp.up_proj.weight"] = normal((F, H), 1.0 / math.sqrt(H))
        t[p + "mlp.down_proj.weight"] = normal((H, F), 1.4 / math.sqrt(F))
        t[p + "post_attention_layernorm.weight"] = (1.0 + normal((H,), 0.1)).astype(f32)
    t["model.norm.weight"] = (1.0 + normal((H,), 0.1)).astype(f32)
    if not cfg["tie_word_embeddings"]:
        t["lm_head.weight"] = token_rows()
    return t


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--family", choices=["llama", "mistral", "qwen2", "qwen3"], default="llama")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=None, help="default hidden / heads")
    p.add_argument("--ffn", type=int, default=None, help="default 2 * hidden")
    p.add_argument("--max-positions", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--tied", action="store_true", help="lm_head tied to embed_tokens")
    p.add_argument("--rope-scaling", choices=["llama3", "linear", "dynamic"], default=None)
    p.add_argument("--sliding-window", type=int, default=None, help="mistral only")
    p.add_argument("--vocab-merges", type=int, default=90)
    a = p.parse_args(argv)
    a.head_dim = a.head_dim or a.hidden // a.heads
    a.ffn = a.ffn or 2 * a.hidden
    return a


def make_model(out, **kw):
    """As make_tiny_opt.make_model: keyword arguments are the CLI options with underscores."""
    argv = ["--out", str(out)]
    for key, value in kw.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is not False and value is not None:
            argv += [flag, str(value)]
    return run(parse_args(argv))


def run(a):
    os.makedirs(a.out, exist_ok=True)
    vocab, merges = opt.build_vocab(a.vocab_merges)
    cfg = make_config(a, (len(vocab) + 7) // 8 * 8)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    opt.write_weights(a.out, build_tensors(cfg, len(vocab), a.seed), a.dtype, a.shards)
    opt.write_tokenizer(a.out, vocab, merges)
    return cfg


if __name__ == "__main__":
    run(parse_args())
