"""The CRM half: tables contract, calendar, loyalty types, CSI/NPS, renew index, matrix, base structure.

Every expected number here is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import segkit
from segkit.crm import BusinessCalendar, MissingTableError, business_days_between, russian_calendar

RU = russian_calendar([2023, 2024, 2025])


def _crm(tables: dict, transactions: pd.DataFrame | None = None) -> segkit.CRM:
    tx = segkit.read_transactions(transactions) if transactions is not None else None
    return segkit.read_crm(tables, transactions=tx)


# --------------------------------------------------------------------------------------------------
# tables contract
# --------------------------------------------------------------------------------------------------


def test_russian_export_is_read_with_mapping_synonyms_and_decimal_comma(tmp_path) -> None:
    text = (
        "Счёт;Клиент;Выставлен;Оплачен;Сумма\n"
        "1;К-1;08.05.2024;15.05.2024;1 200,50\n"
        "2;К-1;08.05.2024;;99,90\n"
        "2;К-1;08.05.2024;;99,90\n"
    )
    path = tmp_path / "invoices.csv"
    path.write_bytes(text.encode("cp1251"))
    table = segkit.read_crm_table(
        "invoices",
        path,
        columns={
            "invoice_id": "Счёт",
            "customer_id": "Клиент",
            "sent_date": "Выставлен",
            "paid_date": "Оплачен",
            "amount": "Сумма",
        },
    )
    assert table.data["amount"].tolist() == [1200.5, 99.9]
    assert table.data["sent_date"].tolist() == [pd.Timestamp("2024-05-08")] * 2
    assert table.data["paid_date"].isna().tolist() == [False, True]
    q = table.quality
    assert (q.rows_read, q.rows_kept, q.dropped["exact duplicate"], q.accounted) == (3, 2, 1, True)


def test_choices_and_flags_accept_russian_values() -> None:
    leads = pd.DataFrame(
        {"lead_id": [1, 2, 3], "contact_date": ["2024-01-01"] * 3, "stage": ["Отказ", "тёплый", "HOT"]}
    )
    requests = pd.DataFrame(
        {"customer_id": ["a", "b"], "request_date": ["2024-01-01"] * 2, "via_form": ["да", "нет"]}
    )
    crm = segkit.read_crm({"leads": leads, "requests": requests})
    assert crm["leads"]["stage"].tolist() == ["refused", "warm", "hot"]
    assert crm["leads"]["lead_id"].tolist() == ["1", "2", "3"]
    assert crm["requests"]["via_form"].tolist() == [True, False]


def test_bad_values_raise_in_the_standard_shape_or_are_counted() -> None:
    raw = pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "capacity": ["5", "7", "x", None], "manager": ["m"] * 4}
    )
    with pytest.raises(segkit.DataContractError) as err:
        segkit.read_crm_table("assessments", raw)
    message = str(err.value)
    assert "Column 'capacity'" in message and "1-5" in message and "2 rows" in message
    assert "'7'" in message and "invalid='drop'" in message
    table = segkit.read_crm_table("assessments", raw, invalid="drop")
    assert table.data["customer_id"].tolist() == ["a"]
    assert table.quality.dropped == {"exact duplicate": 0, "missing required value": 1, "invalid value": 2}
    assert table.quality.accounted


def test_unknown_stage_names_the_allowed_values() -> None:
    leads = pd.DataFrame({"lead_id": ["1"], "contact_date": ["2024-01-01"], "stage": ["maybe"]})
    with pytest.raises(segkit.DataContractError, match="cold, warm, hot, won, refused"):
        segkit.read_crm_table("leads", leads)


def test_missing_column_suggests_the_close_name_and_unknown_table_is_an_error() -> None:
    raw = pd.DataFrame({"customer": ["a"], "survey_date": ["2024-01-01"], "score": [9]})
    with pytest.raises(segkit.DataContractError, match="Did you mean 'customer'"):
        segkit.read_crm_table("surveys", raw)
    with pytest.raises(segkit.DataContractError, match="Unknown CRM table"):
        segkit.read_crm({"survey": raw})
    with pytest.raises(segkit.DataContractError, match="no canonical column"):
        segkit.read_crm_table("surveys", raw, columns={"client": "customer"})


def test_excel_tables_are_read(tmp_path) -> None:
    path = tmp_path / "events.xlsx"
    pd.DataFrame({"customer_id": ["a", "b"], "event_date": [pd.Timestamp("2024-03-01")] * 2}).to_excel(
        path, index=False
    )
    table = segkit.read_crm_table("events", path)
    assert table.data["event_date"].tolist() == [pd.Timestamp("2024-03-01")] * 2


def test_missing_table_names_the_table_and_the_flag() -> None:
    crm = segkit.read_crm({})
    with pytest.raises(MissingTableError, match=r"'surveys'.*--crm surveys=FILE"):
        segkit.csi_nps(crm)
    with pytest.raises(MissingTableError, match="'leads'"):
        segkit.renew_index(crm, as_of="2025-01-01")
    with pytest.raises(MissingTableError, match="'assessments'"):
        segkit.activity_capacity(crm, as_of="2025-01-01")
    with pytest.raises(MissingTableError, match="'leads' or the transactions"):
        segkit.base_structure(segkit.read_crm({"customers": pd.DataFrame({"customer_id": ["a"]})}))
    with pytest.raises(MissingTableError, match="transactions"):
        segkit.lead_conversion(
            segkit.read_crm(
                {"leads": pd.DataFrame({"lead_id": ["1"], "contact_date": ["2024-01-01"], "stage": ["hot"]})}
            ),
            as_of="2025-01-01",
        )


# --------------------------------------------------------------------------------------------------
# banking and working days
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "paid", "expected"),
    [
        # Fri 15 Mar 2024 -> Mon 18 (1), Tue 19 (2), Wed 20 (3): a plain weekend.
        ("2024-03-15", "2024-03-20", 3),
        # Sent on Saturday 16 Mar: counting starts on Monday, so Wed 20 is day 3 as well.
        ("2024-03-16", "2024-03-20", 3),
        # Wed 8 May 2024: 9 May Victory Day, 10 May transferred day off, 11-12 weekend;
        # Mon 13 (1), Tue 14 (2), Wed 15 (3), Thu 16 (4).
        ("2024-05-08", "2024-05-15", 3),
        ("2024-05-08", "2024-05-16", 4),
        # Thu 25 Apr 2024: Fri 26 (1), Sat 27 is a working Saturday (2), 28 Apr-1 May are off, Thu 2 May (3).
        ("2024-04-25", "2024-05-02", 3),
        # Fri 29 Dec 2023: 30-31 Dec weekend, 1-8 Jan New Year holidays; Tue 9 (1), Wed 10 (2).
        ("2023-12-29", "2024-01-10", 2),
        # Paid the same day, and paid on a Sunday (counts as of the Friday before: day 1).
        ("2024-03-14", "2024-03-14", 0),
        ("2024-03-14", "2024-03-17", 1),
    ],
)
def test_banking_days_across_weekends_and_public_holidays(sent: str, paid: str, expected: int) -> None:
    assert business_days_between([sent], [paid], RU).tolist() == [expected]


def test_missing_dates_give_nan_and_a_custom_calendar_is_honoured() -> None:
    out = business_days_between(["2024-03-15", None], [None, "2024-03-20"], RU)
    assert np.isnan(out).all()
    six_day_week = BusinessCalendar(weekend=(6,), days_off=["2024-03-18"], name="six-day week")
    # Fri 15 -> Sat 16 (1), Sun off, Mon 18 off (custom holiday), Tue 19 (2), Wed 20 (3).
    assert business_days_between(["2024-03-15"], ["2024-03-20"], six_day_week).tolist() == [3]
    with pytest.raises(segkit.ParameterError, match="same length"):
        business_days_between(["2024-03-15"], ["2024-03-20", "2024-03-21"], RU)


def test_the_default_calendar_has_the_russian_transfers() -> None:
    days = ["2024-04-27", "2024-04-29", "2024-04-30", "2024-11-02", "2024-12-28", "2024-12-30", "2024-12-31"]
    # Saturdays 27 Apr, 2 Nov and 28 Dec 2024 were working days; 29-30 Apr and 30-31 Dec were off.
    assert RU.is_business_day(days).tolist() == [True, False, False, True, True, False, False]


# --------------------------------------------------------------------------------------------------
# loyalty types
# --------------------------------------------------------------------------------------------------


def _process_crm() -> segkit.CRM:
    invoices = pd.DataFrame(
        {
            "invoice_id": ["1", "2", "3", "4"],
            "customer_id": ["a", "a", "b", "c"],
            "sent_date": ["2024-05-08", "2024-05-08", "2024-12-27", "2024-06-03"],
            "paid_date": ["2024-05-15", "2024-05-16", None, None],
            "docs_sent_date": ["2024-05-08", None, None, None],
            "docs_signed_date": ["2024-05-13", None, None, None],
        }
    )
    requests = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a"],
            "request_date": ["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04"],
            "via_form": [True, True, False, True],
            "initiated_by": ["client", "client", "client", "us"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"]})
    return segkit.read_crm({"customers": customers, "invoices": invoices, "requests": requests})


def test_process_loyalty_by_hand() -> None:
    result = segkit.loyalty_scores(_process_crm(), as_of="2025-01-01", types=["process"])
    sig = result.signals
    # a: paid in 3 banking days (on time) and in 4 (late) -> 0.5; documents signed on day 1 -> 1.0;
    # 2 of 3 client requests via the form (our own request does not count) -> 2/3.
    assert sig.loc["a", "paid_on_time"] == 0.5
    assert sig.loc["a", "signed_on_time"] == 1.0
    assert sig.loc["a", "requests_via_form"] == pytest.approx(2 / 3)
    assert result.scores.loc["a", "process"] == round(100 * (0.5 + 1 + 2 / 3) / 3, 1)  # 72.2
    # b: sent Fri 27 Dec 2024, unpaid; by 31 Dec only Sat 28 (a working Saturday) has passed: not yet late,
    # so b has nothing to measure. c: sent in June, never paid: late.
    assert math.isnan(sig.loc["b", "paid_on_time"]) and math.isnan(result.scores.loc["b", "process"])
    assert sig.loc["c", "paid_on_time"] == 0.0 and result.scores.loc["c", "process"] == 0.0


def test_pay_days_is_a_parameter() -> None:
    result = segkit.loyalty_scores(_process_crm(), as_of="2025-01-01", types=["process"], pay_days=4)
    assert result.signals.loc["a", "paid_on_time"] == 1.0  # day 4 is now on time


def test_financial_loyalty_with_targets_and_the_default_target() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_id": ["1", "2", "3", "4"],
            "order_date": ["2024-03-01", "2024-04-01", "2024-05-01", "2022-01-01"],
            "amount": [200.0, 300.0, 2000.0, 999.0],
        }
    )
    crm = _crm({}, tx)
    result = segkit.loyalty_scores(crm, as_of="2025-01-01", targets={"revenue": 1000, "orders": 4})
    # a: revenue 500/1000 = 0.5, orders 2/4 = 0.5 -> 50; b: revenue capped at 1, orders 1/4 -> 62.5;
    # c bought only before the period -> 0.
    assert result.scores["financial"].to_dict() == {"a": 50.0, "b": 62.5, "c": 0.0}
    default = segkit.loyalty_scores(crm, as_of="2025-01-01")
    # Revenue target: 90th percentile of (500, 2000) = 500 + 0.9 * 1500 = 1850.
    assert default.targets["revenue"] == pytest.approx(1850.0)
    # Orders target: 90th percentile of (2, 1) = 1.9. b: revenue capped at 1, orders 1 / 1.9; a: 500 / 1850
    # and orders capped at 1.
    assert default.scores.loc["b", "financial"] == round(100 * (1 + 1 / 1.9) / 2, 1)  # 76.3
    assert default.scores.loc["a", "financial"] == round(100 * (500 / 1850 + 1) / 2, 1)  # 63.5


def test_recommending_contact_evaluative_by_hand_and_weights() -> None:
    tables = {
        "customers": pd.DataFrame({"customer_id": ["a", "b"]}),
        "referrals": pd.DataFrame(
            {"referrer_id": ["a"], "referral_date": ["2024-03-01"], "referred_id": ["L1"]}
        ),
        "leads": pd.DataFrame(
            {
                "lead_id": ["L1", "L2"],
                "contact_date": ["2024-03-02", "2024-04-01"],
                "stage": ["hot", "cold"],
                "referred_by": ["a", "a"],
            }
        ),
        "mailings": pd.DataFrame(
            {
                "customer_id": ["a", "a", "b"],
                "sent_date": ["2024-02-01", "2024-05-01", "2024-02-01"],
                "responded": [True, False, False],
            }
        ),
        "events": pd.DataFrame({"customer_id": ["a"], "event_date": ["2024-06-01"]}),
        "requests": pd.DataFrame(
            {
                "customer_id": ["a"] * 4,
                "request_date": ["2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08"],
            }
        ),
        "feedback": pd.DataFrame(
            {"customer_id": ["b"], "feedback_date": ["2024-07-01"], "kind": ["complaint"]}
        ),
        "surveys": pd.DataFrame({"customer_id": ["a"], "survey_date": ["2024-07-01"], "score": [9]}),
    }
    targets = {"recommendations": 2, "client_requests": 4, "events": 2, "feedback": 1, "survey_answers": 1}
    r = segkit.loyalty_scores(segkit.read_crm(tables), as_of="2025-01-01", targets=targets)
    # Referral L1 and lead L1 "heard from a" are one recommendation; L2 another: 2 of 2 -> 100.
    assert r.signals.loc["a", "recommendations"] == 2
    assert r.scores.loc["a", "recommending"] == 100.0
    # a: 4 requests / 4, 1 event / 2, 1 of 2 mailings answered -> (1 + 0.5 + 0.5) / 3 = 66.7.
    assert r.scores.loc["a", "contact"] == 66.7
    # b's complaint counts as engagement: feedback 1/1, no survey answer -> 50; a: survey only -> 50.
    assert r.scores.loc["b", "evaluative"] == 50.0 and r.scores.loc["a", "evaluative"] == 50.0
    # No transactions, no invoices and no form flags on the requests: financial and process are skipped.
    assert r.skipped.keys() == {"financial", "process"}
    weighted = segkit.loyalty_scores(
        segkit.read_crm(tables),
        as_of="2025-01-01",
        targets=targets,
        weights={"contact": 3, "recommending": 1},
    )
    # a: recommending 100, contact 66.7 (weight 3), evaluative 50 (weight 1, the default) -> (100 + 200 + 50) / 5.
    expected = (100 + 3 * 66.7 + 50) / 5
    assert weighted.scores.loc["a", "loyalty"] == pytest.approx(expected, abs=0.05)


def test_asking_for_a_type_without_its_tables_raises() -> None:
    crm = segkit.read_crm({"customers": pd.DataFrame({"customer_id": ["a"]})})
    with pytest.raises(MissingTableError, match="process loyalty needs the invoices or the requests table"):
        segkit.loyalty_scores(crm, as_of="2025-01-01", types=["process"])
    with pytest.raises(segkit.ParameterError, match="types"):
        segkit.loyalty_scores(crm, as_of="2025-01-01", types=["monetary"])
    with pytest.raises(segkit.ParameterError, match="weights"):
        segkit.loyalty_scores(crm, as_of="2025-01-01", weights={"financial": -1})


def test_strong_share_by_group_and_actions_cite_their_source() -> None:
    scores = pd.DataFrame(
        {"financial": [80.0, 40.0, 70.0], "contact": [60.0, 10.0, None]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )
    result = segkit.LoyaltyScores(scores, scores, {})
    by = pd.Series({"a": "VIP", "b": "VIP", "c": "standard"})
    table = segkit.strong_share(result, by=by)
    assert table.loc["VIP", "financial"] == 0.5 and table.loc["standard", "contact"] == 0.0
    actions = segkit.loyalty_actions()
    assert set(actions["type"]) == set(segkit.LOYALTY_TYPES)
    assert {"methodology", "kit suggestion"} <= set(actions["source"])


# --------------------------------------------------------------------------------------------------
# CSI and NPS
# --------------------------------------------------------------------------------------------------


def test_csi_and_its_interval_by_hand() -> None:
    scores = [10, 9, 9, 8, 8, 8, 5, 6, 2, 1]  # 6 attract, 2 detract of 10
    r = segkit.satisfaction_scores(scores)
    assert r["csi"] == 3.0
    se = math.sqrt(0.4 / (10 * 0.6) + 0.8 / (10 * 0.2) + 2 / 10)
    assert r["csi_low"] == pytest.approx(3 * math.exp(-1.959964 * se), rel=1e-5)
    assert r["csi_high"] == pytest.approx(3 * math.exp(1.959964 * se), rel=1e-5)
    # NPS: promoters 10, 9, 9 = 30 %, detractors 0-6: 5, 6, 2, 1 = 40 % -> -10.
    assert r["nps"] == pytest.approx(-10.0)


def test_nps_interval_is_clipped_and_small_samples_are_flagged() -> None:
    r = segkit.satisfaction_scores([10, 10, 9, 1], min_answers=5)
    # p = 0.75, q = 0.25, NPS = 0.5; se = sqrt((1 - 0.25) / 4) = 0.433 -> 50 +- 84.9, clipped at 100.
    assert r["nps"] == 50.0
    assert r["nps_low"] == pytest.approx(100 * (0.5 - 1.959964 * math.sqrt(0.75 / 4)), rel=1e-5)
    assert r["nps_high"] == 100.0
    assert r["small_sample"] and not segkit.satisfaction_scores([9] * 5, min_answers=5)["small_sample"]


@pytest.mark.parametrize(
    ("scores", "csi", "nps"),
    [
        ([], math.nan, math.nan),  # no answers: nothing is defined
        ([9, 10, 8], math.inf, 200 / 3),  # no detractors: CSI is infinite
        ([5, 6, 7], math.nan, -200 / 3),  # neither attract nor detract: 0/0
        ([1, 2], 0.0, -100.0),  # no attractors
        ([0, 8], 1.0, -50.0),  # 0 counts as detract on a 0-10 scale
    ],
)
def test_csi_nps_edge_cases(scores: list[int], csi: float, nps: float) -> None:
    r = segkit.satisfaction_scores(scores)
    for got, want in ((r["csi"], csi), (r["nps"], nps)):
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)
    if scores == [9, 10, 8]:
        assert r["csi_high"] == math.inf and 0 < r["csi_low"] < math.inf


def test_bad_scores_raise() -> None:
    with pytest.raises(segkit.ParameterError, match="0-10"):
        segkit.satisfaction_scores([5, 11])


def test_csi_by_quarter_and_manager_from_the_customers_table() -> None:
    tables = {
        "surveys": pd.DataFrame(
            {
                "customer_id": ["a", "a", "b", "b"],
                "survey_date": ["2024-01-10", "2024-04-10", "2024-02-10", "2024-05-10"],
                "score": [9, 2, 10, 8],
            }
        ),
        "customers": pd.DataFrame({"customer_id": ["a", "b"], "manager": ["Petrov", "Ivanova"]}),
    }
    crm = segkit.read_crm(tables)
    by_q = segkit.csi_nps(crm, by="quarter")
    assert by_q["answers"].to_dict() == {"2024Q1": 2, "2024Q2": 2}
    by_m = segkit.csi_nps(crm, by="manager")
    assert by_m.loc["Petrov", "csi"] == 1.0 and by_m.loc["Ivanova", "csi"] == math.inf
    # Only answers before as_of count.
    assert segkit.csi_nps(crm, as_of="2024-03-01")["answers"].iloc[0] == 2


# --------------------------------------------------------------------------------------------------
# renew index
# --------------------------------------------------------------------------------------------------


def _leads(**columns) -> segkit.CRM:
    n = len(next(iter(columns.values())))
    base = {
        "lead_id": [f"L{i}" for i in range(1, n + 1)],
        "contact_date": ["2024-01-10"] * n,
        "stage": ["refused"] * n,
    }
    return segkit.read_crm({"leads": pd.DataFrame({**base, **columns})})


def test_renew_index_sum_and_the_tie_rule() -> None:
    crm = _leads(
        brand_strength=[5, 3, 4, 4, 4, 1],
        order_attractiveness=[4, 4, 4, 4, 4, 1],
        closeness=[3, 5, 4, 4, 4, None],
        winner_deadline=[None, None, "2025-03-01", "2025-02-01", None, None],
    )
    r = segkit.renew_index(crm, as_of="2025-01-01")
    # L1-L5 all sum to 12. Closeness first: L2 (5), then L3, L4, L5 (4), then L1 (3). Among L3-L5 all ratings
    # tie: the earlier re-contact date first (L4 before L3), L5 has no date and comes last. L6 is not rated.
    assert r["lead_id"].tolist() == ["L2", "L4", "L3", "L5", "L1", "L6"]
    assert r["renew_index"].tolist()[:5] == [12] * 5 and pd.isna(r["renew_index"].iloc[5])
    assert r["rated"].tolist() == [True] * 5 + [False]
    assert r["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    # Full tie (same ratings, same date) -> lead id.
    tie = segkit.renew_index(
        _leads(brand_strength=[2, 2], order_attractiveness=[2, 2], closeness=[2, 2]), as_of="2025-01-01"
    )
    assert tie["lead_id"].tolist() == ["L1", "L2"]


def test_recontact_windows_and_status() -> None:
    crm = _leads(
        brand_strength=[3, 3, 3, 3],
        order_attractiveness=[3, 3, 3, 3],
        closeness=[3, 3, 3, 3],
        winner_deadline=["2025-01-10", "2025-03-01", None, "2024-11-01"],
        winner_launch=[None, "2024-06-01", "2024-11-10", None],
    )
    r = segkit.renew_index(crm, as_of="2025-01-01").set_index("lead_id")
    # L1: 14-7 days before 10 Jan 2025 = 27 Dec .. 3 Jan: open on 1 Jan -> due.
    assert (r.loc["L1", "recontact_from"], r.loc["L1", "recontact_to"]) == (
        pd.Timestamp("2024-12-27"),
        pd.Timestamp("2025-01-03"),
    )
    assert r.loc["L1", "recontact_status"] == "due"
    # L2: the deadline wins over the launch.
    assert r.loc["L2", "recontact_basis"] == "deadline" and r.loc["L2", "recontact_status"] == "upcoming"
    # L3: 60-67 days after the launch on 10 Nov 2024 = 9 Jan .. 16 Jan 2025.
    assert (
        r.loc["L3", "recontact_from"] == pd.Timestamp("2025-01-09")
        and r.loc["L3", "recontact_basis"] == "launch"
    )
    assert r.loc["L4", "recontact_status"] == "missed"


def test_renew_index_needs_the_ratings() -> None:
    crm = _leads(brand_strength=[3])
    with pytest.raises(segkit.ParameterError, match="closeness, order_attractiveness"):
        segkit.renew_index(crm, as_of="2025-01-01")


# --------------------------------------------------------------------------------------------------
# activity x capacity
# --------------------------------------------------------------------------------------------------


def test_quadrant_boundaries() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c", "c"],
            "order_id": ["1", "2", "3", "4", "5", "6"],
            "order_date": [
                "2024-02-01",
                "2024-03-01",
                "2024-02-01",
                "2024-02-01",
                "2024-03-01",
                "2024-04-01",
            ],
            "amount": [10.0] * 6,
        }
    )
    tables = {
        "assessments": pd.DataFrame(
            {
                "customer_id": ["a", "b", "c", "d", "e", "e", "f"],
                "capacity": [4, 4, 3, 3, 1, 5, 5],
                # e was re-rated: the latest rating before as_of counts; f's rating is after as_of.
                "assessment_date": ["2024-01-01"] * 4 + ["2024-01-01", "2024-06-01", "2025-02-01"],
            }
        ),
        "requests": pd.DataFrame(
            {
                "customer_id": ["b", "d", "d", "e"],
                "request_date": ["2024-05-01", "2024-05-01", "2024-05-02", "2024-05-03"],
                "initiated_by": ["client", "client", "us", "client"],
            }
        ),
    }
    m = segkit.activity_capacity(_crm(tables, tx), as_of="2025-01-01", activity_threshold=2)
    # Activity = client requests + orders: a 0+2, b 1+1, c 0+3, d 1 (our own request does not count), e 1.
    assert m["activity"].to_dict() == {"a": 2, "b": 2, "c": 3, "d": 1, "e": 1}
    # At the threshold counts as high (a, b); capacity 4 is high, 3 is low.
    assert m["quadrant"].to_dict() == {
        "a": "stars",
        "b": "stars",
        "c": "cash cows",
        "d": "dogs",
        "e": "problem children",
    }
    assert m.loc["e", "strategy"] == "raise their activity"
    # Default threshold: the median activity (2), so the same split.
    default = segkit.activity_capacity(_crm(tables, tx), as_of="2025-01-01")
    assert default.attrs["activity_threshold"] == 2.0 and default["quadrant"].equals(m["quadrant"])
    high_bar = segkit.activity_capacity(_crm(tables, tx), as_of="2025-01-01", capacity_threshold=5)
    assert high_bar.loc["a", "quadrant"] == "cash cows"
    summary = segkit.quadrant_summary(m)
    assert summary["customers"].tolist() == [2, 1, 1, 1]


# --------------------------------------------------------------------------------------------------
# base structure
# --------------------------------------------------------------------------------------------------


def test_base_states_movement_and_conversion_by_hand() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "order_date": ["2023-03-01", "2024-10-01", "2023-02-01", "2024-08-01"],
            "amount": [100.0, 200.0, 50.0, 80.0],
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4", "L5"],
            "contact_date": ["2023-02-20", "2024-07-20", "2024-03-01", "2024-11-01", "2024-02-01"],
            "customer_id": ["a", "c", None, None, None],
            "stage": ["won", "won", "refused", "warm", "refused"],
            "refusal_date": [None, None, "2024-04-01", None, "2025-03-01"],
            "source": ["ads", "referrals", "ads", "ads", "referrals"],
        }
    )
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "customer_kind": ["B2B", "B2B", "B2C"]})
    crm = _crm({"leads": leads, "customers": customers}, tx)
    states = segkit.base_states(crm, as_of="2025-01-01", inactivity_days=365)
    # a bought in Oct 2024 (active), b last in Feb 2023 (former), c in Aug 2024 (active); L3 refused in April;
    # L5 is refused only in March 2025, so on 1 Jan 2025 it is still a lead; L4 is a warm lead.
    assert states["state"].to_dict() == {
        "a": "active",
        "b": "former",
        "c": "active",
        "lead:L3": "refused",
        "lead:L4": "lead",
        "lead:L5": "lead",
    }
    assert states.loc["lead:L4", "readiness"] == "warm"
    structure = segkit.base_structure(crm, as_of="2025-01-01", by="state")
    assert structure["entities"].to_dict() == {"lead": 2, "active": 2, "former": 1, "refused": 1}
    assert structure.loc["active", "revenue_12m"] == 280.0
    moved = segkit.base_movement(crm, start="2024-01-01", as_of="2025-01-01")
    # On 1 Jan 2024: a and b active (Mar and Feb 2023, within 365 days); since then b has lapsed.
    assert moved.loc["active"].to_dict() == {"lead": 0, "active": 1, "former": 1, "refused": 0}
    assert moved.loc["new in the base"].to_dict() == {"lead": 2, "active": 1, "former": 0, "refused": 1}
    conv = segkit.lead_conversion(crm, as_of="2025-01-01", window_months=24)
    # ads: L1 (won, bought 9 days later), L3, L4 -> 1 of 3; referrals: L2 (12 days), L5 -> 1 of 2.
    assert conv["leads"].to_dict() == {"ads": 3, "referrals": 2}
    assert conv["conversion"].to_dict() == pytest.approx({"ads": 1 / 3, "referrals": 0.5})
    assert conv["median_days_to_order"].to_dict() == {"ads": 9.0, "referrals": 12.0}
    # The states computed once serve every breakdown and the movement, with the same results ...
    for by in ("state", "readiness", ("customer_kind", "state"), ("channel", "state")):
        shared = segkit.base_structure(crm, as_of="2025-01-01", by=by, states=states)
        pd.testing.assert_frame_equal(shared, segkit.base_structure(crm, as_of="2025-01-01", by=by))
    pd.testing.assert_frame_equal(
        segkit.base_movement(crm, start="2024-01-01", as_of="2025-01-01", states=states), moved
    )
    # ... and states of another date or threshold, or not from base_states, are refused.
    with pytest.raises(segkit.ParameterError, match="inactivity_days=365"):
        segkit.base_structure(crm, as_of="2024-12-01", states=states)
    with pytest.raises(segkit.ParameterError, match="inactivity_days=30"):
        segkit.base_movement(crm, start="2024-01-01", as_of="2025-01-01", inactivity_days=30, states=states)
    with pytest.raises(segkit.ParameterError, match="base_states"):
        segkit.base_structure(crm, as_of="2025-01-01", states=states[["state"]].reset_index())


# --------------------------------------------------------------------------------------------------
# plots
# --------------------------------------------------------------------------------------------------


def test_plots_return_axes_and_check_their_input() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = pd.DataFrame(
        {"financial": [80.0, 40.0], "process": [60.0, None], "contact": [10.0, 90.0]},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    result = segkit.LoyaltyScores(scores, scores, {})
    ax = segkit.plot_loyalty_radar(result, by=pd.Series({"a": "VIP", "b": "standard"}))
    assert ax.name == "polar" and len(ax.get_lines()) == 2
    assert len(segkit.plot_loyalty_radar(result, customer="b").get_lines()) == 1
    with pytest.raises(segkit.ParameterError, match="customer 'z'"):
        segkit.plot_loyalty_radar(result, customer="z")
    with pytest.raises(segkit.ParameterError, match="three loyalty types"):
        segkit.plot_loyalty_radar(scores[["financial"]])
    table = pd.DataFrame(
        [segkit.satisfaction_scores([9, 10, 2]), segkit.satisfaction_scores([9, 9])], index=["x", "y"]
    )
    assert segkit.plot_satisfaction(table, metric="csi").get_xscale() == "log"
    with pytest.raises(segkit.ParameterError, match="metric"):
        segkit.plot_satisfaction(table, metric="csat")
    plt.close("all")


def test_lead_conversion_counts_the_first_purchase_on_or_after_the_contact_day() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c", "d"],
            "order_id": ["1", "2", "3", "4", "5", "6", "7"],
            "order_date": [
                "2024-02-25",  # a: before L1's contact, does not count
                "2024-03-01 08:00",  # a: the contact day itself, before the contact's time of day: counts for L1
                "2024-06-10",  # a: the first order after L2's contact
                "2024-03-05",  # b: a return only, then
                "2024-03-20",  # b: the first purchase, 15 days after the contact
                "2024-09-01",  # c: on the as-of date, outside [start, as_of)
                "2024-01-02",  # d: an order that is no lead's
            ],
            "amount": [10.0, 20.0, 30.0, -5.0, 40.0, 50.0, 60.0],
        }
    )
    leads = pd.DataFrame(
        {
            "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
            "contact_date": [
                "2024-03-01 10:00:00",
                "2024-06-01",
                "2024-03-05",
                "2024-04-01",
                "2024-05-01",
                "2023-12-01",
            ],
            "customer_id": ["a", "a", "b", "c", None, "d"],
            "stage": ["won", "won", "won", "won", "cold", "won"],
            "source": ["ads", "ads", "referrals", "referrals", "ads", "ads"],
        }
    )
    crm = segkit.read_crm({"leads": leads}, transactions=segkit.read_transactions(tx, returns="net"))
    conv = segkit.lead_conversion(crm, as_of="2024-09-01", start="2024-01-01")
    # ads: L1 (0 days), L2 (9 days), L5 (no customer) -> 2 of 3, median 4.5; referrals: L3 (15 days),
    # L4 (c's only order is on the as-of date) -> 1 of 2.
    assert conv["leads"].to_dict() == {"ads": 3, "referrals": 2}
    assert conv["converted"].to_dict() == {"ads": 2, "referrals": 1}
    assert conv["median_days_to_order"].to_dict() == {"ads": 4.5, "referrals": 15.0}
    # Up to the first transaction no lead has converted yet: L6 (d) buys on the as-of date.
    early = segkit.lead_conversion(crm, by=None, as_of="2024-01-02", start="2023-06-01")
    assert early[["leads", "converted"]].loc["all"].tolist() == [1, 0]
    assert math.isnan(early.loc["all", "median_days_to_order"])
    assert (
        segkit.lead_conversion(crm, by=None, as_of="2024-01-03", start="2023-06-01").loc["all", "converted"]
        == 1
    )
    # The orders stay in the engine: the analysis never reads them as a frame.
    assert crm.transactions._data is None


def test_an_unknown_encoding_of_a_crm_table_is_a_parameter_error() -> None:
    path = segkit.sample_crm_dir() / "customers.csv"
    with pytest.raises(segkit.ParameterError, match=r"encoding='utf9' is not a text encoding Python knows"):
        segkit.read_crm({"customers": path}, read_options={"customers": {"encoding": "utf9"}})
