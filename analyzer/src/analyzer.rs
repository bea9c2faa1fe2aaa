//! [`Analyzer`]: consumes artifact events, keeps one model per system, and evaluates the rules.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use phiflow_pipeline::config::DEFAULT_SYSTEM;
use phiflow_pipeline::{ArtifactEvent, Config, Source};
use serde::Serialize;

use crate::catalog::Catalog;
use crate::extract::{self, component_for, Ctx, ExtractError};
use crate::findings::Finding;
use crate::model::{Model, ModelView};
use crate::rules::{self, RuleContext};

/// What became of one artifact revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Analyzed,
    Error,
    Deleted,
    Skipped,
}

/// The analyzer's record of an artifact's current revision.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactRecord {
    pub id: String,
    pub path: String,
    pub source: Source,
    pub revision: String,
    pub system: String,
    pub status: Status,
    pub format: Option<&'static str>,
    pub facts: usize,
    pub error: Option<String>,
}

/// The result of processing one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Facts extracted; `changed` is false when the same revision was seen before.
    Analyzed { facts: usize, changed: bool },
    /// Not a format phiflow reads.
    Skipped { reason: String },
    /// The content could not be read; the model keeps the artifact's previous facts retracted.
    Failed { error: String },
    /// A tombstone retracted the artifact's facts.
    Deleted,
}

/// Longest error message kept, in characters.
const MAX_ERROR_CHARS: usize = 400;

/// An error message fit for reports and logs: parsers quote the offending source line, and that
/// line can hold PHI. Quoted source lines (`8 |   endpoint = ...`) are dropped and identifiers
/// masked.
pub fn safe_error(message: &str) -> String {
    let kept: Vec<&str> = message
        .lines()
        .filter(|l| {
            let t = l.trim_start();
            let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
            !(t.starts_with('|') || (digits > 0 && t[digits..].trim_start().starts_with('|')))
        })
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| matches!(c, '^' | '-' | ' ')))
        .collect();
    crate::mask::mask(&crate::text::clip(&kept.join(" "), MAX_ERROR_CHARS))
}

/// Consumes artifact events into per-system models.
pub struct Analyzer {
    catalog: Catalog,
    config: Config,
    systems: BTreeMap<String, Model>,
    artifacts: BTreeMap<String, ArtifactRecord>,
    /// Findings per system by anchor (the rule input each was evaluated from), kept current
    /// by re-evaluating only the anchors a change touches.
    cache: RefCell<BTreeMap<String, BTreeMap<String, Vec<Finding>>>>,
    /// The global flags each system's cache was evaluated under; a flip re-evaluates all.
    flags: RefCell<BTreeMap<String, (bool, bool)>>,
    /// What changes touched since the rules last ran, per system. Rules run when findings are
    /// read, once for a whole batch of changes (a scan), not once per artifact.
    pending: RefCell<BTreeMap<String, crate::model::Touched>>,
    /// Rule inputs re-evaluated by the last evaluation (entities, flows and credentials).
    last_evaluated: Cell<usize>,
}

