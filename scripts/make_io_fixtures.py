#!/usr/bin/env python3
"""Generates the tiny IO test fixtures in Tests/ScaleQuantTests/Fixtures/io/.

Needs numpy, safetensors and ml_dtypes:
    scripts/venv-python fixtures scripts/make_io_fixtures.py     (the environment is made on first use)

Writes .npy files of every supported dtype (1-D and 2-D), two .npz archives (np.savez and
np.savez_compressed), safetensors files, and expected.json with the exact values (as Python float
repr strings, which Swift's Double(String) parses exactly).
"""
import json
import os
import struct

import ml_dtypes
import numpy as np
from safetensors.numpy import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ScaleQuantTests", "Fixtures", "io")
os.makedirs(OUT, exist_ok=True)
expected = {}


def record(name, arr, dtype_name):
    arr = np.asarray(arr)
    expected[name] = {
        "dtype": dtype_name,
        "shape": list(arr.shape),
        "values": [repr(float(v)) for v in arr.astype(np.float64).reshape(-1)],
    }


FLOATS = [0.0, -0.0, 1.0, -2.5, 0.1, 3.140625, 65504.0, 1e-7, float("inf"), float("nan")]
INTS = [0, 1, -1, 7, -8, 100, -100, 127, -128, 42]
DTYPES = {
    "f2": (np.float16, "float16", FLOATS),
    "f4": (np.float32, "float32", FLOATS),
    "f8": (np.float64, "float64", FLOATS),
    "i1": (np.int8, "int8", INTS),
    "i2": (np.int16, "int16", INTS + [-32768, 32767]),
    "i4": (np.int32, "int32", INTS + [-2**31, 2**31 - 1]),
    "i8": (np.int64, "int64", INTS + [-2**53, 2**53]),
    "u1": (np.uint8, "uint8", [0, 1, 2, 127, 128, 200, 254, 255, 3, 4]),
}
for code, (npt, name, vals) in DTYPES.items():
    a1 = np.array(vals, dtype=npt)
    np.save(os.path.join(OUT, f"{code}_1d.npy"), a1)
    record(f"{code}_1d.npy", a1, name)
    a2 = np.array(vals[:6], dtype=npt).reshape(2, 3)
    np.save(os.path.join(OUT, f"{code}_2d.npy"), a2)
    record(f"{code}_2d.npy", a2, name)

scalar = np.array(2.5, dtype=np.float64)
np.save(os.path.join(OUT, "scalar.npy"), scalar)
record("scalar.npy", scalar, "float64")
cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8
np.save(os.path.join(OUT, "f4_3d.npy"), cube)
record("f4_3d.npy", cube, "float32")
flags = np.array([True, False, True])
np.save(os.path.join(OUT, "b1_1d.npy"), flags)
record("b1_1d.npy", flags, "bool")

weights = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
bias = np.array([1, -2, 3], dtype=np.int16)
np.savez(os.path.join(OUT, "pair.npz"), weights=weights, bias=bias)
record("pair.npz/weights", weights, "float32")
record("pair.npz/bias", bias, "int16")
ramp = np.arange(200, dtype=np.float64) / 4
np.savez_compressed(os.path.join(OUT, "compressed.npz"), ramp=ramp, bias=bias)
record("compressed.npz/ramp", ramp, "float64")
record("compressed.npz/bias", bias, "int16")

# Deflate with stored blocks (level 0) and fixed/dynamic Huffman blocks, written through zipfile directly.
import io
import zipfile
with zipfile.ZipFile(os.path.join(OUT, "levels.npz"), "w") as z:
    for member, level, arr in [("stored", 0, bias), ("best", 9, np.arange(300, dtype=np.int16) % 7)]:
        buf = io.BytesIO()
        np.save(buf, arr)
        z.writestr(zipfile.ZipInfo(member + ".npy"), buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED,
                   compresslevel=level)
        record(f"levels.npz/{member}", arr, "int16")

# A safetensors file written by the reference library (F32, F16, I8 and metadata).
lib = {
    "0.weight": np.array([[0.5, -1.0, 2.0], [0.25, 3.0, -0.125]], dtype=np.float32),
    "0.bias": np.array([1.5, -2.0], dtype=np.float16),
    "codes": np.array([-3, 0, 5, 127], dtype=np.int8),
}
save_file(lib, os.path.join(OUT, "library.safetensors"), metadata={"format": "np", "note": "fixture"})
for k, v in lib.items():
    record(f"library.safetensors/{k}", v, {np.float32: "float32", np.float16: "float16", np.int8: "int8"}[v.dtype.type])


def write_safetensors(path, tensors, metadata):
    """Writes a safetensors file by hand (for dtypes numpy cannot hold natively)."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        st_dtype, arr = tensors[name]
        raw = arr.tobytes()
        header[name] = {"dtype": st_dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


bf = np.array([1.0, -0.5, 3.0, 256.0], dtype=ml_dtypes.bfloat16)
e4 = np.array([0.5, -448.0, 0.001953125, 1.75], dtype=ml_dtypes.float8_e4m3fn)
e5 = np.array([[1.0, -57344.0], [0.25, 1.5258789e-05]], dtype=ml_dtypes.float8_e5m2)
mixed = {
    "a.bf16": ("BF16", bf),
    "b.f32": ("F32", np.array([[1.0, 2.0], [3.0, 4.5]], dtype=np.float32)),
    "c.f16": ("F16", np.array([0.1, -65504.0], dtype=np.float16)),
    "d.i8": ("I8", np.array([-128, 127, 0], dtype=np.int8)),
    "e.e4m3": ("F8_E4M3", e4),
    "f.e5m2": ("F8_E5M2", e5),
    "g.f64": ("F64", np.array([np.pi], dtype=np.float64)),
    "h.i32": ("I32", np.array([-7, 70000], dtype=np.int32)),
    "i.u8": ("U8", np.array([255, 1], dtype=np.uint8)),
}
write_safetensors(os.path.join(OUT, "mixed.safetensors"), mixed, {"producer": "make_io_fixtures", "quant": "e4m3"})
names = {"BF16": "bfloat16", "F32": "float32", "F16": "float16", "I8": "int8", "F8_E4M3": "float8_e4m3fn",
         "F8_E5M2": "float8_e5m2", "F64": "float64", "I32": "int32", "U8": "uint8"}
for k, (st, arr) in mixed.items():
    record(f"mixed.safetensors/{k}", arr.astype(np.float64), names[st])

with open(os.path.join(OUT, "vector.txt"), "w") as f:
    f.write("# a test vector\n1.5, -2\n  3e-3 4   # trailing comment\n\n0x1p-3\n")
expected["vector.txt"] = {"dtype": "float64", "shape": [5], "values": [repr(v) for v in [1.5, -2.0, 3e-3, 4.0, 0.125]]}

with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", len(os.listdir(OUT)), "files,", sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT)), "bytes")
