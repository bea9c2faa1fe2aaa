//! The HIPAA rules. Each rule looks at the resolved model and reports findings in one category
//! of DESIGN.md; the rule texts, citations and remediation live in `catalog/rules.toml`.
//!
//! # Scores
//!
//! A finding's score (0–100) is the sum of documented factors, each shown in its explanation:
//!
//! - **rule weight**: 35% of the rule's `base` in `rules.toml`;
//! - **sensitivity** (8–40): identifiers alone 14, health information alone 22, both 30, nothing
//!   typed 8; +10 for sensitive categories (mental health, substance use, sexual health, genetic,
//!   reproductive); +5 for SSNs;
//! - **exposure** (8–30): public 30, vendor without a BAA 25, plaintext over a network 20,
//!   vendor under a BAA 10, internal 8;
//! - **volume** (4–15): whole records or bulk 15, a single record 4;
//! - **controls** (0 to −30): a signed BAA −10; each control stated for the receiving end (or
//!   the subject) that answers the category's risk −5, down to −20: redaction and TLS for
//!   disclosures, audit logging for broad or shared access, consent for tracking and sensitive
//!   uses, encryption at rest for non-production copies.
//!
//! Severity bands: critical ≥ 80, high ≥ 60, medium ≥ 40, low ≥ 20, else info.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{Catalog, PhiType};
use crate::findings::{
    fingerprint, phi_types, EvidenceRef, Explanation, Factor, Finding, FlowRef, Party, Severity,
};
use crate::model::{Attr, Entity, EntityKind, Flow, ModelView, PhiElement, Support};

/// Most pieces of evidence kept on one finding.
pub const MAX_EVIDENCE: usize = 12;

/// What the rules need besides the model.
pub struct RuleContext<'a> {
    pub catalog: &'a Catalog,
    pub view: &'a ModelView,
    /// Whether any entity carries a PHI label (the untagged rule needs labels in use).
    pub labels_in_use: bool,
    /// Whether the system has design documents at all (the undocumented-flow rule needs them).
    pub has_documents: bool,
    pub baa_signed: &'a [String],
    pub system: &'a str,
}

#[derive(Debug, Clone, Copy)]
enum Exposure {
    Public,
    VendorNoBaa,
    Plaintext,
    VendorBaa,
    Internal,
}

impl Exposure {
    fn points(self) -> (i32, &'static str) {
        match self {
            Exposure::Public => (30, "reachable from the public internet"),
            Exposure::VendorNoBaa => (25, "an outside vendor without a signed BAA"),
            Exposure::Plaintext => (20, "readable in transit"),
            Exposure::VendorBaa => (10, "an outside vendor under a signed BAA"),
            Exposure::Internal => (8, "inside the organization"),
        }
    }
}

/// What a rule found, before it becomes a [`Finding`].
struct Draft<'a> {
    category: &'static str,
    identities: Vec<String>,
    flow: Option<(&'a Entity, &'a Entity)>,
    subject: Option<&'a Entity>,
    data: BTreeSet<PhiElement>,
    supports: Vec<&'a Support>,
    reason: String,
    facts: Vec<String>,
    exposure: Exposure,
    bulk: bool,
    baa: bool,
}

/// Evaluate every rule on the model.
pub fn evaluate(ctx: &RuleContext) -> Vec<Finding> {
    let mut findings: Vec<Finding> =
        evaluate_scoped(ctx, None).into_iter().map(|(_, f)| f).collect();
    findings.sort_by(|a, b| b.score.cmp(&a.score).then(a.fingerprint.cmp(&b.fingerprint)));
    findings
}

impl<'a> RuleContext<'a> {
    /// A context for scoped evaluation: the caller supplies `has_documents` (reading it off the
    /// view would visit every entity).
    pub fn new_scoped(
        catalog: &'a Catalog,
        view: &'a ModelView,
        baa_signed: &'a [String],
        system: &'a str,
    ) -> Self {
        let labels_in_use = !view.tagged.is_empty();
        RuleContext { catalog, view, labels_in_use, has_documents: false, baa_signed, system }
    }

    /// A context whose global flags are read off the whole view.
    pub fn new(
        catalog: &'a Catalog,
        view: &'a ModelView,
        baa_signed: &'a [String],
        system: &'a str,
    ) -> Self {
        let labels_in_use = !view.tagged.is_empty();
        let has_documents = view.entities.values().any(|e| documented(view, e));
        RuleContext { catalog, view, labels_in_use, has_documents, baa_signed, system }
    }
}

