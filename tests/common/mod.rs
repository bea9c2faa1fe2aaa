//! Shared helpers of the end-to-end tests: run the real `phiflow` binary on a fixture folder,
//! parse its JSON report, and look findings up the way a reviewer reads them (category, a party
//! named in the flow or subject, the files cited as evidence).
//!
//! Fixtures live in `tests/fixtures/<case>/`. A test that changes files works on its own copy
//! ([`copy_fixture`]); the others read the fixture in place.

// Each test file compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The finding categories of DESIGN.md, written out here rather than read from the schema so
/// the tests check the schema and the binary against the design, not against themselves.
pub const CATEGORIES: &[&str] = &[
    "disclosure_no_baa",
    "tracking_technology",
    "telemetry_disclosure",
    "notification_disclosure",
    "minimum_necessary",
    "phi_in_logs",
    "phi_in_nonprod",
    "unscoped_access",
    "unauthenticated_endpoint",
    "shared_credentials",
    "missing_audit_log",
    "unencrypted_transport",
    "unencrypted_storage",
    "public_exposure",
    "untagged_phi",
    "missing_authorization",
    "reidentification_risk",
    "undocumented_flow",
    "design_drift",
    "sensitive_category",
];

/// The workspace root, where `schemas/` and `examples/` live.
pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/<case>`.
pub fn fixture(case: &str) -> PathBuf {
    let path = manifest_dir().join("tests/fixtures").join(case);
    assert!(path.is_dir(), "missing fixture folder {}", path.display());
    path
}

/// A fresh temporary copy of `tests/fixtures/<case>`, for tests that add or change files.
pub fn copy_fixture(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&fixture(case), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create directory");
    for entry in fs::read_dir(from).expect("read fixture directory") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// Write `contents` to `root/rel`, creating parent folders.
pub fn write_file(root: &Path, rel: &str, contents: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().expect("parent folder")).expect("create folders");
    fs::write(path, contents).expect("write file");
}

/// The `phiflow` binary with a clean logging environment.
pub fn phiflow() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phiflow"));
    cmd.env_remove("PHIFLOW_LOG");
    cmd
}

/// Run `phiflow scan PATH <extra args>`.
pub fn run_scan(path: &Path, extra: &[&str]) -> Output {
    phiflow().arg("scan").arg(path).args(extra).output().expect("run phiflow")
}

/// stdout and stderr of a run, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Run `phiflow scan PATH --format json`, require success, and parse the report.
pub fn scan_json(path: &Path) -> Value {
    let out = run_scan(path, &["--format", "json"]);
    assert!(out.status.success(), "phiflow scan failed\n{}", describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("scan output is not JSON: {e}\n{}", describe(&out)))
}

/// The report's findings.
pub fn findings(report: &Value) -> &[Value] {
    report["findings"].as_array().map(Vec::as_slice).expect("report has a findings array")
}

/// Names of the parties a finding is about: flow source, flow target and subject.
pub fn parties(finding: &Value) -> Vec<String> {
    let names = [
        finding.pointer("/flow/from/name"),
        finding.pointer("/flow/to/name"),
        finding.pointer("/subject/name"),
    ];
    names.into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// Whether one of the finding's parties contains `party`, ignoring case.
pub fn involves(finding: &Value, party: &str) -> bool {
    let party = party.to_lowercase();
    parties(finding).iter().any(|name| name.to_lowercase().contains(&party))
}

/// Findings of `category` with a party that contains `party` (ignoring case).
pub fn find<'a>(report: &'a Value, category: &str, party: &str) -> Vec<&'a Value> {
    findings(report).iter().filter(|f| f["category"] == category && involves(f, party)).collect()
}

/// Findings of `category` with a party that contains any of `party_names`.
pub fn find_any<'a>(report: &'a Value, category: &str, party_names: &[&str]) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["category"] == category && party_names.iter().any(|p| involves(f, p)))
        .collect()
}

/// Findings, of any category, with a party that contains `party`.
pub fn about<'a>(report: &'a Value, party: &str) -> Vec<&'a Value> {
    findings(report).iter().filter(|f| involves(f, party)).collect()
}

/// The files a finding cites, in order, without repeats.
pub fn evidence_paths(finding: &Value) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for (path, _) in evidence(finding) {
        if !paths.contains(&path) {
            paths.push(path);
        }
    }
    paths
}

/// Every piece of evidence as (path, line).
pub fn evidence(finding: &Value) -> Vec<(String, Option<u64>)> {
    finding["evidence"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let path = e.pointer("/artifact/path").and_then(Value::as_str).unwrap_or("");
            (path.to_string(), e.pointer("/location/line").and_then(Value::as_u64))
        })
        .collect()
}

/// One line per finding: category, flow or subject, evidence files. For assertion messages, so
/// a failing test shows what the scan did report.
pub fn summary(report: &Value) -> String {
    let lines: Vec<String> = findings(report)
        .iter()
        .map(|f| {
            let what = match (f.get("flow"), f.get("subject")) {
                (Some(flow), _) => format!("{} -> {}", flow["from"]["name"], flow["to"]["name"]),
                (None, Some(subject)) => format!("subject {}", subject["name"]),
                _ => "?".to_string(),
            };
            format!("  {} {} {:?}", f["category"], what, evidence_paths(f))
        })
        .collect();
    if lines.is_empty() {
        "findings: none".to_string()
    } else {
        format!("findings:\n{}", lines.join("\n"))
    }
}

/// Paths listed under `errors` (or `skipped`) of the report.
pub fn listed_paths(report: &Value, list: &str) -> Vec<String> {
    report[list]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| r["path"].as_str().map(str::to_string))
        .collect()
}
