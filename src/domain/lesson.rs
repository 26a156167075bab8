//! Where a lesson sits among its course's items: its neighbours, and whether forced
//! sequential order (SCORM 2004 without `choice`) keeps it locked.

/// One item of a course in position order, as far as navigation cares.
pub struct Entry {
    pub id: i64,
    /// Folders structure the table of contents and are never opened as lessons.
    pub folder: bool,
    /// The learner is done with it (see `is_done`).
    pub done: bool,
}

/// A lesson's place: indexes into the entries it was found in.
#[derive(Debug, PartialEq, Eq)]
pub struct Place {
    pub index: usize,
    pub prev: Option<usize>,
    pub next: Option<usize>,
    pub locked: bool,
}

/// A status that counts as done for forced sequential order.
pub fn is_done(status: &str) -> bool {
    matches!(status, "completed" | "passed" | "failed")
}

/// Finds lesson `item_id`; `None` when it is not a lesson of these entries. With
/// `forward_only` there is no way back; without `choice` a lesson opens only when every
/// lesson before it is done.
pub fn place(entries: &[Entry], item_id: i64, forward_only: bool, choice: bool) -> Option<Place> {
    let index = entries.iter().position(|e| e.id == item_id && !e.folder)?;
    let lessons: Vec<usize> = (0..entries.len()).filter(|&i| !entries[i].folder).collect();
    let at = lessons.iter().position(|&i| i == index).unwrap_or(0);
    Some(Place {
        index,
        prev: at.checked_sub(1).filter(|_| !forward_only).map(|p| lessons[p]),
        next: lessons.get(at + 1).copied(),
        locked: !choice && lessons[..at].iter().any(|&l| !entries[l].done),
    })
}

/// Whether a lesson of this kind, in a course of this format, works from an offline copy:
/// external links need their site, and SCORM/cmi5 content runs on the content origin (with
/// a runtime that commits to the server), which the application's service worker cannot
/// serve.
pub fn works_offline(kind: &str, course_format: &str) -> bool {
    match kind {
        "folder" | "link" | "sco" | "cmi5_au" => false,
        "asset" => !runs_on_content_origin(course_format),
        _ => true,
    }
}

/// SCORM and cmi5 courses: their files are served to the lesson from the content origin.
pub fn runs_on_content_origin(course_format: &str) -> bool {
    matches!(course_format, "scorm12" | "scorm2004" | "cmi5")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<Entry> {
        vec![
            Entry { id: 1, folder: true, done: false },
            Entry { id: 2, folder: false, done: true },
            Entry { id: 3, folder: false, done: false },
            Entry { id: 4, folder: false, done: false },
        ]
    }

    #[test]
    fn offline_copies_hold_what_the_service_worker_can_serve() {
        assert!(works_offline("video", "native") && works_offline("html", "imscc") && works_offline("asset", "plain"));
        assert!(!works_offline("link", "native") && !works_offline("folder", "native"));
        assert!(!works_offline("sco", "scorm12") && !works_offline("cmi5_au", "cmi5") && !works_offline("asset", "scorm2004"));
    }

    #[test]
    fn neighbours_skip_folders_and_sequence_locks() {
        assert_eq!(place(&entries(), 3, false, true), Some(Place { index: 2, prev: Some(1), next: Some(3), locked: false }));
        assert_eq!(place(&entries(), 4, true, false), Some(Place { index: 3, prev: None, next: None, locked: true }));
        assert_eq!(place(&entries(), 3, false, false).map(|p| p.locked), Some(false));
        assert_eq!(place(&entries(), 1, false, true), None);
    }
}
