"""Hygiene of every committed notebook: the rules of notebooks/ that nbval does not check.

Each rule is a function ``check_*(nb, path) -> list[str]`` that returns the problems
it finds (empty when the notebook is clean). ``test_hygiene`` runs every rule on
every ``notebooks/*.ipynb``; the tests at the bottom feed each rule a small
in-memory notebook broken in one way and assert that the rule catches it, so no
rule passes vacuously.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from editions import EDITIONS, NOTEBOOK_IDS, NOTEBOOK_PATHS, words
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from notebook_widgets import widget_uses

MAX_BYTES = 2 * 1024 * 1024

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
TEXT_MIMES = ("text/plain", "text/html", "text/markdown", "text/latex")
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MIN_EXERCISES = 2


# Text that differs between machines or runs, so it must never be committed in an output.
UNSTABLE_TEXT = {
    "an absolute path": re.compile(
        r"(?<![\w.])(/home/|/root/|/tmp/|/work/|/Users/|/var/folders/|[A-Z]:\\)"
    ),
    "an object address": re.compile(r"\b0x[0-9a-fA-F]{6,}\b"),
    "a timing": re.compile(
        r"Wall time|CPU times|\d\s*it/s\b|\bper loop\b|\b\d+(\.\d+)?\s*(seconds|sec)\b"
    ),
    "a raw numpy scalar repr": re.compile(r"\bnp\.(float|int|uint|bool)\w*\("),
}
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
WIDGET_CALL = re.compile(
    r"\b(interact|interactive|interactive_output|interact_manual)\(\s*([\w.]+)"
)
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<img[^>]*\bsrc=\"([^\"]+)\"")


# ----- helpers ----------------------------------------------------------------


def _code_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _first_line(cell: nbformat.NotebookNode) -> str:
    return next((line.strip() for line in cell.source.splitlines() if line.strip()), "")


def _where(index: int, cell: nbformat.NotebookNode) -> str:
    return f"cell {index} ({_first_line(cell)[:50]!r})"


def _output_texts(output: nbformat.NotebookNode) -> list[str]:
    """The text of one output that nbval or a reader sees (images and widget JSON excluded)."""
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return [output.ename, output.evalue, *output.traceback]
    data = output.get("data", {})
    return [
        "".join(value) if isinstance(value, list) else str(value)
        for mime, value in data.items()
        if mime in TEXT_MIMES
    ]


def _has_image(cell: nbformat.NotebookNode) -> bool:
    return any(
        mime in output.get("data", {}) for output in cell.get("outputs", []) for mime in IMAGE_MIMES
    )


def _is_widget_cell(cell: nbformat.NotebookNode) -> bool:
    if cell.cell_type != "code":
        return False
    return (
        "widget" in _tags(cell)
        or WIDGET_CALL.search(cell.source) is not None
        or any(WIDGET_MIME in output.get("data", {}) for output in cell.outputs)
    )


def _headings(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    return [
        (len(level), text)
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for level, text in HEADING.findall(cell.source)
    ]


# ----- the rules ----------------------------------------------------------------


def check_title(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """The first cell is markdown titled '# NN · English / 中文' with NN from the file name."""
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return ["the first cell must be a markdown cell with the title"]
    number = path.name[:2]
    title = _first_line(nb.cells[0])
    if not re.fullmatch(rf"# {re.escape(number)} · .+ / .+", title):
        return [f"title {title!r} should read '# {number} · {words(path).title_form}'"]
    return []


def check_kernelspec(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    spec = nb.metadata.get("kernelspec", {})
    problems = []
    if spec.get("name") != "python3":
        problems.append(f"kernelspec name is {spec.get('name')!r}, expected 'python3'")
    if spec.get("language") != "python":
        problems.append(f"kernelspec language is {spec.get('language')!r}, expected 'python'")
    return problems


def check_execution_order(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Every code cell ran, once, top to bottom: execution counts are exactly 1..n."""
    problems = []
    cells = _code_cells(nb)
    for position, (index, cell) in enumerate(cells, start=1):
        if not cell.source.strip():
            problems.append(f"cell {index} is an empty code cell; delete it")
        elif cell.execution_count is None:
            problems.append(f"{_where(index, cell)} was not executed")
        elif cell.execution_count != position:
            problems.append(
                f"{_where(index, cell)} has execution count {cell.execution_count}, expected "
                f"{position}: re-run the notebook top to bottom (python notebooks/execute.py)"
            )
    return problems


