//! The one place that builds the App and binds the listener (port 0 works, for tests).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, ErrorHandlers};
use actix_web::{web, App, HttpServer};

use crate::app::AppState;
use crate::routes::error_pages::render_error_page;
use crate::routes;

pub struct Application {
    port: u16,
    content_origin: String,
    content_port: u16,
    server: Server,
    content: Server,
}

impl Application {
    /// Binds the listener and builds the server; nothing is served until [`run_until_stopped`].
    pub fn build(mut state: AppState) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&state.settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", state.settings.bind))?;
        let port = listener.local_addr()?.port();
        let content_bind = state.settings.content_bind.clone();
        let content_listener = TcpListener::bind(&content_bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {content_bind} (content_bind): {e}"))?;
        let content_port = content_listener.local_addr()?.port();
        state.content_origin = match &state.settings.content_origin {
            Some(origin) => origin.clone(),
            None => {
                let host = content_bind.rsplit_once(':').map_or(content_bind.as_str(), |(h, _)| h);
                format!("http://{host}:{content_port}")
            }
        };
        let content_origin = state.content_origin.clone();
        let auth = web::Data::new(crate::auth::AuthContext {
            db: state.db.clone(),
            tokens: Arc::clone(&state.tokens),
            trusted_proxies: state.settings.trusted_proxies.clone(),
            allow_guests: state.settings.allow_guests,
        });
        let renderer = web::Data::from(Arc::clone(&state.renderer));
        let state = web::Data::new(state);
        crate::app::renditions::start_workers(state.clone().into_inner());
        let content_state = state.clone();
        let content_auth = auth.clone();
        // Compressing the static files takes a moment: started now, beside the start.
        crate::assets::warm_static_assets();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(auth.clone())
                .app_data(renderer.clone())
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
                // Outside the fast path, so package pages and scripts are compressed too.
                .wrap(Compress::default())
                .wrap(from_fn(routes::compression::compression_policy))
                .wrap(from_fn(routes::security_headers::app_headers))
                .configure(routes::configure)
        })
        // Media responses are written in large chunks; Nagle's delay only hurts small ranges.
        .tcp_nodelay(true)
        .shutdown_timeout(10)
        .listen(listener)?
        .run();
        // Package content only: no session middleware, no application routes.
        let content = HttpServer::new(move || {
            App::new()
                .app_data(content_state.clone())
                .app_data(content_auth.clone())
                .wrap(crate::telemetry::RequestSpan)
                .wrap(Compress::default())
                .wrap(from_fn(routes::compression::compression_policy))
                .wrap(from_fn(routes::security_headers::content_origin_headers))
                .configure(routes::content_origin::configure)
        })
        .tcp_nodelay(true)
        .shutdown_timeout(10)
        .listen(content_listener)?
        .run();
        Ok(Application { port, content_origin, content_port, server, content })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The public origin of the content listener (`content_origin`, or its bound address).
    pub fn content_origin(&self) -> &str {
        &self.content_origin
    }

    /// The port of the content listener (`content_bind`).
    pub fn content_port(&self) -> u16 {
        self.content_port
    }

    /// Serves until SIGINT/SIGTERM (handled by actix), finishing in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (app, content) = futures_util::future::join(self.server, self.content).await;
        app.and(content)
    }
}
