//! After a scan: compare what the analyzer now holds with what the store remembers, run the
//! finding lifecycle, and write the result in one transaction.
//!
//! The [`crate::Analyzer`] stays free of storage: it turns artifacts into models and findings.
//! A [`ScanRecorder`] rides along while the caller feeds it the same events (it keeps only each
//! artifact's content hash, which the analyzer does not), and [`ScanRecorder::commit`] then
//!
//! 1. finds the artifact revisions this scan *processed*: new artifacts, new revisions, changed
//!    facts or status, and artifacts the store knows that the scan no longer saw (a scan reads a
//!    whole folder, so a missing file is a deleted one). A revision the store already holds is
//!    not processed again: rescanning an unchanged folder writes nothing;
//! 2. gives each system a new model version when its artifacts or its findings changed, with a
//!    diff summary (artifacts and flows added and removed, transitions by kind);
//! 3. runs [`lifecycle::advance`] per system against the stored findings and the decisions in
//!    force, and stores the new states and the transitions;
//! 4. appends one audit record per processed revision: the PHI elements and flows it states,
//!    the findings this scan moved that cite it (for a resolved finding, the evidence it had),
//!    the highest severity among the current findings that cite it, and their remediation.
//!
//! A transition that no processed revision supports (a BAA added to the config resolves a
//! disclosure, say) is stored with the system's new model version but appears in no audit
//! record, since no document changed.

use std::collections::{BTreeMap, BTreeSet};

use phiflow_pipeline::ArtifactEvent;
use serde::Serialize;
use serde_json::{json, Value};

use super::{
    ArtifactRow, AuditRecord, FindingFilter, FindingRow, ModelVersionRow, ScanBatch, Store,
    StoreError,
};
use crate::analyzer::{Analyzer, Status};
use crate::findings::lifecycle::{self, Hold, Known, Observed, Step, TransitionKind};
use crate::findings::{Finding, Severity};
use crate::model::{Claim, Fact, Model, ModelView, PhiElement};

/// Records what a scan's events carry that the analyzer does not keep.
#[derive(Debug, Default)]
pub struct ScanRecorder {
    content_hashes: BTreeMap<String, String>,
}

/// One transition of this scan, with what a reader needs to tell findings apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransitionReport {
    pub fingerprint: String,
    pub kind: TransitionKind,
    pub system: String,
    pub rule_id: String,
    pub category: String,
    pub severity: String,
    pub model_version: u64,
    pub at: String,
    pub detail: String,
}

/// What a commit wrote.
#[derive(Debug, Clone, Default)]
pub struct ScanOutcome {
    pub transitions: Vec<TransitionReport>,
    /// Every system's model version after the scan.
    pub model_versions: BTreeMap<String, u64>,
    pub artifacts_processed: usize,
    pub audit_records: usize,
}

/// How an artifact changed since the store last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Added,
    Changed,
    Removed,
}

/// A processed revision, and the system it left when it moved to another one.
struct Processed {
    row: ArtifactRow,
    change: Change,
    left: Option<String>,
}

/// Per-system results of the lifecycle.
struct SystemStep {
    version: u64,
    step: Step,
}

/// What a commit works from: the store's memory and the analyzer's present, read once.
struct Ctx<'a> {
    analyzer: &'a Analyzer,
    now: &'a str,
    systems: BTreeSet<String>,
    stored_artifacts: BTreeMap<String, ArtifactRow>,
    stored_findings: BTreeMap<String, Vec<FindingRow>>,
    /// Findings per system, as evaluated now.
    current: BTreeMap<String, Vec<Finding>>,
    views: BTreeMap<String, ModelView>,
    processed: Vec<Processed>,
}

