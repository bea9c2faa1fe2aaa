//! One positive and one negative case per rule, on small hand-built fact sets.

use crate::catalog::{Catalog, PhiType};
use crate::findings::Finding;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Evidence, Fact, Model, PhiElement, Target};

use super::{evaluate, RuleContext};

fn ev(path: &str, line: u32, implementation: bool) -> Evidence {
    Evidence {
        artifact_id: format!("files:{path}"),
        revision: "r1".into(),
        path: path.into(),
        uri: None,
        line: Some(line),
        excerpt: format!("line {line}"),
        implementation,
        phi_from_context: false,
    }
}

fn phi(kinds: &[PhiType]) -> Vec<PhiElement> {
    kinds.iter().map(|k| PhiElement { kind: *k, name: k.as_str().into() }).collect()
}

const CLINICAL: &[PhiType] = &[PhiType::Name, PhiType::Date, PhiType::LabResult];

fn service(name: &str) -> EntityRef {
    EntityRef::new(name, EntityKind::Service)
}

fn store(name: &str) -> EntityRef {
    EntityRef::new(name, EntityKind::DataStore)
}

fn vendor(id: &str, name: &str) -> EntityRef {
    EntityRef::vendor(id, name)
}

fn flow(from: EntityRef, to: EntityRef, data: Vec<PhiElement>, full: bool) -> Claim {
    Claim::Flow { from: from.into(), to: to.into(), data, full_record: full }
}

fn attr(subject: EntityRef, attr: Attr, data: Vec<PhiElement>) -> Claim {
    Claim::Attr { subject: Target::Known(subject), attr, data }
}

/// Evaluate facts (claim, implementation evidence?) with the given BAA list.
fn run(claims: Vec<(Claim, bool)>, baa: &[&str]) -> Vec<Finding> {
    let catalog = Catalog::builtin();
    let mut model = Model::default();
    let facts: Vec<Fact> = claims
        .into_iter()
        .enumerate()
        .map(|(i, (claim, implementation))| Fact {
            claim,
            evidence: ev(
                if implementation { "infra/main.tf" } else { "docs/design.md" },
                i as u32 + 1,
                implementation,
            ),
        })
        .collect();
    model.apply("a", "r1", "a", facts);
    let view = model.view(&catalog);
    let baa: Vec<String> = baa.iter().map(|s| s.to_string()).collect();
    evaluate(&RuleContext::new(&catalog, &view, &baa, "s"))
}

fn has(findings: &[Finding], category: &str) -> bool {
    findings.iter().any(|f| f.category == category)
}

#[test]
fn disclosure_no_baa_fires_without_a_baa_and_not_with_one() {
    let c = || {
        vec![(flow(service("app"), vendor("mixpanel", "Mixpanel"), phi(CLINICAL), false), false)]
    };
    assert!(has(&run(c(), &[]), "disclosure_no_baa"));
    assert!(!has(&run(c(), &["mixpanel"]), "disclosure_no_baa"));
}

#[test]
fn disclosure_needs_phi_on_the_flow() {
    let c = vec![(flow(service("app"), vendor("mixpanel", "Mixpanel"), vec![], false), true)];
    assert!(run(c, &[]).is_empty());
}

#[test]
fn parent_baa_covers_the_product() {
    let c = vec![(
        flow(service("app"), vendor("azure-openai", "Azure OpenAI"), phi(CLINICAL), false),
        false,
    )];
    assert!(!has(&run(c, &["microsoft"]), "disclosure_no_baa"));
}

#[test]
fn tracking_technology_for_analytics_not_for_a_support_desk() {
    let c =
        vec![(flow(service("web"), vendor("fullstory", "FullStory"), phi(CLINICAL), false), false)];
    assert!(has(&run(c, &["fullstory"]), "tracking_technology"));
    let c = vec![(flow(service("web"), vendor("zendesk", "Zendesk"), phi(CLINICAL), false), false)];
    assert!(!has(&run(c, &[]), "tracking_technology"));
}

