//! Slack exports read end to end: from files on disk (or a zip built here) to artifact events.

use std::fs;
use std::io::Write;
use std::path::Path;

use phiflow_pipeline::event::content_hash;
use phiflow_pipeline::Config;
use serde_json::json;

use super::*;
use crate::{FilesConnector, ScanReport};

const CHANNELS: &str = r#"[{"id": "C1", "name": "portal-web"}, {"id": "C2", "name": "general"}]"#;

fn users() -> String {
    json!([
        {"id": "U1", "team_id": "T1", "name": "dana", "real_name": "Dana Okafor"},
        {"id": "U2", "team_id": "T1", "name": "mateo", "profile": {"display_name": "Mateo L"}},
    ])
    .to_string()
}

fn message(user: &str, ts: &str, thread_ts: Option<&str>, text: &str) -> serde_json::Value {
    let mut m = json!({"type": "message", "user": user, "ts": ts, "team": "T1", "text": text});
    if let Some(thread_ts) = thread_ts {
        m["thread_ts"] = json!(thread_ts);
    }
    m
}

fn pretty(messages: &[serde_json::Value]) -> String {
    serde_json::to_string_pretty(messages).unwrap()
}

/// Day one: a thread parent listing its replies, two replies stored out of order, a message
/// outside the thread and a join. Day two: a late reply and another message outside it.
fn day_files() -> [(&'static str, String); 2] {
    let mut parent =
        message("U1", "100.000100", Some("100.000100"), "<@U2> ship <https://x.test/pr/1|#1>?");
    parent["replies"] =
        json!([{"user": "U2", "ts": "100.000200"}, {"user": "U1", "ts": "100.000300"}]);
    let first = pretty(&[
        parent,
        message("U1", "100.000300", Some("100.000100"), "second reply"),
        message("U2", "100.000200", Some("100.000100"), "first reply"),
        message("U2", "150.000000", None, "lunch &lt;3"),
        json!({"subtype": "channel_join", "user": "U9", "ts": "160.0", "text": "joined"}),
    ]);
    let second = pretty(&[
        message("U2", "210.000000", None, "standup moved"),
        message("U1", "200.000000", Some("100.000100"), "&lt;@U1&gt; is literal"),
    ]);
    [("2026-10-08.json", first), ("2026-10-09.json", second)]
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn write_export(dir: &Path) {
    write(dir, "channels.json", CHANNELS);
    write(dir, "users.json", &users());
    for (name, text) in day_files() {
        write(dir, &format!("portal-web/{name}"), &text);
    }
}

fn scan(root: &Path) -> (Vec<ArtifactEvent>, ScanReport) {
    let toml = "[systems.portal]\npaths = [\"**/portal-web/**\"]\n";
    let config = Config::parse(toml, Path::new("phiflow.toml")).unwrap();
    let mut events = Vec::new();
    let connector = FilesConnector::new(root, config.system_router());
    let report = connector.scan(&mut |event| events.push(event)).unwrap();
    (events, report)
}

fn thread_of(event: &ArtifactEvent) -> ChatThread {
    assert_eq!(event.media_type.as_deref(), Some(CHAT_THREAD_MEDIA_TYPE));
    serde_json::from_str(event.content.as_deref().unwrap()).unwrap()
}

fn texts(thread: &ChatThread) -> Vec<&str> {
    thread.messages.iter().map(|m| m.text.as_str()).collect()
}

fn ids(events: &[ArtifactEvent]) -> Vec<&str> {
    events.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn a_thread_is_assembled_across_day_files_in_ts_order() {
    let root = tempfile::tempdir().unwrap();
    write_export(&root.path().join("slack"));

    let (events, report) = scan(root.path());

    assert_eq!(report, ScanReport { published: 3, ..ScanReport::default() });
    let event = &events[0];
    assert_eq!(event.id, "slack:T1/C1/100.000100");
    assert_eq!(event.source, Source::Slack);
    assert_eq!(event.path, "slack/portal-web/2026-10-08.json");
    assert_eq!(event.title.as_deref(), Some("#portal-web"));
    assert_eq!(event.system, "portal");
    let content = event.content.as_deref().unwrap();
    assert_eq!(event.content_hash, content_hash(content.as_bytes()));
    assert_eq!(event.revision, event.content_hash[..12]);

    let thread = thread_of(event);
    assert_eq!((thread.team.as_deref(), thread.channel_name.as_str()), (Some("T1"), "portal-web"));
    assert_eq!(thread.thread_ts, "100.000100");
    let ts: Vec<_> = thread.messages.iter().map(|m| m.ts.as_str()).collect();
    assert_eq!(ts, ["100.000100", "100.000200", "100.000300", "200.000000"]);
    assert_eq!(thread.messages[3].file.as_deref(), Some("slack/portal-web/2026-10-09.json"));
}

#[test]
fn authors_and_markup_are_decoded_and_lines_point_at_each_message() {
    let root = tempfile::tempdir().unwrap();
    write_export(&root.path().join("slack"));

    let (events, _) = scan(root.path());
    let thread = thread_of(&events[0]);

    let authors: Vec<_> = thread.messages.iter().map(|m| m.author.as_str()).collect();
    assert_eq!(authors, ["Dana Okafor", "Mateo L", "Dana Okafor", "Dana Okafor"]);
    assert_eq!(thread.messages[0].text, "@Mateo L ship #1 (https://x.test/pr/1)?");
    assert_eq!(thread.messages[3].text, "<@U1> is literal");

    // Each line is that of the message's own "ts", not of the parent's list of replies.
    let (_, day_one) = &day_files()[0];
    for m in &thread.messages[..3] {
        let line = day_one.lines().nth(m.line.unwrap() as usize - 1).unwrap();
        assert_eq!(line.trim(), format!("\"ts\": \"{}\",", m.ts));
    }
}

#[test]
fn messages_outside_threads_become_one_artifact_per_channel_day() {
    let root = tempfile::tempdir().unwrap();
    write_export(&root.path().join("slack"));

    let (events, _) = scan(root.path());

    assert_eq!(
        ids(&events),
        ["slack:T1/C1/100.000100", "slack:T1/C1/day/2026-10-08", "slack:T1/C1/day/2026-10-09"]
    );
    let day = thread_of(&events[1]);
    assert_eq!(texts(&day), ["lunch <3"], "the join is left out");
    assert_eq!(day.thread_ts, "150.000000");
    assert_eq!(events[2].path, "slack/portal-web/2026-10-09.json");
}

#[test]
fn a_malformed_day_file_is_reported_and_the_rest_still_publishes() {
    let root = tempfile::tempdir().unwrap();
    let export = root.path().join("slack");
    write_export(&export);
    write(&export, "general/2026-10-10.json", "[{\"ts\": ");
    write(&export, "general/2026-10-11.json", "{\"ts\": \"1.0\"}");

    let (events, report) = scan(root.path());

    assert_eq!(events.len(), 3);
    let failed: Vec<_> = report.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(failed, ["slack/general/2026-10-10.json", "slack/general/2026-10-11.json"]);
    assert!(report.errors[0].reason.starts_with("invalid Slack day file: "), "{report:?}");
    assert!(report.errors[1].reason.contains("not a JSON array"), "{report:?}");
}

#[test]
fn without_users_json_authors_are_ids_and_the_team_comes_from_messages() {
    let root = tempfile::tempdir().unwrap();
    write_export(root.path());
    fs::remove_file(root.path().join("users.json")).unwrap();

    let (events, report) = scan(root.path());

    assert!(report.errors.is_empty(), "{report:?}");
    assert_eq!(events[0].path, "portal-web/2026-10-08.json", "the root is the export");
    let thread = thread_of(&events[0]);
    assert_eq!(thread.messages[0].author, "U1");
    assert_eq!(thread.messages[0].text, "@U2 ship #1 (https://x.test/pr/1)?");
}

#[test]
fn an_export_that_names_no_team_uses_export_in_ids() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "channels.json", CHANNELS);
    write(root.path(), "general/2026-01-01.json", r#"[{"user": "U1", "ts": "5.0", "text": "hi"}]"#);

    let (events, _) = scan(root.path());

    assert_eq!(ids(&events), ["slack:export/C2/day/2026-01-01"]);
    assert_eq!(thread_of(&events[0]).team, None);
}

#[test]
fn export_files_are_not_published_one_by_one_and_other_files_still_are() {
    let root = tempfile::tempdir().unwrap();
    write_export(&root.path().join("slack"));
    write(root.path(), "slack/portal-web/notes.txt", "stray");
    write(root.path(), "docs/design.md", "# Design");

    let (events, report) = scan(root.path());

    assert_eq!(events.iter().filter(|e| e.source == Source::Files).count(), 1);
    assert_eq!(events[0].id, "files:docs/design.md");
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].path, "slack/portal-web/notes.txt");
}

