//! The finding lifecycle end to end: `phiflow scan --data-dir` over a temporary copy of the
//! `contract` fixture, edited between scans, with decisions made through `phiflow findings` and
//! the auditor's packet read back through `phiflow audit export`.
//!
//! Each test has its own fixture copy and data directory, so the tests run in parallel.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use common::{copy_fixture, describe, manifest_dir, phiflow, write_file};
use serde_json::Value;

/// The fixture document that states the Mixpanel, Sentry, logging and SendGrid flows.
const OBSERVABILITY: &str = "docs/portal-observability.md";

/// A fake SSN that must never leave phiflow unmasked.
const FAKE_SSN: &str = "123-45-6789";

fn run(args: &[&str]) -> Output {
    phiflow().args(args).output().expect("run phiflow")
}

fn ok(args: &[&str]) -> Output {
    let out = run(args);
    assert!(out.status.success(), "phiflow {args:?} failed\n{}", describe(&out));
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("output is not JSON: {e}\n{}", describe(out)))
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

/// `phiflow scan ROOT --data-dir DATA --format json`.
fn scan(root: &Path, data: &Path) -> Value {
    json(&ok(&["scan", path(root), "--data-dir", path(data), "--format", "json"]))
}

fn transitions(report: &Value) -> Vec<(String, String)> {
    report["transitions"]
        .as_array()
        .expect("a transitions array with --data-dir")
        .iter()
        .map(|t| {
            (t["kind"].as_str().unwrap().to_string(), t["fingerprint"].as_str().unwrap().into())
        })
        .collect()
}

fn fingerprints_of<'a>(report: &'a Value, category: &str, party: &str) -> Vec<&'a str> {
    common::find(report, category, party).iter().filter_map(|f| f["fingerprint"].as_str()).collect()
}

/// `phiflow findings list --data-dir DATA --format json`, as (fingerprint, state).
fn states(data: &Path) -> Vec<(String, String)> {
    let out = ok(&["findings", "list", "--data-dir", path(data), "--format", "json"]);
    json(&out)
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| (f["fingerprint"].as_str().unwrap().into(), f["state"].as_str().unwrap().into()))
        .collect()
}

fn state_of(data: &Path, fingerprint: &str) -> String {
    states(data)
        .into_iter()
        .find(|(fp, _)| fp == fingerprint)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("{fingerprint} is not stored"))
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let file = root.join(rel);
    let text = std::fs::read_to_string(&file).expect("read fixture file");
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    std::fs::write(&file, text.replacen(from, to, 1)).expect("write fixture file");
}

/// Validate a report against `schemas/scan-report.schema.json`, every schema loaded by `$id`.
fn validate(report: &Value) -> Result<(), String> {
    let mut compiler = boon::Compiler::new();
    for entry in std::fs::read_dir(manifest_dir().join("schemas")).expect("schemas folder") {
        let text = std::fs::read_to_string(entry.expect("schema entry").path()).unwrap();
        let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
        let id = schema["$id"].as_str().expect("$id").to_string();
        compiler.add_resource(&id, schema).map_err(|e| format!("{e:#}"))?;
    }
    let mut schemas = boon::Schemas::new();
    let report_id = "https://phiflow.dev/schemas/scan-report.schema.json";
    let index = compiler.compile(report_id, &mut schemas).map_err(|e| format!("{e:#}"))?;
    schemas.validate(report, index).map_err(|e| format!("{e:#}"))
}

#[test]
fn first_scan_opens_every_finding_and_an_unchanged_rescan_changes_nothing() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();

    let first = scan(root.path(), data.path());
    validate(&first).unwrap_or_else(|e| panic!("report with transitions: {e}"));
    let opened: BTreeSet<String> = transitions(&first)
        .into_iter()
        .map(|(kind, fp)| {
            assert_eq!(kind, "opened");
            fp
        })
        .collect();
    let found: BTreeSet<String> = common::findings(&first)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert!(!found.is_empty());
    assert_eq!(opened, found, "each finding is opened once");
    assert_eq!(first["model_version"], 1);
    assert!(states(data.path()).iter().all(|(_, s)| s == "open"));

    let again = scan(root.path(), data.path());
    assert_eq!(transitions(&again), [], "nothing changed");
    assert_eq!(again["model_version"], 1, "no new model version");

    let table = ok(&["scan", path(root.path()), "--data-dir", path(data.path())]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(table.contains("No finding changed since the last scan."), "{table}");

    let without = common::scan_json(root.path());
    assert!(without.get("transitions").is_none(), "transitions only with --data-dir");
}

