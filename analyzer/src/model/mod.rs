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
///
/// [`Model::apply`] and [`Model::retract`] only keep facts; [`Model::view`] resolves them all.
/// [`Model::apply_live`] and [`Model::retract_live`] also keep a resolved view up to date,
/// visiting only what the artifact touches: its own contributions, and the artifacts whose prose
/// mentions a name it declares or withdraws (they are resolved again).
#[derive(Debug, Clone, Default)]
pub struct Model {
    artifacts: BTreeMap<String, ArtifactFacts>,
    version: u64,
    live: ModelView,
    /// Name key → artifacts whose prose mentions that name.
    mentions: BTreeMap<String, BTreeSet<String>>,
    /// Artifacts that are design documents (any fact with non-implementation evidence).
    documents: BTreeSet<String>,
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

    /// Replace an artifact's facts and update the live view; returns what changed, or `None`
    /// when the same revision with the same facts was already applied.
    pub fn apply_live(
        &mut self,
        catalog: &Catalog,
        artifact_id: &str,
        revision: &str,
        path: &str,
        facts: Vec<Fact>,
    ) -> Option<Touched> {
        if let Some(old) = self.artifacts.get(artifact_id) {
            if old.revision == revision && old.facts == facts {
                return None;
            }
        }
        let mut before = self.winners_of(artifact_id);
        for name in claim_keys(&facts) {
            let winner = self.live.names.get(&name).cloned();
            before.entry(name).or_insert(winner);
        }
        let mut touched = self.unapply(artifact_id);
        self.index(artifact_id, &facts);
        touched.extend(self.live.add_artifact(catalog, &facts));
        let entry = ArtifactFacts { revision: revision.into(), path: path.into(), facts };
        self.artifacts.insert(artifact_id.to_string(), entry);
        self.version += 1;
        self.reresolve(catalog, artifact_id, before, &mut touched);
        Some(touched)
    }

    /// Retract an artifact (a tombstone) and update the live view.
    pub fn retract_live(&mut self, catalog: &Catalog, artifact_id: &str) -> Option<Touched> {
        self.artifacts.get(artifact_id)?;
        let before = self.winners_of(artifact_id);
        let mut touched = self.unapply(artifact_id);
        self.artifacts.remove(artifact_id);
        self.version += 1;
        self.reresolve(catalog, artifact_id, before, &mut touched);
        Some(touched)
    }

    /// The view [`Model::apply_live`] keeps.
    pub fn live(&self) -> &ModelView {
        &self.live
    }

    /// Whether any current artifact is a design document.
    pub fn has_documents(&self) -> bool {
        !self.documents.is_empty()
    }

    fn unapply(&mut self, artifact_id: &str) -> Touched {
        if let Some(old) = self.artifacts.get(artifact_id) {
            for key in mention_keys(&old.facts) {
                if let Some(set) = self.mentions.get_mut(&key) {
                    set.remove(artifact_id);
                }
            }
        }
        self.documents.remove(artifact_id);
        self.live.remove_artifact(artifact_id)
    }

    fn index(&mut self, artifact_id: &str, facts: &[Fact]) {
        for key in mention_keys(facts) {
            self.mentions.entry(key).or_default().insert(artifact_id.to_string());
        }
        if facts.iter().any(|f| !f.evidence.implementation) {
            self.documents.insert(artifact_id.to_string());
        }
    }

    /// Which entity each name the artifact claims resolves to now.
    fn winners_of(&self, artifact_id: &str) -> BTreeMap<String, Option<String>> {
        let names = self.live.contributions.get(artifact_id).map(|c| c.names.clone());
        names
            .unwrap_or_default()
            .into_iter()
            .map(|n| {
                let w = self.live.names.get(&n).cloned();
                (n, w)
            })
            .collect()
    }

