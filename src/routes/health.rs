//! Health check for load balancers and operators.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppState;

/// 200 when the database answers, 503 otherwise; names the backend either way.
#[tracing::instrument(skip_all)]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let database = state.db.backend.as_str();
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ok", "database": database})),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": database}))
        }
    }
}
