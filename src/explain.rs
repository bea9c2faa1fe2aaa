//! `phiflow explain`: the chain behind one finding, from evidence to score.
//!
//! ```text
//! phiflow explain FINGERPRINT PATH [--config phiflow.toml] [--format text|json]
//! ```
//!
//! The fingerprint may be abbreviated to any unique prefix (the table shows twelve digits). The
//! folder is scanned again, so the chain reflects the documents as they are now.

use std::fmt::Write;

use anyhow::{bail, Result};
use phiflow_analyzer::emit::table::what;
use phiflow_analyzer::findings::Finding;

/// Find the one finding whose fingerprint starts with `prefix`.
pub fn pick<'a>(findings: &'a [Finding], prefix: &str) -> Result<&'a Finding> {
    let prefix = prefix.trim().to_lowercase();
    if prefix.len() < 4 {
        bail!("fingerprint prefix {prefix:?} is too short: give at least 4 hex digits");
    }
    let hits: Vec<&Finding> =
        findings.iter().filter(|f| f.fingerprint.starts_with(&prefix)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => bail!("no finding has a fingerprint starting with {prefix}"),
        many => bail!("{} findings match {prefix}; give more digits", many.len()),
    }
}

/// The chain as text: evidence → facts → resolved entities → flow → rule → score.
pub fn render(f: &Finding) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} — {} ({}, score {})",
        f.fingerprint,
        f.category,
        f.title,
        f.severity.as_str(),
        f.score
    );
    let _ = writeln!(out, "{}\n", what(f));

    let _ = writeln!(out, "1. Evidence (excerpts masked)");
    for (i, ev) in f.evidence.iter().enumerate() {
        let at = ev.location.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "   [{}] {}{} (revision {})",
            i + 1,
            ev.artifact.path,
            at,
            ev.artifact.revision
        );
        let _ = writeln!(out, "       \"{}\"", ev.excerpt);
    }
    let _ = writeln!(out, "\n2. Facts extracted");
    for fact in &f.explanation.facts {
        let _ = writeln!(out, "   - {fact}");
    }
    let _ = writeln!(out, "\n3. Entities resolved");
    if f.explanation.resolutions.is_empty() {
        let _ = writeln!(out, "   - every entity was named outright by its artifact");
    }
    for r in &f.explanation.resolutions {
        let _ = writeln!(out, "   - {r}");
    }
    let _ = writeln!(out, "\n4. {}", if f.flow.is_some() { "Flow" } else { "Subject" });
    let _ = writeln!(out, "   {}", what(f));
    let _ = writeln!(out, "\n5. Rule {} ({})", f.rule_id, f.cfr.join("; "));
    let _ = writeln!(out, "   {}", f.explanation.rule);
    let _ = writeln!(out, "   Reason: {}", f.reason);
    let _ = writeln!(
        out,
        "\n6. Score {} = {}",
        f.score,
        f.explanation
            .score
            .iter()
            .map(|x| format!("{} {:+}", x.name, x.points))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for factor in &f.explanation.score {
        let _ = writeln!(out, "   {:<12} {:>4}  {}", factor.name, factor.points, factor.why);
    }
    let _ = writeln!(out, "\nRemediation: {}", f.remediation);
    out
}
