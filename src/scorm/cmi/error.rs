//! SCORM API error codes: the public `CmiError`, the standard texts, and the
//! internal fault kinds that map onto each version's numbering.

use super::Version;

/// A refused data model request, numbered as the SCORM version numbers it.
///
/// `code` is always one of the codes listed by `error_string` for that version;
/// `diagnostic` is free text for `GetDiagnostic` and logs, never shown to learners.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("SCORM error {code}: {diagnostic}")]
pub struct CmiError {
    pub code: u16,
    pub diagnostic: String,
}

/// The standard text for an error code (SCORM 1.2 RTE 3.3.3; SCORM 2004 4th ed.
/// RTE table 3.1.7.6a), or "" for a code the version does not define.
pub fn error_string(version: Version, code: u16) -> &'static str {
    match version {
        Version::Scorm12 => match code {
            0 => "No error",
            101 => "General Exception",
            201 => "Invalid argument error",
            202 => "Element cannot have children",
            203 => "Element not an array - cannot have count",
            301 => "Not initialized",
            401 => "Not implemented error",
            402 => "Invalid set value, element is a keyword",
            403 => "Element is read only",
            404 => "Element is write only",
            405 => "Incorrect Data Type",
            _ => "",
        },
        Version::Scorm2004 => match code {
            0 => "No Error",
            101 => "General Exception",
            102 => "General Initialization Failure",
            103 => "Already Initialized",
            104 => "Content Instance Terminated",
            111 => "General Termination Failure",
            112 => "Termination Before Initialization",
            113 => "Termination After Termination",
            122 => "Retrieve Data Before Initialization",
            123 => "Retrieve Data After Termination",
            132 => "Store Data Before Initialization",
            133 => "Store Data After Termination",
            142 => "Commit Before Initialization",
            143 => "Commit After Termination",
            201 => "General Argument Error",
            301 => "General Get Failure",
            351 => "General Set Failure",
            391 => "General Commit Failure",
            401 => "Undefined Data Model Element",
            402 => "Unimplemented Data Model Element",
            403 => "Data Model Element Value Not Initialized",
            404 => "Data Model Element Is Read Only",
            405 => "Data Model Element Is Write Only",
            406 => "Data Model Element Type Mismatch",
            407 => "Data Model Element Value Out Of Range",
            408 => "Data Model Dependency Not Established",
            _ => "",
        },
    }
}

/// What went wrong, before it is numbered. The two versions number the same
/// condition differently (and 1.2 folds most value problems into 405), so the
/// engine reports a `Fault` and only the edge picks the code, as the ADL sample
/// RTE's APIErrorManager does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fault {
    /// The element name is "" (2004: 301 on get, 351 on set; 1.2: 201).
    EmptyGet,
    EmptySet,
    /// Not an element of the data model.
    Undefined,
    /// An element of the standard that this LMS does not carry (2004 only).
    Unimplemented,
    /// `_children` asked of an element without children.
    NoChildren,
    /// `_count` asked of an element that is not a collection.
    NoCount,
    /// `_version` asked of anything but `cmi`.
    NoVersion,
    /// SetValue on `_children`, `_count` or `_version`.
    Keyword,
    ReadOnly,
    WriteOnly,
    /// 2004 GetValue of an element that has no value and no default.
    NotInitialized,
    /// GetValue with an index at or past `_count`.
    OutOfRange,
    /// SetValue with an index past `_count` (collections are packed).
    OutOfOrder,
    /// 2004: id (or type) must be set before this element.
    Dependency,
    TypeMismatch,
    ValueOutOfRange,
    /// A valid value the LMS will not store: past a size limit, a duplicate
    /// identifier, a changed objective id, too many correct responses.
    SetFailure,
}

impl Fault {
    pub(super) fn code(self, version: Version) -> u16 {
        match version {
            Version::Scorm12 => match self {
                Fault::EmptyGet | Fault::EmptySet | Fault::OutOfRange | Fault::OutOfOrder => 201,
                Fault::Undefined | Fault::Unimplemented | Fault::NoVersion => 401,
                Fault::NoChildren => 202,
                Fault::NoCount => 203,
                Fault::Keyword => 402,
                Fault::ReadOnly => 403,
                Fault::WriteOnly => 404,
                // 1.2 has no dependency rules and no "not initialized" value
                // state; the engine never raises these for 1.2, but 405/101
                // are the nearest 1.2 meanings should that change.
                Fault::NotInitialized => 101,
                Fault::Dependency
                | Fault::TypeMismatch
                | Fault::ValueOutOfRange
                | Fault::SetFailure => 405,
            },
            Version::Scorm2004 => match self {
                Fault::EmptyGet
                | Fault::NoChildren
                | Fault::NoCount
                | Fault::NoVersion
                | Fault::OutOfRange => 301,
                Fault::EmptySet | Fault::OutOfOrder | Fault::SetFailure => 351,
                Fault::Undefined => 401,
                Fault::Unimplemented => 402,
                Fault::NotInitialized => 403,
                Fault::Keyword | Fault::ReadOnly => 404,
                Fault::WriteOnly => 405,
                Fault::TypeMismatch => 406,
                Fault::ValueOutOfRange => 407,
                Fault::Dependency => 408,
            },
        }
    }

    pub(super) fn err(self, version: Version, diagnostic: impl Into<String>) -> CmiError {
        CmiError {
            code: self.code(version),
            diagnostic: diagnostic.into(),
        }
    }
}

/// A value check failure, before it is numbered (see `Fault`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Bad {
    pub fault: Fault,
    pub why: String,
}

impl Bad {
    pub(super) fn ty(why: impl Into<String>) -> Bad {
        Bad {
            fault: Fault::TypeMismatch,
            why: why.into(),
        }
    }
    pub(super) fn range(why: impl Into<String>) -> Bad {
        Bad {
            fault: Fault::ValueOutOfRange,
            why: why.into(),
        }
    }
    pub(super) fn limit(why: impl Into<String>) -> Bad {
        Bad {
            fault: Fault::SetFailure,
            why: why.into(),
        }
    }
}
