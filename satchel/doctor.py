"""`satchel doctor`: checks a data directory and says, in plain words, what is wrong and what to do.

Each check is a function returning findings (ok / warn / error, a message, and advice), so the
checks are testable without a terminal. The doctor never changes anything: the database is
opened read-only, and the store (which migrates, sets WAL and creates blobs/ on open) is only
opened once every earlier check passed, when opening it changes nothing.
"""

from __future__ import annotations

import enum
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from satchel.config import CONFIG_FILE, load_settings
from satchel.store import open_store
from satchel.store.migrate import LATEST_SCHEMA_VERSION, read_version
from satchel.store.sqlite import BLOB_DIR as BLOBS_DIR
from satchel.store.sqlite import DB_FILE as DATABASE_FILE

GIB = 1024**3
MIN_FREE_BYTES = GIB
MIN_FREE_FRACTION = 0.05


class Level(enum.Enum):
    OK = "ok"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    level: Level
    message: str
    advice: str = ""


def _ok(check: str, message: str) -> Finding:
    return Finding(check, Level.OK, message)


def _warn(check: str, message: str, advice: str) -> Finding:
    return Finding(check, Level.WARN, message, advice)


def _error(check: str, message: str, advice: str) -> Finding:
    return Finding(check, Level.ERROR, message, advice)


def _writable(directory: Path) -> str | None:
    """None if a file can be created in `directory`, else why not (os.access lies for root)."""
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


# --- the checks -------------------------------------------------------------------------------


def check_data_dir(data_dir: Path) -> Finding:
    name = "data directory"
    if not data_dir.exists():
        return _error(
            name,
            f"There is no data directory at {data_dir}.",
            "Check --data or SATCHEL_DATA; `satchel serve --first-user` creates a new one.",
        )
    if not data_dir.is_dir():
        return _error(
            name,
            f"{data_dir} is not a directory.",
            "Point --data at a directory.",
        )
    problem = _writable(data_dir)
    if problem is not None:
        return _error(
            name,
            f"Satchel cannot write to {data_dir} ({problem}).",
            "Give the user running Satchel write permission on it.",
        )
    return _ok(name, f"{data_dir} exists and is writable.")


def check_config(data_dir: Path) -> Finding:
    name = "configuration"
    path = data_dir / CONFIG_FILE
    try:
        load_settings(str(data_dir))
    except ValueError as exc:
        return _error(
            name,
            f"The configuration does not load: {exc}",
            f"Fix {path} or the SATCHEL_* environment variables (see satchel/config.py).",
        )
    except OSError as exc:
        return _error(name, f"{path} cannot be read ({exc.strerror}).", "Check its permissions.")
    if path.exists():
        return _ok(name, f"{path} is valid.")
    return _ok(name, f"No {CONFIG_FILE}: defaults and SATCHEL_* variables apply.")


def check_database(data_dir: Path) -> list[Finding]:
    """The database file opens, passes `PRAGMA integrity_check`, uses WAL and has the schema
    version this code expects."""
    name = "database"
    path = data_dir / DATABASE_FILE
    if not path.exists():
        return [
            _error(
                name,
                f"There is no database at {path}.",
                "Start Satchel once (`satchel serve --first-user`) or add a user "
                "(`satchel user add NAME`) to create it.",
            )
        ]
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [_error(name, f"The database {path} cannot be opened ({exc}).", _RESTORE)]
    try:
        return _inspect_database(conn, path)
    except sqlite3.Error as exc:
        return [_error(name, f"The database {path} cannot be read ({exc}).", _RESTORE)]
    finally:
        conn.close()


_RESTORE = "Restore the data directory from a backup; the file itself cannot be repaired here."


def _inspect_database(conn: sqlite3.Connection, path: Path) -> list[Finding]:
    findings: list[Finding] = []
    problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
    if problems != ["ok"]:
        shown = "; ".join(problems[:3])
        return [_error("database", f"{path} is damaged: {shown}.", _RESTORE)]
    findings.append(_ok("database", f"{path} opens and passes the integrity check."))

    mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode == "wal":
        findings.append(_ok("journal mode", "The database uses WAL."))
    else:
        findings.append(
            _warn(
                "journal mode",
                f"The database uses journal mode {mode!r}, not WAL, so readers wait for writers.",
                "Starting Satchel switches it to WAL.",
            )
        )

    version = read_version(conn)
    if version == LATEST_SCHEMA_VERSION:
        findings.append(_ok("schema", f"Schema version {version} matches this Satchel."))
    elif version < LATEST_SCHEMA_VERSION:
        findings.append(
            _warn(
                "schema",
                f"Schema version {version} is older than this Satchel's {LATEST_SCHEMA_VERSION}.",
                "Satchel upgrades it when it next starts; back up the data directory first.",
            )
        )
    else:
        findings.append(
            _error(
                "schema",
                f"Schema version {version} is newer than this Satchel's {LATEST_SCHEMA_VERSION}: "
                "a newer Satchel wrote this data.",
                "Upgrade Satchel before using this data directory.",
            )
        )
    return findings


