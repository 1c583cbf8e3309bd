"""The `satchel` command line: serve, manage users and tokens, and check a data directory.

Every command finds its data directory from `--data DIR`, else `SATCHEL_DATA`, else `./data`
(`satchel.config.resolve_data_dir`). Errors are one readable line on stderr and exit code 1
(click's usage errors exit with 2); never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from satchel.auth.passwords import generate_password, hash_password
from satchel.auth.tokens import TOKEN_PREFIX, generate_token, token_hash
from satchel.auth.usernames import username_problem
from satchel.config import Settings, load_settings, resolve_data_dir
from satchel.push.wiring import publishing_store
from satchel.store import open_store
from satchel.store.base import AddressTaken, Store, StoreError, User, WriteTxn

if TYPE_CHECKING:
    from satchel.importer import ImportReport, ProgressJournal

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
        # Commits from the command line reach the serving processes' push listeners too.
        store = publishing_store(open_store(path), settings)
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


def _provision(store: Store, user: User) -> None:
    """Give a new user's personal account what a mail account starts with (CONTRACT.md 7)."""
    from satchel.mail.provision import provision_account

    for account in store.read_sync(lambda txn: txn.accounts_for_user(user.id)):
        asyncio.run(provision_account(store, account.id))


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
        created, _ = store.write_sync("", create)
        _provision(store, created)
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


@user.group()
def alias() -> None:
    """Extra addresses delivering to a user (its own is NAME@domain)."""


def _alias_address(settings: Settings, address: str) -> str:
    from satchel.mail.recipients import local_domains, split_address

    parts = split_address(address)
    if parts is None:
        raise CliError(f"{address!r} is not an address (local@domain)")
    if parts[1] not in local_domains(settings):
        domains = ", ".join(sorted(local_domains(settings)))
        raise CliError(
            f"{parts[1]} is not a local domain ({domains}); set `domain` or `local_domains`"
        )
    return f"{parts[0].lower()}@{parts[1]}"


@alias.command("add")
@click.argument("name")
@click.argument("address")
@data_option
def alias_add(name: str, address: str, data: str | None) -> None:
    """Make ADDRESS deliver to user NAME."""
    settings = _settings(data)
    wanted = _alias_address(settings, address)
    with _store(settings) as store:
        found = _existing_user(store, name)
        local = wanted.rpartition("@")[0]
        other = store.read_sync(lambda txn: txn.user_by_name(local))
        if other is not None and other.id != found.id:
            raise CliError(f"{wanted} is the address of user {other.username}")

        def add(txn: WriteTxn) -> None:
            try:
                txn.add_alias(found.id, wanted)
            except AddressTaken:
                owner = txn.user_id_for_alias(wanted)
                who = txn.user_by_id(owner) if owner else None
                raise CliError(
                    f"{wanted} is already an alias of {who.username if who else 'another user'}"
                ) from None

        store.write_sync("", add)
    click.echo(f"{wanted} now delivers to {name}.")


@alias.command("remove")
@click.argument("name")
@click.argument("address")
@data_option
def alias_remove(name: str, address: str, data: str | None) -> None:
    """Stop ADDRESS delivering to user NAME."""
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)
        wanted = address.strip().lower()

        def remove(txn: WriteTxn) -> None:
            if txn.user_id_for_alias(wanted) != found.id:
                raise CliError(
                    f"{wanted} is not an alias of {name} (see `satchel user alias list {name}`)"
                )
            txn.remove_alias(wanted)

        store.write_sync("", remove)
    click.echo(f"Removed {wanted} from {name}.")


@alias.command("list")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_option
def alias_list(name: str, as_json: bool, data: str | None) -> None:
    """List user NAME's addresses: its own, then its aliases."""
    from satchel.mail.recipients import primary_address

    settings = _settings(data)
    with _store(settings) as store:
        found = _existing_user(store, name)
        aliases = store.read_sync(lambda txn: txn.aliases_for_user(found.id))
    if as_json:
        _print_json({"address": primary_address(settings, name), "aliases": aliases})
        return
    click.echo(primary_address(settings, name))
    for address in aliases:
        click.echo(address)


@user.group()
def sender() -> None:
    """Addresses a user may send from beyond its own and its aliases (exact or *@domain)."""


def _sender_pattern(pattern: str) -> str:
    from satchel.mail.senders import normalise_pattern

    wanted = normalise_pattern(pattern)
    if wanted is None:
        raise CliError(f"{pattern!r} is neither an address (local@domain) nor *@domain")
    return wanted


@sender.command("add")
@click.argument("name")
@click.argument("pattern")
@data_option
def sender_add(name: str, pattern: str, data: str | None) -> None:
    """Let user NAME send from PATTERN (an address, or *@domain for any address there)."""
    wanted = _sender_pattern(pattern)
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)
        added, _ = store.write_sync("", lambda txn: txn.add_sender_grant(found.id, wanted))
    if added:
        click.echo(f"{name} may now send from {wanted}.")
    else:
        click.echo(f"{name} could already send from {wanted}.")


