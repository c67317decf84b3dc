//! Where the time comes from (a `Clock` trait, the system clock and a settable test clock) and
//! the one timestamp format the APIs use; it does not schedule anything.

use std::fmt;
use std::sync::Mutex;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `YYYY-MM-DDThh:mm:ssZ`, the format of `Timestamp` and `x-acs-date`.
const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// A source of the current time, injected so that signing can be tested at a fixed instant.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

/// A clock that stands still until it is set or advanced.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<OffsetDateTime>,
}

// === impl SystemClock ===

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place that reads the real time.
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from(std::time::SystemTime::now())
    }
}

// === impl FixedClock ===

impl FixedClock {
    /// A clock showing `now`.
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(now),
        }
    }

    /// Sets the time shown.
    pub fn set(&self, now: OffsetDateTime) {
        *self.lock() = now;
    }

    /// Moves the time shown forward (or back, for a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OffsetDateTime> {
        // A poisoned lock still holds a valid time.
        self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.lock()
    }
}

/// Formats `t` in UTC as `YYYY-MM-DDThh:mm:ssZ`, dropping fractions of a second.
pub fn format_timestamp(t: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    utc.format(TIMESTAMP)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

/// Parses exactly `YYYY-MM-DDThh:mm:ssZ` (no offsets, no fractions); anything else is `None`.
pub fn parse_timestamp(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    PrimitiveDateTime::parse(s, TIMESTAMP)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_in_utc_without_fractions() {
        let t = datetime!(2026-01-15 16:30:00.789 +08:00);
        assert_eq!(format_timestamp(t), "2026-01-15T08:30:00Z");
    }

    #[test]
    fn parses_only_the_strict_form() {
        assert_eq!(
            parse_timestamp("2026-01-15T08:30:00Z"),
            Some(datetime!(2026-01-15 08:30:00 UTC))
        );
        for bad in [
            "2026-01-15T08:30:00",
            "2026-01-15T08:30:00.1Z",
            "2026-01-15T08:30:00+00:00",
            "2026-1-15T08:30:00Z",
            "2026-02-30T08:30:00Z",
            "+026-01-15T08:30:00Z",
            "",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn fixed_clock_is_settable() {
        let clock = FixedClock::new(datetime!(2026-01-15 08:30:00 UTC));
        clock.advance(time::Duration::seconds(90));
        assert_eq!(format_timestamp(clock.now()), "2026-01-15T08:31:30Z");
        clock.set(datetime!(2030-05-01 00:00:00 UTC));
        assert_eq!(format_timestamp(clock.now()), "2030-05-01T00:00:00Z");
        assert!(SystemClock.now().year() >= 2024);
    }
}
