//! The objectives a SCORM 2004 SCO finds in `cmi.objectives` at Initialize: those its
//! manifest declares (RTE 4.2.17: the LMS initialises the collection with the activity's
//! objectives that have an id), with the states the LMS knows for them.

use super::path::count;
use super::types::check_uri_id;
use super::{CmiState, Completion, Success};

/// One objective the LMS puts in `cmi.objectives` before the SCO runs.
///
/// The statuses are what the LMS knows at launch: `None` leaves the element unset (it
/// reads as its default, `unknown`). Manifest objectives carry only their id; the
/// sequencer fills the rest from global objectives it reads through `mapInfo`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectiveSeed {
    /// The manifest's `objectiveID`; must be a valid 2004 long identifier.
    pub id: String,
    pub success: Option<Success>,
    pub completion: Option<Completion>,
    /// -1..=1; out of range is ignored.
    pub score_scaled: Option<f64>,
    /// 0..=1; out of range is ignored.
    pub progress_measure: Option<f64>,
}

impl ObjectiveSeed {
    /// An objective known only by its id (all statuses unknown).
    pub fn declared(id: impl Into<String>) -> ObjectiveSeed {
        ObjectiveSeed { id: id.into(), ..ObjectiveSeed::default() }
    }
}

/// Puts `seeds` into `state.cmi.objectives`: an objective not there yet is appended (in
/// the order given) with its id, and the statuses a seed knows are written over the
/// stored ones, so a resumed attempt keeps what the SCO stored unless the LMS knows
/// better. Seeds with an id that is not a valid identifier are skipped, as are repeats.
pub fn seed_objectives(state: &mut CmiState, seeds: &[ObjectiveSeed]) {
    for seed in seeds {
        if check_uri_id(&seed.id, 4000, "objective id").is_err() {
            continue;
        }
        let n = count(&state.values, "cmi.objectives");
        let index = (0..n)
            .find(|j| state.values.get(&format!("cmi.objectives.{j}.id")) == Some(&seed.id))
            .unwrap_or_else(|| {
                state.values.insert(format!("cmi.objectives.{n}.id"), seed.id.clone());
                n
            });
        let mut put = |field: &str, value: Option<String>| {
            if let Some(v) = value {
                state.values.insert(format!("cmi.objectives.{index}.{field}"), v);
            }
        };
        put("success_status", seed.success.map(|s| success_word(s).to_string()));
        put("completion_status", seed.completion.map(|c| completion_word(c).to_string()));
        let within = |x: Option<f64>, lo: f64, hi: f64| x.filter(|v| (lo..=hi).contains(v)).map(|v| v.to_string());
        put("score.scaled", within(seed.score_scaled, -1.0, 1.0));
        put("progress_measure", within(seed.progress_measure, 0.0, 1.0));
    }
}

fn success_word(s: Success) -> &'static str {
    match s {
        Success::Passed => "passed",
        Success::Failed => "failed",
        Success::Unknown => "unknown",
    }
}

fn completion_word(c: Completion) -> &'static str {
    match c {
        Completion::Completed => "completed",
        Completion::Incomplete => "incomplete",
        Completion::NotAttempted => "not attempted",
        Completion::Unknown => "unknown",
    }
}
