//! Client-side rate limits, so that a burst of calls paces itself instead of being throttled by
//! the cloud: one token bucket per (product, action), plus product-wide buckets where a quota
//! counts every action together (DataWorks). Defaults are the published quotas (facts §8).
//!
//! A [`RateLimiter`] paces the calls of one process only; it cannot see other processes using
//! the same account, and it does not read or react to the cloud's own counters (throttling
//! answers are still retried by [`crate::retry`]).
//!
//! # How a bucket behaves
//!
//! A bucket of rate `r` per second lets a burst of `ceil(r)` calls through at once, then one
//! call every `1/r` seconds. A call that is subject to several buckets (its action's and its
//! product's) waits until every one of them has a token, and then takes one from each. Waiting
//! callers are served in the order they asked. A wait that is abandoned (its future dropped)
//! still counts as a call, which errs on the side of calling less.
//!
//! # Keys of overrides
//!
//! | key | bucket |
//! | --- | --- |
//! | `"Ram.AttachPolicyToRole"` | that action of that product |
//! | `"Emr.*"` | each action of the product that has no key of its own |
//! | `"DataWorks"` | every call of the product together |
//! | `"DataWorks.read"`, `"DataWorks.write"` | every read (`Get…`, `List…`, `Describe…`, `Query…`, `Check…`) or every other call of the product together |
//!
//! Product names are `Ram`, `Sts`, `Emr` and `DataWorks`, in any letter case; action names are
//! the wire names (`CreateRole`). An override replaces the default of its bucket; a bucket with
//! no default (such as `"Ram"`) is added by its override.
//!
//! # Limitations
//!
//! - Quotas are per region, but one limiter serves every region a client (and its clones made
//!   by [`crate::Client::with_region`]) calls, which can only make it stricter than the cloud.
//! - DataWorks' daily call caps (Basic: 100 a day) and monthly free quotas are not enforced.
//! - The Standard and Professional DataWorks limits (5 per second in total) and every default
//!   marked UNCONFIRMED below come from incomplete documentation.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::endpoint::Product;
use crate::error::InvalidRateLimit;

/// The smallest rate accepted: one call every 100 seconds.
pub const MIN_RATE: f64 = 0.01;
/// The largest rate accepted.
pub const MAX_RATE: f64 = 1_000_000.0;

/// STS: each API (`AssumeRole`, `GetCallerIdentity`, `AssumeRoleWithOIDC`, …), per second.
pub const STS_PER_API: f64 = 100.0;
/// RAM `CreateRole`, per second.
pub const RAM_CREATE_ROLE: f64 = 20.0;
/// RAM `DeleteRole`, per second.
pub const RAM_DELETE_ROLE: f64 = 20.0;
/// RAM `GetRole`, per second.
pub const RAM_GET_ROLE: f64 = 100.0;
/// RAM `ListPoliciesForRole`, per second.
pub const RAM_LIST_POLICIES_FOR_ROLE: f64 = 100.0;
/// RAM `ListEntitiesForPolicy`, per second.
pub const RAM_LIST_ENTITIES_FOR_POLICY: f64 = 100.0;
/// RAM `AttachPolicyToRole`, per second.
pub const RAM_ATTACH_POLICY_TO_ROLE: f64 = 10.0;
/// RAM `DetachPolicyFromRole`, per second.
pub const RAM_DETACH_POLICY_FROM_ROLE: f64 = 10.0;
/// RAM `UpdateRole`, per second. UNCONFIRMED: not on the quota page seen; most RAM writes
/// there are 20 per second.
pub const RAM_UPDATE_ROLE: f64 = 20.0;
/// RAM `ListRoles`, per second. UNCONFIRMED, as [`RAM_UPDATE_ROLE`].
pub const RAM_LIST_ROLES: f64 = 20.0;
/// Any other RAM action (e.g. `GetPolicy`), per second. UNCONFIRMED: the lowest common
/// figure of that page apart from policy attachment.
pub const RAM_OTHER: f64 = 20.0;
/// Each EMR action, per second. EMR publishes no quota; this is a conservative choice.
pub const EMR_PER_API: f64 = 10.0;
/// DataWorks Basic edition: every call of the account together, per second.
pub const DATAWORKS_BASIC_TOTAL: f64 = 5.0;
/// DataWorks Standard edition: every call together, per second. UNCONFIRMED.
pub const DATAWORKS_STANDARD_TOTAL: f64 = 5.0;
/// DataWorks Professional edition: every call together, per second. UNCONFIRMED.
pub const DATAWORKS_PROFESSIONAL_TOTAL: f64 = 5.0;
/// DataWorks Enterprise edition: every read call together, per second.
pub const DATAWORKS_ENTERPRISE_READ: f64 = 50.0;
/// DataWorks Enterprise edition: every write call together, per second.
pub const DATAWORKS_ENTERPRISE_WRITE: f64 = 20.0;
/// The edition assumed when none is configured.
pub const DEFAULT_DATAWORKS_EDITION: DataWorksEdition = DataWorksEdition::Standard;

