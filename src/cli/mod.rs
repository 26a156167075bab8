//! Command-line interface: parses arguments and runs one command; every failure becomes
//! one clear line on stderr and a non-zero exit code.

mod demo_data;
mod gc;
mod import;
mod org;
mod progress;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::db::Db;
use crate::telemetry::cause_chain;
use crate::{provision, render, startup, telemetry};

#[derive(Debug, Parser)]
#[command(name = "courseware", version, about = "Courseware server for schools and education bureaus")]
pub struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, global = true)]
    pub bind: Option<String>,
    /// Folder for the SQLite database and the blob store.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, import the demo courses on first start, and serve (the default).
    Serve,
    /// Run database migrations only.
    Migrate,
    /// Import course packages (zip files or folders).
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Code of the school the courses belong to.
        #[arg(long)]
        school: Option<String>,
        /// Who may see the courses: open, region, school or classes. Without it a new
        /// course of a school is seen by that school only (one of no school: by everyone),
        /// and a new version keeps its course's visibility.
        #[arg(long)]
        visibility: Option<String>,
        /// Print one JSON object per package.
        #[arg(long)]
        json: bool,
    },
    /// Remove blobs no course version refers to any more.
    Gc {
        /// Keep files younger than this many seconds (an import may be about to use them).
        #[arg(long, default_value_t = 3600)]
        min_age_secs: u64,
    },
    /// Manage regions (city > county/district).
    Region {
        #[command(subcommand)]
        action: org::RegionAction,
    },
    /// Manage schools.
    School {
        #[command(subcommand)]
        action: org::SchoolAction,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        action: org::UserAction,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        action: org::TokenAction,
    },
    /// Learner progress maintenance.
    Progress {
        #[command(subcommand)]
        action: progress::ProgressAction,
    },
    /// Usage statistics maintenance.
    Stats {
        #[command(subcommand)]
        action: stats::StatsAction,
    },
    /// Generate a realistic history of learner activity (through the progress writer) so that
    /// dashboards and benchmarks have data: regions, schools, classes, learners, courses.
    DemoData(stats::DemoArgs),
}

/// Runs the parsed command and maps any error to exit code 1 with a one-line message.
pub fn run(cli: Cli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cause_chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        config: cli.config,
        bind: cli.bind,
        data_dir: cli.data_dir,
        database_url: cli.database_url,
    };
    let settings = Settings::load(&overrides, &|name| std::env::var(name).ok())?;
    telemetry::init(&settings.log);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let db = open_db(&settings).await?;
            println!("database {} is up to date", db.backend.as_str());
            db.pool.close().await;
            Ok(())
        }
        Command::Import { paths, school, visibility, json } => {
            let rejected = import::run(&settings, &paths, school.as_deref(), visibility.as_deref(), json).await?;
            if rejected > 0 {
                anyhow::bail!("{rejected} of {} packages were rejected", paths.len());
            }
            Ok(())
        }
        Command::Gc { min_age_secs } => gc::run(&settings, std::time::Duration::from_secs(min_age_secs)).await,
        Command::Region { action } => org::region(&settings, action).await,
        Command::School { action } => org::school(&settings, action).await,
        Command::User { action } => org::user(&settings, action).await,
        Command::Token { action } => org::token(&settings, action).await,
        Command::Progress { action } => progress::run(&settings, action).await,
        Command::Stats { action } => stats::run(&settings, action).await,
        Command::DemoData(args) => stats::demo(&settings, args).await,
    }
}

/// The configured statistics time zone (checked when settings load).
pub fn stats_zone(settings: &Settings) -> anyhow::Result<crate::domain::calendar::Zone> {
    crate::domain::calendar::Zone::parse(&settings.stats.time_zone).map_err(anyhow::Error::msg)
}

/// Connects and migrates; the data folder must exist first for a SQLite file in it.
pub async fn open_db(settings: &Settings) -> anyhow::Result<Db> {
    provision::prepare_data_dir(&settings.data_dir)?;
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// Builds the whole application state: database, blob store, first-start work, templates.
pub async fn build_state(settings: Settings) -> anyhow::Result<crate::app::AppState> {
    let db = open_db(&settings).await?;
    let store = provision::open_store(&settings)?;
    provision::ensure_admin(&db, settings.admin_password.clone()).await?;
    provision::import_demo_courses(&db, &store, &settings).await?;
    let renderer = std::sync::Arc::new(render::Renderer::new(settings.templates_dir.as_deref())?);
    let signer = provision::media_signer(&db).await?;
    let uploads = provision::open_uploads(&settings).await?;
    let tracker = crate::tracking::Tracker::start(db.clone(), settings.allow_guests, stats_zone(&settings)?);
    Ok(crate::app::AppState {
        settings,
        db,
        store,
        renderer,
        signer,
        file_cache: Default::default(),
        uploads,
        tracker,
        tokens: Default::default(),
        content_origin: String::new(),
    })
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let state = build_state(settings).await?;
    let bind = state.settings.bind.clone();
    let app = startup::Application::build(state)?;
    let host = bind.rsplit_once(':').map_or(bind.as_str(), |(h, _)| h);
    if crate::routes::content_origin::shares_host_with(&bind, app.content_origin()) {
        // On stderr: stdout is the one address line that scripts read.
        eprintln!(
            "warning: package content ({}) is served from the application's own host name on another port; \
             browsers share cookies across ports, so in production give it a host name of its own \
             (content_origin, docs/security.md)",
            app.content_origin()
        );
    }
    // One line, the address last: scripts read it and may close the pipe after it.
    println!("courseware (package content on port {}) is serving on http://{host}:{}/", app.content_port(), app.port());
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}
