"""The message catalogue, looked up by key (:func:`t`) or by vocabulary (:func:`label`).

The catalogue lives in ``catalogue/<topic>.<lang>.yaml``: one pair of files per topic (the report's tables,
each notebook's narrative, the training lessons), each with ``messages`` and optionally ``labels``. A
language's catalogue is the union of its topic files; a key defined by two topics is an error, so topics
never override each other silently.

Why YAML and not gettext: the texts are keyed by the codes the analysis produces (segment names, statuses,
column names), several vocabularies share codes (``"revenue"`` is a column, a feature and a plot label), and
pyyaml is already a dependency; gettext ``.po`` files would need Babel and a compile step for no gain here.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from .._errors import ParameterError, check_choice

__all__ = ["LANGUAGES", "catalogue_keys", "check_lang", "label", "persona_label", "t", "translate"]

#: The languages every text exists in; the first is the default.
LANGUAGES = ("en", "ru")
_DIR = Path(__file__).resolve().parent / "catalogue"
# A captured field is translated through these vocabularies when one has an entry for it (field -> kinds).
_FIELD_KINDS: dict[str, str | tuple[str, ...]] = {
    "reason": "term",
    "option": "term",
    "period": "period",
    "feature": "feature",
    "title": "plot",
    # Groups of curves and bars: base types, acquisition channels, segments, statuses.
    "group": ("base", "channel", "segment", "status"),
    "what": "of_value",
    "period2": "period",
    "method": "abc_method",
}


def check_lang(lang: Any) -> str:
    """Return ``lang`` when it is a supported language code, else raise :class:`segkit.ParameterError`.

    Examples
    --------
    >>> from segkit.i18n import check_lang
    >>> check_lang("ru")
    'ru'
    """
    check_choice("lang", lang, LANGUAGES)
    return str(lang)


def topic_files(lang: str) -> list[Path]:
    """The catalogue files of one language, one per topic, in name order."""
    return sorted(_DIR.glob(f"*.{check_lang(lang)}.yaml"))


# libyaml's safe loader when PyYAML has it: the same result, about 8x faster, and every report notebook's
# kernel loads the catalogue once.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def _load(lang: str) -> dict[str, Any]:
    messages: dict[str, str] = {}
    labels: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for path in topic_files(lang):
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_LOADER) or {}
        entries = [(f"messages.{k}", k, v, messages) for k, v in (data.get("messages") or {}).items()]
        for kind, vocabulary in (data.get("labels") or {}).items():
            bucket = labels.setdefault(kind, {})
            entries += [(f"labels.{kind}.{k}", k, v, bucket) for k, v in vocabulary.items()]
        for full, key, text, bucket in entries:
            if full in origin:
                raise RuntimeError(f"Catalogue key {full!r} is defined in {origin[full]} and in {path.name}.")
            origin[full] = path.name
            bucket[key] = text
    return {"messages": messages, "labels": labels}


def catalogue_keys(lang: str) -> dict[str, str]:
    """Every text of one language as ``{"messages.<key>" | "labels.<kind>.<code>": text}`` (for checks)."""
    data = _load(check_lang(lang))
    out = {f"messages.{key}": text for key, text in data["messages"].items()}
    for kind, entries in data["labels"].items():
        out.update({f"labels.{kind}.{code}": text for code, text in entries.items()})
    return out


def placeholders(text: str) -> set[str]:
    """The ``{field}`` names in a catalogue text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def t(key: str, lang: str = "en", **fields: Any) -> str:
    """The message ``key`` in ``lang``, with ``{fields}`` filled in.

    Parameters
    ----------
    key : str
        A message key of the catalogue, e.g. ``"table.rows_shown"``.
    lang : {"en", "ru"}
        The language.
    **fields
        Values for the placeholders of the message (already formatted: see :func:`segkit.format_number`).

    Examples
    --------
    >>> from segkit.i18n import t
    >>> t("table.rows_shown", lang="ru", shown=20, total="1 500")
    'Показано строк: 20 из 1 500.'
    """
    messages = _load(check_lang(lang))["messages"]
    if key not in messages:
        raise ParameterError(f"Unknown message key {key!r}; keys look like 'table.rows_shown'.")
    text = messages[key]
    missing = placeholders(text) - set(fields)
    if missing:
        raise ParameterError(f"Message {key!r} needs the field(s) {sorted(missing)}; got {sorted(fields)}.")
    return text.format(**fields)


