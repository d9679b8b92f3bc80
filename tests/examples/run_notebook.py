"""Execute a notebook with Debian's nbclient on a fresh python3 kernel (the interpreter
running this script) and check it ran through: every cell executed, no error output, and
the backtest's cell shows Results._repr_html_ (headline metrics and the inline SVG chart).

    PYTHONPATH=build/python /usr/bin/python3 tests/examples/run_notebook.py NOTEBOOK OUT.ipynb
"""
import sys
from pathlib import Path

try:
    import nbformat
    from nbclient import NotebookClient
except ImportError as e:
    sys.exit(f"run_notebook: {e}; scripts/setup installs python3-nbclient and python3-ipykernel")


def main(path: Path, out: Path) -> int:
    nb = nbformat.read(path, as_version=4)
    # Bounded: a cell that hangs fails the test after 120 s instead of holding CTest.
    client = NotebookClient(nb, timeout=120, startup_timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(nb, out)  # the executed notebook, for a look when something is off
    code = [c for c in nb.cells if c.cell_type == "code"]
    problems = [f"cell {i} did not run" for i, c in enumerate(code) if c.get("execution_count") is None]
    problems += [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(code)
                 for o in c.get("outputs", []) if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for c in code for o in c.get("outputs", [])
            if o.get("output_type") == "execute_result" and "text/html" in o.get("data", {})]
    if not any("<svg" in h and "final equity" in h.lower() for h in html):
        problems.append("no cell shows the Results' HTML (final equity and an <svg> equity chart)")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    if not problems:
        print(f"run_notebook: {path.name}: {len(code)} code cells ran")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
