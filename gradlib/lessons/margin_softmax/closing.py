"""Notebook 08, closing the series: the recap of the article's claims, in slide-sized
parts, and where to go next: one training loop in gradlib beside its PyTorch twin.

gradlib mirrors ``torch.nn``, ``torch.nn.functional`` and ``torch.optim``, so the two
listings differ only where the libraries do (how the data becomes tensors, a list of
parameters, float64) and where PyTorch has no AM-Softmax loss of its own. The tests run
both listings (PyTorch when it is installed) and check that their losses agree.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from gradlib.language import tr

if TYPE_CHECKING:
    from IPython.display import Markdown

__all__ = ["GRADLIB_CODE", "PYTORCH_CODE", "SideBySide", "recap_rows", "side_by_side"]


def recap_rows(first: str, last: str) -> Markdown:
    """The rows of ``claims.recap_table()`` from claim ``first`` to claim ``last`` (e.g.
    "C1", "C8"), with the table's header, as Markdown: the recap in parts that fit a slide.
    The rows are the record's own, so they always show its current verdicts."""
    from IPython.display import Markdown

    from gradlib.lessons import claims

    header, rule, *rows = claims.recap_table().splitlines()
    ids = list(claims.CLAIMS)
    chosen = rows[ids.index(first) : ids.index(last) + 1]
    return Markdown("\n".join([header, rule, *chosen]))


GRADLIB_CODE = """\
from gradlib import functional as F, nn, optim
from gradlib.data import digits_split

X, _, y, _ = digits_split()  # numpy arrays
features = nn.Sequential(nn.Linear(64, 48), nn.ReLU(),
                         nn.Linear(48, 2))
classifier = nn.Linear(2, 10, bias=False)
params = features.parameters() + classifier.parameters()
opt = optim.Adam(params, lr=0.01)
for step in range(300):
    opt.zero_grad()
    loss = F.am_softmax_loss(features(X), classifier.weight,
                             y, s=10.0, m=0.2)
    loss.backward()
    opt.step()
"""

PYTORCH_CODE = """\
import torch
import torch.nn.functional as F
from torch import nn, optim

def am_softmax_loss(x, weight, target, s=30.0, m=0.35):
    cos = F.normalize(x, dim=1) @ F.normalize(weight, dim=1).T
    margin = m * F.one_hot(target, cos.shape[1])
    return F.cross_entropy(s * (cos - margin), target)

X, y = torch.tensor(X), torch.tensor(y)  # the same arrays
features = nn.Sequential(nn.Linear(64, 48), nn.ReLU(),
                         nn.Linear(48, 2)).double()
classifier = nn.Linear(2, 10, bias=False).double()
params = [*features.parameters(), *classifier.parameters()]
opt = optim.Adam(params, lr=0.01)
for step in range(300):
    opt.zero_grad()
    loss = am_softmax_loss(features(X), classifier.weight,
                           y, s=10.0, m=0.2)
    loss.backward()
    opt.step()
"""


CELL_STYLE = "vertical-align:top;text-align:left;padding:0 12px"


class SideBySide:
    """Two listings in two columns (HTML in JupyterLab); one after the other as plain text."""

    def __init__(self, left: tuple[str, str], right: tuple[str, str]) -> None:
        self.left, self.right = left, right

    def __repr__(self) -> str:
        listings = (self.left, self.right)
        return "\n".join(f"# ----- {title} -----\n{code}" for title, code in listings)

    def _repr_html_(self) -> str:
        columns = "".join(
            f'<td style="{CELL_STYLE}"><b>{html.escape(title)}</b>'
            f'<pre style="font-size:12px;line-height:1.3">{html.escape(code)}</pre></td>'
            for title, code in (self.left, self.right)
        )
        return f"<table><tr>{columns}</tr></table>"


def _translate_comments(code: str) -> str:
    """``code`` with the text of its end-of-line comments in the learner's language."""
    lines = []
    for line in code.splitlines(keepends=True):
        before, mark, comment = line.partition("  # ")
        if mark:
            line = before + mark + tr(comment.rstrip("\n")) + "\n"
        lines.append(line)
    return "".join(lines)


def side_by_side() -> SideBySide:
    """The gradlib loop of notebook 08's AM-Softmax run beside its PyTorch twin."""
    return SideBySide(
        ("gradlib", _translate_comments(GRADLIB_CODE)),
        ("PyTorch", _translate_comments(PYTORCH_CODE)),
    )
