"""A synthetic history for warehouse benchmarks: the real ads scaled to ~2M ads and ~40M mentions over ~3 years.

SYNTHETIC DATA, FOR BENCHMARKS ONLY. Every ad has source 'synthetic' and an id starting 'synthetic:'; the file's
`runs` table holds one row of flow 'synthetic_history' that says how it was made. Never publish figures from it.

How it is made (all but step 1 is SQL inside DuckDB, so it takes minutes on 2 cores):
1. Templates: the 195 real ads of ../shared/data/job_ads/ads.jsonl and the 90 sample ads, each with its real
   text, title, employer, STYRK-08 code and 2024 municipality, and the mentions the real extractor finds in it.
   Phrases the team's gold annotations (extractors/annotations/dev_ads.jsonl) mark but the extractor does not
   link become unmapped mentions (concept_id NULL, method 'unmapped'), the way the extractor will emit them.
2. Ads: n ads spread evenly over the weeks; each copies a template, about half also append a second template of
   the same occupation group (text concatenated, its mentions shifted by the first text's length) so an ad has
   ~20 mentions; 40 % move to a random 2024 municipality, whose code and county at the ad's date follow the
   2020 and 2024 reforms (an ad of 2023 in Halden is 3001 Viken, 3101 Østfold in 2024 borders). ~65 % are
   stopped 2–6 weeks after publication (a second, INACTIVE version) and 2 % are duplicates of an earlier ad.
   The ad text is a marker naming its template(s) unless --with-text is given: DuckDB stores long strings
   uncompressed, so the real texts would add ~10 GB that neither the trend rebuild nor the queries read.
3. Mentions: each template mention is kept with a probability that drifts over time by concept: 8 % of
   concepts rise, 6 % fall, the rest vary seasonally; 30 % of unmapped phrases appear only after a random
   onset and then spread, so emerging_terms has something to find.

Run:  .venv/bin/python benchmarks/synthetic_history.py --out data/bench/synthetic.duckdb [--ads 2000000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402

from extractors.taxonomy import Lexicon  # noqa: E402
from pipelines.normalise import detect_language, normalise_entry  # noqa: E402
from pipelines.regions import resolve_region  # noqa: E402
from pipelines.sources.sample import load_sample_entries  # noqa: E402
from warehouse.db import fetch_value, open_warehouse  # noqa: E402
from warehouse.load import record_run, upsert_concepts  # noqa: E402
from warehouse.trends import parse_iso_week  # noqa: E402

SHARED_ADS = REPO.parent / "shared" / "data" / "job_ads" / "ads.jsonl"
GOLD_ADS = REPO / "extractors" / "annotations" / "dev_ads.jsonl"
MUNICIPALITIES = REPO / "pipelines" / "data" / "municipalities.csv"
SOURCE = "synthetic"


def real_templates() -> list[dict[str, Any]]:
    """The real ads as templates: their text and fields, located in 2024 borders at their own date."""
    templates = []
    with SHARED_ADS.open(encoding="utf-8") as handle:
        for line in handle:
            ad = json.loads(line)
            text = ad.get("text") or ""
            if not text.strip():
                continue
            published = _parse_published(ad.get("published"))
            region = resolve_region(municipality=ad.get("municipal"), county=ad.get("county"),
                                    on=published.date() if published else None)
            codes = [c for c in ad.get("occupation_codes") or [] if str(c.get("code") or "")[:4].isdigit()]
            templates.append({
                "template_id": ad["id"], "title": ad.get("title"), "employer": ad.get("employer"),
                "jobtitle": ad.get("jobtitle"), "text": text, "language": detect_language(text),
                "municipality_code_2024": region.municipality_code_2024 if region else None,
                "county_code_2024": region.county_code_2024 if region else None,
                "styrk08": str(codes[0]["code"])[:4] if codes else None,
                "styrk08_label": codes[0].get("name") if codes else None,
            })
    return templates


def sample_templates() -> list[dict[str, Any]]:
    """The bundled sample ads (last active version of each), normalised as the pipeline stores them."""
    latest: dict[str, dict[str, Any]] = {}
    for entry in load_sample_entries():
        if str(entry.get("status", "")).upper() == "ACTIVE" and entry.get("ad_content"):
            latest[entry["uuid"]] = entry
    templates = []
    for uuid, entry in sorted(latest.items()):
        ad = normalise_entry(entry, entry_id=f"sample:{uuid}", source="sample").as_row()
        templates.append({key: ad.get(key) for key in (
            "title", "employer", "jobtitle", "text", "language", "municipality_code_2024", "county_code_2024",
            "styrk08", "styrk08_label")} | {"template_id": f"sample:{uuid}"})
    return templates


def _parse_published(value: Any) -> datetime | None:
    """The real ads' publication time: ISO text, epoch milliseconds or nothing."""
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def template_mentions(templates: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str, Lexicon]:
    """Mentions of each template from the real extractor, plus the gold phrases it leaves unlinked."""
    from extractors.extract import Extractor

    extractor = Extractor.load()
    gold = {}
    if GOLD_ADS.exists():
        with GOLD_ADS.open(encoding="utf-8") as handle:
            gold = {r["id"]: r["mentions"] for r in map(json.loads, handle)}
    rows = []
    items = ((t["template_id"], t["text"], t["language"] if t["language"] in ("nb", "nn") else "nb") for t in templates)
    for template_id, mentions in extractor.extract_many(items):
        spans = set()
        for m in mentions:
            if (m.start, m.end) in spans:
                continue
            spans.add((m.start, m.end))
            rows.append(dict(m.as_dict(), template_id=template_id))
        for g in gold.get(template_id, []):
            if any(g["start"] < e and s < g["end"] for s, e in spans):
                continue  # the extractor found (part of) it: not an unmapped phrase
            spans.add((g["start"], g["end"]))
            rows.append({"template_id": template_id, "start": g["start"], "end": g["end"], "text": g["text"],
                         "type": g["type"], "requirement": g["requirement"], "concept_id": None,
                         "concept_label": None, "score": None, "method": "unmapped"})
    return rows, extractor.version, extractor.lexicon


