"""The language a learner reads: English, or Chinese for the Chinese edition of the notebooks.

Every string that the lessons and the exercise checkers print or draw for a learner (a
widget's line of numbers, a figure's title and axis labels, a checker's feedback) is
written in English and passed through ``tr``::

    tr("The slope backward() finds at x = {x0:.2f}", x0=x0)

In English ``tr`` only fills in the values. After ``set_language("zh")`` (in the first
code cell of every notebook of the Chinese edition) it looks the English text up in the
Chinese catalog, the text files of ``gradlib/locale/zh/`` (one per lesson package, one for
the exercise checkers, one for the rest of gradlib) that a translator reads and edits, and
fills the values into the Chinese text. A text with no translation is an error
(``MissingTranslation``), so a new English string cannot slip into the Chinese edition
unnoticed; tests/test_translation.py checks that every string passed to ``tr`` has its
translation, with the same ``{values}``.

The catalog has one entry per English text, separated by blank lines::

    The slope backward() finds at x = {x0:.2f}
    = backward() 在 x = {x0:.2f} 处求得的斜率

(a text that runs over several lines writes them with ``\\n``; lines starting with ``#`` are
comments).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "LANGUAGES",
    "MissingTranslation",
    "catalog",
    "display_width",
    "language",
    "listed",
    "pad",
    "read_catalog_file",
    "set_language",
    "tr",
]

LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).with_name("locale")

_current = {"language": "en"}


class MissingTranslation(KeyError):
    """A learner-visible English text has no entry in the current language's catalog."""


def set_language(code: str) -> None:
    """Choose the language of everything gradlib prints or draws for a learner."""
    if code not in LANGUAGES:
        raise ValueError(f"set_language: {code!r} is not one of {LANGUAGES}")
    _current["language"] = code


def language() -> str:
    """The language chosen with ``set_language`` ("en" unless changed)."""
    return _current["language"]


def read_catalog_file(path: Path) -> dict[str, str]:
    """The entries of one catalog file: English text -> its translation."""
    entries: dict[str, str] = {}
    blocks, block = [], []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#"):
            continue
        if line.strip():
            block.append(line)
        elif block:
            blocks.append(block)
            block = []
    for block in blocks:
        if len(block) != 2 or not block[1].startswith("= "):
            raise ValueError(
                f"{path.name}: an entry is two lines, the English text and '= ' with its "
                f"translation; found {block!r}"
            )
        english = block[0].replace("\\n", "\n")
        if english in entries:
            raise ValueError(f"{path.name}: {english!r} is translated twice")
        entries[english] = block[1][2:].replace("\\n", "\n")
    return entries


@cache
def catalog(code: str) -> dict[str, str]:
    """English text -> its translation, from every file of ``gradlib/locale/<code>/``."""
    entries: dict[str, str] = {}
    where: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / code).glob("*.txt")):
        for english, translated in read_catalog_file(path).items():
            if entries.get(english, translated) != translated:
                raise ValueError(
                    f"{english!r} is translated {entries[english]!r} in {where[english]} but "
                    f"{translated!r} in {path.name}: one text, one translation"
                )
            entries[english] = translated
            where.setdefault(english, path.name)
    return entries


def tr(text: str, /, **values: Any) -> str:
    """``text`` in the current language, with ``values`` filled in (``str.format`` style)."""
    code = language()
    if code != "en":
        try:
            text = catalog(code)[text]
        except KeyError:
            raise MissingTranslation(
                f"no {code} translation of {text!r}: add it to a file of gradlib/locale/{code}/"
            ) from None
    return text.format(**values) if values else text


def display_width(text: str) -> int:
    """The columns ``text`` takes in a monospace table: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` columns, like ``f"{text:<{width}}"`` (or ``>``,
    ``^``) but counting a Chinese character as two, so a translated table stays aligned."""
    fill = max(width - display_width(text), 0)
    left = {"<": 0, ">": fill, "^": fill // 2}[align]
    return " " * left + text + " " * (fill - left)


def listed(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` in English; ``a、b 和 c`` in Chinese."""
    text = items[0]
    for item in items[1:-1]:
        text = tr("{listed}, {item}", listed=text, item=item)
    return text if len(items) == 1 else tr("{listed} and {last}", listed=text, last=items[-1])
