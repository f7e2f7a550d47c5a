"""The Chinese edition cannot drift from the English one.

- Every English notebook's translation (notebooks/zh/text/) matches it cell by cell: a
  changed English cell whose translation was not updated fails, with the cell named.
- The committed Chinese notebooks are what notebooks/translate.py builds from the English
  notebooks and the translations (so a translation edited but not rebuilt fails too).
- Every literal text gradlib passes to ``tr`` (and every widget label and option) has a
  Chinese entry with the same ``{placeholders}``, and no entry is left over.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import string
import sys
from pathlib import Path

import nbformat
import pytest
from editions import EDITIONS
from notebook_widgets import parse_cell

from gradlib.language import LOCALE_DIR, catalog, read_catalog_file
from gradlib.lessons import widget_classes

ROOT = Path(__file__).resolve().parents[1]
ENGLISH_PATHS = sorted(EDITIONS["en"].glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("translate", ROOT / "notebooks" / "translate.py")
translate = importlib.util.module_from_spec(_spec)
sys.modules["translate"] = translate  # its dataclass looks its module up
_spec.loader.exec_module(translate)


@pytest.mark.parametrize("path", ENGLISH_PATHS, ids=[p.stem for p in ENGLISH_PATHS])
def test_translation_matches_the_english_notebook(path: Path) -> None:
    problems = translate.problems(path)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", ENGLISH_PATHS, ids=[p.stem for p in ENGLISH_PATHS])
def test_chinese_notebook_is_built_from_the_current_sources(path: Path) -> None:
    """Same cells, ids, sources, tags and slide types as a fresh build; outputs aside."""
    built = translate.build(path)
    committed = nbformat.read(EDITIONS["zh"] / path.name, as_version=4)
    assert [c.id for c in committed.cells] == [c.id for c in built.cells]
    for mine, fresh in zip(committed.cells, built.cells):
        assert mine.source == fresh.source, (
            f"zh/{path.name}, cell {mine.id} differs from its translation: rebuild it with "
            f"python notebooks/translate.py {path.name[:2]}"
        )
        assert mine.metadata.get("tags") == fresh.metadata.get("tags"), mine.id
        assert mine.metadata.get("slideshow") == fresh.metadata.get("slideshow"), mine.id
        assert mine.metadata.get("jupyter") == fresh.metadata.get("jupyter"), mine.id
    assert committed.metadata["gradlib"]["language"] == "zh"


def _changed(path: Path, tmp_path: Path, index: int, new_source: str) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    nb.cells[index].source = new_source
    changed = tmp_path / path.name
    nbformat.write(nb, changed)
    return translate.problems(changed, translate.read_translation(translate.text_path(path)))


def test_an_english_markdown_change_without_its_translation_is_named(tmp_path: Path) -> None:
    path = EDITIONS["en"] / "04_relu_and_pooling_backward.ipynb"
    nb = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and i > 3)
    cell = nb.cells[index]
    problems = _changed(path, tmp_path, index, cell.source + "\nOne more sentence.")
    assert len(problems) == 1, problems
    (problem,) = problems
    assert f"cell {index} (id {cell.id}, markdown" in problem
    assert "changed since it was translated" in problem
    assert path.name in problem and "04_relu_and_pooling_backward.md" in problem
    new_hash = translate.source_hash(cell.source + "\nOne more sentence.")
    assert f"en:{new_hash}" in problem


def test_a_translation_that_changes_code_is_refused(tmp_path: Path) -> None:
    path = EDITIONS["en"] / "04_relu_and_pooling_backward.ipynb"
    entries = translate.read_translation(translate.text_path(path))
    cell_id, entry = next((k, e) for k, e in entries.items() if e.kind == "code")
    entry.text = entry.text.replace("(", "( 1 +", 1)
    problems = translate.problems(path, entries)
    assert any(cell_id in p and "changes the code" in p for p in problems), problems


def test_an_untranslated_or_new_cell_is_named(tmp_path: Path) -> None:
    path = EDITIONS["en"] / "06_loss_functions.ipynb"
    entries = translate.read_translation(translate.text_path(path))
    nb = nbformat.read(path, as_version=4)
    first_markdown = next(c for c in nb.cells if c.cell_type == "markdown")
    del entries[first_markdown.id]
    problems = translate.problems(path, entries)
    assert any(f"id {first_markdown.id}" in p and "no translation" in p for p in problems)


# ----- strings that code prints or draws ------------------------------------------------


def _tr_calls() -> list[tuple[str, int, ast.Call]]:
    calls = []
    for file in sorted((ROOT / "gradlib").rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "tr"
                and file.name not in ("language.py", "widgets.py")
            ):
                calls.append((str(file.relative_to(ROOT)), node.lineno, node))
    return calls


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _english_texts() -> dict[str, str]:
    """Every English text gradlib shows through tr with a literal: {text: where}. (A call
    such as ``tr(hint)`` on a text from a table is checked where it runs: a Chinese
    notebook stops with MissingTranslation; the table's strings count as used below.)"""
    texts = {}
    for where, line, call in _tr_calls():
        if call.args and isinstance(call.args[0], ast.Constant):
            texts.setdefault(call.args[0].value, f"{where}:{line}")
    for widget in widget_classes():
        for name, control in widget.controls.items():
            texts.setdefault(control.label, f"{widget.__name__}.{name} label")
            for option in getattr(control, "options", ()):
                texts.setdefault(option, f"{widget.__name__}.{name} option")
    return texts


def _string_constants() -> set[str]:
    """Every string literal in gradlib's code (where a table's texts live) and in the English
    notebooks' code cells (labels a cell hands to a lesson function to draw)."""
    files = (ROOT / "gradlib").rglob("*.py")
    trees = [ast.parse(file.read_text(encoding="utf-8")) for file in files]
    for path in ENGLISH_PATHS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and (tree := parse_cell(cell)) is not None:
                trees.append(tree)
    return {
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_shown_text_has_a_chinese_entry_with_the_same_fields() -> None:
    chinese = catalog("zh")
    problems = []
    for text, where in _english_texts().items():
        if text not in chinese:
            problems.append(f"{where}: no Chinese entry for {text!r}")
        elif _fields(text) != _fields(chinese[text]):
            problems.append(
                f"{where}: {text!r} has fields {sorted(_fields(text))}, its translation "
                f"{sorted(_fields(chinese[text]))}"
            )
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:40])


def test_no_catalogue_entry_is_left_over() -> None:
    """Each entry is a text gradlib or a notebook still has: a tr key, a widget label, or a
    string literal or a piece of one (a label shown part by part, e.g. "reshuffled" of
    "reshuffled, every step")."""
    used = set(_english_texts())
    constants = "\n".join(_string_constants())
    left = {
        f"{path.name}: {text!r}"
        for path in sorted((LOCALE_DIR / "zh").glob("*.txt"))
        for text in read_catalog_file(path)
        if text not in used and text not in constants
    }
    assert not left, "entries nothing shows any more:\n" + "\n".join(sorted(left)[:40])


def test_chinese_entries_are_chinese() -> None:
    """A translation that is still the English text is a missed one, unless it has no words."""
    same = [
        text
        for text, chinese in catalog("zh").items()
        if chinese == text and re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}\s+[A-Za-z]{3,}", text)
    ]
    assert not same, f"entries still in English: {same[:20]}"
