-- Trend tables, rebuilt from scratch each run (CREATE OR REPLACE) so they always match the stores.
-- Variables set by warehouse.trends.refresh_trends: ref_week (DATE, a Monday), min_ads (INTEGER), z (DOUBLE).

CREATE OR REPLACE TEMP TABLE _ad_dims AS
WITH base AS (
    SELECT ad_id,
           CAST(date_trunc('week', published) AS DATE)          AS week_start,
           strftime(published, '%G-W%V')                         AS iso_week,
           coalesce(county_code_2024, '??')                      AS county_code,
           coalesce(county_name_2024, 'Ukjent fylke')            AS county_name,
           municipality_code_2024,
           municipality_name_2024,
           coalesce(left(styrk08, 1), '?')                       AS occupation_group
    FROM ads
    WHERE duplicate_of IS NULL AND published IS NOT NULL
), levels AS (
    SELECT ad_id, week_start, iso_week, 'national' AS region_level, 'NO' AS region_code,
           'Hele landet' AS region_name, occupation_group FROM base
    UNION ALL
    SELECT ad_id, week_start, iso_week, 'county', county_code, county_name, occupation_group FROM base
    UNION ALL
    SELECT ad_id, week_start, iso_week, 'municipality', municipality_code_2024, municipality_name_2024, '*'
    FROM base WHERE municipality_code_2024 IS NOT NULL
)
SELECT * FROM levels
UNION ALL
SELECT ad_id, week_start, iso_week, region_level, region_code, region_name, '*' FROM levels
WHERE region_level <> 'municipality';

CREATE OR REPLACE TEMP TABLE _ad_concepts AS
SELECT ad_id, concept_id, bool_or(requirement = 'REQUIRED') AS required
FROM mentions_store
WHERE concept_id IS NOT NULL
GROUP BY ad_id, concept_id;

CREATE OR REPLACE TABLE ads_weekly AS
SELECT week_start, iso_week, region_level, region_code, region_name, occupation_group,
       coalesce(g.label, CASE occupation_group WHEN '*' THEN 'Alle yrker' ELSE 'Ukjent yrke' END) AS occupation_label,
       count(DISTINCT ad_id) AS ads
FROM _ad_dims d
LEFT JOIN occupation_groups g ON g.code = d.occupation_group
GROUP BY ALL;

CREATE OR REPLACE TABLE skill_demand_weekly AS
SELECT d.week_start, d.iso_week, d.region_level, d.region_code, d.region_name, d.occupation_group,
       w.occupation_label,
       c.concept_id, k.label_nb AS concept_label, k.type AS concept_type, k.skill_group,
       count(DISTINCT d.ad_id)                                        AS ads_with_concept,
       any_value(w.ads)                                               AS ads_in_cell,
       count(DISTINCT d.ad_id) / any_value(w.ads)                     AS share,
       count(DISTINCT d.ad_id) FILTER (WHERE c.required) / count(DISTINCT d.ad_id) AS required_share
FROM _ad_dims d
JOIN _ad_concepts c USING (ad_id)
JOIN ads_weekly w USING (week_start, region_level, region_code, occupation_group)
LEFT JOIN concepts_store k ON k.concept_id = c.concept_id
GROUP BY ALL;

