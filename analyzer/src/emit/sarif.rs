//! Findings as a SARIF 2.1.0 log for GitHub code scanning (`phiflow scan --format sarif`).
//!
//! A result needs a file and a line to be shown in a repository, so the log holds the findings
//! that have at least one piece of evidence with a line; the path of that evidence, relative to
//! the scanned folder, is the result's URI under `%SRCROOT%`. Scan a repository checkout from its
//! root and the URIs match the repository's files.
//!
//! What GitHub's "SARIF support for code scanning" page documents, and how the log meets it:
//!
//! - required properties: `$schema`, `version` `2.1.0`, `runs[]`; per run `tool.driver.name`,
//!   `tool.driver.rules[]` and `results[]`; per rule `id`, `shortDescription.text`,
//!   `fullDescription.text` (each at most 1,024 characters) and `help.text`; per result
//!   `message.text`, `locations[]` with `physicalLocation.artifactLocation.uri` and
//!   `region.startLine`, and `partialFingerprints`. phiflow knows the line of a piece of
//!   evidence but not its columns, so a region is the whole line: `startColumn` 1,
//!   `endLine` = `startLine`, and no `endColumn`, which SARIF then takes as the end of the line;
//! - `properties.security-severity` on each rule, a string from `0.1` to `10.0`: the highest
//!   score among the rule's results divided by ten, which GitHub bands as critical (over 9.0),
//!   high (7.0–8.9), medium (4.0–6.9) and low;
//! - `partialFingerprints` carries `phiflow/v1`, the finding's fingerprint, so an alert keeps
//!   its identity across scans. GitHub itself matches alerts on `primaryLocationLineHash`,
//!   a hash of the source line that phiflow cannot compute from masked excerpts; the
//!   `upload-sarif` action adds it from the checkout;
//! - limits: at most 25,000 results per run, 25,000 rules and 1,000 locations per result.
//!   Findings beyond the first 25,000 (highest scores first) are left out, and a notification
//!   in `invocations[0].toolExecutionNotifications` says how many.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::findings::{EvidenceRef, Finding, Severity};

/// The schema URI GitHub's documentation gives for SARIF 2.1.0.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
/// The `uriBaseId` of every location: the root of the scanned folder.
pub const SRCROOT: &str = "%SRCROOT%";
/// `partialFingerprints` key for phiflow's finding fingerprint.
pub const FINGERPRINT_KEY: &str = "phiflow/v1";
/// Most results GitHub code scanning accepts in one run.
pub const MAX_RESULTS: usize = 25_000;
/// Most locations GitHub accepts on one result (the primary one included).
pub const MAX_LOCATIONS: usize = 1_000;
/// Longest rule description GitHub shows, in characters.
pub const MAX_DESCRIPTION: usize = 1_024;

/// The SARIF log of `findings` (highest score first, as the analyzer orders them).
pub fn log(findings: &[Finding]) -> Value {
    log_with_limit(findings, MAX_RESULTS)
}

fn log_with_limit(findings: &[Finding], max_results: usize) -> Value {
    let located: Vec<(&Finding, Vec<&EvidenceRef>)> = findings
        .iter()
        .map(|f| (f, f.evidence.iter().filter(|e| e.location.line.is_some()).collect::<Vec<_>>()))
        .filter(|(_, lines)| !lines.is_empty())
        .collect();
    let unlocated = findings.len() - located.len();
    let kept = &located[..located.len().min(max_results)];
    let dropped = located.len() - kept.len();

    let rules = Rules::of(kept.iter().map(|(f, _)| *f));
    let results: Vec<Value> = kept.iter().map(|(f, lines)| result(f, lines, &rules)).collect();

    let mut run = json!({
        "tool": {"driver": driver(&rules)},
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the scanned folder or checkout."}},
        },
        "results": results,
    });
    let notes = notifications(unlocated, dropped, max_results);
    if !notes.is_empty() {
        run["invocations"] =
            json!([{"executionSuccessful": true, "toolExecutionNotifications": notes}]);
    }
    json!({"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]})
}

/// The rules the results refer to, in order of first use, with the highest score of each.
struct Rules<'a> {
    order: Vec<&'a Finding>,
    index: BTreeMap<&'a str, (usize, u32)>,
}

