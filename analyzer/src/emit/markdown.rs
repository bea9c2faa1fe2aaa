//! A Markdown report: findings by severity, each with its reason, evidence and remediation.

use std::fmt::Write;

use super::table::what;
use super::ScanReport;

pub fn render(report: &ScanReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# phiflow report: {}\n", report.organization);
    let _ = writeln!(
        out,
        "{} artifacts, {} skipped, {} errors, {} findings (model version {}).\n",
        report.artifacts.len(),
        report.skipped.len(),
        report.errors.len(),
        report.findings.len(),
        report.model_version
    );
    if !report.findings.is_empty() {
        out.push_str(
            "| # | severity | score | category | flow or subject |\n|---|---|---|---|---|\n",
        );
        for (i, f) in report.findings.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | `{}` | {} |",
                i + 1,
                f.severity.as_str(),
                f.score,
                f.category,
                cell(&what(f))
            );
        }
        out.push('\n');
    }
    for (i, f) in report.findings.iter().enumerate() {
        let _ = writeln!(out, "## {}. {} — {}\n", i + 1, f.title, what(f));
        let _ = writeln!(out, "- **Severity:** {} ({}/100)", f.severity.as_str(), f.score);
        let _ = writeln!(out, "- **Category:** `{}` ({})", f.category, f.rule_id);
        let _ = writeln!(out, "- **Citations:** {}", f.cfr.join("; "));
        let _ = writeln!(out, "- **Fingerprint:** `{}`", f.fingerprint);
        let _ = writeln!(out, "- **Why:** {}\n", f.reason);
        out.push_str("Evidence:\n\n");
        for ev in &f.evidence {
            let at = ev.location.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(out, "- `{}{}` — {}", ev.artifact.path, at, cell(&ev.excerpt));
        }
        let _ = writeln!(out, "\n**Remediation:** {}\n", f.remediation);
    }
    if !report.errors.is_empty() {
        out.push_str("## Artifacts that could not be read\n\n");
        for e in &report.errors {
            let _ = writeln!(out, "- `{}`: {}", e.path, cell(&e.error));
        }
        out.push('\n');
    }
    if !report.skipped.is_empty() {
        out.push_str("## Skipped\n\n");
        for s in &report.skipped {
            let _ = writeln!(out, "- `{}`: {}", s.path, s.reason);
        }
    }
    out
}

/// Text from documents, made inert in Markdown: table pipes escaped, and HTML (which Markdown
/// renderers pass through) escaped, so an excerpt holding `<script>` stays text.
fn cell(text: &str) -> String {
    crate::emit::html::escape(text).replace('|', "\\|").replace('\n', " ")
}
