//! The coordinator's records of associations, their events, attempts and the audit trail.
//!
//! [`Records`] is what the workflow and the API use: it keeps a working copy of every
//! association in memory (so reads never touch the disk and watchers are woken at once) and
//! writes every change through to a [`Backend`] before it returns. The backend is the one
//! seam for storage: [`sqlite::Sqlite`] is the embedded default; a PostgreSQL backend for
//! several replicas implements the same trait without touching the workflow.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use crossbind_proto::{Association, AssociationEvent, AssociationState, EventKind};
use tokio::sync::watch;
use tracing::error;

pub mod sqlite;

/// Why the records could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened.
    #[error("cannot open the coordinator database {path}")]
    Open {
        /// The path tried.
        path: String,
        /// Why it failed.
        #[source]
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("coordinator database query failed")]
    Query(#[source] rusqlite::Error),
    /// The database was written by a newer coordinator.
    #[error(
        "the database has schema version {found}, newer than this coordinator knows ({known}): upgrade the coordinator"
    )]
    TooNew {
        /// Version found in the file.
        found: usize,
        /// Newest version this build knows.
        known: usize,
    },
}

/// One call a step made to an agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The association.
    pub association_id: String,
    /// The step.
    pub step: String,
    /// 1, 2, 3 ... within this run of the step.
    pub attempt: u32,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339.
    pub finished_at: String,
    /// `ok`, `retry` or `failed`.
    pub outcome: String,
    /// gRPC code name of a failure.
    pub code: Option<String>,
    /// Failure message (quotes the cloud's Code and RequestId when the cloud refused).
    pub message: Option<String>,
    /// Cloud RequestIds found in the answer.
    pub request_ids: Vec<String>,
}

/// One change made in an account, for the append-only audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// RFC 3339.
    pub time: String,
    /// The automation client that asked (`spiffe://.../client/<name>`).
    pub client: String,
    /// The association.
    pub association_id: String,
    /// Where the change happened.
    pub account_uid: String,
    /// The cloud action, for example `CreateRole`.
    pub action: String,
    /// What changed.
    pub detail: String,
}

/// Persistent storage of the records.
pub trait Backend: Send + Sync + std::fmt::Debug + 'static {
    /// Inserts or replaces an association.
    fn save(
        &self,
        association: &Association,
        business_key: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Appends one event.
    fn append_event(&self, event: &AssociationEvent) -> Result<(), StoreError>;
    /// Appends one attempt.
    fn record_attempt(&self, attempt: &Attempt) -> Result<(), StoreError>;
    /// Appends one audit entry.
    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Every association with its keys and events, oldest first.
    #[allow(clippy::type_complexity)]
    fn load(
        &self,
    ) -> Result<Vec<(Association, String, Option<String>, Vec<AssociationEvent>)>, StoreError>;
    /// Every attempt of one association, in order.
    fn attempts(&self, association_id: &str) -> Result<Vec<Attempt>, StoreError>;
    /// The audit trail, oldest first.
    fn audit(&self) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Shared, cloneable handle to every association.
#[derive(Clone, Debug)]
pub struct Records {
    inner: Arc<Mutex<Inner>>,
    backend: Arc<dyn Backend>,
}

#[derive(Debug, Default)]
struct Inner {
    order: Vec<String>,
    entries: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    association: Association,
    business_key: String,
    idempotency_key: Option<String>,
    events: Vec<AssociationEvent>,
    latest: watch::Sender<u64>,
}

// === impl Entry ===

impl Entry {
    /// A copy of the association for readers, with the sequence of its latest event.
    fn view(&self) -> Association {
        Association {
            last_event_sequence: self.events.len() as u64,
            ..self.association.clone()
        }
    }
}

/// An event to append; the store fills in the id, sequence, time and state.
#[derive(Debug)]
pub struct NewEvent<'a> {
    /// What happened.
    pub kind: EventKind,
    /// The step it concerns, or empty.
    pub step: &'a str,
    /// A sentence for people.
    pub message: String,
}

// === impl Records ===

impl Records {
    /// Loads every record from `backend`.
    pub fn open(backend: Arc<dyn Backend>) -> Result<Self, StoreError> {
        let mut inner = Inner::default();
        for (association, business_key, idempotency_key, events) in backend.load()? {
            let (latest, _) = watch::channel(events.len() as u64);
            inner.order.push(association.id.clone());
            inner.entries.insert(
                association.id.clone(),
                Entry {
                    association,
                    business_key,
                    idempotency_key,
                    events,
                    latest,
                },
            );
        }
        Ok(Self {
            inner: Arc::new(Mutex::new(inner)),
            backend,
        })
    }

