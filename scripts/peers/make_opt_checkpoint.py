#!/usr/bin/python3
"""Writes a random OPT checkpoint of a real geometry in Hugging Face layout, for benchmarks.

    make_opt_checkpoint.py --geometry opt-125m|opt-1.3b|opt-2.7b|opt-6.7b --out DIR
                           [--dtype f16] [--seed 0]

DIR receives config.json, model.safetensors and make_tiny_opt.py's small tokenizer: the weights
Strata (`strata bench --model DIR`) and the PyTorch peer (scripts/peers/torch_opt.py) both read.
The geometry is facebook/opt-*'s (engine/models/opt/opt_presets.cpp: layers, hidden, heads,
ffn; vocab_size 50272, max_position_embeddings 2048; pre-LN, tied lm_head); the values are
make_tiny_opt.py's random weights with every one of the 50272 embedding rows filled, so the
random prompt ids of `strata bench` all hit real rows. The tokenizer covers only the first few
hundred ids; the benchmarks feed token ids and never detokenize.

The file is written one tensor at a time (an OPT-1.3b checkpoint is 2.6 GB of f16 and 5.3 GB as
float32), so memory stays at about one tensor. Skipped when DIR already holds a complete
checkpoint of the same geometry, dtype and seed (config.json is written last).
"""

import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import make_tiny_opt  # noqa: E402

# name -> (num_hidden_layers, hidden_size, num_attention_heads, ffn_dim): opt_presets.cpp's.
GEOMETRIES = {
    "opt-125m": (12, 768, 12, 3072),
    "opt-1.3b": (24, 2048, 32, 8192),
    "opt-2.7b": (32, 2560, 32, 10240),
    "opt-6.7b": (32, 4096, 32, 16384),
}
VOCAB_SIZE = 50272
MAX_POSITIONS = 2048
HEADER_BYTES_PER_TENSOR = 256  # a generous bound on one tensor's JSON header entry


def config_for(geometry, dtype, seed):
    layers, hidden, heads, ffn = GEOMETRIES[geometry]
    args = make_tiny_opt.parse_args([
        "--out", "-", "--layers", str(layers), "--hidden", str(hidden), "--heads", str(heads),
        "--ffn", str(ffn), "--max-positions", str(MAX_POSITIONS), "--dtype", dtype,
        "--seed", str(seed)])
    cfg = make_tiny_opt.make_config(args, VOCAB_SIZE)
    cfg["_name_or_path"] = f"strata-random-{geometry}-seed{seed}"
    return cfg


def write_safetensors_streaming(path, tensors, count, dtype):
    """Writes (name, array) pairs as a safetensors file without holding them all.

    The header must precede the data but is only known once every tensor is written, so a
    header region of count * HEADER_BYTES_PER_TENSOR bytes is reserved and filled at the end,
    padded with spaces (the format pads its JSON header with spaces; parsers accept any)."""
    reserve = (count * HEADER_BYTES_PER_TENSOR + 7) // 8 * 8
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.seek(8 + reserve)
        for name, array in tensors:
            dt, shape, raw = make_tiny_opt.encode_tensor(array, dtype)
            header[name] = {"dtype": dt, "shape": shape,
                            "data_offsets": [offset, offset + len(raw)]}
            f.write(raw)
            offset += len(raw)
        blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
        if len(blob) > reserve:
            raise SystemExit(f"{path}: header of {len(blob)} bytes exceeds the reserved {reserve}")
        f.seek(0)
        f.write(struct.pack("<Q", reserve))
        f.write(blob + b" " * (reserve - len(blob)))
    os.replace(tmp, path)
    return offset


def make_checkpoint(out, geometry, dtype="f16", seed=0, log=sys.stderr):
    """Writes the checkpoint into out unless it is already there; returns the config dict."""
    cfg = config_for(geometry, dtype, seed)
    cfg_path = os.path.join(out, "config.json")
    if os.path.isfile(cfg_path):
        with open(cfg_path) as f:
            if json.load(f) == cfg and os.path.isfile(os.path.join(out, "model.safetensors")):
                return cfg
    os.makedirs(out, exist_ok=True)
    if os.path.exists(cfg_path):
        os.remove(cfg_path)  # incomplete until config.json is written again
    print(f"make_opt_checkpoint: writing {geometry} ({dtype}, seed {seed}) into {out}",
          file=log, flush=True)
    vocab, merges = make_tiny_opt.build_vocab(90)
    make_tiny_opt.write_tokenizer(out, vocab, merges)
    count = 4 + 16 * cfg["num_hidden_layers"]
    nbytes = write_safetensors_streaming(
        os.path.join(out, "model.safetensors"),
        make_tiny_opt.iter_tensors(cfg, VOCAB_SIZE, seed), count, dtype)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"make_opt_checkpoint: {nbytes / 1e9:.2f} GB of weights", file=log, flush=True)
    return cfg


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--geometry", required=True, choices=sorted(GEOMETRIES))
    p.add_argument("--out", required=True)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    make_checkpoint(a.out, a.geometry, a.dtype, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
