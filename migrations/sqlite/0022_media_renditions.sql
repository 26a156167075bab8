-- Renditions of uploaded videos (smaller encodings, HLS, posters), made after import by
-- ffmpeg. One job per source video, named by the source blob's SHA-256: the same video in
-- two versions or courses is encoded once. A running job holds a lease (unix ms) that its
-- worker renews; a job whose lease ran out (its process was killed) is taken again.
CREATE TABLE media_jobs (
    source_sha256 TEXT PRIMARY KEY,
    file_name     TEXT NOT NULL,
    state         TEXT NOT NULL,             -- queued, running, done, failed, unavailable
    progress      REAL NOT NULL DEFAULT 0,   -- 0 to 1
    message       TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT '',  -- JSON: the renditions made, for the player
    attempts      INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX media_jobs_state ON media_jobs (state);

-- The files of a source's renditions, each a blob: `240p.mp4`, `hls/master.m3u8`,
-- `hls/240p/seg001.m4s`, `poster.jpg` ...
CREATE TABLE renditions (
    source_sha256 TEXT NOT NULL,
    path          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    PRIMARY KEY (source_sha256, path)
);
CREATE INDEX renditions_sha256 ON renditions (sha256);
