//! A Slack workspace export (channels.json, users.json, one folder of day files per channel)
//! scanned end to end: threads are read as a whole, replies included, even when the replies
//! were posted on a later day, and findings cite the day file and line of each message.

mod common;

use std::sync::OnceLock;

use common::{about, evidence, find, fixture, scan_json, summary};
use serde_json::Value;

const MIXPANEL_THREAD_TS: &str = "1803999851.204117";
const HOTJAR_THREAD_TS: &str = "1804008000.118200";
const FIRST_DAY: &str = "slack/patient-portal/2027-03-02.json";
const SECOND_DAY: &str = "slack/patient-portal/2027-03-03.json";

/// The fixture is only read, so every test shares one scan.
fn report() -> &'static Value {
    static REPORT: OnceLock<Value> = OnceLock::new();
    REPORT.get_or_init(|| scan_json(&fixture("slack_export")))
}

fn artifact_ids(report: &Value) -> Vec<&str> {
    report["artifacts"]
        .as_array()
        .expect("artifacts array")
        .iter()
        .filter_map(|a| a["id"].as_str())
        .collect()
}

/// The message object (one element of the day file's top-level array) that holds 1-based line
/// `line` of `text`. The fixture writes each message as `  {` … `  }` lines.
fn message_at(text: &str, line: u64) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = (line as usize).checked_sub(1).filter(|&i| i < lines.len());
    let Some(at) = at else { return String::new() };
    let start = (0..=at).rev().find(|&i| lines[i] == "  {").unwrap_or(0);
    let end = (at..lines.len()).find(|&i| lines[i].starts_with("  }")).unwrap_or(lines.len() - 1);
    lines[start..=end].join("\n")
}

#[test]
fn mixpanel_shipped_on_signed_in_pages_without_baa_is_disclosure_and_tracking() {
    let report = report();

    for category in ["disclosure_no_baa", "tracking_technology"] {
        let found = find(report, category, "mixpanel");
        assert_eq!(found.len(), 1, "one {category} finding for Mixpanel\n{}", summary(report));
        let phi: Vec<&str> =
            found[0]["phi"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(phi.contains(&"name"), "{category} names the patient name: {phi:?}");
        assert!(phi.contains(&"diagnosis"), "{category} names the diagnosis: {phi:?}");
    }
}

#[test]
fn mixpanel_evidence_cites_the_day_file_and_line_of_each_message() {
    let report = report();
    let found = find(report, "disclosure_no_baa", "mixpanel");
    assert!(!found.is_empty(), "no Mixpanel finding\n{}", summary(report));
    let cited = evidence(found[0]);

    // The parent was posted on the first day, the reply that says it shipped on the second:
    // both day files are cited.
    for day in [FIRST_DAY, SECOND_DAY] {
        assert!(cited.iter().any(|(path, _)| path == day), "{day} not cited: {cited:?}");
    }
    for (path, line) in &cited {
        assert!(path.starts_with("slack/patient-portal/"), "unexpected evidence path {path}");
        let line = line.unwrap_or_else(|| panic!("evidence in {path} has no line"));
        let text = std::fs::read_to_string(fixture("slack_export").join(path)).unwrap();
        let message = message_at(&text, line);
        assert!(
            message.to_lowercase().contains("mixpanel"),
            "{path}:{line} is not inside a message about Mixpanel:\n{message}"
        );
    }
}

#[test]
fn thread_replies_posted_on_a_later_day_stay_in_their_thread() {
    let report = report();
    let ids = artifact_ids(report);

    let thread: Vec<&&str> = ids.iter().filter(|id| id.ends_with(MIXPANEL_THREAD_TS)).collect();
    assert_eq!(thread.len(), 1, "one artifact for the Mixpanel thread: {ids:?}");
    assert!(
        thread[0].starts_with("slack:T0LARKSPR/C0LKPORTAL/"),
        "thread id is slack:<team>/<channel>/<ts>: {}",
        thread[0]
    );
    // The second day of #patient-portal holds only thread replies: no channel-day artifact.
    assert!(
        !ids.iter().any(|id| id.contains("C0LKPORTAL/day/2027-03-03")),
        "replies leaked into a channel-day artifact: {ids:?}"
    );
}

#[test]
fn rejected_vendor_in_thread_yields_no_finding() {
    let report = report();
    let ids = artifact_ids(report);
    assert!(
        ids.iter().any(|id| id.ends_with(HOTJAR_THREAD_TS)),
        "the Hotjar thread was not read at all: {ids:?}"
    );

    let hotjar = about(report, "hotjar");
    assert!(hotjar.is_empty(), "Hotjar was rejected in a later reply\n{}", summary(report));
}

#[test]
fn messages_outside_threads_become_one_artifact_per_channel_and_day() {
    let report = report();
    let ids = artifact_ids(report);

    assert!(
        ids.contains(&"slack:T0LARKSPR/C0LKRELNS/day/2027-03-03"),
        "no channel-day artifact for #release-notes: {ids:?}"
    );
    assert!(
        about(report, "release").is_empty(),
        "a release note is not a risk\n{}",
        summary(report)
    );
}

#[test]
fn export_lists_are_not_reported_as_skipped_or_errors() {
    let report = report();
    assert_eq!(report["skipped"], serde_json::json!([]), "channels.json and users.json are read");
    assert_eq!(report["errors"], serde_json::json!([]));
}