@sender.command("remove")
@click.argument("name")
@click.argument("pattern")
@data_option
def sender_remove(name: str, pattern: str, data: str | None) -> None:
    """Stop user NAME sending from PATTERN (as granted with `user sender add`)."""
    wanted = pattern.strip().lower()
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)
        removed, _ = store.write_sync("", lambda txn: txn.remove_sender_grant(found.id, wanted))
    if not removed:
        raise CliError(f"{name} has no grant {wanted} (see `satchel user sender list {name}`)")
    click.echo(f"{name} may no longer send from {wanted}.")


@sender.command("list")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@data_option
def sender_list(name: str, as_json: bool, data: str | None) -> None:
    """List the sender grants of user NAME (its own address and aliases are implied)."""
    with _store(_settings(data)) as store:
        found = _existing_user(store, name)
        grants = store.read_sync(lambda txn: txn.sender_grants(found.id))
    if as_json:
        _print_json(grants)
        return
    for pattern in grants:
        click.echo(pattern)


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
            else:
                _provision(store, _existing_user(store, FIRST_USER))

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(no_wrap=True)
    grid.add_row("Session URL", url)
    if settings.lmtp_listen:
        grid.add_row("LMTP", settings.lmtp_listen)
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
@click.option(
    "--lmtp",
    metavar="HOST:PORT|unix:PATH|off",
    default=None,
    help="Where to accept mail over LMTP (default: 127.0.0.1:8024).",
)
def serve(
    data: str | None, listen: str | None, workers: int | None, first_user: bool, lmtp: str | None
) -> None:
    """Serve JMAP over HTTP, and accept mail over LMTP."""
    if lmtp is not None and lmtp.strip().lower() == "off":
        lmtp = ""
    settings = _settings(data, {"listen": listen, "workers": workers, "lmtp_listen": lmtp})
    from satchel.http.server import parse_listen, run_server
    from satchel.smtp.lmtp_server import parse_lmtp_listen

    try:
        host, port = parse_listen(settings.listen)
    except ValueError as exc:
        raise CliError(f"{exc} (e.g. 127.0.0.1:8080, [::1]:8080 or :8080)") from exc
    try:
        parse_lmtp_listen(settings.lmtp_listen)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    _welcome(settings, session_url(settings, host, port), first_user)
    sys.stdout.flush()  # the banner must be out before the server blocks (pipes, journald)
    run_server(settings)


# --- mail in: deliver, import ------------------------------------------------------------------

EX_DATAERR = 65  # sysexits.h: the input data was bad
EX_NOUSER = 67  # sysexits.h: addressee unknown
EX_TEMPFAIL = 75  # sysexits.h: temporary failure, the MTA retries later


class DeliverError(click.ClickException):
    """`satchel deliver` ends with a sysexits code an MTA understands, never plain 1."""

    exit_code = EX_TEMPFAIL


class BadMessage(DeliverError):
    exit_code = EX_DATAERR


class UnknownRecipient(DeliverError):
    exit_code = EX_NOUSER


async def _target_account(store: Store, settings: Settings, who: str) -> tuple[str, str | None]:
    """(account id, plus-address detail) for a user name or a local address."""
    from satchel.mail.recipients import resolve

    if "@" in who:
        recipient = await store.read(lambda txn: resolve(txn, settings, who))
        if recipient is None:
            raise UnknownRecipient(f"no local user or alias {who!r}")
        return recipient.account_id, recipient.mailbox_hint
    user = await store.read(lambda txn: txn.user_by_name(who.lower()))
    accounts = [] if user is None else await store.read(lambda txn: txn.accounts_for_user(user.id))
    personal = [a.id for a in accounts if a.is_personal]
    if not personal:
        raise UnknownRecipient(f"no user named {who!r}")
    return personal[0], None


async def _mailbox_for(
    store: Store, account_id: str, name: str | None, required: bool
) -> list[str] | None:
    """The mailbox ids to deliver into: None (the inbox) when no name, or when a plus-address
    names no mailbox; an error when `--mailbox` names none."""
    from satchel.mail.ingest import mailbox_id_by_role_or_name
    from satchel.mail.provision import provision_account

    if not name:
        return None
    await provision_account(store, account_id)
    found = await mailbox_id_by_role_or_name(store, account_id, name)
    if found is None and required:
        raise CliError(f"the account has no mailbox named {name!r}")
    return None if found is None else [found]


async def _vacation_reply(store: Store, settings: Settings, account_id: str, raw: bytes) -> None:
    """The delivered message's vacation auto-reply, if any (the message is stored already: a
    failure here is reported, never turned into a failed delivery)."""
    from satchel.mail.vacation_delivery import auto_reply

    try:
        await auto_reply(store, settings, account_id, raw)
    except Exception as exc:
        click.echo(f"Warning: the vacation auto-reply failed: {exc}", err=True)


