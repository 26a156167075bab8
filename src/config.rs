//! Settings: built-in defaults, then an optional TOML file, then `COURSEWARE_*` environment, then flags.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;


/// Effective settings after all layers are merged. `database_url` is always set.
/// `Debug` is written by hand: it must not print the admin or database password.
#[derive(Clone)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// A folder whose templates override the embedded ones (same relative names).
    pub templates_dir: Option<PathBuf>,
    /// Whether visitors who are not logged in may browse open courses.
    pub allow_guests: bool,
    /// Whether demo courses are imported on the first start.
    pub import_demo: bool,
    pub log: String,
    pub limits: Limits,
    /// Password for the `admin` account created on first start (environment only).
    pub admin_password: Option<String>,
    /// Behind nginx: the `internal` location that maps to the blob store (e.g. `/_blobs`);
    /// authorized media requests are then answered with `X-Accel-Redirect` (docs/x-accel-redirect.md).
    pub accel_redirect_prefix: Option<String>,
    /// Where package content (SCORM/cmi5) is served from: a second listener, so that
    /// third-party course scripts never run on the application's origin.
    pub content_bind: String,
    /// The content listener's public URL (scheme://host[:port]) when it sits behind a
    /// proxy or its own host name; default `http://<content_bind host>:<port>`.
    pub content_origin: Option<String>,
    /// Longest SCORM `cmi.suspend_data` stored, in characters (both editions).
    pub suspend_data_max: usize,
    pub stats: StatsSettings,
    pub media: MediaSettings,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-*` headers are believed.
    pub trusted_proxies: TrustedProxies,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &crate::db::redact(&self.database_url))
            .field("templates_dir", &self.templates_dir)
            .field("allow_guests", &self.allow_guests)
            .field("import_demo", &self.import_demo)
            .field("log", &self.log)
            .field("limits", &self.limits)
            .field("admin_password", &self.admin_password.as_ref().map(|_| "<redacted>"))
            .field("accel_redirect_prefix", &self.accel_redirect_prefix)
            .field("content_bind", &self.content_bind)
            .field("content_origin", &self.content_origin)
            .field("suspend_data_max", &self.suspend_data_max)
            .field("stats", &self.stats)
            .field("media", &self.media)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}


/// The proxies whose forwarding headers are believed (addresses or CIDR ranges).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses `127.0.0.1`, `10.0.0.0/8`, `::1` ...; the error names the entry.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                continue;
            }
            let net = entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{entry:?} is not an IP address or CIDR range"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// IPv4 addresses mapped into IPv6 (`::ffff:1.2.3.4`, as a dual-stack listener reports
/// them) are the same host as their IPv4 form.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Usage statistics (`[stats]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatsSettings {
    /// The zone whose calendar days the totals are kept by: `Asia/Shanghai`, `UTC` or a
    /// fixed offset such as `+08:00` (see `domain::calendar::Zone`).
    pub time_zone: String,
    /// Groups with fewer learners than this are shown as "<N", not exactly.
    pub min_group: i64,
}

impl Default for StatsSettings {
    fn default() -> Self {
        StatsSettings { time_zone: "Asia/Shanghai".into(), min_group: 5 }
    }
}

/// Video renditions (`[media]`): smaller encodings and HLS made with ffmpeg after import.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaSettings {
    /// The ffmpeg program, by name on PATH or as a path; ffprobe is looked for beside it.
    pub ffmpeg: String,
    /// How many rendition jobs this instance runs at once; 0 leaves them to other
    /// instances (they stay queued and visible to teachers).
    pub transcode_workers: usize,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings { ffmpeg: "ffmpeg".into(), transcode_workers: 1 }
    }
}

/// Limits applied to uploaded packages; every one can be raised by an operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub max_package_bytes: u64,
    pub max_uncompressed_bytes: u64,
    pub max_entries: usize,
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_package_bytes: 8 << 30,
            max_uncompressed_bytes: 16 << 30,
            max_entries: 20_000,
            max_ratio: 200,
        }
    }
}

/// The TOML file's shape: every key optional, unknown keys rejected so typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileSettings {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub templates_dir: Option<PathBuf>,
    pub allow_guests: Option<bool>,
    pub import_demo: Option<bool>,
    pub log: Option<String>,
    pub limits: Option<Limits>,
    pub accel_redirect_prefix: Option<String>,
    pub content_bind: Option<String>,
    pub content_origin: Option<String>,
    pub suspend_data_max: Option<usize>,
    pub stats: Option<StatsSettings>,
    pub media: Option<MediaSettings>,
    pub trusted_proxies: Option<Vec<String>>,
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {name} is not valid: {message}")]
    Env { name: &'static str, message: String },
    #[error("database URL must start with sqlite:// or postgres://, got {0:?}")]
    DatabaseUrl(String),
}

