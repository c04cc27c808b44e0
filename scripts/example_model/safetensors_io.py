"""safetensors files written and read by hand, with numpy and the standard
library only (no `safetensors` module among the Debian packages used).

Layout (https://github.com/huggingface/safetensors): an 8-byte little-endian
header length N, N bytes of JSON header (name -> dtype, shape, data_offsets
relative to the end of the header; plus `__metadata__`), then the raw
little-endian tensor data.  The header is padded with spaces to a multiple of
8 bytes so that the data is aligned.  Only F16 is written and read: the
example model is stored as F16 and reloaded into float32 tensors.
"""

import json
import struct

import numpy as np
import torch


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        arr = tensors[name].to(torch.float16).contiguous().numpy()
        data = arr.astype("<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for data in blobs:
            f.write(data)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F16", info
        s, e = info["data_offsets"]
        arr = np.frombuffer(raw[base + s:base + e], dtype="<f2").reshape(info["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out
