-- Trend tables with fixed schemas, refilled (not recreated) by warehouse/trends.sql so their column comments
-- survive every run; emerging_terms; and a comment on every analyst-facing column, from which
-- docs/data_dictionary.md is generated (python -m warehouse.dictionary).

CREATE OR REPLACE TABLE ads_weekly (
    week_start       DATE    NOT NULL,
    iso_week         VARCHAR NOT NULL,
    region_level     VARCHAR NOT NULL,
    region_code      VARCHAR NOT NULL,
    region_name      VARCHAR NOT NULL,
    occupation_group VARCHAR NOT NULL,
    occupation_label VARCHAR NOT NULL,
    ads              BIGINT  NOT NULL
);

CREATE OR REPLACE TABLE skill_demand_weekly (
    week_start       DATE    NOT NULL,
    iso_week         VARCHAR NOT NULL,
    region_level     VARCHAR NOT NULL,
    region_code      VARCHAR NOT NULL,
    region_name      VARCHAR NOT NULL,
    occupation_group VARCHAR NOT NULL,
    occupation_label VARCHAR NOT NULL,
    concept_id       VARCHAR NOT NULL,
    concept_label    VARCHAR,
    concept_type     VARCHAR,
    skill_group      VARCHAR,
    ads_with_concept BIGINT  NOT NULL,
    ads_required     BIGINT  NOT NULL,
    ads_in_cell      BIGINT  NOT NULL,
    share            DOUBLE  NOT NULL,
    required_share   DOUBLE  NOT NULL
);

CREATE OR REPLACE TABLE skill_trends (
    window_weeks     INTEGER NOT NULL,
    ref_week         VARCHAR NOT NULL,
    ref_week_start   DATE    NOT NULL,
    region_level     VARCHAR NOT NULL,
    region_code      VARCHAR NOT NULL,
    region_name      VARCHAR NOT NULL,
    occupation_group VARCHAR NOT NULL,
    occupation_label VARCHAR NOT NULL,
    concept_id       VARCHAR NOT NULL,
    concept_label    VARCHAR,
    concept_type     VARCHAR,
    skill_group      VARCHAR,
    ads_recent       BIGINT  NOT NULL,
    ads_total_recent BIGINT  NOT NULL,
    share_recent     DOUBLE  NOT NULL,
    ads_base         BIGINT  NOT NULL,
    ads_total_base   BIGINT  NOT NULL,
    share_base       DOUBLE,
    share_change     DOUBLE,
    change_ci_low    DOUBLE,
    change_ci_high   DOUBLE,
    z_score          DOUBLE,
    emerging         BOOLEAN NOT NULL,
    declining        BOOLEAN NOT NULL
);

CREATE OR REPLACE TABLE emerging_terms (
    window_weeks     INTEGER NOT NULL,
    ref_week         VARCHAR NOT NULL,
    ref_week_start   DATE    NOT NULL,
    region_level     VARCHAR NOT NULL,
    region_code      VARCHAR NOT NULL,
    region_name      VARCHAR NOT NULL,
    term             VARCHAR NOT NULL,
    example_text     VARCHAR NOT NULL,
    mention_type     VARCHAR,
    first_seen_week  VARCHAR NOT NULL,
    ads_recent       BIGINT  NOT NULL,
    ads_total_recent BIGINT  NOT NULL,
    share_recent     DOUBLE  NOT NULL,
    ads_base         BIGINT  NOT NULL,
    ads_total_base   BIGINT  NOT NULL,
    share_base       DOUBLE,
    share_change     DOUBLE,
    change_ci_low    DOUBLE,
    change_ci_high   DOUBLE,
    z_score          DOUBLE,
    is_new           BOOLEAN NOT NULL,
    rising           BOOLEAN NOT NULL
);

-- ads ------------------------------------------------------------------------------------------------------------
-- As in 001, but the ISO week is taken in Norwegian time (as the trend tables count weeks) whatever the session's
-- time zone, and the occupation group the trend tables use is a column.
CREATE OR REPLACE VIEW ads AS
SELECT s.ad_id, s.source, s.source_id, s.status,
       c.title, c.employer, c.published, s.first_seen, s.last_seen, s.stopped_at, c.language,
       c.municipality_code, c.municipality_name, c.county_code, c.county_name,
       c.municipality_code_2024, c.municipality_name_2024, c.county_code_2024, c.county_name_2024,
       c.styrk08, c.styrk08_label, coalesce(nullif(left(c.styrk08, 1), ''), '?') AS occupation_group,
       s.duplicate_of, s.versions,
       strftime(timezone('Europe/Oslo', c.published), '%G-W%V') AS iso_week