def check_users(data_dir: Path) -> Finding:
    """At least one user exists (opens the store: call only once the schema is current)."""
    name = "users"
    try:
        store = open_store(data_dir)
        try:
            users = store.read_sync(lambda txn: txn.list_users())
        finally:
            store.close_sync()
    except Exception as exc:  # any failure here is a finding, not a crash
        return _error(name, f"The store cannot list users ({exc}).", _RESTORE)
    if not users:
        return _warn(
            name, "There are no users, so nobody can log in.", "Add one: `satchel user add NAME`."
        )
    return _ok(name, f"{len(users)} user(s): " + ", ".join(sorted(u.username for u in users)))


def check_blobs_dir(data_dir: Path) -> Finding:
    name = "blobs"
    path = data_dir / BLOBS_DIR
    if not path.is_dir():
        return _error(
            name,
            f"The blob directory {path} is missing.",
            "If the data directory was copied, copy its blobs/ too; otherwise start Satchel "
            "to create an empty one.",
        )
    problem = _writable(path)
    if problem is not None:
        return _error(
            name,
            f"Satchel cannot write to {path} ({problem}).",
            "Give the user running Satchel write permission on it.",
        )
    return _ok(name, f"{path} exists and is writable.")


def check_disk_space(free: int, total: int) -> Finding:
    """Warn under 1 GiB or 5% free, whichever bites first."""
    name = "disk space"
    shown = f"{free / GIB:.1f} GiB free of {total / GIB:.1f} GiB"
    if free < MIN_FREE_BYTES or (total > 0 and free / total < MIN_FREE_FRACTION):
        return _warn(
            name,
            f"Disk space is low: {shown}.",
            "Free some space or move the data directory; SQLite and new mail need room to grow.",
        )
    return _ok(name, shown + ".")


def run_checks(data_dir: Path) -> list[Finding]:
    """Every check, in order; checks that need what an earlier one found missing are skipped."""
    first = check_data_dir(data_dir)
    if first.level is Level.ERROR and not data_dir.is_dir():
        return [first]
    findings = [first, check_config(data_dir)]
    database = check_database(data_dir)
    findings.extend(database)
    blobs = check_blobs_dir(data_dir)
    findings.append(blobs)
    usage = shutil.disk_usage(data_dir)
    findings.append(check_disk_space(usage.free, usage.total))
    # Opening the store migrates, switches to WAL and creates blobs/: only do it when that
    # would change nothing.
    if all(f.level is Level.OK for f in [first, *database, blobs]):
        findings.append(check_users(data_dir))
    return findings


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level is Level.ERROR for f in findings)


_MARKS = {
    Level.OK: "[green]✔ ok[/]",
    Level.WARN: "[yellow]! warn[/]",
    Level.ERROR: "[red]✘ error[/]",
}


def print_findings(findings: list[Finding], console: Console) -> None:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, style="bold")
    table.add_column()
    for finding in findings:
        text = escape(finding.message)
        if finding.advice:
            text += f"\n[dim]→[/] {escape(finding.advice)}"
        table.add_row(_MARKS[finding.level], finding.check, text)
    console.print(table)
    errors = sum(f.level is Level.ERROR for f in findings)
    warnings = sum(f.level is Level.WARN for f in findings)
    if errors:
        console.print(f"[red]{errors} problem(s) to fix[/], {warnings} warning(s).")
    elif warnings:
        console.print(f"[green]No errors[/], {warnings} warning(s).")
    else:
        console.print("[green]All checks passed.[/]")


__all__ = [
    "BLOBS_DIR",
    "DATABASE_FILE",
    "GIB",
    "Finding",
    "Level",
    "check_blobs_dir",
    "check_config",
    "check_data_dir",
    "check_database",
    "check_disk_space",
    "check_users",
    "has_errors",
    "print_findings",
    "run_checks",
]