fn write_zip(path: &Path, entries: &[(String, String)]) {
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut writer = zip::ZipWriter::new(fs::File::create(path).unwrap());
    for (name, text) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
}

#[test]
fn a_zip_export_publishes_threads_with_paths_inside_the_archive() {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("exports")).unwrap();
    let mut entries = vec![
        ("acme/channels.json".to_string(), CHANNELS.to_string()),
        ("acme/users.json".to_string(), users()),
        ("__MACOSX/acme/._channels.json".to_string(), "junk".to_string()),
    ];
    for (name, text) in day_files() {
        entries.push((format!("acme/portal-web/{name}"), text));
    }
    write_zip(&root.path().join("exports/acme.zip"), &entries);

    let (events, report) = scan(root.path());

    assert_eq!(report, ScanReport { published: 3, ..ScanReport::default() });
    assert_eq!(events[0].id, "slack:T1/C1/100.000100");
    assert_eq!(events[0].path, "exports/acme.zip/acme/portal-web/2026-10-08.json");
    assert_eq!(events[0].system, "portal");
    let thread = thread_of(&events[0]);
    assert_eq!(thread.messages.len(), 4);
    assert_eq!(thread.messages[0].author, "Dana Okafor");
}

#[test]
fn a_zip_without_an_export_is_skipped() {
    let root = tempfile::tempdir().unwrap();
    write_zip(&root.path().join("bundle.zip"), &[("a.txt".into(), "x".into())]);

    let (events, report) = scan(root.path());

    assert!(events.is_empty());
    assert_eq!(report.skipped[0].path, "bundle.zip");
    assert!(report.skipped[0].reason.contains("no Slack export"), "{report:?}");
}

#[test]
fn ts_order_is_numeric() {
    let mut list = vec!["1000.000001", "999.5", "999.000010", "999.00002"];
    list.sort_by_key(|ts| ts_order(ts));
    assert_eq!(list, ["999.000010", "999.00002", "999.5", "1000.000001"]);
}

#[test]
fn layout_separates_day_files_from_other_export_files() {
    let names: Vec<String> = [
        "channels.json",
        "general/2026-01-02.json",
        "general/notes.txt",
        "general/2026-01-01.json",
        "README.md",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (channels, strays) = layout(&names);
    assert_eq!(channels["general"].len(), 2);
    assert_eq!(strays, ["general/notes.txt", "README.md"]);
}
