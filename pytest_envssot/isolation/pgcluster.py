"""A private PostgreSQL cluster per branch and workspace, started with the machine's binaries.

The data folder lives in a cache folder and survives the run, so the next run of the same
branch only starts the server (a warm start). It runs with fsync off: it holds test data only.
As root it runs as an unprivileged user, since ``initdb`` and ``postgres`` refuse root.

Nobody else on the machine may reach it: a superuser session can run ``COPY ... TO PROGRAM``
as the server's account. So no TCP (``listen_addresses = ''`` unless ``ENVSSOT_PG_TCP=1``),
a unix socket (mode 0700) in a 0700 folder, and scram-sha-256 for every connection with a
random password kept in a 0600 file: there is no ``trust`` line anywhere.

Several processes share one cluster (xdist workers, overlapping runs): each holds an
exclusive ``flock`` on its own file under ``users/`` for as long as it uses the cluster; the
last one out stops the server. The kernel drops the lock of a process killed with SIGKILL,
whatever PID namespace it ran in, so a dead user is told apart by a lock anyone can take,
never by its pid; ``prune_idle`` stops clusters whose users are all dead. No pytest here.
"""

from __future__ import annotations

import fcntl
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pytest_envssot.isolation.naming import BRANCH_PORTS

SUPERUSER = "envssot"
REQUIRED = ("initdb", "pg_ctl", "postgres")
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found via "
    "ENVSSOT_PG_BINDIR, `pg_config --bindir`, PATH or /usr/lib/postgresql/*/bin. Install them "
    "(Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; "
    "macOS: brew install postgresql@16), or point --envssot-db-admin-url / "
    "ENVSSOT_DB_ADMIN_URL at a running server."
)
# Test data only: durability off; reachable through the private socket only.
SERVER_SETTINGS = {
    "listen_addresses": "''",
    "unix_socket_permissions": "0700",
    "password_encryption": "'scram-sha-256'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
}


# Every connection proves the password; TCP (only when asked for) from loopback only.
HBA = (
    "# pytest-envssot: a private test cluster, password (scram) only\n"
    "local all all scram-sha-256\n"
    "host all all 127.0.0.1/32 scram-sha-256\n"
)
MIN_SHM_FREE = 1 << 30  # Docker's default 64 MB /dev/shm would fill up: use disk there
CLUSTER_DIR = re.compile(r"[0-9a-f]{8}-[0-9a-f]{8}")  # <workspace8>-<branch digest8>


class ClusterError(Exception):
    """The private cluster could not be set up; the message says what to do."""


def find_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    candidates: list[str] = []
    if os.environ.get("ENVSSOT_PG_BINDIR"):  # explicit: used alone, never silently replaced
        candidates.append(os.environ["ENVSSOT_PG_BINDIR"])
        return _first_complete(candidates)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    for tool in ("pg_ctl", "initdb"):
        found = shutil.which(tool)
        if found:
            candidates.append(str(Path(found).resolve().parent))
    versioned = glob.glob("/usr/lib/postgresql/*/bin") + glob.glob("/usr/pgsql-*/bin")
    candidates += sorted(versioned, key=_version_key, reverse=True)
    return _first_complete(candidates)


def _first_complete(candidates: list[str]) -> Path | None:
    for candidate in candidates:
        if candidate and all(os.access(Path(candidate) / t, os.X_OK) for t in REQUIRED):
            return Path(candidate)
    return None


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)


def default_cache_root() -> Path:
    """``ENVSSOT_PG_CACHE``, else memory-backed ``/dev/shm`` when there is one, else a cache
    folder on disk (as root, one the unprivileged server user can reach).

    Cloning a template copies its files (about 7 MB of catalogs): on tmpfs that takes
    milliseconds, on a busy disk hundreds. tmpfs still keeps the cluster between runs,
    until a reboot, after which the next run starts cold.
    """
    if os.environ.get("ENVSSOT_PG_CACHE"):
        return Path(os.environ["ENVSSOT_PG_CACHE"])
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) and _free_bytes(shm) >= MIN_SHM_FREE:
        return shm / f"pytest-envssot-pg-{os.geteuid()}"
    if os.geteuid() == 0:
        return Path("/var/tmp/pytest-envssot-pg")
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytest-envssot" / "pg"


def _free_bytes(path: Path) -> int:
    info = os.statvfs(path)
    return info.f_bavail * info.f_frsize


