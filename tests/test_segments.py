"""Segment schemes: exhaustiveness of the defaults, custom schemes in three forms, validation, summary."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import segkit

ISSUE_SEGMENTS = [
    "Champions",
    "Frequent Low Value",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]


@pytest.mark.parametrize("bins", [5, 3, 2])
def test_default_scheme_is_exhaustive_and_non_overlapping(bins):
    scheme = segkit.default_scheme(bins)
    # Count, independently of the scheme's own check, how many rules of distinct segments cover each cell.
    rules = scheme.rules
    for r, f, m in itertools.product(range(1, bins + 1), repeat=3):
        hit = {row.segment for row in rules.itertuples() if r in row.r and f in row.f and m in row.m}
        assert len(hit) == 1, (r, f, m, hit)
    cells = scheme.cell_map()
    assert len(cells) == bins**3
    assert (cells["n_segments"] == 1).all()
    # No segment is unreachable.
    assert set(cells["segment"]) == set(scheme.segments)
    assert all(scheme.actions[s] for s in scheme.segments)
    assert all(scheme.descriptions[s] for s in scheme.segments)


def test_default_five_point_scheme_has_the_twelve_segments():
    scheme = segkit.default_scheme(5)
    assert list(scheme.segments) == ISSUE_SEGMENTS
    table = scheme.segment_table()
    assert table["cells"].sum() == 125
    assert table.loc["Champions", "cells"] == 2 * 2 * 2
    # The methodology's three named cells carry its source; the rest are kit conventions.
    assert table.loc["Frequent Low Value", "cells"] == 2 * 2 * 1
    assert "partners" in table.loc["Frequent Low Value", "action"]
    assert "urgently" in table.loc["Can't Lose Them", "action"]
    methodology = set(table.index[table["source"] == "methodology [S1, S2]"])
    assert methodology == {"Champions", "Frequent Low Value", "Can't Lose Them"}
    assert set(table["source"]) == {"methodology [S1, S2]", "kit convention"}
    assert "source" in scheme.to_frame().columns


@pytest.mark.parametrize(
    ("cell", "segment"),
    [
        ("555", "Champions"),
        ("445", "Champions"),
        ("551", "Frequent Low Value"),
        ("452", "Loyal"),
        ("351", "Loyal"),
        ("523", "Potential Loyalist"),
        ("515", "New"),
        ("411", "Promising"),
        ("333", "Need Attention"),
        ("321", "About to Sleep"),
        ("235", "At Risk"),
        ("153", "At Risk"),
        ("154", "Can't Lose Them"),
        ("255", "Can't Lose Them"),
        ("225", "Hibernating"),
        ("111", "Lost"),
        ("125", "Lost"),
    ],
)
def test_default_scheme_cells(cell, segment):
    r, f, m = (int(c) for c in cell)
    assert segkit.default_scheme(5).assign([r], [f], [m])[0] == segment


def test_no_default_for_four_points():
    with pytest.raises(segkit.ParameterError, match="bins=5, 3 and 2"):
        segkit.default_scheme(4)


CUSTOM = {
    "name": "two by two",
    "bins": 2,
    "segments": [
        {"name": "Best", "action": "Thank them", "rules": [{"r": 2, "f": 2, "m": "*"}]},
        {"name": "Fresh", "action": "Onboard", "rules": {"r": "2", "f": "1"}},
        {
            "name": "Sleeping",
            "action": "Wake up",
            "description": "gone quiet",
            "rules": [{"r": 1, "f": [1, 2]}],
        },
    ],
}


def expected_custom(r, f):
    return "Best" if (r, f) == (2, 2) else "Fresh" if r == 2 else "Sleeping"


def check_custom(scheme: segkit.SegmentScheme):
    cells = scheme.cell_map()
    assert cells["segment"].tolist() == [
        expected_custom(r, f) for r, f in zip(cells["r"], cells["f"], strict=True)
    ]
    assert scheme.actions == {"Best": "Thank them", "Fresh": "Onboard", "Sleeping": "Wake up"}


def test_custom_scheme_as_dict_dataframe_and_yaml(tmp_path):
    check_custom(segkit.validate_scheme(CUSTOM, bins=2))
    frame = pd.DataFrame(
        {
            "segment": ["Best", "Fresh", "Sleeping"],
            "r": [2, 2, 1],
            "f": [2, 1, "*"],
            "m": ["*", "1-2", None],
            "action": ["Thank them", "Onboard", "Wake up"],
        }
    )
    check_custom(segkit.validate_scheme(frame, bins=2))
    path = tmp_path / "scheme.yaml"
    path.write_text(
        "bins: 2\nsegments:\n"
        "  - name: Best\n    action: Thank them\n    rules: [{r: 2, f: 2}]\n"
        "  - name: Fresh\n    action: Onboard\n    rules: [{r: 2, f: 1}]\n"
        "  - name: Sleeping\n    action: Wake up\n    rules: [{r: 1}]\n",
        encoding="utf-8",
    )
    check_custom(segkit.validate_scheme(path, bins=2))
    check_custom(segkit.validate_scheme(str(path), bins=2))


def test_yaml_round_trip_of_the_default(tmp_path):
    path = tmp_path / "default.yaml"
    default = segkit.default_scheme(5)
    default.to_yaml(path)
    again = segkit.validate_scheme(path, bins=5)
    pd.testing.assert_frame_equal(again.cell_map(), default.cell_map())
    assert again.actions == default.actions


@pytest.mark.parametrize(
    ("scheme", "message"),
    [
        (
            {"segments": [{"name": "A", "action": "x", "rules": [{"r": 2}]}]},
            r"leaves 4 of 8 cells .* unmapped, e\.g\. 111",
        ),
        (
            {
                "segments": [
                    {"name": "A", "action": "x", "rules": [{"r": "*"}]},
                    {"name": "B", "action": "y", "rules": [{"r": 1, "f": 1, "m": 1}]},
                ]
            },
            r"maps 1 of 8 cells to more than one segment, e\.g\. 111 \(A \| B\)",
        ),
        ({"segments": [{"name": "A", "action": "x", "rules": [{"r": "1-3"}]}]}, "score 3 is outside 1..2"),
        ({"segments": [{"name": "A", "rules": [{"r": "*"}]}]}, "has no action"),
        ({"segments": [{"name": "A", "action": "x", "rules": [{"q": 1}]}]}, "unknown key"),
        ({"segments": [{"name": "A", "action": "x", "rules": [{"r": "2-1"}]}]}, "runs backwards"),
        (
            {"segments": [{"name": "A", "action": "x", "rules": [{"r": "high"}]}]},
            "cannot read the score range",
        ),
        ({"segments": [{"name": "A", "action": "x", "rules": []}]}, "has no rules"),
        ({"segments": []}, "non-empty 'segments' list"),
        ({"bins": 5, "segments": [{"name": "A", "action": "x", "rules": [{"r": "*"}]}]}, "declares bins=5"),
        (
            {
                "segments": [
                    {"name": "A", "action": "x", "rules": [{"r": 1}]},
                    {"name": "A", "action": "x", "rules": [{"r": 2}]},
                ]
            },
            "appears twice",
        ),
        (42, "scheme must be None"),
        ("no/such/scheme.yaml", "does not exist"),
        (pd.DataFrame({"segment": ["A"], "r": ["*"]}), "missing"),
    ],
)
def test_invalid_schemes_are_refused(scheme, message):
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.validate_scheme(scheme, bins=2)


def test_scheme_for_other_scale_is_refused():
    with pytest.raises(segkit.ParameterError, match="written for bins=5"):
        segkit.validate_scheme(segkit.default_scheme(5), bins=3)


def scored_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recency_days": [2, 5, 300, 40],
            "frequency": [9, 1, 8, 1],
            "monetary": [900.0, 20.0, 700.0, 10.0],
            "revenue": [900.0, 20.0, 700.0, 10.0],
            "r_score": [5, 5, 1, 3],
            "f_score": [5, 1, 5, 1],
            "m_score": [5, 1, 5, 1],
        },
        index=pd.Index(["a", "b", "c", "d"], name="customer_id"),
    )


def test_rfm_segments_and_summary_by_hand():
    seg = segkit.rfm_segments(scored_table())
    assert seg["segment"].astype(str).tolist() == ["Champions", "New", "Can't Lose Them", "About to Sleep"]
    assert list(seg["segment"].cat.categories) == ISSUE_SEGMENTS
    assert seg.loc["c", "action"] == segkit.default_scheme(5).actions["Can't Lose Them"]
    summary = segkit.segment_summary(seg)
    assert summary.index.tolist() == ISSUE_SEGMENTS  # empty segments listed too
    assert summary["customers"].sum() == 4
    assert summary.loc["Champions", ["customers", "revenue"]].tolist() == [1, 900.0]
    assert summary.loc["Champions", "revenue_share"] == pytest.approx(900 / 1630)
    assert summary.loc["New", "customers_share"] == 0.25
    assert summary.loc["Lost", "customers"] == 0 and np.isnan(summary.loc["Lost", "r_score"])
    assert summary.loc["Can't Lose Them", ["recency_days", "f_score"]].tolist() == [300.0, 5.0]
    assert summary["revenue_share"].sum() == pytest.approx(1.0)


def test_rfm_segments_from_result_uses_its_scale():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "b", "b", "c"],
            "order_id": ["1", "2", "4", "3"],
            "order_date": pd.to_datetime(["2024-06-01", "2024-03-01", "2024-03-05", "2024-01-01"]),
            "amount": [30.0, 20.0, 5.0, 10.0],
        }
    )
    res = segkit.rfm(df, as_of="2024-07-01", bins=3)
    seg = segkit.rfm_segments(res)
    assert seg.loc["a", "segment"] == "New"  # 311: recent, one order
    assert seg.loc["c", "segment"] == "Lost"
    with pytest.raises(segkit.ParameterError, match="bins=5 disagrees"):
        segkit.rfm_segments(res, bins=5)


def test_rfm_segments_rejects_out_of_scale_scores():
    bad = scored_table().assign(r_score=[6, 5, 1, 3])
    with pytest.raises(segkit.DataContractError, match="r_score"):
        segkit.rfm_segments(bad)
    with pytest.raises(segkit.ParameterError, match="f_score"):
        segkit.rfm_segments(scored_table().drop(columns="f_score"))
