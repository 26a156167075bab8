//! Element names: `cmi.objectives.3.score.raw` becomes the pattern
//! `cmi.objectives.n.score.raw` plus its indices, and indices are checked
//! against the collection counts stored in the state.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    Children,
    Count,
    Version,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Name(String),
    Index(usize),
}

/// A parsed element name. Keys are rebuilt from the parsed indices, so
/// `cmi.objectives.01.id` and `cmi.objectives.1.id` name the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Path {
    segs: Vec<Seg>,
    pub keyword: Option<Keyword>,
}

/// Where an index check failed: the collection and its count.
#[derive(Debug)]
pub(super) struct IndexError {
    pub collection: String,
    pub index: usize,
    pub count: usize,
}

impl Path {
    /// `None` when a segment is empty (`cmi..id`, a trailing dot) or is `n`.
    pub(super) fn parse(element: &str) -> Option<Path> {
        let mut segs = Vec::new();
        for part in element.split('.') {
            // "n" is how patterns spell an index; as a literal name it would
            // match the table and store under a key no index resolves to.
            if part.is_empty() || part == "n" {
                return None;
            }
            if part.bytes().all(|b| b.is_ascii_digit()) {
                // An index too large for usize is still an index: it is simply
                // out of range, which the count check reports.
                segs.push(Seg::Index(part.parse().unwrap_or(usize::MAX)));
            } else {
                segs.push(Seg::Name(part.to_string()));
            }
        }
        let keyword = match segs.last() {
            Some(Seg::Name(n)) if n == "_children" => Some(Keyword::Children),
            Some(Seg::Name(n)) if n == "_count" => Some(Keyword::Count),
            Some(Seg::Name(n)) if n == "_version" => Some(Keyword::Version),
            _ => None,
        };
        if keyword.is_some() {
            segs.pop();
        }
        Some(Path { segs, keyword })
    }

    /// The name with every index written as `n`.
    pub(super) fn pattern(&self) -> String {
        self.render(|_| "n".to_string())
    }

    /// The storage key: the name with canonical indices.
    pub(super) fn key(&self) -> String {
        self.render(|i| i.to_string())
    }

    /// The storage prefix of the record holding the `level`-th index
    /// (`cmi.interactions.2` for level 0 of `cmi.interactions.2.objectives.0.id`).
    pub(super) fn record(&self, level: usize) -> Option<String> {
        let mut seen = 0;
        for (pos, seg) in self.segs.iter().enumerate() {
            if let Seg::Index(_) = seg {
                if seen == level {
                    let sub = Path {
                        segs: self.segs[..=pos].to_vec(),
                        keyword: None,
                    };
                    return Some(sub.key());
                }
                seen += 1;
            }
        }
        None
    }

    /// The index at `level`, if the name has that many.
    pub(super) fn index(&self, level: usize) -> Option<usize> {
        self.segs
            .iter()
            .filter_map(|s| match s {
                Seg::Index(i) => Some(*i),
                Seg::Name(_) => None,
            })
            .nth(level)
    }

    /// Checks every index against its collection's count. A get needs an
    /// existing record (`index < count`); a set may also append one
    /// (`index == count`), because collections are packed arrays.
    pub(super) fn check_indices(
        &self,
        values: &BTreeMap<String, String>,
        for_set: bool,
    ) -> Result<(), IndexError> {
        let mut prefix = String::new();
        for seg in &self.segs {
            match seg {
                Seg::Name(n) => {
                    if !prefix.is_empty() {
                        prefix.push('.');
                    }
                    prefix.push_str(n);
                }
                Seg::Index(i) => {
                    let count = count(values, &prefix);
                    let ok = if for_set { *i <= count } else { *i < count };
                    if !ok {
                        return Err(IndexError {
                            collection: prefix,
                            index: *i,
                            count,
                        });
                    }
                    prefix.push('.');
                    prefix.push_str(&i.to_string());
                }
            }
        }
        Ok(())
    }

    fn render(&self, index: impl Fn(usize) -> String) -> String {
        let parts: Vec<String> = self
            .segs
            .iter()
            .map(|s| match s {
                Seg::Name(n) => n.clone(),
                Seg::Index(i) => index(*i),
            })
            .collect();
        parts.join(".")
    }
}

/// Number of records in the collection at `prefix` (`cmi.objectives`). A record
/// exists once any of its elements has been stored; records are appended in
/// order, so the count is the first index with nothing under it.
pub(super) fn count(values: &BTreeMap<String, String>, prefix: &str) -> usize {
    let mut n = 0;
    loop {
        let record = format!("{prefix}.{n}.");
        let exists = values
            .range(record.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&record));
        if !exists {
            return n;
        }
        n += 1;
    }
}
