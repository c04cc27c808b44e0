#!/usr/bin/python3
"""Train Strata's example model: a tiny OPT-architecture causal LM on the
fortune-cookie database shipped by Debian's `fortunes` packages.

Everything is done here, with nothing but Debian packages:
  * the corpus is read from /usr/share/games/fortunes (packages `fortunes`,
    `fortunes-min`) and cleaned;
  * a byte-level BPE vocabulary in GPT-2 file format (vocab.json + merges.txt)
    is trained on it (GPT-2's pre-tokenizer regex, rank-ordered merges);
  * an OPT decoder, written here in plain torch to match transformers'
    modeling_opt (pre-LayerNorm, learned positions with offset 2, ReLU FFN,
    tied lm_head), is trained on one CPU thread;
  * the result is saved in Hugging Face layout (config.json, F16
    model.safetensors written by hand, tokenizer files, model card) together
    with expected_greedy.json, reference greedy continuations computed in
    float32 from the saved F16 weights, for Strata's tests.

Needs: python3-torch (Debian 12: 1.13.1), python3-regex, python3-numpy,
fortunes, fortunes-min.  Run it with Debian's interpreter:

    nice -n 19 /usr/bin/python3 scripts/train_example_model.py

The run is deterministic for a given machine/torch build (seeded, one
thread).  See --help for the knobs.
"""

import argparse
import collections
import heapq
import json
import math
import os
import random
import struct
import sys
import time
import unicodedata

import numpy as np
import regex
import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]
BOS_ID = 2  # OPT uses </s> (id 2) as both bos and eos
EOS_ID = 2
PAD_ID = 1

GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)

# Prompts whose greedy continuations are recorded in expected_greedy.json.
GREEDY_PROMPTS = [
    "The secret of success is",
    "A computer is",
    "Never trust a man who",
    "Q: Why did the chicken cross the road?\nA:",
    "Love is",
    "The best way to",
]

DEFAULT_CORPUS_DIR = "/usr/share/games/fortunes"
# ascii-art is pictures, not prose.
DEFAULT_EXCLUDE = ["ascii-art"]


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------
# Corpus
# --------------------------------------------------------------------------

def list_fortune_files(corpus_dir, exclude):
    names = []
    for name in sorted(os.listdir(corpus_dir)):
        path = os.path.join(corpus_dir, name)
        if name.endswith(".dat") or name.endswith(".u8"):
            continue
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        if name in exclude:
            continue
        names.append(name)
    return names


def read_raw(path):
    data = open(path, "rb").read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_SPACES = regex.compile(r"[ \t]+")
_OVERSTRIKE = regex.compile(r".\x08")


def clean_fortune(text):
    """Normalises one fortune: drops overstrikes and control characters,
    re-flows hard-wrapped prose into one line per paragraph (short lines such
    as verse are kept), strips indentation and collapses runs of spaces."""
    text = _OVERSTRIKE.sub("", text)
    text = unicodedata.normalize("NFC", text.replace("\r", ""))
    text = "".join(
        ch for ch in text
        if ch == "\n" or ch == "\t" or not unicodedata.category(ch).startswith("C")
    )
    out = []  # list of [cleaned line, raw width of its last physical line]
    for raw in text.split("\n"):
        raw = raw.rstrip()
        line = _SPACES.sub(" ", raw).strip()
        width = len(raw.expandtabs(8))
        indented = raw[:1] in (" ", "\t")
        if (out and line and out[-1][0] and not indented
                and out[-1][1] >= 55 and not line.startswith("--")):
            out[-1][0] += " " + line
            out[-1][1] = width
        else:
            out.append([line, width])
    lines = [l for l, _ in out]
    text = "\n".join(lines).strip("\n")
    text = regex.sub(r"\n{3,}", "\n\n", text)
    return text


def looks_like_prose(text):
    if len(text) < 12:
        return False
    letters = sum(1 for ch in text if ch.isalpha() or ch == " ")
    return letters / len(text) >= 0.7


