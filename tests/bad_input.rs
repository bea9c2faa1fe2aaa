//! Bad input is normal input: a folder with one malformed file of every format phiflow reads, a
//! binary file and an unsupported one, next to one good document. The scan finishes, lists each
//! bad file with its path, and still reports the good file's risk. Configuration mistakes and a
//! missing PATH, on the other hand, stop the scan with a message naming the problem.

mod common;

use std::sync::OnceLock;

use common::{describe, find, fixture, listed_paths, phiflow, run_scan, summary, write_file};
use serde_json::Value;

/// The fixture is only read, so every test shares one scan.
fn report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| {
        let out = run_scan(&fixture("bad_input"), &["--format", "json"]);
        assert!(out.status.success(), "bad files must not fail the scan\n{}", describe(&out));
        serde_json::from_slice(&out.stdout).expect("JSON report")
    })
}

/// `path` is listed under `errors` with a message, and is not counted as analyzed.
fn assert_error(path: &str) {
    let report = report();
    let errors = report["errors"].as_array().expect("errors array");
    let entry = errors.iter().find(|e| e["path"] == path);
    let Some(entry) = entry else {
        let artifact = report["artifacts"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["path"] == path))
            .map(|a| format!("{} with {} facts", a["status"], a["facts"]))
            .unwrap_or_else(|| "not listed as an artifact".into());
        panic!("{path} is not in errors (artifact: {artifact}); errors: {errors:#?}");
    };
    let message = entry["error"].as_str().unwrap_or_default();
    assert!(!message.trim().is_empty(), "{path}: empty error message");

    let analyzed = report["artifacts"]
        .as_array()
        .expect("artifacts array")
        .iter()
        .any(|a| a["path"] == path && a["status"] == "analyzed");
    assert!(!analyzed, "{path} is both an error and analyzed");
}

/// `path` is listed under `skipped` with a reason containing `reason`.
fn assert_skipped(path: &str, reason: &str) {
    let report = report();
    let skipped = report["skipped"].as_array().expect("skipped array");
    let entry = skipped.iter().find(|s| s["path"] == path);
    let entry = entry.unwrap_or_else(|| panic!("{path} is not skipped: {skipped:#?}"));
    let why = entry["reason"].as_str().unwrap_or_default();
    assert!(why.contains(reason), "{path} skipped for {why:?}, expected {reason:?}");
}

#[test]
fn truncated_slack_day_file_is_an_error() {
    assert_error("slack/front-desk/2027-03-04.json");
}

#[test]
fn broken_confluence_storage_xhtml_is_an_error() {
    assert_error("confluence/billing-faq.xhtml");
}

#[test]
fn confluence_page_json_without_body_is_an_error() {
    assert_error("confluence/referral-process-page.json");
}

#[test]
fn invalid_openapi_yaml_is_an_error() {
    assert_error("api/openapi.yaml");
}

#[test]
fn invalid_compose_yaml_is_an_error() {
    assert_error("deploy/docker-compose.yml");
}

#[test]
fn invalid_kubernetes_yaml_is_an_error() {
    assert_error("k8s/scheduling-api.yaml");
}

#[test]
fn invalid_terraform_hcl_is_an_error() {
    assert_error("infra/network.tf");
}

#[test]
fn invalid_package_json_is_an_error() {
    assert_error("web/package.json");
}

#[test]
fn invalid_jupyter_notebook_is_an_error() {
    assert_error("notebooks/no-show-model.ipynb");
}

#[test]
fn binary_file_is_skipped_as_binary() {
    assert_skipped("assets/logo.png", "binary");
}

#[test]
fn unsupported_extension_is_skipped_with_the_reason() {
    assert_skipped("notes/retro-2027-03.org", ".org");
}

#[test]
fn skipped_files_are_not_errors() {
    let errors = listed_paths(report(), "errors");
    for path in ["assets/logo.png", "notes/retro-2027-03.org"] {
        assert!(!errors.iter().any(|e| e == path), "{path} listed as an error: {errors:?}");
    }
}

#[test]
fn good_file_finding_survives_malformed_neighbours() {
    let report = report();
    for category in ["disclosure_no_baa", "tracking_technology"] {
        let found = find(report, category, "fullstory");
        assert_eq!(found.len(), 1, "{category} for FullStory\n{}", summary(report));
        let paths = common::evidence_paths(found[0]);
        assert_eq!(paths, ["docs/portal-session-replay.md"]);
    }
}

const GOOD_DOC: &str =
    "# Chat\n\nThe portal passes the patient's name and diagnosis to Intercom.\n";

#[test]
fn config_with_unknown_key_fails_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "docs/chat.md", GOOD_DOC);
    write_file(
        dir.path(),
        "phiflow.toml",
        "[organization]\nname = \"Larkspur Valley Clinics\"\nbaa_sigend = [\"aws\"]\n",
    );

    let out = run_scan(dir.path(), &["--format", "json"]);

    assert!(!out.status.success(), "a misspelt key must stop the scan\n{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("baa_sigend"), "stderr does not name the key:\n{stderr}");
    assert!(out.stdout.is_empty(), "no report on a config error\n{}", describe(&out));
}

#[test]
fn explicit_config_with_unknown_key_fails_and_names_the_key() {
    let docs = tempfile::tempdir().unwrap();
    write_file(docs.path(), "docs/chat.md", GOOD_DOC);
    let conf = tempfile::tempdir().unwrap();
    let config = conf.path().join("phiflow.toml");
    std::fs::write(&config, "[organization]\nbaa_sigend = [\"aws\"]\n").unwrap();

    let out = phiflow()
        .arg("scan")
        .arg(docs.path())
        .arg("--config")
        .arg(&config)
        .output()
        .expect("run phiflow");

    assert!(!out.status.success(), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("baa_sigend"), "stderr does not name the key:\n{stderr}");
}

#[test]
fn missing_path_fails_and_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-export");

    let out = run_scan(&missing, &[]);

    assert!(!out.status.success(), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&*missing.to_string_lossy()),
        "stderr does not name {}:\n{stderr}",
        missing.display()
    );
}
