-- Incidents: alarms grouped by root cause or trigger (the unit a ticket is opened for). The latest snapshot (JSON, as
-- the API shows it) with the columns queries filter on. Written through the alarm store's ordered queue, so an
-- incident is stored before the alarm event that names it. Times are Unix milliseconds.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    room_id TEXT NOT NULL,
    cause TEXT NOT NULL,
    severity INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    alarm_count INTEGER NOT NULL,
    ticket_id TEXT,
    snapshot TEXT NOT NULL
);

CREATE INDEX ix_incidents_open ON incidents (id) WHERE ended_at IS NULL;
