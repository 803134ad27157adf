"""``kgsite``: build, serve, export and check a notes folder.

A thin adapter: ``build`` and ``serve`` run MkDocs with the ``knowledge-graph`` plugin
(the project's ``mkdocs.yml`` if there is one, otherwise a built-in configuration);
``export`` and ``check`` call the graph builder directly.

``build`` never leaves a half-written site: MkDocs builds into a fresh folder beside the
target, and only when that succeeded (``--strict`` included) are the changed files moved
into the site, unchanged files left untouched (same bytes, same modification time) and
files of pages that no longer exist removed. A failed build leaves the previous site as
it was. The notes folder is only ever read.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from graph import headstart
from graph.gcpolicy import held
from graph.vocabulary import VocabularyError

# This module imports only what ``kgsite build`` needs before it starts parsing the notes
# (graph.headstart); the pipeline, NetworkX and MkDocs are imported where they are used.

#: Fixed build time for reproducible output (the gzip header of sitemap.xml.gz, the
#: sitemap's dates), unless the user sets SOURCE_DATE_EPOCH themselves.
DEFAULT_SOURCE_DATE_EPOCH = "0"
#: Files that show an existing folder is a built site kgsite may update.
SITE_MARKERS = ("index.html", "sitemap.xml", "404.html")
#: The parsed-notes cache folder the user chose, if any (default: ``.kgsite-cache`` beside the site).
USER_CACHE_DIR = os.environ.get("KGSITE_CACHE_DIR", "")


class UsageError(Exception):
    """A request kgsite refuses because it could lose the user's files."""


def default_config() -> Path:
    return Path(str(resources.files("generator") / "default" / "mkdocs.yml"))


def _config_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    local = Path("mkdocs.yml")
    return local if local.is_file() else default_config()


def _mkdocs_args(args: argparse.Namespace) -> dict[str, object]:
    os.environ["KGSITE_NOTES"] = str(Path(args.notes).resolve())
    os.environ.setdefault("SOURCE_DATE_EPOCH", DEFAULT_SOURCE_DATE_EPOCH)
    return {"config_file": str(_config_path(args.config))}


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each message (as :data:`logging.lastResort`
    does): a caller that builds twice in one process (a notebook, a test's capture) may
    have replaced, and closed, the stream that was stderr at the first build."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: object) -> None:
        """Kept for ``StreamHandler``'s own code; the stream is always today's stderr."""


def _setup_logging(verbose: bool = True) -> None:
    """Show MkDocs' and the plugin's messages (diagnostics, the change report) on stderr."""
    logger = logging.getLogger("mkdocs")
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def check_site_dir(site: Path, notes: Path) -> None:
    """Refuse a site folder whose cleaning would delete the notes or other files."""
    site, notes = site.resolve(), notes.resolve()
    if site == notes or site in notes.parents:
        raise UsageError(f"the site folder {site} contains the notes folder {notes}; building there would "
                         "replace your notes. Choose another --site-dir.")
    if site.is_dir() and any(site.iterdir()) and not any((site / m).is_file() for m in SITE_MARKERS):
        raise UsageError(f"{site} is not empty and does not look like a built site; kgsite replaces the "
                         "content of the site folder, so it refuses to use this one. Choose another --site-dir "
                         "or empty it.")


@dataclass(frozen=True)
class Published:
    written: int
    unchanged: int
    removed: int


def publish(built: Path, site: Path) -> Published:
    """Move a successful build into ``site``, touching only what changed.

    Each changed file is replaced atomically (``os.replace``), so a reader never sees half
    a page; files whose bytes are the same keep their inode and modification time.
    """
    if not site.exists():
        os.replace(built, site)
        return Published(sum(1 for p in site.rglob("*") if p.is_file()), 0, 0)
    written = unchanged = removed = 0
    new_files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file() or p.is_symlink())
    for rel in new_files:
        src, dst = built / rel, site / rel
        if dst.is_file() and not dst.is_symlink() and filecmp.cmp(src, dst, shallow=False):
            unchanged += 1
            continue
        for parent in reversed(dst.relative_to(site).parents):
            p = site / parent
            if p.exists() and not p.is_dir():
                p.unlink()
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.is_dir() and not dst.is_symlink():
            shutil.rmtree(dst)
        os.replace(src, dst)
        written += 1
    keep = set(new_files)
    for p in sorted(site.rglob("*"), key=lambda q: len(q.parts), reverse=True):
        rel = p.relative_to(site)
        if p.is_file() or p.is_symlink():
            if rel not in keep:
                p.unlink()
                removed += 1
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()
    shutil.rmtree(built, ignore_errors=True)
    return Published(written, unchanged, removed)


