//! `phiflow model show`: the threat model a folder yields — entities, flows with their PHI,
//! the PHI elements found — as text, JSON, or a data-flow diagram (Mermaid or SVG).
//! `phiflow model diff V1 V2`: what changed between two stored model versions.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use phiflow_analyzer::emit::ScanReport;
use phiflow_analyzer::store::{SqliteStore, Store};
use serde_json::{json, Value};

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

/// The lists a version's diff keeps, as (JSON pointer, label).
const DIFF_LISTS: &[(&str, &str)] = &[
    ("/artifacts/added", "artifacts added"),
    ("/artifacts/changed", "artifacts changed"),
    ("/artifacts/removed", "artifacts removed"),
    ("/flows/added", "flows added"),
    ("/flows/removed", "flows removed"),
];

/// Print what changed in `system` between stored versions `from` and `to`: the union of each
/// version's diff in between (an artifact or flow added and removed again shows in both lists).
pub fn diff(dir: &Path, system: &str, from: u64, to: u64, as_json: bool) -> Result<ExitCode> {
    if from >= to {
        bail!("the first version must be older than the second ({from} >= {to})");
    }
    let store = SqliteStore::open(&dir.join("phiflow.db"))
        .with_context(|| format!("cannot open phiflow state in {}", dir.display()))?;
    let latest = store.model_version(system)?;
    if to > latest {
        bail!("system {system} has versions up to {latest}; there is no version {to}");
    }
    let versions = store.model_versions(system, from, to)?;
    let mut lists: Vec<BTreeSet<String>> = vec![BTreeSet::new(); DIFF_LISTS.len()];
    for v in &versions {
        for (i, (pointer, _)) in DIFF_LISTS.iter().enumerate() {
            let items = v.diff.pointer(pointer).and_then(Value::as_array);
            lists[i].extend(items.into_iter().flatten().map(|x| match x.as_str() {
                Some(s) => s.to_string(),
                None => x.to_string(),
            }));
        }
    }
    let text = if as_json {
        let mut doc = json!({"system": system, "from": from, "to": to});
        for ((pointer, _), items) in DIFF_LISTS.iter().zip(&lists) {
            let key = pointer.trim_start_matches('/').replace('/', "_");
            doc[key] = json!(items);
        }
        doc["versions"] = json!(versions
            .iter()
            .map(|v| json!({
                "version": v.version, "created_at": v.created_at, "diff": v.diff
            }))
            .collect::<Vec<_>>());
        serde_json::to_string_pretty(&doc)? + "\n"
    } else {
        let mut out = String::new();
        let _ =
            writeln!(out, "Model of {system}, version {from} → {to} ({} versions)", versions.len());
        for ((_, label), items) in DIFF_LISTS.iter().zip(&lists) {
            let _ = writeln!(out, "\n{label} ({})", items.len());
            for item in items {
                let _ = writeln!(out, "  {item}");
            }
        }
        out
    };
    std::io::stdout().write_all(text.as_bytes()).context("cannot write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
