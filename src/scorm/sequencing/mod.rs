//! SCORM 2004 4th edition Sequencing and Navigation (the SN book), pure: the activity tree
//! and its definition (`definition`, `tree`), the tracking model with global objectives
//! (`tree`, `objectives`), and the Overall Sequencing Process (OP.1) with the navigation,
//! termination, sequencing, delivery and rollup processes it calls. No I/O: the caller
//! loads the tree and the learner's `State`, asks, and stores the state again.

pub mod definition;
mod delivery;
mod navigation;
mod objectives;
mod requests;
mod results;
mod rollup;
mod rules;
mod termination;
pub mod tree;
mod view;

#[cfg(test)]
mod tests;

pub use results::{ObjectiveResult, ScoResult};
pub use rules::RuleSet;
pub use tree::{ActivityTree, State};
pub use view::{ActivityView, NavView};

/// A navigation request (SN 4.4, table 4.4a), as the LMS's buttons, the table of contents
/// or the SCO (`adl.nav.request`) make it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NavRequest {
    Start,
    ResumeAll,
    Continue,
    Previous,
    /// Choice of the activity with this identifier.
    Choice(String),
    /// Jump to the activity with this identifier (4th edition).
    Jump(String),
    Exit,
    ExitAll,
    SuspendAll,
    Abandon,
    AbandonAll,
}

impl NavRequest {
    /// Parses `adl.nav.request` values (`continue`, `{target=ID}choice`, `{target=ID}jump`,
    /// `_none_` is `None`); other text is an error.
    pub fn parse(value: &str) -> Result<Option<NavRequest>, String> {
        let v = value.trim();
        if let Some(rest) = v.strip_prefix("{target=") {
            let (target, verb) = rest.split_once('}').ok_or_else(|| format!("`{v}` is not a navigation request"))?;
            return match verb {
                "choice" => Ok(Some(NavRequest::Choice(target.to_string()))),
                "jump" => Ok(Some(NavRequest::Jump(target.to_string()))),
                _ => Err(format!("`{v}` is not a navigation request")),
            };
        }
        Ok(Some(match v {
            "_none_" | "" => return Ok(None),
            "start" => NavRequest::Start,
            "resumeAll" => NavRequest::ResumeAll,
            "continue" => NavRequest::Continue,
            "previous" => NavRequest::Previous,
            "exit" => NavRequest::Exit,
            "exitAll" => NavRequest::ExitAll,
            "suspendAll" => NavRequest::SuspendAll,
            "abandon" => NavRequest::Abandon,
            "abandonAll" => NavRequest::AbandonAll,
            _ => return Err(format!("`{v}` is not a navigation request")),
        }))
    }
}

/// What the Overall Sequencing Process decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Launch this activity (a leaf); it is now the current, active activity.
    Deliver(usize),
    /// The sequencing session is over (exit from the root, exit all, suspend all, the end
    /// of the course by continue).
    EndSession,
    /// The request was carried out and nothing is to be launched (abandon, exit of a leaf
    /// without a post-condition rule).
    Nothing,
}

/// A request the SN book refuses, with the pseudocode's exception code (`SB.2.9-4` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqError {
    pub code: &'static str,
}

impl std::fmt::Display for SeqError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "navigation not allowed ({}): {}", self.code, explain(self.code))
    }
}

impl std::error::Error for SeqError {}

/// A learner-readable reason for the exception codes a learner can meet.
fn explain(code: &str) -> &'static str {
    match code {
        "SB.2.1-1" | "SB.2.7-2" | "SB.2.8-2" | "NB.2.1-4" | "NB.2.1-5" => "flow navigation is not allowed here",
        "SB.2.1-3" | "NB.2.1-6" => "this is the beginning of the course",
        "SB.2.1-4" | "SB.2.4-2" => "the course may only be taken forward",
        "SB.2.2-2" | "DB.1.1-3" => "the activity is disabled or its attempts are used up",
        "SB.2.9-3" => "the activity is hidden from choice",
        "SB.2.9-4" | "NB.2.1-10" => "choosing activities is not allowed here",
        "SB.2.9-7" | "NB.2.1-8" => "the current activity may not be left by choice",
        "SB.2.4-1" => "a rule stops going further forward",
        "NB.2.1-11" | "SB.2.9-1" => "there is no such activity",
        _ => "the request is not valid now",
    }
}

pub(crate) fn err<T>(code: &'static str) -> Result<T, SeqError> {
    Err(SeqError { code })
}

/// The processes of the SN book over one tree and one learner's state.
pub struct Sequencer<'a> {
    pub tree: &'a ActivityTree,
    pub state: &'a mut State,
}

impl<'a> Sequencer<'a> {
    pub fn new(tree: &'a ActivityTree, state: &'a mut State) -> Sequencer<'a> {
        if !state.fits(tree) {
            *state = State::for_tree(tree, state.seed);
        }
        Sequencer { tree, state }
    }

    /// Overall Sequencing Process (OP.1) for one navigation request. It runs on a copy of
    /// the state that replaces the state only when the request succeeds: a refused
    /// request (a choice of a disabled activity, say) leaves the current attempt going on
    /// instead of ending it in the termination step.
    pub fn navigate(&mut self, request: &NavRequest) -> Result<Outcome, SeqError> {
        let mut trial = self.state.clone();
        let outcome = Sequencer { tree: self.tree, state: &mut trial }.overall(request)?;
        *self.state = trial;
        Ok(outcome)
    }

    fn overall(&mut self, request: &NavRequest) -> Result<Outcome, SeqError> {
        // Navigation Request Process (NB.2.1).
        let (termination, sequencing) = self.navigation_request(request)?;
        let mut sequencing = sequencing;
        if let Some(t) = termination {
            // Termination Request Process (TB.2.3); a sequencing request it returns
            // replaces the pending one.
            if let Some(s) = self.termination_request(t)? {
                sequencing = Some(s);
            }
        }
        let Some(sequencing) = sequencing else { return Ok(Outcome::Nothing) };
        // Sequencing Request Process (SB.2.12).
        match self.sequencing_request(sequencing)? {
            requests::Decision::Deliver(a) => {
                // Delivery Request Process (DB.1.1), then the Content Delivery Environment
                // Process (DB.2).
                self.delivery_request(a)?;
                self.content_delivery(a)?;
                Ok(Outcome::Deliver(a))
            }
            requests::Decision::EndSession => {
                // A new sequencing session starts with no current activity (SN 4.3: the
                // session ends; Start or Resume All begin the next one).
                self.state.current = None;
                Ok(Outcome::EndSession)
            }
            requests::Decision::Nothing => Ok(Outcome::Nothing),
        }
    }

    /// Begins a learner's session: an activity left active (the window was closed without
    /// a navigation request) is suspended as by Suspend All, then Resume All when an
    /// activity is suspended, Start otherwise.
    pub fn open(&mut self) -> Result<Outcome, SeqError> {
        if self.state.current.is_some_and(|c| self.state.activities[c].active) {
            self.navigate(&NavRequest::SuspendAll)?;
        }
        self.state.current = None;
        if self.state.suspended.is_some() {
            self.navigate(&NavRequest::ResumeAll)
        } else {
            self.navigate(&NavRequest::Start)
        }
    }
}