#[test]
fn telemetry_disclosure_for_crash_reporting_only() {
    let c = vec![(flow(service("api"), vendor("sentry", "Sentry"), phi(CLINICAL), false), true)];
    assert!(has(&run(c, &["sentry"]), "telemetry_disclosure"));
    let c =
        vec![(flow(service("api"), vendor("intercom", "Intercom"), phi(CLINICAL), false), true)];
    assert!(!has(&run(c, &[]), "telemetry_disclosure"));
}

#[test]
fn notification_disclosure_needs_clinical_content_not_a_bare_appointment() {
    let c = vec![(
        flow(service("jobs"), vendor("twilio", "Twilio"), phi(&[PhiType::Medication]), false),
        false,
    )];
    assert!(has(&run(c, &["twilio"]), "notification_disclosure"));
    let c = vec![(
        flow(service("jobs"), vendor("twilio", "Twilio"), phi(&[PhiType::Appointment]), false),
        false,
    )];
    assert!(!has(&run(c, &["twilio"]), "notification_disclosure"));
}

#[test]
fn minimum_necessary_for_full_records_only() {
    let payer = EntityRef::new("payer", EntityKind::ExternalParty);
    let c = vec![(flow(service("referrals"), payer.clone(), phi(CLINICAL), true), false)];
    assert!(has(&run(c, &[]), "minimum_necessary"));
    let c = vec![(flow(service("referrals"), payer, phi(CLINICAL), false), false)];
    assert!(!has(&run(c, &[]), "minimum_necessary"));
}

#[test]
fn phi_in_logs_needs_phi_data() {
    let c = vec![(attr(service("api"), Attr::LogsPhi, phi(CLINICAL)), true)];
    assert!(has(&run(c, &[]), "phi_in_logs"));
    let c = vec![(attr(service("api"), Attr::LogsPhi, vec![]), true)];
    assert!(!has(&run(c, &[]), "phi_in_logs"));
}

#[test]
fn phi_in_nonprod_needs_phi_data() {
    let c = vec![(attr(service("notebook"), Attr::ProdCopyInNonProd, phi(CLINICAL)), true)];
    assert!(has(&run(c, &[]), "phi_in_nonprod"));
    let c = vec![(attr(service("notebook"), Attr::ProdCopyInNonProd, vec![]), true)];
    assert!(!has(&run(c, &[]), "phi_in_nonprod"));
}

#[test]
fn unscoped_access_for_broad_grants_on_phi() {
    let role = EntityRef::new("app_rw", EntityKind::Principal);
    let c = vec![(
        attr(role.clone(), Attr::BroadAccess("schema clinical".into()), phi(CLINICAL)),
        true,
    )];
    assert!(has(&run(c, &[]), "unscoped_access"));
    let c = vec![(attr(role, Attr::BroadAccess("schema ref".into()), vec![]), true)];
    assert!(!has(&run(c, &[]), "unscoped_access"));
}

#[test]
fn unauthenticated_endpoint_needs_phi() {
    let ep = EntityRef::new("GET /patients/{id}", EntityKind::Endpoint);
    let c = vec![
        (attr(ep.clone(), Attr::Unauthenticated, vec![]), true),
        (attr(ep.clone(), Attr::HoldsPhi, phi(CLINICAL)), true),
    ];
    assert!(has(&run(c, &[]), "unauthenticated_endpoint"));
    let c = vec![(attr(ep, Attr::Unauthenticated, vec![]), true)];
    assert!(!has(&run(c, &[]), "unauthenticated_endpoint"));
}

#[test]
fn shared_credentials_when_two_workloads_use_one_login() {
    let secret = "care-db-app-rw".to_string();
    let c = vec![
        (attr(service("billing"), Attr::UsesCredential(secret.clone()), vec![]), true),
        (attr(service("reports"), Attr::UsesCredential(secret.clone()), vec![]), true),
    ];
    assert!(has(&run(c, &[]), "shared_credentials"));
    let c = vec![(attr(service("billing"), Attr::UsesCredential(secret), vec![]), true)];
    assert!(!has(&run(c, &[]), "shared_credentials"));
}

