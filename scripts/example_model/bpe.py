"""Byte-level BPE in GPT-2's file format (vocab.json + merges.txt): a trainer
and the encoder/decoder that applies its merges.

Text is first split by GPT-2's pre-tokenizer regex; each piece's UTF-8 bytes
are mapped to printable symbols by GPT-2's `bytes_to_unicode` table, so every
byte string has a spelling and no `<unk>` is ever needed.  Merges are applied
by rank (lowest first), as transformers' GPT2Tokenizer does, so vocab.json and
merges.txt written from `train_bpe`'s result mean the same to any GPT-2 style
tokenizer, Strata's included.

Vocabulary ids: 0-3 = SPECIAL_TOKENS, then the 256 byte symbols in byte order,
then one token per merge in merge order.
"""

import collections
import heapq

import regex

# GPT-2's byte table: the one scripts/make_tiny_opt.py defines.  It is found,
# like this package, because Python puts the running script's folder
# (scripts/, for scripts/train_example_model.py) first on sys.path.
from make_tiny_opt import bytes_to_unicode

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]
BOS_ID = 2  # OPT uses </s> (id 2) as both bos and eos
EOS_ID = 2
PAD_ID = 1

# GPT-2's pre-tokenizer (openai/gpt-2 encoder.py; transformers' GPT2Tokenizer).
GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)

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
