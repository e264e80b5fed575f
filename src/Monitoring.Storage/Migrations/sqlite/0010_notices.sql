-- Customer progress notices (issue 23): the outbox. A notice is written in the same transaction as the ticket step
-- that made it due, so a step answered 2xx never loses its notice; the sender delivers what is due (next_at, unix ms)
-- and records every attempt. state: pending | retrying | sent | gaveUp.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL,
    step        TEXT NOT NULL,
    role        TEXT NOT NULL,
    channel     TEXT NOT NULL,
    address     TEXT NOT NULL,
    language    TEXT NOT NULL,
    subject     TEXT,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    next_at     INTEGER NOT NULL,
    sent_at     INTEGER,
    last_error  TEXT,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX notices_due ON notices(channel, state, next_at);
CREATE INDEX notices_ticket ON notices(ticket_id, id);

-- One row per delivery attempt: the ticket's timeline shows each (sent, failed and retried, given up).
CREATE TABLE notice_attempts (
    notice_id   INTEGER NOT NULL REFERENCES notices(id),
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    error       TEXT,
    PRIMARY KEY (notice_id, attempt)
);
