"""quantize_mlp: agreement with `scalequant quantize`, the bundled digits model, and bad input."""
import ctypes
import json
import struct
import subprocess

import numpy as np
import pytest

import scalequant as sq
from conftest import CLI_PATH, REPO
from scalequant import _lib

MODEL = REPO / "Resources" / "models" / "digits_mlp_64_32_10.safetensors"
TEST_X = REPO / "Resources" / "data" / "digits_test_x.npy"
TEST_Y = REPO / "Resources" / "data" / "digits_test_y.npy"

_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """A tiny safetensors reader: {name: ndarray} (F64/F32/F16/I64/I32 only) and the metadata."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, h in header.items():
        a, b = h["data_offsets"]
        dt = np.dtype(_ST_DTYPES[h["dtype"]]).newbyteorder("<")
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dt).reshape(h["shape"]).copy()
    return out, meta


def write_safetensors(path, tensors):
    """Writes float64 tensors as safetensors: 8-byte LE header length, JSON header, raw little-endian F64 data."""
    header, blobs, offset = {}, [], 0
    for name, a in tensors.items():
        data = np.ascontiguousarray(a, dtype="<f8").tobytes()
        header[name] = {"dtype": "F64", "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode("utf-8")
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def random_mlp(widths, seed, bias=True):
    rng = np.random.default_rng(seed)
    sd = {}
    for l in range(len(widths) - 1):
        sd["%d.weight" % (2 * l)] = rng.standard_normal((widths[l + 1], widths[l])) / np.sqrt(widths[l])
        if bias:
            sd["%d.bias" % (2 * l)] = rng.standard_normal(widths[l + 1]) * 0.1
    return sd


def forward(sd, x):
    names = sorted({int(k.split(".")[0]) for k in sd})
    h = x
    for i, k in enumerate(names):
        h = h @ np.asarray(sd["%d.weight" % k], dtype=np.float64).T
        if "%d.bias" % k in sd:
            h = h + np.asarray(sd["%d.bias" % k], dtype=np.float64)
        if i < len(names) - 1:
            h = np.maximum(h, 0)
    return h


METRICS = ["l2_path_metric", "relative_l2_path_metric", "l1_path_metric_bound", "certified_output_bound", "radius"]


@pytest.mark.parametrize("method,widths,fmt,bias_fmt", [
    ("cd", [6, 9, 7, 3], "e4m3", None),
    ("cd", [5, 8, 2], "e4m3", None),
    ("l2r", [6, 9, 7, 3], "e4m3", "bf16"),
    ("exact", [5, 8, 2], "e2m1", None),
    ("rtn", [4, 6, 3], "int4", None),
    ("cle", [4, 6, 3], "e5m2", None),
])
def test_matches_cli(cli, tmp_path, method, widths, fmt, bias_fmt):
    sd = random_mlp(widths, seed=sum(widths) + len(method))
    model, out = tmp_path / "model.safetensors", tmp_path / "out.npz"
    write_safetensors(model, sd)
    args = ["quantize", model, "--format", fmt, "--method", method, "-o", out, "--json"]
    if bias_fmt:
        args += ["--bias-format", bias_fmt]
    ref = cli(*args)
    q, info = sq.quantize_mlp(sd, fmt, method, bias_fmt=bias_fmt)
    saved = np.load(out)
    assert sorted(saved.files) == sorted(q)
    for name in sd:
        assert q[name].dtype == np.float64 and q[name].shape == sd[name].shape
        np.testing.assert_array_equal(q[name], saved[name].astype(np.float64), err_msg=name)
    for key in METRICS:
        if ref[key] is None:
            assert info[key] is None
        else:
            assert info[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-12), key
    assert info["method"] == ref["method"] and info["format"] == ref["format"]
    assert info["bias_format"] == ref["bias_format"]
    if method == "cd":
        assert info["sweeps"] == ref["sweeps"]
    else:
        assert info["sweeps"] == 0


def test_cli_bundled_model_cd(cli, tmp_path):
    """The CLI on the bundled float32 model (safetensors read by the CLI) agrees with quantize_mlp."""
    sd, _ = read_safetensors(MODEL)
    out = tmp_path / "out.npz"
    ref = cli("quantize", MODEL, "--format", "e4m3", "--method", "cd", "-o", out, "--json")
    q, info = sq.quantize_mlp(sd, "e4m3", "cd")
    saved = np.load(out)
    for name in sd:
        assert q[name].dtype == np.float32  # e4m3 values fit in float32: the input dtype is kept
        np.testing.assert_array_equal(q[name], saved[name])
    for key in METRICS:
        assert info[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-12), key
    assert info["sweeps"] == ref["sweeps"]


def test_bundled_model_exact_accuracy():
    sd, meta = read_safetensors(MODEL)
    x, y = np.load(TEST_X), np.load(TEST_Y)
    float_correct = int((forward(sd, x).argmax(axis=1) == y).sum())
    assert float_correct == 438 and meta["accuracy_fraction"] == "438/450"
    q, info = sq.quantize_mlp(sd, "e4m3", "exact")
    assert list(q) == list(sd)
    for name, v in q.items():
        assert v.shape == sd[name].shape and v.dtype == np.float32
        np.testing.assert_array_equal(sq.round(v, "e4m3"), v.astype(np.float64), err_msg=name)
    correct = int((forward(q, x).argmax(axis=1) == y).sum())
    assert correct >= float_correct - 9, correct  # within 2 points of 438/450
    assert 0 < info["relative_l2_path_metric"] < 0.1
    rtn, rtn_info = sq.quantize_mlp(sd, "e4m3", "rtn")
    assert info["l2_path_metric"] <= rtn_info["l2_path_metric"]


def test_missing_biases_are_zero_and_keys_kept():
    sd = random_mlp([4, 5, 3], seed=1, bias=False)
    with_zero = dict(sd, **{"0.bias": np.zeros(5), "2.bias": np.zeros(3)})
    q1, i1 = sq.quantize_mlp(sd, "e4m3", "cd")
    q2, i2 = sq.quantize_mlp(with_zero, "e4m3", "cd")
    assert list(q1) == list(sd)
    for k in sd:
        np.testing.assert_array_equal(q1[k], q2[k])
    assert i1["l2_path_metric"] == i2["l2_path_metric"]


def test_gapped_prefixes_and_duck_typed_tensors():
    class FakeTensor:
        """Mimics torch.Tensor's .detach().cpu().numpy()."""

        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    sd = random_mlp([3, 4, 2], seed=3)
    renamed = {"1.weight": sd["0.weight"], "1.bias": sd["0.bias"], "7.weight": sd["2.weight"], "7.bias": sd["2.bias"]}
    fake = {k: FakeTensor(v) for k, v in renamed.items()}
    q1, _ = sq.quantize_mlp(renamed, "bf16", "l2r")
    q2, _ = sq.quantize_mlp(fake, "bf16", "l2r")
    q3, _ = sq.quantize_mlp(sd, "bf16", "l2r")
    for a, b in zip(["1.weight", "1.bias", "7.weight", "7.bias"], ["0.weight", "0.bias", "2.weight", "2.bias"]):
        np.testing.assert_array_equal(q1[a], q2[a])
        np.testing.assert_array_equal(q1[a], q3[b])


