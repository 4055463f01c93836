"""Print the figures quoted in the issues' closing notes: the ABC-XYZ matrices of the bundled samples and
Online Retail with default parameters, then the Online Retail ABC, XYZ, RFM, personas and cohort figures.

    .venv/bin/python examples/real_data_figures.py            # everything
    .venv/bin/python examples/real_data_figures.py matrices   # only the three ABC-XYZ matrices

Reads ../shared/data/online_retail/online_retail.csv.gz through the contract's usual clean filter (the same
options as the test fixture `online_retail_tx`; SEGKIT_SHARED_DATA overrides the folder).
"""

from __future__ import annotations

import sys
from pathlib import Path

import segkit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from conftest import ONLINE_RETAIL, ONLINE_RETAIL_CLEAN  # noqa: E402


def print_matrix(name: str, tx: segkit.Transactions) -> None:
    """The default ABC-XYZ matrix: customers per cell, then the groups outside the nine cells."""
    m = segkit.abc_xyz(tx)
    print(
        f"\n== {name}: {m.xyz_.window_label}; ABC {m.abc_.method} {m.abc_.thresholds}, D rule {m.abc_.d_rule}, "
        f"XYZ {m.xyz_.method} {m.xyz_.thresholds}"
    )
    print(m.grid().to_string())
    outside = m.matrix_.loc[~m.matrix_["in_matrix"], ["cell", "n_customers"]]
    print("outside the nine cells:", dict(zip(outside["cell"], outside["n_customers"], strict=True)))
    print("share of revenue:\n" + m.grid("share_revenue").round(3).to_string())


def matrices(online: segkit.Transactions) -> None:
    print_matrix("bundled retail sample", segkit.read_transactions(REPO / "data" / "sample_transactions.csv"))
    print_matrix("bundled B2B sample", segkit.read_transactions(REPO / "data" / "b2b_transactions.csv"))
    print_matrix("UCI Online Retail", online)


def main() -> None:
    online = segkit.read_transactions(ONLINE_RETAIL, **ONLINE_RETAIL_CLEAN)
    matrices(online)
    if sys.argv[1:] == ["matrices"]:
        return
    tx = online
    print(tx)
    cumulative = segkit.abc(tx)
    print("ABC cumulative 75/95:", cumulative.table_["abc_class"].value_counts().sort_index().to_dict())
    average = segkit.abc(tx, method="average_multiple")
    print("ABC average multiple:", average.table_["abc_class"].value_counts().sort_index().to_dict())
    h = cumulative.health_
    print(
        f"health: A share {h.share_customers_a:.3f}, customers for 50 % {h.customers_for_50}, for 80 % "
        f"{h.customers_for_80}, top loss { ({k: round(v, 4) for k, v in h.top_loss.items()}) }, HHI {h.hhi:.1f}"
    )
    print("XYZ frequency:", segkit.xyz(tx).table_["xyz_class"].value_counts().to_dict())
    print(
        "XYZ CV 10/25:",
        segkit.xyz(tx, method="cv", thresholds=(0.1, 0.25)).table_["xyz_class"].value_counts().to_dict(),
    )
    print("XYZ CV 50/100:", segkit.xyz(tx, method="cv").table_["xyz_class"].value_counts().to_dict())
    segments = segkit.rfm_segments(segkit.rfm(tx))
    print("RFM segments:", segments["segment"].value_counts().sort_index().to_dict())
    personas = segkit.personas(tx, random_state=0)
    print(f"personas: k={personas.k_}")
    print(personas.profiles_.iloc[:, :4].to_string())
    print("first cohort retention:", segkit.cohorts(tx).retention_.iloc[0].round(4).tolist())


if __name__ == "__main__":
    main()
