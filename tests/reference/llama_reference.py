#!/usr/bin/python3
"""Independent float64 numpy forward and greedy generator for Llama-style models (llama,
mistral, qwen2, qwen3), the reference of the e2e tests, written from transformers'
modeling_llama / modeling_mistral / modeling_qwen2 / modeling_qwen3, without a KV cache:

  h          = embed_tokens[ids]
  each layer x = rms(h) * input_layernorm
             q = x Wq^T (+bq), k, v likewise (bias: qwen2 q/k/v; llama/qwen3 when attention_bias)
             qwen3: q, k = rms(each head of q) * q_norm, rms(each head of k) * k_norm
             q, k rotated: rotate_half layout, angle = position * inv_freq[i]
             scores = q k^T / sqrt(head_dim), KV head of query head h = h // (heads / kv_heads),
             causal (and key > query - sliding_window for mistral); softmax; o_proj
             h += attn;  x = rms(h) * post_attention_layernorm;
             h += down(silu(gate(x)) * up(x))
  logits     = rms(h) * norm . lm_head^T (lm_head = embed_tokens when tied)
  rms(x)     = x / sqrt(mean(x^2) + rms_norm_eps)
  inv_freq   = theta ** (-2i/d); linear: / factor; llama3: transformers' wavelength bands.

Usage: llama_reference.py MODEL_DIR "prompt" [max_new_tokens] prints ids and text.
"""

import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_tokenizer import GPT2Tokenizer  # noqa: E402
from kv_cache_rounding import auto_kv_dtype, is_half, round_kv  # noqa: E402
from safetensors_reader import load_model_dir  # noqa: E402


