"""Pure functions that turn a fetched ad into clean, masked, located, structured text."""

from __future__ import annotations

import copy
import hashlib
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any, NamedTuple

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag

from extractors.mojibake import repair_mojibake
from pipelines.regions import Region, resolve_region

log = logging.getLogger(__name__)

BLOCK_TAGS = (
    "p", "div", "section", "article", "header", "footer", "main", "aside", "ul", "ol", "table", "tr",
    "dl", "dt", "dd", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figure",
)
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head")
# What html_to_text writes before and after a tag's text; <br> becomes a line break.
SEPARATORS: dict[str, tuple[str, str]] = {
    **{tag: ("\n", "\n") for tag in BLOCK_TAGS}, "li": ("\n- ", "\n"), "td": ("", " "), "th": ("", " "),
}
TEXT_TYPES = (NavigableString, CData)
MAX_HTML_CHARS = 1_000_000  # 30 times the longest of the 195 real ads (33 kB); beyond it a page is cut

EMAIL_RE = re.compile(r"[\w.+-]+(?:@|\(at\)|&#64;| at )[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}", re.UNICODE)
PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?47[\s.-]?)?"
    r"(?:\d{8}|\d{3}[ .-]\d{2}[ .-]\d{3}|\d{2}[ .-]\d{2}[ .-]\d{2}[ .-]\d{2}|\d{4}[ .-]\d{4})(?![\d])"
)
LONE_SURROGATE_RE = re.compile("[\ud800-\udfff]")
EMAIL_MASK = "[e-post]"
PHONE_MASK = "[telefon]"
NAME_MASK = "[kontaktperson]"


@dataclass(frozen=True)
class NormalisedAd:
    """One version of one ad as the warehouse stores it: no contact data, text masked."""

    ad_id: str
    source: str
    source_id: str
    entry_id: str
    status: str
    modified: datetime | None
    published: datetime | None
    expires: datetime | None
    title: str | None
    employer: str | None
    employer_orgnr: str | None
    jobtitle: str | None
    text: str
    language: str
    municipality_code: str | None
    municipality_name: str | None
    county_code: str | None
    county_name: str | None
    municipality_code_2024: str | None
    municipality_name_2024: str | None
    county_code_2024: str | None
    county_name_2024: str | None
    styrk08: str | None
    styrk08_label: str | None
    content_hash: str

    def as_row(self) -> dict[str, Any]:
        """A flat dict for Arrow/DataFrame loading."""
        return asdict(self)


class _Close(NamedTuple):
    """A separator html_to_text writes when it leaves a tag."""

    text: str


def html_to_text(html: str | None, *, max_chars: int = MAX_HTML_CHARS) -> str:
    """Plain text that keeps headings and list items on their own lines, since extraction reads structure.

    One pass over the parsed page (inserting separators into the tree took time quadratic in its size). A page
    longer than `max_chars` is cut there with a logged warning: a real ad is a few kB, and parsing 100 MB with
    BeautifulSoup would take gigabytes.
    """
    if not html:
        return ""
    if len(html) > max_chars:
        log.warning("ad HTML of %d characters cut to its first %d (normalise.MAX_HTML_CHARS); the rest is not read",
                    len(html), max_chars)
        html = html[:max_chars]
    html = LONE_SURROGATE_RE.sub("\ufffd", html)  # lxml cannot encode them
    pieces: list[str] = []
    stack: list[PageElement | _Close] = [BeautifulSoup(html, "lxml")]
    while stack:
        node = stack.pop()
        if isinstance(node, _Close):
            pieces.append(node.text)
        elif isinstance(node, Tag):
            if node.name in DROP_TAGS:
                continue
            if node.name == "br":
                pieces.append("\n")
                continue
            before, after = SEPARATORS.get(node.name, ("", ""))
            pieces.append(before)
            if after:
                stack.append(_Close(after))
            stack.extend(reversed(node.contents))
        elif type(node) in TEXT_TYPES:  # not comments, doctypes, processing instructions or ruby annotations
            pieces.append(str(node))
    return tidy_text("".join(pieces))


def tidy_text(text: str) -> str:
    """Mojibake repaired, NFC, single spaces inside lines, one block or list item per line, no blank lines."""
    text = unicodedata.normalize("NFC", repair_mojibake(text).text).replace("\u00a0", " ").replace("\u200b", "")
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line and line != "-")


def mask_pii(text: str, names: list[str] | tuple[str, ...] = ()) -> str:
    """Mask e-mail addresses, phone numbers and known contact names, which must never be stored."""
    text = EMAIL_RE.sub(EMAIL_MASK, text)
    text = PHONE_RE.sub(PHONE_MASK, text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) > 2}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME_MASK, text, flags=re.IGNORECASE)
    return text


