"""The house drawn from the imports: every module under platform/vqa (and the Serve apps and job
entrypoints beside it) parsed with `ast` — imports at any depth, inside functions too, and the
"module:Class" names a table imports by text (the job kinds' config classes) — each module put in
its room (its top-level subpackage or module), each room on a floor. Nothing imports a room on a
higher floor, no two rooms import each other round a circle, and no circle runs through the
modules of model/. The one arrow up is the CLI's: `vqa pipeline` runs each of its steps through
the CLI's dispatcher (`vqa.cli`)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom to top. A room may import its own floor or any floor below (no circle), never above.
FLOORS = [
    ("base", {"vqa", "errors", "storage", "config", "runtime", "native_stderr"}),
    ("foundations", {"video", "data", "tracking", "outputs", "corpus"}),
    ("library", {"subjective", "distort", "annotate", "model", "objective",
                 "evaluate", "train", "serving", "pipeline"}),
    ("ray", {"pipelines", "serve_apps"}),
    ("commands", {"commands", "config_reference"}),
    ("entrypoints", {"cli", "demo", "jobs"}),
]
# (importing module, imported module): the CLI dispatcher, called by the command that runs the
# other commands as the steps of a pipeline.
ALLOWED_UP = {("vqa.commands.pipeline", "vqa.cli")}
TEXT_REF = re.compile(r"^(vqa(?:\.\w+)+):\w+$")  # "vqa.pipelines.ingest:IngestConfig"


def modules() -> dict[str, Path]:
    """Module name → file: vqa.* under platform/, serve_apps.* and jobs.* at the top."""
    out = {}
    for base, folder in ((ROOT / "platform", ROOT / "platform" / "vqa"),
                         (ROOT, ROOT / "serve_apps"), (ROOT, ROOT / "jobs")):
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "vqa":
        return parts[0]  # serve_apps, jobs
    return parts[1] if len(parts) > 1 else "vqa"


def _known(name: str, mods: dict[str, Path]) -> str | None:
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, path: Path, mods: dict[str, Path]) -> list[tuple[str, int]]:
    """(imported vqa module, line) for every import in the file, at any depth."""
    out = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package
                pkg = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
                pkg = pkg[:len(pkg) - node.level + 1]
                base = ".".join(pkg + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                     for a in node.names]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            m = TEXT_REF.match(node.value)
            names = [m.group(1)] if m else []
        for name in names:
            if name.split(".")[0] in ("vqa", "serve_apps", "jobs"):
                target = _known(name, mods)
                if target and target != module:
                    out.append((target, node.lineno))
    return out


def edges() -> list[tuple[str, str, int]]:
    mods = modules()
    return [(m, t, line) for m, p in sorted(mods.items()) for t, line in imports(m, p, mods)]


def floor_of() -> dict[str, int]:
    return {r: i for i, (_, rooms) in enumerate(FLOORS) for r in rooms}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts of `graph` with more than one node (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def _show(es) -> str:
    return "\n".join(f"  {a} -> {b}  (line {line})" for a, b, line in sorted(set(es)))


def test_every_room_has_a_floor():
    floors = floor_of()
    assert len(floors) == sum(len(rooms) for _, rooms in FLOORS), "a room on two floors"
    missing = sorted({room(m) for m in modules()} - set(floors))
    assert not missing, f"rooms with no floor (add them to FLOORS): {missing}"


def test_no_arrow_runs_up():
    floors = floor_of()
    up = [(a, b, line) for a, b, line in edges()
          if floors.get(room(b), -1) > floors.get(room(a), -1) and (a, b) not in ALLOWED_UP]
    names = [name for name, _ in FLOORS]
    assert not up, ("imports of a higher floor (floors, bottom up: " + " < ".join(names) +
                    "):\n" + _show(up))


def test_no_circle_between_rooms():
    graph = defaultdict(set)
    for a, b, _ in edges():
        if room(a) != room(b) and (a, b) not in ALLOWED_UP:
            graph[room(a)].add(room(b))
    found = cycles(graph)
    detail = [(a, b, line) for a, b, line in edges() if (a, b) not in ALLOWED_UP
              and any(room(a) in c and room(b) in c and room(a) != room(b) for c in found)]
    assert not found, f"rooms importing each other round a circle {found}:\n{_show(detail)}"


def test_no_circle_inside_model():
    inside = [(a, b, line) for a, b, line in edges()
              if a.startswith("vqa.model.") and b.startswith("vqa.model.")]
    graph = defaultdict(set)
    for a, b, _ in inside:
        graph[a].add(b)
    found = cycles(graph)
    detail = [(a, b, line) for a, b, line in inside if any(a in c and b in c for c in found)]
    assert not found, f"model/ modules importing each other round a circle {found}:\n" \
                      f"{_show(detail)}"


def test_the_drawing_sees_what_it_must():
    """The parser sees imports inside functions and the job table's text names, and the one
    allowed arrow up is still there to allow (else ALLOWED_UP is stale)."""
    es = {(a, b) for a, b, _ in edges()}
    assert ("vqa.pipelines.jobs", "vqa.pipelines.ingest") in es  # "vqa.pipelines.ingest:…"
    assert ("vqa.cli", "vqa.commands") in es
    assert ALLOWED_UP <= es
