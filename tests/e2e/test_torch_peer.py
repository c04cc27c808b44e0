#!/usr/bin/python3
"""The PyTorch peer of the benchmarks (scripts/peers/torch_opt.py) computes what Strata computes:
on tiny random OPT models (f16 in one file; bf16 in 2 shards with an untied lm_head) its greedy
tokens equal `strata run`'s for the same prompts, batched (prompts of equal token length go in
one peer batch, ids from `strata tokenize`), through both of its linear paths (BLAS, oneDNN).
Strata stops a sequence at eos, the peer does not: the peer's first len(strata) tokens are
compared. A token may differ only where the peer's top-1 margin is below PEER_TIE_MARGIN: two
fp32 forwards that sum in different orders each sit ~1e-5 from the exact logits. Also: the peer
refuses a post-LN (opt-350m-shaped) model with one line naming config.json.

Skipped (77) when /usr/bin/python3 has no torch (Debian python3-torch, a benchmark-only
dependency).
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

PEER = os.path.join(common.SOURCE_DIR, "scripts", "peers", "torch_opt.py")
GEN = 8
PEER_TIE_MARGIN = 1e-3
# Two token lengths with the tiny models' tokenizer (9 and 8 ids, bos included): two peer
# batches per model and linear path, which keeps the test to a few torch start-ups.
PROMPTS = [
    "A cat is on the mat.", "What is the time?", "What is the date?", "It is the time.",
    "The sun is up.", "The dog is up.", "It is the day.", "The cat is up.",
]
MODELS = [
    ("f16", dict(layers=2, hidden=64, heads=4, ffn=128, seed=21, dtype="f16")),
    ("bf16 sharded untied", dict(layers=3, hidden=48, heads=4, ffn=96, seed=22, dtype="bf16",
                                 shards=2, untied=True)),
]


def run_peer(args):
    p = subprocess.run([sys.executable, PEER] + [str(a) for a in args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=common.RUN_TIMEOUT_S)
    return p


def tokenize(model, text):
    p = common.run_strata(["tokenize", "--model", model, "--text", text])
    return json.loads(p.stdout) if p.returncode == 0 else None


def check_model(ck, tmp, name, options):
    model = make_model(tmp, name.replace(" ", "_"), **options)
    work = os.path.join(tmp, "work-" + os.path.basename(model))
    os.makedirs(work)
    reqs = [{"prompt": t} for t in PROMPTS]
    p, outs = common.run_requests(model, reqs, work, ["--max-new-tokens", GEN, "--batch-size", 4])
    if not common.check_run_ok(ck, p, outs, reqs, name):
        return
    groups = {}
    for i, text in enumerate(PROMPTS):
        ids = tokenize(model, text)
        if not ck.check(ids is not None and len(ids) == outs[i]["prompt_tokens"],
                        f"{name}: strata tokenize gives the prompt's {outs[i]['prompt_tokens']} "
                        f"ids ({text!r})"):
            return
        groups.setdefault(len(ids), []).append((i, ids))
    ck.check(max(len(g) for g in groups.values()) >= 2,
             f"{name}: some peer batch holds more than one prompt",
             f"token lengths {sorted(groups)}")
    for linear in ("blas", "onednn"):
        compared = tied = 0
        for length, group in sorted(groups.items()):
            ids_file = os.path.join(work, f"ids-{length}.json")
            with open(ids_file, "w") as f:
                json.dump([ids for _, ids in group], f)
            q = run_peer(["--model", model, "--prompt-ids", ids_file, "--gen-len", GEN,
                          "--threads", 1, "--linear", linear, "--print-tokens"])
            if not ck.check(q.returncode == 0, f"{name} / {linear}: the peer runs a batch of "
                            f"{len(group)} prompts of {length} tokens", q.stderr[-1500:]):
                return
            peer = json.loads(q.stdout.strip().splitlines()[-1])
            for row, (i, _) in enumerate(group):
                want = outs[i]["token_ids"]
                got, margins = peer["token_ids"][row][:len(want)], peer["margins"][row]
                diff = next((s for s in range(len(want)) if got[s] != want[s]), None)
                if diff is not None and margins[diff] < PEER_TIE_MARGIN:
                    tied += 1
                    compared += diff
                    continue
                ck.check(diff is None, f"{name} / {linear} / prompt {i}: peer's greedy tokens "
                         f"equal strata run's", f"peer {got}, strata {want}, margins {margins}")
                compared += len(want)
        ck.note(f"{name} / {linear}: {compared} tokens compared, {tied} sequences stopped at a "
                "near tie")
        ck.check(compared >= GEN * len(PROMPTS) // 2, f"{name} / {linear}: most tokens compared")


def check_refuses_post_ln(ck, tmp):
    model = make_model(tmp, "post_ln", layers=2, hidden=64, heads=4, ffn=128, post_ln=True)
    q = run_peer(["--model", model, "--batch", 1, "--prompt-len", 4, "--gen-len", 2])
    lines = q.stderr.strip().splitlines()
    ck.check(q.returncode == 2 and len(lines) == 1 and "config.json" in lines[0] and
             "do_layer_norm_before" in lines[0],
             "the peer refuses a post-LN model with one line naming config.json",
             f"exit {q.returncode}, stderr {q.stderr[-500:]!r}")


def main():
    if subprocess.run([sys.executable, "-c", "import torch"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        print("skipped: no torch for", sys.executable, "(apt-get install python3-torch)")
        sys.exit(common.SKIP)
    ck = Checker("torch peer vs strata")
    common.strata_bin()
    with common.tempdir("peer") as tmp:
        for name, options in MODELS:
            check_model(ck, tmp, name, options)
        check_refuses_post_ln(ck, tmp)
    ck.finish()


if __name__ == "__main__":
    main()
