"""Sections of a report notebook that may be skipped when the base cannot support them.

A notebook wraps each section in :class:`section`. When the analysis inside raises a :class:`SegkitError`
(too few customers, too short a history, ...), the section prints a plain explanation and what to change,
and the rest of the notebook still runs. Any other exception is a bug and propagates.
"""

from __future__ import annotations

from types import TracebackType

from .._errors import SegkitError
from ..i18n import check_lang, label, t

__all__ = ["section", "skipped_sections"]

_SKIPPED: list[dict[str, str]] = []
# Fields of an error's catalogue message that name things in words (translated); the others, such as a
# command-line option, are shown as they are.
_TERM_FIELDS = {"table", "present"}


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
        shown = _shown_reason(exc, self.lang)
        # "shown" is the reason as the reader saw it, in "lang"; "reason" the full text for the run log.
        info = {"section": self.title, "reason": self.reason, "hint": self.hint or ""}
        info.update(shown=shown, lang=self.lang)
        _SKIPPED.append(info)
        _show(self, info)
        return True


def _shown_reason(exc: SegkitError, lang: str) -> str:
    """The reason in the reader's language: the error's catalogue message, else (outside English) a pointer.

    An English error text on a Russian page would be unreadable for its reader; the full text still goes
    to the run log and ``run.json`` through :func:`skipped_sections`.
    """
    if lang == "en":
        return str(exc)
    if exc.message_key is None:
        return t("section.reason_elsewhere", lang, file="run.json")
    fields = dict(exc.message_fields)
    for name in _TERM_FIELDS & set(fields):
        value = fields[name]
        if isinstance(value, (list, tuple)):
            fields[name] = ", ".join(label("term", v, lang) for v in value) or t("common.none", lang)
        else:
            fields[name] = label("term", value, lang)
    return t(exc.message_key, lang, **fields)


def skipped_sections() -> list[dict[str, str]]:
    """The sections skipped so far in this kernel, in order (the runner reads them into the report log).

    Each entry has ``section``, ``reason`` (the full message), ``hint``, and ``shown``: the reason as the
    page showed it, in the section's ``lang``.
    """
    return list(_SKIPPED)


def _show(s: section, info: dict[str, str]) -> None:
    reason = info["shown"]
    heading = t("section.skipped", s.lang, title=s.title)
    change = t("warning.what_to_change", s.lang, hint=s.hint) if s.hint else ""
    text = f"{heading} {reason}" + (f" {change}" if change else "")
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            # The metadata lets `segkit report` list skipped sections in its log and index without parsing text.
            display(
                Markdown(f"**{heading}** {reason}" + (f"\n\n{change}" if change else "")),
                metadata={"segkit": {"skipped_section": info}},
            )
            return
    except ImportError:
        pass
    print(text)
