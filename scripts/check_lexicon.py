#!/usr/bin/env python3
"""Validate the curated competence lexicon in extractors/lexicon/.

Checks
  concepts.csv       columns, unique concept_id, id format (ESCO URI or radar:<slug>),
                     type, non-empty labels and group, esco_uri format; a concept whose id
                     is an ESCO URI must carry the same esco_uri; every concept has >= 1 surface.
  surface_forms.csv  columns, lang, non-empty surface without edge whitespace or doubled
                     spaces, concept_id exists in concepts.csv, no duplicate
                     (surface, concept_id), and no surface that after lower()/strip()
                     normalisation maps to two different concepts (a matcher is
                     case-insensitive, so that would be ambiguous).
  ESCO               every ESCO URI (concept_id and esco_uri) exists in skills_en.csv or
                     occupations_en.csv of the ESCO v1.1.1 English CSV zip, when the zip is
                     found (default: ../shared/data/taxonomies/esco/ relative to the repo
                     root). Skipped with a notice when the zip is absent.
  size               at least --min-concepts concepts and --min-surfaces surface rows.

Prints counts per type, group and lang. Exit code 1 on any error.

Usage
  python scripts/check_lexicon.py
  python scripts/check_lexicon.py --lexicon-dir extractors/lexicon --esco-zip PATH.zip
"""
from __future__ import annotations

import argparse
import collections
import csv
import glob
import io
import os
import re
import sys
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_LEXICON = os.path.join(REPO, "extractors", "lexicon")
DEFAULT_ESCO_DIR = os.path.join(REPO, "..", "shared", "data", "taxonomies", "esco")

CONCEPT_COLUMNS = ["concept_id", "label_nb", "label_en", "type", "esco_uri", "group"]
SURFACE_COLUMNS = ["surface", "concept_id", "lang"]
TYPES = {"SKILL", "SOFT", "QUALIFICATION", "LANGUAGE"}
LANGS = {"nb", "nn", "both", "en"}
ESCO_RE = re.compile(r"^http://data\.europa\.eu/esco/(skill|occupation)/[0-9a-f-]{36}$")
RADAR_RE = re.compile(r"^radar:[a-z0-9][a-z0-9-]*$")


def read_csv(path: str, columns: list[str], errors: list[str]) -> list[dict]:
    if not os.path.exists(path):
        errors.append(f"missing file: {path}")
        return []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != columns:
            errors.append(f"{os.path.basename(path)}: columns {reader.fieldnames} != expected {columns}")
        rows = list(reader)
    for i, r in enumerate(rows, start=2):
        if None in r or any(v is None for v in r.values()):
            errors.append(f"{os.path.basename(path)}:{i}: wrong number of fields")
    return rows


def find_esco_zip(explicit: str | None) -> str | None:
    if explicit:
        return explicit if os.path.exists(explicit) else None
    hits = sorted(glob.glob(os.path.join(DEFAULT_ESCO_DIR, "*classification*en*csv*.zip")))
    hits = [h for h in hits if "relations" not in os.path.basename(h)]
    return hits[0] if hits else None


