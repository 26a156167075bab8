//! Progress events: what a browser sends, checked and brought to the server's clock, and the
//! payload kept in the append-only `progress_events` table.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::intervals::{length, merge};
use super::meta::ItemMeta;
use super::quiz::QuizOutcome;

pub const MAX_EVENTS_PER_BATCH: usize = 200;
const MAX_INTERVALS: usize = 64;
const MAX_ID_LEN: usize = 64;
/// Longest wall-clock span one event may claim; the page reports every 15-30 s.
const MAX_SPAN_MS: i64 = 5 * 60_000;
/// Events queued offline are accepted for this long.
const MAX_AGE_MS: i64 = 90 * 24 * 3600 * 1000;
/// Fastest playback credited: media seconds played per second of visible playing time.
const MAX_RATE: f64 = 2.0;
/// Allowance for timer jitter between what was played and the time it took, per event.
const SLACK_S: f64 = 2.0;
const MAX_MEDIA_S: f64 = 24.0 * 3600.0;

/// `POST /api/v1/progress/events`.
#[derive(Debug, Deserialize)]
pub struct Batch {
    /// The client's clock when it sent the batch (unix ms); corrects its clock's offset.
    pub sent_at: Option<i64>,
    pub events: Vec<EventInput>,
}

#[derive(Debug, Deserialize)]
pub struct EventInput {
    /// Made by the client, unique per learner: a retried event is recognised by it.
    pub id: String,
    pub item_id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened, on the client's clock (unix ms).
    pub at: i64,
    /// Media seconds played since the previous event: `[[from, to], ...]`.
    #[serde(default)]
    pub played: Vec<[f64; 2]>,
    /// Wall-clock spans (client clock, unix ms) the page was visible and, for media, playing.
    #[serde(default)]
    pub active: Vec<[i64; 2]>,
    pub position: Option<Position>,
    /// Media length as the player knows it, seconds.
    pub duration: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The lesson was opened.
    Open,
    /// Playing, reading, a position: the heartbeat.
    Progress,
    /// A runtime (SCORM, cmi5) reported a status or score.
    Result,
    /// A scored quiz attempt; made by the server, never accepted from a client.
    Quiz,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Open => "open",
            EventKind::Progress => "progress",
            EventKind::Result => "result",
            EventKind::Quiz => "quiz",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        [EventKind::Open, EventKind::Progress, EventKind::Result, EventKind::Quiz].into_iter().find(|k| k.as_str() == text)
    }
}

/// Where the learner was: video seconds, PDF page, HTML scroll share, or a SCORM location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    Seconds(f64),
    Page(u32),
    Scroll(f64),
    Location(String),
}

/// Outcomes a runtime reports, weakest first: the best one reported is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reported {
    Incomplete,
    Failed,
    Completed,
    Passed,
}

impl Reported {
    pub fn as_str(self) -> &'static str {
        match self {
            Reported::Incomplete => "incomplete",
            Reported::Failed => "failed",
            Reported::Completed => "completed",
            Reported::Passed => "passed",
        }
    }

    pub fn parse(text: &str) -> Option<Reported> {
        [Reported::Incomplete, Reported::Failed, Reported::Completed, Reported::Passed].into_iter().find(|r| r.as_str() == text)
    }
}

/// An event as accepted and stored (`progress_events.payload`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub played: Vec<[f64; 2]>,
    /// On the server's clock.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active: Vec<[i64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Reported>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<QuizOutcome>,
}

/// An event ready to store: checked, on the server's clock, tied to its course and item.
#[derive(Debug, Clone)]
pub struct Event {
    pub client_id: String,
    pub user_id: i64,
    pub item: Arc<ItemMeta>,
    pub kind: EventKind,
    pub client_ts: i64,
    pub at: i64,
    pub received_at: i64,
    pub payload: Payload,
}

/// Why one event of a batch was refused; the client drops it, a retry cannot succeed.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub id: String,
    pub code: &'static str,
    pub message: String,
}

impl Rejection {
    pub fn new(id: &str, code: &'static str, message: impl Into<String>) -> Rejection {
        Rejection { id: id.to_string(), code, message: message.into() }
    }
}

/// The server's receiving time and the client's clock offset, one per batch.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pub received_at: i64,
    offset: i64,
}

impl Clock {
    /// Phones' clocks are often wrong: the batch's `sent_at` tells by how much.
    pub fn new(received_at: i64, sent_at: Option<i64>) -> Clock {
        Clock { received_at, offset: sent_at.map_or(0, |s| received_at.saturating_sub(s)) }
    }

