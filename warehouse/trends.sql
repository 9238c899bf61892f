-- Trend tables, refilled from the stores in one transaction by warehouse.trends.refresh_trends. Their schemas and
-- column comments live in migrations 004, 006 and 007, so this file only DELETEs and INSERTs (a CREATE OR REPLACE
-- would drop the comments). Variables: ref_week (DATE, a Monday), ref_iso (VARCHAR), min_ads (INTEGER), z (DOUBLE).
--
-- Every count is of distinct original ads. Each ad falls in exactly one finest cell (week × county × municipality ×
-- occupation group), so distinct (ad, concept) pairs are counted once at that grain and every coarser level is a
-- SUM over it (GROUPING SETS): exact, and far cheaper than counting distinct ads per level.

-- Wilson score interval of x successes in n trials, and Newcombe's hybrid score interval for p1 − p0 from two of them.
CREATE OR REPLACE TEMP MACRO _wilson_mid(x, n, z) AS (x / n + z * z / (2 * n)) / (1 + z * z / n);
CREATE OR REPLACE TEMP MACRO _wilson_half(x, n, z) AS
    z * sqrt((x / n) * (1 - x / n) / n + z * z / (4 * n * n)) / (1 + z * z / n);
CREATE OR REPLACE TEMP MACRO _change_low(x1, n1, x0, n0, z) AS
    x1 / n1 - x0 / n0 - sqrt(pow(x1 / n1 - (_wilson_mid(x1, n1, z) - _wilson_half(x1, n1, z)), 2)
                             + pow(_wilson_mid(x0, n0, z) + _wilson_half(x0, n0, z) - x0 / n0, 2));
CREATE OR REPLACE TEMP MACRO _change_high(x1, n1, x0, n0, z) AS
    x1 / n1 - x0 / n0 + sqrt(pow(_wilson_mid(x1, n1, z) + _wilson_half(x1, n1, z) - x1 / n1, 2)
                             + pow(x0 / n0 - (_wilson_mid(x0, n0, z) - _wilson_half(x0, n0, z)), 2));
-- Two-proportion z statistic with pooled variance (NULL when it is undefined).
CREATE OR REPLACE TEMP MACRO _z_score(x1, n1, x0, n0) AS
    (x1 / n1 - x0 / n0)
    / nullif(sqrt(((x1 + x0) / (n1 + n0)) * (1 - (x1 + x0) / (n1 + n0)) * (1.0 / n1 + 1.0 / n0)), 0);
-- The columns both trend tables report for a recent window (x1 of n1 ads) against its base window (x0 of n0);
-- all NULL when the base window has no ads. SELECT unnest(_window_change(...)) spreads them into columns.
CREATE OR REPLACE TEMP MACRO _window_change(x1, n1, x0, n0, z) AS
    CASE WHEN n0 > 0 THEN {'share_base': x0 / n0,
                           'share_change': x1 / n1 - x0 / n0,
                           'change_ci_low': _change_low(x1, n1, x0, n0, z),
                           'change_ci_high': _change_high(x1, n1, x0, n0, z),
                           'z_score': _z_score(x1, n1, x0, n0)} END;

-- Physical order of the trend tables (nation, counties, municipalities by number; then weeks), cheap to sort on and
-- what keeps DuckDB's zone maps useful for the usual "one region, some weeks" query.
CREATE OR REPLACE TEMP MACRO _region_order(level, code) AS
    (CASE level WHEN 'national' THEN 0 WHEN 'county' THEN 1 ELSE 2 END) * 100000
    + coalesce(TRY_CAST(code AS INTEGER), 99999);

-- Every counted ad with its finest cell. Weeks are Norwegian-time ISO weeks whatever the session's time zone.
CREATE OR REPLACE TEMP TABLE _ads AS
SELECT ad_id,
       CAST(date_trunc('week', timezone('Europe/Oslo', published)) AS DATE) AS week_start,
       coalesce(county_code_2024, '??')                                     AS county_code,
       coalesce(county_name_2024, 'Ukjent fylke')                           AS county_name,
       municipality_code_2024                                               AS municipality_code,
       coalesce(municipality_name_2024, municipality_code_2024)             AS municipality_name,
       occupation_group
FROM ads
WHERE duplicate_of IS NULL AND published IS NOT NULL;

