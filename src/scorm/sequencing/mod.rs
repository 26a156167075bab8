//! SCORM 2004 4th edition Sequencing and Navigation (the SN book), pure: the activity tree
//! and its definition (`definition`, `tree`) and the tracking model (`tree`). No I/O.

pub mod definition;
pub mod tree;

pub use tree::{ActivityTree, State};