impl Analyzer {
    pub fn new(config: Config) -> Self {
        let mut catalog = Catalog::builtin();
        catalog.apply_config(&config);
        Analyzer {
            catalog,
            config,
            systems: BTreeMap::new(),
            artifacts: BTreeMap::new(),
            cache: RefCell::default(),
            flags: RefCell::default(),
            pending: RefCell::default(),
            last_evaluated: Cell::new(0),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Process one artifact event: extract its facts and replace the artifact's previous facts
    /// in its system's model, or retract them for a tombstone. Never panics on bad input: an
    /// extractor that fails or panics yields [`Outcome::Failed`].
    pub fn process(&mut self, event: &ArtifactEvent) -> Outcome {
        let system = event.system.clone();
        self.systems.entry(system.clone()).or_default();
        let Some(text) = event.content.as_deref() else {
            self.retract(&system, &event.id);
            self.record(event, Status::Deleted, None, 0, None);
            return Outcome::Deleted;
        };

        let format = match extract::detect(event, text) {
            Ok(f) => f,
            Err(e) => {
                self.retract(&system, &event.id);
                self.record(event, Status::Skipped, None, 0, Some(e.to_string()));
                return Outcome::Skipped { reason: e.to_string() };
            }
        };
        let component = component_for(&event.path, &self.system_name(&system));
        let ctx = Ctx { catalog: &self.catalog, artifact: event, text, format, component };
        let repo_component = ctx.component.clone();
        let result =
            catch_unwind(AssertUnwindSafe(|| extract::extract(&ctx))).unwrap_or_else(|_| {
                Err(ExtractError::malformed(format, "internal error while reading"))
            });

        match result {
            Ok(facts) => {
                // Only a repository is a component of its own; the system is not a service.
                let facts = if repo_component.name == self.system_name(&system) {
                    facts
                } else {
                    extract::resolve_to_component(facts, &repo_component)
                };
                let n = facts.len();
                let model = self.systems.entry(system.clone()).or_default();
                let touched =
                    model.apply_live(&self.catalog, &event.id, &event.revision, &event.path, facts);
                let changed = touched.is_some();
                if let Some(touched) = touched {
                    self.pending.borrow_mut().entry(system.clone()).or_default().extend(touched);
                }
                tracing::debug!(artifact = %event.id, facts = n, changed, "artifact analyzed");
                self.record(event, Status::Analyzed, Some(format.as_str()), n, None);
                Outcome::Analyzed { facts: n, changed }
            }
            Err(e) => {
                self.retract(&system, &event.id);
                tracing::debug!(artifact = %event.id, format = format.as_str(), "artifact failed");
                self.record(event, Status::Error, Some(format.as_str()), 0, Some(e.to_string()));
                Outcome::Failed { error: e.to_string() }
            }
        }
    }

    fn record(
        &mut self,
        event: &ArtifactEvent,
        status: Status,
        format: Option<&'static str>,
        facts: usize,
        error: Option<String>,
    ) {
        let error = error.map(|e| safe_error(&e));
        let rec = ArtifactRecord {
            id: event.id.clone(),
            path: event.path.clone(),
            source: event.source,
            revision: event.revision.clone(),
            system: event.system.clone(),
            status,
            format,
            facts,
            error,
        };
        self.artifacts.insert(event.id.clone(), rec);
    }

    /// Display name of a system: its configured name, else the organization's for the default
    /// system, else its id.
    pub fn system_name(&self, system: &str) -> String {
        if let Some(name) = self.config.systems.get(system).and_then(|s| s.name.clone()) {
            return name;
        }
        if system == DEFAULT_SYSTEM {
            return self.config.organization.name.clone();
        }
        system.to_string()
    }

    pub fn systems(&self) -> impl Iterator<Item = (&String, &Model)> {
        self.systems.iter()
    }

    pub fn artifacts(&self) -> impl Iterator<Item = &ArtifactRecord> {
        self.artifacts.values()
    }

    /// The resolved model of one system.
    fn retract(&mut self, system: &str, artifact_id: &str) {
        let model = self.systems.entry(system.to_string()).or_default();
        if let Some(touched) = model.retract_live(&self.catalog, artifact_id) {
            self.pending.borrow_mut().entry(system.to_string()).or_default().extend(touched);
        }
    }

    /// Re-evaluate the rules on what a change touched, and replace those anchors' findings.
    /// When a global flag flips (PHI labels in use, design documents present) every anchor is
    /// evaluated again, since the untagged and undocumented rules read them.
    fn flush(&self) {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for (system, touched) in pending {
            self.reevaluate(&system, &touched);
        }
    }

    fn reevaluate(&self, system: &str, touched: &crate::model::Touched) {
        let Some(model) = self.systems.get(system) else { return };
        let view = model.live();
        let mut ctx = RuleContext::new_scoped(
            &self.catalog,
            view,
            &self.config.organization.baa_signed,
            system,
        );
        ctx.has_documents = model.has_documents();
        let flags = (ctx.labels_in_use, ctx.has_documents);
        let mut caches = self.cache.borrow_mut();
        let cache = caches.entry(system.to_string()).or_default();
        let full = self.flags.borrow_mut().insert(system.to_string(), flags) != Some(flags);
        let results = if full {
            cache.clear();
            self.last_evaluated.set(view.entities.len() + view.flows.len());
            rules::evaluate_scoped(&ctx, None)
        } else {
            let scope = rules::Scope::from_touched(view, touched);
            cache.retain(|anchor, _| !scope.covers(anchor));
            self.last_evaluated.set(scope.size());
            rules::evaluate_scoped(&ctx, Some(&scope))
        };
        for (anchor, finding) in results {
            cache.entry(anchor).or_default().push(finding);
        }
        tracing::debug!(system, evaluated = self.last_evaluated.get(), "rules re-evaluated");
    }

    /// How many rule inputs (entities, flows, credentials) the last change re-evaluated.
    pub fn last_evaluated(&self) -> usize {
        self.flush();
        self.last_evaluated.get()
    }

    pub fn view(&self, system: &str) -> Option<ModelView> {
        self.systems.get(system).map(|m| m.view(&self.catalog))
    }

    /// Findings of every system, highest score first, from the incrementally kept cache.
    pub fn findings(&self) -> Vec<Finding> {
        self.flush();
        let mut out = Vec::new();
        for cache in self.cache.borrow().values() {
            out.extend(cache.values().flatten().cloned());
        }
        let mut out = rules::apply_settings(out, &self.config.rules);
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.fingerprint.cmp(&b.fingerprint)));
        out
    }

