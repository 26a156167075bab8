//! SCORM 1.2 `adlcp:prerequisites` (type `aicc_script`, SCORM 1.2 CAM 2.3.2.4 after AICC
//! CMI001): a small expression over the statuses of other items of the course, which must
//! hold before a learner may open the item.
//!
//! Grammar, loosest first: `a | b`, `a & b`, `~a`, `(a)`, `N*{a, b, c}` (at least N of the
//! set hold), and an item identifier, alone (it holds when the item is completed or passed)
//! or compared with a status: `a = passed`, `a <> failed` (the 1.2 words, quoted or not,
//! or their first letters: p c f i b n).

use std::collections::HashMap;
use std::fmt;

/// A learner's standing in one item, in SCORM 1.2's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    NotAttempted,
    Incomplete,
    Browsed,
    Completed,
    Passed,
    Failed,
}

impl ItemStatus {
    /// Satisfies a bare identifier in a rule.
    pub fn is_done(self) -> bool {
        matches!(self, ItemStatus::Completed | ItemStatus::Passed)
    }

    fn parse(word: &str) -> Option<ItemStatus> {
        Some(match word.to_ascii_lowercase().as_str() {
            "passed" | "p" => ItemStatus::Passed,
            "completed" | "c" => ItemStatus::Completed,
            "failed" | "f" => ItemStatus::Failed,
            "incomplete" | "i" => ItemStatus::Incomplete,
            "browsed" | "b" => ItemStatus::Browsed,
            "not attempted" | "n" => ItemStatus::NotAttempted,
            _ => return None,
        })
    }
}

/// One item of a course in position order (parents before their children), as
/// `course_statuses` reads it.
pub struct Standing<'a> {
    pub identifier: &'a str,
    /// Index of the parent in the same slice.
    pub parent: Option<usize>,
    /// The learner's status in a lesson; `None` for a folder.
    pub status: Option<ItemStatus>,
}

/// Every item's status by identifier, folders included: a folder is completed once every
/// lesson in it (at any depth) is done, incomplete once one is started, else not attempted.
pub fn course_statuses<'a>(items: &[Standing<'a>]) -> HashMap<&'a str, ItemStatus> {
    // (lessons, done, started) below each item, filled children first.
    let mut below = vec![(0usize, 0usize, 0usize); items.len()];
    let mut out = HashMap::new();
    for (i, item) in items.iter().enumerate().rev() {
        let (lessons, done, started) = below[i];
        let (status, counts) = match item.status {
            Some(s) => (s, (1, usize::from(s.is_done()), usize::from(s != ItemStatus::NotAttempted))),
            None if lessons > 0 && done == lessons => (ItemStatus::Completed, below[i]),
            None if started > 0 => (ItemStatus::Incomplete, below[i]),
            None => (ItemStatus::NotAttempted, below[i]),
        };
        if let Some(p) = item.parent.filter(|&p| p < i) {
            below[p] = (below[p].0 + counts.0, below[p].1 + counts.1, below[p].2 + counts.2);
        }
        out.insert(item.identifier, status);
    }
    out
}

/// A parsed rule. Identifiers are as written; whether they name items of the course is the
/// importer's to check (`identifiers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Item(String),
    Is(String, ItemStatus),
    IsNot(String, ItemStatus),
    Not(Box<Rule>),
    And(Vec<Rule>),
    Or(Vec<Rule>),
    AtLeast(usize, Vec<Rule>),
}

/// Why a rule does not parse, with the character offset where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.at + 1)
    }
}

impl Rule {
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let tokens = tokenize(text)?;
        if tokens.is_empty() {
            return Err(RuleError { at: 0, message: "the rule is empty".into() });
        }
        let mut p = Parser { tokens, next: 0, end: text.chars().count() };
        let rule = p.or()?;
        match p.tokens.get(p.next) {
            None => Ok(rule),
            Some((at, t)) => Err(RuleError { at: *at, message: format!("unexpected {t}") }),
        }
    }

    /// Whether the rule holds for the statuses `status` gives; an item it does not know is
    /// not attempted.
    pub fn holds(&self, status: &dyn Fn(&str) -> Option<ItemStatus>) -> bool {
        let of = |id: &str| status(id).unwrap_or(ItemStatus::NotAttempted);
        match self {
            Rule::Item(id) => of(id).is_done(),
            Rule::Is(id, s) => of(id) == *s,
            Rule::IsNot(id, s) => of(id) != *s,
            Rule::Not(r) => !r.holds(status),
            Rule::And(rs) => rs.iter().all(|r| r.holds(status)),
            Rule::Or(rs) => rs.iter().any(|r| r.holds(status)),
            Rule::AtLeast(n, rs) => rs.iter().filter(|r| r.holds(status)).count() >= *n,
        }
    }

    /// Every identifier the rule names, once each, in order of appearance.
    pub fn identifiers(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |id, _| out.push(id), false);
        dedup(out)
    }

    /// What to tell a learner the rule is waiting for: the items it needs done (not under a
    /// `~`) that are not done yet; every identifier it names when none is.
    pub fn waiting_for(&self, status: &dyn Fn(&str) -> Option<ItemStatus>) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |id, negated| {
            if !negated && !status(id).is_some_and(ItemStatus::is_done) {
                out.push(id);
            }
        }, false);
        let out = dedup(out);
        if out.is_empty() { self.identifiers() } else { out }
    }

    fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a str, bool), negated: bool) {
        match self {
            Rule::Item(id) | Rule::Is(id, _) => f(id, negated),
            Rule::IsNot(id, _) => f(id, !negated),
            Rule::Not(r) => r.walk(f, !negated),
            Rule::And(rs) | Rule::Or(rs) | Rule::AtLeast(_, rs) => rs.iter().for_each(|r| r.walk(f, negated)),
        }
    }
}

