-- SCORM 2004 sequencing: the tracking model and activity state (src/scorm/sequencing,
-- `State` as JSON) of one learner in one course version, including the global objectives
-- that are scoped to the course (objectivesGlobalToSystem="false").
CREATE TABLE scorm_sequencing (
    user_id     BIGINT NOT NULL,
    version_id  BIGINT NOT NULL,
    state       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (user_id, version_id)
);

-- Global objectives shared across every course of a learner (objectivesGlobalToSystem,
-- SCORM's default): an objective's status outlives the course attempt and version.
CREATE TABLE scorm_global_objectives (
    user_id       BIGINT NOT NULL,
    objective_id  TEXT NOT NULL,
    state         TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    PRIMARY KEY (user_id, objective_id)
);
