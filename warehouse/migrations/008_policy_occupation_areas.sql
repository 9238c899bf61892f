-- The occupation-area level of policy_vs_demand: strategy priorities placed in occupation areas (helse og omsorg,
-- bygg og anlegg, IKT …) set against the share of ads whose STYRK-08 code is in the area.
-- The mapping (areas, their STYRK-08 prefixes and their words in Bokmål and Nynorsk) is the curated file
-- pipelines/data/occupation_areas.yaml; pipelines.strategy.ingest_strategies loads it into occupation_areas and
-- occupation_area_codes on every run and fills document_occupation_areas per document.

-- The curated occupation areas, one row each.
CREATE TABLE occupation_areas (
    area_id         VARCHAR PRIMARY KEY,
    label_nb        VARCHAR NOT NULL,
    label_nn        VARCHAR NOT NULL,
    styrk08         VARCHAR[] NOT NULL,   -- STYRK-08 code prefixes of the area
    mapping_version VARCHAR               -- hash of the mapping files it was read from
);

-- STYRK-08 code prefixes → area; an ad belongs to the area of the longest prefix its code starts with.
CREATE TABLE occupation_area_codes (
    styrk08_prefix VARCHAR PRIMARY KEY,
    area_id        VARCHAR NOT NULL
);

-- The occupation areas each priority sentence names, one row per sentence and area.
CREATE TABLE document_occupation_areas (
    doc_id      VARCHAR NOT NULL,
    sentence_no INTEGER NOT NULL,
    area_id     VARCHAR NOT NULL,
    via         VARCHAR NOT NULL,   -- sentence | concept | heading
    evidence    VARCHAR,            -- the wording, concept label or heading word that named the area
    styrk08     VARCHAR,            -- the STYRK-08 code of the concept's ESCO occupation (via = 'concept')
    weight      DOUBLE NOT NULL,
    PRIMARY KEY (doc_id, sentence_no, area_id)
);

-- Every priority sentence with the occupation area it names and its citation.
CREATE VIEW occupation_area_priorities AS
SELECT d.doc_id, d.title AS document, d.issuer, d.level, d.region, d.year, d.valid_from, d.valid_to,
       s.page, sec.heading_path AS section_path, array_to_string(sec.heading_path, ' › ') AS section,
       s.sentence_no, s.text AS sentence, s.priority_kind, s.priority_cue, s.priority_weight AS sentence_weight,
       o.area_id, a.label_nb AS area_label, o.via, o.evidence, o.styrk08, o.weight
FROM document_occupation_areas o
JOIN document_sentences s USING (doc_id, sentence_no)
JOIN document_sections sec USING (doc_id, section_no)
JOIN documents d USING (doc_id)
LEFT JOIN occupation_areas a ON a.area_id = o.area_id
WHERE o.weight > 0;

