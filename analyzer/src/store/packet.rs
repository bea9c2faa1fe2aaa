//! The auditor's packet, `phiflow audit export`: for one system and a window of days, the audit
//! records (one per processed artifact revision), the decisions people made with their reasons,
//! and every finding of the system with its whole transition history.
//!
//! It renders as JSON or as one self-contained HTML page (inline style, no scripts, no links
//! out) in which every piece of text that came from a document or a person is HTML-escaped.
//! Nothing here unmasks anything: excerpts were masked when they were extracted, and decision
//! reasons when they were recorded.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;
use serde_json::Value;

use super::{
    AuditRecord, Day, DecisionRow, FindingFilter, Store, StoreError, TransitionRow, Window,
};
use crate::findings::lifecycle::State;

/// Everything an auditor gets about one system.
#[derive(Debug, Clone, Serialize)]
pub struct AuditPacket {
    pub system: String,
    pub generated_at: String,
    pub window: PacketWindow,
    pub model_version: u64,
    pub summary: Summary,
    pub audit_records: Vec<AuditRecord>,
    pub decisions: Vec<DecisionRow>,
    pub findings: Vec<PacketFinding>,
}

/// The window asked for; `null` ends are open.
#[derive(Debug, Clone, Serialize)]
pub struct PacketWindow {
    pub since: Option<Day>,
    pub until: Option<Day>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub audit_records: usize,
    pub decisions: usize,
    pub findings_by_state: BTreeMap<State, usize>,
}

/// A finding with its history.
#[derive(Debug, Clone, Serialize)]
pub struct PacketFinding {
    pub fingerprint: String,
    pub state: State,
    pub rule_id: String,
    pub category: String,
    pub severity: String,
    pub score: u32,
    pub first_seen_version: u64,
    pub last_seen_version: u64,
    /// The finding as last evaluated: flow or subject, reason, CFR citations, evidence.
    pub finding: Value,
    pub transitions: Vec<TransitionRow>,
}

impl AuditPacket {
    /// Gather the packet of `system` for `window` from `store`.
    pub fn build(
        store: &dyn Store,
        system: &str,
        window: &Window,
        now: &str,
    ) -> Result<AuditPacket, StoreError> {
        let audit_records = store.audit_records(system, window)?;
        let decisions = store.decisions(system, window)?;
        let filter = FindingFilter { system: Some(system.to_string()), state: None };
        let mut findings = Vec::new();
        for row in store.findings(&filter)? {
            findings.push(PacketFinding {
                transitions: store.transitions(&row.fingerprint)?,
                fingerprint: row.fingerprint,
                state: row.state,
                rule_id: row.rule_id,
                category: row.category,
                severity: row.severity,
                score: row.score,
                first_seen_version: row.first_seen_version,
                last_seen_version: row.last_seen_version,
                finding: row.finding,
            });
        }
        // Live risks first: open, accepted, suppressed, then resolved; highest score first.
        let rank = |s: State| match s {
            State::Open => 0,
            State::Accepted => 1,
            State::Suppressed => 2,
            State::Resolved => 3,
        };
        findings.sort_by_key(|f| (rank(f.state), std::cmp::Reverse(f.score)));

        let mut findings_by_state = BTreeMap::new();
        for f in &findings {
            *findings_by_state.entry(f.state).or_default() += 1;
        }
        Ok(AuditPacket {
            system: system.to_string(),
            generated_at: now.to_string(),
            window: PacketWindow { since: window.since.clone(), until: window.until.clone() },
            model_version: store.model_version(system)?,
            summary: Summary {
                audit_records: audit_records.len(),
                decisions: decisions.len(),
                findings_by_state,
            },
            audit_records,
            decisions,
            findings,
        })
    }

