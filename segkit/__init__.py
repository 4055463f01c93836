"""segkit: analyse a customer base by segments, from notebooks or as a scheduled report.

The implementation lives in subpackages, one per concept (``io``, ``engine``, ``value``, ``segments``, ``clv``,
``portraits``, ``lifecycle``, ``crm``, ``report``, ``i18n``); everything public is re-exported here, grouped the same way.
"""

from . import clv, crm, engine, i18n, io, lifecycle, portraits, report, segments, training, value
from ._errors import DataContractError, ParameterError, SegkitError
from ._lazy import reexport

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
# Each subpackage's public names at the top level; those a subpackage loads on first use (plotting,
# scikit-learn, scipy: see segkit._lazy) load here on first use too.
__getattr__ = reexport(globals(), (io, engine, value, segments, clv, portraits, lifecycle, report, crm, i18n))

# The training lessons' checks and build step stay namespaced (segkit.training.check): names such as
# check and build would be ambiguous at the top level.
__all__ += ["training"]
