//! The route table. Handlers live in one module per area and stay thin.

mod api_courses;
mod assets;
mod content;
mod courses;
mod health;
pub mod views;

use actix_web::{web, HttpResponse};

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(courses::list_courses))
        .route("/courses/{course_id}", web::get().to(courses::show_course))
        .route("/courses/{course_id}/lessons/{item_id}", web::get().to(courses::show_lesson))
        .route("/content/{version_id}/{path:.+}", web::get().to(content::serve_content))
        .route("/content/{version_id}/{path:.+}", web::head().to(content::serve_content))
        .route("/static/{path:.+}", web::get().to(assets::serve_static))
        .route("/lang/{code}", web::get().to(assets::switch_language))
        .route("/healthz", web::get().to(health::health))
        .service(
            web::scope("/api/v1")
                .route("/courses", web::get().to(api_courses::list_courses))
                .route("/courses/{course_id}", web::get().to(api_courses::get_course)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound("page"))
}
