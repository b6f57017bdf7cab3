"""Live Vault check: does Vault hold every key the templates read, for one environment?

For each ``{{ with secret PATH }}`` block the path is evaluated as Vault Agent would with
``ENV`` set to the environment asked for, read once through hvac's KV v2 API with the
read-only ``VAULT_APP_TOKEN``, and compared with the keys the block's lines read:

* ``vault-path-readable[<component>]``: the path answers (else why not: connection refused,
  no answer within the timeout, 403, 404) with ``addr`` and path in the message;
* ``vault-key-present[KEY]``: the key is there, a non-empty string, no placeholder;
* ``vault-key-orphan[KEY]``: a key at the path that no template line reads (fails).

It refuses to run at all (:class:`VaultRefused`, a usage error) with a root token: when
``VAULT_ROOT_TOKEN`` is set, or when ``auth/token/lookup-self`` shows the ``root`` policy for
``VAULT_APP_TOKEN`` or ``VAULT_TOKEN``. No value is ever put in a message: findings say
what is wrong with a value (empty, a placeholder, not a string), never what it is, and
every line still goes through a Redactor that knows the values and the tokens.
hvac is imported only here, only when the check runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pytest_envssot.config import ConfigError
from pytest_envssot.findings import Finding
from pytest_envssot.gotemplate.parser import parse_tree
from pytest_envssot.gotemplate.tree import (
    Command,
    Identifier,
    Operand,
    Pipeline,
    String,
    TemplateSyntaxError,
)
from pytest_envssot.index import Index
from pytest_envssot.model import Location, ReaderError, SecretBlock, TemplateVar
from pytest_envssot.placeholders import placeholder_kind
from pytest_envssot.redact import Redactor
from pytest_envssot.rules.base import Reporter

PRESENT, ORPHAN, READABLE = (
    Reporter("vault-key-present"),
    Reporter("vault-key-orphan"),
    Reporter("vault-path-readable"),
)
DEFAULT_TIMEOUT = 5.0
ENV_VAR = "ENV"  # what Dokploy sets per container, read by the templates' (env "ENV")


class VaultRefused(ConfigError):
    """The check cannot or must not run (root token, no address, no hvac): a usage error."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class VaultTarget:
    env: str
    addr: str
    token_name: str  # the variable the token came from; the token itself is never shown
    timeout: float = DEFAULT_TIMEOUT

    def url(self, path: str) -> str:
        return f"{self.addr.rstrip('/')}/v1/{path}"


def _tokens(environ: Mapping[str, str]) -> dict[str, str]:
    names = ("VAULT_APP_TOKEN", "VAULT_TOKEN")
    return {name: environ[name] for name in names if environ.get(name, "").strip()}


def target_from(env: str, environ: Mapping[str, str], timeout: float) -> VaultTarget:
    """Where and as whom to read; refuses a root token named as such, or a missing setting."""
    if not env.strip() or "/" in env:
        raise VaultRefused(f"--envssot-vault {env!r}: give one environment (production, pr-47)")
    if environ.get("VAULT_ROOT_TOKEN", "").strip():
        raise VaultRefused(
            "VAULT_ROOT_TOKEN is set: refusing to check Vault with a root token in the "
            "environment. Unset it and give the service's read-only VAULT_APP_TOKEN."
        )
    addr = environ.get("VAULT_ADDR", "").strip()
    if not addr:
        raise VaultRefused("--envssot-vault needs VAULT_ADDR (e.g. https://vault.example.com)")
    if not re.match(r"https?://", addr):
        raise VaultRefused(f"VAULT_ADDR {addr!r}: must start with http:// or https://")
    tokens = _tokens(environ)
    if not tokens:
        raise VaultRefused("--envssot-vault needs VAULT_APP_TOKEN, the service's read-only token")
    if timeout <= 0:
        raise VaultRefused(f"--envssot-vault-timeout {timeout}: must be positive")
    return VaultTarget(env.strip(), addr, next(iter(tokens)), timeout)


# --------------------------------------------------------------------------- paths


