//! The threat model of a system: entities, flows and attributes, built from the facts of the
//! current revision of every artifact mapped to the system.
//!
//! [`Model`] keeps facts per artifact, so a new revision replaces exactly that artifact's facts
//! and a tombstone retracts them; a fact lives while any current artifact supports it.
//! [`Model::view`] resolves the facts into entities and flows: names declared by structured
//! artifacts (a Terraform bucket, a Kubernetes Deployment, a SQL role) form the dictionary that
//! prose mentions are resolved against, and each resolution is recorded so it can be explained.

pub mod fact;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use fact::{Attr, Claim, EntityKind, EntityRef, Evidence, Fact, PhiElement, Target};

use crate::catalog::Catalog;
use crate::mask::mask;
use crate::text::slug;

/// The facts of one artifact revision.
#[derive(Debug, Clone, Serialize)]
pub struct ArtifactFacts {
    pub revision: String,
    pub path: String,
    pub facts: Vec<Fact>,
}

/// Facts per artifact for one system, and a version that counts changes.
#[derive(Debug, Clone, Default)]
pub struct Model {
    artifacts: BTreeMap<String, ArtifactFacts>,
    version: u64,
}

impl Model {
    /// Replace the facts of `artifact_id` with those of a new revision. Returns whether the
    /// model changed (the same revision applied twice changes nothing).
    pub fn apply(
        &mut self,
        artifact_id: &str,
        revision: &str,
        path: &str,
        facts: Vec<Fact>,
    ) -> bool {
        if let Some(old) = self.artifacts.get(artifact_id) {
            if old.revision == revision && old.facts == facts {
                return false;
            }
        }
        let entry = ArtifactFacts { revision: revision.into(), path: path.into(), facts };
        self.artifacts.insert(artifact_id.to_string(), entry);
        self.version += 1;
        true
    }

    /// Retract every fact of `artifact_id` (a tombstone). Returns whether it had any.
    pub fn retract(&mut self, artifact_id: &str) -> bool {
        let had = self.artifacts.remove(artifact_id).is_some();
        if had {
            self.version += 1;
        }
        had
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn artifacts(&self) -> impl Iterator<Item = (&String, &ArtifactFacts)> {
        self.artifacts.iter()
    }

    pub fn fact_count(&self) -> usize {
        self.artifacts.values().map(|a| a.facts.len()).sum()
    }

    /// Resolve the current facts into entities and flows.
    pub fn view(&self, catalog: &Catalog) -> ModelView {
        let all: Vec<&Fact> = self.artifacts.values().flat_map(|a| a.facts.iter()).collect();
        let mut view = ModelView::default();
        view.declare(&all);
        for fact in &all {
            view.add(catalog, fact);
        }
        view
    }
}

/// One supported statement about an entity or flow.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Support {
    pub data: Vec<PhiElement>,
    pub evidence: Evidence,
    /// How a prose mention was resolved to this entity, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_from: Option<String>,
    /// The claim in words, for explanations (`app → Mixpanel carrying name, lab_result`).
    pub statement: String,
}

/// A resolved entity.
#[derive(Debug, Clone, Serialize)]
pub struct Entity {
    pub key: String,
    pub name: String,
    pub kind: EntityKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// Attributes with the statements that support them.
    pub attrs: BTreeMap<Attr, Vec<Support>>,
    /// Statements that the entity exists (declarations, SDK presence).
    pub declared: Vec<Evidence>,
    /// Other names it goes by.
    pub aliases: BTreeSet<String>,
}

impl Entity {
    /// PHI the entity holds, receives or is said to concern.
    pub fn phi(&self, view: &ModelView) -> BTreeSet<PhiElement> {
        let mut out: BTreeSet<PhiElement> = BTreeSet::new();
        for supports in self.attrs.values() {
            for s in supports {
                out.extend(s.data.iter().cloned());
            }
        }
        for flow in view.flows.values().filter(|f| f.to == self.key) {
            out.extend(flow.data());
        }
        out
    }

    pub fn has(&self, attr: &Attr) -> bool {
        self.attrs.contains_key(attr)
    }
}

/// A resolved flow between two entities.
#[derive(Debug, Clone, Serialize)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub supports: Vec<Support>,
    /// Statements that the flow sends whole records.
    pub full_record: Vec<Support>,
}

impl Flow {
    pub fn data(&self) -> BTreeSet<PhiElement> {
        self.supports.iter().flat_map(|s| s.data.iter().cloned()).collect()
    }
}

/// Entities and flows resolved from a model's facts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ModelView {
    pub entities: BTreeMap<String, Entity>,
    pub flows: BTreeMap<(String, String), Flow>,
    /// Alias slug → entity key.
    #[serde(skip)]
    names: BTreeMap<String, String>,
}

/// The key of an entity: vendors by catalog id, everything else by the slug of its name.
pub fn entity_key(e: &EntityRef) -> String {
    match &e.vendor {
        Some(id) => format!("vendor:{id}"),
        None => name_key(&e.name),
    }
}

