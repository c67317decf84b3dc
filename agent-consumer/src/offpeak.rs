//! Off-peak windows: the grammar of `[initialization] off_peak` entries, and the window open
//! at, or next to open after, an instant in a time zone. Pure arithmetic: nothing here reads a
//! clock; callers pass the instant.
//!
//! # Grammar
//!
//! `[DAYS ]HH:MM-HH:MM`, for example `Mon-Fri 01:00-05:00`, `Sat,Sun 00:00-24:00` or
//! `22:30-02:00`:
//!
//! - `DAYS` (optional; absent means every day) is a comma list of day names (`Mon` .. `Sun`,
//!   any letter case) and ranges of them (`Mon-Fri`; `Fri-Mon` wraps over the weekend).
//! - Times are `HH:MM` or `HH:MM:SS`, two digits each. `24:00` is allowed as an end only.
//! - An end at or before the start crosses midnight: `22:30-02:00` on Friday runs from Friday
//!   22:30 to Saturday 02:00 and belongs to Friday.
//!
//! # Wall clock and daylight saving
//!
//! A window opens at the first instant the local clock reaches its start and closes at the
//! first instant it reaches its end. When the clock skips a time (spring forward), a window
//! starting or ending in the skipped hour starts or ends at the jump; when the clock repeats
//! an hour (fall back), the first occurrence counts. A window is therefore an hour shorter or
//! longer on the days the clock changes, as its local times say.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Seconds in a day.
const DAY: u32 = 86_400;

/// Day names, Monday first.
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// One configured off-peak window, recurring on its days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Bit `i` set: the window starts on day `i` (Monday = 0).
    days: u8,
    /// Start, in seconds after local midnight (`0..86400`).
    start: u32,
    /// End, in seconds after local midnight of the start day (`1..=86400`); at or before
    /// `start` means the next day.
    end: u32,
}

/// Why an off-peak entry cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// Nothing but spaces.
    #[error("is empty; write e.g. \"Mon-Fri 01:00-05:00\"")]
    Empty,
    /// The time part is not `HH:MM-HH:MM`.
    #[error("{0:?} is not a time range like 01:00-05:00 (HH:MM or HH:MM:SS, start-end)")]
    BadRange(String),
    /// A time is malformed or out of range.
    #[error("{0:?} is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)")]
    BadTime(String),
    /// `24:00` used as a start.
    #[error("24:00 can only end a window; start it at 00:00 instead")]
    StartAtMidnightEnd,
    /// A day name is unknown.
    #[error(
        "{0:?} is not a day; use Mon, Tue, Wed, Thu, Fri, Sat or Sun, ranges such as Mon-Fri, and lists such as Sat,Sun"
    )]
    BadDay(String),
    /// A day named twice (`Mon,Mon`, `Mon-Wed,Tue`): most likely a typo.
    #[error("{0} is named twice; name each day once")]
    DuplicateDay(&'static str),
    /// Start and end are the same time: an empty window, or a typo for a whole day.
    #[error("starts and ends at the same time {0}; for a whole day write 00:00-24:00")]
    SameStartAndEnd(String),
}

/// A day set written back as ranges and lists (`Mon-Fri`, `Sat,Sun`).
struct DayList(u8);

/// Seconds after midnight written as `HH:MM` (or `HH:MM:SS` when the seconds are not 0).
struct Clock(u32);

// === impl Window ===

impl Window {
    /// Whether the window starts on `date`.
    fn starts_on(&self, date: Date) -> bool {
        let i = date.weekday().to_monday_zero_offset();
        self.days & (1 << i) != 0
    }

    /// The window's occurrence that starts on `date`, as instants in `tz`.
    fn on(&self, date: Date, tz: &TimeZone) -> Option<(Timestamp, Timestamp)> {
        let start = first_instant_at(tz, at_seconds(date, self.start)?)?;
        let end_day = if self.end <= self.start {
            date.tomorrow().ok()?
        } else {
            date
        };
        let end = first_instant_at(tz, at_seconds(end_day, self.end)?)?;
        (end > start).then_some((start, end))
    }
}