/// RAM actions with a quota of their own.
const RAM_ACTIONS: [(&str, f64); 9] = [
    ("CreateRole", RAM_CREATE_ROLE),
    ("DeleteRole", RAM_DELETE_ROLE),
    ("GetRole", RAM_GET_ROLE),
    ("ListPoliciesForRole", RAM_LIST_POLICIES_FOR_ROLE),
    ("ListEntitiesForPolicy", RAM_LIST_ENTITIES_FOR_POLICY),
    ("AttachPolicyToRole", RAM_ATTACH_POLICY_TO_ROLE),
    ("DetachPolicyFromRole", RAM_DETACH_POLICY_FROM_ROLE),
    ("UpdateRole", RAM_UPDATE_ROLE),
    ("ListRoles", RAM_LIST_ROLES),
];

/// Action name prefixes of read calls.
const READ_PREFIXES: [&str; 5] = ["Get", "List", "Describe", "Query", "Check"];

/// What a `per_second` key must look like, for messages.
const KEY_SHAPE: &str = "use <Product>, <Product>.<Action>, <Product>.*, <Product>.read or \
                         <Product>.write, e.g. \"Ram.AttachPolicyToRole\"";

/// A number of calls per second, from [`MIN_RATE`] to [`MAX_RATE`]. Never NaN, which is why
/// it can be `Eq`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Rate(f64);

/// Whether an action reads or changes state, for quotas that count the two apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionClass {
    /// `Get…`, `List…`, `Describe…`, `Query…` and `Check…` actions.
    Read,
    /// Every other action.
    Write,
}

/// Which bucket a `per_second` override sets; written as in the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum LimitKey {
    /// `"<Product>"`: every call of the product together.
    Product(Product),
    /// `"<Product>.read"` or `"<Product>.write"`: every call of that class together.
    Class(Product, ActionClass),
    /// `"<Product>.*"`: each action of the product without a key of its own.
    EachAction(Product),
    /// `"<Product>.<Action>"`: one action.
    Action(Product, String),
}

/// The DataWorks edition of the account, which sets DataWorks' quotas.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataWorksEdition {
    /// 5 calls per second in total.
    Basic,
    /// 5 calls per second in total (UNCONFIRMED).
    #[default]
    Standard,
    /// 5 calls per second in total (UNCONFIRMED).
    Professional,
    /// 50 reads and 20 writes per second.
    Enterprise,
}

/// The rate limits of one account's client: the published quotas, the DataWorks edition that
/// picks DataWorks' quotas, and overrides.
///
/// ```toml
/// enabled = true                    # false: never wait
/// dataworks_edition = "standard"    # basic | standard | professional | enterprise
/// per_second = { "Ram.AttachPolicyToRole" = 5.0, "Emr.*" = 2, "DataWorks" = 4 }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// Whether calls are paced at all.
    pub enabled: bool,
    /// The account's DataWorks edition.
    pub dataworks_edition: DataWorksEdition,
    /// Overrides of the defaults, by bucket.
    pub per_second: BTreeMap<LimitKey, Rate>,
}

/// Paces calls per [`RateLimits`]. Clones share their buckets, so one limiter (and every clone
/// of the [`crate::Client`] holding it) spends one account's budget.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// `None` when limits are disabled.
    shared: Option<Arc<Shared>>,
}

#[derive(Debug)]
struct Shared {
    limits: RateLimits,
    /// Every bucket used so far; `None` marks one without a limit.
    buckets: Mutex<HashMap<BucketId, Option<Bucket>>>,
}

/// A bucket as the limiter keys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum BucketId {
    Action(Product, &'static str),
    Class(Product, ActionClass),
    Product(Product),
}