FROM ad_state s
LEFT JOIN ad_versions c ON c.entry_id = coalesce(s.content_entry_id, s.current_entry_id);

COMMENT ON VIEW ads IS 'One row per distinct job ad, with its current state and the content of its last active version.';
COMMENT ON COLUMN ads.ad_id IS 'Stable ad id, "<source>:<source id>" (e.g. nav:5e80d029-...); synthetic benchmark ads start with "synthetic:".';
COMMENT ON COLUMN ads.source IS 'Where the ad came from: nav (pam-stilling-feed), test, synthetic (benchmarks only) …';
COMMENT ON COLUMN ads.source_id IS 'The ad''s id in its source (the NAV ad uuid).';
COMMENT ON COLUMN ads.status IS 'ACTIVE while the ad is open, INACTIVE once the source stopped or expired it.';
COMMENT ON COLUMN ads.title IS 'Ad title as published.';
COMMENT ON COLUMN ads.employer IS 'Employer name as published.';
COMMENT ON COLUMN ads.published IS 'When the ad was first published (UTC); the week an ad counts in is this instant''s ISO week in Norwegian time.';
COMMENT ON COLUMN ads.first_seen IS 'Earliest publication or change time over all stored versions of the ad.';
COMMENT ON COLUMN ads.last_seen IS 'Latest change time over all stored versions (the last feed entry).';
COMMENT ON COLUMN ads.stopped_at IS 'When the ad became INACTIVE (NULL while active).';
COMMENT ON COLUMN ads.language IS 'Language of the ad text: nb (Bokmål), nn (Nynorsk), en, or other ISO 639-1 codes.';
COMMENT ON COLUMN ads.municipality_code IS 'Municipality number valid on the publication date (e.g. 3001 Halden in 2020–2023).';
COMMENT ON COLUMN ads.municipality_name IS 'Municipality name valid on the publication date.';
COMMENT ON COLUMN ads.county_code IS 'County number valid on the publication date (e.g. 30 Viken in 2020–2023).';
COMMENT ON COLUMN ads.county_name IS 'County name valid on the publication date.';
COMMENT ON COLUMN ads.municipality_code_2024 IS 'The municipality in 2024 borders (e.g. 3101 Halden); use this for time series across the 2020 and 2024 reforms.';
COMMENT ON COLUMN ads.municipality_name_2024 IS 'Municipality name in 2024 borders.';
COMMENT ON COLUMN ads.county_code_2024 IS 'County number in 2024 borders (31 Østfold, 32 Akershus, 33 Buskerud …); continuous across reforms.';
COMMENT ON COLUMN ads.county_name_2024 IS 'County name in 2024 borders.';
COMMENT ON COLUMN ads.styrk08 IS 'STYRK-08 occupation code (4 digits, or NAV''s 6-digit variant 7411.01); its first digit is the occupation group.';
COMMENT ON COLUMN ads.styrk08_label IS 'Name of the STYRK-08 occupation.';
COMMENT ON COLUMN ads.occupation_group IS 'First digit of styrk08 (the STYRK-08 major group, see occupation_groups); ? when the ad has no occupation code.';
COMMENT ON COLUMN ads.duplicate_of IS 'ad_id of the ad this one duplicates (NULL when it is an original); trend tables count originals only.';
COMMENT ON COLUMN ads.versions IS 'How many versions (feed entries) of the ad are stored.';
COMMENT ON COLUMN ads.iso_week IS 'ISO week of publication in Norwegian time, e.g. 2026-W48 (the week the trend tables count the ad in).';

