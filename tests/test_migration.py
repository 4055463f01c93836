"""Segment migration on a constructed example, dated reports, and the report's comparison baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.segments._migration import LEFT, NEW

ORDER = ["Champions", "Loyal", "At Risk", "Lost"]


def constructed() -> tuple[pd.DataFrame, pd.Series]:
    # before: c1..c6; after: c1..c5 plus c7, c8 (c6 left, c7 and c8 entered).
    before = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3", "c4", "c5", "c6"],
            "segment": ["Champions", "Champions", "Loyal", "Loyal", "At Risk", "Loyal"],
        }
    )
    after = pd.Series(
        {
            "c1": "Champions",
            "c2": "Loyal",
            "c3": "Champions",
            "c4": "At Risk",
            "c5": "Lost",
            "c7": "Loyal",
            "c8": "Champions",
        }
    )
    return before, after


def test_migration_counts_shares_entries_and_exits_by_hand():
    before, after = constructed()
    m = segkit.segment_migration(before, after, order=ORDER)
    expected = pd.DataFrame(
        [
            [1, 1, 0, 0, 0],  # Champions: c1 stays, c2 -> Loyal
            [1, 0, 1, 0, 1],  # Loyal: c3 -> Champions, c4 -> At Risk, c6 left
            [0, 0, 0, 1, 0],  # At Risk: c5 -> Lost
            [0, 0, 0, 0, 0],  # Lost: nobody before
            [1, 1, 0, 0, 0],  # new: c8 -> Champions, c7 -> Loyal
        ],
        index=pd.Index([*ORDER, NEW], name="before"),
        columns=pd.Index([*ORDER, LEFT], name="after"),
    )
    pd.testing.assert_frame_equal(m.counts_, expected)
    assert m.shares_.loc["Loyal"].tolist() == pytest.approx([1 / 3, 0, 1 / 3, 0, 1 / 3])
    assert m.shares_.loc["Champions", "Champions"] == 0.5
    assert m.shares_.loc["Lost"].isna().all()
    assert m.entered_.to_dict() == {"c7": "Loyal", "c8": "Champions"}
    assert m.left_.to_dict() == {"c6": "Loyal"}
    assert m.customers_.loc["c6", ["before", "after"]].tolist() == ["Loyal", LEFT]
    assert m.customers_["moved"].sum() == 7  # all but c1
    s = m.summary_
    assert s.loc["Champions"].tolist() == [2, 3, 1, 1, 1, 1, 0, 1]
    assert s.loc["Loyal"].tolist() == [3, 2, 0, 1, 2, 1, 1, -1]
    # Bookkeeping identity for every segment.
    assert (s["before"] + s["moved_in"] + s["entered"] - s["moved_out"] - s["left"] == s["after"]).all()
    # Matrix margins are the segment sizes.
    assert m.counts_.loc[ORDER].sum(axis=1).tolist() == [2, 3, 1, 0]
    assert m.counts_[ORDER].sum(axis=0).tolist() == [3, 2, 1, 1]
    assert "1 left" in repr(m) and "2 entered" in repr(m)


def test_default_order_follows_categories_then_names():
    before, after = constructed()
    cats = pd.Categorical(after.to_numpy(), categories=["Lost", "At Risk", "Loyal", "Champions", "Unused"])
    m = segkit.segment_migration(before, pd.Series(cats, index=after.index))
    assert m.counts_.columns.tolist() == ["Lost", "At Risk", "Loyal", "Champions", "Unused", LEFT]
    plain = segkit.segment_migration(before, after)
    assert plain.counts_.index.tolist() == ["At Risk", "Champions", "Lost", "Loyal", NEW]


def test_migration_input_errors():
    before, after = constructed()
    dup = pd.concat([before, before.head(1)])
    with pytest.raises(segkit.DataContractError, match="more than once"):
        segkit.segment_migration(dup, after)
    with pytest.raises(segkit.ParameterError, match="no 'segment' column"):
        segkit.segment_migration(before.rename(columns={"segment": "group"}), after)
    with pytest.raises(segkit.ParameterError, match="order lacks"):
        segkit.segment_migration(before, after, order=["Champions"])
    with pytest.raises(segkit.ParameterError, match="segment table"):
        segkit.segment_migration([1, 2], after)


def two_date_data() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-10", 50.0),
        ("a", "2024-02-10", 50.0),
        ("a", "2024-06-20", 50.0),
        ("b", "2024-01-05", 10.0),
        ("c", "2024-05-15", 20.0),
        ("c", "2024-06-25", 20.0),
        ("d", "2024-06-28", 5.0),
    ]
    return pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": [f"o{i}" for i in range(len(rows))],
            "order_date": pd.to_datetime([r[1] for r in rows]),
            "amount": [r[2] for r in rows],
        }
    )


def test_migration_between_two_as_of_dates_on_the_same_data():
    df = two_date_data()
    scheme = {
        "segments": [
            {"name": "Active", "action": "keep", "rules": [{"r": 2}]},
            {"name": "Lapsed", "action": "win back", "rules": [{"r": 1}]},
        ]
    }
    before = segkit.rfm_segments(segkit.rfm(df, as_of="2024-03-01", bins=2), scheme=scheme)
    after = segkit.rfm_segments(segkit.rfm(df, as_of="2024-07-01", bins=2), scheme=scheme)
    # 2024-03-01: a (19 days) Active, b (56 days) Lapsed. 2024-07-01: a 11, b 178, c 6, d 3 days:
    # customers strictly worse 1, 0, 2, 3 of the 3 others -> R = 1 + 2 * worse // 3 = 1, 1, 2, 2.
    assert before["segment"].astype(str).to_dict() == {"a": "Active", "b": "Lapsed"}
    assert after["segment"].astype(str).to_dict() == {
        "a": "Lapsed",
        "b": "Lapsed",
        "c": "Active",
        "d": "Active",
    }
    m = segkit.segment_migration(before, after)
    assert m.counts_.loc["Active", "Lapsed"] == 1 and m.counts_.loc["Lapsed", "Lapsed"] == 1
    assert m.counts_.loc["Active", "Active"] == 0
    assert m.counts_.loc[NEW, "Active"] == 2
    assert m.left_.empty
    assert sorted(m.entered_.index) == ["c", "d"]


def test_save_and_find_previous_reports(tmp_path):
    seg = pd.DataFrame(
        {"segment": ["Lost", "New"], "monetary": [1.5, 2.0]},
        index=pd.Index(["007", "42"], name="customer_id"),
    )
    segkit.save_segments(seg.assign(segment=["Old", "Old"]), tmp_path / "2024-03-01")
    segkit.save_segments(seg, tmp_path / "2024-06-01")
    segkit.save_segments(
        seg.assign(segment=["Same", "Same"]), tmp_path / "2024-07-01"
    )  # same day: not earlier
    segkit.save_segments(seg.assign(segment=["Later", "Later"]), tmp_path / "2024-08-01")
    (tmp_path / "notes").mkdir()
    (tmp_path / "2024-06-15").mkdir()  # a dated folder without the table is skipped
    day, table = segkit.previous_segments(tmp_path, as_of="2024-07-01")
    assert day == pd.Timestamp("2024-06-01")
    assert table.index.tolist() == ["007", "42"]  # ids stay text, leading zeros kept
    assert table["segment"].tolist() == ["Lost", "New"]
    assert segkit.previous_segments(tmp_path, as_of="2024-03-01") is None
    assert segkit.previous_segments(None, as_of="2024-03-01") is None
    assert segkit.previous_segments(tmp_path / "missing", as_of="2024-03-01") is None


def test_previous_report_that_is_not_a_segment_table_is_an_error(tmp_path):
    (tmp_path / "2024-01-01").mkdir()
    (tmp_path / "2024-01-01" / "rfm_segments.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(segkit.DataContractError, match="segkit.save_segments"):
        segkit.previous_segments(tmp_path, as_of="2024-02-01")


def test_migration_baseline_prefers_the_previous_report(tmp_path):
    df = two_date_data()
    seg = pd.DataFrame({"segment": ["Lost"]}, index=pd.Index(["a"], name="customer_id"))
    base = segkit.migration_baseline(df, as_of="2024-07-01", reports_root=tmp_path, lookback_days=30, bins=2)
    assert base.source == "same data" and base.as_of == pd.Timestamp("2024-06-01")
    assert "no earlier report was found" in base.description
    assert sorted(base.segments.index) == ["a", "b", "c"]
    segkit.save_segments(seg, tmp_path / "2024-05-01")
    base = segkit.migration_baseline(df, as_of="2024-07-01", reports_root=tmp_path, bins=2)
    assert base.source == "previous report" and base.as_of == pd.Timestamp("2024-05-01")
    assert base.description == "the previous report of 2024-05-01 (2024-05-01/rfm_segments.csv)"
    assert str(tmp_path) not in base.description


@pytest.mark.parametrize(
    ("lookback", "message"),
    [(0, "lookback_days must be a whole number >= 1; got 0"), (400, "not after the first transaction")],
)
def test_migration_baseline_lookback_errors(lookback, message):
    with pytest.raises(segkit.ParameterError, match=message):
        segkit.migration_baseline(two_date_data(), as_of="2024-07-01", lookback_days=lookback, bins=2)


def test_shares_rows_sum_to_one():
    rng = np.random.default_rng(0)
    names = np.array(ORDER)
    before = pd.Series(names[rng.integers(0, 4, 300)], index=[f"c{i}" for i in range(300)])
    after = pd.Series(names[rng.integers(0, 4, 300)], index=[f"c{i}" for i in range(50, 350)])
    m = segkit.segment_migration(before, after, order=ORDER)
    assert m.counts_.to_numpy().sum() == 350
    assert m.shares_.sum(axis=1).to_numpy() == pytest.approx(np.ones(5))
    assert len(m.entered_) == 50 and len(m.left_) == 50


def _leading_zero_segments():
    return pd.DataFrame(
        {"segment": ["Lost", "Can't Lose Them", "New"], "monetary": [1234.5, 0.25, 7.0]},
        index=pd.Index(["007", "0042", "1e3"], name="customer_id"),
    )


@pytest.mark.parametrize(("first", "second"), [("en", "ru"), ("ru", "en")])
def test_reports_in_either_language_compare_with_each_other(tmp_path, first, second):
    seg = _leading_zero_segments()
    segkit.save_segments(seg, tmp_path / "2024-05-01", lang=first)
    day, table = segkit.previous_segments(tmp_path, as_of="2024-06-01")
    assert day == pd.Timestamp("2024-05-01")
    assert table.index.tolist() == ["007", "0042", "1e3"]  # ids are text exactly as saved
    assert table["segment"].tolist() == ["Lost", "Can't Lose Them", "New"]
    # The next report, in the other language, saves its own table; the one after reads that back.
    segkit.save_segments(table, tmp_path / "2024-06-01", lang=second)
    _, again = segkit.previous_segments(tmp_path, as_of="2024-07-01")
    assert again.index.tolist() == ["007", "0042", "1e3"]
    assert again["segment"].tolist() == table["segment"].tolist()


def test_saved_segments_use_the_report_dialect(tmp_path):
    seg = _leading_zero_segments()
    ru = segkit.save_segments(seg, tmp_path / "ru", lang="ru").read_bytes()
    en = segkit.save_segments(seg, tmp_path / "en", lang="en").read_bytes()
    assert ru.startswith(b"\xef\xbb\xbfcustomer_id;segment;monetary\n007;Lost;1234,5\n")
    assert en.startswith(b"customer_id,segment,monetary\n007,Lost,1234.5\n")
    with pytest.raises(segkit.ParameterError, match="lang"):
        segkit.save_segments(seg, tmp_path / "xx", lang="de")


def test_read_segments_accepts_a_utf8_semicolon_file_without_bom(tmp_path):
    path = tmp_path / "rfm_segments.csv"
    path.write_text("customer_id;segment\n0001;VIP\n", encoding="utf-8")
    assert segkit.read_segments(path)["segment"].to_dict() == {"0001": "VIP"}
    path.write_text("id;seg\n1;2\n", encoding="utf-8")
    with pytest.raises(segkit.DataContractError, match="no customer_id or segment column"):
        segkit.read_segments(path)
