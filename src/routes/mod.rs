//! The route table. Handlers live in one module per area and stay thin.

mod accounts;
pub mod admin;
mod api_courses;
mod api_packages;
mod assets;
mod class_progress;
mod cmi5;
pub mod compression;
pub mod content;
pub mod content_origin;
pub mod error_pages;
mod courses;
mod health;
mod offline;
mod progress;
mod quizzes;
mod redirect;
pub mod teach;
mod register;
mod roster;
pub mod security_headers;
pub mod scorm;
pub mod stats;
mod stats_export;
mod stats_tables;
mod uploads;
pub mod views;

use actix_web::{web, HttpResponse};

use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The hottest routes first, media and heartbeats: the router tries patterns in order,
    // and every dynamic pattern it tries costs a regex match on the request's path.
    cfg.service(
        web::resource("/content/{version_id}/{token}/{path:.+}")
            .route(web::get().to(content::serve_content))
            .route(web::head().to(content::serve_content)),
    )
    .service(
        web::resource("/api/v1/progress/events")
            .app_data(progress::events_config())
            .route(web::post().to(progress::post_events)),
    )
    .route("/", web::get().to(courses::list_courses))
        .route("/courses/{course_id}", web::get().to(courses::show_course))
        .route("/courses/{course_id}/lessons/{item_id}", web::get().to(courses::show_lesson))
        .route("/courses/{course_id}/lessons/{item_id}/quiz", web::post().to(quizzes::submit_quiz))
        .route("/courses/{course_id}/navigate", web::post().to(scorm::navigate))
        .route("/static/{path:.+}", web::get().to(assets::serve_static))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route("/sw.js", web::get().to(offline::service_worker))
        .route("/manifest.webmanifest", web::get().to(offline::web_manifest))
        .route("/lang/{code}", web::get().to(assets::switch_language))
        .route("/healthz", web::get().to(health::health))
        .route("/login", web::get().to(accounts::show_login))
        .route("/login", web::post().to(accounts::login))
        .route("/logout", web::post().to(accounts::logout))
        .route("/account", web::get().to(accounts::show_account))
        .route("/account/password", web::post().to(accounts::change_password))
        .route("/register", web::get().to(register::show_register))
        .route("/register", web::post().to(register::register))
        .route("/admin", web::get().to(admin::show_admin))
        .route("/admin/regions", web::post().to(admin::add_region))
        .route("/admin/schools", web::post().to(admin::add_school))
        .route("/admin/users", web::post().to(admin::add_user))
        .route("/admin/users/{user_id}/password", web::post().to(admin::reset_password))
        .route("/admin/users/{user_id}/unlock", web::post().to(admin::unlock_user))
        .route("/admin/registration", web::post().to(admin::set_registration))
        .route("/teach", web::get().to(teach::show_workbench))
        .route("/teach/upload", web::get().to(teach::show_upload))
        .route("/teach/uploads/complete", web::post().to(uploads::complete))
        .route("/teach/roster", web::get().to(roster::show_roster))
        .route("/teach/roster/preview", web::post().to(roster::preview_roster))
        .route("/teach/roster/apply", web::post().to(roster::apply_roster))
        .route("/teach/courses/{course_id}/settings", web::post().to(teach::update_settings))
        .route("/teach/courses/{course_id}/report", web::get().to(teach::show_report))
        .route("/teach/courses/{course_id}/versions/{version_id}/dismiss", web::post().to(teach::dismiss_report))
        .route("/teach/courses/{course_id}/delete", web::get().to(teach::confirm_delete))
        .route("/teach/courses/{course_id}/delete", web::post().to(teach::delete_course))
        .route("/teach/courses/{course_id}/progress", web::get().to(class_progress::show_class_progress))
        .route("/teach/courses/{course_id}/progress.csv", web::get().to(class_progress::export_class_progress))
        .route("/teach/courses/{course_id}/essays", web::get().to(class_progress::show_essays))
        .route("/stats", web::get().to(stats::show_home))
        .route("/stats/export/{table}", web::get().to(stats_export::csv_region))
        .route("/stats/schools/{id}", web::get().to(stats::show_school))
        .route("/stats/schools/{id}/export/{table}", web::get().to(stats_export::csv_school))
        .route("/stats/courses/{id}", web::get().to(stats::show_course))
        .route("/stats/courses/{id}/export/{table}", web::get().to(stats_export::csv_course))
        .service(
            web::scope("/api/v1")
                .route("/courses", web::get().to(api_courses::list_courses))
                .route("/courses/{course_id}", web::get().to(api_courses::get_course))
                .route("/courses/{course_id}/versions", web::get().to(api_courses::list_versions))
                .route("/courses/{course_id}/renditions", web::get().to(api_courses::list_renditions))
                .route("/courses/{course_id}/offline", web::get().to(offline::show_offline_manifest))
                .route("/courses/{course_id}/versions/{version_id}", web::get().to(api_courses::get_version))
                .route("/courses/{course_id}/versions/{version_id}", web::delete().to(api_courses::delete_version))
                .route("/packages", web::post().to(api_packages::upload_package))
                .route("/me", web::get().to(accounts::me))
                .route("/progress/courses/{course_id}", web::get().to(progress::get_course_progress))
                .service(
                    web::resource("/scorm/items/{item_id}/sessions/{session}/commit")
                        .app_data(scorm::commit_config())
                        .route(web::post().to(scorm::commit)),
                )
                .route("/scorm/courses/{course_id}", web::get().to(scorm::course_state))
                .route("/stats/region", web::get().to(stats_export::api_region))
                .route("/stats/schools/{id}", web::get().to(stats_export::api_school))
                .route("/stats/courses/{id}", web::get().to(stats_export::api_course))
                .route("/uploads", web::route().method(actix_web::http::Method::OPTIONS).to(uploads::options))
                .route("/uploads", web::post().to(uploads::create))
                .route("/uploads/{id}", web::head().to(uploads::head))
                .route("/uploads/{id}", web::patch().to(uploads::patch))
                .route("/uploads/{id}", web::delete().to(uploads::delete)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound("page"))
}
