//! Roster import for a teacher's school: stage an uploaded CSV and preview what it would do,
//! then apply the good rows, with the import's audit entry, in one transaction, and hand
//! back the new accounts' initial passwords once (on the page and as a CSV).

use std::path::PathBuf;

use crate::app::AppState;
use crate::auth::password;
use crate::db::{audit, roster as roster_db, DbError};
use crate::domain::roster::{self, Preview};
use crate::error::AppError;
use crate::spreadsheet;

/// A teacher's school's students: (username, name, class).
pub async fn students(state: &AppState, school_id: i64) -> Result<Vec<(String, String, Option<String>)>, AppError> {
    Ok(roster_db::students(&state.db, school_id).await?)
}

/// The staged file of one upload; the name is checked, so it cannot leave the folder.
fn staged_path(state: &AppState, user_id: i64, upload: &str) -> Result<PathBuf, AppError> {
    if upload.len() != 32 || !upload.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound("roster upload"));
    }
    Ok(state.settings.data_dir.join("uploads").join(format!("roster-{user_id}-{upload}.csv")))
}

async fn classify(state: &AppState, text: &str, school_id: i64) -> Result<Preview, AppError> {
    let usernames: Vec<String> = roster::parse_csv(text).into_iter().skip(1).flat_map(|(_, f)| f.into_iter()).collect();
    let existing = roster_db::existing(&state.db, &usernames).await?;
    roster::preview(text, school_id, &existing).map_err(AppError::BadRequest)
}

/// Decodes and checks the file and stages it for [`apply`]; nothing is written to the
/// database. Returns the preview and the upload's name.
#[tracing::instrument(skip_all, fields(user_id, school_id))]
pub async fn preview(state: &AppState, user_id: i64, school_id: i64, bytes: &[u8]) -> Result<(Preview, String), AppError> {
    let text = roster::decode(bytes);
    let preview = classify(state, &text, school_id).await?;
    let upload = hex::encode(rand::random::<[u8; 16]>());
    let path = staged_path(state, user_id, &upload)?;
    std::fs::create_dir_all(path.parent().expect("has parent")).map_err(|e| AppError::Internal(e.into()))?;
    std::fs::write(&path, text.as_bytes()).map_err(|e| AppError::Internal(e.into()))?;
    Ok((preview, upload))
}

/// What applying a roster did.
pub struct Applied {
    /// (username, name, class, initial password) of each new account.
    pub created: Vec<(String, String, String, String)>,
    pub updated: usize,
    /// The same accounts as a CSV for a spreadsheet.
    pub csv: String,
}

/// Re-checks the staged file (accounts may have changed since the preview) and applies
/// the good rows and the audit entry in one transaction.
#[tracing::instrument(skip_all, fields(user_id, school_id))]
pub async fn apply(state: &AppState, user_id: i64, school_id: i64, upload: &str) -> Result<Applied, AppError> {
    let path = staged_path(state, user_id, upload)?;
    let text = std::fs::read_to_string(&path).map_err(|_| AppError::NotFound("roster upload"))?;
    let preview = classify(state, &text, school_id).await?;
    let mut new = Vec::with_capacity(preview.new.len());
    let mut created = Vec::with_capacity(preview.new.len());
    for row in preview.new {
        let initial = password::generate();
        created.push((row.username.clone(), row.name.clone(), row.class.clone(), initial.clone()));
        new.push((row, password::hash(&initial)?));
    }
    let detail = format!("{} new, {} updated", created.len(), preview.updated.len());
    let mut tx = state.db.pool.begin().await.map_err(DbError::from)?;
    roster_db::apply_in(&mut tx, school_id, &new, &preview.updated).await?;
    audit::record_in(&mut tx, Some(user_id), "roster.import", &school_id.to_string(), &detail).await?;
    tx.commit().await.map_err(DbError::from)?;
    let _ = std::fs::remove_file(&path);
    let mut csv = String::from(spreadsheet::BOM);
    csv.push_str(&spreadsheet::line(["username", "name", "class", "initial_password"]));
    for (u, n, c, p) in &created {
        csv.push_str(&spreadsheet::line([u, n, c, p]));
    }
    Ok(Applied { created, updated: preview.updated.len(), csv })
}