def test_calib_is_ignored_by_data_free_methods():
    sd = random_mlp([3, 4, 2], seed=5)
    q, _ = sq.quantize_mlp(sd, "e4m3", "rtn", calib=np.zeros((2, 3)))  # ignored
    np.testing.assert_array_equal(q["0.weight"], sq.round(sd["0.weight"], "e4m3"))


def calibration(widths, samples, seed):
    return np.random.default_rng([seed, samples]).standard_normal((samples, widths[0]))


def sse(sd, q, x):
    return float(((forward(sd, x) - forward(q, x)) ** 2).sum())


@pytest.mark.parametrize("widths,fmt,bias_fmt,samples", [
    ([6, 9, 7, 3], "e4m3", None, 40),
    ([5, 8, 2], "int4", None, 30),
    ([4, 6, 3], "e2m1", "bf16", 25),
    ([3, 5, 2], "p=3", None, 1),
])
def test_data_matches_cli(cli, tmp_path, widths, fmt, bias_fmt, samples):
    sd = random_mlp(widths, seed=sum(widths) + samples)
    x = calibration(widths, samples, seed=len(widths))
    model, out, calib = tmp_path / "model.safetensors", tmp_path / "out.npz", tmp_path / "calib.npy"
    write_safetensors(model, sd)
    np.save(calib, x)
    args = ["quantize", model, "--format", fmt, "--method", "data", "--calib", calib, "-o", out, "--json"]
    if bias_fmt:
        args += ["--bias-format", bias_fmt]
    ref = cli(*args)
    q, info = sq.quantize_mlp(sd, fmt, "data", bias_fmt=bias_fmt, calib=x)
    saved = np.load(out)
    assert sorted(saved.files) == sorted(q)
    for name in sd:
        assert q[name].dtype == np.float64 and q[name].shape == sd[name].shape
        np.testing.assert_array_equal(q[name], saved[name].astype(np.float64), err_msg=name)
    for key in METRICS:
        if ref[key] is None:
            assert info[key] is None
        else:
            assert info[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-12), key
    assert info["method"] == ref["method"] == "data" and info["format"] == ref["format"]
    assert info["bias_format"] == ref["bias_format"]
    assert info["sweeps"] == ref["sweeps"] >= 1
    # The method's guarantee: on the calibration data, never worse than cd (its start, unless RTN is better).
    cd, _ = sq.quantize_mlp(sd, fmt, "cd", bias_fmt=bias_fmt)
    assert sse(sd, q, x) <= sse(sd, cd, x) * (1 + 1e-12)


