"""Build step of the scalequant Python package.

`pip install ./python` runs `swift build -c release --product ScaleQuantC` at the root of the ScaleQuant Swift
package (the nearest parent directory of this file whose Package.swift declares the ScaleQuantC product, or
$SCALEQUANT_ROOT) and copies the shared library into the package. Set SCALEQUANT_LIB to the path of a prebuilt
libScaleQuantC.so (or .dylib) to skip the Swift build.

pip >= 21.3 builds local directories in place, so this file is run from its own directory and the Swift package
root is found from __file__; with an older pip or a copied source tree, set SCALEQUANT_ROOT.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

LIB_NAMES = ("libScaleQuantC.so", "libScaleQuantC.dylib", "ScaleQuantC.dll")


def find_swift_root():
    env = os.environ.get("SCALEQUANT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for d in [here, *here.parents]:
        manifest = d / "Package.swift"
        if manifest.is_file() and "ScaleQuantC" in manifest.read_text(encoding="utf-8", errors="replace"):
            return d
    raise RuntimeError(
        "cannot find the ScaleQuant Swift package (a parent directory of %s with a Package.swift declaring "
        "ScaleQuantC); set SCALEQUANT_ROOT to it, or SCALEQUANT_LIB to a prebuilt libScaleQuantC" % here
    )


def build_library():
    prebuilt = os.environ.get("SCALEQUANT_LIB")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise RuntimeError("SCALEQUANT_LIB=%s is not a file" % prebuilt)
        return path
    root = find_swift_root()
    cmd = ["swift", "build", "-c", "release", "--product", "ScaleQuantC"]
    print("scalequant: running %s in %s" % (" ".join(cmd), root), file=sys.stderr)
    subprocess.check_call(cmd, cwd=root)
    bin_path = subprocess.check_output(
        ["swift", "build", "-c", "release", "--show-bin-path"], cwd=root, text=True
    ).strip()
    for name in LIB_NAMES:
        candidate = Path(bin_path) / name
        if candidate.is_file():
            return candidate
    raise RuntimeError("swift build finished but no libScaleQuantC was found in %s" % bin_path)


class BuildWithSwift(build_py):
    """build_py that also builds (or picks up) the Swift library and ships it in the package."""

    def run(self):
        super().run()
        lib = build_library()
        dest = Path(self.build_lib) / "scalequant" / lib.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib, dest)
        print("scalequant: copied %s -> %s" % (lib, dest), file=sys.stderr)


class BinaryDistribution(Distribution):
    """The package holds a native library: build a platform wheel."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithSwift}, distclass=BinaryDistribution)
