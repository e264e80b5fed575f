-- Alarms: the latest snapshot of every alarm (JSON, as the API shows it) with the columns queries filter on,
-- every event of every alarm (its timeline), maintenance windows and console mutes. Times are Unix milliseconds.
CREATE TABLE alarms (
    id INTEGER PRIMARY KEY,
    rule_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    port INTEGER,
    room_id TEXT NOT NULL,
    severity INTEGER NOT NULL,
    state INTEGER NOT NULL,
    raised_at INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    ticket_wanted INTEGER NOT NULL DEFAULT 0,
    snapshot TEXT NOT NULL
);

CREATE INDEX ix_alarms_open ON alarms (state) WHERE state <> 3;
CREATE INDEX ix_alarms_raised ON alarms (raised_at);
CREATE INDEX ix_alarms_device ON alarms (device_id, raised_at);

CREATE TABLE alarm_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    at INTEGER NOT NULL,
    snapshot TEXT NOT NULL
);

CREATE INDEX ix_alarm_events_alarm ON alarm_events (alarm_id, seq);

CREATE TABLE alarm_maintenance (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    ended_by TEXT,
    window_json TEXT NOT NULL
);

CREATE TABLE alarm_mutes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    muted_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    muted_at INTEGER NOT NULL,
    until INTEGER NOT NULL,
    ended_by TEXT,
    ended_at INTEGER,
    mute_json TEXT NOT NULL
);
