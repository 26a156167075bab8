-- No query reads the event log by course and time: statistics come from the usage totals
-- (0006, 0007, 0009), and rebuilds read each learner's events in log order. The index cost
-- every heartbeat a write to one more B-tree.
DROP INDEX IF EXISTS progress_events_course;