/// What a change asks the rules to look at again: entities (and the vendors among them),
/// flows, and credentials by name.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub entities: BTreeSet<String>,
    pub flows: BTreeSet<(String, String)>,
    pub credentials: BTreeSet<String>,
}

impl Scope {
    /// The rule inputs a touched set affects: what it touched, the ends of touched flows, the
    /// flows into touched entities (their PHI and documentation changed), and the credentials
    /// those entities use.
    pub fn from_touched(view: &ModelView, touched: &crate::model::Touched) -> Scope {
        let mut scope = Scope {
            entities: touched.entities.clone(),
            flows: touched.flows.clone(),
            credentials: touched.credentials.clone(),
        };
        for (f, t) in &touched.flows {
            scope.entities.insert(f.clone());
            scope.entities.insert(t.clone());
        }
        for key in scope.entities.clone() {
            for flow in view.sources_of(&key) {
                scope.flows.insert((flow.from.clone(), flow.to.clone()));
            }
            if let Some(e) = view.entities.get(&key) {
                for attr in e.attrs.keys() {
                    if let Attr::UsesCredential(c) = attr {
                        scope.credentials.insert(c.clone());
                    }
                }
            }
        }
        scope
    }

    /// Whether a finding's anchor is one of this scope's inputs.
    pub fn covers(&self, anchor: &str) -> bool {
        let Some((family, rest)) = anchor.split_once(':') else { return false };
        let first = rest.split("->").next().unwrap_or(rest);
        match family {
            "vendor" | "entity" => self.entities.contains(first),
            "flow" => rest
                .split_once("->")
                .is_some_and(|(f, t)| self.flows.contains(&(f.to_string(), t.to_string()))),
            "cred" => {
                let slug = rest.trim_start_matches("credential:");
                self.credentials.iter().any(|c| crate::text::slug(c) == slug)
            }
            _ => false,
        }
    }

    /// How many rule inputs the scope covers.
    pub fn size(&self) -> usize {
        self.entities.len() + self.flows.len() + self.credentials.len()
    }
}

/// Evaluate the rules on the whole model (`None`) or only on what `scope` names. Each finding
/// comes with its anchor: the one rule input it was evaluated from (`vendor:…`, `flow:…`,
/// `entity:…`, `cred:…`), so a caller can replace exactly the findings of re-evaluated anchors.
pub fn evaluate_scoped(ctx: &RuleContext, scope: Option<&Scope>) -> Vec<(String, Finding)> {
    let view = ctx.view;
    let entities: Vec<&Entity> = match scope {
        Some(s) => s.entities.iter().filter_map(|k| view.entities.get(k)).collect(),
        None => view.entities.values().collect(),
    };
    let flows: Vec<&Flow> = match scope {
        Some(s) => s.flows.iter().filter_map(|k| view.flows.get(k)).collect(),
        None => view.flows.values().collect(),
    };
    let credentials: Vec<&str> = match scope {
        Some(s) => s.credentials.iter().map(String::as_str).collect(),
        None => view.credential_users.keys().map(String::as_str).collect(),
    };

    let mut out = Vec::new();
    let mut run = |prefix: &str, drafts: Vec<Draft>| {
        for d in drafts {
            let anchor = format!("{prefix}:{}", d.identities.join("->"));
            if let Some(f) = finish(ctx, d) {
                out.push((anchor, f));
            }
        }
    };
    let mut drafts = Vec::new();
    vendor_rules(ctx, &entities, &mut drafts);
    run("vendor", std::mem::take(&mut drafts));
    full_record_rules(ctx, &flows, &mut drafts);
    undocumented_flow_rules(ctx, &flows, &mut drafts);
    run("flow", std::mem::take(&mut drafts));
    for e in &entities {
        entity_rules(ctx, e, &mut drafts);
        drift_rules(e, &mut drafts);
    }
    run("entity", std::mem::take(&mut drafts));
    shared_credential_rules(ctx, &credentials, &mut drafts);
    run("cred", drafts);
    out
}

/// Apply the config's `[rules]`: drop disabled categories or rule ids, and fix severities where
/// the config says so (the score and its factors stay as computed).
pub fn apply_settings(
    findings: Vec<Finding>,
    settings: &phiflow_pipeline::config::RulesConfig,
) -> Vec<Finding> {
    let off = |f: &Finding| settings.disabled.iter().any(|d| *d == f.category || *d == f.rule_id);
    findings
        .into_iter()
        .filter(|f| !off(f))
        .map(|mut f| {
            let fixed = settings.severity.get(&f.rule_id).or(settings.severity.get(&f.category));
            if let Some(sev) = fixed.and_then(|s| Severity::parse(s)) {
                f.severity = sev;
            }
            f
        })
        .collect()
}

