//! Design documents in every prose format phiflow reads (Markdown, Confluence storage XHTML,
//! Confluence REST v2 page JSON, WebVTT transcripts), checked against the BAAs declared in the
//! folder's `phiflow.toml`.

mod common;

use std::sync::OnceLock;

use common::{about, evidence, evidence_paths, find, fixture, scan_json, summary};
use serde_json::Value;

const DESIGN_DOC: &str = "docs/patient-support-design.md";

/// The fixture is only read, so every test shares one scan.
fn report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| scan_json(&fixture("documents")))
}

/// The 1-based line of `path` (in the fixture) that contains `needle`.
fn line_of(path: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(fixture("documents").join(path)).unwrap();
    let index = text.lines().position(|l| l.contains(needle));
    index.unwrap_or_else(|| panic!("{needle:?} not in {path}")) as u64 + 1
}

#[test]
fn phi_sent_to_intercom_without_baa_is_disclosure_no_baa() {
    let report = report();
    let found = find(report, "disclosure_no_baa", "intercom");

    assert_eq!(found.len(), 1, "one disclosure_no_baa for Intercom\n{}", summary(report));
    assert_eq!(found[0]["flow"]["to"]["kind"], "vendor");
}

#[test]
fn intercom_disclosure_cites_every_document_format_that_states_it() {
    let report = report();
    let found = find(report, "disclosure_no_baa", "intercom");
    assert!(!found.is_empty(), "no Intercom finding\n{}", summary(report));
    let paths = evidence_paths(found[0]);

    for file in [
        DESIGN_DOC,
        "confluence/support-escalation-runbook.xhtml",
        "confluence/intercom-bot-page.json",
        "meetings/support-sync-2027-03-04.vtt",
    ] {
        assert!(paths.contains(&file.to_string()), "{file} not among the evidence: {paths:?}");
    }
    for (path, line) in evidence(found[0]) {
        assert!(line.is_some_and(|l| l >= 1), "evidence in {path} has no line");
    }
}

#[test]
fn zendesk_under_signed_baa_yields_no_disclosure_finding() {
    let report = report();

    // Zendesk does receive PHI (the flow is in the model); the signed BAA is what clears it.
    let flows = report["model"]["flows"].as_array().expect("model flows");
    let to_zendesk = flows.iter().any(|f| f["to"].as_str().is_some_and(|t| t.contains("zendesk")));
    assert!(to_zendesk, "no flow to Zendesk in the model: {flows:#?}");

    let found = find(report, "disclosure_no_baa", "zendesk");
    assert!(found.is_empty(), "Zendesk has a signed BAA\n{}", summary(report));
}

#[test]
fn full_charts_to_a_payer_in_a_decision_table_is_minimum_necessary() {
    let report = report();
    let found = find(report, "minimum_necessary", "payer");

    assert_eq!(found.len(), 1, "one minimum_necessary for the payer\n{}", summary(report));
    let row = line_of(DESIGN_DOC, "| Payer (prior authorization)");
    let cited = evidence(found[0]);
    assert!(
        cited.contains(&(DESIGN_DOC.to_string(), Some(row))),
        "the payer row ({DESIGN_DOC}:{row}) is not cited: {cited:?}"
    );
}

#[test]
fn full_chart_to_a_treating_specialist_is_not_minimum_necessary() {
    let report = report();
    let found = find(report, "minimum_necessary", "specialist");
    assert!(found.is_empty(), "referrals for treatment are exempt\n{}", summary(report));
}

#[test]
fn vendor_under_alternatives_considered_heading_yields_no_finding() {
    let report = report();
    let found = about(report, "hubspot");
    assert!(found.is_empty(), "HubSpot was only considered\n{}", summary(report));
}

#[test]
fn organization_name_comes_from_the_folder_config() {
    assert_eq!(report()["organization"], "Larkspur Valley Clinics");
}

#[test]
fn the_folder_config_is_not_scanned_as_an_artifact() {
    let report = report();
    let listed = ["artifacts", "skipped", "errors"]
        .iter()
        .flat_map(|list| report[*list].as_array().cloned().unwrap_or_default().into_iter());
    let paths: Vec<String> =
        listed.filter_map(|r| r["path"].as_str().map(str::to_string)).collect();
    assert!(!paths.iter().any(|p| p == "phiflow.toml"), "phiflow.toml was read as a document");
}
