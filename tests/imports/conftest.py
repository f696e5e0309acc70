from pathlib import Path

import pytest


@pytest.fixture
def csv_file(tmp_path):
    """Write `text` to a .csv file and return its path."""

    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
