"""quantize_graph: agreement with `scalequant quantize` on graph specs (numbers and files), and bad input."""
import shutil
from pathlib import Path

import numpy as np
import pytest

import scalequant as sq
from conftest import REPO
from scalequant import _lib
from test_mlp import read_safetensors

MODELS = REPO / "Resources" / "models"
CNN = MODELS / "digits_cnn.json"
RESNET = MODELS / "digits_resnet.json"
CALIB_X = REPO / "Resources" / "data" / "digits_calib_x.npy"

pytestmark = pytest.mark.skipif(not _lib.has_quantize_graph, reason="library older than C interface revision 2")


def calib12():
    return np.load(CALIB_X)[:12].reshape(12, 1, 8, 8)


def assert_info_equal(info, expected):
    assert list(info) == list(expected)
    for key, want in expected.items():
        got = info[key]
        if want is None or isinstance(want, (bool, str)):
            assert got == want and type(got) is type(want), key
        elif key in ("sweeps", "calibration_samples"):
            assert type(got) is int and got == want, key
        else:  # the CLI prints integral numbers without ".0" (radius 1): compare as floats
            assert isinstance(got, float), key
            assert got == pytest.approx(want, rel=1e-12, abs=0), key


def assert_same_files(a_spec, b_spec):
    """Same spec text and the same tensors (names, dtypes, values) and metadata in the weights files."""
    assert Path(a_spec).read_text() == Path(b_spec).read_text()
    ta, ma = read_safetensors(Path(a_spec).with_suffix(".safetensors"))
    tb, mb = read_safetensors(Path(b_spec).with_suffix(".safetensors"))
    assert ma == mb
    assert list(ta) == list(tb)
    for name in ta:
        assert ta[name].dtype == tb[name].dtype and ta[name].shape == tb[name].shape, name
        assert np.array_equal(ta[name], tb[name]), name


CASES = [
    ("rtn", {}, []),
    ("cle", {}, []),
    ("cd", {"max_sweeps": 2}, ["--max-sweeps", "2"]),
    ("data", {"max_sweeps": 1}, ["--max-sweeps", "1"]),
    ("rtn-channel", {}, []),
    ("gptq", {}, []),
    ("cle+bc", {}, []),
]


@pytest.mark.parametrize("method,kwargs,flags", CASES, ids=[c[0] for c in CASES])
def test_matches_cli(cli, tmp_path, method, kwargs, flags):
    (tmp_path / "cli").mkdir()
    (tmp_path / "py").mkdir()
    cli_out, py_out = tmp_path / "cli" / "q.json", tmp_path / "py" / "q.json"
    if method in ("data", "gptq", "cle+bc"):
        x = calib12()
        np.save(tmp_path / "calib.npy", x)
        flags = flags + ["--calib", tmp_path / "calib.npy"]
        kwargs = dict(kwargs, calib=x)
    expected = cli("quantize", CNN, "--format", "int4", "--method", method, "-o", cli_out, "--json", *flags)
    info = sq.quantize_graph(CNN, py_out, "int4", method=method, **kwargs)
    assert info["output"] == str(py_out)
    expected["output"] = str(py_out)
    assert_info_equal(info, expected)
    assert_same_files(cli_out, py_out)
    meta = read_safetensors(py_out.with_suffix(".safetensors"))[1]
    assert meta["method"] == method and meta["format"] == "int4" and meta["folded_batch_norm"] == "no"
    if method in ("gptq", "cle+bc"):
        assert info["calibration_samples"] == 12
        with pytest.raises(sq.ScaleQuantError, match="needs calibration inputs"):
            sq.quantize_graph(CNN, tmp_path / "py" / "r.json", "int4", method=method)
    if method == "data":
        assert info["calibration_samples"] == 12
        assert info["calibration_squared_error"] <= info["start_calibration_squared_error"]


def test_resnet_folds_batch_norm_and_bias_format(cli, tmp_path):
    out = str(tmp_path / "r.json")
    info = sq.quantize_graph(str(RESNET), out, "e4m3", method="rtn", bias_fmt="bf16")
    assert info["folded_batch_norm"] is True
    assert info["bias_format"] == "bf16" and "sweeps" not in info
    expected = cli("quantize", RESNET, "--format", "e4m3", "--bias-format", "bf16", "--method", "rtn",
                   "-o", tmp_path / "c.json", "--json")
    expected["output"] = out
    assert_info_equal(info, expected)
    meta = read_safetensors(tmp_path / "r.safetensors")[1]
    assert meta["folded_batch_norm"] == "yes" and meta["bias_format"] == "bf16"


def test_calib_as_flat_rows_and_one_sample(tmp_path):
    x = calib12()
    a = sq.quantize_graph(CNN, tmp_path / "a.json", "int4", method="data", calib=x.reshape(12, 64), max_sweeps=1)
    b = sq.quantize_graph(CNN, tmp_path / "b.json", "int4", method="data", calib=x.astype(np.float32), max_sweeps=1)
    assert a["calibration_squared_error"] == b["calibration_squared_error"]
    one = sq.quantize_graph(CNN, tmp_path / "c.json", "int4", method="data", calib=x[0, 0, :, :].reshape(1, 8, 8),
                            max_sweeps=1)
    assert one["calibration_samples"] == 1


