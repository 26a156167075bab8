//! `courseware progress ...`: maintenance of learner progress.

use clap::Subcommand;

use crate::config::Settings;
use crate::tracking::meta::Lookups;
use crate::tracking::rebuild::rebuild;

#[derive(Debug, Subcommand)]
pub enum ProgressAction {
    /// Derive every item and course progress row again from the event log.
    Rebuild {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(settings: &Settings, action: ProgressAction) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    match action {
        ProgressAction::Rebuild { json } => {
            let report = rebuild(&db, &Lookups::default(), super::stats_zone(settings)?).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "rebuilt the progress of {} learners from {} events ({} events of deleted courses kept but not counted)",
                    report.learners, report.events, report.skipped
                );
            }
        }
    }
    db.pool.close().await;
    Ok(())
}
