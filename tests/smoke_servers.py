"""Real servers on loopback for the smoke-check tests; each one is stopped by whoever started it.

PostgreSQL: the server .ci/run starts (``ENVSSOT_DB_ADMIN_URL``), else a private cluster with
password (scram) authentication started from the machine's binaries. Redis: redis-server with
``requirepass``. S3: moto's standalone server. AI API: an http.server checking the bearer token.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str) -> None:
    """Skip locally when a server binary is truly absent; in CI every smoke test must run."""
    if IN_CI:
        pytest.fail(f"{what} (CI must run every smoke test: see .ci/run)")
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that completes the TCP handshake and then never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username or ""
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


# --------------------------------------------------------------------------- PostgreSQL


@contextmanager
def postgres(password: str) -> Iterator[str]:
    """A DSN with a working password: CI's server, else a private scram-auth cluster."""
    admin = os.environ.get("ENVSSOT_DB_ADMIN_URL")
    if admin:
        yield admin
        return
    from pytest_envssot.isolation.pgcluster import find_bindir, server_user

    bindir = find_bindir()
    if bindir is None:
        missing("no PostgreSQL server binaries (apt-get install postgresql)")
    assert bindir is not None
    run_as = server_user()
    entry = pwd.getpwnam(run_as) if run_as else None
    parent = Path("/dev/shm") if Path("/dev/shm").is_dir() else Path("/var/tmp")
    root = Path(tempfile.mkdtemp(prefix="envssot-smoke-pg-", dir=parent))
    root.chmod(0o755)  # the server user must get in
    pwfile, data, sock = root / "pw", root / "data", root / "sock"
    pwfile.write_text(password + "\n")
    sock.mkdir()
    if entry is not None:
        for path in (root, pwfile, sock):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def run(*cmd: str) -> None:
        subprocess.run(
            cmd,
            check=True,
            capture_output=True,
            timeout=120,
            cwd=root,
            user=entry.pw_uid if entry else None,
            group=entry.pw_gid if entry else None,
            extra_groups=[] if entry else None,
        )

    port = free_port()
    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "smoke", "--auth=scram-sha-256",
            f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")  # fmt: skip
        opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={sock} -c fsync=off"
        run(
            str(bindir / "pg_ctl"),
            "start",
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-o",
            opts,
        )
        yield f"postgresql://smoke:{password}@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            run(str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- Redis


@contextmanager
def redis(password: str) -> Iterator[str]:
    """redis-server on 127.0.0.1 with ``requirepass``, no persistence; its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server not installed (apt-get install redis-server)")
    assert binary is not None
    folder = Path(tempfile.mkdtemp(prefix="envssot-smoke-redis-"))
    port = free_port()
    conf = folder / "redis.conf"  # the password stays off the command line
    conf.write_text(
        f'port {port}\nbind 127.0.0.1\nrequirepass {password}\nsave ""\nappendonly no\n'
        f'dir {folder}\ndaemonize no\nlogfile ""\n'
    )
    conf.chmod(0o600)
    proc = subprocess.Popen(
        [binary, str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(port, proc)
        yield f"redis://:{password}@127.0.0.1:{port}/0"
    finally:
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- S3 (moto)


@contextmanager
def moto() -> Iterator[str]:
    """moto's standalone server (``python -m moto.server``) on loopback; its endpoint."""
    try:
        import moto.server  # noqa: F401
    except ImportError:
        missing("moto[server] not installed (pip install -e '.[test]')")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, proc, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def create_bucket(endpoint: str, bucket: str, access_key: str, secret_key: str) -> None:
    import boto3

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)


# --------------------------------------------------------------------------- AI API


@contextmanager
def models_api(token: str) -> Iterator[str]:
    """An OpenAI-style ``GET /api/v1/models`` that answers 200 only to ``Bearer <token>``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/api/v1/models":
                self._send(404, {"error": {"message": "not found"}})
            elif self.headers.get("Authorization") != f"Bearer {token}":
                # Some APIs echo the key they got: the smoke check must scrub it from the body.
                got = self.headers.get("Authorization", "").removeprefix("Bearer ")
                message = f"Incorrect API key provided: {got}"
                self._send(401, {"error": {"message": message, "code": 401}})
            else:
                self._send(200, {"data": [{"id": "google/gemini-2.0-flash-exp:free"}]})

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
