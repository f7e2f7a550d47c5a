"""gradlib.language (one setting chooses the language of everything gradlib shows) and the
CJK font that draws Chinese in figures."""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import gradlib as gl
from gradlib.language import MissingTranslation, catalog, read_catalog_file
from gradlib.plotting import CJK_FAMILY, cjk_font, use_style

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture
def chinese():
    gl.set_language("zh")
    try:
        yield
    finally:
        gl.set_language("en")


def test_english_fills_in_the_values_and_needs_no_catalogue() -> None:
    assert gl.language() == "en"
    assert gl.tr("loss {loss:.3f} after {n} steps", loss=0.12345, n=7) == "loss 0.123 after 7 steps"
    assert gl.tr("a text nobody translated") == "a text nobody translated"


def test_chinese_looks_the_text_up_and_fills_in_the_same_values(chinese) -> None:
    english, translated = next((e, t) for e, t in catalog("zh").items() if "{" in e)
    assert gl.tr(english, **dict.fromkeys(_fields(english), 1)) == translated.format(
        **dict.fromkeys(_fields(english), 1)
    )


def test_a_missing_translation_is_an_error_that_says_where_to_add_it(chinese) -> None:
    with pytest.raises(MissingTranslation, match="gradlib/locale/zh/"):
        gl.tr("a text nobody translated")


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'fr' is not one of"):
        gl.set_language("fr")


def test_catalogue_file_format_errors_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("English only, no translation line\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.txt: an entry is two lines"):
        read_catalog_file(bad)
    twice = tmp_path / "twice.txt"
    twice.write_text("a\n= 甲\n\na\n= 乙\n", encoding="utf-8")
    with pytest.raises(ValueError, match="translated twice"):
        read_catalog_file(twice)


def _fields(text: str) -> list[str]:
    import string

    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


# ----- the CJK font ---------------------------------------------------------------------


def test_the_cjk_font_comes_from_the_projects_requirements() -> None:
    """Noto Sans CJK from the PyPI package noto-cjk-sans-otc (requirements.txt), so a
    learner's machine and Binder have it without a system font."""
    assert "noto-cjk-sans-otc" in (Path(__file__).parents[1] / "requirements.txt").read_text()
    assert cjk_font() == CJK_FAMILY
    files = {f.fname for f in font_manager.fontManager.ttflist if f.name == CJK_FAMILY}
    assert any("noto_cjk_sans_otc" in fname for fname in files), files


def _font_chain() -> list:
    """The fonts matplotlib tries, in order, for text in the series' style (its fallback)."""
    use_style()
    return [
        font_manager.get_font(font_manager.findfont(font_manager.FontProperties(family=family)))
        for family in matplotlib.rcParams["font.family"]
    ]


def test_the_font_has_a_glyph_for_every_chinese_character_gradlib_shows() -> None:
    """Every CJK character of the catalogue (what lessons print and draw) is in a font of
    the chain, so a figure never falls back to a missing-glyph box."""
    chain = _font_chain()
    chars = sorted({c for text in catalog("zh").values() for c in CJK.findall(text)})
    assert len(chars) > 50
    missing = [c for c in chars if all(font.get_char_index(ord(c)) == 0 for font in chain)]
    assert not missing, f"no glyph for {''.join(missing)}"


def _drawn(text: str) -> np.ndarray:
    """``text`` drawn by matplotlib (Agg) in the series' style, as a greyscale array."""
    figure = plt.figure(figsize=(1.2, 0.8), dpi=80)
    figure.text(0.1, 0.3, text, fontsize=24)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    buffer.seek(0)
    return np.asarray(plt.imread(buffer))[..., :3].mean(axis=2)


def _unlike(a: np.ndarray, b: np.ndarray) -> float:
    """How different two drawings are: the share of inked pixels only one of them has."""
    ink_a, ink_b = a < 0.5, b < 0.5
    return (ink_a ^ ink_b).sum() / max((ink_a | ink_b).sum(), 1)


CHARS = "梯度消失交叉熵"


def test_figures_draw_chinese_glyphs_not_boxes() -> None:
    """Each character is drawn with ink, unlike the others (a missing glyph is the same
    box whatever the character), and with no missing-glyph warning."""
    use_style()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" fails the test
        pictures = [_drawn(c) for c in CHARS]
    for char, picture in zip(CHARS, pictures):
        assert (picture < 0.5).sum() > 20, f"{char!r} is drawn blank"
    for i in range(len(CHARS) - 1):
        assert _unlike(pictures[i], pictures[i + 1]) > 0.3, f"{CHARS[i : i + 2]} look alike"


def test_without_the_cjk_font_the_check_sees_boxes() -> None:
    """The check above can fail: with DejaVu Sans alone, matplotlib warns and draws every
    Chinese character as the same box."""
    use_style()
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="missing from font"):
            boxes = [_drawn(c) for c in CHARS[:2]]
    assert _unlike(*boxes) < 0.05


def test_english_figures_keep_dejavu_sans() -> None:
    """The CJK font is a fallback: Latin text is still drawn in DejaVu Sans."""
    use_style()
    assert matplotlib.rcParams["font.family"][0] == "DejaVu Sans"
    picked = font_manager.findfont(font_manager.FontProperties(family=["DejaVu Sans"]))
    assert "DejaVuSans" in picked
