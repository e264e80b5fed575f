-- Knowledge base (issue 23): articles in Chinese and English, every save a new version, a full-text index over both
-- languages (FTS5 with the trigram tokenizer, so a Chinese query of three or more characters matches inside a word),
-- and the usage of each article (opened from which alarm or ticket, marked helpful or not).
CREATE TABLE kb_articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT UNIQUE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    title_zh TEXT NOT NULL,
    title_en TEXT NOT NULL,
    body_zh TEXT NOT NULL,
    body_en TEXT NOT NULL,
    tags TEXT NOT NULL,
    rules TEXT NOT NULL,
    models TEXT NOT NULL,
    categories TEXT NOT NULL,
    source_ticket INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

-- one row per (article, tag|rule|model|category, value): the filters and the suggestions look up here
CREATE TABLE kb_links (
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (article_id, kind, value)
);
CREATE INDEX kb_links_by_value ON kb_links (kind, value);

-- every save: who, when, which fields changed, and the article as it was saved (JSON)
CREATE TABLE kb_versions (
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    version INTEGER NOT NULL,
    at INTEGER NOT NULL,
    by TEXT NOT NULL,
    changes TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);

CREATE TABLE kb_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id),
    at INTEGER NOT NULL,
    by TEXT NOT NULL,
    from_kind TEXT NOT NULL,
    from_id INTEGER NOT NULL,
    helpful INTEGER
);
CREATE INDEX kb_usage_by_at ON kb_usage (at);

-- the articles' text, rowid = kb_articles.id; trigram: substrings of 3+ characters, case-insensitive
CREATE VIRTUAL TABLE kb_fts USING fts5(title_zh, title_en, body_zh, body_en, tags, tokenize = 'trigram');