@lru_cache(maxsize=1)
def _detector() -> Any:
    """Lingua restricted to the languages Norwegian ads come in; built once per process."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.BOKMAL, Language.NYNORSK, Language.DANISH, Language.SWEDISH, Language.ENGLISH
    ).build()


LINGUA_CODES = {"BOKMAL": "nb", "NYNORSK": "nn", "ENGLISH": "en", "DANISH": "other", "SWEDISH": "other"}


# Function words and ad vocabulary that only one written standard uses; lingua alone confuses nb and nn
# on short or list-like ads, so a clear majority of these markers decides between the two. Words both
# standards use (such as "mange") are dropped from both lists.
_NB_WORDS = frozenset("""ikke jeg hva hvor hvordan hvem bare fra noe noen mye være hele flere selv gir
    en et mange arbeidsoppgaver kvalifikasjoner egenskaper personlige muntlig skriftlig søker ansatte stillingen
    tjeneste tjenester virksomhet virksomheten ønskelig kunnskaper erfaring""".split())
_NN_WORDS = frozenset("""ikkje eg kva kvar korleis kven berre frå noko nokon mykje vere heile fleire sjølv gjev
    ein eit mange arbeidsoppgåver kvalifikasjonar eigenskapar personlege munnleg skriftleg søkjar søkjer tilsette
    stillinga teneste tenester verksemd verksemda ønskjeleg kunnskapar røynsle""".split())
NB_MARKERS = _NB_WORDS - _NN_WORDS
NN_MARKERS = _NN_WORDS - _NB_WORDS


def standard_markers(text: str) -> tuple[int, int]:
    """Counts of Bokmål-only and Nynorsk-only marker words."""
    words = re.findall(r"[a-zæøå]+", text.lower())
    return sum(w in NB_MARKERS for w in words), sum(w in NN_MARKERS for w in words)


def detect_language(text: str) -> str:
    """nb, nn, en or other; other also for empty text, so the extractor can skip it knowingly.

    Lingua decides first. When it leans Danish or Swedish but gives Bokmål and Nynorsk together more weight
    (list-like Norwegian ads with links do that), the text is Norwegian. Between nb and nn, marker words
    decide when they are clear: a 2:1 majority of at least three, or at least two on one side and none on
    the other.
    """
    sample = text[:4000]
    if len(re.findall(r"\w+", sample)) < 3:
        return "other"
    confidence = {c.language.name: c.value for c in _detector().compute_language_confidence_values(sample)}
    if not confidence:
        return "other"
    top = max(confidence, key=confidence.__getitem__)
    code = LINGUA_CODES.get(top, "other")
    nb_weight, nn_weight = confidence.get("BOKMAL", 0.0), confidence.get("NYNORSK", 0.0)
    if code == "other" and nb_weight + nn_weight > confidence[top]:
        code = "nb" if nb_weight >= nn_weight else "nn"
    if code in ("nb", "nn"):
        nb, nn = standard_markers(sample)
        if (nb + nn >= 3 and max(nb, nn) >= 2 * min(nb, nn)) or (min(nb, nn) == 0 and max(nb, nn) >= 2):
            return "nb" if nb > nn else "nn"
    return code


def parse_time(value: Any) -> datetime | None:
    """Feed timestamps (ISO with or without zone, or epoch ms) as aware UTC datetimes."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # out of range, or NaN
            return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def strip_contacts(payload: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a feed entry without contact persons or application e-mail, for the raw archive.

    Free text (title, description, employer name and blurb) is masked like the warehouse text; e-mail addresses are
    masked in every other string too (a `mailto:` application link, a source URL), since they name people.
    """
    clean = copy.deepcopy(payload)
    ad = clean.get("ad_content") if "ad_content" in clean else clean.get("json")
    names = contact_names(payload)
    for holder in (clean, ad if isinstance(ad, dict) else {}):
        holder.pop("contactList", None)
        props = holder.get("properties")
        if isinstance(props, dict):
            props.pop("applicationemail", None)
    if isinstance(ad, dict):
        ad["description"] = mask_pii(str(ad.get("description") or ""), names)
        if isinstance(ad.get("title"), str) and ad["title"]:
            ad["title"] = mask_pii(ad["title"], names)
        employer = ad.get("employer")
        if isinstance(employer, dict):
            for key in ("name", "description"):
                if isinstance(employer.get(key), str) and employer[key]:
                    employer[key] = mask_pii(employer[key], names)
    return _mask_emails(clean)


def _mask_emails(value: Any) -> Any:
    """Mask e-mail addresses in every string of a JSON value (uuids and dates cannot look like one)."""
    if isinstance(value, str):
        value = LONE_SURROGATE_RE.sub("\ufffd", value)  # from "\\ud800" escapes; no table can store them
        return EMAIL_RE.sub(EMAIL_MASK, value) if "@" in value or "(at)" in value or " at " in value else value
    if isinstance(value, dict):
        return {k: _mask_emails(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_emails(v) for v in value]
    return value


def contact_names(payload: dict[str, Any]) -> list[str]:
    """Names of the contact persons of a feed entry, to mask them in free text."""
    ad = payload.get("ad_content") or payload.get("json") or {}
    if not isinstance(ad, dict):
        return []
    return [str(c.get("name") or "") for c in _objects(ad.get("contactList"))]


def _objects(value: Any) -> list[dict[str, Any]]:
    """The dicts of a list field, skipping anything malformed a source may send."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def styrk08_of(ad: dict[str, Any]) -> tuple[str | None, str | None]:
    """The 4-digit STYRK-08 code from the feed's categoryList, where NAV gave one."""
    for cat in _objects(ad.get("categoryList")):
        kind = str(cat.get("categoryType") or "").upper()
        code = str(cat.get("code") or "")
        if kind.startswith("STYRK08") and re.match(r"^\d{4}", code):
            return code[:4], cat.get("name")
    return None, None


def region_of(ad: dict[str, Any], on: date | None) -> Region | None:
    """The first work location that resolves, at the ad's date and in 2024 borders."""
    for loc in _objects(ad.get("workLocations")):
        region = resolve_region(
            municipality=loc.get("municipal"), county=loc.get("county"), code=loc.get("municipalCode"), on=on
        )
        if region is not None:
            return region
    return None


def ad_source_of(stream: str) -> str:
    """The source that names ads ("nav", "html") from a stream key such as "nav:https://pam-stilling-feed.nav.no".

    Raw entries and cursors are kept per stream; ads are not, so one NAV ad read from two feed URLs or from
    a file stays one ad, "nav:<uuid>".
    """
    return stream.split(":", 1)[0] or stream


def normalise_entry(entry: dict[str, Any], *, entry_id: str, source: str = "nav",
                    seen_at: datetime | None = None) -> NormalisedAd:
    """A feed entry (dict as the feed returns it) → a NormalisedAd; raises ValueError on a non-entry.

    `seen_at` (when the entry was fetched) stands in for a missing change time, so every version can be ordered.
    """
    if not isinstance(entry, dict) or "uuid" not in entry:
        raise ValueError("feed entry has no 'uuid'")
    ad = entry.get("ad_content") or entry.get("json") or {}
    if not isinstance(ad, dict):
        raise ValueError("feed entry 'ad_content' is not an object")
    names = contact_names(entry)
    text = mask_pii(html_to_text(str(ad.get("description") or "")), names)
    published = parse_time(ad.get("published"))
    region = region_of(ad, (published or parse_time(entry.get("sistEndret")) or datetime.now(timezone.utc)).date())
    code, label = styrk08_of(ad)
    employer = ad.get("employer") or {}
    if not isinstance(employer, dict):
        employer = {"name": str(employer)}
    title = str(ad.get("title") or "") or None
    return NormalisedAd(
        ad_id=f"{source}:{entry['uuid']}",
        source=source,
        source_id=str(entry["uuid"]),
        entry_id=entry_id,
        status=str(entry.get("status") or "ACTIVE").upper(),
        modified=parse_time(entry.get("sistEndret")) or parse_time(ad.get("updated")) or published or seen_at,
        published=published,
        expires=parse_time(ad.get("expires")),
        title=mask_pii(title, names) if title else None,
        employer=mask_pii(str(employer.get("name") or ""), names) or None,
        employer_orgnr=str(employer.get("orgnr") or "") or None,
        jobtitle=str(ad.get("jobtitle") or "") or None,
        text=text,
        language=detect_language(text),
        municipality_code=region.municipality_code if region else None,
        municipality_name=region.municipality_name if region else None,
        county_code=region.county_code if region else None,
        county_name=region.county_name if region else None,
        municipality_code_2024=region.municipality_code_2024 if region else None,
        municipality_name_2024=region.municipality_name_2024 if region else None,
        county_code_2024=region.county_code_2024 if region else None,
        county_name_2024=region.county_name_2024 if region else None,
        styrk08=code,
        styrk08_label=label,
        content_hash=hashlib.sha1(f"{title}\n{text}".encode()).hexdigest(),
    )
