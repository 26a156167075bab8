//! Unit tests for the CMI data models, one file per area.

mod lifecycle;
mod parity;
mod responses;
mod scorm12;
mod scorm2004;
mod time;

use super::{get_value, set_value, set_value_with, CmiState, Limits, Version};

const V12: Version = Version::Scorm12;
const V2004: Version = Version::Scorm2004;

/// The error code of a SetValue, 0 on success.
fn set(v: Version, s: &mut CmiState, element: &str, value: &str) -> u16 {
    set_value(v, s, element, value).err().map_or(0, |e| e.code)
}

/// The error code of a SetValue with explicit limits, 0 on success.
fn set_limited(v: Version, s: &mut CmiState, element: &str, value: &str, limits: &Limits) -> u16 {
    set_value_with(v, s, element, value, limits)
        .err()
        .map_or(0, |e| e.code)
}

/// The value of a GetValue, panicking with the error otherwise.
fn get(v: Version, s: &CmiState, element: &str) -> String {
    get_value(v, s, element).unwrap_or_else(|e| panic!("GetValue({element}): {e}"))
}

/// The error code of a GetValue, 0 on success.
fn get_code(v: Version, s: &CmiState, element: &str) -> u16 {
    get_value(v, s, element).err().map_or(0, |e| e.code)
}

/// Sets each pair and asserts it was accepted.
fn set_all(v: Version, s: &mut CmiState, pairs: &[(&str, &str)]) {
    for (element, value) in pairs {
        assert_eq!(
            set(v, s, element, value),
            0,
            "SetValue({element}, {value:?})"
        );
    }
}
