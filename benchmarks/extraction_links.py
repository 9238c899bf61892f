"""Link precision on hand-judged mentions, and the share of span-model mentions left unmapped.

Step 1 (`sample`): run the full extractor (lexicon + span model + linker) over the dev ads and the team's
90 sample ads (pipelines/sample_data), put this run's distinct accepted links (mention text -> concept; the
linker links a text the same way wherever it occurs) in a seeded random order, and print the first --n as
judgement lines. Lines whose text + concept_id is already in the judgements file carry that verdict (a
judgement stays valid whenever the linker proposes the same concept for the same text); the others have
an empty verdict for a person to judge and append to the judgements file.
Mention texts used to calibrate the threshold (extractors/annotations/link_calibration.jsonl) are left out,
so the precision is measured on links the threshold was not chosen on.
Step 2 (`score`): read extractors/annotations/link_judgements.jsonl (the same lines with "verdict":
"correct" | "wrong", and a note) and report link precision with a 95 % Wilson interval on the seeded sample
of this run's links (every one must be judged), on all judged links this run makes, and on every judged
line (older configurations included), together with the unmapped share over all span-model mentions.

Step 3 (`sample-mentions`, then `score`): what an analyst sees is every mention that carries a concept, from
the lexicon (surface, lemma, coordination, the span model's lexicon-confirmed entities) as well as the linker.
A seeded random sample of --n such mention places (ad, offset) is printed for judging in context, into
extractors/annotations/mention_link_judgements.jsonl; `score` reports its precision by method next to the
linker-only figures above.

Run:  .venv/bin/python benchmarks/extraction_links.py sample --models-dir DIR > /tmp/to_judge.jsonl
      .venv/bin/python benchmarks/extraction_links.py sample-mentions --models-dir DIR > /tmp/to_judge2.jsonl
      .venv/bin/python benchmarks/extraction_links.py score --models-dir DIR
Writes benchmarks/results/extraction_links.json. Test-split ads are never read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ADS = REPO.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
JUDGEMENTS = REPO / "extractors" / "annotations" / "link_judgements.jsonl"
CALIBRATION = REPO / "extractors" / "annotations" / "link_calibration.jsonl"
MENTION_JUDGEMENTS = REPO / "extractors" / "annotations" / "mention_link_judgements.jsonl"
RESULTS = REPO / "benchmarks" / "results"
SEED = 0


def linked_run(models_dir: Path, ads_path: Path) -> tuple[list[dict], list[dict], dict[str, int], dict]:
    """Span-model mentions of every dev ad (linked and unmapped), every mention with a concept, counts by method."""
    from extractors.extract import LINKED, UNMAPPED, Extractor
    from pipelines.normalise import detect_language

    extractor = Extractor.load(models_dir=models_dir)
    if extractor.linker is None or extractor.span_model is None:
        sys.exit("the span model and the linker must both be available (see the warnings above)")
    rows = [json.loads(line) for line in ads_path.open(encoding="utf-8")]
    dev = [r for r in rows if r.get("split") == "dev"] + sample_ads()
    texts = {r["id"]: r["text"] for r in dev}
    out, with_concept, counts = [], [], {}
    for ad_id, mentions in extractor.extract_many((r["id"], r["text"], detect_language(r["text"])) for r in dev):
        for m in mentions:
            counts[m.method] = counts.get(m.method, 0) + 1
            text = texts[ad_id]
            row = {"ad_id": ad_id, "start": m.start, "end": m.end, "text": m.text, "type": m.type,
                   "context": text[max(0, m.start - 60):m.end + 40].replace("\n", " | "),
                   "concept_id": m.concept_id, "concept_label": m.concept_label, "score": m.score,
                   "method": m.method}
            if m.method in (LINKED, UNMAPPED):
                out.append(row)
            if m.concept_id:
                with_concept.append(row)
    run = {"extractor_version": extractor.version, "link_threshold": extractor.linker.threshold}
    return out, with_concept, counts, run


def sample_ads() -> list[dict]:
    """The team-written sample corpus (pipelines/sample_data) as {id, text}: more real-shaped ads to judge."""
    from pipelines.normalise import normalise_entry
    from pipelines.sources.sample import load_sample_entries

    out = []
    for entry in load_sample_entries():
        try:
            ad = normalise_entry(entry, entry_id=entry.get("uuid", "x"), source="sample")
        except (ValueError, TypeError, KeyError):
            continue
        if ad.text:
            out.append({"id": f"sample:{entry.get('uuid')}", "text": ad.text})
    return out


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(centre - half, 4), round(centre + half, 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["sample", "sample-mentions", "score"])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--ads", type=Path, default=ADS)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--judgements", type=Path, default=JUDGEMENTS)
    parser.add_argument("--out", type=Path, default=RESULTS / "extraction_links.json")
    args = parser.parse_args()
    mentions, with_concept, counts, run = linked_run(args.models_dir, args.ads)
    linked = [m for m in mentions if m["method"] == "span-model-linked"]
    judged = [json.loads(line) for line in args.judgements.open(encoding="utf-8") if line.strip()]
    sample = sampled_links(linked, args.n)
    verdicts: dict[tuple[str, str], dict] = {}
    for j in judged:  # the first line of a text + concept is its link-level verdict; later ones judge other places
        verdicts.setdefault((j["text"], j["concept_id"]), j)
    mention_sample = sampled_places(with_concept, args.n)
    from extractors.corpus import read_jsonl

    judged_places = read_jsonl(MENTION_JUDGEMENTS) if MENTION_JUDGEMENTS.exists() else ()
    place_verdicts = {place_key(j): j for _, j in judged_places}
    if args.step == "sample-mentions":
        for m in mention_sample:
            known = place_verdicts.get(place_key(m), {})
            print(json.dumps({**m, "verdict": known.get("verdict", ""), "note": known.get("note", "")},
                             ensure_ascii=False))
        return
    if args.step == "sample":
        for m in sample:
            known = verdicts.get((m["text"], m["concept_id"]), {})
            print(json.dumps({**m, "verdict": known.get("verdict", ""), "note": known.get("note", "")},
                             ensure_ascii=False))
        return
    if any(j.get("verdict") not in ("correct", "wrong") for j in judged):
        sys.exit(f"{args.judgements}: every line needs verdict 'correct' or 'wrong'")
    missing = [m["text"] for m in sample if (m["text"], m["concept_id"]) not in verdicts]
    if missing:
        sys.exit(f"{len(missing)} sampled links of this run are not judged yet ({missing[:5]} ...); run `sample` "
                 f"and append their verdicts to {args.judgements}")
    produced = {(m["text"], m["concept_id"]) for m in linked}
    in_sample = [verdicts[(m["text"], m["concept_id"])] for m in sample]
    current = [j for key, j in verdicts.items() if key in produced]
    at_place = {(j["ad_id"], j["start"], j["concept_id"]): j for j in judged}
    sampled_texts = {m["text"] for m in sample}
    places = {(m["ad_id"], m["start"], m["concept_id"]) for m in linked if m["text"] in sampled_texts}
    in_context = [at_place[p] for p in sorted(places) if p in at_place]

    def precision(rows: list[dict]) -> dict:
        right = sum(j["verdict"] == "correct" for j in rows)
        return {"judged": len(rows), "correct": right, "precision": round(right / max(len(rows), 1), 4),
                "precision_95ci": wilson(right, len(rows))}

    from extractors.taxonomy import load_lexicon

    lexicon_ids = set(load_lexicon().concepts)

    def by_source(rows: list[dict]) -> dict:
        """ESCO skills outside the lexicon vs. the radar lexicon's concepts (some of which have an ESCO URI as id)."""
        return {"esco_outside_lexicon": precision([j for j in rows if j["concept_id"] not in lexicon_ids]),
                "radar_lexicon": precision([j for j in rows if j["concept_id"] in lexicon_ids]),
                "radar_lexicon_radar_id": precision([j for j in rows if j["concept_id"].startswith("radar:")]),
                "radar_lexicon_esco_id": precision([j for j in rows if j["concept_id"] in lexicon_ids
                                                    and not j["concept_id"].startswith("radar:")])}

    unjudged = [m["text"] for m in mention_sample if place_key(m) not in place_verdicts]
    if unjudged:
        sys.exit(f"{len(unjudged)} sampled mention places are not judged yet ({unjudged[:5]} ...); run "
                 f"`sample-mentions` and append their verdicts to {MENTION_JUDGEMENTS}")
    placed = [place_verdicts[place_key(m)] for m in mention_sample]
    methods = sorted({j["method"] for j in placed})
    span_total = counts.get("span-model-linked", 0) + counts.get("span-model-unmapped", 0)
    distinct = {(m["text"], m["concept_id"]) for m in linked}
    result = {
        "benchmark": "extraction_links",
        "what": "precision of accepted links on hand-judged mentions (disjoint from the 150 calibration links)",
        **run,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "distinct_links_made_by_this_run": len(distinct),
        "distinct_links_outside_calibration": len(sampled_links(linked, len(distinct))),
        "links_made_by_this_run": {**precision(in_sample), "by_concept_source": by_source(in_sample),
                                   "sample": f"seeded random sample (seed {SEED}) of this run's distinct "
                                             f"accepted links outside calibration"},
        "mentions_of_sampled_links_in_context": {
            **precision(in_context), "by_concept_source": by_source(in_context),
            "places": len(places), "not_judged": len(places) - len(in_context),
            "what": "every place (ad, offset) where this run links a sampled text, each judged in its own "
                    "context: the linker links a text without its context, so one text can be right in one ad "
                    "and wrong in another; places of one text are not independent, so the interval is optimistic"},
        "mentions_with_a_concept": {
            **precision(placed), "population": len(with_concept),
            "by_method": {method: precision([j for j in placed if j["method"] == method]) for method in methods},
            "sample": f"seeded random sample (seed {SEED}) of this run's mention places (ad, offset) that carry a "
                      f"concept, whatever assigned it (lexicon or linker), each judged in its own context"},
        "all_judged_links_made_by_this_run": {**precision(current), "by_concept_source": by_source(current)},
        "all_judged_links": precision(list(verdicts.values())),
        "mentions_by_method": counts,
        "span_model_mentions": span_total,
        "unmapped_share_of_span_model_mentions": round(counts.get("span-model-unmapped", 0) / max(span_total, 1), 4),
        "unmapped_share_of_all_mentions": round(counts.get("span-model-unmapped", 0) / max(sum(counts.values()), 1), 4),
        "notes": ["a judgement is keyed by mention text + concept_id: the linker links a text the same way "
                  "wherever it occurs, so a verdict made on an earlier configuration counts whenever this run "
                  "proposes the same concept for the same text",
                  "when this run makes fewer distinct links outside calibration than --n, the sample is all "
                  "of them (a census of the run, not a sample)",
                  "all_judged_links_made_by_this_run adds judged links of this run outside the seeded sample "
                  "(from earlier samples), so it is not a uniform sample; all_judged_links also counts links "
                  "this run no longer makes (earlier span model / lower threshold)"],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))


