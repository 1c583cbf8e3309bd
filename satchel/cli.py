"""The `satchel` command line: serve, manage users and tokens, and check a data directory.

Every command finds its data directory from `--data DIR`, else `SATCHEL_DATA`, else `./data`
(`satchel.config.resolve_data_dir`). Errors are one readable line on stderr and exit code 1
(click's usage errors exit with 2); never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from satchel.auth.passwords import generate_password, hash_password
from satchel.auth.tokens import TOKEN_PREFIX, generate_token, token_hash
from satchel.auth.usernames import username_problem
from satchel.config import Settings, load_settings, resolve_data_dir
from satchel.store import open_store
from satchel.store.base import Store, StoreError, User, WriteTxn

F = TypeVar("F", bound=Callable[..., Any])

FIRST_USER = "admin"


class CliError(click.ClickException):
    """A failure explained in one line; click prints `Error: <message>` and exits with 1."""


# --- shared plumbing --------------------------------------------------------------------------


def data_option(command: F) -> F:
    return click.option(
        "--data",
        "data",
        metavar="DIR",
        default=None,
        help="Data directory (default: $SATCHEL_DATA, else ./data).",
    )(command)


def _settings(data: str | None, overrides: dict[str, Any] | None = None) -> Settings:
    try:
        return load_settings(resolve_data_dir(data), overrides)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


@contextmanager
def _store(settings: Settings, *, create: bool = False) -> Iterator[Store]:
    """The store of the data directory; only `create` commands make a missing directory."""
    path = settings.data_path
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CliError(f"cannot create the data directory {path}: {exc.strerror}") from exc
    elif not path.is_dir():
        raise CliError(
            f"no data directory at {path} (create one with `satchel user add NAME --data {path}` "
            "or `satchel serve --first-user`)"
        )
    try:
        store = open_store(path)
    except (sqlite3.Error, OSError, StoreError) as exc:
        raise CliError(f"cannot open the database in {path}: {exc} (run `satchel doctor`)") from exc
    try:
        yield store
    finally:
        store.close_sync()


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated): the first line of stdin, or a new generated password."""
    if not from_stdin:
        return generate_password(), True
    if sys.stdin.isatty():
        typed: str = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        return typed, False
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise CliError("no password on standard input (expected it on the first line)")
    return password, False


def _valid_name(name: str) -> str:
    problem = username_problem(name)
    if problem is not None:
        raise CliError(problem)
    return name


def _existing_user(store: Store, name: str) -> User:
    user = store.read_sync(lambda txn: txn.user_by_name(name))
    if user is None:
        raise CliError(f"no user named {name!r} (see `satchel user list`)")
    return user


def _print_json(value: object) -> None:
    click.echo(json.dumps(value))


def _console() -> Console:
    return Console(highlight=False)


# --- the command tree -------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="satchel", prog_name="satchel")
def cli() -> None:
    """Satchel, a JMAP server (RFC 8620)."""