    /// Resolve again the artifacts whose mentions name something whose resolution changed.
    fn reresolve(
        &mut self,
        catalog: &Catalog,
        artifact_id: &str,
        before: BTreeMap<String, Option<String>>,
        touched: &mut Touched,
    ) {
        let mut changed: BTreeSet<String> = BTreeSet::new();
        let after = self.winners_of(artifact_id);
        for name in before.keys().chain(after.keys()) {
            if self.live.names.get(name) != before.get(name).and_then(|w| w.as_ref()) {
                changed.insert(name.clone());
            }
        }
        let dependents: BTreeSet<String> = changed
            .iter()
            .filter_map(|n| self.mentions.get(n))
            .flatten()
            .filter(|a| a.as_str() != artifact_id)
            .cloned()
            .collect();
        for other in dependents {
            let Some(facts) = self.artifacts.get(&other).map(|a| a.facts.clone()) else {
                continue;
            };
            touched.extend(self.live.remove_artifact(&other));
            touched.extend(self.live.add_artifact(catalog, &facts));
        }
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

/// The names a set of facts may claim: entities stated outright, aliases, fallbacks.
fn claim_keys(facts: &[Fact]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let add = |keys: &mut BTreeSet<String>, e: &EntityRef| {
        keys.insert(name_key(&e.name));
    };
    for fact in facts {
        match &fact.claim {
            Claim::Entity(e) => add(&mut keys, e),
            Claim::Alias { name, of } => {
                add(&mut keys, of);
                keys.insert(name_key(name));
            }
            Claim::Flow { from, to, .. } => {
                for t in [from, to] {
                    match t {
                        Target::Known(e) => add(&mut keys, e),
                        Target::Mention { fallback: Some(e), .. } => add(&mut keys, e),
                        Target::Mention { .. } => {}
                    }
                }
            }
            Claim::Attr { subject, .. } => match subject {
                Target::Known(e) => add(&mut keys, e),
                Target::Mention { fallback: Some(e), .. } => add(&mut keys, e),
                Target::Mention { .. } => {}
            },
        }
    }
    keys
}

/// The name keys whose resolution a set of facts depends on: prose mentions (each candidate
/// and its last segment), and the names of entities stated outright, which an alias declared
/// later by another artifact can map onto an existing entity.
fn mention_keys(facts: &[Fact]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for fact in facts {
        let targets: Vec<&Target> = match &fact.claim {
            Claim::Flow { from, to, .. } => vec![from, to],
            Claim::Attr { subject, .. } => vec![subject],
            _ => vec![],
        };
        for t in targets {
            match t {
                Target::Mention { candidates, .. } => {
                    for c in candidates {
                        keys.insert(name_key(c));
                        keys.insert(name_key(c.rsplit(['/', '.']).next().unwrap_or(c)));
                    }
                }
                Target::Known(e) if e.vendor.is_none() => {
                    keys.insert(name_key(&e.name));
                }
                Target::Known(_) => {}
            }
        }
    }
    keys
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
        for flow in view.sources_of(&self.key) {
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
    /// Who claims each name, in order: an entity key with the artifacts that give it the name
    /// (a name usually has one key; many artifacts may claim it). The first key wins; an alias
    /// stated outright goes before names entities merely carry.
    #[serde(skip)]
    claims: BTreeMap<String, Vec<(String, BTreeSet<String>)>>,
    /// Entity key → the artifacts that state or reference it; an entity lives while any does.
    #[serde(skip)]
    refs: BTreeMap<String, BTreeSet<String>>,
    /// Artifact → the entities, flows and names it contributed, so it can be taken back out.
    #[serde(skip)]
    contributions: BTreeMap<String, Touched>,
    /// Flow target → sources, for reading what flows into an entity without a scan.
    #[serde(skip)]
    pub inbound: BTreeMap<String, BTreeSet<String>>,
    /// Credential name → the entities that authenticate with it.
    #[serde(skip)]
    pub credential_users: BTreeMap<String, BTreeSet<String>>,
    /// Entities labelled as holding PHI.
    #[serde(skip)]
    pub tagged: BTreeSet<String>,
}

/// What a change touched: entity keys, flow keys, names and credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub entities: BTreeSet<String>,
    pub flows: BTreeSet<(String, String)>,
    pub names: BTreeSet<String>,
    pub credentials: BTreeSet<String>,
}

impl Touched {
    pub fn extend(&mut self, other: Touched) {
        self.entities.extend(other.entities);
        self.flows.extend(other.flows);
        self.names.extend(other.names);
        self.credentials.extend(other.credentials);
    }

    pub fn is_empty(&self) -> bool {
        self.entities.is_empty() && self.flows.is_empty() && self.credentials.is_empty()
    }
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
            let artifact = fact.evidence.artifact_id.as_str();
            match &fact.claim {
                Claim::Entity(e) => {
                    self.entity(e, artifact).declared.push(fact.evidence.clone());
                }
                Claim::Alias { name, of } => {
                    let key = self.entity(of, artifact).key.clone();
                    self.claim(name_key(name), key.clone(), artifact, true);
                    if let Some(ent) = self.entities.get_mut(&key) {
                        ent.aliases.insert(mask(name));
                    }
                }
                Claim::Flow { from, to, .. } => {
                    for t in [from, to] {
                        if let Target::Known(e) = t {
                            self.entity(e, artifact);
                        }
                    }
                }
                Claim::Attr { subject: Target::Known(e), .. } => {
                    self.entity(e, artifact);
                }
                Claim::Attr { .. } => {}
            }
        }
    }

