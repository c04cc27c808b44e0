#!/usr/bin/python3
"""PyTorch eager OPT with a KV cache: the peer `scripts/bench_cpu.py --only peers` runs next to
`strata bench` on the same Hugging Face weights.

    torch_opt.py --model DIR [--batch 16] [--prompt-len 128] [--gen-len 16] [--threads N]
                 [--seed 0] [--linear blas|onednn] [--prompt-ids FILE] [--print-tokens]

The forward is transformers' OPTForCausalLM (modeling_opt, do_layer_norm_before=True) written
out in torch ops, as plainly: learned positions at row position + 2, pre-LayerNorm decoder
layers (separate q/k/v/out projections, q scaled by head_dim^-0.5 after its bias, softmax in
fp32, ReLU FFN), a final LayerNorm and an lm_head tied to embed_tokens (or lm_head.weight).
Weights are held in float32, whatever the checkpoint's dtype. The KV cache is preallocated
(batch, heads, prompt + gen, head_dim) per layer and written in place (transformers
concatenates a new cache every step; this is the faster of the two). Logits are computed for
the last position only (transformers' logits_to_keep=1).

--linear blas: nn.Linear's path (torch.addmm -> the BLAS library torch links; Debian's
python3-torch: libblas.so.3, i.e. OpenBLAS through the alternatives, whose kernel
OPENBLAS_CORETYPE selects). --linear onednn: every linear through oneDNN's inner product
(torch._C._nn.mkldnn_linear with weights reordered once, as torch.utils.mkldnn.to_mkldnn does).

Workload and figures as `strata bench` (cli/commands/bench_command.cpp): B prompts of bos +
P-1 random token ids (4 <= id < vocab_size; --prompt-ids FILE gives them instead, a JSON list
of equal-length lists), G greedy tokens each, no early stop at eos;
  prefill throughput = B*P / prefill seconds (the prompt forward and the first token),
  decode throughput  = B*(G-1) / decode seconds (the other G-1 steps),
  total throughput   = B*G / (prefill + decode seconds).
One untimed warm-up forward (one token, batch 1) runs first, so the timed figures carry no
library start-up: a favour to the peer, which strata bench does not get.

Output: one JSON line on stdout; --print-tokens adds token_ids and each step's top-1 margin
(best minus second-best logit) per sequence. Threads: --threads N (default: every core) for
torch's intra-op pool, OpenMP and OpenBLAS, all set before torch is loaded.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="Hugging Face OPT directory")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--prompt-len", type=int, default=128)
    p.add_argument("--gen-len", type=int, default=16)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--linear", choices=["blas", "onednn"], default="blas")
    p.add_argument("--prompt-ids", help="JSON file: a list of equal-length token id lists")
    p.add_argument("--print-tokens", action="store_true")
    a = p.parse_args(argv)
    for name in ("batch", "prompt_len", "gen_len", "threads"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    return a


def fail(message):
    print(f"torch_opt.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def load_config(model_dir):
    path = os.path.join(model_dir, "config.json")
    try:
        with open(path) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
    need = {"model_type": "opt", "do_layer_norm_before": True, "activation_function": "relu"}
    for key, want in need.items():
        if cfg.get(key, want) != want:
            fail(f"{path}: {key} = {cfg.get(key)!r}; the peer runs pre-LN ReLU OPT only")
    for key in ("hidden_size", "num_hidden_layers", "num_attention_heads", "ffn_dim",
                "vocab_size", "max_position_embeddings"):
        if not isinstance(cfg.get(key), int) or cfg[key] < 1:
            fail(f"{path}: {key} = {cfg.get(key)!r}, not a positive integer")
    if cfg.get("word_embed_proj_dim", cfg["hidden_size"]) != cfg["hidden_size"]:
        fail(f"{path}: word_embed_proj_dim {cfg['word_embed_proj_dim']} != hidden_size "
             f"{cfg['hidden_size']} (opt-350m's projections are not in the peer)")
    if cfg["hidden_size"] % cfg["num_attention_heads"]:
        fail(f"{path}: hidden_size is not a multiple of num_attention_heads")
    return cfg


def main(argv=None):
    a = parse_args(argv)
    # Before torch loads: OpenBLAS and OpenMP read their thread counts once, at start-up.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(a.threads)
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from hf_weights import WeightsError, read_checkpoint
    from opt_forward import OPTForward, openblas_corename

    torch.set_num_threads(a.threads)
    cfg = load_config(a.model)
    if a.prompt_ids:
        try:
            with open(a.prompt_ids) as f:
                ids = json.load(f)
            prompts = torch.tensor(ids, dtype=torch.long)
        except (OSError, ValueError, TypeError) as e:
            fail(f"{a.prompt_ids}: not a JSON list of equal-length token id lists ({e})")
        if prompts.dim() != 2 or prompts.numel() == 0:
            fail(f"{a.prompt_ids}: not a non-empty list of equal-length lists")
        if int(prompts.min()) < 0 or int(prompts.max()) >= cfg["vocab_size"]:
            fail(f"{a.prompt_ids}: a token id outside 0..{cfg['vocab_size'] - 1}")
    else:
        rng = np.random.default_rng(a.seed)
        body = rng.integers(4, cfg["vocab_size"], size=(a.batch, a.prompt_len - 1))
        prompts = torch.cat([torch.full((a.batch, 1), cfg.get("bos_token_id", 2)),
                             torch.from_numpy(body)], dim=1).long()
    batch, prompt_len = prompts.shape
    if prompt_len + a.gen_len > cfg["max_position_embeddings"]:
        fail(f"--prompt-len {prompt_len} + --gen-len {a.gen_len} exceed "
             f"max_position_embeddings {cfg['max_position_embeddings']}")

    t0 = time.perf_counter()
    try:
        tensors = read_checkpoint(a.model)
        model = OPTForward(cfg, tensors, a.linear)
    except (WeightsError, KeyError, ValueError) as e:
        fail(f"{a.model}: {e}")
    del tensors
    load_seconds = time.perf_counter() - t0
    run = model.generate(prompts, a.gen_len, a.print_tokens)

    generated = batch * a.gen_len
    out = {
        "engine": "torch", "torch": torch.__version__, "threads": a.threads, "linear": a.linear,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", "") or "library default",
        "openblas_corename": openblas_corename(),
        "model": a.model, "block_size": batch, "prompt_len": prompt_len, "gen_len": a.gen_len,
        "generated_tokens": generated, "load_seconds": load_seconds,
        "prefill_seconds": run["prefill_seconds"], "decode_seconds": run["decode_seconds"],
        "prefill_throughput": batch * prompt_len / run["prefill_seconds"],
        "decode_throughput": (batch * (a.gen_len - 1) / run["decode_seconds"]
                              if run["decode_seconds"] > 0 else 0.0),
        "total_throughput": generated / (run["prefill_seconds"] + run["decode_seconds"]),
        "weight_params": model.params, "weight_bytes": 4 * model.params,
    }
    if a.print_tokens:
        out["token_ids"], out["margins"] = run["token_ids"], run["margins"]
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
