//! The terminal table `phiflow scan` prints by default.

use std::fmt::Write;

use super::ScanReport;
use crate::findings::Finding;

/// Widest a column of the table gets before it wraps.
const WRAP: usize = 46;

/// Render the findings as a table, followed by a one-line summary.
pub fn render(report: &ScanReport) -> String {
    let mut out = String::new();
    let analyzed = report.artifacts.iter().filter(|a| a.status == crate::Status::Analyzed).count();
    let _ = writeln!(
        out,
        "phiflow: {} — {} artifacts analyzed, {} skipped, {} errors, {} findings\n",
        report.organization,
        analyzed,
        report.skipped.len(),
        report.errors.len(),
        report.findings.len()
    );
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    }
    for (i, f) in report.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "{:>2}. {:<8} {:>3}  {}  [{}]",
            i + 1,
            f.severity.as_str().to_uppercase(),
            f.score,
            f.category,
            &f.fingerprint[..12]
        );
        let _ = writeln!(out, "    {}", what(f));
        for line in wrap(&f.reason, WRAP * 2) {
            let _ = writeln!(out, "    {line}");
        }
        for ev in f.evidence.iter().take(3) {
            let at = ev.location.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "    ↳ {}{}", ev.artifact.path, at);
        }
        let total = f.explanation.evidence_total.max(f.evidence.len());
        if total > 3 {
            let _ = writeln!(out, "    ↳ … and {} more", total - 3);
        }
        out.push('\n');
    }
    for e in &report.errors {
        let _ = writeln!(out, "error: {}: {}", e.path, e.error);
    }
    out
}

/// The flow (from → to, with its PHI) or the subject of a finding.
pub fn what(f: &Finding) -> String {
    match (&f.flow, &f.subject) {
        (Some(flow), _) => {
            let data: Vec<&str> = flow.data.iter().map(|d| d.as_str()).collect();
            format!("{} → {} ({})", flow.from.name, flow.to.name, data.join(", "))
        }
        (None, Some(s)) => {
            let data: Vec<&str> = f.phi.iter().map(|d| d.as_str()).collect();
            format!("{} [{}] ({})", s.name, s.kind.as_str(), data.join(", "))
        }
        _ => String::new(),
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line");
        if !last.is_empty() && last.chars().count() + word.chars().count() + 1 > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}
