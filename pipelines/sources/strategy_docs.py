"""Strategy documents: the registry, cached conditional fetching, and their text with headings and pages.

A registry (YAML) lists the documents — national white papers and NOUs, county competence plans, or a
user's own — with where to get them (`url`, or `path` relative to the registry file). The fetcher keeps
each download in a cache folder with its ETag / Last-Modified and asks again conditionally, so a weekly
run re-reads a PDF only when it changed and still has the last copy when the site is down.

Text comes out as `TextBlock`s (headings with their level; paragraphs and list items with the page each
line stood on). HTML keeps the page's main content only (no menus, footers, cookie banners). PDFs go
through pypdf: running headers and footers are dropped by finding lines repeated across pages, line-end
hyphenation is repaired (keeping real hyphens: "IKT-sikkerhet", "helse- og omsorg", "Oslo-området"),
headings are recognised by font size and weight. A scanned PDF without text, an encrypted or a broken
one gives recorded warnings and whatever text could be read, never an exception.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import yaml
from pypdf import PdfReader, apply_configuration
from pypdf.errors import LimitReachedError, PyPdfError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from pipelines.errors import InputError, SourceError

log = logging.getLogger(__name__)

USER_AGENT = "Kompetanseradar/0.1 (+https://github.com/kompetanseradar; competence-needs research)"
LEVELS = ("national", "county", "municipal")
LANGUAGES = ("nb", "nn", "en")
FORMATS = ("html", "pdf")
REQUIRED_FIELDS = ("id", "title", "issuer", "level", "year")
OPTIONAL_FIELDS = (
    "region",
    "language",
    "url",
    "path",
    "valid_from",
    "valid_to",
    "url_verified",
    "note",
    "format",
)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
MAX_BYTES = 60_000_000
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


# ----------------------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class StrategySource:
    """One registered document: what it is, whose it is, where it applies and where to get it."""

    doc_id: str
    title: str
    issuer: str
    level: str
    region: str | None
    year: int
    language: str | None
    url: str | None
    path: Path | None
    valid_from: int
    valid_to: int | None
    url_verified: bool | None = None
    note: str | None = None
    format: str | None = None

    @property
    def location(self) -> str:
        """Where the text comes from, for messages and the documents table."""
        return str(self.path) if self.path else str(self.url)


def load_registry(path: Path) -> list[StrategySource]:
    """Read and validate a registry; every problem names the file, the entry and the fix."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"Strategy registry {path} does not exist: pass --registry with a YAML file "
            "(see pipelines/strategy_registry.yaml for the format)."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text: save it as UTF-8 ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise InputError(f"{path}: expected a mapping with a `documents:` list of entries.")
    sources, seen = [], set()
    for number, entry in enumerate(data["documents"], start=1):
        source = parse_registry_entry(entry, base=path.parent, where=f"{path}: document {number}")
        if source.doc_id in seen:
            raise InputError(
                f"{path}: document {number}: id {source.doc_id!r} is used twice; ids must be unique."
            )
        seen.add(source.doc_id)
        sources.append(source)
    return sources