GENERATE_SQL = r"""
-- Templates numbered 0..n-1, and for each the templates of its occupation group it can be combined with.
CREATE OR REPLACE TEMP TABLE tpl AS
SELECT row_number() OVER (ORDER BY template_id) - 1 AS tpl, *, length(text) AS text_len,
       coalesce(nullif(left(styrk08, 1), ''), '?') AS occupation_group
FROM tpl_in;
CREATE OR REPLACE TEMP TABLE tpl_group AS
SELECT occupation_group, list(tpl ORDER BY tpl) AS members FROM tpl GROUP BY occupation_group;
CREATE OR REPLACE TEMP TABLE tpl_m AS
SELECT t.tpl, m.* EXCLUDE (template_id) FROM tpl_mentions_in m JOIN tpl t USING (template_id);

-- Municipalities in 2024 borders, and every period's code for them (for an ad's code at its own date).
CREATE OR REPLACE TEMP TABLE muni_2024 AS
SELECT row_number() OVER (ORDER BY code) - 1 AS k, code AS code_2024 FROM munis WHERE valid_from = DATE '2024-01-01';
SET VARIABLE n_muni = (SELECT count(*) FROM muni_2024);
CREATE OR REPLACE TEMP TABLE muni_names AS
SELECT code_2024, any_value(name) FILTER (WHERE valid_from = DATE '2024-01-01') AS name_2024,
       any_value(county_code_2024) AS county_code_2024, any_value(county_name_2024) AS county_name_2024
FROM munis GROUP BY code_2024;

-- Drift of each concept / unmapped phrase: kind and, for phrases that emerge, when (fraction of the period).
CREATE OR REPLACE TEMP TABLE drift AS
SELECT key,
       CASE WHEN unmapped THEN (CASE WHEN hash(key, getvariable('seed')) % 100 < 30 THEN 'emerging' ELSE 'steady' END)
            WHEN hash(key, getvariable('seed')) % 100 < 8 THEN 'rising'
            WHEN hash(key, getvariable('seed')) % 100 < 14 THEN 'falling' ELSE 'seasonal' END AS kind,
       (hash(key, getvariable('seed'), 'onset') % 700) / 1000.0 + 0.2 AS onset,
       (hash(key, getvariable('seed'), 'phase') % 628) / 100.0 AS phase
FROM (SELECT DISTINCT coalesce(concept_id, lower(text)) AS key, concept_id IS NULL AS unmapped FROM tpl_m);
CREATE OR REPLACE TEMP TABLE tpl_md AS
SELECT m.*, d.kind, d.onset, d.phase FROM tpl_m m JOIN drift d ON d.key = coalesce(m.concept_id, lower(m.text));

-- The ads: time spread evenly with a little jitter; template, partner, place, stop and duplicate by hash.
CREATE OR REPLACE TEMP TABLE syn AS
WITH base AS (
    SELECT i,
           'synthetic:' || md5(getvariable('seed') || ':' || i) AS ad_id,
           getvariable('start_ts') + to_seconds(CAST(i * getvariable('span_s') / getvariable('n_ads')
                                                    + hash(i, getvariable('seed'), 'jit') % 3600 AS BIGINT)) AS published,
           i / getvariable('n_ads') AS t,
           CAST(hash(i, getvariable('seed'), 'tpl') % getvariable('n_tpl') AS BIGINT) AS tpl,
           hash(i, getvariable('seed'), 'pair') % 1000 < getvariable('pair_permille') AS paired,
           hash(i, getvariable('seed'), 'move') % 100 < 40 AS moved,
           CAST(hash(i, getvariable('seed'), 'where') % getvariable('n_muni') AS BIGINT) AS where_k,
           hash(i, getvariable('seed'), 'stop') % 100 < 65 AS stops,
           CAST(14 + hash(i, getvariable('seed'), 'dur') % 29 AS INTEGER) AS days_open,
           hash(i, getvariable('seed'), 'dup') % 100 < 2 AND i > 1000 AS is_dup
    FROM range(getvariable('n_ads')) r(i)
)
SELECT b.*, t.occupation_group,
       CASE WHEN b.paired THEN g.members[CAST(1 + hash(b.i, getvariable('seed'), 'partner') % len(g.members) AS BIGINT)] END AS partner,
       CASE WHEN b.moved OR t.municipality_code_2024 IS NULL THEN mv.code_2024
            ELSE t.municipality_code_2024 END AS code_2024,
       CASE WHEN b.stops AND b.published + to_days(b.days_open) < getvariable('end_ts')
            THEN b.published + to_days(b.days_open) END AS stopped_at,
       CASE WHEN b.is_dup THEN 'synthetic:' || md5(getvariable('seed') || ':' || CAST(b.i - 1 - hash(b.i, 'dupof') % 1000 AS BIGINT)) END
           AS duplicate_of
FROM base b JOIN tpl t USING (tpl) JOIN tpl_group g USING (occupation_group) JOIN muni_2024 mv ON mv.k = b.where_k;

-- Each ad's municipality and county at its own date (reform-aware), and in 2024 borders.
CREATE OR REPLACE TEMP TABLE syn_place AS
SELECT s.i, min(m.code) AS municipality_code, arg_min(m.name, m.code) AS municipality_name,
       arg_min(m.county_code, m.code) AS county_code, arg_min(m.county_name, m.code) AS county_name
FROM syn s
JOIN munis m ON m.code_2024 = s.code_2024 AND m.valid_from <= CAST(s.published AS DATE)
            AND (m.valid_to IS NULL OR CAST(s.published AS DATE) <= m.valid_to)
GROUP BY s.i;
"""

