"""The article's claims (C1-C23) and how each one fared: one record for the whole series.

The series grew from a Chinese article on backpropagation, gradients and loss functions
(``shared/seed`` in the project). Each of its claims is split here into parts that can be
checked one by one, and each part records what the evidence shows: it holds, or it does
not. A claim's verdict follows from its parts: right (every part holds), wrong (none
does), partly right (some do).

A notebook's claim cell computes the evidence and hands the outcome of each part to
``judge``, which compares it with this record and raises if they differ. So a notebook
can only print the verdict recorded here, and the recap at the end of the series, drawn
from the same record (``recap_table``), cannot disagree with the notebooks: nbval re-runs
every claim cell.

    claims.judge("C9", "04", {
        "max pooling keeps the sum": bool(max_sum_kept),
        ...
    })
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from gradlib.language import tr

__all__ = ["CLAIMS", "Claim", "Judgement", "Part", "judge", "recap_table", "tally"]


@dataclass(frozen=True)
class Part:
    """One checkable statement of a claim, the notebook that checks it, and the outcome."""

    text: str
    notebook: str  # "04": the notebook whose cell checks this part
    holds: bool | None  # None: not measured yet (judge() refuses to print a verdict)


@dataclass(frozen=True)
class Claim:
    id: str
    article: str  # the article's own words (Chinese), shortened
    statement: str  # the claim in English
    parts: tuple[Part, ...]
    finding: str  # one sentence: what the series showed

    @property
    def notebooks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part.notebook for part in self.parts))

    @property
    def verdict(self) -> str:
        outcomes = [part.holds for part in self.parts]
        if None in outcomes:
            return "not checked yet"
        if all(outcomes):
            return "right"
        return "wrong" if not any(outcomes) else "partly right"


@dataclass(frozen=True)
class Judgement:
    """What ``judge`` returns: printed by the notebook cell that checked the claim, in the
    learner's language (the statements, parts and findings are translated in
    ``gradlib/locale/zh/claims.txt``; the part texts stay English as ``judge``'s keys)."""

    claim: Claim
    notebook: str

    def __str__(self) -> str:
        return self.text()

    def text(self, finding: bool = True) -> str:
        """The claim, this notebook's parts and the verdict; ``finding=False`` leaves out
        the record's one-line finding (when it quotes numbers of another notebook)."""
        claim = self.claim
        lines = [tr("Claim {id}: {statement}", id=claim.id, statement=tr(claim.statement))]
        for part in claim.parts:
            if part.notebook == self.notebook:
                if part.holds:
                    lines.append(tr("  - {part}: holds", part=tr(part.text)))
                else:
                    lines.append(tr("  - {part}: does not hold", part=tr(part.text)))
        others = [p for p in claim.parts if p.notebook != self.notebook]
        if others:
            where = ", ".join(sorted({p.notebook for p in others}))
            lines.append(
                tr("  ({n} more part(s) checked in notebook {where})", n=len(others), where=where)
            )
        verdict = tr(claim.verdict)
        if finding:
            lines.append(
                tr("Verdict: {verdict}. {finding}", verdict=verdict, finding=tr(claim.finding))
            )
        else:
            lines.append(tr("Verdict: {verdict}.", verdict=verdict))
        return "\n".join(lines)

    __repr__ = __str__


def judge(claim_id: str, notebook: str, evidence: dict[str, bool]) -> Judgement:
    """Check a notebook's evidence against the record; return the verdict to print.

    ``evidence`` maps the text of every part this notebook checks to what its cell measured
    (True: the part holds). Raises AssertionError when the evidence disagrees with the
    record, or a part is missing or unknown, naming it.
    """
    if claim_id not in CLAIMS:
        raise KeyError(f"judge: no claim {claim_id!r}; the claims are C1 to C{len(CLAIMS)}")
    claim = CLAIMS[claim_id]
    mine = {part.text: part for part in claim.parts if part.notebook == notebook}
    if not mine:
        raise AssertionError(f"judge: claim {claim_id} has no part checked in notebook {notebook}")
    missing, unknown = set(mine) - set(evidence), set(evidence) - set(mine)
    if missing or unknown:
        raise AssertionError(
            f"judge({claim_id!r}, {notebook!r}): missing parts {sorted(missing)}, unknown parts "
            f"{sorted(unknown)}; the parts are {sorted(mine)}"
        )
    for text, measured in evidence.items():
        recorded = mine[text].holds
        if recorded is None:
            raise AssertionError(
                f"{claim_id}: the part {text!r} has no recorded outcome yet; the evidence says "
                f"{bool(measured)}: record it in gradlib/lessons/claims.py"
            )
        if bool(measured) != recorded:
            raise AssertionError(
                f"{claim_id}: the evidence says {text!r} {'holds' if measured else 'fails'}, "
                f"but the record says it {'holds' if recorded else 'fails'}"
            )
    return Judgement(claim, notebook)


