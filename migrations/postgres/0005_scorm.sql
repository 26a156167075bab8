-- SCORM run-time data (CMI) per learner, SCO and attempt. `state` is the validated CMI
-- state as JSON (src/tracking/cmi); the other columns are its outcome, kept for reports
-- and the JSON API. `session` counts launches of the attempt: a commit names the session
-- it belongs to, so a late beacon from a closed tab cannot overwrite a newer session.
-- Keyed by the item's stable identifier, like progress, so a new course version keeps it.
CREATE TABLE scorm_attempts (
    user_id          BIGINT NOT NULL,
    course_id        BIGINT NOT NULL,
    item_key         TEXT NOT NULL,
    attempt          BIGINT NOT NULL,
    item_id          BIGINT NOT NULL,
    session          BIGINT NOT NULL,
    -- '1.2' or '2004'.
    scorm_version    TEXT NOT NULL,
    state            TEXT NOT NULL,
    -- 1 once Terminate/LMSFinish was committed for the current session.
    terminated       BIGINT NOT NULL,
    completion       TEXT NOT NULL,
    success          TEXT NOT NULL,
    score_scaled     DOUBLE PRECISION,
    score_raw        DOUBLE PRECISION,
    location         TEXT,
    total_seconds    DOUBLE PRECISION NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (user_id, course_id, item_key, attempt)
);
