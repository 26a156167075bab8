//! The SCORM and cmi5 run-time on the server: the CMI data model engine of both SCORM
//! editions (`cmi`), and what a launch and a commit do for a learner's attempt (`runtime`).
//! Progress itself (events, folds, completion) is `tracking`'s; this module reports to it.

pub mod cmi;
pub mod runtime;
pub mod sequencing;
