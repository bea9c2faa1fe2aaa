//! [`SqliteStore`]: the embedded store, one SQLite file (`phiflow.db`) under the data directory.
//!
//! The database runs in WAL mode with foreign keys on and a busy timeout, so a `phiflow findings`
//! command can read while a scan writes. Every write method is one transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, Row, Transaction};
use serde_json::Value;

use super::migrations::{Dialect, Migration, MIGRATIONS, SCHEMA_MIGRATIONS};
use super::{
    ArtifactRow, AuditRecord, DecisionRow, FindingFilter, FindingRow, ScanBatch, Store, StoreError,
    TransitionRow, Window,
};
use crate::findings::lifecycle::{NewState, State, Transition};

/// The database file inside the data directory.
pub const DB_FILE: &str = "phiflow.db";

/// How long a writer waits for another to finish, in milliseconds.
const BUSY_TIMEOUT_MS: u32 = 5_000;

const ARTIFACTS: &str = "SELECT id, system, path, revision, content_hash, status, facts,
    updated_at FROM artifacts ORDER BY id";
const MODEL_VERSIONS: &str = "SELECT system, version, created_at, diff FROM model_versions
    WHERE system = $1 AND version > $2 AND version <= $3 ORDER BY version";
const MODEL_VERSION: &str =
    "SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE system = $1";
const FINDING_COLUMNS: &str = "fingerprint, system, rule_id, category, state, severity, score,
    content_hash, first_seen_version, last_seen_version, finding";
const FINDINGS: &str = "SELECT {cols} FROM findings
    WHERE ($1 = '' OR system = $1) AND ($2 = '' OR state = $2)
    ORDER BY system, score DESC, fingerprint";
const FINDING: &str = "SELECT {cols} FROM findings WHERE fingerprint = $1";
const DECISION_COLUMNS: &str =
    "d.id, d.fingerprint, d.action, d.decided_by, d.reason, d.until, d.at, d.content_hash";
const HOLDS: &str = "SELECT {cols} FROM decisions d
    JOIN findings f ON f.fingerprint = d.fingerprint
    WHERE f.system = $1 AND f.state IN ('accepted', 'suppressed')
      AND d.id = (SELECT MAX(id) FROM decisions WHERE fingerprint = d.fingerprint)";
const DECISIONS: &str = "SELECT {cols} FROM decisions d
    JOIN findings f ON f.fingerprint = d.fingerprint
    WHERE f.system = $1 AND substr(d.at, 1, 10) >= $2 AND substr(d.at, 1, 10) <= $3
    ORDER BY d.id";
const TRANSITIONS: &str = "SELECT id, fingerprint, kind, model_version, at, detail
    FROM transitions WHERE fingerprint = $1 ORDER BY id";
const AUDIT: &str = "SELECT id, system, artifact_id, revision, path, ingested_at, model_version,
    phi, flows, findings_changed, impact, remediation FROM audit
    WHERE system = $1 AND substr(ingested_at, 1, 10) >= $2 AND substr(ingested_at, 1, 10) <= $3
    ORDER BY id";