/// The key of a name: the slug of the name with concrete identifiers masked, so that a
/// diagram box labelled with a patient's SSN never becomes an entity id or name.
pub fn name_key(name: &str) -> String {
    slug(&mask(name))
}

impl ModelView {
    /// First pass: every name stated outright, so prose can be resolved against it.
    fn declare(&mut self, facts: &[&Fact]) {
        for fact in facts {
            match &fact.claim {
                Claim::Entity(e) => {
                    self.entity(e).declared.push(fact.evidence.clone());
                }
                Claim::Alias { name, of } => {
                    let key = self.entity(of).key.clone();
                    self.names.insert(name_key(name), key.clone());
                    if let Some(ent) = self.entities.get_mut(&key) {
                        ent.aliases.insert(mask(name));
                    }
                }
                Claim::Flow { from, to, .. } => {
                    for t in [from, to] {
                        if let Target::Known(e) = t {
                            self.entity(e);
                        }
                    }
                }
                Claim::Attr { subject: Target::Known(e), .. } => {
                    self.entity(e);
                }
                Claim::Attr { .. } => {}
            }
        }
    }

    /// The entity for `e`, created when new; a more specific kind replaces `Unknown`.
    fn entity(&mut self, e: &EntityRef) -> &mut Entity {
        let key = entity_key(e);
        let key = self.names.get(&key).cloned().unwrap_or(key);
        self.names.entry(name_key(&e.name)).or_insert_with(|| key.clone());
        let ent = self.entities.entry(key.clone()).or_insert_with(|| Entity {
            key,
            name: mask(&e.name),
            kind: e.kind,
            vendor: e.vendor.clone(),
            attrs: BTreeMap::new(),
            declared: Vec::new(),
            aliases: BTreeSet::new(),
        });
        if ent.kind == EntityKind::Unknown && e.kind != EntityKind::Unknown {
            ent.kind = e.kind;
        }
        ent
    }

    /// Resolve a target to an entity key, with the mention it was resolved from.
    fn resolve(
        &mut self,
        catalog: &Catalog,
        t: &Target,
        fits: fn(EntityKind) -> bool,
    ) -> Option<(String, Option<String>)> {
        match t {
            Target::Known(e) => Some((self.entity(e).key.clone(), None)),
            Target::Mention { candidates, fallback } => {
                for c in candidates {
                    let Some(key) = self.lookup(catalog, c) else { continue };
                    if self.entities.get(&key).is_some_and(|e| fits(e.kind)) {
                        return Some((key, Some(c.clone())));
                    }
                }
                fallback.as_ref().map(|f| (self.entity(f).key.clone(), None))
            }
        }
    }

    /// A mention to a known entity: the whole name, its last path segment, or a vendor.
    fn lookup(&self, catalog: &Catalog, mention: &str) -> Option<String> {
        let last = mention.rsplit(['/', '.']).next().unwrap_or(mention);
        for variant in [mention, last] {
            if let Some(key) = self.names.get(&name_key(variant)) {
                return Some(key.clone());
            }
        }
        let hits = catalog.find_vendors(mention);
        let only = hits.first().filter(|h| h.span == (0, mention.len()))?;
        let key = format!("vendor:{}", catalog.vendors[only.vendor].id);
        self.entities.contains_key(&key).then_some(key)
    }

    fn add(&mut self, catalog: &Catalog, fact: &Fact) {
        match &fact.claim {
            Claim::Flow { from, to, data, full_record } => {
                let (Some((f, rf)), Some((t, rt))) =
                    (self.resolve(catalog, from, |_| true), self.resolve(catalog, to, |_| true))
                else {
                    return;
                };
                if f == t {
                    return;
                }
                let statement = format!(
                    "{} → {}{}{}",
                    self.name_of(&f),
                    self.name_of(&t),
                    data_words(data),
                    if *full_record { " (whole records)" } else { "" }
                );
                let support = Support {
                    data: data.clone(),
                    evidence: fact.evidence.clone(),
                    resolved_from: rf.or(rt),
                    statement,
                };
                let flow = self.flows.entry((f.clone(), t.clone())).or_insert_with(|| Flow {
                    from: f,
                    to: t,
                    supports: Vec::new(),
                    full_record: Vec::new(),
                });
                if *full_record {
                    flow.full_record.push(support.clone());
                }
                flow.supports.push(support);
            }
            Claim::Attr { subject, attr, data } => {
                let fits = kinds_for(attr);
                let Some((key, resolved_from)) = self.resolve(catalog, subject, fits) else {
                    return;
                };
                let statement =
                    format!("{}: {}{}", self.name_of(&key), attr.tag(), data_words(data));
                let support = Support {
                    data: data.clone(),
                    evidence: fact.evidence.clone(),
                    resolved_from,
                    statement,
                };
                if let Some(e) = self.entities.get_mut(&key) {
                    e.attrs.entry(attr.clone()).or_default().push(support);
                }
            }
            Claim::Entity(_) | Claim::Alias { .. } => {}
        }
    }

