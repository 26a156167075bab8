-- Foundation schema: organisation tree, users, courses with immutable versions, items, blobs.
-- Timestamps are unix milliseconds and flags are 0/1 INTEGERs, decoded as i64 on both backends.

CREATE TABLE regions (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    parent_id   INTEGER REFERENCES regions(id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE schools (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    region_id   INTEGER NOT NULL REFERENCES regions(id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'bureau', 'teacher', 'student', 'public')),
    school_id     INTEGER REFERENCES schools(id),
    region_id     INTEGER REFERENCES regions(id),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE courses (
    id              INTEGER PRIMARY KEY,
    owner_key       TEXT NOT NULL,
    slug            TEXT NOT NULL,
    school_id       INTEGER REFERENCES schools(id),
    title           TEXT NOT NULL,
    title_en        TEXT,
    description     TEXT NOT NULL DEFAULT '',
    description_en  TEXT,
    subject         TEXT,
    grade           TEXT,
    format          TEXT NOT NULL,
    visibility      TEXT NOT NULL DEFAULT 'open',
    published       INTEGER NOT NULL DEFAULT 1,
    latest_version_id INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (owner_key, slug)
);

CREATE TABLE course_versions (
    id          INTEGER PRIMARY KEY,
    course_id   INTEGER NOT NULL REFERENCES courses(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    format      TEXT NOT NULL,
    metadata    TEXT NOT NULL DEFAULT '{}',
    warnings    TEXT NOT NULL DEFAULT '[]',
    created_by  INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (course_id, version)
);

CREATE TABLE version_files (
    version_id  INTEGER NOT NULL REFERENCES course_versions(id) ON DELETE CASCADE,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL REFERENCES blobs(sha256),
    size        INTEGER NOT NULL,
    PRIMARY KEY (version_id, path)
);
CREATE INDEX version_files_sha256 ON version_files (sha256);

CREATE TABLE items (
    id                INTEGER PRIMARY KEY,
    version_id        INTEGER NOT NULL REFERENCES course_versions(id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    parent_position   INTEGER,
    identifier        TEXT NOT NULL,
    title             TEXT NOT NULL,
    title_en          TEXT,
    kind              TEXT NOT NULL,
    launch            TEXT,
    captions          TEXT NOT NULL DEFAULT '[]',
    duration_seconds  INTEGER,
    required          INTEGER NOT NULL DEFAULT 1,
    runtime           TEXT NOT NULL DEFAULT '{}',
    UNIQUE (version_id, position)
);

-- Small key/value facts about this installation (for example: demo courses imported).
CREATE TABLE app_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
