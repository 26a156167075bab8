//! `courseware region|school|user|token ...`: the organisation tree and accounts by CLI.

use std::io::Read;

use clap::Subcommand;

use crate::auth::{password, session};
use crate::config::Settings;
use crate::db::{audit, org, sessions, users};
use crate::domain::account::{is_long_enough_password, Username, PASSWORD_MIN_CHARS};
use crate::domain::Role;

#[derive(Debug, Subcommand)]
pub enum RegionAction {
    /// Add a region; `--parent` nests it (a county under its city).
    Add {
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SchoolAction {
    /// Add a school in a region.
    Add {
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        region: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user; the password is read from stdin with --password-stdin, else generated and printed.
    Add {
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        region: Option<String>,
        #[arg(long = "class")]
        class: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Create an API token for a user and print it once.
    Create {
        username: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Revoke an API token by its id.
    Revoke { id: i64 },
}

pub async fn region(settings: &Settings, action: RegionAction) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    let RegionAction::Add { code, name, parent } = action;
    let parent_id = match parent {
        Some(p) => Some(org::region_by_code(&db, &p).await.map_err(|_| anyhow::anyhow!("parent region {p} does not exist"))?.id),
        None => None,
    };
    let id = org::add_region(&db, &code, &name, parent_id).await?;
    audit::record(&db, None, "region.add", &code, &name).await?;
    println!("added region {code} (id {id})");
    Ok(())
}

pub async fn school(settings: &Settings, action: SchoolAction) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    let SchoolAction::Add { code, name, region } = action;
    let region_row = org::region_by_code(&db, &region).await.map_err(|_| anyhow::anyhow!("region {region} does not exist"))?;
    let id = org::add_school(&db, &code, &name, region_row.id).await?;
    audit::record(&db, None, "school.add", &code, &name).await?;
    println!("added school {code} (id {id})");
    Ok(())
}

pub async fn user(settings: &Settings, action: UserAction) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    let UserAction::Add { username, role, school, region, class, name, password_stdin } = action;
    let username = Username::parse(&username).map_err(anyhow::Error::msg)?.into_string();
    let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
    let school_row = match &school {
        Some(code) => Some(org::school_by_code(&db, code).await.map_err(|_| anyhow::anyhow!("school {code} does not exist"))?),
        None => None,
    };
    let region_id = match &region {
        Some(code) => Some(org::region_by_code(&db, code).await.map_err(|_| anyhow::anyhow!("region {code} does not exist"))?.id),
        None => school_row.as_ref().map(|s| s.region_id),
    };
    match role {
        Role::Bureau if region.is_none() => anyhow::bail!("a bureau officer needs --region"),
        Role::Teacher | Role::Student if school_row.is_none() => anyhow::bail!("a {role} needs --school"),
        _ => {}
    }
    if class.is_some() && school_row.is_none() {
        anyhow::bail!("--class needs --school");
    }
    let (password_text, generated) = if password_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        let text = text.trim_end_matches(['\r', '\n']).to_string();
        if !is_long_enough_password(&text) {
            anyhow::bail!("the password from stdin must have at least {PASSWORD_MIN_CHARS} characters");
        }
        (text, false)
    } else {
        (password::generate(), true)
    };
    let hash = password::hash(&password_text)?;
    let id = users::insert(&db, &users::NewUser {
        username: &username,
        display_name: name.as_deref().unwrap_or(&username),
        password_hash: &hash,
        role: role.as_str(),
        school_id: school_row.as_ref().map(|s| s.id),
        region_id,
    })
    .await?;
    if let (Some(class), Some(school)) = (class, &school_row) {
        let class_id = org::ensure_class(&db, school.id, &class).await?;
        org::add_member(&db, class_id, id).await?;
    }
    audit::record(&db, None, "user.add", &username, role.as_str()).await?;
    if generated {
        println!("added user {username} ({role}) with password: {password_text}");
    } else {
        println!("added user {username} ({role})");
    }
    Ok(())
}

pub async fn token(settings: &Settings, action: TokenAction) -> anyhow::Result<()> {
    let db = super::open_db(settings).await?;
    match action {
        TokenAction::Create { username, name } => {
            let user = users::find_by_username(&db, &username).await?.ok_or_else(|| anyhow::anyhow!("user {username} does not exist"))?;
            let token = format!("cw_{}", session::random_token());
            let id = sessions::insert_token(&db, user.id, &name, &session::hash_token(&token)).await?;
            audit::record(&db, None, "token.create", &username, &format!("token {id}")).await?;
            println!("{token}");
            eprintln!("token {id} for {username}: use it as `Authorization: Bearer <token>`; it is shown only once");
        }
        TokenAction::Revoke { id } => {
            if !sessions::revoke_token(&db, id).await? {
                anyhow::bail!("no active token with id {id}");
            }
            audit::record(&db, None, "token.revoke", &id.to_string(), "").await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}
