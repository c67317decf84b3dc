//! Fault injection: for an authenticated call of an emulated action in scope, decides whether
//! it is throttled or gets a server error instead of running, and how long its answer waits;
//! counts what it injected. It does not authenticate, dispatch or sleep (`sim` and `server`
//! do).

use std::fmt;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

use crate::api;
use crate::reply::ApiError;
use crate::world::Faults;

/// The faults of one emulator: its settings, its seeded RNG and its counters.
pub(crate) struct FaultInjector {
    settings: Faults,
    rng: StdRng,
    /// Calls answered `Throttling.User`.
    pub(crate) throttled: u64,
    /// Calls answered `ServiceUnavailable` or `InternalError`.
    pub(crate) server_errors: u64,
}

/// What happens to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// How long to wait before sending the answer.
    pub(crate) delay: Duration,
    /// The error to answer instead of running the action, if any.
    pub(crate) error: Option<ApiError>,
}

// === impl FaultInjector ===

impl FaultInjector {
    pub(crate) fn new(settings: Faults) -> Self {
        Self {
            rng: StdRng::seed_from_u64(settings.seed),
            settings,
            throttled: 0,
            server_errors: 0,
        }
    }

    /// The settings in force.
    pub(crate) fn settings(&self) -> &Faults {
        &self.settings
    }

    /// Decides the fate of an authenticated call of (`version`, `action`). Calls outside the
    /// scope (another action, or one the emulator does not serve) draw nothing.
    pub(crate) fn judge(&mut self, version: &str, action: &str) -> Verdict {
        if !api::is_emulated(version, action) || !self.settings.applies_to(action) {
            return Verdict {
                delay: Duration::ZERO,
                error: None,
            };
        }
        Verdict {
            delay: Duration::from_millis(self.settings.latency_ms),
            error: self.draw(),
        }
    }

    fn draw(&mut self) -> Option<ApiError> {
        let throttle = self.settings.throttle_rate;
        let server = self.settings.server_error_rate;
        if throttle <= 0.0 && server <= 0.0 {
            return None;
        }
        let roll: f64 = self.rng.random();
        if roll < throttle {
            self.throttled += 1;
            Some(ApiError::throttled())
        } else if roll < throttle + server {
            self.server_errors += 1;
            Some(if self.rng.random_bool(0.5) {
                ApiError::service_unavailable()
            } else {
                ApiError::internal_error()
            })
        } else {
            None
        }
    }
}

impl fmt::Debug for FaultInjector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultInjector")
            .field("settings", &self.settings)
            .field("throttled", &self.throttled)
            .field("server_errors", &self.server_errors)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
