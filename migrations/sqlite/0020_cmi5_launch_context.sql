-- What a cmi5 launch knew about the learner, for what the LMS sends or serves later in that
-- session: the xAPI actor it launched with (the LMS's own "satisfied" statements use the same
-- agent) and the learner's interface language at launch (served as cmi5LearnerPreferences).
ALTER TABLE cmi5_sessions ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE cmi5_sessions ADD COLUMN language TEXT NOT NULL DEFAULT '';
