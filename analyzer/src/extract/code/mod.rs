//! Source files and notebooks: which vendor SDKs a file imports and what each call on them is
//! passed, which outside hosts it calls in plaintext, and which logger calls write request
//! bodies or patient objects.
//!
//! # Layout
//!
//! - [`lang`] picks a tree-sitter grammar from the file name.
//! - [`tree`] walks the syntax tree: imports bind names to vendors, assignments carry those
//!   bindings to clients (`client = OpenAI()`), and each call on a bound name becomes a flow
//!   whose data is the PHI its *arguments* name, cited at the call's line.
//! - [`skim`] is the older regex skim, kept for what the grammars do not read: files over
//!   [`MAX_PARSE_BYTES`], parses that run past [`PARSE_BUDGET`], and extensions with no grammar.
//!
//! Parse errors do not fail the artifact: tree-sitter recovers with error nodes and the walk
//! reads whatever parsed around them.
//!
//! Bindings are followed by name within one file, not by scope or type: a local variable that
//! shadows an SDK binding is still taken for the SDK, and a client passed in from another file is
//! not recognised unless its name starts with the vendor's (`sentryClient`). Following values
//! across files would need a call graph, which this reader does not build.

mod lang;
mod skim;
mod tree;

#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::time::Duration;

use super::doc::{BlockKind, DocBuilder};
use super::{Ctx, ExtractError, Format};
use crate::model::{Fact, PhiElement};

/// Files larger than this are skimmed, not parsed: generated bundles and vendored code, where a
/// parse costs much and tells little.
pub const MAX_PARSE_BYTES: usize = 2 * 1024 * 1024;

/// How long one parse may run before the file falls back to the skim.
pub const PARSE_BUDGET: Duration = Duration::from_secs(2);

/// Read one source file.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    let at = |row: usize| Some(row as u32 + 1);
    let parsed = lang::Lang::from_path(&ctx.artifact.path)
        .and_then(|l| tree::read(ctx, ctx.text, l, &at, false));
    parsed.unwrap_or_else(|| {
        skim::skim(ctx, ctx.text, &|line| crate::text::find_line(ctx.text, line, 1))
    })
}

/// Read a Jupyter notebook: code cells are parsed as Python, Markdown cells read as prose.
pub fn notebook(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let nb: serde_json::Value =
        serde_json::from_str(ctx.text).map_err(|e| ExtractError::malformed(Format::Notebook, e))?;
    let cells = nb
        .get("cells")
        .and_then(|c| c.as_array())
        .ok_or_else(|| ExtractError::malformed(Format::Notebook, "no cells array"))?;
    let mut code = String::new();
    let mut prose = DocBuilder::new();
    for cell in cells {
        let source = match cell.get("source") {
            Some(serde_json::Value::Array(lines)) => {
                lines.iter().filter_map(|l| l.as_str()).collect::<String>()
            }
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => continue,
        };
        match cell.get("cell_type").and_then(|t| t.as_str()) {
            Some("code") => {
                code.push_str(&source);
                code.push('\n');
            }
            Some("markdown") => {
                for line in source.lines().filter(|l| !l.trim().is_empty()) {
                    let at = notebook_line(ctx.text, line);
                    prose.block(BlockKind::Paragraph, line.trim_start_matches('#'), at);
                }
            }
            _ => {}
        }
    }

    // Rows of the joined code map back to the notebook's JSON lines through their text.
    let rows: Vec<&str> = code.lines().collect();
    let at = |row: usize| rows.get(row).and_then(|l| notebook_line(ctx.text, l));
    let mut facts = tree::read(ctx, &code, lang::Lang::Python, &at, true)
        .unwrap_or_else(|| skim::skim(ctx, &code, &|line| notebook_line(ctx.text, line)));
    facts.extend(super::prose::analyze(ctx, &prose.finish()));
    Ok(facts)
}

/// The line of the notebook file whose JSON string holds `line` of a cell.
fn notebook_line(file: &str, line: &str) -> Option<u32> {
    let needle = serde_json::to_string(line.trim()).ok()?;
    let needle = needle.trim_matches('"');
    crate::text::find_line(file, needle, 1)
}

/// PHI named in `code`'s identifiers, when the code is about patients.
fn file_phi(ctx: &Ctx, code: &str) -> Vec<PhiElement> {
    let scan = ctx.catalog.scan_phi(code);
    if !scan.is_phi() {
        return Vec::new();
    }
    let set: BTreeSet<PhiElement> =
        scan.mentions.iter().map(|m| PhiElement { kind: m.kind, name: m.term.clone() }).collect();
    set.into_iter().collect()
}

/// A module path to the vendor whose SDK it is: the whole path, its package root
/// (`@sentry/node/tracing` → `@sentry/node`), its first segment (`sentry_sdk.integrations`), or
/// a shorter dotted or slashed prefix (`io.sentry.Sentry` → `io.sentry`).
fn vendor_for_module(ctx: &Ctx, module: &str) -> Option<usize> {
    let m = module.trim();
    let scoped_root: String =
        m.split('/').take(if m.starts_with('@') { 2 } else { 1 }).collect::<Vec<_>>().join("/");
    let first = m.split(['.', '/']).next().unwrap_or(m);
    let mut candidates =
        vec![m.to_string(), scoped_root, first.to_string(), first.replace('_', "-")];
    for sep in ['.', '/'] {
        let parts: Vec<&str> = m.split(sep).collect();
        candidates.extend((2..parts.len()).rev().map(|n| parts[..n].join(&sep.to_string())));
    }
    if let Some(last) = m.rsplit('/').next().filter(|_| m.contains('/')) {
        candidates.push(last.to_string());
    }
    candidates.iter().find_map(|c| ctx.catalog.vendor_by_package(c))
}

/// The host of an `http(s)://` URL.
pub fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', ':', '?', '#']).next()?;
    (!host.is_empty()).then_some(host)
}

/// Whether a plaintext URL to this host would cross a network boundary worth flagging:
/// dotted, and not loopback, link-local, cluster-internal or a documentation namespace.
pub fn is_external_host(host: &str) -> bool {
    let h = host.to_lowercase();
    let internal_suffix = [".local", ".internal", ".svc", ".cluster.local", ".localhost"];
    h.contains('.')
        && !h.starts_with("127.")
        && !h.starts_with("0.0.0.0")
        && h != "localhost"
        && !internal_suffix.iter().any(|s| h.ends_with(s))
        && !["www.w3.org", "schemas.xmlsoap.org", "json-schema.org", "xmlns.com", "purl.org"]
            .contains(&h.as_str())
}