def test_data_improves_calibration_error_on_the_bundled_model():
    sd, _ = read_safetensors(MODEL)
    x = np.load(TEST_X)[:64]
    q, info = sq.quantize_mlp(sd, "e4m3", "data", calib=x)
    cd, _ = sq.quantize_mlp(sd, "e4m3", "cd")
    assert sse(sd, q, x) < sse(sd, cd, x)
    for name, v in q.items():
        assert v.dtype == np.float32
        np.testing.assert_array_equal(sq.round(v, "e4m3"), v.astype(np.float64), err_msg=name)


def test_data_calib_forms_agree():
    """1-D calib (one input, as the CLI reads it), float32, non-contiguous and duck-typed tensors: the same result
    as the contiguous float64 copy."""
    sd = random_mlp([4, 6, 3], seed=11)
    x = calibration([4], 12, seed=3).astype(np.float32)
    base, _ = sq.quantize_mlp(sd, "e4m3", "data", calib=x.astype(np.float64))
    wide = np.zeros((12, 8), dtype=np.float32)
    wide[:, ::2] = x

    class FakeTensor:
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def numpy(self):
            return self.a

    for variant in (x, wide[:, ::2], FakeTensor(x), x.tolist()):
        q, _ = sq.quantize_mlp(sd, "e4m3", "data", calib=variant)
        for k in sd:
            np.testing.assert_array_equal(q[k], base[k], err_msg=k)
    one, _ = sq.quantize_mlp(sd, "e4m3", "data", calib=x[0])
    one2, _ = sq.quantize_mlp(sd, "e4m3", "data", calib=x[:1])
    for k in sd:
        np.testing.assert_array_equal(one[k], one2[k])


def test_data_bad_calib():
    sd = random_mlp([6, 5, 3], seed=13)
    x = calibration([6], 10, seed=1)
    with pytest.raises(sq.ScaleQuantError, match="method 'data' needs calibration inputs") as e:
        sq.quantize_mlp(sd, "e4m3", "data")
    assert e.value.code is None
    for bad in (x[:, :4], x.reshape(10, 2, 3), x[0, :5], np.float64(3.0)):
        with pytest.raises(sq.ScaleQuantError, match=r"calib has shape .*expected \(N, 6\)"):
            sq.quantize_mlp(sd, "e4m3", "data", calib=bad)
    with pytest.raises(sq.ScaleQuantError, match="calib is empty"):
        sq.quantize_mlp(sd, "e4m3", "data", calib=np.zeros((0, 6)))
    nan = x.copy()
    nan[2, 1] = np.nan
    with pytest.raises(sq.ScaleQuantError, match=r"calib\[13\] is nan") as e:
        sq.quantize_mlp(sd, "e4m3", "data", calib=nan)
    assert e.value.code == 3
    inf = x.copy()
    inf[9, 5] = -np.inf
    with pytest.raises(sq.ScaleQuantError, match=r"calib\[59\] is -inf") as e:
        sq.quantize_mlp(sd, "e4m3", "data", calib=inf)
    assert e.value.code == 3
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_mlp(sd, "e4m3", "data", calib=x.astype(complex))
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_mlp(sd, "e4m3", "data", calib=np.array([["a"] * 6]))
    huge = x * 1e300
    with pytest.raises(sq.ScaleQuantError, match="beyond the supported magnitude") as e:
        sq.quantize_mlp(sd, "e4m3", "data", calib=huge)
    assert e.value.code == 4
    # binary32 passes the rank-one limits for these small neurons, but its search would list ~2^31 boundaries
    # per coordinate: refused instead of exhausting memory. binary64: refused by the rank-one limits (as cd).
    with pytest.raises(sq.ScaleQuantError, match="rounding boundaries") as e:
        sq.quantize_mlp(sd, "binary32", "data", calib=x)
    assert e.value.code == 4
    with pytest.raises(sq.ScaleQuantError, match="limit") as e:
        sq.quantize_mlp(sd, "binary64", "data", calib=x)
    assert e.value.code == 4
    with pytest.raises(sq.ScaleQuantError, match="unknown format") as e:
        sq.quantize_mlp(sd, "e9m9x", "data", calib=x)
    assert e.value.code == 2


