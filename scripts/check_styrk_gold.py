#!/usr/bin/env python3
"""Validate the hand-coded STYRK-08 gold labels for the dev split and print agreement with NAV.

Usage (from anywhere):
    python scripts/check_styrk_gold.py [TAXONOMY_CSV] [--gold GOLD_CSV] [--ads ADS_JSONL]

Defaults are resolved relative to the repository root (the parent of this scripts/ dir):
    TAXONOMY_CSV = ../shared/data/taxonomies/styrk08_ssb_klass7_nb.csv
    GOLD_CSV     = models/data/styrk08_gold_dev.csv
    ADS_JSONL    = ../shared/data/job_ads/ads.jsonl

Checks (exit code 1 on any failure):
  * required columns present;
  * every non-empty styrk08 code is a level-4 code in the taxonomy, and styrk08_label matches its name;
  * an empty styrk08 (not an occupation ad) must carry a note explaining why;
  * confidence in {high, medium, low};
  * every id exists in the ads file and has split == "dev" (test rows are only used to reject ids,
    never printed); no duplicate ids; every dev ad is labelled (warning only if some are missing);
  * nav_code / agrees_with_nav are consistent with the ads file (nav_code = digits before the '.'
    of NAV's first STYRK08NAV code, max 4; agrees_with_nav compares at NAV's own precision).

Then prints: number coded, distribution at 1 digit, confidence counts, and agreement with NAV's
automatic codes at 1, 2 and 4 digits.
"""
import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REQUIRED = ["id", "styrk08", "styrk08_label", "nav_code", "agrees_with_nav", "confidence", "note"]


def nav_first_code(ad):
    oc = ad.get("occupation_codes") or []
    if oc and oc[0].get("code"):
        return str(oc[0]["code"]).split(".")[0][:4]
    return ""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("taxonomy", nargs="?", default=str(REPO / "../shared/data/taxonomies/styrk08_ssb_klass7_nb.csv"))
    p.add_argument("--gold", default=str(REPO / "models/data/styrk08_gold_dev.csv"))
    p.add_argument("--ads", default=str(REPO / "../shared/data/job_ads/ads.jsonl"))
    a = p.parse_args()

    errors = []

    # taxonomy: level-4 codes
    with open(a.taxonomy, encoding="utf-8") as f:
        tax = list(csv.DictReader(f))
    level4 = {r["code"]: r["name"] for r in tax if r["level"] == "4"}
    if not level4:
        sys.exit(f"no level-4 codes found in {a.taxonomy}")

    # ads: only id -> split and NAV code are kept; nothing from test rows is printed
    split_of, nav_of = {}, {}
    with open(a.ads, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            ad = json.loads(line)
            split_of[ad["id"]] = ad.get("split")
            if ad.get("split") == "dev":
                nav_of[ad["id"]] = nav_first_code(ad)
    dev_ids = {i for i, s in split_of.items() if s == "dev"}

    with open(a.gold, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing_cols = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing_cols:
            sys.exit(f"missing columns: {missing_cols}")
        rows = list(reader)

    seen = Counter(r["id"] for r in rows)
    for i, n in seen.items():
        if n > 1:
            errors.append(f"duplicate id {i} ({n}x)")

    for ln, r in enumerate(rows, start=2):
        rid, code = r["id"], r["styrk08"].strip()
        if rid not in split_of:
            errors.append(f"line {ln}: id {rid} not in ads file")
            continue
        if split_of[rid] != "dev":
            errors.append(f"line {ln}: id is not a dev row (split={split_of[rid]!r}) -- test rows must not be labelled")
            continue
        if code:
            if code not in level4:
                errors.append(f"line {ln}: {rid}: code {code!r} is not a level-4 STYRK-08 code")
            elif r["styrk08_label"] != level4[code]:
                errors.append(f"line {ln}: {rid}: label {r['styrk08_label']!r} != taxonomy name {level4[code]!r}")
        elif not r["note"].strip():
            errors.append(f"line {ln}: {rid}: empty code without a note explaining why")
        if r["confidence"] not in {"high", "medium", "low"}:
            errors.append(f"line {ln}: {rid}: bad confidence {r['confidence']!r}")
        nav = nav_of.get(rid, "")
        if r["nav_code"] != nav:
            errors.append(f"line {ln}: {rid}: nav_code {r['nav_code']!r} != ads file {nav!r}")
        exp = "" if not (nav and code) else ("true" if code.startswith(nav) else "false")
        if r["agrees_with_nav"] != exp:
            errors.append(f"line {ln}: {rid}: agrees_with_nav {r['agrees_with_nav']!r}, expected {exp!r}")

    unlabelled = dev_ids - set(seen)
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors[:50]:
            print("  -", e)
        sys.exit(1)

    coded = [r for r in rows if r["styrk08"].strip()]
    print(f"OK: {len(rows)} rows, all ids unique and in split=dev, all codes level-4 in {Path(a.taxonomy).name}")
    print(f"dev ads: {len(dev_ids)}; labelled: {len(rows)}; with a code: {len(coded)}; "
          f"not-an-occupation (empty code): {len(rows) - len(coded)}")
    if unlabelled:
        print(f"WARNING: {len(unlabelled)} dev ads not labelled")

    major = {r["code"]: r["name"] for r in tax if r["level"] == "1"}
    d1 = Counter(r["styrk08"][0] for r in coded)
    print("\nDistribution at 1 digit:")
    for k in sorted(d1):
        print(f"  {k} {major.get(k, ''):<40} {d1[k]:4d}  ({100 * d1[k] / len(coded):.1f}%)")
    print("\nConfidence:", dict(Counter(r["confidence"] for r in rows)))

    print("\nAgreement with NAV's automatic STYRK08NAV code (first code; only ads that have one):")
    for k in (1, 2, 4):
        pairs = [(r["styrk08"], r["nav_code"]) for r in coded if len(r["nav_code"]) >= k]
        ok = sum(g[:k] == n[:k] for g, n in pairs)
        pct = 100 * ok / len(pairs) if pairs else float("nan")
        print(f"  {k} digit(s): {ok}/{len(pairs)} = {pct:.1f}%   (NAV wrong in {len(pairs) - ok})")
    no_nav = sum(1 for r in coded if not r["nav_code"])
    print(f"  ads without any NAV STYRK code (only source categories): {no_nav}")


if __name__ == "__main__":
    main()