impl ScanRecorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Note an event the analyzer is given.
    pub fn observe(&mut self, event: &ArtifactEvent) {
        self.content_hashes.insert(event.id.clone(), event.content_hash.clone());
    }

    /// Run the lifecycle for everything `analyzer` holds against `store` and write the result.
    /// `now` is an RFC 3339 UTC timestamp.
    pub fn commit(
        &self,
        store: &mut dyn Store,
        analyzer: &Analyzer,
        now: &str,
    ) -> Result<ScanOutcome, StoreError> {
        let ctx = self.context(&*store, analyzer, now)?;
        let mut batch = ScanBatch::default();
        let mut outcome = ScanOutcome::default();

        let mut steps = BTreeMap::new();
        for system in &ctx.systems {
            let touched = ctx
                .processed
                .iter()
                .any(|p| &p.row.system == system || p.left.as_ref() == Some(system));
            let base = store.model_version(system)?;
            let known = known_findings(&*store, system, ctx.stored_findings.get(system))?;
            let observed: Vec<Observed> =
                ctx.current.get(system).into_iter().flatten().map(Observed::from).collect();
            let step = lifecycle::advance(&known, &observed, base + 1, now);
            let version = if touched || !step.transitions.is_empty() { base + 1 } else { base };
            if version > base {
                batch.model_versions.push(ModelVersionRow {
                    system: system.clone(),
                    version,
                    created_at: now.to_string(),
                    diff: ctx.diff(system, &step.transitions),
                });
            }
            outcome.model_versions.insert(system.clone(), version);
            steps.insert(system.clone(), SystemStep { version, step });
        }

        for (system, s) in &steps {
            let stored = ctx.stored_findings.get(system).map(Vec::as_slice).unwrap_or_default();
            let found = ctx.current.get(system).map(Vec::as_slice).unwrap_or_default();
            finding_rows(s, stored, found, &mut batch.findings, &mut outcome.transitions)?;
            batch.transitions.extend(s.step.transitions.iter().cloned());
        }

        let moved = ctx.moved(&steps);
        for p in &ctx.processed {
            let version = outcome.model_versions.get(&p.row.system).copied().unwrap_or_default();
            batch.audit.push(ctx.audit_record(p, version, &moved));
        }
        outcome.artifacts_processed = ctx.processed.len();
        outcome.audit_records = batch.audit.len();
        batch.artifacts = ctx.processed.into_iter().map(|p| p.row).collect();

        store.commit_scan(&batch)?;
        tracing::info!(
            systems = ctx.systems.len(),
            artifacts = outcome.artifacts_processed,
            transitions = outcome.transitions.len(),
            audit_records = outcome.audit_records,
            "scan state stored"
        );
        Ok(outcome)
    }

    /// Read what the store remembers and evaluate what the analyzer holds, once.
    fn context<'a>(
        &self,
        store: &dyn Store,
        analyzer: &'a Analyzer,
        now: &'a str,
    ) -> Result<Ctx<'a>, StoreError> {
        let stored_artifacts: BTreeMap<String, ArtifactRow> =
            store.artifacts()?.into_iter().map(|a| (a.id.clone(), a)).collect();
        let processed = self.processed(analyzer, &stored_artifacts, now)?;
        let mut stored_findings: BTreeMap<String, Vec<FindingRow>> = BTreeMap::new();
        for row in store.findings(&FindingFilter::default())? {
            stored_findings.entry(row.system.clone()).or_default().push(row);
        }

        let mut systems: BTreeSet<String> = analyzer.system_ids();
        systems.extend(stored_artifacts.values().map(|a| a.system.clone()));
        systems.extend(stored_findings.keys().cloned());
        let mut views = BTreeMap::new();
        let mut current: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for system in &systems {
            if let Some(view) = analyzer.view(system) {
                current.insert(system.clone(), analyzer.findings_for(system, &view));
                views.insert(system.clone(), view);
            }
        }
        Ok(Ctx {
            analyzer,
            now,
            systems,
            stored_artifacts,
            stored_findings,
            current,
            views,
            processed,
        })
    }

    /// The artifact revisions this scan processed, compared with what the store holds.
    fn processed(
        &self,
        analyzer: &Analyzer,
        stored: &BTreeMap<String, ArtifactRow>,
        now: &str,
    ) -> Result<Vec<Processed>, StoreError> {
        let facts = facts_by_artifact(analyzer);
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for rec in analyzer.artifacts() {
            let status = match rec.status {
                Status::Analyzed => "analyzed",
                Status::Error => "error",
                Status::Deleted => "deleted",
                Status::Skipped => continue,
            };
            seen.insert(rec.id.as_str());
            let facts = match facts.get(rec.id.as_str()) {
                Some(f) => serde_json::to_value(f)
                    .map_err(|source| StoreError::Encode { what: "artifact facts", source })?,
                None => json!([]),
            };
            let row = ArtifactRow {
                id: rec.id.clone(),
                system: rec.system.clone(),
                path: rec.path.clone(),
                revision: rec.revision.clone(),
                content_hash: self.content_hashes.get(&rec.id).cloned().unwrap_or_default(),
                status: status.to_string(),
                facts,
                updated_at: now.to_string(),
            };
            let old = stored.get(&rec.id);
            let change = match old {
                None if status == "deleted" => continue,
                None => Change::Added,
                Some(old) if same_revision(old, &row) => continue,
                Some(_) if status == "deleted" => Change::Removed,
                Some(_) => Change::Changed,
            };
            let left = old.filter(|o| o.system != row.system).map(|o| o.system.clone());
            out.push(Processed { row, change, left });
        }
        for old in stored.values() {
            if old.status == "deleted" || seen.contains(old.id.as_str()) {
                continue;
            }
            let row = ArtifactRow {
                revision: "deleted".into(),
                content_hash: String::new(),
                status: "deleted".into(),
                facts: json!([]),
                updated_at: now.to_string(),
                ..old.clone()
            };
            out.push(Processed { row, change: Change::Removed, left: None });
        }
        Ok(out)
    }
}