    /// Records kept in a private in-memory database (tests).
    pub fn in_memory() -> Self {
        let backend = sqlite::Sqlite::in_memory().expect("an in-memory SQLite database opens");
        Self::open(Arc::new(backend)).expect("an empty database loads")
    }

    /// Adds a new association.
    pub fn insert(
        &self,
        association: Association,
        business_key: String,
        idempotency_key: Option<String>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        self.backend
            .save(&association, &business_key, idempotency_key.as_deref())?;
        let id = association.id.clone();
        inner.order.push(id.clone());
        let (latest, _) = watch::channel(0);
        inner.entries.insert(
            id,
            Entry {
                association,
                business_key,
                idempotency_key,
                events: Vec::new(),
                latest,
            },
        );
        Ok(())
    }

    /// Gives an association created without an idempotency key this one, so that a repeat
    /// with the key finds it. Returns the key it holds afterwards (its own if it had one).
    pub fn adopt_idempotency_key(&self, id: &str, key: &str) -> Result<Option<String>, StoreError> {
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(id) else {
            return Ok(None);
        };
        if entry.idempotency_key.is_none() {
            self.backend
                .save(&entry.association, &entry.business_key, Some(key))?;
            entry.idempotency_key = Some(key.to_string());
        }
        Ok(entry.idempotency_key.clone())
    }

    /// The association with this id.
    pub fn get(&self, id: &str) -> Option<Association> {
        self.lock().entries.get(id).map(|e| e.view())
    }

    /// Every association, oldest first.
    pub fn list(&self) -> Vec<Association> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .filter_map(|id| inner.entries.get(id))
            .map(|e| e.view())
            .collect()
    }

    /// The association created with this idempotency key.
    pub fn by_idempotency_key(&self, key: &str) -> Option<Association> {
        let inner = self.lock();
        inner
            .entries
            .values()
            .find(|e| e.idempotency_key.as_deref() == Some(key))
            .map(|e| e.view())
    }

    /// The association that holds this business key, unless it has been dissociated.
    pub fn by_business_key(&self, key: &str) -> Option<Association> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .filter_map(|id| inner.entries.get(id))
            .find(|e| {
                e.business_key == key && e.association.state() != AssociationState::Dissociated
            })
            .map(|e| e.view())
    }

    /// Changes an association in place and writes it through. A failed write is logged and
    /// the in-memory copy keeps the change, so the workflow carries on; the next successful
    /// write stores the whole record again.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Association)) -> Option<Association> {
        let mut inner = self.lock();
        let entry = inner.entries.get_mut(id)?;
        change(&mut entry.association);
        entry.association.updated_at = now();
        if let Err(e) = self.backend.save(
            &entry.association,
            &entry.business_key,
            entry.idempotency_key.as_deref(),
        ) {
            error!(association.id = id, error = %crate::error::chain(&e), "cannot store the association");
        }
        Some(entry.view())
    }

    /// Appends an event and wakes every watcher.
    pub fn emit(&self, id: &str, event: NewEvent<'_>) {
        self.change_and_emit(id, |_| {}, event);
    }

    /// Changes an association and appends an event in one step, so that no watcher sees the
    /// change without the event (a finished state without its "finished" event, say).
    pub fn change_and_emit(
        &self,
        id: &str,
        change: impl FnOnce(&mut Association),
        event: NewEvent<'_>,
    ) {
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(id) else {
            return;
        };
        change(&mut entry.association);
        if let Err(e) = self.backend.save(
            &entry.association,
            &entry.business_key,
            entry.idempotency_key.as_deref(),
        ) {
            error!(association.id = id, error = %crate::error::chain(&e), "cannot store the association");
        }
        let sequence = entry.events.len() as u64 + 1;
        let time = now();
        entry.association.updated_at = time.clone();
        let event = AssociationEvent {
            association_id: id.to_string(),
            sequence,
            time,
            kind: event.kind as i32,
            step: event.step.to_string(),
            message: event.message,
            state: entry.association.state,
        };
        if let Err(e) = self.backend.append_event(&event) {
            error!(association.id = id, error = %crate::error::chain(&e), "cannot store an event");
        }
        entry.events.push(event);
        entry.latest.send_replace(sequence);
    }

    /// Events after `after`, and whether the association is at rest (nothing runs, so no
    /// event is coming until someone asks for more).
    pub fn events_after(&self, id: &str, after: u64) -> Option<(Vec<AssociationEvent>, bool)> {
        let inner = self.lock();
        let entry = inner.entries.get(id)?;
        let events = entry.events.iter().skip(after as usize).cloned().collect();
        let finished = is_at_rest(entry.association.state());
        Some((events, finished))
    }

    /// A receiver that changes whenever an event is appended.
    pub fn subscribe(&self, id: &str) -> Option<watch::Receiver<u64>> {
        self.lock().entries.get(id).map(|e| e.latest.subscribe())
    }

    /// Stores one attempt; a failure is logged, never fatal.
    pub fn record_attempt(&self, attempt: &Attempt) {
        if let Err(e) = self.backend.record_attempt(attempt) {
            error!(error = %crate::error::chain(&e), "cannot store an attempt");
        }
    }

    /// Appends to the audit trail; a failure is logged, never fatal.
    pub fn audit(&self, entry: &AuditEntry) {
        if let Err(e) = self.backend.append_audit(entry) {
            error!(error = %crate::error::chain(&e), "cannot store an audit entry");
        }
    }

    /// The backend, for reading attempts and the audit trail.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// True for the states in which nothing runs until someone asks.
