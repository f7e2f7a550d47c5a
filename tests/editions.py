"""The series' two editions: the English notebooks (notebooks/) and the Chinese ones built
from them (notebooks/zh/, by notebooks/translate.py). Every notebook test runs on both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
EDITIONS = {"en": NOTEBOOKS_DIR, "zh": NOTEBOOKS_DIR / "zh"}
NOTEBOOK_PATHS = [path for folder in EDITIONS.values() for path in sorted(folder.glob("*.ipynb"))]


def edition(path: Path) -> str:
    """ "zh" for a notebook of the Chinese edition, "en" otherwise."""
    return "zh" if path.parent.name == "zh" else "en"


def notebook_id(path: Path) -> str:
    """A test id: the file's stem, "zh-" first for the Chinese edition."""
    return f"zh-{path.stem}" if edition(path) == "zh" else path.stem


def relative(path: Path) -> str:
    """The notebook's path under notebooks/ ("04_x.ipynb" or "zh/04_x.ipynb")."""
    return path.relative_to(NOTEBOOKS_DIR).as_posix()


NOTEBOOK_IDS = [notebook_id(path) for path in NOTEBOOK_PATHS]


@dataclass(frozen=True)
class Words:
    """The fixed words the rules look for, in one edition's language. The Chinese edition
    mirrors the English one: its headings read '中文 / English', and its glossary's first
    column is the Chinese term."""

    sections: tuple[str, ...]  # required section headings
    exercise: re.Pattern  # an exercise heading, lower-cased
    exercise_form: str
    solution_line: str  # a worked solution's first line
    solution_label: str  # in the markdown cell before it
    correct: str  # a passing verdict's prefix
    figure: str  # starts a figure's description
    glossary: str  # the glossary's heading
    not_a_term: re.Pattern  # bold that labels rather than names a term
    title_form: str
    map_heading: str  # 00's map of the series


EN = Words(
    sections=("What you will learn", "Before you start", "Summary", "Glossary", "Further reading"),
    exercise=re.compile(r"exercise\b"),
    exercise_form="### Exercise N: ...",
    solution_line="# Worked solution",
    solution_label="**Solution**",
    correct="Correct",
    figure="*Figure:*",
    glossary="## Glossary",
    # Menu paths and keys, "Label:", whole sentences, and the series' fixed labels.
    not_a_term=re.compile(r"→|\+|[:.!?]$|^(hint|solution)$|^claim c\d+|^exercise\b", re.IGNORECASE),
    title_form="English title / 中文标题",
    map_heading="## The map of the series",
)
ZH = Words(
    sections=("学习目标", "开始之前", "小结", "术语表", "延伸阅读"),
    exercise=re.compile(r"练习\s*\d"),
    exercise_form="### 练习 N：...",
    solution_line="# 参考解答",
    solution_label="**参考解答**",
    correct="正确",
    figure="*图：*",
    glossary="## 术语表",
    not_a_term=re.compile(
        r"→|\+|[:.!?：。！？]$|^(提示|参考解答|hint|solution)$|^论断 ?c\d+|^练习", re.IGNORECASE
    ),
    title_form="中文标题 / English title",
    map_heading="## 课程地图",
)


def words(path: Path) -> Words:
    """The fixed words of ``path``'s edition."""
    return ZH if edition(path) == "zh" else EN
