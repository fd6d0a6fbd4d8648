"""A minimal, dependency-light safetensors writer and reader for float32 tensors (numpy only).

Used by scripts/train_digits_cnn.py (whose torch venv has no safetensors package) and scripts/train_digits_mlp.py
(for byte-reproducible files: the safetensors package writes `__metadata__` in hash-map order, which changes from
run to run). The files are ordinary safetensors files: `safetensors.numpy.load_file` and `safetensors.torch.load_file`
read them.
"""
import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata):
    """Writes `tensors` (name -> float32-convertible array) in the safetensors format: an 8-byte little-endian
    header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}} padded with
    spaces to a multiple of 8 bytes, then the raw little-endian float32 data, tensors in name order. Metadata keys
    are sorted too, so the bytes depend only on the contents."""
    header = {"__metadata__": {str(k): str(v) for k, v in sorted(metadata.items())}}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(np.asarray(tensors[name], dtype="<f4"))
        data = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """The matching reader (F32 only), used to check the written file."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", info
        lo, hi = info["data_offsets"]
        out[name] = np.frombuffer(raw[base + lo:base + hi], dtype="<f4").reshape(info["shape"])
    return out, metadata
