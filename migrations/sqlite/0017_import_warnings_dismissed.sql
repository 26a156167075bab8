-- When a teacher dismissed the import report of a version (unix milliseconds); NULL while its
-- warnings are still shown on the workbench.
ALTER TABLE course_versions ADD COLUMN warnings_dismissed_at BIGINT;
