"""RFM scores, named (dynamic) and static segments, size checks and migration between reports."""

from .._lazy import attach
from ._migration import (
    MigrationBaseline,
    SegmentMigration,
    migration_baseline,
    previous_segments,
    read_segments,
    save_segments,
    segment_migration,
)
from ._rfm import RECENCY_BANDS, RFMResult, rfm
from ._segments import SegmentScheme, default_scheme, rfm_segments, segment_summary, validate_scheme
from ._static import (
    PERSONA_GUIDANCE,
    SEGMENT_SIZE_GUIDANCE,
    STATIC_ACTION,
    add_static_segments,
    segment_size_check,
    static_segment,
)

__all__ = [
    "PERSONA_GUIDANCE",
    "RECENCY_BANDS",
    "SEGMENT_SIZE_GUIDANCE",
    "STATIC_ACTION",
    "add_static_segments",
    "segment_size_check",
    "static_segment",
    "MigrationBaseline",
    "RFMResult",
    "SegmentMigration",
    "SegmentScheme",
    "default_scheme",
    "migration_baseline",
    "plot_migration",
    "plot_rfm_heatmap",
    "plot_score_distributions",
    "plot_segment_sizes",
    "previous_segments",
    "read_segments",
    "rfm",
    "rfm_segments",
    "save_segments",
    "segment_migration",
    "segment_summary",
    "validate_scheme",
]

# Imported on first use: these modules pull in plotting, scikit-learn or scipy (segkit._lazy).
__getattr__, __dir__ = attach(
    __name__,
    globals(),
    {
        "_plots": ["plot_migration", "plot_rfm_heatmap", "plot_score_distributions", "plot_segment_sizes"],
    },
)
