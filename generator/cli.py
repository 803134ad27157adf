"""``kgsite``: build, serve, export and check a notes folder.

A thin adapter: ``build`` and ``serve`` run MkDocs with the ``knowledge-graph`` plugin
(the project's ``mkdocs.yml`` if there is one, otherwise a built-in configuration);
``export`` and ``check`` call the graph builder directly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path

from graph.build import build_graph
from graph.export import to_json
from graph.vocabulary import VocabularyError


def default_config() -> Path:
    return Path(str(resources.files("generator") / "default" / "mkdocs.yml"))


def _config_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    local = Path("mkdocs.yml")
    return local if local.is_file() else default_config()


def _mkdocs_args(args: argparse.Namespace) -> dict[str, object]:
    os.environ["KGSITE_NOTES"] = str(Path(args.notes).resolve())
    return {"config_file": str(_config_path(args.config))}


def cmd_build(args: argparse.Namespace) -> int:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, ConfigurationError, PluginError

    kwargs = _mkdocs_args(args)
    if args.site_dir:
        kwargs["site_dir"] = str(Path(args.site_dir).resolve())
    if args.strict:
        kwargs["strict"] = True
    try:
        cfg = load_config(**kwargs)  # type: ignore[arg-type]
        build(cfg)
    except (Abort, ConfigurationError, PluginError) as exc:
        print(f"kgsite: build failed: {exc}", file=sys.stderr)
        return 1
    print(f"kgsite: site written to {cfg.site_dir}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from mkdocs.commands.serve import serve

    kwargs = _mkdocs_args(args)
    serve(dev_addr=args.dev_addr, livereload=True, **kwargs)  # type: ignore[arg-type]
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    result = build_graph(Path(args.notes), tuple(args.vocabulary))
    text = to_json(result.graph)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    result = build_graph(Path(args.notes), tuple(args.vocabulary))
    g = result.graph
    if args.json:
        print(json.dumps({"diagnostics": g.graph["diagnostics"], "merges": g.graph["merges"]},
                         ensure_ascii=False, indent=1))
    else:
        print(f"merges ({len(g.graph['merges'])}): non-exact spellings merged into one entity; "
              "veto one in your vocabulary file with `veto: [[surface, name]]`.")
        for m in g.graph["merges"]:
            print(f"  {m['note']}:{m['line']}: '{m['surface']}' -> {m['entity']} ({m['reason']})")
        print(f"diagnostics ({len(result.diagnostics)}):")
        for d in result.diagnostics:
            print("  " + d.format())
    return 1 if any(d.level == "error" for d in result.diagnostics) else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kgsite", description="Turn a folder of Markdown notes into a "
                                "knowledge-graph site.")
    sub = p.add_subparsers(dest="command", required=True)

    def notes_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--notes", required=True, help="folder of Markdown notes")
        sp.add_argument("--vocabulary", action="append", default=[], help="extra vocabulary YAML (repeatable)")

    b = sub.add_parser("build", help="build the site")
    b.add_argument("--notes", required=True)
    b.add_argument("--site-dir", default=None)
    b.add_argument("--strict", action="store_true", help="fail on warnings")
    b.add_argument("--config", default=None, help="mkdocs.yml to use (default: ./mkdocs.yml or built-in)")
    b.set_defaults(func=cmd_build)
    s = sub.add_parser("serve", help="serve the site and rebuild when notes change")
    s.add_argument("--notes", required=True)
    s.add_argument("--config", default=None)
    s.add_argument("--dev-addr", default="127.0.0.1:8000")
    s.set_defaults(func=cmd_serve)
    e = sub.add_parser("export", help="write the graph as node-link JSON")
    notes_args(e)
    e.add_argument("--format", choices=["json"], default="json")
    e.add_argument("-o", "--output", default=None)
    e.set_defaults(func=cmd_export)
    ch = sub.add_parser("check", help="list merges, ambiguous terms and problems with file:line")
    notes_args(ch)
    ch.add_argument("--json", action="store_true")
    ch.set_defaults(func=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (FileNotFoundError, VocabularyError) as exc:
        print(f"kgsite: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