def test_data_c_abi_validation():
    lib = _lib.lib
    D, I = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int64)
    widths = np.array([2, 3, 1], dtype=np.int64)
    w, b = np.linspace(-1, 1, 9), np.zeros(4)
    x = np.linspace(-2, 2, 10)  # 5 samples × 2 inputs
    ow, ob, st = np.empty(9), np.empty(4), np.empty(5)
    e = ctypes.create_string_buffer(512)

    def call(n_samples=5, calib=x, fmt=b"e4m3", out_w=ow, stats=st, wd=widths):
        return lib.sq_quantize_mlp_data(2, wd.ctypes.data_as(I), w.ctypes.data_as(D), b.ctypes.data_as(D), fmt, None,
                                        None if calib is None else calib.ctypes.data_as(D), n_samples,
                                        None if out_w is None else out_w.ctypes.data_as(D), ob.ctypes.data_as(D),
                                        None if stats is None else stats.ctypes.data_as(D), e, len(e))

    assert call() == 0 and e.value == b"" and st[4] >= 1
    assert call(calib=None) == 1 and b"calib is a null pointer" in e.value
    for n in (0, -1, 1 << 40, (1 << 62) + 3):
        assert call(n_samples=n) == 1 and b"n_samples" in e.value
    assert call(out_w=None) == 1 and b"out_weights" in e.value
    assert call(stats=None) == 1 and b"out_stats" in e.value
    assert call(fmt=b"bogus") == 2
    assert call(wd=np.array([2, 0, 1], dtype=np.int64)) == 1 and b"widths[1]" in e.value
    y = x.copy()
    y[7] = np.nan
    assert call(calib=y) == 3 and b"calib[7]" in e.value


def test_bad_input():
    sd = random_mlp([3, 4, 4, 2], seed=7)
    with pytest.raises(sq.ScaleQuantError, match="missing weight"):
        sq.quantize_mlp({"0.bias": np.ones(3), "2.weight": np.ones((2, 3))}, "e4m3")
    with pytest.raises(sq.ScaleQuantError, match="no N.weight"):
        sq.quantize_mlp({}, "e4m3")
    bad = dict(sd, **{"2.weight": np.ones((4, 5))})
    with pytest.raises(sq.ScaleQuantError, match="shape mismatch: '2.weight' has 5 inputs but '0.weight' has 4"):
        sq.quantize_mlp(bad, "e4m3")
    with pytest.raises(sq.ScaleQuantError, match="shape mismatch"):
        sq.quantize_mlp(dict(sd, **{"0.bias": np.ones(3)}), "e4m3")
    nan = dict(sd, **{"2.bias": np.array([0.0, 1.0, np.nan, 2.0])})
    with pytest.raises(sq.ScaleQuantError, match=r"2.bias\[2\] is nan") as e:
        sq.quantize_mlp(nan, "e4m3")
    assert e.value.code == 3
    with pytest.raises(sq.ScaleQuantError, match="unknown method 'nope'"):
        sq.quantize_mlp(sd, "e4m3", "nope")
    with pytest.raises(sq.ScaleQuantError, match="unknown format") as e:
        sq.quantize_mlp(sd, "e9m9x", "rtn")
    assert e.value.code == 2
    message = ("method 'exact' needs exactly one hidden layer (this network has 2); use 'cd' (coordinate descent) "
               "instead")
    with pytest.raises(sq.ScaleQuantError) as e:
        sq.quantize_mlp(sd, "e4m3", "exact")
    assert str(e.value) == message and e.value.code == 4
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_mlp([np.ones((2, 2))], "e4m3")
    with pytest.raises(sq.ScaleQuantError, match="nn.Sequential"):
        sq.quantize_mlp({"fc.weight": np.ones((2, 2))}, "e4m3")
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_mlp({"0.weight": np.ones((2, 2), dtype=complex)}, "e4m3")


