"""Repair mojibake ("bÃ¦rekraft" for "bærekraft") before extraction, with offsets back into the text as given.

Ads converted through HR-XML or scraped from old career pages sometimes arrive as UTF-8 read as Latin-1 or
cp1252. The lemmatizer, the lexicon and the span model then see no Norwegian word in them (one such dev ad scored
lenient recall 0.32). ftfy is the maintained tool for undoing this; it decides per line whether a line is mojibake.
Each repaired line is aligned with its original by difflib, so every mention keeps its character offsets into the
input text, as ANNOTATION.md and `radar extract` require.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cached_property

import ftfy

# A lead byte of a two- or three-byte UTF-8 sequence (Ã Â â ï) followed by what a continuation byte becomes in
# Latin-1 or cp1252. Clean Norwegian text almost never has this, so ftfy only looks at lines that might need it.
HINT = re.compile(
    "[\u00c2\u00c3\u00e2\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
LEADS = ("\u00c3", "\u00c2", "\u00e2", "\u00ef")  # str.__contains__ finds these far faster than HINT scans
# Only the encoding repairs: quotes, widths, ligatures and line breaks are the author's and stay as written.
FIXER = ftfy.TextFixerConfig(
    unescape_html=False, remove_terminal_escapes=False, fix_latin_ligatures=False, fix_character_width=False,
    uncurl_quotes=False, fix_line_breaks=False, fix_surrogates=False, remove_control_chars=False,
    normalization=None, explain=False,
)


@dataclass(frozen=True)
class Repair:
    """A repaired text and the way back: which stretches of it replace which stretches of the original."""

    original: str
    text: str
    # (repaired start, repaired end, original start, original end) of every changed stretch, in order.
    changes: tuple[tuple[int, int, int, int], ...] = ()

    @property
    def changed(self) -> bool:
        """True when the text needed repair."""
        return bool(self.changes)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the original text of the repaired text's [start, end); a repaired character maps to its bytes."""
        if not self.changes:
            return start, end
        return self._to_original(start, at_end=False), self._to_original(end, at_end=True)

    @cached_property
    def _starts(self) -> tuple[int, ...]:
        """Repaired start of each change, for bisection."""
        return tuple(change[0] for change in self.changes)

    def _to_original(self, position: int, *, at_end: bool) -> int:
        k = bisect_right(self._starts, position) - 1
        if k < 0:
            return position
        r_start, r_end, o_start, o_end = self.changes[k]
        if at_end and position == r_start:  # a mention ending right before the change
            return o_start
        if position >= r_end:  # in the unchanged text after the change
            return o_end + (position - r_end)
        return o_end if at_end else o_start


def repair_mojibake(text: str) -> Repair:
    """The text with mojibake lines repaired by ftfy (unchanged, and cheap, when nothing looks double-encoded)."""
    if not text or not any(lead in text for lead in LEADS) or not HINT.search(text):
        return Repair(text, text)
    pieces: list[str] = []
    changes: list[tuple[int, int, int, int]] = []
    original_at = repaired_at = 0
    for line in text.splitlines(keepends=True):
        fixed = ftfy.fix_text(line, FIXER) if HINT.search(line) else line
        if fixed != line:
            changes.extend(_aligned_changes(line, fixed, original_at, repaired_at))
        pieces.append(fixed)
        original_at += len(line)
        repaired_at += len(fixed)
    if not changes:
        return Repair(text, text)
    return Repair(text, "".join(pieces), tuple(changes))


def _aligned_changes(line: str, fixed: str, original_at: int, repaired_at: int) -> list[tuple[int, int, int, int]]:
    """The changed stretches of one line, as (repaired start, end, original start, end) in whole-text offsets."""
    matcher = SequenceMatcher(None, line, fixed, autojunk=False)
    return [(repaired_at + j1, repaired_at + j2, original_at + i1, original_at + i2)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]
