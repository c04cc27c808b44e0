#!/usr/bin/python3
"""`strata convert` writes the store format of docs/store.md and `--verify` checks it.

Cases: a tiny f32 model converts (exit 0); the store holds manifest.yaml, globals.bin, one
layer_NNN.bin per layer and the copied config/tokenizer files; every data file's size and every
tensor's offset are multiples of 4096; every tensor's bytes equal the checkpoint's raw bytes and
its CRC32C (computed here independently) equals the manifest's; `--verify` exits 0; one flipped
byte in a layer file makes `--verify` exit 1 naming that file and tensor; converting onto an
existing store without --force is one error line (exit 2) and leaves it untouched; --force
replaces it; a sharded f16 checkpoint without the "model." prefix converts to the same names; a
truncated layer file and a checkpoint missing a tensor are clean one-line errors that leave no
store or temporary directory behind.
"""

import json
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, describe, make_model, run_strata  # noqa: E402

OPTIONS = dict(layers=2, hidden=32, heads=4, ffn=64, seed=61)
ALIGN = 4096
TENSOR_LINE = re.compile(
    r"^\s*- \{name: (?P<name>[^,]+), dtype: (?P<dtype>\w+), shape: \[(?P<shape>[^\]]*)\], "
    r"file: (?P<file>[^,]+), offset: (?P<offset>\d+), length: (?P<length>\d+), "
    r"crc32c: \"(?P<crc>[0-9a-f]{8})\"\}$")


def crc32c(data):
    """Bitwise CRC32C (Castagnoli, reflected 0x82F63B78), independent of the engine's tables."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def checkpoint_bytes(model_dir):
    """{canonical name: (dtype, shape, raw bytes)} of a model directory's safetensors files."""
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    out = {}
    for name in files:
        with open(os.path.join(model_dir, name), "rb") as f:
            data = f.read()
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
        for key, info in header.items():
            if key == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            canonical = key[len("model."):] if key.startswith("model.") else key
            out[canonical] = (info["dtype"].lower(), info["shape"], data[8 + n + begin:8 + n + end])
    return out


def read_manifest(store):
    with open(os.path.join(store, "manifest.yaml"), encoding="utf-8") as f:
        text = f.read()
    tensors = [m.groupdict() for m in map(TENSOR_LINE.match, text.splitlines()) if m]
    return text, tensors


def check_store(ck, model_dir, store, what, layers):
    names = set(os.listdir(store))
    want = {"manifest.yaml", "globals.bin", "config.json", "vocab.json", "merges.txt"} | {
        f"layer_{j:03d}.bin" for j in range(layers)}
    ck.check(want <= names, f"{what}: store holds {sorted(want)}", f"has {sorted(names)}")
    for name in names:
        if name.endswith(".bin"):
            size = os.path.getsize(os.path.join(store, name))
            ck.check(size % ALIGN == 0, f"{what}: {name} size {size} is a multiple of {ALIGN}")
    with open(os.path.join(model_dir, "config.json"), "rb") as a, \
            open(os.path.join(store, "config.json"), "rb") as b:
        ck.check(a.read() == b.read(), f"{what}: config.json copied verbatim")
    text, tensors = read_manifest(store)
    ck.check("format: strata-weight-store" in text and "format_version: 1" in text and
             "quant: none" in text, f"{what}: manifest header fields")
    ckpt = checkpoint_bytes(model_dir)
    ck.check(len(tensors) == len(ckpt), f"{what}: one manifest line per checkpoint tensor "
             f"({len(tensors)} vs {len(ckpt)})")
    problems = []
    for t in tensors:
        offset, length = int(t["offset"]), int(t["length"])
        if offset % ALIGN:
            problems.append(f"{t['name']}: offset {offset} not aligned")
        layer = re.match(r"decoder\.layers\.(\d+)\.", t["name"])
        want_file = f"layer_{int(layer.group(1)):03d}.bin" if layer else "globals.bin"
        if t["file"] != want_file:
            problems.append(f"{t['name']}: in {t['file']}, expected {want_file}")
        if t["name"] not in ckpt:
            problems.append(f"{t['name']}: not in the checkpoint")
            continue
        dtype, shape, raw = ckpt[t["name"]]
        with open(os.path.join(store, t["file"]), "rb") as f:
            f.seek(offset)
            stored = f.read(length)
        if stored != raw:
            problems.append(f"{t['name']}: stored bytes differ from the checkpoint")
        if int(t["crc"], 16) != crc32c(stored):
            problems.append(f"{t['name']}: crc32c {t['crc']} != {crc32c(stored):08x}")
        if t["dtype"] != dtype or [int(x) for x in t["shape"].split(", ") if x] != shape:
            problems.append(f"{t['name']}: dtype/shape {t['dtype']} [{t['shape']}] vs {dtype} "
                            f"{shape}")
    ck.check(not problems, f"{what}: every tensor aligned, in its layer file, bytes and crc32c "
             "equal the checkpoint's", "; ".join(problems[:6]))
    return tensors


def leftovers(parent, store_name):
    return [n for n in os.listdir(parent) if n.startswith(store_name + ".")]


