"""Ecosystem check: run ``envssot check`` over pinned public repositories and diff the failures
against human labels (the way ruff's ecosystem check and mypy_primer review every change in what
a linter reports before it ships).

    python -m benchmarks.ecosystem [--corpus /work/ecosystem] [--manifest benchmarks/ecosystem.toml]
                                   [--only owner/name] [--write-unlabelled]
    python -m benchmarks.ecosystem --extract /work/.mirror     # build missing snapshot folders

The manifest (``ecosystem.toml``) has one ``[[repo]]`` per repository: ``name``, ``commit`` (the
snapshot must be at exactly that commit), ``why``, optional ``subdir`` (where to run) and an
optional ``[repo.config]`` table merged into ``[tool.envssot]`` of a throw-away copy (the
snapshot folder is never written). Labels are ``[[repo.label]]`` entries keyed by
``(rule, variable, path)`` exactly as the JSON reports them, with ``verdict = "tp" | "fp"`` and a
one-line ``reason``; ``verdict = "?"`` is a stub a human still has to decide.

Exit status: 0 when every failure is labelled and no labelled true finding vanished, else 1.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project still supports 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

MARKER = ".envssot-ecosystem-commit"
HERE = Path(__file__).resolve().parent
Key = tuple[str, str, str]  # (rule, variable, path)


@dataclass(frozen=True)
class Label:
    rule: str
    variable: str
    path: str
    verdict: str  # "tp" | "fp" | "?"
    reason: str

    @property
    def key(self) -> Key:
        return (self.rule, self.variable, self.path)


@dataclass(frozen=True)
class Repo:
    name: str
    commit: str
    why: str
    subdir: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    labels: tuple[Label, ...] = ()
    # (from_repo, src, dest): files another pinned snapshot deploys this one with (an infra repo
    # holding the service's secrets.ctmpl), copied into the throw-away copy before the run
    overlays: tuple[tuple[str, str, str], ...] = ()


@dataclass
class Outcome:
    repo: Repo
    failures: dict[Key, str] = field(default_factory=dict)  # key -> first message line
    error: str = ""
    seconds: float = 0.0


def load_manifest(path: Path) -> list[Repo]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    repos: list[Repo] = []
    for entry in data.get("repo", []):
        labels = tuple(
            Label(
                rule=str(lab["rule"]),
                variable=str(lab.get("variable") or ""),
                path=str(lab.get("path") or ""),
                verdict=str(lab.get("verdict", "?")),
                reason=str(lab.get("reason", "")),
            )
            for lab in entry.get("label", [])
        )
        repos.append(
            Repo(
                name=str(entry["name"]),
                commit=str(entry["commit"]),
                why=str(entry.get("why", "")),
                subdir=str(entry.get("subdir", "")),
                config=dict(entry.get("config", {})),
                labels=labels,
                overlays=tuple(
                    (str(o["from"]), str(o["src"]), str(o["dest"]))
                    for o in entry.get("overlay", [])
                ),
            )
        )
    return repos


def snapshot_dir(corpus: Path, name: str) -> Path:
    return corpus / name.replace("/", "__")


# --------------------------------------------------------------------------- snapshots


def _git(gitdir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(gitdir), *args], check=True, capture_output=True).stdout


def extract(gitdir: Path, commit: str, dest: Path) -> int:
    """Write the tree of ``commit`` into ``dest`` (blobs absent from the snapshot are skipped),
    commit it into a fresh local repo (rules that ask git need one) and leave the marker.
    Returns the number of files skipped."""
    dest.mkdir(parents=True, exist_ok=False)
    entries = _git(gitdir, "ls-tree", "-r", "-z", commit).split(b"\0")
    wanted: list[tuple[str, str, str]] = []  # (mode, sha, path)
    for raw in entries:
        if not raw:
            continue
        meta, _, raw_path = raw.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob":
            wanted.append((mode, sha, raw_path.decode("utf-8", "surrogateescape")))
    skipped = 0
    with subprocess.Popen(
        ["git", "-C", str(gitdir), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        for mode, sha, rel in wanted:
            proc.stdin.write(sha.encode() + b"\n")
            proc.stdin.flush()
            header = proc.stdout.readline().split()
            if len(header) < 3 or header[1] == b"missing":
                skipped += 1
                continue
            body = proc.stdout.read(int(header[2]))
            proc.stdout.read(1)  # trailing newline
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == "120000":
                target.symlink_to(os.fsdecode(body))
            else:
                target.write_bytes(body)
                if mode == "100755":
                    target.chmod(0o755)
    env = {**os.environ, "GIT_AUTHOR_NAME": "ecosystem", "GIT_AUTHOR_EMAIL": "eco@localhost",
           "GIT_COMMITTER_NAME": "ecosystem", "GIT_COMMITTER_EMAIL": "eco@localhost"}  # fmt: skip
    for args in (["init", "-q"], ["add", "-A", "-f", "--", "."], ["commit", "-qm", "snapshot"]):
        subprocess.run(["git", "-C", str(dest), *args], check=True, env=env, capture_output=True)
    (dest / ".git" / "info" / "exclude").write_text(MARKER + "\n", encoding="utf-8")
    (dest / MARKER).write_text(commit + "\n", encoding="utf-8")
    return skipped


# --------------------------------------------------------------------------- config overrides


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
        )
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


_SECTION = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def apply_config(root: Path, overrides: dict[str, Any]) -> None:
    """Merge ``overrides`` into ``[tool.envssot]`` of ``root/pyproject.toml`` (a copy)."""
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8") if pyproject.is_file() else ""
    current: dict[str, Any] = tomllib.loads(text).get("tool", {}).get("envssot", {}) if text else {}
    merged = {**current, **overrides}
    kept: list[str] = []
    skipping = False
    for line in text.splitlines():
        match = _SECTION.match(line)
        if match:
            skipping = match.group(1) == "tool.envssot" or match.group(1).startswith(
                "tool.envssot."
            )
        if not skipping:
            kept.append(line)
    body = "\n".join(f"{k} = {_toml_value(v)}" for k, v in merged.items())
    pyproject.write_text("\n".join(kept) + f"\n\n[tool.envssot]\n{body}\n", encoding="utf-8")


# --------------------------------------------------------------------------- running


def run_repo(repo: Repo, corpus: Path, timeout: float) -> Outcome:
    outcome = Outcome(repo)
    snap = snapshot_dir(corpus, repo.name)
    marker = snap / MARKER
    if not marker.is_file():
        outcome.error = f"no snapshot at {snap} (run --extract)"
        return outcome
    have = marker.read_text(encoding="utf-8").strip()
    if have != repo.commit:
        outcome.error = f"snapshot is at {have[:12]}, manifest pins {repo.commit[:12]}"
        return outcome
    with tempfile.TemporaryDirectory(prefix="envssot-eco-") as tmp:
        # named like a developer's clone (the project name defaults to the folder name)
        copy = Path(tmp) / repo.name.split("/")[1]
        shutil.copytree(snap, copy, symlinks=True)
        for source, src, dest in repo.overlays:
            origin = snapshot_dir(corpus, source) / src
            if not origin.is_file():
                outcome.error = f"overlay {source}:{src} missing (extract {source} too)"
                return outcome
            (copy / dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, copy / dest)
        workdir = copy / repo.subdir if repo.subdir else copy
        if repo.config:
            apply_config(workdir, repo.config)
        env = {**os.environ, "CI": "true"}
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                ["envssot", "check", str(workdir), "--format", "json"],
                capture_output=True, text=True, timeout=timeout, env=env, cwd=workdir,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            outcome.error = f"timeout after {timeout:.0f}s"
            return outcome
        finally:
            outcome.seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        last = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or [""]
        outcome.error = f"exit {proc.returncode}: {last[0][:200]}"
        return outcome
    try:
        results = json.loads(proc.stdout)["results"]
    except (ValueError, KeyError) as exc:
        tail = proc.stderr.strip().splitlines()[-1:] or [""]
        outcome.error = f"unreadable JSON ({exc}); stderr: {tail[0][:160]}"
        return outcome
    for res in results:
        if res.get("outcome") == "failed":
            key = (str(res["rule"]), str(res.get("variable") or ""), str(res.get("path") or ""))
            message = str(res.get("message") or "").strip().splitlines()
            outcome.failures.setdefault(key, message[0] if message else "")
    return outcome


# --------------------------------------------------------------------------- report


@dataclass
class Diff:
    unlabelled: list[tuple[str, Key, str]] = field(default_factory=list)  # repo, key, message
    lost_tp: list[tuple[str, Label]] = field(default_factory=list)
    gone_fp: list[tuple[str, Label]] = field(default_factory=list)
    undecided: list[tuple[str, Label]] = field(default_factory=list)


def compare(outcomes: list[Outcome]) -> tuple[dict[str, Counter[str]], Diff]:
    table: dict[str, Counter[str]] = {}
    diff = Diff()
    for out in outcomes:
        if out.error:
            continue
        labels = {lab.key: lab for lab in out.repo.labels}
        for key, message in sorted(out.failures.items()):
            row = table.setdefault(key[0], Counter())
            row["failures"] += 1
            lab = labels.get(key)
            if lab is None:
                row["unlabelled"] += 1
                diff.unlabelled.append((out.repo.name, key, message))
            elif lab.verdict in ("tp", "fp"):
                row[lab.verdict] += 1
            else:
                row["?"] += 1
                diff.undecided.append((out.repo.name, lab))
        for key, lab in labels.items():
            if key not in out.failures:
                (diff.lost_tp if lab.verdict == "tp" else diff.gone_fp).append((out.repo.name, lab))
    return table, diff


def _precision(row: Counter[str]) -> str:
    decided = row["tp"] + row["fp"]
    return f"{row['tp'] / decided:.2f}" if decided else "-"


def print_report(outcomes: list[Outcome], table: dict[str, Counter[str]], diff: Diff) -> None:
    print(f"{'repository':<58} {'commit':<12} {'fail':>5} {'secs':>6}")
    for out in outcomes:
        status = out.error or ""
        print(f"{out.repo.name:<58} {out.repo.commit[:12]:<12} {len(out.failures):>5} "
              f"{out.seconds:>6.1f} {status}")  # fmt: skip
    print()
    cols = ("failures", "tp", "fp", "?", "unlabelled")
    print(f"{'rule':<28}" + "".join(f"{c:>11}" for c in cols) + f"{'precision':>11}")
    total: Counter[str] = Counter()
    for rule in sorted(table):
        row = table[rule]
        total.update(row)
        print(f"{rule:<28}" + "".join(f"{row[c]:>11}" for c in cols) + f"{_precision(row):>11}")
    print(f"{'TOTAL':<28}" + "".join(f"{total[c]:>11}" for c in cols) + f"{_precision(total):>11}")
    errors = [o for o in outcomes if o.error]
    print(f"\n{len(outcomes)} repositories, {len(errors)} errors, "
          f"{sum(o.seconds for o in outcomes):.1f}s in envssot")  # fmt: skip
    if diff.unlabelled:
        print(f"\nNEW (unlabelled) failures: {len(diff.unlabelled)}")
        for name, (rule, var, path), message in diff.unlabelled:
            print(f"  + {name}: {rule}[{var}] {path}\n      {message[:160]}")
    if diff.lost_tp:
        print(f"\nTRUE FINDING LOST (labelled tp, no longer reported): {len(diff.lost_tp)}")
        for name, lab in diff.lost_tp:
            print(f"  - {name}: {lab.rule}[{lab.variable}] {lab.path}  ({lab.reason})")
    if diff.gone_fp:
        print(f"\nfalse positives gone (labelled fp, no longer reported): {len(diff.gone_fp)}")
        for name, lab in diff.gone_fp:
            print(f"  - {name}: {lab.rule}[{lab.variable}] {lab.path}")
    if diff.undecided:
        print(f'\nlabel stubs still undecided (verdict "?"): {len(diff.undecided)}')


def write_stubs(manifest: Path, diff: Diff) -> int:
    """Append a ``[[repo.label]]`` stub for each unlabelled failure under its repository."""
    if not diff.unlabelled:
        return 0
    by_repo: dict[str, list[tuple[Key, str]]] = {}
    for name, key, message in diff.unlabelled:
        by_repo.setdefault(name, []).append((key, message))
    lines = manifest.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "[[repo]]"] + [len(lines)]
    out: list[str] = lines[: starts[0]]
    for begin, end in itertools.pairwise(starts):
        block = lines[begin:end]
        repo_name = next(
            (
                tomllib.loads(ln.strip()).get("name")
                for ln in block
                if ln.strip().startswith("name")
            ),
            None,
        )
        while block and not block[-1].strip():
            block.pop()
        for (rule, var, path), message in by_repo.get(str(repo_name), []):
            block += ["", "[[repo.label]]", f"rule = {json.dumps(rule)}",
                      f"variable = {json.dumps(var)}", f"path = {json.dumps(path)}",
                      'verdict = "?"', f"reason = {json.dumps('TODO: ' + message[:120])}"]  # fmt: skip
        out += [*block, ""]
    manifest.write_text("\n".join(out).rstrip() + "\n", encoding="utf-8")
    return len(diff.unlabelled)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ecosystem", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("/work/ecosystem"))
    parser.add_argument("--manifest", type=Path, default=HERE / "ecosystem.toml")
    parser.add_argument("--only", action="append", default=[], metavar="OWNER/NAME")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per repository")
    parser.add_argument(
        "--write-unlabelled",
        action="store_true",
        help='append unlabelled failures to the manifest as verdict = "?" stubs',
    )
    parser.add_argument(
        "--extract",
        type=Path,
        metavar="MIRROR_ROOT",
        help="build missing snapshot folders from MIRROR_ROOT/<owner>+<name>/repo",
    )
    args = parser.parse_args(argv)

    repos = [r for r in load_manifest(args.manifest) if not args.only or r.name in args.only]
    if args.extract:
        for repo in repos:
            dest = snapshot_dir(args.corpus, repo.name)
            if (dest / MARKER).is_file():
                continue
            gitdir = args.extract / repo.name.replace("/", "+") / "repo"
            skipped = extract(gitdir, repo.commit, dest)
            print(f"extracted {repo.name} @ {repo.commit[:12]} ({skipped} absent blobs skipped)")
        return 0

    outcomes: list[Outcome] = []
    for repo in repos:
        outcomes.append(run_repo(repo, args.corpus, args.timeout))
        print(f"  ran {repo.name}: {len(outcomes[-1].failures)} failures "
              f"{outcomes[-1].error}", file=sys.stderr)  # fmt: skip
    table, diff = compare(outcomes)
    print_report(outcomes, table, diff)
    if args.write_unlabelled:
        print(f"\nwrote {write_stubs(args.manifest, diff)} label stubs to {args.manifest}")
    return 1 if diff.unlabelled or diff.lost_tp or any(o.error for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
