//! Unit tests of the rate limiter on tokio's paused clock (bursts, spacing, independent and
//! shared buckets, overrides, disabling, waiting callers) and of parsing keys, rates and limits.

use std::io;
use std::sync::{Arc, Mutex};

use tracing::Instrument;

use super::*;

const ATTACH: (Product, &str) = (Product::Ram, "AttachPolicyToRole");

/// Makes `calls` one after another and returns, in milliseconds since the first asked, when
/// each got its token.
async fn offsets(limiter: &RateLimiter, calls: &[(Product, &'static str)]) -> Vec<u128> {
    let t0 = Instant::now();
    let mut out = Vec::with_capacity(calls.len());
    for (product, action) in calls {
        limiter.acquire(*product, action).await;
        out.push(t0.elapsed().as_millis());
    }
    out
}

fn limiter(limits: RateLimits) -> RateLimiter {
    RateLimiter::new(limits)
}

fn rate(per_second: f64) -> Rate {
    Rate::new(per_second).expect("valid rate")
}

fn key(text: &str) -> LimitKey {
    text.parse().expect("valid key")
}

#[tokio::test(start_paused = true)]
async fn a_burst_goes_at_once_then_calls_are_spaced_at_one_over_the_rate() {
    let l = limiter(RateLimits::published());
    let got = offsets(&l, &[ATTACH; 13]).await;
    // AttachPolicyToRole: 10 per second, so a burst of 10, then one every 100 ms.
    assert_eq!(got, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300]);
    // A quiet second refills the whole burst and no more.
    tokio::time::advance(Duration::from_secs(5)).await;
    let got = offsets(&l, &[ATTACH; 11]).await;
    assert_eq!(got[9], 0);
    assert_eq!(got[10], 100);
}

#[tokio::test(start_paused = true)]
async fn acquire_reports_its_wait() {
    let l = limiter(RateLimits::published().with_limit(key("Emr.GetCluster"), rate(4.0)));
    for _ in 0..4 {
        assert_eq!(l.acquire(Product::Emr, "GetCluster").await, Duration::ZERO);
    }
    assert_eq!(
        l.acquire(Product::Emr, "GetCluster").await,
        Duration::from_millis(250)
    );
}

#[tokio::test(start_paused = true)]
async fn buckets_of_different_actions_are_independent() {
    let l = limiter(RateLimits::published());
    offsets(&l, &[ATTACH; 10]).await;
    let got = offsets(
        &l,
        &[
            (Product::Ram, "CreateRole"),
            (Product::Ram, "DetachPolicyFromRole"),
            (Product::Sts, "GetCallerIdentity"),
            (Product::Emr, "GetCluster"),
            ATTACH,
        ],
    )
    .await;
    assert_eq!(got, [0, 0, 0, 0, 100]);
}

#[tokio::test(start_paused = true)]
async fn the_dataworks_product_bucket_caps_the_sum_of_its_actions() {
    let l = limiter(RateLimits::published());
    let calls: Vec<(Product, &'static str)> = ["GetProject", "ListComputeResources"]
        .into_iter()
        .cycle()
        .take(9)
        .map(|action| (Product::DataWorks, action))
        .collect();
    let got = offsets(&l, &calls).await;
    // Standard edition: 5 per second for all actions together.
    assert_eq!(got, [0, 0, 0, 0, 0, 200, 400, 600, 800]);
    // Other products do not share DataWorks' budget.
    assert_eq!(offsets(&l, &[(Product::Emr, "GetCluster")]).await, [0]);
}

#[tokio::test(start_paused = true)]
async fn enterprise_counts_dataworks_reads_and_writes_apart() {
    let l = limiter(RateLimits::published().with_dataworks_edition(DataWorksEdition::Enterprise));
    let reads = offsets(&l, &[(Product::DataWorks, "GetProject"); 50]).await;
    let writes = offsets(&l, &[(Product::DataWorks, "CreateComputeResource"); 20]).await;
    assert!(reads.iter().chain(&writes).all(|t| *t == 0));
    let t0 = Instant::now();
    l.acquire(Product::DataWorks, "ListComputeResources").await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(20),
        "50 reads per second"
    );
    l.acquire(Product::DataWorks, "DeleteComputeResource").await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(50),
        "20 writes per second"
    );
}

