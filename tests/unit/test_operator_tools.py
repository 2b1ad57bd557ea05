"""Operator tools: ``--help`` writes nothing, a mistake is one line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.events import docs, schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("tool", [schema.main, docs.main], ids=["schema", "docs"])
def test_help_prints_usage_and_writes_nothing(
    tool: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        tool(["--help"])  # type: ignore[operator]
    assert exited.value.code == 0
    assert "usage:" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("module", ["shared.events.schema", "shared.events.docs"])
def test_an_unknown_option_is_one_line_and_exit_status_2(module: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", module, "--bogus"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "--bogus" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_schemas_refuse_a_file_where_a_directory_is_wanted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schemas"
    target.write_text("not a directory")
    with pytest.raises(SystemExit) as exited:
        schema.main([str(target)])
    assert exited.value.code == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_schemas_and_docs_still_write_where_they_are_told(tmp_path: Path) -> None:
    assert schema.main([str(tmp_path / "schemas")]) == 0
    assert (tmp_path / "schemas" / "agency.registered.schema.json").is_file()
    assert docs.main([str(tmp_path / "events.md")]) == 0
    assert (tmp_path / "events.md").read_text().startswith("# Event catalogue")
