"""The personas page says when the clustering was fitted on a sample of the customers."""

from __future__ import annotations

from pathlib import Path

import nbformat

import segkit
from segkit.datasets import make_transactions

REPO = Path(__file__).resolve().parents[1]


def test_personas_record_how_many_customers_the_fit_used():
    tx, _ = make_transactions(400, seed=3)
    whole = segkit.Personas(k_range=(3, 4), n_resamples=0).fit(tx)
    assert whole.n_sampled_ == len(whole.features_)
    sampled = segkit.Personas(k_range=(3, 4), n_resamples=0, sample_size=150).fit(tx)
    assert sampled.n_sampled_ == 150 < len(sampled.features_)
    assert len(sampled.labels_) == len(sampled.features_)  # every customer still has a persona


def test_the_page_says_sample_only_when_it_sampled():
    source = "\n".join(
        c.source for c in nbformat.read(REPO / "notebooks" / "03_personas.ipynb", as_version=4).cells
    )
    assert "if model.n_sampled_ < len(model.features_):" in source
    assert '"nb.personas.clustered_sample"' in source and '"nb.personas.clustered"' in source
    assert segkit.t(
        "nb.personas.clustered_sample", "en", sample="20,000", customers="1,000,000", features="x"
    ) == (
        "Clustered a random sample of 20,000 of the 1,000,000 customers; every customer assigned to the nearest "
        "persona. Features: x."
    )
    assert "20 000 из 1 000 000" in segkit.t(
        "nb.personas.clustered_sample", "ru", sample="20 000", customers="1 000 000", features="x"
    )
    # Without sampling the page keeps its old sentence.
    assert (
        segkit.t("nb.personas.clustered", "en", customers="5", features="x") == "5 customers clustered on: x."
    )
