#!/usr/bin/python3
"""Independent float64 numpy OPT forward and greedy generator (reference for e2e tests).

Written from transformers' modeling_opt (OPTForCausalLM), without KV cache:
  positions   = cumsum(attention_mask) * attention_mask - 1, looked up at +2 in embed_positions
  h           = project_in(embed_tokens(ids)) + embed_positions(positions)   (project_in if P != H)
  each layer  pre-LN  (do_layer_norm_before):  h = h + attn(ln1(h));  h = h + fc2(relu(fc1(ln2(h))))
              post-LN (opt-350m):              h = ln1(h + attn(h));  h = ln2(h + fc2(relu(fc1(h))))
  attn        q = (x Wq^T + bq) * head_dim**-0.5, k, v likewise unscaled; softmax(q k^T + mask) v,
              mask = causal and key not padding; then out_proj
  final       h = final_layer_norm(h) (pre-LN only, unless _remove_final_layer_norm);
              h = project_out(h) (if P != H); logits = h lm_head^T, lm_head tied to embed_tokens
              unless lm_head.weight exists
  layer norm  eps 1e-5, biased variance.

Usage as a script: opt_reference.py MODEL_DIR "prompt" [max_new_tokens] prints ids and text.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_tokenizer import GPT2Tokenizer  # noqa: E402
from kv_cache_rounding import auto_kv_dtype, is_half, round_kv  # noqa: E402
from safetensors_reader import load_model_dir  # noqa: E402

LN_EPS = 1e-5
POSITION_OFFSET = 2  # OPTLearnedPositionalEmbedding.offset


def layer_norm(x, w, b):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + LN_EPS) * w + b


class OPTReference:
    def __init__(self, model_dir, kv_dtype="auto"):
        # The KV cache dtype whose rounding noise generate() measures (kv_cache_rounding.py).
        self.kv_dtype = auto_kv_dtype(model_dir) if kv_dtype == "auto" else kv_dtype
        self._round_kv = None  # set while measuring: K, V rounded to this dtype
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = json.load(f)
        c = self.cfg
        if c.get("model_type") != "opt":
            raise ValueError(f"not an OPT config: {c.get('model_type')}")
        self.H = c["hidden_size"]
        self.P = c.get("word_embed_proj_dim", self.H)
        self.n_heads = c["num_attention_heads"]
        self.n_layers = c["num_hidden_layers"]
        self.pre_ln = c.get("do_layer_norm_before", True)
        self.max_positions = c["max_position_embeddings"]
        self.eos = c["eos_token_id"]
        self.bos = c["bos_token_id"]
        act = c.get("activation_function", "relu")
        if act != "relu":
            raise ValueError(f"activation {act} not supported by the reference")
        self.w = load_model_dir(model_dir)
        d = "decoder."
        self.embed = self.w[d + "embed_tokens.weight"]
        self.lm_head = self.w.get("lm_head.weight", self.embed)
        self.vocab_size = c["vocab_size"]
        self._check_shapes()
        self.tokenizer = GPT2Tokenizer.from_model_dir(model_dir)

    def _check_shapes(self):
        V, H, P, F = self.vocab_size, self.H, self.P, self.cfg["ffn_dim"]
        d = "decoder."
        want = {d + "embed_tokens.weight": (V, P),
                d + "embed_positions.weight": (self.max_positions + POSITION_OFFSET, H)}
        if P != H:
            want[d + "project_in.weight"] = (H, P)
            want[d + "project_out.weight"] = (P, H)
        if self._has_final_ln():
            want[d + "final_layer_norm.weight"] = (H,)
            want[d + "final_layer_norm.bias"] = (H,)
        for i in range(self.n_layers):
            p = f"{d}layers.{i}."
            for n in ("q_proj", "k_proj", "v_proj", "out_proj"):
                want[p + f"self_attn.{n}.weight"] = (H, H)
                want[p + f"self_attn.{n}.bias"] = (H,)
            for n in ("self_attn_layer_norm", "final_layer_norm"):
                want[p + n + ".weight"] = (H,)
                want[p + n + ".bias"] = (H,)
            want[p + "fc1.weight"], want[p + "fc1.bias"] = (F, H), (F,)
            want[p + "fc2.weight"], want[p + "fc2.bias"] = (H, F), (H,)
        if "lm_head.weight" in self.w:
            want["lm_head.weight"] = (V, P)
        for name, shape in want.items():
            if name not in self.w:
                raise ValueError(f"missing tensor {name}")
            if tuple(self.w[name].shape) != shape:
                raise ValueError(f"tensor {name}: shape {self.w[name].shape}, expected {shape}")

    def _has_final_ln(self):
        return self.pre_ln and not self.cfg.get("_remove_final_layer_norm", False)

    def _attention(self, x, mask, p):
        # x: [B, T, H]; mask: [B, T] of 0/1
        B, T, H = x.shape
        nh, hd = self.n_heads, H // self.n_heads
        w = self.w

        def proj(name):
            return x @ w[p + f"self_attn.{name}.weight"].T + w[p + f"self_attn.{name}.bias"]

        q = proj("q_proj") * hd ** -0.5
        k, v = proj("k_proj"), proj("v_proj")
        if self._round_kv:
            k, v = round_kv(k, self._round_kv), round_kv(v, self._round_kv)
        q, k, v = (a.reshape(B, T, nh, hd).transpose(0, 2, 1, 3) for a in (q, k, v))
        scores = q @ k.transpose(0, 1, 3, 2)  # [B, nh, T, T]
        causal = np.tril(np.ones((T, T), dtype=bool))
        allowed = causal[None, :, :] & (mask[:, None, :] > 0)  # [B, Tq, Tk]
        scores = np.where(allowed[:, None], scores, -1e30)  # fully masked rows: uniform
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        out = (probs @ v).transpose(0, 2, 1, 3).reshape(B, T, H)
        return out @ w[p + "self_attn.out_proj.weight"].T + w[p + "self_attn.out_proj.bias"]

    def forward(self, ids, attention_mask=None):
        """Logits [B, T, vocab_size] (float64) for ids [B, T] (left padding allowed)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.ndim == 1:
            ids = ids[None]
        mask = np.ones_like(ids) if attention_mask is None else np.asarray(attention_mask)
        w, d = self.w, "decoder."
        positions = np.cumsum(mask, axis=1) * mask - 1
        if positions.max() >= self.max_positions:
            raise ValueError(f"sequence of {positions.max() + 1} tokens exceeds "
                             f"max_position_embeddings {self.max_positions}")
        h = self.embed[ids]
        if self.P != self.H:
            h = h @ w[d + "project_in.weight"].T
        h = h + w[d + "embed_positions.weight"][positions + POSITION_OFFSET]
        for i in range(self.n_layers):
            p = f"{d}layers.{i}."
            ln1 = (w[p + "self_attn_layer_norm.weight"], w[p + "self_attn_layer_norm.bias"])
            ln2 = (w[p + "final_layer_norm.weight"], w[p + "final_layer_norm.bias"])
            residual = h
            x = layer_norm(h, *ln1) if self.pre_ln else h
            h = residual + self._attention(x, mask, p)
            if not self.pre_ln:
                h = layer_norm(h, *ln1)
            residual = h
            x = layer_norm(h, *ln2) if self.pre_ln else h
            x = np.maximum(x @ w[p + "fc1.weight"].T + w[p + "fc1.bias"], 0.0)
            h = residual + (x @ w[p + "fc2.weight"].T + w[p + "fc2.bias"])
            if not self.pre_ln:
                h = layer_norm(h, *ln2)
        if self._has_final_ln():
            h = layer_norm(h, w[d + "final_layer_norm.weight"], w[d + "final_layer_norm.bias"])
        if self.P != self.H:
            h = h @ w[d + "project_out.weight"].T
        return h @ self.lm_head.T

    def prompt_ids(self, prompt):
        return [self.bos] + self.tokenizer.encode(prompt)

    def greedy(self, prompt_ids, max_new_tokens):
        """Greedy decoding, whole sequence recomputed each step. Stops after max_new_tokens or
        once eos is generated (eos included). Returns (generated ids, top-1 margins per step,
        half-cache logit noise per step: kv_cache_rounding.py; zeros for an f32 cache)."""
        ids, out, margins, noise = list(prompt_ids), [], [], []
        for _ in range(max_new_tokens):
            logits = self.forward(np.array([ids]))[0, -1]
            noise.append(self._kv_noise(ids, logits))
            best = int(np.argmax(logits))
            second = np.partition(logits, -2)[-2]
            out.append(best)
            margins.append(float(logits[best] - second))
            ids.append(best)
            if best == self.eos:
                break
        return out, margins, noise

    def _kv_noise(self, ids, logits):
        if not is_half(self.kv_dtype):
            return 0.0
        self._round_kv = self.kv_dtype
        try:
            rounded = self.forward(np.array([ids]))[0, -1]
        finally:
            self._round_kv = None
        return float(np.abs(rounded - logits).max())

    def generate(self, prompt, max_new_tokens):
        """dict(prompt_ids, token_ids, margins, text, finish_reason) for a text prompt."""
        pids = self.prompt_ids(prompt)
        toks, margins, noise = self.greedy(pids, max_new_tokens)
        finish = "stop" if toks and toks[-1] == self.eos else "length"
        return {"prompt_ids": pids, "token_ids": toks, "margins": margins, "kv_noise": noise,
                "text": self.tokenizer.decode(toks), "finish_reason": finish}


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    ref = OPTReference(argv[1])
    r = ref.generate(argv[2], int(argv[3]) if len(argv) > 3 else 12)
    print(json.dumps({k: r[k] for k in ("prompt_ids", "token_ids", "text", "finish_reason")},
                     ensure_ascii=False))
    print("min margin", min(r["margins"]) if r["margins"] else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
