"""Benchmark runner: a fresh Satchel, the shared mail corpus over LMTP, then jmapbench.

    .venv/bin/python bench/run.py --messages 5000 --clients 1,8 --duration 15

Steps: make a temporary data directory with user alice/alicepass; start `satchel serve` on free
ports (HTTP and LMTP); deliver the corpus of `load_mail.py` (fixed seed, the same mail the Cyrus
figures in its README were measured with) to alice over LMTP and print the delivery rate; deliver
extra rounds to other users to measure the rate with more LMTP connections (`--lmtp-conns 1,4`:
the corpus goes in with the first count, each further count delivers `--rate-messages` to a user
of its own, so alice's mailbox is the same whatever is measured); run `jmapbench.py` against
alice with `--server-pid`, so server CPU per request is reported; print its table.

`--reuse DATA` serves a data directory kept from an earlier run (`--keep`) instead, without
loading anything: a 100,000-message account is loaded once and measured many times.

`--versus-cyrus` runs each workload on Cyrus (started by the shared `setup-cyrus.sh`, holding the
same corpus) and then on Satchel, one workload after the other, and prints both side by side
with the ratio. These machines drift by 10-30% within minutes; measuring the two servers
minutes apart compares the machine's moods as much as the servers.

Never part of the test suite. The shared scripts live in `--bench-dir` (default
/work/shared/bench); they use only the standard library.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_BENCH_DIR = Path("/work/shared/bench")
PASSWORD = "alicepass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def satchel(*args: str, data: Path, stdin: str | None = None) -> None:
    argv = [sys.executable, "-m", "satchel", *args, "--data", str(data)]
    subprocess.run(argv, input=stdin, text=True, check=True, capture_output=True)


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"satchel serve exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
        except urllib.error.HTTPError:
            return  # 401: it is up
        except OSError:
            time.sleep(0.1)
            continue
        return
    raise SystemExit(f"satchel serve did not answer at {url}")


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens for LMTP on port {port}")


def load(
    bench_dir: Path, messages: int, rcpt: str, lmtp_port: int, conns: int, server_pid: int
) -> str:
    argv = [sys.executable, str(bench_dir / "load_mail.py"), "-n", str(messages)]
    argv += ["--lmtp", f"127.0.0.1:{lmtp_port}", "--rcpt", rcpt, "--conns", str(conns)]
    argv += ["--server-pid", str(server_pid)]
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        raise SystemExit("loading the corpus failed")
    return result.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", "-n", type=int, default=5000, help="corpus size (5000)")
    ap.add_argument("--clients", "-c", default="1,8", help="jmapbench client counts (1,8)")
    ap.add_argument("--duration", "-d", type=float, default=15.0, help="seconds per run (15)")
    ap.add_argument("--workloads", "-w", default=None, help="jmapbench workloads (all)")
    ap.add_argument("--workers", type=int, default=1, help="satchel serve --workers (1)")
    ap.add_argument("--lmtp-conns", default="1,4", help="LMTP connection counts to measure")
    ap.add_argument("--rate-messages", type=int, default=1000, help="per extra LMTP round")
    ap.add_argument("--load-only", action="store_true", help="stop after loading the corpus")
    ap.add_argument("--md", help="also write jmapbench's markdown table here")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    ap.add_argument("--reuse", type=Path, help="serve this kept data directory; load nothing")
    ap.add_argument(
        "--versus-cyrus", action="store_true", help="interleave each workload with Cyrus's run"
    )
    ap.add_argument("--cyrus-url", default="http://127.0.0.1:8008/.well-known/jmap")
    ap.add_argument("--cyrus-pid-file", type=Path, default=Path("/run/cyrus-master.pid"))
    args = ap.parse_args()

    conns = [int(c) for c in args.lmtp_conns.split(",") if c.strip()]
    reuse = args.reuse is not None
    workdir = args.reuse if reuse else Path(tempfile.mkdtemp(prefix="satchel-bench-"))
    data = reused_data(args.reuse) if reuse else workdir / "data"
    http_port, lmtp_port = free_port(), free_port()
    users = ["alice"] + [f"rate{c}x{i}" for i, c in enumerate(conns[1:])]
    for name in [] if reuse else users:
        satchel("user", "add", name, "--password-stdin", data=data, stdin=PASSWORD + "\n")
    serve = [sys.executable, "-m", "satchel", "serve", "--data", str(data)]
    serve += ["--listen", f"127.0.0.1:{http_port}", "--lmtp", f"127.0.0.1:{lmtp_port}"]
    serve += ["--workers", str(args.workers)]
    env = {**os.environ, "SATCHEL_LOG_LEVEL": "warning"}
    server = subprocess.Popen(serve, env=env, stdout=subprocess.DEVNULL)
    session_url = f"http://127.0.0.1:{http_port}/.well-known/jmap"
    try:
        wait_for_http(session_url, server)
        wait_for_port(lmtp_port)
        print(f"satchel pid {server.pid}, data {data}, {session_url}, LMTP :{lmtp_port}")
        if reuse:
            users, conns = [], []
        else:
            corpus = load(
                args.bench_dir, args.messages, "alice@localhost", lmtp_port, conns[0], server.pid
            )
            print("corpus:", corpus)
        for name, count in zip(users[1:], conns[1:], strict=True):
            rate = load(
                args.bench_dir,
                args.rate_messages,
                f"{name}@localhost",
                lmtp_port,
                count,
                server.pid,
            )
            print(f"rate ({name}):", rate)
        if args.load_only:
            return
        if args.versus_cyrus:
            versus_cyrus(args, session_url, server.pid)
            return
        bench = jmapbench_argv(args, session_url, server.pid)
        if args.workloads:
            bench += ["-w", args.workloads]
        if args.md:
            bench += ["--md", args.md]
        subprocess.run(bench, check=False)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
        if args.keep or reuse:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def reused_data(path: Path) -> Path:
    """The data directory under `path`: the directory itself or its `data/` (what `--keep`
    prints). Anything else would start an empty server that every request fails against."""
    for candidate in (path, path / "data"):
        if (candidate / "satchel.db").is_file():
            return candidate
    sys.exit(f"--reuse {path}: no satchel.db there or in its data/")


WORKLOADS = (
    "session",
    "mailbox_get",
    "query_get",
    "query_text",
    "query_text_common",
    "set_seen",
    "changes",
)
_ROW = re.compile(r"^(\w+)\s+c=(\d+)\s+([\d.]+) rps.*?srv\s+([\d.]+) cpu-ms/req")


def jmapbench_argv(args: argparse.Namespace, url: str, pid: int) -> list[str]:
    """jmapbench as alice against `url`, with the clients and duration asked for and the CPU of
    process `pid` measured."""
    bench = [sys.executable, str(args.bench_dir / "jmapbench.py"), "--url", url]
    bench += ["-u", "alice", "-p", PASSWORD, "-c", args.clients, "-d", str(args.duration)]
    return [*bench, "--server-pid", str(pid)]


def jmapbench_rows(args: argparse.Namespace, url: str, pid: int, workload: str) -> list[Any]:
    """(workload, clients, req/s, server CPU ms per request) of one jmapbench run."""
    bench = [*jmapbench_argv(args, url, pid), "-w", workload]
    out = subprocess.run(bench, check=False, capture_output=True, text=True).stdout
    rows = [m.groups() for m in map(_ROW.match, out.splitlines()) if m is not None]
    return [(name, int(c), float(rps), float(cpu)) for name, c, rps, cpu in rows]


def versus_cyrus(args: argparse.Namespace, session_url: str, satchel_pid: int) -> None:
    cyrus_pid = int(args.cyrus_pid_file.read_text().split()[0])
    workloads = args.workloads.split(",") if args.workloads else WORKLOADS
    lines = [
        "| workload | clients | Cyrus req/s | Satchel req/s | ratio"
        " | Cyrus CPU ms/req | Satchel CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for workload in workloads:
        cyrus = jmapbench_rows(args, args.cyrus_url, cyrus_pid, workload)
        ours = jmapbench_rows(args, session_url, satchel_pid, workload)
        for (name, clients, c_rps, c_cpu), (_, _, s_rps, s_cpu) in zip(cyrus, ours, strict=True):
            line = (
                f"| {name} | {clients} | {c_rps:.1f} | {s_rps:.1f} | {s_rps / c_rps:.2f}x"
                f" | {c_cpu:.2f} | {s_cpu:.2f} |"
            )
            print(line, flush=True)
            lines.append(line)
    if args.md:
        Path(args.md).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
