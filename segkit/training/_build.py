"""One source per lesson, four notebooks from it: learner and solution, in English and in Russian.

A lesson source (``notebooks/training/src/NN_name.lesson``) is plain text cut into cells by marker lines:

- ``%% md en`` then ``%% md ru``: a narrative cell and its Russian twin (always adjacent, same structure:
  heading levels, list items, links, formulas);
- ``%% parameters``: where the build writes ``lang = "..."`` and ``currency = None`` (a papermill
  ``parameters`` cell, so a facilitator can also run a lesson with ``-p lang ru``);
- ``%% code``: code both versions share; ``%% exercise``: the learner's starting point (``answer = ...``);
  ``%% solution``: the worked answer (only in the solution notebook); ``%% check``: the check cell.

In code cells a comment line ``# en: ...`` or ``# ru: ...`` is kept, as ``# ...``, only in that language.
The build is deterministic (fixed cell ids, no outputs), so a test can tell when the committed notebooks are
out of date with their sources.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import ParameterError
from ..i18n import LANGUAGES

if TYPE_CHECKING:  # nbformat pulls in jsonschema (seconds); the report kernels never need it
    import nbformat

__all__ = ["LESSONS_DIR", "Lesson", "build", "parse_lesson", "render", "stale_notebooks"]

#: The training folder of the repository: ``src/`` holds the lesson sources, ``en/`` and ``ru/`` the notebooks.
LESSONS_DIR = Path(__file__).resolve().parents[2] / "notebooks" / "training"
_MARKER = re.compile(r"^%% (md en|md ru|parameters|code|exercise|solution|check)\s*$")
_LANG_COMMENT = re.compile(r"^(\s*)# (en|ru): ?(.*)$")
VARIANTS = ("learner", "solution")
_KERNEL = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


@dataclass(frozen=True)
class Lesson:
    """A parsed lesson source: its name (the file stem) and its cells as ``(kind, text)`` pairs."""

    name: str
    cells: tuple[tuple[str, str], ...]

    @property
    def exercises(self) -> int:
        """The number of exercises (exercise cells)."""
        return sum(kind == "exercise" for kind, _ in self.cells)

    @property
    def checks(self) -> int:
        """The number of check cells."""
        return sum(kind == "check" for kind, _ in self.cells)


def structure(markdown: str) -> tuple[tuple[str, ...], int, int, int]:
    """What a narrative cell and its translation must share: heading levels, list items, links, formulas."""
    lines = markdown.splitlines()
    headings = tuple(m.group(1) for line in lines if (m := re.match(r"^(#+) ", line)))
    items = sum(bool(re.match(r"^\s*([-*]|\d+\.) ", line)) for line in lines)
    links = len(re.findall(r"\]\(", markdown))
    formulas = len(re.findall(r"\$\$", markdown)) + len(re.findall(r"(?<!\$)\$(?!\$)", markdown))
    return headings, items, links, formulas


def parse_lesson(path: str | Path) -> Lesson:
    """Read a lesson source and check its rules (pairs of narrative cells, exercise -> solution -> check).

    Raises
    ------
    segkit.ParameterError
        When a rule is broken; the message names the file and the cell.
    """
    path = Path(path)
    cells: list[tuple[str, list[str]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        marker = _MARKER.match(line)
        if marker:
            cells.append((marker.group(1), []))
        elif cells:
            cells[-1][1].append(line)
        elif line.strip():
            raise ParameterError(f"{path.name}, line {number}: text before the first '%% ...' cell marker.")
    parsed = tuple((kind, "\n".join(body).strip("\n")) for kind, body in cells)
    _validate(path.name, parsed)
    return Lesson(path.stem, parsed)


def _validate(name: str, cells: tuple[tuple[str, str], ...]) -> None:
    kinds = [kind for kind, _ in cells]
    if kinds.count("parameters") != 1:
        raise ParameterError(
            f"{name}: needs exactly one '%% parameters' cell, found {kinds.count('parameters')}."
        )
    for i, (kind, text) in enumerate(cells):
        following = kinds[i + 1] if i + 1 < len(kinds) else None
        where = f"{name}, cell {i + 1} ({kind})"
        if kind != "parameters" and not text.strip():
            raise ParameterError(f"{where} is empty.")
        if kind == "md en":
            if following != "md ru":
                raise ParameterError(
                    f"{where}: an English narrative cell must be followed by its Russian twin."
                )
            if structure(text) != structure(cells[i + 1][1]):
                raise ParameterError(
                    f"{where}: the Russian twin differs in structure (headings, list items, links, formulas): "
                    f"{structure(text)} vs {structure(cells[i + 1][1])}."
                )
        if kind == "md ru" and (i == 0 or kinds[i - 1] != "md en"):
            raise ParameterError(f"{where}: a Russian narrative cell must follow its English original.")
        if kind == "exercise" and following != "solution":
            raise ParameterError(f"{where}: an exercise must be followed by its solution.")
        if kind == "solution" and (kinds[i - 1] != "exercise" or following != "check"):
            raise ParameterError(f"{where}: a solution sits between its exercise and its check.")


def _code(text: str, lang: str) -> str:
    out = []
    for line in text.splitlines():
        m = _LANG_COMMENT.match(line)
        if m is None:
            out.append(line)
        elif m.group(2) == lang:
            out.append(f"{m.group(1)}# {m.group(3)}".rstrip())
    return "\n".join(out)


def render(lesson: Lesson, lang: str, variant: str) -> nbformat.NotebookNode:
    """The notebook of ``lesson`` in ``lang`` ("en", "ru") as ``variant`` ("learner" or "solution")."""
    if lang not in LANGUAGES or variant not in VARIANTS:
        raise ParameterError(
            f"render() takes lang in {LANGUAGES} and variant in {VARIANTS}; got {lang!r}, {variant!r}."
        )
    import nbformat

    nb = nbformat.v4.new_notebook(metadata=dict(_KERNEL))
    skip = "solution" if variant == "learner" else "exercise"
    for kind, text in lesson.cells:
        if kind in ("md en", "md ru"):
            if kind.endswith(lang):
                nb.cells.append(nbformat.v4.new_markdown_cell(text, metadata={"tags": [f"lang-{lang}"]}))
            continue
        if kind == skip:
            continue
        if kind == "parameters":
            source, tags = f'lang = "{lang}"\ncurrency = None', ["parameters"]
        else:
            source, tags = _code(text, lang), [] if kind == "code" else [kind]
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata={"tags": tags} if tags else {}))
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"{lesson.name[:40]}-{number:03d}".replace("_", "-")
    return nb


def _sources(root: Path) -> list[Path]:
    return sorted((root / "src").glob("*.lesson"))


def _targets(root: Path) -> dict[Path, tuple[Path, str, str]]:
    out = {}
    for source in _sources(root):
        for lang in LANGUAGES:
            out[root / lang / f"{source.stem}.ipynb"] = (source, lang, "learner")
            out[root / lang / "solutions" / f"{source.stem}.ipynb"] = (source, lang, "solution")
    return out


def _text(nb: nbformat.NotebookNode) -> str:
    import nbformat

    return nbformat.writes(nb) + "\n"


def stale_notebooks(root: str | Path | None = None) -> list[Path]:
    """The generated notebooks that are missing, differ from what their source builds, or have no source."""
    root = Path(root) if root is not None else LESSONS_DIR
    targets = _targets(root)
    stale = []
    for target, (source, lang, variant) in targets.items():
        wanted = _text(render(parse_lesson(source), lang, variant))
        if not target.exists() or target.read_text(encoding="utf-8") != wanted:
            stale.append(target)
    existing = [p for lang in LANGUAGES for p in sorted((root / lang).rglob("*.ipynb"))]
    stale += [p for p in existing if p not in targets and ".ipynb_checkpoints" not in p.parts]
    return stale


def build(root: str | Path | None = None) -> list[Path]:
    """Write every lesson's four notebooks from its source; return the files written or removed.

    Notebooks under ``en/`` and ``ru/`` that no source produces any more are removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from segkit.training import build
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "src").mkdir()
    >>> _ = (root / "src" / "01_demo.lesson").write_text(
    ...     "%% md en\\n# Demo\\n%% md ru\\n# Демо\\n%% parameters\\n%% code\\nx = 1\\n", encoding="utf-8")
    >>> sorted(str(p.relative_to(root)) for p in build(root))
    ['en/01_demo.ipynb', 'en/solutions/01_demo.ipynb', 'ru/01_demo.ipynb', 'ru/solutions/01_demo.ipynb']
    >>> build(root)
    []
    """
    root = Path(root) if root is not None else LESSONS_DIR
    changed = stale_notebooks(root)
    targets = _targets(root)
    for path in changed:
        if path in targets:
            source, lang, variant = targets[path]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_text(render(parse_lesson(source), lang, variant)), encoding="utf-8")
        else:
            path.unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m segkit.training build [--check] [--root DIR]``: build the lessons, or report stale ones."""
    parser = argparse.ArgumentParser(prog="python -m segkit.training", description=main.__doc__)
    parser.add_argument("command", choices=["build"])
    parser.add_argument("--check", action="store_true", help="only list notebooks out of date; exit 1 if any")
    parser.add_argument("--root", default=None, help="the training folder (default: notebooks/training)")
    args = parser.parse_args(argv)
    root = Path(args.root) if args.root else LESSONS_DIR
    if args.check:
        stale = stale_notebooks(root)
        for path in stale:
            print(f"out of date: {path}")
        return 1 if stale else 0
    for path in build(root):
        print(f"wrote {path}" if path.exists() else f"removed {path}")
    for source in _sources(root):
        lesson = parse_lesson(source)
        print(f"{lesson.name}: {lesson.exercises} exercises, {lesson.checks} checks")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
