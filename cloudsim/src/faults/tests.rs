//! Tests of the fault decisions alone: off by default, rates of 1, seeded rates within a band
//! and reproducible, precedence, the action scope and latency.

use super::*;
use crate::api::{RAM_VERSION, STS_VERSION};

fn faults(throttle_rate: f64, server_error_rate: f64, seed: u64) -> Faults {
    Faults {
        throttle_rate,
        server_error_rate,
        seed,
        ..Faults::default()
    }
}

/// The codes of `n` CreateRole verdicts ("" for a call that runs).
fn codes(injector: &mut FaultInjector, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let verdict = injector.judge(RAM_VERSION, "CreateRole");
            verdict.error.map(|e| e.code).unwrap_or_default()
        })
        .collect()
}

fn count(codes: &[String], code: &str) -> usize {
    codes.iter().filter(|c| *c == code).count()
}

#[test]
fn the_default_injects_nothing() {
    let mut injector = FaultInjector::new(Faults::default());
    assert!(injector.settings().is_off());
    for _ in 0..500 {
        let verdict = injector.judge(RAM_VERSION, "CreateRole");
        assert_eq!(
            verdict,
            Verdict {
                delay: Duration::ZERO,
                error: None
            }
        );
    }
    assert_eq!((injector.throttled, injector.server_errors), (0, 0));
}

#[test]
fn a_throttle_rate_of_one_throttles_every_call() {
    let mut injector = FaultInjector::new(faults(1.0, 0.0, 3));
    for _ in 0..200 {
        let e = injector.judge(RAM_VERSION, "CreateRole").error.unwrap();
        assert_eq!(e.status.as_u16(), 400);
        assert_eq!(e.code, "Throttling.User");
        assert_eq!(e.message, "Request was denied due to user flow control.");
    }
    assert_eq!((injector.throttled, injector.server_errors), (200, 0));
}

#[test]
fn a_server_error_rate_of_one_answers_both_5xx_kinds() {
    let mut injector = FaultInjector::new(faults(0.0, 1.0, 3));
    let mut seen = Vec::new();
    for _ in 0..200 {
        let e = injector.judge(RAM_VERSION, "CreateRole").error.unwrap();
        let pair = (e.status.as_u16(), e.code.clone());
        match pair.0 {
            503 => assert_eq!(e.code, "ServiceUnavailable"),
            500 => assert_eq!(e.code, "InternalError"),
            other => panic!("status {other}"),
        }
        if !seen.contains(&pair) {
            seen.push(pair);
        }
    }
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((injector.throttled, injector.server_errors), (0, 200));
}

#[test]
fn a_seeded_rate_lands_in_a_band_and_repeats_with_the_seed() {
    let first = codes(&mut FaultInjector::new(faults(0.3, 0.1, 42)), 200);
    let throttled = count(&first, "Throttling.User");
    let server = count(&first, "ServiceUnavailable") + count(&first, "InternalError");
    // Means 60 and 20, bands of about three standard deviations.
    assert!((40..=80).contains(&throttled), "throttled {throttled}");
    assert!((8..=32).contains(&server), "server errors {server}");
    assert_eq!(count(&first, ""), 200 - throttled - server);

    let again = codes(&mut FaultInjector::new(faults(0.3, 0.1, 42)), 200);
    assert_eq!(first, again);
    let other = codes(&mut FaultInjector::new(faults(0.3, 0.1, 43)), 200);
    assert_ne!(first, other);
}

#[test]
fn the_counters_match_the_verdicts() {
    let mut injector = FaultInjector::new(faults(0.3, 0.1, 9));
    let got = codes(&mut injector, 300);
    assert_eq!(
        injector.throttled,
        count(&got, "Throttling.User") as u64,
        "{got:?}"
    );
    assert_eq!(
        injector.server_errors,
        (count(&got, "ServiceUnavailable") + count(&got, "InternalError")) as u64
    );
}

#[test]
fn throttling_takes_precedence_when_the_rates_exceed_one() {
    let got = codes(&mut FaultInjector::new(faults(0.7, 0.7, 5)), 200);
    assert_eq!(count(&got, ""), 0, "every call is faulted");
    let throttled = count(&got, "Throttling.User");
    assert!((120..=160).contains(&throttled), "throttled {throttled}");
}

#[test]
fn calls_out_of_scope_draw_nothing_and_wait_nothing() {
    let scoped = Faults {
        latency_ms: 250,
        actions: Some(vec![String::from("CreateRole")]),
        ..faults(0.5, 0.2, 11)
    };
    let mut filtered = FaultInjector::new(scoped.clone());
    let mut plain = FaultInjector::new(scoped);
    let mut with_others = Vec::new();
    for _ in 0..100 {
        for (version, action) in [
            (STS_VERSION, "GetCallerIdentity"),
            (RAM_VERSION, "NoSuchAction"),
            ("2099-01-01", "CreateRole"),
        ] {
            let verdict = filtered.judge(version, action);
            assert_eq!(verdict.delay, Duration::ZERO, "{action}");
            assert_eq!(verdict.error, None, "{action}");
        }
        let verdict = filtered.judge(RAM_VERSION, "CreateRole");
        assert_eq!(verdict.delay, Duration::from_millis(250));
        with_others.push(verdict.error.map(|e| e.code).unwrap_or_default());
    }
    // The out-of-scope calls did not move the RNG.
    assert_eq!(with_others, codes(&mut plain, 100));
}

#[test]
fn an_empty_action_list_turns_faults_off() {
    let mut injector = FaultInjector::new(Faults {
        actions: Some(Vec::new()),
        latency_ms: 100,
        ..faults(1.0, 0.0, 0)
    });
    let verdict = injector.judge(RAM_VERSION, "CreateRole");
    assert_eq!(verdict.error, None);
    assert_eq!(verdict.delay, Duration::ZERO);
}

#[test]
fn latency_applies_to_faulted_and_unfaulted_calls() {
    let mut injector = FaultInjector::new(Faults {
        latency_ms: 3000,
        ..faults(0.5, 0.0, 1)
    });
    let verdicts: Vec<Verdict> = (0..50)
        .map(|_| injector.judge(RAM_VERSION, "GetRole"))
        .collect();
    assert!(verdicts.iter().all(|v| v.delay == Duration::from_secs(3)));
    assert!(verdicts.iter().any(|v| v.error.is_some()));
    assert!(verdicts.iter().any(|v| v.error.is_none()));
}
