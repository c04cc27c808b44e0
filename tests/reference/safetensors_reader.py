"""Independent safetensors reader for the reference forward (float64 numpy).

Format: u64 little-endian header length N, N bytes of JSON {name: {"dtype", "shape",
"data_offsets": [begin, end]}, optional "__metadata__"}, then the data buffer; offsets are relative
to the start of the buffer. Supported dtypes: F32, F16, BF16 (BF16 = the high 16 bits of an F32).
A model directory holds model.safetensors, or model.safetensors.index.json whose "weight_map"
names the shard of every tensor. Names may carry the "model." prefix or not; load_model_dir
returns them without it.
"""

import json
import os
import struct

import numpy as np

_DTYPES = {"F32": ("<f4", 4), "F16": ("<f2", 2), "BF16": ("<u2", 2)}


class SafetensorsError(ValueError):
    pass


def read_safetensors(path):
    """Returns {name: float64 array} for one file; raises SafetensorsError on any defect."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SafetensorsError(f"{path}: file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise SafetensorsError(f"{path}: header length {n} beyond file size {len(data)}")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: header is not valid JSON: {e}") from None
    buf = memoryview(data)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, shape, (begin, end) = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in _DTYPES:
            raise SafetensorsError(f"{path}: tensor {name}: unsupported dtype {dtype}")
        np_dtype, size = _DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(buf)) or end - begin != count * size:
            raise SafetensorsError(f"{path}: tensor {name}: data_offsets [{begin}, {end}] do not "
                                   f"fit shape {shape} {dtype} in a {len(buf)}-byte buffer")
        a = np.frombuffer(buf[begin:end], dtype=np_dtype).reshape(shape)
        if dtype == "BF16":
            a = (a.astype(np.uint32) << 16).view(np.float32)
        out[name] = a.astype(np.float64)
    return out


def load_model_dir(model_dir):
    """All tensors of an HF model directory as {name without "model.": float64 array}."""
    single = os.path.join(model_dir, "model.safetensors")
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(single):
        files = [single]
    elif os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        files = [os.path.join(model_dir, s) for s in sorted(set(weight_map.values()))]
    else:
        raise SafetensorsError(f"{model_dir}: no model.safetensors or index")
    tensors = {}
    for path in files:
        for name, a in read_safetensors(path).items():
            key = name[len("model."):] if name.startswith("model.") else name
            if key in tensors:
                raise SafetensorsError(f"{path}: tensor {name} appears twice")
            tensors[key] = a
    return tensors