VERSIONS_SQL = """
INSERT INTO ad_versions BY NAME
SELECT s.ad_id || ':v1' AS entry_id, s.ad_id, 'synthetic' AS source, s.ad_id AS source_id, 'ACTIVE' AS status,
       s.published AS modified, s.published, s.published + to_days(s.days_open) AS expires,
       t.title, t.employer, NULL AS employer_orgnr, t.jobtitle,
       CASE WHEN getvariable('with_text') THEN t.text || CASE WHEN s.partner IS NULL THEN '' ELSE chr(10) || p.text END
            ELSE 'SYNTETISK ANNONSE – tekst: ' || t.template_id || coalesce(' + ' || p.template_id, '') END AS text,
       t.language,
       pl.municipality_code, pl.municipality_name, pl.county_code, pl.county_name,
       s.code_2024 AS municipality_code_2024, n.name_2024 AS municipality_name_2024,
       n.county_code_2024, n.county_name_2024, t.styrk08, t.styrk08_label,
       md5(t.template_id || coalesce(p.template_id, '')) AS content_hash,
       getvariable('now') AS ingested_at, getvariable('run_id') AS run_id
FROM syn s
JOIN tpl t ON t.tpl = s.tpl
LEFT JOIN tpl p ON p.tpl = s.partner
LEFT JOIN syn_place pl ON pl.i = s.i
LEFT JOIN muni_names n ON n.code_2024 = s.code_2024
WHERE s.i >= $lo AND s.i < $hi
UNION ALL
SELECT s.ad_id || ':v2', s.ad_id, 'synthetic', s.ad_id, 'INACTIVE', s.stopped_at, NULL, NULL, NULL, NULL, NULL,
       NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       getvariable('now'), getvariable('run_id')
FROM syn s WHERE s.stopped_at IS NOT NULL AND s.i >= $lo AND s.i < $hi;
"""

