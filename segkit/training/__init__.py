"""The training track: self-checks for the lessons in ``notebooks/training/`` and the step that builds them.

Each lesson has one source (``notebooks/training/src/NN_name.lesson``) from which :func:`build` writes the
learner and the solution notebook in English and in Russian; :func:`check` is what a lesson's check cell
calls.
"""

from ._build import LESSONS_DIR, Lesson, build, parse_lesson, render, stale_notebooks
from ._checks import EXERCISES, CheckResult, check, expected_answer
from ._export import EXPORT_COLUMNS, PLACEHOLDER_NAME, write_1c_export

__all__ = [
    "EXERCISES",
    "EXPORT_COLUMNS",
    "LESSONS_DIR",
    "PLACEHOLDER_NAME",
    "CheckResult",
    "Lesson",
    "build",
    "check",
    "expected_answer",
    "parse_lesson",
    "render",
    "stale_notebooks",
    "write_1c_export",
]