impl FromStr for Window {
    type Err = WindowError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(WindowError::Empty);
        }
        // Spaces around `-` and `,` (`Mon - Fri 01:00 - 05:00`) are not separators.
        let tight = tighten(text);
        let text = tight.as_str();
        let (days_part, range) = match text.rsplit_once(char::is_whitespace) {
            Some((days, range)) => (Some(days), range),
            None => (None, text),
        };
        let days = match days_part {
            Some(days) => parse_days(days)?,
            None => 0b111_1111,
        };
        let (start, end) = range
            .split_once('-')
            .filter(|_| range.contains(':'))
            .ok_or_else(|| WindowError::BadRange(range.to_owned()))?;
        let start_text = start.trim();
        let start = parse_time(start)?;
        let end = parse_time(end)?;
        if start == DAY {
            return Err(WindowError::StartAtMidnightEnd);
        }
        if start == end {
            return Err(WindowError::SameStartAndEnd(start_text.to_owned()));
        }
        // `00:00` as an end means the next midnight, like `24:00`.
        let end = if end == 0 { DAY } else { end };
        Ok(Self { days, start, end })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days != 0b111_1111 {
            write!(f, "{} ", DayList(self.days))?;
        }
        write!(f, "{}-{}", Clock(self.start), Clock(self.end))
    }
}

// === impl DayList ===

impl fmt::Display for DayList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < 7 {
            if self.0 & (1 << i) == 0 {
                i += 1;
                continue;
            }
            let mut j = i;
            while j + 1 < 7 && self.0 & (1 << (j + 1)) != 0 {
                j += 1;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            match j - i {
                0 => f.write_str(DAY_NAMES[i])?,
                1 => write!(f, "{},{}", DAY_NAMES[i], DAY_NAMES[j])?,
                _ => write!(f, "{}-{}", DAY_NAMES[i], DAY_NAMES[j])?,
            }
            i = j + 1;
        }
        Ok(())
    }
}

// === impl Clock ===

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m, s) = (self.0 / 3600, self.0 / 60 % 60, self.0 % 60);
        if s == 0 {
            write!(f, "{h:02}:{m:02}")
        } else {
            write!(f, "{h:02}:{m:02}:{s:02}")
        }
    }
}

/// The window open at `after`, or else the next one to open, as `(start, end)` instants.
///
/// An open window is returned with its real bounds (so `start <= after < end`); when several
/// are open, the one that stays open longest. Otherwise the window that opens first (the
/// longest of those opening together). `None` when `windows` is empty.
pub fn next_window(
    windows: &[Window],
    tz: &TimeZone,
    after: Timestamp,
) -> Option<(Timestamp, Timestamp)> {
    let today = tz.to_datetime(after).date();
    // A window starting yesterday may still be open; a week and a day ahead covers every
    // weekday once more, whatever the clock changes.
    let mut day = today.yesterday().ok()?;
    let mut best: Option<(Timestamp, Timestamp)> = None;
    for _ in 0..10 {
        for window in windows.iter().filter(|w| w.starts_on(day)) {
            let Some((start, end)) = window.on(day, tz) else {
                continue;
            };
            if end <= after {
                continue;
            }
            best = Some(match best {
                None => (start, end),
                Some(current) => better(current, (start, end), after),
            });
        }
        day = day.tomorrow().ok()?;
    }
    best
}

/// A sentence listing `windows` with the time zone, e.g.
/// `Mon-Fri 01:00-05:00; 22:30-02:00 (every day) (Asia/Shanghai)`.
pub fn describe(windows: &[Window], tz: &TimeZone) -> String {
    let zone = zone_name(tz);
    if windows.is_empty() {
        return format!(
            "no off-peak windows are configured (initialization.off_peak), so any time is \
             accepted ({zone})"
        );
    }
    let list: Vec<String> = windows
        .iter()
        .map(|w| {
            if w.days == 0b111_1111 {
                format!("{w} (every day)")
            } else {
                w.to_string()
            }
        })
        .collect();
    format!("{} ({zone})", list.join("; "))
}