#[tokio::test(start_paused = true)]
async fn overrides_replace_defaults_and_add_buckets() {
    let limits = RateLimits::published()
        .with_limit(key("Ram.AttachPolicyToRole"), rate(5.0))
        .with_limit(key("Emr.*"), rate(2.0))
        .with_limit(key("Emr.ListClusters"), rate(1.0))
        .with_limit(key("DataWorks"), rate(1.0))
        .with_limit(key("Sts"), rate(1.0));
    let l = limiter(limits);
    assert_eq!(offsets(&l, &[ATTACH; 6]).await, [0, 0, 0, 0, 0, 200]);
    let get_cluster = (Product::Emr, "GetCluster");
    assert_eq!(offsets(&l, &[get_cluster; 3]).await, [0, 0, 500]);
    let list_clusters = (Product::Emr, "ListClusters");
    assert_eq!(offsets(&l, &[list_clusters; 2]).await, [0, 1000]);
    let dw = [
        (Product::DataWorks, "GetProject"),
        (Product::DataWorks, "ListProjects"),
    ];
    assert_eq!(offsets(&l, &dw).await, [0, 1000]);
    // A product-wide bucket where there is none by default: STS' per-API 100/s still holds,
    // but the sum is now 1 per second.
    let sts = [
        (Product::Sts, "GetCallerIdentity"),
        (Product::Sts, "AssumeRole"),
    ];
    assert_eq!(offsets(&l, &sts).await, [0, 1000]);
}

#[tokio::test(start_paused = true)]
async fn disabled_limits_never_wait() {
    let l = limiter(RateLimits::disabled());
    assert!(!l.is_enabled());
    assert!(l.limits().is_none());
    let t0 = Instant::now();
    for _ in 0..10_000 {
        assert_eq!(l.acquire(ATTACH.0, ATTACH.1).await, Duration::ZERO);
        assert_eq!(l.try_acquire(Product::DataWorks, "GetProject"), Ok(()));
    }
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert!(!RateLimiter::unlimited().is_enabled());
}

#[tokio::test(start_paused = true)]
async fn try_acquire_takes_nothing_when_it_would_wait() {
    let l = limiter(RateLimits::published());
    for _ in 0..10 {
        assert_eq!(l.try_acquire(ATTACH.0, ATTACH.1), Ok(()));
    }
    assert_eq!(
        l.try_acquire(ATTACH.0, ATTACH.1),
        Err(Duration::from_millis(100))
    );
    assert_eq!(
        l.try_acquire(ATTACH.0, ATTACH.1),
        Err(Duration::from_millis(100)),
        "a refused try took a token"
    );
    tokio::time::advance(Duration::from_millis(100)).await;
    assert_eq!(l.try_acquire(ATTACH.0, ATTACH.1), Ok(()));
    assert!(l.try_acquire(ATTACH.0, ATTACH.1).is_err());
}

