//! The analyzer's memory across scans: artifacts and their facts, model versions, findings and
//! their lifecycle, people's decisions, and the append-only audit trail.
//!
//! # Layout
//!
//! - [`Store`]: what the rest of phiflow may ask of a store, whatever the database;
//! - [`sqlite`]: [`SqliteStore`], the embedded store (one file under the data directory);
//! - [`migrations`]: the schema as ordered, numbered migrations and the thin dialect layer that
//!   lets the same SQL serve PostgreSQL;
//! - [`scan`]: after a scan, runs the finding lifecycle against the store and writes the
//!   transitions, the model version and one audit record per processed artifact revision;
//! - [`packet`]: the auditor's packet (`phiflow audit export`), as JSON or self-contained HTML;
//! - [`Day`]: the calendar dates decisions and exports take.
//!
//! # Tables
//!
//! | table | what a row is | written |
//! |---|---|---|
//! | `schema_migrations` | one applied migration | at open |
//! | `artifacts` | an artifact's current revision, status and facts (JSON) | upserted per scan |
//! | `model_versions` | one version of a system's model, with a diff summary (JSON) | appended |
//! | `findings` | a finding's state, content hash, score and latest form (JSON) | upserted |
//! | `transitions` | one move of one finding (`opened`, `updated`, …) | appended |
//! | `decisions` | who accepted, suppressed or reopened a finding, why, until when | appended |
//! | `audit` | one processed artifact revision: PHI and flows found, findings changed | appended |
//!
//! The audit table is append-only: [`Store`] has no method that changes or removes an audit
//! record, and the schema refuses `UPDATE` and `DELETE` on it with triggers, so even a person
//! with the database file and a SQL shell has to drop a trigger first. Retention is the
//! operator's (HIPAA keeps documentation six years, 45 CFR 164.530(j)).
//!
//! # Example
//!
//! ```
//! use phiflow_analyzer::store::{FindingFilter, SqliteStore, Store};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open_dir(dir.path()).unwrap();
//! assert!(store.findings(&FindingFilter::default()).unwrap().is_empty());
//! ```

pub mod migrations;
pub mod packet;
pub mod scan;
pub mod sqlite;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

pub use packet::AuditPacket;
pub use scan::{ScanOutcome, ScanRecorder, TransitionReport};
pub use sqlite::SqliteStore;

use crate::findings::lifecycle::TransitionKind;
use crate::findings::lifecycle::{Action, LifecycleError, NewState, State, Transition};

/// A boxed database error, so that [`StoreError`] does not depend on one driver.
pub type BackendError = Box<dyn std::error::Error + Send + Sync>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot create data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open store {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: BackendError,
    },
    #[error("store migration {version} ({name}) failed: {source}")]
    Migrate {
        version: u32,
        name: &'static str,
        #[source]
        source: BackendError,
    },
    #[error("the store is at schema version {found}; this phiflow knows up to {known}")]
    TooNew { found: u32, known: u32 },
    #[error("store query failed while {doing}: {source}")]
    Query {
        doing: &'static str,
        #[source]
        source: BackendError,
    },
    #[error("stored {what} is unreadable: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("cannot encode {what} as JSON: {source}")]
    Encode {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("no finding with fingerprint {fingerprint}")]
    UnknownFinding { fingerprint: String },
    #[error("finding {fingerprint} changed state while the decision was being recorded")]
    Conflict { fingerprint: String },
    #[error("invalid date {value:?}: expected YYYY-MM-DD")]
    Date { value: String },
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}

/// An artifact's current revision as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArtifactRow {
    pub id: String,
    pub system: String,
    pub path: String,
    pub revision: String,
    pub content_hash: String,
    /// `analyzed`, `error` or `deleted`.
    pub status: String,
    /// The revision's facts, as JSON (an array of facts).
    pub facts: Value,
    /// RFC 3339 UTC.
    pub updated_at: String,
}

/// One version of a system's model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelVersionRow {
    pub system: String,
    pub version: u64,
    pub created_at: String,
    /// Artifacts added, changed and removed; flows added and removed; transitions by kind.
    pub diff: Value,
}

/// A finding as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingRow {
    pub fingerprint: String,
    pub system: String,
    pub rule_id: String,
    pub category: String,
    pub state: State,
    pub severity: String,
    pub score: u32,
    /// [`crate::findings::lifecycle::content_hash`] of the finding as last evaluated.
    pub content_hash: String,
    pub first_seen_version: u64,
    pub last_seen_version: u64,
    /// The finding as last evaluated (the JSON of [`crate::findings::Finding`]).
    pub finding: Value,
}

/// A stored transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionRow {
    pub id: i64,
    pub fingerprint: String,
    pub kind: TransitionKind,
    pub model_version: u64,
    pub at: String,
    pub detail: String,
}

/// A person's decision about a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow {
    /// Assigned by the store; ignored when recording.
    pub id: i64,
    pub fingerprint: String,
    pub action: Action,
    pub by: String,
    /// Masked before it is stored: a reason can quote a document.
    pub reason: String,
    /// Last day the decision holds, `YYYY-MM-DD` (UTC).
    pub until: Option<String>,
    pub at: String,
    /// The finding's content hash when the decision was made.
    pub content_hash: String,
}