fn flows_into<'a>(view: &'a ModelView, key: &'a str) -> Vec<&'a Flow> {
    view.sources_of(key).collect()
}

fn names(data: &BTreeSet<PhiElement>) -> String {
    let types: Vec<&str> = phi_types(data.iter()).iter().map(|t| t.as_str()).collect();
    types.join(", ")
}

/// Disclosure, tracking, telemetry, notification and sensitive-category rules: PHI reaching a
/// vendor.
fn vendor_rules<'a>(ctx: &RuleContext<'a>, entities: &[&'a Entity], out: &mut Vec<Draft<'a>>) {
    for &vendor_entity in entities {
        let Some(vendor) =
            vendor_entity.vendor.as_deref().and_then(|v| ctx.catalog.vendor_by_id(v))
        else {
            continue;
        };
        let flows = flows_into(ctx.view, &vendor_entity.key);
        let data: BTreeSet<PhiElement> = flows.iter().flat_map(|f| f.data()).collect();
        if data.is_empty() {
            continue;
        }
        // The sender: prefer the flow that code or infrastructure shows, then the richest.
        let source = flows
            .iter()
            .max_by_key(|f| {
                let implemented = f.supports.iter().any(|s| s.evidence.implementation);
                (implemented, f.data().len(), f.supports.len())
            })
            .and_then(|f| ctx.view.entities.get(&f.from))
            .unwrap_or(vendor_entity);
        let supports: Vec<&Support> = flows.iter().flat_map(|f| f.supports.iter()).collect();
        let covered = ctx.catalog.baa_covers(&vendor.id, ctx.baa_signed);
        let types = names(&data);
        let mut push = |category: &'static str, reason: String, exposure: Exposure| {
            out.push(Draft {
                category,
                identities: vec![vendor_entity.key.clone()],
                flow: Some((source, vendor_entity)),
                subject: None,
                data: data.clone(),
                supports: supports.clone(),
                reason,
                facts: vec![format!(
                    "{} sends {} to {} ({}, BAA {})",
                    source.name,
                    types,
                    vendor.name,
                    vendor.category.replace('_', " "),
                    if covered { "signed" } else { "not signed" }
                )],
                exposure,
                bulk: false,
                baa: covered,
            });
        };
        let vendor_exposure = if covered { Exposure::VendorBaa } else { Exposure::VendorNoBaa };
        if !covered {
            let offered = match vendor.baa.as_str() {
                "not_offered" => "the vendor does not offer one",
                "offered" => "the vendor offers one",
                _ => "whether the vendor offers one is unverified",
            };
            push(
                "disclosure_no_baa",
                format!("{types} reach {} and no signed BAA covers it ({offered})", vendor.name),
                Exposure::VendorNoBaa,
            );
        }
        if vendor.is_tracking() {
            push(
                "tracking_technology",
                format!("{} ({}) observes {types}", vendor.name, vendor.category.replace('_', " ")),
                vendor_exposure,
            );
        }
        if vendor.is_telemetry() {
            push(
                "telemetry_disclosure",
                format!("{} telemetry carries {types}", vendor.name),
                vendor_exposure,
            );
        }
        // A notification's content is what its own statements name, not the PHI around them.
        let content: BTreeSet<PhiElement> = supports
            .iter()
            .filter(|s| !s.evidence.phi_from_context)
            .flat_map(|s| s.data.iter().cloned())
            .collect();
        let clinical = content.iter().any(|d| {
            (d.kind.is_health() && d.kind != PhiType::Appointment)
                || matches!(d.kind, PhiType::Ssn | PhiType::Mrn | PhiType::HealthPlanId)
        });
        if vendor.is_notification() && clinical {
            push(
                "notification_disclosure",
                format!("{} notifications carry {types}", vendor.name),
                vendor_exposure,
            );
        }
        if data.iter().any(|d| d.kind.is_sensitive()) {
            push(
                "sensitive_category",
                format!("specially protected {types} reach {}", vendor.name),
                vendor_exposure,
            );
        }
    }
}