    fn to_server(self, client_ms: i64) -> i64 {
        client_ms.saturating_add(self.offset).min(self.received_at)
    }
}

/// Checks the id an event is known by; needed before anything else can be said about it.
pub fn check_id(id: &str) -> Result<(), Rejection> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(Rejection::new(id, "invalid", format!("event ids are 1-{MAX_ID_LEN} characters of A-Z a-z 0-9 - _ . :")))
    }
}

/// Checks one event of `user_id` for `item` and brings it to the server's clock. Played
/// media beyond what the visible playing time allows (at up to 2x speed) is cut off.
pub fn normalize(input: EventInput, item: Arc<ItemMeta>, user_id: i64, clock: Clock) -> Result<Event, Rejection> {
    let id = input.id.as_str();
    let invalid = |message: &str| Rejection::new(id, "invalid", message);
    let kind = match EventKind::parse(&input.kind) {
        Some(EventKind::Quiz) | None => return Err(invalid("type must be open or progress")),
        // Status and score of SCORM and cmi5 lessons come from the server's runtimes (CMI
        // commits, xAPI statements, both checked there); a page must not be able to claim them.
        Some(EventKind::Result) => {
            return Err(invalid("result events are made by the SCORM and cmi5 runtimes, not sent"));
        }
        Some(kind) => kind,
    };
    let at = clock.to_server(input.at);
    if at < clock.received_at - MAX_AGE_MS {
        return Err(Rejection::new(id, "stale", "the event is older than 90 days"));
    }
    if input.played.len() > MAX_INTERVALS || input.active.len() > MAX_INTERVALS {
        return Err(invalid("too many intervals in one event"));
    }
    let mut active = Vec::with_capacity(input.active.len());
    for [from, to] in input.active {
        if from > to {
            return Err(invalid("an active span ends before it starts"));
        }
        let to = clock.to_server(to);
        let from = clock.to_server(from).max(to - MAX_SPAN_MS).max(clock.received_at - MAX_AGE_MS);
        if to > from {
            active.push([from, to]);
        }
    }
    merge(&mut active, 0);
    let mut played = Vec::new();
    if item.is_media() {
        for [from, to] in input.played {
            if !(from.is_finite() && to.is_finite() && 0.0 <= from && from <= to && to <= MAX_MEDIA_S) {
                return Err(invalid("played intervals are [from, to] seconds with 0 <= from <= to"));
            }
            played.push([round_ms(from), round_ms(to)]);
        }
        merge(&mut played, 0.0);
        played = within_budget(played, length(&active) as f64 / 1000.0 * MAX_RATE + SLACK_S);
    }
    let position = input.position.map(check_position).transpose().map_err(|m| invalid(m))?;
    let duration = input.duration.filter(|d| d.is_finite() && *d > 0.0 && *d <= MAX_MEDIA_S).map(round_ms);
    Ok(Event {
        client_id: input.id,
        user_id,
        item,
        kind,
        client_ts: input.at,
        at,
        received_at: clock.received_at,
        payload: Payload { played, active, position, duration, status: None, score: None, quiz: None },
    })
}

fn check_position(position: Position) -> Result<Position, &'static str> {
    let ok = match &position {
        Position::Seconds(s) => s.is_finite() && (0.0..=MAX_MEDIA_S).contains(s),
        Position::Page(p) => (1..=100_000).contains(p),
        Position::Scroll(f) => f.is_finite() && (0.0..=1.0).contains(f),
        Position::Location(l) => l.len() <= 1000,
    };
    match position {
        Position::Seconds(s) if ok => Ok(Position::Seconds(round_ms(s))),
        _ if ok => Ok(position),
        _ => Err("position is {seconds >= 0} | {page >= 1} | {scroll 0..1} | {location: text up to 1000 bytes}"),
    }
}

/// Keeps played intervals, in order, up to `budget` seconds in all.
fn within_budget(played: Vec<[f64; 2]>, budget: f64) -> Vec<[f64; 2]> {
    let mut left = budget;
    let mut out = Vec::with_capacity(played.len());
    for [from, to] in played {
        if left <= 0.0 {
            break;
        }
        let take = (to - from).min(left);
        out.push([from, round_ms(from + take)]);
        left -= take;
    }
    out
}

/// Media times to the millisecond: what a player can tell apart, and a short JSON.
fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