@cli.command()
@click.argument("who", metavar="USER")
@click.option(
    "--mailbox", metavar="NAME", default=None, help="Deliver into this mailbox (name or role)."
)
@data_option
def deliver(who: str, mailbox: str | None, data: str | None) -> None:
    """Deliver a message from standard input to USER (a user name or a local address).

    Exits 0 once the message is stored durably, 65 for an empty or oversized message, 67 for an
    unknown recipient and 75 (temporary failure: try again later) for anything else."""
    from satchel.importer import to_crlf
    from satchel.mail.ingest import Incoming, ingest
    from satchel.smtp.lmtp import DEFAULT_MAX_MESSAGE_SIZE

    try:
        raw = sys.stdin.buffer.read(DEFAULT_MAX_MESSAGE_SIZE + 1)
        if not raw.strip():
            raise BadMessage("no message on standard input")
        if len(raw) > DEFAULT_MAX_MESSAGE_SIZE:
            raise BadMessage(f"the message is over {DEFAULT_MAX_MESSAGE_SIZE} bytes")
        settings = _settings(data)
        with _store(settings) as store:

            async def run() -> str:
                account_id, hint = await _target_account(store, settings, who)
                mailbox_ids = await _mailbox_for(store, account_id, mailbox or hint, bool(mailbox))
                message = to_crlf(raw)
                email_id, _ = await ingest(
                    store, account_id, Incoming(message, mailbox_ids), delivery=True
                )
                await _vacation_reply(store, settings, account_id, message)
                return email_id

            email_id = asyncio.run(run())
    except DeliverError:
        raise
    except click.ClickException as exc:
        raise DeliverError(exc.format_message()) from exc
    except Exception as exc:
        raise DeliverError(f"{type(exc).__name__}: {exc}") from exc
    click.echo(f"Delivered to {who} as Email {email_id}.", err=True)


@cli.command("import")
@click.argument("name", metavar="USER")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--mailbox", metavar="NAME", default=None, help="Import into this mailbox (default: Inbox)."
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(1, 5000),
    default=200,
    show_default=True,
    help="Messages per write transaction.",
)
@click.option(
    "--keep-deleted", is_flag=True, help="Import Maildir messages flagged T, with $deleted."
)
@click.option("--restart", is_flag=True, help="Forget earlier progress and import it all again.")
@data_option
def import_mail(
    name: str,
    path: Path,
    mailbox: str | None,
    batch_size: int,
    keep_deleted: bool,
    restart: bool,
    data: str | None,
) -> None:
    """Import an mbox file or a Maildir folder into USER's account.

    Resumable: run it again after an interruption and it goes on where it stopped."""
    from satchel import importer

    settings = _settings(data)
    if not importer.is_mbox(path) and not importer.is_maildir(path):
        raise CliError(f"{path} is neither an mbox file nor a Maildir (with cur/ or new/)")
    with _store(settings) as store:
        found = _existing_user(store, name)
        accounts = store.read_sync(lambda txn: txn.accounts_for_user(found.id))
        account_id = next(a.id for a in accounts if a.is_personal)
        journal = importer.ProgressJournal(settings.data_path, path, account_id)
        if restart:
            journal.reset()
        report = asyncio.run(
            _import(store, account_id, path, mailbox, batch_size, keep_deleted, journal)
        )
    for key, reason in report.failed[:20]:
        click.echo(f"failed: message at {key}: {reason}", err=True)
    summary = f"Imported {report.imported} messages into {name}'s account"
    if report.failed:
        raise CliError(f"{summary}; {len(report.failed)} failed (listed above)")
    click.echo(summary + ".")


async def _import(
    store: Store,
    account_id: str,
    path: Path,
    mailbox: str | None,
    batch_size: int,
    keep_deleted: bool,
    journal: ProgressJournal,
) -> ImportReport:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from satchel import importer
    from satchel.mail.provision import provision_account

    await provision_account(store, account_id)
    mailbox_ids = await _mailbox_for(store, account_id, mailbox, True)
    columns = [
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        items: Iterator[tuple[importer.SourceMessage, int | None]]
        if importer.is_mbox(path):
            start = _resume_offset(journal, path)
            total = path.stat().st_size
            task = progress.add_task("mbox bytes", total=total, completed=start)
            items = importer.mbox_messages(path, start)

            def advance(batch: importer.Batch) -> None:
                progress.update(task, completed=batch.end_offset)
        else:
            done = journal.maildir_done()
            files = sum(
                len(list((path / sub).iterdir())) for sub in ("cur", "new") if (path / sub).is_dir()
            )
            task = progress.add_task("messages", total=files, completed=len(done))
            messages = importer.maildir_messages(path, keep_deleted, done)
            items = ((m, None) for m in messages)

            def advance(batch: importer.Batch) -> None:
                progress.advance(task, len(batch.messages))

        return await importer.import_batches(
            store,
            account_id,
            importer.batches(items, batch_size),
            mailbox_ids,
            journal,
            advance,
        )


def _resume_offset(journal: ProgressJournal, path: Path) -> int:
    """Where an interrupted mbox import stopped (0 for a new one)."""
    from satchel import importer

    offset = journal.mbox_offset()
    if importer.mbox_resumable(path, offset):
        return offset
    raise CliError(
        f"{path} changed since the last import stopped at byte {offset}; "
        "run again with --restart to import all of it"
    )


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
