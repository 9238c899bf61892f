-- Where each ad version's STYRK-08 code came from: the ad's own source (NAV's feed, the page's JSON-LD, the file) or
-- the occupation classifier (models/occupation.py), with the classifier's probability and the model version that
-- decided, so predicted codes can be told from NAV's own and re-checked when the model changes. An abstention is
-- stored as a NULL code with the score and the version (the model looked and was unsure).

ALTER TABLE ad_versions ADD COLUMN styrk08_source VARCHAR;
ALTER TABLE ad_versions ADD COLUMN styrk08_score DOUBLE;
ALTER TABLE ad_versions ADD COLUMN occupation_model_version VARCHAR;

-- Every code stored before this migration came with its ad (the classifier was not wired in yet).
UPDATE ad_versions SET styrk08_source = 'feed' WHERE styrk08 IS NOT NULL AND styrk08 <> '';

COMMENT ON COLUMN ad_versions.styrk08_source IS 'Where styrk08 came from: feed (given by the ad''s source: NAV''s feed, the page''s JSON-LD, the file) or classifier (predicted by the occupation model; styrk08 is NULL when it abstained); NULL when the ad has no code and was never classified.';
COMMENT ON COLUMN ad_versions.styrk08_score IS 'The occupation classifier''s probability for its top code (0–1), also when it abstained; NULL for codes from the feed.';
COMMENT ON COLUMN ad_versions.occupation_model_version IS 'Version of the occupation classifier that classified this ad version (e.g. occupation-v1-16f96e09bc, see models/artefacts/occupation/<version>/MODEL_CARD.md); NULL for codes from the feed.';

-- ads: as in 004, plus the three columns. CREATE OR REPLACE drops the view's comments, so all are set again.
CREATE OR REPLACE VIEW ads AS
SELECT s.ad_id, s.source, s.source_id, s.status,
       c.title, c.employer, c.published, s.first_seen, s.last_seen, s.stopped_at, c.language,
       c.municipality_code, c.municipality_name, c.county_code, c.county_name,
       c.municipality_code_2024, c.municipality_name_2024, c.county_code_2024, c.county_name_2024,
       c.styrk08, c.styrk08_label, coalesce(nullif(left(c.styrk08, 1), ''), '?') AS occupation_group,
       s.duplicate_of, s.versions,
       strftime(timezone('Europe/Oslo', c.published), '%G-W%V') AS iso_week,
       c.styrk08_source, c.styrk08_score, c.occupation_model_version
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
COMMENT ON COLUMN ads.styrk08 IS 'STYRK-08 occupation code (4 digits, or NAV''s 6-digit variant 7411.01); its first digit is the occupation group. Given by the ad''s source or predicted by the occupation classifier: see styrk08_source.';
COMMENT ON COLUMN ads.styrk08_label IS 'Name of the STYRK-08 occupation.';
COMMENT ON COLUMN ads.occupation_group IS 'First digit of styrk08 (the STYRK-08 major group, see occupation_groups); ? when the ad has no occupation code.';
COMMENT ON COLUMN ads.duplicate_of IS 'ad_id of the ad this one duplicates (NULL when it is an original); trend tables count originals only.';
COMMENT ON COLUMN ads.versions IS 'How many versions (feed entries) of the ad are stored.';
COMMENT ON COLUMN ads.iso_week IS 'ISO week of publication in Norwegian time, e.g. 2026-W48 (the week the trend tables count the ad in).';
COMMENT ON COLUMN ads.styrk08_source IS 'Where styrk08 came from: feed (given by the ad''s source: NAV''s feed, the page''s JSON-LD, the file) or classifier (predicted by the occupation model; styrk08 is NULL when it abstained); NULL when the ad has no code and was never classified.';
COMMENT ON COLUMN ads.styrk08_score IS 'The occupation classifier''s probability for its top code (0–1), also when it abstained; NULL for codes from the feed.';
COMMENT ON COLUMN ads.occupation_model_version IS 'Version of the occupation classifier that classified the ad (e.g. occupation-v1-16f96e09bc, see models/artefacts/occupation/<version>/MODEL_CARD.md); NULL for codes from the feed.';
