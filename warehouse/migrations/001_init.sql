-- Core tables: runs, the feed cursor, every ad version, current ad state, mentions, concepts, quarantine.

CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,
    flow              VARCHAR NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL,
    week              VARCHAR,
    source            VARCHAR,
    extractor_version VARCHAR,
    taxonomy_version  VARCHAR,
    counts            JSON,
    durations         JSON,
    errors            JSON
);

CREATE TABLE feed_cursor (
    source        VARCHAR PRIMARY KEY,
    page_id       VARCHAR,
    etag          VARCHAR,
    last_modified VARCHAR,
    updated_at    TIMESTAMPTZ
);

CREATE TABLE ad_versions (
    entry_id               VARCHAR PRIMARY KEY,
    ad_id                  VARCHAR NOT NULL,
    source                 VARCHAR NOT NULL,
    source_id              VARCHAR NOT NULL,
    status                 VARCHAR NOT NULL,
    modified               TIMESTAMPTZ,
    published              TIMESTAMPTZ,
    expires                TIMESTAMPTZ,
    title                  VARCHAR,
    employer               VARCHAR,
    employer_orgnr         VARCHAR,
    jobtitle               VARCHAR,
    text                   VARCHAR,
    language               VARCHAR,
    municipality_code      VARCHAR,
    municipality_name      VARCHAR,
    county_code            VARCHAR,
    county_name            VARCHAR,
    municipality_code_2024 VARCHAR,
    municipality_name_2024 VARCHAR,
    county_code_2024       VARCHAR,
    county_name_2024       VARCHAR,
    styrk08                VARCHAR,
    styrk08_label          VARCHAR,
    content_hash           VARCHAR,
    ingested_at            TIMESTAMPTZ,
    run_id                 VARCHAR
);

-- Every fetched feed entry as received, minus contact persons (kept for reprocessing).
CREATE TABLE raw_entries (
    entry_id   VARCHAR PRIMARY KEY,
    source     VARCHAR NOT NULL,
    ad_uuid    VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,
    modified   VARCHAR,
    payload    JSON,
    fetched_at TIMESTAMPTZ NOT NULL,
    run_id     VARCHAR
);

-- Which ad version was extracted by which extractor (also when it yielded no mention).
CREATE TABLE extractions (
    ad_id             VARCHAR PRIMARY KEY,
    entry_id          VARCHAR NOT NULL,
    extractor_version VARCHAR NOT NULL,
    mentions          INTEGER NOT NULL,
    run_id            VARCHAR,
    extracted_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE ad_state (
    ad_id                VARCHAR PRIMARY KEY,
    source               VARCHAR NOT NULL,
    source_id            VARCHAR NOT NULL,
    status               VARCHAR NOT NULL,
    current_entry_id     VARCHAR NOT NULL,
    content_entry_id     VARCHAR,
    first_seen           TIMESTAMPTZ,
    last_seen            TIMESTAMPTZ,
    stopped_at           TIMESTAMPTZ,
    versions             INTEGER,
    duplicate_of         VARCHAR
);

CREATE TABLE mentions_store (
    ad_id             VARCHAR NOT NULL,
    entry_id          VARCHAR NOT NULL,
    start             INTEGER NOT NULL,
    "end"             INTEGER NOT NULL,
    text              VARCHAR NOT NULL,
    type              VARCHAR NOT NULL,
    requirement       VARCHAR NOT NULL,
    concept_id        VARCHAR,
    concept_label     VARCHAR,
    score             DOUBLE,
    method            VARCHAR,
    extractor_version VARCHAR,
    taxonomy_version  VARCHAR,
    run_id            VARCHAR,
    PRIMARY KEY (ad_id, start, "end")
);

CREATE TABLE concepts_store (
    concept_id       VARCHAR PRIMARY KEY,
    label_nb         VARCHAR,
    label_en         VARCHAR,
    type             VARCHAR,
    esco_uri         VARCHAR,
    skill_group      VARCHAR,
    taxonomy_version VARCHAR
);

CREATE TABLE quarantine (
    source     VARCHAR NOT NULL,
    ref        VARCHAR NOT NULL,
    error      VARCHAR NOT NULL,
    payload    VARCHAR,
    run_id         VARCHAR,
    quarantined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, ref)
);

CREATE TABLE occupation_groups (
    code  VARCHAR PRIMARY KEY,
    label VARCHAR NOT NULL
);

INSERT INTO occupation_groups VALUES
    ('0', 'Militære yrker'),
    ('1', 'Ledere'),
    ('2', 'Akademiske yrker'),
    ('3', 'Høyskoleyrker'),
    ('4', 'Kontoryrker'),
    ('5', 'Salgs- og serviceyrker'),
    ('6', 'Bønder, fiskere mv.'),
    ('7', 'Håndverkere'),
    ('8', 'Operatører, sjåfører mv.'),
    ('9', 'Yrker uten krav til utdanning');

-- Analyst-facing views over the stores.
CREATE VIEW ads AS
SELECT s.ad_id, s.source, s.source_id, s.status,
       c.title, c.employer, c.published, s.first_seen, s.last_seen, s.stopped_at, c.language,
       c.municipality_code, c.municipality_name, c.county_code, c.county_name,
       c.municipality_code_2024, c.municipality_name_2024, c.county_code_2024, c.county_name_2024,
       c.styrk08, c.styrk08_label, s.duplicate_of, s.versions,
       strftime(c.published, '%G-W%V') AS iso_week
FROM ad_state s
LEFT JOIN ad_versions c ON c.entry_id = coalesce(s.content_entry_id, s.current_entry_id);

CREATE VIEW mentions AS SELECT * FROM mentions_store;

CREATE VIEW concepts AS
SELECT concept_id, label_nb, label_en, type, esco_uri, skill_group, taxonomy_version FROM concepts_store;
