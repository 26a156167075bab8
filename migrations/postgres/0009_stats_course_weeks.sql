-- Region x course totals per week too (0007 kept them per day and month only), so that the
-- courses of a range are read as whole months, whole weeks and a few days at the ends: a
-- 30-day course table is about 10 rows per course instead of 30.
--
-- Filled from the totals already kept, so an upgraded server needs no rebuild: a week's
-- measures and learner-days are the sum of its day rows; its distinct learners per course
-- are the 0006 week counts (each learner counted once, in the school where they were first
-- seen that week), added up over every region that counts the school, as the writer does.

-- A region's all-course rows (course 0) through their own index: in the primary key they lie
-- between the 500 courses' rows of each day, and a year's day series read all 180,000.
CREATE INDEX IF NOT EXISTS stats_region_totals_course ON stats_region_totals (region_id, course_id, period, start);

WITH RECURSIVE up (school_id, region_id) AS (
    SELECT id, region_id FROM schools
    UNION ALL
    SELECT up.school_id, r.parent_id FROM up JOIN regions r ON r.id = up.region_id WHERE r.parent_id IS NOT NULL
), reach (school_id, region_id) AS (
    SELECT school_id, region_id FROM up
    UNION ALL
    SELECT DISTINCT school_id, 0 FROM stats_active
), parts (region_id, start, course_id, events, sessions, study_ms, video_ms, started, items_completed,
          courses_completed, score_centi_sum, score_count, learners, learner_days) AS (
    SELECT region_id, start - ((start + 3) % 7), course_id, events, sessions, study_ms, video_ms, started,
           items_completed, courses_completed, score_centi_sum, score_count, 0, learner_days
      FROM stats_region_totals WHERE period = 'd' AND course_id > 0
    UNION ALL
    SELECT reach.region_id, a.start, a.course_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, a.learners, 0
      FROM stats_active a JOIN reach ON reach.school_id = a.school_id
     WHERE a.period = 'w' AND a.course_id > 0
)
INSERT INTO stats_region_totals (region_id, period, start, course_id, events, sessions, study_ms, video_ms, started,
    items_completed, courses_completed, score_centi_sum, score_count, learners, learner_days)
SELECT region_id, 'w', start, course_id, SUM(events), SUM(sessions), SUM(study_ms), SUM(video_ms), SUM(started),
       SUM(items_completed), SUM(courses_completed), SUM(score_centi_sum), SUM(score_count), SUM(learners), SUM(learner_days)
  FROM parts
 GROUP BY region_id, start, course_id;