def copy_cnn(folder):
    shutil.copy(CNN, folder / "digits_cnn.json")
    shutil.copy(MODELS / "digits_cnn.safetensors", folder / "digits_cnn.safetensors")
    return folder / "digits_cnn.json"


def test_refuses_to_overwrite_inputs(tmp_path):
    spec = copy_cnn(tmp_path)
    weights = tmp_path / "digits_cnn.safetensors"
    before = spec.read_bytes(), weights.read_bytes()
    with pytest.raises(sq.ScaleQuantError, match="overwrit") as e:
        sq.quantize_graph(spec, spec, "int4", method="rtn")
    assert e.value.code == 1
    with pytest.raises(sq.ScaleQuantError, match="overwrit"):  # a spec whose weights file would be the input's
        sq.quantize_graph(spec, tmp_path / "digits_cnn.JSON", "int4", method="rtn")
    assert (spec.read_bytes(), weights.read_bytes()) == before


def test_errors(tmp_path):
    out = tmp_path / "q.json"
    with pytest.raises(sq.ScaleQuantError) as e:
        sq.quantize_graph(CNN, out, "e9m9x", method="rtn")
    assert e.value.code == 2
    x = calib12()
    x[3, 0, 2, 5] = np.nan
    with pytest.raises(sq.ScaleQuantError, match=r"calib\[%d\]" % (3 * 64 + 2 * 8 + 5)) as e:
        sq.quantize_graph(CNN, out, "int4", method="data", calib=x)
    assert e.value.code == 3
    with pytest.raises(sq.ScaleQuantError, match="calib") as e:
        sq.quantize_graph(CNN, out, "int4", method="data")
    assert e.value.code is None
    with pytest.raises(sq.ScaleQuantError, match=r"\(N, 64\)"):
        sq.quantize_graph(CNN, out, "int4", method="data", calib=np.zeros((4, 63)))
    with pytest.raises(sq.ScaleQuantError, match="empty"):
        sq.quantize_graph(CNN, out, "int4", method="data", calib=np.zeros((0, 64)))
    with pytest.raises(sq.ScaleQuantError, match="data"):
        sq.quantize_graph(CNN, out, "int4", method="rtn", calib=calib12())
    missing = tmp_path / "nope.json"
    with pytest.raises(sq.ScaleQuantError, match="nope.json") as e:
        sq.quantize_graph(missing, out, "int4", method="rtn")
    assert e.value.code == 1
    with pytest.raises(sq.ScaleQuantError, match="nope.json"):  # unreadable spec with calib: the library reports it
        sq.quantize_graph(missing, out, "int4", method="data", calib=calib12())
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(sq.ScaleQuantError, match="JSON") as e:
        sq.quantize_graph(bad, out, "int4", method="rtn")
    assert e.value.code == 1
    with pytest.raises(sq.ScaleQuantError, match="cd") as e:
        sq.quantize_graph(CNN, out, "int4", method="exact")
    assert e.value.code == 4
    with pytest.raises(sq.ScaleQuantError, match="unknown method"):
        sq.quantize_graph(CNN, out, "int4", method="bogus")
    with pytest.raises(sq.ScaleQuantError, match=".json") as e:
        sq.quantize_graph(CNN, tmp_path / "q.safetensors", "int4", method="rtn")
    assert e.value.code == 1
    with pytest.raises(sq.ScaleQuantError, match="max_sweeps"):
        sq.quantize_graph(CNN, out, "int4", method="cd", max_sweeps=0)
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_graph(123, out, "int4", method="rtn")
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.quantize_graph(CNN, out, "int4", method="data", calib=np.array([["a"] * 64]))
    assert not out.exists()


def test_c_function_directly(tmp_path):
    """The C entry point: null paths, calib for the wrong method, n_samples < 1 with a calib pointer."""
    import ctypes
    lib = _lib.lib
    err = ctypes.create_string_buffer(256)
    stats = np.empty(10)
    sp = ctypes.POINTER(ctypes.c_double)
    st = stats.ctypes.data_as(sp)
    out = str(tmp_path / "q.json").encode()
    assert lib.sq_quantize_graph(None, out, b"int4", None, 0, None, 0, 50, st, err, 256) == 1
    assert b"spec_path" in err.value
    assert lib.sq_quantize_graph(str(CNN).encode(), b"", b"int4", None, 0, None, 0, 50, st, err, 256) == 1
    x = np.ascontiguousarray(calib12().reshape(12, 64), dtype=np.float64)
    xp = x.ctypes.data_as(sp)
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 5, xp, 0, 1, st, err, 256) == 1
    assert b"n_samples" in err.value
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 5, None, 12, 1, st, err, 256) == 1
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 0, xp, 12, 1, st, err, 256) == 1
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 9, None, 0, 1, st, err, 256) == 1
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 3, None, 0, 1, st, err, 256) == 4
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 0, None, 0, 1, None, err, 256) == 1
    assert lib.sq_quantize_graph(str(CNN).encode(), out, b"int4", None, 0, None, 0, 1, st, err, 256) == 0
    assert err.value == b""
    assert stats[4] == 0 and stats[5] == 0 and stats[6] == 0 and np.isnan(stats[7]) and np.isnan(stats[8])
    assert np.isnan(stats[9])
