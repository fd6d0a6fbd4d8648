import math

import numpy as np
import pytest

import scalequant as sq


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isinf(a):
        return False
    return math.isclose(float(a), float(b), rel_tol=1e-15, abs_tol=0)


def test_presets_match_cli(cli):
    rows = cli("formats", "--json")
    ours = {f["name"]: f for f in sq.formats()}
    cli_names = [r["name"] for r in rows]
    # The CLI lists the presets, then examples of the parametric families.
    assert list(ours) == cli_names[:len(ours)]
    for row in rows:
        info = ours.get(row["name"]) or sq.format_info(row["name"])
        for key in ("precision", "emin", "emax", "min_subnormal", "min_normal"):
            assert _same(info[key], row[key]), (row["name"], key, info[key], row[key])
        # Unbounded quantities: null in the CLI's JSON, inf here.
        for key in ("max_finite", "finite_values"):
            if row[key] is None:
                assert info[key] == math.inf, (row["name"], key)
            else:
                assert _same(info[key], row[key]), (row["name"], key, info[key], row[key])


def test_format_kinds():
    assert sq.format_info("e4m3")["kind"] == "float"
    assert sq.format_info("e4m3")["max_finite"] == 448.0
    assert sq.format_info("p=8")["kind"] == "idealized"
    assert sq.format_info("int8")["kind"] == "integer"
    assert sq.format_info("int8")["finite_values"] == 255
    assert sq.format_info("BF16")["precision"] == 8


@pytest.mark.parametrize("bad", ["e4m3x", "", "int0", "p=0", "float128"])
def test_unknown_format(bad):
    with pytest.raises(sq.ScaleQuantError) as e:
        sq.format_info(bad)
    assert e.value.code == 2
    assert str(e.value)


def test_format_type_errors():
    with pytest.raises(sq.ScaleQuantTypeError):
        sq.format_info(8)
    with pytest.raises(sq.ScaleQuantError, match="NUL"):
        sq.format_info("e4m3\0")


def test_abi_and_mlp_entry_point():
    assert sq.abi_version() == 1
    # quantize_mlp is real now (tests in test_mlp.py): a bare array is not a state dict.
    with pytest.raises(sq.ScaleQuantTypeError, match="mapping"):
        sq.quantize_mlp(np.zeros((2, 2)), "e4m3")
