//! Who may see and manage which course. One place for the rules, used by pages, the JSON
//! API and media URLs alike.
//!
//! - admin: everything;
//! - bureau officer: every course of the schools and regions in their region's subtree;
//! - teacher: every course of their school (also unpublished), and what students may see;
//! - student / public / guest: published courses that are open (guests only when allowed),
//!   region-wide for a region above their school, school-wide for their school, or
//!   assigned to one of their classes.

use crate::db::courses::CourseRow;
use crate::db::{org, users, Db, DbResult};
use crate::domain::{Role, Visibility};

use super::session::SessionUser;

/// Everything needed to decide visibility for one user, loaded once per request.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub user: Option<SessionUser>,
    pub allow_guests: bool,
    /// The user's region (their school's) and every region above it.
    pub regions_up: Vec<i64>,
    /// For bureau officers: their region and every region below it.
    pub regions_down: Vec<i64>,
    /// For bureau officers: the schools in `regions_down`.
    pub schools_down: Vec<i64>,
    pub class_ids: Vec<i64>,
}

impl Scope {
    pub async fn load(db: &Db, user: Option<SessionUser>, allow_guests: bool) -> DbResult<Scope> {
        let mut scope = Scope { allow_guests, ..Scope::default() };
        if let Some(u) = &user {
            let all = org::regions(db).await?;
            let mut next = u.region_id;
            while let Some(id) = next {
                if scope.regions_up.contains(&id) {
                    break;
                }
                scope.regions_up.push(id);
                next = all.iter().find(|r| r.id == id).and_then(|r| r.parent_id);
            }
            if u.role == Role::Bureau {
                if let Some(region) = u.region_id {
                    scope.regions_down = org::region_subtree(db, region).await?;
                    scope.schools_down = org::schools_in_regions(db, &scope.regions_down).await?;
                }
            }
            scope.class_ids = users::class_ids(db, u.id).await?;
        }
        scope.user = user;
        Ok(scope)
    }

    pub fn role(&self) -> Option<Role> {
        self.user.as_ref().map(|u| u.role)
    }

    /// Whether the user may manage (edit, publish, delete, upload versions of) the course.
    pub fn can_manage(&self, course: &CourseRow) -> bool {
        match &self.user {
            Some(u) if u.role == Role::Admin => true,
            Some(u) if u.role == Role::Teacher => course.school_id.is_some() && course.school_id == u.school_id,
            _ => false,
        }
    }

    /// Whether the user may study the course; `course_classes` are the classes it is assigned to.
    pub fn can_view(&self, course: &CourseRow, course_classes: &[i64]) -> bool {
        if self.can_manage(course) {
            return true;
        }
        if self.role() == Some(Role::Bureau) && self.in_bureau_region(course) {
            return true;
        }
        if course.published != 1 || course.latest_version_id.is_none() {
            return false;
        }
        // A word the database holds but no version of this code knows is seen by nobody.
        let Ok(visibility) = Visibility::parse(&course.visibility) else {
            return false;
        };
        let Some(user) = &self.user else {
            return visibility == Visibility::Open && self.allow_guests;
        };
        match visibility {
            Visibility::Open => true,
            Visibility::Region => course.region_id.is_some_and(|r| self.regions_up.contains(&r)),
            Visibility::School => course.school_id.is_some() && course.school_id == user.school_id,
            Visibility::Classes => course_classes.iter().any(|c| self.class_ids.contains(c)),
        }
    }

    /// Whose usage statistics the user may see: `None` for none at all, `Some(None)` for every
    /// school (administrators), else the schools: a bureau officer's region subtree, a
    /// teacher's own school. Learners and the public see none.
    pub fn stats_schools(&self) -> Option<Option<Vec<i64>>> {
        let user = self.user.as_ref()?;
        match user.role {
            Role::Admin => Some(None),
            Role::Bureau => Some(Some(self.schools_down.clone())),
            Role::Teacher => Some(Some(user.school_id.into_iter().collect())),
            _ => None,
        }
    }

    /// Whether the user sees a school's figures exactly, however small the group: only its
    /// own teachers, who may see their learners by name anyway. Everyone else gets aggregates
    /// with small groups masked.
    pub fn stats_exact(&self, school_id: i64) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Teacher && u.school_id == Some(school_id))
    }

    fn in_bureau_region(&self, course: &CourseRow) -> bool {
        course.school_id.is_some_and(|s| self.schools_down.contains(&s))
            || course.region_id.is_some_and(|r| self.regions_down.contains(&r))
    }

    /// A SQL condition over `courses` (aliased `c`) equivalent to [`Scope::can_view`]. Ids are
    /// integers from the database, so writing them into the SQL text is safe.
    pub fn sql_condition(&self) -> String {
        let list = |ids: &[i64]| -> String {
            if ids.is_empty() {
                "NULL".into()
            } else {
                ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
            }
        };
        let live = "c.published = 1 AND c.latest_version_id IS NOT NULL";
        let Some(user) = &self.user else {
            return if self.allow_guests { format!("({live} AND c.visibility = 'open')") } else { "1 = 0".into() };
        };
        let mut any = vec![format!(
            "({live} AND (c.visibility = 'open' \
             OR (c.visibility = 'region' AND c.region_id IN ({regions})) \
             OR (c.visibility = 'school' AND c.school_id = {school}) \
             OR (c.visibility = 'classes' AND EXISTS (SELECT 1 FROM course_classes cc \
                 WHERE cc.course_id = c.id AND cc.class_id IN ({classes})))))",
            regions = list(&self.regions_up),
            school = user.school_id.map_or("NULL".into(), |s| s.to_string()),
            classes = list(&self.class_ids),
        )];
        match user.role {
            Role::Admin => return "1 = 1".into(),
            Role::Teacher => any.push(format!("c.school_id = {}", user.school_id.unwrap_or(-1))),
            Role::Bureau => any.push(format!(
                "(c.school_id IN ({}) OR c.region_id IN ({}))",
                list(&self.schools_down),
                list(&self.regions_down)
            )),
            _ => {}
        }
        format!("({})", any.join(" OR "))
    }
}

impl actix_web::FromRequest for Scope {
    type Error = crate::error::AppError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let user = req.extensions().get::<super::session::Resolved>().and_then(|r| r.0.clone());
        let auth = req.app_data::<actix_web::web::Data<super::AuthContext>>().cloned();
        Box::pin(async move {
            let auth = auth.expect("AuthContext registered");
            Ok(Scope::load(&auth.db, user, auth.allow_guests).await?)
        })
    }
}
