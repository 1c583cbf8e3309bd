"""Run the real `satchel` command line in a subprocess (`python -m satchel`)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATCHEL_")}
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    return env


@pytest.fixture
def environ() -> dict[str, str]:
    """The environment for a CLI subprocess: no SATCHEL_* from the caller, no colours."""
    return cli_env()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def run_cli(data_dir: Path) -> RunCli:
    """`run_cli("user", "add", "bob", input="pw\\n")` runs `satchel user add bob --data DIR`."""

    def run(
        *args: str, input: str | None = None, data: Path | None = data_dir
    ) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "satchel", *args]
        if data is not None:
            argv += ["--data", str(data)]
        result = subprocess.run(
            argv, input=input, capture_output=True, text=True, env=cli_env(), timeout=60
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    return run
