"""Build the Chinese edition (notebooks/zh/) from the English notebooks and their translations.

Usage (from the repository root or anywhere)::

    python notebooks/translate.py                 # check, build and execute every zh notebook
    python notebooks/translate.py 04 07           # only these (by number or file name)
    python notebooks/translate.py --check         # only report missing or stale translations
    python notebooks/translate.py --skeleton 04   # add an entry for every cell still missing one
    python notebooks/translate.py --english 04    # lines of the built zh notebook's outputs
                                                  # that still read as English sentences

The English notebook is the source. Its translation is one text file per notebook,
``notebooks/zh/text/<name>.md``, with one block per cell that has learner-visible text::

    <!-- cell 3a1f09c2 markdown en:5d41402a -->
    ## 1. ReLU 在 0 处的导数
    ...

    <!-- cell 77b0c1de code en:0cc175b9 -->
    ```python
    print(f"死亡单元：{dead} 个")
    ```

The marker names the English cell (its id) and the first 8 hex digits of the SHA-1 of its
source when it was translated. Every markdown cell has a block; a code cell has one when it
has a comment or a string of English words (what it prints or draws), and its translation
may change only comments and strings: the code itself stays the English code (checked
token by token). The Chinese notebook is the English one with these blocks in place of the
cells' sources and one line, ``gl.set_language("zh")``, before ``use_style()`` in the first
code cell: it makes gradlib's lessons and checkers print and draw in Chinese
(``gradlib.language``). Cell ids, tags and slide types are the English ones.

When an English cell changes, its hash no longer matches and the build (and
tests/test_translation.py) stops with the cell named and the new hash to put in the marker
once the translation is updated. The executed notebooks are written only when every cell ran.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import os
import re
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent
ZH = NOTEBOOKS / "zh"
TEXT = ZH / "text"
LANGUAGE_LINE = 'gl.set_language("zh")  # 中文版：gradlib 的输出、图和练习反馈都用中文'
STYLE_LINE = "use_style()"

MARKER = re.compile(r"^<!-- cell (\S+) (markdown|code) en:([0-9a-f]{8}) -->$")
ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}[ ,:;.]+[A-Za-z]{2,}")


def source_hash(source: str) -> str:
    """The first 8 hex digits of the SHA-1 of a cell's source."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:8]


@dataclass
class Entry:
    kind: str  # "markdown" or "code"
    english_hash: str
    text: str
    line: int  # where its marker is in the translation file


def text_path(notebook: Path) -> Path:
    return TEXT / f"{notebook.stem}.md"


def read_translation(path: Path) -> dict[str, Entry]:
    """The blocks of a translation file, by English cell id."""
    entries: dict[str, Entry] = {}
    current: tuple[str, str, str, int] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is None:
            return
        cell_id, kind, english_hash, line = current
        body = "\n".join(lines).strip("\n")
        if kind == "code":
            fenced = body.splitlines()
            if len(fenced) < 2 or fenced[0] != "```python" or fenced[-1] != "```":
                raise ValueError(
                    f"{path.name}, line {line}: a code cell's translation is a ```python block"
                )
            body = "\n".join(fenced[1:-1])
        if cell_id in entries:
            raise ValueError(f"{path.name}, line {line}: cell {cell_id} is translated twice")
        entries[cell_id] = Entry(kind, english_hash, body, line)

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.match(line)
        if match:
            close()
            current = (*match.groups(), number)
            lines = []
        elif current is not None:
            lines.append(line)
    close()
    return entries


def _code_tokens(source: str, keep_text: bool) -> list[tuple[int, str]]:
    """Python tokens of a code cell (IPython % and ! lines dropped). With ``keep_text``
    False, strings and comments keep only their kind, not their text."""
    code = "\n".join(
        line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    tokens = []
    for token in tokenize.generate_tokens(io.StringIO(code + "\n").readline):
        if token.type in (tokenize.NL, tokenize.COMMENT):
            if keep_text and token.type == tokenize.COMMENT:
                tokens.append((token.type, token.string))
            continue
        text = token.string if keep_text or token.type != tokenize.STRING else ""
        tokens.append((token.type, text))
    return tokens


def has_english_text(cell: nbformat.NotebookNode) -> bool:
    """True for a markdown cell, and for a code cell with a comment or a string of words."""
    if cell.cell_type == "markdown":
        return True
    if cell.cell_type != "code":
        return False
    for kind, text in _code_tokens(cell.source, keep_text=True):
        if kind == tokenize.COMMENT or (kind == tokenize.STRING and ENGLISH_WORDS.search(text)):
            return True
    return False


def _describe(index: int, cell: nbformat.NotebookNode) -> str:
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index} (id {cell.id}, {cell.cell_type}, starts {first[:60]!r})"


