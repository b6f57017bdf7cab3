"""Environment naming: the seed's examples, each system's rules, and isolation as a property."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_envssot.isolation.naming import (
    PR_PORT_SLOTS,
    IsolationError,
    Naming,
    NamingError,
    branch_container_name,
    branch_database_name,
    branch_port,
    may_share,
    workspace_id,
)

SEED = Naming("finance_report", ("qa",))
SERVICES = ("backend", "frontend", "db", "redis", "minio")


def test_the_seeds_container_names() -> None:
    assert SEED.container("backend", "production") == "finance-report-backend"
    assert SEED.container("backend", "local") == "finance-report-backend"
    assert SEED.container("backend", "ci") == "finance-report-backend"
    assert SEED.container("backend", "staging") == "finance-report-backend-staging"
    assert SEED.container("backend", "pr-47") == "finance-report-backend-pr-47"
    assert SEED.container("backend", "qa") == "finance-report-backend-qa"


def test_the_seeds_vault_paths() -> None:
    assert SEED.vault_path("production", "app") == "secret/data/finance_report/production/app"
    assert SEED.vault_path("staging", "postgres") == "secret/data/finance_report/staging/postgres"
    assert SEED.vault_path("pr-47", "app") == "secret/data/finance_report/pr-47/app"


def test_data_names_per_environment() -> None:
    assert SEED.database_name("pr-47") == "finance_report_pr_47"
    assert SEED.database_name("local") == SEED.database_name("ci") == "finance_report_dev"
    assert SEED.redis_prefix("staging") == "finance-report:staging:"
    assert SEED.s3_bucket("production") == "finance-report-production"
    assert SEED.ports("local")["db"] == 5432
    assert SEED.port("db", "production") != SEED.port("db", "staging")


@pytest.mark.parametrize("env", ["dev", "prod", "pr-0", "pr-", "PR-4", "pr-4x", "", "uat"])
def test_unknown_environments_are_a_clear_error(env: str) -> None:
    with pytest.raises(NamingError, match="unknown environment") as info:
        SEED.container("backend", env)
    assert "pr-<N>" in str(info.value) and "qa" in str(info.value)


@pytest.mark.parametrize("extra", ["staging", "dev", "pr-5", "QA", "qa_2", "-x", "a" * 21])
def test_bad_extra_environments_are_refused(extra: str) -> None:
    with pytest.raises(NamingError):
        Naming("finance_report", (extra,))


def test_extras_come_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "finance_report"\n[tool.envssot]\nenvironments = ["qa", "demo"]\n'
    )
    naming = Naming.from_root(tmp_path)
    assert naming.container("backend", "demo") == "finance-report-backend-demo"
    assert naming.environments == ("local", "ci", "staging", "production", "qa", "demo")


def test_names_outside_each_systems_rules_are_refused() -> None:
    long = Naming("p" * 60)
    with pytest.raises(NamingError, match="DNS label"):
        long.container("backend", "staging")
    with pytest.raises(NamingError, match="PostgreSQL identifier"):
        long.database_name("staging")
    with pytest.raises(NamingError, match="S3 bucket"):
        long.s3_bucket("production")
    with pytest.raises(NamingError, match="S3 bucket"):
        Naming("xn--bad").s3_bucket("staging")
    with pytest.raises(NamingError, match="DNS label"):
        SEED.container("Back_End", "local")
    with pytest.raises(NamingError, match="project name"):
        Naming("9lives")


def test_assert_isolated_lists_every_collision() -> None:
    with pytest.raises(IsolationError) as info:
        SEED.assert_isolated(["production", "staging"], services=("backend", "backend-staging"))
    text = str(info.value)
    assert (
        "container 'finance-report-backend-staging' is used by both production and staging" in text
    )
    SEED.assert_isolated((*SEED.environments, "pr-1", "pr-2", "pr-47"))


def test_pr_port_blocks_wrap_and_that_is_reported() -> None:
    far = f"pr-{1 + PR_PORT_SLOTS}"
    found = SEED.collisions(["pr-1", far])
    assert found and {kind for kind, *_ in found} == {"port"}
    with pytest.raises(IsolationError, match="port"):
        SEED.assert_isolated(["pr-1", far])


# --------------------------------------------------------------------------- properties

_extras = st.lists(
    st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).filter(
        lambda e: e not in ("local", "ci", "staging", "production", "dev")
    ),
    max_size=4,
    unique=True,
)


@st.composite
def _naming_and_envs(draw: st.DrawFn) -> tuple[Naming, str, str]:
    naming = Naming(
        draw(st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True)), tuple(draw(_extras))
    )
    pr = st.integers(1, PR_PORT_SLOTS).map(lambda n: f"pr-{n}")
    env = st.one_of(st.sampled_from(naming.environments), pr)
    first, second = draw(env), draw(env)
    return naming, first, second


@settings(max_examples=300, deadline=None)
@given(_naming_and_envs())
def test_different_environments_never_collide(case: tuple[Naming, str, str]) -> None:
    naming, first, second = case
    if first == second:
        return
    found = naming.collisions([first, second], services=SERVICES)
    assert all(may_share(kind, a, b) for kind, _, a, b in found)  # collisions() filters them
    assert found == []
    mine, theirs = naming.names(first, SERVICES), naming.names(second, SERVICES)
    shared = set(mine.items()) & set(theirs.items())
    if {first, second} == {"local", "ci"}:
        # The seed: local and ci are the same names; only the Vault path carries ENV itself.
        assert shared == {(kind, name) for kind, name in mine.items() if kind != "vault path"}
    elif {first, second} & {"local", "ci"} and "production" in {first, second}:
        assert {kind for kind, _ in shared} == {"container"}  # the seed's table, nothing else
    else:
        assert shared == set()


_branches = st.text(min_size=0, max_size=220)
_workers = st.one_of(st.none(), st.integers(0, 63).map(lambda n: f"gw{n}"))


@settings(max_examples=400, deadline=None)
@given(_branches, _branches, _workers, _workers)
def test_branch_database_names_are_valid_and_never_shared(
    a: str, b: str, worker_a: str | None, worker_b: str | None
) -> None:
    ws = workspace_id("/work/repo")
    name_a = branch_database_name("finance_report", a, ws, worker_a)
    name_b = branch_database_name("finance_report", b, ws, worker_b)
    for name in (name_a, name_b):
        assert len(name.encode()) <= 63 and re.fullmatch(r"[a-z_][a-z0-9_]*", name)
        assert name.startswith("finance_report_test_") and ws in name
    assert (name_a == name_b) == (a == b and worker_a == worker_b)
    container = branch_container_name("finance_report", a, ws)
    assert len(container) <= 63 and re.fullmatch(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?", container)
    assert (container == branch_container_name("finance_report", b, ws)) == (a == b)
    assert 5400 <= branch_port(a, ws) <= 5999


@pytest.mark.parametrize(
    "branch",
    ["feature/ÄÖ; DROP DATABASE x", "x" * 200, "🚀 launch 🎉", 'a"; DROP TABLE t; --', ""],
)
def test_hostile_branch_names_make_plain_identifiers(branch: str) -> None:
    name = branch_database_name("finance_report", branch, "abc12345", "gw1")
    assert len(name.encode()) <= 63
    assert re.fullmatch(r"finance_report_test_[a-z0-9_]+_abc12345_gw1", name)


def test_the_seeds_branch_container_and_workspace() -> None:
    assert branch_container_name("finance_report", "fix-auth", "abc12345") == (
        "finance-report-db-fix-auth-abc12345"
    )
    assert branch_database_name("finance_report", "fix-auth", "abc12345") == (
        "finance_report_test_fix_auth_abc12345"
    )
    # echo $PWD | sha256sum | cut -c1-8
    assert workspace_id("/home/dev/finance-report") == "0d38edae"