def _printf(fmt: str, args: list[str]) -> str:
    """Go's printf for the verbs a path uses (%s, %v, %%); anything else is not evaluated."""
    out, rest = [], iter(args)
    for part in re.split(r"(%.)", fmt):
        if part in ("%s", "%v"):
            value = next(rest, None)
            if value is None:
                raise ValueError(f"printf {fmt!r} has more verbs than arguments")
            out.append(value)
        elif part == "%%":
            out.append("%")
        elif len(part) == 2 and part[0] == "%":
            raise ValueError(f"printf verb {part} is not evaluated here")
        else:
            out.append(part)
    return "".join(out)


def _evaluate(arg: Operand, env: Mapping[str, str]) -> str:
    if isinstance(arg, String):
        return arg.value
    if isinstance(arg, Pipeline) and len(arg.commands) == 1 and not arg.decl:
        return _call(arg.commands[0], env)
    raise ValueError("only string literals, printf and env are evaluated in a secret path")


def _call(cmd: Command, env: Mapping[str, str]) -> str:
    head, args = cmd.args[0], cmd.args[1:]
    if isinstance(head, Identifier) and head.name == "printf" and args:
        return _printf(_evaluate(args[0], env), [_evaluate(a, env) for a in args[1:]])
    if isinstance(head, Identifier) and head.name == "env" and len(args) == 1:
        name = _evaluate(args[0], env)
        if name not in env:
            raise ValueError(f'the path reads env "{name}", which is not set here')
        return env[name]
    if len(cmd.args) == 1:
        return _evaluate(head, env)
    raise ValueError("only string literals, printf and env are evaluated in a secret path")


def secret_path(block: SecretBlock, env: str, environ: Mapping[str, str]) -> str:
    """The path ``block`` reads when rendered with ``ENV=env``; ValueError when unknowable."""
    try:
        nodes = parse_tree("{{ " + block.path_expr + " }}")
    except TemplateSyntaxError as exc:
        raise ValueError(f"the path does not parse on its own ({exc.message})") from None
    pipe = getattr(nodes[0], "pipe", None) if len(nodes) == 1 else None
    if not isinstance(pipe, Pipeline):
        raise ValueError("the path is not a single expression")
    return _evaluate(pipe, {**environ, ENV_VAR: env}).strip("/")


def _component(path: str, block: SecretBlock) -> str:
    last = path.rsplit("/", 1)[-1]
    return last if re.fullmatch(r"[\w.-]+", last) else f"line{block.location.line}"


def _keys_read(block: SecretBlock, template_vars: tuple[TemplateVar, ...]) -> dict[str, Location]:
    """Vault key -> the first line reading it, in template order."""
    keys: dict[str, Location] = {}
    for var in template_vars:
        if var.block == block:
            for key in var.vault_keys:
                keys.setdefault(key, var.location)
    return keys


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Read:
    data: dict[str, Any] | None  # the secret's .Data.data; None when it could not be read
    problem: str = ""  # why not, without any value
    unreachable: bool = False  # the server did not answer: no point asking again


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


def _network_problem(exc: Exception, target: VaultTarget) -> str:
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer from Vault at {target.addr} within {target.timeout:g}s"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"TLS handshake with {target.addr} failed (VAULT_CACERT?)"
    found = _ERRNO.search(str(exc))
    reason = found.group(1).strip() if found else type(exc).__name__
    return f"could not connect to Vault at {target.addr}: {reason}"


def _vault_problem(exc: Exception, target: VaultTarget, path: str) -> str:
    import hvac.exceptions as hx

    where = f"GET {target.url(path)}"
    if isinstance(exc, hx.InvalidPath):
        return (
            f"{where}: 404, no secret at this path (or its latest version is deleted). "
            f"Vault has nothing for environment '{target.env}': "
            f"vault kv put {path} KEY=... (with an admin token, not here)"
        )
    if isinstance(exc, hx.Forbidden):
        return (
            f"{where}: 403 permission denied for {target.token_name}: the token is wrong, "
            "expired, or its policy grants no read on this path"
        )
    if isinstance(exc, hx.Unauthorized):
        return f"{where}: 401 unauthorized for {target.token_name}"
    if isinstance(exc, hx.VaultDown):
        return f"{where}: 503, Vault is sealed or in maintenance"
    errors = "; ".join(str(e) for e in (getattr(exc, "errors", None) or ())) or "no details"
    return f"{where}: {type(exc).__name__} ({errors})"


