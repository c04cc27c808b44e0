#!/usr/bin/python3
"""python3-sentencepiece as the reference for Strata's SentencePiece tokenizer, and the trainer
of the small models its tests use (no model file is committed).

  sentencepiece_reference.py train REQUEST.json RESPONSE.json
    REQUEST: {"model_prefix": path, "model_type": "bpe" | "unigram", "vocab_size": n,
              "byte_fallback": bool, "normalization": "identity" | "nmt_nfkc" | ...}
    Trains on a built-in corpus and writes <model_prefix>.model; RESPONSE: {"model": path}.
  sentencepiece_reference.py run REQUEST.json RESPONSE.json
    REQUEST: {"model": path, "add_bos": bool, "add_eos": bool, "texts_base64": [...],
              "decode": [[ids...]], "tokens": [...]}
    RESPONSE: {"vocab_size": n, "encodings": [{"no": ids, "yes": ids}],
               "decoded": [{"skip": text, "keep": text}], "token_ids": [id or null]}

Encoding cuts the text at control and unknown pieces written in it ("<s>", "</s>", "<unk>"),
leftmost first and longest on a tie, as Hugging Face's slow LlamaTokenizer does, and encodes the
stretches between them with SentencePiece; raw bytes are read as bytes.decode("utf-8",
"replace"). Decoding with skip=True is SentencePiece's decode of the ids in range; with
skip=False each control id is shown as its piece, inserted where SentencePiece's decoding of the
ids before it ends.
"""

import base64
import json
import os
import random
import sys
import tempfile

import sentencepiece as spm


def corpus_lines():
    """A deterministic corpus: English-like sentences, accents, digits, a little CJK."""
    rng = random.Random(7)
    words = ("the quick brown fox jumps over lazy dog hello world tokenizer model piece "
             "sentence unigram merge byte fallback caf\u00e9 na\u00efve r\u00e9sum\u00e9 "
             "\u00fcber stra\u00dfe \u65e5\u672c \u4e2d\u6587 I'm don't it's").split()
    for _ in range(3000):
        n = rng.randint(3, 12)
        sentence = " ".join(rng.choice(words) for _ in range(n))
        if rng.random() < 0.3:
            sentence += " " + str(rng.randint(0, 99999))
        yield sentence.capitalize() + rng.choice([".", "!", "?", ","])


def train(request):
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(corpus_lines()) + "\n")
        spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=request["model_prefix"],
            model_type=request["model_type"], vocab_size=request["vocab_size"],
            byte_fallback=request["byte_fallback"],
            normalization_rule_name=request["normalization"],
            character_coverage=0.995, split_digits=True, hard_vocab_limit=False,
            unk_id=0, bos_id=1, eos_id=2, pad_id=-1, num_threads=1)
    return {"model": request["model_prefix"] + ".model"}


def split_specials(text, specials):
    """text -> list of str stretches and int ids of the special pieces written in it."""
    out, pos = [], 0
    while pos < len(text):
        best = None
        for piece, piece_id in specials.items():
            at = text.find(piece, pos)
            if at >= 0 and (best is None or at < best[0] or
                            (at == best[0] and len(piece) > len(best[1]))):
                best = (at, piece, piece_id)
        if best is None:
            break
        if best[0] > pos:
            out.append(text[pos:best[0]])
        out.append(best[2])
        pos = best[0] + len(best[1])
    if pos < len(text):
        out.append(text[pos:])
    return out


def run(request):
    sp = spm.SentencePieceProcessor(model_file=request["model"])
    size = sp.get_piece_size()
    specials = {sp.id_to_piece(i): i for i in range(size)
                if sp.is_control(i) or sp.is_unknown(i)}
    response = {"vocab_size": size, "encodings": [], "decoded": [], "token_ids": []}
    for b64 in request.get("texts_base64", []):
        text = base64.b64decode(b64).decode("utf-8", "replace")
        ids = []
        for part in split_specials(text, specials):
            ids += [part] if isinstance(part, int) else sp.encode(part)
        bos = [sp.bos_id()] if request["add_bos"] and sp.bos_id() >= 0 else []
        eos = [sp.eos_id()] if request["add_eos"] and sp.eos_id() >= 0 else []
        response["encodings"].append({"no": ids, "yes": bos + ids + eos})
    for ids in request.get("decode", []):
        in_range = [i for i in ids if 0 <= i < size]
        keep, shown, prefix = "", "", []
        for i in in_range:
            if sp.is_control(i):
                decoded = sp.decode(prefix)
                keep += decoded[len(shown):] + sp.id_to_piece(i)
                shown = decoded
            else:
                prefix.append(i)
        keep += sp.decode(prefix)[len(shown):]
        response["decoded"].append({"skip": sp.decode(in_range), "keep": keep})
    for token in request.get("tokens", []):
        token_id = sp.piece_to_id(token)
        response["token_ids"].append(token_id if sp.id_to_piece(token_id) == token else None)
    return response


def main():
    mode, request_path, response_path = sys.argv[1:4]
    with open(request_path, encoding="utf-8") as f:
        request = json.load(f)
    response = train(request) if mode == "train" else run(request)
    with open(response_path, "w", encoding="utf-8") as f:
        json.dump(response, f)


if __name__ == "__main__":
    main()
