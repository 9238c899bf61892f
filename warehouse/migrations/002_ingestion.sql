-- Ingestion bookkeeping: conditional GET per page URL, robots.txt per host, near-duplicate sketches and links.

-- Validators of every fetched web page, so the next fetch is conditional (ETag / Last-Modified → 304).
CREATE TABLE http_cache (
    url           VARCHAR PRIMARY KEY,   -- canonical URL as requested
    host          VARCHAR NOT NULL,      -- scheme://host[:port], for the per-host rate limit
    status        INTEGER NOT NULL,      -- last answer: 200, 304, 404, 410, ...
    etag          VARCHAR,
    last_modified VARCHAR,
    ad_id         VARCHAR,               -- the ad the page held (NULL: no job ad on it)
    content_hash  VARCHAR,
    fetched_at    TIMESTAMPTZ,           -- last full (200) fetch
    checked_at    TIMESTAMPTZ NOT NULL   -- last request of any outcome
);

-- robots.txt per host, re-read after a day (RFC 9309 allows caching up to 24 hours).
CREATE TABLE robots_cache (
    host       VARCHAR PRIMARY KEY,
    status     INTEGER NOT NULL,         -- 200, 4xx (allow all), 5xx/0 (disallow all)
    body       VARCHAR,
    fetched_at TIMESTAMPTZ NOT NULL
);

-- MinHash signature of each ad's content version, so only new text is hashed.
CREATE TABLE ad_minhash (
    entry_id  VARCHAR PRIMARY KEY,
    ad_id     VARCHAR NOT NULL,
    sketch    VARCHAR NOT NULL,          -- how it was made: scheme/num_perm/seed/shingle words
    shingles  INTEGER NOT NULL,
    signature BLOB
);

-- The evidence behind ad_state.duplicate_of: which original each near-duplicate was linked to, and why.
CREATE TABLE ad_duplicates (
    ad_id         VARCHAR PRIMARY KEY,
    duplicate_of  VARCHAR NOT NULL,
    text_jaccard  DOUBLE NOT NULL,
    title_jaccard DOUBLE,
    linked_at     TIMESTAMPTZ NOT NULL
);