def _kv2_split(path: str) -> tuple[str, str] | None:
    """``secret/data/a/b`` -> (``secret``, ``a/b``): the mount and the path inside it."""
    mount, sep, rest = path.partition("/data/")
    return (mount, rest) if sep and mount and rest else None


def _read(client: Any, target: VaultTarget, path: str) -> _Read:
    import hvac.exceptions as hx
    import requests

    split = _kv2_split(path)
    if split is None:
        return _Read(None, f"{path} is not a KV v2 path (<mount>/data/<path>)")
    try:
        response = client.secrets.kv.v2.read_secret_version(
            path=split[1], mount_point=split[0], raise_on_deleted_version=True
        )
    except requests.exceptions.RequestException as exc:
        return _Read(None, _network_problem(exc, target), unreachable=True)
    except hx.VaultError as exc:
        return _Read(None, _vault_problem(exc, target, path))
    except Exception as exc:  # e.g. a proxy's HTML page where JSON was expected
        return _Read(None, f"GET {target.url(path)}: unexpected answer ({type(exc).__name__})")
    data = response.get("data") if isinstance(response, dict) else None
    inner = data.get("data") if isinstance(data, dict) else None
    if not isinstance(inner, dict):
        return _Read(None, f"GET {target.url(path)}: the answer has no data.data (not KV v2?)")
    return _Read(inner)


def _is_root(client: Any) -> bool | None:
    """True/False from lookup-self's policies; None when the token may not look itself up."""
    import hvac.exceptions as hx

    try:
        answer = client.auth.token.lookup_self()
    except hx.VaultError:
        return None
    data = answer.get("data") if isinstance(answer, dict) else None
    policies = data.get("policies") if isinstance(data, dict) else None
    return "root" in policies if isinstance(policies, list) else None


def _client(target: VaultTarget, token: str, environ: Mapping[str, str]) -> Any:
    try:
        import hvac
    except ImportError:
        raise VaultRefused(
            "--envssot-vault needs hvac: pip install 'pytest-envssot[vault]'"
        ) from None
    verify: bool | None = None  # hvac then honours VAULT_CACERT / VAULT_CAPATH
    if environ.get("VAULT_SKIP_VERIFY", "").lower() in ("1", "true", "yes"):
        verify = False
    return hvac.Client(
        url=target.addr,
        token=token,
        timeout=target.timeout,
        verify=verify,
        namespace=environ.get("VAULT_NAMESPACE") or None,
    )


def _refuse_root(target: VaultTarget, environ: Mapping[str, str]) -> str | None:
    """Raise on a root token; return a network problem if Vault did not answer at all."""
    import requests

    for name, token in _tokens(environ).items():
        try:
            root = _is_root(_client(target, token, environ))
        except requests.exceptions.RequestException as exc:
            return _network_problem(exc, target)
        if root:
            raise VaultRefused(
                f"{name} is a root token (auth/token/lookup-self lists the root policy): "
                "refusing to check Vault with it. Use the service's read-only VAULT_APP_TOKEN."
            )
    return None


# --------------------------------------------------------------------------- findings


def _value_problem(value: object) -> str | None:
    if value is None:
        return "is null"
    if not isinstance(value, str):
        return (
            f"holds a JSON {type(value).__name__}, not a string: consul-template formats it "
            "the Go way (printf \"%q\" turns the number 65 into 'A'). Store it as a string"
        )
    kind = placeholder_kind(value)
    return None if kind is None else f"is {kind}"


@dataclass(frozen=True)
class _Block:
    block: SecretBlock
    path: str | None
    component: str
    keys: dict[str, Location]
    problem: str = ""


def _blocks(index: Index, target: VaultTarget, environ: Mapping[str, str]) -> Iterator[_Block]:
    for template in index.templates():
        seen: set[str] = set()
        for block in template.blocks:
            keys = _keys_read(block, template.vars)
            try:
                path: str | None = secret_path(block, target.env, environ)
                problem = ""
            except ValueError as exc:
                path, problem = None, str(exc)
            name = _component(path or "", block)
            name = name if name not in seen else f"{name}@{block.location.line}"
            seen.add(name)
            yield _Block(block, path, name, keys, problem)


