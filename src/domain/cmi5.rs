//! cmi5's rules of satisfaction (cmi5 section 9.3.9 and 13.1.4): when an AU has met its
//! moveOn criteria, and which blocks and whether the course are satisfied by that.

use std::collections::{HashMap, HashSet};

/// An AU's moveOn criteria from the course structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveOn {
    Completed,
    Passed,
    CompletedAndPassed,
    CompletedOrPassed,
    NotApplicable,
}

impl MoveOn {
    /// The course structure's value; anything else is the schema's default, NotApplicable.
    pub fn parse(value: &str) -> MoveOn {
        match value {
            "Completed" => MoveOn::Completed,
            "Passed" => MoveOn::Passed,
            "CompletedAndPassed" => MoveOn::CompletedAndPassed,
            "CompletedOrPassed" => MoveOn::CompletedOrPassed,
            _ => MoveOn::NotApplicable,
        }
    }

    /// Whether the criteria are met, given whether the registration holds a Completed and
    /// a Passed statement for the AU. NotApplicable is met from enrolment on.
    pub fn met(self, completed: bool, passed: bool) -> bool {
        match self {
            MoveOn::Completed => completed,
            MoveOn::Passed => passed,
            MoveOn::CompletedAndPassed => completed && passed,
            MoveOn::CompletedOrPassed => completed || passed,
            MoveOn::NotApplicable => true,
        }
    }
}

/// One node of the course structure: a block or an AU, under its parent block (`None`: the
/// course itself).
#[derive(Debug, Clone)]
pub struct StructureNode {
    pub key: String,
    pub parent: Option<String>,
    pub is_block: bool,
}

/// What is satisfied: the blocks whose every AU (at any depth) met its criteria, in course
/// order, and whether every AU of the course did. A block without AUs is never satisfied:
/// there is nothing for the learner to have met.
pub fn satisfied(structure: &[StructureNode], met: &HashSet<String>) -> (Vec<String>, bool) {
    let by_key: HashMap<&str, &StructureNode> = structure.iter().map(|n| (n.key.as_str(), n)).collect();
    // Per block: (AUs under it, AUs under it that met their criteria).
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    let (mut aus, mut aus_met) = (0, 0);
    for au in structure.iter().filter(|n| !n.is_block) {
        let ok = met.contains(&au.key);
        aus += 1;
        aus_met += usize::from(ok);
        let mut parent = au.parent.as_deref();
        // Bounded by the structure's size, so a malformed cycle cannot loop for ever.
        for _ in 0..structure.len() {
            let Some(block) = parent.and_then(|p| by_key.get(p)).filter(|n| n.is_block) else { break };
            let entry = counts.entry(block.key.as_str()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(ok);
            parent = block.parent.as_deref();
        }
    }
    let blocks = structure
        .iter()
        .filter(|n| n.is_block)
        .filter(|n| counts.get(n.key.as_str()).is_some_and(|(all, ok)| *all > 0 && all == ok))
        .map(|n| n.key.clone())
        .collect();
    (blocks, aus > 0 && aus == aus_met)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(key: &str, parent: Option<&str>, is_block: bool) -> StructureNode {
        StructureNode { key: key.into(), parent: parent.map(str::to_string), is_block }
    }

    #[test]
    fn move_on_criteria_as_the_course_structure_defines_them() {
        use MoveOn::*;
        let table = [
            (Completed, [false, true, false, true]),
            (Passed, [false, false, true, true]),
            (CompletedAndPassed, [false, false, false, true]),
            (CompletedOrPassed, [false, true, true, true]),
            (NotApplicable, [true, true, true, true]),
        ];
        for (rule, expected) in table {
            let got = [(false, false), (true, false), (false, true), (true, true)].map(|(c, p)| rule.met(c, p));
            assert_eq!(got, expected, "{rule:?}");
        }
        assert_eq!(MoveOn::parse("Passed"), Passed);
        assert_eq!(MoveOn::parse("passed"), NotApplicable, "values are case-sensitive in the schema");
    }

    #[test]
    fn a_block_is_satisfied_when_all_its_aus_are_and_the_course_when_all_aus_are() {
        // course
        //   block b1: au1, block b1.1: au2
        //   block b2: au3
        //   block empty
        //   au4 (directly in the course)
        let structure = [
            node("b1", None, true),
            node("au1", Some("b1"), false),
            node("b1.1", Some("b1"), true),
            node("au2", Some("b1.1"), false),
            node("b2", None, true),
            node("au3", Some("b2"), false),
            node("empty", None, true),
            node("au4", None, false),
        ];
        let met = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<HashSet<_>>();
        assert_eq!(satisfied(&structure, &met(&[])), (vec![], false));
        assert_eq!(satisfied(&structure, &met(&["au2"])), (vec!["b1.1".to_string()], false));
        assert_eq!(satisfied(&structure, &met(&["au1", "au2"])), (vec!["b1".to_string(), "b1.1".to_string()], false));
        assert_eq!(satisfied(&structure, &met(&["au1", "au2", "au3"])).1, false, "au4 is still open");
        let (blocks, course) = satisfied(&structure, &met(&["au1", "au2", "au3", "au4"]));
        assert_eq!(blocks, ["b1", "b1.1", "b2"]);
        assert!(course, "the empty block does not hold the course back");
        assert_eq!(satisfied(&[], &met(&[])), (vec![], false), "no AU, nothing satisfied");
    }
}