def _site_dir(args: argparse.Namespace) -> Path:
    if args.site_dir:
        return Path(args.site_dir).resolve()
    config_file = _config_path(args.config).resolve()
    if config_file == default_config().resolve():
        return Path("site").resolve()  # never inside the installed package
    return (config_file.parent / "site").resolve()


def _cache_dir(site: Path) -> Path:
    return Path(USER_CACHE_DIR) if USER_CACHE_DIR else site.parent / ".kgsite-cache"


def cmd_build(args: argparse.Namespace) -> int:
    # no collector pass while MkDocs, the theme and the plugins load, and what they made
    # (modules, classes, the configuration: alive for the whole run) frozen out of later
    # passes, which walked it 100 times (0.045 s) before the build began; the plugin
    # unfreezes everything when the build is done (on_shutdown), or main() if it failed
    with held():
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import Abort, ConfigurationError, PluginError

        from generator.themecache import PREVIOUS_SITE

    _setup_logging(not args.quiet)
    kwargs = _mkdocs_args(args)
    site = _site_dir(args)
    notes = Path(args.notes)
    if not notes.is_dir():
        raise FileNotFoundError(f"notes folder not found: {notes}. Point --notes at a folder of Markdown notes.")
    check_site_dir(site, notes)
    site.parent.mkdir(parents=True, exist_ok=True)
    os.environ["KGSITE_CACHE_DIR"] = str(_cache_dir(site))
    # the site being replaced: its pages wrapped in the theme are reused where nothing they
    # show changed (generator/themecache.py)
    if site.is_dir():
        os.environ[PREVIOUS_SITE] = str(site)
    else:
        os.environ.pop(PREVIOUS_SITE, None)
    tmp = Path(tempfile.mkdtemp(prefix=f".{site.name}.kgsite-build-", dir=site.parent))
    kwargs["site_dir"] = str(tmp)
    if args.strict:
        kwargs["strict"] = True
    try:
        with held():
            cfg = load_config(**kwargs)  # type: ignore[arg-type]
            # as `mkdocs build` does: plugins live as long as the process (MkDocs keeps those with
            # startup hooks between configurations), and ours learns here that this is not `serve`
            cfg.plugins.on_startup(command="build", dirty=False)
        try:
            build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except (Abort, ConfigurationError, PluginError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"kgsite: build failed: {exc}", file=sys.stderr)
        if site.exists():
            print(f"kgsite: the previous site in {site} was left as it was.", file=sys.stderr)
        return 1
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        traceback.print_exc()
        print("kgsite: build failed (a bug in kgsite or a template, see above)"
              + (f"; the previous site in {site} was left as it was." if site.exists() else "."), file=sys.stderr)
        return 1
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pub = publish(tmp, site)
    print(f"kgsite: site written to {site} ({pub.written} files written, {pub.unchanged} unchanged, "
          f"{pub.removed} removed)")
    return 0


