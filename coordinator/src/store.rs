//! The coordinator's record of associations and their events.
//!
//! This store lives in memory: a restarted coordinator forgets every association. Durable
//! storage (SQLite, with resume after a crash) replaces it behind the same methods; until
//! then this is a known limitation, stated in the crate documentation.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};

use crossbind_proto::{Association, AssociationEvent, AssociationState, EventKind};
use tokio::sync::watch;

/// Shared, cloneable handle to every association.
#[derive(Clone, Debug, Default)]
pub struct Store {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    order: Vec<String>,
    entries: HashMap<String, Entry>,
}

#[derive(Debug)]
struct Entry {
    association: Association,
    events: Vec<AssociationEvent>,
    latest: watch::Sender<u64>,
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

// === impl Store ===

impl Store {
    /// Adds a new association.
    pub fn insert(&self, association: Association) {
        let mut inner = self.lock();
        let id = association.id.clone();
        inner.order.push(id.clone());
        let (latest, _) = watch::channel(0);
        inner.entries.insert(
            id,
            Entry {
                association,
                events: Vec::new(),
                latest,
            },
        );
    }

    /// The association with this id.
    pub fn get(&self, id: &str) -> Option<Association> {
        self.lock().entries.get(id).map(|e| e.association.clone())
    }

    /// Every association, oldest first.
    pub fn list(&self) -> Vec<Association> {
        let inner = self.lock();
        inner
            .order
            .iter()
            .filter_map(|id| inner.entries.get(id))
            .map(|e| e.association.clone())
            .collect()
    }

    /// Changes an association in place.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Association)) {
        if let Some(entry) = self.lock().entries.get_mut(id) {
            change(&mut entry.association);
            entry.association.updated_at = now();
        }
    }

    /// Appends an event and wakes every watcher.
    pub fn emit(&self, id: &str, event: NewEvent<'_>) {
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(id) else {
            return;
        };
        let sequence = entry.events.len() as u64 + 1;
        let time = now();
        entry.association.updated_at = time.clone();
        entry.events.push(AssociationEvent {
            association_id: id.to_string(),
            sequence,
            time,
            kind: event.kind as i32,
            step: event.step.to_string(),
            message: event.message,
            state: entry.association.state,
        });
        entry.latest.send_replace(sequence);
    }

    /// Events after `after`, and whether the association has finished.
    pub fn events_after(&self, id: &str, after: u64) -> Option<(Vec<AssociationEvent>, bool)> {
        let inner = self.lock();
        let entry = inner.entries.get(id)?;
        let events = entry.events.iter().skip(after as usize).cloned().collect();
        let state = entry.association.state();
        let finished = matches!(
            state,
            AssociationState::Succeeded | AssociationState::Failed
        ) && entry
            .events
            .last()
            .is_some_and(|e| e.kind() == EventKind::AssociationFinished);
        Some((events, finished))
    }

    /// A receiver that changes whenever an event is appended.
    pub fn subscribe(&self, id: &str) -> Option<watch::Receiver<u64>> {
        self.lock().entries.get(id).map(|e| e.latest.subscribe())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
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
        let store = Store::default();
        store.insert(Association {
            id: "a1".into(),
            ..Default::default()
        });
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
}
