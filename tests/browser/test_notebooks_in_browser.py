"""Every notebook, run in JupyterLab in a real browser, as a learner would.

For each notebooks/*.ipynb: open it in JupyterLab (Chromium), clear the committed
outputs, Run All Cells from the menu and wait until every cell has run and the
kernel is idle. Then assert that no cell shows an error or stderr output (except
cells tagged raises-exception); that every widget cell renders its widget, with the
controls its declaration lists, and no other cell does; that changing each control
(a slider by keyboard, a dropdown, toggle buttons, a checkbox) redraws the figure and
the numbers in the static twin above it; and that no worked solution shows its code
or its verdict after Run All. A screenshot per widget and per notebook goes to
tests/browser/screenshots/ (git-ignored).
"""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path

import nbformat
import pytest
from editions import NOTEBOOK_IDS, NOTEBOOK_PATHS, edition, notebook_id, relative, words
from notebook_widgets import widget_uses
from PIL import Image

LOAD_MS = 90_000
RUN_MS = 120_000  # a notebook must run in under 30 s; generous for a busy CI machine
UPDATE_MS = 30_000
PAINT_TRIES = 20
PAINT_BANDS = 4

# A cell's top-level widget views (not the outputs nested inside a widget's Output).
WIDGET_VIEW = (
    ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output > .jupyter-widgets"
)
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

KERNEL_IDLE = """() => {
    const name = document.querySelector('.jp-NotebookPanel-toolbar .jp-KernelName');
    const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return name !== null && !name.textContent.includes('No Kernel')
        && status !== null && status.getAttribute('data-status') === 'idle';
}"""

# After "Clear Outputs of All Cells" every prompt reads "[ ]:"; all cells have run when each
# visible prompt shows a number (a cell whose source is hidden renders no prompt text). Run All
# stops at a cell that raises, so an error or stderr output in a cell not tagged
# raises-exception also ends the wait (the test then reports it).
RUN_STATE = """([expected, mayRaise]) => {
    const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
        .map(p => p.textContent.trim()).filter(t => t.length > 0);
    const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
    return {
        idle: status.getAttribute('data-status') === 'idle',
        ran: prompts.length >= expected && prompts.every(t => /^\\[\\d+\\]:$/.test(t)),
        failed: cells.some((cell, i) => !mayRaise.includes(i) && cell.querySelector(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]') !== null),
    };
}"""
RUN_OVER = f"(args) => {{ const s = ({RUN_STATE})(args); return s.idle && (s.ran || s.failed); }}"

# What a widget shows, in its static twin's outputs: the line of numbers and the figure.
OUTPUT_SIGNATURE = """(cell) => {
    const area = cell.querySelector('.jp-Cell-outputArea');
    const images = Array.from(area.querySelectorAll('img')).map(i => i.src);
    return area.innerText + '|' + images.join(',');
}"""

OUTPUT_CHANGED = """([cell, before]) => {
    const area = cell.querySelector('.jp-Cell-outputArea');
    const images = Array.from(area.querySelectorAll('img'));
    const now = area.innerText + '|' + images.map(i => i.src).join(',');
    const status = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return now !== before && images.length === 1
        && images.every(i => i.complete && i.naturalWidth > 0)
        && !area.innerText.includes('This setting failed')
        && status.getAttribute('data-status') === 'idle';
}"""

# Scroll an element to the top of the notebook and wait until Chromium has painted it: right
# after a scroll, software rendering (--disable-gpu) can leave large images unpainted.
SCROLL_AND_PAINT = """async (el) => {
    el.scrollIntoView();
    await Promise.all(Array.from(el.querySelectorAll('img')).map(i => i.decode()));
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""
NUDGE_SCROLL = """async (el) => {
    el.scrollIntoView();
    const scroller = el.closest('.jp-WindowedPanel-outer') || document.scrollingElement;
    scroller.scrollTop += 2;
    await new Promise(r => requestAnimationFrame(r));
    el.scrollIntoView();
    await new Promise(r => setTimeout(r, 100));
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""


def _tags(cell: nbformat.NotebookNode) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu).click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def _controls(cell) -> list[tuple[str, object]]:
    """The widget's controls this test knows how to change, sliders and dropdowns first."""
    found = []
    for handle in cell.locator(".widget-slider .noUi-handle").all():
        found.append(("slider", handle))
    for select in cell.locator(".widget-dropdown select").all():
        found.append(("dropdown", select))
    for box in cell.locator(".widget-checkbox input[type=checkbox]").all():
        found.append(("checkbox", box))
    for radio in cell.locator(".widget-radio-box").all():
        found.append(("radio", radio))
    for toggle in cell.locator(".widget-toggle-buttons").all():
        found.append(("toggle buttons", toggle))
    for button in cell.locator("button.widget-button").all():
        found.append(("button", button))
    return found


