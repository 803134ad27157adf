"""The MkDocs plugin ``knowledge-graph``: a thin adapter over :func:`build_site`.

Pages reach MkDocs as generated files (``File.generated``) so nothing is written into
``docs_dir``: ``mkdocs serve`` never loops. Notes outside ``docs_dir`` are watched.
Diagnostics become MkDocs warnings, which ``--strict`` turns into a failed build.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import markdown as python_markdown  # type: ignore[import-untyped]
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.utils import write_file

from generator import early, incremental, indexing
from generator.forkpages import ForkedPages
from generator.indexer import Indexer
from generator.pagecache import PageCache
from generator.pagewriter import MKDOCS_LOGGER, HandedOver, PageWriter
from generator.paths import Layout
from generator.pipeline import Built, build_site, forget_parsed
from generator.prerender import Prerendered, Rendered, install, install_meta
from generator.preview import note_preview
from generator.render import MemoryBytecode, finished_html, template_cache
from generator.search import page_location, postprocess, release_search_index, text_key
from generator.site import Drawn, GeneratedSite, SiteOptions, stats_markdown
from generator.skeleton import Skeletons
from generator.themecache import ThemeCache
from graph.cache import default_cache_dir
from graph.vocabulary import VocabularyError

log = get_plugin_logger(__name__)
STATS_MARKER = "<!-- kgsite:stats -->"
PARKED_TEXT_MAX = 32_000_000
"""Bytes of our pages' HTML held as text between reading and writing them (at 1,000 notes
about 25 MB: compressing and expanding them took 0.15 s of the build, on one core); the
pages past it wait compressed (10,000 notes: several hundred MB as text)."""
SEGMENTS_MEMO_MAX = 20_000_000
"""Largest search index (bytes) whose cut texts are kept between builds."""


class KnowledgeGraphConfig(Config):  # type: ignore[no-untyped-call]
    notes = c.Type(str, default="docs/notes")
    vocabulary = c.ListOfItems(c.Type(str), default=[])
    prefix = c.Type(str, default="")
    templates = c.Type(str, default="")
    map = c.Type(bool, default=True)
    #: parsed-notes cache between builds; "" = ``.kgsite-cache`` beside the site folder
    cache_dir = c.Type(str, default="")
    #: our pages outside the navigation filled into the theme rendered once per kind of page
    #: (checked against full renders, see generator.skeleton); false renders each in full
    fast_theme = c.Type(bool, default=True)


class KnowledgeGraphPlugin(BasePlugin[KnowledgeGraphConfig]):  # type: ignore[no-untyped-call]
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.built: Built | None = None  # the whole build while serving; only its site otherwise
        self.map_file: File | None = None  # the map's data file, its content due in on_env
        self.page_cache: PageCache | None = None
        self.map_site: GeneratedSite | None = None
        self.site: GeneratedSite | None = None
        self.stats = ""  # the figures table for pages that ask for it
        self.stats_pages: set[str] = set()  # the pages that ask for it
        self.parked: dict[str, bytes | str] = {}  # our pages' HTML between reading and writing them
        self.parked_bytes = 0  # of the pages parked as text
        self.ours: set[str] = set()  # pages whose HTML we rendered (not the theme's Markdown pages)
        self.notes_prefix = "notes/"
        self.notes_dir = Path()
        self.serving = False
        self.dirty = False
        self.building_pages = False
        self.generated_dests: dict[str, str] = {}
        self.live_pages: list[str] = []
        self.index_counts: Counter[str] = Counter()
        self.segmented: dict[str, str] = {}  # search texts already cut into words (while serving)
        self.compiled = MemoryBytecode(template_cache())  # the theme's templates, compiled once (ever)
        self.content_memo: dict[str, tuple[str, str]] = {}  # page -> its HTML in and out (while serving)
        self.rendered: Rendered = {}  # page -> the HTML MkDocs got for it (while serving)
        #: page -> the HTML MkDocs got for it, already as published, until on_page_content
        self.final: dict[str, str] = {}
        # a page's HTML as published, while it still is (the very string): its search
        # sections found ahead need no check against it (indexing.feed_lean_html)
        self.pristine: dict[str, str | None] = {}
        self.replaced: HandedOver | None = None  # while serving: pages written in one step
        self.nav: Any = None
        self.env: Any = None  # the theme's environment, files and configuration of the last build (serving)
        self.files: Files | None = None
        self.served_pages: Sequence[File] | None = None  # the last build's pages as serve lists them (preview)
        self.mkdocs_config: MkDocsConfig | None = None
        self.forked: ForkedPages | None = None  # our pages the theme renders in a forked worker
        self.themed: ThemeCache | None = None  # our pages as the theme wrapped them in earlier builds
        self.skeletons: Skeletons | None = None  # our pages filled into the theme rendered once per kind
        self.writer: PageWriter | None = None  # the page files, written by a child process
        self.indexer: Indexer | None = None  # our pages' search sections, found by a forked child
        self.encoded: tuple[str, bytes] | None = None  # the last page's output, as MkDocs writes it
        self.build_args: tuple[tuple[str, ...], tuple[Path, ...]] = ((), ())  # vocabulary files, excluded folders

    def on_startup(self, *, command: str, dirty: bool) -> None:
        # While serving, MkDocs builds into a temporary folder: cache in memory only.
        self.serving = command == "serve"
        # `kgsite serve` (or `mkdocs serve --dirty`): rebuild only the pages an edit changed
        self.dirty = self.serving and dirty
        if self.serving and self.replaced is None:
            # pages written whole in one step while serving (_hand_to_writer): not "skipped"
            self.replaced = HandedOver()
            logging.getLogger(MKDOCS_LOGGER).addFilter(self.replaced)

    def on_shutdown(self) -> None:
        """What the build held is collectable again (it was kept out of the collector's passes,
        ``generator.pipeline.build_site``), now that the process is done building: not at the
        end of the build, where the search index's rewrite made the collector walk every
        object of the build once more (0.15 s at 1,000 notes) just before the process ended."""
        gc.unfreeze()
        if self.replaced is not None:
            logging.getLogger(MKDOCS_LOGGER).removeFilter(self.replaced)
            self.replaced = None

    def _cache_dir(self, config: MkDocsConfig) -> Path | None:
        if self.serving:
            return None
        if self.config.cache_dir:
            return (self._base(config) / self.config.cache_dir).resolve()
        return Path(os.environ.get("KGSITE_CACHE_DIR") or default_cache_dir(Path(config.site_dir)))

    def _base(self, config: MkDocsConfig) -> Path:
        return Path(config.config_file_path or ".").resolve().parent

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # same notes, same bytes under plain `mkdocs build` too (sitemap.xml.gz embeds a time)
        os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
        notes = os.environ.get("KGSITE_NOTES") or self.config.notes
        self.notes_dir = (self._base(config) / notes).resolve()
        if "md_in_html" not in config.markdown_extensions:
            config.markdown_extensions.append("md_in_html")
        css = Layout(self.config.prefix).asset("kgsite.css")
        if css not in config.extra_css:
            config.extra_css.append(css)
        search_js = Layout(self.config.prefix).asset("kgsite-search.js")
        if search_js not in [str(x) for x in config.extra_javascript]:
            config.extra_javascript.append(search_js)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.themed = None
        self.skeletons = None
        self.index_counts = indexing.feed_lean_html(config, self._indexed, self._pristine)
        if self.dirty:
            # Material merges a dirty build's index with the previous one for one page only;
            # generator.incremental merges every page instead
            for plugin in config.plugins.values():
                if hasattr(plugin, "search_index_prev"):
                    plugin.search_index_prev = None

    def _pristine(self, page: Page) -> bool:
        """Whether ``page``'s HTML is, as an object, the one we published: no plugin has
        changed it since (asked once, as the page is indexed)."""
        return self.pristine.pop(page.file.src_uri, None) is page.content

    def _indexed(self, page: str) -> indexing.Indexed | None:
        """A generated page's search sections, found ahead (taken once)."""
        if self.indexer is not None and page in self.indexer:
            return self.indexer.take(page)
        return self.site.indexed.pop(page, None) if self.site is not None else None

    @event_priority(-100)  # the final navigation
    def on_nav(self, nav: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        self.nav = nav
        site = self.site
        if not self.serving and site is not None and indexing.uses_material_search(config):
            # our pages' search sections, found by a child while MkDocs reads and wraps pages
            drawn = site.prerendered
            order = [f.src_uri for f in files.documentation_pages(inclusion=InclusionLevel.is_included)
                     if f.src_uri in drawn and f.src_uri not in site.indexed]
            self.indexer = Indexer.start(order, lambda uri: drawn[uri].html if uri in drawn else None)
        return nav

    def _stop_indexer(self) -> None:
        if self.indexer is not None:
            self.indexer.close()
        self.indexer = None

    @event_priority(-100)  # after every plugin prepared the environment (the tags' listings)
    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        # every page was read (tags, titles); from here on only changed pages are built
        self.building_pages = True
        if self.map_file is not None and self.map_site is not None:
            pending = self.map_site.pending_map
            if pending is not None and not pending.ready():
                # the layout is not done: MkDocs would wait for it here, with a core idle while
                # it writes pages on the other; it is written first thing after the pages
                files.remove(self.map_file)
            else:
                self.map_file.content_bytes = self.map_site.finish_map()
                self.map_site = None
        # the theme's templates compiled once: per process while serving, and between builds
        env.bytecode_cache = self.compiled
        if self.serving:
            self.env, self.files, self.mkdocs_config = env, files, config
        elif self.nav is not None:
            # the pages as MkDocs is about to build them, in its order
            doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
            wrap = self.ours
            ours = [f.page for f in doc_files if f.page is not None and f.src_uri in self.ours]
            if self.page_cache is not None:
                self.themed = ThemeCache.start(self.page_cache, config, self.nav, env, ours, self.parked)
                wrap = self.ours - set(self.themed.hits)
            if self.config.fast_theme:
                self.skeletons = Skeletons.start([p for p in ours if p.file.src_uri in wrap], env)
                if self.skeletons is not None:
                    wrap = wrap - self.skeletons.taken
            self.forked = ForkedPages.start(doc_files, wrap, self.nav, env, config)
            self.writer = PageWriter.start(len(doc_files))
        return env

    def on_build_error(self, *, error: Exception) -> None:
        gc.unfreeze()
        self._stop_forked()
        self._stop_indexer()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.skeletons = None
        if self.map_site is not None and self.map_site.pending_map is not None:
            self.map_site.pending_map.cancel()  # (nothing will be written)
        self.map_site = None
        self.themed = None  # (the record of the last build that succeeded stays)

    def _stop_forked(self) -> None:
        if self.forked is not None:
            self.forked.close()
        self.forked = None

    @event_priority(100)  # before any other plugin reads the site
    def _write_map(self, *, config: MkDocsConfig) -> None:
        """Every page file in place (the writer's child done), then the map's data, when its
        layout was not done as MkDocs copied the other files."""
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                writer.finish()
            except OSError as e:
                raise PluginError(str(e)) from e
        if self.map_file is not None and self.map_site is not None:
            write_file(self.map_site.finish_map(), self.map_file.abs_dest_path)
            self.map_site = None

    @event_priority(-100)  # after the search plugin wrote its index
    def _post_build(self, *, config: MkDocsConfig) -> None:
        """Japanese-aware search index: see :mod:`generator.search`."""
        if self.serving:
            gc.unfreeze()  # the next rebuild comes in this process: what this build held is collectable again
        self._stop_forked()
        self._stop_indexer()
        if self.skeletons is not None:
            log.info(f"kgsite: {self.skeletons.filled} generated pages filled into the theme rendered once "
                     f"per kind of page, {self.skeletons.full} rendered in full")
            self.skeletons = None
        if self.themed is not None:
            self.themed.finish()
            if self.themed.reused:
                log.info(f"kgsite: {len(self.themed.reused)} of {len(self.themed.keys)} generated pages were "
                         f"unchanged in the theme too; taken from the site being replaced")
            self.themed = None
        site_dir = Path(config.site_dir)
        if self.dirty:
            st = incremental.state(config.site_dir)
            incremental.remove_stale(st, self.generated_dests, site_dir)
            kept = incremental.merge_search_index(st, site_dir / "search" / "search_index.json", self.live_pages)
            log.info(f"kgsite: rebuilt {len(st.rebuilt)} generated pages, kept {kept} pages' search entries")
        if self.site is not None:
            release_search_index(config)
            if self.serving:
                postprocess(site_dir, self.site.search_terms, config.use_directory_urls, self.segmented)
            else:
                self._postprocess_with_cache(site_dir, config)
        log.debug(f"kgsite: search sections of {self.index_counts['ahead']} pages found as they were drawn, "
                  f"{self.index_counts['read']} read by kgsite, {self.index_counts['parsed']} parsed by the "
                  f"search plugin")

    on_post_build = CombinedEvent(_write_map, _post_build)

    def _postprocess_with_cache(self, site_dir: Path, config: MkDocsConfig) -> None:
        """Cutting the index's Japanese into words (a second at 1,000 notes) is done once per
        text: the next build takes unchanged texts' cuts from the page cache. Not for an
        index over ``SEGMENTS_MEMO_MAX`` bytes (10,000 notes: 50 MB), where the build runs
        near its memory budget and the memo would add as much again."""
        assert self.site is not None
        index = site_dir / "search" / "search_index.json"
        cache = self.page_cache
        if cache is None or not index.is_file() or index.stat().st_size > SEGMENTS_MEMO_MAX:
            postprocess(site_dir, self.site.search_terms, config.use_directory_urls)
            return
        kept = cache.load_named("search-segments")
        memo: dict[str, str] = kept if isinstance(kept, dict) else {}
        before = set(memo)
        postprocess(site_dir, self.site.search_terms, config.use_directory_urls, memo, text_key)
        if set(memo) != before:
            cache.store_named("search-segments", memo)

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        docs_dir = Path(config.docs_dir).resolve()
        try:
            notes_rel = self.notes_dir.relative_to(docs_dir).as_posix()
        except ValueError:
            notes_rel = ""
        layout = Layout(self.config.prefix, notes_dir=notes_rel or "notes")
        # where note pages are (under the prefix): the notes' own HTML is defused there
        self.notes_prefix = layout.index(layout.notes_dir).rstrip("/") + "/"
        vocab = tuple(str(self._base(config) / v) for v in self.config.vocabulary)
        # (the search sections of our pages are found as MkDocs reads them: generator.indexer)
        options = SiteOptions(layout=layout, use_directory_urls=config.use_directory_urls,
                              templates=str(self._base(config) / self.config.templates) if self.config.templates
                              else "", map=self.config.map)
        self.build_args = (vocab, (Path(config.site_dir).resolve(),))
        try:
            self.built = build_site(self.notes_dir, vocab, options, exclude=self.build_args[1],
                                    cache_dir=self._cache_dir(config), keep_layout=self.serving,
                                    defer_map=not self.serving, hold=not self.serving)
        except (FileNotFoundError, VocabularyError) as exc:
            raise PluginError(str(exc)) from exc
        for d in self.built.result.diagnostics:
            if d.level == "info":
                log.info(d.format())
            else:
                log.warning(d.format())
        ahead = self.built.result.parsed_ahead
        if ahead:
            log.info(f"kgsite: {ahead} of {len(self.built.result.documents)} notes were parsed while MkDocs was "
                     "starting")
        for target, source in self.built.site.missing_links:
            log.info(f"{source}: links to '{target}', which is not in the notes folder; shown as text.")
        if self.built.changes is not None:
            for line in self.built.changes.lines():
                log.info(line)
        drawn, total = self.built.site.drawn, len(self.built.site.prerendered)
        if not self.serving and drawn < total:
            log.info(f"kgsite: drew {drawn} of {total} generated pages; the others were unchanged since the last "
                     f"build and were read back from its cache")
        if notes_rel:
            for f in list(files):
                inside = f.src_uri == notes_rel or f.src_uri.startswith(notes_rel + "/")
                if inside and f.src_uri.endswith(".md"):
                    files.remove(f)
        else:
            self._copy_note_assets(files, config, layout)
        for path, content in sorted(self.built.site.pages.items()):
            if files.get_file_from_path(path) is not None:
                log.warning(f"{path}: a page of yours has the path kgsite generates; yours is kept.")
                continue
            files.append(File.generated(config, path, content=content, inclusion=InclusionLevel.NOT_IN_NAV))
        for path, data in sorted(self.built.site.assets.items()):
            files.append(File.generated(config, path, content=data))
        self.map_file, self.page_cache = None, self.built.page_cache
        if self.built.site.pending_map is not None:
            # the layout is still being computed; MkDocs copies the file after reading every page (on_env)
            self.map_file = File.generated(config, self.built.site.map_asset, content=b"")
            files.append(self.map_file)
            self.map_site = self.built.site
        if self.dirty:
            self._plan_rebuild(files, config)
        if self.serving and self.built.changes is not None:
            # what the last edit changed, at /kgsite-changes.json of the preview
            report = json.dumps(self.built.changes.to_json(), ensure_ascii=False, indent=1, sort_keys=True)
            files.append(File.generated(config, "kgsite-changes.json", content=report))
        if self.serving:  # pages of deleted notes
            self.rendered = {p: r for p, r in self.rendered.items() if p in self.built.site.pages}
        self.site, self.stats = self.built.site, stats_markdown(self.built.result.graph)
        self.ours, self.parked, self.stats_pages, self.final, self.pristine = set(), {}, set(), {}, {}
        self.parked_bytes = 0
        if not self.serving:
            # from here on MkDocs needs the pages only: the graph, the parsed notes and
            # their texts (most of the memory at 10,000 notes) make room for it
            self.built = None
            forget_parsed()
        return files

    def _plan_rebuild(self, files: Files, config: MkDocsConfig) -> None:
        """Mark the generated pages whose content did not change as not modified (see
        :mod:`generator.incremental`); your own pages are always rebuilt."""
        assert self.built is not None
        site = self.built.site
        self.building_pages = False
        generated = {f.src_uri: f for f in files.documentation_pages() if f.src_uri in site.pages}
        own = sorted(f.src_uri for f in files.documentation_pages() if f.src_uri not in generated)
        config_text = Path(config.config_file_path).read_text(encoding="utf-8") if config.config_file_path else ""
        shape = incremental.digest(repr(config.nav), config_text, *own)
        digests = {p: incremental.digest(site.pages[p], site.prerendered[p].digest if p in site.prerendered else "",
                                         site.inserts.get(p, "")) for p in generated}
        self.generated_dests = {p: f.dest_uri for p, f in generated.items()}
        self.live_pages = [page_location(f.src_uri, config.use_directory_urls)
                           for f in files.documentation_pages()]
        st = incremental.state(config.site_dir)
        changed = incremental.plan(st, shape, digests, self.generated_dests, Path(config.site_dir))
        for path, f in generated.items():
            vars(f)["is_modified"] = lambda c=changed[path]: c or not self.building_pages
        for f in files.documentation_pages():
            if f.src_uri not in generated:
                vars(f)["is_modified"] = lambda: True

    def _copy_note_assets(self, files: Files, config: MkDocsConfig, layout: Layout) -> None:
        """Images beside notes kept outside docs_dir still reach the site."""
        for path in sorted(self.notes_dir.rglob("*")):
            rel = path.relative_to(self.notes_dir)
            if path.is_file() and path.suffix.lower() != ".md" and not any(p.startswith(".") for p in rel.parts):
                uri = layout.vault_file(rel.as_posix())
                if files.get_file_from_path(uri) is None:
                    files.append(File.generated(config, uri, abs_src_path=str(path)))

    def on_pre_page(self, page: Page, /, *, config: MkDocsConfig, files: Files) -> Page:
        """Entity pages arrive as HTML we rendered: MkDocs skips Markdown for them."""
        # taken out of the site: once the page holds its HTML, a second copy is only memory
        pre = self.site.prerendered.pop(page.file.src_uri, None) if self.site is not None else None
        if pre is not None:
            install(page, pre, self.rendered if self.serving else None, self.final)
            self.ours.add(page.file.src_uri)
        said = self.site.meta.pop(page.file.src_uri, None) if self.site is not None else None
        if said is not None:
            install_meta(page, said)
        return page

    @event_priority(100)  # the theme's output, before any other plugin changes it
    def _keep_themed(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        if self.themed is not None:
            self.themed.themed_output(page, output)
        return output

    @event_priority(-100)
    def _drop_written(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """A generated page is written and indexed by now: drop its HTML (at 10,000 notes
        MkDocs would otherwise hold every page's body until the end of the build)."""
        self.pristine.pop(page.file.src_uri, None)  # (where no search plugin asked for it)
        if self.site is not None and page.file.src_uri in self.site.pages:
            page.content = ""
        if self.forked is not None:
            self.forked.written(page)
        if self.themed is not None:
            self.themed.written(page, output, self._encoded)
        return output

    def _encoded(self, output: str) -> bytes:
        """``output`` as MkDocs writes it (encoded once for the record and the writer)."""
        if self.encoded is None or self.encoded[0] is not output:
            self.encoded = (output, output.encode("utf-8", errors="xmlcharrefreplace"))
        return self.encoded[1]

    @event_priority(-1000)  # after every other plugin's changes, even one's said to be last
    def _hand_to_writer(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """The page's file goes to the writer's child (:mod:`generator.pagewriter`); MkDocs
        writes nothing for an empty page. While serving, the page's file is replaced in one
        step instead: MkDocs empties a file before writing it again, and a browser reloading
        at that moment (an edit's pages are written while the last ones are being shown) got
        an empty page."""
        if self.serving and self.replaced is not None and output.strip():
            path = Path(page.file.abs_dest_path)
            path.parent.mkdir(parents=True, exist_ok=True)
            _replace_file(path, output.encode("utf-8", errors="xmlcharrefreplace"))
            self.replaced.pages.add(page.file.src_uri)
            self.encoded = None
            return ""
        if self.writer is None or not output.strip():
            self.encoded = None
            return output
        data = self._encoded(output)
        self.encoded = None
        self.writer.write(page, data)
        return ""

    on_post_page = CombinedEvent(_keep_themed, _drop_written, _hand_to_writer)

    @event_priority(100)  # before the search plugin indexes the page
    def on_page_context(self, context: Any, /, *, page: Page, config: MkDocsConfig, nav: Any) -> Any:
        parked = self.parked.pop(page.file.src_uri, None)
        if parked is not None:
            page.content = parked if isinstance(parked, str) else zlib.decompress(parked).decode("utf-8")
            if page.file.src_uri in self.pristine:
                self.pristine[page.file.src_uri] = page.content
        if self.themed is not None and page.file.src_uri in self.themed.hits:
            return self.themed.context(context, page)
        if self.skeletons is not None and page.file.src_uri in self.skeletons.own:
            return self.skeletons.context(context, page)
        if self.forked is not None:
            return self.forked.context(context, page)
        return context

    @event_priority(-100)  # after every other plugin's changes: the HTML is final
    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """No request outside the site: remote images in notes become links; a note's own
        HTML cannot run script."""
        if self.site is not None:
            html = self.site.insert(page.file.src_uri, html)
        if self.serving:
            before = self.content_memo.get(page.file.src_uri)
            if before is not None and before[0] == html:
                return before[1]
        # a page drawn as published keeps the very string it was given, unless a plugin changed it
        published = self.final.pop(page.file.src_uri, None) is html
        out = html if published else self._finished(page.file.src_uri, html)
        if published and not self.serving:
            # (a drawn page is one of ours, so parked below: its string is recorded as it is
            # restored, on_page_context; held here, it would stay whole beside its compressed copy)
            self.pristine[page.file.src_uri] = None
        if self.serving:
            self.content_memo[page.file.src_uri] = (html, out)
        elif page.file.src_uri in self.ours:
            # MkDocs reads every page before it writes the first: until this one is
            # written (on_page_context), its HTML waits, compressed once the text held
            # reaches PARKED_TEXT_MAX
            size = sys.getsizeof(out)
            if self.parked_bytes + size <= PARKED_TEXT_MAX:
                self.parked[page.file.src_uri] = out
                self.parked_bytes += size
            else:
                self.parked[page.file.src_uri] = zlib.compress(out.encode("utf-8"), 1)
            return ""
        return out

    def _finished(self, src_uri: str, html: str) -> str:
        return finished_html(html, note=src_uri.startswith(self.notes_prefix))

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if STATS_MARKER in markdown and self.site is not None:
            self.stats_pages.add(page.file.src_uri)
            return markdown.replace(STATS_MARKER, self.stats)
        return markdown

    def preview(self, changed: set[Path]) -> Iterator[list[str]]:
        """Draw, wrap in the theme and write the pages a save of the notes in ``changed`` can
        show before the full rebuild: the notes' own pages (:mod:`generator.preview`), then
        every page the edit changed, drawn from the new graph (:mod:`generator.early`).
        Yields each batch written (where it went in the site)."""
        built, files, config = self.built, self.files, self.mkdocs_config
        self.served_pages = None
        if built is None or files is None or config is None or self.env is None or self.nav is None:
            return
        if any(p.suffix.lower() != ".md" or self.notes_dir not in p.parents for p in changed):
            return  # not only notes (a vocabulary, the configuration, your pages): the full rebuild only
        shown = []
        for path in sorted(changed):
            drawn = note_preview(built, path, self.notes_dir)
            dest = self._write_ahead(drawn.page, drawn.prerendered) if drawn is not None else None
            if dest:
                shown.append(dest)
        yield shown
        at = early.ahead(built, self.notes_dir, *self.build_args)
        if at is None:
            return
        terms = early.term_pages(at)
        yield [t for d, new in terms or ()
               if (t := self._write_new(d) if new else self._write_ahead(d.page, d.prerendered))]
        written, complete = self._write_the_rest(at)
        yield written
        if terms is not None and complete:
            log.info("kgsite: every page the edit changed is shown; the rebuild follows for the search index")

    def _write_the_rest(self, at: early.Ahead) -> tuple[list[str], bool]:
        """After the term pages: the notes' pages, index tables, map data, the notes' index and
        your pages showing the figures; where they went, and whether every one that changed
        could be written."""
        files, config = self.files, self.mkdocs_config
        assert files is not None and config is not None
        written = [t for d in (*early.note_pages(at), *early.table_pages(at))
                   if (t := self._write_ahead(d.page, d.prerendered))]
        data = early.map_data(at)
        f = files.get_file_from_path(data[0]) if data is not None else None
        if data is not None and f is not None:
            _replace_file(Path(f.abs_dest_path), data[1])
            written.append(f.dest_uri)
        replaced: list[tuple[File | None, str | None, str]] = []
        table = early.notes_table(at)
        if table is not None:
            replaced.append((files.get_file_from_path(table[0]), table[1], table[2]))
        figures = stats_markdown(at.graph)
        if figures != self.stats and self.stats_pages:
            # your pages that show the figures (<!-- kgsite:stats -->), the table as MkDocs makes it
            md = python_markdown.Markdown(extensions=config.markdown_extensions, extension_configs=config.mdx_configs)
            before, now = md.convert(self.stats), md.reset().convert(figures)
            replaced += [(files.get_file_from_path(src), before, now) for src in sorted(self.stats_pages)]
        complete = True
        for f, before_html, now_html in replaced:
            done = f is not None and before_html is not None and self._replace_ahead(f, before_html, now_html)
            complete = complete and done
            written += [f.dest_uri] if f is not None and done else []
        return written, complete

    def _write_new(self, drawn: Drawn) -> str | None:
        """Write a generated page the last build did not have (a new term's), as the rebuild
        will: read as MkDocs reads a page outside the navigation, then wrapped in the theme."""
        config = self.mkdocs_config
        assert config is not None
        f = File.generated(config, drawn.page, content=drawn.front_matter, inclusion=InclusionLevel.NOT_IN_NAV)
        page = Page(None, f, config)
        if drawn.meta is not None:
            install_meta(page, drawn.meta)
        page.read_source(config)
        self._theme_and_write(page, drawn.prerendered)
        return f.dest_uri

    def _replace_ahead(self, f: File, old: str, new: str) -> bool:
        """Write ``f``'s page of the last build with the HTML ``old`` (before MkDocs' hooks)
        replaced by ``new``, when ``old`` is in it once."""
        assert self.mkdocs_config is not None
        path = Path(f.abs_dest_path)
        try:
            page = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        old, new = self._finished(f.src_uri, old), self._finished(f.src_uri, new)
        if page.count(old) != 1:
            return False
        _replace_file(path, page.replace(old, new).encode("utf-8"))
        incremental.state(self.mkdocs_config.site_dir).digests.pop(f.src_uri, None)
        return True

    def _write_ahead(self, src_uri: str, pre: Prerendered) -> str | None:
        """Write a generated page of the last build with new HTML, in the last build's theme
        and navigation (only pages outside the navigation are drawn ahead); where it went."""
        assert self.files is not None
        f = self.files.get_file_from_path(src_uri)
        if f is None or f.page is None:
            return None
        self._theme_and_write(f.page, pre)
        return f.dest_uri

    def _theme_and_write(self, page: Page, pre: Prerendered) -> None:
        """``page`` with the HTML ``pre`` through MkDocs' page hooks and the last build's theme
        and navigation, written to the site (not indexed: the rebuild indexes it)."""
        from mkdocs.commands.build import _build_page

        files, config = self.files, self.mkdocs_config
        assert files is not None and config is not None
        install(page, pre)
        page.render(config, files)
        page.content = config.plugins.on_page_content(page.content or "", page=page, config=config, files=files)
        if self.served_pages is None:
            # (the same for every page written ahead of one rebuild: a pass over every file)
            self.served_pages = files.documentation_pages(inclusion=InclusionLevel.is_in_serve)
        with indexing.paused(config):
            _build_page(page, config, self.served_pages, self.nav, self.env)
        # the full rebuild writes this page whatever it finds (a note's preview may differ from it)
        incremental.state(config.site_dir).digests.pop(page.file.src_uri, None)

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if hasattr(server, "previewer"):  # kgsite serve (generator.watching.EventDrivenServer)
            server.previewer = self.preview
        docs_dir = Path(config.docs_dir).resolve()
        if docs_dir not in self.notes_dir.parents and self.notes_dir != docs_dir:
            server.watch(str(self.notes_dir))
        for v in self.config.vocabulary:
            server.watch(str(self._base(config) / v))
        return server


def _replace_file(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` from one instant to the next: the server may be sending the
    old file (it streams files it does not rewrite), which then stays whole."""
    part = path.with_name(f".{path.name}.kgsite-part")
    part.write_bytes(data)
    os.replace(part, path)