#[test]
fn missing_audit_log_needs_phi_behind_it() {
    let role = EntityRef::new("app_rw", EntityKind::Principal);
    let c = vec![(attr(role.clone(), Attr::NoAuditTrail, phi(CLINICAL)), false)];
    assert!(has(&run(c, &[]), "missing_audit_log"));
    let c = vec![(attr(role, Attr::NoAuditTrail, vec![]), false)];
    assert!(!has(&run(c, &[]), "missing_audit_log"));
}

#[test]
fn unencrypted_transport_needs_phi() {
    let ep = EntityRef::new("fax-callback", EntityKind::Endpoint);
    let c = vec![(attr(ep.clone(), Attr::Plaintext, phi(CLINICAL)), true)];
    assert!(has(&run(c, &[]), "unencrypted_transport"));
    let c = vec![(attr(ep, Attr::Plaintext, vec![]), true)];
    assert!(!has(&run(c, &[]), "unencrypted_transport"));
}

#[test]
fn unencrypted_storage_and_public_exposure_need_a_phi_store() {
    let c = vec![
        (attr(store("lab-pdfs"), Attr::UnencryptedAtRest, vec![]), true),
        (attr(store("lab-pdfs"), Attr::Public, vec![]), true),
        (attr(store("lab-pdfs"), Attr::HoldsPhi, phi(&[PhiType::LabResult])), true),
    ];
    let f = run(c, &[]);
    assert!(has(&f, "unencrypted_storage") && has(&f, "public_exposure"));
    let c = vec![
        (attr(store("www"), Attr::UnencryptedAtRest, vec![]), true),
        (attr(store("www"), Attr::Public, vec![]), true),
    ];
    assert!(run(c, &[]).is_empty());
}

#[test]
fn untagged_phi_only_where_labels_are_in_use() {
    let c = vec![
        (attr(store("a"), Attr::HoldsPhi, phi(CLINICAL)), true),
        (attr(store("a"), Attr::Untagged, vec![]), true),
        (attr(store("b"), Attr::PhiTagged, vec![]), true),
    ];
    assert!(has(&run(c, &[]), "untagged_phi"));
    let c = vec![
        (attr(store("a"), Attr::HoldsPhi, phi(CLINICAL)), true),
        (attr(store("a"), Attr::Untagged, vec![]), true),
    ];
    assert!(!has(&run(c, &[]), "untagged_phi"));
}

#[test]
fn missing_authorization_for_marketing_use_of_phi() {
    let c = vec![(attr(service("crm-sync"), Attr::Marketing, phi(CLINICAL)), false)];
    assert!(has(&run(c, &[]), "missing_authorization"));
    let c = vec![(attr(service("crm-sync"), Attr::Marketing, vec![]), false)];
    assert!(!has(&run(c, &[]), "missing_authorization"));
}

#[test]
fn reidentification_risk_needs_kept_identifiers() {
    let c = vec![(
        attr(
            service("research-extract"),
            Attr::ClaimedDeidentified,
            phi(&[PhiType::Date, PhiType::Geographic]),
        ),
        false,
    )];
    assert!(has(&run(c, &[]), "reidentification_risk"));
    let c = vec![(
        attr(service("research-extract"), Attr::ClaimedDeidentified, phi(&[PhiType::LabResult])),
        false,
    )];
    assert!(!has(&run(c, &[]), "reidentification_risk"));
}

#[test]
fn undocumented_flow_when_only_code_shows_the_vendor() {
    let c = vec![
        (flow(service("api"), vendor("bugsnag", "Bugsnag"), phi(CLINICAL), false), true),
        (Claim::Entity(service("api")), false),
    ];
    assert!(has(&run(c, &["bugsnag"]), "undocumented_flow"));
    let c = vec![
        (flow(service("api"), vendor("bugsnag", "Bugsnag"), phi(CLINICAL), false), true),
        (Claim::Entity(vendor("bugsnag", "Bugsnag")), false),
    ];
    assert!(!has(&run(c, &["bugsnag"]), "undocumented_flow"));
}

