"""Near-duplicate ads: a re-posted ad, or one ad read from the feed and from a web page, counted once.

Each ad's current content text is cut into shingles of 5 words and sketched with MinHash (datasketch,
128 permutations, signatures kept in `ad_minhash` so only new text is hashed). MinHash LSH (32 bands of 4)
proposes pairs from an estimated Jaccard similarity of about 0.4, so a pair at 0.6 is proposed with
probability 0.99; a proposed pair is linked when

* the exact Jaccard similarity of their shingle sets is at least 0.6,
* their titles agree (word-set Jaccard at least 0.7, or one title's words within the other's), and
* they are not placed in two different municipalities (the same text posted for Alta and for Tromsø
  is two vacancies).

The thresholds were set on the 195 real ads of ../shared/data/job_ads (benchmarks/ingest_throughput.py
lists every pair with text similarity 0.4 or more and the decision taken). The same ad delivered twice
(two partner feeds, or a repost) scores 0.67–1.0 on text with identical titles: 7 such pairs are linked.
Not linked: one employer's template for different posts (0.90, "Nasjonalparkforvaltar" vs
"Verneområdeforvaltar"; 0.70 and below at a fish plant), one text posted for Alta, Tromsø and Kirkenes
(1.0, titles differ only by the town: 0.67 < 0.7), the same FINN ad for Oslo and for Tønsberg (1.0,
two municipalities), and one shop's text for two different posts (1.0, titles 0.5).

Links form stars, not chains: ads are visited feed ads first, then web and file copies, each group oldest
first, and each links to the most similar earlier ad that is itself an original. `ad_state.duplicate_of` names that
original; `ad_duplicates` keeps the evidence. Trend tables count ads whose duplicate_of is NULL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from datasketch import MinHash, MinHashLSH

SCHEME = "affine32"
SOURCE_RANK = {"nav": 0}  # the feed's record is the original when the same ad also came from elsewhere


@dataclass(frozen=True)
class DedupeConfig:
    """Shingling, sketching and the measured decision thresholds."""

    shingle_words: int = 5
    num_perm: int = 128
    seed: int = 1
    threshold: float = 0.6
    candidate_threshold: float = 0.4
    title_threshold: float = 0.7
    min_shingles: int = 5

    @property
    def sketch(self) -> str:
        """How a stored signature was made; a signature made otherwise is recomputed."""
        return f"{SCHEME}/{self.num_perm}/{self.seed}/{self.shingle_words}"


@dataclass(frozen=True)
class Link:
    """One near-duplicate linked to its original, with the evidence."""

    ad_id: str
    duplicate_of: str
    text_jaccard: float
    title_jaccard: float | None


def words(text: str | None) -> list[str]:
    """Lower-cased word tokens; masks such as [e-post] become ordinary words."""
    return re.findall(r"\w+", (text or "").lower())


def shingles(text: str | None, size: int = 5) -> set[str]:
    """The set of `size`-word windows of a text (one window for shorter texts)."""
    tokens = words(text)
    if not tokens:
        return set()
    return {" ".join(tokens[i:i + size]) for i in range(max(1, len(tokens) - size + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    """|A ∩ B| / |A ∪ B|, 0 for two empty sets."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def title_similarity(a: str | None, b: str | None) -> float | None:
    """Word-set Jaccard of two titles, 1.0 when one's words are all in the other; None when one is missing."""
    left, right = set(words(a)), set(words(b))
    if not left or not right:
        return None
    if left <= right or right <= left:
        return 1.0
    return jaccard(left, right)


def _minhash(signature: bytes, cfg: DedupeConfig) -> MinHash:
    values = np.frombuffer(signature, dtype="<u4").astype(np.uint32)
    return MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashvalues=values, scheme=SCHEME)


def sketch_pending(con: duckdb.DuckDBPyConnection, cfg: DedupeConfig = DedupeConfig(), batch_size: int = 2000) -> int:
    """MinHash the current content of ads that have no signature of this sketch yet; returns how many."""
    todo = con.execute(
        """SELECT s.ad_id, s.content_entry_id, v.text
           FROM ad_state s JOIN ad_versions v ON v.entry_id = s.content_entry_id
           LEFT JOIN ad_minhash m ON m.entry_id = s.content_entry_id AND m.sketch = ?
           WHERE m.entry_id IS NULL""",
        [cfg.sketch],
    ).fetchall()
    for offset in range(0, len(todo), batch_size):
        batch = todo[offset:offset + batch_size]
        sets = [shingles(text, cfg.shingle_words) for _, _, text in batch]
        hashes = MinHash.bulk(([s.encode() for s in shingle_set] for shingle_set in sets),
                              num_perm=cfg.num_perm, seed=cfg.seed, scheme=SCHEME)
        table = pa.table({
            "entry_id": pa.array([entry_id for _, entry_id, _ in batch], pa.string()),
            "ad_id": pa.array([ad_id for ad_id, _, _ in batch], pa.string()),
            "sketch": pa.array([cfg.sketch] * len(batch), pa.string()),
            "shingles": pa.array([len(s) for s in sets], pa.int32()),
            "signature": pa.array([m.hashvalues.astype("<u4").tobytes() for m in hashes], pa.binary()),
        })
        con.register("_stage_minhash", table)
        con.execute("INSERT OR REPLACE INTO ad_minhash BY NAME SELECT * FROM _stage_minhash")
        con.unregister("_stage_minhash")
    return len(todo)


@dataclass
class _Ad:
    ad_id: str
    source: str
    title: str | None
    municipality: str | None
    first_seen: datetime | None
    signature: bytes


