-- Training (issue 21, quizzes): what the trainees of a training session did, timed in wall time (unix ms) and in drill
-- time (ms from the drill's start; null when no drill ran), the locate quizzes posed in the session, and each
-- trainee's one scored answer per quiz. Only a session host writes these tables; the live host's stay empty.
CREATE TABLE training_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    drill_id TEXT,
    drill_ms INTEGER,
    rule_id TEXT,
    device_id TEXT,
    port INTEGER,
    category TEXT,
    team_id TEXT,
    ref TEXT,
    detail TEXT
);
CREATE INDEX ix_training_actions_session ON training_actions (session_id, id);

CREATE TABLE training_quizzes (
    session_id TEXT NOT NULL,
    id TEXT NOT NULL,
    source TEXT NOT NULL,
    device_id TEXT NOT NULL,
    port INTEGER,
    ask_zh TEXT NOT NULL,
    ask_en TEXT NOT NULL,
    posed_at INTEGER NOT NULL,
    drill_ms INTEGER,
    within_ms INTEGER NOT NULL,
    points INTEGER NOT NULL,
    posed_by TEXT,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE training_quiz_answers (
    session_id TEXT NOT NULL,
    quiz_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at INTEGER NOT NULL,
    device_id TEXT NOT NULL,
    port INTEGER,
    correct INTEGER NOT NULL,
    seconds REAL NOT NULL,
    earned INTEGER NOT NULL,
    PRIMARY KEY (session_id, quiz_id, user_name)
);
