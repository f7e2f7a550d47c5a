"""gradlib.lessons.claims: the one record of the article's claims and their verdicts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradlib.lessons import claims

NOTES = Path(__file__).resolve().parents[2] / "shared" / "seed" / "NOTES.md"


def test_every_claim_c1_to_c23_is_recorded_with_the_words_of_the_article():
    assert list(claims.CLAIMS) == [f"C{n}" for n in range(1, 24)]
    for claim in claims.CLAIMS.values():
        assert claim.parts and claim.statement and claim.finding
        assert re.search(r"[\u4e00-\u9fff]", claim.article), claim.id  # the article's Chinese
        assert all(re.fullmatch(r"0[0-8]", part.notebook) for part in claim.parts)


@pytest.mark.skipif(not NOTES.exists(), reason="the shared notes are not next to the repository")
def test_each_claim_is_checked_in_the_notebook_the_notes_assign():
    rows = re.findall(r"^\| (C\d+) \| .*? \| ([0-9, ]+) \|", NOTES.read_text(), re.MULTILINE)
    assigned = {claim: {n.strip() for n in notebooks.split(",")} for claim, notebooks in rows}
    assert len(assigned) == 23
    for claim_id, notebooks in assigned.items():
        assert set(claims.CLAIMS[claim_id].notebooks) <= notebooks | {"03"}, claim_id


def _claim(*holds):
    parts = tuple(claims.Part(f"part {i}", "04", h) for i, h in enumerate(holds))
    return claims.Claim("C0", "文章", "a statement", parts, "a finding")


@pytest.mark.parametrize(
    "holds, verdict",
    [
        ((True, True), "right"),
        ((False, False), "wrong"),
        ((True, False), "partly right"),
        ((True, None), "not checked yet"),
    ],
)
def test_verdict_follows_from_the_parts(holds, verdict):
    assert _claim(*holds).verdict == verdict


def test_judge_prints_the_recorded_verdict_when_the_evidence_agrees():
    evidence = {
        "max pooling keeps the sum": True,
        "mean pooling without padding keeps the sum": True,
        "mean pooling with padding counted keeps the sum": False,
    }
    text = str(claims.judge("C9", "04", evidence))
    assert text.startswith("Claim C9: pooling's backward pass keeps the gradient sum unchanged")
    assert "  - mean pooling with padding counted keeps the sum: does not hold" in text
    assert "Verdict: partly right." in text


def test_judge_refuses_evidence_that_disagrees_with_the_record():
    evidence = {
        "max pooling keeps the sum": True,
        "mean pooling without padding keeps the sum": False,
        "mean pooling with padding counted keeps the sum": False,
    }
    with pytest.raises(AssertionError, match="the evidence says .* fails, but the record says"):
        claims.judge("C9", "04", evidence)


def test_judge_names_missing_and_unknown_parts():
    with pytest.raises(AssertionError, match=r"missing parts \['max pooling keeps the sum'"):
        claims.judge("C9", "04", {"something else": True})
    with pytest.raises(AssertionError, match="has no part checked in notebook 07"):
        claims.judge("C9", "07", {})
    with pytest.raises(KeyError, match="no claim 'C99'"):
        claims.judge("C99", "04", {})


def test_judge_asks_for_an_outcome_that_is_not_recorded_yet(monkeypatch):
    monkeypatch.setitem(claims.CLAIMS, "C0", _claim(True, None))
    with pytest.raises(AssertionError, match="no recorded outcome yet; the evidence says True"):
        claims.judge("C0", "04", {"part 0": True, "part 1": True})


def test_recap_table_has_one_row_per_claim_with_its_verdict():
    table = claims.recap_table().splitlines()
    assert table[0] == "| claim | the article says | verdict | notebook |"
    assert len(table) == 2 + 23
    assert table[2 + 5].startswith("| C6 |") and "| partly right | 04 |" in table[2 + 5]


def test_every_text_a_verdict_shows_has_its_chinese_translation():
    from gradlib.language import catalog

    zh = catalog("zh")
    for claim in claims.CLAIMS.values():
        texts = [claim.statement, claim.finding, claim.verdict, *(p.text for p in claim.parts)]
        assert not [text for text in texts if text not in zh], claim.id


def test_judge_and_the_recap_print_in_chinese_after_set_language(monkeypatch):
    from gradlib.language import _current

    monkeypatch.setitem(_current, "language", "zh")
    evidence = {"deep ReLU nets keep their gradients where sigmoid nets lose them": True}
    text = str(claims.judge("C7", "05", evidence))
    assert text.startswith("论断 C7：ReLU 优于 sigmoid")
    assert "（另有 3 个部分在笔记本 04 中检验）" in text and "结论：正确。" in text
    table = claims.recap_table().splitlines()
    assert table[0] == "| 论断 | 文章的说法 | 结论 | 笔记本 |"
    assert "| 部分正确 | 04 |" in table[2 + 5]
