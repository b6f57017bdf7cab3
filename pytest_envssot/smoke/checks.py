"""The real clients, one per kind, each behind a deadline.

psycopg, redis-py and boto3 are imported when a check runs, never before. What a check
tried and what answered go into the failure text; every credential is masked first.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import ceil
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from pytest_envssot.redact import connection_secrets, mask, show

# Each client has its own timeouts; this covers what they don't (DNS, a stuck TLS handshake).
GRACE_SECONDS = 1.0
MAX_ANSWER_CHARS = 400


class NotChecked(Exception):
    """The values do not describe a service this kind can check (e.g. a sqlite DATABASE_URL)."""


@dataclass(frozen=True)
class Attempt:
    """A check ready to run: what it will try (safe to print) and the call itself."""

    tried: str
    call: Callable[[], str]  # returns what answered on success
    secrets: tuple[str, ...]  # credential values to scrub from any text


def within(seconds: float, call: Callable[[], str]) -> str:
    """``call()`` in a daemon thread; TimeoutError when it has not returned in time."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["ok"] = call()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="envssot-smoke", daemon=True)
    worker.start()
    worker.join(seconds + GRACE_SECONDS)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {seconds:g}s")
    if "error" in box:
        raise box["error"]
    return str(box.get("ok", ""))


def answer_text(exc: BaseException) -> str:
    """A driver's error in one line (scrubbed by the caller)."""
    text = " ".join(str(exc).split())
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# userinfo up to the LAST @: a password with an unencoded @ or / must not split into a
# "host" that is really the rest of the password (over-masking is safe, under-masking leaks).
_USERINFO = re.compile(
    r"^(?P<head>[A-Za-z][\w+.\-]*://)(?P<user>[^:/@\s]*)(?::(?P<pw>.*))?@(?P<rest>[^@]*)$", re.S
)


def url_parts(url: str) -> tuple[SplitResult, str, str | None]:
    """The URL without its userinfo (for host, port, path), the user, the password as written."""
    found = _USERINFO.match(url)
    try:
        if found is None:
            return urlsplit(url), "", None
        return urlsplit(found["head"] + found["rest"]), unquote(found["user"]), found["pw"]
    except ValueError:
        return urlsplit(""), "", None


def mask_url(url: str) -> str:
    """The URL as it may be printed: the password (to the last @) masked."""
    found = _USERINFO.match(url)
    if found is None or found["pw"] is None:
        return url
    return f"{found['head']}{found['user']}:{mask(found['pw'])}@{found['rest']}"


def url_secrets(url: str) -> tuple[str, ...]:
    """The password of a URL as written and as decoded, however the URL splits."""
    found: set[str] = set()
    password = url_parts(url)[2]
    with contextlib.suppress(ValueError):
        split = urlsplit(url).password
        found |= {split, unquote(split)} if split else set()
    if password:
        found |= {password, unquote(password)}
        # Clients split such a password too, then name a piece as a "host" in their errors.
        # (lower-cased, as hostnames are)
        pieces = [piece for piece in re.split(r"[@/:?#]", password) if piece]
        found |= {*pieces, *(piece.lower() for piece in pieces)}
    return tuple(found)


def _port(parts: SplitResult, default: int) -> str:
    try:
        return str(parts.port or default)
    except ValueError:
        return "(invalid port)"


# --------------------------------------------------------------------------- PostgreSQL

_DRIVER_SCHEME = re.compile(r"^(postgres(?:ql)?)\+[\w-]+://")


def postgres(url: str, timeout: float) -> Attempt:
    conninfo = _DRIVER_SCHEME.sub(r"\1://", url)  # postgresql+asyncpg:// is SQLAlchemy's spelling
    if "://" in conninfo:
        parts, user, _ = url_parts(conninfo)
        if parts.scheme not in ("postgres", "postgresql"):
            raise NotChecked(f"not a PostgreSQL URL (scheme {parts.scheme or 'none'})")
        host = parts.hostname or "(default socket)"
        target = f"{host}:{_port(parts, 5432)}"
        database = parts.path.lstrip("/") or "(default)"
        user = user or "(default)"
    else:
        target, database, user = "(from conninfo)", "(from conninfo)", "(from conninfo)"
    tried = f"PostgreSQL at {target}, database {database}, user {user}: connect, SELECT 1"

    def call() -> str:
        import psycopg

        # libpq counts whole seconds and treats anything under 2 as 2
        with psycopg.connect(
            conninfo, connect_timeout=max(2, ceil(timeout)), autocommit=True
        ) as conn:
            row = conn.execute("SELECT 1").fetchone()
            return f"SELECT 1 returned {row[0] if row else None}"

    secrets = url_secrets(conninfo) + tuple(connection_secrets(conninfo))
    return Attempt(tried, call, secrets)


