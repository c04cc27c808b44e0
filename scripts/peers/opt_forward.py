"""OPT's forward with a KV cache in torch ops (transformers' modeling_opt, pre-LN), for
torch_opt.py. Weights float32; every linear is y = x · wᵀ + b through `Linear`.

Shapes: token ids [B, T]; hidden states [B, T, H]; q/k/v [B, heads, T, head_dim]; the cache of
layer l is k_cache[l], v_cache[l]: [B, heads, prompt + gen, head_dim], filled in place.
"""

import ctypes
import time

import torch
import torch.nn.functional as F

POS_OFFSET = 2  # transformers modeling_opt: positions = cumsum(mask) - 1 + 2
LN_EPS = 1e-5


def openblas_corename():
    """The kernel family OpenBLAS runs in this process ("Cooperlake", "Haswell", ...; it follows
    OPENBLAS_CORETYPE, else the library's own CPU detection), or "" without OpenBLAS. Debian's
    libblas.so.3 that torch links is a wrapper over the same libopenblas.so.0."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return ""


class Linear:
    """y[rows, out] = x[rows, in] · w[out, in]ᵀ + b, by nn.Linear's BLAS path or by oneDNN."""

    def __init__(self, w, b, kind):
        self.kind = kind
        if kind == "onednn":  # reordered once into oneDNN's blocked layout
            self.w = w.to_mkldnn()
            self.b = b.to_mkldnn() if b is not None else None
        else:
            self.w, self.b = w, b

    def __call__(self, x):
        if self.kind == "onednn":
            return torch._C._nn.mkldnn_linear(x.to_mkldnn(), self.w, self.b).to_dense()
        return F.linear(x, self.w, self.b)


class OPTForward:
    def __init__(self, cfg, t, linear):
        self.H = cfg["hidden_size"]
        self.heads = cfg["num_attention_heads"]
        self.head_dim = self.H // self.heads
        self.scaling = self.head_dim ** -0.5
        d = "decoder."
        self.embed = t[d + "embed_tokens.weight"]          # [V, H]
        self.positions = t[d + "embed_positions.weight"]   # [max_pos + 2, H]
        self.final_ln = (t[d + "final_layer_norm.weight"], t[d + "final_layer_norm.bias"])
        lm_head = t.get("lm_head.weight", self.embed)       # tied unless given
        self.lm_head = Linear(lm_head, None, linear)
        self.layers = []
        for i in range(cfg["num_hidden_layers"]):
            p = f"{d}layers.{i}."

            def lin(name):
                return Linear(t[p + name + ".weight"], t[p + name + ".bias"], linear)

            self.layers.append({
                "ln1": (t[p + "self_attn_layer_norm.weight"], t[p + "self_attn_layer_norm.bias"]),
                "q": lin("self_attn.q_proj"), "k": lin("self_attn.k_proj"),
                "v": lin("self_attn.v_proj"), "out": lin("self_attn.out_proj"),
                "ln2": (t[p + "final_layer_norm.weight"], t[p + "final_layer_norm.bias"]),
                "fc1": lin("fc1"), "fc2": lin("fc2")})
        # Parameters the forward multiplies by (decoder linears and lm_head), for GFLOP/s and
        # the weight bytes a decode step reads.
        H, Fdim, V = self.H, cfg["ffn_dim"], lm_head.shape[0]
        self.params = len(self.layers) * (4 * H * H + 2 * H * Fdim) + V * H
        self.k_cache, self.v_cache = [], []

    def _split(self, x, B, T):  # [B*T, H] -> [B, heads, T, head_dim]
        return x.view(B, T, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, ids, start):
        """Logits [B, V] of the last position of ids [B, T] placed at positions start..start+T-1;
        writes their keys and values into the cache."""
        B, T = ids.shape
        H = self.H
        x = F.embedding(ids, self.embed) + self.positions[start + POS_OFFSET:
                                                          start + POS_OFFSET + T]
        mask = None
        if T > 1:  # causal, over the T new positions after `start` cached ones: [T, start + T]
            mask = torch.full((T, start + T), torch.finfo(x.dtype).min).triu(start + 1)
        for li, layer in enumerate(self.layers):
            h = F.layer_norm(x, (H,), *layer["ln1"], eps=LN_EPS).view(B * T, H)
            q = self._split(layer["q"](h) * self.scaling, B, T)
            self.k_cache[li][:, :, start:start + T] = self._split(layer["k"](h), B, T)
            self.v_cache[li][:, :, start:start + T] = self._split(layer["v"](h), B, T)
            keys = self.k_cache[li][:, :, :start + T]
            values = self.v_cache[li][:, :, :start + T]
            scores = torch.matmul(q, keys.transpose(-1, -2))  # [B, heads, T, start + T]
            if mask is not None:
                scores += mask
            probs = torch.softmax(scores, dim=-1)
            attn = torch.matmul(probs, values).transpose(1, 2).reshape(B * T, H)
            x = x + layer["out"](attn).view(B, T, H)
            h = F.layer_norm(x, (H,), *layer["ln2"], eps=LN_EPS).view(B * T, H)
            x = x + layer["fc2"](F.relu(layer["fc1"](h))).view(B, T, H)
        last = F.layer_norm(x[:, -1], (H,), *self.final_ln, eps=LN_EPS)
        return self.lm_head(last)

    def _reset_cache(self, B, length):
        shape = (B, self.heads, length, self.head_dim)
        self.k_cache = [torch.zeros(shape) for _ in self.layers]
        self.v_cache = [torch.zeros(shape) for _ in self.layers]

    def generate(self, prompts, gen_len, with_margins=False):
        """Greedy decoding of gen_len tokens after prompts [B, P]; timed as strata bench is."""
        B, P = prompts.shape
        tokens, margins = [], []

        def pick(logits):
            tok = torch.argmax(logits, dim=-1)
            tokens.append(tok)
            if with_margins:
                top = torch.topk(logits, 2, dim=-1).values
                margins.append(top[:, 0] - top[:, 1])
            return tok

        with torch.inference_mode():
            self._reset_cache(1, 1)
            self.forward(prompts[:1, :1], 0)  # warm-up: library start-up, first allocations
            self._reset_cache(B, P + gen_len)
            t0 = time.perf_counter()
            tok = pick(self.forward(prompts, 0))
            t1 = time.perf_counter()
            for step in range(1, gen_len):
                tok = pick(self.forward(tok[:, None], P + step - 1))
            t2 = time.perf_counter()
        self.k_cache, self.v_cache = [], []
        out = {"prefill_seconds": t1 - t0, "decode_seconds": t2 - t1}
        if with_margins:
            out["token_ids"] = torch.stack(tokens, dim=1).tolist()
            out["margins"] = torch.stack(margins, dim=1).tolist()
        return out