def _expected_kinds(widget_class) -> list[str]:
    """The control kinds ``_controls`` finds, in its order, for a widget's declaration."""
    from gradlib import widgets

    kind = {
        widgets.Slider: "slider",
        widgets.IntSlider: "slider",
        widgets.LogSlider: "slider",
        widgets.Dropdown: "dropdown",
        widgets.Checkbox: "checkbox",
        widgets.Toggle: "toggle buttons",
    }
    order = ["slider", "dropdown", "checkbox", "radio", "toggle buttons", "button"]
    return sorted((kind[type(c)] for c in widget_class.controls.values()), key=order.index)


def _change(kind: str, control) -> str:
    """Change one control as a learner would; return what was done, for messages."""
    if kind == "slider":
        control.focus()
        at_max = control.get_attribute("aria-valuenow") == control.get_attribute("aria-valuemax")
        key = "ArrowLeft" if at_max else "ArrowRight"
        control.press(key)
        return f"slider {key}"
    if kind == "dropdown":
        options = control.locator("option").all()
        current = control.input_value()
        other = next(
            o.get_attribute("value") for o in options if o.get_attribute("value") != current
        )
        control.select_option(value=other)
        return f"dropdown -> {other!r}"
    if kind == "checkbox":
        control.click()
        return "checkbox click"
    if kind == "radio":
        choice = control.locator("input[type=radio]:not(:checked)").first
        choice.click()
        return "radio click"
    if kind == "toggle buttons":
        control.locator("button:not(.mod-active)").first.click()
        return "toggle button click"
    control.click()
    return f"button {control.inner_text()!r} click"


def _ink(image: Image.Image) -> float:
    """The fraction of not-white pixels of a greyscale image."""
    histogram = image.histogram()
    return sum(histogram[:230]) / max(sum(histogram), 1)


