"""docs/CONFIG.md, generated from the config dataclasses so the reference cannot drift from the
code: keys, types and defaults come from the fields, descriptions from their source comments.
`python -m vqa.config_reference --out docs/CONFIG.md` regenerates it; `--check` fails if stale."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import io
import json
import sys
import textwrap
import tokenize
import types
import typing
from pathlib import Path

import yaml

from vqa.pipelines.jobs import JOB_CONFIGS, config_class
from vqa.serving.config import AppArgs

ROOT = Path(__file__).resolve().parents[2]
COMMAND = "python -m vqa.config_reference --out docs/CONFIG.md"
NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


def source_comments(src: str) -> dict[str, str]:
    """A class body's field → description: its trailing `# comment` joined with the comment-only
    lines under it that continue it (indented past the field, or not starting with a capital); a
    comment-only block right above a field that no comment continues describes that field."""
    toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    code = {n for t in toks if t.type not in NOT_CODE for n in range(t.start[0], t.end[0] + 1)}
    notes = {t.start[0]: t for t in toks if t.type == tokenize.COMMENT}
    alone = {n for n in notes if n not in code}
    text = {n: t.string.lstrip("#").strip() for n, t in notes.items()}
    out, claimed = {}, set()
    for node in ast.parse(src).body[0].body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        lead, m = [], node.lineno - 1
        while m in alone and m not in claimed:
            lead, m = [text[m], *lead], m - 1
        own = [text[n] for n in range(node.lineno, node.end_lineno + 1) if n in notes]
        n = node.end_lineno + 1
        if own and n in alone and (notes[n].start[1] > node.col_offset or notes[n].string
                                   .startswith("#  ") or not text[n][:1].isupper()):
            while n in alone:
                own, n = [*own, text[n]], n + 1
                claimed.add(n - 1)
        out[node.target.id] = " ".join(line for line in lead + own if line)
    return out


def type_text(tp: typing.Any) -> str:
    """A type as a YAML writer reads it: `float | null`, `list[str]`, one of `a`, `b`."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None) or tp is typing.Any:
        return "null" if tp is type(None) else "any"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{yaml_text(a)}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_text(a) for a in args)
    if origin in (list, tuple, dict):
        return f"{origin.__name__}[{', '.join(type_text(a) for a in args)}]"
    return getattr(tp, "__name__", str(tp))