    pub fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string_pretty(self)
            .map(|s| s + "\n")
            .map_err(|source| StoreError::Encode { what: "audit packet", source })
    }

    /// One self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut h = String::new();
        let title = format!("phiflow audit packet: {}", self.system);
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"generator\" content=\"phiflow\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
            esc(&title),
            esc(&title)
        );
        self.html_summary(&mut h);
        self.html_audit(&mut h);
        self.html_decisions(&mut h);
        self.html_findings(&mut h);
        h.push_str("</body>\n</html>\n");
        h
    }

    fn html_summary(&self, h: &mut String) {
        let day = |d: &Option<Day>| d.as_ref().map_or("open".to_string(), Day::to_string);
        let states: Vec<String> =
            self.summary.findings_by_state.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let _ = write!(
            h,
            "<dl>\n<dt>System</dt><dd>{}</dd>\n<dt>Window</dt><dd>{} to {}</dd>\n\
             <dt>Generated</dt><dd>{}</dd>\n<dt>Model version</dt><dd>{}</dd>\n\
             <dt>Audit records</dt><dd>{}</dd>\n<dt>Decisions</dt><dd>{}</dd>\n\
             <dt>Findings</dt><dd>{}</dd>\n</dl>\n",
            esc(&self.system),
            esc(&day(&self.window.since)),
            esc(&day(&self.window.until)),
            esc(&self.generated_at),
            self.model_version,
            self.summary.audit_records,
            self.summary.decisions,
            esc(&if states.is_empty() { "none".to_string() } else { states.join(", ") }),
        );
    }

    fn html_audit(&self, h: &mut String) {
        h.push_str("<h2>Audit records</h2>\n");
        if self.audit_records.is_empty() {
            h.push_str("<p>No artifact revision was processed in this window.</p>\n");
            return;
        }
        h.push_str(
            "<table>\n<tr><th>#</th><th>Ingested</th><th>Artifact</th><th>Revision</th>\
             <th>Model</th><th>PHI</th><th>Flows</th><th>Findings changed</th>\
             <th>Impact</th><th>Remediation</th></tr>\n",
        );
        for r in &self.audit_records {
            let phi = join(&r.phi, |p| format!("{} ({})", s(&p["type"]), s(&p["name"])));
            let flows = join(&r.flows, |f| {
                format!("{} \u{2192} {}: {}", s(&f["from"]), s(&f["to"]), list(&f["data"]))
            });
            let changed = join(&r.findings_changed, |c| {
                format!("{} {} {}", s(&c["transition"]), s(&c["category"]), s(&c["fingerprint"]))
            });
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}<br><code>{}</code></td><td><code>{}</code></td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"sev-{}\">{}</td>\
                 <td>{}</td></tr>",
                r.id,
                esc(&r.ingested_at),
                esc(&r.path),
                esc(&r.artifact_id),
                esc(&r.revision),
                r.model_version,
                lines(&phi),
                lines(&flows),
                lines(&changed),
                esc(&r.impact),
                esc(&r.impact),
                lines(&r.remediation.lines().map(str::to_string).collect::<Vec<_>>()),
            );
        }
        h.push_str("</table>\n");
    }

    fn html_decisions(&self, h: &mut String) {
        h.push_str("<h2>Decisions</h2>\n");
        if self.decisions.is_empty() {
            h.push_str("<p>No decision was made in this window.</p>\n");
            return;
        }
        h.push_str(
            "<table>\n<tr><th>When</th><th>Finding</th><th>Decision</th><th>By</th>\
             <th>Reason</th><th>Until</th></tr>\n",
        );
        for d in &self.decisions {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td></tr>",
                esc(&d.at),
                esc(&d.fingerprint),
                esc(d.action.as_str()),
                esc(&d.by),
                esc(&d.reason),
                esc(d.until.as_deref().unwrap_or("until the finding changes")),
            );
        }
        h.push_str("</table>\n");
    }

    fn html_findings(&self, h: &mut String) {
        h.push_str("<h2>Findings</h2>\n");
        if self.findings.is_empty() {
            h.push_str("<p>The system has no findings.</p>\n");
            return;
        }
        for f in &self.findings {
            let what = match (f.finding.get("flow"), f.finding.get("subject")) {
                (Some(flow), _) => format!(
                    "{} \u{2192} {} ({})",
                    s(&flow["from"]["name"]),
                    s(&flow["to"]["name"]),
                    list(&flow["data"])
                ),
                (None, Some(subject)) => s(&subject["name"]),
                _ => String::new(),
            };
            let evidence = join(&f.finding["evidence"], |e| {
                let line = e.pointer("/location/line").and_then(Value::as_u64);
                let at = line.map_or(String::new(), |l| format!(":{l}"));
                format!("{}{at}: {}", s(&e["artifact"]["path"]), s(&e["excerpt"]))
            });
            let _ = write!(
                h,
                "<section>\n<h3>{}</h3>\n<dl>\n<dt>Fingerprint</dt><dd><code>{}</code></dd>\n\
                 <dt>State</dt><dd>{}</dd>\n<dt>Severity</dt><dd class=\"sev-{}\">{} ({})</dd>\n\
                 <dt>Category</dt><dd>{} ({})</dd>\n<dt>CFR</dt><dd>{}</dd>\n\
                 <dt>About</dt><dd>{}</dd>\n<dt>Reason</dt><dd>{}</dd>\n\
                 <dt>Evidence</dt><dd>{}</dd>\n<dt>Remediation</dt><dd>{}</dd>\n\
                 <dt>Seen</dt><dd>model versions {} to {}</dd>\n</dl>\n",
                esc(&s(&f.finding["title"])),
                esc(&f.fingerprint),
                esc(f.state.as_str()),
                esc(&f.severity),
                esc(&f.severity),
                f.score,
                esc(&f.category),
                esc(&f.rule_id),
                esc(&list(&f.finding["cfr"])),
                esc(&what),
                esc(&s(&f.finding["reason"])),
                lines(&evidence),
                esc(&s(&f.finding["remediation"])),
                f.first_seen_version,
                f.last_seen_version,
            );
            h.push_str(
                "<table>\n<tr><th>When</th><th>Transition</th><th>Model</th><th>Detail</th></tr>\n",
            );
            for t in &f.transitions {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t.at),
                    esc(t.kind.as_str()),
                    t.model_version,
                    esc(&t.detail)
                );
            }
            h.push_str("</table>\n</section>\n");
        }
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}\
th,td{border:1px solid #ccc;padding:0.3rem 0.5rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}dt{font-weight:600;float:left;clear:left;width:9rem}\
dd{margin-left:10rem}section{border-top:1px solid #ddd;margin-top:1rem}\
.sev-critical{color:#a00;font-weight:600}.sev-high{color:#c50}.sev-medium{color:#960}";

/// Escape text for HTML element content and attribute values (the HTML report's escaping).
pub fn esc(text: &str) -> String {
    crate::emit::html::escape(text)
}

/// A JSON string's text; anything else as JSON.
fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A JSON array of strings, comma-separated.
fn list(v: &Value) -> String {
    v.as_array().into_iter().flatten().map(s).collect::<Vec<_>>().join(", ")
}

/// Each item of a JSON array, formatted.
fn join(v: &Value, item: impl Fn(&Value) -> String) -> Vec<String> {
    v.as_array().into_iter().flatten().map(item).collect()
}

/// Escaped lines, one per item.
fn lines(items: &[String]) -> String {
    items.iter().map(|i| esc(i)).collect::<Vec<_>>().join("<br>")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::findings::lifecycle::{Action, TransitionKind};

    fn packet() -> AuditPacket {
        AuditPacket {
            system: "default".into(),
            generated_at: "2027-03-10T12:00:00Z".into(),
            window: PacketWindow { since: None, until: None },
            model_version: 2,
            summary: Summary {
                audit_records: 1,
                decisions: 1,
                findings_by_state: [(State::Accepted, 1)].into_iter().collect(),
            },
            audit_records: vec![AuditRecord {
                id: 1,
                system: "default".into(),
                artifact_id: "files:docs/<script>.md".into(),
                revision: "r1".into(),
                path: "docs/<script>.md".into(),
                ingested_at: "2027-03-10T12:00:00Z".into(),
                model_version: 1,
                phi: json!([{"type": "name", "name": "patient name"}]),
                flows: json!([{"from": "portal", "to": "Mixpanel & co", "data": ["name"]}]),
                findings_changed: json!([{"fingerprint": "fp1", "transition": "opened"}]),
                impact: "critical".into(),
                remediation: "disclosure_no_baa: sign a BAA.".into(),
            }],
            decisions: vec![DecisionRow {
                id: 1,
                fingerprint: "fp1".into(),
                action: Action::Accept,
                by: "alice".into(),
                reason: "<b>BAA</b> signed \"soon\"".into(),
                until: None,
                at: "2027-03-10T12:00:00Z".into(),
                content_hash: "h1".into(),
            }],
            findings: vec![PacketFinding {
                fingerprint: "fp1".into(),
                state: State::Accepted,
                rule_id: "PF-DISC-001".into(),
                category: "disclosure_no_baa".into(),
                severity: "critical".into(),
                score: 84,
                first_seen_version: 1,
                last_seen_version: 2,
                finding: json!({
                    "title": "PHI disclosed",
                    "flow": {"from": {"name": "portal"}, "to": {"name": "Mixpanel"},
                             "data": ["name"]},
                    "reason": "name reaches <Mixpanel>",
                    "evidence": [{"artifact": {"path": "docs/a.md"}, "location": {"line": 3},
                                  "excerpt": "send <img src=x> to Mixpanel"}],
                }),
                transitions: vec![TransitionRow {
                    id: 1,
                    fingerprint: "fp1".into(),
                    kind: TransitionKind::Opened,
                    model_version: 1,
                    at: "2027-03-10T12:00:00Z".into(),
                    detail: "first seen".into(),
                }],
            }],
        }
    }

    #[test]
    fn html_escapes_every_piece_of_document_text() {
        let html = packet().to_html();
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>"));
        assert!(html.contains("docs/&lt;script&gt;.md"));
        assert!(html.contains("&lt;b&gt;BAA&lt;/b&gt; signed &quot;soon&quot;"));
        assert!(html.contains("Mixpanel &amp; co"));
        assert!(html.contains("send &lt;img src=x&gt; to Mixpanel"));
        assert!(!html.contains("http://") && !html.contains("https://"), "self-contained");
    }

    #[test]
    fn json_carries_records_decisions_and_history() {
        let v: Value = serde_json::from_str(&packet().to_json().unwrap()).unwrap();
        assert_eq!(v["audit_records"][0]["artifact_id"], "files:docs/<script>.md");
        assert_eq!(v["decisions"][0]["by"], "alice");
        assert_eq!(v["findings"][0]["transitions"][0]["kind"], "opened");
        assert_eq!(v["summary"]["findings_by_state"]["accepted"], 1);
        assert_eq!(v["window"]["since"], Value::Null);
    }
}
