"""Cost of ``envssot render`` and of the one-line renderer template-roundtrip calls.

1. Whole file: a template of N vars in the sample's shape, half of them set in the secrets
   JSON, rendered by ``envssot render`` (JSON load + parse + evaluate, in process) against
   tests/go/ctrender (Go's text/template, process start included), best of 5 in CPU seconds. Also checks
   the two outputs are the same bytes.
2. One line: ``render(compile_value(...), {...})`` per call as the round trip calls it, against
   the small line evaluator it replaced (git ``18cd07e:pytest_envssot/render.py``), best of 5 in
   CPU seconds.

    python -m benchmarks.render [N]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path

from pytest_envssot.gotemplate.execute import compile_value, render
from pytest_envssot.vault.offline import Options, run

ROOT = Path(__file__).resolve().parent.parent
LINE = 'X={{ with .Data.data.X }}{{ printf "%q" . }}{{ else }}""{{ end }}'


def cpu() -> float:
    """CPU seconds of this process and its finished children: steadier than wall time on a
    shared machine, and it counts the Go process's own work. From getrusage (microseconds):
    os.times() counts clock ticks, 10 ms here, as much as Go spends on 1,000 vars."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = cpu()
        fn()
        times.append(cpu() - start)
    return min(times)


def build_go(tmp: Path) -> Path | None:
    go = shutil.which("go")
    if go is None:
        return None
    env = {**os.environ, "GOCACHE": str(tmp / "cache"), "GOPATH": str(tmp / "gopath"),
           "GOPROXY": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}  # fmt: skip
    binary = tmp / "ctrender"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=ROOT / "tests/go/ctrender",
                   env=env, check=True)  # fmt: skip
    return binary


def whole_file(n: int, tmp: Path) -> None:
    path = "secret/data/bench/production/app"
    lines = ['{{ with secret (printf "secret/data/bench/%s/app" (env "ENV")) }}']
    data = {}
    for i in range(n):
        lines.append(LINE.replace("X", f"VAR_{i}"))
        if i % 2:
            data[f"VAR_{i}"] = f'value {i} with "quotes" and \u00a0 and ${{X}}'
    lines.append("{{ end }}\n")
    template = tmp / "secrets.ctmpl"
    template.write_text("\n".join(lines))
    response = {"data": {"data": data, "metadata": {"version": 1}}}
    secrets = tmp / "secrets.json"
    secrets.write_text(json.dumps({path: response}))
    out = tmp / "out.env"
    options = Options(str(template), [str(secrets)], "production", out=str(out))
    devnull = open(os.devnull, "w")  # noqa: SIM115
    ours = best(lambda: run(options, devnull, devnull))
    binary = build_go(tmp)
    if binary is None:
        print(f"whole file, {n} vars: envssot render {ours:.3f} s (Go not installed)")
        return
    job = json.dumps([{"template": template.read_text(), "secrets": {path: response},
                       "env": {"ENV": "production"}}])  # fmt: skip

    def go() -> bytes:
        done = subprocess.run([str(binary)], input=job, capture_output=True, text=True, check=True)
        return bytes.fromhex(json.loads(done.stdout)[0]["output_hex"])

    theirs = best(go)
    same = go() == out.read_bytes()
    print(f"whole file, {n} vars: envssot render {ours:.3f} CPU s, Go text/template "
          f"{theirs:.3f} CPU s (process start included): {ours / theirs:.1f}x; same bytes: {same}")  # fmt: skip


def one_line(calls: int) -> None:
    source = subprocess.run(["git", "show", "18cd07e:pytest_envssot/render.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    # Its imports as they were before the template packages moved (issue 12).
    source = source.replace("    parse_tree,\n", "").replace(
        "from pytest_envssot.readers.template import (",
        "from pytest_envssot.gotemplate.parser import parse_tree\n"
        "from pytest_envssot.gotemplate.tree import (",
    )
    old = types.ModuleType("old_render")
    exec(compile(source, "old_render", "exec"), old.__dict__)
    value = {"X": 'a "quoted" value\u00a0with ${X}'}
    nodes_new, nodes_old = compile_value(LINE[2:]), old.compile_value(LINE[2:])
    assert render(nodes_new, value) == old.render(nodes_old, value)
    new_t = best(lambda: [render(nodes_new, value) for _ in range(calls)])
    old_t = best(lambda: [old.render(nodes_old, value) for _ in range(calls)])
    print(f"one line x {calls}: {new_t / calls * 1e6:.1f} us per call vs {old_t / calls * 1e6:.1f} "
          f"us with the old line evaluator: {new_t / old_t:.2f}x")  # fmt: skip


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        whole_file(n, Path(tmp))
    one_line(20000)


if __name__ == "__main__":
    main()
