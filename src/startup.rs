//! The one place that builds the App and binds the listener (port 0 works, for tests).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpServer};

use crate::auth::media_token::MediaSigner;
use crate::config::Settings;
use crate::db::Db;
use crate::error::render_error_page;
use crate::render::Renderer;
use crate::routes;
use crate::storage::FsBlobStore;

/// Everything a handler may need, shared by all workers.
pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub store: Arc<FsBlobStore>,
    pub renderer: Renderer,
    pub signer: MediaSigner,
    pub file_cache: crate::routes::file_cache::FileCache,
    pub uploads: crate::uploads::UploadStore,
    pub tracker: crate::tracking::Tracker,
    pub tokens: crate::auth::session::TokenCache,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds the listener and builds the server; nothing is served until [`run_until_stopped`].
    pub fn build(state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&state.settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.settings.bind))?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(state);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    crate::error::AppError::BadRequest(err.to_string()).into()
                }))
                .app_data(web::QueryConfig::default().error_handler(|err, _| {
                    crate::error::AppError::BadRequest(err.to_string()).into()
                }))
                .wrap(crate::auth::csrf::Authenticate)
                .wrap(ErrorHandlers::new().default_handler(render_error_page))
                .wrap(crate::telemetry::RequestSpan)
                .wrap(routes::content::ContentFastPath)
                .configure(routes::configure)
        })
        // Media responses are written in large chunks; Nagle's delay only hurts small ranges.
        .tcp_nodelay(true)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM (handled by actix), finishing in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