    /// Findings of one system's resolved model.
    pub fn findings_for(&self, system: &str, view: &ModelView) -> Vec<Finding> {
        let ctx =
            RuleContext::new(&self.catalog, view, &self.config.organization.baa_signed, system);
        let findings = rules::evaluate(&ctx);
        rules::apply_settings(findings, &self.config.rules)
    }

    /// Ids of the systems that have a model.
    pub fn system_ids(&self) -> BTreeSet<String> {
        self.systems.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_drop_quoted_source_and_mask_identifiers() {
        let hcl = " --> HCL parse error in line 8, column 32\n  |\n8 |   endpoint = \"(608) 555-0193\" x\n  |   ^---\n  = expected newline";
        let safe = safe_error(hcl);
        assert!(!safe.contains("555-0193"), "{safe}");
        assert!(safe.contains("line 8, column 32"), "{safe}");
        assert!(safe.contains("expected newline"), "{safe}");
        assert_eq!(safe_error("bad ssn 123-45-6789"), "bad ssn [SSN]");
    }

    #[test]
    fn a_panicking_or_failing_extractor_does_not_stop_other_artifacts() {
        let mut a = Analyzer::new(Config::default());
        let bad =
            ArtifactEvent::new(Source::Files, "broken.tf", "default", "resource \"x\" {".into());
        let good = ArtifactEvent::new(
            Source::Files,
            "design.md",
            "default",
            "We send each patient's name and lab results to Mixpanel.".into(),
        );
        assert!(matches!(a.process(&bad), Outcome::Failed { .. }));
        assert!(matches!(a.process(&good), Outcome::Analyzed { .. }));
        assert!(a.findings().iter().any(|f| f.category == "disclosure_no_baa"));
    }

    #[test]
    fn config_adds_vendors_and_terms_and_switches_rules() {
        let text = "[organization]\nname = \"x\"\n[rules]\ndisabled = [\"tracking_technology\"]\n[rules.severity]\ndisclosure_no_baa = \"low\"\n[[vendors]]\nid = \"faxly\"\nname = \"Faxly\"\ncategory = \"fax\"\n[phi_terms]\nmrn = [\"harbor number\"]\n";
        let config = Config::parse(text, std::path::Path::new("phiflow.toml")).unwrap();
        let mut a = Analyzer::new(config);
        let doc = "We fax each patient's harbor number to Faxly. Mixpanel gets the patient's lab results.";
        a.process(&ArtifactEvent::new(Source::Files, "d.md", "default", doc.into()));
        let findings = a.findings();
        let faxly = findings.iter().find(|f| f.flow.as_ref().is_some_and(|x| x.to.name == "Faxly"));
        let faxly = faxly.expect("the configured vendor is recognized");
        assert_eq!(faxly.severity, crate::findings::Severity::Low);
        assert!(faxly.phi.contains(&crate::catalog::PhiType::Mrn));
        assert!(!findings.iter().any(|f| f.category == "tracking_technology"));
    }

    /// A synthetic system: per unit, a design doc naming a bucket and a vendor flow, the
    /// bucket's Terraform, and a Deployment sharing one of a few database secrets.
    fn unit(i: usize) -> Vec<ArtifactEvent> {
        let doc = format!(
            "# Service {i}\n\nThe `svc-{i}` API keeps each patient's lab results in `bucket-{i}`, \
             which is public-read.\n\nWe send each patient's name and diagnosis to Mixpanel.\n"
        );
        let tf = format!("resource \"aws_s3_bucket\" \"b{i}\" {{\n  bucket = \"bucket-{i}\"\n}}\n");
        let k8s = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db-{}\n                  key: password\n",
            i % 7
        );
        vec![
            ArtifactEvent::new(Source::Files, &format!("docs/svc-{i}.md"), "default", doc),
            ArtifactEvent::new(Source::Files, &format!("infra/b{i}.tf"), "default", tf),
            ArtifactEvent::new(Source::Files, &format!("k8s/svc-{i}.yaml"), "default", k8s),
        ]
    }