def nested(tp: typing.Any, key: str) -> list[tuple[str, type]]:
    """The dataclasses inside a field's type, each with the key path a YAML file reaches it by."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if dataclasses.is_dataclass(tp):
        return [(key, tp)]
    if origin in (list, tuple) and args:
        return nested(args[0], f"{key}[]")
    if origin is dict and len(args) == 2:
        return nested(args[1], f"{key}.<name>")
    if origin in (typing.Union, types.UnionType):
        return [n for a in args for n in nested(a, key)]
    return []


def yaml_text(value: typing.Any) -> str:
    """A value as YAML flow text; the JSON round trip makes dataclasses, tuples and paths plain."""
    value = json.loads(json.dumps(value, default=lambda o: dataclasses.asdict(o)
                                  if dataclasses.is_dataclass(o) else str(o)))
    return yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False,
                          allow_unicode=True).strip().removesuffix("...").strip()


def default_of(f: dataclasses.Field) -> typing.Any:
    return f.default if f.default_factory is dataclasses.MISSING else f.default_factory()


def default_text(f: dataclasses.Field) -> str:
    """`required`, a YAML value, or for a nested dataclass the values that differ from its table
    (each annotate role's endpoint, say, names its own model)."""
    value = default_of(f)
    if value is dataclasses.MISSING:
        return "required"
    if not dataclasses.is_dataclass(value):
        return f"`{yaml_text(value)}`"
    diff = {g.name: getattr(value, g.name) for g in dataclasses.fields(value)
            if getattr(value, g.name) != default_of(g)}
    return f"see table, except `{yaml_text(diff)}`" if diff else "see table"


def cell(text: str) -> str:
    """A table cell: `|` escaped; `<word>` outside code spans kept visible (not an HTML tag)."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def tables(cls: type, prefix: str, seen: dict[type, str]) -> list[tuple[str, type, list]]:
    """(key, class, rows) for `cls` then, depth first, each nested dataclass not yet in `seen`:
    one table per class per section, later uses name the key of the first."""
    hints, comments = typing.get_type_hints(cls), {}
    for klass in reversed([k for k in cls.__mro__ if dataclasses.is_dataclass(k)]):  # inherited
        comments.update(source_comments(textwrap.dedent(inspect.getsource(klass))))
    rows, children = [], []
    for f in dataclasses.fields(cls):
        key, kind = f"{prefix}{f.name}", type_text(hints[f.name])
        for sub_key, sub in nested(hints[f.name], key):
            if sub in seen:
                kind += f" (as `{seen[sub]}`)"
            else:
                seen[sub] = sub_key
                children.append((sub_key, sub))
        rows.append([f"`{key}`", kind, default_text(f), comments.get(f.name, "")])
    return [(prefix.rstrip("."), cls, rows)] + [
        table for sub_key, sub in children for table in tables(sub, f"{sub_key}.", seen)]


def example_configs(kind: str, names: list[str]) -> list[str]:
    """The configs/ files that load into `kind`: `<local|cluster>-<kind>.yaml`, and for `train`
    every other name (a strategy's stage list or a paper's recipe), as tests/test_config.py."""
    kinds = {n: Path(n).stem.split("-", 1)[-1] for n in names}
    return [f"configs/{n}" for n in sorted(names)
            if (kinds[n] if kinds[n] in JOB_CONFIGS else "train") == kind]


def section(title: str, intro: str, cls: type) -> list[str]:
    """A job's tables, each under its class's own docstring (not the one dataclass makes up)."""
    lines = [f"## {title}", "", intro, ""]
    for key, klass, rows in tables(cls, "", {cls: ""}):
        lines += [f"### `{key}` — `{klass.__name__}`", ""] if key else []
        doc = klass.__dict__.get("__doc__") or ""
        if doc and not doc.startswith(f"{klass.__name__}("):
            lines += [" ".join(inspect.cleandoc(doc).split("\n\n")[0].split()), ""]
        lines += ["| key | type | default | description |", "|---|---|---|---|"]
        lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
        lines.append("")
    return lines


def render(config_names: list[str] | None = None) -> str:
    """The reference: one section per job kind in JOB_CONFIGS order, then the Serve apps' args."""
    if config_names is None:
        config_names = [p.name for p in (ROOT / "configs").glob("*.yaml")]
    lines = ["# Configuration reference", "",
             f"_Generated from the config dataclasses by `{COMMAND}`; do not edit it by hand "
             "(a test checks it is current). Descriptions are the fields' source comments._", "",
             "Each job reads one YAML file validated into a dataclass: an unknown key is an error "
             "that names it; a `required` key has no default. `a[].b` is key `b` of each item of "
             "list `a`, `a.<name>.b` key `b` of each entry of mapping `a`.", ""]
    lines += [f"- [{kind}](#{kind})" for kind in JOB_CONFIGS] + ["- [serve](#serve)", ""]
    first: dict[str, str] = {}
    for kind, ref in JOB_CONFIGS.items():
        base, _, mode = kind.partition("-")
        command = ("vqa pipeline FILE" if kind == "pipeline" else
                   f"vqa {base}{f' --mode {mode}' if mode else ''} --config FILE")
        examples = ", ".join(f"`{n}`" for n in example_configs(kind, config_names)) or "none"
        intro = f"Command: `{command}` · config: `{ref}` · examples: {examples}"
        if ref in first:
            lines += [f"## {kind}", "", intro, "", f"Keys as [{first[ref]}](#{first[ref]}).", ""]
        else:
            first[ref] = kind
            lines += section(kind, intro, config_class(kind))
    lines += section("serve", "Command: `vqa serve --model DIR` or `serve run "
                     "serve_apps/config.yaml` · config: `vqa.serving.config:AppArgs`, the `args:` "
                     "of each application (`rater`, `chatter`) in `serve_apps/config.yaml`", AppArgs)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vqa.config_reference", description=__doc__)
    p.add_argument("--out", help="write the reference here (default: print it; --check: "
                                 "docs/CONFIG.md)")
    p.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args, text = p.parse_args(argv), render()
    path = Path(args.out or "docs/CONFIG.md")
    if args.check and (not path.is_file() or path.read_text() != text):
        print(f"{path} is out of date: run {COMMAND.replace('docs/CONFIG.md', str(path))}",
              file=sys.stderr)
        return 1
    if not args.check:
        (path.write_text if args.out else sys.stdout.write)(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