def problems(notebook: Path, entries: dict[str, Entry] | None = None) -> list[str]:
    """What keeps ``notebook``'s translation from matching it; [] when it matches."""
    english = nbformat.read(notebook, as_version=4)
    where = text_path(notebook).relative_to(NOTEBOOKS.parent)
    if entries is None:
        if not text_path(notebook).is_file():
            return [f"{notebook.name} has no translation: {where} is missing"]
        entries = read_translation(text_path(notebook))
    found = []
    cells = {cell.id: (index, cell) for index, cell in enumerate(english.cells)}
    for index, cell in enumerate(english.cells):
        entry = entries.get(cell.id)
        label = f"{notebook.name}, {_describe(index, cell)}"
        now = source_hash(cell.source)
        if entry is None:
            if has_english_text(cell):
                found.append(f"{label} has no translation in {where}")
            continue
        if entry.kind != cell.cell_type:
            found.append(f"{label} is {cell.cell_type}, its translation says {entry.kind}")
        elif entry.english_hash != now:
            found.append(
                f"{label} changed since it was translated ({where}, line {entry.line}): "
                f"update the translation, then its marker to en:{now}"
            )
        elif entry.kind == "markdown" and entry.text.strip() == cell.source.strip():
            if ENGLISH_WORDS.search(cell.source):
                found.append(f"{label} is still in English in {where}, line {entry.line}")
        elif entry.kind == "code":
            try:
                same = _code_tokens(entry.text, False) == _code_tokens(cell.source, False)
            except (tokenize.TokenError, SyntaxError, IndentationError) as error:
                same, error_text = False, f" ({error})"
            else:
                error_text = ""
            if not same:
                found.append(
                    f"{label}: its translation ({where}, line {entry.line}) changes the code, "
                    f"not only comments and strings{error_text}"
                )
    for cell_id, entry in entries.items():
        if cell_id not in cells:
            found.append(
                f"{where}, line {entry.line}: cell {cell_id} is not in {notebook.name} any more"
            )
    return found


def build(notebook: Path) -> nbformat.NotebookNode:
    """The Chinese notebook (not executed) for an English ``notebook`` whose translation
    has no problems."""
    english = nbformat.read(notebook, as_version=4)
    entries = read_translation(text_path(notebook))
    nb = copy.deepcopy(english)
    first_code = True
    for cell in nb.cells:
        entry = entries.get(cell.id)
        if entry is not None:
            cell.source = entry.text
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if first_code:
                if f"\n{STYLE_LINE}\n" not in f"\n{cell.source}\n":
                    raise ValueError(
                        f"{notebook.name}: the first code cell has no line {STYLE_LINE!r} to "
                        "put the language setting before"
                    )
                cell.source = re.sub(
                    rf"^{re.escape(STYLE_LINE)}$",
                    f"{LANGUAGE_LINE}\n{STYLE_LINE}",
                    cell.source,
                    count=1,
                    flags=re.M,
                )
                first_code = False
    nb.metadata.pop("widgets", None)
    nb.metadata["gradlib"] = {"language": "zh", "english": f"../{notebook.name}"}
    return nb


def skeleton(notebook: Path) -> int:
    """Append a block (with the English text, to be translated) for every cell that needs
    one and has none; return how many were added."""
    path = text_path(notebook)
    entries = read_translation(path) if path.is_file() else {}
    english = nbformat.read(notebook, as_version=4)
    blocks = []
    for cell in english.cells:
        if cell.id in entries or not has_english_text(cell):
            continue
        body = cell.source if cell.cell_type == "markdown" else f"```python\n{cell.source}\n```"
        blocks.append(
            f"<!-- cell {cell.id} {cell.cell_type} en:{source_hash(cell.source)} -->\n{body}\n"
        )
    if blocks:
        path.parent.mkdir(parents=True, exist_ok=True)
        head = "" if path.is_file() else f"<!-- 中文翻译：../../{notebook.name} -->\n\n"
        with path.open("a", encoding="utf-8") as out:
            out.write(head + "\n".join(blocks))
    return len(blocks)


ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,;:'-]+[A-Za-z]{2,}){3,}")


def english_left(notebook: Path) -> list[str]:
    """Output lines of the built Chinese notebook with four or more English words in a row:
    text that lessons or cells print and the translation has not reached yet."""
    built = ZH / notebook.name
    if not built.is_file():
        return [f"zh/{notebook.name} is not built yet"]
    nb = nbformat.read(built, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            texts = [output.get("text", "")]
            texts += [output.get("data", {}).get("text/plain", "")]
            texts += [output.get("evalue", "")]
            for text in texts:
                text = "".join(text) if isinstance(text, list) else text
                for line in text.splitlines():
                    if ENGLISH_SENTENCE.search(line):
                        found.append(f"cell {index} (id {cell.id}): {line.strip()[:140]}")
    return found


def english_notebooks(names: list[str]) -> list[Path]:
    every = sorted(NOTEBOOKS.glob("*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        matches = [p for p in every if p.name == name or p.name.startswith(f"{name}_")]
        if not matches:
            raise SystemExit(f"No English notebook matches {name!r} in {NOTEBOOKS}")
        chosen.extend(matches)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="numbers or file names (default: all)")
    parser.add_argument("--check", action="store_true", help="only report problems")
    parser.add_argument(
        "--skeleton", action="store_true", help="add blocks for untranslated cells"
    )
    parser.add_argument(
        "--english", action="store_true", help="list English left in built zh outputs"
    )
    args = parser.parse_args(argv)
    notebooks = english_notebooks(args.notebooks)

    if args.english:
        for notebook in notebooks:
            for line in english_left(notebook):
                print(f"{notebook.name}: {line}")
        return 0

    if args.skeleton:
        for notebook in notebooks:
            print(f"{text_path(notebook).name}: {skeleton(notebook)} blocks added")
        return 0

    found = [problem for notebook in notebooks for problem in problems(notebook)]
    for problem in found:
        print(problem, file=sys.stderr)
    if found or args.check:
        print(f"{len(found)} problem(s)." if found else "Every translation matches.")
        return 1 if found else 0

    sys.path.insert(0, str(NOTEBOOKS))
    import execute

    os.environ.update(execute.FIXED_ENV)
    for notebook in notebooks:
        nb = build(notebook)
        target = ZH / notebook.name
        try:
            seconds = execute.run(nb, ZH, target.name)
        except RuntimeError as error:
            print(f"zh/{error}", file=sys.stderr)
            print(f"zh/{target.name} was left unchanged.", file=sys.stderr)
            return 1
        nbformat.write(nb, target)
        print(f"zh/{target.name}: built and executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
