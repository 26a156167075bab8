-- Accounts: classes and memberships, sessions, API tokens, login throttling, audit log,
-- and who may see each course.

CREATE TABLE classes (
    id          INTEGER PRIMARY KEY,
    school_id   INTEGER NOT NULL REFERENCES schools(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (school_id, name)
);

CREATE TABLE class_members (
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_members_user ON class_members (user_id);

-- visibility: 'open' (anyone), 'region' (the course's region and below), 'school', 'classes'.
ALTER TABLE courses ADD COLUMN region_id INTEGER REFERENCES regions(id);
ALTER TABLE courses ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE INDEX courses_school ON courses (school_id);

CREATE TABLE course_classes (
    course_id   INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    class_id    INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
    PRIMARY KEY (course_id, class_id)
);

-- Only a hash of each session token is stored: a copy of the database opens no session.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE login_failures (
    scope_key   TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (scope_key, at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER REFERENCES users(id),
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    at          INTEGER NOT NULL
);
