#!/usr/bin/python3
"""Broken model directories make `strata run` fail cleanly: non-zero exit (not a signal), stderr
exactly one line starting "strata: error: " that names the file at fault (and the tensor, where a
tensor is at fault), no crash text, and no --output file left behind.

Cases: missing config.json; missing model.safetensors; a shard named in the index missing;
truncated safetensors data; header length beyond the file; header not valid JSON; a tensor with a
wrong shape; tensors with unsupported dtypes (F64, I8); missing vocab.json.
"""

import json
import os
import shutil
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

OPTIONS = dict(layers=2, hidden=32, heads=4, ffn=64, seed=51)
BAD_TENSOR = "model.decoder.layers.1.fc1.weight"
BAD_TENSOR_SHORT = "decoder.layers.1.fc1.weight"  # accepted with or without "model."


def rewrite_with(path, seed, replace):
    """Rewrites path/model.safetensors with tensor BAD_TENSOR replaced: replace(array) ->
    (dtype string, shape, raw bytes)."""
    mk = common.make_tiny_opt
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(path, "vocab.json"), encoding="utf-8") as f:
        n_tokens = len(json.load(f))
    tensors = mk.build_tensors(cfg, n_tokens, seed)
    entries = []
    for name, a in tensors.items():
        if name == BAD_TENSOR:
            entries.append((name,) + replace(a))
        else:
            entries.append((name,) + mk.encode_tensor(a, "f32"))
    mk.write_safetensors(os.path.join(path, "model.safetensors"), entries, {"format": "pt"})


def truncate(path, keep_fraction):
    st = os.path.join(path, "model.safetensors")
    size = os.path.getsize(st)
    with open(st, "r+b") as f:
        f.truncate(int(size * keep_fraction))


def set_header(path, header_len=None, header_bytes=None):
    st = os.path.join(path, "model.safetensors")
    with open(st, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    body = data[8 + n:]
    if header_bytes is None:
        header_bytes = data[8:8 + n]
    if header_len is None:
        header_len = len(header_bytes)
    with open(st, "wb") as f:
        f.write(struct.pack("<Q", header_len) + header_bytes + body)


def break_json(path):
    """Replaces the header with text of the same length that is not JSON."""
    st = os.path.join(path, "model.safetensors")
    with open(st, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    bad = b'{"model.decoder.embed_tokens.weight": {"dtype": F32, oops'
    set_header(path, header_bytes=(bad + b" " * n)[:n])


# (case name, make_model overrides, breaker(path), strings the error line must contain)
CASES = [
    ("missing config.json", {}, lambda p: os.remove(os.path.join(p, "config.json")),
     ["config.json"]),
    ("missing model.safetensors", {}, lambda p: os.remove(os.path.join(p, "model.safetensors")),
     ["model.safetensors"]),
    ("missing shard", {"shards": 3},
     lambda p: os.remove(os.path.join(p, "model-00002-of-00003.safetensors")),
     ["model-00002-of-00003.safetensors"]),
    ("truncated safetensors data", {}, lambda p: truncate(p, 0.6), ["model.safetensors"]),
    ("header length beyond the file", {}, lambda p: set_header(p, header_len=1 << 40),
     ["model.safetensors"]),
    ("header not valid JSON", {}, break_json, ["model.safetensors"]),
    ("tensor with a wrong shape", {},
     lambda p: rewrite_with(p, OPTIONS["seed"], lambda a: common.make_tiny_opt.encode_tensor(
         a[:-1], "f32")),
     ["model.safetensors", BAD_TENSOR_SHORT]),
    ("tensor with dtype F64", {},
     lambda p: rewrite_with(p, OPTIONS["seed"],
                            lambda a: common.make_tiny_opt.encode_tensor(a, "F64")),
     ["model.safetensors", BAD_TENSOR_SHORT]),
    ("tensor with dtype I8", {},
     lambda p: rewrite_with(p, OPTIONS["seed"],
                            lambda a: common.make_tiny_opt.encode_tensor(a * 10, "I8")),
     ["model.safetensors", BAD_TENSOR_SHORT]),
    ("missing vocab.json", {}, lambda p: os.remove(os.path.join(p, "vocab.json")),
     ["vocab.json"]),
]


def main():
    ck = Checker("bad model inputs")
    common.strata_bin()
    with common.tempdir("badmodel") as tmp:
        good = make_model(tmp, "good", **OPTIONS)
        good3 = make_model(tmp, "good3", shards=3, **OPTIONS)
        inp = os.path.join(tmp, "requests.jsonl")
        common.write_jsonl(inp, [{"prompt": "Hello there"}, {"prompt": "The cat"}])

        # Break copies made before anything runs, so that nothing strata may cache beside a
        # model it has loaded (a converted store) can hide the breakage.
        cases = []
        for n, (name, overrides, breaker, names) in enumerate(CASES):
            path = os.path.join(tmp, f"case{n}")
            shutil.copytree(good3 if overrides.get("shards") else good, path)
            breaker(path)
            cases.append(path)

        print("sanity: the unbroken models run")
        for g in (good, good3):
            out = os.path.join(tmp, os.path.basename(g) + ".out.jsonl")
            p = common.run_strata(["run", "--model", g, "--input", inp, "--output", out,
                                   "--max-new-tokens", 3, "--quiet"])
            ck.check(p.returncode == 0 and os.path.exists(out),
                     f"{os.path.basename(g)}: strata run succeeds", common.describe(p))

        for n, (name, overrides, breaker, names) in enumerate(CASES):
            print(f"case: {name}")
            path = cases[n]
            out = os.path.join(tmp, f"case{n}.out.jsonl")
            p = common.run_strata(["run", "--model", path, "--input", inp, "--output", out,
                                   "--max-new-tokens", 3, "--quiet"])
            line = common.check_one_error_line(ck, p, name, names)
            if p.returncode not in (0, 2):
                ck.note(f"{name}: exit code {p.returncode} (bad input is 2 in the CLI contract)")
            ck.check(not os.path.exists(out), f"{name}: no output file", f"line: {line!r}")
            print(f"        stderr: {line!r}")
    ck.finish()


if __name__ == "__main__":
    main()