STATE_SQL = """
INSERT INTO ad_state BY NAME
SELECT ad_id, 'synthetic' AS source, ad_id AS source_id,
       CASE WHEN stopped_at IS NULL THEN 'ACTIVE' ELSE 'INACTIVE' END AS status,
       ad_id || CASE WHEN stopped_at IS NULL THEN ':v1' ELSE ':v2' END AS current_entry_id,
       ad_id || ':v1' AS content_entry_id, published AS first_seen, coalesce(stopped_at, published) AS last_seen,
       stopped_at, CASE WHEN stopped_at IS NULL THEN 1 ELSE 2 END AS versions, duplicate_of
FROM syn WHERE i >= $lo AND i < $hi;
INSERT INTO extractions BY NAME
SELECT ad_id, ad_id || ':v1' AS entry_id, getvariable('extractor_version') AS extractor_version, 0 AS mentions,
       getvariable('run_id') AS run_id, getvariable('now') AS extracted_at
FROM syn WHERE i >= $lo AND i < $hi;
"""

# Keep probability by drift kind at time t in [0, 1): rising 0.25 → 1, falling 1 → 0.3, seasonal 0.75–0.95 over
# the year, emerging 0 before its onset then spreading, steady 0.5.
MENTIONS_SQL = """
INSERT INTO mentions_store BY NAME
WITH parts AS (
    SELECT s.i, s.ad_id, s.t, s.published, s.tpl AS part_tpl, 0 AS shift FROM syn s
    WHERE s.i >= $lo AND s.i < $hi
    UNION ALL
    SELECT s.i, s.ad_id, s.t, s.published, s.partner, t.text_len + 1 FROM syn s JOIN tpl t ON t.tpl = s.tpl
    WHERE s.partner IS NOT NULL AND s.i >= $lo AND s.i < $hi
)
SELECT p.ad_id, p.ad_id || ':v1' AS entry_id, m.start + p.shift AS start, m."end" + p.shift AS "end",
       m.text, m.type, m.requirement, m.concept_id, m.concept_label, m.score, m.method,
       getvariable('extractor_version') AS extractor_version,
       getvariable('taxonomy_version') AS taxonomy_version, getvariable('run_id') AS run_id
FROM parts p JOIN tpl_md m ON m.tpl = p.part_tpl
WHERE hash(p.i, m.start, p.shift, getvariable('seed')) % 10000 < 10000 * (CASE m.kind
        WHEN 'rising' THEN 0.25 + 0.75 * p.t
        WHEN 'falling' THEN 1.0 - 0.7 * p.t
        WHEN 'seasonal' THEN 0.85 + 0.1 * sin(m.phase + 2 * pi() * dayofyear(p.published) / 365.25)
        WHEN 'emerging' THEN greatest(0.0, least(1.0, (p.t - m.onset) * 4))
        ELSE 0.5 END)
ORDER BY p.i;
"""


