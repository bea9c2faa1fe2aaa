//! `phiflow model show`: the threat model a folder yields — entities, flows with their PHI,
//! the PHI elements found — as text, JSON, or a data-flow diagram (Mermaid or SVG).

use std::fmt::Write;

use phiflow_analyzer::emit::ScanReport;

/// The model as text: entities by kind, then flows, then PHI elements with where they were seen.
pub fn render_text(report: &ScanReport) -> String {
    let m = &report.model;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Model of {} (version {}): {} entities, {} flows, {} PHI elements\n",
        report.organization,
        report.model_version,
        m.entities.len(),
        m.flows.len(),
        m.phi_elements.len()
    );
    let _ = writeln!(out, "Entities");
    for e in &m.entities {
        let vendor = e.vendor.as_deref().map(|v| format!(" vendor={v}")).unwrap_or_default();
        let attrs = if e.attributes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", e.attributes.join(", "))
        };
        let _ = writeln!(out, "  {:<14} {}{vendor}{attrs}", e.kind.as_str(), e.name);
    }
    let _ = writeln!(out, "\nFlows");
    for f in &m.flows {
        let data: Vec<&str> = f.data.iter().map(|d| d.as_str()).collect();
        let data = if data.is_empty() { String::new() } else { format!(" ({})", data.join(", ")) };
        let _ = writeln!(out, "  {} → {}{data}", f.from, f.to);
    }
    let _ = writeln!(out, "\nPHI elements");
    for p in &m.phi_elements {
        let at: Vec<String> = p
            .evidence
            .iter()
            .map(|e| format!("{}{}", e.path, e.line.map(|l| format!(":{l}")).unwrap_or_default()))
            .collect();
        let _ = writeln!(out, "  {:<16} {:<28} {}", p.kind.as_str(), p.name, at.join(", "));
    }
    out
}