-- mentions -------------------------------------------------------------------------------------------------------
COMMENT ON VIEW mentions IS 'Competence mentions found in ads: one row per span, linked to a concept where the lexicon knows it.';
COMMENT ON COLUMN mentions.ad_id IS 'The ad the mention is in (join to ads.ad_id).';
COMMENT ON COLUMN mentions.entry_id IS 'The ad version (feed entry) whose text was read; start/end index into that text.';
COMMENT ON COLUMN mentions.start IS 'Start offset of the span in the ad text (Python str index, inclusive).';
COMMENT ON COLUMN mentions."end" IS 'End offset of the span in the ad text (exclusive).';
COMMENT ON COLUMN mentions.text IS 'The span as written in the ad.';
COMMENT ON COLUMN mentions.type IS 'SKILL, SOFT (personal quality), QUALIFICATION (education, certificate, licence) or LANGUAGE.';
COMMENT ON COLUMN mentions.requirement IS 'REQUIRED, PREFERRED or UNSPECIFIED, from the ad section and sentence the mention stands in.';
COMMENT ON COLUMN mentions.concept_id IS 'Linked taxonomy concept (join to concepts.concept_id); NULL for an unmapped phrase (method unmapped).';
COMMENT ON COLUMN mentions.concept_label IS 'Norwegian label of the linked concept at extraction time.';
COMMENT ON COLUMN mentions.score IS 'Confidence of the link, 0–1 (exact lexicon match 1.0; fuzzier methods lower).';
COMMENT ON COLUMN mentions.method IS 'How the mention was found and linked (e.g. exact, lemma, unmapped).';
COMMENT ON COLUMN mentions.extractor_version IS 'Version of the extractor (code and models) that produced the mention.';
COMMENT ON COLUMN mentions.taxonomy_version IS 'Version of the lexicon / taxonomy the concept was linked with.';
COMMENT ON COLUMN mentions.run_id IS 'The run that extracted the mention (join to runs.run_id).';

-- concepts -------------------------------------------------------------------------------------------------------
COMMENT ON VIEW concepts IS 'The competence taxonomy mentions link to: the team''s Norwegian lexicon, ESCO-aligned where possible.';
COMMENT ON COLUMN concepts.concept_id IS 'Concept id: an ESCO skill URI id or a project concept (radar:...).';
COMMENT ON COLUMN concepts.label_nb IS 'Norwegian (Bokmål) label.';
COMMENT ON COLUMN concepts.label_en IS 'English label.';
COMMENT ON COLUMN concepts.type IS 'SKILL, SOFT, QUALIFICATION or LANGUAGE.';
COMMENT ON COLUMN concepts.esco_uri IS 'ESCO URI of the concept or its closest ESCO skill (NULL when ESCO has none).';
COMMENT ON COLUMN concepts.skill_group IS 'The concept''s group (e.g. digital, helse, bygg), for grouping concepts in tables and charts.';
COMMENT ON COLUMN concepts.taxonomy_version IS 'Version of the lexicon the row comes from.';

-- runs -----------------------------------------------------------------------------------------------------------
COMMENT ON TABLE runs IS 'Every run of a flow, with its versions, counts, durations and errors: the provenance of every figure.';
COMMENT ON COLUMN runs.run_id IS 'Run id (the Prefect flow-run id, so a row links to the Prefect UI).';
COMMENT ON COLUMN runs.flow IS 'Which flow ran (weekly, …).';
COMMENT ON COLUMN runs.started_at IS 'When the run started (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'When the run finished (NULL while running or if it was killed).';
COMMENT ON COLUMN runs.status IS 'RUNNING, COMPLETED or FAILED.';
COMMENT ON COLUMN runs.week IS 'ISO week the run reported on (the trend tables'' reference week).';
COMMENT ON COLUMN runs.source IS 'The feed the run read (source and feed URL).';
COMMENT ON COLUMN runs.extractor_version IS 'Extractor version used for the mentions this run wrote.';
COMMENT ON COLUMN runs.taxonomy_version IS 'Lexicon / taxonomy version used.';
COMMENT ON COLUMN runs.counts IS 'JSON: rows read, written, quarantined per stage, and table sizes after the run.';
COMMENT ON COLUMN runs.durations IS 'JSON: seconds per stage.';
COMMENT ON COLUMN runs.errors IS 'JSON list of errors (NULL when none).';

-- occupation_groups ----------------------------------------------------------------------------------------------
COMMENT ON TABLE occupation_groups IS 'STYRK-08 major groups (first digit of the occupation code).';
COMMENT ON COLUMN occupation_groups.code IS 'First digit of STYRK-08.';
COMMENT ON COLUMN occupation_groups.label IS 'Norwegian name of the major group.';

-- ads_weekly -----------------------------------------------------------------------------------------------------
COMMENT ON TABLE ads_weekly IS 'Distinct original ads (duplicates excluded) per ISO week, region and occupation group: the denominators of every share.';
COMMENT ON COLUMN ads_weekly.week_start IS 'Monday the ISO week starts (Norwegian time).';
COMMENT ON COLUMN ads_weekly.iso_week IS 'ISO week label, e.g. 2026-W48.';
COMMENT ON COLUMN ads_weekly.region_level IS 'national, county or municipality (all in 2024 borders).';
COMMENT ON COLUMN ads_weekly.region_code IS 'NO for the nation, else the 2024 county or municipality number (?? = county unknown).';
COMMENT ON COLUMN ads_weekly.region_name IS 'Hele landet, or the 2024 county or municipality name.';
COMMENT ON COLUMN ads_weekly.occupation_group IS 'First STYRK-08 digit, * for all occupations, ? for ads without an occupation code (municipality level: * only).';
COMMENT ON COLUMN ads_weekly.occupation_label IS 'Name of the occupation group (Alle yrker for *, Ukjent yrke for ?).';
COMMENT ON COLUMN ads_weekly.ads IS 'Distinct original ads published in the cell.';

