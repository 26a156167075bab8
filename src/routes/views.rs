//! The view models' old address: they live in `app::views` now, beside the use cases that
//! return them; route files still naming them here keep working.

pub use crate::app::views::{content_url, CaptionView, CourseView, ItemView};
