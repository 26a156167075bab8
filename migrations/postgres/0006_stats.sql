-- Usage statistics: totals kept up to date by the progress writer, in the same transaction
-- as the events they count, so dashboards never scan `progress_events`. Everything here can
-- be recomputed from the event log (`courseware stats rebuild`) except `stats_media`, which
-- counts bytes served and has no log of its own.
--
-- `day` is a day number: days since 1970-01-01 in the configured time zone (`stats.time_zone`).
-- `school_id` / `class_id` are the learner's school and (first) class when the counted event
-- arrived; 0 when they have none. `course_id` 0 in `stats_active` means "any course".

CREATE TABLE stats_daily (
    day                BIGINT NOT NULL,
    school_id          BIGINT NOT NULL,
    class_id           BIGINT NOT NULL,
    course_id          BIGINT NOT NULL,
    events             BIGINT NOT NULL DEFAULT 0,
    -- 'open' events: a lesson opened.
    sessions           BIGINT NOT NULL DEFAULT 0,
    -- Visible (and, for media, playing) time reported by the events.
    study_ms           BIGINT NOT NULL DEFAULT 0,
    -- Media seconds played, in ms.
    video_ms           BIGINT NOT NULL DEFAULT 0,
    -- Learners who opened this course for the first time ever on that day.
    started            BIGINT NOT NULL DEFAULT 0,
    items_completed    BIGINT NOT NULL DEFAULT 0,
    courses_completed  BIGINT NOT NULL DEFAULT 0,
    -- Scores reported (runtime results, quiz attempts) in hundredths of a percent: integers
    -- add up the same whatever the order, so a rebuild gives identical totals.
    score_centi_sum    BIGINT NOT NULL DEFAULT 0,
    score_count        BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, school_id, class_id, course_id)
);
CREATE INDEX stats_daily_school ON stats_daily (school_id, day);
CREATE INDEX stats_daily_course ON stats_daily (course_id, day);

-- Distinct active learners per period: 'd' (start = the day), 'w' (start = the Monday),
-- 'm' (start = the 1st of the month).
CREATE TABLE stats_active (
    period     TEXT NOT NULL,
    start      BIGINT NOT NULL,
    school_id  BIGINT NOT NULL,
    class_id   BIGINT NOT NULL,
    course_id  BIGINT NOT NULL,
    learners   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (period, start, school_id, class_id, course_id)
);
CREATE INDEX stats_active_school ON stats_active (school_id, period, start);
CREATE INDEX stats_active_course ON stats_active (course_id, period, start);

-- Which learner was already counted in a period (period 'a', start 0: ever started the
-- course): a learner is counted once however many events they send.
CREATE TABLE stats_presence (
    period     TEXT NOT NULL,
    start      BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    course_id  BIGINT NOT NULL,
    PRIMARY KEY (period, start, user_id, course_id)
);

-- Media bytes served per day and course (the signed media URL names the course version,
-- not the learner, so bytes are not split by school).
CREATE TABLE stats_media (
    day        BIGINT NOT NULL,
    course_id  BIGINT NOT NULL,
    bytes      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, course_id)
);
