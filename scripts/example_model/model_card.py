"""Output helpers: JSON files, the model card (the model folder's README.md)
and the versions of the Debian packages the corpus came from.

The card says where the data came from and under what license, how it was
cleaned, how tokenizer and model are built and trained, what the greedy
samples are, and what the model is (not) for; every number in it comes from
the run, through the `info` dict that main() in scripts/train_example_model.py
fills.
"""

import json
import math

import torch

from example_model.corpus import DEFAULT_EXCLUDE


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
    """'version X' of an installed Debian package, read from dpkg's status
    file, or 'unknown version'."""
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
