-- concept_phrasings_weekly: how the ads word each concept (spelling as written × requirement level) per week, with
-- mentions and distinct ads, so "how is X asked for lately" reads a few thousand rows instead of every mention.
-- Refilled with the trend tables by warehouse/trends.sql (ordered by concept, then week: zone maps skip the rest).

CREATE TABLE concept_phrasings_weekly (
    week_start    DATE    NOT NULL,
    iso_week      VARCHAR NOT NULL,
    concept_id    VARCHAR NOT NULL,
    concept_label VARCHAR,
    text          VARCHAR NOT NULL,
    requirement   VARCHAR NOT NULL,
    mentions      BIGINT  NOT NULL,
    ads           BIGINT  NOT NULL
);

COMMENT ON TABLE concept_phrasings_weekly IS 'How original ads (duplicates excluded) word each concept, per ISO week: one row per spelling and requirement level with its mentions and ads, nationally; the same mentions ad_concepts and skill_demand_weekly count.';
COMMENT ON COLUMN concept_phrasings_weekly.week_start IS 'Monday of the ISO week the ads were published in (Norwegian time).';
COMMENT ON COLUMN concept_phrasings_weekly.iso_week IS 'ISO week label, e.g. 2026-W48.';
COMMENT ON COLUMN concept_phrasings_weekly.concept_id IS 'The concept the mentions are linked to (join to concepts).';
COMMENT ON COLUMN concept_phrasings_weekly.concept_label IS 'Norwegian label of the concept (English, or the id, where the taxonomy has no Norwegian one).';
COMMENT ON COLUMN concept_phrasings_weekly.text IS 'The span as written in the ads (mentions.text): each spelling, inflection and case variant is its own row.';
COMMENT ON COLUMN concept_phrasings_weekly.requirement IS 'REQUIRED, PREFERRED or UNSPECIFIED (mentions.requirement).';
COMMENT ON COLUMN concept_phrasings_weekly.mentions IS 'Mentions with this spelling and requirement level in the week''s ads.';
COMMENT ON COLUMN concept_phrasings_weekly.ads IS 'Distinct ads with at least one such mention; an ad falls in one week, so sums over weeks are distinct ads, but one ad can count under several spellings.';