# --------------------------------------------------------------------------- Redis


def redis(url: str, timeout: float) -> Attempt:
    parts = url_parts(url)[0]
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise NotChecked(f"not a Redis URL (scheme {parts.scheme or 'none'})")
    if parts.scheme == "unix":
        where = f"socket {parts.path}"
    else:
        where = f"{parts.hostname or 'localhost'}:{_port(parts, 6379)}"
        db = parts.path.lstrip("/") or "0"
        where += f", db {db}" + (", TLS" if parts.scheme == "rediss" else "")
    tried = f"Redis at {where}: PING"

    def call() -> str:
        from redis import Redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 0),  # one try: redis-py 6+ retries 3 times by default
        )
        try:
            return f"PING returned {client.ping()}"
        finally:
            client.close()

    return Attempt(tried, call, url_secrets(url))


# --------------------------------------------------------------------------- S3


def s3(
    endpoint: str | None,
    access_key: str,
    secret_key: str,
    bucket: str,
    region: str | None,
    timeout: float,
    addressing_style: str | None = None,
) -> Attempt:
    where = endpoint or f"the AWS endpoint of {region or 'us-east-1'}"
    tried = f"S3 at {where}, bucket {bucket}, access key {mask(access_key)}: head_bucket"
    style = addressing_style or ("path" if endpoint else "auto")  # MinIO wants path style

    def call() -> str:
        import boto3  # type: ignore[import-untyped,unused-ignore]
        from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

        client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint or None,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region or "us-east-1",
            config=Config(
                connect_timeout=timeout,
                read_timeout=timeout,
                retries={"total_max_attempts": 1, "mode": "standard"},
                s3={"addressing_style": style},
            ),
        )
        try:
            meta = client.head_bucket(Bucket=bucket)["ResponseMetadata"]
            return f"head_bucket answered HTTP {meta.get('HTTPStatusCode')}"
        finally:
            client.close()

    return Attempt(tried, call, (access_key, secret_key))


def s3_answer(exc: BaseException) -> str:
    """botocore's ClientError for HEAD has no body: say what the status means."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        meaning = {
            301: "the bucket is in another region",
            403: "access denied: wrong keys, or no permission on this bucket",
            404: "no such bucket",
        }.get(status, "")
        return f"HTTP {status}" + (f" ({meaning})" if meaning else "") + f" [{answer_text(exc)}]"
    return answer_text(exc)


# --------------------------------------------------------------------------- AI API


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would resend the Authorization header to wherever a redirect points."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def ai(key: str, base_url: str, models_path: str, timeout: float) -> Attempt:
    url = base_url.rstrip("/") + models_path
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotChecked(f"base URL {show(base_url, False)} is not an http(s) URL")
    tried = f"GET {show(url, False)} with Authorization: Bearer {mask(key)}"

    def call() -> str:
        request = urllib.request.Request(
            url,
            headers={
                "Authorization": f"Bearer {key}",
                "Accept": "application/json",
                "User-Agent": "pytest-envssot smoke",
            },
        )
        opener = urllib.request.build_opener(_NoRedirect)
        with opener.open(request, timeout=timeout) as response:
            return f"HTTP {response.status} {response.reason}"

    return Attempt(tried, call, (key,))


def http_answer(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        try:
            body = exc.read(MAX_ANSWER_CHARS).decode("utf-8", "replace")
        except Exception:  # the body is a nicety; the status says enough
            body = ""
        finally:
            exc.close()
        body = " ".join(body.split())
        location = exc.headers.get("Location") if exc.headers else None
        extra = f", redirect to {location} (not followed)" if location else ""
        return f"HTTP {exc.code} {exc.reason}{extra}" + (f": {body}" if body else "")
    if isinstance(exc, urllib.error.URLError):
        return f"URLError: {exc.reason}"
    return answer_text(exc)


def elapsed_since(start: float) -> str:
    return f"{time.monotonic() - start:.2f}s"