-- As in 003, with a third level 'occupation_area' and two new columns (occupation_codes, ads_coded). The year of
-- an ad is now the ISO year of its week in Norwegian time (ads.iso_week, as ads_weekly counts it) at every level.
CREATE OR REPLACE VIEW policy_vs_demand AS
WITH region_years AS (
    SELECT region_level, region_code, any_value(region_name) AS region_name,
           CAST(left(iso_week, 4) AS INTEGER) AS year,
           sum(ads) FILTER (WHERE occupation_group = '*') AS ads,
           coalesce(sum(ads) FILTER (WHERE occupation_group NOT IN ('*', '?')), 0) AS ads_coded
    FROM ads_weekly
    WHERE region_level IN ('national', 'county')
    GROUP BY ALL
    HAVING sum(ads) FILTER (WHERE occupation_group = '*') > 0
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
area_weighted AS (
    SELECT a.region_level, a.region_code, a.year, a.doc_id, o.area_id, o.weight
    FROM applies a
    JOIN document_occupation_areas o ON o.doc_id = a.doc_id AND o.weight > 0
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
    UNION ALL
    SELECT 'occupation_area', region_level, region_code, year, area_id,
           sum(weight), count(*), list(DISTINCT doc_id ORDER BY doc_id)
    FROM area_weighted GROUP BY ALL
),
originals AS (
    SELECT ad_id, CAST(left(iso_week, 4) AS INTEGER) AS year, coalesce(county_code_2024, '??') AS county_code,
           styrk08
    FROM ads
    WHERE duplicate_of IS NULL AND published IS NOT NULL
),
ad_groups AS (
    SELECT DISTINCT a.ad_id, a.year, a.county_code, k.skill_group AS key
    FROM originals a
    JOIN mentions_store m ON m.ad_id = a.ad_id
    JOIN concepts_store k ON k.concept_id = m.concept_id
    WHERE coalesce(k.skill_group, '') <> ''
),
ad_areas AS (
    SELECT a.ad_id, a.year, a.county_code, c.area_id AS key
    FROM originals a
    JOIN occupation_area_codes c ON starts_with(a.styrk08, c.styrk08_prefix)
    QUALIFY row_number() OVER (PARTITION BY a.ad_id ORDER BY length(c.styrk08_prefix) DESC) = 1
),
demand AS (
    SELECT 'concept' AS level, region_level, region_code, CAST(left(iso_week, 4) AS INTEGER) AS year,
           concept_id AS key, sum(ads_with_concept) AS ads_with
    FROM skill_demand_weekly
    WHERE occupation_group = '*' AND region_level IN ('national', 'county')
    GROUP BY ALL
    UNION ALL
    SELECT 'skill_group', 'national', 'NO', year, key, count(DISTINCT ad_id) FROM ad_groups GROUP BY ALL
    UNION ALL
    SELECT 'skill_group', 'county', county_code, year, key, count(DISTINCT ad_id) FROM ad_groups GROUP BY ALL
    UNION ALL
    SELECT 'occupation_area', 'national', 'NO', year, key, count(DISTINCT ad_id) FROM ad_areas GROUP BY ALL
    UNION ALL
    SELECT 'occupation_area', 'county', county_code, year, key, count(DISTINCT ad_id) FROM ad_areas GROUP BY ALL
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
    SELECT j.*, r.region_name, r.ads, r.ads_coded, j.ads_with / r.ads AS demand_share,
           j.priority_weight / nullif(sum(j.priority_weight) OVER (PARTITION BY j.level, j.region_level,
                                                                   j.region_code, j.year), 0) AS priority_share,
           j.priority_weight >= t.min_priority_weight AS has_priority,
           j.ads_with >= t.min_demand_ads AND j.ads_with / r.ads >= t.min_demand_share AS has_demand
    FROM joined j
    JOIN region_years r USING (region_level, region_code, year)
    CROSS JOIN (SELECT * FROM policy_thresholds LIMIT 1) t
)
SELECT s.level, s.key,
       CASE s.level WHEN 'concept' THEN coalesce(c.label_nb, c.label_en, s.key)
                    WHEN 'occupation_area' THEN coalesce(o.label_nb, s.key)
                    ELSE s.key END AS label,
       CASE s.level WHEN 'concept' THEN c.skill_group WHEN 'skill_group' THEN s.key END AS skill_group,
       o.styrk08 AS occupation_codes,
       s.region_level, s.region_code, s.region_name, s.year,
       s.priority_weight, s.priority_share, s.priority_mentions, s.documents,
       s.ads_with, s.ads, s.demand_share, s.ads_coded,
       CASE WHEN s.has_priority AND s.has_demand THEN 'aligned'
            WHEN s.has_priority THEN 'priority_little_demand'
            ELSE 'demand_not_in_strategy' END AS status
FROM scored s
LEFT JOIN concepts_store c ON s.level = 'concept' AND c.concept_id = s.key
LEFT JOIN occupation_areas o ON s.level = 'occupation_area' AND o.area_id = s.key
WHERE s.has_priority OR s.has_demand;

-- occupation_areas ------------------------------------------------------------------------------------------------
COMMENT ON TABLE occupation_areas IS 'Occupation areas strategy documents name (helse og omsorg, bygg og anlegg, IKT …), curated in pipelines/data/occupation_areas.yaml with their STYRK-08 codes and their words in Bokmål and Nynorsk.';
COMMENT ON COLUMN occupation_areas.area_id IS 'Area id (e.g. helse_omsorg); the key of policy_vs_demand rows with level occupation_area.';
COMMENT ON COLUMN occupation_areas.label_nb IS 'Name of the area in Bokmål.';
COMMENT ON COLUMN occupation_areas.label_nn IS 'Name of the area in Nynorsk.';
COMMENT ON COLUMN occupation_areas.styrk08 IS 'STYRK-08 code prefixes (1–4 digits) of the area; an ad is in the area of the longest prefix its code starts with.';
COMMENT ON COLUMN occupation_areas.mapping_version IS 'Hash of the mapping files (occupation_areas.yaml, esco_occupation_styrk08.csv) the rows were read from.';

-- occupation_area_codes -------------------------------------------------------------------------------------------
COMMENT ON TABLE occupation_area_codes IS 'STYRK-08 code prefix → occupation area, one row per prefix (from occupation_areas.styrk08); the longest matching prefix decides an ad''s area.';
COMMENT ON COLUMN occupation_area_codes.styrk08_prefix IS 'Start of STYRK-08 codes (1–4 digits, e.g. 53 Pleie- og omsorgsarbeidere, 531 Barnehage- og skoleassistenter).';
COMMENT ON COLUMN occupation_area_codes.area_id IS 'The occupation area of codes that start with the prefix (join to occupation_areas).';

-- document_occupation_areas ---------------------------------------------------------------------------------------
COMMENT ON TABLE document_occupation_areas IS 'The occupation areas each priority sentence of a strategy document names, one row per sentence and area.';
COMMENT ON COLUMN document_occupation_areas.doc_id IS 'Document id (from the strategy registry).';
COMMENT ON COLUMN document_occupation_areas.sentence_no IS 'Number of the priority sentence in the document (join to document_sentences).';
COMMENT ON COLUMN document_occupation_areas.area_id IS 'The occupation area named (join to occupation_areas).';
COMMENT ON COLUMN document_occupation_areas.via IS 'How the sentence names the area: sentence (its own words, e.g. "sjukepleiarar"), concept (a linked concept whose ESCO occupation has a STYRK-08 code in the area) or heading (the sentence names none; the nearest heading above it does).';
COMMENT ON COLUMN document_occupation_areas.evidence IS 'The wording, concept label or heading word that named the area.';
COMMENT ON COLUMN document_occupation_areas.styrk08 IS 'STYRK-08 code of the concept''s ESCO occupation (official ESCO–STYRK-08 crosswalk) when via = concept; NULL otherwise.';
COMMENT ON COLUMN document_occupation_areas.weight IS 'What the sentence adds to the area''s priority weight: the sentence weight (via concept: the mention weight), once per sentence and area.';

-- occupation_area_priorities --------------------------------------------------------------------------------------
COMMENT ON VIEW occupation_area_priorities IS 'Every priority sentence with the occupation area it names and its citation: document, page, heading path and sentence.';
COMMENT ON COLUMN occupation_area_priorities.doc_id IS 'Document id (from the strategy registry).';
COMMENT ON COLUMN occupation_area_priorities.document IS 'Document title as registered.';
COMMENT ON COLUMN occupation_area_priorities.issuer IS 'Who issued the document (ministry, county council …).';
COMMENT ON COLUMN occupation_area_priorities.level IS 'national, county or municipal.';
COMMENT ON COLUMN occupation_area_priorities.region IS 'The region the document was registered for (NULL for national documents).';
COMMENT ON COLUMN occupation_area_priorities.year IS 'Year of the document.';
COMMENT ON COLUMN occupation_area_priorities.valid_from IS 'First year the document applies to.';
COMMENT ON COLUMN occupation_area_priorities.valid_to IS 'Last year the document applies to (NULL: still in force).';
COMMENT ON COLUMN occupation_area_priorities.page IS 'PDF page of the sentence (NULL for HTML documents).';
COMMENT ON COLUMN occupation_area_priorities.section_path IS 'Headings above the sentence, outermost first.';
COMMENT ON COLUMN occupation_area_priorities.section IS 'The heading path as one text, joined with ›.';
COMMENT ON COLUMN occupation_area_priorities.sentence_no IS 'Number of the sentence in the document.';
COMMENT ON COLUMN occupation_area_priorities.sentence IS 'The sentence, for citing.';
COMMENT ON COLUMN occupation_area_priorities.priority_kind IS 'What the sentence says: priority, shortage, need, demand or action.';
COMMENT ON COLUMN occupation_area_priorities.priority_cue IS 'The wording that made the sentence a priority statement (e.g. "stort behov for").';
COMMENT ON COLUMN occupation_area_priorities.sentence_weight IS 'How strongly the sentence states the priority: the cue''s weight × 1.25 if intensified × 1.25 under a priorities heading.';
COMMENT ON COLUMN occupation_area_priorities.area_id IS 'The occupation area named (join to occupation_areas).';
COMMENT ON COLUMN occupation_area_priorities.area_label IS 'Norwegian (Bokmål) name of the occupation area.';
COMMENT ON COLUMN occupation_area_priorities.via IS 'sentence (its own words), concept (a linked concept''s ESCO occupation → STYRK-08) or heading (the nearest heading naming an area).';
COMMENT ON COLUMN occupation_area_priorities.evidence IS 'The wording, concept label or heading word that named the area.';
COMMENT ON COLUMN occupation_area_priorities.styrk08 IS 'STYRK-08 code of the concept''s ESCO occupation when via = concept.';
COMMENT ON COLUMN occupation_area_priorities.weight IS 'What the sentence adds to the area''s priority weight in policy_vs_demand.';

-- policy_vs_demand (redefined above, so every comment is set again) --------------------------------------------------
COMMENT ON VIEW policy_vs_demand IS 'Strategy priorities against demand in job ads, per region (nation, county; 2024 borders), year and concept, skill group or occupation area (STYRK-08); thresholds in policy_thresholds. Rows with neither priority nor demand are left out.';
COMMENT ON COLUMN policy_vs_demand.level IS 'concept (one concept), skill_group (all concepts of a group) or occupation_area (an area of STYRK-08 codes, see occupation_areas).';
COMMENT ON COLUMN policy_vs_demand.key IS 'The concept id, the skill group name or the occupation area id.';
COMMENT ON COLUMN policy_vs_demand.label IS 'Norwegian label of the concept, the skill group name, or the occupation area''s name.';
COMMENT ON COLUMN policy_vs_demand.skill_group IS 'The skill group (of the concept, or the group itself); NULL for occupation areas.';
COMMENT ON COLUMN policy_vs_demand.occupation_codes IS 'For occupation areas: the STYRK-08 code prefixes whose ads count as the area''s demand (longest prefix wins); NULL at the other levels.';
COMMENT ON COLUMN policy_vs_demand.region_level IS 'national or county (2024 borders).';
COMMENT ON COLUMN policy_vs_demand.region_code IS 'NO, or the 2024 county number.';
COMMENT ON COLUMN policy_vs_demand.region_name IS 'Hele landet, or the 2024 county name.';
COMMENT ON COLUMN policy_vs_demand.year IS 'ISO year of the ads'' weeks (Norwegian time); documents apply when valid_from ≤ year ≤ valid_to.';
COMMENT ON COLUMN policy_vs_demand.priority_weight IS 'Sum of priority weights over the documents that apply to the region and year (national documents apply everywhere); for occupation areas one sentence weight per priority sentence naming the area.';
COMMENT ON COLUMN policy_vs_demand.priority_share IS 'priority_weight as a share of all priority weight in the region, year and level.';
COMMENT ON COLUMN policy_vs_demand.priority_mentions IS 'Number of priority mentions behind priority_weight (occupation areas: priority sentences naming the area).';
COMMENT ON COLUMN policy_vs_demand.documents IS 'The doc_ids of the documents behind priority_weight.';
COMMENT ON COLUMN policy_vs_demand.ads_with IS 'Distinct original ads in the region and year that name the concept (or a concept of the group), or whose STYRK-08 code is in the occupation area.';
COMMENT ON COLUMN policy_vs_demand.ads IS 'All distinct original ads in the region and year.';
COMMENT ON COLUMN policy_vs_demand.demand_share IS 'ads_with / ads.';
COMMENT ON COLUMN policy_vs_demand.ads_coded IS 'Distinct original ads in the region and year that have a STYRK-08 code: ads without one count in ads but in no occupation area.';
COMMENT ON COLUMN policy_vs_demand.status IS 'aligned (priority and demand), priority_little_demand, or demand_not_in_strategy.';
