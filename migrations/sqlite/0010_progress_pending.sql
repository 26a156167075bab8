-- Events in the log but not yet folded into the progress rows and the usage totals. Under
-- load the progress writer acknowledges a heartbeat once it is durably in the log and folds
-- many heartbeats of the same learner at once a few milliseconds later; a server stopped in
-- between folds these when it starts again. `courseware progress rebuild` takes each
-- learner's events off it as it folds them from the log.
CREATE TABLE progress_pending (
    event_id INTEGER PRIMARY KEY
);