def esco_uris(zip_path: str) -> set[str]:
    uris: set[str] = set()
    csv.field_size_limit(10**9)
    with zipfile.ZipFile(zip_path) as z:
        for name in z.namelist():
            base = os.path.basename(name)
            if base in ("skills_en.csv", "occupations_en.csv"):
                with z.open(name) as raw:
                    for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
                        uris.add(row["conceptUri"])
    return uris


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lexicon-dir", default=DEFAULT_LEXICON)
    ap.add_argument("--esco-zip", default=None, help="ESCO v1.1.1 en CSV zip (default: search ../shared/data)")
    ap.add_argument("--min-concepts", type=int, default=450)
    ap.add_argument("--min-surfaces", type=int, default=1600)
    args = ap.parse_args()

    errors: list[str] = []
    warnings: list[str] = []
    concepts = read_csv(os.path.join(args.lexicon_dir, "concepts.csv"), CONCEPT_COLUMNS, errors)
    surfaces = read_csv(os.path.join(args.lexicon_dir, "surface_forms.csv"), SURFACE_COLUMNS, errors)

    # ---- concepts
    by_id: dict[str, dict] = {}
    for i, c in enumerate(concepts, start=2):
        cid = (c.get("concept_id") or "").strip()
        where = f"concepts.csv:{i} ({cid})"
        if not cid:
            errors.append(f"{where}: empty concept_id")
            continue
        if cid in by_id:
            errors.append(f"{where}: duplicate concept_id")
        by_id[cid] = c
        if not (ESCO_RE.match(cid) or RADAR_RE.match(cid)):
            errors.append(f"{where}: concept_id is neither an ESCO URI nor radar:<slug>")
        if c.get("type") not in TYPES:
            errors.append(f"{where}: bad type {c.get('type')!r}")
        for col in ("label_nb", "label_en", "group"):
            if not (c.get(col) or "").strip():
                errors.append(f"{where}: empty {col}")
        esco = (c.get("esco_uri") or "").strip()
        if esco and not ESCO_RE.match(esco):
            errors.append(f"{where}: bad esco_uri {esco!r}")
        if ESCO_RE.match(cid) and esco != cid:
            errors.append(f"{where}: concept_id is an ESCO URI but esco_uri differs ({esco!r})")

    # ---- surfaces
    seen_pairs: set[tuple[str, str]] = set()
    norm_map: dict[str, set[str]] = collections.defaultdict(set)
    used: collections.Counter = collections.Counter()
    for i, s in enumerate(surfaces, start=2):
        surf = s.get("surface") or ""
        cid = s.get("concept_id") or ""
        where = f"surface_forms.csv:{i} ({surf!r})"
        if not surf.strip():
            errors.append(f"{where}: empty surface")
            continue
        if surf != surf.strip() or "  " in surf:
            errors.append(f"{where}: leading/trailing or doubled whitespace")
        if s.get("lang") not in LANGS:
            errors.append(f"{where}: bad lang {s.get('lang')!r}")
        if cid not in by_id:
            errors.append(f"{where}: concept_id {cid!r} not in concepts.csv")
        if (surf, cid) in seen_pairs:
            errors.append(f"{where}: duplicate (surface, concept_id)")
        seen_pairs.add((surf, cid))
        norm_map[surf.strip().lower()].add(cid)
        used[cid] += 1
    for norm, cids in sorted(norm_map.items()):
        if len(cids) > 1:
            errors.append(f"normalisation collision: {norm!r} -> {sorted(cids)}")
    case_dups = collections.Counter((s["surface"].strip().lower(), s["concept_id"]) for s in surfaces if s.get("surface"))
    for (norm, cid), n in case_dups.items():
        if n > 1:
            warnings.append(f"case/space variants of {norm!r} listed {n}x for {cid} (redundant for a case-insensitive matcher)")
    for cid in by_id:
        if used[cid] == 0:
            errors.append(f"concept {cid} has no surface form")

    # ---- ESCO
    zip_path = find_esco_zip(args.esco_zip)
    esco_checked = 0
    if zip_path:
        known = esco_uris(zip_path)
        for cid, c in by_id.items():
            for uri in {cid if ESCO_RE.match(cid) else "", (c.get("esco_uri") or "").strip()} - {""}:
                esco_checked += 1
                if uri not in known:
                    errors.append(f"ESCO URI not in {os.path.basename(zip_path)}: {uri} ({cid})")
    else:
        print("notice: ESCO zip not found; ESCO URI existence check skipped")

    # ---- size
    if len(by_id) < args.min_concepts:
        errors.append(f"only {len(by_id)} concepts (< {args.min_concepts})")
    if len(surfaces) < args.min_surfaces:
        errors.append(f"only {len(surfaces)} surface rows (< {args.min_surfaces})")

    # ---- report
    types = collections.Counter(c["type"] for c in by_id.values())
    groups = collections.Counter(c["group"] for c in by_id.values())
    langs = collections.Counter(s["lang"] for s in surfaces)
    stypes = collections.Counter(by_id[s["concept_id"]]["type"] for s in surfaces if s["concept_id"] in by_id)
    n_esco_id = sum(1 for cid in by_id if ESCO_RE.match(cid))
    n_esco_ref = sum(1 for c in by_id.values() if (c.get("esco_uri") or "").strip())
    print(f"concepts: {len(by_id)}  (ESCO URI as id: {n_esco_id}, radar ids: {len(by_id) - n_esco_id}, with esco_uri: {n_esco_ref})")
    print(f"surface forms: {len(surfaces)}  (distinct normalised: {len(norm_map)})")
    print("concepts per type:  " + ", ".join(f"{k} {v}" for k, v in sorted(types.items())))
    print("surfaces per type:  " + ", ".join(f"{k} {v}" for k, v in sorted(stypes.items())))
    print("surfaces per lang:  " + ", ".join(f"{k} {v}" for k, v in sorted(langs.items())))
    print("concepts per group:")
    for g, n in sorted(groups.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {n:4d}  {g}")
    if zip_path:
        print(f"ESCO URIs checked: {esco_checked} against {os.path.basename(zip_path)}")
    for w in warnings[:20]:
        print("warning:", w)
    if len(warnings) > 20:
        print(f"warning: ... {len(warnings) - 20} more")
    if errors:
        for e in errors[:200]:
            print("ERROR:", e)
        print(f"FAILED with {len(errors)} error(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