-- skill_demand_weekly --------------------------------------------------------------------------------------------
COMMENT ON TABLE skill_demand_weekly IS 'Demand for each concept per ISO week × region (nation, county, municipality; 2024 borders) × occupation group: one row per cell with at least one ad asking for the concept.';
COMMENT ON COLUMN skill_demand_weekly.week_start IS 'Monday the ISO week starts (Norwegian time).';
COMMENT ON COLUMN skill_demand_weekly.iso_week IS 'ISO week label, e.g. 2026-W48.';
COMMENT ON COLUMN skill_demand_weekly.region_level IS 'national, county or municipality (2024 borders).';
COMMENT ON COLUMN skill_demand_weekly.region_code IS 'NO, or the 2024 county or municipality number.';
COMMENT ON COLUMN skill_demand_weekly.region_name IS 'Hele landet, or the 2024 county or municipality name.';
COMMENT ON COLUMN skill_demand_weekly.occupation_group IS 'First STYRK-08 digit, * for all occupations, ? for unknown (municipality level: * only).';
COMMENT ON COLUMN skill_demand_weekly.occupation_label IS 'Name of the occupation group.';
COMMENT ON COLUMN skill_demand_weekly.concept_id IS 'The concept asked for (join to concepts).';
COMMENT ON COLUMN skill_demand_weekly.concept_label IS 'Norwegian label of the concept (English, or the id, where the taxonomy has no Norwegian one).';
COMMENT ON COLUMN skill_demand_weekly.concept_type IS 'SKILL, SOFT, QUALIFICATION or LANGUAGE.';
COMMENT ON COLUMN skill_demand_weekly.skill_group IS 'The concept''s group.';
COMMENT ON COLUMN skill_demand_weekly.ads_with_concept IS 'Distinct original ads in the cell that mention the concept (an ad mentioning it twice counts once).';
COMMENT ON COLUMN skill_demand_weekly.ads_required IS 'Of those, ads where at least one mention of the concept is REQUIRED.';
COMMENT ON COLUMN skill_demand_weekly.ads_in_cell IS 'All distinct original ads in the cell (week × region × occupation group), with or without the concept.';
COMMENT ON COLUMN skill_demand_weekly.share IS 'ads_with_concept / ads_in_cell. Sum counts, never average shares, when combining cells.';
COMMENT ON COLUMN skill_demand_weekly.required_share IS 'ads_required / ads_with_concept: how often the concept is a requirement when it is asked for.';

-- skill_trends ---------------------------------------------------------------------------------------------------
COMMENT ON TABLE skill_trends IS 'Change in each concept''s share of ads: the last N weeks up to the reference week against the N weeks before, with a 95 % interval, per nation / county (2024 borders) × occupation group.';
COMMENT ON COLUMN skill_trends.window_weeks IS 'N: 4, 13 or 52 weeks.';
COMMENT ON COLUMN skill_trends.ref_week IS 'Reference ISO week (the last week of the recent window), e.g. 2026-W48.';
COMMENT ON COLUMN skill_trends.ref_week_start IS 'Monday of the reference week.';
COMMENT ON COLUMN skill_trends.region_level IS 'national or county (2024 borders).';
COMMENT ON COLUMN skill_trends.region_code IS 'NO, or the 2024 county number.';
COMMENT ON COLUMN skill_trends.region_name IS 'Hele landet, or the 2024 county name.';
COMMENT ON COLUMN skill_trends.occupation_group IS 'First STYRK-08 digit, * for all occupations, ? for unknown.';
COMMENT ON COLUMN skill_trends.occupation_label IS 'Name of the occupation group.';
COMMENT ON COLUMN skill_trends.concept_id IS 'The concept (join to concepts).';
COMMENT ON COLUMN skill_trends.concept_label IS 'Norwegian label of the concept (English, or the id, where the taxonomy has no Norwegian one).';
COMMENT ON COLUMN skill_trends.concept_type IS 'SKILL, SOFT, QUALIFICATION or LANGUAGE.';
COMMENT ON COLUMN skill_trends.skill_group IS 'The concept''s group.';
COMMENT ON COLUMN skill_trends.ads_recent IS 'Distinct ads mentioning the concept in the recent window (the N weeks ending with the reference week).';
COMMENT ON COLUMN skill_trends.ads_total_recent IS 'All distinct ads in the region and occupation group in the recent window.';
COMMENT ON COLUMN skill_trends.share_recent IS 'ads_recent / ads_total_recent.';
COMMENT ON COLUMN skill_trends.ads_base IS 'Distinct ads mentioning the concept in the base window (the N weeks before the recent window).';
COMMENT ON COLUMN skill_trends.ads_total_base IS 'All distinct ads in the region and occupation group in the base window.';
COMMENT ON COLUMN skill_trends.share_base IS 'ads_base / ads_total_base (NULL when the base window has no ads).';
COMMENT ON COLUMN skill_trends.share_change IS 'share_recent − share_base, in share points (0.05 = 5 percentage points).';
COMMENT ON COLUMN skill_trends.change_ci_low IS 'Lower bound of the 95 % interval of share_change (Newcombe''s hybrid score interval from Wilson intervals).';
COMMENT ON COLUMN skill_trends.change_ci_high IS 'Upper bound of the 95 % interval of share_change.';
COMMENT ON COLUMN skill_trends.z_score IS 'Significance score: two-proportion z statistic with pooled variance (|z| > 1.96 ≈ p < 0.05, two-sided; not corrected for the many concepts tested).';
COMMENT ON COLUMN skill_trends.emerging IS 'True when the whole interval is above 0 and ads_recent reaches the minimum ads (RADAR_MIN_CELL_ADS, default 5).';
COMMENT ON COLUMN skill_trends.declining IS 'True when the whole interval is below 0 and ads_base reaches the minimum ads.';