def parse_registry_entry(entry: Any, *, base: Path, where: str) -> StrategySource:
    """One registry entry → StrategySource, or an InputError saying which field to fix and how."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: an entry must be a mapping of fields, not {type(entry).__name__}.")
    name = entry.get("id")
    where = f"{where} ({name})" if name else where
    unknown = sorted(set(entry) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)}."
        )
    missing = [f for f in REQUIRED_FIELDS if entry.get(f) in (None, "")]
    if missing:
        raise InputError(f"{where}: missing required field(s) {', '.join(missing)}.")
    doc_id = str(entry["id"]).strip()
    if not ID_RE.match(doc_id):
        raise InputError(f"{where}: id {doc_id!r} must be lower case letters, digits, '.', '_' or '-'.")
    level = str(entry["level"]).strip().lower()
    if level not in LEVELS:
        raise InputError(f"{where}: level must be one of {', '.join(LEVELS)}, not {entry['level']!r}.")
    region = entry.get("region")
    region = str(region).strip() if region not in (None, "") else None
    if level != "national" and not region:
        raise InputError(f"{where}: a {level} document needs `region:` (a county or municipality name).")
    year = _year(entry["year"], "year", where)
    valid_from = _year(entry.get("valid_from", year), "valid_from", where)
    valid_to = (
        _year(entry["valid_to"], "valid_to", where) if entry.get("valid_to") not in (None, "") else None
    )
    if valid_to is not None and valid_to < valid_from:
        raise InputError(f"{where}: valid_to ({valid_to}) is before valid_from ({valid_from}).")
    language = entry.get("language")
    language = str(language).strip().lower() if language not in (None, "") else None
    if language is not None and language not in LANGUAGES:
        raise InputError(
            f"{where}: language must be one of {', '.join(LANGUAGES)} (or left out to detect it), "
            f"not {entry['language']!r}."
        )
    url = entry.get("url") or None
    rel = entry.get("path") or None
    if bool(url) == bool(rel):
        raise InputError(
            f"{where}: give exactly one of `url:` (a web address) or `path:` (a file relative "
            "to the registry)."
        )
    if url and not re.match(r"^https?://", str(url)):
        raise InputError(f"{where}: url {url!r} must start with http:// or https://.")
    file_path = None
    if rel:
        file_path = Path(str(rel))
        file_path = file_path if file_path.is_absolute() else (base / file_path)
    fmt = entry.get("format")
    fmt = str(fmt).strip().lower() if fmt else None
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"{where}: format must be one of {', '.join(FORMATS)}, not {entry['format']!r}.")
    verified = entry.get("url_verified")
    if verified is not None and not isinstance(verified, bool):
        raise InputError(f"{where}: url_verified must be true or false.")
    return StrategySource(
        doc_id=doc_id,
        title=str(entry["title"]).strip(),
        issuer=str(entry["issuer"]).strip(),
        level=level,
        region=region,
        year=year,
        language=language,
        url=str(url) if url else None,
        path=file_path,
        valid_from=valid_from,
        valid_to=valid_to,
        url_verified=verified,
        note=str(entry["note"]).strip() if entry.get("note") else None,
        format=fmt,
    )


def _year(value: Any, name: str, where: str) -> int:
    """A plausible publication/validity year, or an InputError naming the field."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: {name} must be a year such as 2026, not {value!r}.") from None
    if not 1950 <= year <= 2100:
        raise InputError(f"{where}: {name} {year} is not a plausible year.")
    return year


# ----------------------------------------------------------------------------------------- fetching
@dataclass(frozen=True)
class Fetched:
    """A document's bytes and how they were obtained (a warning when only a stale copy was at hand)."""

    content: bytes
    content_type: str | None
    origin: str  # file | network | not-modified | stale-cache
    warnings: tuple[str, ...] = ()


class _Retryable(Exception):
    """A transient failure worth another try."""


