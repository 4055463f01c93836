"""Writing the sample data into a path that is a file."""

from __future__ import annotations

from pathlib import Path

import pytest

import segkit
from segkit import cli, datasets


def test_sample_data_into_a_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "data.csv"
    target.write_text("keep me\n")
    for write in (datasets.write_samples, datasets.write_b2b_sample):
        with pytest.raises(segkit.ParameterError, match=r"data.csv' is a file, not a folder"):
            write(target)
    assert cli.main(["sample-data", str(target)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert target.read_text() == "keep me\n"
