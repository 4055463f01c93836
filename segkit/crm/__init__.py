"""The CRM half of the methodology, on optional CRM tables linked to the transactions.

Loyalty types, CSI and NPS, the refused base and the renew index, the activity x capacity matrix and
the structure of the client base; each analysis names the tables it needs.
"""

from .._lazy import attach
from ._calendar import BusinessCalendar, business_days_between, russian_calendar
from ._common import crm_as_of
from ._loyalty import (
    LOYALTY_SIGNALS,
    LOYALTY_TYPES,
    LoyaltyScores,
    loyalty_actions,
    loyalty_profile,
    loyalty_scores,
    strong_share,
)
from ._matrix import QUADRANT_STRATEGIES, activity_capacity, quadrant_summary
from ._renew import RENEW_RATINGS, renew_index
from ._sample import load_sample_crm, make_crm, sample_crm_dir, write_crm_sample
from ._satisfaction import csi_nps, satisfaction_scores
from ._structure import BASE_STATES, base_movement, base_states, base_structure, lead_conversion
from ._tables import CRM, CRM_TABLES, CRMTable, MissingTableError, TableQuality, read_crm, read_crm_table

__all__ = [
    "BASE_STATES",
    "CRM",
    "CRM_TABLES",
    "CRMTable",
    "LOYALTY_SIGNALS",
    "LOYALTY_TYPES",
    "LoyaltyScores",
    "MissingTableError",
    "QUADRANT_STRATEGIES",
    "RENEW_RATINGS",
    "BusinessCalendar",
    "TableQuality",
    "activity_capacity",
    "base_movement",
    "base_states",
    "base_structure",
    "business_days_between",
    "crm_as_of",
    "csi_nps",
    "lead_conversion",
    "load_sample_crm",
    "loyalty_actions",
    "loyalty_profile",
    "loyalty_scores",
    "make_crm",
    "plot_activity_capacity",
    "plot_base_structure",
    "plot_loyalty_radar",
    "plot_renew_index",
    "plot_satisfaction",
    "quadrant_summary",
    "read_crm",
    "read_crm_table",
    "renew_index",
    "russian_calendar",
    "sample_crm_dir",
    "satisfaction_scores",
    "strong_share",
    "write_crm_sample",
]

# Imported on first use: these modules pull in plotting, scikit-learn or scipy (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_plots": [
            "plot_activity_capacity",
            "plot_base_structure",
            "plot_loyalty_radar",
            "plot_renew_index",
            "plot_satisfaction",
        ],
    },
)
