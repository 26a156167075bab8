//! `courseware stats ...` and `courseware demo-data`.

use clap::{Args, Subcommand};

use crate::config::Settings;
use super::demo_data::{generate, DemoPlan};
use crate::tracking::meta::Lookups;
use crate::tracking::rebuild::rebuild;

#[derive(Debug, Subcommand)]
pub enum StatsAction {
    /// Recompute every usage total from the event log (media bytes, which have no log, are
    /// kept). Progress rows are derived again on the way, as `progress rebuild` does.
    Rebuild {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Schools to create (spread over districts of a demo city).
    #[arg(long, default_value_t = 10)]
    pub schools: usize,
    /// Learners, spread evenly over the schools and their classes.
    #[arg(long, default_value_t = 500)]
    pub learners: usize,
    /// Courses (subjects x grade levels).
    #[arg(long, default_value_t = 24)]
    pub courses: usize,
    /// Days of history, ending today.
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Chance that a learner studies on a school day (weekends: a fifth of it).
    #[arg(long, default_value_t = 0.3)]
    pub activity: f64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Password of the demo staff accounts demo-bureau and demo-teacher-N.
    #[arg(long, env = "COURSEWARE_DEMO_PASSWORD", default_value = "demo-password")]
    pub staff_password: String,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(settings: &Settings, action: StatsAction) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    match action {
        StatsAction::Rebuild { json } => {
            let report = rebuild(&db, &Lookups::default(), super::stats_zone(settings)?).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("recomputed the usage totals of {} learners from {} events", report.learners, report.events);
            }
        }
    }
    db.pool.close().await;
    Ok(())
}

pub async fn demo(settings: &Settings, args: DemoArgs) -> anyhow::Result<()> {
    if args.schools == 0 || args.learners == 0 || args.courses == 0 || args.days < 1 {
        anyhow::bail!("--schools, --learners, --courses and --days must be at least 1");
    }
    if !(0.0..=1.0).contains(&args.activity) {
        anyhow::bail!("--activity is a chance between 0 and 1, got {}", args.activity);
    }
    if args.days > 3660 {
        anyhow::bail!("--days is at most 3660 (ten years)");
    }
    let db = super::open_db(settings).await?;
    let plan = DemoPlan {
        schools: args.schools,
        learners: args.learners,
        courses: args.courses,
        days: args.days,
        activity: args.activity,
        seed: args.seed,
        staff_password: args.staff_password,
    };
    let report = generate(&db, super::stats_zone(settings)?, &plan).await?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "generated {} events ({} new) for {} learners of {} schools over {} days in {:.1} s; \
             sign in as demo-bureau or demo-teacher-0 to see the dashboards",
            report.events, report.stored, report.learners, report.schools, report.days, report.seconds
        );
    }
    db.pool.close().await;
    Ok(())
}