def prune_idle(
    cache_root: Path, keep: Path, max_idle_days: float = 7.0, bindir: Path | None = None
) -> list[Path]:
    """Stop clusters every user of which is dead (a run killed with SIGKILL leaves its server
    running, reachable by nobody but still holding memory), and remove stopped clusters of
    other branches not used for ``max_idle_days`` (the cache would otherwise grow with every
    branch ever tested). Stopping needs ``bindir``; without it running clusters are kept."""
    removed = []
    cutoff = time.time() - max_idle_days * 86400
    for folder in cache_root.iterdir():
        lock = folder / "lock"
        ours = CLUSTER_DIR.fullmatch(folder.name) and (folder / "users").is_dir()
        if not ours or folder == keep or not lock.exists():
            continue
        if (folder / "data" / "postmaster.pid").exists():
            if bindir is None:
                continue
            # As root, pg_ctl runs as whoever owns the data (it refuses root).
            owner = (folder / "data").owner() if os.geteuid() == 0 else None
            cluster = PrivateCluster(folder, bindir, BRANCH_PORTS.start, owner)
            try:
                if not cluster.stop_if_abandoned():
                    continue
            except (ClusterError, OSError, KeyError):  # not ours to stop: leave it
                continue
        if lock.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def server_user() -> str | None:
    """The unprivileged user to run the server as when we are root; None when not root."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("ENVSSOT_PG_USER"), "postgres", "nobody"):
        if not name:
            continue
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise ClusterError("running as root and no unprivileged user (postgres, nobody) exists")


def process_token(pid: int) -> str:
    """pid plus its start time: names a user's file; says who, never whether it lives."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return f"{pid}:{fields[19]}"
    except (OSError, IndexError):
        return f"{pid}:"


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def probe_ports(preferred: int) -> Iterator[int]:
    """``preferred``, then the next ports of 5400-5999 in turn, wrapping around."""
    start = preferred - BRANCH_PORTS.start
    for offset in range(len(BRANCH_PORTS)):
        yield BRANCH_PORTS.start + (start + offset) % len(BRANCH_PORTS)


