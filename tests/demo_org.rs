//! The demo organization in `examples/demo-org`, checked against its answer key,
//! `examples/README.md`: every planted risk is reported and no clean trap is.
//!
//! Matching follows the README: a planted risk is found when a finding has its category, one of
//! its party names as a substring (ignoring case) of the flow source, flow target or subject,
//! and one of its files among the evidence. A trap is hit by any finding of its category with
//! one of its party names. Keep this file in step with the README's tables.

mod common;

use std::sync::OnceLock;

use common::{evidence_paths, find_any, findings, listed_paths, manifest_dir, scan_json, summary};
use serde_json::Value;

/// The README's `max_findings`.
const MAX_FINDINGS: usize = 12;

fn report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| scan_json(&manifest_dir().join("examples/demo-org")))
}

/// Assert a planted risk: some finding of `category` involves one of `party_names` and cites
/// one of `files`.
fn assert_planted(category: &str, party_names: &[&str], files: &[&str]) {
    let report = report();
    let candidates = find_any(report, category, party_names);
    let hit =
        candidates.iter().any(|f| evidence_paths(f).iter().any(|p| files.contains(&p.as_str())));
    assert!(
        hit,
        "missing {category} about {party_names:?} citing one of {files:?}\n{}",
        summary(report)
    );
}

/// Assert a clean trap: no finding of `category` involves any of `party_names`.
fn assert_trap(category: &str, party_names: &[&str]) {
    let report = report();
    let hits = find_any(report, category, party_names);
    assert!(
        hits.is_empty(),
        "false positive {category} about {party_names:?}\n{}",
        summary(report)
    );
}

// Planted risks (must be reported).

#[test]
fn planted_1_mixpanel_tracking_on_signed_in_pages() {
    assert_planted(
        "tracking_technology",
        &["mixpanel"],
        &[
            "github/mycare-web/src/analytics/track.ts",
            "github/mycare-web/package.json",
            "github/mycare-web/.env.example",
            "slack/patient-app/2027-02-09.json",
        ],
    );
}

#[test]
fn planted_2_mixpanel_disclosure_without_baa() {
    assert_planted(
        "disclosure_no_baa",
        &["mixpanel"],
        &["github/mycare-web/src/analytics/track.ts", "slack/patient-app/2027-02-09.json"],
    );
}

#[test]
fn planted_3_sentry_telemetry_with_request_bodies() {
    assert_planted(
        "telemetry_disclosure",
        &["sentry"],
        &[
            "github/care-api/app/observability.py",
            "confluence/care-api-error-monitoring.xhtml",
            "github/care-api/requirements.txt",
        ],
    );
}

#[test]
fn planted_4_sentry_disclosure_without_baa() {
    assert_planted(
        "disclosure_no_baa",
        &["sentry"],
        &["confluence/care-api-error-monitoring.xhtml", "github/care-api/app/observability.py"],
    );
}

#[test]
fn planted_5_public_intake_uploads_bucket() {
    assert_planted(
        "public_exposure",
        &["intake", "fernhollow-intake-uploads-prod"],
        &[
            "github/fh-infra/storage.tf",
            "slack/infra/2027-02-16.json",
            "gdrive/intake-v2-design.md",
        ],
    );
}

#[test]
fn planted_6_unencrypted_records_database() {
    assert_planted(
        "unencrypted_storage",
        &["records", "fernhollow-records-prod"],
        &[
            "github/fh-infra/database.tf",
            "slack/infra/2027-02-16.json",
            "gdrive/intake-v2-design.md",
        ],
    );
}

#[test]
fn planted_7_unauthenticated_kiosk_summary_endpoint() {
    assert_planted(
        "unauthenticated_endpoint",
        &["summary", "kiosk", "getPatientSummaryForKiosk", "care-api"],
        &["github/care-api/openapi/openapi.yaml", "gdrive/intake-v2-design.md"],
    );
}

#[test]
fn planted_8_lab_results_callback_over_plain_http() {
    assert_planted(
        "unencrypted_transport",
        &["corvane", "lab-callback", "lab result"],
        &[
            "github/care-api/openapi/openapi.yaml",
            "github/care-api/k8s/deployment.yaml",
            "gdrive/lab-results-sync-2027-02-18.vtt",
            "gdrive/intake-v2-design.md",
        ],
    );
}

// Clean traps (must not be reported).

#[test]
fn trap_aws_under_signed_baa_is_not_a_disclosure() {
    assert_trap("disclosure_no_baa", &["aws"]);
}

#[test]
fn trap_twilio_under_signed_baa_is_not_a_disclosure() {
    assert_trap("disclosure_no_baa", &["twilio"]);
}

#[test]
fn trap_reminder_sms_with_date_and_time_only_is_not_a_notification_disclosure() {
    assert_trap("notification_disclosure", &["twilio", "reminder"]);
}

#[test]
fn trap_generic_sender_for_substance_use_program_is_not_sensitive_category() {
    assert_trap("sensitive_category", &["twilio", "reminder"]);
}

#[test]
fn trap_rejected_hotjar_is_not_tracking() {
    assert_trap("tracking_technology", &["hotjar"]);
}

#[test]
fn trap_rejected_hotjar_is_not_a_disclosure() {
    assert_trap("disclosure_no_baa", &["hotjar"]);
}

#[test]
fn trap_public_marketing_site_bucket_is_not_public_exposure() {
    assert_trap("public_exposure", &["fernhollow-www", "www", "marketing"]);
}

#[test]
fn trap_synthetic_fixtures_are_not_phi_in_nonprod() {
    assert_trap("phi_in_nonprod", &["synthetic", "fixture", "test-northwind", "docker-compose"]);
}

#[test]
fn trap_access_log_of_route_and_status_is_not_phi_in_logs() {
    assert_trap("phi_in_logs", &["care-api", "access"]);
}

#[test]
fn trap_reference_lab_sending_results_for_treatment_is_not_a_disclosure() {
    assert_trap("disclosure_no_baa", &["corvane"]);
}

// Whole-report checks.

#[test]
fn no_more_findings_than_the_answer_key_allows() {
    let report = report();
    let n = findings(report).len();
    assert!(n <= MAX_FINDINGS, "{n} findings, at most {MAX_FINDINGS}\n{}", summary(report));
}

#[test]
fn every_demo_file_is_read_without_errors() {
    let report = report();
    let errors = report["errors"].as_array().expect("errors array");
    assert!(errors.is_empty(), "errors: {errors:#?}");
    let skipped = listed_paths(report, "skipped");
    assert!(skipped.is_empty(), "skipped: {skipped:?}");
}

#[test]
fn config_and_answer_key_are_not_artifacts() {
    let report = report();
    let paths: Vec<&str> = report["artifacts"]
        .as_array()
        .expect("artifacts array")
        .iter()
        .filter_map(|a| a["path"].as_str())
        .collect();
    assert!(!paths.contains(&"phiflow.toml"), "phiflow.toml was scanned: {paths:?}");
    assert!(!paths.iter().any(|p| p.ends_with("README.md")), "the answer key was scanned");
    assert_eq!(report["organization"], "Fernhollow Health Partners");
}

#[test]
fn noise_files_alone_raise_no_finding() {
    let report = report();
    let noise = ["github/fh-infra/versions.tf", "github/care-api/docker-compose.yml"];
    for f in findings(report) {
        let paths = evidence_paths(f);
        assert!(
            !paths.iter().all(|p| noise.contains(&p.as_str())),
            "{} rests only on noise files {paths:?}\n{}",
            f["category"],
            summary(report)
        );
    }
}
