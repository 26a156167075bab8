//! Usage statistics, reading side: the dashboards' views over the totals and their charts.
//! The totals are kept up to date by the progress writer (`tracking::totals`) and the media
//! byte tally (`tracking::media_bytes`); their measures are `domain::usage`, their calendar
//! `domain::calendar`.

pub mod charts;
pub mod view;
