"""Pure functions that turn a fetched ad into clean, masked, located, structured text."""

from __future__ import annotations

import copy
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from bs4 import BeautifulSoup, Comment

from pipelines.regions import Region, resolve_region

BLOCK_TAGS = (
    "p", "div", "section", "article", "header", "footer", "main", "aside", "ul", "ol", "table", "tr",
    "dl", "dt", "dd", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figure",
)
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head")

EMAIL_RE = re.compile(r"[\w.+-]+(?:@|\(at\)|&#64;| at )[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}", re.UNICODE)
PHONE_RE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\s?47[\s.-]?)?"
    r"(?:\d{8}|\d{3}[ .-]\d{2}[ .-]\d{3}|\d{2}[ .-]\d{2}[ .-]\d{2}[ .-]\d{2}|\d{4}[ .-]\d{4})(?![\d])"
)
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


def html_to_text(html: str | None) -> str:
    """Plain text that keeps headings and list items on their own lines, since extraction reads structure."""
    if not html:
        return ""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for li in soup.find_all("li"):
        li.insert_before("\n- ")
        li.insert_after("\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after(" ")
    for tag in soup.find_all(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    return tidy_text(soup.get_text())


def tidy_text(text: str) -> str:
    """NFC, single spaces inside lines, one block or list item per line, no blank lines."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u200b", "")
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
# on short or list-like ads, so a clear majority of these markers decides between the two.
NB_MARKERS = frozenset("""ikke jeg hva hvor hvordan hvem bare fra noe noen mye være hele flere selv gir
    en et mange arbeidsoppgaver kvalifikasjoner egenskaper personlige muntlig skriftlig søker ansatte stillingen
    tjeneste tjenester virksomhet virksomheten ønskelig kunnskaper erfaring""".split())
NN_MARKERS = frozenset("""ikkje eg kva kvar korleis kven berre frå noko nokon mykje vere heile fleire sjølv gjev
    ein eit mange arbeidsoppgåver kvalifikasjonar eigenskapar personlege munnleg skriftleg søkjar søkjer tilsette
    stillinga teneste tenester verksemd verksemda ønskjeleg kunnskapar røynsle""".split()) - NB_MARKERS


def standard_markers(text: str) -> tuple[int, int]:
    """Counts of Bokmål-only and Nynorsk-only marker words."""
    words = re.findall(r"[a-zæøå]+", text.lower())
    return sum(w in NB_MARKERS for w in words), sum(w in NN_MARKERS for w in words)


def detect_language(text: str) -> str:
    """nb, nn, en or other; other also for empty text, so the extractor can skip it knowingly."""
    sample = text[:4000]
    if len(re.findall(r"\w+", sample)) < 3:
        return "other"
    lang = _detector().detect_language_of(sample)
    code = LINGUA_CODES.get(lang.name, "other") if lang else "other"
    if code in ("nb", "nn"):
        nb, nn = standard_markers(sample)
        if nb + nn >= 3 and max(nb, nn) >= 2 * min(nb, nn):
            return "nb" if nb > nn else "nn"
    return code


def parse_time(value: Any) -> datetime | None:
    """Feed timestamps (ISO with or without zone, or epoch ms) as aware UTC datetimes."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def strip_contacts(payload: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a feed entry without contact persons or application e-mail, for the raw archive."""
    clean = copy.deepcopy(payload)
    ad = clean.get("ad_content") if "ad_content" in clean else clean.get("json")
    for holder in (clean, ad or {}):
        holder.pop("contactList", None)
        props = holder.get("properties")
        if isinstance(props, dict):
            props.pop("applicationemail", None)
    if isinstance(ad, dict):
        ad["description"] = mask_pii(ad.get("description") or "", contact_names(payload))
        employer = ad.get("employer")
        if isinstance(employer, dict) and employer.get("description"):
            employer["description"] = mask_pii(employer["description"], contact_names(payload))
    return clean


def contact_names(payload: dict[str, Any]) -> list[str]:
    """Names of the contact persons of a feed entry, to mask them in free text."""
    ad = payload.get("ad_content") or payload.get("json") or {}
    return [c.get("name") or "" for c in (ad.get("contactList") or []) if isinstance(c, dict)]


def styrk08_of(ad: dict[str, Any]) -> tuple[str | None, str | None]:
    """The 4-digit STYRK-08 code from the feed's categoryList, where NAV gave one."""
    for cat in ad.get("categoryList") or []:
        kind = str(cat.get("categoryType") or "").upper()
        code = str(cat.get("code") or "")
        if kind.startswith("STYRK08") and re.match(r"^\d{4}", code):
            return code[:4], cat.get("name")
    return None, None


def region_of(ad: dict[str, Any], on: date | None) -> Region | None:
    """The first work location that resolves, at the ad's date and in 2024 borders."""
    for loc in ad.get("workLocations") or []:
        region = resolve_region(
            municipality=loc.get("municipal"), county=loc.get("county"), code=loc.get("municipalCode"), on=on
        )
        if region is not None:
            return region
    return None


def normalise_entry(entry: dict[str, Any], *, entry_id: str, source: str = "nav") -> NormalisedAd:
    """A feed entry (dict as the feed returns it) → a NormalisedAd; raises ValueError on a non-entry."""
    if "uuid" not in entry:
        raise ValueError("feed entry has no 'uuid'")
    ad = entry.get("ad_content") or entry.get("json") or {}
    names = contact_names(entry)
    text = mask_pii(html_to_text(ad.get("description")), names)
    published = parse_time(ad.get("published"))
    region = region_of(ad, (published or parse_time(entry.get("sistEndret")) or datetime.now(timezone.utc)).date())
    code, label = styrk08_of(ad)
    employer = ad.get("employer") or {}
    title = ad.get("title") or None
    return NormalisedAd(
        ad_id=f"{source}:{entry['uuid']}",
        source=source,
        source_id=str(entry["uuid"]),
        entry_id=entry_id,
        status=str(entry.get("status") or "ACTIVE").upper(),
        modified=parse_time(entry.get("sistEndret")) or parse_time(ad.get("updated")),
        published=published,
        expires=parse_time(ad.get("expires")),
        title=mask_pii(title, names) if title else None,
        employer=employer.get("name") or None,
        employer_orgnr=employer.get("orgnr") or None,
        jobtitle=ad.get("jobtitle") or None,
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
