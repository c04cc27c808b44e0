#!/usr/bin/python3
"""Quantized weights end to end (issue 4, points 3-4): `strata convert --quant`, `--compress-weight`
on `strata run`, and `strata perplexity`.

Cases: `convert --quant w4g64` (also w8g64, w4g128) writes a store whose six linear weight
matrices per layer have dtype q<bits>g<group>, shape [out, in] and exactly rows * ceil(in/G) *
(4 + G*bits/8) bytes, which decode (independently, here, from the documented layout) to within
half a quantization step of the checkpoint's values; every other tensor keeps its dtype and raw
bytes; the manifest says quant: w4g64; CRCs match; `--verify` exits 0, and exits 1 naming the
tensor after a flipped byte in a quantized matrix. A bad --quant name, a bad --compress-weight
and --compress-weight with an unquantized store are one-line errors naming the value. The
executor's invariance grid with compression on: every placement gives the same greedy tokens as
the all-on-device path with the same compression (q4 and q8; HF dir converted on first use, and
a store converted with --quant; policy YAML compress_weight). `strata perplexity` gives finite,
close perplexities at stored precision, w8 and w4.
"""

import json
import math
import os
import re
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, make_model, run_strata  # noqa: E402
from test_convert import TENSOR_LINE, checkpoint_bytes, crc32c, read_manifest  # noqa: E402

LINEAR = ("self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
          "self_attn.out_proj.weight", "fc1.weight", "fc2.weight")
PROMPTS = ["Hi", "The rain in Spain stays mainly in the plain.", "x",
           "Numbers like 3.14159 and 2.71828", "Café?", "One, two, three, four, five."]
PLACEMENTS = [
    ("weights 50% disk, cache on host", [25, 25, 0, 100, 100, 0]),
    ("weights 100% disk, cache on disk", [0, 0, 0, 0, 0, 100]),
    ("weights on host, cache over three tiers", [0, 100, 30, 30, 100, 0]),
    ("weights split over three tiers", [30, 30, 100, 0, 100, 0]),
]


def is_linear(name):
    return name.startswith("decoder.layers.") and name.endswith(LINEAR)


def to_f32(dtype, raw, shape):
    if dtype == "f32":
        a = np.frombuffer(raw, dtype="<f4")
    elif dtype == "f16":
        a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
    else:  # bf16
        a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
    return a.reshape(shape).astype(np.float64)


