"""Priorities found in the embedded sample strategy documents, with citations, and the demo's policy vs demand.

Run after a demo warehouse exists (the weekly flow in demo mode), e.g.
    RADAR_DATA_DIR=/tmp/radar_demo_s .venv/bin/radar weekly --demo
    .venv/bin/python benchmarks/strategy_priorities.py --data-dir /tmp/radar_demo_s
It ingests the sample registry into that warehouse (the same stage the weekly flow calls) and writes
benchmarks/results/strategy_priorities.json: per document the counts, every priority mention with its
citation (document, page/section, sentence), and the policy_vs_demand rows of Østfold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from extractors.extract import Extractor  # noqa: E402
from pipelines.strategy import default_registry_path, ingest_strategies  # noqa: E402
from warehouse.db import open_warehouse  # noqa: E402


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/radar_demo_s"))
    parser.add_argument(
        "--region", default="31", help="county code for the policy_vs_demand rows (31 = Østfold)"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "benchmarks" / "results" / "strategy_priorities.json"
    )
    args = parser.parse_args(argv)

    con = open_warehouse(args.data_dir / "radar.duckdb")
    extractor = Extractor.load()
    start = time.perf_counter()
    report = ingest_strategies(
        con,
        extractor,
        default_registry_path(demo=True),
        args.data_dir / "cache" / "strategy",
        "benchmark-strategy",
        force=True,
    )
    seconds = round(time.perf_counter() - start, 2)
    documents = rows(
        con,
        """SELECT doc_id, title, level, region, format, language, pages, status, sections, sentences,
                                    priority_sentences, priority_mentions FROM documents ORDER BY doc_id""",
    )
    priorities = rows(
        con,
        """SELECT doc_id, page, section, sentence_no, sentence, priority_kind, priority_cue,
                                     sentence_weight, mention, concept_id, concept_label, skill_group, score, weight
                              FROM priorities ORDER BY doc_id, sentence_no, start""",
    )
    statements_without_concept = rows(
        con,
        """
        SELECT s.doc_id, s.page, array_to_string(sec.heading_path, ' › ') AS section, s.text AS sentence,
               s.priority_kind, s.priority_weight
        FROM document_sentences s JOIN document_sections sec USING (doc_id, section_no)
        WHERE s.priority_weight > 0 AND NOT EXISTS (
            SELECT 1 FROM document_mentions m WHERE m.doc_id = s.doc_id AND m.sentence_no = s.sentence_no
                                              AND m.concept_id IS NOT NULL)
        ORDER BY s.doc_id, s.sentence_no""",
    )
    top = rows(
        con,
        """SELECT concept_id, any_value(concept_label) AS label, any_value(skill_group) AS skill_group,
                              round(sum(weight), 3) AS weight, count(*) AS mentions, count(DISTINCT doc_id) AS documents
                       FROM priorities GROUP BY concept_id ORDER BY weight DESC LIMIT 25""",
    )
    policy = rows(
        con,
        """SELECT level, key, label, skill_group, region_name, year, round(priority_weight, 3) AS priority_weight,
                                 priority_mentions, documents, ads_with, ads, round(demand_share, 4) AS demand_share, status
                          FROM policy_vs_demand WHERE region_code = ?
                          ORDER BY level, status, priority_weight DESC, demand_share DESC, key""",
        [args.region],
    )
    thresholds = rows(con, "SELECT * FROM policy_thresholds")[0]
    con.close()
    status_counts = Counter((r["level"], r["status"]) for r in policy)
    result = {
        "registry": str(default_registry_path(demo=True).relative_to(REPO)),
        "extractor_version": extractor.version,
        "seconds": seconds,
        "report": report.as_dict(),
        "documents": documents,
        "priority_kinds": dict(Counter(p["priority_kind"] for p in priorities)),
        "top_concepts": top,
        "priorities": priorities,
        "priority_statements_without_concept": statements_without_concept,
        "policy_vs_demand": {
            "region_code": args.region,
            "thresholds": thresholds,
            "counts": {f"{lvl}/{st}": n for (lvl, st), n in sorted(status_counts.items())},
            "rows": policy,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    summary = {k: result[k] for k in ("seconds", "report", "priority_kinds")}
    summary["policy_counts"] = result["policy_vs_demand"]["counts"]
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
