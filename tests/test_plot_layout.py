"""What a reader sees in the plots: labels that do not overlap, cell annotations that fit their cells."""

from __future__ import annotations

import matplotlib
import pytest

import segkit

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def tx():
    return segkit.load_report_data()


def _boxes(ax):
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    return [
        (text.get_text(), text.get_window_extent(renderer)) for text in ax.texts if text.get_text().strip()
    ]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_pareto_class_labels_do_not_overlap(tx, lang):
    import matplotlib.pyplot as plt

    # The sample has a group D, whose members spread across the revenue ranks of the other groups.
    window = segkit.analysis_window(segkit.as_of_date(tx, None), 12)
    result = segkit.abc(tx, start=window.start, as_of=window.end)
    assert "D" in set(result.table_["abc_class"])
    ax = segkit.plot_pareto(result)
    segkit.localize_figure(ax.figure, lang=lang)
    labels = [(text, box) for text, box in _boxes(ax) if text[0] in "ABCD" and "\n" in text]
    assert len(labels) == 4
    clashes = [
        (a, b) for i, (a, box_a) in enumerate(labels) for b, box_b in labels[i + 1 :] if box_a.overlaps(box_b)
    ]
    assert clashes == []
    plt.close(ax.figure)


def test_retention_cells_fit_when_there_are_many_periods(tx):
    import matplotlib.pyplot as plt

    ax = segkit.plot_retention_heatmap(segkit.cohorts(tx))
    segkit.localize_figure(ax.figure, lang="ru")
    texts = _boxes(ax)
    assert texts and all(text.isdigit() for text, _ in texts)  # "36", not "36 %": the colour bar has the unit
    cell = ax.transData.transform((1, 0))[0] - ax.transData.transform((0, 0))[0]
    assert max(box.width for _, box in texts) < cell
    plt.close(ax.figure)