/// A token bucket kept as a "theoretical arrival time": a call may start once
/// `tat - tolerance` has passed, and each call pushes `tat` on by one interval. Starting with
/// `tat` at the present gives the full burst.
#[derive(Debug)]
struct Bucket {
    interval: Duration,
    tolerance: Duration,
    tat: Instant,
}

// === impl Rate ===

impl Rate {
    /// `per_second` calls per second, when it is within [`MIN_RATE`]..=[`MAX_RATE`].
    pub fn new(per_second: f64) -> Result<Self, InvalidRateLimit> {
        if (MIN_RATE..=MAX_RATE).contains(&per_second) {
            Ok(Self(per_second))
        } else {
            Err(InvalidRateLimit::Rate { value: per_second })
        }
    }

    /// Calls per second.
    pub fn per_second(self) -> f64 {
        self.0
    }

    /// How many calls may go at once after a quiet spell: the rate rounded up, at least 1.
    pub fn burst(self) -> u32 {
        // In range by construction: 1..=MAX_RATE.
        self.0.ceil().max(1.0) as u32
    }

    /// The spacing of calls once the burst is spent.
    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.0)
    }

    /// A published default, known to be in range.
    fn published(per_second: f64) -> Self {
        Self(per_second.clamp(MIN_RATE, MAX_RATE))
    }
}

impl Eq for Rate {}

impl TryFrom<f64> for Rate {
    type Error = InvalidRateLimit;

    fn try_from(per_second: f64) -> Result<Self, Self::Error> {
        Self::new(per_second)
    }
}

impl From<Rate> for f64 {
    fn from(rate: Rate) -> Self {
        rate.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", self.0)
    }
}

// === impl ActionClass ===

impl ActionClass {
    /// The class of `action`, judged by its name.
    pub fn of(action: &str) -> Self {
        if READ_PREFIXES.iter().any(|p| action.starts_with(p)) {
            ActionClass::Read
        } else {
            ActionClass::Write
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ActionClass::Read => "read",
            ActionClass::Write => "write",
        }
    }
}

// === impl LimitKey ===

impl LimitKey {
    /// The key of one action's bucket.
    pub fn action(product: Product, action: impl Into<String>) -> Self {
        LimitKey::Action(product, action.into())
    }
}

impl FromStr for LimitKey {
    type Err = InvalidRateLimit;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem| InvalidRateLimit::Key {
            key: s.to_owned(),
            problem,
        };
        let (product, rest) = match s.split_once('.') {
            Some((product, rest)) => (product, Some(rest)),
            None => (s, None),
        };
        let product = parse_product(product).ok_or_else(|| {
            bad("the product must be Ram, Sts, Emr or DataWorks (any letter case)")
        })?;
        Ok(match rest {
            None => LimitKey::Product(product),
            Some("*") => LimitKey::EachAction(product),
            Some("read") => LimitKey::Class(product, ActionClass::Read),
            Some("write") => LimitKey::Class(product, ActionClass::Write),
            Some(action) if is_action_name(action) => LimitKey::Action(product, action.to_owned()),
            Some(_) => return Err(bad(KEY_SHAPE)),
        })
    }
}

impl TryFrom<String> for LimitKey {
    type Error = InvalidRateLimit;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<LimitKey> for String {
    fn from(key: LimitKey) -> Self {
        key.to_string()
    }
}

impl fmt::Display for LimitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitKey::Product(p) => f.write_str(product_label(*p)),
            LimitKey::Class(p, class) => write!(f, "{}.{}", product_label(*p), class.as_str()),
            LimitKey::EachAction(p) => write!(f, "{}.*", product_label(*p)),
            LimitKey::Action(p, action) => write!(f, "{}.{action}", product_label(*p)),
        }
    }
}

// === impl DataWorksEdition ===

impl DataWorksEdition {
    /// The lower-case name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            DataWorksEdition::Basic => "basic",
            DataWorksEdition::Standard => "standard",
            DataWorksEdition::Professional => "professional",
            DataWorksEdition::Enterprise => "enterprise",
        }
    }

    /// The edition's quota for every DataWorks call together, if it has one.
    fn total(self) -> Option<f64> {
        match self {
            DataWorksEdition::Basic => Some(DATAWORKS_BASIC_TOTAL),
            DataWorksEdition::Standard => Some(DATAWORKS_STANDARD_TOTAL),
            DataWorksEdition::Professional => Some(DATAWORKS_PROFESSIONAL_TOTAL),
            DataWorksEdition::Enterprise => None,
        }
    }

    /// The edition's quota for every DataWorks call of `class` together, if it has one.
    fn class_total(self, class: ActionClass) -> Option<f64> {
        match (self, class) {
            (DataWorksEdition::Enterprise, ActionClass::Read) => Some(DATAWORKS_ENTERPRISE_READ),
            (DataWorksEdition::Enterprise, ActionClass::Write) => Some(DATAWORKS_ENTERPRISE_WRITE),
            _ => None,
        }
    }
}

