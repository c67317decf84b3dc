//! The SQLite backend of the coordinator's records: one file, schema migrations applied at
//! open, every write in its own transaction.

use std::{path::Path, sync::Mutex};

use crossbind_proto::{Association, AssociationEvent};
use prost::Message;
use rusqlite::{Connection, params};

use super::{Attempt, AuditEntry, Backend, StoreError};

/// Migrations in order; `PRAGMA user_version` records how many have been applied.
const MIGRATIONS: &[&str] = &[include_str!("../../migrations/0001_init.sql")];

/// A SQLite database file (or `:memory:`).
#[derive(Debug)]
pub struct Sqlite {
    connection: Mutex<Connection>,
}

// === impl Sqlite ===

impl Sqlite {
    /// Opens (creating when missing) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let connection = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::init(connection)
    }

    /// A database that lives only as long as the process (for tests).
    pub fn in_memory() -> Result<Self, StoreError> {
        let connection = Connection::open_in_memory().map_err(|source| StoreError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(connection)
    }

    fn init(mut connection: Connection) -> Result<Self, StoreError> {
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(StoreError::Query)?;
        let applied: usize = connection
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(StoreError::Query)?;
        if applied > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: applied,
                known: MIGRATIONS.len(),
            });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
            let tx = connection.transaction().map_err(StoreError::Query)?;
            tx.execute_batch(migration).map_err(StoreError::Query)?;
            tx.pragma_update(None, "user_version", index + 1)
                .map_err(StoreError::Query)?;
            tx.commit().map_err(StoreError::Query)?;
        }
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut connection).map_err(StoreError::Query)
    }
}

fn decode<M: Message + Default>(bytes: &[u8]) -> rusqlite::Result<M> {
    M::decode(bytes).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

impl Backend for Sqlite {
    fn save(
        &self,
        association: &Association,
        business_key: &str,
        idempotency_key: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO associations (id, business_key, idempotency_key, state, record, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET state = ?4, record = ?5, updated_at = ?7",
                params![
                    association.id,
                    business_key,
                    idempotency_key,
                    association.state,
                    association.encode_to_vec(),
                    association.created_at,
                    association.updated_at,
                ],
            )
            .map(drop)
        })
    }

    fn append_event(&self, event: &AssociationEvent) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO events (association_id, sequence, record) VALUES (?1, ?2, ?3)",
                params![
                    event.association_id,
                    event.sequence as i64,
                    event.encode_to_vec()
                ],
            )
            .map(drop)
        })
    }

    fn record_attempt(&self, attempt: &Attempt) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO attempts (association_id, step, attempt, started_at, finished_at, outcome, code, message, request_ids)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    attempt.association_id,
                    attempt.step,
                    attempt.attempt,
                    attempt.started_at,
                    attempt.finished_at,
                    attempt.outcome,
                    attempt.code,
                    attempt.message,
                    attempt.request_ids.join(","),
                ],
            )
            .map(drop)
        })
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO audit (time, client, association_id, account_uid, action, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    entry.time,
                    entry.client,
                    entry.association_id,
                    entry.account_uid,
                    entry.action,
                    entry.detail,
                ],
            )
            .map(drop)
        })
    }

    fn load(
        &self,
    ) -> Result<Vec<(Association, String, Option<String>, Vec<AssociationEvent>)>, StoreError> {
        self.with(|c| {
            let mut associations = c.prepare(
                "SELECT record, business_key, idempotency_key FROM associations ORDER BY created_at, id",
            )?;
            let mut events =
                c.prepare("SELECT record FROM events WHERE association_id = ?1 ORDER BY sequence")?;
            let rows = associations
                .query_map([], |row| {
                    let record: Vec<u8> = row.get(0)?;
                    Ok((decode::<Association>(&record)?, row.get(1)?, row.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<(Association, String, Option<String>)>>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for (association, business_key, idempotency_key) in rows {
                let list = events
                    .query_map([&association.id], |row| {
                        let record: Vec<u8> = row.get(0)?;
                        decode::<AssociationEvent>(&record)
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                out.push((association, business_key, idempotency_key, list));
            }
            Ok(out)
        })
    }

    fn attempts(&self, association_id: &str) -> Result<Vec<Attempt>, StoreError> {
        self.with(|c| {
            let mut query = c.prepare(
                "SELECT step, attempt, started_at, finished_at, outcome, code, message, request_ids
                 FROM attempts WHERE association_id = ?1 ORDER BY rowid",
            )?;
            query
                .query_map([association_id], |row| {
                    let ids: Option<String> = row.get(7)?;
                    Ok(Attempt {
                        association_id: association_id.to_string(),
                        step: row.get(0)?,
                        attempt: row.get(1)?,
                        started_at: row.get(2)?,
                        finished_at: row.get(3)?,
                        outcome: row.get(4)?,
                        code: row.get(5)?,
                        message: row.get(6)?,
                        request_ids: ids
                            .filter(|s| !s.is_empty())
                            .map(|s| s.split(',').map(String::from).collect())
                            .unwrap_or_default(),
                    })
                })?
                .collect()
        })
    }

    fn audit(&self) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|c| {
            let mut query = c.prepare(
                "SELECT time, client, association_id, account_uid, action, detail FROM audit ORDER BY sequence",
            )?;
            query
                .query_map([], |row| {
                    Ok(AuditEntry {
                        time: row.get(0)?,
                        client: row.get(1)?,
                        association_id: row.get(2)?,
                        account_uid: row.get(3)?,
                        action: row.get(4)?,
                        detail: row.get(5)?,
                    })
                })?
                .collect()
        })
    }
}
