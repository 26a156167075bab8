//! Usage statistics: totals per day x school x class x course, kept up to date by the
//! progress writer (`rollup`), and media bytes counted in memory (`media`). The calendar they
//! are kept by is `domain::calendar`.

pub mod charts;
pub mod coarse;
pub mod html;
pub mod demo;
pub mod media;
pub mod rollup;
pub mod view;