impl<'a> Rules<'a> {
    fn of(findings: impl Iterator<Item = &'a Finding>) -> Rules<'a> {
        let mut rules = Rules { order: Vec::new(), index: BTreeMap::new() };
        for f in findings {
            let next = rules.order.len();
            let slot = rules.index.entry(f.rule_id.as_str()).or_insert((next, 0));
            slot.1 = slot.1.max(f.score);
            if slot.0 == next {
                rules.order.push(f);
            }
        }
        rules
    }
}

fn driver(rules: &Rules) -> Value {
    let mut driver = json!({
        "name": "phiflow",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules.order.iter().map(|f| rule(f, rules.index[f.rule_id.as_str()].1))
            .collect::<Vec<_>>(),
    });
    // The workspace's `repository` field, once it has one; a made-up address would mislead.
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver["informationUri"] = json!(repository);
    }
    driver
}

fn rule(f: &Finding, max_score: u32) -> Value {
    let citations = f.cfr.join("; ");
    json!({
        "id": f.rule_id,
        "name": f.category,
        "shortDescription": {"text": clip(&f.title, MAX_DESCRIPTION)},
        "fullDescription": {"text": clip(&f.explanation.rule, MAX_DESCRIPTION)},
        "help": {
            "text": format!("{} Cites {citations}.", f.remediation),
            "markdown": format!("{}\n\n**Cites:** {citations}", f.remediation),
        },
        "defaultConfiguration": {"level": level(Severity::from_score(max_score))},
        "properties": {
            "tags": [f.category, "hipaa", "security"],
            "security-severity": security_severity(max_score),
        },
    })
}

fn result(f: &Finding, lines: &[&EvidenceRef], rules: &Rules) -> Value {
    let (first, rest) = lines.split_first().expect("a located finding has a line");
    let related: Vec<Value> = rest
        .iter()
        .take(MAX_LOCATIONS - 1)
        .enumerate()
        .map(|(i, e)| {
            let mut loc = location(e);
            loc["id"] = json!(i + 1);
            loc
        })
        .collect();
    let mut result = json!({
        "ruleId": f.rule_id,
        "ruleIndex": rules.index[f.rule_id.as_str()].0,
        "level": level(f.severity),
        "message": {"text": f.reason},
        "locations": [location(first)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "category": f.category,
            "severity": f.severity.as_str(),
            "score": f.score,
            "cfr": f.cfr,
            "phi_types": f.phi,
        },
    });
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result
}

fn location(e: &EvidenceRef) -> Value {
    let line = e.location.line.expect("only evidence with a line is located");
    json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&e.artifact.path), "uriBaseId": SRCROOT},
            "region": {"startLine": line, "startColumn": 1, "endLine": line},
        },
        "message": {"text": e.excerpt},
    })
}

fn notifications(unlocated: usize, dropped: usize, max_results: usize) -> Vec<Value> {
    let mut notes = Vec::new();
    if dropped > 0 {
        notes.push(json!({
            "level": "warning",
            "descriptor": {"id": "phiflow/results-truncated"},
            "message": {"text": format!(
                "{dropped} findings were left out: GitHub code scanning accepts at most \
                 {max_results} results per run. Use --format json for all of them."
            )},
        }));
    }
    if unlocated > 0 {
        notes.push(json!({
            "level": "note",
            "descriptor": {"id": "phiflow/findings-without-lines"},
            "message": {"text": format!(
                "{unlocated} findings rest only on evidence without a line (chat threads, \
                 pages) and are not in this log. Use --format json for all of them."
            )},
        }));
    }
    notes
}

