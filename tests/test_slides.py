"""Every notebook converts to a reveal.js slide deck (`jupyter nbconvert --to slides`).

Runs nbconvert's SlidesExporter in-process on each notebook of both editions and checks
the deck: it has enough slides, every 'slide'/'subslide' cell starts one, the
cells marked 'skip' (setup, hidden solutions) stay out, and figures are in.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat
import pytest
from editions import NOTEBOOK_IDS, NOTEBOOK_PATHS
from nbconvert import SlidesExporter

MIN_SLIDES = 6  # a title, a few sections, summary, glossary, further reading


@pytest.fixture(scope="module")
def exporter() -> SlidesExporter:
    return SlidesExporter()


def _slide_type(cell: nbformat.NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def _first_line(cell: nbformat.NotebookNode) -> str:
    return next((line.strip() for line in cell.source.splitlines() if line.strip()), "")


def _visible_text(deck: str) -> str:
    """The deck's text without tags (syntax highlighting splits code into many spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", deck))


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=NOTEBOOK_IDS)
def test_notebook_converts_to_a_slide_deck(
    path: Path, exporter: SlidesExporter, tmp_path: Path
) -> None:
    nb = nbformat.read(path, as_version=4)
    deck, _ = exporter.from_notebook_node(nb, resources={"metadata": {"path": str(tmp_path)}})
    out = tmp_path / f"{path.stem}.slides.html"
    out.write_text(deck, encoding="utf-8")

    assert deck.lstrip().lower().startswith("<!doctype html>")
    assert "reveal" in deck.lower(), "the deck does not load reveal.js"

    slide_types = [_slide_type(cell) for cell in nb.cells]
    slides = slide_types.count("slide")
    subslides = slide_types.count("subslide")
    sections = deck.count("<section")
    assert slides > MIN_SLIDES, f"{path.name} has only {slides} cells of slide_type 'slide'"
    assert sections >= slides + subslides, (
        f"{path.name}: {sections} <section>s for {slides} slides and {subslides} subslides"
    )

    text = _visible_text(deck)
    shown = [cell for cell in nb.cells if _slide_type(cell) not in ("skip", None)]
    skipped = [cell for cell in nb.cells if _slide_type(cell) == "skip"]
    for cell in shown:
        if cell.cell_type == "code" and _first_line(cell):
            assert _first_line(cell) in text, f"shown cell {_first_line(cell)!r} is not in the deck"
    for cell in skipped:
        line = _first_line(cell)
        # Skip lines that also occur in a shown cell (e.g. a solution's checker call).
        if line and not any(line in other.source for other in shown):
            assert line not in text, f"cell {line!r} is marked 'skip' but is in the deck"

    figures = sum(
        1
        for cell in shown
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    )
    assert deck.count("data:image/png;base64") >= figures
