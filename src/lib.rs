//! The courseware server: course packages, media delivery, progress tracking and statistics.

pub mod app;
pub mod assets;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod media;
pub mod packages;
pub mod provision;
pub mod render;
pub mod routes;
pub mod scorm;
pub mod startup;
pub mod stats;
pub mod storage;
pub mod telemetry;
pub mod tracking;
pub mod uploads;
