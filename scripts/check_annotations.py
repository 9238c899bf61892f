#!/usr/bin/env python3
"""Validate Kompetanseradar competence annotations.

Checks
  extractors/annotations/dev_ads.jsonl        (offsets into ads.jsonl `text`, dev split only)
  extractors/annotations/nn_sentences.jsonl   (offsets into each record's own `text`)
  extractors/annotations/nb_sentences.jsonl   (idem)
  extractors/annotations/written_ads.jsonl    (idem; whole ads written by the team, nb and nn)

Usage:
  python scripts/check_annotations.py [ADS_JSONL] [--quiet]

ADS_JSONL defaults to ../shared/data/job_ads/ads.jsonl relative to the repo root.
Texts of rows with split != "dev" are never printed or used; an annotated id that
belongs to another split is reported as an error by id only.
Exit status 0 when everything passes, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ANN_DIR = REPO_ROOT / "extractors" / "annotations"
DEFAULT_ADS = REPO_ROOT.parent / "shared" / "data" / "job_ads" / "ads.jsonl"

TYPES = {"SKILL", "SOFT", "QUALIFICATION", "LANGUAGE"}
REQUIREMENTS = {"REQUIRED", "PREFERRED", "UNSPECIFIED"}
MENTION_KEYS = {"start", "end", "text", "type", "requirement"}
# Punctuation that is part of a technology name may sit at a span edge:
#   trailing '#' or '+'  (C#, F#, C++)    leading '.' before a letter/digit (.NET)
ALLOWED_TRAILING = {"#", "+"}


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P") or unicodedata.category(ch).startswith("S")


def edge_problem(span: str) -> str | None:
    if not span:
        return "empty span"
    if span != span.strip():
        return "leading/trailing whitespace"
    first, last = span[0], span[-1]
    if _is_punct(first) and not (first == "." and len(span) > 1 and span[1].isalnum()):
        return f"leading punctuation {first!r}"
    if _is_punct(last) and last not in ALLOWED_TRAILING:
        return f"trailing punctuation {last!r}"
    return None


def check_mentions(label: str, text: str, mentions, errors: list[str]) -> None:
    if not isinstance(mentions, list):
        errors.append(f"{label}: mentions is not a list")
        return
    prev_end, prev_start = -1, -1
    for i, m in enumerate(mentions):
        ml = f"{label} mention[{i}]"
        if not isinstance(m, dict) or set(m) != MENTION_KEYS:
            errors.append(f"{ml}: keys must be exactly {sorted(MENTION_KEYS)}")
            continue
        s, e = m["start"], m["end"]
        if not (isinstance(s, int) and isinstance(e, int)) or isinstance(s, bool) or isinstance(e, bool):
            errors.append(f"{ml}: start/end must be int")
            continue
        if not (0 <= s < e <= len(text)):
            errors.append(f"{ml}: offsets {s}-{e} out of range (len {len(text)})")
            continue
        if text[s:e] != m["text"]:
            errors.append(f"{ml}: text[{s}:{e}]={text[s:e]!r} != {m['text']!r}")
        if m["type"] not in TYPES:
            errors.append(f"{ml}: bad type {m['type']!r}")
        if m["requirement"] not in REQUIREMENTS:
            errors.append(f"{ml}: bad requirement {m['requirement']!r}")
        prob = edge_problem(m["text"])
        if prob:
            errors.append(f"{ml}: {prob} in {m['text']!r}")
        if s < prev_start:
            errors.append(f"{ml}: mentions not sorted by start")
        if s < prev_end:
            errors.append(f"{ml}: overlaps previous mention ({m['text']!r})")
        prev_start, prev_end = s, max(prev_end, e)


def read_jsonl(path: Path, errors: list[str]):
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                errors.append(f"{path.name}:{n}: invalid JSON ({exc})")
    return rows


def load_ads(path: Path):
    """Return (dev texts by id, set of non-dev ids). Non-dev texts are discarded at once."""
    dev, other = {}, set()
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("split") == "dev":
                dev[row["id"]] = row["text"]
            else:
                other.add(row["id"])
    return dev, other


def summarize(name: str, records) -> str:
    types, reqs, n = Counter(), Counter(), 0
    for r in records:
        for m in r.get("mentions", []):
            n += 1
            types[m.get("type")] += 1
            reqs[m.get("requirement")] += 1
    t = ", ".join(f"{k}={types[k]}" for k in sorted(TYPES))
    q = ", ".join(f"{k}={reqs[k]}" for k in sorted(REQUIREMENTS))
    return f"{name}: {len(records)} records, {n} mentions | {t} | {q}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ads", nargs="?", default=str(DEFAULT_ADS), help="path to ads.jsonl")
    ap.add_argument("--annotations-dir", default=str(ANN_DIR))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    errors: list[str] = []
    ann_dir = Path(args.annotations_dir)
    ads_path = Path(args.ads)
    if not ads_path.exists():
        print(f"ERROR: ads file not found: {ads_path}", file=sys.stderr)
        return 1
    dev, other = load_ads(ads_path)

    summaries = []
    # --- real ads -------------------------------------------------------
    ads_file = ann_dir / "dev_ads.jsonl"
    if not ads_file.exists():
        errors.append(f"missing {ads_file}")
    else:
        recs = read_jsonl(ads_file, errors)
        seen = set()
        for r in recs:
            rid = r.get("id")
            label = f"dev_ads:{rid}"
            if set(r) != {"id", "annotator", "mentions"}:
                errors.append(f"{label}: keys must be id, annotator, mentions")
            if rid in seen:
                errors.append(f"{label}: duplicate id")
            seen.add(rid)
            if rid in other:
                errors.append(f"{label}: id is not in the dev split (must not be annotated)")
                continue
            if rid not in dev:
                errors.append(f"{label}: id not found in {ads_path.name}")
                continue
            if not isinstance(r.get("annotator"), str) or not r["annotator"]:
                errors.append(f"{label}: annotator missing")
            check_mentions(label, dev[rid], r.get("mentions"), errors)
        summaries.append(summarize("dev_ads.jsonl", recs))

    # --- self-written sentences ----------------------------------------
    for fname, langs in (("nn_sentences.jsonl", ("nn",)), ("nb_sentences.jsonl", ("nb",)),
                         ("written_ads.jsonl", ("nb", "nn"))):
        path = ann_dir / fname
        if not path.exists():
            errors.append(f"missing {path}")
            continue
        recs = read_jsonl(path, errors)
        seen = set()
        for r in recs:
            rid = r.get("id")
            label = f"{fname}:{rid}"
            if set(r) != {"id", "lang", "text", "mentions"}:
                errors.append(f"{label}: keys must be id, lang, text, mentions")
                continue
            if rid in seen:
                errors.append(f"{label}: duplicate id")
            seen.add(rid)
            if r["lang"] not in langs:
                errors.append(f"{label}: lang {r['lang']!r} is not {' or '.join(langs)}")
            if not isinstance(r["text"], str) or not r["text"].strip():
                errors.append(f"{label}: empty text")
                continue
            check_mentions(label, r["text"], r["mentions"], errors)
        summaries.append(summarize(fname, recs))

    if not args.quiet:
        for s in summaries:
            print(s)
    if errors:
        for e in errors:
            print("ERROR:", e, file=sys.stderr)
        print(f"FAILED: {len(errors)} problem(s)", file=sys.stderr)
        return 1
    print("OK: all annotation files valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