const UPSERT_ARTIFACT: &str = "INSERT INTO artifacts
    (id, system, path, revision, content_hash, status, facts, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT (id) DO UPDATE SET system = excluded.system, path = excluded.path,
        revision = excluded.revision, content_hash = excluded.content_hash,
        status = excluded.status, facts = excluded.facts, updated_at = excluded.updated_at";
const INSERT_MODEL_VERSION: &str =
    "INSERT INTO model_versions (system, version, created_at, diff) VALUES ($1, $2, $3, $4)";
const UPSERT_FINDING: &str = "INSERT INTO findings
    (fingerprint, system, rule_id, category, state, severity, score, content_hash,
     first_seen_version, last_seen_version, finding)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (fingerprint) DO UPDATE SET system = excluded.system,
        rule_id = excluded.rule_id, category = excluded.category, state = excluded.state,
        severity = excluded.severity, score = excluded.score,
        content_hash = excluded.content_hash, last_seen_version = excluded.last_seen_version,
        finding = excluded.finding";
const INSERT_TRANSITION: &str = "INSERT INTO transitions
    (fingerprint, kind, model_version, at, detail) VALUES ($1, $2, $3, $4, $5)";
const INSERT_AUDIT: &str = "INSERT INTO audit
    (system, artifact_id, revision, path, ingested_at, model_version, phi, flows,
     findings_changed, impact, remediation)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const INSERT_DECISION: &str = "INSERT INTO decisions
    (fingerprint, action, decided_by, reason, until, at, content_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
const SET_STATE: &str = "UPDATE findings SET state = $1 WHERE fingerprint = $2 AND state = $3";
const APPLIED: &str = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
const RECORD_MIGRATION: &str =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

/// The embedded store.
pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Open (or create) `DIR/phiflow.db`, creating `DIR` if needed, and migrate it.
    pub fn open_dir(dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::CreateDir { path: dir.to_path_buf(), source })?;
        Self::open(&dir.join(DB_FILE))
    }

    /// Open (or create) the database file at `path` and migrate it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err =
            |e: rusqlite::Error| StoreError::Open { path: path.to_path_buf(), source: e.into() };
        let conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        Self::init(conn, path.to_path_buf(), MIGRATIONS)
    }

    /// A store that lives in memory, for tests.
    pub fn open_in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|e| StoreError::Open { path: PathBuf::from(":memory:"), source: e.into() })?;
        Self::init(conn, PathBuf::from(":memory:"), MIGRATIONS)
    }

    fn init(
        mut conn: Connection,
        path: PathBuf,
        migrations: &[Migration],
    ) -> Result<SqliteStore, StoreError> {
        let open_err =
            |e: rusqlite::Error| StoreError::Open { path: path.clone(), source: e.into() };
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        conn.pragma_update(None, "busy_timeout", BUSY_TIMEOUT_MS).map_err(open_err)?;
        let applied = migrate(&mut conn, migrations)?;
        tracing::debug!(store = %path.display(), schema = applied, "store opened");
        Ok(SqliteStore { conn })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.conn.query_row(APPLIED, [], |r| r.get(0)).map_err(query("reading the schema version"))
    }

    #[cfg(test)]
    fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Apply the migrations the database lacks, in order, each in its own transaction. Returns the
/// schema version reached.
fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<u32, StoreError> {
    conn.execute_batch(SCHEMA_MIGRATIONS).map_err(query("creating schema_migrations"))?;
    let current: u32 =
        conn.query_row(APPLIED, [], |r| r.get(0)).map_err(query("reading the schema version"))?;
    let known = migrations.last().map_or(0, |m| m.version);
    if current > known {
        return Err(StoreError::TooNew { found: current, known });
    }
    for m in migrations.iter().filter(|m| m.version > current) {
        let fail = |e: rusqlite::Error| StoreError::Migrate {
            version: m.version,
            name: m.name,
            source: e.into(),
        };
        let tx = conn.transaction().map_err(fail)?;
        for step in m.steps {
            tx.execute_batch(&Dialect::Sqlite.render(step)).map_err(fail)?;
        }
        tx.execute(RECORD_MIGRATION, params![m.version, m.name, super::now()]).map_err(fail)?;
        tx.commit().map_err(fail)?;
        tracing::info!(version = m.version, "store migration applied");
    }
    Ok(known)
}

fn query(doing: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Query { doing, source: e.into() }
}

fn json(what: &str, text: &str) -> Result<Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt { what: what.to_string(), detail: e.to_string() })
}

