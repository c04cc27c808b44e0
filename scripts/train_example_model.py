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

# The steps live in the package beside this script, scripts/example_model/
# (corpus, bpe, opt_torch, safetensors_io, training, model_card); this file
# keeps the command line and the run's sequence.  Both it and
# scripts/make_tiny_opt.py are imported through sys.path[0], which Python sets
# to this script's folder.

import argparse
import collections
import math
import os
import random
import time

import torch

from example_model.bpe import BOS_ID, EOS_ID, PAD_ID, Tokenizer, train_bpe
from example_model.corpus import DEFAULT_CORPUS_DIR, DEFAULT_EXCLUDE, load_corpus
from example_model.model_card import dpkg_version, write_json, write_model_card
from example_model.opt_torch import OPTForCausalLM
from example_model.safetensors_io import load_safetensors, save_safetensors
from example_model.training import batch_loss, collate, evaluate, greedy, lr_at, make_batches

# Prompts whose greedy continuations are recorded in expected_greedy.json.
GREEDY_PROMPTS = [
    "The secret of success is",
    "A computer is",
    "Never trust a man who",
    "Q: Why did the chicken cross the road?\nA:",
    "Love is",
    "The best way to",
]


def log(msg):
    print(msg, flush=True)


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