def _images_painted(page, element, shot: bytes, clip: dict | None) -> bool:
    """Does every image inside ``element`` show in ``shot`` as much as its PNG holds?

    Compared band by band (top to bottom), since an image can be painted only in part.
    """
    picture = Image.open(io.BytesIO(shot)).convert("L")
    left, top = (clip["x"], clip["y"]) if clip else (0, 0)
    for image in element.locator("img").all():
        box, src = image.bounding_box(), image.get_attribute("src") or ""
        if box is None or not src.startswith("data:image/png;base64,"):
            continue
        x0, y0 = round(box["x"] - left), round(box["y"] - top)
        width, height = round(box["width"]), round(box["height"])
        if x0 < 0 or y0 < 0 or x0 + width > picture.width or y0 + height > picture.height:
            continue  # not wholly in the picture
        png = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
        png = png.resize((width, height))
        shown = picture.crop((x0, y0, x0 + width, y0 + height))
        for band in range(PAINT_BANDS):
            rows = (0, band * height // PAINT_BANDS, width, (band + 1) * height // PAINT_BANDS)
            expected = _ink(png.crop(rows))
            if expected > 0.002 and _ink(shown.crop(rows)) < 0.5 * expected:
                return False
    return True


def _screenshot(page, element, path: Path, whole_page: bool = False) -> None:
    """Save a screenshot of ``element`` (or of the window, scrolled to it) with its images painted.

    Headless Chromium with software rendering can leave a large image unpainted after a
    scroll; comparing each image's ink with its PNG's tells, and a small scroll repaints it.
    """
    element.evaluate(SCROLL_AND_PAINT)
    clip = None
    if not whole_page:  # the element, cut at the bottom of the window if it is taller
        box = element.bounding_box()
        height = min(box["height"], page.viewport_size["height"] - box["y"])
        clip = {**box, "height": height}
    shot = page.screenshot(clip=clip)
    for _ in range(PAINT_TRIES):
        if _images_painted(page, element, shot, clip):
            break
        element.evaluate(NUDGE_SCROLL)
        shot = page.screenshot(clip=clip)
    else:
        warnings.warn(f"{path.name}: an image was still unpainted", stacklevel=2)
    path.write_bytes(shot)


# Draws each character in its own box, in the font of the notebook's rendered markdown.
DRAW_GLYPHS = """(chars) => {
    const font = getComputedStyle(document.querySelector('.jp-RenderedMarkdown')).fontFamily;
    const probe = document.createElement('div');
    probe.id = 'glyph-probe';
    probe.style.cssText = 'position:fixed;left:0;top:0;z-index:100000;background:#fff;' +
        'color:#000;font-size:40px;line-height:56px;padding:8px;font-family:' + font;
    chars.forEach((c, i) => {
        const box = document.createElement('span');
        box.id = 'glyph-' + i;
        box.textContent = c;
        probe.appendChild(box);
    });
    document.body.appendChild(probe);
}"""
NO_GLYPH = "\ue000"  # a private-use code point no font draws: the browser shows its "tofu"


def _glyph_pictures(page, chars: list[str]) -> list[bytes]:
    """Screenshots of each character drawn by Chromium in the notebook's text font."""
    page.evaluate(DRAW_GLYPHS, chars)
    try:
        return [page.locator(f"#glyph-{i}").screenshot() for i in range(len(chars))]
    finally:
        page.evaluate("() => document.getElementById('glyph-probe').remove()")


def chinese_problems(page, title: str) -> list[str]:
    """Does Chromium draw the title's Chinese characters as glyphs, not as tofu boxes?

    A missing glyph is drawn as the same empty box whatever the character: so every
    character must look different from the box drawn for a code point no font has, and
    the characters must look different from one another.
    """
    chars = list(dict.fromkeys(c for c in title if "\u4e00" <= c <= "\u9fff"))[:6]
    if len(chars) < 2:
        return [f"the title {title!r} has fewer than two Chinese characters to check"]
    *pictures, tofu = _glyph_pictures(page, [*chars, NO_GLYPH])
    problems = [f"{c!r} is drawn as a missing glyph" for c, p in zip(chars, pictures) if p == tofu]
    if len(set(pictures)) < len(pictures):
        problems.append(f"{''.join(chars)!r}: different characters are drawn the same")
    ink = [_ink(Image.open(io.BytesIO(p)).convert("L")) for p in pictures]
    problems += [f"{c!r} is drawn blank" for c, i in zip(chars, ink) if i < 0.01]
    return problems


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=NOTEBOOK_IDS)
def test_notebook_runs_in_jupyterlab(
    browser, lab_server, screenshots_dir: Path, path: Path
) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # after the skip check

    nb = nbformat.read(path, as_version=4)
    code_indices = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    hidden = [
        i for i in code_indices if nb.cells[i].metadata.get("jupyter", {}).get("source_hidden")
    ]
    widget_indices = [i for i in code_indices if "widget" in _tags(nb.cells[i])]
    uses, unreadable = widget_uses(path)
    assert not unreadable, unreadable
    solutions = [i for i in code_indices if "solution" in _tags(nb.cells[i])]
    may_raise = {i for i in code_indices if "raises-exception" in _tags(nb.cells[i])}

    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    try:
        # ?reset starts from an empty workspace, so earlier notebooks' tabs do not reopen.
        page.goto(f"{lab_server.url}/lab/tree/{relative(path)}?reset", timeout=LOAD_MS)
        cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        cells.first.wait_for(timeout=LOAD_MS)
        page.wait_for_function(KERNEL_IDLE, timeout=LOAD_MS)
        dialogs = page.locator(".jp-Dialog")
        assert dialogs.count() == 0, f"a dialog is open: {dialogs.first.inner_text()}"
        assert cells.count() == len(nb.cells), "not every cell is rendered (windowingMode?)"
        if edition(path) == "zh":  # Chinese text is drawn with a CJK font, not as boxes
            title = cells.first.locator("h1").first.inner_text()
            assert not chinese_problems(page, title), chinese_problems(page, title)

        _menu(page, "Edit", "Clear Outputs of All Cells")
        _menu(page, "Run", "Run All Cells")
        run_args = [len(code_indices) - len(hidden), sorted(may_raise)]
        page.wait_for_function(RUN_OVER, arg=run_args, timeout=RUN_MS)

        problems = []
        for index in code_indices:
            if index in may_raise:
                continue
            stderr = cells.nth(index).locator(STDERR)
            if stderr.count():
                problems.append(f"cell {index} shows an error/stderr:\n{stderr.first.inner_text()}")
        assert not problems, "\n".join(problems)
        assert page.evaluate(RUN_STATE, run_args)["ran"], "Run All stopped before the last cell"

        with_widgets = [i for i in code_indices if cells.nth(i).locator(WIDGET_VIEW).count()]
        assert with_widgets == widget_indices, (
            f"cells showing a widget: {with_widgets}; cells tagged 'widget': {widget_indices}"
        )
        for index in widget_indices:
            text = cells.nth(index).inner_text()
            assert "Error displaying widget" not in text and "Loading widget" not in text, text

        for index in solutions:
            # collapsed: only the first line shows, and the verdict stays folded
            shown = cells.nth(index).inner_text()
            fixed = words(path)
            assert fixed.correct not in shown, f"solution cell {index} shows its verdict: {shown!r}"
            lines = [line for line in shown.splitlines() if line.strip()]
            assert lines[0].startswith(fixed.solution_line), f"cell {index} shows {lines[0]!r}"
            code = nb.cells[index].source.splitlines()[1:]
            leaked = [line for line in code if line.strip() and line.strip() in shown]
            assert not leaked, f"solution cell {index} shows its code: {leaked}"

        for number, use in enumerate(uses):
            cell, twin = cells.nth(use.widget_index), cells.nth(use.twin_index)
            cell.scroll_into_view_if_needed()
            controls = _controls(cell)
            kinds = [kind for kind, _ in controls]
            assert kinds == _expected_kinds(use.widget_class), (
                f"widget cell {use.widget_index} shows {kinds}, its declaration "
                f"{use.class_path} lists {_expected_kinds(use.widget_class)}"
            )
            handle = twin.element_handle()
            for kind, control in controls:
                before = page.evaluate(OUTPUT_SIGNATURE, handle)
                action = _change(kind, control)
                try:
                    page.wait_for_function(OUTPUT_CHANGED, arg=[handle, before], timeout=UPDATE_MS)
                except PlaywrightTimeout as error:
                    raise AssertionError(
                        f"widget cell {use.widget_index}: the figure above did not change "
                        f"after {action}"
                    ) from error
                stderr = cell.locator(STDERR)
                assert stderr.count() == 0, f"{action} gave an error:\n{stderr.first.inner_text()}"
            _screenshot(page, twin, screenshots_dir / f"{notebook_id(path)}-widget{number + 1}.png")

        first = cells.nth(widget_indices[0] if widget_indices else 0)
        _screenshot(page, first, screenshots_dir / f"{notebook_id(path)}.png", whole_page=True)
        assert not console_errors, f"JavaScript errors in the page: {console_errors}"
    finally:
        context.close()
        lab_server.shut_down_kernels()