def check_vault(
    index: Index,
    env: str,
    environ: Mapping[str, str],
    timeout: float = DEFAULT_TIMEOUT,
    redactor: Redactor | None = None,
) -> tuple[Finding, ...]:
    """Every vault-* finding for ``env``; raises :class:`VaultRefused` before reading anything
    when the check must not run."""
    target = target_from(env, environ, timeout)
    down = _refuse_root(target, environ)
    client = _client(target, _tokens(environ)[target.token_name], environ)
    findings = [_unparsed(t.error) for t in index.contract.templates if t.error is not None]
    blocks = list(_blocks(index, target, environ))
    read_on_path: dict[str, set[str]] = {}  # several blocks may read one path
    for item in blocks:
        if item.path is not None:
            read_on_path.setdefault(item.path, set()).update(item.keys)
    reads: dict[str, _Read] = {}
    values: list[str] = list(_tokens(environ).values())
    for item in blocks:
        if item.path is None:
            findings.extend(_block_findings(item, _Read(None, item.problem), target, set()))
            continue
        first = item.path not in reads
        if first:
            reads[item.path] = _Read(None, down, True) if down else _read(client, target, item.path)
            down = down or (reads[item.path].problem if reads[item.path].unreachable else None)
            values.extend(str(v) for v in (reads[item.path].data or {}).values())
        others = read_on_path[item.path] if first else None  # orphans once per path
        findings.extend(_block_findings(item, reads[item.path], target, others))
    # Belt and braces (no line holds a value): scrub every value read, except those that are
    # the public words of the lines themselves (POSTGRES_DB=finance_report, the project).
    shown = [target.addr, *reads, *(t.path for t in index.contract.templates)]
    public = {index.contract.project} | {w for s in shown for w in re.split(r"[/.:]", s) if w}
    scrub = (redactor or Redactor()).with_values(v for v in values if v not in public)
    return tuple(replace(f, lines=tuple(scrub(line) for line in f.lines)) for f in findings)


def _unparsed(error: ReaderError) -> Finding:
    return READABLE.failed(
        "",
        error.location,
        lines=(
            str(error),
            "The template does not parse, so nobody can tell which Vault paths it reads.",
        ),
    )


def _block_findings(
    item: _Block, read: _Read, target: VaultTarget, read_on_path: set[str] | None
) -> Iterator[Finding]:
    """The block's readable + present items; orphans when ``read_on_path`` is given."""
    at = item.block.location
    shown = item.path or item.block.path_expr
    if read.data is None:
        yield READABLE.failed(
            item.component,
            at,
            lines=(f"{at} reads {shown} (ENV={target.env})", f"{read.problem}."),
        )
        for key, where in item.keys.items():
            yield PRESENT.failed(
                key,
                where,
                lines=(f"{where} reads {key} from {shown}, which could not be read:", read.problem),
            )
        return
    yield READABLE.passed(item.component, at)
    for key, where in item.keys.items():
        problem = "is missing" if key not in read.data else _value_problem(read.data[key])
        if problem is None:
            yield PRESENT.passed(key, where)
            continue
        yield PRESENT.failed(
            key,
            where,
            lines=(
                f"{where} reads {key} from {target.url(shown)} (ENV={target.env}).",
                f"In Vault, {key} {problem}: the rendered file gets the {{{{ else }}}} fallback "
                "or nothing, and the app starts without it.",
                f"Set it with an admin token: vault kv patch {shown} {key}=...",
            ),
        )
    for key in sorted(
        set(read.data) - (read_on_path if read_on_path is not None else set(read.data))
    ):
        yield ORPHAN.failed(
            key,
            at,
            lines=(
                f"Vault holds {key} at {target.url(shown)} (ENV={target.env}), "
                "but no template line reads it.",
                "Render it in a template (with a settings field and a .env.example line), or "
                "remove it from the secret in Vault (with an admin token).",
            ),
        )