impl Settings {
    /// Merges the layers in order. `env` is passed in (not read here) so tests can supply it.
    pub fn load(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let bind = overrides
            .bind
            .clone()
            .or_else(|| env("COURSEWARE_BIND"))
            .or(file.bind)
            .unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| env("COURSEWARE_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let database_url = overrides
            .database_url
            .clone()
            .or_else(|| env("COURSEWARE_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| default_sqlite_url(&data_dir));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::DatabaseUrl(database_url));
        }
        let templates_dir = env("COURSEWARE_TEMPLATES_DIR")
            .map(PathBuf::from)
            .or(file.templates_dir);
        let allow_guests = env_bool(env, "COURSEWARE_ALLOW_GUESTS")?
            .or(file.allow_guests)
            .unwrap_or(true);
        let import_demo = env_bool(env, "COURSEWARE_IMPORT_DEMO")?
            .or(file.import_demo)
            .unwrap_or(true);
        let log = env("COURSEWARE_LOG")
            .or(file.log)
            .unwrap_or_else(|| "info".to_string());
        let mut stats = file.stats.unwrap_or_default();
        if let Some(zone) = env("COURSEWARE_STATS_TIME_ZONE") {
            stats.time_zone = zone;
        }
        if let Some(min) = env("COURSEWARE_STATS_MIN_GROUP") {
            stats.min_group = min.parse().map_err(|_| ConfigError::Env {
                name: "COURSEWARE_STATS_MIN_GROUP",
                message: format!("expected a whole number, got {min:?}"),
            })?;
        }
        if let Err(message) = crate::domain::calendar::Zone::parse(&stats.time_zone) {
            return Err(ConfigError::Env { name: "stats.time_zone", message });
        }
        if stats.min_group < 1 {
            return Err(ConfigError::Env { name: "stats.min_group", message: "must be at least 1".into() });
        }
        let mut media = file.media.unwrap_or_default();
        if let Some(ffmpeg) = env("COURSEWARE_FFMPEG") {
            media.ffmpeg = ffmpeg;
        }
        if let Some(n) = env("COURSEWARE_TRANSCODE_WORKERS") {
            media.transcode_workers = n.parse().map_err(|_| ConfigError::Env {
                name: "COURSEWARE_TRANSCODE_WORKERS",
                message: format!("expected a whole number, got {n:?}"),
            })?;
        }
        let proxies = match env("COURSEWARE_TRUSTED_PROXIES") {
            Some(list) => list.split(',').map(str::to_string).collect(),
            None => file.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies =
            TrustedProxies::parse(&proxies).map_err(|message| ConfigError::Env { name: "trusted_proxies", message })?;
        Ok(Settings {
            trusted_proxies,
            data_dir,
            database_url,
            templates_dir,
            allow_guests,
            import_demo,
            log,
            limits: file.limits.unwrap_or_default(),
            admin_password: env("COURSEWARE_ADMIN_PASSWORD").filter(|p| !p.is_empty()),
            accel_redirect_prefix: env("COURSEWARE_ACCEL_REDIRECT_PREFIX")
                .or(file.accel_redirect_prefix)
                .filter(|p| !p.is_empty()),
            content_bind: env("COURSEWARE_CONTENT_BIND")
                .or(file.content_bind)
                .unwrap_or_else(|| next_port(&bind)),
            content_origin: env("COURSEWARE_CONTENT_ORIGIN")
                .or(file.content_origin)
                .map(|o| o.trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty()),
            suspend_data_max: match env("COURSEWARE_SUSPEND_DATA_MAX") {
                Some(v) => v.parse().map_err(|_| ConfigError::Env {
                    name: "COURSEWARE_SUSPEND_DATA_MAX",
                    message: format!("expected a number of characters, got {v:?}"),
                })?,
                None => file.suspend_data_max.unwrap_or(64_000),
            },
            bind,
            stats,
            media,
        })
    }

}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.to_owned(),
        // toml's message spans several lines with a caret; one line is what an operator reads.
        message: e.to_string().split_whitespace().collect::<Vec<_>>().join(" "),
    })
}

fn env_bool(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<bool>, ConfigError> {
    match env(name).as_deref() {
        None => Ok(None),
        Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some("0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(other) => Err(ConfigError::Env {
            name,
            message: format!("expected true or false, got {other:?}"),
        }),
    }
}

