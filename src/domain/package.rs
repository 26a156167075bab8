//! What is wrong with a package, as the importer reports it and the web edge shows it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing wrong with (or worth telling about) a package, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Path inside the package, the archive's own name for archive-level faults, or "" for the package as a whole.
    pub file: String,
    /// 1-based line in `file`, where the fault has one.
    pub line: Option<u32>,
    pub message: String,
}

impl Problem {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: None,
            message: message.into(),
        }
    }

    pub fn at(file: impl Into<String>, line: u32, message: impl Into<String>) -> Self {
        Problem {
            file: file.into(),
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None if self.file.is_empty() => f.write_str(&self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for Problem {}