CREATE OR REPLACE TABLE skill_trends AS
WITH windows AS (SELECT unnest([4, 13, 52]) AS window_weeks),
totals AS (
    SELECT window_weeks, region_level, region_code, any_value(region_name) AS region_name,
           sum(ads) FILTER (WHERE week_start > getvariable('ref_week') - INTERVAL (7 * window_weeks) DAY
                              AND week_start <= getvariable('ref_week'))                         AS n_recent,
           sum(ads) FILTER (WHERE week_start > getvariable('ref_week') - INTERVAL (14 * window_weeks) DAY
                              AND week_start <= getvariable('ref_week') - INTERVAL (7 * window_weeks) DAY) AS n_base
    FROM ads_weekly, windows
    WHERE occupation_group = '*' AND region_level IN ('national', 'county')
    GROUP BY ALL
),
hits AS (
    SELECT window_weeks, region_level, region_code, concept_id,
           any_value(concept_label) AS concept_label, any_value(concept_type) AS concept_type,
           any_value(skill_group) AS skill_group,
           coalesce(sum(ads_with_concept) FILTER (WHERE week_start > getvariable('ref_week') - INTERVAL (7 * window_weeks) DAY
                              AND week_start <= getvariable('ref_week')), 0)                      AS x_recent,
           coalesce(sum(ads_with_concept) FILTER (WHERE week_start > getvariable('ref_week') - INTERVAL (14 * window_weeks) DAY
                              AND week_start <= getvariable('ref_week') - INTERVAL (7 * window_weeks) DAY), 0) AS x_base
    FROM skill_demand_weekly, windows
    WHERE occupation_group = '*' AND region_level IN ('national', 'county')
    GROUP BY ALL
),
shares AS (
    SELECT h.*, t.region_name, coalesce(t.n_recent, 0) AS n_recent, coalesce(t.n_base, 0) AS n_base,
           CASE WHEN t.n_recent > 0 THEN h.x_recent / t.n_recent END AS p_recent,
           CASE WHEN t.n_base > 0 THEN h.x_base / t.n_base END       AS p_base,
           getvariable('z') AS z
    FROM hits h JOIN totals t USING (window_weeks, region_level, region_code)
),
wilson AS (
    SELECT *,
        (p_recent + z*z/(2*n_recent)) / (1 + z*z/n_recent)
          - z * sqrt(p_recent*(1-p_recent)/n_recent + z*z/(4*n_recent*n_recent)) / (1 + z*z/n_recent) AS lo_recent,
        (p_recent + z*z/(2*n_recent)) / (1 + z*z/n_recent)
          + z * sqrt(p_recent*(1-p_recent)/n_recent + z*z/(4*n_recent*n_recent)) / (1 + z*z/n_recent) AS hi_recent,
        (p_base + z*z/(2*n_base)) / (1 + z*z/n_base)
          - z * sqrt(p_base*(1-p_base)/n_base + z*z/(4*n_base*n_base)) / (1 + z*z/n_base)             AS lo_base,
        (p_base + z*z/(2*n_base)) / (1 + z*z/n_base)
          + z * sqrt(p_base*(1-p_base)/n_base + z*z/(4*n_base*n_base)) / (1 + z*z/n_base)             AS hi_base,
        (x_recent + x_base) / nullif(n_recent + n_base, 0)                                          AS p_pooled
    FROM shares
)
SELECT window_weeks, getvariable('ref_week') AS ref_week_start, region_level, region_code, region_name,
       concept_id, concept_label, concept_type, skill_group,
       x_recent AS ads_recent, n_recent AS ads_total_recent, p_recent AS share_recent,
       x_base AS ads_base, n_base AS ads_total_base, p_base AS share_base,
       p_recent - p_base AS share_change,
       -- Newcombe's hybrid score interval for a difference of two proportions.
       p_recent - p_base - sqrt(pow(p_recent - lo_recent, 2) + pow(hi_base - p_base, 2)) AS change_ci_low,
       p_recent - p_base + sqrt(pow(hi_recent - p_recent, 2) + pow(p_base - lo_base, 2)) AS change_ci_high,
       (p_recent - p_base) / nullif(sqrt(p_pooled * (1 - p_pooled) * (1.0/n_recent + 1.0/n_base)), 0) AS z_score,
       (p_recent - p_base - sqrt(pow(p_recent - lo_recent, 2) + pow(hi_base - p_base, 2))) > 0
         AND x_recent >= getvariable('min_ads')                                                    AS emerging,
       (p_recent - p_base + sqrt(pow(hi_recent - p_recent, 2) + pow(p_base - lo_base, 2))) < 0
         AND x_base >= getvariable('min_ads')                                                      AS declining
FROM wilson
WHERE n_recent > 0;