-- The finest cells, numbered, with their ads; and each ad's integer key and cell (integers make the big
-- aggregation below several times cheaper than grouping on ad ids and names).
CREATE OR REPLACE TEMP TABLE _cells AS
SELECT row_number() OVER (ORDER BY week_start, county_code, municipality_code, occupation_group) AS cell,
       week_start, strftime(week_start, '%G-W%V') AS iso_week, county_code, max(county_name) AS county_name,
       municipality_code, max(municipality_name) AS municipality_name, occupation_group, count(*) AS ads
FROM _ads
GROUP BY week_start, county_code, municipality_code, occupation_group;

CREATE OR REPLACE TEMP TABLE _ad_cells AS
SELECT a.ad_id, row_number() OVER () AS ad_key, c.cell, c.week_start
FROM _ads a
JOIN _cells c ON c.week_start = a.week_start AND c.county_code = a.county_code
             AND c.municipality_code IS NOT DISTINCT FROM a.municipality_code
             AND c.occupation_group = a.occupation_group;

CREATE OR REPLACE TEMP TABLE _concept_keys AS
SELECT row_number() OVER (ORDER BY m.concept_id) AS ck, m.concept_id,
       coalesce(p.label_nb, p.label_en, m.concept_id) AS concept_label, p.type AS concept_type, p.skill_group
FROM (SELECT DISTINCT concept_id FROM mentions_store WHERE concept_id IS NOT NULL) m
LEFT JOIN concepts_store p ON p.concept_id = m.concept_id;

-- Each way the mentions write a concept: spelling × requirement level, numbered (pk), with a bit of its own among
-- the concept's 64 most frequent ones. A bit mask per (ad, concept) then holds the set of its phrasings, so ads per
-- phrasing are counted from the pairs below without a second pass over the mentions; the rare phrasings without a
-- bit are counted per ad instead (tail_ad).
CREATE OR REPLACE TEMP TABLE _phrase_keys AS
SELECT row_number() OVER (ORDER BY k.ck, p.text, p.requirement) AS pk, k.ck, p.concept_id, p.text, p.requirement,
       p.requirement = 'REQUIRED' AS required,
       CASE WHEN p.rank <= 64 THEN CAST(1 AS UBIGINT) << (p.rank - 1) END AS bit
FROM (SELECT concept_id, text, requirement,
             row_number() OVER (PARTITION BY concept_id ORDER BY count(*) DESC, text, requirement) AS rank
      FROM mentions_store WHERE concept_id IS NOT NULL
      GROUP BY concept_id, text, requirement) p
JOIN _concept_keys k USING (concept_id);

-- One pass over the mentions of the counted ads, grouped two ways: distinct (ad, concept) pairs with the set of
-- their phrasings (is_pair), and mentions per week and phrasing (per ad as well for phrasings without a bit).
CREATE OR REPLACE TEMP TABLE _mention_groups AS
SELECT grouping(d.ad_key) = 0 AS is_pair, d.cell, d.ad_key, p.ck, d.week_start, p.pk,
       CASE WHEN p.bit IS NULL THEN d.ad_key END AS tail_ad,
       bool_or(p.required) AS required, count(*) AS mentions, bit_or(p.bit) AS phrasings
FROM mentions_store m
JOIN _ad_cells d ON d.ad_id = m.ad_id
JOIN _phrase_keys p ON p.concept_id = m.concept_id AND p.text = m.text AND p.requirement = m.requirement
GROUP BY GROUPING SETS ((d.cell, d.ad_key, p.ck), (d.week_start, p.pk, tail_ad));

-- The distinct (ad, concept) pairs, then their counts per finest cell and concept.
-- Sorted by cell (so by week) while the rows are narrow: ad_concepts keeps this order through its joins.
CREATE OR REPLACE TEMP TABLE _pairs AS
SELECT cell, ad_key, ck, required, mentions, phrasings
FROM _mention_groups
WHERE is_pair
ORDER BY cell, ck;

CREATE OR REPLACE TEMP TABLE _cell_concepts AS
SELECT cell, ck, count(*) AS ads_with_concept, count(*) FILTER (WHERE required) AS ads_required
FROM _pairs
GROUP BY cell, ck;

DELETE FROM ad_concepts;
INSERT INTO ad_concepts BY NAME
SELECT c.week_start, c.iso_week, d.ad_id, k.concept_id, k.concept_label,
       p.required, p.mentions, c.county_code, c.county_name, c.municipality_code, c.occupation_group
FROM _pairs p
JOIN _ad_cells d USING (ad_key)
JOIN _cells c ON c.cell = p.cell
JOIN _concept_keys k USING (ck);