/// Minimum necessary: whole records sent to a party whose purpose needs a subset.
fn full_record_rules<'a>(ctx: &RuleContext<'a>, flows: &[&'a Flow], out: &mut Vec<Draft<'a>>) {
    for &flow in flows {
        if flow.full_record.is_empty() {
            continue;
        }
        let (Some(from), Some(to)) =
            (ctx.view.entities.get(&flow.from), ctx.view.entities.get(&flow.to))
        else {
            continue;
        };
        let data: BTreeSet<PhiElement> =
            flow.full_record.iter().flat_map(|s| s.data.iter().cloned()).collect();
        if data.is_empty() {
            continue;
        }
        let covered =
            to.vendor.as_deref().is_some_and(|v| ctx.catalog.baa_covers(v, ctx.baa_signed));
        out.push(Draft {
            category: "minimum_necessary",
            identities: vec![flow.from.clone(), flow.to.clone()],
            flow: Some((from, to)),
            subject: None,
            data: data.clone(),
            supports: flow.full_record.iter().collect(),
            reason: format!(
                "whole records ({}) go to {} where a subset would serve",
                names(&data),
                to.name
            ),
            facts: vec![format!("{} sends full records to {}", from.name, to.name)],
            exposure: if to.kind == EntityKind::Vendor && !covered {
                Exposure::VendorNoBaa
            } else {
                Exposure::VendorBaa
            },
            bulk: true,
            baa: covered,
        });
    }
}