def tally() -> str:
    """How the claims fared, most common verdict first: "23 claims: 15 right, ..."."""
    counts = Counter(claim.verdict for claim in CLAIMS.values())
    parts = [tr("{n} {verdict}", n=n, verdict=tr(verdict)) for verdict, n in counts.most_common()]
    listed = parts[0]
    for part in parts[1:]:
        listed = tr("{listed}, {part}", listed=listed, part=part)
    return tr("{count} claims: {parts}", count=len(CLAIMS), parts=listed)


def recap_table() -> str:
    """The verdict on every claim, as a Markdown table (the series' closing recap)."""
    rows = [tr("| claim | the article says | verdict | notebook |"), "|---|---|---|---|"]
    for claim in CLAIMS.values():
        statement, verdict = tr(claim.statement), tr(claim.verdict)
        rows.append(f"| {claim.id} | {statement} | {verdict} | {', '.join(claim.notebooks)} |")
    return "\n".join(rows)


def _claim(id: str, statement: str, finding: str, *parts: Part) -> Claim:
    return Claim(id, ARTICLE[id], statement, tuple(parts), finding)


# The article's own words for each claim (its formulas were lost when it was copied).
ARTICLE: dict[str, str] = {
    "C1": (
        "该方法对网络中所有权重计算损失函数的梯度……反向传播算法会先按前向传播方"
        "式计算每个结点的输出值，然后再按反向传播遍历图的方式计算损失函数值相对于"
        "每个参数的偏导数"
    ),
    "C2": ("以目标负梯度方向对参数进行调整……我们可以将整个深度网络视为是一个复合的非线性多元函数"),
    "C3": ("导数反映的是函数在某一点处沿x轴正方向的变化率……方向导数就是函数在特定方向上的变化率"),
    "C4": "梯度的方向是最大方向导数的方向；梯度的值是最大方向导数的值",
    "C5": "沿着负梯度方向去减小函数值",
    "C6": (
        "由于ReLU函数在 x = 0 处是不可微的，因此深度学习框架的代码直接将其在 x = 0 处的导数置为1"
    ),
    "C7": "防止梯度弥散……稀疏激活性……加快计算",
    "C8": (
        "ReLU激活函数非线性映射能力弱，通常ReLU函数需要配合batchno"
        "rm函数使用。batchnorm是一个非线性映射的过程"
    ),
    "C9": "需要保证传递的loss(或梯度)总和不变",
    "C10": "把某个元素的梯度等分成n份分配给前一层",
    "C11": "把梯度直接传给前一层某一个像素，而其他像素不接受梯度，置为0",
    "C12": (
        "能容忍一些特征微小的位移(支持平移、旋转、拉伸不变性)……降低维度……防止过拟合……增加感受野"
    ),
    "C13": (
        "梯度消失情况：(1)深层网络 (2)采用不合适的激活函数(eq: sig"
        "moid)；梯度爆炸情况：一般出现在深层网络和权值初始化值太大……靠近输"
        "出的层学习的情况较快"
    ),
    "C14": ("梯度裁剪、正则化；relu、leakrelu、elu等激活函数；batchnorm、layernorm；残差结构"),
    "C15": "损失函数、代价函数和目标函数三者之间的关系",
    "C16": ("使用sigmoid/softmax得到概率，配合MSE损失函数时……模型一开始训练时，学习速率非常慢"),
    "C17": (
        "最后一层得到每个类别的分数scores(logits)……经过sigmo"
        "id(softmax)函数获得概率输出……与真实类别的one hot形式"
        "进行交叉熵损失函数的计算"
    ),
    "C18": "该交叉熵损失函数是凸函数，求导时能够得到全局最优值",
    "C19": (
        "随着分类数目的增大，分类层的线性变化矩阵参数也随着增大……学习到的特征比"
        "较散……L-Softmax、SM-Softmax、AM-Softmax"
    ),
    "C20": "简单直观，易于求导，通常用于回归任务",
    "C21": "导数不连续(对异常值不敏感；梯度始终相同，可能导致神经网络不收敛)",
    "C22": (
        "当预测偏差小于delta时，采用平方误差；当预测偏差大于delta时，采"
        "用线性误差……要求损失函数二阶可导的情况下……使用Psuedo-Hube"
        "r Loss代替(Xgboost)"
    ),
    "C23": ("Y为目标值(-1 或 +1)……当Y和f(x)的符号相同时，并且|f(x)| >= 1时，hinge loss为0"),
}


