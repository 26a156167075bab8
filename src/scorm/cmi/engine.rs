//! GetValue and SetValue on a `CmiState`. Checks run in a fixed order (name,
//! keyword, collection index, access, dependency, value type, uniqueness), so
//! the first problem found decides the code, in the browser runtime as here.
//! A refused SetValue leaves the state untouched.

use super::error::{Bad, CmiError, Fault};
use super::path::{count, Keyword, Path};
use super::spec::{Access, Model, Ty};
use super::{model12, model2004, outcome, responses, time, types};
use super::{CmiState, Limits, Version};

fn model(version: Version) -> &'static Model {
    match version {
        Version::Scorm12 => &model12::MODEL,
        Version::Scorm2004 => &model2004::MODEL,
    }
}

pub(super) fn get(v: Version, state: &CmiState, element: &str) -> Result<String, CmiError> {
    if element.is_empty() {
        return Err(Fault::EmptyGet.err(v, "GetValue needs an element name"));
    }
    if v == Version::Scorm2004 {
        special_2004(v, element, false)?;
        if let Some(true) = model2004::is_request_valid_target(element) {
            return Ok("unknown".into());
        }
    }
    let undefined = || Fault::Undefined.err(v, format!("{element} is not a data model element"));
    let path = Path::parse(element).ok_or_else(undefined)?;
    let m = model(v);
    let pattern = path.pattern();
    if let Some(keyword) = path.keyword {
        return get_keyword(v, m, state, &path, &pattern, keyword).ok_or_else(undefined)?;
    }
    let spec = (m.spec)(&pattern).ok_or_else(undefined)?;
    if spec.access == Access::WriteOnly {
        return Err(Fault::WriteOnly.err(v, format!("{element} is write-only")));
    }
    path.check_indices(&state.values, false).map_err(|e| {
        Fault::OutOfRange.err(
            v,
            format!(
                "{} has {} records; index {} is out of range",
                e.collection, e.count, e.index
            ),
        )
    })?;
    if v == Version::Scorm2004 {
        // The LMS reports the evaluated status, not the stored one, whenever a
        // threshold or passing score applies (RTE 4.2.4.1 and 4.2.22.1).
        match pattern.as_str() {
            "cmi.completion_status" => return Ok(outcome::completion_2004(state)),
            "cmi.success_status" => return Ok(outcome::success_2004(state)),
            _ => {}
        }
    }
    if let Some(value) = state.values.get(&path.key()) {
        return Ok(value.clone());
    }
    match (spec.default, v) {
        (Some(d), _) => Ok(d.to_string()),
        // 1.2 has no "not initialized" state: an unset element reads as "".
        (None, Version::Scorm12) => Ok(String::new()),
        (None, Version::Scorm2004) => {
            Err(Fault::NotInitialized.err(v, format!("{element} has no value yet")))
        }
    }
}

/// `None` means the prefix is not in the model at all (401).
fn get_keyword(
    v: Version,
    m: &Model,
    state: &CmiState,
    path: &Path,
    pattern: &str,
    keyword: Keyword,
) -> Option<Result<String, CmiError>> {
    let out_of_range = |e: super::path::IndexError| {
        Fault::OutOfRange.err(
            v,
            format!(
                "{} has {} records; index {} is out of range",
                e.collection, e.count, e.index
            ),
        )
    };
    let result = match keyword {
        Keyword::Children => match (m.children)(pattern) {
            Some(list) => path
                .check_indices(&state.values, false)
                .map(|_| list.to_string())
                .map_err(out_of_range),
            None if m.is_known(pattern) => {
                Err(Fault::NoChildren.err(v, format!("{pattern} has no children")))
            }
            None => return None,
        },
        Keyword::Count if m.is_collection(pattern) => path
            .check_indices(&state.values, false)
            .map(|_| count(&state.values, &path.key()).to_string())
            .map_err(out_of_range),
        Keyword::Count if m.is_known(pattern) => {
            Err(Fault::NoCount.err(v, format!("{pattern} is not a collection")))
        }
        Keyword::Version if v == Version::Scorm2004 && pattern == "cmi" => Ok("1.0".to_string()),
        Keyword::Version if v == Version::Scorm2004 && m.is_known(pattern) => {
            Err(Fault::NoVersion.err(v, format!("{pattern} has no _version")))
        }
        Keyword::Count | Keyword::Version => return None,
    };
    Some(result)
}