/// The default content listener: the application's host, next port (port 0 stays 0).
fn next_port(bind: &str) -> String {
    match bind.rsplit_once(':') {
        Some((host, port)) => match port.parse::<u16>() {
            Ok(0) => format!("{host}:0"),
            Ok(p) => format!("{host}:{}", p.saturating_add(1)),
            Err(_) => bind.to_string(),
        },
        None => bind.to_string(),
    }
}

fn default_sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}/courseware.db", data_dir.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(over: Overrides, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(&over, &|k| env.get(k).cloned())
    }

    #[test]
    fn defaults_use_sqlite_in_data_dir() {
        let s = load(Overrides::default(), &[]).unwrap();
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.content_bind, "127.0.0.1:8081", "package content on the next port");
        assert_eq!((s.content_origin.as_deref(), s.suspend_data_max), (None, 64_000));
        assert_eq!(next_port("0.0.0.0:0"), "0.0.0.0:0");
        assert_eq!(s.database_url, "sqlite://./data/courseware.db");
    }

    #[test]
    fn layers_apply_in_order_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:1\"\ndata_dir = \"/srv/cw\"\n").unwrap();
        let over = Overrides {
            config: Some(path.clone()),
            ..Default::default()
        };
        let s = load(over.clone(), &[]).unwrap();
        assert_eq!(s.bind, "0.0.0.0:1");
        assert_eq!(s.database_url, "sqlite:///srv/cw/courseware.db");
        let s = load(over.clone(), &[("COURSEWARE_BIND", "1.2.3.4:5")]).unwrap();
        assert_eq!(s.bind, "1.2.3.4:5");
        let flags = Overrides {
            bind: Some("9.9.9.9:9".into()),
            ..over
        };
        let s = load(flags, &[("COURSEWARE_BIND", "1.2.3.4:5")]).unwrap();
        assert_eq!(s.bind, "9.9.9.9:9");
    }

    #[test]
    fn postgres_url_switches_backend() {
        let s = load(
            Overrides::default(),
            &[("COURSEWARE_DATABASE_URL", "postgres://u@localhost/cw")],
        )
        .unwrap();
        assert_eq!(crate::db::Backend::of_url(&s.database_url), crate::db::Backend::Postgres);
    }

    #[test]
    fn bad_toml_and_unknown_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "bind = \n").unwrap();
        let over = Overrides {
            config: Some(path.clone()),
            ..Default::default()
        };
        let err = load(over.clone(), &[]).unwrap_err().to_string();
        assert!(err.contains("c.toml") && !err.contains('\n'), "{err}");
        std::fs::write(&path, "bnid = \"x\"\n").unwrap();
        let err = load(over, &[]).unwrap_err().to_string();
        assert!(err.contains("bnid"), "{err}");
    }

    #[test]
    fn debug_output_hides_passwords() {
        let s = load(
            Overrides::default(),
            &[("COURSEWARE_DATABASE_URL", "postgres://cw:s3cret@db.local:5432/cw"), ("COURSEWARE_ADMIN_PASSWORD", "hunter22")],
        )
        .unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains("s3cret") && !text.contains("hunter22"), "{text}");
        assert!(text.contains("postgres://cw:***@db.local:5432/cw"), "{text}");
    }

    #[test]
    fn trusted_proxies_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "trusted_proxies = [\"10.0.0.0/8\"]\n").unwrap();
        let over = Overrides { config: Some(path), ..Default::default() };
        let s = load(over.clone(), &[]).unwrap();
        assert!(s.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        let s = load(over.clone(), &[("COURSEWARE_TRUSTED_PROXIES", "127.0.0.1, ::1")]).unwrap();
        assert!(s.trusted_proxies.contains("::1".parse().unwrap()) && !s.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        let err = load(over, &[("COURSEWARE_TRUSTED_PROXIES", "proxy")]).unwrap_err().to_string();
        assert!(err.contains("proxy"), "{err}");
        assert!(load(Overrides::default(), &[]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn bad_database_url_and_bool_are_rejected() {
        let err = load(Overrides::default(), &[("COURSEWARE_DATABASE_URL", "mysql://x")]);
        assert!(matches!(err, Err(ConfigError::DatabaseUrl(_))));
        let err = load(Overrides::default(), &[("COURSEWARE_ALLOW_GUESTS", "maybe")]);
        assert!(matches!(err, Err(ConfigError::Env { .. })));
    }
}