impl fmt::Display for DataWorksEdition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl RateLimits ===

impl Default for RateLimits {
    fn default() -> Self {
        Self::published()
    }
}

impl RateLimits {
    /// The published quotas for the default DataWorks edition, no overrides.
    pub fn published() -> Self {
        Self {
            enabled: true,
            dataworks_edition: DEFAULT_DATAWORKS_EDITION,
            per_second: BTreeMap::new(),
        }
    }

    /// No pacing at all.
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::published()
        }
    }

    /// The same limits for DataWorks edition `edition`.
    pub fn with_dataworks_edition(mut self, edition: DataWorksEdition) -> Self {
        self.dataworks_edition = edition;
        self
    }

    /// The same limits with `key`'s bucket at `rate`.
    pub fn with_limit(mut self, key: LimitKey, rate: Rate) -> Self {
        self.per_second.insert(key, rate);
        self
    }

    /// The rate of `action`'s own bucket: its override, else its product's `.*` override, else
    /// the published quota; `None` when the action has no bucket of its own (DataWorks).
    pub fn action_rate(&self, product: Product, action: &str) -> Option<Rate> {
        self.per_second
            .get(&LimitKey::action(product, action))
            .or_else(|| self.per_second.get(&LimitKey::EachAction(product)))
            .copied()
            .or_else(|| default_action_rate(product, action).map(Rate::published))
    }

    /// The rate of the bucket every call of `product` shares, if there is one.
    pub fn product_rate(&self, product: Product) -> Option<Rate> {
        self.per_second
            .get(&LimitKey::Product(product))
            .copied()
            .or_else(|| match product {
                Product::DataWorks => self.dataworks_edition.total().map(Rate::published),
                _ => None,
            })
    }

    /// The rate of the bucket every call of `class` of `product` shares, if there is one.
    pub fn class_rate(&self, product: Product, class: ActionClass) -> Option<Rate> {
        self.per_second
            .get(&LimitKey::Class(product, class))
            .copied()
            .or_else(|| match product {
                Product::DataWorks => self
                    .dataworks_edition
                    .class_total(class)
                    .map(Rate::published),
                _ => None,
            })
    }

    fn rate_of(&self, id: BucketId) -> Option<Rate> {
        match id {
            BucketId::Action(product, action) => self.action_rate(product, action),
            BucketId::Class(product, class) => self.class_rate(product, class),
            BucketId::Product(product) => self.product_rate(product),
        }
    }
}

// === impl RateLimiter ===

impl RateLimiter {
    /// A limiter enforcing `limits` (none at all when they are disabled).
    pub fn new(limits: RateLimits) -> Self {
        let shared = limits.enabled.then(|| {
            Arc::new(Shared {
                limits,
                buckets: Mutex::new(HashMap::new()),
            })
        });
        Self { shared }
    }

    /// A limiter that never waits.
    pub fn unlimited() -> Self {
        Self { shared: None }
    }

    /// Whether this limiter paces calls at all.
    pub fn is_enabled(&self) -> bool {
        self.shared.is_some()
    }

    /// The limits enforced, `None` when disabled.
    pub fn limits(&self) -> Option<&RateLimits> {
        self.shared.as_deref().map(|s| &s.limits)
    }

    /// Takes a token for one call of `action` of `product` from every bucket it is subject to,
    /// first waiting (on tokio's clock) until each has one. Returns how long it waited.
    pub async fn acquire(&self, product: Product, action: &'static str) -> Duration {
        let Some(shared) = &self.shared else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let (start, binding) = {
            let mut buckets = shared.lock();
            let (start, binding) = shared.plan(&mut buckets, product, action, now);
            shared.commit(&mut buckets, product, action, start);
            (start, binding)
        };
        let wait = start.saturating_duration_since(now);
        if let Some(id) = binding.filter(|_| !wait.is_zero()) {
            tracing::debug!(
                limit = %id.key(),
                rate = %shared.limits.rate_of(id).map_or(0.0, Rate::per_second),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "waiting for the client-side rate limit"
            );
            tokio::time::sleep_until(start).await;
        }
        wait
    }