#[test]
fn removing_a_risk_resolves_it_and_restoring_it_reopens_it() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    let first = scan(root.path(), data.path());
    let sentry: BTreeSet<String> = common::about(&first, "Sentry")
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    assert!(!sentry.is_empty(), "the fixture reports Sentry\n{}", common::summary(&first));

    let original = std::fs::read_to_string(root.path().join(OBSERVABILITY)).unwrap();
    let start = original.find("## Error reporting").expect("the Sentry section");
    let end = original.find("## Request logging").expect("the next section");
    let without_sentry = format!("{}{}", &original[..start], &original[end..]);
    write_file(root.path(), OBSERVABILITY, &without_sentry);

    let removed = scan(root.path(), data.path());
    let resolved: BTreeSet<String> = transitions(&removed)
        .into_iter()
        .map(|(kind, fp)| {
            assert_eq!(kind, "resolved", "{fp}");
            fp
        })
        .collect();
    assert_eq!(resolved, sentry);
    for fp in &sentry {
        assert_eq!(state_of(data.path(), fp), "resolved");
    }

    write_file(root.path(), OBSERVABILITY, &original);
    let restored = scan(root.path(), data.path());
    let reopened: BTreeSet<String> = transitions(&restored)
        .into_iter()
        .map(|(kind, fp)| {
            assert_eq!(kind, "reopened", "{fp}");
            fp
        })
        .collect();
    assert_eq!(reopened, sentry);
    assert_eq!(restored["model_version"], 3);
}

#[test]
fn an_accepted_finding_stays_accepted_until_the_flow_it_concerns_changes() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    let first = scan(root.path(), data.path());
    let mixpanel = fingerprints_of(&first, "disclosure_no_baa", "Mixpanel");
    let [fp] = mixpanel.as_slice() else { panic!("one Mixpanel disclosure: {mixpanel:?}") };
    let fp = fp.to_string();

    let accept = ok(&[
        "findings",
        "accept",
        &fp,
        "--by",
        "Dana Whitfield",
        "--reason",
        "BAA with Mixpanel in legal review",
        "--until",
        "2999-12-31",
        "--data-dir",
        path(data.path()),
    ]);
    assert!(String::from_utf8_lossy(&accept.stdout).contains("open -> accepted"));
    assert_eq!(state_of(data.path(), &fp), "accepted");

    let unchanged = scan(root.path(), data.path());
    assert_eq!(transitions(&unchanged), [], "no event while nothing changes");
    assert_eq!(state_of(data.path(), &fp), "accepted");

    // A change elsewhere in the same document leaves the decision alone.
    edit(root.path(), OBSERVABILITY, "## Product analytics", "## Product analytics (v2)");
    let unrelated = scan(root.path(), data.path());
    assert!(transitions(&unrelated).iter().all(|(_, f)| *f != fp), "{:?}", transitions(&unrelated));
    assert_eq!(state_of(data.path(), &fp), "accepted");

    // A new PHI element on the Mixpanel flow is a change to the flow the decision concerns.
    edit(root.path(), OBSERVABILITY, "name, email and", "name, email, date of birth and");
    let changed = scan(root.path(), data.path());
    assert!(
        transitions(&changed).contains(&("reopened".to_string(), fp.clone())),
        "{:?}",
        transitions(&changed)
    );
    assert_eq!(state_of(data.path(), &fp), "open");
}