/// One processed artifact revision, as the auditor reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// Assigned by the store; ignored when appending.
    pub id: i64,
    pub system: String,
    pub artifact_id: String,
    pub revision: String,
    pub path: String,
    pub ingested_at: String,
    pub model_version: u64,
    /// PHI elements the revision names: `[{"type": "lab_result", "name": "lab results"}]`.
    pub phi: Value,
    /// Flows the revision supports: `[{"from": "portal", "to": "Mixpanel", "data": [...]}]`.
    pub flows: Value,
    /// Findings this batch moved that cite the revision:
    /// `[{"fingerprint": "…", "transition": "opened", "category": "disclosure_no_baa"}]`.
    pub findings_changed: Value,
    /// Highest severity among the current findings that cite the revision, or `none`.
    pub impact: String,
    /// One line per category of those findings: what to do about it.
    pub remediation: String,
}

/// Everything one scan writes, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ScanBatch {
    pub artifacts: Vec<ArtifactRow>,
    pub model_versions: Vec<ModelVersionRow>,
    pub findings: Vec<FindingRow>,
    pub transitions: Vec<Transition>,
    pub audit: Vec<AuditRecord>,
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub system: Option<String>,
    pub state: Option<State>,
}

/// A calendar day, `YYYY-MM-DD`, UTC. ISO days order as strings, which the SQL relies on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Day(String);

impl Day {
    /// Parse and check `YYYY-MM-DD` (a real day of the proleptic Gregorian calendar).
    pub fn parse(value: &str) -> Result<Day, StoreError> {
        let bad = || StoreError::Date { value: value.to_string() };
        let parts: Vec<&str> = value.split('-').collect();
        let [y, m, d] = parts.as_slice() else { return Err(bad()) };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let num = |s: &str| s.parse::<u32>().ok().filter(|_| s.bytes().all(|b| b.is_ascii_digit()));
        let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else { return Err(bad()) };
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(bad()),
        };
        if d == 0 || d > days {
            return Err(bad());
        }
        Ok(Day(value.to_string()))
    }

    /// The day of an RFC 3339 UTC timestamp.
    pub fn of(timestamp: &str) -> Day {
        Day(timestamp.get(..10).unwrap_or(timestamp).to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A range of days, both ends included; an open end is unbounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Day>,
    pub until: Option<Day>,
}

impl Window {
    /// The bounds as strings that order around every real day, so queries need no NULL test
    /// (PostgreSQL cannot type an untyped `$1 IS NULL`).
    fn bounds(&self) -> (&str, &str) {
        (
            self.since.as_ref().map_or("0000-00-00", Day::as_str),
            self.until.as_ref().map_or("9999-99-99", Day::as_str),
        )
    }
}

/// The current time as an RFC 3339 UTC timestamp.
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    phiflow_pipeline::bus::rfc3339(secs)
}

/// What phiflow asks of a store. Reads take `&self`; each write is one transaction.
///
/// There is deliberately no method that changes or deletes an audit record, a transition or a
/// decision: those tables only grow.
pub trait Store {
    /// Every artifact the store knows, deleted ones included.
    fn artifacts(&self) -> Result<Vec<ArtifactRow>, StoreError>;

    /// The latest model version of `system`; 0 before its first.
    fn model_version(&self, system: &str) -> Result<u64, StoreError>;

    /// The versions of `system` after `after` up to and including `upto`, oldest first.
    fn model_versions(
        &self,
        system: &str,
        after: u64,
        upto: u64,
    ) -> Result<Vec<ModelVersionRow>, StoreError>;

    /// Findings matching `filter`, by system then highest score.
    fn findings(&self, filter: &FindingFilter) -> Result<Vec<FindingRow>, StoreError>;

    /// One finding by fingerprint.
    fn finding(&self, fingerprint: &str) -> Result<Option<FindingRow>, StoreError>;

    /// The decision in force for each accepted or suppressed finding of `system`.
    fn holds(&self, system: &str) -> Result<BTreeMap<String, DecisionRow>, StoreError>;

    /// A finding's transitions, oldest first.
    fn transitions(&self, fingerprint: &str) -> Result<Vec<TransitionRow>, StoreError>;

    /// Decisions about `system`'s findings made within `window`, oldest first.
    fn decisions(&self, system: &str, window: &Window) -> Result<Vec<DecisionRow>, StoreError>;

    /// Audit records of `system` ingested within `window`, oldest first.
    fn audit_records(&self, system: &str, window: &Window) -> Result<Vec<AuditRecord>, StoreError>;

    /// Write everything a scan produced, atomically.
    fn commit_scan(&mut self, batch: &ScanBatch) -> Result<(), StoreError>;

    /// Record a decision with its transition and the finding's new state, atomically; fails with
    /// [`StoreError::Conflict`] when the finding is no longer in state `from`. Returns the
    /// decision's id.
    fn record_decision(
        &mut self,
        decision: &DecisionRow,
        transition: &Transition,
        from: State,
        to: &NewState,
    ) -> Result<i64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_only_real_dates() {
        assert_eq!(Day::parse("2028-02-29").unwrap().as_str(), "2028-02-29");
        for bad in ["2027-02-29", "2027-13-01", "2027-1-01", "27-01-01", "2027-01-00", "x", ""] {
            assert!(Day::parse(bad).is_err(), "{bad}");
        }
        assert!(Day::parse("+027-01-01").is_err());
        assert_eq!(Day::of("2027-03-10T12:00:00Z").as_str(), "2027-03-10");
    }

    #[test]
    fn open_windows_order_around_every_day() {
        let open = Window::default();
        let (since, until) = open.bounds();
        assert!(since < "1970-01-01" && until > "2999-12-31T23:59:59Z");
    }
}
