#!/usr/bin/python3
"""Runs the examples in docs/*.md so the guides cannot drift from the code.

Every fenced block is looked at, together with the HTML comments on the lines just
above its opening fence (the "directives"):

  ```bash            run, in a scratch folder laid out like the repository root
                     (build/ -> the build tree, scripts/, include/ and python/ ->
                     the repo's, examples/ and docs/ copied), blocks of one document in order and
                     sharing that folder, each with `bash -euo pipefail`.
  <!-- no-test: why -->      do not run / check this block (say why).
  <!-- exit: N -->           the block must exit with status N (error examples).
  <!-- include: PATH -->     the block must equal the file PATH (repo-relative), or
  <!-- include: PATH#NAME -->  the lines between `// [doc:NAME]` (C++) or `# [doc:NAME]`
                             (Python) markers in it. C++ blocks must be included this
                             way (the file is compiled by CMake), so code in the docs is
                             always code that builds; an included Python file is run by a
                             bash block of the same document.
  <!-- file: PATH -->        write the block to PATH in the scratch folder before the
                             next bash block runs (e.g. a config the commands use).
  <!-- expect: TEXT -->      (on the line after a bash block's closing fence) its
                             output must contain TEXT.

  <!-- run -->               run a ```sh/```shell/```console block (with bash) or a
                             ```python block (with the python3 running this script).
  <!-- needs: python -->     the block uses the Python module: it runs when the build has
                             it (--python-path, set by CMake when the module is built) and
                             is counted as skipped otherwise (e.g. the sanitizer build).
                             ```python blocks need the module implicitly.

With --python-path every block runs with PYTHONPATH=that folder, so `import ml4t.backtest`
works in bash and python blocks alike.

```text, ```yaml, ```json and ```cmake blocks (without `file`) are shown, not run. A
```cpp block that is not included, and a ```python/```sh/```shell/```console block with
neither `run` nor `no-test`, is an error: every command and code block is tested or says
why not.

  run_doc_examples.py --source REPO --build BUILD_DIR [--python-path DIR] [--work DIR] [docs/x.md ...]
  run_doc_examples.py --source REPO --update-includes [docs/x.md ...]   (re-paste included
                     blocks from their files after editing an example; runs nothing)
Exit status 0 when every example passed; the failures are printed otherwise.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+#-]*)")
DIRECTIVE = re.compile(r"^\s*<!--\s*([\w-]+)\s*(?::\s*(.*?))?\s*-->\s*$")
RUN_LANGS = {"bash"}
OPT_IN_LANGS = {"sh", "shell", "console", "python", "python3"}
CPP_LANGS = {"cpp", "c++", "cxx"}


class Block:
    def __init__(self, doc, line, lang, text, directives):
        self.doc, self.line, self.lang, self.text, self.directives = doc, line, lang, text, directives

    def where(self):
        return f"{self.doc}:{self.line}"


def parse(path, display):
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, lang = m.group(1), m.group(2), m.group(3).lower()
        directives, j = [], i - 1
        while j >= 0 and DIRECTIVE.match(lines[j]):
            d = DIRECTIVE.match(lines[j])
            directives.insert(0, (d.group(1), d.group(2) or ""))
            j -= 1
        body, k = [], i + 1
        while k < len(lines) and not lines[k].strip().startswith(fence[0] * len(fence)):
            body.append(lines[k][len(indent):] if lines[k].startswith(indent) else lines[k])
            k += 1
        block = Block(display, i + 1, lang, "\n".join(body) + "\n", directives)
        # `expect` directives follow the block they check, on the lines after its fence.
        block.expects, k = [], k + 1
        while k < len(lines) and DIRECTIVE.match(lines[k]) and DIRECTIVE.match(lines[k]).group(1) == "expect":
            block.expects.append(DIRECTIVE.match(lines[k]).group(2) or "")
            k += 1
        blocks.append(block)
        i = k
    return blocks


def included_text(source, spec):
    path, _, name = spec.partition("#")
    full = os.path.join(source, path)
    if not os.path.isfile(full):
        raise ValueError(f"include: {path} does not exist")
    text = open(full, encoding="utf-8").read()
    if not name:
        return text
    comment = "#" if path.endswith(".py") else "//"
    marker = f"{comment} [doc:{name}]"
    parts = text.split(marker)
    if len(parts) != 3:
        raise ValueError(f"include: {path} needs exactly two '{marker}' lines around the snippet")
    snippet = parts[1]
    snippet = snippet[snippet.index("\n") + 1:]           # drop the rest of the marker line
    snippet = snippet[: snippet.rfind("\n") + 1]          # drop the indent before the closing marker
    lines = snippet.split("\n")
    width = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    return "\n".join(l[width:] for l in lines)


def update_includes(source, docs):
    """Re-pastes every included block from its file (after an example changed)."""
    for doc in docs:
        lines = open(doc, encoding="utf-8").read().split("\n")
        out, i, changed = [], 0, 0
        while i < len(lines):
            out.append(lines[i])
            d = DIRECTIVE.match(lines[i])
            if d and d.group(1) == "include" and i + 1 < len(lines) and FENCE.match(lines[i + 1]):
                m = FENCE.match(lines[i + 1])
                fence, k = m.group(2), i + 2
                while k < len(lines) and not lines[k].strip().startswith(fence):
                    k += 1
                body = included_text(source, d.group(2)).rstrip("\n").split("\n")
                indent = m.group(1)
                new = [lines[i + 1]] + [(indent + l) if l else l for l in body] + [lines[k]]
                if new != lines[i + 1:k + 1]:
                    changed += 1
                out.extend(new)
                i = k + 1
                continue
            i += 1
        if changed:
            open(doc, "w", encoding="utf-8").write("\n".join(out))
        print(f"{os.path.relpath(doc, source)}: {changed} included block(s) updated")
    return 0


def prepare_workdir(work, source, build):
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    os.symlink(os.path.abspath(build), os.path.join(work, "build"))
    os.symlink(os.path.join(source, "scripts"), os.path.join(work, "scripts"))
    os.symlink(os.path.join(source, "include"), os.path.join(work, "include"))
    os.symlink(os.path.join(source, "python"), os.path.join(work, "python"))
    for folder in ("examples", "docs"):
        shutil.copytree(os.path.join(source, folder), os.path.join(work, folder))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True, help="repository root")
    ap.add_argument("--build", help="build tree holding ml4t-backtest (required to run)")
    ap.add_argument("--update-includes", action="store_true", help="rewrite included blocks from their files")
    ap.add_argument("--work", default=None, help="scratch folder (default: BUILD/doc-examples)")
    ap.add_argument("--python-path", default=None,
                    help="the built Python package folder (BUILD/python); without it blocks needing Python are skipped")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per block")
    ap.add_argument("docs", nargs="*", help="Markdown files (default: docs/*.md)")
    args = ap.parse_args()
    source = os.path.abspath(args.source)
    docs = [d for d in args.docs if d] or sorted(
        [os.path.join(source, "docs", f) for f in os.listdir(os.path.join(source, "docs")) if f.endswith(".md")])

    if args.update_includes:
        return update_includes(source, docs)
    if not args.build:
        ap.error("--build is required")
    work_root = os.path.abspath(args.work or os.path.join(args.build, "doc-examples"))

    python_path = os.path.abspath(args.python_path) if args.python_path else None
    failures, ran, checked, skipped, no_python = [], 0, 0, 0, 0
    started = time.monotonic()
    for doc in docs:
        display = os.path.relpath(doc, source)
        blocks = parse(doc, display)
        work = os.path.join(work_root, os.path.splitext(os.path.basename(doc))[0])
        prepared = False
        for b in blocks:
            names = {n for n, _ in b.directives}
            values = {n: v for n, v in b.directives}
            if "no-test" in names:
                skipped += 1
                continue
            if "include" in names:
                checked += 1
                try:
                    want = included_text(source, values["include"])
                except ValueError as e:
                    failures.append(f"{b.where()}: {e}")
                    continue
                if b.text.rstrip("\n") != want.rstrip("\n"):
                    failures.append(f"{b.where()}: block differs from {values['include']}; paste the file again "
                                    f"(or edit the file, which the build compiles)")
                continue
            if b.lang in CPP_LANGS:
                failures.append(f"{b.where()}: C++ block is neither included from a compiled file "
                                f"(<!-- include: examples/cpp/x.cpp -->) nor marked <!-- no-test: why -->")
                continue
            if "file" in names:
                if not prepared:
                    prepare_workdir(work, source, args.build)
                    prepared = True
                target = os.path.join(work, values["file"])
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "w", encoding="utf-8") as f:
                    f.write(b.text)
                continue
            if b.lang in OPT_IN_LANGS and "run" not in names:
                failures.append(f"{b.where()}: {b.lang} block is neither run (<!-- run -->) nor marked "
                                f"<!-- no-test: why -->")
                continue
            runnable = b.lang in RUN_LANGS or ("run" in names and b.lang in OPT_IN_LANGS)
            if not runnable:
                continue
            if ("needs" in names and values["needs"] == "python" or b.lang.startswith("python")) and not python_path:
                no_python += 1
                continue
            if not prepared:
                prepare_workdir(work, source, args.build)
                prepared = True
            want_status = int(values.get("exit", "0") or 0)
            ran += 1
            t0 = time.monotonic()
            try:
                env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC", PYTHONDONTWRITEBYTECODE="1")
                if python_path:
                    env["PYTHONPATH"] = os.pathsep.join(
                        [python_path] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
                if b.lang.startswith("python"):
                    command = [sys.executable, "-c", b.text]
                else:
                    command = ["bash", "-euo", "pipefail", "-c", b.text]
                proc = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=args.timeout,
                                      env=env)
                status, out = proc.returncode, proc.stdout + proc.stderr
            except subprocess.TimeoutExpired as e:
                status, out = "timeout", (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            secs = time.monotonic() - t0
            print(f"{b.where()}: exit {status} in {secs:.1f}s")
            problems = []
            if status != want_status:
                problems.append(f"exit status {status}, expected {want_status}")
            for text in b.expects:
                if text not in out:
                    problems.append(f"output lacks {text!r}")
            if problems:
                tail = "\n".join(out.rstrip().split("\n")[-30:])
                failures.append(f"{b.where()}: {'; '.join(problems)}\n--- block ---\n{b.text}--- output (tail) ---\n"
                                f"{tail}\n---")
    print(f"doc examples: {ran} blocks run, {checked} included blocks checked, {skipped} skipped (no-test), "
          f"{no_python} skipped (no Python module), {len(failures)} failed, {time.monotonic() - started:.1f}s")
    for f in failures:
        print("FAIL " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
