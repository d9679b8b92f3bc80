"""The `ml4t-backtest` command of a pip-installed package: runs the CLI binary shipped in
the package (ml4t/backtest/_bin/, built by setup.py next to the extension). Outside
ml4t.backtest, so starting the command does not load the extension, numpy and pandas."""

import os
import sys
from pathlib import Path


def main() -> None:
    exe = Path(__file__).resolve().parent / "backtest" / "_bin" / "ml4t-backtest"
    if not exe.is_file():
        sys.exit(f"ml4t-backtest: {exe} is missing: this ml4t.backtest was not installed with pip "
                 f"(use build/ml4t-backtest of a CMake build, or `pip install .` from the clone)")
    os.execv(exe, ["ml4t-backtest", *sys.argv[1:]])


if __name__ == "__main__":
    main()
