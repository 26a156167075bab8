//! Integration tests: the real server on port 0, on SQLite and (with TEST_DATABASE_URL) Postgres.

mod accounts;
mod browser;
mod cc_progress;
mod cmi5_browser;
mod cli_errors;
mod differential;
mod foundation;
mod helpers;
mod js_runtime;
mod media;
mod packages;
mod progress;
mod progress_browser;
mod progress_durability;
mod progress_pages;
mod scorm_api;
mod scorm_browser;
mod scorm_isolation;
mod stats;
mod stats_access;
mod stats_browser;
mod stats_totals;
mod teach;
mod uploads;
mod visibility;
mod webdriver;