def generate(out: Path, *, n_ads: int, end_week: str, weeks: int, seed: int, chunk_ads: int = 250_000,
             with_text: bool = False, threads: int | None = None, memory_limit: str | None = None) -> dict[str, Any]:
    """Write the synthetic history into a fresh warehouse file; returns what was made and how long it took."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    templates = real_templates() + sample_templates()
    mentions, extractor_version, lexicon = template_mentions(templates)
    taxonomy_version = lexicon.version
    timings["templates_and_extraction_s"] = round(time.perf_counter() - started, 1)

    for stale in (out, out.with_name(out.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = open_warehouse(out)
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = true")
    end_monday = parse_iso_week(end_week)
    start_monday = end_monday - timedelta(weeks=weeks - 1)
    start_ts = datetime.combine(start_monday, dtime(6), tzinfo=timezone.utc)
    end_ts = datetime.combine(end_monday + timedelta(days=7), dtime(0), tzinfo=timezone.utc)
    run_id = f"synthetic-history-{seed}"
    per_template = len(mentions) / len(templates)
    # Pair often enough that an ad carries ~20 mentions on average (a template keeps ~80 % of its mentions).
    pair_permille = int(max(0, min(1000, 1000 * (20 / (0.8 * per_template) - 1))))
    variables = {"seed": seed, "n_ads": n_ads, "n_tpl": len(templates), "start_ts": start_ts, "end_ts": end_ts,
                 "span_s": int((end_ts - start_ts).total_seconds()) - 4 * 3600, "pair_permille": pair_permille,
                 "now": datetime.now(timezone.utc), "run_id": run_id, "extractor_version": extractor_version,
                 "taxonomy_version": taxonomy_version, "with_text": with_text}
    for name, value in variables.items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    mention_schema = pa.schema([("template_id", pa.string()), ("start", pa.int32()), ("end", pa.int32()),
                                ("text", pa.string()), ("type", pa.string()), ("requirement", pa.string()),
                                ("concept_id", pa.string()), ("concept_label", pa.string()), ("score", pa.float64()),
                                ("method", pa.string())])
    con.register("tpl_in", pa.Table.from_pylist(templates))
    con.register("tpl_mentions_in", pa.Table.from_pylist(mentions, schema=mention_schema))
    con.execute(f"CREATE OR REPLACE TEMP TABLE munis AS SELECT * FROM read_csv('{MUNICIPALITIES}', all_varchar = true)")
    con.execute("""CREATE OR REPLACE TEMP TABLE munis AS
                   SELECT * REPLACE (CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to)
                   FROM munis""")
    t0 = time.perf_counter()
    con.execute(GENERATE_SQL)
    con.unregister("tpl_in")
    con.unregister("tpl_mentions_in")
    timings["plan_ads_s"] = round(time.perf_counter() - t0, 1)
    upsert_concepts(con, lexicon)
    for name, sql in (("ad_versions", VERSIONS_SQL), ("ad_state", STATE_SQL), ("mentions", MENTIONS_SQL)):
        t0 = time.perf_counter()
        for lo in range(0, n_ads, chunk_ads):
            con.execute("BEGIN TRANSACTION")
            con.execute(sql.replace("$lo", str(lo)).replace("$hi", str(lo + chunk_ads)))
            con.execute("COMMIT")
            print(f"  {name}: {min(lo + chunk_ads, n_ads):,}/{n_ads:,} ads ({time.perf_counter() - t0:.0f} s)",
                  file=sys.stderr, flush=True)
        timings[f"{name}_s"] = round(time.perf_counter() - t0, 1)
    con.execute("""UPDATE extractions e SET mentions = c.n
                   FROM (SELECT ad_id, count(*) AS n FROM mentions_store GROUP BY ad_id) c WHERE c.ad_id = e.ad_id""")
    t0 = time.perf_counter()
    con.execute("CHECKPOINT")
    timings["checkpoint_s"] = round(time.perf_counter() - t0, 1)
    counts = {
        "ads": fetch_value(con, "SELECT count(*) FROM ad_state"),
        "ad_versions": fetch_value(con, "SELECT count(*) FROM ad_versions"),
        "mentions": fetch_value(con, "SELECT count(*) FROM mentions_store"),
        "unmapped_mentions": fetch_value(con, "SELECT count(*) FROM mentions_store WHERE concept_id IS NULL"),
        "concepts_used": fetch_value(con, "SELECT count(DISTINCT concept_id) FROM mentions_store"),
        "duplicates": fetch_value(con, "SELECT count(*) FROM ad_state WHERE duplicate_of IS NOT NULL"),
        "templates": len(templates), "template_mentions": len(mentions),
    }
    timings["total_s"] = round(time.perf_counter() - started, 1)
    summary = {"synthetic": True, "path": str(out), "seed": seed, "with_text": with_text, "first_week": str(start_monday),
               "end_week": end_week, "weeks": weeks, "counts": counts, "timings": timings,
               "pair_permille": pair_permille, "extractor_version": extractor_version,
               "taxonomy_version": taxonomy_version}
    record_run(con, {"run_id": run_id, "flow": "synthetic_history", "started_at": variables["now"],
                     "finished_at": datetime.now(timezone.utc), "status": "COMPLETED", "week": end_week,
                     "source": SOURCE, "extractor_version": extractor_version, "taxonomy_version": taxonomy_version,
                     "counts": summary, "durations": timings, "errors": None})
    con.execute("CHECKPOINT")
    con.close()
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "bench" / "synthetic.duckdb")
    parser.add_argument("--ads", type=int, default=2_000_000)
    parser.add_argument("--end-week", default="2025-W52")
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--chunk-ads", type=int, default=250_000)
    parser.add_argument("--with-text", action="store_true", help="store the templates' real texts (~10 GB more)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 16GB")
    args = parser.parse_args()
    if not SHARED_ADS.exists():
        sys.exit(f"{SHARED_ADS} is missing: the generator scales the real ads in ../shared/data/job_ads.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = generate(args.out, n_ads=args.ads, end_week=args.end_week, weeks=args.weeks, seed=args.seed,
                       chunk_ads=args.chunk_ads, with_text=args.with_text, threads=args.threads, memory_limit=args.memory_limit)
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