def dequantize(raw, bits, group, rows, cols):
    """The kCols layout of docs/quantization.md, decoded here: per row ceil(cols/G) blocks of
    [scale f16][min f16][codes]; value = code * scale + min. Returns (values, half step)."""
    groups = -(-cols // group)
    block = 4 + group * bits // 8
    a = np.frombuffer(raw, dtype=np.uint8).reshape(rows, groups, block)
    scale = a[:, :, 0:2].copy().view("<f2").astype(np.float64)[:, :, 0]
    mn = a[:, :, 2:4].copy().view("<f2").astype(np.float64)[:, :, 0]
    codes = a[:, :, 4:]
    if bits == 4:
        codes = np.stack([codes & 15, codes >> 4], axis=-1).reshape(rows, groups, group)
    vals = codes.astype(np.float64) * scale[:, :, None] + mn[:, :, None]
    half = np.repeat(scale / 2, group, axis=1)[:, :cols]
    return vals.reshape(rows, groups * group)[:, :cols], half


def check_quant_store(ck, model, store, quant, layers):
    bits, group = int(quant[1]), int(quant.split("g")[1])
    text, tensors = read_manifest(store)
    ck.check(re.search(rf"^quant: {quant}$", text, re.M) is not None,
             f"{quant}: manifest says quant: {quant}")
    ckpt = checkpoint_bytes(model)
    ck.check(len(tensors) == len(ckpt), f"{quant}: every tensor listed once")
    quantized = 0
    problems = []
    for t in tensors:
        name, dtype = t["name"], t["dtype"]
        shape = [int(x) for x in t["shape"].split(",")] if t["shape"].strip() else []
        with open(os.path.join(store, t["file"]), "rb") as f:
            f.seek(int(t["offset"]))
            data = f.read(int(t["length"]))
        if crc32c(data) != int(t["crc"], 16):
            problems.append(f"{name}: crc")
        src_dtype, src_shape, raw = ckpt[name]
        if shape != src_shape:
            problems.append(f"{name}: shape {shape} vs {src_shape}")
        if not is_linear(name):
            if dtype != src_dtype or data != raw:
                problems.append(f"{name}: dtype {dtype} / bytes differ from the checkpoint")
            continue
        quantized += 1
        rows, cols = shape
        want_len = rows * -(-cols // group) * (4 + group * bits // 8)
        if dtype != f"q{bits}g{group}" or len(data) != want_len:
            problems.append(f"{name}: dtype {dtype}, {len(data)} bytes (want q{bits}g{group}, "
                            f"{want_len})")
            continue
        vals, half = dequantize(data, bits, group, rows, cols)
        orig = to_f32(src_dtype, raw, shape)
        err = np.abs(vals - orig) - (half * (1 + 2 ** -8) + 1e-6 * np.abs(orig) + 1e-30)
        if (err > 0).any():
            problems.append(f"{name}: {int((err > 0).sum())} elements beyond half a step "
                            f"(worst {err.max():.3g})")
    ck.check(quantized == 6 * layers, f"{quant}: 6 linear matrices per layer quantized "
             f"({quantized})")
    ck.check(not problems, f"{quant}: bytes, dtypes, checksums and dequantized values as "
             f"documented", "; ".join(problems[:6]))


def run_grid(ck, tmp, model, reqs, offload, base_args, what):
    p, want = common.run_requests(model, reqs, tmp, base_args + ["--percent", 100, 0, 100, 0,
                                                                  100, 0])
    if not common.check_run_ok(ck, p, want, reqs, f"{what}: all on device"):
        return None
    for name, percent in PLACEMENTS:
        for extra in ([], ["--cpu-attention"], ["--no-overlap", "--gpu-batch-size", 2,
                                                 "--num-gpu-batches", 3]):
            if "--cpu-attention" in extra and percent[2] > 0:
                continue
            args = base_args + ["--percent"] + percent + ["--offload-dir", offload] + extra
            p, got = common.run_requests(model, reqs, tmp, args)
            label = f"{what}: {name} {' '.join(map(str, extra))}"
            if not common.check_run_ok(ck, p, got, reqs, label):
                continue
            diff = [i for i, (a, b) in enumerate(zip(want, got))
                    if a["token_ids"] != b["token_ids"] or a["text"] != b["text"]]
            ck.check(not diff, f"{label}: same tokens as all on device",
                     f"requests {diff}: want {want[diff[0]] if diff else ''} got "
                     f"{got[diff[0]] if diff else ''}")
    return want


def main():
    ck = Checker("quantized store")
    common.strata_bin()
    with common.tempdir("quant") as tmp:
        os.environ["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
        model = make_model(tmp, "m", layers=2, hidden=64, heads=4, ffn=192, seed=41)
        model16 = make_model(tmp, "m16", layers=2, hidden=64, heads=4, ffn=100, seed=42,
                             dtype="f16")

        # convert --quant: structure, values, --verify.
        stores = {}
        for src, quant in ((model, "w4g64"), (model, "w8g64"), (model16, "w4g128"),
                           (model16, "w8g32")):
            store = os.path.join(tmp, f"store-{os.path.basename(src)}-{quant}")
            p = run_strata(["convert", "--model", src, "--out", store, "--quant", quant, "--quiet"])
            if not ck.check(p.returncode == 0, f"convert --quant {quant}", common.describe(p)):
                continue
            stores[(src, quant)] = store
            check_quant_store(ck, src, store, quant, 2)
            p = run_strata(["convert", "--verify", store])
            ck.check(p.returncode == 0 and "match their checksums" in p.stdout,
                     f"{quant}: --verify exits 0", common.describe(p) + p.stdout)
        store4 = stores.get((model, "w4g64"))
        plain = os.path.join(tmp, "store-plain")
        run_strata(["convert", "--model", model, "--out", plain, "--quiet"])
        if store4:
            sizes = [os.path.getsize(os.path.join(d, "layer_000.bin")) for d in (plain, store4)]
            ck.check(sizes[1] * 2 < sizes[0], f"w4g64 layer file much smaller than f32 ({sizes})")

            # A flipped byte inside a quantized matrix: --verify exits 1 naming it.
            broken = os.path.join(tmp, "broken")
            run_strata(["convert", "--model", model, "--out", broken, "--quant", "w4g64",
                        "--quiet"])
            _, tensors = read_manifest(broken)
            fc1 = next(t for t in tensors if t["name"] == "decoder.layers.1.fc1.weight")
            path = os.path.join(broken, fc1["file"])
            with open(path, "r+b") as f:
                f.seek(int(fc1["offset"]) + 100)
                b = f.read(1)
                f.seek(int(fc1["offset"]) + 100)
                f.write(bytes([b[0] ^ 0x10]))
            p = run_strata(["convert", "--verify", broken])
            ck.check(p.returncode == 1 and "decoder.layers.1.fc1.weight" in p.stdout and
                     "checksum mismatch" in p.stdout, "flipped byte in a q4 matrix: --verify "
                     "exits 1 naming it", common.describe(p) + p.stdout)

        # Error cases: one line, exit 2, naming the value and the accepted forms.
        for bad in ("w3g64", "w4g65", "q4", "w4g0", "w4", "W4G64", "w4g16384"):
            p = run_strata(["convert", "--model", model, "--out", os.path.join(tmp, "never"),
                            "--quant", bad])
            check_one_error_line(ck, p, f"--quant {bad}", [f"'{bad}'", "w4g64", "w8g64"],
                                 exit_code=2)
        ck.check(not os.path.exists(os.path.join(tmp, "never")), "bad --quant: nothing written")

        reqs = [{"id": f"p{i}", "prompt": pr, "max_tokens": 2 + (i * 3) % 7}
                for i, pr in enumerate(PROMPTS)]
        offload = os.path.join(tmp, "offload")
        os.makedirs(offload)
        p, _ = common.run_requests(model, reqs, tmp, ["--compress-weight", "q5"])
        check_one_error_line(ck, p, "--compress-weight q5", ["'q5'", "q4", "q8"], exit_code=2)
        p, _ = common.run_requests(plain, reqs, tmp, ["--compress-weight", "q4"])
        check_one_error_line(ck, p, "--compress-weight q4 with an unquantized store",
                             ["none", "--quant"], exit_code=2)

        # Invariance with compression: q4 and q8 from an HF dir (converted on first use).
        want4 = run_grid(ck, tmp, model, reqs, offload, ["--compress-weight", "q4"], "q4")
        want8 = run_grid(ck, tmp, model, reqs, offload, ["--compress-weight", "q8"], "q8")
        p, dense = common.run_requests(model, reqs, tmp, [])
        ck.check(os.path.isdir(os.path.join(tmp, "cache", "strata", "stores")) and any(
            e.endswith("-w4g64") for e in os.listdir(os.path.join(tmp, "cache", "strata",
                                                                    "stores"))),
            "--compress-weight q4 caches a -w4g64 store")
        if want4 and dense:
            same = sum(a["token_ids"] == b["token_ids"] for a, b in zip(want4, dense))
            ck.note(f"q4 vs dense: {same}/{len(dense)} requests with identical tokens")
        # The store converted by `convert --quant w4g64` runs the same (with or without the flag).
        if store4 and want4:
            for args in ([], ["--compress-weight", "q4"]):
                p, got = common.run_requests(store4, reqs, tmp, args + ["--percent", 0, 0, 0, 0,
                                                                        100, 0, "--offload-dir",
                                                                        offload])
                if common.check_run_ok(ck, p, got, reqs, f"--model w4g64 store {args}"):
                    ck.check(got == want4, f"--model w4g64 store {args}: same tokens as "
                             "--compress-weight q4")
        # policy YAML compress_weight: q8
        policy = os.path.join(tmp, "policy.yaml")
        with open(policy, "w") as f:
            f.write("gpu_batch_size: 2\nnum_gpu_batches: 3\nweights: {host: 0.5, disk: 0.5}\n"
                    "cache: {host: 1}\nactivations: {device: 1}\ncompress_weight: q8\n")
        p, got = common.run_requests(model, reqs, tmp, ["--policy", policy, "--offload-dir",
                                                        offload])
        if common.check_run_ok(ck, p, got, reqs, "policy compress_weight: q8") and want8:
            ck.check(got == want8, "policy compress_weight: q8 gives the --compress-weight q8 "
                     "tokens")

        # perplexity at stored precision, w8, w4.
        text = os.path.join(tmp, "text.txt")
        with open(text, "w") as f:
            f.write(" ".join(PROMPTS) * 5)
        ppl = {}
        for args in ([], ["--compress-weight", "q8"], ["--quant", "w4g64"]):
            p = run_strata(["perplexity", "--model", model, "--text", text, "--window", 40] + args)
            if ck.check(p.returncode == 0, f"perplexity {args}", common.describe(p)):
                r = json.loads(p.stdout)
                ppl[r["weights"]] = r["perplexity"]
                ck.check(math.isfinite(r["perplexity"]) and r["perplexity"] > 1 and
                         r["tokens"] > 40 and r["windows"] >= 2, f"perplexity {args}: {r}")
        if len(ppl) == 3:
            ck.check(abs(ppl["w8g64"] / ppl["none"] - 1) < 0.05, f"w8 perplexity close to "
                     f"dense ({ppl})")
    ck.finish()


if __name__ == "__main__":
    main()
