"""Static checks of the report notebooks; nbval (in `make test`) re-executes them and compares outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from papermill.translators import PythonTranslator

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
STANDARD = ["data_path", "columns", "read_options", "as_of", "output_dir", "reports_root"]


def test_the_report_has_its_notebooks() -> None:
    names = [p.stem for p in NOTEBOOKS]
    assert names[:5] == ["00_overview", "01_abc_xyz", "02_rfm", "03_personas", "04_cohorts_churn"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_parsed_by_papermill(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    names = [p.name for p in PythonTranslator.inspect(tagged[0])]
    assert names[: len(STANDARD)] == STANDARD  # papermill reads every line (no '=' in comments)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_outputs_are_complete_and_clean(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run `make notebooks` to refresh outputs"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    text = "".join(str(o) for c in code for o in c.outputs)
    assert str(NOTEBOOKS[0].parents[1]) not in text, "outputs must not show this checkout's path"
    assert "Traceback" not in text
