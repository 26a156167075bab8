//! How an element is described: who may read or write it, its value type and
//! its default. Each version's table (model12, model2004) is built from these.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    ReadOnly,
    WriteOnly,
    ReadWrite,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Ty {
    /// Free text with a size limit (CMIString255/4096, characterstring SPM).
    Text(usize),
    /// 2004 localized_string_type: an optional `{lang=..}`, then text.
    LangText(usize),
    /// `cmi.suspend_data`, limited by `Limits::suspend_data_max`.
    SuspendData,
    Vocab(&'static [&'static str]),
    /// 2004 real(10,7) or 1.2 CMIDecimal, within optional bounds.
    Real {
        min: Option<f64>,
        max: Option<f64>,
    },
    /// 1.2 scores: CMIDecimal in 0..=100, or CMIBlank ("").
    Score12,
    /// 1.2 CMISInteger within bounds.
    Int(i64, i64),
    /// 1.2 CMITimespan.
    Timespan,
    /// 1.2 CMITime.
    CmiTime,
    /// 2004 timeinterval (second,10,2).
    Interval,
    /// 2004 time (second,10,0).
    Timestamp,
    /// 1.2 CMIIdentifier.
    Ident12,
    /// 2004 identifier (a URI) with its SPM: 4000 long, 250 short.
    Uri(usize),
    /// 1.2 interaction result: vocabulary or CMIDecimal.
    Result12,
    /// 2004 interaction result: vocabulary or real.
    Result2004,
    /// 1.2 CMIFeedback.
    Feedback12,
    /// 2004 learner_response, formatted per the interaction type.
    Response,
    /// 2004 correct_responses.n.pattern, formatted per the interaction type.
    Pattern,
    /// 2004 adl.nav.request.
    NavRequest,
    /// 2004 learner_preference.language: a language code or "".
    Language,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Spec {
    pub access: Access,
    pub ty: Ty,
    /// What GetValue returns before anything is stored.
    pub default: Option<&'static str>,
}

pub(super) const fn ro(ty: Ty) -> Option<Spec> {
    Some(Spec {
        access: Access::ReadOnly,
        ty,
        default: None,
    })
}
pub(super) const fn wo(ty: Ty) -> Option<Spec> {
    Some(Spec {
        access: Access::WriteOnly,
        ty,
        default: None,
    })
}
pub(super) const fn rw(ty: Ty) -> Option<Spec> {
    Some(Spec {
        access: Access::ReadWrite,
        ty,
        default: None,
    })
}
pub(super) const fn with_default(spec: Option<Spec>, default: &'static str) -> Option<Spec> {
    match spec {
        Some(s) => Some(Spec {
            default: Some(default),
            ..s
        }),
        None => None,
    }
}

/// One version's data model: element table, `_children` lists, collections.
pub(super) struct Model {
    pub spec: fn(&str) -> Option<Spec>,
    pub children: fn(&str) -> Option<&'static str>,
    /// Patterns of the collections (arrays) that have `_count`.
    pub collections: &'static [&'static str],
}

impl Model {
    pub(super) fn is_collection(&self, pattern: &str) -> bool {
        self.collections.contains(&pattern)
    }

    /// Whether the pattern names anything in the model: an element, a parent
    /// with children, a collection or one of its records. Keyword errors differ
    /// between "known but not that kind" and "unknown".
    pub(super) fn is_known(&self, pattern: &str) -> bool {
        (self.spec)(pattern).is_some()
            || (self.children)(pattern).is_some()
            || self.is_collection(pattern)
            || pattern
                .strip_suffix(".n")
                .is_some_and(|c| self.is_collection(c))
    }
}

pub(super) const CREDIT: &[&str] = &["credit", "no-credit"];
pub(super) const MODE: &[&str] = &["normal", "browse", "review"];
pub(super) const TIME_LIMIT_ACTION: &[&str] = &[
    "exit,message",
    "exit,no message",
    "continue,message",
    "continue,no message",
];
