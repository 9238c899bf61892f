"""`radar ingest`: bring job ads into the warehouse from NAV's feed, web ad pages or files.

Each command stores raw entries (no contact data), normalises them into ad versions and links
near-duplicates, so the ads are ready for extraction. Exit codes: 0 done; 2 configuration missing (token);
3 a source failed (feed unreachable after retries, or some web pages could not be fetched — the rest are
stored); 4 bad input (unreadable file records are quarantined and listed; nothing else is lost);
5 the warehouse is busy.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipelines.errors import InputError, SourceError
from pipelines.settings import Settings

ingest_app = typer.Typer(
    help="Ingest job ads: NAV's feed (`nav`), web ad pages (`html`) or files (`files`).",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

DataDir = Annotated[Optional[Path], typer.Option("--data-dir", help="Data directory (default: $RADAR_DATA_DIR or ./data).")]


def _settings(data_dir: Path | None, **overrides: object) -> Settings:
    """Environment first, then command-line options."""
    return Settings.from_env().with_overrides(data_dir=data_dir, **overrides)


def _progress():
    """A progress bar on stderr that disappears when done."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)


def _finish(con, streams: list[str], run_id: str, settings: Settings) -> dict[str, int]:
    """Normalise what was ingested (uncoded ads get a STYRK-08 code from the occupation classifier) and, when any
    ad changed, link near-duplicates again; returns counts."""
    from pipelines.stages import load_occupation_classifier, normalise_pending

    classifier = load_occupation_classifier(settings.occupation_model)
    written = failed = 0
    for stream in streams:
        report = normalise_pending(con, run_id, source=stream, classifier=classifier)
        written += report.written
        failed += report.failed
    duplicates = con.execute("SELECT count(*) FROM ad_duplicates").fetchall()[0][0]
    if written:
        from pipelines.dedupe import link_duplicates  # datasketch pulls in scipy: only when there is work

        duplicates = link_duplicates(con)
    return {"normalised": written, "normalise_failed": failed, "duplicates": duplicates}


@ingest_app.command("nav")
def nav(
    feed_url: Annotated[Optional[str], typer.Option(help="Base URL of pam-stilling-feed (default: $RADAR_FEED_URL or NAV's).")] = None,
    data_dir: DataDir = None,
    page_size: Annotated[Optional[int], typer.Option(help="Entries per feed page (max 10000).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Entries fetched at the same time.")] = 4,
    timeout: Annotated[float, typer.Option(help="Seconds before a request is abandoned and retried.")] = 30.0,
    retries: Annotated[int, typer.Option(min=1, help="Attempts per request.")] = 5,
    backoff: Annotated[float, typer.Option(help="First retry delay in seconds (doubles each retry; Retry-After wins).")] = 0.5,
    max_pages: Annotated[Optional[int], typer.Option(help="Stop after this many pages (the next run continues).")] = None,
    demo: Annotated[bool, typer.Option(help="Read the embedded sample feed instead of NAV's.")] = False,
) -> None:
    """Read NAV's feed from where the last run stopped (token in $RADAR_NAV_TOKEN), then normalise and link duplicates."""
    from pipelines.ingest import ingest_feed
    from pipelines.sources.nav_feed import FeedClient
    from pipelines.sources.sample import SAMPLE_FEED_URL, SAMPLE_TOKEN, sample_feed_server
    from warehouse.db import open_warehouse

    settings = _settings(data_dir, feed_url=feed_url, page_size=page_size)
    size = settings.page_size
    if demo:
        server = sample_feed_server()
        base, token, transport = SAMPLE_FEED_URL, SAMPLE_TOKEN, server.as_transport()
        size = page_size or server.default_page_size
    else:
        base, token, transport = settings.feed_url, settings.require_token(), None
    stream = f"nav:{base}"  # the weekly flow's cursor key, so both continue from the same place
    run_id = f"ingest-{uuid.uuid4()}"
    con = open_warehouse(settings.warehouse_path)
    try:
        with FeedClient(base, token, transport=transport, page_size=size, timeout=timeout,
                        max_attempts=retries, backoff=backoff, workers=workers) as client, _progress() as bar:
            task = bar.add_task("Feed pages", total=max_pages)

            def advance(report) -> None:
                bar.update(task, advance=1, description=f"Feed pages ({report.new_entries} new entries)")

            try:
                report = ingest_feed(con, client, source=stream, run_id=run_id, max_pages=max_pages,
                                     progress=advance)
            except SourceError:
                _finish(con, [stream], run_id, settings)  # what was stored before the failure is usable now
                raise
        counts = _finish(con, [stream], run_id, settings)
    finally:
        con.close()
    state = "not modified (304)" if report.not_modified else f"{report.pages} page(s)"
    typer.echo(f"{base}: {state}; {report.new_entries} new entries ({report.active} active, {report.inactive} "
               f"stopped), {report.quarantined} quarantined, {report.recovered} recovered from quarantine; "
               f"{counts['normalised']} ad versions, {counts['duplicates']} near-duplicates "
               f"→ {settings.warehouse_path}")