pub(super) fn set(
    v: Version,
    state: &mut CmiState,
    element: &str,
    value: &str,
    limits: &Limits,
) -> Result<(), CmiError> {
    if element.is_empty() {
        return Err(Fault::EmptySet.err(v, "SetValue needs an element name"));
    }
    if v == Version::Scorm2004 {
        special_2004(v, element, true)?;
    }
    let undefined = || Fault::Undefined.err(v, format!("{element} is not a data model element"));
    let path = Path::parse(element).ok_or_else(undefined)?;
    let m = model(v);
    let pattern = path.pattern();
    if path.keyword.is_some() {
        let version_of_cmi = v == Version::Scorm2004 && pattern == "cmi";
        return Err(if m.is_known(&pattern) || version_of_cmi {
            Fault::Keyword.err(v, format!("{element} is a keyword and cannot be set"))
        } else {
            undefined()
        });
    }
    let spec = (m.spec)(&pattern).ok_or_else(undefined)?;
    path.check_indices(&state.values, true).map_err(|e| {
        Fault::OutOfOrder.err(
            v,
            format!(
                "{} has {} records; cannot set index {}",
                e.collection, e.count, e.index
            ),
        )
    })?;
    if spec.access == Access::ReadOnly {
        return Err(Fault::ReadOnly.err(v, format!("{element} is read-only")));
    }
    let numbered = |b: Bad| b.fault.err(v, format!("{element}: {}", b.why));
    if v == Version::Scorm2004 {
        dependencies(state, &path, &pattern).map_err(numbered)?;
    }
    check_value(spec.ty, value, state, &path, limits).map_err(numbered)?;
    if v == Version::Scorm2004 {
        unique(state, &path, &pattern, value).map_err(numbered)?;
    }
    state.values.insert(path.key(), value.to_string());
    Ok(())
}

/// 2004 names that are not split like the others: `request_valid` targets
/// (which contain dots) and `adl.data`, which this LMS does not carry.
fn special_2004(v: Version, element: &str, for_set: bool) -> Result<(), CmiError> {
    if element == "adl.data" || element.starts_with("adl.data.") {
        return Err(Fault::Unimplemented.err(v, "adl.data (shared data) is not supported"));
    }
    match model2004::is_request_valid_target(element) {
        Some(true) if for_set => Err(Fault::ReadOnly.err(v, format!("{element} is read-only"))),
        Some(false) => Err(Fault::Undefined.err(v, format!("{element} needs a {{target=ID}}"))),
        _ => Ok(()),
    }
}

/// 2004 RTE 4.2.9 and 4.2.17: an objective or interaction record starts with its
/// id, and responses are only meaningful once the interaction type is known.
fn dependencies(state: &CmiState, path: &Path, pattern: &str) -> Result<(), Bad> {
    let values = &state.values;
    let needs_id = ["cmi.objectives.n", "cmi.interactions.n"]
        .iter()
        .any(|p| pattern.starts_with(&format!("{p}.")) && pattern != format!("{p}.id"));
    let record = path.record(0).unwrap_or_default();
    if needs_id && !values.contains_key(&format!("{record}.id")) {
        return Err(Bad {
            fault: Fault::Dependency,
            why: format!("{record}.id must be set first"),
        });
    }
    let typed = matches!(
        pattern,
        "cmi.interactions.n.learner_response" | "cmi.interactions.n.correct_responses.n.pattern"
    );
    if typed {
        let Some(kind) = values.get(&format!("{record}.type")) else {
            return Err(Bad {
                fault: Fault::Dependency,
                why: format!("{record}.type must be set first"),
            });
        };
        let index = path.index(1).unwrap_or(0);
        if let (Some(max), true) = (responses::max_patterns(kind), pattern.ends_with("pattern")) {
            if index >= max {
                return Err(Bad::limit(format!(
                    "a {kind} interaction has at most {max} correct response"
                )));
            }
        }
    }
    Ok(())
}

