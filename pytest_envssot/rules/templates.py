"""Layer 1 hygiene: how a template renders each var and which Vault path it reads.

* ``template-quoting``: every Vault value is quoted for the consumer that reads the rendered
  file back (``[tool.envssot] consumer``), and a missing key falls back explicitly.
* ``template-key-matches-var``: ``KEY=`` renders ``.Data.data.KEY``; composed values (built
  from several keys) pass and say so.
* ``vault-path-convention``: ``secret/data/<project>/<env>/<component>``, env from ``env "ENV"``.

Template fallbacks are never echoed: they can hold a value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.index import Index
from pytest_envssot.model import Layer, SecretBlock, TemplateVar
from pytest_envssot.rules._consumer import INFERRED, consumer_of
from pytest_envssot.rules._text import template_line
from pytest_envssot.rules.base import Rule, RuleExample, mini_repo, tmpl_line


def _distinct_vars(index: Index) -> Iterator[TemplateVar]:
    """Each var once per template (a repeated line is unique-env-name's business)."""
    for template in index.templates():
        seen: set[str] = set()
        for var in template.vars:
            if var.name not in seen:
                seen.add(var.name)
                yield var


# --------------------------------------------------------------------------- template-quoting

_WITH = re.compile(r"\{\{-?\s*with\b")
_SAFE_BARE = re.compile(r"[^\s#'\"\\$`]*")  # what python-dotenv reads back unchanged unquoted
# '{{ ... | replaceAll "'" "'\\''" }}': the one quoting a POSIX shell reads back verbatim.
_SHELL_SINGLE = re.compile(r"^'.*replaceAll\s+\"'\"\s+.*'$", re.S)
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


def _quoting_fix(var: TemplateVar, consumer: str) -> str:
    if var.composed:
        keys = " ".join(f".Data.data.{k}" for k in var.vault_keys)
        inner = f'(printf "<format with one %s per key>" {keys})'
        if consumer == "docker-env-file":
            return f"{var.name}={{{{ {inner} }}}}"
        if consumer == "posix-shell":
            return f"""{var.name}='{{{{ {inner} | replaceAll "'" "'\\\\''" }}}}'"""
        return f'{var.name}={{{{ printf "%q" {inner} }}}}'
    key = var.vault_keys[0]
    if consumer == "docker-env-file":
        return f"{var.name}={{{{ with .Data.data.{key} }}}}{{{{ . }}}}{{{{ else }}}}{{{{ end }}}}"
    if consumer == "posix-shell":
        return (
            f"{var.name}='{{{{ with .Data.data.{key} }}}}"
            f"""{{{{ . | replaceAll "'" "'\\\\''" }}}}{{{{ else }}}}{{{{ end }}}}'"""
        )
    return f'{var.name}={{{{ with .Data.data.{key} }}}}{{{{ printf "%q" . }}}}{{{{ else }}}}""{{{{ end }}}}'


def _quoting_problems(var: TemplateVar, consumer: str) -> list[str]:
    if consumer == "docker-env-file":
        return _docker_env_file_problems(var)
    if consumer == "posix-shell":
        return _shell_problems(var)
    return _dotenv_problems(var)


def template_quoting(index: Index) -> Iterator[Finding]:
    for var in _distinct_vars(index):
        rule, at = "template-quoting", var.location
        if not var.vault_keys:
            yield Finding(rule, var.name, Outcome.PASSED, at, lines=("renders no Vault value",))
            continue
        consumer, source = consumer_of(index, var.location.path)
        problems = _quoting_problems(var, consumer)
        if consumer == "posix-shell" and var.quoted and source.startswith(INFERRED):
            # A shell expanding $ inside %q's double quotes threatens every value alike: a
            # hazard of the consumer, not of this line (issue 13, class 4).
            problems = []
        missing = _missing_key_problem(var)
        problems += [missing] if missing else []
        if not problems:
            yield Finding(rule, var.name, Outcome.PASSED, at)
            continue
        reader = _READERS.get(consumer, consumer)
        yield Finding(
            rule,
            var.name,
            Outcome.FAILED,
            at,
            lines=(
                template_line(var),
                f"the rendered file is read by {consumer} ({reader}; {source}), and",
                *(f"- {p}" for p in problems),
                "Render it like this (keep your own fallback inside {{ else }}):",
            ),
            fix=(_quoting_fix(var, consumer),),
        )


# --------------------------------------------------------------------------- template-key-matches-var


def template_key_matches_var(index: Index) -> Iterator[Finding]:
    for var in _distinct_vars(index):
        rule, at = "template-key-matches-var", var.location
        keys = var.vault_keys
        if not keys:
            yield Finding(rule, var.name, Outcome.PASSED, at, lines=("renders no Vault key",))
        elif var.composed:
            yield Finding(
                rule,
                var.name,
                Outcome.PASSED,
                at,
                lines=(f"composed from Vault keys {', '.join(keys)}",),
            )
        elif keys[0] == var.name:
            yield Finding(rule, var.name, Outcome.PASSED, at)
        else:
            case = " Vault keys are case-sensitive." if keys[0].upper() == var.name.upper() else ""
            yield Finding(
                rule,
                var.name,
                Outcome.FAILED,
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


_GO_STRING = re.compile(r'"(?P<text>[^"\\]*)"|`(?P<raw>[^`]*)`')


def _path_text(block: SecretBlock) -> str | None:
    """The printf format or literal path; ``("literal")`` in parentheses counts as a literal."""
    if block.path_format is not None:
        return block.path_format
    literal = _GO_STRING.fullmatch(block.path_expr.strip().strip("()").strip())
    return None if literal is None else (literal["text"] or literal["raw"] or "")


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
    if found["project"] != project:
        return (
            f"the path's project segment is '{found['project']}', but this project is '{project}' "
            "([tool.envssot] project, else [project].name)"
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
            rule, at = "vault-path-convention", block.location
            problem = _path_problem(block, project)
            if problem is None:
                yield Finding(rule, name, Outcome.PASSED, at)
                continue
            yield Finding(
                rule,
                name,
                Outcome.FAILED,
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

_SHELL_PYPROJECT = '[project]\nname = "demo"\n[tool.envssot]\nconsumer = "posix-shell"\n'
_SHELL_LINE = (
    "REDIS_URL='{{ with .Data.data.REDIS_URL }}{{ . | replaceAll \"'\" \"'\\\\''\" }}"
    "{{ else }}{{ end }}'\n"
)

RULES = (
    Rule(
        "template-quoting",
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
        ),
        invalid=(
            RuleExample(_repo("REDIS_URL={{ .Data.data.REDIS_URL }}\n"), "REDIS_URL"),
            RuleExample(
                _repo('REDIS_URL={{ with .Data.data.REDIS_URL }}{{ printf "%q" . }}{{ end }}\n'),
                "REDIS_URL",
            ),
            RuleExample(
                {
                    **_repo(tmpl_line("REDIS_URL")),
                    "pyproject.toml": '[project]\nname = "demo"\n[tool.envssot]\n'
                    'consumer = "docker-env-file"\n',
                },
                "REDIS_URL",
            ),
            RuleExample(
                {**_repo(tmpl_line("REDIS_URL")), "pyproject.toml": _SHELL_PYPROJECT}, "REDIS_URL"
            ),
        ),
    ),
    Rule(
        "template-key-matches-var",
        Layer.TEMPLATE,
        "KEY= renders .Data.data.OTHER (composed values pass and are reported as composed)",
        template_key_matches_var,
        hangs_under="template",
        details="`KEY=` renders `.Data.data.OTHER`; values composed from several keys pass and say so",
        why="KEY= rendering another key's value is almost always a rename that drifted: production gets the wrong secret.",
        valid=(
            RuleExample(_repo(tmpl_line("REDIS_URL")), "REDIS_URL"),
            RuleExample(_repo(_COMPOSED), "DATABASE_URL"),
        ),
        invalid=(RuleExample(_repo(tmpl_line("REDIS_URL", key="CACHE_URL")), "REDIS_URL"),),
    ),
    Rule(
        "vault-path-convention",
        Layer.TEMPLATE,
        'the secret path is not secret/data/<project>/<env>/<component> with the env from env "ENV"',
        vault_path_convention,
        hangs_under="template (one item per secret block)",
        details='the path is not `secret/data/<project>/%s/<component>` with `env "ENV"`; a hard-coded environment fails',
        why="One path convention keyed by ENV keeps environments apart: a hard-coded environment reads production secrets in staging.",
        valid=(RuleExample(_repo(tmpl_line("REDIS_URL")), "app"),),
        invalid=(
            RuleExample(_repo(tmpl_line("REDIS_URL"), '"secret/data/demo/production/app"'), "app"),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), 'printf "secret/data/other/%s/app" (env "ENV")'),
                "app",
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), 'printf "secret/data/demo/%s/app" (env "STAGE")'),
                "app",
            ),
            RuleExample(
                _repo(tmpl_line("REDIS_URL"), 'printf "secret/demo/%s/app" (env "ENV")'), "app"
            ),
        ),
    ),
)