class DocumentFetcher:
    """Reads registered documents from files or the web, through a cache with conditional GETs."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()

    def __enter__(self) -> "DocumentFetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, source: StrategySource) -> Fetched:
        """The document's bytes; SourceError (saying the fix) when neither source nor cached copy serves."""
        if source.path is not None:
            try:
                return Fetched(source.path.read_bytes(), None, "file")
            except OSError as exc:
                raise SourceError(
                    f"Cannot read {source.path} for {source.doc_id}: {exc.strerror or exc}. "
                    "Fix `path:` in the registry."
                ) from exc
        assert source.url is not None
        return self.fetch_url(source.url)

    def _cache_paths(self, url: str) -> tuple[Path, Path]:
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
        return self.cache_dir / f"{key}.body", self.cache_dir / f"{key}.json"

    def fetch_url(self, url: str) -> Fetched:
        """Conditional GET against the cached copy; a failed request falls back to it with a warning."""
        body_path, meta_path = self._cache_paths(url)
        meta: dict[str, Any] = {}
        if body_path.exists() and meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                meta = {}
        headers = {}
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
        try:
            response = self._get(url, headers)
        except (httpx.HTTPError, _Retryable, SourceError) as exc:
            if meta:
                return Fetched(
                    body_path.read_bytes(),
                    meta.get("content_type"),
                    "stale-cache",
                    (f"fetch failed ({_short(exc)}); used the copy cached {meta.get('fetched_at')}",),
                )
            raise SourceError(
                f"Cannot fetch {url}: {_short(exc)}. Check the URL in the registry (or that the "
                "site is reachable); what was stored for it before is kept."
            ) from exc
        if response.status_code == 304 and meta:
            return Fetched(body_path.read_bytes(), meta.get("content_type"), "not-modified")
        content = response.content
        meta = {
            "url": url,
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "content_type": response.headers.get("content-type"),
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        _write_atomic(body_path, content)
        _write_atomic(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
        return Fetched(content, meta["content_type"], "network")

    def _get(self, url: str, headers: dict[str, str]) -> httpx.Response:
        """GET with bounded retries on transport errors, 429 and 5xx; other 4xx fail at once."""
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait_exponential(multiplier=1, max=20),
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            sleep=self._sleep,
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = self._client.get(url, headers=headers)
                if response.status_code in RETRY_STATUSES:
                    raise _Retryable(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise SourceError(f"HTTP {response.status_code}")
                if len(response.content) > MAX_BYTES:
                    raise SourceError(f"document larger than {MAX_BYTES // 1_000_000} MB")
                return response
        raise AssertionError("unreachable")  # pragma: no cover


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target then rename, so a crash never leaves half a cached file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------- text blocks
@dataclass(frozen=True)
class TextBlock:
    """A heading (with its level, 1 = top) or a paragraph / list item, with the pages its text stood on.

    `pages` holds (offset, page) pairs: the text from `offset` on stood on `page` (1-based); empty for HTML.
    """

    kind: str  # heading | text | item
    text: str
    level: int = 0
    pages: tuple[tuple[int, int], ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page the character at `offset` stood on."""
        page = None
        for start, number in self.pages:
            if start <= offset:
                page = number
            else:
                break
        return page


@dataclass
class DocumentText:
    """A document's blocks in reading order plus what went wrong on the way (kept, never raised)."""

    blocks: list[TextBlock]
    warnings: list[str] = field(default_factory=list)
    format: str = "html"
    pages: int | None = None
    title: str | None = None
    language: str | None = None
    damaged: bool = False  # read only in part (rebuilt cross-references, unreadable pages)


def sniff_format(content: bytes, content_type: str | None = None, hint: str | None = None) -> str:
    """pdf or html, from the registry's hint, then the bytes, then the Content-Type."""
    if hint in FORMATS:
        return hint  # type: ignore[return-value]
    if content.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if content_type and "pdf" in content_type.lower():
        return "pdf"
    return "html"


def document_text(
    content: bytes, *, content_type: str | None = None, hint: str | None = None
) -> DocumentText:
    """Blocks of a fetched document, whichever format it is in."""
    if sniff_format(content, content_type, hint) == "pdf":
        return pdf_text(content)
    return html_text(content)


_WS_RE = re.compile(r"\s+")


def clean_space(text: str) -> str:
    """One space for any run of whitespace; soft hyphens and zero-width characters removed."""
    return _WS_RE.sub(" ", text.replace("\xad", "").replace("\u200b", "").replace("\ufeff", "")).strip()


# ----------------------------------------------------------------------------------------- HTML
HEADING_TAGS = {f"h{i}": i for i in range(1, 7)}
BLOCK_TAGS = frozenset(
    {
        "p",
        "li",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "figcaption",
        "td",
        "th",
        "caption",
        "summary",
        "address",
        *HEADING_TAGS,
    }
)
CONTAINER_TAGS = frozenset(
    {
        "div",
        "section",
        "article",
        "main",
        "body",
        "ul",
        "ol",
        "dl",
        "table",
        "tbody",
        "thead",
        "tr",
        "figure",
        "details",
        "header",
        "footer",
    }
)
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "nav",
    "aside",
    "form",
    "button",
    "iframe",
    "select",
    "input",
    "canvas",
    "object",
    "map",
)
MAIN_SELECTORS = (
    "main",
    "[role=main]",
    "#mainContent",
    "#main-content",
    "#maincontent",
    "#innhold",
    "#hovudinnhald",
    "#hovedinnhold",
    "#content",
    "article",
    "#main",
    ".main-content",
    ".content",
)
MIN_MAIN_CHARS = 40  # a <main> with less is a placeholder filled by scripts; use the page instead
BOILERPLATE_RE = re.compile(
    r"breadcrumb|brødsmule|cookie|share|social|skip-?link|pagination|related|"
    r"print-?button|sidebar|banner",
    re.IGNORECASE,
)


def html_text(html: bytes | str) -> DocumentText:
    """Main content of an HTML page as heading and text blocks (menus, headers, footers, asides dropped)."""
    from bs4 import BeautifulSoup, Comment, NavigableString, Tag

    soup = BeautifulSoup(html, "lxml")
    title = clean_space(soup.title.get_text()) if soup.title else None
    root = soup.find("html")
    language = root.get("lang") if isinstance(root, Tag) else None
    language = str(language).split("-")[0].lower() if language else None
    language = {"no": "nb", "nob": "nb", "nno": "nn"}.get(language or "", language)
    for tag in soup(DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": re.compile("navigation|complementary|banner|contentinfo")}):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:  # already removed with an ancestor
            continue
        marks = " ".join([*(tag.get("class") or []), str(tag.get("id") or "")])
        if marks.strip() and BOILERPLATE_RE.search(marks) and tag.name not in ("body", "main", "html"):
            tag.decompose()
    container = None
    for selector in MAIN_SELECTORS:
        found = soup.select_one(selector)
        if found is not None and len(found.get_text(strip=True)) >= MIN_MAIN_CHARS:
            container = found
            break
    warnings = []
    if container is None:
        container = soup.body or soup
        for tag in container.find_all(["header", "footer"]):
            tag.decompose()
        warnings.append("no <main>/<article> element: used the whole page without header, footer and menus")
    blocks: list[TextBlock] = []
    owner_seen: Tag | None = None
    parts: list[str] = []

    def flush() -> None:
        if owner_seen is None:
            return
        text = clean_space(" ".join(parts))
        if text:
            if owner_seen.name in HEADING_TAGS:
                blocks.append(TextBlock("heading", text, HEADING_TAGS[owner_seen.name]))
            else:
                blocks.append(TextBlock("item" if owner_seen.name in ("li", "dd") else "text", text))

    for string in container.descendants:
        if (
            not isinstance(string, NavigableString)
            or isinstance(string, Comment)
            or type(string) is not NavigableString
        ):
            continue
        owner = next((p for p in string.parents if p.name in BLOCK_TAGS or p.name in CONTAINER_TAGS), None)
        if owner is not owner_seen:
            flush()
            owner_seen, parts = owner, []
        parts.append(str(string))
    flush()
    if not blocks:
        warnings.append("no text found in the page's main content")
    return DocumentText(blocks, warnings, "html", None, title, language)


# ----------------------------------------------------------------------------------------- PDF
BULLET_CHARS = "•\x7f▪●◦■‣∙·\uf0b7\uf0a7\u2043*–-"
BULLET_ONLY_RE = re.compile(rf"^[{re.escape(BULLET_CHARS)}]$")
BULLET_LEAD_RE = re.compile(r"^[•\x7f▪●◦■‣∙·\uf0b7\uf0a7\u2043]\s*")
PAGE_NUMBER_RE = re.compile(r"^(side|page|s\.)?\s*\d{1,4}(\s*(av|of|/)\s*\d{1,4})?$", re.IGNORECASE)
DOT_LEADER_RE = re.compile(r"(\.\s?){4,}\s*\d{1,4}$|\s\.{2,}\s*\d{1,4}$")
NUMBERED_HEADING_RE = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})\.?\s+[A-ZÆØÅ][^\n]{1,120}$")
TOC_TITLE_RE = re.compile(
    r"^(innhold|innhald|innholdsfortegnelse|innhaldsliste|innhaldsoversikt|contents|"
    r"table of contents)$",
    re.IGNORECASE,
)
RUNNING_WINDOW = 3  # lines at the top and bottom of a page where headers and footers are looked for
MIN_TEXT_CHARS_PER_PAGE = 25


@dataclass(frozen=True)
class PdfLine:
    """A text line of a PDF page with the font it was set in."""

    page: int
    text: str
    size: float = 0.0
    bold: bool = False


# What pypdf raises on damaged files besides its own errors; caught so one bad file never stops a run.
PDF_READ_ERRORS = (
    PyPdfError,
    ValueError,
    KeyError,
    TypeError,
    OSError,
    AttributeError,
    IndexError,
    RecursionError,
)

# Limits against PDF bombs, far above any real strategy document (the longest white papers and NOUs run to a few
# hundred pages of a few thousand content operators each). Past them the rest is skipped with a warning.
MAX_PDF_PAGES = 1500  # pages read; a longer document is read in part
MAX_PDF_SECONDS = 120.0  # reading time of one document
MAX_PAGE_OPERATIONS = 200_000  # content operators of one page, its form XObjects included
PYPDF_LIMITS: dict[str, int] = {
    "page_tree_maximum_entries": 20_000,  # a larger page tree is refused before pypdf walks it all
    "zlib_maximum_output_length": 20_000_000,  # one decompressed stream (pypdf's default: 75 MB)
    "stream_parsing_work_maximum_count": 500_000,  # tokens of one content stream (default 2 million)
    "xform_maximum_invocations_per_extraction": 200,  # form XObjects drawn on one page (default 5,000)
}


class _PageBudgetExceeded(BaseException):
    """A page used up its operators or the document its time; a BaseException so pypdf cannot swallow it."""


class _PypdfWarnings(logging.Handler):
    """Collects pypdf's own log warnings (damaged xref, bad objects) as document warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message not in self.messages and len(self.messages) < 10:
            self.messages.append(message)


def pdf_text(data: bytes) -> DocumentText:
    """Text of a PDF as blocks with page numbers; unreadable parts become warnings, never exceptions.

    Time and memory are bounded (MAX_PDF_PAGES, MAX_PDF_SECONDS, MAX_PAGE_OPERATIONS, PYPDF_LIMITS), so a
    decompression bomb, a page-count bomb or self-multiplying forms cost seconds and a warning, not the run.
    """
    with apply_configuration(**PYPDF_LIMITS):
        return _pdf_text(data, time.monotonic() + MAX_PDF_SECONDS)


def _pdf_text(data: bytes, deadline: float) -> DocumentText:
    warnings: list[str] = []
    damaged = False
    collector = _PypdfWarnings()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(collector)
    try:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
        except PDF_READ_ERRORS as exc:
            try:  # a truncated file often lost only its cross-reference table: let pypdf rebuild it
                reader = PdfReader(io.BytesIO(data + b"\nstartxref\n0\n%%EOF\n"), strict=False)
                len(reader.pages)
            except PDF_READ_ERRORS:
                return DocumentText(
                    [], [f"broken PDF (truncated or damaged), nothing could be read: {_short(exc)}"], "pdf", 0
                )
            warnings.append(
                f"damaged PDF ({_short(exc)}): read after rebuilding its cross-reference table; "
                "pages may be missing"
            )
            damaged = True
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError) as exc:
                opened = 0
                warnings.append(f"encryption not supported here: {_short(exc)}")
            if not opened:
                locked = (
                    "encrypted PDF: it needs a password, so no text was read; register an unencrypted copy"
                )
                return DocumentText([], warnings + [locked], "pdf", None)
            warnings.append("encrypted PDF opened without a password (empty user password)")
        try:
            pages = list(reader.pages)
        except LimitReachedError as exc:
            return DocumentText([], warnings + [f"PDF over the reading limits, not read: {_short(exc)}"], "pdf", 0)
        except PDF_READ_ERRORS as exc:
            return DocumentText(
                [], warnings + [f"broken PDF, its page tree is unreadable: {_short(exc)}"], "pdf", 0
            )
        if len(pages) > MAX_PDF_PAGES:
            warnings.append(f"the PDF has {len(pages)} pages: only the first {MAX_PDF_PAGES} were read "
                            "(strategy_docs.MAX_PDF_PAGES)")
            pages = pages[:MAX_PDF_PAGES]
        page_lines: list[list[PdfLine]] = []
        empty_pages, broken_pages = [], []
        for number, page in enumerate(pages, start=1):
            if time.monotonic() > deadline:
                damaged = True
                warnings.append(f"reading stopped after {MAX_PDF_SECONDS:.0f} s (strategy_docs.MAX_PDF_SECONDS): "
                                f"pages {number}–{len(pages)} not read")
                pages = pages[:number - 1]
                break
            try:
                lines = _page_lines(page, number, deadline)
            except _PageBudgetExceeded as exc:
                broken_pages.append(number)
                damaged = True
                warnings.append(f"page {number} skipped: {exc}")
                lines = []
            except Exception as exc:  # noqa: BLE001 - one bad page must not lose the rest of the document
                broken_pages.append(number)
                damaged = True
                warnings.append(f"page {number} could not be read: {_short(exc)}")
                lines = []
            if sum(len(line.text) for line in lines) < MIN_TEXT_CHARS_PER_PAGE and number not in broken_pages:
                empty_pages.append(number)
            page_lines.append(lines)
    finally:
        pypdf_log.removeHandler(collector)
    warnings.extend(f"pypdf: {message}" for message in collector.messages)
    if pages and len(empty_pages) == len(pages):
        warnings.append(
            "no text layer on any page (a scanned PDF?): the document needs OCR before it can be read"
        )
    elif empty_pages:
        warnings.append(
            f"no text on page(s) {_ranges(empty_pages)} (scanned or image-only pages are skipped)"
        )
    page_lines = drop_running_lines([_drop_toc_lines(lines) for lines in page_lines])
    blocks = pdf_blocks([line for lines in page_lines for line in lines])
    title = None
    try:
        meta_title = reader.metadata.title if reader.metadata else None
        title = clean_space(str(meta_title)) if meta_title else None
    except Exception:  # noqa: BLE001 - metadata is optional
        title = None
    return DocumentText(blocks, warnings, "pdf", len(pages), title, None, damaged)


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] → '1–3, 7' for compact warnings."""
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}–{n}")
            start = None
    return ", ".join(out)


def _page_lines(page: Any, number: int, deadline: float = float("inf")) -> list[PdfLine]:
    """A page's lines (as pypdf lays them out) with the largest font size and the boldness set on them."""
    runs: list[tuple[str, float, bool, float]] = []
    operations = 0

    def count(operator: Any, operands: Any, cm: Any, tm: Any) -> None:
        nonlocal operations
        operations += 1
        if operations > MAX_PAGE_OPERATIONS:
            raise _PageBudgetExceeded(f"more than {MAX_PAGE_OPERATIONS} content operators "
                                      "(strategy_docs.MAX_PAGE_OPERATIONS)")
        if operations % 1000 == 0 and time.monotonic() > deadline:
            raise _PageBudgetExceeded(f"the document's reading time ({MAX_PDF_SECONDS:.0f} s) ran out on it")

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if not text or not text.strip():
            return
        scale = abs(tm[3] or tm[0] or 1.0) * abs(cm[3] or cm[0] or 1.0)
        name = str(font.get("/BaseFont", "")) if isinstance(font, dict) else ""
        bold = bool(re.search(r"bold|black|heavy|semibold", name, re.IGNORECASE))
        baseline = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        runs.append((text, round(float(size or 0) * scale, 1), bold, round(baseline, 1)))

    text = page.extract_text(visitor_text=visit, visitor_operand_before=count) or ""
    # Style of each visual line (runs sharing a baseline) and of each run, keyed by their letters only,
    # so the lines of extract_text() can be looked up whatever spacing pypdf gave them.
    styles: dict[str, tuple[float, bool]] = {}
    group: list[tuple[str, float, bool, float]] = []
    for run in runs + [("", 0.0, False, float("nan"))]:
        if group and (run[3] != group[-1][3] or not run[0]):
            key = _line_key("".join(r[0] for r in group))
            if key:
                styles.setdefault(key, (max(r[1] for r in group), all(r[2] for r in group)))
            group = []
        group.append(run)
    for fragment, size, bold, _ in runs:
        for piece in fragment.splitlines():
            if _line_key(piece):
                styles.setdefault(_line_key(piece), (size, bold))
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            lines.append(PdfLine(number, ""))
            continue
        size, bold = styles.get(_line_key(line), (0.0, False))
        lines.append(PdfLine(number, line, size, bold))
    return lines


def _line_key(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def running_line_key(text: str) -> str:
    """A line with its numbers blanked, so 'Side 3 av 7' and 'Side 4 av 7' count as the same footer."""
    return re.sub(r"\d+", "#", clean_space(text).lower())


def drop_running_lines(pages: list[list[PdfLine]], window: int = RUNNING_WINDOW) -> list[list[PdfLine]]:
    """Remove headers and footers: lines near a page's top or bottom that recur on at least half the pages,
    and a page's very first or last line when another page starts or ends with it too (chapter headers)."""
    content = [[line for line in lines if line.text] for lines in pages]
    with_text = [lines for lines in content if lines]
    counts: Counter[str] = Counter()
    outer: Counter[str] = Counter()
    for lines in with_text:
        counts.update({running_line_key(line.text) for line in lines[:window] + lines[-window:]})
        outer.update({("top", running_line_key(lines[0].text)), ("bottom", running_line_key(lines[-1].text))})
    needed = max(2, (len(with_text) + 1) // 2)
    running = {key for key, n in counts.items() if n >= needed}
    repeated_outer = {key for key, n in outer.items() if n >= 2}
    out = []
    for lines, original in zip(content, pages):
        edge_ids = {id(line) for line in lines[:window] + lines[-window:]}
        outer_ids = {id(lines[0]): "top", id(lines[-1]): "bottom"} if lines else {}
        kept = []
        for line in original:
            key = running_line_key(line.text) if line.text else ""
            if line.text and id(line) in edge_ids and (key in running or PAGE_NUMBER_RE.match(line.text)):
                continue
            if line.text and (outer_ids.get(id(line)), key) in repeated_outer:
                continue
            kept.append(line)
        out.append(kept)
    return out


def _body_size(lines: list[PdfLine]) -> float:
    """The font size most characters are set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if line.size:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def is_heading_line(line: PdfLine, body: float) -> bool:
    """Larger than body text, or bold at body size, short and without a sentence's final full stop."""
    text = line.text
    words = text.split()
    if not words or len(words) > 18 or len(text) > 160 or not re.search(r"[A-Za-zÆØÅæøå]", text):
        return False
    if PAGE_NUMBER_RE.match(text) or BULLET_LEAD_RE.match(text):
        return False
    if body and line.size >= body + 0.9:
        return True
    return bool(body and line.bold and line.size >= body - 0.05 and not text.endswith((".", ",", ";", ":")))


def heading_levels(headings: list[PdfLine]) -> dict[float, int]:
    """Font size → heading level, learnt from numbered headings ('3' is 1, '3.1' is 2), else by size rank."""
    votes: dict[float, Counter[int]] = {}
    for line in headings:
        match = NUMBERED_HEADING_RE.match(line.text)
        if match:
            votes.setdefault(line.size, Counter())[match.group(1).count(".") + 1] += 1
    levels = {size: counter.most_common(1)[0][0] for size, counter in votes.items()}
    sizes = sorted({line.size for line in headings}, reverse=True)
    if not levels:
        return {size: rank for rank, size in enumerate(sizes, start=1)}
    top = max(levels)
    for size in sizes:
        if size in levels:
            continue
        if size > top:
            levels[size] = 0  # larger than any numbered heading: a title or cover line
        else:
            nearest = min(levels, key=lambda s: abs(s - size))
            levels[size] = levels[nearest]
    return levels


def pdf_blocks(lines: list[PdfLine]) -> list[TextBlock]:
    """Lines (headers and footers already gone) → heading and text blocks, hyphenation repaired."""
    body = _body_size(lines)
    flags = [bool(line.text) and is_heading_line(line, body) for line in lines]
    if not any(flags):  # no font cues at all: fall back on numbered headings
        flags = [bool(NUMBERED_HEADING_RE.match(line.text)) and not line.text.endswith(".") for line in lines]
        levels: dict[float, int] = {}
    else:
        levels = heading_levels([line for line, flag in zip(lines, flags) if flag])
    vocabulary = line_vocabulary(line.text for line in lines)
    blocks: list[TextBlock] = []
    run: list[PdfLine] = []
    kind = "text"

    def flush() -> None:
        nonlocal run
        if run:
            text, starts = join_lines([line.text for line in run], vocabulary)
            pages: list[tuple[int, int]] = []
            for start, line in zip(starts, run):
                if not pages or pages[-1][1] != line.page:
                    pages.append((start, line.page))
            if text.strip():
                blocks.append(TextBlock(kind, text, 0, tuple(pages)))
        run = []

    previous_heading: PdfLine | None = None
    for line, flag in zip(lines, flags):
        if not line.text:
            flush()
            kind = "text"
            continue
        if flag:
            flush()
            level = _level_of(line, levels)
            numbered = NUMBERED_HEADING_RE.match(line.text)
            if (
                previous_heading is not None
                and blocks
                and blocks[-1].kind == "heading"
                and previous_heading.size == line.size
                and previous_heading.page == line.page
                and not numbered
            ):
                merged = blocks.pop()  # a heading wrapped over two lines
                blocks.append(TextBlock("heading", f"{merged.text} {line.text}", merged.level, merged.pages))
            else:
                blocks.append(TextBlock("heading", line.text, level, ((0, line.page),)))
            previous_heading = line
            kind = "text"
            continue
        previous_heading = None
        if BULLET_ONLY_RE.match(line.text):
            flush()
            kind = "item"
            continue
        if BULLET_LEAD_RE.match(line.text):
            flush()
            kind = "item"
            line = PdfLine(line.page, BULLET_LEAD_RE.sub("", line.text), line.size, line.bold)
        run.append(line)
    flush()
    return blocks


def _level_of(line: PdfLine, levels: dict[float, int]) -> int:
    match = NUMBERED_HEADING_RE.match(line.text)
    if match:
        return match.group(1).count(".") + 1
    return levels.get(line.size, 1)


def _drop_toc_lines(lines: list[PdfLine]) -> list[PdfLine]:
    """Drop a table of contents: dot-leader lines, and entries followed by a line with only a page number."""
    drop: set[int] = set()
    for i, line in enumerate(lines):
        if DOT_LEADER_RE.search(line.text):
            drop.add(i)
        nxt = next((j for j in range(i + 1, min(i + 3, len(lines))) if lines[j].text), None)
        if (
            line.text
            and nxt is not None
            and re.fullmatch(r"\d{1,4}", lines[nxt].text)
            and not re.fullmatch(r"\d{1,4}", line.text)
        ):
            drop.update({i, nxt})
    if len(drop) < 6:  # a couple of stray numbers is not a table of contents
        drop = {i for i in drop if DOT_LEADER_RE.search(lines[i].text)}
    return [line for i, line in enumerate(lines) if i not in drop]


# ----------------------------------------------------------------------------------------- hyphenation
WORD_RE = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
SUSPENDED_FOLLOWERS = frozenset({"og", "eller", "samt", "and", "or", "som", "enn", "til"})
SENTENCE_END_RE = re.compile(r"[.!?:»\"]\s*$")


def line_vocabulary(lines: Iterable[str]) -> set[str]:
    """Lower-cased words seen whole inside lines (not broken at a line end), as evidence for joins."""
    vocab: set[str] = set()
    for line in lines:
        words = line.split()
        for word in words[:-1] if words and words[-1].endswith("-") else words:
            core = word.strip(".,;:!?()«»\"'[]").lower()
            if core:
                vocab.add(core)
    return vocab


def join_hyphenated(
    head: str, tail: str, vocabulary: set[str] = frozenset(), *, sentence_start: bool = False
) -> str:
    """How a word broken at a line end ('head-' then 'tail') is written whole.

    Real hyphens stay: a suspended compound ('helse-' + 'og' → 'helse- og'), an acronym or number before
    the hyphen ('IKT-sikkerhet', '5G-nett', 'e-post'), a capitalised tail ('Sør-Trøndelag'), a proper noun
    inside a sentence ('Oslo-området'), or a hyphenated form the document writes elsewhere. Otherwise the
    hyphen was the typesetter's and the halves are joined ('kompetanse-' + 'behov' → 'kompetansebehov').
    """
    stem = head[:-1]
    tail_core = tail.strip(".,;:!?()«»\"'[]")
    if tail_core.lower() in SUSPENDED_FOLLOWERS:
        return f"{head} {tail}"
    last_part = re.split(r"[-/]", stem)[-1].lstrip("(«\"'")
    joined, hyphenated = stem + tail, head + tail
    joined_key, hyphen_key = (
        joined.strip(".,;:!?()«»\"'[]").lower(),
        hyphenated.strip(".,;:!?()«»\"'[]").lower(),
    )
    if hyphen_key in vocabulary and joined_key not in vocabulary:
        return hyphenated
    if joined_key in vocabulary and hyphen_key not in vocabulary:
        return joined
    if (
        len(last_part) <= 2
        or any(c.isdigit() for c in last_part)
        or (len(last_part) >= 2 and last_part.isupper())
    ):
        return hyphenated
    if tail_core[:1].isupper():
        return hyphenated
    if last_part[:1].isupper() and not sentence_start:
        return hyphenated
    return joined


def join_lines(lines: list[str], vocabulary: set[str] | None = None) -> tuple[str, list[int]]:
    """Lines of one block → running text with hyphenation repaired; also each line's start offset in it."""
    vocabulary = vocabulary if vocabulary is not None else line_vocabulary(lines)
    text = ""
    starts: list[int] = []
    for line in lines:
        line = clean_space(line)
        if not line:
            starts.append(len(text))
            continue
        match = re.search(r"(\S*[^\W\d_]-)$", text) if text else None
        if match and not re.search(r"\s[-–]$", text):
            head = match.group(1)
            tail, _, rest = line.partition(" ")
            before = text[: match.start()]
            sentence_start = not before.strip() or bool(SENTENCE_END_RE.search(before))
            word = join_hyphenated(head, tail, vocabulary, sentence_start=sentence_start)
            text = before + word
            starts.append(len(text) - len(tail))
            if rest:
                text += " " + rest
            continue
        if text:
            text += " "
        starts.append(len(text))
        text += line
    return text, starts
