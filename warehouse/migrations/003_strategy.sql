-- Strategy documents, their structure and priorities, and how they compare with demand in job ads.
-- Written by pipelines.strategy.ingest_strategies through warehouse.strategy_load (one document per transaction).

-- One row per registered document; content_hash is NULL while nothing could be read from it (status 'failed').
CREATE TABLE documents (
    doc_id             VARCHAR PRIMARY KEY,
    title              VARCHAR NOT NULL,   -- as registered
    document_title     VARCHAR,            -- as the document itself gives it (first heading / PDF metadata)
    issuer             VARCHAR,
    level              VARCHAR NOT NULL,   -- national | county | municipal
    region             VARCHAR,            -- as registered (NULL for national documents)
    year               INTEGER NOT NULL,
    valid_from         INTEGER NOT NULL,   -- first year the document applies to (default: year)
    valid_to           INTEGER,            -- last year; NULL = still in force
    language           VARCHAR,
    url                VARCHAR,
    path               VARCHAR,
    url_verified       BOOLEAN,
    note               VARCHAR,
    registry           VARCHAR,
    format             VARCHAR,            -- html | pdf
    pages              INTEGER,
    content_hash       VARCHAR,
    fetch_origin       VARCHAR,            -- file | network | not-modified | stale-cache
    status             VARCHAR NOT NULL,   -- ok | warning | failed
    warnings           JSON,               -- what went wrong while reading the stored content
    last_error         VARCHAR,            -- the latest fetch/read problem (stored content kept)
    sections           INTEGER,
    sentences          INTEGER,
    priority_sentences INTEGER,
    priority_mentions  INTEGER,
    extractor_version  VARCHAR,
    taxonomy_version   VARCHAR,
    structure_version  VARCHAR,
    run_id             VARCHAR,
    ingested_at        TIMESTAMPTZ,
    checked_at         TIMESTAMPTZ
);

-- The regions (2024 borders) a document speaks for; national documents have ('national', 'NO').
CREATE TABLE document_regions (
    doc_id       VARCHAR NOT NULL,
    region_level VARCHAR NOT NULL,
    region_code  VARCHAR NOT NULL,
    region_name  VARCHAR,
    PRIMARY KEY (doc_id, region_level, region_code)
);

CREATE TABLE document_sections (
    doc_id       VARCHAR NOT NULL,
    section_no   INTEGER NOT NULL,
    heading      VARCHAR,
    level        INTEGER,
    heading_path VARCHAR[],
    page         INTEGER,
    PRIMARY KEY (doc_id, section_no)
);

CREATE TABLE document_sentences (
    doc_id          VARCHAR NOT NULL,
    sentence_no     INTEGER NOT NULL,
    section_no      INTEGER NOT NULL,
    page            INTEGER,            -- NULL for HTML
    kind            VARCHAR,            -- text | item (list item)
    text            VARCHAR NOT NULL,
    priority_kind   VARCHAR,            -- priority | shortage | need | demand | action; NULL = no priority statement
    priority_cue    VARCHAR,
    priority_weight DOUBLE NOT NULL,    -- 0 for other sentences
    PRIMARY KEY (doc_id, sentence_no)
);

-- Competence mentions in document sentences (same extractor as for ads); weight = sentence weight × score.
CREATE TABLE document_mentions (
    doc_id        VARCHAR NOT NULL,
    sentence_no   INTEGER NOT NULL,
    start         INTEGER NOT NULL,
    "end"         INTEGER NOT NULL,
    text          VARCHAR NOT NULL,
    type          VARCHAR,
    concept_id    VARCHAR,
    concept_label VARCHAR,
    score         DOUBLE,
    method        VARCHAR,
    weight        DOUBLE NOT NULL,
    PRIMARY KEY (doc_id, sentence_no, start, "end")
);

-- Every priority with its citation: document, page, heading path, sentence, concept and weight.
CREATE VIEW priorities AS
SELECT d.doc_id, d.title AS document, d.issuer, d.level, d.region, d.year, d.valid_from, d.valid_to,
       s.page, sec.heading_path AS section_path, array_to_string(sec.heading_path, ' › ') AS section,
       s.sentence_no, s.text AS sentence, s.kind AS sentence_kind, s.priority_kind, s.priority_cue,
       s.priority_weight AS sentence_weight,
       m.text AS mention, m.start, m."end", m.concept_id, coalesce(c.label_nb, m.concept_label) AS concept_label,
       c.skill_group, m.score, m.weight