    /// The incremental cache and a full evaluation agree, finding by finding.
    fn same(cached: &[Finding], full: &[Finding]) {
        let fps = |f: &[Finding]| f.iter().map(|x| x.fingerprint.clone()).collect::<Vec<_>>();
        assert_eq!(fps(cached), fps(full), "the same findings");
        for (c, f) in cached.iter().zip(full) {
            assert!(c == f, "finding {} differs from a full evaluation", c.fingerprint);
        }
    }

    fn full_evaluation(a: &Analyzer) -> Vec<Finding> {
        let mut all = Vec::new();
        for system in a.system_ids() {
            let view = a.view(&system).unwrap();
            all.extend(a.findings_for(&system, &view));
        }
        all.sort_by(|x, y| y.score.cmp(&x.score).then(x.fingerprint.cmp(&y.fingerprint)));
        all
    }

    #[test]
    fn updating_one_artifact_in_a_large_model_reevaluates_only_what_it_touched() {
        let mut a = Analyzer::new(Config::default());
        for i in 0..300 {
            for e in unit(i) {
                a.process(&e);
            }
        }
        let before = a.findings();
        same(&before, &full_evaluation(&a));

        // Change bucket-200's Terraform: only that bucket and what refers to it are touched.
        let tf = "resource \"aws_s3_bucket\" \"b200\" {\n  bucket = \"bucket-200\"\n  acl = \"private\"\n}\n";
        a.process(&ArtifactEvent::new(Source::Files, "infra/b200.tf", "default", tf.into()));
        assert!(a.last_evaluated() < 30, "re-evaluated {} rule inputs", a.last_evaluated());
        same(&a.findings(), &full_evaluation(&a));

        let doc = ArtifactEvent::new(
            Source::Files,
            "docs/svc-7.md",
            "default",
            "# Service 7\n\nNothing here.\n".into(),
        );
        a.process(&doc);
        assert!(a.last_evaluated() < 30, "re-evaluated {} rule inputs", a.last_evaluated());
        same(&a.findings(), &full_evaluation(&a));
        assert!(!a
            .findings()
            .iter()
            .any(|f| f.subject.as_ref().is_some_and(|s| s.name == "bucket-7")));
    }

    #[test]
    fn tombstones_retract_findings_and_replays_change_nothing() {
        let mut a = Analyzer::new(Config::default());
        let doc = ArtifactEvent::new(
            Source::Files,
            "design.md",
            "default",
            "We send each patient's name and lab results to Mixpanel.".into(),
        );
        a.process(&doc);
        assert_eq!(a.process(&doc), Outcome::Analyzed { facts: 1, changed: false });
        assert!(!a.findings().is_empty());
        let gone = ArtifactEvent::tombstone(Source::Files, &doc.id, &doc.path, "default");
        assert_eq!(a.process(&gone), Outcome::Deleted);
        assert!(a.findings().is_empty());
    }
}
