"""Independent GPT-2 byte-level BPE tokenizer (the one OPT uses), for reference tests.

encode: split the text on the special tokens "<s>", "<pad>", "</s>", "<unk>" (each maps to its
vocab.json id); split every other piece with GPT-2's pre-tokenizer regex; map each pre-token's
UTF-8 bytes through bytes_to_unicode; apply merges.txt merges by rank (lowest rank first, all
occurrences left to right) until none applies; look the symbols up in vocab.json.
decode: ids -> symbols -> bytes -> UTF-8 (invalid sequences replaced by U+FFFD).
"""

import json

import regex

GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")


def bytes_to_unicode():
    """GPT-2's table: printable bytes map to themselves, the other 68 bytes to U+0100 onwards."""
    printable = (list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100)))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


class GPT2Tokenizer:
    def __init__(self, vocab_path, merges_path, special_tokens=SPECIAL_TOKENS):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = json.load(f)
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.ranks = {}
        with open(merges_path, encoding="utf-8") as f:
            for line in f.read().split("\n"):
                if not line or line.startswith("#version"):
                    continue
                a, b = line.split(" ")
                self.ranks.setdefault((a, b), len(self.ranks))
        self.byte_encoder = bytes_to_unicode()
        self.byte_decoder = {c: b for b, c in self.byte_encoder.items()}
        self.special = {t: self.vocab[t] for t in special_tokens if t in self.vocab}
        self.special_ids = set(self.special.values())
        self._cache = {}

    @classmethod
    def from_model_dir(cls, model_dir):
        return cls(f"{model_dir}/vocab.json", f"{model_dir}/merges.txt")

    def _bpe(self, symbols):
        word = list(symbols)
        while len(word) > 1:
            best, best_rank = None, None
            for pair in zip(word, word[1:]):
                r = self.ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            merged, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = merged
        return word

    def _encode_ordinary(self, text):
        ids = []
        for piece in GPT2_PATTERN.findall(text):
            if piece not in self._cache:
                symbols = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
                self._cache[piece] = [self.vocab[s] for s in self._bpe(symbols)]
            ids.extend(self._cache[piece])
        return ids

    def encode(self, text):
        """Token ids of text (no bos)."""
        ids, start, i = [], 0, 0
        by_length = sorted(self.special, key=len, reverse=True)
        while i < len(text):
            match = next((t for t in by_length if text.startswith(t, i)), None)
            if match is None:
                i += 1
                continue
            ids.extend(self._encode_ordinary(text[start:i]))
            ids.append(self.special[match])
            i += len(match)
            start = i
        ids.extend(self._encode_ordinary(text[start:]))
        return ids

    def decode_bytes(self, ids, skip_special=True):
        out = bytearray()
        for i in ids:
            if skip_special and i in self.special_ids:
                continue
            tok = self.id_to_token.get(int(i))
            if tok is None:  # logit rows beyond the tokenizer's vocabulary have no text
                continue
            if tok in self.special:
                out += tok.encode("utf-8")
            else:
                out += bytes(self.byte_decoder[c] for c in tok)
        return bytes(out)

    def decode(self, ids, skip_special=True):
        return self.decode_bytes(ids, skip_special).decode("utf-8", errors="replace")
