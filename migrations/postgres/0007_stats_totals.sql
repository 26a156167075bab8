-- Coarser usage totals, so that a dashboard reads a few rows per day or month whatever its
-- range and however many schools it covers (the finest totals of 0006 are day x school x
-- class x course: a city's 30 days are hundreds of thousands of rows). Kept by the same
-- writer transaction as the 0006 tables and rebuilt with them.
--
-- `period` is 'd' (start = the day), 'w' (start = the Monday) or 'm' (start = the 1st of
-- the month); the measures are those of `stats_daily` summed over the period. `learners` is
-- the distinct learners of the period, `learner_days` the sum of each day's distinct
-- learners (additive: dashboards add them up over schools, courses and periods).

-- Per school, all classes and courses.
CREATE TABLE stats_school_totals (
    school_id          BIGINT NOT NULL,
    period             TEXT NOT NULL,
    start              BIGINT NOT NULL,
    events             BIGINT NOT NULL DEFAULT 0,
    sessions           BIGINT NOT NULL DEFAULT 0,
    study_ms           BIGINT NOT NULL DEFAULT 0,
    video_ms           BIGINT NOT NULL DEFAULT 0,
    started            BIGINT NOT NULL DEFAULT 0,
    items_completed    BIGINT NOT NULL DEFAULT 0,
    courses_completed  BIGINT NOT NULL DEFAULT 0,
    score_centi_sum    BIGINT NOT NULL DEFAULT 0,
    score_count        BIGINT NOT NULL DEFAULT 0,
    learners           BIGINT NOT NULL DEFAULT 0,
    learner_days       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (school_id, period, start)
);

-- Per region (every region above a learner's school counts them; region 0 counts
-- everyone, learners without a school too) and course (0: all courses). Course rows are
-- kept per day and month only: no dashboard lists courses by week.
CREATE TABLE stats_region_totals (
    region_id          BIGINT NOT NULL,
    period             TEXT NOT NULL,
    start              BIGINT NOT NULL,
    course_id          BIGINT NOT NULL,
    events             BIGINT NOT NULL DEFAULT 0,
    sessions           BIGINT NOT NULL DEFAULT 0,
    study_ms           BIGINT NOT NULL DEFAULT 0,
    video_ms           BIGINT NOT NULL DEFAULT 0,
    started            BIGINT NOT NULL DEFAULT 0,
    items_completed    BIGINT NOT NULL DEFAULT 0,
    courses_completed  BIGINT NOT NULL DEFAULT 0,
    score_centi_sum    BIGINT NOT NULL DEFAULT 0,
    score_count        BIGINT NOT NULL DEFAULT 0,
    learners           BIGINT NOT NULL DEFAULT 0,
    learner_days       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_id, period, start, course_id)
);

-- Totals already kept by 0006 are carried over, so an upgraded server needs no rebuild.
-- Every measure and learner count goes into a row of its period: the day's, the week's
-- (all courses only) and the month's.
CREATE TEMPORARY TABLE stats_parts AS
SELECT school_id, course_id, CAST('d' AS TEXT) AS period, day AS start, events, sessions, study_ms, video_ms, started,
       items_completed, courses_completed, score_centi_sum, score_count, 0 AS learners, 0 AS learner_days
  FROM stats_daily
UNION ALL
SELECT school_id, course_id, 'w', day - ((day + 3) % 7), events, sessions, study_ms, video_ms, started,
       items_completed, courses_completed, score_centi_sum, score_count, 0, 0
  FROM stats_daily
UNION ALL
SELECT school_id, course_id, 'm', (CAST(date_trunc('month', DATE '1970-01-01' + CAST(day AS INTEGER)) AS DATE) - DATE '1970-01-01'), events, sessions, study_ms, video_ms, started,
       items_completed, courses_completed, score_centi_sum, score_count, 0, 0
  FROM stats_daily
UNION ALL
SELECT school_id, course_id, period, start, 0, 0, 0, 0, 0, 0, 0, 0, 0, learners, 0
  FROM stats_active
UNION ALL
SELECT school_id, course_id, 'd', start, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, learners
  FROM stats_active WHERE period = 'd'
UNION ALL
SELECT school_id, course_id, 'w', start - ((start + 3) % 7), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, learners
  FROM stats_active WHERE period = 'd'
UNION ALL
SELECT school_id, course_id, 'm', (CAST(date_trunc('month', DATE '1970-01-01' + CAST(start AS INTEGER)) AS DATE) - DATE '1970-01-01'), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, learners
  FROM stats_active WHERE period = 'd';

-- stats_daily rows are per course (never 0); stats_active rows per course and 0 (all).
INSERT INTO stats_school_totals (school_id, period, start, events, sessions, study_ms, video_ms, started,
    items_completed, courses_completed, score_centi_sum, score_count, learners, learner_days)
SELECT school_id, period, start, SUM(events), SUM(sessions), SUM(study_ms), SUM(video_ms), SUM(started),
       SUM(items_completed), SUM(courses_completed), SUM(score_centi_sum), SUM(score_count),
       SUM(CASE WHEN course_id = 0 THEN learners ELSE 0 END), SUM(CASE WHEN course_id = 0 THEN learner_days ELSE 0 END)
  FROM stats_parts WHERE course_id > 0 OR learners > 0 OR learner_days > 0
 GROUP BY school_id, period, start;

WITH RECURSIVE up (school_id, region_id) AS (
    SELECT id, region_id FROM schools
    UNION ALL
    SELECT up.school_id, r.parent_id FROM up JOIN regions r ON r.id = up.region_id WHERE r.parent_id IS NOT NULL
), reach (school_id, region_id) AS (
    SELECT school_id, region_id FROM up
    UNION ALL
    SELECT DISTINCT school_id, 0 FROM stats_parts
), parts AS (
    -- Measures count in their course and in "all courses" (0); learner counts are kept
    -- for both already.
    SELECT school_id, course_id, period, start, events, sessions, study_ms, video_ms, started, items_completed,
           courses_completed, score_centi_sum, score_count, learners, learner_days
      FROM stats_parts WHERE period <> 'w' OR course_id = 0
    UNION ALL
    SELECT school_id, 0, period, start, events, sessions, study_ms, video_ms, started, items_completed,
           courses_completed, score_centi_sum, score_count, 0, 0
      FROM stats_parts WHERE course_id > 0
)
INSERT INTO stats_region_totals (region_id, period, start, course_id, events, sessions, study_ms, video_ms, started,
    items_completed, courses_completed, score_centi_sum, score_count, learners, learner_days)
SELECT reach.region_id, p.period, p.start, p.course_id, SUM(p.events), SUM(p.sessions), SUM(p.study_ms), SUM(p.video_ms),
       SUM(p.started), SUM(p.items_completed), SUM(p.courses_completed), SUM(p.score_centi_sum), SUM(p.score_count),
       SUM(p.learners), SUM(p.learner_days)
  FROM parts p JOIN reach ON reach.school_id = p.school_id
 GROUP BY reach.region_id, p.period, p.start, p.course_id;

DROP TABLE stats_parts;