def label(kind: str, code: Any, lang: str = "en") -> str:
    """The human name of a vocabulary ``code`` (a segment, status, column, ...) in ``lang``.

    ``code`` is what the analysis produces: a code of the vocabulary (``"Champions"``, ``"at_risk"``,
    ``"share_customers"``), the English text of an entry (a strategy or action text), or a generated text
    matching an entry with ``{fields}`` (``"revenue lost if the top 5 left"``). Anything else, such as a
    segment of a custom scheme, comes back unchanged.

    Examples
    --------
    >>> from segkit.i18n import label
    >>> label("segment", "At Risk", lang="ru")
    'Под угрозой оттока'
    >>> label("column", "share_customers", lang="ru")
    'Доля клиентов'
    >>> label("measure", "revenue lost if the top 5 left", lang="ru")
    'потеря выручки при уходе 5 крупнейших'
    >>> label("segment", "My own segment", lang="ru")
    'My own segment'
    """
    entries = _kind(kind, lang)
    text = str(code)
    if text in entries:
        return entries[text]
    english = _load("en")["labels"][kind]
    for key, en_text in english.items():
        if en_text == text:
            return entries[key]
    for key, pattern in _patterns(kind):
        match = pattern.fullmatch(text)
        if match:
            fields = {name: _field(name, value, lang) for name, value in match.groupdict().items()}
            return entries[key].format(**fields)
    return text


def translate(text: Any, kinds: tuple[str, ...] | list[str], lang: str = "en") -> str:
    """:func:`label` over several vocabularies: the first that knows ``text`` wins (else it is unchanged)."""
    for kind in kinds:
        out = label(kind, text, lang)
        if out != str(text) or _known(kind, str(text)):
            return out
    return str(text)


def kinds() -> tuple[str, ...]:
    """The vocabulary names of the catalogue."""
    return tuple(_load("en")["labels"])


def _kind(kind: str, lang: str) -> dict[str, str]:
    labels = _load(check_lang(lang))["labels"]
    if kind not in labels:
        raise ParameterError(f"Unknown label kind {kind!r}; the kinds are {sorted(labels)}.")
    return labels[kind]


def _known(kind: str, text: str) -> bool:
    english = _load("en")["labels"][kind]
    return text in english or text in english.values()


@functools.cache
def _patterns(kind: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for key, en_text in _load("en")["labels"][kind].items():
        # A template matches by its code (column "{feature}_median") or by its English text.
        for template in dict.fromkeys((key, en_text)):
            if placeholders(template):
                out.append((key, _template_regex(template)))
    return tuple(out)


def _template_regex(template: str) -> re.Pattern[str]:
    parts: Iterator[tuple[str, str | None, str | None, str | None]] = string.Formatter().parse(template)
    regex = "".join(re.escape(lit) + (f"(?P<{name}>.+?)" if name else "") for lit, name, _, _ in parts)
    return re.compile(regex)


def _field(name: str, value: str, lang: str) -> str:
    from ._formats import localize_text

    kinds = _FIELD_KINDS.get(name, ())
    value = translate(value, (kinds,) if isinstance(kinds, str) else kinds, lang)
    return localize_text(value, lang)


_NUMBERED = re.compile(r"^(?P<name>.*) \((?P<n>\d+)\)$")


def persona_label(name: Any, lang: str = "en") -> str:
    """A generated persona name in ``lang``: the core name, its qualifier after a comma, a number in brackets.

    Examples
    --------
    >>> from segkit.i18n import persona_label
    >>> persona_label("Lapsed repeat buyers, higher spend (2)", lang="ru")
    'Ушедшие повторные покупатели, больше тратят (2)'
    """
    text = str(name)
    match = _NUMBERED.match(text)
    suffix = f" ({match.group('n')})" if match else ""
    text = match.group("name") if match else text
    core, _, qualifier = text.partition(", ")
    out = label("persona_name", core, lang)
    if qualifier:
        out += ", " + label("persona_qualifier", qualifier, lang)
    return out + suffix
