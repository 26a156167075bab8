//! SCORM run-time data (CMI) for one SCO attempt: the authoritative validator of
//! the SCORM 1.2 and SCORM 2004 4th edition data models.
//!
//! The browser runtime (static/scorm-bridge.js) answers the SCO synchronously
//! with a port of these rules; the server re-checks every committed value here
//! with `apply_batch`, so nothing invalid is ever stored.

mod engine;
mod error;
mod model12;
mod model2004;
mod objectives;
mod outcome;
mod path;
mod responses;
mod session;
mod spec;
pub mod time;
mod types;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use error::{error_string, CmiError};
pub use objectives::{seed_objectives, ObjectiveSeed};
pub use outcome::{outcome, Completion, Outcome, Success};
pub use session::{
    add_session_time, new_attempt, resume, terminate, Launch, Mode, TimeLimitAction,
};

/// The SCORM edition a package was written for. Serialized as "1.2" / "2004",
/// the spelling the browser runtime uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Version {
    #[serde(rename = "1.2")]
    Scorm12,
    #[serde(rename = "2004")]
    Scorm2004,
}

/// The learner's CMI data for one SCO attempt, keyed by element name with
/// canonical indices (`cmi.objectives.0.id`). Stored as JSON between sessions
/// and handed to the browser runtime at launch.
///
/// Invariant: every value was accepted by `set_value` or written by
/// `new_attempt`/`terminate`, so it is valid for its element. Collection counts
/// are not stored; they follow from the keys (records are packed from 0).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmiState {
    values: BTreeMap<String, String>,
}

impl CmiState {
    /// All stored values, including write-only ones (session_time, exit and the
    /// 1.2 interactions) that `get_value` refuses to a SCO.
    pub fn values(&self) -> &BTreeMap<String, String> {
        &self.values
    }
}

/// Storage limits beyond what the standards require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Longest cmi.suspend_data accepted, in characters. SCORM 1.2 types it as
    /// CMIString4096 and 2004 gives an SPM of 64000, but both are minimums an
    /// LMS must store, and authoring tools routinely write more than 4096 into
    /// 1.2 packages, so one ceiling serves both. Past it a SCO gets 405 (1.2,
    /// "Incorrect Data Type", the only 1.2 code for a refused value) or 351
    /// (2004, "General Set Failure": the value is well typed, the LMS just will
    /// not store it; 2004's 405 means write-only and 406 a type mismatch).
    pub suspend_data_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            suspend_data_max: 64_000,
        }
    }
}

/// SetValue / LMSSetValue with default limits. See `set_value_with`.
pub fn set_value(
    version: Version,
    state: &mut CmiState,
    element: &str,
    value: &str,
) -> Result<(), CmiError> {
    engine::set(version, state, element, value, &Limits::default())
}

/// SetValue / LMSSetValue as a SCO may call it: read-only elements and keywords
/// are refused, collections only grow at `_count`, 2004 records need their id
/// (and interaction responses their type) first, and the value must fit the
/// element's type. On error the state is unchanged.
pub fn set_value_with(
    version: Version,
    state: &mut CmiState,
    element: &str,
    value: &str,
    limits: &Limits,
) -> Result<(), CmiError> {
    engine::set(version, state, element, value, limits)
}

/// GetValue / LMSGetValue as a SCO may call it, including `_children`,
/// `_count` and (2004) `cmi._version`. Write-only elements are refused (1.2:
/// 404, 2004: 405); a 2004 element with no value and no default gives 403.
pub fn get_value(version: Version, state: &CmiState, element: &str) -> Result<String, CmiError> {
    engine::get(version, state, element)
}

/// Applies a committed batch in order, as if the SCO had called SetValue for
/// each pair; returns the pairs refused, with their errors. Order matters: an
/// objective's id must come before its other elements.
pub fn apply_batch(
    version: Version,
    state: &mut CmiState,
    pairs: &[(String, String)],
    limits: &Limits,
) -> Vec<(String, CmiError)> {
    pairs
        .iter()
        .filter_map(|(element, value)| {
            engine::set(version, state, element, value, limits)
                .err()
                .map(|e| (element.clone(), e))
        })
        .collect()
}