def _read_urls(urls: list[str], urls_file: Path | None) -> list[str]:
    """URLs from the arguments and a file (one per line, # comments)."""
    found = list(urls)
    if urls_file is not None:
        try:
            lines = urls_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"Cannot read --urls-file {urls_file}: {exc}") from exc
        found.extend(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    bad = [u for u in found if not u.startswith(("http://", "https://"))]
    if bad:
        raise InputError(f"Not http(s) URLs: {', '.join(bad[:3])}{' …' if len(bad) > 3 else ''}; "
                         "give full addresses such as https://arbeidsplassen.nav.no/stillinger/stilling/<uuid>.")
    return found


@ingest_app.command("html")
def html(
    urls: Annotated[Optional[list[str]], typer.Argument(help="Ad page URLs (arbeidsplassen, or any page with JobPosting JSON-LD).")] = None,
    sitemap: Annotated[Optional[list[str]], typer.Option(help="A sitemap (or sitemap index) listing ad pages; repeatable.")] = None,
    urls_file: Annotated[Optional[Path], typer.Option(help="A file with one URL per line.")] = None,
    match: Annotated[Optional[str], typer.Option(help="Only sitemap URLs matching this regex, e.g. /stilling/.")] = None,
    data_dir: DataDir = None,
    delay: Annotated[float, typer.Option(help="Seconds between requests to one host (robots.txt Crawl-delay wins when longer).")] = 1.0,
    timeout: Annotated[float, typer.Option(help="Seconds before a request is abandoned and retried.")] = 20.0,
) -> None:
    """Fetch job-ad web pages politely (robots.txt, per-host delay, conditional GET), then normalise and link duplicates."""
    from pipelines.sources.html_ads import HTML_STREAM, HtmlFetcher, ingest_html
    from warehouse.db import open_warehouse

    wanted = _read_urls(urls or [], urls_file)
    if not wanted and not sitemap:
        raise InputError("No pages to fetch: give URLs, --urls-file or --sitemap.")
    settings = _settings(data_dir)
    run_id = f"ingest-{uuid.uuid4()}"
    con = open_warehouse(settings.warehouse_path)
    try:
        with HtmlFetcher(min_interval=delay, timeout=timeout) as fetcher, _progress() as bar:
            task = bar.add_task("Ad pages", total=None)
            report = ingest_html(con, fetcher, wanted, run_id=run_id, sitemaps=sitemap or [], match=match,
                                 on_total=lambda n: bar.update(task, total=n),
                                 progress=lambda url, outcome: bar.update(task, advance=1))
        counts = _finish(con, [HTML_STREAM], run_id, settings)
    finally:
        con.close()
    typer.echo(f"{report.urls} page(s): {report.new_entries} new ad versions, {report.unchanged} unchanged, "
               f"{report.not_modified} not modified (304), {report.stopped} gone (ad stopped), "
               f"{report.blocked} disallowed by robots.txt, {report.not_ads} without a job ad, {report.failed} failed; "
               f"{counts['duplicates']} near-duplicates → {settings.warehouse_path}")
    for url in report.errors[:20]:
        typer.echo(f"failed (kept in quarantine, retried next run): {url}", err=True)
    if report.failed:
        raise typer.Exit(SourceError.exit_code)


@ingest_app.command("files")
def files(
    path: Annotated[Path, typer.Argument(help="A .json/.jsonl file of feed entries or ads, an .html page, or a folder of them.")],
    data_dir: DataDir = None,
) -> None:
    """Load job ads from files (feed-shaped JSON/JSONL, saved HTML ad pages), then normalise and link duplicates."""
    from pipelines.sources.files import ingest_files, list_files
    from warehouse.db import open_warehouse

    total = len(list_files(path))
    settings = _settings(data_dir)
    run_id = f"ingest-{uuid.uuid4()}"
    con = open_warehouse(settings.warehouse_path)
    try:
        with _progress() as bar:
            task = bar.add_task("Files", total=total)
            report = ingest_files(con, path, run_id=run_id, progress=lambda _: bar.update(task, advance=1))
        counts = _finish(con, sorted(report.streams), run_id, settings)
    finally:
        con.close()
    typer.echo(f"{report.files} file(s), {report.records} record(s): {report.new_entries} new entries, "
               f"{report.quarantined} quarantined; {counts['normalised']} ad versions, "
               f"{counts['duplicates']} near-duplicates → {settings.warehouse_path}")
    for error in report.errors[:20]:
        typer.echo(f"skipped: {error}", err=True)
    if report.quarantined:
        raise typer.Exit(InputError.exit_code)


# `radar ingest strategy`: defined beside the strategy pipeline, registered in the ingest group.
from pipelines.cli_strategy import strategy  # noqa: E402

ingest_app.command("strategy")(strategy)