@cli.group()
def user() -> None:
    """Add, list, change and delete users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"username": ..., "password": ...}.')
@data_option
def user_add(name: str, password_stdin: bool, as_json: bool, data: str | None) -> None:
    """Add user NAME (password generated and printed, or read with --password-stdin)."""
    _valid_name(name)
    password, generated = _read_password(password_stdin)
    settings = _settings(data)
    password_hash = hash_password(password)

    def create(txn: WriteTxn) -> User:
        # Checked inside the write transaction, so two concurrent adds cannot both succeed.
        if txn.user_by_name(name) is not None:
            raise CliError(f"a user named {name!r} already exists")
        return txn.create_user(name, password_hash, None)

    with _store(settings, create=True) as store:
        store.write_sync("", create)
    if as_json:
        _print_json({"username": name, "password": password})
    elif generated:
        click.echo(f"Created user {name} with password: {password}")
    else:
        click.echo(f"Created user {name}.")


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_option
def user_list(as_json: bool, data: str | None) -> None:
    """List the users."""
    with _store(_settings(data)) as store:
        users = store.read_sync(lambda txn: txn.list_users())
    users.sort(key=lambda u: u.username)
    if as_json:
        _print_json([{"username": u.username, "id": u.id, "email": u.email} for u in users])
        return
    if not users:
        click.echo("No users yet. Add one with `satchel user add NAME`.")
        return
    table = Table("username", "id", "email", box=None, pad_edge=False)
    for u in users:
        table.add_row(u.username, u.id, u.email or "")
    _console().print(table)


@user.command("passwd")
@click.argument("name")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@click.option("--json", "as_json", is_flag=True, help='Print {"username": ..., "password": ...}.')
@data_option
def user_passwd(name: str, password_stdin: bool, as_json: bool, data: str | None) -> None:
    """Set a new password for user NAME (generated, or read with --password-stdin)."""
    password, generated = _read_password(password_stdin)
    settings = _settings(data)
    password_hash = hash_password(password)

    def change(txn: WriteTxn) -> None:
        found = txn.user_by_name(name)
        if found is None:
            raise CliError(f"no user named {name!r} (see `satchel user list`)")
        txn.set_password(found.id, password_hash)

    with _store(settings) as store:
        store.write_sync("", change)
    if as_json:
        _print_json({"username": name, "password": password})
    elif generated:
        click.echo(f"New password for {name}: {password}")
    else:
        click.echo(f"Password changed for {name}.")


@user.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@data_option
def user_delete(name: str, yes: bool, data: str | None) -> None:
    """Delete user NAME with its tokens and all its data."""
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)
        if not yes:
            click.confirm(
                f"Delete user {name} and all of its data? This cannot be undone", abort=True
            )

        def delete(txn: WriteTxn) -> None:
            txn.delete_user(found.id)

        store.write_sync("", delete)
    click.echo(f"Deleted user {name}.")


@cli.group()
def token() -> None:
    """Create, list and revoke Bearer tokens."""


@token.command("create")
@click.argument("name")
@click.option("--label", default=None, help="What the token is for (shown in listings).")
@click.option("--json", "as_json", is_flag=True, help='Print {"username": ..., "token": ...}.')
@data_option
def token_create(name: str, label: str | None, as_json: bool, data: str | None) -> None:
    """Create a Bearer token for user NAME and print it (it is shown only once)."""
    secret = generate_token()
    label = label or ""
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)

        def create(txn: WriteTxn) -> None:
            txn.create_token(found.id, token_hash(secret), label)

        store.write_sync("", create)
    if as_json:
        _print_json({"username": name, "token": secret, "label": label})
    else:
        click.echo(secret)
        click.echo(
            f"Bearer token for {name}{f' ({label})' if label else ''}. Save it now: Satchel "
            "keeps only a hash of it and cannot show it again.",
            err=True,
        )


TOKEN_ID_LENGTH = 12


@token.command("list")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_option
def token_list(name: str, as_json: bool, data: str | None) -> None:
    """List user NAME's tokens (by id and label; the tokens themselves are not stored)."""
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)
        tokens = store.read_sync(lambda txn: txn.tokens_for_user(found.id))
    rows = [
        {
            "id": t.token_hash[:TOKEN_ID_LENGTH],
            "label": t.name,
            "created": datetime.fromtimestamp(t.created_at, UTC).isoformat(timespec="seconds"),
        }
        for t in tokens
    ]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        click.echo(f"{name} has no tokens. Create one with `satchel token create {name}`.")
        return
    table = Table("id", "label", "created", box=None, pad_edge=False)
    for row in rows:
        table.add_row(row["id"], row["label"], row["created"])
    _console().print(table)


@token.command("revoke")
@click.argument("name")
@click.argument("token_id", metavar="ID_OR_TOKEN")
@data_option
def token_revoke(name: str, token_id: str, data: str | None) -> None:
    """Revoke one of user NAME's tokens, given its id from `token list` or the token itself."""
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)

        def revoke(txn: WriteTxn) -> None:
            hashes = [t.token_hash for t in txn.tokens_for_user(found.id)]
            if token_id.startswith(TOKEN_PREFIX):
                matches = [h for h in hashes if h == token_hash(token_id)]
            elif len(token_id) >= 6:
                matches = [h for h in hashes if h.startswith(token_id.lower())]
            else:
                raise CliError("give the token id shown by `satchel token list` (12 characters)")
            if not matches:
                raise CliError(
                    f"{name} has no token {token_id!r} (see `satchel token list {name}`)"
                )
            if len(matches) > 1:
                raise CliError(f"{token_id!r} matches several tokens; give the full id")
            txn.delete_token(matches[0])

        store.write_sync("", revoke)
    click.echo(f"Revoked the token of {name}.")


