"""Command line: build, serve, list, new, check, clean. Heavy imports happen per command."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from chronicle_ssg import __version__

EPILOG = "Docs: README.md and docs/ in the chronicle repository."


def _site_args(parser: argparse.ArgumentParser, drafts: bool = True) -> None:
    parser.add_argument("--source", "-s", type=Path, default=Path("."), metavar="DIR",
                        help="site folder holding chronicle.toml, or a folder inside it "
                             "(default: the current folder)")
    if drafts:
        parser.add_argument("--drafts", action="store_true", help="include entries marked draft: true")
        parser.add_argument("--future", action="store_true", help="include entries dated in the future")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chronicle", description="Build commentary archives from Markdown.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"chronicle {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", help="build the site into output/",
                                description="Build the site. output/ is replaced only when the "
                                            "build succeeds; unchanged files are left untouched.")
    _site_args(build)
    build.add_argument("--output", "-o", type=Path, metavar="DIR", help="output folder (default: SOURCE/output)")
    build.add_argument("--base-url", metavar="URL", help="override base_url, e.g. https://example.org/archive/")
    build.add_argument("--quiet", "-q", action="store_true", help="print errors and warnings only")
    build.add_argument("--watch", action="store_true", help="rebuild on every change (no server)")
    build.add_argument("--strict", action="store_true",
                       help="fail on warnings and on the problems `chronicle check` reports")
    build.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    build.add_argument("--no-cache", action="store_true", help="ignore and do not update .chronicle-cache/")
    build.add_argument("--stats", action="store_true", help="print per-stage timings and counts")
    build.add_argument("--no-wait", action="store_true",
                       help="fail at once when another chronicle process uses the output folder")

    serve = commands.add_parser("serve", help="build, serve on localhost and reload on change",
                                description="Build, serve output/ over HTTP, watch the sources "
                                            "and reload open browser tabs after each rebuild.")
    _site_args(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", "-p", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    serve.add_argument("--open", action="store_true", help="open the site in a web browser")
    serve.add_argument("--output", "-o", type=Path, metavar="DIR", help="output folder (default: SOURCE/output)")
    serve.add_argument("--no-wait", action="store_true",
                       help="fail at once when another chronicle process uses the output folder")
    serve.add_argument("--no-search", action="store_true",
                       help="do not build the search index (faster at thousands of entries)")

    listing = commands.add_parser("list", help="list entries with date, status and URL",
                                  description="Show what a build will publish.")
    _site_args(listing)

    new = commands.add_parser("new", help="create a site or an entry")
    kinds = new.add_subparsers(dest="kind", metavar="KIND", required=True)
    new_site = kinds.add_parser("site", help="create a starter site in DIR")
    new_site.add_argument("dir", type=Path, metavar="DIR")
    new_entry = kinds.add_parser("entry", help="create a dated entry from a title",
                                 description="Write content/entries/YYYY/YYYY-MM-DD-slug.md "
                                             "with its front matter; a draft unless --no-draft.")
    new_entry.add_argument("title")
    new_entry.add_argument("--source", "-s", type=Path, default=Path("."), metavar="DIR",
                           help="the site folder, or a folder inside it (default: the current folder)")
    new_entry.add_argument("--date", metavar="WHEN",
                           help='e.g. "2025-03-18 09:00" (default: now in the site timezone)')
    new_entry.add_argument("--tags", metavar="A,B", default="", help="comma-separated tags")
    new_entry.add_argument("--categories", metavar="A,B", default="",
                           help="comma-separated categories")
    new_entry.add_argument("--live", action="store_true",
                           help="a live entry: add updates with `chronicle new update`")
    new_entry.add_argument("--timezone", metavar="ZONE",
                           help="the entry's own zone for times without an offset, e.g. "
                                "America/New_York")
    new_entry.add_argument("--draft", action=argparse.BooleanOptionalAction, default=True,
                           help="mark it draft: true (default; --no-draft publishes it)")
    new_update = kinds.add_parser(
        "update", help="append a timestamped update to a live entry",
        description="Append a `::: update` block stamped now (in the entry's timezone, else "
                    "the site's) to an entry named by slug or path. The text comes from TEXT, "
                    "else from standard input when it is not a terminal. Nothing is opened.")
    new_update.add_argument("entry", metavar="ENTRY", help="slug (the-call) or path of the entry")
    new_update.add_argument("text", metavar="TEXT", nargs="?",
                            help="the update's Markdown (default: read standard input)")
    new_update.add_argument("--time", metavar="WHEN",
                            help='stamp this time instead of now, e.g. "2025-03-18 16:45"')
    new_update.add_argument("--source", "-s", type=Path, default=Path("."), metavar="DIR",
                            help="the site folder, or a folder inside it (default: the current folder)")

    check = commands.add_parser("check", help="build into a temporary folder and check links",
                                description="Report broken internal links, missing anchors, "
                                            "duplicate titles and aliases, with source locations.")
    _site_args(check, drafts=False)
    check.add_argument("--output", "-o", type=Path, metavar="DIR", help="check this built folder instead")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--external", action="store_true", help="also fetch external links")

    importer = commands.add_parser(
        "import", help="import a WordPress export, a Jekyll blog or a Hugo site",
        description="Write the entries, pages, comments and files of another blog as a chronicle "
                    "site (or into one with --into), keep every old URL answering, and end with "
                    "a report (also written to import-report.txt).")
    importer.add_argument("format", choices=("wordpress", "jekyll", "hugo"))
    importer.add_argument("path", type=Path, metavar="SOURCE",
                          help="the WXR export file (wordpress) or the site folder (jekyll, hugo)")
    target = importer.add_mutually_exclusive_group()
    target.add_argument("--into", type=Path, metavar="SITE", help="add to this existing chronicle site")
    target.add_argument("--output", "-o", type=Path, metavar="DIR", default=Path("imported-site"),
                        help="write a new site here (default: imported-site)")
    importer.add_argument("--force", action="store_true", help="replace files that exist and differ")
    importer.add_argument("--keep-urls", action="store_true",
                          help="set permalink to the old URL pattern instead of writing aliases")
    importer.add_argument("--uploads", type=Path, metavar="DIR",
                          help="wordpress: the wp-content/uploads folder, copied to static/")

    clean = commands.add_parser("clean", help="remove output/ and .chronicle-cache/")
    _site_args(clean, drafts=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (a CI runner's or a service manager's stop) unwinds like Ctrl-C, so that a
    # build discards its staging folder and serve shuts down instead of dying mid-write
    previous = None
    try:
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        return _run(argv)
    except KeyboardInterrupt:  # in argument parsing or an import: nothing had begun
        arguments = sys.argv[1:] if argv is None else argv
        return 0 if "serve" in arguments or "--watch" in arguments else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _runs_until_stopped(args: argparse.Namespace) -> bool:
    return args.command == "serve" or getattr(args, "watch", False)


def _run(argv: list[str] | None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    with contextlib.ExitStack() as scope:
        if _runs_until_stopped(args):
            # before any other import: a Ctrl-C while Python loads chronicle is a stop
            # request, looked at in order, not a KeyboardInterrupt in an import's middle
            from chronicle_ssg.stopping import StopRequest
            args.stop = scope.enter_context(StopRequest())
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    from chronicle_ssg.errors import BuildFailed, ChronicleError
    try:
        if getattr(args, "source", None) is not None:
            args.source = find_site_root(args.source)
        return COMMANDS[args.command](args)
    except BuildFailed as exc:
        print(exc.format(), file=sys.stderr)
        return 1
    except ChronicleError as exc:
        print(exc.format(), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
        # serve and build --watch run until Ctrl-C: stopping them is success, whenever it
        # comes; a one-off command cut short says so, as shells expect (128 + SIGINT)
        return 0 if _runs_until_stopped(args) else 130
    except BrokenPipeError:  # `chronicle list | head`: the reader left, that is fine
        sys.stderr.close()
        return 0
    except OSError as exc:  # the stages turn what they expect into errors; this is the rest
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


def find_site_root(folder: Path) -> Path:
    """The site a folder belongs to: the nearest folder, this one or above, holding
    chronicle.toml (as git finds its repository)."""
    from chronicle_ssg.config import CONFIG_NAME
    from chronicle_ssg.errors import ChronicleError
    folder = folder.absolute()
    if not folder.is_dir():
        raise ChronicleError(
            f"source folder {folder} {'is not a folder' if folder.exists() else 'does not exist'}",
            hint="pass --source DIR, the site folder holding chronicle.toml")
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    raise ChronicleError(f"no {CONFIG_NAME} in {folder} or any folder above it",
                         hint="run `chronicle new site DIR` for a starter site, or pass "
                              "--source with the site folder")


def _options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from chronicle_ssg.build import BuildOptions
    return BuildOptions(drafts=getattr(args, "drafts", False), future=getattr(args, "future", False),
                        base_url=getattr(args, "base_url", None), jobs=getattr(args, "jobs", 0),
                        use_cache=not getattr(args, "no_cache", False),
                        search=not getattr(args, "no_search", False))


def _output_dir(args: argparse.Namespace) -> Path:
    return (args.output or args.source / "output").absolute()


def cmd_build(args: argparse.Namespace) -> int:
    source, output = args.source.absolute(), _output_dir(args)
    if args.watch:  # args.stop: installed by _run
        from chronicle_ssg.serve import watch_and_rebuild
        with _holding_output(args.stop, output, source, "build --watch", args.no_wait):
            return watch_and_rebuild(source, output, _options(args), args.stop)
    from chronicle_ssg.write import lock_output
    started = time.perf_counter()
    with lock_output(output, source, "build", wait=not args.no_wait):
        return _build_once(args, source, output, started)


@contextlib.contextmanager
def _holding_output(stop, output: Path, source: Path, command: str,  # type: ignore[no-untyped-def]
                    no_wait: bool) -> Iterator[None]:
    """The output lock for serve and build --watch; Ctrl-C while waiting for it stops."""
    from chronicle_ssg.write import lock_output
    with contextlib.ExitStack() as held:
        with stop.interruptible():  # a stop asked for already, or while waiting, is a stop
            held.enter_context(lock_output(output, source, command, wait=not no_wait))
        yield


def _build_once(args: argparse.Namespace, source: Path, output: Path, started: float) -> int:
    from chronicle_ssg.build import Stats, build_site
    from chronicle_ssg.cache import BuildCache, load_cache
    options = _options(args)
    from chronicle_ssg.progress import Progress
    stats = Stats(progress=None if args.quiet else Progress())
    # --strict and --stats need the loaded site, so they skip the no-op shortcut
    cache = None
    if args.strict or args.stats:
        cache = load_cache(source) if options.use_cache else BuildCache("")
    try:
        result = build_site(source, output, options, stats, cache)
    finally:
        if stats.progress:
            stats.progress.finish()
    from chronicle_ssg.errors import counted
    # the last build's again when nothing changed since; base_url's is build's own (not
    # serve's or check's: only a published site needs its real address)
    warnings = sorted([*result.warnings, *_base_url_warnings(result, source, options)],
                      key=lambda warning: warning.sort_key())
    for warning in warnings:  # printed even with --quiet: each is a problem in the sources
        print(warning.format(), file=sys.stderr)
    if args.strict:
        from chronicle_ssg.check import check_output, format_problems
        problems = check_output(result.loaded, output)
        if problems:
            print(format_problems(problems), file=sys.stderr)
        if warnings:
            verb = "counts as an error" if len(warnings) == 1 else "count as errors"
            print(f"--strict: {counted(len(warnings), 'warning')} {verb}", file=sys.stderr)
        if problems or warnings:
            return 1
    if not args.quiet:
        print(summary_line(result, output, time.perf_counter() - started))
    if args.stats:
        print(format_stats(stats, result))
    return 0


def _base_url_warnings(result, source: Path, options) -> list:  # type: ignore[no-untyped-def]
    from chronicle_ssg.build import load_site_config
    from chronicle_ssg.config import base_url_warnings
    config = result.loaded.config if result.loaded is not None else load_site_config(source, options)
    return base_url_warnings(config, options.base_url is not None)


def summary_line(result, output: Path, seconds: float) -> str:  # type: ignore[no-untyped-def]
    """`23 entries built; 1 draft and 1 scheduled left out (--drafts, --future); 187
    pages: 3 written, 0 removed, 184 unchanged in 0.52 s -> output`."""
    from chronicle_ssg.errors import counted
    report = result.report
    if result.loaded is None:
        parts = ["nothing changed since the last build"]
    else:
        parts = [f"{counted(len(result.loaded.site.entries), 'entry')} built"]
    drafts, scheduled = result.left_out
    if drafts or scheduled:
        left = [counted(drafts, "draft")] * bool(drafts) + [f"{scheduled} scheduled"] * bool(scheduled)
        flags = ["--drafts"] * bool(drafts) + ["--future"] * bool(scheduled)
        parts.append(f"{' and '.join(left)} left out ({', '.join(flags)})")
    files = (f"{report.written} written, {len(report.removed)} removed, {report.unchanged} "
             f"unchanged in {seconds:.2f} s -> {output}")
    if result.loaded is not None:
        files = f"{counted(len(result.loaded.routes), 'page')}: {files}"
    return "; ".join(parts + [files])


def format_stats(stats, result) -> str:  # type: ignore[no-untyped-def]
    """--stats: time per stage, pages per kind, cache use, slowest templates."""
    from collections import Counter
    lines = ["stage timings:"]
    lines += [f"  {stage:<10} {seconds * 1000:9.1f} ms" for stage, seconds in stats.timings.items()]
    kinds = Counter(route.kind for route in result.loaded.routes)
    lines.append("pages by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    lines.append("counts: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.counts.items())))
    if stats.template_seconds:
        slowest = sorted(stats.template_seconds.items(), key=lambda kv: -kv[1])[:5]
        lines.append("slowest templates: " + ", ".join(f"{name} {sec * 1000:.0f} ms"
                                                      for name, sec in slowest))
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    """Every entry with date, status and URL; says which ones this build would leave out."""
    from chronicle_ssg.build import BuildOptions, load_site
    loaded = load_site(args.source.absolute(), BuildOptions(drafts=True, future=True))
    base = loaded.config.base_path
    left_out = 0
    for entry in loaded.site.entries:
        included = (not entry.draft or args.drafts) and (not entry.scheduled or args.future)
        label = entry.status if entry.status == "published" else (
            f"{entry.status}, will publish" if included else f"{entry.status}, left out")
        left_out += not included
        print(f"{entry.date:%Y-%m-%d %H:%M}  {label:<24}  {base}{entry.path}  {entry.id}")
    from chronicle_ssg.errors import counted
    print(f"{len(loaded.site.entries) - left_out} of {counted(len(loaded.site.entries), 'entry')} "
          "would be published; --drafts and --future publish the others", file=sys.stderr)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    from chronicle_ssg import scaffold
    if args.kind == "site":
        path = scaffold.new_site(args.dir)
        print(f"created a site in {path}; next: cd {path} && chronicle build")
    elif args.kind == "entry":
        path = scaffold.new_entry(
            args.source.absolute(), args.title, date=args.date, tags=_comma_list(args.tags),
            categories=_comma_list(args.categories), live=args.live, draft=args.draft,
            timezone=args.timezone)
        if args.live:
            from chronicle_ssg.model import file_slug
            print(f"created {path}; add updates with: chronicle new update "
                  f"{file_slug(path.stem)} \"Text\"")
        else:
            print(f"created {path}")
    else:
        return _new_update(args, scaffold)
    return 0


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def _new_update(args: argparse.Namespace, scaffold) -> int:  # type: ignore[no-untyped-def]
    text = args.text
    if text is None:
        if sys.stdin is None or sys.stdin.isatty():
            from chronicle_ssg.errors import ChronicleError
            raise ChronicleError("no text for the update",
                                 hint='chronicle new update ENTRY "Text", or pipe it: '
                                      'echo "Text" | chronicle new update ENTRY')
        text = sys.stdin.read()
    added = scaffold.add_update(args.source.absolute(), args.entry, text, args.time)
    from chronicle_ssg.errors import counted
    print(f"added an update at {added.stamp} {added.zone} to {added.rel}:{added.line} "
          f"({counted(added.count, 'update')})")
    if added.coverage_closed:
        print("note: the entry says live: false, so its coverage stays ended; remove that "
              "line to go live again", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from chronicle_ssg.serve import serve  # args.stop: installed by _run
    source, output = args.source.absolute(), _output_dir(args)
    with _holding_output(args.stop, output, source, "serve", args.no_wait):
        return serve(source, output, _options(args), args.stop,
                     host=args.host, port=args.port, open_browser=args.open)


def cmd_check(args: argparse.Namespace) -> int:
    from chronicle_ssg.check import run_check
    return run_check(args.source.absolute(), args.output, args.format, args.external)


def cmd_clean(args: argparse.Namespace) -> int:
    import shutil
    from chronicle_ssg.write import MANIFEST, lock_output
    root = args.source.absolute()
    output, cache = root / "output", root / ".chronicle-cache"
    if cache.is_symlink() or cache.exists() and not cache.is_dir():
        cache.unlink()  # a link in the cache's place goes, never what it leads to
        print(f"removed {cache}")
    folders = [folder for folder in (output, cache) if folder.exists()]
    if output in folders and (output.is_symlink() or not (output / MANIFEST).exists()):
        print(f"left {output}: not written by chronicle", file=sys.stderr)
        folders.remove(output)
    # not while a build or serve uses output/ (the lock file stays: see docs/cli.md)
    with lock_output(output, root, "clean") if output in folders else contextlib.nullcontext():
        for folder in folders:
            shutil.rmtree(folder)
            print(f"removed {folder}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from chronicle_ssg.importers.common import import_command
    return import_command(args.format, args.path, args.into or args.output, bool(args.into),
                          force=args.force, keep_urls=args.keep_urls, uploads=args.uploads)


COMMANDS = {"import": cmd_import, "build": cmd_build, "list": cmd_list, "new": cmd_new, "serve": cmd_serve,
            "check": cmd_check, "clean": cmd_clean}
