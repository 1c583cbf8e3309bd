"""`satchel doctor` on healthy and broken data directories, and its pure checks."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from satchel.doctor import (
    DATABASE_FILE,
    GIB,
    Level,
    check_config,
    check_data_dir,
    check_disk_space,
)
from satchel.store.migrate import LATEST_SCHEMA_VERSION

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_healthy_data_dir_passes(run_cli: RunCli) -> None:
    assert run_cli("user", "add", "bob").returncode == 0
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout
    assert "WAL" in result.stdout and "1 user" in result.stdout


def test_missing_data_dir_fails_in_plain_words(run_cli: RunCli, data_dir: Path) -> None:
    result = run_cli("doctor")
    assert result.returncode == 1
    assert "There is no data directory" in result.stdout
    assert not data_dir.exists()


def test_corrupt_database_fails_in_plain_words(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("user", "add", "bob").returncode == 0
    database = data_dir / DATABASE_FILE
    for suffix in ["-wal", "-shm"]:
        Path(str(database) + suffix).unlink(missing_ok=True)
    database.write_bytes(b"this is not a database, just some text" * 200)
    result = run_cli("doctor")
    assert result.returncode == 1
    assert "database" in result.stdout and "Restore" in result.stdout
    # Other commands refuse the damaged database with one line, not a traceback.
    listed = run_cli("user", "list")
    assert listed.returncode == 1
    assert len(listed.stderr.strip().splitlines()) == 1


def test_missing_database_is_an_error(run_cli: RunCli, data_dir: Path) -> None:
    data_dir.mkdir()
    result = run_cli("doctor")
    assert result.returncode == 1
    assert "no database" in result.stdout


def test_broken_config_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "satchel.toml").write_text("workers = [not toml", "utf-8")
    finding = check_config(tmp_path)
    assert finding.level is Level.ERROR and "satchel.toml" in finding.message
    (tmp_path / "satchel.toml").write_text('workers = "many"', "utf-8")
    assert check_config(tmp_path).level is Level.ERROR
    (tmp_path / "satchel.toml").write_text("workers = 2", "utf-8")
    assert check_config(tmp_path).level is Level.OK


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("x")
    assert check_data_dir(path).level is Level.ERROR
    assert check_data_dir(tmp_path).level is Level.OK


def test_disk_space_thresholds() -> None:
    assert check_disk_space(free=50 * GIB, total=100 * GIB).level is Level.OK
    assert check_disk_space(free=GIB // 2, total=100 * GIB).level is Level.WARN  # under 1 GiB
    assert check_disk_space(free=4 * GIB, total=100 * GIB).level is Level.WARN  # under 5%
    assert check_disk_space(free=2 * GIB, total=3 * GIB).level is Level.OK


def test_schema_newer_than_the_code_is_an_error(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("user", "add", "bob").returncode == 0
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    with conn:
        conn.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', 0)",
            (LATEST_SCHEMA_VERSION + 1,),
        )
    conn.close()
    result = run_cli("doctor")
    assert result.returncode == 1
    assert "newer" in result.stdout and "Upgrade Satchel" in result.stdout
    listed = run_cli("user", "list")
    assert listed.returncode == 1 and "newer" in listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1


def test_journal_mode_other_than_wal_is_a_warning(run_cli: RunCli, data_dir: Path) -> None:
    assert run_cli("user", "add", "bob").returncode == 0
    conn = sqlite3.connect(data_dir / DATABASE_FILE)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    result = run_cli("doctor")
    assert result.returncode == 0, result.stdout
    assert "not WAL" in result.stdout and "warn" in result.stdout