FROM document_mentions m
JOIN document_sentences s USING (doc_id, sentence_no)
JOIN document_sections sec USING (doc_id, section_no)
JOIN documents d USING (doc_id)
LEFT JOIN concepts_store c ON c.concept_id = m.concept_id
WHERE m.weight > 0 AND m.concept_id IS NOT NULL;

-- Priority weight aggregated per document (hence issuer, region and period) and concept.
CREATE VIEW priority_weights AS
SELECT doc_id, any_value(document) AS document, any_value(issuer) AS issuer, any_value(level) AS level,
       any_value(region) AS region, any_value(valid_from) AS valid_from, any_value(valid_to) AS valid_to,
       concept_id, any_value(concept_label) AS concept_label, any_value(skill_group) AS skill_group,
       sum(weight) AS priority_weight, count(DISTINCT sentence_no) AS statements,
       list(DISTINCT coalesce('s. ' || page, section) ORDER BY coalesce('s. ' || page, section)) AS cited_at
FROM priorities
GROUP BY doc_id, concept_id;

-- Thresholds of policy_vs_demand, one row; change them with UPDATE policy_thresholds SET ...
--   has priority: priority_weight >= min_priority_weight (sum over the applicable documents' priority mentions;
--                 one plain "behov for X" mention weighs 0.8, "stort behov for X" 1.0, a priority under a
--                 "Prioriteringer" heading 1.25; 0.5 lets any single explicit statement count)
--   has demand:   ads_with >= min_demand_ads AND demand_share >= min_demand_share (share of the region's
--                 ads in that year naming the concept / a concept of the group)
--   aligned = both; priority_little_demand = priority without demand; demand_not_in_strategy = demand without
--   priority. Rows with neither are left out.
CREATE TABLE policy_thresholds (
    min_priority_weight DOUBLE NOT NULL,
    min_demand_share    DOUBLE NOT NULL,
    min_demand_ads      INTEGER NOT NULL
);
INSERT INTO policy_thresholds VALUES (0.5, 0.03, 3);

-- The trend tables are rebuilt by warehouse/trends.sql on every run (CREATE OR REPLACE). These empty
-- stand-ins with the same columns only let policy_vs_demand bind before the first run has made them.
CREATE TABLE IF NOT EXISTS ads_weekly (
    week_start DATE, iso_week VARCHAR, region_level VARCHAR, region_code VARCHAR, region_name VARCHAR,
    occupation_group VARCHAR, occupation_label VARCHAR, ads BIGINT
);
CREATE TABLE IF NOT EXISTS skill_demand_weekly (
    week_start DATE, iso_week VARCHAR, region_level VARCHAR, region_code VARCHAR, region_name VARCHAR,
    occupation_group VARCHAR, occupation_label VARCHAR, concept_id VARCHAR, concept_label VARCHAR,
    concept_type VARCHAR, skill_group VARCHAR, ads_with_concept BIGINT, ads_in_cell BIGINT, share DOUBLE,
    required_share DOUBLE
);