fn dedup(ids: Vec<&str>) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => write!(f, "`{w}`"),
            Token::Quoted(q) => write!(f, "\"{q}\""),
            Token::Op(op) => write!(f, "`{op}`"),
        }
    }
}

const OPS: [&str; 10] = ["<>", "&", "|", "~", "(", ")", "*", "{", "}", ","];

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
        if let Some(op) = OPS.iter().chain(&["="]).find(|op| rest.starts_with(**op)) {
            out.push((i, Token::Op(op)));
            i += op.chars().count();
            continue;
        }
        if c == '"' {
            let close = chars[i + 1..].iter().position(|&c| c == '"').ok_or(RuleError { at: i, message: "a quote is not closed".into() })?;
            out.push((i, Token::Quoted(chars[i + 1..i + 1 + close].iter().collect())));
            i += close + 2;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !"&|~(){}*,=<>\"".contains(chars[i]) {
            i += 1;
        }
        if i == start {
            return Err(RuleError { at: i, message: format!("unexpected `{c}`") });
        }
        out.push((start, Token::Word(chars[start..i].iter().collect())));
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    next: usize,
    /// Where the text ends, for "expected ... at the end".
    end: usize,
}

impl Parser {
    fn peek_op(&self, op: &str) -> bool {
        matches!(self.tokens.get(self.next), Some((_, Token::Op(o))) if *o == op)
    }

    fn expect(&mut self, op: &str) -> Result<(), RuleError> {
        if self.peek_op(op) {
            self.next += 1;
            return Ok(());
        }
        Err(self.error(format!("expected `{op}`")))
    }

    fn error(&self, expected: String) -> RuleError {
        match self.tokens.get(self.next) {
            Some((at, t)) => RuleError { at: *at, message: format!("{expected}, found {t}") },
            None => RuleError { at: self.end, message: format!("{expected} at the end") },
        }
    }

    fn or(&mut self) -> Result<Rule, RuleError> {
        self.joined("|", Parser::and, Rule::Or)
    }

    fn and(&mut self) -> Result<Rule, RuleError> {
        self.joined("&", Parser::unary, Rule::And)
    }