CLAIMS: dict[str, Claim] = {
    claim.id: claim
    for claim in (
        _claim(
            "C1",
            "backpropagation computes dL/dw for every weight: a forward pass computes each "
            "node's value, then a backward walk of the graph applies the chain rule",
            "Right: on a two-layer MLP the forward pass recorded all 13 tensors before any "
            "gradient existed, then one backward() finished each node's gradient once, before "
            "its inputs', and gave all 82 parameters' gradients, equal to central finite "
            "differences (164 loss evaluations) to < 1e-10. The article leaves out that the "
            "forward pass must also keep what the backward pass needs.",
            Part("one backward pass gives the gradient of every weight", "03", True),
            Part(
                "the forward pass computes every node's value first, then the backward pass "
                "finishes each node's gradient before its inputs'",
                "03",
                True,
            ),
        ),
        _claim(
            "C2",
            "weights are updated by w <- w - lr dL/dw; training minimises one composite "
            "function of all the weights",
            "Right: with dL/dw from backward() (equal to the formula and to finite "
            "differences) one step lowered a regression loss from 5.858 to 3.951, and repeated "
            "steps reached the least-squares minimiser to 6e-10 (02); on an MLP, one composite "
            "function of 82 parameters, 300 steps lowered the loss at every step, from 0.615 to "
            "0.042 (03).",
            Part("w <- w - lr dL/dw, with dL/dw from backward(), lowers the loss", "02", True),
            Part("repeating it reaches the minimiser of the loss", "02", True),
            Part(
                "repeating it lowers a network's loss, one composite function of all its weights",
                "03",
                True,
            ),
        ),
        _claim(
            "C3",
            "the derivative is the rate of change along +x; a partial derivative along one "
            "axis; a directional derivative along any direction",
            "Secants to the right of x = 1 tended to sin'(1); along the axes and along 100 "
            "random directions the rate was grad f . u (to 1e-8); one precision: a derivative is "
            "two-sided, so |x| has a rate along +x at 0 but no derivative.",
            Part("the derivative is the rate of change along +x", "01", True),
            Part("partial derivatives are rates along the axes", "01", True),
            Part(
                "the rate along any unit vector u is the directional derivative grad f . u",
                "01",
                True,
            ),
        ),
        _claim(
            "C4",
            "the gradient points where the directional derivative is largest, and its length "
            "is that largest value",
            "Over 36,000 directions at four points the largest rate sat within 0.01 degrees of "
            "the gradient and equalled its length.",
            Part("the largest directional derivative is along the gradient", "01", True),
            Part("its value is the gradient's length", "01", True),
        ),
        _claim(
            "C5",
            "gradient descent moves against the gradient to decrease the function",
            "Right for a small enough step: at 200 points of Himmelblau's surface every step "
            "of lr = 1e-5 against the gradient lowered f, by 0.999 of the first-order prediction "
            "lr |grad f|^2 (median), but at lr = 0.1 only 9% did: a large step overshoots.",
            Part("a small enough step against the gradient lowers f", "02", True),
        ),
        _claim(
            "C6",
            "ReLU is not differentiable at 0, and frameworks set its derivative there to 1",
            "ReLU has no derivative at 0, but PyTorch, TensorFlow, JAX and gradlib set relu'(0) "
            "to 0; only other spellings of ReLU (clamp) give 1.",
            Part("ReLU is not differentiable at 0", "04", True),
            Part("frameworks' relu gives relu'(0) = 1", "04", False),
        ),
        _claim(
            "C7",
            "ReLU beats sigmoid: no gradient diffusion (sigmoid' <= 1/4), sparse activations, "
            "cheaper to compute",
            "Each advantage measured; the price is units that die.",
            Part("sigmoid' is at most 1/4 while relu' is 0 or 1", "04", True),
            Part("ReLU activations are sparse (exact zeros)", "04", True),
            Part("ReLU is cheaper to compute than sigmoid", "04", True),
            Part("deep ReLU nets keep their gradients where sigmoid nets lose them", "05", True),
        ),
        _claim(
            "C8",
            "ReLU's nonlinearity is weak, so it needs BatchNorm; BatchNorm is a nonlinear mapping",
            "Loose: a 10-layer ReLU net trained without BatchNorm (93.3% test accuracy, 96.4% "
            "with it; one seed, one learning rate; at 20 layers both runs were chaotic, ending "
            "differently when the pixels changed in their last bits); at inference BatchNorm is "
            "an affine map per feature (folded into the Linear layer before it, the outputs "
            "agree to 1e-12); only in training is it nonlinear, as a map of the whole batch (it "
            "does not keep midpoints).",
            Part("a deep ReLU network needs BatchNorm to train", "05", False),
            Part("BatchNorm at inference is a nonlinear map", "05", False),
            Part("BatchNorm in training makes a sample's output depend on its batch", "05", True),
        ),
        _claim(
            "C9",
            "pooling's backward pass keeps the gradient sum unchanged",
            "True for max pooling and for mean pooling unless the padding is counted: in ten "
            "configurations the two sums agreed except with count_include_pad=True, where part "
            "of the gradient fell on the padding and was lost (7.18 of 8.87 reached the input).",
            Part("max pooling keeps the sum", "04", True),
            Part("mean pooling without padding keeps the sum", "04", True),
            Part("mean pooling with padding counted keeps the sum", "04", False),
        ),
        _claim(
            "C10",
            "mean pooling's backward splits each gradient equally over its window",
            "Each input of a window received g / k^2 from it, and with overlapping windows an "
            "input adds up the shares of every window it is in (1 to 9 windows for kernel 3, "
            "stride 1).",
            Part("each input of a window gets an equal share", "04", True),
            Part("overlapping windows add their shares", "04", True),
        ),
        _claim(
            "C11",
            "max pooling's backward sends the whole gradient to the maximum, 0 to the rest",
            "Each window's gradient arrived whole at its maximum; at a tie it goes to the first "
            "maximum in row-major order (a convention: every split is a valid subgradient), and "
            "overlapping windows add up (a maximum shared by 4 windows received 4).",
            Part("the window's maximum gets the whole gradient, the others 0", "04", True),
            Part("overlapping windows add their gradients", "04", True),
        ),
        _claim(
            "C12",
            "pooling gives invariance to translation, rotation and stretching, reduces "
            "dimension, fights overfitting and grows the receptive field",
            "On the digits 2x2 max pooling removed only 35-51% of the feature change under a "
            "1-pixel shift (pooled features still moved 32-53%), 23-26% under 10-20 degree "
            "rotations and 15% under a 1.25x stretch; a small CNN with pooling classified "
            "shifted digits at 61% and 53% (54% and 42% without, 97% unshifted); its train-test "
            "gap was 1.2 points narrower after 10 epochs (2.9 standard errors, 4 seeds) but only "
            "0.2 after 20 (within the noise), so no lasting reduction of overfitting; pooling "
            "did cut the features from 512 to 128 (the net from 5,210 to 1,370 parameters) and "
            "grew the receptive field of three 3x3 layers from 7 to 18 pixels.",
            Part("pooled features barely change under a 1-pixel shift", "04", False),
            Part("pooled features barely change under a rotation", "04", False),
            Part("pooled features barely change under a stretch", "04", False),
            Part("pooling reduces the dimension", "04", True),
            Part("stacked pooling grows the receptive field", "04", True),
            Part("pooling reduces overfitting", "04", False),
        ),
        _claim(
            "C13",
            "gradients vanish in deep sigmoid nets and explode with large initial weights; "
            "layers near the output learn faster",
            "Reproduced on the digits: in Nielsen's sigmoid nets each hidden layer's gradient "
            "was 4.3 to 5.3 times the one before it (medians 0.012, 0.060, 0.32 against his MNIST "
            "0.012, 0.060, 0.283) and kept that order through all 500 epochs of his training "
            "(the last hidden layer's biases moved 94 times as far as the first's); weights "
            "4/sqrt(n) made gradients grow 1.6 (tanh) to 3 (ReLU) times per layer.",
            Part("gradients vanish toward the input of a deep sigmoid net", "05", True),
            Part("gradients explode with large initial weights", "05", True),
            Part("layers near the output learn faster", "05", True),
        ),
        _claim(
            "C14",
            "remedies: gradient clipping, L1/L2 regularisation, ReLU/LeakyReLU/ELU, "
            "BatchNorm/LayerNorm, residual connections",
            "Clipping trained a network that reached nan in 4 steps without it, while L1/L2 "
            "changed its exploding step by at most 0.0003%; ReLU, LeakyReLU and ELU have slope 1 "
            "for every positive input; over 50 layers a normaliser alone leaves each layer a "
            "growth set by the activation (rms f'/std f with BatchNorm, rms f'/rms f with "
            "LayerNorm: 1.21 for ReLU + BatchNorm, 0.39 for sigmoid + LayerNorm), and bare "
            "residual connections let the gradient grow with their sum (ReLU: 9.3e3 across the "
            "layers); residual branches scaled by 1/sqrt(50), or with LayerNorm inside, kept all "
            "four activations tested within 10x.",
            Part("gradient clipping stops an exploding step", "05", True),
            Part("L1/L2 regularisation stops an exploding step", "05", False),
            Part("the ReLU family does not saturate on the positive side", "05", True),
            Part(
                "BatchNorm or LayerNorm alone keeps gradient norms flat across depth", "05", False
            ),
            Part("bare residual connections keep gradient norms flat across depth", "05", False),
            Part(
                "residual connections with scaled or normalised branches keep gradient norms flat "
                "across depth",
                "05",
                True,
            ),
        ),
        _claim(
            "C15",
            "loss (one sample), cost (its average) and objective (cost plus regulariser) are "
            "different things",
            "Right, and it matters for backward(): on five points the cost gave dL/dw = -2.2 "
            "and the objective (lambda = 0.1) -1.9, and reduction='sum' multiplied the cost's "
            "gradient by N = 5.",
            Part("loss, cost and objective are distinct quantities", "06", True),
        ),
        _claim(
            "C16",
            "classification prefers cross-entropy to MSE because sigmoid/softmax + MSE learns "
            "slowly at first",
            "A saturated neuron needs 232 epochs with MSE and 17 with CE to bring its output "
            "below 0.5; on the digits (5 seeds) softmax + MSE is slower at the same learning "
            "rate up to 1 (3.8 against 2.4 epochs to 90% at lr 1), and from a confidently wrong "
            "start it waits at chance for 7 to 10 epochs and needs 12.2 epochs against CE's "
            "2.8, then catches up; but from the default start, each at its best rate, it needs "
            "2.8 epochs against 2.4. The slowdown is the saturated output's: a squared error on "
            "the logits, without the softmax, pushes 7 times harder than CE from the wrong start.",
            Part("a saturated sigmoid neuron learns slowly with MSE, not with CE", "07", True),
            Part(
                "on the digits at the same small learning rate, softmax + MSE learns slower "
                "than CE",
                "07",
                True,
            ),
            Part(
                "on the digits from the default start, softmax + MSE learns much slower than CE "
                "at each loss's best learning rate",
                "07",
                False,
            ),
            Part(
                "on the digits from a confidently wrong start, softmax + MSE learns much slower "
                "than CE at each loss's best learning rate",
                "07",
                True,
            ),
        ),
        _claim(
            "C17",
            "binary and multi-class cross-entropy; logits -> softmax -> cross-entropy with a "
            "one-hot target; its gradient is softmax - one_hot",
            "Right; computed stably with log-sum-exp.",
            Part("cross-entropy is the negative log-likelihood of the labels", "06", True),
            Part("the gradient with respect to the logits is softmax - one_hot", "07", True),
        ),
        _claim(
            "C18",
            "cross-entropy is convex, so a global optimum is reached",
            "Convex in the logits (the Hessian diag(p) - p p^T had no eigenvalue below "
            "round-off, -1e-15, at 1,000 points) and along 100 random lines of softmax "
            "regression's weights, but not in a network's: halfway between two trained 64-32-10 "
            "networks the cost rose from 0.08 to 0.34. Convexity makes a minimum global, but "
            "need not give one: on separable data the cost only approaches 0.",
            Part("cross-entropy is convex in the logits", "07", True),
            Part("it is convex in the weights of softmax regression", "07", True),
            Part("it is convex in an MLP's weights", "07", False),
        ),
        _claim(
            "C19",
            "the softmax loss's parameters grow with the classes; its features are separable "
            "but not compact, which margin losses (L-, SM-, AM-Softmax) fix",
            "On 2-D digit features over 3 seeds, softmax's classes were separable (99.3% of "
            "the training digits right) but petals (a class's lengths vary 2.4-fold; the "
            "nearest class centre classifies 6 to 10 points worse); L-Softmax (m = 2, 3) cut "
            "the mean angular spread from 5.5 to 4.9 and 4.1 degrees and AM-Softmax cut it in "
            "every seed, SM-Softmax (m = 2) did not (5.6: longer features met its margin), "
            "AM's published m = 0.35 cannot be met in 2-D and merged classes, and no margin "
            "loss beat softmax's test accuracy in all three seeds.",
            Part("the classifier's parameters grow with the number of classes", "08", True),
            Part("softmax features are separable but not compact", "08", True),
            Part("L-Softmax makes the classes more compact", "08", True),
            Part("SM-Softmax makes the classes more compact", "08", False),
            Part("AM-Softmax makes the classes more compact", "08", True),
        ),
        _claim(
            "C20",
            "MSE is simple, smooth, and for regression",
            "Right: its slope is exactly 2 times the residual and its second derivative 2 "
            "everywhere, which is also why outliers dominate it (4 outliers of 40 moved its "
            "best slope from 2.05 to 1.19).",
            Part("MSE is smooth with a gradient proportional to the residual", "06", True),
        ),
        _claim(
            "C21",
            "MAE: derivative discontinuous at 0, robust to outliers, constant-size gradient that "
            "may not converge",
            "Right, if less sensitive rather than insensitive: its slope jumps from -1 to +1 "
            "at 0; 4 outliers of 40 moved its best slope by 0.05 (MSE's by 0.86), though 12 on "
            "one side (half of that side's points) or one point far out in x broke it; with a "
            "fixed rate descent kept wobbling by 0.08-0.09 x lr up to lr 0.2 (0.15 x lr at 0.4), "
            "while a decaying rate's wobble kept shrinking.",
            Part("MAE's derivative jumps at 0", "06", True),
            Part("MAE moves less than MSE under outliers", "06", True),
            Part(
                "with a fixed learning rate MAE's descent oscillates around the optimum", "06", True
            ),
        ),
        _claim(
            "C22",
            "Huber is quadratic within delta and linear beyond; Pseudo-Huber has the smooth "
            "second derivative second-order methods need",
            "Right, with a caveat: Huber's second derivative jumps between 1 and 0 at delta, so "
            "a Newton step divides by 0 when no residual is within delta; Pseudo-Huber's is "
            "smooth and positive, but its exact Newton step takes a residual a to -a^3 / "
            "delta^2, so from beyond delta it overshoots (from c = 2 to 9.876, then diverging). "
            "XGBoost's current source divides by psi(a)/a = (1 + (a/delta)^2)^(-1/2) instead, "
            "with which both losses converged.",
            Part("Huber is quadratic within delta and linear beyond", "06", True),
            Part("Pseudo-Huber's second derivative is smooth", "06", True),
            Part(
                "Huber's second derivative can leave a Newton step undefined, Pseudo-Huber's "
                "cannot",
                "06",
                True,
            ),
        ),
        _claim(
            "C23",
            "the hinge loss, for SVMs with y in {-1, +1}, is zero when a point is classified "
            "with margin >= 1",
            "Right, if loosely worded: the loss and its gradient are 0 for margins >= 1, so only "
            "6 of 60 points (the support vectors) shaped a linear SVM; moving the other 54 "
            "further out left it in place, while logistic regression moved at least 46 times as "
            "much. With opposite signs the loss grows linearly with |f(x)| (for y = +1 as f "
            "falls, not as it grows).",
            Part("the hinge loss is zero beyond margin 1", "06", True),
            Part("with opposite signs the loss grows linearly with |f(x)|", "06", True),
        ),
    )
}
