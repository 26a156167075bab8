//! SCORM 2004 interaction response formats (RTE 4.2.9.1 correct_responses and
//! 4.2.9.2 learner_response): what a pattern or a learner response must look
//! like for each `cmi.interactions.n.type`.

use super::error::Bad;
use super::types::{check_len, check_uri_id, is_lang_code, parse_real};

const SHORT: usize = 250;
const LONG: usize = 4000;

/// How many correct_responses a type may have. The RTE gives these four types
/// exactly one pattern; the others allow several (SPM 10 or 5, not a maximum).
pub(super) fn max_patterns(kind: &str) -> Option<usize> {
    matches!(kind, "true-false" | "likert" | "numeric" | "other").then_some(1)
}

/// Checks a `correct_responses.n.pattern` for an interaction of type `kind`.
pub(super) fn check_pattern(kind: &str, value: &str) -> Result<(), Bad> {
    match kind {
        "true-false" => true_false(value),
        "choice" => identifier_set(value, true),
        "fill-in" => {
            let text = delimiters(value, &["case_matters", "order_matters"])?;
            localized_list(text)
        }
        "long-fill-in" => {
            let text = delimiters(value, &["case_matters", "lang"])?;
            check_len(text, LONG, "long-fill-in pattern")
        }
        "likert" => check_uri_id(value, SHORT, "likert pattern"),
        "matching" => pairs(value, false),
        "performance" => steps(delimiters(value, &["order_matters"])?),
        "sequencing" => identifier_list(value),
        "numeric" => numeric_pattern(value),
        "other" => check_len(value, LONG, "pattern"),
        _ => Err(Bad::ty(format!("unknown interaction type \"{kind}\""))),
    }
}

/// Checks a `learner_response` for an interaction of type `kind`.
pub(super) fn check_response(kind: &str, value: &str) -> Result<(), Bad> {
    match kind {
        "true-false" => true_false(value),
        "choice" => identifier_set(value, true),
        "fill-in" => localized_list(value),
        "long-fill-in" => check_len(delimiters(value, &["lang"])?, LONG, "long-fill-in response"),
        "likert" => check_uri_id(value, SHORT, "likert response"),
        "matching" => pairs(value, true),
        "performance" => steps(value),
        "sequencing" => identifier_list(value),
        "numeric" => parse_real(value)
            .map(|_| ())
            .ok_or_else(|| Bad::ty("numeric response is not a real number")),
        "other" => check_len(value, LONG, "learner_response"),
        _ => Err(Bad::ty(format!("unknown interaction type \"{kind}\""))),
    }
}

/// Whether two patterns count as the same for the uniqueness rule on choice
/// and sequencing patterns: choice patterns are sets, so order does not matter.
pub(super) fn same_pattern(kind: &str, a: &str, b: &str) -> bool {
    match kind {
        "choice" => {
            let mut x: Vec<&str> = a.split("[,]").collect();
            let mut y: Vec<&str> = b.split("[,]").collect();
            x.sort_unstable();
            y.sort_unstable();
            x == y
        }
        "sequencing" => a == b,
        _ => false,
    }
}

fn true_false(value: &str) -> Result<(), Bad> {
    match value {
        "true" | "false" => Ok(()),
        _ => Err(Bad::ty("true-false takes \"true\" or \"false\"")),
    }
}

/// Consumes the leading `{name=value}` delimiters this field allows, each once,
/// checking their values; returns the rest. An unknown `{..}` is ordinary text.
fn delimiters<'a>(mut value: &'a str, allowed: &[&str]) -> Result<&'a str, Bad> {
    let mut seen: Vec<&str> = Vec::new();
    while let Some((inner, rest)) = value.strip_prefix('{').and_then(|r| r.split_once('}')) {
        let Some((name, v)) = inner.split_once('=') else {
            break;
        };
        if !allowed.contains(&name) || seen.contains(&name) {
            break;
        }
        let ok = match name {
            "lang" => is_lang_code(v),
            _ => v == "true" || v == "false",
        };
        if !ok {
            return Err(Bad::ty(format!(
                "bad value \"{v}\" for the {name} delimiter"
            )));
        }
        seen.push(name);
        value = rest;
    }
    Ok(value)
}

