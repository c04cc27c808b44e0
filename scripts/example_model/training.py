"""Training and evaluation helpers: length-bucketed batches, padded
collation, next-token loss, held-out evaluation, greedy decoding and the
learning-rate schedule.

A document is a list of token ids, `</s>` + text + `</s>`; a batch is a list
of document indices.  `collate` pads it to ids and mask tensors of shape
[batch, longest document] (PAD_ID / 0 after each document's end); the loss
ignores padded targets (-100, as transformers does).
"""

import math
import random

import torch
import torch.nn.functional as F

from example_model.bpe import EOS_ID, PAD_ID


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
    """Pads the documents of one batch: ids, mask are [len(batch), longest]
    long tensors (PAD_ID / 0 past each document's end)."""
    t = max(len(docs[i]) for i in batch)
    ids = torch.full((len(batch), t), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(batch), t), dtype=torch.long)
    for r, i in enumerate(batch):
        d = docs[i]
        ids[r, :len(d)] = torch.tensor(d, dtype=torch.long)
        mask[r, :len(d)] = 1
    return ids, mask


def batch_loss(model, ids, mask, reduction="mean"):
    """Next-token cross entropy in float32: logits at position i predict
    ids[i + 1]; targets that are padding are ignored."""
    logits = model(ids, mask)[:, :-1]
    targets = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(),
                           targets.reshape(-1), ignore_index=-100, reduction=reduction)


@torch.no_grad()
def evaluate(model, docs, batch_tokens):
    """Mean loss (nats/token) over all of docs, in fixed batches (seed 0).
    Like greedy, it switches to eval mode and leaves the model in train mode."""
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
    """Greedy decoding without a cache (the whole sequence each step).  Returns
    (out, margins): the new token ids, ending with EOS_ID if it was chosen,
    at most new_tokens of them and never past max_pos in all; margins[i] is
    the gap between the best and second-best logit at step i (4 places)."""
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
    """Linear warm-up to peak over `warmup` steps, then cosine decay to
    floor * peak at the last step."""
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))
