"""gradlib.graphplot: the layout and drawing of a recorded computational graph."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

import gradlib as gl  # noqa: E402
from gradlib import functional as F  # noqa: E402
from gradlib.engine import topological_order  # noqa: E402
from gradlib.graphplot import (  # noqa: E402
    BOX_HEIGHT,
    BOX_WIDTH,
    COLUMN_GAP,
    ROW_GAP,
    draw_graph,
    layout_graph,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def named(value: float, name: str) -> gl.Tensor:
    t = gl.tensor(value, requires_grad=True)
    t.name = name
    return t


def example(backward: bool = True) -> dict[str, gl.Tensor]:
    """f = (x y + z) sigmoid(w) at x = 2, y = -3, z = 4, w = 0, every tensor named."""
    x, y, z, w = named(2.0, "x"), named(-3.0, "y"), named(4.0, "z"), named(0.0, "w")
    a = x * y
    b = a + z
    s = F.sigmoid(w)
    f = b * s
    for t, name in ((a, "a"), (b, "b"), (s, "s"), (f, "f")):
        t.name = name
        t.retain_grad()
    if backward:
        f.backward()
    return {t.name: t for t in (x, y, z, w, a, b, s, f)}


def edge_between(layout, source: str, target: str):
    names = [n.tensor.name for n in layout.nodes]
    i, j = names.index(source), names.index(target)
    matches = [e for e in layout.edges if (e.source, e.target) == (i, j)]
    assert len(matches) == 1
    return matches[0]


# ----- layout ------------------------------------------------------------------------------


def test_known_expression_has_its_nodes_edges_and_labels():
    layout = layout_graph(example()["f"])
    assert len(layout.nodes) == 8
    assert len(layout.edges) == 7
    assert {n.title for n in layout.nodes} == {
        "x",
        "y",
        "z",
        "w",
        "a = x × y",
        "b = a + z",
        "s = σ(w)",
        "f = b × s",
    }
    kinds = {n.name: n.kind for n in layout.nodes}
    assert kinds == {n: "leaf" for n in "xyzw"} | {n: "op" for n in "absf"}
    ops = {n.name: n.op for n in layout.nodes}
    assert ops["a"] == "Mul" and ops["b"] == "Add" and ops["s"] == "Sigmoid" and ops["x"] is None


def test_nodes_follow_the_enginestopological_order():
    t = example()
    layout = layout_graph(t["f"])
    assert [n.tensor for n in layout.nodes] == topological_order(t["f"])
    backward = [n.name for n in layout.backward_order()]
    assert backward[0] == "f"
    assert backward == [x.name for x in reversed(topological_order(t["f"]))]


def test_columns_are_the_longest_distance_to_the_output():
    layout = layout_graph(example()["f"])
    depth = {n.name: n.depth for n in layout.nodes}
    assert depth == {"f": 0, "b": 1, "s": 1, "a": 2, "z": 2, "w": 2, "x": 3, "y": 3}
    for n in layout.nodes:
        assert n.x == pytest.approx((3 - n.depth) * COLUMN_GAP)


def test_every_arrow_points_right_and_boxes_in_a_column_do_not_overlap():
    layout = layout_graph(example()["f"])
    for e in layout.edges:
        assert layout.nodes[e.source].x < layout.nodes[e.target].x
    for depth in {n.depth for n in layout.nodes}:
        ys = sorted(n.y for n in layout.nodes if n.depth == depth)
        assert all(b - a >= ROW_GAP - 1e-9 for a, b in zip(ys, ys[1:]))
        assert ROW_GAP > BOX_HEIGHT


def test_inputs_sit_around_their_op_in_argument_order():
    layout = layout_graph(example()["f"])
    y = {n.name: n.y for n in layout.nodes}
    assert y["x"] > y["y"]  # a = x * y: first argument above
    assert y["a"] > y["z"]  # b = a + z
    assert y["b"] > y["s"]  # f = b * s
    assert y["b"] > y["f"] > y["s"]  # an op sits between its two inputs


def test_edges_carry_the_local_derivatives():
    layout = layout_graph(example()["f"])
    s = 0.5  # sigmoid(0)
    expected = {
        ("x", "a"): -3.0,  # da/dx = y
        ("y", "a"): 2.0,  # da/dy = x
        ("a", "b"): 1.0,
        ("z", "b"): 1.0,
        ("w", "s"): s * (1 - s),
        ("b", "f"): s,  # df/db = s
        ("s", "f"): -2.0,  # df/ds = b = x y + z
    }
    for (source, target), value in expected.items():
        assert edge_between(layout, source, target).local_grad == pytest.approx(value)


def test_chain_rule_reads_off_the_layout():
    # grad(node) = sum over outgoing edges of local derivative * grad(target)
    layout = layout_graph(example()["f"])
    for i, n in enumerate(layout.nodes):
        outgoing = [e for e in layout.edges if e.source == i]
        if not outgoing:
            continue
        total = sum(e.local_grad * layout.nodes[e.target].tensor.grad.item() for e in outgoing)
        assert total == pytest.approx(n.tensor.grad.item())


def test_constants_are_shown_in_grey_and_can_be_hidden():
    x = named(1.5, "x")
    y = x * 3.0
    y.name = "y"
    layout = layout_graph(y)
    assert [n.kind for n in layout.nodes] == ["leaf", "constant", "op"]
    assert layout.nodes[1].title == "const"
    assert layout.nodes[2].title == "y = x × 3"
    assert edge_between(layout, "x", "y").local_grad == pytest.approx(3.0)
    hidden = layout_graph(y, show_constants=False)
    assert [n.kind for n in hidden.nodes] == ["leaf", "op"]
    assert len(hidden.edges) == 1


def test_unnamed_tensors_get_the_op_name():
    x = gl.tensor(1.0, requires_grad=True)
    out = F.tanh(x * x).exp()
    titles = [n.title for n in layout_graph(out).nodes]
    assert titles == ["leaf", "×", "tanh", "exp"]


def test_an_arrow_that_skips_a_column_bends_around_the_boxes_in_it():
    x, y = named(2.0, "x"), named(-3.0, "y")
    p = x * y
    p.name = "p"
    q = p + x  # x feeds p and, skipping p's column, q
    q.name = "q"
    layout = layout_graph(q)
    skip = edge_between(layout, "x", "q")
    box = layout.node("p")
    t = (box.x - skip.start[0]) / (skip.end[0] - skip.start[0])
    cx, cy = skip.point(t)
    assert cx == pytest.approx(box.x)
    assert abs(cy - box.y) >= BOX_HEIGHT / 2  # passes above or below p's box
    straight = edge_between(layout, "x", "p")
    mid = straight.point(0.5)
    assert mid == pytest.approx(
        ((straight.start[0] + straight.end[0]) / 2, (straight.start[1] + straight.end[1]) / 2)
    )
    assert skip.start == (layout.node("x").x + BOX_WIDTH / 2, layout.node("x").y)


def test_a_bent_arrow_lands_on_the_top_of_its_box_clear_of_the_straight_arrows_label():
    x, y = named(2.0, "x"), named(-3.0, "y")
    p = x * y
    p.name = "p"
    q = p + x
    q.name = "q"
    layout = layout_graph(q)
    skip, straight = edge_between(layout, "x", "q"), edge_between(layout, "p", "q")
    box = layout.node("q")
    # it passes above p, so it comes down onto q's top edge, inside the box's width
    assert skip.end[1] == pytest.approx(box.y + BOX_HEIGHT / 2)
    assert box.x - BOX_WIDTH / 2 < skip.end[0] < box.x
    assert straight.end == (box.x - BOX_WIDTH / 2, box.y)  # straight arrows keep the left side
    # where the straight arrow's label sits (t = 0.45), the bent arrow is well above it
    label_x, label_y = straight.point(0.45)
    t = (label_x - skip.start[0]) / (skip.end[0] - skip.start[0])
    assert skip.point(t)[1] - label_y > 0.8
    # and still clears p's box
    t_p = (layout.node("p").x - skip.start[0]) / (skip.end[0] - skip.start[0])
    assert skip.point(t_p)[1] > layout.node("p").y + BOX_HEIGHT / 2


def test_array_graphs_have_no_local_derivatives(rng):
    W = gl.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    out = (gl.tensor(rng.standard_normal((4, 3))) @ W).sum()
    layout = layout_graph(out)
    matmul = [e for e in layout.edges if layout.nodes[e.target].op == "MatMul"]
    assert matmul and all(e.local_grad is None for e in matmul)
    # the Sum's output is one number, but d(sum)/d(input) is a (4, 2) array: no edge label
    assert all(e.local_grad is None for e in layout.edges)


def test_a_deep_chain_is_laid_out_without_recursion():
    x = gl.tensor(0.5, requires_grad=True)
    out = x
    for _ in range(300):
        out = out * 1.0001
    layout = layout_graph(out, show_constants=False)
    assert len(layout.nodes) == 301
    assert max(n.depth for n in layout.nodes) == 300


def test_node_lookup_by_name_names_the_alternatives():
    layout = layout_graph(example()["f"])
    assert layout.node("b").title == "b = a + z"
    with pytest.raises(KeyError, match="named tensors: 'w', 's', 'z'"):
        layout.node("nope")


def test_a_tensor_without_a_graph_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="requires_grad=True"):
        layout_graph(gl.tensor(1.0) * 2.0)
    with pytest.raises(TypeError, match="gradlib Tensor"):
        layout_graph(np.ones(3))


# ----- drawing -----------------------------------------------------------------------------


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def test_draw_graph_draws_a_box_per_node_and_an_arrow_per_edge():
    layout = draw_graph(example()["f"])
    ax = plt.gca()
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(boxes) == len(layout.nodes) == 8
    assert len(arrows) == len(layout.edges) == 7
    shown = texts(ax)
    assert "a = x × y" in shown
    assert "value −6" in shown and "grad 0.5" in shown  # a's value and df/da
    assert "grad −1.5" in shown  # df/dx = s * y
    assert "∂a/∂x = −3" in shown and "∂s/∂w = 0.25" in shown
    ax.figure.canvas.draw()  # renders on Agg without error
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "value (forward pass)" and len(legend) == 3
    assert legend[1] == "grad = df/d(box) (backward)"  # named after the graph's output, f


@pytest.mark.parametrize("name, written", [(None, "d(output)"), ("loss", "d(loss)"), ("q", "dq")])
def test_the_gradient_legend_names_the_output(name, written):
    x = named(1.5, "x")
    out = x * x
    out.name = name
    out.backward()
    draw_graph(out)
    legend = [t.get_text() for t in plt.gca().get_legend().get_texts()]
    assert legend[1] == f"grad = {written}/d(box) (backward)"


def test_draw_graph_without_gradients_shows_values_only():
    draw_graph(example(backward=False)["f"])
    shown = texts(plt.gca())
    assert "value −1" in shown
    assert not any(t.startswith("grad") for t in shown)
    assert any(t.startswith("∂") for t in shown)  # local derivatives need no backward


def test_draw_graph_options_turn_parts_off():
    draw_graph(example()["f"], show_grads=False, show_local_grads=False, legend=False)
    ax = plt.gca()
    shown = texts(ax)
    assert not any(t.startswith(("grad", "∂")) for t in shown)
    assert ax.get_legend() is None


def test_draw_graph_shows_shapes_and_gradient_norms_for_arrays(rng):
    W = gl.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    W.name = "W"
    out = (gl.tensor(np.ones((4, 3))) @ W).sum()
    out.backward()
    draw_graph(out)
    shown = texts(plt.gca())
    assert "shape (3, 2)" in shown
    # d(sum(ones @ W))/dW = 4 everywhere: norm sqrt(6 * 16)
    assert f"‖grad‖ {np.sqrt(6 * 16):.4g}" in shown


def test_draw_graph_uses_a_given_axes():
    fig, ax = plt.subplots()
    draw_graph(example()["f"], ax=ax)
    assert len(fig.axes) == 1 and len(ax.patches) == 15


def test_a_wide_graph_fits_in_sixteen_inches_with_smaller_text():
    x = gl.tensor(0.5, requires_grad=True)
    out = x
    for _ in range(12):
        out = F.tanh(out)
    draw_graph(out)
    fig = plt.gcf()
    assert fig.get_figwidth() <= 16.0
    assert max(t.get_fontsize() for t in plt.gca().texts) < 12


def test_draw_graph_keeps_its_artists_on_the_layout():
    layout = draw_graph(example()["f"])
    ax = plt.gca()
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    assert [n.box for n in layout.nodes] == boxes
    a = layout.node("a")
    assert [t.get_text() for t in a.texts] == ["a = x × y", "value −6", "grad 0.5"]
    assert all(e.arrow in ax.patches for e in layout.edges)
    assert edge_between(layout, "x", "a").label.get_text() == "∂a/∂x = −3"
    # without gradients a box has two lines; without local derivatives an edge no label
    plain = draw_graph(example(backward=False)["f"], show_local_grads=False)
    assert len(plain.node("a").texts) == 2 and all(e.label is None for e in plain.edges)


def test_uses_are_the_arrows_out_of_a_node():
    t = example()
    layout = layout_graph(t["f"])
    assert [layout.nodes[e.target].name for e in layout.uses(layout.node("x"))] == ["a"]
    assert layout.uses(layout.node("f")) == []
    x = named(2.0, "x")
    twice = layout_graph(x * x + x)
    assert len(twice.uses(twice.node("x"))) == 3  # twice into x * x, once into + x


def test_column_gap_spaces_the_columns_and_labels_can_stack():
    f = example()["f"]
    wide, close = layout_graph(f), layout_graph(f, column_gap=3.0)
    assert wide.node("f").x == 3 * COLUMN_GAP and close.node("f").x == 3 * 3.0
    assert [n.y for n in wide.nodes] == [n.y for n in close.nodes]
    layout = draw_graph(f, column_gap=3.0, stacked_labels=True)
    assert edge_between(layout, "w", "s").label.get_text() == "∂s/∂w\n0.25"


def test_binary_maximum_is_written_max():
    x, y = named(2.0, "x"), named(-1.5, "y")
    z = gl.maximum(x, y)
    z.name = "z"
    assert layout_graph(z).node("z").title == "z = max(x, y)"