fn check_value(
    ty: Ty,
    value: &str,
    state: &CmiState,
    path: &Path,
    limits: &Limits,
) -> Result<(), Bad> {
    let vocab = |words: &[&str]| {
        if words.contains(&value) {
            Ok(())
        } else {
            Err(Bad::ty(format!(
                "\"{value}\" is not one of: {}",
                words.join(", ")
            )))
        }
    };
    let real = |min: Option<f64>, max: Option<f64>| {
        let x = types::parse_real(value)
            .ok_or_else(|| Bad::ty(format!("\"{value}\" is not a number")))?;
        if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
            return Err(Bad::range(format!(
                "{x} is outside {}..{}",
                fmt_bound(min),
                fmt_bound(max)
            )));
        }
        Ok(())
    };
    let format = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(Bad::ty(format!("\"{value}\" is not a {what}")))
        }
    };
    let interaction_type = || {
        state
            .values
            .get(&format!("{}.type", path.record(0).unwrap_or_default()))
            .cloned()
    };
    match ty {
        Ty::Text(max) => types::check_len(value, max, "the value"),
        Ty::LangText(max) => types::check_len(types::strip_lang(value)?, max, "the text"),
        Ty::SuspendData => types::check_len(value, limits.suspend_data_max, "cmi.suspend_data"),
        Ty::Vocab(words) => vocab(words),
        Ty::Real { min, max } => real(min, max),
        Ty::Score12 if value.is_empty() => Ok(()),
        Ty::Score12 => real(Some(0.0), Some(100.0)),
        Ty::Int(lo, hi) => match types::parse_int(value) {
            None => Err(Bad::ty(format!("\"{value}\" is not an integer"))),
            Some(x) if x < lo || x > hi => Err(Bad::range(format!("{x} is outside {lo}..{hi}"))),
            Some(_) => Ok(()),
        },
        Ty::Timespan => format(
            time::parse_timespan(value).is_some(),
            "CMITimespan (HHHH:MM:SS.SS)",
        ),
        Ty::CmiTime => format(time::is_cmi_time(value), "CMITime (HH:MM:SS.SS)"),
        Ty::Interval => format(
            time::parse_timeinterval(value).is_some(),
            "timeinterval (P[nY][nM][nD][T[nH][nM][n.nS]])",
        ),
        Ty::Timestamp => format(time::is_timestamp(value), "time (YYYY-MM-DDThh:mm:ss.s)"),
        Ty::Ident12 => types::check_ident12(value),
        Ty::Uri(spm) => types::check_uri_id(value, spm, "identifier"),
        Ty::Result12 => {
            vocab(&["correct", "wrong", "unanticipated", "neutral"]).or_else(|_| real(None, None))
        }
        Ty::Result2004 => vocab(&["correct", "incorrect", "unanticipated", "neutral"])
            .or_else(|_| real(None, None)),
        Ty::Feedback12 => types::check_len(value, 255, "CMIFeedback"),
        Ty::Response => responses::check_response(&interaction_type().unwrap_or_default(), value),
        Ty::Pattern => responses::check_pattern(&interaction_type().unwrap_or_default(), value),
        Ty::NavRequest => nav_request(value),
        Ty::Language => format(
            value.is_empty() || types::is_lang_code(value),
            "language code",
        ),
    }
}

fn fmt_bound(b: Option<f64>) -> String {
    b.map(|x| x.to_string()).unwrap_or_default()
}

/// adl.nav.request (RTE 4.4.2): a vocabulary word, or `{target=ID}choice` /
/// `{target=ID}jump`. A bare "choice" or "jump" has no target and is refused.
fn nav_request(value: &str) -> Result<(), Bad> {
    const PLAIN: &[&str] = &[
        "continue",
        "previous",
        "exit",
        "exitAll",
        "abandon",
        "abandonAll",
        "suspendAll",
        "_none_",
    ];
    if PLAIN.contains(&value) {
        return Ok(());
    }
    if let Some((target, request)) = value
        .strip_prefix("{target=")
        .and_then(|r| r.split_once('}'))
    {
        if request == "choice" || request == "jump" {
            return types::check_uri_id(target, 4000, "navigation target");
        }
    }
    Err(Bad::ty(format!("\"{value}\" is not a navigation request")))
}

/// 2004 identifier rules: objective ids are unique and, once set, fixed;
/// interaction objective ids are unique within their interaction; choice and
/// sequencing patterns are unique within their interaction. All refused with
/// 351, as the ADL sample RTE does (NOT_UNIQUE, OVERWRITE_ID).
fn unique(state: &CmiState, path: &Path, pattern: &str, value: &str) -> Result<(), Bad> {
    let values = &state.values;
    let clash = |collection: &str, field: &str, own: usize, same: &dyn Fn(&str) -> bool| {
        (0..count(values, collection))
            .filter(|j| *j != own)
            .find(|j| {
                values
                    .get(&format!("{collection}.{j}.{field}"))
                    .is_some_and(|x| same(x))
            })
    };
    match pattern {
        "cmi.objectives.n.id" => {
            if let Some(old) = values.get(&path.key()) {
                return if old == value {
                    Ok(())
                } else {
                    Err(Bad::limit(format!(
                        "objective id \"{old}\" cannot be changed"
                    )))
                };
            }
            let own = path.index(0).unwrap_or(0);
            if let Some(j) = clash("cmi.objectives", "id", own, &|x| x == value) {
                return Err(Bad::limit(format!(
                    "objective {j} already has id \"{value}\""
                )));
            }
        }
        "cmi.interactions.n.objectives.n.id" => {
            let collection = format!("{}.objectives", path.record(0).unwrap_or_default());
            if let Some(j) = clash(&collection, "id", path.index(1).unwrap_or(0), &|x| {
                x == value
            }) {
                return Err(Bad::limit(format!(
                    "{collection}.{j} already has id \"{value}\""
                )));
            }
        }
        "cmi.interactions.n.correct_responses.n.pattern" => {
            let record = path.record(0).unwrap_or_default();
            let kind = values
                .get(&format!("{record}.type"))
                .cloned()
                .unwrap_or_default();
            let collection = format!("{record}.correct_responses");
            let same = |x: &str| responses::same_pattern(&kind, x, value);
            if let Some(j) = clash(&collection, "pattern", path.index(1).unwrap_or(0), &same) {
                return Err(Bad::limit(format!(
                    "{collection}.{j} already has this pattern"
                )));
            }
        }
        _ => {}
    }
    Ok(())
}