    fn name_of(&self, key: &str) -> String {
        self.entities.get(key).map(|e| e.name.clone()).unwrap_or_else(|| key.to_string())
    }

    pub fn entity_by_key(&self, key: &str) -> Option<&Entity> {
        self.entities.get(key)
    }
}

fn data_words(data: &[PhiElement]) -> String {
    if data.is_empty() {
        return String::new();
    }
    let kinds: BTreeSet<&str> = data.iter().map(|d| d.kind.as_str()).collect();
    format!(" carrying {}", kinds.into_iter().collect::<Vec<_>>().join(", "))
}

/// Which kinds of entity a prose statement of `attr` can be about: "public-read" is said of a
/// store or an endpoint, never of the service that happens to be named nearby.
fn kinds_for(attr: &Attr) -> fn(EntityKind) -> bool {
    use EntityKind as K;
    match attr {
        Attr::Public
        | Attr::UnencryptedAtRest
        | Attr::EncryptedAtRest
        | Attr::PhiTagged
        | Attr::Untagged => |k| matches!(k, K::DataStore | K::Endpoint | K::Queue),
        Attr::Plaintext | Attr::Unauthenticated | Attr::EncryptedInTransit => {
            |k| matches!(k, K::Endpoint | K::Service | K::DataStore | K::Queue | K::Vendor)
        }
        Attr::BroadAccess(_) | Attr::UsesCredential(_) => {
            |k| matches!(k, K::Principal | K::Credential | K::Job | K::Service | K::Role)
        }
        Attr::NoAuditTrail | Attr::AuditLogged => {
            |k| matches!(k, K::DataStore | K::Principal | K::Credential | K::Service | K::Job)
        }
        Attr::LogsPhi
        | Attr::ProdCopyInNonProd
        | Attr::Marketing
        | Attr::ClaimedDeidentified
        | Attr::HoldsPhi
        | Attr::FullRecord
        | Attr::Redacted
        | Attr::Consented => |k| k != K::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(artifact: &str, line: u32) -> Evidence {
        Evidence {
            artifact_id: artifact.into(),
            revision: "r1".into(),
            path: artifact.into(),
            uri: None,
            line: Some(line),
            excerpt: String::new(),
            implementation: false,
            phi_from_context: false,
        }
    }

    fn bucket() -> EntityRef {
        EntityRef::new("kp-prod-lab-result-pdfs", EntityKind::DataStore)
    }

    #[test]
    fn prose_mentions_resolve_to_declared_names_and_aliases() {
        let catalog = Catalog::builtin();
        let mut model = Model::default();
        let tf = vec![
            Fact { claim: Claim::Entity(bucket()), evidence: ev("tf", 1) },
            Fact {
                claim: Claim::Alias { name: "lab_result_pdfs".into(), of: bucket() },
                evidence: ev("tf", 1),
            },
        ];
        model.apply("tf", "r1", "tf", tf);
        let mention = |c: &str| Target::Mention { candidates: vec![c.into()], fallback: None };
        let prose = vec![
            Fact {
                claim: Claim::Attr {
                    subject: mention("aws_s3_bucket.lab_result_pdfs"),
                    attr: Attr::Public,
                    data: vec![],
                },
                evidence: ev("slack", 3),
            },
            Fact {
                claim: Claim::Attr {
                    subject: mention("some-other-thing"),
                    attr: Attr::Public,
                    data: vec![],
                },
                evidence: ev("slack", 4),
            },
        ];
        model.apply("slack", "r1", "slack", prose);
        let view = model.view(&catalog);
        let e = view.entity_by_key("kp-prod-lab-result-pdfs").unwrap();
        let supports = &e.attrs[&Attr::Public];
        assert_eq!(supports.len(), 1);
        assert_eq!(supports[0].resolved_from.as_deref(), Some("aws_s3_bucket.lab_result_pdfs"));
        assert_eq!(view.entities.len(), 1, "unresolved mentions create nothing");
    }

    #[test]
    fn a_new_revision_replaces_and_a_tombstone_retracts() {
        let catalog = Catalog::builtin();
        let mut model = Model::default();
        let public = |line| Fact {
            claim: Claim::Attr {
                subject: Target::Known(bucket()),
                attr: Attr::Public,
                data: vec![],
            },
            evidence: ev("tf", line),
        };
        assert!(model.apply("tf", "r1", "tf", vec![public(1)]));
        assert!(!model.apply("tf", "r1", "tf", vec![public(1)]), "same revision is a no-op");
        assert!(model.apply("tf", "r2", "tf", vec![]));
        assert!(model.view(&catalog).entities.is_empty());
        model.apply("tf", "r3", "tf", vec![public(2)]);
        assert!(model.retract("tf"));
        assert!(model.view(&catalog).entities.is_empty());
        assert_eq!(model.version(), 4);
    }
}