#[test]
fn suppress_and_reopen_record_transitions_and_refuse_what_makes_no_sense() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    let first = scan(root.path(), data.path());
    let fp = common::findings(&first)[0]["fingerprint"].as_str().unwrap().to_string();
    let dir = path(data.path());
    let decide = |action: &str, extra: &[&str]| {
        let mut args =
            vec!["findings", action, &fp, "--by", "kim", "--reason", "test", "--data-dir"];
        args.push(dir);
        args.extend_from_slice(extra);
        run(&args)
    };

    assert!(decide("suppress", &[]).status.success());
    assert_eq!(state_of(data.path(), &fp), "suppressed");
    assert!(decide("reopen", &[]).status.success());
    assert_eq!(state_of(data.path(), &fp), "open");

    let again = decide("reopen", &[]);
    assert_eq!(again.status.code(), Some(2), "{}", describe(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("it is open"));
    let past = decide("accept", &["--until", "2001-01-01"]);
    assert_eq!(past.status.code(), Some(2), "{}", describe(&past));
    let bad_day = decide("accept", &["--until", "2027-02-30"]);
    assert_eq!(bad_day.status.code(), Some(2), "{}", describe(&bad_day));

    let unknown =
        run(&["findings", "accept", "0000", "--by", "kim", "--reason", "x", "--data-dir", dir]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no finding with fingerprint"));
    let elsewhere = tempfile::tempdir().unwrap();
    let missing = run(&["findings", "list", "--data-dir", path(elsewhere.path())]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no phiflow state"));

    let history = json(&ok(&["audit", "export", "--data-dir", dir, "--system", "default"]));
    let finding = history["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fp.as_str())
        .expect("the finding is in the packet");
    let kinds: Vec<&str> = finding["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "suppressed", "reopened"]);
}

#[test]
fn audit_export_has_one_record_per_revision_the_decisions_and_no_unmasked_identifiers() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    let dir = path(data.path());
    write_file(
        root.path(),
        "docs/intake-forwarding.md",
        format!(
            "# Intake forwarding\n\nThe intake form sends the patient's name and SSN \
             (for example {FAKE_SSN}) to Mixpanel for funnel analysis.\n"
        ),
    );

    let first = scan(root.path(), data.path());
    let first_revisions = first["artifacts"].as_array().unwrap().len();
    assert!(first_revisions >= 3, "{first_revisions} artifacts");
    edit(root.path(), "docs/records-exchange.md", "Quality reporting", "HEDIS reporting");
    scan(root.path(), data.path());
    scan(root.path(), data.path());

    let fp = fingerprints_of(&first, "disclosure_no_baa", "Mixpanel")[0].to_string();
    ok(&[
        "findings",
        "accept",
        &fp,
        "--by",
        "Dana Whitfield",
        "--reason",
        &format!("Confirmed with the patient ({FAKE_SSN}) that the BAA is pending"),
        "--data-dir",
        dir,
    ]);

    let out =
        ok(&["audit", "export", "--data-dir", dir, "--system", "default", "--format", "json"]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(!text.contains(FAKE_SSN), "the packet leaks the SSN");
    let packet = json(&out);

    // One record per processed revision: every artifact once, the edited one twice.
    let records = packet["audit_records"].as_array().unwrap();
    assert_eq!(records.len(), first_revisions + 1);
    let revisions: BTreeSet<(&str, &str)> = records
        .iter()
        .map(|r| (r["artifact_id"].as_str().unwrap(), r["revision"].as_str().unwrap()))
        .collect();
    assert_eq!(revisions.len(), records.len(), "no revision is audited twice");
    let intake = records
        .iter()
        .find(|r| r["path"] == "docs/intake-forwarding.md")
        .expect("the added document is audited");
    assert!(intake["phi"].as_array().unwrap().iter().any(|p| p["type"] == "ssn"));
    assert!(intake["flows"].as_array().unwrap().iter().any(|f| f["to"] == "Mixpanel"));
    assert_eq!(intake["impact"], "critical");
    let changed = intake["findings_changed"].as_array().unwrap();
    assert!(changed.iter().any(|c| c["fingerprint"] == fp.as_str() && c["transition"] == "opened"));

    // The decision, with who and why (masked).
    let decisions = packet["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0]["by"], "Dana Whitfield");
    assert_eq!(decisions[0]["action"], "accept");
    let reason = decisions[0]["reason"].as_str().unwrap();
    assert!(reason.contains("the BAA is pending") && reason.contains("[SSN]"), "{reason}");

    // The findings, with their history.
    let finding = packet["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fp.as_str())
        .unwrap();
    assert_eq!(finding["state"], "accepted");
    let kinds: Vec<&str> = finding["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "accepted"]);

    // The HTML packet: self-contained, escaped, masked.
    let html_file = data.path().join("packet.html");
    let args = ["audit", "export", "--data-dir", dir, "--system", "default", "--format", "html"];
    ok(&[&args[..], &["--output", path(&html_file)]].concat());
    let html = std::fs::read_to_string(&html_file).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Dana Whitfield") && html.contains(&fp));
    assert!(!html.contains(FAKE_SSN), "the HTML packet leaks the SSN");
    assert!(!html.contains("<script") && !html.contains("src=\"http"));

    // A window before anything happened holds no records; an unknown system is an error.
    let old =
        ok(&["audit", "export", "--data-dir", dir, "--system", "default", "--until", "2001-01-01"]);
    let old = json(&old);
    assert_eq!(old["audit_records"].as_array().unwrap().len(), 0);
    assert_eq!(old["decisions"].as_array().unwrap().len(), 0);
    let unknown = run(&["audit", "export", "--data-dir", dir, "--system", "nope"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", describe(&unknown));
}

#[test]
fn events_file_holds_one_cloudevent_record_per_transition() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    let events = data.path().join("events.jsonl");
    let out = ok(&[
        "scan",
        path(root.path()),
        "--data-dir",
        path(data.path()),
        "--format",
        "json",
        "--events",
        path(&events),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&events).unwrap();
    let records: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), transitions(&report).len());
    assert!(!records.is_empty());
    for r in &records {
        assert_eq!(r["topic"], "phiflow.findings.v1");
        assert_eq!(r["headers"]["ce_specversion"], "1.0");
        assert_eq!(r["headers"]["ce_type"], "dev.phiflow.finding.opened.v1");
        assert_eq!(r["key"], r["value"]["fingerprint"]);
        assert!(r["value"]["finding"]["evidence"].is_array());
    }
}

#[test]
fn fail_on_ignores_findings_people_accepted_or_suppressed() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    let first = scan(root.path(), data.path());
    let gate = ["scan", path(root.path()), "--data-dir", path(data.path()), "--fail-on", "low"];
    assert_eq!(run(&gate).status.code(), Some(3), "open findings fail the gate");

    for f in common::findings(&first) {
        let fp = f["fingerprint"].as_str().unwrap();
        ok(&[
            "findings",
            "accept",
            fp,
            "--by",
            "privacy@clinic.example",
            "--reason",
            "risk accepted for the pilot",
            "--data-dir",
            path(data.path()),
        ]);
    }
    assert_eq!(run(&gate).status.code(), Some(0), "accepted findings do not fail the gate");
}

#[test]
fn model_diff_lists_what_changed_between_stored_versions() {
    let root = copy_fixture("contract");
    let data = tempfile::tempdir().unwrap();
    scan(root.path(), data.path());
    std::fs::write(root.path().join("docs/new-note.md"), "# Note\n\nNothing about patients.\n")
        .unwrap();
    let second = scan(root.path(), data.path());
    assert_eq!(second["model_version"], 2);

    let out = ok(&["model", "diff", "1", "2", "--data-dir", path(data.path()), "--json"]);
    let diff = json(&out);
    assert_eq!(diff["artifacts_added"], serde_json::json!(["files:docs/new-note.md"]));
    assert_eq!(diff["artifacts_removed"], serde_json::json!([]));

    let missing = run(&["model", "diff", "1", "9", "--data-dir", path(data.path())]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no version 9"));
}