fn parsed<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| StoreError::Corrupt { what: what.to_string(), detail: e.to_string() })
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn uint(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// A row's raw columns, converted after the query so conversion errors keep their context.
type Raw = Vec<rusqlite::types::Value>;

fn raw(row: &Row, columns: usize) -> rusqlite::Result<Raw> {
    (0..columns).map(|i| row.get(i)).collect()
}

fn text(v: &rusqlite::types::Value) -> String {
    match v {
        rusqlite::types::Value::Text(s) => s.clone(),
        rusqlite::types::Value::Integer(i) => i.to_string(),
        _ => String::new(),
    }
}

fn integer(v: &rusqlite::types::Value) -> i64 {
    match v {
        rusqlite::types::Value::Integer(i) => *i,
        _ => 0,
    }
}

fn opt_text(v: &rusqlite::types::Value) -> Option<String> {
    match v {
        rusqlite::types::Value::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn finding_row(r: &Raw) -> Result<FindingRow, StoreError> {
    let fingerprint = text(&r[0]);
    Ok(FindingRow {
        state: parsed(&format!("state of finding {fingerprint}"), &text(&r[4]))?,
        system: text(&r[1]),
        rule_id: text(&r[2]),
        category: text(&r[3]),
        severity: text(&r[5]),
        score: u32::try_from(integer(&r[6])).unwrap_or_default(),
        content_hash: text(&r[7]),
        first_seen_version: uint(integer(&r[8])),
        last_seen_version: uint(integer(&r[9])),
        finding: json(&format!("finding {fingerprint}"), &text(&r[10]))?,
        fingerprint,
    })
}

fn decision_row(r: &Raw) -> Result<DecisionRow, StoreError> {
    let id = integer(&r[0]);
    Ok(DecisionRow {
        id,
        fingerprint: text(&r[1]),
        action: parsed(&format!("action of decision {id}"), &text(&r[2]))?,
        by: text(&r[3]),
        reason: text(&r[4]),
        until: opt_text(&r[5]),
        at: text(&r[6]),
        content_hash: text(&r[7]),
    })
}

impl SqliteStore {
    fn rows(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        columns: usize,
        doing: &'static str,
    ) -> Result<Vec<Raw>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(query(doing))?;
        let rows = stmt.query_map(params, |row| raw(row, columns)).map_err(query(doing))?;
        rows.collect::<rusqlite::Result<Vec<Raw>>>().map_err(query(doing))
    }
}

impl Store for SqliteStore {
    fn artifacts(&self) -> Result<Vec<ArtifactRow>, StoreError> {
        let rows = self.rows(ARTIFACTS, [], 8, "reading artifacts")?;
        rows.iter()
            .map(|r| {
                let id = text(&r[0]);
                Ok(ArtifactRow {
                    system: text(&r[1]),
                    path: text(&r[2]),
                    revision: text(&r[3]),
                    content_hash: text(&r[4]),
                    status: text(&r[5]),
                    facts: json(&format!("facts of artifact {id}"), &text(&r[6]))?,
                    updated_at: text(&r[7]),
                    id,
                })
            })
            .collect()
    }

    fn model_version(&self, system: &str) -> Result<u64, StoreError> {
        let v: i64 = self
            .conn
            .query_row(MODEL_VERSION, [system], |r| r.get(0))
            .map_err(query("reading the model version"))?;
        Ok(uint(v))
    }

    fn model_versions(
        &self,
        system: &str,
        after: u64,
        upto: u64,
    ) -> Result<Vec<super::ModelVersionRow>, StoreError> {
        let (after, upto) = (after.min(i64::MAX as u64) as i64, upto.min(i64::MAX as u64) as i64);
        let rows =
            self.rows(MODEL_VERSIONS, params![system, after, upto], 4, "reading model versions")?;
        rows.iter()
            .map(|r| {
                let version = uint(integer(&r[1]));
                Ok(super::ModelVersionRow {
                    system: text(&r[0]),
                    version,
                    created_at: text(&r[2]),
                    diff: json(&format!("diff of version {version}"), &text(&r[3]))?,
                })
            })
            .collect()
    }

    fn findings(&self, filter: &FindingFilter) -> Result<Vec<FindingRow>, StoreError> {
        let sql = FINDINGS.replace("{cols}", FINDING_COLUMNS);
        let system = filter.system.as_deref().unwrap_or("");
        let state = filter.state.map_or("", State::as_str);
        let rows = self.rows(&sql, params![system, state], 11, "listing findings")?;
        rows.iter().map(finding_row).collect()
    }

    fn finding(&self, fingerprint: &str) -> Result<Option<FindingRow>, StoreError> {
        let sql = FINDING.replace("{cols}", FINDING_COLUMNS);
        let rows = self.rows(&sql, [fingerprint], 11, "reading a finding")?;
        rows.first().map(finding_row).transpose()
    }

    fn holds(&self, system: &str) -> Result<BTreeMap<String, DecisionRow>, StoreError> {
        let sql = HOLDS.replace("{cols}", DECISION_COLUMNS);
        let rows = self.rows(&sql, [system], 8, "reading decisions in force")?;
        rows.iter().map(|r| decision_row(r).map(|d| (d.fingerprint.clone(), d))).collect()
    }

    fn transitions(&self, fingerprint: &str) -> Result<Vec<TransitionRow>, StoreError> {
        let rows = self.rows(TRANSITIONS, [fingerprint], 6, "reading transitions")?;
        rows.iter()
            .map(|r| {
                let id = integer(&r[0]);
                Ok(TransitionRow {
                    id,
                    fingerprint: text(&r[1]),
                    kind: parsed(&format!("kind of transition {id}"), &text(&r[2]))?,
                    model_version: uint(integer(&r[3])),
                    at: text(&r[4]),
                    detail: text(&r[5]),
                })
            })
            .collect()
    }

    fn decisions(&self, system: &str, window: &Window) -> Result<Vec<DecisionRow>, StoreError> {
        let sql = DECISIONS.replace("{cols}", DECISION_COLUMNS);
        let (since, until) = window.bounds();
        let rows = self.rows(&sql, params![system, since, until], 8, "reading decisions")?;
        rows.iter().map(decision_row).collect()
    }

    fn audit_records(&self, system: &str, window: &Window) -> Result<Vec<AuditRecord>, StoreError> {
        let (since, until) = window.bounds();
        let rows = self.rows(AUDIT, params![system, since, until], 12, "reading audit records")?;
        rows.iter()
            .map(|r| {
                let id = integer(&r[0]);
                let field = |name: &str, v: &rusqlite::types::Value| {
                    json(&format!("{name} of audit record {id}"), &text(v))
                };
                Ok(AuditRecord {
                    id,
                    system: text(&r[1]),
                    artifact_id: text(&r[2]),
                    revision: text(&r[3]),
                    path: text(&r[4]),
                    ingested_at: text(&r[5]),
                    model_version: uint(integer(&r[6])),
                    phi: field("phi", &r[7])?,
                    flows: field("flows", &r[8])?,
                    findings_changed: field("findings_changed", &r[9])?,
                    impact: text(&r[10]),
                    remediation: text(&r[11]),
                })
            })
            .collect()
    }

    fn commit_scan(&mut self, batch: &ScanBatch) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(query("starting the scan transaction"))?;
        write_batch(&tx, batch)?;
        tx.commit().map_err(query("committing the scan"))?;
        tracing::debug!(
            artifacts = batch.artifacts.len(),
            findings = batch.findings.len(),
            transitions = batch.transitions.len(),
            audit = batch.audit.len(),
            "scan stored"
        );
        Ok(())
    }

    fn record_decision(
        &mut self,
        decision: &DecisionRow,
        transition: &Transition,
        from: State,
        to: &NewState,
    ) -> Result<i64, StoreError> {
        let tx = self.conn.transaction().map_err(query("starting the decision transaction"))?;
        let moved = tx
            .execute(SET_STATE, params![to.state.as_str(), decision.fingerprint, from.as_str()])
            .map_err(query("updating the finding's state"))?;
        if moved != 1 {
            return Err(StoreError::Conflict { fingerprint: decision.fingerprint.clone() });
        }
        let id: i64 = tx
            .query_row(
                INSERT_DECISION,
                params![
                    decision.fingerprint,
                    decision.action.as_str(),
                    decision.by,
                    decision.reason,
                    decision.until,
                    decision.at,
                    decision.content_hash,
                ],
                |r| r.get(0),
            )
            .map_err(query("recording the decision"))?;
        insert_transition(&tx, transition)?;
        tx.commit().map_err(query("committing the decision"))?;
        Ok(id)
    }
}

fn write_batch(tx: &Transaction, batch: &ScanBatch) -> Result<(), StoreError> {
    let encode = |what: &'static str, v: &Value| {
        serde_json::to_string(v).map_err(|source| StoreError::Encode { what, source })
    };
    for a in &batch.artifacts {
        tx.execute(
            UPSERT_ARTIFACT,
            params![
                a.id,
                a.system,
                a.path,
                a.revision,
                a.content_hash,
                a.status,
                encode("artifact facts", &a.facts)?,
                a.updated_at,
            ],
        )
        .map_err(query("storing an artifact"))?;
    }
    for v in &batch.model_versions {
        tx.execute(
            INSERT_MODEL_VERSION,
            params![v.system, int(v.version), v.created_at, encode("model diff", &v.diff)?],
        )
        .map_err(query("storing a model version"))?;
    }
    for f in &batch.findings {
        tx.execute(
            UPSERT_FINDING,
            params![
                f.fingerprint,
                f.system,
                f.rule_id,
                f.category,
                f.state.as_str(),
                f.severity,
                f.score,
                f.content_hash,
                int(f.first_seen_version),
                int(f.last_seen_version),
                encode("finding", &f.finding)?,
            ],
        )
        .map_err(query("storing a finding"))?;
    }
    for t in &batch.transitions {
        insert_transition(tx, t)?;
    }
    for a in &batch.audit {
        tx.execute(
            INSERT_AUDIT,
            params![
                a.system,
                a.artifact_id,
                a.revision,
                a.path,
                a.ingested_at,
                int(a.model_version),
                encode("audit phi", &a.phi)?,
                encode("audit flows", &a.flows)?,
                encode("audit findings", &a.findings_changed)?,
                a.impact,
                a.remediation,
            ],
        )
        .map_err(query("appending an audit record"))?;
    }
    Ok(())
}