class _DirtyWarningFilter(logging.Filter):
    """MkDocs warns that dirty builds may leave navigation stale; kgsite rebuilds every
    page whenever the navigation or configuration changes, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("A 'dirty' build is being performed")


def cmd_serve(args: argparse.Namespace) -> int:
    from mkdocs.commands.serve import serve

    from generator.watching import event_driven_serve

    _setup_logging()
    kwargs = _mkdocs_args(args)
    # dirty mode: only the pages an edit changed are rebuilt (generator/incremental.py)
    logging.getLogger("mkdocs.commands.build").addFilter(_DirtyWarningFilter())
    with event_driven_serve():  # a save starts the rebuild at once (generator/watching.py)
        serve(dev_addr=args.dev_addr, livereload=True, build_type="dirty", **kwargs)  # type: ignore[arg-type]
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from generator.pipeline import build_result
    from graph.export import to_json

    result, _, _ = build_result(Path(args.notes), tuple(args.vocabulary))
    text = to_json(result.graph)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Everything the user may want to fix or veto, each with file:line."""
    from generator.pipeline import build_result

    result, _, _ = build_result(Path(args.notes), tuple(args.vocabulary))
    g = result.graph
    diags = result.diagnostics
    ambiguous = [d for d in diags if d.code.startswith("ambiguous")]
    dangling = [d for d in diags if d.code == "dangling-link"]
    problems = [d for d in diags if d not in ambiguous and d not in dangling]
    if args.json:
        print(json.dumps({"merges": g.graph["merges"],
                          "ambiguous": [d.__dict__ for d in ambiguous],
                          "dangling": [d.__dict__ for d in dangling],
                          "diagnostics": [d.__dict__ for d in diags]}, ensure_ascii=False, indent=1))
    else:
        print(f"merges ({len(g.graph['merges'])}): non-exact spellings merged into one entity; "
              "veto one in your vocabulary file with `veto: [[surface, name]]`.")
        for m in g.graph["merges"]:
            print(f"  {m['note']}:{m['line']}: '{m['surface']}' -> {m['entity']} ({m['reason']})")
        for title, items in ((f"ambiguous ({len(ambiguous)}): names that match more than one note or entity",
                              ambiguous),
                             (f"dangling links ({len(dangling)}): wikilinks to notes that do not exist", dangling),
                             (f"problems ({len(problems)}):", problems)):
            print(title)
            for d in items:
                print("  " + d.format())
    failing = {"error", "warning"} if args.strict else {"error"}
    return 1 if any(d.level in failing for d in diags) else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kgsite", description="Turn a folder of Markdown notes into a "
                                "knowledge-graph site.")
    sub = p.add_subparsers(dest="command", required=True)

    def notes_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--notes", required=True, help="folder of Markdown notes")
        sp.add_argument("--vocabulary", action="append", default=[], help="extra vocabulary YAML (repeatable)")

    b = sub.add_parser("build", help="build the site")
    b.add_argument("--notes", required=True)
    b.add_argument("--site-dir", default=None, help="output folder (default: ./site)")
    b.add_argument("--strict", action="store_true", help="fail on warnings (the previous site is kept)")
    b.add_argument("--config", default=None, help="mkdocs.yml to use (default: ./mkdocs.yml or built-in)")
    b.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
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
    ch.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    ch.set_defaults(func=cmd_check)
    return p


SET_FOR_MKDOCS = ("KGSITE_NOTES", "KGSITE_CACHE_DIR", "SOURCE_DATE_EPOCH")
"""What a command sets in the environment for MkDocs' configuration to read."""


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    saved = {name: os.environ.get(name) for name in SET_FOR_MKDOCS}
    try:
        if args.command == "build":
            # the notes are parsed on the second core while MkDocs and the theme load
            headstart.begin(Path(args.notes), _cache_dir(_site_dir(args)))
        return int(args.func(args))
    except (FileNotFoundError, VocabularyError, UsageError) as exc:
        print(f"kgsite: {exc}", file=sys.stderr)
        return 2
    finally:
        headstart.cancel()  # a build that failed before its graph stage did not take it
        gc.unfreeze()  # (a build that failed early froze what MkDocs had loaded: cmd_build)
        # called from Python (a test, a script), the next build must not find this one's notes folder
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run() -> None:
    """The ``kgsite`` command: :func:`main`, then the process ends without tearing down its
    heap. Freeing every object of a build one by one (the graph, the pages, the parse
    cache) took the interpreter 0.4 s after a 1,000-note build had finished, and seconds at
    10,000; the operating system takes the memory back at once. Everything is written and
    closed by then: output is flushed here, and every child process was joined."""
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
