"""Paired A/B over HTTP: two running servers, jmapbench runs alternating between them.

    .venv/bin/python bench/ab.py set_seen --clients 1 --rounds 8 --seconds 3

Server A answers on 127.0.0.1:9400 and B on 127.0.0.1:9410 (`--a` / `--b` to change): start
each with `satchel serve --listen ... --lmtp ... --workers 2` on its own copy of one kept data
directory (`bench/run.py --load-only --keep`), the old code from a `git worktree` on
`PYTHONPATH`. Each round runs the workload on both, A first in even rounds and B first in odd
ones, so that the machine's drift falls on both alike. It prints each side's median rate and
server CPU per request, and B/A per round with its median.

These machines drift by 20-50% within minutes; a single pair says little, the median of eight
says more, and an in-process A/B (`inprocess.py`) is steadier still where it applies. Never part
of the test suite.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT_BENCH_DIR = Path("/work/shared/bench")
_RESULT = re.compile(r"([\d.]+) rps.*srv\s+([\d.]+) cpu-ms/req")


def server_pid(listen: str) -> str:
    """The pid of the `satchel serve` listening on `listen` (its command line names it)."""
    found = subprocess.run(["pgrep", "-f", "--", f"--listen {listen}( |$)"], capture_output=True)
    pids = found.stdout.decode().split()
    if not pids:
        sys.exit(f"no `satchel serve --listen {listen}` is running")
    return pids[0]


def one_run(args: argparse.Namespace, listen: str) -> tuple[float, float]:
    """(requests/s, server CPU ms per request) of one jmapbench run against `listen`."""
    command = [sys.executable, str(args.bench_dir / "jmapbench.py")]
    command += ["--url", f"http://{listen}/.well-known/jmap", "-u", "alice", "-p", "alicepass"]
    command += ["-c", str(args.clients), "-d", str(args.seconds), "-w", args.workload]
    command += ["--warmup", "1", "--server-pid", server_pid(listen)]
    out = subprocess.run(command, capture_output=True, text=True).stdout
    match = _RESULT.search(out)
    if match is None:
        sys.exit(f"jmapbench printed no result for {listen}:\n{out}")
    return float(match.group(1)), float(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workload")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--a", default="127.0.0.1:9400", help="server A's HOST:PORT")
    parser.add_argument("--b", default="127.0.0.1:9410", help="server B's HOST:PORT")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    args = parser.parse_args()

    results: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
    for n in range(args.rounds):
        order = [("A", args.a), ("B", args.b)]
        for side, listen in order if n % 2 == 0 else order[::-1]:
            results[side].append(one_run(args, listen))
    for side in ("A", "B"):
        rates = [rate for rate, _ in results[side]]
        cpus = [cpu for _, cpu in results[side]]
        print(
            f"{side}: {statistics.median(rates):.0f} req/s median,"
            f" {statistics.median(cpus):.3f} server CPU ms/req median"
        )
    ratios = [b[0] / a[0] for a, b in zip(results["A"], results["B"], strict=True)]
    each = " ".join(f"{r:.2f}" for r in ratios)
    print(f"B/A per round: {each}; median {statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