/// Rules about one entity's attributes.
fn entity_rules<'a>(ctx: &RuleContext<'a>, e: &'a Entity, out: &mut Vec<Draft<'a>>) {
    let phi = e.phi(ctx.view);
    let tagged = e.has(&Attr::PhiTagged);
    let holds_phi = !phi.is_empty() || tagged;
    let phi_supports: Vec<&Support> =
        [Attr::HoldsPhi, Attr::PhiTagged].iter().filter_map(|a| e.attrs.get(a)).flatten().collect();
    let broad: Vec<(&Attr, &Vec<Support>)> =
        e.attrs.iter().filter(|(a, _)| matches!(a, Attr::BroadAccess(_))).collect();
    let broad_data: BTreeSet<PhiElement> =
        broad.iter().flat_map(|(_, s)| s.iter().flat_map(|x| x.data.iter().cloned())).collect();
    if !broad_data.is_empty() {
        let scopes: Vec<String> = broad
            .iter()
            .filter_map(|(a, _)| match a {
                Attr::BroadAccess(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            })
            .collect();
        let supports: Vec<&Support> = broad.iter().flat_map(|(_, s)| s.iter()).collect();
        out.push(Draft {
            category: "unscoped_access",
            identities: vec![e.key.clone()],
            flow: None,
            subject: Some(e),
            data: broad_data.clone(),
            supports,
            reason: format!(
                "{} can read all of {} ({})",
                e.name,
                scopes.join(", "),
                names(&broad_data)
            ),
            facts: vec![format!("{} holds broad grants on {}", e.name, scopes.join(", "))],
            exposure: Exposure::Internal,
            bulk: true,
            baa: false,
        });
    }
    let mut draft = |category: &'static str,
                     attr: &Attr,
                     data: BTreeSet<PhiElement>,
                     reason: String,
                     exposure: Exposure| {
        let mut supports: Vec<&Support> =
            e.attrs.get(attr).map(|s| s.iter().collect()).unwrap_or_default();
        supports.extend(phi_supports.iter().copied());
        out.push(Draft {
            category,
            identities: vec![e.key.clone()],
            flow: None,
            subject: Some(e),
            data,
            supports,
            reason,
            facts: vec![format!("{} ({}) is {}", e.name, e.kind.as_str(), attr_words(attr))],
            exposure,
            bulk: false,
            baa: false,
        });
    };
    let attr_data = |attr: &Attr| -> BTreeSet<PhiElement> {
        e.attrs.get(attr).into_iter().flatten().flat_map(|s| s.data.iter().cloned()).collect()
    };
    let phi_text = if phi.is_empty() { "PHI (labelled)".to_string() } else { names(&phi) };

    if holds_phi && e.has(&Attr::Public) {
        draft(
            "public_exposure",
            &Attr::Public,
            phi.clone(),
            format!("{} holds {phi_text} and is readable by anyone", e.name),
            Exposure::Public,
        );
    }
    // Code and infrastructure say how things are now: a document that still calls a store
    // unencrypted, once its Terraform encrypts it, is drift (reported below), not a live risk.
    let settled_by_code = |absent: &Attr, present: &Attr| {
        let shown =
            |a: &Attr| e.attrs.get(a).is_some_and(|s| s.iter().any(|x| x.evidence.implementation));
        !shown(absent) && shown(present)
    };
    if holds_phi
        && e.has(&Attr::UnencryptedAtRest)
        && !settled_by_code(&Attr::UnencryptedAtRest, &Attr::EncryptedAtRest)
    {
        draft(
            "unencrypted_storage",
            &Attr::UnencryptedAtRest,
            phi.clone(),
            format!("{} stores {phi_text} without encryption at rest", e.name),
            Exposure::Internal,
        );
    }
    if holds_phi
        && e.has(&Attr::Plaintext)
        && !settled_by_code(&Attr::Plaintext, &Attr::EncryptedInTransit)
    {
        draft(
            "unencrypted_transport",
            &Attr::Plaintext,
            phi.clone(),
            format!("{phi_text} reach {} over a plaintext channel", e.name),
            Exposure::Plaintext,
        );
    }
    if holds_phi && e.has(&Attr::Unauthenticated) {
        draft(
            "unauthenticated_endpoint",
            &Attr::Unauthenticated,
            phi.clone(),
            format!("{} serves {phi_text} without authentication", e.name),
            Exposure::Public,
        );
    }
    let simple: [(&Attr, &'static str, &str, Exposure); 5] = [
        (&Attr::LogsPhi, "phi_in_logs", "writes {} to logs", Exposure::Internal),
        (
            &Attr::NoAuditTrail,
            "missing_audit_log",
            "gives access to {} with no audit trail of who read what",
            Exposure::Internal,
        ),
        (
            &Attr::ProdCopyInNonProd,
            "phi_in_nonprod",
            "copies production {} outside production",
            Exposure::Internal,
        ),
        (
            &Attr::Marketing,
            "missing_authorization",
            "uses {} for marketing or sale without a recorded authorization",
            Exposure::Internal,
        ),
        (
            &Attr::UsesCredential(String::new()),
            "shared_credentials",
            "shares one identity across several actors, with access to {}",
            Exposure::Internal,
        ),
    ];
    for (attr, category, words, exposure) in simple {
        if !e.has(attr) {
            continue;
        }
        let mut data = attr_data(attr);
        if data.is_empty() && *attr == Attr::NoAuditTrail {
            data = phi.clone();
        }
        // Audit logging that code or infrastructure shows, or consent recorded for the use,
        // answers the concern.
        let answered = match attr {
            Attr::NoAuditTrail => settled_by_code(&Attr::NoAuditTrail, &Attr::AuditLogged),
            Attr::Marketing => e.has(&Attr::Consented),
            _ => false,
        };
        if answered {
            continue;
        }
        if data.is_empty() {
            continue;
        }
        let reason = format!("{} {}", e.name, words.replace("{}", &names(&data)));
        draft(category, attr, data, reason, exposure);
    }
    let identifiers: BTreeSet<PhiElement> =
        attr_data(&Attr::ClaimedDeidentified).into_iter().filter(|d| !d.kind.is_health()).collect();
    if !identifiers.is_empty() {
        draft(
            "reidentification_risk",
            &Attr::ClaimedDeidentified,
            identifiers.clone(),
            format!("data called de-identified keeps {}", names(&identifiers)),
            Exposure::Internal,
        );
    }
    let labels_in_use = ctx.labels_in_use;
    if !phi.is_empty() && !tagged && e.has(&Attr::Untagged) && labels_in_use {
        draft(
            "untagged_phi",
            &Attr::Untagged,
            phi.clone(),
            format!(
                "{} holds {} but carries no PHI label, while other resources are labelled",
                e.name,
                names(&phi)
            ),
            Exposure::Internal,
        );
    }
}

fn attr_words(attr: &Attr) -> String {
    match attr {
        Attr::HoldsPhi => "holding PHI".into(),
        Attr::Public => "publicly readable".into(),
        Attr::UnencryptedAtRest => "unencrypted at rest".into(),
        Attr::EncryptedAtRest => "encrypted at rest".into(),
        Attr::Plaintext => "reached over plaintext".into(),
        Attr::EncryptedInTransit => "reached over TLS".into(),
        Attr::Unauthenticated => "unauthenticated".into(),
        Attr::LogsPhi => "logging PHI".into(),
        Attr::NoAuditTrail => "without an audit trail".into(),
        Attr::UsesCredential(c) if c.is_empty() => "sharing one identity".into(),
        Attr::UsesCredential(c) => format!("using credential {c}"),
        Attr::BroadAccess(s) => format!("granted all of {s}"),
        Attr::PhiTagged => "labelled PHI".into(),
        Attr::Untagged => "labelled without a PHI class".into(),
        Attr::FullRecord => "sending full records".into(),
        Attr::ProdCopyInNonProd => "holding a production copy".into(),
        Attr::Marketing => "used for marketing".into(),
        Attr::ClaimedDeidentified => "called de-identified".into(),
        Attr::Redacted => "redacting PHI".into(),
        Attr::AuditLogged => "audit-logged".into(),
        Attr::Consented => "covered by patient consent".into(),
    }
}

/// Words in a secret's name that say it is a login to a data store.
const LOGIN_WORDS: &[&str] = &[
    "db",
    "database",
    "postgres",
    "pg",
    "mysql",
    "sql",
    "mongo",
    "password",
    "login",
    "cred",
    "credentials",
    "rw",
    "ro",
    "admin",
    "user",
];

/// One credential used by several workloads.
fn shared_credential_rules<'a>(
    ctx: &RuleContext<'a>,
    credentials: &[&str],
    out: &mut Vec<Draft<'a>>,
) {
    let mut users: BTreeMap<&str, Vec<(&'a Entity, &'a Vec<Support>)>> = BTreeMap::new();
    for &name in credentials {
        let Some(keys) = ctx.view.credential_users.get(name) else { continue };
        let attr = Attr::UsesCredential(name.to_string());
        for key in keys {
            let Some(e) = ctx.view.entities.get(key) else { continue };
            if let Some((Attr::UsesCredential(n), supports)) = e.attrs.get_key_value(&attr) {
                users.entry(n.as_str()).or_default().push((e, supports));
            }
        }
    }
    for (credential, list) in users {
        if list.len() < 2 {
            continue;
        }
        let login =
            crate::text::words(credential).iter().any(|t| LOGIN_WORDS.contains(&t.word.as_str()));
        let data: BTreeSet<PhiElement> = list.iter().flat_map(|(e, _)| e.phi(ctx.view)).collect();
        if !login && data.is_empty() {
            continue;
        }
        let key = crate::text::slug(credential);
        let Some(subject) = ctx.view.entities.get(&key).or(list.first().map(|(e, _)| *e)) else {
            continue;
        };
        let who: Vec<&str> = list.iter().map(|(e, _)| e.name.as_str()).collect();
        out.push(Draft {
            category: "shared_credentials",
            identities: vec![format!("credential:{key}")],
            flow: None,
            subject: Some(subject),
            data,
            supports: list.iter().flat_map(|(_, s)| s.iter()).collect(),
            reason: format!("{} all authenticate as {credential}", who.join(", ")),
            facts: who.iter().map(|w| format!("{w} uses credential {credential}")).collect(),
            exposure: Exposure::Internal,
            bulk: false,
            baa: false,
        });
    }
}

/// Whether any design document (not code or infrastructure) speaks of the entity.
fn documented(view: &ModelView, e: &Entity) -> bool {
    let prose = |ev: &crate::model::Evidence| !ev.implementation;
    e.declared.iter().any(prose)
        || e.attrs.values().flatten().any(|s| prose(&s.evidence))
        || view.sources_of(&e.key).flat_map(|f| f.supports.iter()).any(|s| prose(&s.evidence))
}

/// PHI flows to an outside party that only code or infrastructure shows, in a system that has
/// design documents at all (a bare checkout has nothing to disagree with).
fn undocumented_flow_rules<'a>(
    ctx: &RuleContext<'a>,
    flows: &[&'a Flow],
    out: &mut Vec<Draft<'a>>,
) {
    if !ctx.has_documents {
        return;
    }
    for &flow in flows {
        let (Some(from), Some(to)) =
            (ctx.view.entities.get(&flow.from), ctx.view.entities.get(&flow.to))
        else {
            continue;
        };
        let outside = matches!(to.kind, EntityKind::Vendor | EntityKind::ExternalParty);
        let data = flow.data();
        if !outside || data.is_empty() || documented(ctx.view, to) {
            continue;
        }
        out.push(Draft {
            category: "undocumented_flow",
            identities: vec![flow.from.clone(), flow.to.clone()],
            flow: Some((from, to)),
            subject: None,
            data: data.clone(),
            supports: flow.supports.iter().collect(),
            reason: format!(
                "{} sends {} to {} in code or infrastructure, and no design document mentions {}",
                from.name,
                names(&data),
                to.name,
                to.name
            ),
            facts: vec![format!("only implementation artifacts show {} → {}", from.name, to.name)],
            exposure: Exposure::VendorBaa,
            bulk: false,
            baa: false,
        });
    }
}

/// A control that one source states and another contradicts, for a PHI-bearing entity.
fn drift_rules<'a>(e: &'a Entity, out: &mut Vec<Draft<'a>>) {
    let pairs = [
        (Attr::Plaintext, Attr::EncryptedInTransit, "TLS in transit"),
        (Attr::UnencryptedAtRest, Attr::EncryptedAtRest, "encryption at rest"),
    ];
    for (absent, present, control) in pairs {
        let (Some(no), Some(yes)) = (e.attrs.get(&absent), e.attrs.get(&present)) else {
            continue;
        };
        let data: BTreeSet<PhiElement> = no.iter().flat_map(|s| s.data.iter().cloned()).collect();
        if data.is_empty() {
            continue;
        }
        let mut supports: Vec<&Support> = no.iter().collect();
        supports.extend(yes.iter());
        let paths = |s: &[Support]| {
            s.iter()
                .map(|x| x.evidence.path.as_str())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push(Draft {
            category: "design_drift",
            identities: vec![e.key.clone(), control.to_string()],
            flow: None,
            subject: Some(e),
            data: data.clone(),
            supports,
            reason: format!(
                "{} states {control} for {} but {} shows it absent",
                paths(yes),
                e.name,
                paths(no)
            ),
            facts: vec![format!(
                "{} is both {} and {}",
                e.name,
                attr_words(&present),
                attr_words(&absent)
            )],
            exposure: Exposure::Internal,
            bulk: false,
            baa: false,
        });
    }
}

fn finish(ctx: &RuleContext, mut d: Draft) -> Option<Finding> {
    // The order statements were added in depends on the order artifacts arrived; the finding
    // must not.
    d.supports.sort_by(|a, b| {
        (&a.evidence.path, a.evidence.line, &a.statement).cmp(&(
            &b.evidence.path,
            b.evidence.line,
            &b.statement,
        ))
    });
    d.facts.sort();
    let rule = ctx.catalog.rule(d.category)?;
    let ids: Vec<&str> = d.identities.iter().map(String::as_str).collect();
    let (score, factors) = score(rule.base, &d);
    let party = |e: &Entity| Party { name: e.name.clone(), kind: e.kind };
    let resolutions: Vec<String> = d
        .supports
        .iter()
        .filter_map(|s| s.resolved_from.as_ref().map(|m| (m, &s.evidence)))
        .map(|(m, ev)| format!("\"{m}\" in {} resolved to a declared entity", ev.path))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    Some(Finding {
        fingerprint: fingerprint(&rule.id, ctx.system, &ids),
        rule_id: rule.id.clone(),
        category: rule.category.clone(),
        title: rule.title.clone(),
        severity: Severity::from_score(score),
        score,
        cfr: rule.cfr.clone(),
        phi: phi_types(d.data.iter()),
        system: ctx.system.to_string(),
        flow: d.flow.map(|(a, b)| FlowRef {
            from: party(a),
            to: party(b),
            data: phi_types(d.data.iter()),
        }),
        subject: d.subject.map(party),
        reason: d.reason,
        evidence: select_evidence(&d.supports),
        remediation: rule.remediation.clone(),
        explanation: Explanation {
            rule: rule.condition.clone(),
            facts: fact_lines(d.facts, &d.supports),
            resolutions,
            evidence_total: d.supports.len(),
            score: factors,
        },
    })
}

/// The rule's summary facts, then what each cited statement claims, where.
fn fact_lines(summary: Vec<String>, supports: &[&Support]) -> Vec<String> {
    let mut lines = summary;
    let mut seen = BTreeSet::new();
    for s in supports {
        let at = s.evidence.line.map(|l| format!(":{l}")).unwrap_or_default();
        let line = format!("{}{} states {}", s.evidence.path, at, s.statement);
        if seen.insert(line.clone()) && lines.len() < MAX_EVIDENCE * 2 {
            lines.push(line);
        }
    }
    lines
}

/// Evidence for a finding: one piece per file first (PHI-bearing statements before bare
/// mentions), then more from the same files, up to [`MAX_EVIDENCE`].
fn select_evidence(supports: &[&Support]) -> Vec<EvidenceRef> {
    let mut sorted: Vec<&Support> = supports.to_vec();
    sorted.sort_by(|a, b| {
        b.data
            .is_empty()
            .cmp(&a.data.is_empty())
            .reverse()
            .then(a.evidence.path.cmp(&b.evidence.path))
            .then(a.evidence.line.cmp(&b.evidence.line))
    });
    sorted
        .dedup_by(|a, b| a.evidence.path == b.evidence.path && a.evidence.line == b.evidence.line);
    let mut seen_paths = BTreeSet::new();
    let (first, rest): (Vec<&Support>, Vec<&Support>) =
        sorted.into_iter().partition(|s| seen_paths.insert(s.evidence.path.clone()));
    first.into_iter().chain(rest).take(MAX_EVIDENCE).map(|s| (&s.evidence).into()).collect()
}

/// Whether a stated control lowers the risk a category is about: redaction lowers what a
/// recipient sees, TLS protects a disclosure in transit, audit logging answers broad or shared
/// access, consent answers uses beyond care. Encryption at rest does not make a public bucket
/// private, so it lowers nothing here but copies outside production.
fn mitigates(control: &Attr, category: &str) -> bool {
    const DISCLOSURES: &[&str] = &[
        "disclosure_no_baa",
        "tracking_technology",
        "telemetry_disclosure",
        "notification_disclosure",
        "minimum_necessary",
        "sensitive_category",
        "undocumented_flow",
    ];
    match control {
        Attr::Redacted => DISCLOSURES.contains(&category) || category == "phi_in_logs",
        Attr::EncryptedInTransit => DISCLOSURES.contains(&category),
        Attr::EncryptedAtRest => category == "phi_in_nonprod",
        Attr::AuditLogged => matches!(category, "unscoped_access" | "shared_credentials"),
        Attr::Consented => {
            matches!(category, "tracking_technology" | "sensitive_category" | "disclosure_no_baa")
        }
        _ => false,
    }
}

fn score(base: u32, d: &Draft) -> (u32, Vec<Factor>) {
    let types: BTreeSet<PhiType> = d.data.iter().map(|e| e.kind).collect();
    let ids = types.iter().any(|t| !t.is_health());
    let health = types.iter().any(|t| t.is_health());
    let mut sensitivity = match (ids, health) {
        (true, true) => 30,
        (false, true) => 22,
        (true, false) => 14,
        _ => 8,
    };
    let mut why = match (ids, health) {
        (true, true) => "identifiers with health information".to_string(),
        (false, true) => "health information".to_string(),
        (true, false) => "identifiers only".to_string(),
        _ => "PHI of unstated type".to_string(),
    };
    if types.iter().any(|t| t.is_sensitive()) {
        sensitivity += 10;
        why.push_str("; a specially protected category");
    }
    if types.contains(&PhiType::Ssn) {
        sensitivity += 5;
        why.push_str("; SSNs");
    }
    let sensitivity = sensitivity.min(40);
    let (exposure, exposure_why) = d.exposure.points();
    let (volume, volume_why) =
        if d.bulk { (15, "whole records or bulk access") } else { (4, "per-record") };
    let mut controls = 0;
    let mut controls_why = Vec::new();
    if d.baa {
        controls -= 10;
        controls_why.push("BAA signed");
    }
    // Controls stated on the receiving end (or the subject) lower the risk a little each.
    let target = d.flow.map(|(_, to)| to).or(d.subject);
    let stated = [
        (Attr::Redacted, "redaction stated"),
        (Attr::EncryptedAtRest, "encryption at rest stated"),
        (Attr::EncryptedInTransit, "TLS stated"),
        (Attr::AuditLogged, "audit logging stated"),
        (Attr::Consented, "patient consent stated"),
    ];
    for (attr, why) in stated {
        if !mitigates(&attr, d.category) {
            continue;
        }
        if target.is_some_and(|e| e.has(&attr)) && controls > -20 {
            controls -= 5;
            controls_why.push(why);
        }
    }
    let weight = (base as f64 * 0.35).round() as i32;
    let total = (weight + sensitivity + exposure + volume + controls).clamp(0, 100) as u32;
    let factors = vec![
        Factor {
            name: "rule weight",
            points: weight,
            why: format!("35% of the rule's base {base}"),
        },
        Factor { name: "sensitivity", points: sensitivity, why },
        Factor { name: "exposure", points: exposure, why: exposure_why.to_string() },
        Factor { name: "volume", points: volume, why: volume_why.to_string() },
        Factor {
            name: "controls",
            points: controls,
            why: if controls_why.is_empty() {
                "none that reduce the risk".into()
            } else {
                controls_why.join(", ")
            },
        },
    ];
    (total, factors)
}

#[cfg(test)]
mod tests;