fn same_revision(old: &ArtifactRow, new: &ArtifactRow) -> bool {
    old.revision == new.revision
        && old.status == new.status
        && old.system == new.system
        && old.path == new.path
        && (old.content_hash == new.content_hash || new.content_hash.is_empty())
        && old.facts == new.facts
}

/// Each artifact's current facts, across systems.
fn facts_by_artifact(analyzer: &Analyzer) -> BTreeMap<&str, &Vec<Fact>> {
    analyzer
        .systems()
        .flat_map(|(_, model)| model.artifacts())
        .map(|(id, a)| (id.as_str(), &a.facts))
        .collect()
}

/// The stored findings of a system, with the decision in force for the decided ones.
fn known_findings(
    store: &dyn Store,
    system: &str,
    rows: Option<&Vec<FindingRow>>,
) -> Result<Vec<Known>, StoreError> {
    let Some(rows) = rows else { return Ok(Vec::new()) };
    let holds = store.holds(system)?;
    Ok(rows
        .iter()
        .map(|r| Known {
            fingerprint: r.fingerprint.clone(),
            state: r.state,
            content_hash: r.content_hash.clone(),
            score: r.score,
            hold: holds.get(&r.fingerprint).map(|d| Hold {
                action: d.action,
                until: d.until.clone(),
                content_hash: d.content_hash.clone(),
            }),
        })
        .collect())
}

/// The finding rows to write for one system, and its transitions as reported.
fn finding_rows(
    s: &SystemStep,
    stored: &[FindingRow],
    current: &[Finding],
    rows: &mut Vec<FindingRow>,
    reports: &mut Vec<TransitionReport>,
) -> Result<(), StoreError> {
    let stored: BTreeMap<&str, &FindingRow> =
        stored.iter().map(|r| (r.fingerprint.as_str(), r)).collect();
    let current: BTreeMap<&str, &Finding> =
        current.iter().map(|f| (f.fingerprint.as_str(), f)).collect();
    let mut written: BTreeMap<&str, FindingRow> = BTreeMap::new();
    for (fp, new) in &s.step.states {
        let row = match (current.get(fp.as_str()), stored.get(fp.as_str())) {
            (Some(f), old) if new.present => FindingRow {
                fingerprint: fp.clone(),
                system: f.system.clone(),
                rule_id: f.rule_id.clone(),
                category: f.category.clone(),
                state: new.state,
                severity: f.severity.as_str().to_string(),
                score: f.score,
                content_hash: new.content_hash.clone(),
                first_seen_version: old.map_or(s.version, |o| o.first_seen_version),
                last_seen_version: s.version,
                finding: serde_json::to_value(f)
                    .map_err(|source| StoreError::Encode { what: "finding", source })?,
            },
            (_, Some(old)) => FindingRow { state: new.state, ..(*old).clone() },
            (_, None) => continue,
        };
        if stored.get(fp.as_str()).is_some_and(|old| **old == row) {
            continue;
        }
        written.insert(fp.as_str(), row);
    }
    for t in &s.step.transitions {
        let row =
            written.get(t.fingerprint.as_str()).or(stored.get(t.fingerprint.as_str()).copied());
        let Some(row) = row else { continue };
        reports.push(TransitionReport {
            fingerprint: t.fingerprint.clone(),
            kind: t.kind,
            system: row.system.clone(),
            rule_id: row.rule_id.clone(),
            category: row.category.clone(),
            severity: row.severity.clone(),
            model_version: t.model_version,
            at: t.at.clone(),
            detail: t.detail.clone(),
        });
    }
    rows.extend(written.into_values());
    Ok(())
}