    /// Takes a token for one call now if every bucket has one; otherwise takes nothing and
    /// says how long [`RateLimiter::acquire`] would wait.
    pub fn try_acquire(&self, product: Product, action: &'static str) -> Result<(), Duration> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let now = Instant::now();
        let mut buckets = shared.lock();
        let (start, _) = shared.plan(&mut buckets, product, action, now);
        if start > now {
            return Err(start - now);
        }
        shared.commit(&mut buckets, product, action, start);
        Ok(())
    }
}

// === impl Shared ===

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<BucketId, Option<Bucket>>> {
        // The map stays consistent whatever panicked while it was held.
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The earliest instant from `now` on when every bucket of the call has a token, and the
    /// bucket that decided it (`None` when no bucket applies).
    fn plan(
        &self,
        buckets: &mut HashMap<BucketId, Option<Bucket>>,
        product: Product,
        action: &'static str,
        now: Instant,
    ) -> (Instant, Option<BucketId>) {
        let mut start = now;
        let mut binding = None;
        for id in BucketId::of_call(product, action) {
            let bucket = buckets
                .entry(id)
                .or_insert_with(|| self.limits.rate_of(id).map(|rate| Bucket::new(rate, now)));
            let Some(bucket) = bucket else { continue };
            let ready = bucket.ready_at(now);
            if binding.is_none() || ready > start {
                binding = Some(id);
            }
            start = start.max(ready);
        }
        (start, binding)
    }

    /// Takes one token from every bucket of the call, for a call starting at `start`.
    fn commit(
        &self,
        buckets: &mut HashMap<BucketId, Option<Bucket>>,
        product: Product,
        action: &'static str,
        start: Instant,
    ) {
        for id in BucketId::of_call(product, action) {
            if let Some(Some(bucket)) = buckets.get_mut(&id) {
                bucket.take(start);
            }
        }
    }
}

// === impl BucketId ===

impl BucketId {
    /// The buckets a call of `action` of `product` is subject to, where they have a limit.
    fn of_call(product: Product, action: &'static str) -> [BucketId; 3] {
        [
            BucketId::Action(product, action),
            BucketId::Class(product, ActionClass::of(action)),
            BucketId::Product(product),
        ]
    }

    fn key(self) -> LimitKey {
        match self {
            BucketId::Action(product, action) => LimitKey::action(product, action),
            BucketId::Class(product, class) => LimitKey::Class(product, class),
            BucketId::Product(product) => LimitKey::Product(product),
        }
    }
}

// === impl Bucket ===

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Self {
        let interval = rate.interval();
        Self {
            interval,
            tolerance: interval.saturating_mul(rate.burst() - 1),
            tat: now,
        }
    }

    /// When the next call may start, if it asks at `now`.
    fn ready_at(&self, now: Instant) -> Instant {
        self.tat
            .checked_sub(self.tolerance)
            .map_or(now, |ready| ready.max(now))
    }

    /// Counts one call starting at `start`.
    fn take(&mut self, start: Instant) {
        self.tat = self.tat.max(start) + self.interval;
    }
}

/// `Ram`, `Sts`, `Emr` or `DataWorks`: the product as written in keys.
fn product_label(product: Product) -> &'static str {
    match product {
        Product::Ram => "Ram",
        Product::Sts => "Sts",
        Product::Emr => "Emr",
        Product::DataWorks => "DataWorks",
    }
}

fn parse_product(s: &str) -> Option<Product> {
    [Product::Ram, Product::Sts, Product::Emr, Product::DataWorks]
        .into_iter()
        .find(|p| p.code().eq_ignore_ascii_case(s))
}

/// An action name as on the wire: ASCII letters and digits, starting with a capital.
fn is_action_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The published quota of `action`'s own bucket, if it has one.
fn default_action_rate(product: Product, action: &str) -> Option<f64> {
    match product {
        Product::Sts => Some(STS_PER_API),
        Product::Ram => Some(
            RAM_ACTIONS
                .iter()
                .find(|(name, _)| *name == action)
                .map_or(RAM_OTHER, |(_, rate)| *rate),
        ),
        Product::Emr => Some(EMR_PER_API),
        Product::DataWorks => None,
    }
}

#[cfg(test)]
mod tests;