pub fn is_at_rest(state: AssociationState) -> bool {
    matches!(
        state,
        AssociationState::Succeeded
            | AssociationState::Failed
            | AssociationState::Cancelled
            | AssociationState::Dissociated
    )
}

/// The current time as RFC 3339.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_numbered_and_replayed() {
        let store = Records::in_memory();
        store
            .insert(
                Association {
                    id: "a1".into(),
                    ..Default::default()
                },
                "k".into(),
                None,
            )
            .unwrap();
        let rx = store.subscribe("a1").unwrap();
        store.emit(
            "a1",
            NewEvent {
                kind: EventKind::StepStarted,
                step: "trust",
                message: "granting".into(),
            },
        );
        assert!(rx.has_changed().unwrap());
        store.update("a1", |a| a.set_state(AssociationState::Succeeded));
        store.emit(
            "a1",
            NewEvent {
                kind: EventKind::AssociationFinished,
                step: "",
                message: "done".into(),
            },
        );
        let (events, finished) = store.events_after("a1", 0).unwrap();
        assert_eq!(
            events.iter().map(|e| e.sequence).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(events[1].state(), AssociationState::Succeeded);
        assert!(finished);
        let (later, _) = store.events_after("a1", 1).unwrap();
        assert_eq!(later.len(), 1);
        assert!(store.events_after("missing", 0).is_none());
    }

    #[test]
    fn records_survive_a_reopen_of_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        {
            let store = Records::open(Arc::new(sqlite::Sqlite::open(&path).unwrap())).unwrap();
            store
                .insert(
                    Association {
                        id: "a1".into(),
                        ..Default::default()
                    },
                    "business".into(),
                    Some("key-1".into()),
                )
                .unwrap();
            store.update("a1", |a| a.set_state(AssociationState::Running));
            store.emit(
                "a1",
                NewEvent {
                    kind: EventKind::Info,
                    step: "trust",
                    message: "hello".into(),
                },
            );
            store.record_attempt(&Attempt {
                association_id: "a1".into(),
                step: "trust".into(),
                attempt: 1,
                started_at: now(),
                finished_at: now(),
                outcome: "retry".into(),
                code: Some("UNAVAILABLE".into()),
                message: Some("Throttling (RequestId ABC)".into()),
                request_ids: vec!["ABC".into()],
            });
        }
        let store = Records::open(Arc::new(sqlite::Sqlite::open(&path).unwrap())).unwrap();
        let a = store.get("a1").unwrap();
        assert_eq!(a.state(), AssociationState::Running);
        assert_eq!(store.by_idempotency_key("key-1").unwrap().id, "a1");
        assert_eq!(store.by_business_key("business").unwrap().id, "a1");
        let (events, _) = store.events_after("a1", 0).unwrap();
        assert_eq!(events[0].message, "hello");
        let attempts = store.backend().attempts("a1").unwrap();
        assert_eq!(attempts[0].request_ids, ["ABC"]);
    }
}