#[tokio::test(start_paused = true)]
async fn clones_share_buckets_and_concurrent_callers_are_spaced() {
    let l = limiter(RateLimits::published());
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..15 {
        let clone = l.clone();
        tasks.spawn(
            async move {
                clone.acquire(Product::DataWorks, "GetProject").await;
                t0.elapsed().as_millis()
            }
            .instrument(tracing::debug_span!("caller", n)),
        );
    }
    let mut done: Vec<u128> = tasks.join_all().await;
    done.sort_unstable();
    let expected: Vec<u128> = [0; 5]
        .into_iter()
        .chain((1..=10).map(|k| k * 200))
        .collect();
    assert_eq!(done, expected);
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

// === impl Captured ===

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_wait_is_logged_at_debug_naming_the_bucket() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Tracing caches each callsite's interest process-wide, decided by whichever thread hits
    // it first; a sibling test without a subscriber may have made it "never". Hit the
    // callsite here, then have the cache recomputed for this thread's subscriber.
    let warm = limiter(RateLimits::published().with_limit(key("Sts"), rate(1.0)));
    offsets(&warm, &[(Product::Sts, "AssumeRole"); 2]).await;
    tracing::callsite::rebuild_interest_cache();
    captured.0.lock().unwrap().clear();

    let l = limiter(RateLimits::published());
    offsets(&l, &[(Product::DataWorks, "GetProject"); 5]).await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.is_empty(), "logged without waiting: {text}");
    l.acquire(Product::DataWorks, "GetProject").await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("DEBUG"), "{text}");
    assert!(text.contains("limit=DataWorks "), "{text}");
    assert!(text.contains("wait_ms=200"), "{text}");
}

#[test]
fn published_defaults_follow_the_quota_tables() {
    let l = RateLimits::published();
    let action = |p, a| l.action_rate(p, a).map(Rate::per_second);
    assert_eq!(action(Product::Ram, "CreateRole"), Some(20.0));
    assert_eq!(action(Product::Ram, "DeleteRole"), Some(20.0));
    assert_eq!(action(Product::Ram, "GetRole"), Some(100.0));
    assert_eq!(action(Product::Ram, "ListPoliciesForRole"), Some(100.0));
    assert_eq!(action(Product::Ram, "AttachPolicyToRole"), Some(10.0));
    assert_eq!(action(Product::Ram, "DetachPolicyFromRole"), Some(10.0));
    assert_eq!(action(Product::Ram, "UpdateRole"), Some(20.0));
    assert_eq!(action(Product::Ram, "GetPolicy"), Some(RAM_OTHER));
    assert_eq!(action(Product::Sts, "AssumeRole"), Some(100.0));
    assert_eq!(action(Product::Emr, "GetCluster"), Some(EMR_PER_API));
    assert_eq!(action(Product::DataWorks, "GetProject"), None);
    assert_eq!(l.product_rate(Product::Ram), None);
    assert_eq!(l.class_rate(Product::DataWorks, ActionClass::Read), None);
    let editions = [
        (DataWorksEdition::Basic, Some(5.0), None, None),
        (DataWorksEdition::Standard, Some(5.0), None, None),
        (DataWorksEdition::Professional, Some(5.0), None, None),
        (DataWorksEdition::Enterprise, None, Some(50.0), Some(20.0)),
    ];
    for (edition, total, read, write) in editions {
        let l = RateLimits::published().with_dataworks_edition(edition);
        let dw = Product::DataWorks;
        assert_eq!(l.product_rate(dw).map(Rate::per_second), total, "{edition}");
        let class = |c| l.class_rate(dw, c).map(Rate::per_second);
        assert_eq!(class(ActionClass::Read), read, "{edition}");
        assert_eq!(class(ActionClass::Write), write, "{edition}");
    }
    assert_eq!(
        RateLimits::default().dataworks_edition,
        DataWorksEdition::Standard
    );
}

#[test]
fn actions_are_classed_by_their_names() {
    for read in [
        "GetProject",
        "ListComputeResources",
        "DescribeClusterV2",
        "CheckX",
    ] {
        assert_eq!(ActionClass::of(read), ActionClass::Read, "{read}");
    }
    for write in [
        "CreateComputeResource",
        "DeleteComputeResource",
        "TestDataSourceConnectivity",
    ] {
        assert_eq!(ActionClass::of(write), ActionClass::Write, "{write}");
    }
}

