"""Builds the C++ parts of the Python package with CMake, for `pip install .` / `pip wheel .`.

Metadata is in pyproject.toml; the version in VERSION. The extension
ml4t.backtest._ml4t, the CLI (ml4t/backtest/_bin/ml4t-backtest, run by the `ml4t-backtest`
command) and DuckDB's libduckdb.so all land in the package folder, linked with an
$ORIGIN rpath, so the installed package works from any folder without the checkout.

Environment (all optional):
  ML4T_CMAKE_BUILD_DIR   CMake build folder (default: build-wheel/ in the source tree;
                         kept between runs, so a rebuild compiles only what changed)
  ML4T_CMAKE_ARGS        extra CMake configure arguments, e.g. "-DDUCKDB_ROOT=/opt/duckdb"
  CMAKE_BUILD_PARALLEL_LEVEL   compile jobs (default: the number of cores)
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    """The extension CMake builds (python/CMakeLists.txt); setuptools compiles nothing."""

    def __init__(self, name: str) -> None:
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        cmake = shutil.which("cmake")
        if cmake is None:
            sys.exit("ml4t-backtest: cmake not found; install it (Debian: apt-get install cmake, or run scripts/setup)")
        build_dir = Path(os.environ.get("ML4T_CMAKE_BUILD_DIR") or ROOT / "build-wheel").resolve()
        configure = [cmake, "-S", str(ROOT), "-B", str(build_dir),
                     "-DCMAKE_BUILD_TYPE=Release",
                     f"-DPython3_EXECUTABLE={sys.executable}",
                     "-DML4T_BUILD_PYTHON=ON", "-DML4T_PYTHON_WHEEL=ON", "-DML4T_BUILD_CLI=ON",
                     "-DML4T_BUILD_TESTS=OFF", "-DML4T_BUILD_BENCHMARKS=OFF"]
        if shutil.which("ninja") and not (build_dir / "Makefile").exists():
            configure += ["-G", "Ninja"]
        configure += shlex.split(os.environ.get("ML4T_CMAKE_ARGS", ""))
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        stage = build_dir / "wheel-stage"
        shutil.rmtree(stage, ignore_errors=True)
        self._run(configure)
        self._run([cmake, "--build", str(build_dir), "--target", "ml4t_python", "ml4t-backtest", "--parallel", jobs])
        self._run([cmake, "--install", str(build_dir), "--component", "ml4t_wheel", "--prefix", str(stage)])

        # Copy what CMake installed into the package folder setuptools packs (build_lib,
        # or python/ml4t/backtest/ itself for an editable install).
        package_dir = Path(self.get_ext_fullpath(ext.name)).parent
        package_dir.mkdir(parents=True, exist_ok=True)
        staged = stage / "ml4t" / "backtest"
        built = sorted(p.name for p in staged.iterdir())
        if not any(name.startswith("_ml4t.") for name in built):
            sys.exit(f"ml4t-backtest: CMake installed no extension into {staged} (found {built})")
        self._copy_tree(staged, package_dir)

    def copy_extensions_to_source(self) -> None:
        """Editable installs (pip install -e .): setuptools copies the extension into
        python/ml4t/backtest/; libduckdb.so and the CLI go along."""
        super().copy_extensions_to_source()
        build_py = self.get_finalized_command("build_py")
        built = Path(self.build_lib) / "ml4t" / "backtest"
        self._copy_tree(built, Path(build_py.get_package_dir("ml4t.backtest")),
                        only=lambda p: p.name == "libduckdb.so" or p.name == "_bin")

    @staticmethod
    def _copy_tree(source: Path, target_dir: Path, only=lambda p: True) -> None:
        for item in source.iterdir():
            if not only(item):
                continue
            target = target_dir / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target)

    @staticmethod
    def _run(command: list) -> None:
        print("ml4t-backtest:", " ".join(shlex.quote(str(c)) for c in command), flush=True)
        subprocess.run(command, check=True)


setup(ext_modules=[CMakeExtension("ml4t.backtest._ml4t")], cmdclass={"build_ext": CMakeBuild},
      # Not build/: that is the CMake build of scripts/build.
      options={"build": {"build_base": "build-wheel/setuptools"}})