    /// The entity for `e`, created when new; a more specific kind replaces `Unknown`.
    fn entity(&mut self, e: &EntityRef, artifact: &str) -> &mut Entity {
        let key = entity_key(e);
        let key = self.names.get(&key).cloned().unwrap_or(key);
        self.claim(name_key(&e.name), key.clone(), artifact, false);
        self.refs.entry(key.clone()).or_default().insert(artifact.to_string());
        let mine = self.contributions.entry(artifact.to_string()).or_default();
        mine.entities.insert(key.clone());
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

    /// Record that `artifact` gives entity `key` the name `slug`; `first` puts the claim ahead
    /// of those already made (aliases stated outright).
    fn claim(&mut self, slug: String, key: String, artifact: &str, first: bool) {
        let list = self.claims.entry(slug.clone()).or_default();
        match list.iter_mut().find(|(k, _)| *k == key) {
            Some((_, artifacts)) => {
                artifacts.insert(artifact.to_string());
            }
            None => {
                let entry = (key, BTreeSet::from([artifact.to_string()]));
                if first {
                    list.insert(0, entry);
                } else {
                    list.push(entry);
                }
            }
        }
        let winner = list.first().map(|(k, _)| k.clone());
        if let Some(k) = winner {
            self.names.insert(slug.clone(), k);
        }
        self.contributions.entry(artifact.to_string()).or_default().names.insert(slug);
    }

    /// Resolve a target to an entity key, with the mention it was resolved from.
    fn resolve(
        &mut self,
        catalog: &Catalog,
        t: &Target,
        artifact: &str,
        fits: fn(EntityKind) -> bool,
    ) -> Option<(String, Option<String>)> {
        match t {
            Target::Known(e) => Some((self.entity(e, artifact).key.clone(), None)),
            Target::Mention { candidates, fallback } => {
                for c in candidates {
                    let Some(key) = self.lookup(catalog, c) else { continue };
                    if self.entities.get(&key).is_some_and(|e| fits(e.kind)) {
                        return Some((key, Some(c.clone())));
                    }
                }
                fallback.as_ref().map(|f| (self.entity(f, artifact).key.clone(), None))
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
        let artifact = fact.evidence.artifact_id.as_str();
        match &fact.claim {
            Claim::Flow { from, to, data, full_record } => {
                let (Some((f, rf)), Some((t, rt))) = (
                    self.resolve(catalog, from, artifact, |_| true),
                    self.resolve(catalog, to, artifact, |_| true),
                ) else {
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
                    from: f.clone(),
                    to: t.clone(),
                    supports: Vec::new(),
                    full_record: Vec::new(),
                });
                if *full_record {
                    flow.full_record.push(support.clone());
                }
                flow.supports.push(support);
                self.inbound.entry(t.clone()).or_default().insert(f.clone());
                let mine = self.contributions.entry(artifact.to_string()).or_default();
                mine.flows.insert((f.clone(), t.clone()));
                for key in [&f, &t] {
                    self.refs.entry(key.clone()).or_default().insert(artifact.to_string());
                    mine.entities.insert(key.clone());
                }
            }
            Claim::Attr { subject, attr, data } => {
                let fits = kinds_for(attr);
                let Some((key, resolved_from)) = self.resolve(catalog, subject, artifact, fits)
                else {
                    return;
                };
                self.refs.entry(key.clone()).or_default().insert(artifact.to_string());
                let mine = self.contributions.entry(artifact.to_string()).or_default();
                mine.entities.insert(key.clone());
                match attr {
                    Attr::UsesCredential(c) if !c.is_empty() => {
                        mine.credentials.insert(c.clone());
                        self.credential_users.entry(c.clone()).or_default().insert(key.clone());
                    }
                    Attr::PhiTagged => {
                        self.tagged.insert(key.clone());
                    }
                    _ => {}
                }
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

    /// Add the facts of one artifact revision (its previous facts must be removed first).
    pub fn add_artifact(&mut self, catalog: &Catalog, facts: &[Fact]) -> Touched {
        let refs: Vec<&Fact> = facts.iter().collect();
        self.declare(&refs);
        for fact in facts {
            self.add(catalog, fact);
        }
        let ids: BTreeSet<&str> = facts.iter().map(|f| f.evidence.artifact_id.as_str()).collect();
        let mut touched = Touched::default();
        for id in ids {
            if let Some(c) = self.contributions.get(id) {
                touched.extend(c.clone());
            }
        }
        touched
    }

    /// Take back everything `artifact` contributed: its statements, the entities and flows only
    /// it supported, and its names. Only what it touched is visited.
    pub fn remove_artifact(&mut self, artifact: &str) -> Touched {
        let Some(touched) = self.contributions.remove(artifact) else {
            return Touched::default();
        };
        let from_it = |ev: &Evidence| ev.artifact_id == artifact;
        for key in &touched.flows {
            let Some(flow) = self.flows.get_mut(key) else { continue };
            flow.supports.retain(|s| !from_it(&s.evidence));
            flow.full_record.retain(|s| !from_it(&s.evidence));
            if flow.supports.is_empty() {
                self.flows.remove(key);
                if let Some(set) = self.inbound.get_mut(&key.1) {
                    set.remove(&key.0);
                }
            }
        }
        for key in &touched.entities {
            if let Some(e) = self.entities.get_mut(key) {
                e.declared.retain(|ev| !from_it(ev));
                for supports in e.attrs.values_mut() {
                    supports.retain(|s| !from_it(&s.evidence));
                }
                e.attrs.retain(|_, s| !s.is_empty());
                self.credential_users.values_mut().for_each(|users| {
                    users.remove(key);
                });
                for attr in e.attrs.keys() {
                    if let Attr::UsesCredential(c) = attr {
                        self.credential_users.entry(c.clone()).or_default().insert(key.clone());
                    }
                }
                if !e.attrs.contains_key(&Attr::PhiTagged) {
                    self.tagged.remove(key);
                }
            }
            let gone = self.refs.get_mut(key).is_some_and(|r| {
                r.remove(artifact);
                r.is_empty()
            });
            if gone {
                self.refs.remove(key);
                self.entities.remove(key);
                self.tagged.remove(key);
                self.inbound.remove(key);
            }
        }
        for slug in &touched.names {
            let Some(list) = self.claims.get_mut(slug) else { continue };
            for (_, artifacts) in list.iter_mut() {
                artifacts.remove(artifact);
            }
            list.retain(|(_, artifacts)| !artifacts.is_empty());
            match list.first() {
                Some((k, _)) => {
                    self.names.insert(slug.clone(), k.clone());
                }
                None => {
                    self.claims.remove(slug);
                    self.names.remove(slug);
                }
            }
        }
        touched
    }

    /// Entities that flow into `key`.
    pub fn sources_of<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Flow> + 'a {
        let froms = self.inbound.get(key).into_iter().flatten();
        froms.filter_map(move |f| self.flows.get(&(f.clone(), key.to_string())))
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
