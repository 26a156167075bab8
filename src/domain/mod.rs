//! Small types that parse on the way in, so the rest of the code never re-checks them.

pub mod account;
pub mod calendar;
pub mod cmi5;
pub mod lesson;
pub mod package;
pub mod prerequisites;
pub mod quiz;
pub mod roster;
pub mod url_path;
pub mod usage;

use std::fmt;

/// What a user may do; each role's scope (region, school) lives on the user row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Bureau,
    Teacher,
    Student,
    Public,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Bureau => "bureau",
            Role::Teacher => "teacher",
            Role::Student => "student",
            Role::Public => "public",
        }
    }

    pub fn parse(text: &str) -> Result<Role, String> {
        match text {
            "admin" => Ok(Role::Admin),
            "bureau" => Ok(Role::Bureau),
            "teacher" => Ok(Role::Teacher),
            "student" => Ok(Role::Student),
            "public" => Ok(Role::Public),
            other => Err(format!(
                "unknown role {other:?}: expected admin, bureau, teacher, student or public"
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who may study a published course (see `auth::policy` for the rules of each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Anyone, guests included where the site allows them.
    Open,
    /// The course's region and the regions below it.
    Region,
    /// The course's school.
    School,
    /// The classes the course is assigned to.
    Classes,
}

impl Visibility {
    pub const ALL: [Visibility; 4] = [Visibility::Open, Visibility::Region, Visibility::School, Visibility::Classes];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Open => "open",
            Visibility::Region => "region",
            Visibility::School => "school",
            Visibility::Classes => "classes",
        }
    }

    pub fn parse(text: &str) -> Result<Visibility, String> {
        Visibility::ALL.into_iter().find(|v| v.as_str() == text).ok_or_else(|| {
            format!("unknown visibility {text:?}: expected open, region, school or classes")
        })
    }

    /// What a new course starts with when its uploader chose nothing: a school's course is
    /// seen by its own school only, and wider sharing is an explicit choice. A course with
    /// no school (an administrator's city-wide upload) has no narrower scope that anyone
    /// could see, so it stays open.
    pub fn initial(has_school: bool) -> Visibility {
        if has_school {
            Visibility::School
        } else {
            Visibility::Open
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A course slug: 1-64 characters of lowercase ASCII letters, digits and '-', not at the ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSlug(String);

impl CourseSlug {
    pub fn parse(text: &str) -> Result<CourseSlug, String> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.bytes().all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
            && !text.starts_with('-')
            && !text.ends_with('-');
        if ok {
            Ok(CourseSlug(text.to_string()))
        } else {
            Err(format!(
                "invalid course slug {text:?}: use 1-64 lowercase letters, digits and '-'"
            ))
        }
    }

    /// Derives a slug from any title or file name; falls back to a hash for non-Latin text.
    pub fn derive(text: &str) -> CourseSlug {
        let mut slug = String::new();
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.ends_with('-') && !slug.is_empty() {
                slug.push('-');
            }
        }
        let slug = slug.trim_end_matches('-');
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
        if slug.len() < 3 {
            CourseSlug(format!("course-{}", &digest[..10]))
        } else if slug.len() > 48 {
            // Long identifiers (URLs) often share a prefix: keep the hash so they stay apart.
            let head: String = slug.chars().take(37).collect();
            CourseSlug(format!("{}-{}", head.trim_end_matches('-'), &digest[..10]))
        } else {
            CourseSlug(slug.to_string())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_parse_and_derive() {
        assert!(CourseSlug::parse("rice-growing").is_ok());
        assert!(CourseSlug::parse("Rice").is_err());
        assert!(CourseSlug::parse("-x").is_err());
        assert!(CourseSlug::parse("../x").is_err());
        assert_eq!(CourseSlug::derive("Golf Explained - Run-time Basic").as_str(), "golf-explained-run-time-basic");
        let zh = CourseSlug::derive("水稻种植");
        assert!(zh.as_str().starts_with("course-"));
        assert_eq!(zh, CourseSlug::derive("水稻种植"));
        let a = CourseSlug::derive("https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-single-au-basic");
        let b = CourseSlug::derive("https://w3id.org/xapi/cmi5/catapult/lts/course/geology-intro-masteryscore");
        assert_ne!(a, b);
        assert!(a.as_str().len() <= 48 && CourseSlug::parse(a.as_str()).is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for r in ["admin", "bureau", "teacher", "student", "public"] {
            assert_eq!(Role::parse(r).unwrap().as_str(), r);
        }
        assert!(Role::parse("root").unwrap_err().contains("root"));
    }

    #[test]
    fn visibilities_round_trip_and_start_narrow() {
        for v in Visibility::ALL {
            assert_eq!(Visibility::parse(v.as_str()), Ok(v));
        }
        let err = Visibility::parse("public").unwrap_err();
        assert!(err.contains("\"public\"") && err.contains("open, region, school or classes"), "{err}");
        assert_eq!(Visibility::initial(true), Visibility::School);
        assert_eq!(Visibility::initial(false), Visibility::Open);
    }
}
