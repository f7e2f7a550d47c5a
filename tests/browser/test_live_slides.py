"""Every notebook presented as live slides (RISE in JupyterLab), as a teacher would.

The slideshow opens at ``/rise/<notebook>``, served by the local JupyterLab. A teacher
steps through it with Shift+Enter, which runs the cell on the slide (skipped cells, such
as the imports and the hidden solutions, run too) and moves to the next cell, and so to
the next fragment or slide. This test does the same, from the first cell to the last, on
a 1280 x 720 screen, and at every step checks that:

- the slide on screen fits the screen: no part of it above the top or below the bottom
  (the failure names every slide that does not fit, by its number and its first words);
- no cell shows an error;
- after a widget cell runs, dragging its first control with the mouse redraws the figure
  of its static twin, on the same slide (the widgets stay live in the slideshow).

Run it as a script to print the height of every slide, e.g. while splitting a section::

    python tests/browser/test_live_slides.py notebooks/01_derivatives_and_gradients.ipynb
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

sys.path.append(str(Path(__file__).resolve().parents[1]))  # tests/, when run as a script
from editions import NOTEBOOK_IDS, NOTEBOOK_PATHS, NOTEBOOKS_DIR, relative  # noqa: E402
from notebook_widgets import widget_uses  # noqa: E402

SCREEN = {"width": 1280, "height": 720}
LOAD_MS = 90_000
CELL_SECONDS = 60  # the slowest cell of a notebook, on a busy machine
UPDATE_MS = 30_000
TOLERANCE_PX = 2

# No slide transitions: a measured slide is where it will stay.
NO_MOTION = "*, *::before, *::after { transition: none !important; animation: none !important; }"

STATE = """() => {
    const cells = Array.from(document.querySelectorAll('.jp-Notebook-cell'));
    const busy = Array.from(document.querySelectorAll('.jp-InputPrompt'))
        .some(p => p.textContent.includes('*'));
    const current = document.querySelector('.reveal .slides section.present:not(.stack)');
    let label = null, top = null, bottom = null;
    if (current) {
        const stacks = Array.from(document.querySelectorAll('.reveal .slides > section'));
        const outer = current.parentElement.closest('section');
        const h = stacks.indexOf(outer || current) + 1;
        const v = outer ? Array.from(outer.children).indexOf(current) + 1 : 1;
        const words = current.innerText.trim().split('\\n')[0].slice(0, 60);
        label = `${h}.${v} (${JSON.stringify(words)})`;
        const box = current.getBoundingClientRect();
        top = box.top;
        bottom = box.bottom;
    }
    const errors = cells.map((c, i) => c.querySelector(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') ? i : -1)
        .filter(i => i >= 0);
    return {
        active: cells.findIndex(c => c.classList.contains('jp-mod-active')),
        cells: cells.length, busy, label, top, bottom, errors,
    };
}"""

TWIN_IMAGE = """(cell) => Array.from(cell.querySelectorAll('.jp-Cell-outputArea img'))
    .map(i => i.src).join(',')"""


@dataclass
class Step:
    cell: int  # the cell that ran
    slide: str  # "h.v ("first words")"
    top: float
    bottom: float


def _settle(page) -> dict:
    """Wait until no cell is running and the slide has stopped moving; return the state.

    The slideshow lays a slide out again some 250 ms after its content changes, so the
    slide counts as settled when two readings 150 ms apart agree.
    """
    deadline = time.monotonic() + CELL_SECONDS
    state = page.evaluate(STATE)
    while time.monotonic() < deadline:
        time.sleep(0.15)
        again = page.evaluate(STATE)
        if not again["busy"] and again == state:
            return again
        state = again
    return state


def _drag_first_control(page, cell, twin) -> str | None:
    """Move the widget's first control with the mouse; None if the figure changed, else why."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    before = page.evaluate(TWIN_IMAGE, twin.element_handle())
    controls = cell.locator(".noUi-handle, .widget-dropdown select")
    try:
        controls.first.wait_for(state="visible", timeout=UPDATE_MS)
    except PlaywrightTimeout:
        return "its controls did not appear"
    handle = cell.locator(".noUi-handle").first
    if handle.count():
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y, steps=6)
        page.mouse.up()
        action = "a slider dragged 60 px"
    else:
        select = cell.locator(".widget-dropdown select").first
        options = [o.get_attribute("value") for o in select.locator("option").all()]
        select.select_option(value=next(o for o in options if o != select.input_value()))
        action = "a dropdown changed"
    try:
        page.wait_for_function(
            "([twin, before]) => { const now = Array.from(twin.querySelectorAll("
            "'.jp-Cell-outputArea img')).map(i => i.src).join(','); "
            "return now !== before && now !== ''; }",
            arg=[twin.element_handle(), before],
            timeout=UPDATE_MS,
        )
    except PlaywrightTimeout:
        return f"the figure did not change after {action}"
    return None


def present(page, url: str, path: Path) -> tuple[list[Step], list[str]]:
    """Open the notebook as live slides and Shift+Enter through it; return each step and
    the problems seen (errors, widgets that did not redraw)."""
    nb = nbformat.read(path, as_version=4)
    uses, unreadable = widget_uses(path)
    widgets = {use.widget_index: use for use in uses}
    problems = list(unreadable)
    page.goto(f"{url}/rise/{relative(path)}", timeout=LOAD_MS)
    page.wait_for_selector(".reveal .slides section", timeout=LOAD_MS)
    page.wait_for_function(
        f"() => document.querySelectorAll('.jp-Notebook-cell').length === {len(nb.cells)}",
        timeout=LOAD_MS,
    )
    page.add_style_tag(content=NO_MOTION)
    cells = page.locator(".jp-Notebook-cell")
    cells.first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    steps: list[Step] = []
    state = _settle(page)
    for _ in range(3 * len(nb.cells)):  # a guard: each press normally moves one cell on
        ran = page.evaluate(STATE)["active"]  # read right before the key press
        page.keyboard.press("Shift+Enter")
        state = _settle(page)
        if state["label"] is not None:
            steps.append(Step(ran, state["label"], state["top"], state["bottom"]))
        for index in state["errors"]:
            problem = f"cell {index} shows an error: {cells.nth(index).inner_text()[-300:]}"
            if problem not in problems:
                problems.append(problem)
        if ran in widgets and state["active"] != ran:
            use = widgets.pop(ran)
            why = _drag_first_control(page, cells.nth(use.widget_index), cells.nth(use.twin_index))
            if why:
                problems.append(f"widget cell {use.widget_index} in the slideshow: {why}")
            # Back to the walk: the keyboard focus goes from the control to the notebook,
            # whose active cell is still the one after the widget.
            page.evaluate("() => document.querySelector('.reveal .jp-Notebook').focus()")
            state = _settle(page)
        if ran >= len(nb.cells) - 1 or state["active"] >= len(nb.cells):
            break
    problems += [f"widget cell {i} was never reached" for i in widgets]
    return steps, problems


def extents(steps: list[Step]) -> dict[str, tuple[str, float, float]]:
    """Slide number -> (its first words, top, bottom), the widest over every step on it."""
    seen: dict[str, tuple[str, float, float]] = {}
    for step in steps:
        number, _, words = step.slide.partition(" ")
        first, top, bottom = seen.get(number, (words, step.top, step.bottom))
        seen[number] = (first, min(top, step.top), max(bottom, step.bottom))
    return seen


def too_tall(steps: list[Step], height: int) -> dict[str, tuple[str, float, float]]:
    """Each slide that leaves the screen, with its first words, top and bottom."""
    return {
        number: (words, top, bottom)
        for number, (words, top, bottom) in extents(steps).items()
        if top < -TOLERANCE_PX or bottom > height + TOLERANCE_PX
    }


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=NOTEBOOK_IDS)
def test_notebook_presents_as_live_slides_that_fit(browser, lab_server, path: Path) -> None:
    context = browser.new_context(viewport=SCREEN)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        steps, problems = present(page, lab_server.url, path)
    finally:
        context.close()
        lab_server.shut_down_kernels()
    assert steps, "the slideshow did not move"
    ran = {step.cell for step in steps}
    code = [
        i for i, c in enumerate(nbformat.read(path, as_version=4).cells) if c.cell_type == "code"
    ]
    assert set(code) <= ran, f"cells never run in the slideshow: {sorted(set(code) - ran)}"
    overflow = too_tall(steps, SCREEN["height"])
    problems += [
        f"slide {number} {words} does not fit a {SCREEN['width']}x{SCREEN['height']} screen: "
        f"it spans {top:.0f} to {bottom:.0f} px ({bottom - top:.0f} px tall)"
        for number, (words, top, bottom) in overflow.items()
    ]
    problems += [f"JavaScript error: {error}" for error in page_errors]
    assert not problems, f"{path.name}:\n  " + "\n  ".join(problems)


def main(paths: list[str]) -> None:
    """Print every slide's extent for each notebook (the script form of the test)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "browser_conftest", Path(__file__).with_name("conftest.py")
    )
    fixtures = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = fixtures  # dataclasses look their module up
    spec.loader.exec_module(fixtures)
    chromium, running_lab = fixtures.chromium, fixtures.running_lab

    with tempfile.TemporaryDirectory() as base, running_lab(Path(base)) as server:
        with chromium() as browser:
            for name in paths:
                path = NOTEBOOKS_DIR / name.removeprefix("notebooks/")
                page = browser.new_context(viewport=SCREEN).new_page()
                steps, problems = present(page, server.url, path)
                server.shut_down_kernels()
                print(f"\n{path.name}")
                tall = too_tall(steps, SCREEN["height"])
                for number, (words, top, bottom) in extents(steps).items():
                    mark = "   <-- does not fit" if number in tall else ""
                    print(f"  {bottom - top:6.0f} px  {number} {words}{mark}")
                for problem in problems:
                    print(f"  PROBLEM: {problem}")


if __name__ == "__main__":
    main(sys.argv[1:] or [relative(p) for p in NOTEBOOK_PATHS])