def main():
    ck = Checker("test_convert")
    with common.tempdir("convert") as tmp:
        model = make_model(tmp, "model", **OPTIONS)
        store = os.path.join(tmp, "store")
        p = run_strata(["convert", "--model", model, "--out", store])
        ck.check(p.returncode == 0, "convert succeeds", describe(p))
        ck.check("layer_001.bin" in p.stderr, "progress names the layer files", p.stderr)
        tensors = check_store(ck, model, store, "f32 model", OPTIONS["layers"])
        ck.check(not leftovers(tmp, "store"), "no temporary directory left", str(os.listdir(tmp)))

        p = run_strata(["convert", "--verify", store])
        ck.check(p.returncode == 0 and "match" in p.stdout, "--verify passes", describe(p))

        # One flipped byte in one layer tensor.
        target = next(t for t in tensors if t["name"] == "decoder.layers.1.fc1.weight")
        path = os.path.join(store, target["file"])
        with open(path, "r+b") as f:
            f.seek(int(target["offset"]) + 17)
            b = f.read(1)
            f.seek(int(target["offset"]) + 17)
            f.write(bytes([b[0] ^ 0x40]))
        p = run_strata(["convert", "--verify", store])
        ck.check(p.returncode == 1, "--verify of a corrupted store exits 1", describe(p))
        want = f"{path}: tensor decoder.layers.1.fc1.weight: checksum mismatch"
        lines = p.stdout.splitlines()
        ck.check(any(line.startswith(want) for line in lines), "--verify names file and tensor",
                 p.stdout)
        ck.check(len(lines) == 2, "--verify prints one line per bad tensor plus a summary",
                 p.stdout)

        # An existing store is refused without --force, untouched, then replaced with it.
        p = run_strata(["convert", "--model", model, "--out", store])
        check_one_error_line(ck, p, "convert onto an existing store", [store, "already exists"],
                             exit_code=2)
        p = run_strata(["convert", "--verify", store])
        ck.check(p.returncode == 1, "the refused conversion left the old store as it was")
        p = run_strata(["convert", "--model", model, "--out", store, "--force", "--quiet"])
        ck.check(p.returncode == 0 and p.stderr == "", "--force --quiet replaces it silently",
                 describe(p))
        p = run_strata(["convert", "--verify", store])
        ck.check(p.returncode == 0, "--verify passes after --force", describe(p))
        ck.check(not leftovers(tmp, "store"), "no temporary or old store left after --force",
                 str(os.listdir(tmp)))

        # Sharded f16 without the "model." prefix: same canonical names, f16 data.
        sharded = make_model(tmp, "sharded", dtype="f16", shards=3, no_prefix=True, **OPTIONS)
        store2 = os.path.join(tmp, "store2")
        p = run_strata(["convert", "--model", sharded, "--out", store2, "-q"])
        ck.check(p.returncode == 0, "sharded f16 model converts", describe(p))
        t2 = check_store(ck, sharded, store2, "sharded f16", OPTIONS["layers"])
        ck.check(sorted(t["name"] for t in t2) == sorted(t["name"] for t in tensors),
                 "same canonical tensor names with and without the prefix")

        # A truncated layer file: one error line naming it, exit 2.
        with open(os.path.join(store2, "layer_001.bin"), "r+b") as f:
            f.truncate(ALIGN + 5)
        p = run_strata(["convert", "--verify", store2])
        check_one_error_line(ck, p, "--verify of a truncated store",
                             [os.path.join(store2, "layer_001.bin"), "truncated"], exit_code=2)

        # A store without manifest.
        os.remove(os.path.join(store2, "manifest.yaml"))
        p = run_strata(["convert", "--verify", store2])
        check_one_error_line(ck, p, "--verify without a manifest", ["manifest.yaml"], exit_code=2)

        # A checkpoint missing a tensor: the error names it; nothing is left behind.
        broken = make_model(tmp, "broken", **OPTIONS)
        st = common.make_tiny_opt
        with open(os.path.join(broken, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(broken, "vocab.json"), encoding="utf-8") as f:
            n_tokens = len(json.load(f))
        entries = [(n,) + st.encode_tensor(a, "f32")
                   for n, a in st.build_tensors(cfg, n_tokens, 61).items()
                   if n != "model.decoder.layers.1.fc2.bias"]
        st.write_safetensors(os.path.join(broken, "model.safetensors"), entries, {"format": "pt"})
        store3 = os.path.join(tmp, "store3")
        p = run_strata(["convert", "--model", broken, "--out", store3])
        check_one_error_line(ck, p, "convert of a checkpoint missing a tensor",
                             ["decoder.layers.1.fc2.bias", "missing"], exit_code=2)
        ck.check(not os.path.exists(store3) and not leftovers(tmp, "store3"),
                 "a failed conversion leaves no store and no temporary directory",
                 str(os.listdir(tmp)))

        p = run_strata(["convert", "--model", model])
        check_one_error_line(ck, p, "convert without --out", ["--out"], exit_code=2)
    ck.finish()


if __name__ == "__main__":
    main()
