//! `courseware import PATH... [--school CODE] [--visibility WORD] [--json]`: the same import
//! as the web upload.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Settings;
use crate::db::org;
use crate::domain::Visibility;
use crate::packages::import::{import_path, ImportError, Owner, Progress};

/// Imports every path; returns how many were rejected. One JSON object per line with
/// `json`, otherwise a human summary; a progress bar on stderr when it is a terminal.
/// `visibility` is checked before anything is opened, so a typo costs nothing.
pub async fn run(settings: &Settings, paths: &[PathBuf], school: Option<&str>, visibility: Option<&str>, json: bool) -> anyhow::Result<usize> {
    let visibility = visibility.map(Visibility::parse).transpose().map_err(anyhow::Error::msg)?;
    let db = super::open_db(settings).await?;
    let store = crate::provision::open_store(settings)?;
    let owner = match school {
        Some(code) => {
            let school = org::school_by_code(&db, code)
                .await
                .map_err(|_| anyhow::anyhow!("school {code} does not exist (add it with `courseware school add`)"))?;
            Owner::school(&school, None, visibility)
        }
        None => Owner::global(None, visibility),
    };
    let mut rejected = 0;
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !path.exists() {
            rejected += 1;
            report_error(json, path, "no such file or folder", &[]);
            continue;
        }
        let progress = std::io::stderr().is_terminal().then(|| progress_bar(name.clone()));
        let result = import_path(&db, &store, path, &name, &owner, &settings.limits, &settings.media, progress).await;
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
        match result {
            Ok(report) if json => println!("{}", serde_json::to_string(&report)?),
            Ok(report) => {
                println!(
                    "imported {}: course {} version {} ({}, {} items) \"{}\"",
                    path.display(), report.course_id, report.version, report.format, report.items, report.title
                );
                for warning in &report.warnings {
                    println!("  warning: {warning}");
                }
            }
            Err(ImportError::Rejected(problems)) => {
                rejected += 1;
                let messages: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
                report_error(json, path, "package rejected", &messages);
            }
            Err(ImportError::Internal(e)) => return Err(e),
        }
    }
    Ok(rejected)
}

fn report_error(json: bool, path: &std::path::Path, message: &str, problems: &[String]) {
    if json {
        let value = serde_json::json!({"path": path.display().to_string(), "error": message, "problems": problems});
        println!("{value}");
    } else {
        eprintln!("rejected {}: {message}", path.display());
        for p in problems {
            eprintln!("  {p}");
        }
    }
}

fn progress_bar(name: String) -> Progress {
    Arc::new(move |done: u64, total: u64| {
        let width = 30usize;
        let filled = if total == 0 { width } else { (done as f64 / total as f64 * width as f64) as usize };
        let mut err = std::io::stderr();
        let _ = write!(
            err,
            "\r[{}{}] {:>5.1}% {:.1}/{:.1} MB {}",
            "#".repeat(filled.min(width)),
            " ".repeat(width - filled.min(width)),
            if total == 0 { 100.0 } else { done as f64 * 100.0 / total as f64 },
            done as f64 / 1e6,
            total as f64 / 1e6,
            name
        );
        let _ = err.flush();
    })
}