@dataclass
class PrivateCluster:
    """One cluster folder: ``data/``, ``sock/``, ``password``, ``server.log``, ``lock``,
    ``users/``."""

    root: Path
    bindir: Path
    preferred_port: int
    run_as: str | None = None
    tcp: bool = field(default_factory=lambda: os.environ.get("ENVSSOT_PG_TCP") == "1")
    _hold: IO[str] | None = field(default=None, init=False, repr=False)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sock(self) -> Path:
        return self.root / "sock"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    def admin_conninfo(self, port: int, dbname: str = "postgres") -> str:
        """libpq key/value string: the private socket, the superuser and its password."""
        password = self.password_file.read_text(encoding="ascii").strip()
        params = {
            "host": str(self.sock),
            "port": str(port),
            "user": SUPERUSER,
            "dbname": dbname,
            "password": password,
        }
        return " ".join(f"{key}={_quote(value)}" for key, value in params.items())

    # ------------------------------------------------------------------ lifecycle

    def acquire(self, label: str = "") -> tuple[int, str]:
        """Initialise (cold) or start (warm) the cluster, register this process; the port
        and how it got ready: ``running``, ``warm`` or ``cold``."""
        self._prepare_root(label)
        with self._locked():
            self._register()
            state = "running"
            if (self.data / "PG_VERSION").exists() and not self.password_file.exists():
                self.stop()  # made by a version that trusted every local user: start afresh
                shutil.rmtree(self.data)
            if not (self.data / "PG_VERSION").exists():
                self._initdb()
                state = "cold"
            port = self.running_port()
            if port is None:
                port = self._start()
                state = "warm" if state == "running" else state
            return port, state

    def release(self) -> bool:
        """Unregister this process; stop the server when no live process uses it. True if stopped."""
        with self._locked():
            if self._hold is not None:
                Path(self._hold.name).unlink(missing_ok=True)
                self._hold.close()  # closing drops the flock
                self._hold = None
            if self._live_users():
                return False
            self.stop()
            return True

    def stop_if_abandoned(self) -> bool:
        """Stop the server when every process that used it is gone. True if it is stopped
        now; False when someone uses it or is acquiring it this very moment."""
        try:
            with self._locked(blocking=False):
                if self._live_users():
                    return False
                self.stop()
                return True
        except BlockingIOError:
            return False

    def stop(self) -> None:
        if self.running_port() is not None:
            self._run(self.bindir / "pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")

    def running_port(self) -> int | None:
        """The port of a live server on this data folder, from ``postmaster.pid``."""
        if not (self.data / "postmaster.pid").exists():
            return None
        status = self._call(self.bindir / "pg_ctl", "status", "-D", str(self.data))
        if status.returncode != 0:
            return None
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            return None

    # ------------------------------------------------------------------ internals

    def _prepare_root(self, label: str) -> None:
        base = self.root.parent
        base.mkdir(parents=True, exist_ok=True, mode=0o755)
        shared = base.parent.stat().st_mode & stat.S_ISVTX  # /dev/shm, /tmp, /var/tmp
        if shared and base.stat().st_uid != os.geteuid():  # planted by another user
            raise ClusterError(f"{base} belongs to another user; set ENVSSOT_PG_CACHE elsewhere")
        for folder in (self.root, self.sock, self.root / "users"):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder.chmod(0o700)  # also when an older version made it
        (self.root / "lock").touch()  # its mtime says when the cluster was last used
        prune_idle(base, keep=self.root, bindir=self.bindir)
        if label:
            (self.root / "branch").write_text(label + "\n", encoding="utf-8", errors="replace")
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            self._check_reachable(entry.pw_uid, entry.pw_gid)
            for path in (self.root, self.sock):
                os.chown(path, entry.pw_uid, entry.pw_gid)

    def _check_reachable(self, uid: int, gid: int) -> None:
        """Every parent of the cache folder must let the server user through."""
        for parent in self.root.resolve().parents:
            info = parent.stat()
            bit = (
                stat.S_IXUSR
                if info.st_uid == uid
                else stat.S_IXGRP
                if info.st_gid == gid
                else stat.S_IXOTH
            )
            if not info.st_mode & bit:
                raise ClusterError(
                    f"the server runs as {self.run_as!r}, which cannot enter {parent}: set "
                    "ENVSSOT_PG_CACHE to a folder it can reach (default /var/tmp/pytest-envssot-pg)"
                )

    @contextmanager
    def _locked(self, blocking: bool = True) -> Iterator[None]:
        with open(self.root / "lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _register(self) -> None:
        """Hold an exclusive flock on our own file under ``users/`` until ``release``."""
        if self._hold is not None:
            return
        name = f"{process_token(os.getpid()).replace(':', '-')}-{secrets.token_hex(4)}"
        handle = open(self.root / "users" / name, "w")  # noqa: SIM115 - held until release
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(f"{process_token(os.getpid())} {socket.gethostname()}\n")
        handle.flush()
        self._hold = handle

    def _live_users(self) -> list[str]:
        """Files under ``users/`` whose flock is still held; the others are removed."""
        live = []
        for entry in (self.root / "users").iterdir():
            try:
                with open(entry, "a") as probe:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                live.append(entry.name)
                continue
            except OSError:  # vanished meanwhile, or not a file we can open: not a user
                pass
            entry.unlink(missing_ok=True)  # left by a killed run
        return live

    def _call(self, *cmd: str | Path) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL tool, as the server user when we are root (they refuse root)."""
        entry = pwd.getpwnam(self.run_as) if self.run_as else None
        return subprocess.run(
            [str(c) for c in cmd],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            user=entry.pw_uid if entry else None,
            group=entry.pw_gid if entry else None,
            extra_groups=[] if entry else None,
            cwd=self.root if entry else None,
        )

    def _run(self, *cmd: str | Path) -> str:
        proc = self._call(*cmd)
        if proc.returncode != 0:
            raise ClusterError(
                f"{Path(str(cmd[0])).name} failed ({proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-2000:]}"
            )
        return proc.stdout

    def _initdb(self) -> None:
        if self.data.exists():  # a half-made folder from an interrupted initdb
            shutil.rmtree(self.data)
        self._write_password()
        self._run(
            self.bindir / "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=scram-sha-256",
            f"--pwfile={self.password_file}",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        settings = {**SERVER_SETTINGS, "unix_socket_directories": f"'{self.sock}'"}
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# pytest-envssot: a private test cluster\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        (self.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")

    def _write_password(self) -> None:
        """A fresh random password, readable by its owner only (the server user reads it
        once, for initdb; as root that user owns the data anyway)."""
        self.password_file.unlink(missing_ok=True)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
        if self.run_as:
            entry = pwd.getpwnam(self.run_as)
            os.chown(self.password_file, entry.pw_uid, entry.pw_gid)

    def _start(self) -> int:
        problems: list[str] = []
        for attempt, port in enumerate(probe_ports(self.preferred_port)):
            if attempt >= 20:
                break
            if not port_is_free(port):
                continue
            try:
                self._run(
                    self.bindir / "pg_ctl",
                    "start",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {port} -c listen_addresses={'127.0.0.1' if self.tcp else _EMPTY}",
                )
            except ClusterError as exc:  # lost a race for the port, or a real failure
                problems.append(str(exc))
                if self.running_port() is not None:
                    break
                continue
            return port
        running = self.running_port()
        if running is not None:
            return running
        tail = self.log.read_text(errors="replace")[-1500:] if self.log.exists() else ""
        raise ClusterError(
            "could not start the private PostgreSQL cluster in "
            f"{self.data}: {'; '.join(problems[-2:])}\n{tail}"
        )


_EMPTY = "''"  # listen_addresses = '': no TCP socket at all


def _quote(value: str) -> str:
    """A libpq key/value: quoted, with backslash and quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
