//! Files embedded in the binary so that it runs from any directory.

#[derive(rust_embed::RustEmbed)]
#[folder = "templates/"]
pub struct Templates;

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
pub struct Static;

#[derive(rust_embed::RustEmbed)]
#[folder = "locales/"]
pub struct Locales;

#[derive(rust_embed::RustEmbed)]
#[folder = "courses/"]
#[exclude = "tools/*"]
pub struct DemoCourses;