def check_no_errors(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    return [
        f"{_where(index, cell)} has an error output {output.ename}: {output.evalue}"
        for index, cell in _code_cells(nb)
        if "raises-exception" not in _tags(cell)
        for output in cell.outputs
        if output.output_type == "error"
    ]


def check_no_stderr(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    return [
        f"{_where(index, cell)} writes to stderr: {output.text.strip()[:80]!r}"
        for index, cell in _code_cells(nb)
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr"
    ]


def check_stable_output_text(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """No paths, object addresses, timings or numpy scalar reprs in any output text."""
    problems = []
    for index, cell in _code_cells(nb):
        for output in cell.outputs:
            for text in _output_texts(output):
                for what, pattern in UNSTABLE_TEXT.items():
                    match = pattern.search(text)
                    if match:
                        start = max(match.start() - 30, 0)
                        problems.append(
                            f"{_where(index, cell)} prints {what}: "
                            f"...{text[start : match.end() + 30]!r}..."
                        )
    return problems


def check_widgets(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """At least one widget; each is `name.live()` (tagged widget + nbval-ignore-output) right
    after its static twin `name = module.Widget.display()`, and nothing else shows one."""
    problems = []
    widget_cells = [(i, c) for i, c in enumerate(nb.cells) if _is_widget_cell(c)]
    if not widget_cells:
        problems.append("the notebook has no widget cell (at least one is required)")
    for index, cell in widget_cells:
        missing = {"widget", "nbval-ignore-output"} - set(_tags(cell))
        if missing:
            problems.append(f"widget {_where(index, cell)} lacks the tag(s) {sorted(missing)}")
        # In a live slideshow Shift+Enter on a slide's last cell moves to the next slide: a
        # cell after the controls, on the same slide, keeps them on screen to be moved.
        after = nb.cells[index + 1] if index + 1 < len(nb.cells) else None
        slide_type = (after or {}).get("metadata", {}).get("slideshow", {}).get("slide_type")
        if slide_type not in ("-", "fragment", "notes"):
            problems.append(
                f"widget {_where(index, cell)}: the cell after it must stay on its slide "
                "(slide_type '-', 'fragment' or 'notes', e.g. a one-line speaker note), or "
                "running the controls in the slideshow moves on to the next slide"
            )
    _, unreadable = widget_uses(path)
    return problems + unreadable


def check_live_slides_settings(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Live slides are top-aligned (RISE's center false): a centred slide jumps when a cell
    runs again (its outputs are cleared, then redrawn) and can leave the screen."""
    if nb.metadata.get("rise", {}).get("center") is not False:
        return ['set the notebook metadata "rise": {"center": false}']
    return []


def check_sections(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    fixed = words(path)
    titles = [text.strip().lower() for _, text in _headings(nb)]
    problems = [
        f"missing the section heading {section!r}"
        for section in fixed.sections
        if section.lower() not in titles
    ]
    exercises = [t for t in titles if fixed.exercise.match(t)]
    if len(exercises) < MIN_EXERCISES:
        problems.append(
            f"{len(exercises)} exercise heading(s) ('{fixed.exercise_form}'), at least "
            f"{MIN_EXERCISES} required"
        )
    return problems


def check_slideshow(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Every cell has a slide type; '##' sections start slides; solutions are skipped."""
    problems = []
    for index, cell in enumerate(nb.cells):
        slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if slide_type not in SLIDE_TYPES:
            problems.append(
                f"{_where(index, cell)} has slide_type {slide_type!r}; set "
                f"metadata.slideshow.slide_type to one of {sorted(SLIDE_TYPES)}"
            )
            continue
        first = _first_line(cell)
        if cell.cell_type == "markdown" and re.match(r"#{1,2} ", first) and slide_type != "slide":
            problems.append(f"{_where(index, cell)} starts a section: slide_type must be 'slide'")
        if "solution" in _tags(cell) and slide_type != "skip":
            problems.append(f"solution {_where(index, cell)} must have slide_type 'skip'")
    return problems


def check_solutions(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """One collapsed, announced, passing solution cell per exercise, that shows no answer.

    A collapsed cell shows its first line, and JupyterLab shows a cell's outputs again when
    it runs (Run All): so the first line is the fixed comment, the cell prints nothing, and
    its one output is the checker's verdict folded behind <details> (``solution(...)``).
    """
    problems = []
    fixed = words(path)
    exercises = sum(1 for _, t in _headings(nb) if fixed.exercise.match(t.strip().lower()))
    solutions = [(i, c) for i, c in enumerate(nb.cells) if "solution" in _tags(c)]
    if len(solutions) < exercises:
        problems.append(
            f"{exercises} exercises but only {len(solutions)} cell(s) tagged 'solution'"
        )
    for index, cell in solutions:
        hidden = cell.get("metadata", {}).get("jupyter", {})
        if hidden.get("source_hidden") is not True or hidden.get("outputs_hidden") is not True:
            problems.append(
                f"solution {_where(index, cell)} is not collapsed: set metadata "
                '{"jupyter": {"source_hidden": true, "outputs_hidden": true}}'
            )
        if not _first_line(cell).startswith(fixed.solution_line):
            problems.append(
                f"solution cell {index} must start with the line {fixed.solution_line!r}...: a "
                f"collapsed cell shows its first line, here {_first_line(cell)!r}"
            )
        before = nb.cells[index - 1] if index > 0 else None
        if (
            before is None
            or before.cell_type != "markdown"
            or fixed.solution_label not in before.source
        ):
            problems.append(
                f"solution cell {index} should follow a markdown line "
                f"'{fixed.solution_label} (click the ... to open):'"
            )
        outputs = cell.get("outputs", [])
        streams = [o for o in outputs if o.output_type == "stream"]
        if streams:
            problems.append(
                f"solution cell {index} prints {streams[0].text.strip()[:60]!r}: it would show "
                "when the learner runs all cells; assert instead of printing"
            )
        verdicts = [
            o
            for o in outputs
            if o.output_type == "execute_result"
            and "".join(o.get("data", {}).get("text/plain", "")).startswith(fixed.correct)
            and "".join(o.get("data", {}).get("text/html", "")).startswith("<details>")
        ]
        if len(verdicts) != 1 or len(outputs) != 1:
            problems.append(
                f"solution cell {index} should end with solution(check_...(...)): its only "
                f"output is the checker's '{fixed.correct}: ...', folded"
            )
    return problems


def check_no_answer_shown(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Outside the collapsed solutions no output says 'Correct: ...' or repeats a solution's
    verdict: the committed notebook shows a learner no answer before they try."""
    problems = []
    correct = words(path).correct
    secrets = {
        "".join(o.data["text/plain"]).removeprefix(correct).lstrip(":： ").strip()
        for c in nb.cells
        if "solution" in _tags(c)
        for o in c.get("outputs", [])
        if "text/plain" in o.get("data", {})
    }
    for index, cell in _code_cells(nb):
        if "solution" in _tags(cell):
            continue
        for output in cell.outputs:
            for text in _output_texts(output):
                if text.lstrip().startswith(correct):
                    problems.append(f"{_where(index, cell)} shows a passing verdict: {text[:60]!r}")
                for secret in secrets:
                    if len(secret) > 8 and secret in text:
                        problems.append(
                            f"{_where(index, cell)} shows a solution's verdict {secret[:50]!r}"
                        )
    return problems


BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
CJK_SEPARATORS = re.compile(r"[、与和及/，,]")


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def _glossary(nb: nbformat.NotebookNode, heading: str) -> tuple[str, str] | None:
    """The glossary's first and second columns, each as one normalised text."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and _first_line(cell).lower() == heading.lower():
            rows = [line.split("|") for line in cell.source.splitlines() if line.count("|") >= 3]
            rows = [row for row in rows[2:] if len(row) >= 4]  # skip the header and its rule
            return " | ".join(_normal(r[1]) for r in rows), " | ".join(_normal(r[2]) for r in rows)
    return None


def check_glossary(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Every term a notebook sets in **bold** is in its glossary, and every term a section
    heading names in the other language ('## N · English / 中文') is in the glossary too.

    English edition: bold terms in the English column, headings' Chinese terms in the
    Chinese column. Chinese edition ('## N · 中文 / English', glossary '| 中文 | English |'):
    bold terms in the Chinese column, headings' English terms in the English column.
    Bold names a term; emphasis is *italics*. A plural matches its singular.
    """
    fixed = words(path)
    glossary = _glossary(nb, fixed.glossary)
    if glossary is None:
        return [f"no '{fixed.glossary}' table with English and Chinese columns"]
    bold_column, heading_column = glossary  # the edition's language first
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or _first_line(cell).lower() == fixed.glossary.lower():
            continue
        for phrase in BOLD.findall(cell.source):
            term = _normal(phrase)
            if fixed.not_a_term.search(term) or index == 0 and term.endswith((".", "。")):
                continue
            if term not in bold_column and term.removesuffix("s") not in bold_column:
                problems.append(
                    f"{_where(index, cell)}: the bold term {phrase!r} is not in the glossary; "
                    "add it, or write it in *italics* if it is emphasis, not a term"
                )
        for level, text in HEADING.findall(cell.source):
            if len(level) != 2 or " / " not in text:
                continue
            for term in CJK_SEPARATORS.split(text.rsplit(" / ", 1)[1]):
                if term.strip() and _normal(term) not in heading_column:
                    problems.append(
                        f"{_where(index, cell)}: the heading's term {term.strip()!r} is not in "
                        "the glossary's other-language column"
                    )
    return problems


def check_figure_alt_text(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Each figure's nearest markdown cell above it describes it in a '*Figure:* ...' sentence."""
    problems = []
    used: dict[int, int] = {}  # markdown cell index -> figures it has described so far
    for index, cell in _code_cells(nb):
        if not _has_image(cell):
            continue
        above = next(
            (j for j in range(index - 1, -1, -1) if nb.cells[j].cell_type == "markdown"), None
        )
        figure = words(path).figure
        count = nb.cells[above].source.count(figure) if above is not None else 0
        used[above] = used.get(above, 0) + 1
        if used[above] > count:
            problems.append(
                f"the figure of {_where(index, cell)} has no alt text: end the markdown cell "
                f"above it with a sentence starting '{figure} ...'"
            )
    return problems


def _rendered_text(source: str) -> str:
    """A markdown cell's text as a reader sees it (CommonMark, as JupyterLab renders it):
    math, code and tags left out."""
    import mistune

    source = re.sub(r"\$\$.*?\$\$", "M", source, flags=re.S)  # math is set apart first
    source = re.sub(r"(?<!\\)\$[^$\n]+?\$", "M", source)
    rendered = re.sub(r"<(code|pre)>.*?</\1>", " ", mistune.html(source), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


# An asterisk left in the rendered text: emphasis that did not close or open. In Chinese it
# happens when a closing ** or * follows punctuation and a character follows it directly
# ("**结论：**正文"): CommonMark does not close it there.
STRAY_EMPHASIS = re.compile(r"\*\*|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")


def check_emphasis_renders(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Every **bold** and *italic* renders as emphasis, with no asterisks left showing."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        text = _rendered_text(cell.source)
        for match in STRAY_EMPHASIS.finditer(text):
            around = text[max(match.start() - 20, 0) : match.end() + 20]
            problems.append(
                f"{_where(index, cell)} shows an asterisk: ...{around!r}...; a closing ** or * "
                "after punctuation needs a space or punctuation after it (write **结论**：正文)"
            )
    return problems


def check_local_links(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    """Relative links and images in markdown point at files that exist (no dead links)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for groups in LINK.findall(cell.source):
            target = next(g for g in groups if g)
            if re.match(r"[a-z][a-z0-9+.-]*:|#", target, re.IGNORECASE):  # http:, mailto:, #anchor
                continue
            file_part = target.split("#")[0]
            if not (path.parent / file_part).exists():
                problems.append(f"{_where(index, cell)} links to {target}, which does not exist")
    return problems


def check_file_size(nb: nbformat.NotebookNode, path: Path) -> list[str]:
    size = path.stat().st_size
    if size >= MAX_BYTES:
        return [f"the file is {size / 1e6:.1f} MB; keep it under 2 MB (smaller figures, fewer)"]
    return []


CHECKS: dict[str, Callable[[nbformat.NotebookNode, Path], list[str]]] = {
    "title": check_title,
    "kernelspec": check_kernelspec,
    "execution_order": check_execution_order,
    "no_errors": check_no_errors,
    "no_stderr": check_no_stderr,
    "stable_output_text": check_stable_output_text,
    "widgets": check_widgets,
    "live_slides_settings": check_live_slides_settings,
    "sections": check_sections,
    "slideshow": check_slideshow,
    "solutions": check_solutions,
    "no_answer_shown": check_no_answer_shown,
    "glossary": check_glossary,
    "figure_alt_text": check_figure_alt_text,
    "emphasis_renders": check_emphasis_renders,
    "local_links": check_local_links,
    "file_size": check_file_size,
}


@pytest.mark.parametrize("check", list(CHECKS))
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=NOTEBOOK_IDS)
def test_hygiene(path: Path, check: str) -> None:
    nb = nbformat.read(path, as_version=4)
    problems = CHECKS[check](nb, path)
    assert not problems, f"{path.name}, {check}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_start_here_exists(edition: str) -> None:
    assert (EDITIONS[edition] / "00_start_here.ipynb").is_file()


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_start_here_maps_every_notebook_of_the_series(edition: str) -> None:
    """00's map links every other notebook of its edition, and nothing is marked as planned."""
    path = EDITIONS[edition] / "00_start_here.ipynb"
    nb = nbformat.read(path, as_version=4)
    heading = words(path).map_heading
    (table,) = [c.source for c in nb.cells if c.source.startswith(heading)]
    linked = {target for target, _ in LINK.findall(table)}
    others = {p.name for p in EDITIONS["en"].glob("*.ipynb") if p.name != "00_start_here.ipynb"}
    assert others <= linked, f"{edition} 00's map does not link {sorted(others - linked)}"
    assert "planned" not in table.lower() and "计划" not in table


@pytest.mark.parametrize(
    ("edition", "other"), [("en", "zh/00_start_here.ipynb"), ("zh", "../00_start_here.ipynb")]
)
def test_start_here_links_the_other_edition(edition: str, other: str) -> None:
    """00 in each language links to 00 in the other, in its first cell."""
    nb = nbformat.read(EDITIONS[edition] / "00_start_here.ipynb", as_version=4)
    assert other in {target for target, _ in LINK.findall(nb.cells[0].source)}


# ----- every rule can fail ------------------------------------------------------------


def _md(source: str, slide: str = "-") -> nbformat.NotebookNode:
    cell = new_markdown_cell(source)
    cell.metadata["slideshow"] = {"slide_type": slide}
    return cell


def _code(source: str, outputs=(), tags=(), slide: str = "-", **meta) -> nbformat.NotebookNode:
    cell = new_code_cell(source, outputs=list(outputs))
    cell.metadata["slideshow"] = {"slide_type": slide}
    if tags:
        cell.metadata["tags"] = list(tags)
    cell.metadata.update(meta)
    return cell


def _stdout(text: str) -> nbformat.NotebookNode:
    return new_output("stream", name="stdout", text=text)


def _result(text: str) -> nbformat.NotebookNode:
    return new_output("execute_result", data={"text/plain": text}, execution_count=None)


def _verdict(text: str) -> nbformat.NotebookNode:
    """What solution(...) shows: the verdict as text, and folded as HTML."""
    html = f"<details><summary>The checker passes</summary><pre>{text}</pre></details>"
    return new_output(
        "execute_result", data={"text/plain": text, "text/html": html}, execution_count=None
    )


def _good_notebook() -> nbformat.NotebookNode:
    """A tiny notebook that follows every rule."""
    figure = new_output(
        "display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 700x400>"}
    )
    widget = new_output(
        "display_data",
        data={WIDGET_MIME: {"model_id": "abc", "version_major": 2}, "text/plain": "interactive"},
    )
    exercise = [
        _md("### Exercise {n}: a number\n<details><summary>Hint</summary>2</details>", "subslide"),
        _code("answer = None  # your code here"),
        _code("check(answer)", [_result("Not yet: your answer is still empty")]),
        _md("**Solution** (click the ... to open):", "skip"),
        _code(
            "# Worked solution: try the exercise first.\nanswer = 2\nsolution(check(answer))",
            [_verdict("Correct: your answer = 2.")],
            tags=["solution"],
            slide="skip",
            jupyter={"source_hidden": True, "outputs_hidden": True},
        ),
    ]
    cells = [
        _md(
            "# 00 · Title / 标题\n## What you will learn\n- a\n## Before you start\n- b",
            "slide",
        ),
        _code("import numpy as np\n\nfrom gradlib.lessons import start", slide="skip"),
        _md(
            "## Picture / 图\nA **picture** of two **derivatives**. See "
            "[the next notebook](01_next.ipynb).\n*Figure:* a line.",
            "slide",
        ),
        _code(
            "tangent = start.TangentLine.display()",
            [_stdout("slope 2.00\n"), figure],
            tags=["static-twin"],
        ),
        _code("tangent.live()", [widget], tags=["widget", "nbval-ignore-output"]),
        _md("Move x0 and watch the slope.", "notes"),
        *[copy.deepcopy(c) for c in exercise],
        *[copy.deepcopy(c) for c in exercise],
        _md("## Summary\n- a", "slide"),
        _md(
            "## Glossary\n| English | 中文 | meaning |\n|---|---|---|\n"
            "| picture | 图 | a drawing |\n| derivative | 导数 | a slope |",
            "slide",
        ),
        _md("## Further reading\n- [a paper](https://example.org)", "slide"),
    ]
    for number, cell in enumerate(c for c in cells if c.source.startswith("### Exercise")):
        cell.source = cell.source.format(n=number + 1)
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number}"  # the exercise cells are copies: make their ids unique
    for count, cell in enumerate((c for c in cells if c.cell_type == "code"), start=1):
        cell.execution_count = count
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = count
    nb = new_notebook(cells=cells)
    nb.metadata["rise"] = {"center": False}
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.validate(nb)
    return nb


def _save(nb: nbformat.NotebookNode, folder: Path) -> Path:
    path = folder / "00_test.ipynb"
    nbformat.write(nb, path)
    (folder / "01_next.ipynb").write_text("{}")
    return path


def _cell(nb, predicate) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if predicate(c))


def _first_code(nb) -> nbformat.NotebookNode:
    return _cell(nb, lambda c: c.cell_type == "code")


def _static_twin(nb) -> nbformat.NotebookNode:
    return _cell(nb, lambda c: "static-twin" in _tags(c))


def _widget_cell(nb) -> nbformat.NotebookNode:
    return _cell(nb, lambda c: "widget" in _tags(c))


def _solution(nb) -> nbformat.NotebookNode:
    return _cell(nb, lambda c: "solution" in _tags(c))


def _remove(nb, predicate) -> None:
    nb.cells = [c for c in nb.cells if not predicate(c)]


def _set_title(nb):
    nb.cells[0].source = nb.cells[0].source.replace("# 00 · Title / 标题", "# Title")


def _kernel_r(nb):
    nb.metadata["kernelspec"]["name"] = "ir"


def _swap_counts(nb):
    _first_code(nb).execution_count = 5


def _unexecuted(nb):
    _static_twin(nb).execution_count = None


def _error(nb):
    _static_twin(nb).outputs.append(
        new_output("error", ename="ValueError", evalue="bad", traceback=["ValueError: bad"])
    )


def _stderr(nb):
    _static_twin(nb).outputs.append(new_output("stream", name="stderr", text="UserWarning: x\n"))


def _print(text):
    def mutate(nb):
        _static_twin(nb).outputs.append(_stdout(text))

    return mutate


def _untag_widget(nb):
    _widget_cell(nb).metadata["tags"] = ["widget"]


def _no_twin(nb):
    _remove(nb, lambda c: "static-twin" in _tags(c))


def _twin_calls_other(nb):
    _static_twin(nb).source = "other = start.TangentLine.display()"


def _widget_not_live(nb):
    _widget_cell(nb).source = "widgets.interact(draw, x0=1.0)"


def _widget_class_missing(nb):
    _static_twin(nb).source = "tangent = start.NoSuchWidget.display()"


def _widget_last_on_its_slide(nb):
    _cell(nb, lambda c: c.source.startswith("Move x0")).metadata.slideshow.slide_type = "subslide"


def _centred_slides(nb):
    del nb.metadata["rise"]


def _no_widget(nb):
    _remove(nb, lambda c: "widget" in _tags(c))


def _no_section(name):
    def mutate(nb):
        for cell in nb.cells:
            cell.source = cell.source.replace(f"## {name}", "## Something else")

    return mutate


def _one_exercise(nb):
    _cell(nb, lambda c: c.source.startswith("### Exercise 2")).source = "### Practice"


def _no_slide_type(nb):
    del nb.cells[3].metadata["slideshow"]


def _section_not_slide(nb):
    _cell(nb, lambda c: c.source.startswith("## Summary")).metadata.slideshow.slide_type = "-"


def _solution_shown(nb):
    _solution(nb).metadata.slideshow.slide_type = "-"


def _solution_visible(nb):
    del _solution(nb).metadata["jupyter"]


def _solution_output_shown(nb):
    _solution(nb).metadata["jupyter"]["outputs_hidden"] = False


def _solution_first_line_shows_code(nb):
    _solution(nb).source = "answer = 2\nsolution(check(answer))"


def _solution_prints(nb):
    _solution(nb).outputs.insert(0, _stdout("the answer is 2\n"))


def _solution_not_folded(nb):
    _solution(nb).outputs = [_result("Correct: your answer = 2.")]


def _check_cell_shows_correct(nb):
    _cell(nb, lambda c: c.source == "check(answer)").outputs = [_result("Correct: 2.")]


def _verdict_printed_elsewhere(nb):
    _static_twin(nb).outputs.append(_stdout("your answer = 2.\n"))


def _solution_untagged(nb):
    _solution(nb).metadata["tags"] = []


def _solution_unannounced(nb):
    _cell(nb, lambda c: c.source.startswith("**Solution**")).source = "The answer:"


def _solution_fails(nb):
    _solution(nb).outputs = [_result("Not yet: your answer = 3, expected 2.")]


def _no_alt_text(nb):
    _cell(nb, lambda c: "*Figure:*" in c.source).source = "## Picture\nA line."


def _two_figures_one_alt_text(nb):
    twin = _static_twin(nb)
    second = copy.deepcopy(twin)
    second.metadata["tags"] = []
    second.id = "second-figure"
    nb.cells.insert(nb.cells.index(twin) + 1, second)


def _bold_term_missing(nb):
    cell = _cell(nb, lambda c: c.source.startswith("## Picture"))
    cell.source = cell.source.replace("**picture**", "**gradient**")


def _heading_term_missing(nb):
    cell = _cell(nb, lambda c: c.source.startswith("## Picture"))
    cell.source = cell.source.replace("## Picture / 图", "## Picture / 梯度")


def _no_glossary(nb):
    _remove(nb, lambda c: c.source.startswith("## Glossary"))


def _bold_not_closed(nb):
    nb.cells[2].source += "\n\n**结论：**正文"


def _dead_link(nb):
    nb.cells[2].source = nb.cells[2].source.replace("01_next.ipynb", "04_planned.ipynb")


def _huge(nb):
    _static_twin(nb).outputs[1].data["image/png"] = "A" * MAX_BYTES


BROKEN = [
    ("title", _set_title, "title"),
    ("kernelspec", _kernel_r, "kernelspec name"),
    ("execution_order", _swap_counts, "execution count 5"),
    ("execution_order", _unexecuted, "was not executed"),
    ("no_errors", _error, "ValueError"),
    ("no_stderr", _stderr, "stderr"),
    ("stable_output_text", _print("saved to /home/ada/run.npz\n"), "absolute path"),
    ("stable_output_text", _print("written to C:\\Users\\ada\n"), "absolute path"),
    ("stable_output_text", _print("<Line2D at 0x7f3a2c1b9d50>\n"), "object address"),
    ("stable_output_text", _print("Wall time: 1.2 s\n"), "timing"),
    ("stable_output_text", _print("100/100 [00:01, 87.5it/s]\n"), "timing"),
    ("stable_output_text", _print("trained in 3.4 seconds\n"), "timing"),
    ("stable_output_text", _print("loss np.float64(0.25)\n"), "numpy scalar"),
    ("widgets", _untag_widget, "nbval-ignore-output"),
    ("widgets", _no_twin, "static-twin"),
    ("widgets", _twin_calls_other, "must end with `tangent = "),
    ("widgets", _widget_not_live, "exactly `<name>.live()`"),
    ("widgets", _widget_class_missing, "cannot import gradlib.lessons.start.NoSuchWidget"),
    ("widgets", _no_widget, "no widget cell"),
    ("widgets", _widget_last_on_its_slide, "the cell after it must stay on its slide"),
    ("live_slides_settings", _centred_slides, '"rise": {"center": false}'),
    ("sections", _no_section("What you will learn"), "What you will learn"),
    ("sections", _no_section("Before you start"), "Before you start"),
    ("sections", _no_section("Summary"), "Summary"),
    ("sections", _no_section("Glossary"), "Glossary"),
    ("sections", _no_section("Further reading"), "Further reading"),
    ("sections", _one_exercise, "exercise heading"),
    ("slideshow", _no_slide_type, "slide_type None"),
    ("slideshow", _section_not_slide, "must be 'slide'"),
    ("slideshow", _solution_shown, "'skip'"),
    ("solutions", _solution_visible, "not collapsed"),
    ("solutions", _solution_output_shown, "not collapsed"),
    ("solutions", _solution_first_line_shows_code, "must start with the line"),
    ("solutions", _solution_prints, "prints 'the answer is 2'"),
    ("solutions", _solution_not_folded, "folded"),
    ("no_answer_shown", _check_cell_shows_correct, "passing verdict"),
    ("no_answer_shown", _verdict_printed_elsewhere, "solution's verdict"),
    ("solutions", _solution_untagged, "only 1 cell"),
    ("solutions", _solution_unannounced, "**Solution**"),
    ("solutions", _solution_fails, "solution(check_...(...))"),
    ("figure_alt_text", _no_alt_text, "no alt text"),
    ("figure_alt_text", _two_figures_one_alt_text, "no alt text"),
    ("glossary", _bold_term_missing, "the bold term 'gradient' is not in the glossary"),
    ("glossary", _heading_term_missing, "the heading's term '梯度'"),
    ("glossary", _no_glossary, "no '## Glossary' table"),
    ("emphasis_renders", _bold_not_closed, "shows an asterisk"),
    ("local_links", _dead_link, "04_planned.ipynb"),
    ("file_size", _huge, "under 2 MB"),
]


def test_good_notebook_passes_every_check(tmp_path: Path) -> None:
    nb = _good_notebook()
    path = _save(nb, tmp_path)
    for name, check in CHECKS.items():
        assert check(nb, path) == [], name


def test_every_check_has_a_failing_case() -> None:
    assert {check for check, _, _ in BROKEN} == set(CHECKS)


@pytest.mark.parametrize(
    ("check", "mutate", "expected"),
    BROKEN,
    ids=[f"{check}-{expected}" for check, _, expected in BROKEN],
)
def test_check_catches_a_broken_notebook(
    tmp_path: Path, check: str, mutate: Callable, expected: str
) -> None:
    nb = _good_notebook()
    mutate(nb)
    path = _save(nb, tmp_path)
    problems = CHECKS[check](nb, path)
    assert problems, f"{check} did not notice {mutate.__name__}"
    assert any(expected in problem for problem in problems), problems