-- Phrasings per week: ads from the pairs' bit masks (a handful of distinct masks per week and concept), mentions
-- from the pass above. An ad falls in one week, so sums over weeks stay distinct-ad counts.
DELETE FROM concept_phrasings_weekly;
INSERT INTO concept_phrasings_weekly BY NAME
WITH masks AS (
    SELECT c.week_start, p.ck, p.phrasings, count(*) AS ads
    FROM _pairs p JOIN _cells c USING (cell)
    GROUP BY ALL
),
ads_by_bit AS (
    SELECT m.week_start, k.pk, sum(m.ads) AS ads
    FROM masks m JOIN _phrase_keys k ON k.ck = m.ck AND (m.phrasings & k.bit) <> 0
    GROUP BY ALL
),
counted AS (
    SELECT week_start, pk, sum(mentions) AS mentions, count(tail_ad) AS tail_ads
    FROM _mention_groups
    WHERE NOT is_pair
    GROUP BY ALL
)
SELECT n.week_start, strftime(n.week_start, '%G-W%V') AS iso_week, k.concept_id, ck.concept_label,
       k.text, k.requirement, n.mentions, CASE WHEN k.bit IS NULL THEN n.tail_ads ELSE b.ads END AS ads
FROM counted n
JOIN _phrase_keys k USING (pk)
JOIN _concept_keys ck USING (ck)
LEFT JOIN ads_by_bit b USING (week_start, pk)
ORDER BY k.ck, n.week_start, n.mentions DESC, k.text, k.requirement;

DELETE FROM ads_weekly;
INSERT INTO ads_weekly BY NAME
WITH rolled AS (
    SELECT week_start,
           CASE WHEN grouping(municipality_code) = 0 THEN 'municipality'
                WHEN grouping(county_code) = 0 THEN 'county' ELSE 'national' END       AS region_level,
           CASE WHEN grouping(municipality_code) = 0 THEN municipality_code
                WHEN grouping(county_code) = 0 THEN county_code ELSE 'NO' END          AS region_code,
           CASE WHEN grouping(municipality_code) = 0 THEN max(municipality_name)
                WHEN grouping(county_code) = 0 THEN max(county_name) ELSE 'Hele landet' END AS region_name,
           CASE WHEN grouping(occupation_group) = 0 THEN occupation_group ELSE '*' END AS occupation_group,
           sum(ads)                                                                     AS ads
    FROM _cells
    GROUP BY GROUPING SETS ((week_start, occupation_group), (week_start),
                            (week_start, county_code, occupation_group), (week_start, county_code),
                            (week_start, municipality_code))
)
SELECT r.week_start, strftime(r.week_start, '%G-W%V') AS iso_week, r.region_level, r.region_code, r.region_name,
       r.occupation_group,
       coalesce(g.label, CASE r.occupation_group WHEN '*' THEN 'Alle yrker' ELSE 'Ukjent yrke' END) AS occupation_label,
       r.ads
FROM rolled r
LEFT JOIN occupation_groups g ON g.code = r.occupation_group
WHERE r.region_code IS NOT NULL   -- ads without a municipality count at county and national level only
ORDER BY _region_order(r.region_level, r.region_code), r.week_start;

-- Rolled up to every level and sorted while the rows are narrow (integers and short codes); the joins that add
-- names and labels keep that order, so skill_demand_weekly is stored by region and week without a wide sort.
CREATE OR REPLACE TEMP TABLE _rolled AS
SELECT c.week_start, k.ck,
       CASE WHEN grouping(c.municipality_code) = 0 THEN 'municipality'
            WHEN grouping(c.county_code) = 0 THEN 'county' ELSE 'national' END         AS region_level,
       CASE WHEN grouping(c.municipality_code) = 0 THEN c.municipality_code
            WHEN grouping(c.county_code) = 0 THEN c.county_code ELSE 'NO' END          AS region_code,
       CASE WHEN grouping(c.occupation_group) = 0 THEN c.occupation_group ELSE '*' END AS occupation_group,
       sum(k.ads_with_concept)                                                          AS ads_with_concept,
       sum(k.ads_required)                                                              AS ads_required
FROM _cell_concepts k
JOIN _cells c USING (cell)
GROUP BY GROUPING SETS ((c.week_start, k.ck, c.occupation_group), (c.week_start, k.ck),
                        (c.week_start, k.ck, c.county_code, c.occupation_group), (c.week_start, k.ck, c.county_code),
                        (c.week_start, k.ck, c.municipality_code))
