#!/usr/bin/python3
"""Checks the test tooling itself, without the strata binary: scripts/make_tiny_opt.py writes
what the HF layout needs and tests/reference/ reads it consistently.

- single file, 3 shards and no "model." prefix give identical tensors and greedy tokens;
- F16 and BF16 copies of the same weights give logits close to F32's;
- a left-padded batch through the reference forward equals each sequence alone (positions =
  cumsum(mask) * mask - 1, padding keys masked);
- post-LN (opt-350m shape) has project_in/project_out and no model-level final_layer_norm;
- the reference tokenizer round-trips text, maps special tokens, splits like GPT-2's pattern,
  and segments corpus words exactly as the BPE trainer did.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, GPT2Tokenizer, OPTReference, make_model  # noqa: E402
from safetensors_reader import load_model_dir  # noqa: E402

PROMPTS = ["Hello", "The quick brown fox jumps over the lazy dog.",
           "I'm 42 years old; aren't you? Café naïve résumé.", "a"]


def main():
    ck = Checker("reference self-check")
    with common.tempdir("selfcheck") as tmp:
        base = dict(layers=2, hidden=32, heads=4, ffn=64, seed=11)
        single = make_model(tmp, "single", **base)
        sharded = make_model(tmp, "sharded", shards=3, **base)
        noprefix = make_model(tmp, "noprefix", no_prefix=True, **base)
        f16 = make_model(tmp, "f16", dtype="f16", **base)
        bf16 = make_model(tmp, "bf16", dtype="bf16", **base)
        post = make_model(tmp, "post", post_ln=True, layers=3, hidden=32, heads=4, seed=5)
        untied = make_model(tmp, "untied", untied=True, **base)

        print("files and config")
        with open(os.path.join(single, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(single, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        ck.check(cfg["vocab_size"] % 8 == 0 and cfg["vocab_size"] >= len(vocab),
                 f"vocab_size {cfg['vocab_size']} is len(vocab) {len(vocab)} rounded up to 8")
        ck.check([vocab[t] for t in ("<s>", "<pad>", "</s>", "<unk>")] == [0, 1, 2, 3],
                 "special tokens have ids 0..3")
        with open(os.path.join(single, "merges.txt"), encoding="utf-8") as f:
            ck.check(f.readline().rstrip("\n") == "#version: 0.2", "merges.txt header")
        shard_files = sorted(x for x in os.listdir(sharded) if x.endswith(".safetensors"))
        ck.check(shard_files == [f"model-0000{i}-of-00003.safetensors" for i in (1, 2, 3)],
                 f"3 shard files: {shard_files}")
        with open(os.path.join(sharded, "model.safetensors.index.json")) as f:
            index = json.load(f)
        total = sum(os.path.getsize(os.path.join(sharded, s)) for s in shard_files)
        ck.check(0 < index["metadata"]["total_size"] < total,
                 "index metadata.total_size is the tensor bytes")
        ck.check(set(index["weight_map"].values()) == set(shard_files),
                 "weight_map names every shard")

        print("tensor names and shapes")
        t_single, t_sharded = load_model_dir(single), load_model_dir(sharded)
        t_noprefix = load_model_dir(noprefix)
        ck.check(t_single.keys() == t_sharded.keys() and
                 all(np.array_equal(t_single[k], t_sharded[k]) for k in t_single),
                 "sharded tensors equal single-file tensors")
        ck.check(t_single.keys() == t_noprefix.keys() and
                 all(np.array_equal(t_single[k], t_noprefix[k]) for k in t_single),
                 "no-prefix tensors equal prefixed tensors")
        ck.check("lm_head.weight" not in t_single and "lm_head.weight" in load_model_dir(untied),
                 "lm_head.weight only when untied")
        t_post = load_model_dir(post)
        ck.check("decoder.project_in.weight" in t_post and "decoder.project_out.weight" in t_post
                 and "decoder.final_layer_norm.weight" not in t_post,
                 "post-LN: project_in/out present, no model-level final_layer_norm")
        ck.check(t_post["decoder.project_in.weight"].shape == (32, 16) and
                 t_post["decoder.project_out.weight"].shape == (16, 32),
                 "post-LN: project_in [hidden, proj], project_out [proj, hidden]")
        t_bf16 = load_model_dir(bf16)
        rel = max(np.max(np.abs(t_bf16[k] - t_single[k])) / (np.max(np.abs(t_single[k])) + 1e-30)
                  for k in t_single)
        ck.check(rel < 2 ** -7, f"bf16 weights within bf16 rounding of f32 (max rel {rel:.2e})")

        print("greedy generation through the reference")
        refs = {name: OPTReference(path) for name, path in
                (("single", single), ("sharded", sharded), ("noprefix", noprefix),
                 ("f16", f16), ("bf16", bf16), ("post", post), ("untied", untied))}
        gens = {name: [r.generate(p, 12) for p in PROMPTS] for name, r in refs.items()}
        for other in ("sharded", "noprefix"):
            ck.check(gens[other] == gens["single"], f"{other}: identical greedy output")
        for name in ("f16", "bf16"):
            ids = np.array([refs["single"].prompt_ids(PROMPTS[1])])
            a, b = refs["single"].forward(ids), refs[name].forward(ids)
            diff = np.max(np.abs(a - b)) / np.max(np.abs(a))
            tol = 0.02 if name == "f16" else 0.1
            ck.check(0 < diff < tol, f"{name}: logits close to f32 (max rel diff {diff:.2e})")
            same = sum(g["token_ids"] == s["token_ids"]
                       for g, s in zip(gens[name], gens["single"]))
            ck.note(f"{name}: {same}/{len(PROMPTS)} prompts with greedy tokens equal to f32's")
        margins = [m for gs in gens.values() for g in gs for m in g["margins"]]
        ck.check(min(margins) > 1e-4, f"greedy margins well separated: min {min(margins):.3g}, "
                 f"median {np.median(margins):.3g}")
        for name, gs in gens.items():
            ck.note(f"{name}: " + " | ".join(repr(g["text"]) for g in gs[:2]))

        print("left-padded batch equals sequences alone")
        for name in ("single", "post"):
            r = refs[name]
            seqs = [r.prompt_ids(p) for p in PROMPTS]
            T = max(len(s) for s in seqs)
            ids = np.array([[r.cfg["pad_token_id"]] * (T - len(s)) + s for s in seqs])
            mask = np.array([[0] * (T - len(s)) + [1] * len(s) for s in seqs])
            batch = r.forward(ids, mask)
            worst = max(np.max(np.abs(batch[i, T - len(s):] - r.forward([s])[0]))
                        for i, s in enumerate(seqs))
            ck.check(worst < 1e-9, f"{name}: padded batch logits equal unpadded ({worst:.1e})")

        print("reference tokenizer")
        tok = GPT2Tokenizer.from_model_dir(single)
        texts = ["Hello world", "I'm here, they'll go; we've 3.14159 of 2023!", "  two  spaces\n\n",
                 "tab\there", "Zürich café naïve 日本語 😀 emoji", "x</s>y <s> <pad><unk>",
                 "", " ", "\n", "don't DON'T", "a" * 50]
        for t in texts:
            ids = tok.encode(t)
            ck.check(tok.decode(ids, skip_special=False) == t, f"round trip {t!r} -> {ids[:12]}")
        ck.check(tok.encode("</s>") == [2] and tok.encode("<s>") == [0], "special tokens in text")
        ck.check(tok.encode("a</s>b") == tok.encode("a") + [2] + tok.encode("b"),
                 "text around a special token encoded separately")
        pieces = common.make_tiny_opt.GPT2_PATTERN.findall("I'm 42 years, isn't it?  ok\n")
        ck.check(pieces == ["I", "'m", " 42", " years", ",", " isn", "'t", " it", "?", " ",
                            " ok", "\n"], f"GPT-2 pre-tokenizer split: {pieces}")
        ck.check(len(tok.encode(" the")) == 1 and tok.encode(" the") != tok.encode("the"),
                 "' the' is one merged token distinct from 'the'")
        # The trainer's own segmentation of the corpus words must equal the encoder's.
        mk = common.make_tiny_opt
        merges, _ = mk.train_bpe(mk.CORPUS, 90)
        b2u = mk.bytes_to_unicode()
        mismatches = 0
        words = set(mk.GPT2_PATTERN.findall(mk.CORPUS))
        for w in words:
            seg = [b2u[b] for b in w.encode("utf-8")]
            for a, b in merges:
                out, i = [], 0
                while i < len(seg):
                    if i + 1 < len(seg) and seg[i] == a and seg[i + 1] == b:
                        out.append(a + b)
                        i += 2
                    else:
                        out.append(seg[i])
                        i += 1
                seg = out
            if [tok.vocab[s] for s in seg] != tok.encode(w):
                mismatches += 1
        ck.check(mismatches == 0, f"encoder reproduces the trainer's segmentation of "
                 f"{len(words)} corpus words ({mismatches} mismatches)")
    ck.finish()


if __name__ == "__main__":
    main()
