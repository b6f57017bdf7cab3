"""Leak canary, everywhere: no face ever prints or writes a secret value (release blocker).

One repository, the sample seeded with canary secrets in every place a secret lives
(``[VAULT]`` example values, SecretStr defaults, DSN passwords, template fallbacks, compose
defaults, Dockerfile ARG defaults, a tracked ``.env``, a value only hypothesis can find) and
drifted so that the rules fail right next to them: failure text is where leaks happen.

Every face in :data:`FACES` runs over a fresh copy of it; then every canary, and the obvious
spellings of it (repr/JSON/%q escaped, URL-encoded, base64 at any alignment), must be absent
from stdout, stderr, every file the run wrote or changed anywhere in the repository, the
JUnit XML, hypothesis' storage and the per-user cache (round-trip verdicts).

Adding a face (smoke, Vault, render...) is one line in :data:`FACES`: the command after
``pytest`` or ``envssot``, where ``{out}`` is a folder outside the repository for files the
face is told to write (it is scanned too).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import SAMPLE, copy_repo

# Each canary: letters, digits and a '/' and '+' (so URL-encoding and base64 differ), random
# enough to look real (so the hygiene rules fail next to them); all share the prefix CNRY.
EXAMPLE_CANARY = "CNRYex7Qz/Lw2+Rk5Tp3Vb8Nm4Hs6Jd9Fg1Ka0Ye"  # [VAULT] example value (40, S3-shaped)
DUPLICATE_CANARY = "CNRYdu8Wq3/Zr5+Xt7Yp2Kc4Vn6Bm9Lh1Gf0Ds"  # a duplicated example key
DEFAULT_CANARY = "CNRYdf9Rz2/Pq7+Mw4Xt6Bn8Lk1Hj3Vc5Gy0Sa"  # a SecretStr default
DSN_DEFAULT_CANARY = "CNRYdsnDf4Kq9Wz2Xr7Tm"  # password of a settings default DSN
DSN_EXAMPLE_CANARY = "CNRYdsnEx6Lp3Vy8Bn1Hc"  # password of an example DSN (bad port: fails)
FALLBACK_CANARY = "CNRYfb5Tg8/Hu2+Jk9Lm3Nq7Pr4Sv6Wx1Yz0Ab"  # a template's else fallback
DSN_FALLBACK_CANARY = "CNRYdsnFb2Wd7Qs5Ge9Rf"  # password of a fallback DSN (bad port: fails)
COMPOSE_CANARY = "CNRYco3Vb7/Nm1+Qw5Er9Ty2Ui4Op8As6Df0Gh"  # a compose ${VAR:-default}
ROOT_TOKEN_CANARY = "hvs.CNRYrootTk4Lq9VwT4zYb7NcJ5pHs3Xa"  # the Vault root token, everywhere
DOCKER_CANARY = "CNRYdk6Fg2/Hj8+Kl4Zx1Cv7Bn3Mq9Wr5Ty0Ue"  # a Dockerfile ARG default
ENVFILE_CANARY = "CNRYenv2Gx8/kq1+Zw7Rt4Yp9Lm3Vb6Nc5Hd0Js"  # a tracked .env
OPENROUTER_CANARY = "sk-or-v1-CNRY7d3f9a1c5e8b2d4f6a0c9e7b5d3f1a8c6e4b2d0f9a7c5e3b1d8f6a4c2e0"
HYPOTHESIS_CANARY = "CNRYhypoQq4Ww9"  # only hypothesis finds it (the domain spells it)
VAULT_KV_CANARY = "CNRYkv4Hq8/Tz1+Wm6Rb3Ns9Lc2Pf7Yd5Gx0Jv"  # a Vault KV value (render, --validate)
VAULT_DSN_CANARY = "CNRYkvDsn3Fw8Qz5Mr2Tb"  # password of a Vault DSN with a bad port
APP_TOKEN_CANARY = "hvs.CNRYappTk7Rm2Qx9Lw4Vz6Bc1Np"  # VAULT_APP_TOKEN of the live Vault face
SMOKE_CANARY = "CNRYsm5Kd9/Vq2+Hx7Lw4Tb8Nc1Rz6Pf3Yg0Ja"  # passwords and keys in the smoke env file
# Issue 14 B. Low-entropy ones on purpose: only classification (not the entropy scan) hides them.
LIBPQ_CANARY = ("CNRYpqA1", "CNRYpqB2")  # libpq password='two words' (smoke DATABASE_URL)
LIBPQ_BARE_CANARY = ("CNRYpbA1", "CNRYpbB2")  # libpq password=two words, unquoted
ADO_CANARY = ("CNRYadA1", "CNRYadB2")  # ADO Password=two words; (libpq quotes the second)
SHAPELESS_CANARY = "CNRYshp4"  # a secret-classified smoke value of no known shape
WRAPPED_CANARY = "CNRYwr4pQz7Lx2Vb9Tn3Hs6Jd1Fg5Rw0YcKm8Ea"  # a PEM line wrapped in .env.example
LITERAL_CANARY = "CNRYlit7"  # a Literal[...] member of a secret field (envssot vars "type")
INT_PASSWORD_CANARY = "CNRYtr0ub4&dor"  # SMTP_PASSWORD read by an int field (example-value-type)
INT_TOKEN_CANARY = "CNRYtt7&Kq"  # SESSION_TOKEN_TTL (int): a value no number, so a secret
ESCAPED_CANARY = 'CNRYes"c4pe\\d7Qx'  # a double-quoted example value with escapes
RENDER_QUOTE_CANARY = 'CNRYrq"8\\Zt'  # Vault data %q-quoted into a computed secret path
CANARIES = (
    EXAMPLE_CANARY, DUPLICATE_CANARY, DEFAULT_CANARY, DSN_DEFAULT_CANARY, DSN_EXAMPLE_CANARY,
    FALLBACK_CANARY, DSN_FALLBACK_CANARY, COMPOSE_CANARY, ROOT_TOKEN_CANARY, DOCKER_CANARY, ENVFILE_CANARY,
    OPENROUTER_CANARY, VAULT_KV_CANARY, VAULT_DSN_CANARY, SMOKE_CANARY, *LIBPQ_CANARY, *LIBPQ_BARE_CANARY,
    *ADO_CANARY, SHAPELESS_CANARY, WRAPPED_CANARY, LITERAL_CANARY, INT_PASSWORD_CANARY, INT_TOKEN_CANARY,
    ESCAPED_CANARY, RENDER_QUOTE_CANARY,
)  # fmt: skip
PREFIX = "CNRY"  # any fragment long enough to carry the prefix is a leak too

ENV = ".env.example"
CONFIG = "apps/backend/src/config.py"
APP_TMPL = "repo/finance_report/finance_report/10.app/secrets.ctmpl"
DOCKERFILE = "apps/frontend/Dockerfile"
COMPOSE = "docker-compose.yml"

# Items that must fail, so the faces really print failure text next to each canary.
EXPECTED_FAILURES = (
    f"{ENV}::no-secret-in-example[SECRET_KEY]",
    f"{ENV}::unique-env-name[S3_SECRET_KEY]",
    f"{ENV}::example-value-type[DATABASE_URL]",
    f"{ENV}::no-secret-in-example[OPENROUTER_API_KEY]",
    f"{ENV}::field-documented[API_TOKEN]",
    f"{ENV}::no-secret-in-example[VAULT_ROOT_TOKEN]",
    f"{ENV}::infra-var-not-in-app[VAULT_ROOT_TOKEN]",
    f"{APP_TMPL}::template-key-matches-var[HOOK_TOKEN]",
    f"{CONFIG}::no-secret-default[API_TOKEN]",
    f"{CONFIG}::no-secret-default[VAULT_ROOT_TOKEN]",
    f"{APP_TMPL}::template-var-has-field[WEBHOOK_TOKEN]",
    f"{APP_TMPL}::template-quoting[HOOK_TOKEN]",
    f"{APP_TMPL}::template-roundtrip[API_SECRET]",
    f"{APP_TMPL}::template-fallback-type[DATABASE_URL]",
    f"{COMPOSE}::compose-no-root-token[db]",
    ".env::env-file-ignored[.env]",
    f"{ENV}::example-value-type[SMTP_PASSWORD]",
    f"{ENV}::example-value-type[SESSION_TOKEN_TTL]",
    f"{ENV}::example-value-type[WEBHOOK_SECRET]",
)
RENDER_ERRORS = "render-errors.tmpl"  # outside discovery (*.ctmpl): only `envssot render` reads it


# --------------------------------------------------------------------------- faces


@dataclass(frozen=True)
class Face:
    """One way to run the tool: ``tool`` is ``pytest`` or ``envssot``; ``args`` may name
    ``{out}``, a folder outside the repository whose files are scanned too."""

    name: str
    tool: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, out: Path) -> list[str]:
        head = {
            "pytest": [sys.executable, "-m", "pytest", "-p", "no:benchmark"],
            "envssot": [sys.executable, "-m", "pytest_envssot.cli"],
        }[self.tool]
        return [*head, *(arg.replace("{out}", str(out)) for arg in self.args)]


VERBOSE = ("--envssot", "-vv", "-l", "-rA")
FACES = [
    Face("pytest-tb-long-junit", "pytest", (*VERBOSE, "--tb=long", "--junitxml={out}/junit.xml")),
    Face("pytest-tb-short", "pytest", (*VERBOSE, "--tb=short")),
    Face("pytest-tb-native", "pytest", (*VERBOSE, "--tb=native", "--full-trace")),
    Face("pytest-tb-line", "pytest", (*VERBOSE, "--tb=line")),
    Face("pytest-ci", "pytest", (*VERBOSE, "--tb=long", "--junitxml={out}/junit-ci.xml"), {"CI": "true"}),
    Face("pytest-xdist", "pytest", (*VERBOSE, "-n", "2", "--junitxml={out}/junit-xdist.xml")),
    Face("pytest-roundtrip-only", "pytest", (*VERBOSE, "--tb=long", "-k", "template-roundtrip")),
    Face("check-text", "envssot", ("check", ".")),
    Face("check-verbose", "envssot", ("check", ".", "-v")),
    Face("check-json", "envssot", ("check", ".", "--format", "json")),
    Face("check-sarif", "envssot", ("check", ".", "--format", "sarif")),
    Face("check-diff", "envssot", ("check", ".", "--diff")),
    Face("fix-diff", "envssot", ("fix", ".", "--diff", "--keep-orphans")),
    Face("fix-dry-run", "envssot", ("fix", ".", "--dry-run")),
    Face("fix-writes", "envssot", ("fix", ".", "--keep-orphans")),  # what it writes is checked too
    Face("check-github", "envssot", ("check", ".", "--format", "github")),
    Face("pytest-github-actions", "pytest", (*VERBOSE, "--tb=long", "-n", "2"), {"GITHUB_ACTIONS": "true"}),
    Face("pytest-envssot-only", "pytest", ("--envssot-only", "-vv", "-l", "-rA", "--tb=long")),
    Face("baseline-file", "envssot", ("baseline", ".")),
    Face("vars-text", "envssot", ("vars", ".")),
    Face("vars-json", "envssot", ("vars", ".", "--format", "json")),
    Face("pytest-import", "pytest", (*VERBOSE, "--tb=long", "--envssot-import")),
    Face("check-import", "envssot", ("check", ".", "--import", "-v")),
    Face("render-summary", "envssot", ("render", APP_TMPL, "--secrets", "vault.json", "--env", "production")),
    Face("render-validate", "envssot", ("render", APP_TMPL, "--secrets", "vault.json", "--env", "production", "--validate", "--out", "{out}/never-written.env")),
    Face("pytest-smoke", "pytest", ("--envssot-smoke", "--envssot-env-file", "smoke.env", "--envssot-smoke-timeout", "2", "-vv", "-l", "-rA", "--tb=long", "--junitxml={out}/junit-smoke.xml")),
    Face("smoke-cli", "envssot", ("smoke", ".", "--env-file", "smoke.env", "--timeout", "2")),
    # libpq key/value and ADO DSNs, secrets of no known shape: every spelling the drivers quote
    *(Face(f"pytest-smoke-{kind}", "pytest", ("--envssot-smoke", "--envssot-env-file", f"smoke-{kind}.env", "--envssot-smoke-timeout", "2", "-vv", "-l", "-rA", "--tb=long", f"--junitxml={{out}}/junit-smoke-{kind}.xml")) for kind in ("libpq", "bare", "ado")),
    *(Face(f"smoke-cli-{kind}", "envssot", ("smoke", ".", "--env-file", f"smoke-{kind}.env", "--timeout", "2")) for kind in ("libpq", "bare", "ado")),
    Face("pytest-smoke-xdist", "pytest", ("--envssot-smoke", "--envssot-env-file", "smoke-libpq.env", "--envssot-smoke-timeout", "2", "-n", "2", "-rA", "--tb=long", "--junitxml={out}/junit-smoke-xdist.xml")),
    Face("render-error-computed-path", "envssot", ("render", RENDER_ERRORS, "--secrets", "vault.json", "--env", "production")),
    Face("pytest-vault-down", "pytest", ("--envssot-vault", "production", "-vv", "-l", "-rA", "--tb=long"), {"VAULT_ADDR": "http://127.0.0.1:1", "VAULT_APP_TOKEN": APP_TOKEN_CANARY}),
]  # fmt: skip


# --------------------------------------------------------------------------- the repository


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def build_canary_repo(root: Path) -> Path:
    copy_repo(SAMPLE, root)
    # .env.example: a [VAULT] secret with a real-looking value; a duplicated key; a DSN whose
    # bad port fails the type check with the password inside; a token; the root token.
    _edit(root, ENV, "\nSECRET_KEY=changeme\n", f"\nSECRET_KEY={EXAMPLE_CANARY}\n")
    _edit(
        root,
        ENV,
        "S3_SECRET_KEY=changeme\n",
        f"S3_SECRET_KEY={DUPLICATE_CANARY}\nS3_SECRET_KEY={DUPLICATE_CANARY}\n",
    )
    _edit(
        root,
        ENV,
        "DATABASE_URL=postgresql+asyncpg://postgres:postgres@localhost:5432/finance_report\n",
        f"DATABASE_URL=postgresql://app:{DSN_EXAMPLE_CANARY}@db.internal:notaport/finance\n",
    )
    _edit(root, ENV, "OPENROUTER_API_KEY=\n", f"OPENROUTER_API_KEY={OPENROUTER_CANARY}\n")
    # B5: a password an int field reads, with no [VAULT]; a token-named int holding no number;
    # a double-quoted value whose escapes differ from the value itself.
    _edit(
        root,
        ENV,
        "# JWT signing algorithm\n",
        f"SMTP_PASSWORD={INT_PASSWORD_CANARY}\nSESSION_TOKEN_TTL={INT_TOKEN_CANARY}\n"
        f"WEBHOOK_SECRET={json.dumps(ESCAPED_CANARY)}\n"
        "# JWT signing algorithm\n",
    )
    _edit(
        root,
        ENV,
        "BASE_CURRENCY=SGD\n",
        f"BASE_CURRENCY=SGD\nVAULT_ROOT_TOKEN={ROOT_TOKEN_CANARY}\n",
    )
    # config.py: an undocumented SecretStr default, a DSN default with a password, the root token.
    _edit(
        root,
        CONFIG,
        "    # Auth\n",
        f'    # Auth\n    api_token: SecretStr = SecretStr("{DEFAULT_CANARY}")\n'
        f'    vault_root_token: str = "{ROOT_TOKEN_CANARY}"\n'
        '    api_secret: SecretStr = Field(default=SecretStr(""), validation_alias="API_SECRET")\n',
    )
    # B3/B5: a secret used as a Literal member; int fields read a password and a token's TTL.
    _edit(
        root,
        CONFIG,
        "    # Application\n",
        f'    signing_secret: Literal["{LITERAL_CANARY}", ""] = ""\n'
        "    smtp_password: int = 0\n"
        "    session_token_ttl: int = 3600\n"
        "    webhook_secret: int = 0\n"
        "    # Application\n",
    )
    _edit(
        root,
        CONFIG,
        "postgresql+asyncpg://postgres:postgres@localhost",
        f"postgresql://app:{DSN_DEFAULT_CANARY}@db.internal",
    )
    # Templates: a fallback on a var no field reads; a raw render under another key; a secret
    # whose only possible Vault value breaks the round trip (an ESC, which printf "%q" writes
    # as a Go escape python-dotenv keeps as text).
    _edit(
        root,
        APP_TMPL,
        "\n{{ end }}\n",
        f'\nWEBHOOK_TOKEN={{{{ with .Data.data.WEBHOOK_TOKEN }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}"{FALLBACK_CANARY}"{{{{ end }}}}\n'
        f'HOOK_TOKEN={{{{ with .Data.data.HOOK }}}}{{{{ . }}}}{{{{ else }}}}"{FALLBACK_CANARY}"{{{{ end }}}}\n'
        'API_SECRET={{ with .Data.data.API_SECRET }}{{ printf "%q" . }}{{ else }}""{{ end }}\n'
        "{{ end }}\n",
    )
    _edit(
        root,
        APP_TMPL,
        '{{ with .Data.data.DATABASE_URL }}{{ printf "%q" . }}{{ else }}""',
        '{{ with .Data.data.DATABASE_URL }}{{ printf "%q" . }}{{ else }}'
        f'"postgresql://app:{DSN_FALLBACK_CANARY}@db.internal:notaport/x"',
    )
    _edit(
        root,
        ENV,
        "# JWT signing algorithm\n",
        "# [VAULT] API secret\nAPI_SECRET=\n# JWT signing algorithm\n",
    )
    spelled = "".join(f"[{ch}]" for ch in HYPOTHESIS_CANARY)  # the config never holds it
    _edit(
        root,
        "pyproject.toml",
        "[tool.envssot.domains]\n",
        f'[tool.envssot.domains]\nAPI_SECRET = "regex:{spelled}[\\\\x1b]"\n',
    )
    # Compose: a secret default, the root token in an environment.
    _edit(
        root,
        COMPOSE,
        "S3_SECRET_KEY: ${S3_SECRET_KEY:-minio-local-only}",
        f"S3_SECRET_KEY: ${{S3_SECRET_KEY:-{COMPOSE_CANARY}}}",
    )
    _edit(
        root,
        COMPOSE,
        "      POSTGRES_DB: finance_report\n",
        f"      POSTGRES_DB: finance_report\n      VAULT_ROOT_TOKEN: {ROOT_TOKEN_CANARY}\n",
    )
    # Dockerfile: a build secret as an ARG default.
    _edit(
        root,
        DOCKERFILE,
        'ARG NEXT_PUBLIC_API_URL=""\n',
        f'ARG NEXT_PUBLIC_API_URL=""\nARG SENTRY_AUTH_TOKEN="{DOCKER_CANARY}"\n',
    )
    # What Vault holds (for render): a secret, and a DSN whose bad port --validate refuses.
    (root / "vault.json").write_text(
        json.dumps(
            {
                "data": {
                    "data": {
                        "SECRET_KEY": VAULT_KV_CANARY,
                        "DATABASE_URL": f"postgresql://app:{VAULT_DSN_CANARY}@db:notaport/x",
                        "QUOTED": RENDER_QUOTE_CANARY,
                    },
                    "metadata": {"version": 3},
                }
            }
        )
    )
    # B8: a secret path computed from Vault data (%q escapes what a scrubber looks for).
    (root / RENDER_ERRORS).write_text(
        '{{ with secret "secret/data/finance_report/production/app" }}'
        '{{ with secret (printf "q/%q/%s/%s" .Data.data.QUOTED .Data.data.SECRET_KEY'
        " .Data.data.DATABASE_URL) }}{{ end }}{{ end }}\n"
    )
    # B1: the same services through libpq key/value and ADO strings; a secret of no shape.
    others = (
        f"REDIS_URL=redis://:{SMOKE_CANARY}@127.0.0.1:1/0\nS3_ENDPOINT=http://127.0.0.1:1\n"
        f"S3_ACCESS_KEY={SHAPELESS_CANARY}\nS3_SECRET_KEY=Password={SHAPELESS_CANARY};\n"
        f"S3_BUCKET=finance\nOPENROUTER_API_KEY={SHAPELESS_CANARY}\n"
        "OPENROUTER_BASE_URL=http://127.0.0.1:1/api/v1\n"
    )
    pq, bare, ado = LIBPQ_CANARY, LIBPQ_BARE_CANARY, ADO_CANARY
    (root / "smoke-libpq.env").write_text(
        'DATABASE_URL="host=127.0.0.1 port=1 dbname=finance user=app '
        f"password='{pq[0]} {pq[1]}'\"\n" + others
    )
    (root / "smoke-bare.env").write_text(
        f'DATABASE_URL="host=127.0.0.1 port=1 user=app password={bare[0]} {bare[1]}"\n' + others
    )
    (root / "smoke-ado.env").write_text(
        'DATABASE_URL="Server=127.0.0.1;Port=1;Database=finance;User Id=app;'
        f'Password={ado[0]} {ado[1]};"\n' + others
    )
    # The values the smoke checks try: every service on a closed loopback port.
    (root / "smoke.env").write_text(
        f"DATABASE_URL=postgresql://app:{SMOKE_CANARY}@127.0.0.1:1/finance\n"
        f"REDIS_URL=redis://:{SMOKE_CANARY}@127.0.0.1:1/0\n"
        "S3_ENDPOINT=http://127.0.0.1:1\nS3_ACCESS_KEY=envssot-canary-access\n"
        f"S3_SECRET_KEY={SMOKE_CANARY}\nS3_BUCKET=finance\n"
        f"OPENROUTER_API_KEY={SMOKE_CANARY}\nOPENROUTER_BASE_URL=http://127.0.0.1:1/api/v1\n"
    )
    # A tracked .env (git is asked; the file is never read).
    (root / ".env").write_text(
        f"SECRET_KEY={ENVFILE_CANARY}\nOPENROUTER_API_KEY={OPENROUTER_CANARY}\n"
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "add", "-f", ".env"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "canaries"], cwd=root, check=True)
    return root  # fmt: skip


# --------------------------------------------------------------------------- spotting


def spellings(secret: str) -> set[str]:
    """The secret as output could carry it: plain, escaped, URL-encoded, base64 (any offset)."""
    out = {
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        secret.encode().hex(),
    }
    for pad in range(3):  # base64 of a longer text: the canary's bytes at each alignment
        encoded = base64.b64encode(b"\0" * pad + secret.encode()).decode()
        out.add(encoded[4 if pad else 0 : -4])
        urlsafe = base64.urlsafe_b64encode(b"\0" * pad + secret.encode()).decode()
        out.add(urlsafe[4 if pad else 0 : -4])
    return {s for s in out if len(s) >= 8}


SPELLINGS = {s: canary for canary in (*CANARIES, HYPOTHESIS_CANARY) for s in spellings(canary)}


def leaks(text: str) -> list[str]:
    found = [f"{canary!r} as {s!r}" for s, canary in SPELLINGS.items() if s in text]
    return found + ([f"the prefix {PREFIX}"] if PREFIX in text else [])


def _files(folder: Path) -> Iterator[Path]:
    if folder.exists():
        yield from (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in _files(root) if ".git" not in p.relative_to(root).parts}


# --------------------------------------------------------------------------- the tests


def test_every_spelling_is_spotted() -> None:
    text = "x" + base64.b64encode(b"ab" + EXAMPLE_CANARY.encode() + b"cd").decode()
    assert leaks(text)
    assert leaks(json.dumps({"v": FALLBACK_CANARY}))
    assert leaks(urllib.parse.quote(COMPOSE_CANARY))
    assert leaks("masked: CNRY…")
    assert not leaks("***a1b2c3 and ordinary words")


@pytest.fixture(scope="module")
def canary_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_canary_repo(tmp_path_factory.mktemp("canary") / "repo")


def test_the_canary_repo_holds_every_canary_and_drifts(canary_source: Path) -> None:
    """Guard against a vacuous pass: the canaries are there to leak, next to failing items."""
    written = b"".join(_snapshot(canary_source).values()).decode()
    for canary in CANARIES:
        if canary != WRAPPED_CANARY:  # planted by its own test, which makes the file unreadable
            assert any(s in written for s in spellings(canary)), canary
    assert HYPOTHESIS_CANARY not in written  # only hypothesis' draw can produce it


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    problems: dict[str, list[str]]  # where -> the canaries found there


def run_face(root: Path, tmp_path: Path, face: Face) -> Run:
    """Run ``face`` in ``root``; every leak in its output and in every file it wrote."""
    out, storage, cache = tmp_path / "out", tmp_path / "hypothesis", tmp_path / "cache"
    out.mkdir()
    before = _snapshot(root)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    env.update(HYPOTHESIS_STORAGE_DIRECTORY=str(storage), PYTHONDONTWRITEBYTECODE="1", **face.env)
    env.update(ENVSSOT_CACHE_DIR=str(cache))  # the per-user cache is searched too
    proc = subprocess.run(
        face.argv(out), cwd=root, env=env, capture_output=True, timeout=900, check=False
    )
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")
    problems = {"stdout": leaks(stdout), "stderr": leaks(stderr)}
    after = _snapshot(root)
    for path, data in after.items():  # files the run wrote or changed in the repository
        if before.get(path) != data:  # (envssot fix edits files that already hold canaries)
            had = leaks(before.get(path, b"").decode("utf-8", "replace"))
            found = leaks(data.decode("utf-8", "replace"))
            problems[str(path.relative_to(root))] = [f for f in found if f not in had]
    for path in [*_files(out), *_files(storage), *_files(cache)]:
        problems[str(path.relative_to(tmp_path))] = leaks(path.read_bytes().decode("latin-1"))
    found = {where: found for where, found in problems.items() if found}
    return Run(proc.returncode, stdout, stderr, found)


@pytest.mark.parametrize("face", FACES, ids=[f.name for f in FACES])
def test_no_face_leaks_a_canary(canary_source: Path, tmp_path: Path, face: Face) -> None:
    root = copy_repo(canary_source, tmp_path / "repo")
    out = tmp_path / "out"
    proc = run_face(root, tmp_path, face)
    stdout, stderr = proc.stdout, proc.stderr
    assert proc.returncode in (0, 1), stdout[-3000:] + stderr[-3000:]  # vars: 0
    if face.name == "render-validate":  # the DSN with a bad port: refused, nothing written
        assert proc.returncode == 1 and not (out / "never-written.env").exists()
    if face.name.startswith("pytest-smoke") or face.name == "pytest-vault-down":
        assert proc.returncode == 1 and " failed" in stdout, stdout[-3000:]
    if face.name.startswith("smoke-cli-"):  # the DSN was tried (or refused), masked
        assert "DATABASE_URL=" in stdout and "password=***" in stdout.lower(), stdout[-3000:]
    if face.name == "render-error-computed-path":
        assert "secret (a path computed from Vault data, not shown)" in stderr, stderr
    assert "Traceback" not in stdout + stderr and "INTERNALERROR" not in stdout + stderr
    assert proc.problems == {}
    if face.name in ("check-text", "check-verbose"):
        assert "postgresql://app:***" in stdout  # a masked DSN keeps all but the password

    shown = stdout + "".join(p.read_text(errors="replace") for p in _files(out))
    if face.tool == "pytest" and "--envssot" in face.args and "-k" not in face.args:
        for item in EXPECTED_FAILURES:
            name = item.split("::", 1)[1]
            assert name in shown, f"{item} did not fail: the face shows no failure text next to it"
    if face.args[:1] == ("check",) and "--diff" not in face.args:
        for item in EXPECTED_FAILURES:
            rule, variable = item.split("::", 1)[1][:-1].split("[", 1)
            assert rule in stdout and variable in stdout, item
    if "-k" in face.args:
        assert "template-roundtrip[API_SECRET]" in shown and "Go escapes" in shown


WRAPPED_FACES = [
    Face("pytest-junit-cache", "pytest", (*VERBOSE, "--tb=long", "--junitxml={out}/junit.xml")),
    Face("pytest-xdist", "pytest", (*VERBOSE, "-n", "2", "--junitxml={out}/junit-xdist.xml")),
    Face("check-text", "envssot", ("check", ".", "-v")),
    Face("check-json", "envssot", ("check", ".", "--format", "json")),
    Face("check-sarif", "envssot", ("check", ".", "--format", "sarif")),
    Face("check-diff", "envssot", ("check", ".", "--diff")),
    Face("vars-text", "envssot", ("vars", ".")),
    Face("vars-json", "envssot", ("vars", ".", "--format", "json")),
]


@pytest.mark.parametrize("face", WRAPPED_FACES, ids=[f.name for f in WRAPPED_FACES])
def test_a_secret_wrapped_onto_its_own_line_is_no_variable(
    canary_source: Path, tmp_path: Path, face: Face
) -> None:
    """B2: a PEM/base64 line of a secret on its own line of .env.example (no '=') is a
    layer-parses failure of that line, shown nowhere: not as a node id, a JUnit name, a
    json/sarif/vars/--diff entry, nor in pytest's own cache (the pytest faces keep it on)."""
    root = copy_repo(canary_source, tmp_path / "repo")
    _edit(
        root,
        ENV,
        "# Never true in prod\n",
        "# [VAULT] webhook signing key\nWEBHOOK_PEM=-----BEGIN PUBLIC KEY-----\n"
        f"{WRAPPED_CANARY}\n# Never true in prod\n",
    )
    proc = run_face(root, tmp_path, face)
    assert proc.returncode in (0, 1), proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.problems == {}
    if face.tool == "pytest":
        assert (root / ".pytest_cache").is_dir()  # written, and scanned above
    if face.args[:1] == ("check",) and "--diff" not in face.args:
        assert "layer-parses" in proc.stdout and "does not look like a variable name" in (
            proc.stdout
        )


