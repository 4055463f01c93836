"""Browser check of a report folder: screenshots with headless Chromium and an HTML structure checker.

``python -m segkit.report._screenshots REPORT_DIR OUT_DIR [--lang ru]`` renders every HTML page of a report
folder into ``OUT_DIR/<page>.png`` (1280 x 2000 px) with the system's Chromium and prints what
:func:`check_html` finds wrong on each page. ``make screenshots`` runs it on the latest report.
"""

from __future__ import annotations

import argparse
import functools
import html
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from .._errors import ParameterError, SegkitError
from ..i18n import catalogue_keys, check_lang, t

__all__ = ["check_html", "check_report", "find_chromium", "rendered_dom", "screenshot", "screenshot_report"]

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Offline and quiet: no network, no updates, no first-run pages, a throw-away profile.
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# What an object repr of a segkit or pandas result looks like when it leaks into a page.
_REPR = re.compile(
    r"\b(?:Transactions|CohortResult|SegmentMigration|ABCResult|XYZResult|ABCXYZResult|RFMResult|"
    r"SegmentScheme|Personas|ChurnModel|ChurnEvaluation|QualityReport|ConcentrationReport|SurvivalResult|"
    r"MigrationBaseline|BTYDSummary)\(|<[\w.]+ object at 0x[0-9a-f]+>|\bdtype: (?:int|float|object)"
)
# Titles a page gets when nobody set one (nbconvert writes "Notebook").
_GENERIC_TITLES = {"notebook", "untitled", "document", "jupyter notebook"}
# Five or more English words in a row: narrative or a label the catalogue does not know.
_ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z']*(?:[ ,;:()-]+[A-Za-z][a-z']*){4,}")
_OPTION = re.compile(r"(?<![\w-])--[a-z][\w-]*(?:=\S*|\s+[\w.-]+=\S*)?")
_NOTATION = re.compile(r"[A-Z]\(\w+\)")
_QUOTED_LATIN = re.compile(r"«[^«»А-Яа-яЁё]*»")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\b\w+Error: |\bException: ")


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable on this machine, or ``None``."""
    for name in _BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(
    page: str | Path,
    png: str | Path,
    *,
    width: int = 1280,
    height: int = 2000,
    browser: str | None = None,
    timeout: float = 120,
) -> Path:
    """Render one HTML file into a PNG with headless Chromium.

    Raises
    ------
    SegkitError
        When no Chromium is installed (``apt-get install chromium``) or it fails to write the PNG.
    """
    browser = browser or find_chromium()
    if browser is None:
        raise SegkitError("No Chromium found: install the system package (apt-get install chromium).")
    page, png = Path(page).resolve(), Path(png).resolve()
    if not page.is_file():
        raise ParameterError(f"page {str(page)!r} is not a file.")
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="segkit-chromium-") as profile:
        command = [
            browser,
            *_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={int(width)},{int(height)}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or not png.is_file():
        raise SegkitError(
            f"Chromium could not render {page.name} (exit {done.returncode}): {done.stderr[-500:]}"
        )
    return png


def _pages(report_dir: Path) -> list[Path]:
    if not report_dir.is_dir():
        raise ParameterError(f"report_dir {str(report_dir)!r} is not a folder.")
    return sorted(p for p in report_dir.rglob("*.html") if not any(part.startswith(".") for part in p.parts))


def screenshot_report(report_dir: str | Path, out_dir: str | Path, **options: object) -> list[Path]:
    """Render every HTML page of a report folder into ``out_dir`` (``index.html`` -> ``index.png``).

    Pages in sub-folders keep their relative path in the file name (``html/02_rfm.html`` ->
    ``html__02_rfm.png``). Returns the PNGs written.
    """
    report_dir, out_dir = Path(report_dir), Path(out_dir)
    out = []
    for page in _pages(report_dir):
        name = "__".join(page.relative_to(report_dir).with_suffix("").parts) + ".png"
        out.append(screenshot(page, out_dir / name, **options))  # type: ignore[arg-type]
    return out


class _Text(HTMLParser):
    """The visible text of a page, its ``<title>``, and the text inside ``<pre>`` blocks.

    ``prose`` is the visible text without inline ``<code>``: parameter names, file names and column codes
    are written as the user types them, in any language.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.parts: list[str] = []
        self.prose: list[str] = []
        self.pre: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("br", "img", "meta", "link", "input", "hr", "col", "source"):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "script" in self._stack or "style" in self._stack:
            return
        if "title" in self._stack:
            self.title += data
            return
        self.parts.append(data)
        if "pre" in self._stack:
            self.pre.append(data)
        if "code" not in self._stack or "pre" in self._stack:
            self.prose.append(data)


