//! The output contract of `phiflow scan`: the JSON report validates against
//! `schemas/scan-report.schema.json` (which pulls in the finding schema), every finding carries
//! what DESIGN.md promises (fingerprint, rule, category from the fixed vocabulary, CFR
//! citations, evidence relative to PATH), the table and Markdown reports show every finding,
//! `--output` and `--fail-on` behave, and fingerprints are stable.
//!
//! The `contract` fixture has no `phiflow.toml`, so it also checks the defaults a first scan
//! runs with.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{
    copy_fixture, describe, findings, fixture, manifest_dir, run_scan, scan_json, summary,
    write_file, CATEGORIES,
};
use serde_json::Value;

const REPORT_SCHEMA: &str = "https://phiflow.dev/schemas/scan-report.schema.json";

/// Validate `report` against the scan report schema, loading every schema in `schemas/` under
/// its `$id` so cross-file `$ref`s resolve without network access.
fn validate(report: &Value) -> Result<(), String> {
    let mut compiler = boon::Compiler::new();
    let dir = manifest_dir().join("schemas");
    let mut ids = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("schemas folder") {
        let path = entry.expect("schema entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read schema");
        let schema: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
        let id = schema["$id"].as_str().expect("every schema has an $id").to_string();
        compiler.add_resource(&id, schema).unwrap_or_else(|e| panic!("{id}: {e}"));
        ids.push(id);
    }
    assert_eq!(ids.len(), 4, "expected four schemas in {}: {ids:?}", dir.display());

    let mut schemas = boon::Schemas::new();
    let index = compiler.compile(REPORT_SCHEMA, &mut schemas).map_err(|e| format!("{e:#}"))?;
    schemas.validate(report, index).map_err(|e| format!("{e:#}"))
}

