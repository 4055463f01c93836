"""The CRM and CLV report pages in Russian: every plot text and every message of their topic files."""

from __future__ import annotations

import re
import warnings

import matplotlib
import pandas as pd
import pytest

import segkit
from segkit.i18n import catalogue_keys, localize_figure, t

matplotlib.use("Agg")


def _texts(ax) -> list[str]:
    legend = ax.get_legend()
    texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return texts + ([text.get_text() for text in legend.get_texts()] if legend is not None else [])


def _english_left(fig) -> list[str]:
    """Texts of the figure's axes (colour bars included) that stay English words after localizing to Russian."""
    before = [_texts(ax) for ax in fig.axes]
    localize_figure(fig, lang="ru")
    after = [_texts(ax) for ax in fig.axes]
    left = []
    for old, new in zip(before, after, strict=True):
        left += [a for a, b in zip(old, new, strict=True) if a == b and re.search(r"[a-z]{3}", a)]
    return left


@pytest.fixture(scope="module")
def crm_plots():
    import matplotlib.pyplot as plt

    crm = segkit.load_sample_crm()
    as_of = pd.Timestamp("2025-01-01")
    loyalty = segkit.loyalty_scores(crm, as_of=as_of)
    segment = crm.require("customers", analysis="test")[0].set_index("customer_id")["segment"]
    renew = segkit.renew_index(crm, as_of=as_of)
    structure = segkit.base_structure(crm, as_of=as_of, by=("customer_kind", "state"))
    draws = {
        "radar": lambda: segkit.plot_loyalty_radar(loyalty, by=segment),
        "csi": lambda: segkit.plot_satisfaction(segkit.csi_nps(crm, by="manager", as_of=as_of), metric="csi"),
        "nps": lambda: segkit.plot_satisfaction(segkit.csi_nps(crm, by="quarter", as_of=as_of), metric="nps"),
        "matrix": lambda: segkit.plot_activity_capacity(segkit.activity_capacity(crm, as_of=as_of)),
        "structure": lambda: segkit.plot_base_structure(structure),
        "revenue": lambda: segkit.plot_base_structure(structure, value="revenue_12m"),
        "renew": lambda: segkit.plot_renew_index(renew, top=10),
    }
    yield {name: draw().figure for name, draw in draws.items()}
    plt.close("all")


@pytest.fixture(scope="module")
def clv_plots():
    import matplotlib.pyplot as plt

    from segkit.datasets import make_transactions

    frame, _ = make_transactions(300, seed=4)
    tx = segkit.read_transactions(frame)
    as_of = segkit.as_of_date(tx, None)
    full = segkit.btyd_summary(tx, time_scale=7, as_of=as_of)
    split = segkit.btyd_summary(tx, time_scale=7, as_of=as_of, calibration_end=as_of - pd.Timedelta(days=180))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", segkit.SpendDependenceWarning)
        bg, bg_cal = segkit.BetaGeoModel().fit(full), segkit.BetaGeoModel().fit(split)
    check = segkit.holdout_validation(bg_cal, split, max_frequency=5)
    weeks = t("nb.clv.weeks", "ru")  # the notebook passes the unit in the report's language
    draws = {
        "expected": lambda: segkit.plot_frequency_recency_matrix(bg, kind="expected", t=52.14, unit=weeks),
        "p_alive": lambda: segkit.plot_frequency_recency_matrix(bg, kind="p_alive", unit=weeks),
        "holdout": lambda: segkit.plot_holdout_by_frequency(check, unit=weeks),
        "tracking": lambda: segkit.plot_cumulative_tracking(segkit.cumulative_tracking(bg_cal, tx, split)),
        "calibration": lambda: segkit.plot_p_alive_calibration(check),
    }
    yield {name: draw().figure for name, draw in draws.items()}
    plt.close("all")


def test_every_crm_plot_text_translates(crm_plots):
    left = {name: _english_left(fig) for name, fig in crm_plots.items()}
    assert {name: texts for name, texts in left.items() if texts} == {}
    # The generated legend of the matrix ("stars: develop") and the states of the base were translated.
    legend = [text.get_text() for text in crm_plots["matrix"].axes[0].get_legend().get_texts()]
    assert "звёзды: развивать" in legend
    states = [text.get_text() for text in crm_plots["structure"].axes[0].get_legend().get_texts()]
    assert {"лид", "отказ"} <= set(states)


def test_every_clv_plot_text_translates(clv_plots):
    left = {name: _english_left(fig) for name, fig in clv_plots.items()}
    assert {name: texts for name, texts in left.items() if texts} == {}
    # Templates filled in: the number of weeks is relocalized, the title's own part translated too.
    title = clv_plots["expected"].axes[0].get_title()
    assert title.startswith("Ожидаемые покупки в следующие 52,1 нед., клиенты с историей T = ")


def test_the_english_check_can_fail():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.set_title("Platinum whales by moon phase")
    assert _english_left(fig) == ["Platinum whales by moon phase"]
    plt.close(fig)


@pytest.mark.parametrize("topic", ["nb.crm.", "nb.clv."])
def test_page_messages_exist_in_both_languages_and_fill_in(topic):
    en, ru = catalogue_keys("en"), catalogue_keys("ru")
    keys = [key[len("messages.") :] for key in en if key.startswith(f"messages.{topic}")]
    assert len(keys) > 20
    for key in keys:
        assert f"messages.{key}" in ru
        fields = dict.fromkeys(re.findall(r"\{(\w+)\}", en[f"messages.{key}"]), "1")
        assert "{" not in t(key, "ru", **fields), key


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_base_states_read_the_same_in_the_plot_and_the_tables(lang: str) -> None:
    import matplotlib.pyplot as plt

    from segkit.i18n import label

    crm = segkit.load_sample_crm()
    as_of = pd.Timestamp("2025-01-01")
    structure = segkit.base_structure(crm, as_of=as_of, by=("customer_kind", "state"))
    ax = segkit.plot_base_structure(structure)
    localize_figure(ax.figure, lang=lang)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    plt.close(ax.figure)
    states = list(structure.index.get_level_values("state").unique())
    # "active" is a current customer in the base, not the customer status of the same name.
    assert legend == [label("base_state", s, lang) for s in states]
    assert label("base_state", "active", lang) != label("status", "active", lang)
    movement = segkit.base_movement(crm, start=pd.Timestamp("2024-01-01"), as_of=as_of)
    shown, _ = segkit.format_table(movement, lang=lang)
    headers = [c for c in shown.columns[1:]]
    assert headers == [label("base_state", s, lang) for s in movement.columns]
    assert list(shown.iloc[:, 0]) == [label("base_state", s, lang) for s in movement.index]
