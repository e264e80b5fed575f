-- Incident tickets. One narrow row per ticket with its timeline flattened into columns (unix milliseconds) for lists
-- and reports, and the whole ticket as JSON in ticket_docs for its detail (kept apart so list and report scans stay
-- small). Steps, audit, links and callbacks are kept in their own tables as well, written in the same transaction.
CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    category        TEXT NOT NULL,
    priority        INTEGER NOT NULL,
    customer_class  TEXT NOT NULL,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL,
    is_open         INTEGER NOT NULL,
    title           TEXT NOT NULL,
    area_id         TEXT,
    team_id         TEXT,
    holder          TEXT,
    device_id       TEXT,
    port            INTEGER,
    room_id         TEXT,
    rack_id         TEXT,
    device_type     TEXT,
    tiers           INTEGER NOT NULL,
    other_building  INTEGER NOT NULL,
    a_at INTEGER NOT NULL, b_at INTEGER, c_at INTEGER, d_at INTEGER, e_at INTEGER, f_at INTEGER, g_at INTEGER, h_at INTEGER,
    resolved_at     INTEGER,
    called_back_at  INTEGER,
    closed_at       INTEGER,
    due_at          INTEGER,
    missed          INTEGER NOT NULL,
    escalation      INTEGER NOT NULL,
    satisfied       INTEGER,
    intercepted     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE ticket_docs (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
    doc         TEXT NOT NULL
);

CREATE INDEX tickets_reported ON tickets(a_at);
CREATE INDEX tickets_status ON tickets(status, a_at);
CREATE INDEX tickets_open ON tickets(is_open, due_at);
CREATE INDEX tickets_category ON tickets(category, a_at);
CREATE INDEX tickets_area ON tickets(area_id, a_at);
CREATE INDEX tickets_team ON tickets(team_id, a_at);
CREATE INDEX tickets_device ON tickets(device_id, a_at);
CREATE INDEX tickets_holder ON tickets(holder) WHERE is_open = 1;

CREATE TABLE ticket_steps (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    seq         INTEGER NOT NULL,
    step        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    by          TEXT NOT NULL,
    note        TEXT,
    PRIMARY KEY (ticket_id, seq)
) WITHOUT ROWID;

CREATE TABLE ticket_audit (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    by          TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT,
    PRIMARY KEY (ticket_id, seq)
) WITHOUT ROWID;

CREATE TABLE ticket_links (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL,
    target      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    by          TEXT NOT NULL,
    PRIMARY KEY (ticket_id, kind, target)
) WITHOUT ROWID;

CREATE INDEX ticket_links_target ON ticket_links(kind, target);

CREATE TABLE ticket_callbacks (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
    at          INTEGER NOT NULL,
    by          TEXT NOT NULL,
    satisfied   INTEGER NOT NULL,
    comment     TEXT
);

CREATE TABLE team_status (
    team_id      TEXT PRIMARY KEY,
    availability TEXT NOT NULL,
    reason       TEXT,
    by           TEXT NOT NULL,
    at           INTEGER NOT NULL
);