fn fingerprints(report: &Value) -> BTreeMap<String, String> {
    findings(report)
        .iter()
        .map(|f| {
            let fp = f["fingerprint"].as_str().expect("fingerprint").to_string();
            (fp, f["category"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

fn text_of(path: &Path, format: Option<&str>) -> String {
    let args: Vec<&str> = format.map(|f| vec!["--format", f]).unwrap_or_default();
    let out = run_scan(path, &args);
    assert!(out.status.success(), "{}", describe(&out));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn all_schemas_compile() {
    for id in [
        REPORT_SCHEMA,
        "https://phiflow.dev/schemas/finding.schema.json",
        "https://phiflow.dev/schemas/artifact-event.schema.json",
        "https://phiflow.dev/schemas/config.schema.json",
    ] {
        let mut compiler = boon::Compiler::new();
        for entry in std::fs::read_dir(manifest_dir().join("schemas")).unwrap() {
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap())
                    .unwrap();
            let id = schema["$id"].as_str().unwrap().to_string();
            compiler.add_resource(&id, schema).unwrap();
        }
        let mut schemas = boon::Schemas::new();
        if let Err(e) = compiler.compile(id, &mut schemas) {
            panic!("{id} does not compile: {e:#}");
        }
    }
}

#[test]
fn json_report_without_config_matches_the_schema() {
    let report = scan_json(&fixture("contract"));
    assert!(
        findings(&report).len() >= 5,
        "the fixture raises several findings\n{}",
        summary(&report)
    );

    if let Err(e) = validate(&report) {
        panic!("report does not match the schema:\n{e}\n{}", summary(&report));
    }
}

#[test]
fn json_report_with_config_matches_the_schema() {
    let report = scan_json(&fixture("documents"));
    if let Err(e) = validate(&report) {
        panic!("report does not match the schema:\n{e}\n{}", summary(&report));
    }
}

#[test]
fn json_report_with_errors_and_skipped_files_matches_the_schema() {
    let report = scan_json(&fixture("bad_input"));
    assert!(!report["errors"].as_array().unwrap().is_empty(), "the fixture has errors");
    assert!(!report["skipped"].as_array().unwrap().is_empty(), "the fixture has skipped files");

    if let Err(e) = validate(&report) {
        panic!("report does not match the schema:\n{e}");
    }
}

#[test]
fn every_finding_carries_fingerprint_rule_category_citations_and_evidence() {
    let root = fixture("contract");
    let report = scan_json(&root);
    assert!(!findings(&report).is_empty(), "no findings to check");

    for f in findings(&report) {
        let label = format!("{} {}", f["category"], f["fingerprint"]);
        let fp = f["fingerprint"].as_str().unwrap_or_default();
        assert!(
            fp.len() >= 16 && fp.chars().all(|c| c.is_ascii_hexdigit()),
            "{label}: fingerprint"
        );
        assert!(f["rule_id"].as_str().is_some_and(|r| !r.is_empty()), "{label}: rule_id");

        let category = f["category"].as_str().unwrap_or_default();
        assert!(CATEGORIES.contains(&category), "{label}: {category} is not a DESIGN.md category");

        let cfr = f["cfr"].as_array().expect("cfr array");
        assert!(!cfr.is_empty(), "{label}: no CFR citation");
        for c in cfr {
            let c = c.as_str().unwrap_or_default();
            assert!(c.starts_with("45 CFR ") || c.starts_with("42 CFR "), "{label}: citation {c}");
        }

        let evidence = f["evidence"].as_array().expect("evidence array");
        assert!(!evidence.is_empty(), "{label}: no evidence");
        for ev in evidence {
            let path = ev["artifact"]["path"].as_str().unwrap_or_default();
            assert!(
                !path.is_empty() && !path.starts_with('/') && !path.contains(".."),
                "{label}: evidence path {path:?} is not relative to PATH"
            );
            assert!(root.join(path).is_file(), "{label}: {path} is not a file under PATH");
            assert!(ev["excerpt"].as_str().is_some_and(|e| !e.is_empty()), "{label}: excerpt");
        }
    }
}

#[test]
fn finding_parties_have_names() {
    let report = scan_json(&fixture("contract"));
    for f in findings(&report) {
        for pointer in ["/flow/from/name", "/flow/to/name", "/subject/name"] {
            if let Some(name) = f.pointer(pointer) {
                assert!(
                    name.as_str().is_some_and(|n| !n.trim().is_empty()),
                    "{} {}: {pointer} is empty\n{}",
                    f["category"],
                    f["fingerprint"],
                    summary(&report)
                );
            }
        }
    }
}

#[test]
fn markdown_and_table_mention_each_finding_category() {
    let root = fixture("contract");
    let report = scan_json(&root);
    let table = text_of(&root, None);
    let markdown = text_of(&root, Some("markdown"));

    for f in findings(&report) {
        let category = f["category"].as_str().unwrap();
        assert!(table.contains(category), "table lacks {category}:\n{table}");
        assert!(markdown.contains(category), "markdown lacks {category}:\n{markdown}");
        let fp = f["fingerprint"].as_str().unwrap();
        assert!(markdown.contains(fp), "markdown lacks fingerprint {fp}");
    }
    assert_eq!(text_of(&root, Some("table")), table, "--format table is the default");
}

#[test]
fn output_option_writes_the_report_to_the_file() {
    let root = fixture("contract");
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("report.json");

    let out = run_scan(&root, &["--format", "json", "--output", file.to_str().unwrap()]);

    assert!(out.status.success(), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "the report goes to the file, not stdout\n{}", describe(&out));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
        .expect("the file holds the JSON report");
    assert_eq!(fingerprints(&written), fingerprints(&scan_json(&root)));
}

#[test]
fn output_option_writes_markdown_too() {
    let root = fixture("contract");
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("report.md");

    let out = run_scan(&root, &["--format", "markdown", "--output", file.to_str().unwrap()]);

    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text_of(&root, Some("markdown")));
}

#[test]
fn fingerprints_are_identical_across_two_scans() {
    let root = fixture("contract");
    let first = scan_json(&root);
    let second = scan_json(&root);

    assert!(!fingerprints(&first).is_empty());
    assert_eq!(fingerprints(&first), fingerprints(&second));
    assert_eq!(first, second, "two scans of the same folder print the same report");
}

#[test]
fn fingerprints_are_unchanged_when_an_unrelated_file_is_added() {
    let dir = copy_fixture("contract");
    let before = scan_json(dir.path());

    write_file(
        dir.path(),
        "docs/office-hours.md",
        "# Office hours\n\nThe Elm Street clinic opens at 8am on weekdays and 9am on Saturdays.\n",
    );
    let after = scan_json(dir.path());

    assert!(
        after["artifacts"].as_array().unwrap().iter().any(|a| a["path"] == "docs/office-hours.md"),
        "the new file was scanned"
    );
    assert_eq!(fingerprints(&before), fingerprints(&after), "{}", summary(&after));
}

#[test]
fn fingerprints_are_unchanged_when_evidence_moves_within_its_file() {
    let dir = copy_fixture("contract");
    let before = scan_json(dir.path());

    let doc = dir.path().join("docs/portal-observability.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    let preface = "\nReviewed by the platform group in March.\n\nSee also the runbook.\n";
    let edited =
        text.replacen("\n## Product analytics", &format!("{preface}\n## Product analytics"), 1);
    assert_ne!(text, edited);
    std::fs::write(&doc, edited).unwrap();
    let after = scan_json(dir.path());

    let lines = |report: &Value| -> Vec<(String, Option<u64>)> {
        findings(report).iter().flat_map(common::evidence).collect()
    };
    assert_ne!(lines(&before), lines(&after), "the edit did not move any evidence");

    assert_eq!(fingerprints(&before), fingerprints(&after), "{}", summary(&after));
}

#[test]
fn fail_on_exits_3_when_a_finding_reaches_the_threshold() {
    let out = run_scan(&fixture("contract"), &["--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(3), "{}", describe(&out));
    assert!(!out.stdout.is_empty(), "the report is still printed");
}

#[test]
fn fail_on_exits_0_when_nothing_reaches_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "docs/office-hours.md", "# Office hours\n\nOpen 8am to 6pm.\n");

    let out = run_scan(dir.path(), &["--fail-on", "low"]);

    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
}