def load_corpus(corpus_dir, exclude):
    files = list_fortune_files(corpus_dir, exclude)
    if not files:
        sys.exit("no fortune files under %s: apt-get install fortunes fortunes-min" % corpus_dir)
    docs, seen, stats = [], set(), collections.Counter()
    for name in files:
        raw = read_raw(os.path.join(corpus_dir, name))
        for chunk in regex.split(r"(?m)^%\s*$", raw):
            stats["raw"] += 1
            text = clean_fortune(chunk)
            if not looks_like_prose(text):
                stats["not_prose"] += 1
                continue
            if text in seen:
                stats["duplicate"] += 1
                continue
            seen.add(text)
            docs.append(text)
    return files, docs, stats


# --------------------------------------------------------------------------
# Byte-level BPE (GPT-2 file format)
# --------------------------------------------------------------------------

# GPT-2's byte table: the one scripts/make_tiny_opt.py (beside this file) defines.
from make_tiny_opt import bytes_to_unicode  # noqa: E402

BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def pretokenize(text):
    return ["".join(BYTE_ENCODER[b] for b in piece.encode("utf-8"))
            for piece in GPT2_PATTERN.findall(text)]


def train_bpe(docs, vocab_size):
    """Classic BPE training on pre-tokenized words.  Returns (vocab, merges):
    vocab maps token string -> id (specials, then the 256 byte symbols in
    byte order, then merge results in merge order)."""
    counts = collections.Counter()
    for doc in docs:
        counts.update(pretokenize(doc))
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for b in range(256):
        vocab[BYTE_ENCODER[b]] = len(vocab)

    words = [list(w) for w in sorted(counts)]
    freqs = [counts[w] for w in sorted(counts)]
    pair_counts = collections.defaultdict(int)
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for pair in zip(w, w[1:]):
            pair_counts[pair] += freqs[i]
            where[pair].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    while len(vocab) < vocab_size and heap:
        negc, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc:
            continue  # stale heap entry
        if -negc < 2:
            break
        merges.append(pair)
        new = pair[0] + pair[1]
        if new not in vocab:
            vocab[new] = len(vocab)
        touched = set()
        for i in sorted(where.pop(pair, ())):
            w, f = words[i], freqs[i]
            for p in zip(w, w[1:]):
                pair_counts[p] -= f
                touched.add(p)
            nw, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == pair[0] and w[j + 1] == pair[1]:
                    nw.append(new)
                    j += 2
                else:
                    nw.append(w[j])
                    j += 1
            words[i] = nw
            for p in zip(nw, nw[1:]):
                pair_counts[p] += f
                where[p].add(i)
                touched.add(p)
        for p in touched:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            else:
                pair_counts.pop(p, None)
                where.pop(p, None)
    return vocab, merges