/// `error` for high and critical findings, `warning` for medium, `note` otherwise.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A 0–100 score as GitHub's `security-severity`: a string from "0.1" to "10.0".
pub fn security_severity(score: u32) -> String {
    let tenths = score.clamp(1, 100);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A relative path as a URI reference: unreserved characters and `/` stay, everything else is
/// percent-encoded, so spaces, `#` and `?` in file names cannot change the URI's meaning.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::fixtures::{finding, subject_finding};

    /// GitHub code scanning's required properties ("SARIF support for code scanning", the
    /// tables of the sarifLog, run, toolComponent, reportingDescriptor, result, location and
    /// physicalLocation objects), plus the SARIF 2.1.0 schema's own required properties
    /// (`version`, `runs`, `tool.driver.name`, `message`, `invocations[].executionSuccessful`,
    /// `notifications[].message`). Returns every violation.
    pub(crate) fn github_problems(log: &Value) -> Vec<String> {
        fn text<'a>(v: &'a Value, ptr: &str) -> &'a str {
            v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
        }
        let mut p = Vec::new();
        let mut need = |ok: bool, what: String| {
            if !ok {
                p.push(what);
            }
        };
        need(!text(log, "/$schema").is_empty(), "$schema".into());
        need(log["version"] == "2.1.0", "version is not 2.1.0".into());
        let runs = log["runs"].as_array().cloned().unwrap_or_default();
        need(!runs.is_empty() && runs.len() <= 20, "runs[] must hold 1 to 20 runs".into());
        for run in &runs {
            need(!text(run, "/tool/driver/name").is_empty(), "tool.driver.name".into());
            let rules = run.pointer("/tool/driver/rules").and_then(Value::as_array);
            need(rules.is_some(), "tool.driver.rules[]".into());
            let rules = rules.cloned().unwrap_or_default();
            for r in &rules {
                let id = text(r, "/id");
                need(!id.is_empty(), "rule id".into());
                for ptr in ["/shortDescription/text", "/fullDescription/text", "/help/text"] {
                    let t = text(r, ptr);
                    need(!t.is_empty(), format!("rule {id} {ptr}"));
                    if ptr != "/help/text" {
                        need(t.chars().count() <= 1024, format!("rule {id} {ptr} too long"));
                    }
                }
                need(text(r, "/name").chars().count() <= 255, format!("rule {id} name"));
                let tags = r.pointer("/properties/tags").and_then(Value::as_array);
                need(tags.is_none_or(|t| t.len() <= 20), format!("rule {id} has >20 tags"));
                if let Some(s) = r.pointer("/properties/security-severity") {
                    let n = s.as_str().and_then(|s| s.parse::<f64>().ok());
                    let ok = n.is_some_and(|n| n > 0.0 && n <= 10.0);
                    need(ok, format!("rule {id} security-severity {s} not in (0, 10]"));
                }
            }
            let results = run["results"].as_array();
            need(results.is_some(), "run.results[]".into());
            let results = results.cloned().unwrap_or_default();
            need(results.len() <= 25_000, "more than 25,000 results in a run".into());
            for (i, r) in results.iter().enumerate() {
                need(!text(r, "/message/text").is_empty(), format!("result {i} message.text"));
                let rule_id = text(r, "/ruleId");
                need(rules.iter().any(|x| x["id"] == rule_id), format!("result {i} ruleId"));
                let fp = r["partialFingerprints"].as_object();
                need(fp.is_some_and(|m| !m.is_empty()), format!("result {i} fingerprints"));
                let locs = r["locations"].as_array().cloned().unwrap_or_default();
                need(!locs.is_empty(), format!("result {i} has no location"));
                let related = r["relatedLocations"].as_array().map_or(0, Vec::len);
                need(locs.len() + related <= 1000, format!("result {i} >1000 locations"));
                for l in locs.iter().chain(r["relatedLocations"].as_array().into_iter().flatten()) {
                    let uri = text(l, "/physicalLocation/artifactLocation/uri");
                    need(!uri.is_empty(), format!("result {i} location uri"));
                    need(!uri.starts_with('/'), format!("result {i} uri {uri} not relative"));
                    let line = l.pointer("/physicalLocation/region/startLine");
                    let ok = line.and_then(Value::as_u64).is_some_and(|n| n >= 1);
                    need(ok, format!("result {i} startLine"));
                }
            }
            for inv in run["invocations"].as_array().into_iter().flatten() {
                need(inv["executionSuccessful"].is_boolean(), "executionSuccessful".into());
                for n in inv["toolExecutionNotifications"].as_array().into_iter().flatten() {
                    need(!text(n, "/message/text").is_empty(), "notification message".into());
                }
            }
        }
        p
    }

    #[test]
    fn a_log_meets_github_required_properties() {
        let log = log(&[finding(), subject_finding()]);
        let problems = github_problems(&log);
        assert!(problems.is_empty(), "{problems:#?}\n{log:#}");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "phiflow");
        assert_eq!(run["results"].as_array().unwrap().len(), 2);
        assert!(run.get("invocations").is_none(), "nothing was left out");
    }

    #[test]
    fn results_carry_rule_level_location_and_fingerprint() {
        let f = finding();
        let log = log(std::slice::from_ref(&f));
        let run = &log["runs"][0];
        let rule = &run["tool"]["driver"]["rules"][0];
        assert_eq!(rule["id"], "PF-DISC-001");
        assert_eq!(rule["shortDescription"]["text"], f.title);
        assert_eq!(rule["fullDescription"]["text"], f.explanation.rule);
        assert!(rule["help"]["text"].as_str().unwrap().starts_with(&f.remediation));
        assert_eq!(rule["properties"]["tags"], json!(["disclosure_no_baa", "hipaa", "security"]));
        assert_eq!(rule["properties"]["security-severity"], "8.4");

        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "PF-DISC-001");
        assert_eq!(r["ruleIndex"], 0);
        assert_eq!(r["level"], "error");
        assert_eq!(r["message"]["text"], f.reason);
        assert_eq!(r["partialFingerprints"][FINGERPRINT_KEY], f.fingerprint);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "src/analytics/fullstory.ts");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], SRCROOT);
        assert_eq!(loc["region"]["startLine"], 20);
        assert!(r.get("relatedLocations").is_none(), "the chat message has no line");
    }

    #[test]
    fn further_evidence_lines_are_related_locations() {
        let mut f = finding();
        f.evidence[1].location.line = Some(6);
        let log = log(&[f]);
        let related = &log["runs"][0]["results"][0]["relatedLocations"];
        assert_eq!(related[0]["id"], 1);
        let uri = &related[0]["physicalLocation"]["artifactLocation"]["uri"];
        assert_eq!(uri, "slack/portal/2026-10-08.json");
    }

    #[test]
    fn findings_without_lines_are_left_out_with_a_note() {
        let mut f = finding();
        f.evidence.retain(|e| e.location.line.is_none());
        let log = log(&[f, subject_finding()]);
        let run = &log["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), 1);
        assert_eq!(run["results"][0]["ruleIndex"], 0);
        let note = &run["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "note");
        assert!(note["message"]["text"].as_str().unwrap().starts_with("1 findings"));
    }

    #[test]
    fn more_results_than_github_accepts_are_truncated_with_a_warning() {
        let findings: Vec<Finding> = (0..MAX_RESULTS + 3)
            .map(|i| {
                let mut f = subject_finding();
                f.fingerprint = format!("{i:024x}");
                f
            })
            .collect();
        let log = log(&findings);
        assert!(github_problems(&log).is_empty());
        let run = &log["runs"][0];
        assert_eq!(run["results"].as_array().unwrap().len(), MAX_RESULTS);
        let note = &run["invocations"][0]["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "warning");
        assert!(note["message"]["text"].as_str().unwrap().starts_with("3 findings were left"));
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn levels_and_security_severities() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
        assert_eq!(security_severity(0), "0.1");
        assert_eq!(security_severity(7), "0.7");
        assert_eq!(security_severity(84), "8.4");
        assert_eq!(security_severity(100), "10.0");
        assert_eq!(security_severity(250), "10.0");
    }

    #[test]
    fn rules_take_their_highest_score() {
        let mut low = finding();
        low.score = 30;
        low.fingerprint = "low".into();
        let log = log(&[finding(), low]);
        let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0]["properties"]["security-severity"], "8.4");
    }

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(uri("docs/design notes/flow#1.md"), "docs/design%20notes/flow%231.md");
        assert_eq!(uri("src/a-b_c.~ts"), "src/a-b_c.~ts");
        assert_eq!(uri("docs/ünï.md"), "docs/%C3%BCn%C3%AF.md");
    }

    #[test]
    fn long_descriptions_are_clipped_to_github_limits() {
        let mut f = finding();
        f.explanation.rule = "x".repeat(2000);
        let log = log(&[f]);
        let full = &log["runs"][0]["tool"]["driver"]["rules"][0]["fullDescription"]["text"];
        assert_eq!(full.as_str().unwrap().chars().count(), MAX_DESCRIPTION);
    }
}