# --- serve ------------------------------------------------------------------------------------


def session_url(settings: Settings, host: str, port: int) -> str:
    """The Session URL a client on this machine should use (RFC 8620 section 2.2)."""
    if settings.base_url:
        return settings.base_url.rstrip("/") + "/.well-known/jmap"
    if host == "0.0.0.0":
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/.well-known/jmap"


def _welcome(settings: Settings, url: str, first_user: bool) -> None:
    """Make sure a newcomer can log in: create `admin` on an empty data dir if asked, and say
    where the server is and who can use it."""
    console = _console()
    with _store(settings, create=True) as store:
        users = store.read_sync(lambda txn: txn.list_users())
        password: str | None = None
        if first_user and not users:
            password = generate_password()
            password_hash = hash_password(password)

            def create(txn: WriteTxn) -> list[User]:
                # Checked again inside the transaction: another process may have added one.
                existing = txn.list_users()
                if not existing:
                    txn.create_user(FIRST_USER, password_hash, None)
                return existing

            users, _ = store.write_sync("", create)
            if users:
                password = None

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(no_wrap=True)
    grid.add_row("Session URL", url)
    if password is not None:
        grid.add_row("Username", FIRST_USER)
        grid.add_row("Password", password)
        note = (
            "Point a JMAP client at the Session URL with this user name and password "
            "(HTTP Basic).\nSave the password now: it is not shown again "
            f"(`satchel user passwd {FIRST_USER}` sets a new one)."
        )
    elif users:
        names = ", ".join(sorted(u.username for u in users))
        grid.add_row("Users", names)
        note = (
            "Add a user with `satchel user add NAME`; "
            "reset a password with `satchel user passwd NAME`."
        )
    else:
        note = "There are no users yet: add one with `satchel user add NAME`."
    console.print(Panel.fit(grid, title="Satchel", border_style="green"))
    console.print(note, soft_wrap=True)


@cli.command()
@data_option
@click.option("--listen", metavar="HOST:PORT", default=None, help="Address to listen on.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes.")
@click.option(
    "--first-user",
    is_flag=True,
    help=f"On an empty data directory, create user {FIRST_USER!r} and print its password.",
)
def serve(data: str | None, listen: str | None, workers: int | None, first_user: bool) -> None:
    """Serve JMAP over HTTP."""
    settings = _settings(data, {"listen": listen, "workers": workers})
    from satchel.http.server import parse_listen, run_server

    try:
        host, port = parse_listen(settings.listen)
    except ValueError as exc:
        raise CliError(f"{exc} (e.g. 127.0.0.1:8080, [::1]:8080 or :8080)") from exc
    _welcome(settings, session_url(settings, host, port), first_user)
    sys.stdout.flush()  # the banner must be out before the server blocks (pipes, journald)
    run_server(settings)


# --- doctor -----------------------------------------------------------------------------------


@cli.command()
@data_option
def doctor(data: str | None) -> None:
    """Check the data directory, database, disk space and configuration."""
    from satchel.doctor import has_errors, print_findings, run_checks

    findings = run_checks(Path(resolve_data_dir(data)))
    print_findings(findings, _console())
    if has_errors(findings):
        sys.exit(1)


# --- entry point ------------------------------------------------------------------------------


def _fail(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def main(argv: list[str] | None = None) -> None:
    """The `satchel` console script. Anything unexpected still ends as one line, not a trace."""
    try:
        cli.main(args=argv, prog_name="satchel", standalone_mode=True)
    except StoreError as exc:
        _fail(str(exc))
    except sqlite3.Error as exc:
        _fail(f"database error: {exc} (run `satchel doctor` to check the data directory)")
    except OSError as exc:
        _fail(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
    except Exception as exc:
        _fail(f"{type(exc).__name__}: {exc}")
