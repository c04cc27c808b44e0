"""Reads a Hugging Face checkpoint's tensors into float32 torch tensors, for the peers.

The files Strata reads: model.safetensors, sharded model-*.safetensors with
model.safetensors.index.json, or pytorch_model.bin. Safetensors files are memory-mapped and
converted tensor by tensor (F32, F16, BF16), so peak memory is the float32 model plus one
tensor. Names lose a leading "model." (transformers' OPTForCausalLM prefix) so callers see
`decoder.layers.N....` either way; `lm_head.weight` is kept as is.

Errors are one line naming the file and what is wrong (WeightsError).
"""

import json
import os
import struct

import numpy as np
import torch


class WeightsError(Exception):
    pass


def _canonical(name):
    return name[len("model."):] if name.startswith("model.") else name


def _to_f32(raw, dtype, shape, where):
    if dtype == "F32":
        arr = raw.view("<f4")
    elif dtype == "F16":
        arr = raw.view("<f2")
    elif dtype == "BF16":  # the top half of a float32
        arr = (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
    else:
        raise WeightsError(f"{where}: dtype {dtype} (the peer reads F32, F16 and BF16)")
    if arr.size != int(np.prod(shape, dtype=np.int64)):
        raise WeightsError(f"{where}: {arr.size} values for shape {shape}")
    return torch.from_numpy(np.ascontiguousarray(arr.reshape(shape), dtype=np.float32))


def read_safetensors(path, out):
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise WeightsError(f"{path}: shorter than a safetensors header")
        (n,) = struct.unpack("<Q", head)
        if n > os.path.getsize(path) - 8:
            raise WeightsError(f"{path}: header length {n} exceeds the file")
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise WeightsError(f"{path}: header is not JSON ({e})")
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= data.size:
            raise WeightsError(f"{path}: {name}: data_offsets {info['data_offsets']} outside "
                               f"the {data.size} data bytes")
        out[_canonical(name)] = _to_f32(data[begin:end], info["dtype"], info["shape"],
                                        f"{path}: {name}")
    del data


def read_checkpoint(model_dir):
    """name -> float32 tensor for every tensor of the checkpoint in model_dir."""
    out = {}
    single = os.path.join(model_dir, "model.safetensors")
    index = os.path.join(model_dir, "model.safetensors.index.json")
    pt_bin = os.path.join(model_dir, "pytorch_model.bin")
    if os.path.isfile(single):
        read_safetensors(single, out)
    elif os.path.isfile(index):
        with open(index) as f:
            try:
                weight_map = json.load(f)["weight_map"]
            except (ValueError, KeyError) as e:
                raise WeightsError(f"{index}: no weight_map ({e})")
        for shard in sorted(set(weight_map.values())):
            read_safetensors(os.path.join(model_dir, shard), out)
    elif os.path.isfile(pt_bin):
        state = torch.load(pt_bin, map_location="cpu")
        for name, t in state.items():
            out[_canonical(name)] = t.float().contiguous()
    else:
        raise WeightsError(f"{model_dir}: no model.safetensors, model.safetensors.index.json or "
                           "pytorch_model.bin")
    return out
