"""``next-public-baked``: Next.js freezes ``NEXT_PUBLIC_*`` into the bundle at build time.

Each ``NEXT_PUBLIC_*`` var the repository names (in ``.env.example``, a settings field, a
Dockerfile) needs ``ARG`` and then ``ENV`` in the stage of every frontend Dockerfile that runs
the build (``npm run build``, ``next build``...), before that ``RUN``. A runtime value never
reaches the browser. The backend may read the same var through a ``validation_alias``.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import DockerFile, DockerInstruction, Layer, Location
from pytest_envssot.records import frozen
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo

NEXT_PUBLIC_BAKED = Reporter("next-public-baked")

PREFIX = "NEXT_PUBLIC_"
_BUILD = re.compile(r"\b(?:next\s+build|(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?build)\b")


@frozen(slots=False)
class _Build:
    """The stage of one Dockerfile that runs the frontend build, up to that RUN."""

    dockerfile: DockerFile
    run: DockerInstruction
    stage: tuple[DockerInstruction, ...]  # from the stage's FROM up to (not including) the RUN

    def first(self, kind: str, name: str) -> DockerInstruction | None:
        return next((i for i in self.stage if i.kind == kind and name in i.names), None)


_NEXT_TEXT = re.compile(r"\.next\b|next\.config|\bnext\s+(?:build|start)\b")


def _builds_next(index: Index, docker: DockerFile) -> bool:
    """The Dockerfile builds a Next.js app: it declares a NEXT_PUBLIC_* var, mentions ``.next``,
    ``next.config`` or ``next build``, or its folder's package.json depends on ``next``. A
    ``pnpm run build`` of an e-mail renderer or an admin bundle is no Next.js build."""
    for ins in docker.instructions:
        if any(n.startswith(PREFIX) for n in ins.names) or _NEXT_TEXT.search(ins.text):
            return True
    package = index.config.root / posixpath.dirname(docker.path) / "package.json"
    try:
        data = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(data, dict):
        return False
    return any(
        isinstance(deps, dict) and "next" in deps
        for deps in (data.get("dependencies"), data.get("devDependencies"))
    )


def frontend_builds(index: Index) -> list[_Build]:
    """The Next.js build of each Dockerfile that builds a Next.js app."""
    builds = []
    for docker in index.dockerfiles():
        if not _builds_next(index, docker):
            continue
        stage_start = 0
        for number, ins in enumerate(docker.instructions):
            if ins.kind == "FROM":
                stage_start = number
            elif ins.kind == "RUN" and _BUILD.search(ins.text):
                stage = docker.instructions[stage_start:number]
                builds.append(_Build(docker, ins, stage))
                break
    return builds


def _public_vars(index: Index) -> dict[str, Location]:
    """Every NEXT_PUBLIC_* name, where its item hangs: .env.example, else a Dockerfile, else
    the field that reads it."""
    found: dict[str, Location] = {}
    for entry in index.example_entries():
        if entry.key.startswith(PREFIX):
            found.setdefault(entry.key, entry.location)
    for docker in index.dockerfiles():
        for ins in docker.instructions:
            for name in ins.names:
                if ins.kind in ("ARG", "ENV") and name.startswith(PREFIX):
                    found.setdefault(name, ins.location)
    for ref in index.distinct_fields():
        for env in ref.names:
            if env.name.upper().startswith(PREFIX):
                found.setdefault(env.name.upper(), ref.field.location)
    return found


public_vars = _public_vars  # also what next-public-in-build (frontendbuild.py) checks


def _problem(build: _Build, name: str) -> str | None:
    arg, env = build.first("ARG", name), build.first("ENV", name)
    where = f"{build.run.location} (RUN {build.run.text.strip()})"
    if arg is None and env is None:
        return f"the build stage before {where} has neither ARG {name} nor ENV {name}"
    if arg is None:
        return (
            f"the build stage before {where} has ENV {name} but no ARG: it cannot be set per build"
        )
    if env is None:
        return f"the build stage before {where} has ARG {name} but no ENV {name}"
    if env.location.line < arg.location.line:
        return (
            f"ENV {name} ({env.location}) comes before ARG {name} ({arg.location}): "
            f"${{{name}}} expands to empty there"
        )
    return None


def next_public_baked(index: Index) -> Iterator[Finding]:
    names = _public_vars(index)
    if not names:
        return
    builds = frontend_builds(index)
    for name, at in names.items():
        rule = NEXT_PUBLIC_BAKED
        if not builds:
            yield rule.skipped(
                name,
                at,
                lines=(
                    "no Dockerfile runs a Next.js build (npm run build, next build... in a "
                    "Dockerfile that declares NEXT_PUBLIC_*, copies .next or whose package.json "
                    "depends on next)",
                ),
            )
            continue
        problems = [(b, p) for b in builds if (p := _problem(b, name)) is not None]
        if not problems:
            yield rule.passed(name, at)
            continue
        build, _ = problems[0]
        yield rule.failed(
            name,
            at,
            lines=(
                *(f"{b.dockerfile.path}: {p}" for b, p in problems),
                "Next.js inlines NEXT_PUBLIC_* into the static bundle while it builds; a value "
                "set only when the container runs never reaches the browser.",
                f"Declare it in the build stage before {build.run.location}:",
            ),
            fix=(f'ARG {name}=""', f"ENV {name}=${{{name}}}"),
        )


_FIELD = 'class Settings(BaseSettings):\n    app_url: str = Field(default="", validation_alias="NEXT_PUBLIC_APP_URL")\n'
_GOOD = (
    'FROM node:20 AS build\nARG NEXT_PUBLIC_APP_URL=""\nENV NEXT_PUBLIC_APP_URL=${NEXT_PUBLIC_APP_URL}\n'
    'RUN npm ci\nRUN npm run build\nFROM node:20\nCMD ["npm", "start"]\n'
)

RULES = (
    Rule(
        NEXT_PUBLIC_BAKED,
        Layer.EXAMPLE,
        "a NEXT_PUBLIC_* var has no ARG + ENV before the build step of a Dockerfile",
        next_public_baked,
        hangs_under="`.env.example`",
        details="a `NEXT_PUBLIC_*` var lacks `ARG` then `ENV` in the stage that runs `npm run build` / `next build`, before that `RUN` (skipped when no Dockerfile builds a Next.js app: one declaring `NEXT_PUBLIC_*`, copying `.next` or whose `package.json` depends on `next`)",
        why="Next.js bakes NEXT_PUBLIC_* at build time; without ARG and ENV before the build the bundle ships undefined.",
        valid=(
            RuleExample(
                mini_repo(_FIELD, "NEXT_PUBLIC_APP_URL=\n", extra={"web/Dockerfile": _GOOD}),
                "NEXT_PUBLIC_APP_URL",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(
                    _FIELD,
                    "NEXT_PUBLIC_APP_URL=\n",
                    extra={"web/Dockerfile": _GOOD.replace("ENV NEXT_PUBLIC_APP_URL", "ENV OTHER")},
                ),
                "NEXT_PUBLIC_APP_URL",
                message=(
                    "web/Dockerfile: the build stage before web/Dockerfile:5 (RUN npm run build) has ARG NEXT_PUBLIC_APP_URL but no ENV NEXT_PUBLIC_APP_URL",
                    "Next.js inlines NEXT_PUBLIC_* into the static bundle while it builds; a value set only when the container runs never reaches the browser.",
                    "Declare it in the build stage before web/Dockerfile:5:",
                ),
                fix=(
                    'ARG NEXT_PUBLIC_APP_URL=""',
                    "ENV NEXT_PUBLIC_APP_URL=${NEXT_PUBLIC_APP_URL}",
                ),
            ),
            RuleExample(
                mini_repo(
                    _FIELD,
                    "NEXT_PUBLIC_APP_URL=\n",
                    extra={
                        "web/Dockerfile": "FROM node:20\nRUN npm run build\n"
                        'ARG NEXT_PUBLIC_APP_URL=""\nENV NEXT_PUBLIC_APP_URL=${NEXT_PUBLIC_APP_URL}\n'
                    },
                ),
                "NEXT_PUBLIC_APP_URL",
                message=(
                    "web/Dockerfile: the build stage before web/Dockerfile:2 (RUN npm run build) has neither ARG NEXT_PUBLIC_APP_URL nor ENV NEXT_PUBLIC_APP_URL",
                    "Next.js inlines NEXT_PUBLIC_* into the static bundle while it builds; a value set only when the container runs never reaches the browser.",
                    "Declare it in the build stage before web/Dockerfile:2:",
                ),
                fix=(
                    'ARG NEXT_PUBLIC_APP_URL=""',
                    "ENV NEXT_PUBLIC_APP_URL=${NEXT_PUBLIC_APP_URL}",
                ),
            ),
        ),
    ),
)