LATIN_ONLY_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{folder}</dir><cachedir>{cache}</cachedir></fontconfig>
"""


@pytest.mark.parametrize("fonts", ["system", "latin only"])
def test_the_glyph_check_tells_glyphs_from_boxes(
    browser, relaunch, tmp_path: Path, fonts: str
) -> None:
    """chinese_problems passes with the system's fonts (a CJK font installed, as .ci/run
    does) and fails when Chromium can only find a font without Chinese (DejaVu alone)."""
    title = "梯度消失与梯度爆炸"
    if fonts == "latin only":
        dejavu = Path("/usr/share/fonts/truetype/dejavu")
        if not dejavu.is_dir():
            pytest.skip("no DejaVu folder to build a Latin-only font setup from")
        config = tmp_path / "fonts.conf"
        config.write_text(LATIN_ONLY_FONTS.format(folder=dejavu, cache=tmp_path / "cache"))
        browser = relaunch({"FONTCONFIG_FILE": str(config)})
    page = browser.new_page()
    try:
        page.set_content(f'<div class="jp-RenderedMarkdown"><h1>{title}</h1></div>')
        problems = chinese_problems(page, title)
    finally:
        page.close()
    if fonts == "system":
        assert problems == []
    else:
        assert problems, "with DejaVu alone Chromium cannot draw Chinese, yet the check passed"
