-- Sign-in, API tokens and the audit log (issue #9). Times are Unix milliseconds (UTC).
CREATE TABLE users (
    name          TEXT PRIMARY KEY COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    team          TEXT,
    password_hash TEXT NOT NULL,
    must_change   INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    failed_count  INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    last_sign_in  INTEGER,
    stamp         TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

-- the secret itself is never stored: only its SHA-256 and the first characters to recognise it by
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    user    TEXT NOT NULL,
    role    TEXT,
    address TEXT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT,
    outcome TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_user ON audit_log (user, at);

-- the configuration files as last seen at start-up: a changed, added or removed file is written to the audit log
CREATE TABLE config_files (
    path    TEXT PRIMARY KEY,
    sha256  TEXT NOT NULL,
    seen_at INTEGER NOT NULL
);