class Tokenizer:
    """GPT-2 style byte-level BPE encoder/decoder over vocab + ranked merges."""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.inv = {i: t for t, i in vocab.items()}
        self.ranks = {m: r for r, m in enumerate(merges)}
        self.cache = {}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = list(token)
        while len(word) > 1:
            best, best_rank = None, None
            for pair in zip(word, word[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            nw, j = [], 0
            while j < len(word):
                if j + 1 < len(word) and word[j] == best[0] and word[j + 1] == best[1]:
                    nw.append(best[0] + best[1])
                    j += 2
                else:
                    nw.append(word[j])
                    j += 1
            word = nw
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for piece in pretokenize(text):
            ids.extend(self.vocab[t] for t in self.bpe(piece))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            tok = self.inv.get(i)
            if tok is None or tok in SPECIAL_TOKENS:
                continue
            out.extend(BYTE_DECODER[ch] for ch in tok)
        return out.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------
# OPT model (mirrors transformers' modeling_opt, do_layer_norm_before=True)
# --------------------------------------------------------------------------

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
        positions = (torch.cumsum(mask, dim=1) * mask) - 1 + self.POS_OFFSET
        x = self.embed_tokens(input_ids) + self.embed_positions(positions)
        x = F.dropout(x, self.dropout, self.training)
        neg = torch.finfo(x.dtype).min
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


# --------------------------------------------------------------------------
# safetensors (written and read by hand)
# --------------------------------------------------------------------------

def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = tensors[name].to(torch.float16).contiguous().numpy()
        data = arr.astype("<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for data in blobs:
            f.write(data)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F16", info
        s, e = info["data_offsets"]
        arr = np.frombuffer(raw[base + s:base + e], dtype="<f2").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

def make_batches(docs, batch_tokens, rng, max_docs=64):
    """Length-bucketed batches: shuffle, sort chunks by length, cut by a padded
    token budget, shuffle the batches."""
    idx = list(range(len(docs)))
    rng.shuffle(idx)
    batches = []
    chunk = max(1, 100 * batch_tokens // 64)
    for s in range(0, len(idx), chunk):
        group = sorted(idx[s:s + chunk], key=lambda i: len(docs[i]))
        cur, cur_max = [], 0
        for i in group:
            m = max(cur_max, len(docs[i]))
            if cur and (m * (len(cur) + 1) > batch_tokens or len(cur) >= max_docs):
                batches.append(cur)
                cur, m = [], len(docs[i])
            cur.append(i)
            cur_max = m
        if cur:
            batches.append(cur)
    rng.shuffle(batches)
    return batches


def collate(docs, batch):
    t = max(len(docs[i]) for i in batch)
    ids = torch.full((len(batch), t), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(batch), t), dtype=torch.long)
    for r, i in enumerate(batch):
        d = docs[i]
        ids[r, :len(d)] = torch.tensor(d, dtype=torch.long)
        mask[r, :len(d)] = 1
    return ids, mask


def batch_loss(model, ids, mask, reduction="mean"):
    logits = model(ids, mask)[:, :-1]
    targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(),
                           targets.reshape(-1), ignore_index=-100, reduction=reduction)


@torch.no_grad()
def evaluate(model, docs, batch_tokens):
    model.eval()
    total, count = 0.0, 0
    for batch in make_batches(docs, batch_tokens, random.Random(0)):
        ids, mask = collate(docs, batch)
        total += batch_loss(model, ids, mask, reduction="sum").item()
        count += int(mask[:, 1:].sum())
    model.train()
    return total / count


@torch.no_grad()
def greedy(model, prompt_ids, new_tokens, max_pos):
    model.eval()
    ids = list(prompt_ids)
    out, margins = [], []
    for _ in range(new_tokens):
        if len(ids) >= max_pos:
            break
        logits = model(torch.tensor([ids]))[0, -1].float()
        top2 = torch.topk(logits, 2)
        nxt = int(top2.indices[0])
        margins.append(round(float(top2.values[0] - top2.values[1]), 4))
        out.append(nxt)
        ids.append(nxt)
        if nxt == EOS_ID:
            break
    model.train()
    return out, margins


def lr_at(step, total, peak, warmup, floor=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


# --------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------

def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent, ensure_ascii=False)
        f.write("\n")


def write_model_card(path, info):
    a = info["args"]
    samples = "\n".join(
        "| `%s` | %s |" % (s["prompt"].replace("\n", "\\n"),
                           s["text"].replace("\n", "\\n").replace("|", "\\|"))
        for s in info["samples"])
    card = f"""# {info['name']}

A tiny OPT-architecture causal language model trained from scratch on the
fortune-cookie database shipped by Debian.  It exists to be Strata's example
and test model: small enough to commit and to run anywhere, real enough that a
batch job on it prints readable (if silly) English.

## Data

* Source: the text files under `/usr/share/games/fortunes` installed by the
  Debian 12 packages `fortunes` ({info['fortunes_version']}) and `fortunes-min`
  ({info['fortunes_min_version']}).  Files used: {', '.join(info['files'])}
  (`{', '.join(DEFAULT_EXCLUDE)}` is skipped: pictures, not prose).
* License: the fortune data is distributed with fortune-mod under the BSD
  license stated in `/usr/share/doc/fortunes/copyright` (Copyright (c) 1991
  The Regents of the University of California), in Debian's `main` archive,
  so it is redistributable; individual quotations remain their authors'.
  This model is derived from that data and is distributed under the same
  terms.
* Cleaning: overstrikes and control characters removed, hard-wrapped prose
  re-flowed to one line per paragraph (short lines such as verse kept),
  indentation and repeated spaces removed, ASCII-art-like entries and exact
  duplicates dropped, entries longer than {a.max_pos - 2} tokens dropped.
* {info['n_docs']} fortunes: {info['n_train']} for training
  ({info['train_tokens']} tokens), {info['n_heldout']} held out
  ({info['heldout_tokens']} tokens).  Each document is `</s>` + text + `</s>`.

## Tokenizer

Byte-level BPE in GPT-2 file format (`vocab.json`, `merges.txt`), trained on
the training split: GPT-2's pre-tokenizer regex, ids 0-3 = `<s>`, `<pad>`,
`</s>`, `<unk>`, then the 256 byte symbols of GPT-2's `bytes_to_unicode` in
byte order, then {info['n_merges']} merges ({info['n_vocab']} tokens).  As with
OPT, `</s>` (id 2) is both the beginning and end of sequence marker and
`<pad>` (id 1) is padding; a prompt is encoded as `[2] + bpe(prompt)`.

## Model

OPT (transformers' `OPTForCausalLM` layout and tensor names):
{a.layers} layers, hidden size {a.hidden}, {a.heads} heads (head dim
{a.hidden // a.heads}), FFN {a.ffn} with ReLU, pre-LayerNorm
(`do_layer_norm_before`), learned positions for {a.max_pos} tokens (offset 2,
so `embed_positions` has {a.max_pos + 2} rows), final layer norm, `lm_head`
tied to `embed_tokens`, vocabulary {info['vocab_size']} (padded to a multiple
of 8).  {info['n_params']:,} parameters, stored as F16 in
`model.safetensors` ({info['safetensors_bytes']:,} bytes).

## Training

`scripts/train_example_model.py` (seed {a.seed}), Debian's python3-torch
{torch.__version__} on one CPU thread: {a.steps} AdamW steps (lr {a.lr},
cosine to 10%, {a.warmup} warm-up steps, weight decay {a.weight_decay},
dropout {a.dropout}), about {a.batch_tokens} padded tokens per batch
({info['epochs']:.1f} epochs), {info['train_minutes']:.1f} minutes.

| | loss (nats/token) | perplexity |
| --- | --- | --- |
| training, last 100 steps | {info['train_loss']:.3f} | {math.exp(info['train_loss']):.1f} |
| held-out, F16 weights | {info['heldout_loss']:.3f} | {info['heldout_ppl']:.1f} |

## Greedy samples (float32 compute on the F16 weights)

| prompt | continuation |
| --- | --- |
{samples}

`expected_greedy.json` holds these (ids, margins between the two best
logits at each step) so that tests can compare Strata's output with them.

## Intended use and limitations

A demo and test model for Strata only.  It knows nothing but the style of
fortune cookies: its text is fluent-looking nonsense, often ungrammatical,
and it reproduces fragments of quotations from the corpus.  It must not be
used for anything that needs facts or judgement.  The corpus comes from
decades-old Unix humour collections and some entries reflect the attitudes of
their time.
"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(card)


def dpkg_version(pkg):
    try:
        status = open("/var/lib/dpkg/status", encoding="utf-8").read()
    except OSError:
        return "unknown version"
    for block in status.split("\n\n"):
        if ("Package: %s\n" % pkg) in block:
            for line in block.split("\n"):
                if line.startswith("Version: "):
                    return "version " + line[len("Version: "):]
    return "unknown version"


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus-dir", default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--out", default=None,
                    help="output directory (default examples/models/<name>)")
    ap.add_argument("--name", default="opt-fortunes-tiny")
    ap.add_argument("--vocab", type=int, default=3072, help="tokens in the BPE vocabulary")
    ap.add_argument("--hidden", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=768)
    ap.add_argument("--max-pos", type=int, default=128)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch-tokens", type=int, default=2048)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--heldout-frac", type=float, default=0.05)
    ap.add_argument("--eval-every", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--greedy-tokens", type=int, default=24)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = args.out or os.path.join(repo, "examples", "models", args.name)
    os.makedirs(out_dir, exist_ok=True)
    t_start = time.time()

    # ---- corpus
    files, docs, stats = load_corpus(args.corpus_dir, set(DEFAULT_EXCLUDE))
    log("corpus: %d files, %d fortunes kept (%s)" % (len(files), len(docs), dict(stats)))
    rng = random.Random(args.seed)
    order = list(range(len(docs)))
    rng.shuffle(order)
    n_held = max(100, int(len(docs) * args.heldout_frac))
    held_text = [docs[i] for i in order[:n_held]]
    train_text = [docs[i] for i in order[n_held:]]

    # ---- tokenizer
    t0 = time.time()
    vocab, merges = train_bpe(train_text, args.vocab)
    tok = Tokenizer(vocab, merges)
    log("bpe: %d tokens, %d merges in %.1fs" % (len(vocab), len(merges), time.time() - t0))
    limit = args.max_pos - 2

    def encode_docs(texts):
        out, dropped = [], 0
        for t in texts:
            ids = tok.encode(t)
            if len(ids) > limit:
                dropped += 1
                continue
            out.append([BOS_ID] + ids + [EOS_ID])
        return out, dropped

    train_docs, d1 = encode_docs(train_text)
    held_docs, d2 = encode_docs(held_text)
    train_tokens = sum(len(d) for d in train_docs)
    held_tokens = sum(len(d) for d in held_docs)
    log("train: %d docs, %d tokens (%d too long dropped); held-out: %d docs, %d tokens (%d dropped)"
        % (len(train_docs), train_tokens, d1, len(held_docs), held_tokens, d2))

    # ---- model
    vocab_size = (len(vocab) + 7) // 8 * 8
    model = OPTForCausalLM(vocab_size, args.hidden, args.layers, args.heads, args.ffn,
                           args.max_pos, args.dropout)
    n_params = sum(p.numel() for p in model.parameters())
    log("model: %d params (vocab_size %d, hidden %d, layers %d, heads %d, ffn %d, max_pos %d)"
        % (n_params, vocab_size, args.hidden, args.layers, args.heads, args.ffn, args.max_pos))

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    prompts_ids = [[BOS_ID] + tok.encode(p) for p in GREEDY_PROMPTS]
    batches, bi, epoch, seen_tokens = [], 0, 0, 0
    recent = collections.deque(maxlen=100)
    t_train = time.time()
    model.train()
    for step in range(args.steps):
        if bi >= len(batches):
            batches = make_batches(train_docs, args.batch_tokens, rng)
            bi = 0
            epoch += 1
        ids, mask = collate(train_docs, batches[bi])
        bi += 1
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        loss = batch_loss(model, ids, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        recent.append(loss.item())
        seen_tokens += int(mask.sum())
        if (step + 1) % 25 == 0 or step == 0:
            el = time.time() - t_train
            log("step %5d/%d  epoch %d  loss %.3f  lr %.2e  %.0f tok/s  %.1f min"
                % (step + 1, args.steps, epoch, sum(recent) / len(recent),
                   opt.param_groups[0]["lr"], seen_tokens / el, el / 60))
        if (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            hl = evaluate(model, held_docs, args.batch_tokens)
            log("  held-out loss %.3f  ppl %.1f" % (hl, math.exp(hl)))
            g, _ = greedy(model, prompts_ids[0], args.greedy_tokens, args.max_pos)
            log("  sample: %r" % (GREEDY_PROMPTS[0] + tok.decode(g)))
    train_minutes = (time.time() - t_train) / 60
    train_loss = sum(recent) / len(recent)

    # ---- save
    vocab_out = dict(sorted(vocab.items(), key=lambda kv: kv[1]))
    write_json(os.path.join(out_dir, "vocab.json"), vocab_out, indent=None)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write("%s %s\n" % (a, b))
    write_json(os.path.join(out_dir, "special_tokens_map.json"), {
        "bos_token": "</s>", "eos_token": "</s>", "unk_token": "</s>", "pad_token": "<pad>"})
    write_json(os.path.join(out_dir, "tokenizer_config.json"), {
        "tokenizer_class": "GPT2Tokenizer", "add_bos_token": True, "add_prefix_space": False,
        "bos_token": "</s>", "eos_token": "</s>", "unk_token": "</s>", "pad_token": "<pad>",
        "model_max_length": args.max_pos, "errors": "replace"})
    config = {
        "_name_or_path": args.name,
        "model_type": "opt",
        "architectures": ["OPTForCausalLM"],
        "vocab_size": vocab_size,
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "ffn_dim": args.ffn,
        "num_attention_heads": args.heads,
        "max_position_embeddings": args.max_pos,
        "do_layer_norm_before": True,
        "word_embed_proj_dim": args.hidden,
        "activation_function": "relu",
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID,
        "torch_dtype": "float16",
        "enable_bias": True,
        "layer_norm_elementwise_affine": True,
        "tie_word_embeddings": True,
        "_remove_final_layer_norm": False,
        "dropout": args.dropout,
        "attention_dropout": 0.0,
        "activation_dropout": 0.0,
        "layerdrop": 0.0,
        "init_std": 0.02,
        "use_cache": True,
    }
    write_json(os.path.join(out_dir, "config.json"), config)
    st_path = os.path.join(out_dir, "model.safetensors")
    save_safetensors(st_path, model.hf_state_dict())

    # ---- reload the F16 weights, compute in float32
    ref = OPTForCausalLM(vocab_size, args.hidden, args.layers, args.heads, args.ffn,
                         args.max_pos, 0.0)
    ref.load_hf_state_dict(load_safetensors(st_path))
    ref.eval()
    held_loss = evaluate(ref, held_docs, args.batch_tokens)
    log("held-out (F16 weights): loss %.3f  ppl %.2f" % (held_loss, math.exp(held_loss)))

    samples = []
    for p, pids in zip(GREEDY_PROMPTS, prompts_ids):
        g, margins = greedy(ref, pids, args.greedy_tokens, args.max_pos)
        text = tok.decode(g)
        samples.append({"prompt": p, "prompt_ids": pids, "greedy_ids": g,
                        "text": text, "margins": margins})
        log("greedy: %r -> %r" % (p, text))
    write_json(os.path.join(out_dir, "expected_greedy.json"), {
        "description": "Greedy continuations of the model in this folder: float32 compute on "
                       "the F16 weights of model.safetensors, no sampling. prompt_ids = [2] + "
                       "BPE(prompt); greedy_ids are the new tokens, stopping after eos (2) "
                       "inclusive or after max_new_tokens; margins[i] is the gap between the "
                       "best and second-best logit at step i.",
        "max_new_tokens": args.greedy_tokens,
        "eos_token_id": EOS_ID,
        "cases": samples,
    })

    info = {
        "name": args.name, "args": args, "files": files,
        "fortunes_version": dpkg_version("fortunes"),
        "fortunes_min_version": dpkg_version("fortunes-min"),
        "n_docs": len(docs), "n_train": len(train_docs), "n_heldout": len(held_docs),
        "train_tokens": train_tokens, "heldout_tokens": held_tokens,
        "n_merges": len(merges), "n_vocab": len(vocab), "vocab_size": vocab_size,
        "n_params": n_params, "safetensors_bytes": os.path.getsize(st_path),
        "epochs": seen_tokens / max(1, train_tokens), "train_minutes": train_minutes,
        "train_loss": train_loss, "heldout_loss": held_loss,
        "heldout_ppl": math.exp(held_loss), "samples": samples,
    }
    write_model_card(os.path.join(out_dir, "README.md"), info)
    log("wrote %s (%.1f min in all)" % (out_dir, (time.time() - t_start) / 60))


if __name__ == "__main__":
    main()
