"""Print the Online Retail figures quoted in the issues' closing notes.

    .venv/bin/python examples/real_data_figures.py

Reads ../shared/data/online_retail/online_retail.csv.gz through the contract's usual clean filter (the same
options as the test fixture `online_retail_tx`) and prints ABC, XYZ, RFM, personas and cohort figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import segkit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from conftest import ONLINE_RETAIL, ONLINE_RETAIL_CLEAN


def main() -> None:
    tx = segkit.read_transactions(ONLINE_RETAIL, **ONLINE_RETAIL_CLEAN)
    print(tx)
    cumulative = segkit.abc(tx)
    print("ABC cumulative 80/95:", cumulative.table_["abc_class"].value_counts().sort_index().to_dict())
    average = segkit.abc(tx, method="average_multiple")
    print("ABC average multiple:", average.table_["abc_class"].value_counts().sort_index().to_dict())
    h = cumulative.health_
    print(
        f"health: A share {h.share_customers_a:.3f}, customers for 50 % {h.customers_for_50}, for 80 % "
        f"{h.customers_for_80}, top loss { ({k: round(v, 4) for k, v in h.top_loss.items()}) }, HHI {h.hhi:.1f}"
    )
    print("XYZ 10/25:", segkit.xyz(tx).table_["xyz_class"].value_counts().to_dict())
    print("XYZ 50/100:", segkit.xyz(tx, thresholds=(0.5, 1.0)).table_["xyz_class"].value_counts().to_dict())
    segments = segkit.rfm_segments(segkit.rfm(tx))
    print("RFM segments:", segments["segment"].value_counts().sort_index().to_dict())
    personas = segkit.personas(tx, random_state=0)
    print(f"personas: k={personas.k_}")
    print(personas.profiles_.iloc[:, :4].to_string())
    print("first cohort retention:", segkit.cohorts(tx).retention_.iloc[0].round(4).tolist())


if __name__ == "__main__":
    main()