/// The IANA name of `tz`, or `UTC` for a zone without one.
pub fn zone_name(tz: &TimeZone) -> &str {
    tz.iana_name().unwrap_or("UTC")
}

/// `ts` as RFC 3339 with the offset `tz` has at that instant.
pub fn rfc3339_in(ts: Timestamp, tz: &TimeZone) -> String {
    ts.display_with_offset(tz.to_offset(ts)).to_string()
}

/// Of two windows that end after `after`: an open one before one not yet open; of two open
/// ones, the later end; of two not yet open, the earlier start, then the later end.
fn better(
    a: (Timestamp, Timestamp),
    b: (Timestamp, Timestamp),
    after: Timestamp,
) -> (Timestamp, Timestamp) {
    let (a_open, b_open) = (a.0 <= after, b.0 <= after);
    match (a_open, b_open) {
        (true, false) => a,
        (false, true) => b,
        (true, true) => {
            if b.1 > a.1 {
                b
            } else {
                a
            }
        }
        (false, false) => {
            if b.0 < a.0 || (b.0 == a.0 && b.1 > a.1) {
                b
            } else {
                a
            }
        }
    }
}

/// The first instant at which the clock of `tz` shows `dt` or later (see the module docs).
fn first_instant_at(tz: &TimeZone, dt: DateTime) -> Option<Timestamp> {
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok(),
        AmbiguousOffset::Gap { before, after } => {
            // Read with the offset after the jump, `dt` is an instant before the jump; the
            // next transition from there is the jump itself.
            let probe = after.to_timestamp(dt).ok()?;
            tz.following(probe)
                .next()
                .map(|t| t.timestamp())
                .or_else(|| before.to_timestamp(dt).ok())
        }
    }
}

/// Local midnight of `date` plus `seconds` (`86400` is the next midnight).
fn at_seconds(date: Date, seconds: u32) -> Option<DateTime> {
    if seconds >= DAY {
        return Some(date.tomorrow().ok()?.at(0, 0, 0, 0));
    }
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    Some(date.at(h as i8, m as i8, s as i8, 0))
}

/// `HH:MM` or `HH:MM:SS` as seconds after midnight; `24:00` (and `24:00:00`) gives 86400.
fn parse_time(text: &str) -> Result<u32, WindowError> {
    let bad = || WindowError::BadTime(text.to_owned());
    let parts: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return Err(bad());
    }
    let mut values = [0u32; 3];
    for (value, part) in values.iter_mut().zip(&parts) {
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        *value = part.parse().map_err(|_| bad())?;
    }
    let [h, m, s] = values;
    if h == 24 && m == 0 && s == 0 {
        return Ok(DAY);
    }
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(h * 3600 + m * 60 + s)
}

/// `Mon-Fri`, `Sat,Sun`, `Mon-Wed,Fri` ... as a day bit set.
/// `text` without the whitespace next to `-` and `,`.
fn tighten(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let next_to_joint = |i: usize| {
        let joint = |c: &char| matches!(c, '-' | ',');
        let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
        let after = chars[i..].iter().find(|c| !c.is_whitespace());
        before.is_some_and(joint) || after.is_some_and(joint)
    };
    chars
        .iter()
        .enumerate()
        .filter(|&(i, c)| !(c.is_whitespace() && next_to_joint(i)))
        .map(|(_, c)| *c)
        .collect()
}

fn parse_days(text: &str) -> Result<u8, WindowError> {
    let mut days = 0u8;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for item in compact.split(',') {
        let (from, to) = match item.split_once('-') {
            Some((from, to)) => (day_index(from)?, day_index(to)?),
            None => {
                let d = day_index(item)?;
                (d, d)
            }
        };
        let mut d = from;
        loop {
            if days & (1 << d) != 0 {
                return Err(WindowError::DuplicateDay(DAY_NAMES[d]));
            }
            days |= 1 << d;
            if d == to {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(days)
}

fn day_index(name: &str) -> Result<usize, WindowError> {
    DAY_NAMES
        .iter()
        .position(|d| d.eq_ignore_ascii_case(name))
        .ok_or_else(|| WindowError::BadDay(name.to_owned()))
}

#[cfg(test)]
mod tests;