ORDER BY _region_order(region_level, region_code), c.week_start;

DELETE FROM skill_demand_weekly;
INSERT INTO skill_demand_weekly BY NAME
SELECT r.week_start, w.iso_week, r.region_level, r.region_code, w.region_name, r.occupation_group, w.occupation_label,
       ck.concept_id, ck.concept_label, ck.concept_type, ck.skill_group,
       r.ads_with_concept, r.ads_required, w.ads AS ads_in_cell,
       r.ads_with_concept / w.ads          AS share,
       r.ads_required / r.ads_with_concept AS required_share
FROM _rolled r
JOIN ads_weekly w USING (week_start, region_level, region_code, occupation_group)
JOIN _concept_keys ck USING (ck);

-- Windows: weeks_ago 0 is the reference week; the recent window is weeks_ago < N, the base window N ≤ weeks_ago < 2N.
DELETE FROM skill_trends;
INSERT INTO skill_trends BY NAME
WITH windows AS (SELECT unnest([4, 13, 52]) AS window_weeks),
totals AS (
    SELECT window_weeks, region_level, region_code, occupation_group,
           any_value(region_name) AS region_name, any_value(occupation_label) AS occupation_label,
           coalesce(sum(ads) FILTER (WHERE weeks_ago < window_weeks), 0)                               AS n_recent,
           coalesce(sum(ads) FILTER (WHERE weeks_ago >= window_weeks AND weeks_ago < 2 * window_weeks), 0) AS n_base
    FROM (SELECT *, (getvariable('ref_week') - week_start) // 7 AS weeks_ago FROM ads_weekly
          WHERE region_level IN ('national', 'county')
            AND week_start <= getvariable('ref_week') AND week_start > getvariable('ref_week') - 7 * 104) a,
         windows
    WHERE weeks_ago < 2 * window_weeks
    GROUP BY ALL
),
hits AS (
    SELECT window_weeks, region_level, region_code, occupation_group, concept_id,
           any_value(concept_label) AS concept_label, any_value(concept_type) AS concept_type,
           any_value(skill_group) AS skill_group,
           coalesce(sum(ads_with_concept) FILTER (WHERE weeks_ago < window_weeks), 0)                  AS x_recent,
           coalesce(sum(ads_with_concept) FILTER (WHERE weeks_ago >= window_weeks), 0)                 AS x_base
    FROM (SELECT *, (getvariable('ref_week') - week_start) // 7 AS weeks_ago FROM skill_demand_weekly
          WHERE region_level IN ('national', 'county')
            AND week_start <= getvariable('ref_week') AND week_start > getvariable('ref_week') - 7 * 104) s,
         windows
    WHERE weeks_ago < 2 * window_weeks
    GROUP BY ALL
)
SELECT h.window_weeks, getvariable('ref_iso') AS ref_week, getvariable('ref_week') AS ref_week_start,
       h.region_level, h.region_code, t.region_name, h.occupation_group, t.occupation_label,
       h.concept_id, h.concept_label, h.concept_type, h.skill_group,
       h.x_recent AS ads_recent, t.n_recent AS ads_total_recent, h.x_recent / t.n_recent AS share_recent,
       h.x_base AS ads_base, t.n_base AS ads_total_base,
       unnest(_window_change(h.x_recent, t.n_recent, h.x_base, t.n_base, getvariable('z'))),
       t.n_base > 0 AND h.x_recent >= getvariable('min_ads')
           AND _change_low(h.x_recent, t.n_recent, h.x_base, t.n_base, getvariable('z')) > 0 AS emerging,
       t.n_base > 0 AND h.x_base >= getvariable('min_ads')
           AND _change_high(h.x_recent, t.n_recent, h.x_base, t.n_base, getvariable('z')) < 0 AS declining
FROM hits h
JOIN totals t USING (window_weeks, region_level, region_code, occupation_group)
WHERE t.n_recent > 0
ORDER BY _region_order(h.region_level, h.region_code), h.window_weeks, h.occupation_group, h.concept_id;

-- Unmapped phrases: the same windows, nation and counties, all occupations; a phrase must be in 2+ recent ads.
CREATE OR REPLACE TEMP TABLE _term_ads AS
SELECT m.ad_id, m.term,
       min(m.text)  AS text,
       min(m.type)  AS type
