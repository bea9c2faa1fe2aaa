//! The store's schema, as ordered, numbered migrations applied when a store opens.
//!
//! Each store records the migrations it has applied in `schema_migrations` (version, name, time)
//! and applies the missing ones in order, each in its own transaction, so opening a store twice
//! changes nothing and opening an old store brings it up to date.
//!
//! # One schema, two databases
//!
//! The SQL is written to run on SQLite (embedded mode) and PostgreSQL (distributed mode), with
//! a thin [`Dialect`] layer for the few places they differ:
//!
//! - **Identity keys.** `{id}` becomes `INTEGER PRIMARY KEY AUTOINCREMENT` on SQLite and
//!   `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY` on PostgreSQL.
//! - **Append-only tables.** [`Step::AppendOnly`] becomes two `RAISE(ABORT)` triggers on SQLite
//!   and, on PostgreSQL, one PL/pgSQL trigger function used by row-level `UPDATE OR DELETE` and
//!   statement-level `TRUNCATE` triggers.
//! - **Types.** JSON and timestamps are `TEXT` on both: JSON as written by serde, timestamps as
//!   RFC 3339 UTC strings, which order correctly as text and let the same `substr(at, 1, 10)`
//!   day comparisons run everywhere. A PostgreSQL store could move JSON columns to `JSONB` and
//!   times to `timestamptz` in a later migration of its own; nothing here depends on it.
//! - **Parameters.** Queries number their parameters `$1`, `$2`, … as PostgreSQL wants. SQLite
//!   reads `$1` as a named parameter and numbers names by first appearance, so every query
//!   introduces its parameters in ascending order and binds them by position; a unit test in
//!   [`super::sqlite`] checks every query for it.
//! - **Reserved words.** The decision maker is the column `decided_by`: `BY` is reserved in
//!   both dialects.
//!
//! Everything else (`ON CONFLICT … DO UPDATE`, `RETURNING`, `CHECK`, `REFERENCES`, `COALESCE`,
//! `substr`) is common to SQLite 3.35+ (bundled) and PostgreSQL 10+.

/// Which database the SQL is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One step of a migration.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    /// Portable SQL; `{id}` stands for an identity primary key.
    Sql(&'static str),
    /// Refuse `UPDATE` and `DELETE` (and `TRUNCATE` where it exists) on the table.
    AppendOnly(&'static str),
}

/// A numbered schema change.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub steps: &'static [Step],
}

/// The table that records applied migrations; created before any migration runs.
pub const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)";

const INITIAL: &str = "
CREATE TABLE artifacts (
    id TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    path TEXT NOT NULL,
    revision TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('analyzed', 'error', 'deleted')),
    facts TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX artifacts_system ON artifacts (system);

CREATE TABLE model_versions (
    system TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    diff TEXT NOT NULL,
    PRIMARY KEY (system, version)
);

CREATE TABLE findings (
    fingerprint TEXT PRIMARY KEY,
    system TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    category TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'accepted', 'suppressed')),
    severity TEXT NOT NULL,
    score INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    first_seen_version BIGINT NOT NULL,
    last_seen_version BIGINT NOT NULL,
    finding TEXT NOT NULL
);
CREATE INDEX findings_system_state ON findings (system, state);

CREATE TABLE transitions (
    id {id},
    fingerprint TEXT NOT NULL REFERENCES findings (fingerprint),
    kind TEXT NOT NULL CHECK (kind IN
        ('opened', 'updated', 'resolved', 'accepted', 'suppressed', 'reopened')),
    model_version BIGINT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX transitions_fingerprint ON transitions (fingerprint, id);

CREATE TABLE decisions (
    id {id},
    fingerprint TEXT NOT NULL REFERENCES findings (fingerprint),
    action TEXT NOT NULL CHECK (action IN ('accept', 'suppress', 'reopen')),
    decided_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    until TEXT,
    at TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX decisions_fingerprint ON decisions (fingerprint, id);

CREATE TABLE audit (
    id {id},
    system TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    revision TEXT NOT NULL,
    path TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    model_version BIGINT NOT NULL,
    phi TEXT NOT NULL,
    flows TEXT NOT NULL,
    findings_changed TEXT NOT NULL,
    impact TEXT NOT NULL,
    remediation TEXT NOT NULL
);
CREATE INDEX audit_system_time ON audit (system, ingested_at);
";

/// Every migration, in order. Append new ones; never edit one that has shipped.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "artifacts, model versions, findings, transitions, decisions, audit",
    steps: &[Step::Sql(INITIAL), Step::AppendOnly("audit")],
}];

impl Dialect {
    /// The SQL of one step, as one or more statements separated by `;`.
    pub fn render(self, step: &Step) -> String {
        match (self, step) {
            (Dialect::Sqlite, Step::Sql(sql)) => {
                sql.replace("{id}", "INTEGER PRIMARY KEY AUTOINCREMENT")
            }
            (Dialect::Postgres, Step::Sql(sql)) => {
                sql.replace("{id}", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY")
            }
            (Dialect::Sqlite, Step::AppendOnly(table)) => format!(
                "CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
                 BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
                 CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
                 BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
            ),
            (Dialect::Postgres, Step::AppendOnly(table)) => format!(
                "CREATE OR REPLACE FUNCTION phiflow_append_only() RETURNS trigger
                 LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
                 CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table}
                 FOR EACH ROW EXECUTE FUNCTION phiflow_append_only();
                 CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
                 FOR EACH STATEMENT EXECUTE FUNCTION phiflow_append_only();"
            ),
        }
    }
}

/// The newest schema version this build knows.
pub fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_numbered_in_order_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
    }

    #[test]
    fn each_dialect_gets_its_own_identity_and_append_only_sql() {
        let sqlite = Dialect::Sqlite.render(&Step::Sql(INITIAL));
        let pg = Dialect::Postgres.render(&Step::Sql(INITIAL));
        assert!(!sqlite.contains("{id}") && !pg.contains("{id}"));
        assert!(sqlite.contains("AUTOINCREMENT") && !pg.contains("AUTOINCREMENT"));
        assert!(pg.contains("GENERATED ALWAYS AS IDENTITY"));
        let pg_audit = Dialect::Postgres.render(&Step::AppendOnly("audit"));
        assert!(pg_audit.contains("BEFORE TRUNCATE ON audit"));
        assert!(Dialect::Sqlite.render(&Step::AppendOnly("audit")).contains("RAISE(ABORT"));
    }
}
