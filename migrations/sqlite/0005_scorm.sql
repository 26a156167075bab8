-- SCORM run-time data (CMI) per learner, SCO and attempt. `state` is the validated CMI
-- state as JSON (src/tracking/cmi); the other columns are its outcome, kept for reports
-- and the JSON API. `session` counts launches of the attempt: a commit names the session
-- it belongs to, so a late beacon from a closed tab cannot overwrite a newer session.
-- Keyed by the item's stable identifier, like progress, so a new course version keeps it.
CREATE TABLE scorm_attempts (
    user_id          INTEGER NOT NULL,
    course_id        INTEGER NOT NULL,
    item_key         TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    item_id          INTEGER NOT NULL,
    session          INTEGER NOT NULL,
    -- '1.2' or '2004'.
    scorm_version    TEXT NOT NULL,
    state            TEXT NOT NULL,
    -- 1 once Terminate/LMSFinish was committed for the current session.
    terminated       INTEGER NOT NULL,
    completion       TEXT NOT NULL,
    success          TEXT NOT NULL,
    score_scaled     REAL,
    score_raw        REAL,
    location         TEXT,
    total_seconds    REAL NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id, item_key, attempt)
);

-- cmi5: one row per launch of an AU. The AU fetches its auth token once (fetch_token),
-- then sends xAPI with it; only the token's hash is kept.
CREATE TABLE cmi5_sessions (
    session_id       TEXT PRIMARY KEY,
    registration     TEXT NOT NULL,
    user_id          INTEGER NOT NULL,
    course_id        INTEGER NOT NULL,
    item_id          INTEGER NOT NULL,
    item_key         TEXT NOT NULL,
    fetch_token      TEXT NOT NULL UNIQUE,
    fetched          INTEGER NOT NULL,
    auth_hash        TEXT NOT NULL UNIQUE,
    created_at       INTEGER NOT NULL
);

-- xAPI statements the AUs sent (the cmi5-defined ones and any others), as stored.
CREATE TABLE cmi5_statements (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL,
    registration     TEXT NOT NULL,
    user_id          INTEGER NOT NULL,
    item_key         TEXT NOT NULL,
    verb             TEXT NOT NULL,
    statement        TEXT NOT NULL,
    stored_at        INTEGER NOT NULL
);
CREATE INDEX cmi5_statements_registration ON cmi5_statements (registration, item_key);

-- xAPI activity state documents an AU writes (LMS.LaunchData is made by the LMS, not kept here).
CREATE TABLE cmi5_state (
    registration     TEXT NOT NULL,
    activity_id      TEXT NOT NULL,
    state_id         TEXT NOT NULL,
    document         TEXT NOT NULL,
    PRIMARY KEY (registration, activity_id, state_id)
);
