"""Sections of a report notebook that may be skipped when the base cannot support them.

A notebook wraps each section in :class:`section`. When the analysis inside raises a :class:`SegkitError`
(too few customers, too short a history, ...), the section prints a plain explanation and what to change,
and the rest of the notebook still runs. Any other exception is a bug and propagates.
"""

from __future__ import annotations

from types import TracebackType

from .._errors import SegkitError
from ..i18n import check_lang, t

__all__ = ["section", "skipped_sections"]

_SKIPPED: list[dict[str, str]] = []


class section:
    """Run one notebook section; on a :class:`SegkitError`, explain and carry on.

    Parameters
    ----------
    title : str
        The section's heading, as the reader sees it.
    hint : str, optional
        What to change so the section runs, naming real notebook parameters (``--param k_max=3``).
    lang : {"en", "ru"}, default "en"
        Language of the note shown when the section is skipped (the report's ``lang`` parameter).

    Attributes
    ----------
    ok : bool
        False once the section was skipped; later cells test it before using the section's results.

    Examples
    --------
    >>> import segkit
    >>> from segkit.report import section
    >>> with section("Survival", hint="pass --param min_group_size=5") as s:
    ...     raise segkit.ParameterError("only 3 customers in the smallest group")
    Section skipped: Survival. only 3 customers in the smallest group What to change: pass --param min_group_size=5
    >>> s.ok
    False
    """

    def __init__(self, title: str, *, hint: str | None = None, lang: str = "en") -> None:
        self.title = title
        self.hint = hint
        self.lang = check_lang(lang)
        self.ok = True
        self.reason: str | None = None

    def __enter__(self) -> section:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if exc is None or not isinstance(exc, SegkitError):
            return False
        self.ok = False
        self.reason = str(exc)
        _SKIPPED.append({"section": self.title, "reason": self.reason, "hint": self.hint or ""})
        _show(self)
        return True


def skipped_sections() -> list[dict[str, str]]:
    """The sections skipped so far in this kernel, in order (the runner reads them into the report log)."""
    return list(_SKIPPED)


def _show(s: section) -> None:
    heading = t("section.skipped", s.lang, title=s.title)
    change = t("warning.what_to_change", s.lang, hint=s.hint) if s.hint else ""
    text = f"{heading} {s.reason}" + (f" {change}" if change else "")
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            # The metadata lets `segkit report` list skipped sections in its log and index without parsing text.
            info = {"section": s.title, "reason": s.reason, "hint": s.hint or ""}
            display(
                Markdown(f"**{heading}** {s.reason}" + (f"\n\n{change}" if change else "")),
                metadata={"segkit": {"skipped_section": info}},
            )
            return
    except ImportError:
        pass
    print(text)