    /// `part (op part)*`, one part as itself.
    fn joined(&mut self, op: &str, part: fn(&mut Parser) -> Result<Rule, RuleError>, all: fn(Vec<Rule>) -> Rule) -> Result<Rule, RuleError> {
        let mut parts = vec![part(self)?];
        while self.peek_op(op) {
            self.next += 1;
            parts.push(part(self)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { all(parts) })
    }

    fn unary(&mut self) -> Result<Rule, RuleError> {
        if self.peek_op("~") {
            self.next += 1;
            return Ok(Rule::Not(Box::new(self.unary()?)));
        }
        if self.peek_op("(") {
            self.next += 1;
            let inner = self.or()?;
            self.expect(")")?;
            return Ok(inner);
        }
        let Some((at, Token::Word(word))) = self.tokens.get(self.next).cloned() else {
            return Err(self.error("expected an item identifier".into()));
        };
        self.next += 1;
        if self.peek_op("*") {
            let n: usize = word.parse().map_err(|_| RuleError { at, message: format!("`{word}` before `*` is not a count") })?;
            self.next += 1;
            self.expect("{")?;
            let mut members = vec![self.or()?];
            while self.peek_op(",") {
                self.next += 1;
                members.push(self.or()?);
            }
            self.expect("}")?;
            if n > members.len() {
                return Err(RuleError { at, message: format!("{n} of a set of {} can never hold", members.len()) });
            }
            return Ok(Rule::AtLeast(n, members));
        }
        for (op, negated) in [("=", false), ("<>", true)] {
            if self.peek_op(op) {
                self.next += 1;
                let status = match self.tokens.get(self.next) {
                    Some((_, Token::Word(w) | Token::Quoted(w))) => ItemStatus::parse(w),
                    _ => None,
                };
                let Some(status) = status else {
                    return Err(self.error("expected a status (passed, completed, failed, incomplete, browsed, not attempted)".into()));
                };
                self.next += 1;
                return Ok(if negated { Rule::IsNot(word, status) } else { Rule::Is(word, status) });
            }
        }
        Ok(Rule::Item(word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statuses<'a>(done: &'a [(&'a str, ItemStatus)]) -> impl Fn(&str) -> Option<ItemStatus> + 'a {
        move |id| done.iter().find(|(i, _)| *i == id).map(|(_, s)| *s)
    }

    #[test]
    fn the_operators_and_their_precedence() {
        use ItemStatus::*;
        let s = [("a", Completed), ("b", Failed), ("c", Passed), ("d", Incomplete)];
        let holds = |rule: &str| Rule::parse(rule).unwrap_or_else(|e| panic!("{rule}: {e}")).holds(&statuses(&s));
        assert!(holds("a"));
        assert!(holds("c"), "passed satisfies");
        assert!(!holds("b"), "failed does not");
        assert!(!holds("d") && !holds("zzz"), "incomplete and unknown items do not");
        assert!(holds("a & c") && !holds("a & b"));
        assert!(holds("b | c") && !holds("b | d"));
        assert!(holds("~b") && !holds("~a"));
        assert!(holds("b & d | a"), "& binds tighter than |");
        assert!(!holds("b & (d | a)"));
        assert!(holds("~(b | d)"));
        assert!(holds("2*{a,b,c}") && !holds("3*{a, b, c}") && holds("0*{b}"));
        assert!(holds("2*{a, b | c, d}"), "set members are expressions");
        assert!(holds("b = failed") && holds("b=f") && holds("d = \"incomplete\"") && holds("zzz = \"not attempted\""));
        assert!(holds("b <> passed") && !holds("a <> c"));
        assert!(holds("a&c&~b&(b|c)"), "no blanks needed");
    }

    #[test]
    fn bad_rules_say_where() {
        for (rule, message) in [
            ("", "empty"),
            ("a &", "expected an item identifier at the end"),
            ("a b", "unexpected `b`"),
            ("(a | b", "expected `)` at the end"),
            ("x*{a}", "not a count"),
            ("3*{a,b}", "can never hold"),
            ("2*{a,b", "expected `}`"),
            ("a = done", "expected a status"),
            ("a | | b", "found `|`"),
            ("\"a", "quote is not closed"),
            ("a)", "unexpected `)`"),
        ] {
            let e = Rule::parse(rule).expect_err(rule);
            assert!(e.message.contains(message), "{rule}: {e}");
        }
        assert_eq!(Rule::parse("a b").unwrap_err().to_string(), "unexpected `b` (at character 3)");
    }

    #[test]
    fn folders_hold_once_every_lesson_in_them_is_done() {
        use ItemStatus::*;
        let course = |a: ItemStatus, b: ItemStatus| {
            let items = [
                Standing { identifier: "unit", parent: None, status: None },
                Standing { identifier: "part", parent: Some(0), status: None },
                Standing { identifier: "a", parent: Some(1), status: Some(a) },
                Standing { identifier: "b", parent: Some(0), status: Some(b) },
                Standing { identifier: "empty", parent: None, status: None },
            ];
            let s = course_statuses(&items);
            (s["unit"], s["part"], s["empty"])
        };
        assert_eq!(course(Completed, Passed), (Completed, Completed, NotAttempted));
        assert_eq!(course(Completed, Failed), (Incomplete, Completed, NotAttempted), "failed is started, not done");
        assert_eq!(course(NotAttempted, NotAttempted), (NotAttempted, NotAttempted, NotAttempted));
        assert_eq!(course(Incomplete, NotAttempted), (Incomplete, Incomplete, NotAttempted));
    }

    #[test]
    fn identifiers_and_what_a_learner_waits_for() {
        use ItemStatus::*;
        let rule = Rule::parse("intro & (quiz1 | quiz2) & ~skip & intro").unwrap();
        assert_eq!(rule.identifiers(), ["intro", "quiz1", "quiz2", "skip"]);
        let s = [("intro", Completed)];
        assert_eq!(rule.waiting_for(&statuses(&s)), ["quiz1", "quiz2"]);
        assert_eq!(Rule::parse("~a").unwrap().waiting_for(&statuses(&[("a", Passed)])), ["a"]);
    }
}
