//! Never leak what we guard: concrete identifiers quoted in a document (SSN, email, phone, date
//! of birth, MRN) are masked in every output phiflow writes: the JSON report, the table, the
//! Markdown report, the parse errors of malformed files, and its own logs at debug and trace
//! level, in text and JSON log formats.

mod common;

use std::process::Output;

use common::{describe, find, fixture, phiflow, summary};
use serde_json::Value;

/// The identifiers written into the fixtures: in `masking`, next to the Intercom statement; in
/// `masking_errors`, inside a malformed Confluence page and on the line where a malformed
/// Terraform file breaks (parse errors that quote the offending line must not carry them out).
const IDENTIFIERS: &[&str] = &[
    "123-45-6789",
    "tessa.lindqvist@mail.example",
    "555-0147",
    "1980-04-02",
    "LV-448213",
    "987-65-4321",
    "rafe.okoye@mail.example",
    "555-0193",
    "555-0194",
];

/// Run phiflow with `args` (global options, `scan`, scan options) on the fixture, with debug
/// logs on.
fn scan(args: &[&str]) -> Output {
    let out = phiflow()
        .env("PHIFLOW_LOG", "debug")
        .args(args)
        .arg(fixture("masking"))
        .output()
        .expect("run phiflow");
    assert!(out.status.success(), "{}", describe(&out));
    out
}

fn assert_masked(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let leaked: Vec<&&str> = IDENTIFIERS.iter().filter(|id| text.contains(*id)).collect();
    assert!(leaked.is_empty(), "{what} leaks {leaked:?}:\n{text}");
}

#[test]
fn finding_exists_and_json_report_masks_identifiers() {
    let out = scan(&["scan", "--format", "json"]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");

    let found = find(&report, "disclosure_no_baa", "intercom");
    assert_eq!(found.len(), 1, "the Intercom finding is reported\n{}", summary(&report));
    let excerpt = found[0]["evidence"][0]["excerpt"].as_str().unwrap_or_default();
    assert!(excerpt.contains("Intercom"), "the excerpt still shows the statement: {excerpt}");

    assert_masked("JSON report", &out.stdout);
    assert_masked("debug log of the JSON scan", &out.stderr);
}

#[test]
fn parse_errors_of_malformed_files_show_no_identifiers() {
    let out = phiflow()
        .env("PHIFLOW_LOG", "debug")
        .args(["scan", "--format", "json"])
        .arg(fixture("masking_errors"))
        .output()
        .expect("run phiflow");
    assert!(out.status.success(), "{}", describe(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");

    let errors = common::listed_paths(&report, "errors");
    for broken in ["confluence/triage-notes.xhtml", "infra/oncall-alerts.tf"] {
        assert!(errors.iter().any(|e| e == broken), "{broken} is not listed: {errors:?}");
    }
    assert_masked("errors", report["errors"].to_string().as_bytes());
    assert_masked("debug log", &out.stderr);

    let table = phiflow().arg("scan").arg(fixture("masking_errors")).output().expect("run");
    assert_masked("table", &table.stdout);
}

#[test]
fn table_output_and_debug_logs_mask_identifiers() {
    let out = scan(&["--log-format", "text", "scan"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("disclosure_no_baa"), "the table lists the finding:\n{table}");

    assert_masked("table", &out.stdout);
    assert_masked("text debug log", &out.stderr);
}

#[test]
fn markdown_output_and_json_logs_mask_identifiers() {
    let out = scan(&["--log-format", "json", "scan", "--format", "markdown"]);
    let markdown = String::from_utf8_lossy(&out.stdout);
    assert!(markdown.contains("disclosure_no_baa"), "the report lists the finding:\n{markdown}");

    assert_masked("Markdown report", &out.stdout);
    assert_masked("JSON debug log", &out.stderr);
}

#[test]
fn trace_logs_mask_identifiers() {
    let out = phiflow()
        .env("PHIFLOW_LOG", "trace")
        .arg("scan")
        .arg(fixture("masking"))
        .output()
        .expect("run phiflow");
    assert!(out.status.success(), "{}", describe(&out));

    assert_masked("trace log", &out.stderr);
}