SETUP_QUOTING_ITS_DSN = """
from urllib.parse import unquote, urlsplit

def upgrade(dsn):
    password = unquote(urlsplit(dsn).password or "")
    raise RuntimeError(
        f"cannot migrate {dsn} (as conninfo: host=db password='{password}' user=app;"
        f" as ADO: Password={password}; as repr: {password!r}; plain: {password})"
    )
"""


def test_a_failing_db_setup_never_shows_the_admin_password(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B9: the envssot_db_setup failure message quotes the callable's error, which quotes the
    DSN it was given; neither the admin password nor any spelling of it is shown."""
    admin = os.environ.get("ENVSSOT_DB_ADMIN_URL", "")
    password = urllib.parse.unquote(urllib.parse.urlsplit(admin).password or "")
    if len(password) < 8:
        pytest.skip("ENVSSOT_DB_ADMIN_URL with a password is not set (.ci/run sets one)")
    monkeypatch.setenv("ENVSSOT_DB_BACKEND", "admin")
    monkeypatch.setenv("BRANCH_NAME", "leak-canary")
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    pytester.makepyprojecttoml('[project]\nname = "finance_report"\n')
    pytester.makepyfile(
        migrations=SETUP_QUOTING_ITS_DSN, test_db="def test_one(envssot_branch_db):\n    pass\n"
    )
    pytester.makeini("[pytest]\nenvssot_db_setup = migrations:upgrade\n")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-vv", "-l", "--tb=long", "-rA", "--junitxml=junit.xml",
        timeout=300,
    )  # fmt: skip
    out = result.stdout.str() + result.stderr.str()
    out += (pytester.path / "junit.xml").read_text(encoding="utf-8", errors="replace")
    leaked = any(s in out for s in {*spellings(password), password})
    assert not leaked, "the admin password is in the output (not repeated here)"
    assert "envssot_db_setup failed on the template database" in out
    assert "RuntimeError: cannot migrate postgresql://" in out


DB_CANARY = "CANARYhypoQq4Ww9"


def test_a_users_hypothesis_database_never_stores_a_secrets_draw(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moved from tests/test_redaction.py. A conftest registers a database in the repository:
    the secret's only possible value (the canary) breaks the round trip, and is still shown
    nowhere and stored nowhere."""
    from pytest_envssot.rules.types_roundtrip import _example

    monkeypatch.delenv("CI", raising=False)  # hypothesis keeps a database outside CI
    # The regex spells the canary with classes, so the config itself does not contain it.
    spelled = "".join(f"[{ch}]" for ch in DB_CANARY)
    domain = f'[tool.envssot.domains]\nAPI_SECRET = "regex:{spelled}[\\\\x1b]"\n'
    for rel, text in _example("SecretStr", 'SecretStr("")', "API_SECRET", domain).items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    # An explicit example database in the repo, so "stored nowhere" is checked, not assumed.
    pytester.makeconftest(
        "from hypothesis import settings\n"
        "from hypothesis.database import DirectoryBasedExampleDatabase\n"
        "settings.register_profile('db', database=DirectoryBasedExampleDatabase('hypodb'))\n"
        "settings.load_profile('db')\n"
    )
    result = pytester.runpytest_subprocess(
        "--envssot", "-vv", "-l", "--tb=long", "-rA", "--junitxml=report.xml",
        "-k", "template-roundtrip",
    )  # fmt: skip
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 1 and "template-roundtrip[API_SECRET]" in out
    assert "Go escapes" in out
    assert DB_CANARY not in out
    written = b"".join(p.read_bytes() for p in pytester.path.rglob("*") if p.is_file())
    assert DB_CANARY.encode() not in written
    # Hypothesis' database encodes draws, so grep alone proves little: nothing is stored at all.
    assert not [p for p in (pytester.path / "hypodb").rglob("*") if p.is_file()]