def place_key(m: dict) -> tuple[str, int, int, str]:
    """A mention place and the concept it got: the unit an analyst reads in a briefing."""
    return m["ad_id"], m["start"], m["end"], m["concept_id"]


def sampled_places(with_concept: list[dict], n: int) -> list[dict]:
    """The n mention places with the smallest seeded hash of (ad, offsets).

    A hash order rather than a shuffle: a place keeps its rank when the extractor gains or loses mentions
    elsewhere, so judgements made on one run stay in the sample of the next.
    """
    def rank(m: dict) -> str:
        return hashlib.sha256(f"{SEED}|{m['ad_id']}|{m['start']}|{m['end']}".encode()).hexdigest()

    return sorted(with_concept, key=rank)[:n]


def sampled_links(linked: list[dict], n: int) -> list[dict]:
    """The first n of this run's distinct links outside calibration, in a seeded order (prefix-stable in n)."""
    calibrated = {json.loads(line)["text"] for line in CALIBRATION.open(encoding="utf-8") if line.strip()}
    unique: dict[str, dict] = {}
    for m in linked:
        if m["text"] not in calibrated:
            unique.setdefault(m["text"], m)
    pool = [unique[t] for t in sorted(unique)]
    random.Random(SEED).shuffle(pool)
    return pool[:n]

if __name__ == "__main__":
    main()
