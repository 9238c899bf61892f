-- ad_concepts: the distinct (ad, concept) pairs the trend tables count, with each ad's week and region, so an
-- analyst can go from a trend figure to the ads behind it without scanning every mention. Refilled with the trend
-- tables by warehouse/trends.sql, in week order (DuckDB's zone maps then skip all but the weeks a query asks for).

CREATE OR REPLACE TABLE ad_concepts (
    week_start        DATE    NOT NULL,
    iso_week          VARCHAR NOT NULL,
    ad_id             VARCHAR NOT NULL,
    concept_id        VARCHAR NOT NULL,
    concept_label     VARCHAR,
    required          BOOLEAN NOT NULL,
    mentions          INTEGER NOT NULL,
    county_code       VARCHAR NOT NULL,
    county_name       VARCHAR NOT NULL,
    municipality_code VARCHAR,
    occupation_group  VARCHAR NOT NULL
);

COMMENT ON TABLE ad_concepts IS 'One row per original ad and concept it asks for (duplicates excluded), with the ad''s week and region in 2024 borders: exactly the pairs skill_demand_weekly counts; join to ads for titles and employers.';
COMMENT ON COLUMN ad_concepts.week_start IS 'Monday of the ISO week the ad was published in (Norwegian time).';
COMMENT ON COLUMN ad_concepts.iso_week IS 'ISO week label, e.g. 2026-W48.';
COMMENT ON COLUMN ad_concepts.ad_id IS 'The ad (join to ads.ad_id).';
COMMENT ON COLUMN ad_concepts.concept_id IS 'The concept the ad asks for (join to concepts).';
COMMENT ON COLUMN ad_concepts.concept_label IS 'Norwegian label of the concept (English, or the id, where the taxonomy has no Norwegian one).';
COMMENT ON COLUMN ad_concepts.required IS 'True when at least one mention of the concept in the ad is REQUIRED.';
COMMENT ON COLUMN ad_concepts.mentions IS 'How many mentions of the concept the ad has.';
COMMENT ON COLUMN ad_concepts.county_code IS 'County number in 2024 borders (?? when unknown).';
COMMENT ON COLUMN ad_concepts.county_name IS 'County name in 2024 borders.';
COMMENT ON COLUMN ad_concepts.municipality_code IS 'Municipality number in 2024 borders (NULL when unknown).';
COMMENT ON COLUMN ad_concepts.occupation_group IS 'First STYRK-08 digit of the ad, ? when it has no occupation code.';