@functools.cache
def _english_texts() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Catalogue texts whose English differs from the Russian, as whole-phrase patterns (templates excluded)."""
    en, ru = catalogue_keys("en"), catalogue_keys("ru")
    out = []
    for key, text in en.items():
        if "{" in text or text == ru[key] or len(text) < 4 or not re.search(r"[A-Za-z]{3}", text):
            continue
        if _NOTATION.fullmatch(text):  # formula notation such as P(alive) reads the same in Russian texts
            continue
        # Whole phrases only, not inside identifiers or file names (04_cohorts_churn, cohorts.csv); a single
        # word must match its case, so a lowercase code such as a parameter name is not taken for a label.
        flags = re.IGNORECASE if " " in text else 0
        out.append((text, re.compile(r"(?<![\w.-])" + re.escape(text) + r"(?![\w-]|\.\w)", flags)))
    # Longest first, so a report names the whole phrase rather than a word inside it.
    return tuple(sorted(out, key=lambda item: -len(item[0])))


def check_html(page: str, *, lang: str = "en") -> list[str]:
    """What is wrong with a report page for a reader, in ``lang`` (an empty list when nothing is).

    Checks: the page has a ``<title>`` that is not a placeholder such as nbconvert's "Notebook"; no object repr is visible (``Transactions(...)``,
    ``CohortResult(...)``, ``<... object at 0x...>``); no Python traceback or error message; for
    ``lang="ru"``, no English text of the catalogue and no run of five or more English words (narrative the
    catalogue does not know) is visible. Scripts and styles are not text.

    Examples
    --------
    >>> from segkit.report._screenshots import check_html
    >>> check_html("<html><head><title>Отчёт</title></head><body><p>Чемпионы</p></body></html>", lang="ru")
    []
    >>> check_html("<html><body><pre>CohortResult(24 rows)</pre><p>At Risk</p></body></html>", lang="ru")
    ['у страницы нет заголовка', 'на странице служебное представление объекта: CohortResult(', 'английский текст на русской странице: At Risk']
    """
    lang = check_lang(lang)
    parser = _Text()
    parser.feed(page)
    parser.close()
    problems = []
    if not parser.title.strip():
        problems.append(t("check.title_missing", lang))
    elif parser.title.strip().lower() in _GENERIC_TITLES:
        problems.append(t("check.title_generic", lang, text=parser.title.strip()))
    text = html.unescape(" ".join(parser.parts))
    text = re.sub(r"\s+", " ", text)
    problems += [t("check.repr", lang, text=m.group(0)) for m in _unique(_REPR.finditer(text))]
    if _TRACEBACK.search(text):
        problems.append(t("check.traceback", lang))
    if lang == "ru":
        # A quoted title without Cyrillic (a cited paper: «Counting your customers the easy way») is a name.
        # Command-line options (--crm leads=FILE, --param k_max=3) are typed as they are, in any language.
        text = _QUOTED_LATIN.sub("«»", re.sub(r"\s+", " ", html.unescape(" ".join(parser.prose))))
        text = _OPTION.sub("", text)
        seen: list[str] = []
        for phrase, pattern in _english_texts():
            if pattern.search(text) and not any(phrase.lower() in s.lower() for s in seen):
                seen.append(phrase)
                problems.append(t("check.english", lang, text=phrase))
        for match in _ENGLISH_RUN.finditer(text):
            if not any(
                match.group(0).lower() in s.lower() or s.lower() in match.group(0).lower() for s in seen
            ):
                seen.append(match.group(0))
                problems.append(t("check.english_prose", lang, text=match.group(0)[:80]))
    return problems


def _unique(matches: object) -> list[re.Match[str]]:
    out, seen = [], set()
    for m in matches:  # type: ignore[attr-defined]
        if m.group(0) not in seen:
            seen.add(m.group(0))
            out.append(m)
    return out


def check_report(report_dir: str | Path, *, lang: str = "en") -> dict[str, list[str]]:
    """:func:`check_html` over every HTML page of a report folder: ``{relative path: problems}``.

    Only the pages with problems are listed, so a clean report gives ``{}``.
    """
    report_dir = Path(report_dir)
    found = {
        str(page.relative_to(report_dir)): check_html(page.read_text(encoding="utf-8"), lang=lang)
        for page in _pages(report_dir)
    }
    return {page: problems for page, problems in found.items() if problems}


def rendered_dom(page: str | Path, *, browser: str | None = None, timeout: float = 120) -> str:
    """The page's document after headless Chromium has loaded and laid it out (``--dump-dom``).

    What the reader's browser shows, scripts run: :func:`check_html` of it checks the rendered page.
    """
    browser = browser or find_chromium()
    if browser is None:
        raise SegkitError("No Chromium found: install the system package (apt-get install chromium).")
    page = Path(page).resolve()
    if not page.is_file():
        raise ParameterError(f"page {str(page)!r} is not a file.")
    with tempfile.TemporaryDirectory(prefix="segkit-chromium-") as profile:
        command = [browser, *_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise SegkitError(
            f"Chromium could not render {page.name} (exit {done.returncode}): {done.stderr[-500:]}"
        )
    return done.stdout


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: screenshots of every page of a report folder, then the structure check of each."""
    parser = argparse.ArgumentParser(prog="python -m segkit.report._screenshots", description=__doc__)
    parser.add_argument("report_dir", help="a dated report folder, e.g. reports/2025-01-01")
    parser.add_argument("out_dir", help="where to write the PNGs")
    parser.add_argument("--lang", default="en", choices=["en", "ru"], help="the report's language")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    try:
        pngs = screenshot_report(args.report_dir, args.out_dir, width=args.width, height=args.height)
        problems = check_report(args.report_dir, lang=args.lang)
    except SegkitError as exc:
        print(f"segkit screenshots: {exc}", file=sys.stderr)
        return 2
    for png in pngs:
        print(f"wrote {png}")
    bad = problems
    for page, found in bad.items():
        for problem in found:
            print(f"{page}: {problem}")
    print(f"{len(pngs)} page(s) rendered, {len(bad)} with problems.")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
