"""The public names of `import scalequant`, listed explicitly: splitting the package into modules must not add,
drop or change any of them."""
import builtins
import inspect
import pickle

import numpy as np

import scalequant as sq

#: Every public name (no leading underscore) that `import scalequant` offers, and its kind.
PUBLIC = {
    "ScaleQuantError": "class",
    "ScaleQuantTypeError": "class",
    "RankOneResult": "class",
    "abi_version": "function",
    "abi_revision": "function",
    "formats": "function",
    "format_info": "function",
    "round": "function",
    "quantize_rank_one": "function",
    "quantize_factors": "function",
    "quantize_faust": "function",
    "quantize_mlp": "function",
    "quantize_graph": "function",
    "METHODS": "dict",
    "MLP_METHODS": "dict",
    "GRAPH_METHODS": "dict",
}


def test_public_names_are_exactly_the_listed_ones():
    public = {n for n in dir(sq) if not n.startswith("_")}
    assert public == set(PUBLIC)
    assert sorted(sq.__all__) == sorted(PUBLIC)
    assert len(sq.__all__) == len(set(sq.__all__))
    assert sq.__version__ == "0.1.0"


def test_star_import_gives_all():
    ns = {}
    exec("from scalequant import *", ns)
    assert {n for n in ns if n != "__builtins__"} == set(PUBLIC)


def test_kinds_docstrings_and_home_module():
    for name, kind in PUBLIC.items():
        obj = getattr(sq, name)
        if kind == "function":
            assert inspect.isfunction(obj), name
            assert obj.__module__.startswith("scalequant"), name
        elif kind == "class":
            assert inspect.isclass(obj), name
            # Tracebacks, repr and pickles name the package, not the module that defines the class.
            assert obj.__module__ == "scalequant", name
        else:
            assert isinstance(obj, dict), name
        if kind != "dict":
            assert obj.__doc__ and obj.__doc__.strip(), "%s has no docstring" % name
    assert sq.__doc__ and "quantize_graph" in sq.__doc__
    assert sq.round is not builtins.round


def test_method_tables():
    assert sq.METHODS == {"rtn": 0, "pairwise": 1, "l2r": 2, "r2l": 3}
    assert sq.MLP_METHODS == {"rtn": 0, "cle": 1, "exact": 2, "l2r": 3, "cd": 4}
    assert sq.GRAPH_METHODS == {"rtn": 0, "cle": 1, "cd": 4, "data": 5, "rtn-channel": 6, "gptq": 7}


def test_exceptions():
    assert issubclass(sq.ScaleQuantError, ValueError)
    assert issubclass(sq.ScaleQuantTypeError, sq.ScaleQuantError)
    assert issubclass(sq.ScaleQuantTypeError, TypeError)
    assert repr(sq.ScaleQuantError("x", code=2)) == "ScaleQuantError('x')"
    assert str(sq.ScaleQuantError).startswith("<class 'scalequant.ScaleQuantError'")
    try:
        sq.format_info("no-such-format")
    except sq.ScaleQuantError as e:
        assert type(e) is sq.ScaleQuantError and e.code == 2
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is sq.ScaleQuantError and str(again) == str(e)
    else:  # pragma: no cover
        raise AssertionError("format_info accepted an unknown format")


def test_rank_one_result_pickles_under_the_package_name():
    r = sq.quantize_rank_one(np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0]), "e4m3")
    assert type(r) is sq.RankOneResult
    assert r._fields == ("x_hat", "y_hat", "relative_error", "rtn_relative_error", "lam", "mu", "pieces")
    again = pickle.loads(pickle.dumps(r))
    assert type(again) is sq.RankOneResult and again.pieces == r.pieces
    assert np.array_equal(again.x_hat, r.x_hat)


def test_library_module_stays_reachable():
    # ci.sh prints scalequant._lib.lib_path; the tests read _lib.revision and the has_* flags.
    assert sq._lib.lib_path.is_file()
    assert sq.abi_revision() == sq._lib.revision