-- Policy against demand, per region (county and the whole country) and year (ISO year of the ads' weeks),
-- for each concept (level 'concept') and each skill group of the lexicon (level 'skill_group').
-- A document applies to a region-year when its regions include the region (national documents: every
-- region) and valid_from <= year <= coalesce(valid_to, year). Only region-years with ads are compared.
CREATE VIEW policy_vs_demand AS
WITH region_years AS (
    SELECT region_level, region_code, any_value(region_name) AS region_name,
           CAST(left(iso_week, 4) AS INTEGER) AS year, sum(ads) AS ads
    FROM ads_weekly
    WHERE occupation_group = '*' AND region_level IN ('national', 'county')
    GROUP BY ALL
),
applies AS (
    SELECT DISTINCT r.region_level, r.region_code, r.year, d.doc_id
    FROM region_years r
    JOIN documents d ON d.content_hash IS NOT NULL AND d.valid_from <= r.year
                    AND (d.valid_to IS NULL OR r.year <= d.valid_to)
    JOIN document_regions g ON g.doc_id = d.doc_id
                           AND (g.region_level = 'national'
                                OR (g.region_level = r.region_level AND g.region_code = r.region_code))
),
weighted AS (
    SELECT a.region_level, a.region_code, a.year, a.doc_id, m.concept_id, k.skill_group, m.weight
    FROM applies a
    JOIN document_mentions m ON m.doc_id = a.doc_id AND m.weight > 0 AND m.concept_id IS NOT NULL
    LEFT JOIN concepts_store k ON k.concept_id = m.concept_id
),
priority AS (
    SELECT 'concept' AS level, region_level, region_code, year, concept_id AS key,
           sum(weight) AS priority_weight, count(*) AS priority_mentions,
           list(DISTINCT doc_id ORDER BY doc_id) AS documents
    FROM weighted GROUP BY ALL
    UNION ALL
    SELECT 'skill_group', region_level, region_code, year, skill_group,
           sum(weight), count(*), list(DISTINCT doc_id ORDER BY doc_id)
    FROM weighted WHERE coalesce(skill_group, '') <> '' GROUP BY ALL
),
ad_groups AS (
    SELECT DISTINCT a.ad_id, CAST(strftime(a.published, '%G') AS INTEGER) AS year,
           coalesce(a.county_code_2024, '??') AS county_code, k.skill_group
    FROM ads a
    JOIN mentions_store m ON m.ad_id = a.ad_id
    JOIN concepts_store k ON k.concept_id = m.concept_id
    WHERE a.duplicate_of IS NULL AND a.published IS NOT NULL AND coalesce(k.skill_group, '') <> ''
),
demand AS (
    SELECT 'concept' AS level, region_level, region_code, CAST(left(iso_week, 4) AS INTEGER) AS year,
           concept_id AS key, sum(ads_with_concept) AS ads_with
    FROM skill_demand_weekly
    WHERE occupation_group = '*' AND region_level IN ('national', 'county')
    GROUP BY ALL
    UNION ALL
    SELECT 'skill_group', 'national', 'NO', year, skill_group, count(DISTINCT ad_id) FROM ad_groups GROUP BY ALL
    UNION ALL
    SELECT 'skill_group', 'county', county_code, year, skill_group, count(DISTINCT ad_id) FROM ad_groups GROUP BY ALL
),
joined AS (
    SELECT coalesce(p.level, d.level) AS level, coalesce(p.region_level, d.region_level) AS region_level,
           coalesce(p.region_code, d.region_code) AS region_code, coalesce(p.year, d.year) AS year,
           coalesce(p.key, d.key) AS key, coalesce(p.priority_weight, 0) AS priority_weight,
           coalesce(p.priority_mentions, 0) AS priority_mentions, p.documents, coalesce(d.ads_with, 0) AS ads_with
    FROM priority p
    FULL JOIN demand d ON p.level = d.level AND p.region_level = d.region_level AND p.region_code = d.region_code
                      AND p.year = d.year AND p.key = d.key
),
scored AS (
    SELECT j.*, r.region_name, r.ads, j.ads_with / r.ads AS demand_share,
           j.priority_weight / nullif(sum(j.priority_weight) OVER (PARTITION BY j.level, j.region_level,
                                                                   j.region_code, j.year), 0) AS priority_share,
           j.priority_weight >= t.min_priority_weight AS has_priority,
           j.ads_with >= t.min_demand_ads AND j.ads_with / r.ads >= t.min_demand_share AS has_demand
    FROM joined j
    JOIN region_years r USING (region_level, region_code, year)
    CROSS JOIN (SELECT * FROM policy_thresholds LIMIT 1) t
)
SELECT s.level, s.key,
       CASE WHEN s.level = 'concept' THEN coalesce(c.label_nb, c.label_en, s.key) ELSE s.key END AS label,
       CASE WHEN s.level = 'concept' THEN c.skill_group ELSE s.key END AS skill_group,
       s.region_level, s.region_code, s.region_name, s.year,
       s.priority_weight, s.priority_share, s.priority_mentions, s.documents,
       s.ads_with, s.ads, s.demand_share,
       CASE WHEN s.has_priority AND s.has_demand THEN 'aligned'
            WHEN s.has_priority THEN 'priority_little_demand'
            ELSE 'demand_not_in_strategy' END AS status
FROM scored s
LEFT JOIN concepts_store c ON s.level = 'concept' AND c.concept_id = s.key
WHERE s.has_priority OR s.has_demand;
