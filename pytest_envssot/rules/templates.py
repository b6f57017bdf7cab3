"""Layer 1 hygiene: how a template renders each var and which Vault path it reads.

* ``template-quoting``: every Vault value is quoted for the consumer that reads the rendered
  file back (``[tool.envssot] consumer``), and a missing key falls back explicitly.
* ``template-key-matches-var``: ``KEY=`` renders ``.Data.data.KEY``; composed values (built
  from several keys, or one key inside other text such as a DSN) pass and say so.
* ``vault-path-convention``: ``secret/data/<project>/<env>/<component>``, env from ``env "ENV"``.

Template fallbacks are never echoed: they can hold a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_envssot.config import match_paths
from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import Layer, SecretBlock, TemplateVar
from pytest_envssot.pysettings.domains import domain_may_contain
from pytest_envssot.quoting import DEFAULT_CONSUMER
from pytest_envssot.rules import _edits
from pytest_envssot.rules._compose import compose_fix, name_chars
from pytest_envssot.rules._consumer import INFERRED, consumer_of
from pytest_envssot.rules._text import template_line
from pytest_envssot.rules._typed import var_domain
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, seed_repo, tmpl_line

VAULT_PATH_CONVENTION = Reporter("vault-path-convention")

TEMPLATE_KEY_MATCHES_VAR = Reporter("template-key-matches-var")

TEMPLATE_QUOTING = Reporter("template-quoting")


def _distinct_vars(index: Index) -> Iterator[TemplateVar]:
    """Each var once per template (a repeated line is unique-env-name's business)."""
    for template in index.templates():
        seen: set[str] = set()
        for var in template.vars:
            if var.name not in seen:
                seen.add(var.name)
                yield var


# --------------------------------------------------------------------------- template-quoting

_WITH = lazy_compile(r"\{\{-?\s*with\b")
_SAFE_BARE = lazy_compile(r"[^\s#'\"\\$`]*")  # what python-dotenv reads back unchanged unquoted
# '{{ ... | replaceAll "'" "'\\''" }}': the one quoting a POSIX shell reads back verbatim.
_SHELL_SINGLE = lazy_compile(r"^'.*replaceAll\s+\"'\"\s+.*'$", re.S)
# Who reads the rendered file (quoting.CONSUMERS; [tool.envssot] consumer, per template glob).
_READERS = {
    "pydantic-settings": "python-dotenv",
    "docker-env-file": "docker run --env-file",
    "posix-shell": "`. file` in a POSIX shell",
}


def _missing_key_problem(var: TemplateVar) -> str | None:
    if var.fallback is not None or var.composed:
        return None
    if _WITH.search(var.value_source):
        return (
            "it has no {{ else }}: a key missing from Vault silently renders an empty value. "
            "Write the fallback out so readers (and template-fallback-type) see what production gets."
        )
    return (
        "it reads the key without {{ with }}…{{ else }}: a key missing from Vault renders "
        "'<no value>' (or '%!q(<nil>)' through printf), a non-empty value the app accepts."
    )


def _dotenv_problems(var: TemplateVar) -> list[str]:
    problems = []
    if not var.quoted:
        problems.append(
            "it renders the Vault value raw: python-dotenv cuts an unquoted value at ' #', strips "
            "quotes and stops at a newline, so such a value reaches pydantic changed. "
            'Quote it with printf "%q" (python-dotenv decodes its escapes).'
        )
    fallback = (var.fallback or "").strip()
    bare = fallback and "{{" not in fallback and fallback[0] not in "\"'"
    if bare and not _SAFE_BARE.fullmatch(fallback):
        problems.append(
            "its {{ else }} fallback is written bare and holds a space, '#', '$', a quote or "
            'a backslash, which python-dotenv reads back changed. Quote it ("…").'
        )
    return problems


def _docker_env_file_problems(var: TemplateVar) -> list[str]:
    problems = []
    if var.quoted:
        problems.append(
            'it quotes the value with printf "%q", but docker --env-file keeps every byte after '
            "'=': the app receives the quote characters and backslashes too. Render it raw."
        )
    text = var.value_source.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" and "{{" in text:
        problems.append(
            f"it writes the value inside literal {text[0]} quotes, and docker --env-file passes "
            "them on as part of the value. Render it without them."
        )
    fallback = (var.fallback or "").strip()
    if fallback and "{{" not in fallback and fallback[0] in "\"'":
        problems.append(
            "its {{ else }} fallback is quoted, and docker --env-file passes the quotes on "
            "literally. Write it bare ({{ else }}{{ end }} for empty)."
        )
    return problems


def _shell_problems(var: TemplateVar) -> list[str]:
    if _SHELL_SINGLE.match(var.value_source.strip()):
        return []
    how = 'quotes it with printf "%q"' if var.quoted else "renders it unquoted"
    return [
        f"it {how}, and a shell still expands $NAME, $(...) and backticks in that value (and "
        "does not decode %q's escapes). Only single quotes keep it verbatim, with each ' "
        "written as '\\''."
    ]


_SIMPLE_QUOTED = lazy_compile(r'"([^"\\$`{}]*)"')


def _bare_fallback(var: TemplateVar, forbidden: str) -> str:
    """The user's fallback written for a consumer that takes it verbatim (``"x"`` -> ``x``)."""
    fallback = (var.fallback or "").strip()
    simple = _SIMPLE_QUOTED.fullmatch(fallback)
    text = simple.group(1) if simple else fallback
    return "" if any(c in text for c in forbidden) else text


def _quoting_fix(var: TemplateVar, consumer: str) -> str | None:
    """The line rendered right for ``consumer``; it keeps what the line means: the same
    composition, the user's own fallback. None when no mechanical rewrite keeps it."""
    if var.composed:
        return compose_fix(var, consumer)
    key = var.vault_keys[0]
    prefix = ("export " if var.exported else "") + f"{var.name}="
    if consumer == "docker-env-file":
        fallback = _bare_fallback(var, "\n")
        return f"{prefix}{{{{ with .Data.data.{key} }}}}{{{{ . }}}}{{{{ else }}}}{fallback}{{{{ end }}}}"
    if consumer == "posix-shell":
        fallback = _bare_fallback(var, "'\n")
        return (
            f"{prefix}'{{{{ with .Data.data.{key} }}}}"
            f"""{{{{ . | replaceAll "'" "'\\\\''" }}}}{{{{ else }}}}{fallback}{{{{ end }}}}'"""
        )
    fallback = var.fallback if var.fallback is not None else '""'
    return f'{prefix}{{{{ with .Data.data.{key} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}{fallback}{{{{ end }}}}'


# python-dotenv: what ends or changes a value written inside "...", inside '...', or bare.
_DOTENV_UNSAFE = {'"': '"\\\n', "'": "'\\\n", "": " \t#\"'\\\n"}


def _composed_dotenv_problems(index: Index, var: TemplateVar) -> list[str]:
    """A composition not quoted with printf "%q" is safe only while its Vault values cannot
    hold what ends or changes its quoting: judged by each key's value domain."""
    if var.quoted:
        return []
    text = var.value_source.strip()
    wrap = text[0] if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'" else ""
    risky: list[str] = []
    for key in dict.fromkeys(var.vault_keys):
        domain = var_domain(index, key)
        chars = [c for c in _DOTENV_UNSAFE[wrap] if domain_may_contain(domain, c)]
        if chars:
            risky.append(f"{key} (domain {domain}) may hold {name_chars(''.join(chars))}")
    if not risky:
        return []
    how = f"inside literal {wrap}…{wrap} quotes" if wrap else "unquoted"
    return [
        f"it builds the value from Vault values {how}, and {'; '.join(risky)}: python-dotenv "
        "then ends the value early or decodes it, so the composition reaches pydantic changed. "
        'Quote the whole composition with printf "%q" (python-dotenv decodes its escapes), '
        "or declare the keys' domains ([tool.envssot.domains])."
    ]


def _quoting_problems(index: Index, var: TemplateVar, consumer: str) -> list[str]:
    if consumer == "docker-env-file":
        return _docker_env_file_problems(var)
    if consumer == "posix-shell":
        return _shell_problems(var)
    if var.composed:
        return _composed_dotenv_problems(index, var)
    return _dotenv_problems(var)


def _consumer_configured(index: Index, path: str) -> bool:
    """A consumer is named for this template (the last entry is the built-in default)."""
    return any(
        pattern == "**" or match_paths(pattern, [path]) for pattern, _ in index.config.consumer[:-1]
    )


def _foreign_templates(index: Index) -> set[str]:
    """Templates no settings field reads anything from, with no consumer named for them: the
    rendered file goes to another program (a postgres or redis image's env_file, a shell
    script), so how python-dotenv would read it says nothing."""
    foreign = set()
    for template in index.templates():
        if _consumer_configured(index, template.path):
            continue
        scope = index.settings_paths_for_template(template.path)
        if not any(index.fields_reading(v.name, scope) for v in template.vars):
            foreign.add(template.path)
    return foreign


def template_quoting(index: Index) -> Iterator[Finding]:
    foreign = _foreign_templates(index)
    for var in _distinct_vars(index):
        rule, at = TEMPLATE_QUOTING, var.location
        if not var.vault_keys:
            yield rule.passed(var.name, at, lines=("renders no Vault value",))
            continue
        consumer, source = consumer_of(index, var.location.path)
        # A file no field reads from goes to another program: unless a compose file or the
        # configuration names that program, only what fails for every consumer (a missing key
        # rendering '<no value>') is judged.
        named = source.startswith(INFERRED) or consumer != DEFAULT_CONSUMER
        elsewhere = var.location.path in foreign and not named
        problems = [] if elsewhere else _quoting_problems(index, var, consumer)
        if consumer == "posix-shell" and var.quoted and source.startswith(INFERRED):
            # A shell expanding $ inside %q's double quotes threatens every value alike: a
            # hazard of the consumer, not of this line (issue 13, class 4).
            problems = []
        missing = _missing_key_problem(var)
        problems += [missing] if missing else []
        if not problems:
            lines = (
                f"no settings field reads what {var.location.path} renders, so its file goes "
                "to another program: name that consumer under [tool.envssot.consumer] (e.g. "
                '"docker-env-file" for a compose env_file) to have its quoting checked',
            )
            yield rule.passed(var.name, at, lines=lines if elsewhere else ())
            continue
        reader = _READERS.get(consumer, consumer)
        fix = _quoting_fix(var, consumer)
        how = (
            "Render it like this (the same value, quoted for its consumer):"
            if fix is not None
            else "Build the whole value in one printf and quote that (the value has branches "
            "no mechanical rewrite keeps)."
        )
        yield rule.failed(
            var.name,
            at,
            lines=(
                template_line(var),
                f"the rendered file is read by {consumer} ({reader}; {source}), and",
                *(f"- {p}" for p in problems),
                how,
            ),
            fix=(fix,) if fix is not None else (),
            edit=_edits.template_quote(var, consumer) if fix is not None else None,
        )


# --------------------------------------------------------------------------- template-key-matches-var


def _shared_keys(index: Index) -> dict[tuple[str, str], set[str]]:
    """(secret path, Vault key) -> the names it is rendered under, over every template."""
    names: dict[tuple[str, str], set[str]] = {}
    for template in index.templates():
        for var in template.vars:
            if len(var.vault_keys) == 1 and not var.composed:
                path = var.block.path_expr if var.block else ""
                names.setdefault((path, var.vault_keys[0]), set()).add(var.name)
    return names


def _mapping_reason(
    var: TemplateVar, shared: dict[tuple[str, str], set[str]], foreign: set[str]
) -> str | None:
    """Why ``KEY=`` rendering another key's value is a deliberate mapping, not a drift."""
    key = var.vault_keys[0]
    others = shared.get((var.block.path_expr if var.block else "", key), set()) - {var.name}
    if others:
        # one Vault value handed to several programs under each one's name: no rename fits all
        return f"Vault key {key} is also rendered as {', '.join(sorted(others))}: one value, each consumer's name"
    if var.location.path in foreign and not _near_miss(key, var.name):
        return (
            f"no settings field reads what {var.location.path} renders: {var.name} is the name "
            f"its program expects, mapped from Vault's {key}"
        )
    return None


_NEAR_MISS = 0.85  # a key this close to the name is a misspelling of it (POSTGRES_PASWORD)


def _near_miss(key: str, name: str) -> bool:
    key, name = key.upper(), name.upper()
    if key == name:  # ratio 1.0: the usual case (POSTGRES_USER=POSTGRES_USER) needs no difflib
        return True
    from difflib import SequenceMatcher

    return SequenceMatcher(None, key, name).ratio() >= _NEAR_MISS


def template_key_matches_var(index: Index) -> Iterator[Finding]:
    shared, foreign = _shared_keys(index), _foreign_templates(index)
    for var in _distinct_vars(index):
        rule, at = TEMPLATE_KEY_MATCHES_VAR, var.location
        keys = var.vault_keys
        mapped = None if not keys or var.composed else _mapping_reason(var, shared, foreign)
        if not keys:
            yield rule.passed(var.name, at, lines=("renders no Vault key",))
        elif var.composed:
            yield rule.passed(
                var.name,
                at,
                lines=(
                    f"composed from Vault key{'s' if len(keys) > 1 else ''} {', '.join(keys)} "
                    "(a value built around them, not a renamed key)",
                ),
            )
        elif keys[0] == var.name:
            yield rule.passed(var.name, at)
        elif keys[0] == var.name.lower():
            # jwt_secret_key -> JWT_SECRET_KEY: Vault's lower-case convention, not a drifted name
            yield rule.passed(var.name, at,
                          lines=(f"Vault key {keys[0]} is {var.name} in Vault's lower-case spelling",))  # fmt: skip
        elif mapped is not None:
            yield rule.passed(var.name, at, lines=(mapped,))
        else:
            case = " Vault keys are case-sensitive." if keys[0].upper() == var.name.upper() else ""
            yield rule.failed(
                var.name,
                at,
                lines=(
                    template_line(var),
                    f"{var.name}= renders the Vault key {keys[0]}: the name in Vault and the name "
                    f"the app reads have drifted apart, so `vault kv put … {var.name}=…` changes "
                    f"nothing.{case}",
                    f"Rename the key in Vault to {var.name} and render it:",
                ),
                fix=(
                    f'{var.name}={{{{ with .Data.data.{var.name} }}}}{{{{ printf "%q" . }}}}'
                    '{{ else }}""{{ end }}',
                ),
                edit=_edits.manual(
                    at, "the key has to be renamed in Vault (every environment) first"
                ),
            )


# --------------------------------------------------------------------------- vault-path-convention

_CONVENTION = re.compile(r"secret/data/(?P<project>[^/%]+)/%s/(?P<component>[^/%]+)")
_ENV_SEGMENT = re.compile(
    r"(?i)^(?:production|prod|staging|stage|stg|development|dev|local|ci|qa|test|uat|preview|pr-?\d+)$"
)
ENV_VAR = "ENV"


def _component(block: SecretBlock) -> str:
    text = _path_text(block) or block.path_expr
    last = text.rstrip("/").rsplit("/", 1)[-1].strip("\"'` )")
    return last if re.fullmatch(r"[\w.-]+", last) else f"line{block.location.line}"


_GO_STRING = lazy_compile(r'"(?P<text>[^"\\]*)"|`(?P<raw>[^`]*)`')


def _path_text(block: SecretBlock) -> str | None:
    """The printf format or literal path; ``("literal")`` in parentheses counts as a literal."""
    if block.path_format is not None:
        return block.path_format
    literal = _GO_STRING.fullmatch(block.path_expr.strip().strip("()").strip())
    return None if literal is None else (literal["text"] or literal["raw"] or "")


_KV_MOUNT = "secret"


def _other_engine(block: SecretBlock) -> str | None:
    """The mount of a path that is no KV secret (``database/creds/app``, ``aws/creds/x``)."""
    fmt = _path_text(block)
    if fmt is None or "/" not in fmt:
        return None
    mount = fmt.split("/", 1)[0]
    if mount == _KV_MOUNT or "%" in mount or "/data/" in fmt:
        return None
    return mount


def _path_problem(block: SecretBlock, project: str) -> str | None:
    fmt = _path_text(block)
    if fmt is None:
        return (
            f"the path is built as ({block.path_expr}), not from a printf format or a literal, "
            "so nobody can tell which environment it reads"
        )
    segments = fmt.split("/")
    hard = [s for s in segments if _ENV_SEGMENT.match(s)]
    if "%s" not in fmt and hard:
        return (
            f"the path {fmt} hard-codes the environment '{hard[0]}': every deployment of this "
            "template (staging, pr-47, production) would read that environment's secrets"
        )
    found = _CONVENTION.fullmatch(fmt)
    if found is None:
        return f"the path {fmt} is not secret/data/<project>/%s/<component>"
    # A repository hosting several projects' deployments (infra/<project>/<component>/) names
    # the project a template belongs to by its folder.
    folders = block.location.path.split("/")[:-1]
    if found["project"] != project and found["project"] not in folders:
        return (
            f"the path's project segment is '{found['project']}', but this project is '{project}' "
            "([tool.envssot] project, else [project].name) and no folder of the template is "
            f"named '{found['project']}'"
        )
    if block.path_env != (ENV_VAR,):
        source = ", ".join(f'env "{e}"' for e in block.path_env) or "no env lookup"
        return (
            f'the environment segment comes from {source}, not env "{ENV_VAR}" (what Dokploy sets '
            "per container: production, staging, pr-47)"
        )
    return None


def vault_path_convention(index: Index) -> Iterator[Finding]:
    project = index.contract.project
    for template in index.templates():
        seen: set[str] = set()
        for block in template.blocks:
            component = _component(block)
            name = component if component not in seen else f"{component}@{block.location.line}"
            seen.add(name)
            rule, at = VAULT_PATH_CONVENTION, block.location
            engine = _other_engine(block)
            if engine is not None:
                yield rule.skipped(name, at, lines=(
                    f"{_path_text(block)} is read from the {engine} secrets engine, not KV v2: "
                    "the convention names KV paths (secret/data/...)",
                ))  # fmt: skip
                continue
            problem = _path_problem(block, project)
            if problem is None:
                yield rule.passed(name, at)
                continue
            yield rule.failed(
                name,
                at,
                lines=(
                    f"{at} reads secrets from {block.path_expr}",
                    f"{problem}.",
                    "Vault paths follow secret/data/<project>/<env>/<component>, the environment "
                    f'read from env "{ENV_VAR}" at render time:',
                ),
                fix=(
                    f'{{{{ with secret (printf "secret/data/{project}/%s/{component}" '
                    f'(env "{ENV_VAR}")) }}}}',
                ),
                edit=_edits.manual(
                    at,
                    "a new path reads other secrets: put them there in Vault for every "
                    "environment, then change the line",
                ),
            )


# --------------------------------------------------------------------------- the catalogue entries

_FIELD = 'class Settings(BaseSettings):\n    redis_url: str = Field(default="", validation_alias="REDIS_URL")\n'
_URL_FIELDS = _FIELD + '    database_url: str = ""\n'


def _repo(
    template_body: str, path: str = 'printf "secret/data/demo/%s/app" (env "ENV")'
) -> dict[str, str]:
    files = mini_repo(_URL_FIELDS, "# [VAULT]\nREDIS_URL=\n# [VAULT]\nDATABASE_URL=\n")
    files["deploy/app/secrets.ctmpl"] = (
        f"{{{{ with secret ({path}) }}}}\n{template_body}{{{{ end }}}}\n"
    )
    return files


_COMPOSED = (
    'DATABASE_URL={{ printf "%q" (printf "postgresql://%s:%s@db/app" '
    ".Data.data.DB_USER .Data.data.DB_PASSWORD) }}\n"
)

# issue 13 class 2: the composition quoted as a whole keeps its meaning for any password
_SEED_DSN_QUOTED = (
    '{{ printf "postgresql://app:%s@demo-postgres%s:5432/demo" $pw $suffix | printf "%q" }}'
)
_URLSAFE = 'default_secret_domain = "token_urlsafe"\n'

_SHELL_PYPROJECT = '[project]\nname = "demo"\n[tool.envssot]\nconsumer = "posix-shell"\n'
_SHELL_LINE = (
    "REDIS_URL='{{ with .Data.data.REDIS_URL }}{{ . | replaceAll \"'\" \"'\\\\''\" }}"
    "{{ else }}{{ end }}'\n"
)

RULES = (
    Rule(
        TEMPLATE_QUOTING,
        Layer.TEMPLATE,
        'a rendered var lacks printf "%q" or the else fallback',
        template_quoting,
        hangs_under="template",
        details='a Vault value is not quoted the way the `consumer` reads it back (`printf "%q"` for pydantic-settings, raw for `docker-env-file`, single quotes via `replaceAll` for `posix-shell`), or a single-key var has no `{{ with }}…{{ else }}` fallback',
        why="An unquoted Vault value breaks the env file on the first space, quote or #, and only where Vault holds such a value.",
        valid=(
            RuleExample(_repo(tmpl_line("REDIS_URL")), "REDIS_URL"),
            RuleExample(_repo(_COMPOSED), "DATABASE_URL"),
            RuleExample({**_repo(_SHELL_LINE), "pyproject.toml": _SHELL_PYPROJECT}, "REDIS_URL"),
            RuleExample(seed_repo(_SEED_DSN_QUOTED), "DATABASE_URL"),
            # literal "..." around a composition of URL-safe values (their declared domain)
            RuleExample(seed_repo(envssot=_URLSAFE), "DATABASE_URL"),
        ),
        invalid=(
            RuleExample(
                _repo("REDIS_URL={{ .Data.data.REDIS_URL }}\n"),
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key REDIS_URL of secret/data/demo/%s/app",
                    "the rendered file is read by pydantic-settings (python-dotenv; [tool.envssot] consumer), and",
                    "- it renders the Vault value raw: python-dotenv cuts an unquoted value at ' #', strips quotes and stops at a newline, so such a value reaches pydantic changed. Quote it with printf \"%q\" (python-dotenv decodes its escapes).",
                    "- it reads the key without {{ with }}…{{ else }}: a key missing from Vault renders '<no value>' (or '%!q(<nil>)' through printf), a non-empty value the app accepts.",
                    "Render it like this (the same value, quoted for its consumer):",
                ),
                fix=(
                    'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}',
                ),
            ),
            RuleExample(
                _repo('REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ end }}\n'),
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key REDIS_URL of secret/data/demo/%s/app",
                    "the rendered file is read by pydantic-settings (python-dotenv; [tool.envssot] consumer), and",
                    "- it has no {{ else }}: a key missing from Vault silently renders an empty value. Write the fallback out so readers (and template-fallback-type) see what production gets.",
                    "Render it like this (the same value, quoted for its consumer):",
                ),
                fix=(
                    'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}',
                ),
            ),
            RuleExample(
                {
                    **_repo(tmpl_line("REDIS_URL")),
                    "pyproject.toml": '[project]\nname = "demo"\n[tool.envssot]\n'
                    'consumer = "docker-env-file"\n',
                },
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key REDIS_URL of secret/data/demo/%s/app",
                    "the rendered file is read by docker-env-file (docker run --env-file; [tool.envssot] consumer), and",
                    "- it quotes the value with printf \"%q\", but docker --env-file keeps every byte after '=': the app receives the quote characters and backslashes too. Render it raw.",
                    "- its {{ else }} fallback is quoted, and docker --env-file passes the quotes on literally. Write it bare ({{ else }}{{ end }} for empty).",
                    "Render it like this (the same value, quoted for its consumer):",
                ),
                fix=("REDIS_URL={{ with .Data.data.REDIS_URL }}{{ . }}{{ else }}{{ end }}",),
            ),
            RuleExample(
                {**_repo(tmpl_line("REDIS_URL")), "pyproject.toml": _SHELL_PYPROJECT},
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key REDIS_URL of secret/data/demo/%s/app",
                    "the rendered file is read by posix-shell (`. file` in a POSIX shell; [tool.envssot] consumer), and",
                    "- it quotes it with printf \"%q\", and a shell still expands $NAME, $(...) and backticks in that value (and does not decode %q's escapes). Only single quotes keep it verbatim, with each ' written as '\\''.",
                    "Render it like this (the same value, quoted for its consumer):",
                ),
                fix=(
                    "REDIS_URL='{{ with .Data.data.REDIS_URL }}{{ . | replaceAll \"'\" \"'\\\\''\" }}{{ else }}{{ end }}'",
                ),
            ),
            # a free-form password inside literal "...": a '"' or '\\' in it ends the value
            RuleExample(
                seed_repo(),
                "DATABASE_URL",
                message=(
                    "deploy/app/secrets.ctmpl:5 renders DATABASE_URL from Vault key POSTGRES_PASSWORD of secret/data/demo/%s/postgres",
                    "the rendered file is read by pydantic-settings (python-dotenv; [tool.envssot] consumer), and",
                    "- it builds the value from Vault values inside literal \"…\" quotes, and POSTGRES_PASSWORD (domain printable) may hold '\"', '\\\\': python-dotenv then ends the value early or decodes it, so the composition reaches pydantic changed. Quote the whole composition with printf \"%q\" (python-dotenv decodes its escapes), or declare the keys' domains ([tool.envssot.domains]).",
                    "Render it like this (the same value, quoted for its consumer):",
                ),
                fix=(
                    'DATABASE_URL={{ printf "postgresql://app:%s@demo-postgres%s:5432/demo" $pw $suffix | printf "%q" }}',
                ),
            ),
        ),
    ),
    Rule(
        TEMPLATE_KEY_MATCHES_VAR,
        Layer.TEMPLATE,
        "KEY= renders .Data.data.OTHER (composed values pass and are reported as composed)",
        template_key_matches_var,
        hangs_under="template",
        details="`KEY=` renders `.Data.data.OTHER`; values composed from several keys pass and say so",
        why="KEY= rendering another key's value is almost always a rename that drifted: production gets the wrong secret.",
        valid=(
            RuleExample(_repo(tmpl_line("REDIS_URL")), "REDIS_URL"),
            RuleExample(_repo(_COMPOSED), "DATABASE_URL"),
            # issue 13 class 2: one key inside a URL is a composition, not a renamed key
            RuleExample(seed_repo(), "DATABASE_URL"),
            RuleExample(seed_repo(_SEED_DSN_QUOTED), "DATABASE_URL"),
            # Vault's lower-case spelling of the same name is a convention
            RuleExample(_repo(tmpl_line("REDIS_URL", key="redis_url")), "REDIS_URL"),
            # one Vault value rendered under two programs' names: no single rename fits
            RuleExample(
                _repo(
                    tmpl_line("REDIS_URL", key="CACHE_URL")
                    + tmpl_line("DATABASE_URL", key="CACHE_URL")
                ),
                "REDIS_URL",
            ),
        ),
        invalid=(
            RuleExample(
                _repo(tmpl_line("REDIS_URL", key="CACHE_URL")),
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key CACHE_URL of secret/data/demo/%s/app",
                    "REDIS_URL= renders the Vault key CACHE_URL: the name in Vault and the name the app reads have drifted apart, so `vault kv put … REDIS_URL=…` changes nothing.",
                    "Rename the key in Vault to REDIS_URL and render it:",
                ),
                fix=(
                    'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}',
                ),
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL", key="Redis_Url")),
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:2 renders REDIS_URL from Vault key Redis_Url of secret/data/demo/%s/app",
                    "REDIS_URL= renders the Vault key Redis_Url: the name in Vault and the name the app reads have drifted apart, so `vault kv put … REDIS_URL=…` changes nothing. Vault keys are case-sensitive.",
                    "Rename the key in Vault to REDIS_URL and render it:",
                ),
                fix=(
                    'REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}',
                ),
            ),
            # the whole value of another key, through a variable: still a drifted name
            RuleExample(
                seed_repo('{{ with $pw }}{{ printf "%q" . }}{{ else }}""{{ end }}'),
                "DATABASE_URL",
                message=(
                    "deploy/app/secrets.ctmpl:5 renders DATABASE_URL from Vault key POSTGRES_PASSWORD of secret/data/demo/%s/postgres",
                    "DATABASE_URL= renders the Vault key POSTGRES_PASSWORD: the name in Vault and the name the app reads have drifted apart, so `vault kv put … DATABASE_URL=…` changes nothing.",
                    "Rename the key in Vault to DATABASE_URL and render it:",
                ),
                fix=(
                    'DATABASE_URL={{ with .Data.data.DATABASE_URL }}{{ printf "%q" . }}{{ else }}""{{ end }}',
                ),
            ),
        ),
    ),
    Rule(
        VAULT_PATH_CONVENTION,
        Layer.TEMPLATE,
        'the secret path is not secret/data/<project>/<env>/<component> with the env from env "ENV"',
        vault_path_convention,
        hangs_under="template (one item per secret block)",
        details='the path is not `secret/data/<project>/%s/<component>` with `env "ENV"`; a hard-coded environment fails',
        why="One path convention keyed by ENV keeps environments apart: a hard-coded environment reads production secrets in staging.",
        valid=(
            RuleExample(_repo(tmpl_line("REDIS_URL")), "app"),
            # issue 13 class 1: the env bound once to a variable, directly or through `or`
            RuleExample(seed_repo(), "app"),
            RuleExample(seed_repo(), "postgres"),
            RuleExample(seed_repo(env_expr='or (env "ENV") "production"'), "app"),
        ),
        invalid=(
            RuleExample(
                seed_repo(env_expr='env "STAGE"'),
                "app",
                message=(
                    'deploy/app/secrets.ctmpl:7 reads secrets from printf "secret/data/demo/%s/app" $env',
                    'the environment segment comes from env "STAGE", not env "ENV" (what Dokploy sets per container: production, staging, pr-47).',
                    'Vault paths follow secret/data/<project>/<env>/<component>, the environment read from env "ENV" at render time:',
                ),
                fix=('{{ with secret (printf "secret/data/demo/%s/app" (env "ENV")) }}',),
            ),
            RuleExample(
                seed_repo(env_expr='"production"'),
                "postgres",
                message=(
                    'deploy/app/secrets.ctmpl:3 reads secrets from printf "secret/data/demo/%s/postgres" $env',
                    'the environment segment comes from no env lookup, not env "ENV" (what Dokploy sets per container: production, staging, pr-47).',
                    'Vault paths follow secret/data/<project>/<env>/<component>, the environment read from env "ENV" at render time:',
                ),
                fix=('{{ with secret (printf "secret/data/demo/%s/postgres" (env "ENV")) }}',),
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), '"secret/data/demo/production/app"'),
                "app",
                message=(
                    'deploy/app/secrets.ctmpl:1 reads secrets from "secret/data/demo/production/app"',
                    "the path secret/data/demo/production/app hard-codes the environment 'production': every deployment of this template (staging, pr-47, production) would read that environment's secrets.",
                    'Vault paths follow secret/data/<project>/<env>/<component>, the environment read from env "ENV" at render time:',
                ),
                fix=('{{ with secret (printf "secret/data/demo/%s/app" (env "ENV")) }}',),
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), 'printf "secret/data/other/%s/app" (env "ENV")'),
                "app",
                message=(
                    'deploy/app/secrets.ctmpl:1 reads secrets from printf "secret/data/other/%s/app" (env "ENV")',
                    "the path's project segment is 'other', but this project is 'demo' ([tool.envssot] project, else [project].name) and no folder of the template is named 'other'.",
                    'Vault paths follow secret/data/<project>/<env>/<component>, the environment read from env "ENV" at render time:',
                ),
                fix=('{{ with secret (printf "secret/data/demo/%s/app" (env "ENV")) }}',),
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), 'printf "secret/data/demo/%s/app" (env "STAGE")'),
                "app",
                message=(
                    'deploy/app/secrets.ctmpl:1 reads secrets from printf "secret/data/demo/%s/app" (env "STAGE")',
                    'the environment segment comes from env "STAGE", not env "ENV" (what Dokploy sets per container: production, staging, pr-47).',
                    'Vault paths follow secret/data/<project>/<env>/<component>, the environment read from env "ENV" at render time:',
                ),
                fix=('{{ with secret (printf "secret/data/demo/%s/app" (env "ENV")) }}',),
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), 'printf "secret/demo/%s/app" (env "ENV")'),
                "app",
                message=(
                    'deploy/app/secrets.ctmpl:1 reads secrets from printf "secret/demo/%s/app" (env "ENV")',
                    "the path secret/demo/%s/app is not secret/data/<project>/%s/<component>.",
                    'Vault paths follow secret/data/<project>/<env>/<component>, the environment read from env "ENV" at render time:',
                ),
                fix=('{{ with secret (printf "secret/data/demo/%s/app" (env "ENV")) }}',),
            ),
        ),
    ),
)