#[test]
fn keys_parse_in_any_product_case_and_print_canonically() {
    let table = [
        ("Ram.AttachPolicyToRole", "Ram.AttachPolicyToRole"),
        ("ram.CreateRole", "Ram.CreateRole"),
        ("DATAWORKS", "DataWorks"),
        ("dataworks.read", "DataWorks.read"),
        ("DataWorks.write", "DataWorks.write"),
        ("Emr.*", "Emr.*"),
        ("sts.GetCallerIdentity", "Sts.GetCallerIdentity"),
    ];
    for (text, shown) in table {
        assert_eq!(key(text).to_string(), shown);
    }
    assert_eq!(
        key("Ram.CreateRole"),
        LimitKey::action(Product::Ram, "CreateRole")
    );
    assert_eq!(
        key("DataWorks.read"),
        LimitKey::Class(Product::DataWorks, ActionClass::Read)
    );
}

#[test]
fn bad_keys_say_what_is_wrong() {
    for bad in [
        "",
        "Oss.GetBucket",
        "Ram.",
        "Ram.create-role",
        "Ram.createRole",
        "Ram.Get.Role",
        "DataWorks.Read*",
    ] {
        let err = bad.parse::<LimitKey>().expect_err(bad);
        assert!(
            matches!(&err, InvalidRateLimit::Key { key, .. } if key == bad),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with(&format!("{bad:?} is not")),
            "{err}"
        );
    }
    let err = "Oss".parse::<LimitKey>().unwrap_err().to_string();
    assert!(err.contains("Ram, Sts, Emr or DataWorks"), "{err}");
    let err = "Ram.x".parse::<LimitKey>().unwrap_err().to_string();
    assert!(err.contains("\"Ram.AttachPolicyToRole\""), "{err}");
}

#[test]
fn rates_must_be_in_range() {
    for bad in [0.0, -1.0, 0.001, 2e6, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(Rate::new(bad), Err(InvalidRateLimit::Rate { .. })),
            "{bad}"
        );
    }
    assert_eq!(
        Rate::new(0.0).unwrap_err().to_string(),
        "0 calls per second is not a usable rate: it must be a number from 0.01 to 1000000"
    );
    assert_eq!(rate(MIN_RATE).interval(), Duration::from_secs(100));
    assert_eq!(rate(MAX_RATE).burst(), 1_000_000);
    assert_eq!(rate(0.5).burst(), 1);
    assert_eq!(rate(2.5).burst(), 3);
    assert_eq!(rate(4.0).interval(), Duration::from_millis(250));
    assert_eq!(rate(4.0).to_string(), "4/s");
}

#[test]
fn limits_deserialize_with_overrides_and_refuse_bad_ones() {
    let limits: RateLimits = serde_json::from_str(
        r#"{"dataworks_edition": "enterprise",
            "per_second": {"Ram.AttachPolicyToRole": 5.0, "emr.*": 2}}"#,
    )
    .expect("valid");
    assert!(limits.enabled);
    assert_eq!(limits.dataworks_edition, DataWorksEdition::Enterprise);
    assert_eq!(
        limits.action_rate(Product::Ram, "AttachPolicyToRole"),
        Some(rate(5.0))
    );
    assert_eq!(
        limits.action_rate(Product::Emr, "GetCluster"),
        Some(rate(2.0))
    );
    let json = serde_json::to_value(&limits).expect("serializes");
    assert_eq!(json["per_second"]["Emr.*"], 2.0);
    let back: RateLimits = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, limits);

    let off: RateLimits = serde_json::from_str(r#"{"enabled": false}"#).expect("valid");
    assert_eq!(off, RateLimits::disabled());
    for bad in [
        r#"{"per_second": {"Oss.GetBucket": 1}}"#,
        r#"{"per_second": {"Ram.CreateRole": 0}}"#,
        r#"{"per_second": {"Ram.CreateRole": "fast"}}"#,
        r#"{"dataworks_edition": "gold"}"#,
        r#"{"colour": "blue"}"#,
    ] {
        assert!(serde_json::from_str::<RateLimits>(bad).is_err(), "{bad}");
    }
}