def test_exact_message_matches_cli(tmp_path):
    if CLI_PATH is None:
        pytest.skip("scalequant CLI not built")
    sd = random_mlp([3, 4, 4, 2], seed=7)
    model = tmp_path / "m.safetensors"
    write_safetensors(model, sd)
    r = subprocess.run([str(CLI_PATH), "quantize", str(model), "--format", "e4m3", "--method", "exact", "-o",
                        str(tmp_path / "o.npz"), "--json"], capture_output=True, text=True)
    assert r.returncode != 0
    with pytest.raises(sq.ScaleQuantError) as e:
        sq.quantize_mlp(sd, "e4m3", "exact")
    assert str(e.value) in r.stderr


def test_c_abi_validation():
    lib = _lib.lib
    D, I = ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int64)
    widths = np.array([2, 3, 1], dtype=np.int64)
    w, b = np.ones(9), np.zeros(4)
    ow, ob, st = np.empty(9), np.empty(4), np.empty(5)
    e = ctypes.create_string_buffer(512)

    def call(n=2, wd=widths, wp=w, bp=b, fmt=b"e4m3", bfmt=None, method=4, out_w=ow, stats=st):
        args = [n, None if wd is None else wd.ctypes.data_as(I), None if wp is None else wp.ctypes.data_as(D),
                None if bp is None else bp.ctypes.data_as(D), fmt, bfmt, method,
                None if out_w is None else out_w.ctypes.data_as(D), ob.ctypes.data_as(D),
                None if stats is None else stats.ctypes.data_as(D), e, len(e)]
        return lib.sq_quantize_mlp(*args)

    assert call() == 0 and e.value == b""
    assert call(bp=None) == 0  # NULL biases: zeros
    assert call(n=0) == 1 and b"n_layers" in e.value
    assert call(n=-3) == 1
    assert call(wd=None) == 1 and b"widths" in e.value
    assert call(wd=np.array([2, 0, 1], dtype=np.int64)) == 1 and b"widths[1]" in e.value
    assert call(wd=np.array([1 << 30, 1 << 30, 1], dtype=np.int64)) == 1 and b"too large" in e.value
    assert call(wp=None) == 1 and b"weights" in e.value
    assert call(out_w=None) == 1 and b"out_weights" in e.value
    assert call(stats=None) == 1 and b"out_stats" in e.value
    assert call(method=5) == 1 and b"unknown method code 5" in e.value
    assert call(method=-1) == 1
    assert call(fmt=None) == 1
    assert call(fmt=b"bogus") == 2
    assert call(bfmt=b"bogus") == 2
    assert call(fmt=b"int99") == 2
    w2 = w.copy()
    w2[4] = np.inf
    assert call(wp=w2) == 3 and b"weights[4]" in e.value
    assert call(method=2, wd=np.array([2, 3, 1], dtype=np.int64)) == 0
    assert call(method=3, fmt=b"binary64") == 4 and b"limit" in e.value
    # exact with no hidden layer (a single affine layer) does not apply either
    one = np.array([3, 3], dtype=np.int64)
    assert call(n=1, wd=one, method=2) == 4 and b"exactly one hidden layer" in e.value


def test_exact_message_wins_over_limits():
    sd = random_mlp([3, 4, 4, 2], seed=7)
    with pytest.raises(sq.ScaleQuantError, match="exactly one hidden layer") as e:
        sq.quantize_mlp(sd, "binary64", "exact")
    assert e.value.code == 4
    with pytest.raises(sq.ScaleQuantError, match="limit") as e:
        sq.quantize_mlp(sd, "binary64", "cd")
    assert e.value.code == 4
    q, _ = sq.quantize_mlp(sd, "binary64", "rtn")  # rtn needs no rank-one solve
    for k in sd:
        np.testing.assert_array_equal(q[k], sd[k])