fn insert_transition(tx: &Transaction, t: &Transition) -> Result<(), StoreError> {
    tx.execute(
        INSERT_TRANSITION,
        params![t.fingerprint, t.kind.as_str(), int(t.model_version), t.at, t.detail],
    )
    .map_err(query("storing a transition"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::findings::lifecycle::{Action, TransitionKind};
    use crate::store::migrations::{self, Step};
    use crate::store::Day;

    const NOW: &str = "2027-03-10T12:00:00Z";

    fn finding(fp: &str, state: State) -> FindingRow {
        FindingRow {
            fingerprint: fp.into(),
            system: "default".into(),
            rule_id: "PF-DISC-001".into(),
            category: "disclosure_no_baa".into(),
            state,
            severity: "critical".into(),
            score: 84,
            content_hash: "h1".into(),
            first_seen_version: 1,
            last_seen_version: 1,
            finding: json!({"fingerprint": fp}),
        }
    }

    fn transition(fp: &str, kind: TransitionKind) -> Transition {
        Transition {
            fingerprint: fp.into(),
            kind,
            model_version: 1,
            at: NOW.into(),
            detail: "first seen".into(),
        }
    }

    fn audit(artifact: &str, at: &str) -> AuditRecord {
        AuditRecord {
            id: 0,
            system: "default".into(),
            artifact_id: artifact.into(),
            revision: "r1".into(),
            path: "docs/a.md".into(),
            ingested_at: at.into(),
            model_version: 1,
            phi: json!([{"type": "lab_result", "name": "lab results"}]),
            flows: json!([]),
            findings_changed: json!([{"fingerprint": "fp1", "transition": "opened"}]),
            impact: "critical".into(),
            remediation: "disclosure_no_baa: sign a BAA.".into(),
        }
    }

    fn batch() -> ScanBatch {
        ScanBatch {
            artifacts: vec![ArtifactRow {
                id: "files:docs/a.md".into(),
                system: "default".into(),
                path: "docs/a.md".into(),
                revision: "r1".into(),
                content_hash: "c1".into(),
                status: "analyzed".into(),
                facts: json!([]),
                updated_at: NOW.into(),
            }],
            model_versions: vec![super::super::ModelVersionRow {
                system: "default".into(),
                version: 1,
                created_at: NOW.into(),
                diff: json!({"artifacts": {"added": ["files:docs/a.md"]}}),
            }],
            findings: vec![finding("fp1", State::Open)],
            transitions: vec![transition("fp1", TransitionKind::Opened)],
            audit: vec![audit("files:docs/a.md", NOW)],
        }
    }

    fn temp_store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(&dir.path().join("data")).unwrap();
        (dir, store)
    }

    #[test]
    fn a_scan_batch_round_trips() {
        let (_dir, mut store) = temp_store();
        store.commit_scan(&batch()).unwrap();

        assert_eq!(store.model_version("default").unwrap(), 1);
        assert_eq!(store.model_version("other").unwrap(), 0);
        assert_eq!(store.artifacts().unwrap()[0].revision, "r1");
        let f = store.finding("fp1").unwrap().unwrap();
        assert_eq!((f.state, f.score), (State::Open, 84));
        assert_eq!(store.transitions("fp1").unwrap()[0].kind, TransitionKind::Opened);
        let records = store.audit_records("default", &Window::default()).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].findings_changed[0]["transition"], "opened");
        assert!(records[0].id > 0);
    }

    #[test]
    fn upserting_a_finding_keeps_when_it_was_first_seen() {
        let (_dir, mut store) = temp_store();
        store.commit_scan(&batch()).unwrap();
        let mut later = finding("fp1", State::Resolved);
        later.first_seen_version = 5;
        later.last_seen_version = 5;
        store.commit_scan(&ScanBatch { findings: vec![later], ..Default::default() }).unwrap();
        let f = store.finding("fp1").unwrap().unwrap();
        assert_eq!((f.state, f.first_seen_version, f.last_seen_version), (State::Resolved, 1, 5));
    }

    #[test]
    fn findings_filter_by_system_and_state() {
        let (_dir, mut store) = temp_store();
        let mut other = finding("fp2", State::Accepted);
        other.system = "portal".into();
        let b = ScanBatch { findings: vec![finding("fp1", State::Open), other], ..batch() };
        store.commit_scan(&b).unwrap();
        let all = store.findings(&FindingFilter::default()).unwrap();
        assert_eq!(all.len(), 2);
        let open = FindingFilter { system: None, state: Some(State::Open) };
        assert_eq!(store.findings(&open).unwrap()[0].fingerprint, "fp1");
        let portal = FindingFilter { system: Some("portal".into()), state: None };
        assert_eq!(store.findings(&portal).unwrap()[0].fingerprint, "fp2");
    }

    #[test]
    fn decisions_move_state_once_and_become_holds() {
        let (_dir, mut store) = temp_store();
        store.commit_scan(&batch()).unwrap();
        let decision = DecisionRow {
            id: 0,
            fingerprint: "fp1".into(),
            action: Action::Accept,
            by: "alice".into(),
            reason: "vendor BAA in review".into(),
            until: Some("2027-06-30".into()),
            at: NOW.into(),
            content_hash: "h1".into(),
        };
        let t = transition("fp1", TransitionKind::Accepted);
        let to = NewState { state: State::Accepted, content_hash: "h1".into(), present: true };
        let id = store.record_decision(&decision, &t, State::Open, &to).unwrap();
        assert!(id > 0);

        let again = store.record_decision(&decision, &t, State::Open, &to).unwrap_err();
        assert!(matches!(again, StoreError::Conflict { .. }), "{again}");

        let holds = store.holds("default").unwrap();
        assert_eq!(holds["fp1"].until.as_deref(), Some("2027-06-30"));
        assert_eq!(holds["fp1"].by, "alice");
        let kinds: Vec<_> = store.transitions("fp1").unwrap().iter().map(|t| t.kind).collect();
        assert_eq!(kinds, [TransitionKind::Opened, TransitionKind::Accepted]);
        assert_eq!(store.decisions("default", &Window::default()).unwrap().len(), 1);
    }

    #[test]
    fn windows_include_both_end_days() {
        let (_dir, mut store) = temp_store();
        let mut b = batch();
        b.audit = vec![
            audit("a", "2027-03-01T00:00:00Z"),
            audit("b", "2027-03-05T23:59:59Z"),
            audit("c", "2027-03-06T00:00:00Z"),
        ];
        store.commit_scan(&b).unwrap();
        let window = Window {
            since: Some(Day::parse("2027-03-02").unwrap()),
            until: Some(Day::parse("2027-03-05").unwrap()),
        };
        let ids: Vec<String> = store
            .audit_records("default", &window)
            .unwrap()
            .into_iter()
            .map(|r| r.artifact_id)
            .collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn migrations_are_idempotent_on_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut store = SqliteStore::open_dir(dir.path()).unwrap();
            assert_eq!(store.schema_version().unwrap(), migrations::latest());
            store.commit_scan(&batch()).unwrap();
        }
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::latest());
        assert_eq!(store.findings(&FindingFilter::default()).unwrap().len(), 1);
        let applied: i64 = store
            .connection()
            .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(applied, MIGRATIONS.len() as i64);
    }

    #[test]
    fn later_migrations_apply_in_order_and_newer_stores_are_refused() {
        let path = tempfile::tempdir().unwrap();
        let db = path.path().join(DB_FILE);
        let open =
            |m: &[Migration]| SqliteStore::init(Connection::open(&db).unwrap(), db.clone(), m);
        open(MIGRATIONS).unwrap();
        let extra: Vec<Migration> = MIGRATIONS
            .iter()
            .copied()
            .chain([Migration {
                version: migrations::latest() + 1,
                name: "test column",
                steps: &[Step::Sql("ALTER TABLE artifacts ADD COLUMN note TEXT")],
            }])
            .collect();
        let store = open(&extra).unwrap();
        assert_eq!(store.schema_version().unwrap(), migrations::latest() + 1);
        drop(store);
        open(&extra).unwrap();
        let err = open(MIGRATIONS).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
    }

    #[test]
    fn the_database_refuses_to_change_or_delete_audit_records() {
        let (_dir, mut store) = temp_store();
        store.commit_scan(&batch()).unwrap();
        let conn = store.connection();
        let update = conn.execute("UPDATE audit SET impact = 'none'", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = conn.execute("DELETE FROM audit", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        assert_eq!(store.audit_records("default", &Window::default()).unwrap().len(), 1);
    }

    #[test]
    fn the_store_api_offers_no_way_to_change_or_delete_audit_records() {
        // The trait's methods, read from its source: only these two touch the audit table.
        let source = include_str!("mod.rs");
        let start = source.find("pub trait Store {").expect("the Store trait");
        let body = &source[start..source[start..].find("\n}\n").unwrap() + start];
        let methods: Vec<&str> = body
            .split("fn ")
            .skip(1)
            .map(|s| s.split('(').next().unwrap_or_default().trim())
            .collect();
        assert!(methods.contains(&"audit_records") && methods.contains(&"commit_scan"));
        for m in &methods {
            for verb in ["update", "delete", "remove", "truncate", "prune", "purge", "edit"] {
                assert!(!m.contains(verb), "Store::{m} looks like it changes stored history");
            }
        }

        // And no statement this store runs changes the audit table.
        let source = include_str!("sqlite.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        let sql = code.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        for forbidden in ["update audit", "delete from audit", "drop trigger", "drop table"] {
            assert!(!sql.contains(forbidden), "the store runs {forbidden:?}");
        }
    }

    #[test]
    fn every_query_introduces_its_parameters_in_order() {
        let all = [
            ARTIFACTS,
            MODEL_VERSION,
            FINDINGS,
            FINDING,
            HOLDS,
            DECISIONS,
            TRANSITIONS,
            AUDIT,
            UPSERT_ARTIFACT,
            INSERT_MODEL_VERSION,
            UPSERT_FINDING,
            INSERT_TRANSITION,
            INSERT_AUDIT,
            INSERT_DECISION,
            SET_STATE,
            APPLIED,
            RECORD_MIGRATION,
        ];
        for sql in all {
            let mut next = 1;
            let mut rest = sql;
            while let Some(at) = rest.find('$') {
                let digits: String =
                    rest[at + 1..].chars().take_while(char::is_ascii_digit).collect();
                let n: u32 = digits.parse().unwrap();
                assert!(n <= next, "${n} appears before ${next} in {sql}");
                if n == next {
                    next += 1;
                }
                rest = &rest[at + 1..];
            }
        }
    }
}
