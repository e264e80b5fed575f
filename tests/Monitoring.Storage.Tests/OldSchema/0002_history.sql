-- Embedded history: series identity by a stable key, raw samples and 1-minute / 1-hour rollups keyed (series, time).
CREATE TABLE history_series (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    device_id TEXT,
    metric TEXT NOT NULL,
    port INTEGER NOT NULL
);

CREATE TABLE history_raw (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;

CREATE TABLE history_1m (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    sum REAL NOT NULL,
    count INTEGER NOT NULL,
    last REAL NOT NULL,
    last_ts INTEGER NOT NULL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;

CREATE TABLE history_1h (
    series INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    sum REAL NOT NULL,
    count INTEGER NOT NULL,
    last REAL NOT NULL,
    last_ts INTEGER NOT NULL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;
