"""The OPT decoder in plain torch, written to match transformers'
modeling_opt (OPTForCausalLM with do_layer_norm_before=True): pre-LayerNorm
blocks, learned positions with offset 2, ReLU FFN, final layer norm and an
lm_head tied to embed_tokens (no bias).

`hf_state_dict` / `load_hf_state_dict` use transformers' tensor names
(`model.decoder.layers.N....`), so the saved weights load in transformers
and in Strata unchanged.

Shapes: input_ids and attention_mask are [batch, seq] (mask 1 = real token,
0 = padding); hidden states are [batch, seq, hidden]; the additive attention
bias is [batch, 1, seq, seq]; logits are [batch, seq, vocab_size].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class OPTAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.scaling = self.head_dim ** -0.5
        self.q_proj = nn.Linear(hidden, hidden)
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def forward(self, x, mask_bias):
        b, t, d = x.shape
        q = self.q_proj(x) * self.scaling  # scaled after the projection (bias included)
        k = self.k_proj(x)
        v = self.v_proj(x)
        q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = v.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) + mask_bias
        probs = torch.softmax(scores.float(), dim=-1).to(v.dtype)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(out)


class OPTDecoderLayer(nn.Module):
    def __init__(self, hidden, heads, ffn, dropout):
        super().__init__()
        self.self_attn = OPTAttention(hidden, heads)
        self.self_attn_layer_norm = nn.LayerNorm(hidden, eps=1e-5)
        self.fc1 = nn.Linear(hidden, ffn)
        self.fc2 = nn.Linear(ffn, hidden)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=1e-5)
        self.dropout = dropout

    def forward(self, x, mask_bias):
        residual = x
        h = self.self_attn(self.self_attn_layer_norm(x), mask_bias)
        h = F.dropout(h, self.dropout, self.training)
        x = residual + h
        residual = x
        h = self.fc2(F.relu(self.fc1(self.final_layer_norm(x))))
        h = F.dropout(h, self.dropout, self.training)
        return residual + h


class OPTForCausalLM(nn.Module):
    # OPT's learned positions start at row 2 (a fairseq legacy), so
    # embed_positions has max_pos + 2 rows.
    POS_OFFSET = 2

    def __init__(self, vocab_size, hidden, layers, heads, ffn, max_pos, dropout=0.0):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab_size, hidden)
        self.embed_positions = nn.Embedding(max_pos + self.POS_OFFSET, hidden)
        self.layers = nn.ModuleList(
            [OPTDecoderLayer(hidden, heads, ffn, dropout) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(hidden, eps=1e-5)
        self.dropout = dropout
        self.max_pos = max_pos
        self.apply(self._init)

    @staticmethod
    def _init(m):  # transformers' OPT init: N(0, 0.02), zero biases
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask=None):
        b, t = input_ids.shape
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        mask = attention_mask.long()
        # transformers modeling_opt: positions = cumsum(mask) * mask - 1 + 2
        positions = (torch.cumsum(mask, dim=1) * mask) - 1 + self.POS_OFFSET
        x = self.embed_tokens(input_ids) + self.embed_positions(positions)
        x = F.dropout(x, self.dropout, self.training)
        neg = torch.finfo(x.dtype).min
        # mask_bias [b, 1, t, t]: 0 where query i may attend key j (j <= i and
        # key j is not padding), the dtype's minimum elsewhere.
        causal = torch.ones(t, t, dtype=torch.bool, device=x.device).tril()
        allowed = causal[None, None] & mask.bool()[:, None, None, :]
        mask_bias = torch.zeros(b, 1, t, t, dtype=x.dtype, device=x.device)
        mask_bias.masked_fill_(~allowed, neg)
        for layer in self.layers:
            x = layer(x, mask_bias)
        x = self.final_layer_norm(x)
        return F.linear(x, self.embed_tokens.weight)  # lm_head tied, no bias

    def hf_state_dict(self):
        out = {
            "model.decoder.embed_tokens.weight": self.embed_tokens.weight,
            "model.decoder.embed_positions.weight": self.embed_positions.weight,
            "model.decoder.final_layer_norm.weight": self.final_layer_norm.weight,
            "model.decoder.final_layer_norm.bias": self.final_layer_norm.bias,
        }
        for n, layer in enumerate(self.layers):
            for name, p in layer.named_parameters():
                out["model.decoder.layers.%d.%s" % (n, name)] = p
        return {k: v.detach() for k, v in out.items()}

    def load_hf_state_dict(self, tensors):
        own = self.hf_state_dict()
        missing = set(own) - set(tensors)
        extra = set(tensors) - set(own)
        if missing or extra:
            raise ValueError("state dict mismatch: missing %s extra %s" % (missing, extra))
        with torch.no_grad():
            for name, t in own.items():
                t.copy_(tensors[name])