FROM (SELECT ad_id, text, type, lower(regexp_replace(trim(text), '\s+', ' ', 'g')) AS term
      FROM mentions_store WHERE concept_id IS NULL) m
WHERE m.term <> ''
GROUP BY m.ad_id, m.term;

DELETE FROM emerging_terms;
INSERT INTO emerging_terms BY NAME
WITH windows AS (SELECT unnest([4, 13, 52]) AS window_weeks),
term_cells AS (   -- (term, week, county) with its ads; the nation is the sum over counties
    SELECT t.term, c.week_start, c.county_code, count(*) AS ads
    FROM _term_ads t JOIN _ad_cells d USING (ad_id) JOIN _cells c USING (cell)
    GROUP BY ALL
),
term_regions AS (
    SELECT term, week_start, 'county' AS region_level, county_code AS region_code, ads FROM term_cells
    UNION ALL
    SELECT term, week_start, 'national', 'NO', sum(ads) FROM term_cells GROUP BY ALL
),
firsts AS (
    SELECT term, region_level, region_code, min(week_start) AS first_week
    FROM term_regions GROUP BY ALL
),
hits AS (
    SELECT window_weeks, region_level, region_code, term,
           coalesce(sum(ads) FILTER (WHERE weeks_ago < window_weeks), 0)  AS x_recent,
           coalesce(sum(ads) FILTER (WHERE weeks_ago >= window_weeks), 0) AS x_base
    FROM (SELECT *, (getvariable('ref_week') - week_start) // 7 AS weeks_ago FROM term_regions
          WHERE week_start <= getvariable('ref_week') AND week_start > getvariable('ref_week') - 7 * 104) r,
         windows
    WHERE weeks_ago < 2 * window_weeks
    GROUP BY ALL
    HAVING x_recent >= 2
),
spellings AS (
    SELECT term, text, type, count(*) AS uses FROM _term_ads GROUP BY ALL
),
forms AS (
    SELECT term,
           first(text ORDER BY uses DESC, text) AS example_text,
           first(type ORDER BY uses DESC, type) AS mention_type
    FROM spellings GROUP BY term
),
totals AS (
    SELECT window_weeks, region_level, region_code, any_value(region_name) AS region_name,
           coalesce(sum(ads) FILTER (WHERE weeks_ago < window_weeks), 0)                               AS n_recent,
           coalesce(sum(ads) FILTER (WHERE weeks_ago >= window_weeks AND weeks_ago < 2 * window_weeks), 0) AS n_base
    FROM (SELECT *, (getvariable('ref_week') - week_start) // 7 AS weeks_ago FROM ads_weekly
          WHERE region_level IN ('national', 'county') AND occupation_group = '*'
            AND week_start <= getvariable('ref_week') AND week_start > getvariable('ref_week') - 7 * 104) a,
         windows
    WHERE weeks_ago < 2 * window_weeks
    GROUP BY ALL
)
SELECT h.window_weeks, getvariable('ref_iso') AS ref_week, getvariable('ref_week') AS ref_week_start,
       h.region_level, h.region_code, t.region_name, h.term, f.example_text, f.mention_type,
       strftime(fs.first_week, '%G-W%V') AS first_seen_week,
       h.x_recent AS ads_recent, t.n_recent AS ads_total_recent, h.x_recent / t.n_recent AS share_recent,
       h.x_base AS ads_base, t.n_base AS ads_total_base,
       unnest(_window_change(h.x_recent, t.n_recent, h.x_base, t.n_base, getvariable('z'))),
       (getvariable('ref_week') - fs.first_week) // 7 < h.window_weeks                       AS is_new,
       t.n_base > 0 AND h.x_recent >= getvariable('min_ads')
           AND _change_low(h.x_recent, t.n_recent, h.x_base, t.n_base, getvariable('z')) > 0 AS rising
FROM hits h
JOIN totals t USING (window_weeks, region_level, region_code)
JOIN firsts fs USING (term, region_level, region_code)
JOIN forms f USING (term)
ORDER BY _region_order(h.region_level, h.region_code), h.window_weeks, h.term;

DROP TABLE _ads;
DROP TABLE _cells;
DROP TABLE _ad_cells;
DROP TABLE _concept_keys;
DROP TABLE _phrase_keys;
DROP TABLE _mention_groups;
DROP TABLE _pairs;
DROP TABLE _cell_concepts;
DROP TABLE _rolled;
DROP TABLE _term_ads;