-- emerging_terms -------------------------------------------------------------------------------------------------
COMMENT ON TABLE emerging_terms IS 'Phrases the extractor found but could not link to a concept (mentions with method unmapped), and how their use changes: candidates for the lexicon. Terms in fewer than 2 ads of the recent window are left out.';
COMMENT ON COLUMN emerging_terms.window_weeks IS 'N: 4, 13 or 52 weeks.';
COMMENT ON COLUMN emerging_terms.ref_week IS 'Reference ISO week (the last week of the recent window).';
COMMENT ON COLUMN emerging_terms.ref_week_start IS 'Monday of the reference week.';
COMMENT ON COLUMN emerging_terms.region_level IS 'national or county (2024 borders).';
COMMENT ON COLUMN emerging_terms.region_code IS 'NO, or the 2024 county number.';
COMMENT ON COLUMN emerging_terms.region_name IS 'Hele landet, or the 2024 county name.';
COMMENT ON COLUMN emerging_terms.term IS 'The phrase, lower-cased with spaces collapsed (how spellings are grouped).';
COMMENT ON COLUMN emerging_terms.example_text IS 'The commonest spelling of the phrase as written in ads.';
COMMENT ON COLUMN emerging_terms.mention_type IS 'The commonest mention type the extractor gave the phrase.';
COMMENT ON COLUMN emerging_terms.first_seen_week IS 'ISO week of the first ad in the region that used the phrase.';
COMMENT ON COLUMN emerging_terms.ads_recent IS 'Distinct ads using the phrase in the recent window.';
COMMENT ON COLUMN emerging_terms.ads_total_recent IS 'All distinct ads in the region in the recent window.';
COMMENT ON COLUMN emerging_terms.share_recent IS 'ads_recent / ads_total_recent.';
COMMENT ON COLUMN emerging_terms.ads_base IS 'Distinct ads using the phrase in the base window (the N weeks before).';
COMMENT ON COLUMN emerging_terms.ads_total_base IS 'All distinct ads in the region in the base window.';
COMMENT ON COLUMN emerging_terms.share_base IS 'ads_base / ads_total_base (NULL when the base window has no ads).';
COMMENT ON COLUMN emerging_terms.share_change IS 'share_recent − share_base.';
COMMENT ON COLUMN emerging_terms.change_ci_low IS 'Lower bound of the 95 % interval of share_change (Newcombe hybrid score).';
COMMENT ON COLUMN emerging_terms.change_ci_high IS 'Upper bound of the 95 % interval of share_change.';
COMMENT ON COLUMN emerging_terms.z_score IS 'Two-proportion z statistic with pooled variance.';
COMMENT ON COLUMN emerging_terms.is_new IS 'True when no ad in the region used the phrase before the recent window.';
COMMENT ON COLUMN emerging_terms.rising IS 'True when the whole interval is above 0 and ads_recent reaches the minimum ads.';
