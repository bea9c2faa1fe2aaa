//! Infrastructure as code scanned end to end: Terraform storage settings, Kubernetes workloads
//! sharing a database secret, and SQL grants over a whole clinical schema.

mod common;

use std::sync::OnceLock;

use common::{evidence_paths, find_any, findings, fixture, involves, scan_json, summary};
use serde_json::Value;

/// The fixture is only read, so every test shares one scan.
fn report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| scan_json(&fixture("infra")))
}

/// Names by which a finding may refer to the lab results bucket: its bucket name or its
/// Terraform resource name.
const LAB_BUCKET: &[&str] = &["larkspur-lab-results-prod", "lab_results", "lab-results"];
const IMAGING_EFS: &[&str] = &["imaging-archive", "imaging_archive"];
const MARKETING_BUCKET: &[&str] = &["larkspur-www-assets", "marketing_site", "marketing-site"];
const DB_SECRET_USERS: &[&str] =
    &["clinic-db-credentials", "scheduling-api", "billing-worker", "nightly-claims-export"];

#[test]
fn public_read_bucket_named_for_lab_results_is_public_exposure() {
    let report = report();
    let found = find_any(report, "public_exposure", LAB_BUCKET);

    assert_eq!(
        found.len(),
        1,
        "one public_exposure for the lab results bucket\n{}",
        summary(report)
    );
    let paths = evidence_paths(found[0]);
    assert!(paths.contains(&"terraform/storage.tf".to_string()), "evidence: {paths:?}");
}

#[test]
fn unencrypted_efs_tagged_phi_is_unencrypted_storage() {
    let report = report();
    let found = find_any(report, "unencrypted_storage", IMAGING_EFS);

    assert_eq!(found.len(), 1, "one unencrypted_storage for the EFS\n{}", summary(report));
    let paths = evidence_paths(found[0]);
    assert!(paths.contains(&"terraform/storage.tf".to_string()), "evidence: {paths:?}");
}

#[test]
fn public_marketing_bucket_without_phi_yields_no_finding() {
    let report = report();

    // The bucket must have been read (it is in the model) and judged clean, not overlooked.
    let entities = report["model"]["entities"].as_array().expect("model entities");
    let modelled = entities.iter().any(|e| {
        let name = format!("{} {}", e["id"], e["name"]).to_lowercase();
        MARKETING_BUCKET.iter().any(|m| name.contains(m))
    });
    assert!(modelled, "the marketing bucket is not in the model: {entities:#?}");

    let flagged: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| MARKETING_BUCKET.iter().any(|m| involves(f, m)))
        .collect();
    assert!(flagged.is_empty(), "the marketing site is public by design\n{}", summary(report));
}

#[test]
fn workloads_sharing_one_database_secret_are_shared_credentials() {
    let report = report();
    let found = find_any(report, "shared_credentials", DB_SECRET_USERS);

    assert_eq!(found.len(), 1, "one shared_credentials finding\n{}", summary(report));
    let paths = evidence_paths(found[0]);
    for file in ["k8s/api-workloads.yaml", "k8s/claims-export-cronjob.yaml"] {
        assert!(paths.contains(&file.to_string()), "{file} not cited: {paths:?}");
    }
    let reason = found[0]["reason"].as_str().unwrap_or_default();
    for workload in &DB_SECRET_USERS[1..] {
        assert!(reason.contains(workload), "reason does not name {workload}: {reason}");
    }
}

#[test]
fn role_granted_select_on_a_whole_clinical_schema_is_unscoped_access() {
    let report = report();
    let found = find_any(report, "unscoped_access", &["kpi_dashboard", "kpi-dashboard"]);

    assert_eq!(found.len(), 1, "one unscoped_access for kpi_dashboard\n{}", summary(report));
    let paths = evidence_paths(found[0]);
    assert!(paths.contains(&"db/reporting-grants.sql".to_string()), "evidence: {paths:?}");
}

#[test]
fn provider_settings_alone_raise_nothing() {
    let report = report();
    let about_providers: Vec<&Value> = findings(report)
        .iter()
        .filter(|f| evidence_paths(f).iter().all(|p| p == "terraform/providers.tf"))
        .collect();
    assert!(about_providers.is_empty(), "{}", summary(report));
}