/// `id[,]id...`: unique short identifiers; "" is the empty set (choice).
fn identifier_set(value: &str, allow_empty: bool) -> Result<(), Bad> {
    if value.is_empty() && allow_empty {
        return Ok(());
    }
    let items: Vec<&str> = value.split("[,]").collect();
    for (i, item) in items.iter().enumerate() {
        check_uri_id(item, SHORT, "choice identifier")?;
        if items[..i].contains(item) {
            return Err(Bad::ty(format!("choice identifier \"{item}\" is repeated")));
        }
    }
    Ok(())
}

/// `id[,]id...` in order, at least one (sequencing).
fn identifier_list(value: &str) -> Result<(), Bad> {
    value
        .split("[,]")
        .try_for_each(|item| check_uri_id(item, SHORT, "sequencing identifier"))
}

/// `{lang=xx}text[,]{lang=yy}text...` (fill-in).
fn localized_list(value: &str) -> Result<(), Bad> {
    value.split("[,]").try_for_each(|item| {
        let text = delimiters(item, &["lang"])?;
        check_len(text, SHORT, "fill-in text")
    })
}

/// `source[.]target[,]...` (matching). A pattern must name at least one pair;
/// a learner may answer nothing.
fn pairs(value: &str, allow_empty: bool) -> Result<(), Bad> {
    if value.is_empty() {
        return if allow_empty {
            Ok(())
        } else {
            Err(Bad::ty("a matching pattern needs a pair"))
        };
    }
    value.split("[,]").try_for_each(|pair| {
        let (source, target) = split_once_only(pair, "[.]")
            .ok_or_else(|| Bad::ty(format!("\"{pair}\" is not a source[.]target pair")))?;
        check_uri_id(source, SHORT, "matching source")?;
        check_uri_id(target, SHORT, "matching target")
    })
}

/// `name[.]answer[,]...` (performance): a name, an answer or both; an answer is
/// text or a numeric range `min[:]max`.
fn steps(value: &str) -> Result<(), Bad> {
    value.split("[,]").try_for_each(|step| {
        let (name, answer) = split_once_only(step, "[.]")
            .ok_or_else(|| Bad::ty(format!("\"{step}\" is not a name[.]answer step")))?;
        if name.is_empty() && answer.is_empty() {
            return Err(Bad::ty("a performance step needs a name or an answer"));
        }
        if !name.is_empty() {
            check_uri_id(name, SHORT, "step name")?;
        }
        if answer.contains("[:]") {
            numeric_range(answer)
        } else {
            check_len(answer, SHORT, "step answer")
        }
    })
}

/// A numeric interaction's pattern: `min[:]max`, or a bare real number `n`, which
/// means `n[:]n`. The bare form is outside RTE 4.2.9.1, but content written for
/// SCORM Cloud sends it (Rustici's own "Run-time advanced calls" example does) and
/// it can mean nothing else; anything else still has to be a range.
fn numeric_pattern(value: &str) -> Result<(), Bad> {
    if !value.contains("[:]") && parse_real(value).is_some() {
        return Ok(());
    }
    numeric_range(value)
}

/// `min[:]max` with either bound optional and `min <= max` (numeric pattern).
fn numeric_range(value: &str) -> Result<(), Bad> {
    let (min, max) =
        split_once_only(value, "[:]").ok_or_else(|| Bad::ty("a numeric pattern is min[:]max"))?;
    let bound = |s: &str| -> Result<Option<f64>, Bad> {
        if s.is_empty() {
            return Ok(None);
        }
        parse_real(s)
            .map(Some)
            .ok_or_else(|| Bad::ty(format!("\"{s}\" is not a real number")))
    };
    match (bound(min)?, bound(max)?) {
        (Some(lo), Some(hi)) if lo > hi => Err(Bad::ty("the range minimum exceeds its maximum")),
        // Either bound may be left out, but not both: `[:]` would make every
        // answer correct, which no author means.
        (None, None) => Err(Bad::ty("a numeric range needs a minimum or a maximum")),
        _ => Ok(()),
    }
}

/// Splits on a separator that must occur exactly once.
fn split_once_only<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let (a, b) = s.split_once(sep)?;
    (!b.contains(sep)).then_some((a, b))
}
