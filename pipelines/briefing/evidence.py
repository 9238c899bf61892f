"""Evidence for a headline competence: the sentence around one mention, cut short and linked to its ad."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.normalise import mask_pii

NAV_AD_URL = "https://arbeidsplassen.nav.no/stillinger/stilling/{source_id}"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«\"(-])|\n+")


@dataclass(frozen=True)
class Snippet:
    """A sentence split around the mention, so renderers can mark the mention without re-finding it."""

    before: str
    mention: str
    after: str

    @property
    def text(self) -> str:
        """The whole snippet as plain text."""
        return f"{self.before}{self.mention}{self.after}"


def sentence_around(text: str, start: int, end: int, max_chars: int = 220) -> Snippet:
    """The sentence (or list line) holding text[start:end], trimmed to about max_chars with ellipses."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"mention offsets {start}:{end} are outside a text of {len(text)} characters")
    left = 0
    for match in _SENTENCE_END.finditer(text, 0, start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.start() if right_match else len(text)
    before, mention, after = text[left:start], text[start:end], text[end:right]
    before = before.lstrip(" -•*\t")
    room = max(0, max_chars - len(mention))
    if len(before) + len(after) > room:
        keep_before = min(len(before), room // 2)
        keep_after = min(len(after), room - keep_before)
        keep_before = min(len(before), room - keep_after)
        if keep_before < len(before):
            cut = before[len(before) - keep_before:]
            before = "…" + cut[cut.find(" ") + 1:] if " " in cut else "…" + cut
        if keep_after < len(after):
            cut = after[:keep_after]
            after = (cut[:cut.rfind(" ")] if " " in cut else cut) + " …"
    return Snippet(mask_pii(before), mention, mask_pii(after))


def ad_url(source: str | None, source_id: str | None) -> str | None:
    """The public page of an ad where we know one (NAV's arbeidsplassen); None otherwise."""
    if source == "nav" and source_id:
        return NAV_AD_URL.format(source_id=source_id)
    return None