def _order_key(ad: _Ad) -> tuple[Any, ...]:
    """Originals first: the feed before other sources, then the earliest seen, then by id for determinism."""
    seen = ad.first_seen or datetime.max.replace(tzinfo=timezone.utc)
    return (SOURCE_RANK.get(ad.source, 1), seen, ad.ad_id)


def _texts(con: duckdb.DuckDBPyConnection, ad_ids: Iterable[str]) -> dict[str, str]:
    """Current content text of the given ads, in one query."""
    ids = sorted(set(ad_ids))
    if not ids:
        return {}
    con.register("_stage_text_ids", pa.table({"ad_id": pa.array(ids, pa.string())}))
    try:
        rows = con.execute(
            """SELECT s.ad_id, v.text FROM ad_state s JOIN ad_versions v ON v.entry_id = s.content_entry_id
               WHERE s.ad_id IN (SELECT ad_id FROM _stage_text_ids)""").fetchall()
    finally:
        con.unregister("_stage_text_ids")
    return {ad_id: text or "" for ad_id, text in rows}


def find_duplicates(con: duckdb.DuckDBPyConnection, cfg: DedupeConfig = DedupeConfig()) -> list[Link]:
    """Every near-duplicate among the ads' current contents, each linked to its original."""
    rows = con.execute(
        """SELECT s.ad_id, s.source, v.title, v.municipality_code_2024, s.first_seen, m.signature
           FROM ad_state s
           JOIN ad_versions v ON v.entry_id = s.content_entry_id
           JOIN ad_minhash m ON m.entry_id = s.content_entry_id AND m.sketch = ?
           WHERE m.shingles >= ?""",
        [cfg.sketch, cfg.min_shingles],
    ).fetchall()
    ads = sorted((_Ad(*row) for row in rows), key=_order_key)
    rank = {ad.ad_id: i for i, ad in enumerate(ads)}
    by_id = {ad.ad_id: ad for ad in ads}
    lsh = MinHashLSH(threshold=cfg.candidate_threshold, num_perm=cfg.num_perm)
    sketches = {}
    with lsh.insertion_session() as session:
        for ad in ads:
            sketches[ad.ad_id] = _minhash(ad.signature, cfg)
            session.insert(ad.ad_id, sketches[ad.ad_id])
    candidates = {ad.ad_id: sorted((c for c in lsh.query(sketches[ad.ad_id]) if rank[c] < rank[ad.ad_id]),
                                   key=rank.__getitem__)
                  for ad in ads}
    involved = {a for a, cs in candidates.items() if cs} | {c for cs in candidates.values() for c in cs}
    shingle_sets = {ad_id: shingles(text, cfg.shingle_words) for ad_id, text in _texts(con, involved).items()}
    originals: set[str] = set()
    links: list[Link] = []
    for ad in ads:
        best: Link | None = None
        for other_id in candidates[ad.ad_id]:
            other = by_id[other_id]
            if other_id not in originals or _placed_apart(ad, other):
                continue
            title = title_similarity(ad.title, other.title)
            if title is not None and title < cfg.title_threshold:
                continue
            text = jaccard(shingle_sets.get(ad.ad_id, set()), shingle_sets.get(other_id, set()))
            if text >= cfg.threshold and (best is None or text > best.text_jaccard):
                best = Link(ad.ad_id, other_id, round(text, 4), None if title is None else round(title, 4))
        if best is None:
            originals.add(ad.ad_id)
        else:
            links.append(best)
    return links


def _placed_apart(a: _Ad, b: _Ad) -> bool:
    """Two known, different municipalities: the same text advertises two vacancies."""
    return bool(a.municipality and b.municipality and a.municipality != b.municipality)


def store_links(con: duckdb.DuckDBPyConnection, links: Sequence[Link]) -> None:
    """Replace all links and set ad_state.duplicate_of from them, in one transaction."""
    now = datetime.now(timezone.utc)
    table = pa.table({
        "ad_id": pa.array([l.ad_id for l in links], pa.string()),
        "duplicate_of": pa.array([l.duplicate_of for l in links], pa.string()),
        "text_jaccard": pa.array([l.text_jaccard for l in links], pa.float64()),
        "title_jaccard": pa.array([l.title_jaccard for l in links], pa.float64()),
        "linked_at": pa.array([now] * len(links), pa.timestamp("us", tz="UTC")),
    })
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM ad_duplicates")
        con.register("_stage_links", table)
        con.execute("INSERT INTO ad_duplicates BY NAME SELECT * FROM _stage_links")
        con.unregister("_stage_links")
        con.execute("""UPDATE ad_state SET duplicate_of = NULL
                       WHERE duplicate_of IS NOT NULL AND ad_id NOT IN (SELECT ad_id FROM ad_duplicates)""")
        con.execute("""UPDATE ad_state SET duplicate_of = d.duplicate_of FROM ad_duplicates d
                       WHERE ad_state.ad_id = d.ad_id AND ad_state.duplicate_of IS DISTINCT FROM d.duplicate_of""")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def link_duplicates(con: duckdb.DuckDBPyConnection, cfg: DedupeConfig = DedupeConfig()) -> int:
    """Sketch new content, find near-duplicates across all sources and set ad_state.duplicate_of; returns links.

    Call it after normalisation (all streams) and before trends: it recomputes every link from the stored
    signatures, so it is idempotent and a changed ad can lose or gain its link.
    """
    con.execute("""DELETE FROM ad_minhash WHERE entry_id NOT IN
                   (SELECT content_entry_id FROM ad_state WHERE content_entry_id IS NOT NULL)""")  # superseded text
    sketch_pending(con, cfg)
    links = find_duplicates(con, cfg)
    store_links(con, links)
    return len(links)