#[test]
fn design_drift_when_a_document_claims_a_control_the_code_lacks() {
    let ep = EntityRef::new("fax-callback", EntityKind::Endpoint);
    let c = vec![
        (attr(ep.clone(), Attr::Plaintext, phi(CLINICAL)), true),
        (attr(ep.clone(), Attr::EncryptedInTransit, vec![]), false),
    ];
    assert!(has(&run(c, &[]), "design_drift"));
    let c = vec![(attr(ep, Attr::Plaintext, phi(CLINICAL)), true)];
    assert!(!has(&run(c, &[]), "design_drift"));
}

#[test]
fn code_that_encrypts_settles_an_older_document_saying_otherwise() {
    let db = store("records");
    let c = vec![
        (attr(db.clone(), Attr::UnencryptedAtRest, phi(CLINICAL)), false),
        (attr(db.clone(), Attr::EncryptedAtRest, vec![]), true),
    ];
    let f = run(c, &[]);
    assert!(!has(&f, "unencrypted_storage"));
    assert!(has(&f, "design_drift"));
    let c = vec![
        (attr(db.clone(), Attr::UnencryptedAtRest, phi(CLINICAL)), true),
        (attr(db, Attr::EncryptedAtRest, vec![]), false),
    ];
    assert!(has(&run(c, &[]), "unencrypted_storage"));
}

#[test]
fn sensitive_category_when_protected_data_reaches_a_vendor() {
    let c = vec![(
        flow(
            service("app"),
            vendor("zendesk", "Zendesk"),
            phi(&[PhiType::SubstanceUse, PhiType::Name]),
            false,
        ),
        false,
    )];
    assert!(has(&run(c, &["zendesk"]), "sensitive_category"));
    let c = vec![(flow(service("app"), vendor("zendesk", "Zendesk"), phi(CLINICAL), false), false)];
    assert!(!has(&run(c, &["zendesk"]), "sensitive_category"));
}

#[test]
fn fingerprints_survive_unrelated_changes_and_evidence_moves() {
    let base = || {
        vec![(flow(service("app"), vendor("mixpanel", "Mixpanel"), phi(CLINICAL), false), false)]
    };
    let before = run(base(), &[]);
    let mut more = base();
    more.insert(0, (attr(store("other"), Attr::Public, vec![]), true));
    let after = run(more, &[]);
    let fp = |f: &[Finding]| {
        f.iter().find(|x| x.category == "disclosure_no_baa").map(|x| x.fingerprint.clone())
    };
    assert_eq!(fp(&before), fp(&after));
}

#[test]
fn stated_controls_lower_the_score_and_consent_answers_marketing() {
    let app = service("app");
    let base = || vec![(flow(app.clone(), vendor("sentry", "Sentry"), phi(CLINICAL), false), true)];
    let plain = run(base(), &[]);
    let mut with = base();
    with.push((attr(vendor("sentry", "Sentry"), Attr::Redacted, vec![]), false));
    let redacted = run(with, &[]);
    let score =
        |f: &[Finding]| f.iter().find(|x| x.category == "telemetry_disclosure").unwrap().score;
    assert_eq!(score(&plain) - 5, score(&redacted));

    let crm = service("crm-sync");
    let c = vec![
        (attr(crm.clone(), Attr::Marketing, phi(CLINICAL)), false),
        (attr(crm, Attr::Consented, vec![]), false),
    ];
    assert!(!has(&run(c, &[]), "missing_authorization"));
}

#[test]
fn scores_show_their_factors_and_bands() {
    let c =
        vec![(flow(service("app"), vendor("mixpanel", "Mixpanel"), phi(CLINICAL), false), false)];
    let f = run(c, &[]);
    let d = f.iter().find(|x| x.category == "disclosure_no_baa").unwrap();
    let sum: i32 = d.explanation.score.iter().map(|x| x.points).sum();
    assert_eq!(sum as u32, d.score);
    assert_eq!(d.severity, crate::findings::Severity::from_score(d.score));
}
