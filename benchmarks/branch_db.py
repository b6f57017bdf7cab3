"""Time to a ready branch database, next to a bare ``initdb`` + ``pg_ctl start``.

    python benchmarks/branch_db.py [--rounds N]

Measures, on this machine: a bare initdb + pg_ctl start (the floor any private cluster
pays once), the fixture's cold private cluster (initdb + configure + start + connect), a
warm start of the same cluster (data kept from the last run), and a template clone
(register + ``CREATE DATABASE ... TEMPLATE`` + record its oid + tag + first connection, over
the private socket with scram). Targets: clone < 60 ms median,
warm start < 0.5 s. Prints medians and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from pytest_envssot.isolation.branchdb import Janitor
from pytest_envssot.isolation.pgcluster import (
    PrivateCluster,
    default_cache_root,
    find_bindir,
    server_user,
)

SCHEMA = [
    "CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, currency char(3))",
    "CREATE TABLE entries (id bigserial PRIMARY KEY, account int REFERENCES accounts, "
    "amount numeric(18, 2), booked date)",
    "CREATE INDEX entries_booked ON entries (booked)",
    "INSERT INTO accounts (name, currency) SELECT 'acct ' || g, 'SGD' FROM generate_series(1, 50) g",
]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def connect(conninfo: str) -> None:
    psycopg.connect(conninfo).close()


def bare(bindir: Path, base: Path, port: int) -> float:
    """initdb + pg_ctl start -w, with the same flags as the fixture, run as the server user."""
    data = base / "bare"
    user = server_user()
    prefix = ["runuser", "-u", user, "--"] if user else []
    base.mkdir(parents=True, exist_ok=True)
    if user:
        shutil.chown(base, user)

    def run(*cmd: str) -> None:
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, cwd=base)

    pwfile = base / "pw"
    pwfile.write_text("bench-only\n")
    if user:
        shutil.chown(pwfile, user)

    def start() -> None:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "envssot", "--auth=scram-sha-256",
            f"--pwfile={pwfile}", "--no-sync")  # fmt: skip
        run(
            str(bindir / "pg_ctl"), "start", "-D", str(data), "-w", "-l", str(base / "bare.log"),
            "-o", f"-p {port} -c listen_addresses='' -c unix_socket_directories={base}",
        )  # fmt: skip

    took = timed(start)
    run(str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w")
    shutil.rmtree(data)
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clones", type=int, default=30)
    args = parser.parse_args()
    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries found")
    base = Path(tempfile.mkdtemp(prefix="envssot-bench-", dir=default_cache_root().parent))
    base.chmod(0o755)
    try:
        bare_s = [bare(bindir, base / f"b{i}", 5990) for i in range(args.rounds)]
        cold_s, warm_s = [], []
        for i in range(args.rounds):
            cluster = PrivateCluster(base / f"c{i}", bindir, 5980, server_user())

            def ready(c: PrivateCluster = cluster) -> None:
                port, _ = c.acquire()
                connect(c.admin_conninfo(port))

            cold_s.append(timed(ready))
            cluster.release()
            for _ in range(2):
                warm_s.append(timed(ready))
                cluster.release()
        cluster = PrivateCluster(base / "c0", bindir, 5980, server_user())
        port, _ = cluster.acquire()
        janitor = Janitor(cluster.admin_conninfo(port), "b3nchb3n", "bench", file_copy=True)
        janitor.create("bench_tpl")
        with psycopg.connect(cluster.admin_conninfo(port, dbname="bench_tpl")) as conn:
            for statement in SCHEMA:
                conn.execute(statement)
        janitor.release_template("bench_tpl")
        clone_s = []
        for i in range(args.clones):
            name = f"bench_clone_{i}"

            def clone(n: str = name) -> None:
                janitor.create(n, template="bench_tpl")
                connect(cluster.admin_conninfo(port, dbname=n))

            clone_s.append(timed(clone))
            janitor.drop(name)
        janitor.drop_created()
        janitor.close()
        cluster.release()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    floor = statistics.median(bare_s)
    rows = [
        ("bare initdb + pg_ctl start", bare_s, None),
        ("cold private cluster (ready + connected)", cold_s, None),
        ("warm private cluster (ready + connected)", warm_s, 0.5),
        ("template clone (register + create + connect)", clone_s, 0.060),
    ]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"PostgreSQL binaries: {bindir}   cpus: {os.cpu_count()}   load average: {load}")
    print(f"cluster folders under {base.parent} (the fixture's default cache location)")
    print(f"{'measure':44} {'median':>9} {'min':>9} {'x bare':>8}  target")
    for label, values, target in rows:
        median = statistics.median(values)
        verdict = (
            ""
            if target is None
            else (f"< {target:g} s " + ("met" if median < target else "MISSED"))
        )
        print(
            f"{label:44} {median * 1000:8.1f}ms {min(values) * 1000:8.1f}ms "
            f"{median / floor:8.3f}  {verdict}"
        )


if __name__ == "__main__":
    main()
