"""Hypothesis strategies for what the pipeline reads from outside: ad HTML, feed JSON, PDF bytes.

Shared by tests/pipelines/test_fuzz_inputs.py (a few hundred cases) and benchmarks/fuzz_inputs.py (many more).
Each strategy mixes the well-formed shape with the ways a server or a file gets it wrong: wrong types,
missing keys, absurd numbers, control characters and lone surrogates (which json.loads accepts from "\\ud800").
"""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import strategies as st

LONE_SURROGATES = ("\ud800", "\udfff", "\udc80")
NASTY = ("\x00", "\x0b", "\x1f", "\u202e", "\ufeff", "\u00ad", "\u200b", "\r", "\t", "&#0;", "&#x110000;", "&#99999999;",
         "&nbsp;", "&amp", "<", ">", "]]>", "<![CDATA[x]]>", "<!--", "-->", "<?php echo 1 ?>", "<!DOCTYPE html>",
         "<?xml version='1.0' encoding='latin-1'?>", *LONE_SURROGATES)
WORDS = ("sykepleier", "fagbrev", "førerkort", "erfaring", "Kvalifikasjoner", "ønskelig", "sjukepleiar",
         "røynsle", "AutoCAD", "C#", "norsk", "e-post: ola@example.no", "tlf 913 45 678", "- ", "•", "\n")
TAGS = ("p", "div", "span", "b", "i", "a", "ul", "ol", "li", "br", "hr", "h1", "h2", "h3", "table", "tr", "td",
        "th", "dl", "dt", "dd", "pre", "blockquote", "section", "article", "header", "footer", "main", "figure",
        "script", "style", "noscript", "template", "svg", "iframe", "head", "title", "html", "body", "font",
        "rt", "ruby", "textarea", "math", "object")

plain_text = st.text(st.characters(), max_size=40)
nasty_text = st.lists(st.sampled_from(WORDS + NASTY) | plain_text, max_size=8).map(" ".join)
attributes = st.lists(st.tuples(st.sampled_from(("class", "id", "style", "href", "lang", "x")),
                                st.sampled_from(('"a"', "'b'", "c", '"', '"<p>"', ""))), max_size=2).map(
    lambda pairs: "".join(f" {k}={v}" if v else f" {k}" for k, v in pairs))


def _element(tag: str, attrs: str, children: list[str], closed: bool) -> str:
    return f"<{tag}{attrs}>{''.join(children)}" + (f"</{tag}>" if closed else "")


html = st.recursive(
    nasty_text | st.sampled_from(NASTY),
    lambda inner: st.builds(_element, st.sampled_from(TAGS), attributes, st.lists(inner, max_size=4), st.booleans())
    | st.lists(inner, max_size=4).map("".join),
    max_leaves=25,
)

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
                | st.floats(allow_nan=True, allow_infinity=True) | nasty_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(string.ascii_letters, max_size=8), inner,
                                                                 max_size=3),
    max_leaves=12,
)
timestamps = (st.datetimes().map(lambda d: d.isoformat()) | st.datetimes().map(lambda d: d.isoformat() + "Z")
              | st.integers(min_value=-(2**63), max_value=2**63) | st.floats(allow_nan=True, allow_infinity=True)
              | st.sampled_from(("", "2026-13-45T99:99:99Z", "i går", "2026-11-23", 2**62, -(2**62), 10**20,
                                float("nan"), float("inf"), 1e300)) | json_values)
uuids = st.uuids().map(str) | st.sampled_from(("", "x", "../../etc/passwd")) | json_scalars


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the well-formed value, sometimes any JSON at all."""
    return st.one_of(strategy, strategy, strategy, json_values)


work_location = _maybe(st.fixed_dictionaries({}, optional={
    "municipal": _maybe(st.sampled_from(("FREDRIKSTAD", "GOL", "OSLO", "Sarpsborg", "nowhere", ""))),
    "county": _maybe(st.sampled_from(("ØSTFOLD", "BUSKERUD", "AKERSHUS", "VIKEN", ""))),
    "municipalCode": _maybe(st.sampled_from(("3107", "0301", "3324", "9999", "31O7"))),
}))
ad_content = st.fixed_dictionaries({}, optional={
    "title": _maybe(nasty_text), "description": _maybe(html), "jobtitle": _maybe(nasty_text),
    "published": timestamps, "expires": timestamps, "updated": timestamps,
    "workLocations": _maybe(st.lists(work_location, max_size=3)),
    "employer": _maybe(st.fixed_dictionaries({}, optional={"name": _maybe(nasty_text), "orgnr": json_scalars,
                                                           "description": _maybe(nasty_text)})),
    "categoryList": _maybe(st.lists(_maybe(st.fixed_dictionaries({}, optional={
        "categoryType": _maybe(st.sampled_from(("STYRK08", "STYRK08NAV", "ESCO"))),
        "code": _maybe(st.sampled_from(("7411", "2223.01", "abcd", ""))), "name": json_scalars})), max_size=3)),
    "contactList": _maybe(st.lists(_maybe(st.fixed_dictionaries({}, optional={
        "name": _maybe(nasty_text), "email": json_scalars, "phone": json_scalars})), max_size=3)),
    "properties": json_values,
})
feed_entries = st.fixed_dictionaries(
    {"uuid": uuids},
    optional={"status": _maybe(st.sampled_from(("ACTIVE", "INACTIVE", "active", "DELETED"))),
              "sistEndret": timestamps, "ad_content": _maybe(ad_content), "json": json_values,
              "contactList": json_values},
)
feed_items = _maybe(st.fixed_dictionaries(
    {"id": uuids},
    optional={"url": json_scalars, "title": json_scalars, "date_modified": timestamps,
              "_feed_entry": _maybe(st.fixed_dictionaries({}, optional={
                  "uuid": uuids, "status": json_scalars, "sistEndret": timestamps, "title": json_scalars,
                  "businessName": json_scalars, "municipal": json_scalars}))},
))
feed_pages = _maybe(st.fixed_dictionaries(
    {"id": uuids},
    optional={"items": _maybe(st.lists(feed_items, max_size=4)), "next_id": uuids, "next_url": json_scalars},
))


def json_roundtrip(value: Any) -> Any:
    """What the client sees after the server's json.dumps and its own json.loads (NaN and surrogates survive)."""
    return json.loads(json.dumps(value))


def mutated(data: bytes) -> st.SearchStrategy[bytes]:
    """Damaged copies of a document: bytes flipped, cut, spliced in, or a slice repeated."""

    @st.composite
    def damage(draw: st.DrawFn) -> bytes:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 6))):
            kind = draw(st.sampled_from(("flip", "cut", "insert", "repeat", "zero")))
            at = draw(st.integers(0, max(0, len(out) - 1)))
            if kind == "flip" and out:
                out[at] = draw(st.integers(0, 255))
            elif kind == "cut":
                out = out[:at] + out[at + draw(st.integers(1, 4096)):]
            elif kind == "insert":
                out[at:at] = draw(st.binary(max_size=64) | st.sampled_from(
                    (b"endobj", b"stream\n", b"endstream", b"<<", b">>", b"/FlateDecode", b"999999999 0 R", b"%%EOF")))
            elif kind == "repeat":
                out[at:at] = bytes(out[at:at + draw(st.integers(1, 2048))]) * draw(st.integers(2, 8))
            elif out:
                span = draw(st.integers(1, 512))
                out[at:at + span] = bytes(len(out[at:at + span]))
        return bytes(out)

    return damage()
