"""segkit: analyse a customer base by segments, from notebooks or as a scheduled report.

The implementation lives in subpackages, one per concept (``io``, ``engine``, ``value``, ``segments``, ``clv``,
``portraits``, ``lifecycle``, ``crm``, ``report``, ``i18n``); everything public is re-exported here, grouped the same way.
"""

from . import clv, crm, engine, i18n, io, lifecycle, portraits, report, segments, training, value
from ._errors import DataContractError, ParameterError, SegkitError
from .clv import *  # noqa: F403
from .crm import *  # noqa: F403
from .engine import *  # noqa: F403
from .i18n import *  # noqa: F403
from .io import *  # noqa: F403
from .lifecycle import *  # noqa: F403
from .portraits import *  # noqa: F403
from .report import *  # noqa: F403
from .segments import *  # noqa: F403
from .value import *  # noqa: F403

# The single source of the version (semantic versioning); pyproject.toml reads it from here at build time.
__version__ = "0.2.0.dev0"

__all__ = ["DataContractError", "ParameterError", "SegkitError", "__version__"]
__all__ += io.__all__  # Reading data
__all__ += engine.__all__  # Engine aggregates
__all__ += value.__all__  # Customer value: concentration, ABC, XYZ
__all__ += segments.__all__  # RFM, segments, migration
__all__ += clv.__all__  # Lifetime value
__all__ += portraits.__all__  # Personas
__all__ += lifecycle.__all__  # Lifecycle: cohorts, status, churn, survival
__all__ += report.__all__  # Reports and notebooks
__all__ += crm.__all__  # The CRM half: loyalty types, CSI/NPS, renew index, activity x capacity, structure
__all__ += i18n.__all__  # Languages and locale formats
# The training lessons' checks and build step stay namespaced (segkit.training.check): names such as
# check and build would be ambiguous at the top level.
__all__ += ["training"]