/// The artifact ids a finding's evidence cites.
fn cited(finding: &Value) -> BTreeSet<String> {
    finding["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.pointer("/artifact/id").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

fn cites(f: &Finding, artifact: &str) -> bool {
    f.evidence.iter().any(|e| e.artifact.id == artifact)
}

/// A finding this scan moved, and the artifacts its evidence cites now or cited before.
struct Moved {
    fingerprint: String,
    kind: TransitionKind,
    category: String,
    artifacts: BTreeSet<String>,
}

impl Ctx<'_> {
    /// Every transition of this scan with the artifacts it can be attributed to.
    fn moved(&self, steps: &BTreeMap<String, SystemStep>) -> Vec<Moved> {
        let mut out = Vec::new();
        for (system, s) in steps {
            let current = self.current.get(system).map(Vec::as_slice).unwrap_or_default();
            let stored = self.stored_findings.get(system).map(Vec::as_slice).unwrap_or_default();
            for t in &s.step.transitions {
                let found = current.iter().find(|f| f.fingerprint == t.fingerprint);
                let before = stored.iter().find(|r| r.fingerprint == t.fingerprint);
                let mut artifacts = before.map(|r| cited(&r.finding)).unwrap_or_default();
                if let Some(f) = found {
                    artifacts.extend(f.evidence.iter().map(|e| e.artifact.id.clone()));
                }
                let category = found.map(|f| &f.category).or(before.map(|r| &r.category));
                out.push(Moved {
                    fingerprint: t.fingerprint.clone(),
                    kind: t.kind,
                    category: category.cloned().unwrap_or_default(),
                    artifacts,
                });
            }
        }
        out
    }

    /// The model diff summary of one system.
    fn diff(&self, system: &str, transitions: &[lifecycle::Transition]) -> Value {
        let ids = |change: Change| -> Vec<&str> {
            self.processed
                .iter()
                .filter(|p| p.change == change && p.row.system == system)
                .map(|p| p.row.id.as_str())
                .collect()
        };
        let mut removed = ids(Change::Removed);
        removed.extend(
            self.processed
                .iter()
                .filter(|p| p.left.as_deref() == Some(system))
                .map(|p| p.row.id.as_str()),
        );
        let before = flow_names(&self.previous_view(system));
        let after = self.views.get(system).map(flow_names).unwrap_or_default();
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        for t in transitions {
            *kinds.entry(t.kind.as_str()).or_default() += 1;
        }
        json!({
            "artifacts": {
                "added": ids(Change::Added),
                "changed": ids(Change::Changed),
                "removed": removed,
            },
            "flows": {
                "added": after.difference(&before).collect::<Vec<_>>(),
                "removed": before.difference(&after).collect::<Vec<_>>(),
            },
            "transitions": kinds,
        })
    }

    /// The model a system had before this scan, rebuilt from the stored facts. Facts stored by
    /// an older phiflow that this one cannot read are left out: the diff is a summary, and the
    /// audit records are the record.
    fn previous_view(&self, system: &str) -> ModelView {
        let mut model = Model::default();
        let mut unreadable = 0;
        let stored = self.stored_artifacts.values();
        for a in stored.filter(|a| a.system == system && a.status == "analyzed") {
            match serde_json::from_value::<Vec<Fact>>(a.facts.clone()) {
                Ok(facts) => {
                    model.apply(&a.id, &a.revision, &a.path, facts);
                }
                Err(_) => unreadable += 1,
            }
        }
        if unreadable > 0 {
            tracing::warn!(system, artifacts = unreadable, "stored facts unreadable; diff partial");
        }
        model.view(self.analyzer.catalog())
    }

    /// The audit record of one processed revision.
    fn audit_record(&self, p: &Processed, version: u64, moved: &[Moved]) -> AuditRecord {
        let id = p.row.id.as_str();
        let system = p.row.system.as_str();
        let current = self.current.get(system).map(Vec::as_slice).unwrap_or_default();

        // PHI and flows this revision states.
        let facts: Vec<Fact> = serde_json::from_value(p.row.facts.clone()).unwrap_or_default();
        let phi: BTreeSet<&PhiElement> = facts
            .iter()
            .flat_map(|f| match &f.claim {
                Claim::Flow { data, .. } | Claim::Attr { data, .. } => data.as_slice(),
                Claim::Entity(_) | Claim::Alias { .. } => &[],
            })
            .collect();
        let flows: Vec<Value> = match self.views.get(system) {
            Some(view) if p.change != Change::Removed => view
                .flows
                .values()
                .filter(|f| f.supports.iter().any(|s| s.evidence.artifact_id == id))
                .map(|f| {
                    // What this revision says the flow carries, not what others add to it.
                    let data: BTreeSet<&str> = f
                        .supports
                        .iter()
                        .filter(|s| s.evidence.artifact_id == id)
                        .flat_map(|s| s.data.iter().map(|d| d.kind.as_str()))
                        .collect();
                    json!({
                        "from": entity_name(view, &f.from),
                        "to": entity_name(view, &f.to),
                        "data": data,
                    })
                })
                .collect(),
            _ => Vec::new(),
        };

        // Findings this scan moved that cite the revision, or cited the artifact before.
        let changed: Vec<Value> = moved
            .iter()
            .filter(|m| m.artifacts.contains(id))
            .map(|m| {
                json!({"fingerprint": m.fingerprint, "transition": m.kind, "category": m.category})
            })
            .collect();

        // Impact and remediation: the current findings that rest on this revision.
        let supported: Vec<&Finding> = current.iter().filter(|f| cites(f, id)).collect();
        let impact = supported.iter().map(|f| f.severity).max();
        let mut remediation: BTreeMap<&str, String> = BTreeMap::new();
        for f in &supported {
            remediation
                .entry(f.category.as_str())
                .or_insert_with(|| format!("{}: {}", f.category, first_sentence(&f.remediation)));
        }

        AuditRecord {
            id: 0,
            system: system.to_string(),
            artifact_id: id.to_string(),
            revision: p.row.revision.clone(),
            path: p.row.path.clone(),
            ingested_at: self.now.to_string(),
            model_version: version,
            phi: json!(phi),
            flows: Value::Array(flows),
            findings_changed: Value::Array(changed),
            impact: impact.map_or("none", Severity::as_str).to_string(),
            remediation: remediation.into_values().collect::<Vec<_>>().join("\n"),
        }
    }
}

fn flow_names(view: &ModelView) -> BTreeSet<String> {
    view.flows
        .values()
        .map(|f| format!("{} -> {}", entity_name(view, &f.from), entity_name(view, &f.to)))
        .collect()
}

fn entity_name<'a>(view: &'a ModelView, key: &'a str) -> &'a str {
    view.entity_by_key(key).map_or(key, |e| e.name.as_str())
}

fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(at) => &text[..=at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use phiflow_pipeline::{Config, Source};

    use super::*;
    use crate::findings::lifecycle::{Action, State};
    use crate::store::{DecisionRow, SqliteStore, Window};

    const T1: &str = "2027-03-10T12:00:00Z";
    const T2: &str = "2027-03-11T12:00:00Z";
    const MIXPANEL: &str = "We send each patient's name and lab results to Mixpanel.";
    const OTHER: &str = "# Notes\n\nThe team meets on Tuesdays.";

    fn event(path: &str, text: &str) -> ArtifactEvent {
        ArtifactEvent::new(Source::Files, path, "default", text.into())
    }

    /// One scan of `docs` (path, content) against `store`.
    fn scan(store: &mut SqliteStore, docs: &[(&str, &str)], now: &str) -> ScanOutcome {
        let mut analyzer = Analyzer::new(Config::default());
        let mut recorder = ScanRecorder::new();
        for (path, text) in docs {
            let e = event(path, text);
            recorder.observe(&e);
            analyzer.process(&e);
        }
        recorder.commit(store, &analyzer, now).unwrap()
    }

    fn kinds(o: &ScanOutcome) -> Vec<(String, TransitionKind)> {
        o.transitions.iter().map(|t| (t.category.clone(), t.kind)).collect()
    }

    #[test]
    fn first_scan_opens_and_audits_every_revision() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let o = scan(&mut store, &[("a.md", MIXPANEL), ("b.md", OTHER)], T1);
        assert!(kinds(&o).contains(&("disclosure_no_baa".into(), TransitionKind::Opened)));
        assert_eq!(o.model_versions["default"], 1);
        assert_eq!(o.audit_records, 2);

        let audit = store.audit_records("default", &Window::default()).unwrap();
        let a = audit.iter().find(|r| r.artifact_id == "files:a.md").unwrap();
        assert_eq!(a.impact, "critical");
        assert!(a.phi.as_array().unwrap().iter().any(|p| p["type"] == "lab_result"));
        assert_eq!(a.flows[0]["to"], "Mixpanel");
        assert!(!a.findings_changed.as_array().unwrap().is_empty());
        assert!(a.remediation.starts_with("disclosure_no_baa: "), "{}", a.remediation);
        let b = audit.iter().find(|r| r.artifact_id == "files:b.md").unwrap();
        assert_eq!((b.impact.as_str(), b.findings_changed.as_array().unwrap().len()), ("none", 0));
    }

    #[test]
    fn an_unchanged_rescan_writes_nothing() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        scan(&mut store, &[("a.md", MIXPANEL)], T1);
        let again = scan(&mut store, &[("a.md", MIXPANEL)], T2);
        assert!(again.transitions.is_empty());
        assert_eq!((again.audit_records, again.model_versions["default"]), (0, 1));
        assert_eq!(store.audit_records("default", &Window::default()).unwrap().len(), 1);
    }

    #[test]
    fn a_missing_file_is_a_deletion_that_resolves_its_findings() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        scan(&mut store, &[("a.md", MIXPANEL), ("b.md", OTHER)], T1);
        let o = scan(&mut store, &[("b.md", OTHER)], T2);
        assert!(o.transitions.iter().all(|t| t.kind == TransitionKind::Resolved));
        assert!(!o.transitions.is_empty());
        assert_eq!(o.model_versions["default"], 2);

        let audit = store.audit_records("default", &Window::default()).unwrap();
        let gone = audit.last().unwrap();
        assert_eq!((gone.artifact_id.as_str(), gone.revision.as_str()), ("files:a.md", "deleted"));
        assert!(gone.findings_changed[0]["transition"] == "resolved");
        let artifacts = store.artifacts().unwrap();
        assert_eq!(artifacts.iter().find(|a| a.id == "files:a.md").unwrap().status, "deleted");
    }

    #[test]
    fn an_accepted_finding_survives_an_unrelated_edit_and_reopens_on_a_related_one() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        scan(&mut store, &[("a.md", MIXPANEL)], T1);
        let rows = store.findings(&FindingFilter::default()).unwrap();
        let row = rows.iter().find(|r| r.category == "disclosure_no_baa").unwrap();
        let decision = DecisionRow {
            id: 0,
            fingerprint: row.fingerprint.clone(),
            action: Action::Accept,
            by: "alice".into(),
            reason: "BAA in signature".into(),
            until: None,
            at: T1.into(),
            content_hash: row.content_hash.clone(),
        };
        let known = Known {
            fingerprint: row.fingerprint.clone(),
            state: row.state,
            content_hash: row.content_hash.clone(),
            score: row.score,
            hold: None,
        };
        let (t, new) = lifecycle::decide(&known, Action::Accept, 1, T1, "by alice".into()).unwrap();
        store.record_decision(&decision, &t, State::Open, &new).unwrap();

        let unrelated = format!("{MIXPANEL}\n\nThe team meets on Tuesdays.");
        let o = scan(&mut store, &[("a.md", &unrelated)], T2);
        assert!(o.transitions.iter().all(|t| t.fingerprint != row.fingerprint), "{o:?}");
        assert_eq!(o.audit_records, 1, "a new revision is audited even when nothing moved");
        assert_eq!(store.finding(&row.fingerprint).unwrap().unwrap().state, State::Accepted);

        let related = "We send each patient's name, SSN and lab results to Mixpanel.";
        let o = scan(&mut store, &[("a.md", related)], T2);
        let reopened = o.transitions.iter().find(|t| t.fingerprint == row.fingerprint).unwrap();
        assert_eq!(reopened.kind, TransitionKind::Reopened);
        assert_eq!(store.finding(&row.fingerprint).unwrap().unwrap().state, State::Open);
    }
}
