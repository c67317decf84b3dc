//! The coordinator's clock: the system clock, or for rehearsals and tests one that starts at a
//! configured instant and then runs at real speed (`clock_start` in the configuration), so that
//! an off-peak window can be made to open a few seconds after start-up. Only the
//! initialization gate reads it; record timestamps use the system clock.

use crossbind_aliyun::clock::Clock;
use time::{Duration, OffsetDateTime};

/// A clock that runs at real speed from a chosen starting instant.
#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    offset: Duration,
}

// === impl ShiftedClock ===

impl ShiftedClock {
    /// A clock that shows `start` now.
    pub fn starting_at(start: OffsetDateTime) -> Self {
        Self {
            offset: start - OffsetDateTime::now_utc(),
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_given_instant_and_runs_on() {
        let start = OffsetDateTime::now_utc() - Duration::days(400);
        let clock = ShiftedClock::starting_at(start);
        let first = clock.now();
        assert!(
            (first - start).abs() < Duration::seconds(5),
            "{first} vs {start}"
        );
        assert!(clock.now() >= first);
    }
}