def inv_freq(cfg, d):
    theta = cfg.get("rope_theta", 10000.0)
    scaling = cfg.get("rope_scaling") or {}
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    f = np.array([theta ** (-(2.0 * i) / d) for i in range(d // 2)])
    if kind == "linear":
        return f / scaling["factor"]
    if kind == "llama3":
        factor, lo, hi = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        out = []
        for v in f:
            wavelen = 2 * math.pi / v
            if wavelen < old / hi:
                out.append(v)
            elif wavelen > old / lo:
                out.append(v / factor)
            else:
                smooth = (old / wavelen - lo) / (hi - lo)
                out.append((1 - smooth) * v / factor + smooth * v)
        return np.array(out)
    if kind not in ("default", "dynamic"):  # dynamic equals default within the trained context
        raise ValueError(f"rope type {kind}")
    return f


def rms(x, w, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * w


class LlamaReference:
    def __init__(self, model_dir, kv_dtype="auto"):
        # The KV cache dtype whose rounding noise generate() measures (kv_cache_rounding.py).
        self.kv_dtype = auto_kv_dtype(model_dir) if kv_dtype == "auto" else kv_dtype
        self._round_kv = None  # set while measuring: K (after RoPE, as cached), V rounded
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = c = json.load(f)
        self.family = c["model_type"]
        self.w = {k: v.astype(np.float64) for k, v in load_model_dir(model_dir).items()}
        self.L, self.H = c["num_hidden_layers"], c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.nkv = c.get("num_key_value_heads", self.nh)
        self.d = c.get("head_dim") or self.H // self.nh
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.window = c.get("sliding_window") if self.family == "mistral" else None
        self.inv_freq = inv_freq(c, self.d)
        self.embed = self.w["embed_tokens.weight"]
        tied = c.get("tie_word_embeddings", False)
        self.lm_head = self.embed if tied else self.w["lm_head.weight"]
        self.bos = c.get("bos_token_id", 1)
        eos = c.get("eos_token_id", 2)
        self.eos = set(eos if isinstance(eos, list) else [eos])
        self.tokenizer = GPT2Tokenizer.from_model_dir(model_dir)

    def _rotate(self, x, positions):
        # x: [T, heads, d]
        ang = positions[:, None] * self.inv_freq[None, :]  # [T, d/2]
        cos = np.concatenate([np.cos(ang)] * 2, axis=-1)[:, None, :]
        sin = np.concatenate([np.sin(ang)] * 2, axis=-1)[:, None, :]
        half = self.d // 2
        rotated = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
        return x * cos + rotated * sin

    def _attention(self, x, p):
        T = x.shape[0]
        w = self.w

        def proj(name, heads):
            y = x @ w[p + f"self_attn.{name}.weight"].T
            if p + f"self_attn.{name}.bias" in w:
                y = y + w[p + f"self_attn.{name}.bias"]
            return y.reshape(T, heads, self.d)

        q, k, v = proj("q_proj", self.nh), proj("k_proj", self.nkv), proj("v_proj", self.nkv)
        if self.family == "qwen3":
            q = rms(q, w[p + "self_attn.q_norm.weight"], self.eps)
            k = rms(k, w[p + "self_attn.k_norm.weight"], self.eps)
        pos = np.arange(T, dtype=np.float64)
        q, k = self._rotate(q, pos), self._rotate(k, pos)
        if self._round_kv:
            k, v = round_kv(k, self._round_kv), round_kv(v, self._round_kv)
        group = self.nh // self.nkv
        out = np.zeros((T, self.nh, self.d))
        i, j = np.arange(T)[:, None], np.arange(T)[None, :]
        allowed = j <= i
        if self.window:
            allowed &= j > i - self.window
        for h in range(self.nh):
            s = q[:, h] @ k[:, h // group].T / math.sqrt(self.d)
            s = np.where(allowed, s, -np.inf)
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            out[:, h] = (s / s.sum(axis=-1, keepdims=True)) @ v[:, h // group]
        y = out.reshape(T, self.nh * self.d) @ w[p + "self_attn.o_proj.weight"].T
        if p + "self_attn.o_proj.bias" in w:
            y = y + w[p + "self_attn.o_proj.bias"]
        return y

    def _linear(self, x, name):
        y = x @ self.w[name + ".weight"].T
        return y + self.w[name + ".bias"] if name + ".bias" in self.w else y

    def forward(self, ids):
        """Logits [T, vocab] (float64) of one unpadded sequence."""
        h = self.embed[np.asarray(ids)]
        for i in range(self.L):
            p = f"layers.{i}."
            h = h + self._attention(rms(h, self.w[p + "input_layernorm.weight"], self.eps), p)
            x = rms(h, self.w[p + "post_attention_layernorm.weight"], self.eps)
            gate = self._linear(x, p + "mlp.gate_proj")
            up = self._linear(x, p + "mlp.up_proj")
            h = h + self._linear(gate / (1.0 + np.exp(-gate)) * up, p + "mlp.down_proj")
        return rms(h, self.w["norm.weight"], self.eps) @ self.lm_head.T

    def _kv_noise(self, ids, logits):
        """max |logits with a half K/V cache - exact logits| at this step (kv_cache_rounding.py)."""
        if not is_half(self.kv_dtype):
            return 0.0
        self._round_kv = self.kv_dtype
        try:
            rounded = self.forward(ids)[-1]
        finally:
            self._round_kv = None
        return float(np.abs(rounded - logits).max())

    def prompt_ids(self, prompt):
        return [self.bos] + self.tokenizer.encode(prompt)

    def generate(self, prompt, max_new_tokens):
        """dict(prompt_ids, token_ids, margins, text, finish_reason); stops at any eos id."""
        pids = self.prompt_ids(prompt)
        ids, out, margins, noise = list(pids), [], [], []
        for _ in range(max_new_tokens):
            logits = self.forward(ids)[-1]
            noise.append(self._kv_noise(ids, logits))
            best = int(np.argmax(logits))
            margins.append(float(logits[best] - np.partition(logits, -2)[-2]))
            out.append(best)
            ids.append(best)
            if best in self.eos:
                break
        finish = "stop" if out and out[-1] in self.eos else "length"
        return {"prompt_ids": pids, "token_ids": out, "margins": margins, "kv_noise": noise,
                "text": self.tokenizer.decode(out), "finish_reason": finish}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    r = LlamaReference(argv[1]).generate(argv[2], int(argv[3]) if len(argv) > 3 else 12)
    print(json.dumps({k: r[k] for k in ("prompt_ids", "token_ids", "text", "finish_reason")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
