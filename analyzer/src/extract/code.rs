//! Source files and notebooks, read the way a reviewer skims them: which vendor SDKs a file
//! imports, which outside hosts it calls, what PHI its identifiers name, and which logger calls
//! write request bodies or patient objects.
//!
//! This is a skim of imports, string literals and identifiers, not a parse: it cannot tell
//! which value reaches which call. A file that imports a vendor SDK and names PHI with patient
//! context is taken to send that PHI to the vendor. Parsing with real grammars (tree-sitter)
//! would let the flow follow the arguments of each call; that is the next step for this module.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use super::doc::{BlockKind, DocBuilder};
use super::{Ctx, ExtractError, Format};
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement, Target};

struct Patterns {
    import: Regex,
    url: Regex,
    logger: Regex,
    body_arg: Regex,
    comment: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("code pattern");
        Patterns {
            import: re(r#"(?m)^\s*(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]|(?:const|let|var)\s+[\w{}\s,]+=\s*require\(\s*['"]([^'"]+)['"]\s*\)|from\s+([\w.]+)\s+import\b|import\s+([\w.]+)|require\s+['"]([^'"]+)['"]|using\s+([\w.]+)\s*;|import\s+"([^"]+)")"#),
            url: re(r#"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s'"`)]*)?"#),
            logger: re(r"(?i)\b(logger|log|logging|console|winston|pino|bunyan|slog|zap|logrus)\.(debug|info|warn|warning|error|log|trace|exception|critical)\s*\("),
            body_arg: re(r"(?i)(req(uest)?\.(body|json|data|get_json)|request\.body|await\s+req(uest)?\.json|\bpayload\b|\bpatient\b|json\.dumps\(\s*(body|data|payload|patient)|\bbody\b)"),
            comment: re(r"^\s*(//|#|/\*|\*|--)\s?"),
        }
    })
}

/// Skim one source file.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    skim(ctx, ctx.text, &|line| crate::text::find_line(ctx.text, line, 1))
}

/// Read a Jupyter notebook: code cells are skimmed as source, Markdown cells read as prose.
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
    let mut facts = skim(ctx, &code, &|line| notebook_line(ctx.text, line));
    facts.extend(super::prose::analyze(ctx, &prose.finish()));
    Ok(facts)
}

/// The line of the notebook file whose JSON string holds `line` of a cell.
fn notebook_line(file: &str, line: &str) -> Option<u32> {
    let needle = serde_json::to_string(line.trim()).ok()?;
    let needle = needle.trim_matches('"');
    crate::text::find_line(file, needle, 1)
}

/// The skim itself; `line_in_file` maps a line of `code` to the artifact's line.
fn skim(ctx: &Ctx, code: &str, line_in_file: &dyn Fn(&str) -> Option<u32>) -> Vec<Fact> {
    let mut facts = Vec::new();
    let phi = file_phi(ctx, code);
    let cite = |line: &str| ctx.evidence(line_in_file(line), line.trim());

    let mut vendors: BTreeSet<usize> = BTreeSet::new();
    for (line, v) in imported_vendors(ctx, code).into_iter().chain(hosted_vendors(ctx, code)) {
        if !vendors.insert(v) {
            continue;
        }
        let vendor = &ctx.catalog.vendors[v];
        let to = Target::Known(EntityRef::vendor(&vendor.id, &vendor.name));
        let evidence = cite(use_line(code, line, vendor));
        let claim = Claim::Flow {
            from: Target::Known(ctx.component.clone()),
            to,
            data: phi.clone(),
            full_record: false,
        };
        facts.push(Fact { claim, evidence });
    }

    for line in code.lines() {
        if patterns().comment.is_match(line) {
            continue;
        }
        plaintext_url(ctx, line, &phi, &cite, &mut facts);
        logged_phi(ctx, line, &phi, &cite, &mut facts);
    }
    facts
}

/// PHI named in the file's identifiers, when the file is about patients.
fn file_phi(ctx: &Ctx, code: &str) -> Vec<PhiElement> {
    let scan = ctx.catalog.scan_phi(code);
    if !scan.is_phi() {
        return Vec::new();
    }
    let set: BTreeSet<PhiElement> =
        scan.mentions.iter().map(|m| PhiElement { kind: m.kind, name: m.term.clone() }).collect();
    set.into_iter().collect()
}

fn imported_vendors<'a>(ctx: &Ctx, code: &'a str) -> Vec<(&'a str, usize)> {
    let mut out = Vec::new();
    for cap in patterns().import.captures_iter(code) {
        let Some(module) = (1..=7).find_map(|i| cap.get(i)) else { continue };
        let line = line_containing(code, cap.get(0).map(|m| m.start()).unwrap_or(0));
        if let Some(v) = vendor_for_module(ctx, module.as_str()) {
            out.push((line, v));
        }
    }
    out
}

/// A module path to the vendor whose SDK it is: the whole path, its package root
/// (`@sentry/node/tracing` → `@sentry/node`), or its first segment (`sentry_sdk.integrations`).
fn vendor_for_module(ctx: &Ctx, module: &str) -> Option<usize> {
    let m = module.trim();
    let scoped_root: String =
        m.split('/').take(if m.starts_with('@') { 2 } else { 1 }).collect::<Vec<_>>().join("/");
    let first = m.split(['.', '/']).next().unwrap_or(m);
    [m.to_string(), scoped_root, first.to_string(), first.replace('_', "-")]
        .iter()
        .find_map(|c| ctx.catalog.vendor_by_package(c))
}

fn hosted_vendors<'a>(ctx: &Ctx, code: &'a str) -> Vec<(&'a str, usize)> {
    patterns()
        .url
        .find_iter(code)
        .filter_map(|m| {
            let host = url_host(m.as_str())?;
            let v = ctx.catalog.vendor_by_host(host)?;
            Some((line_containing(code, m.start()), v))
        })
        .collect()
}

/// The first line after the import that uses the vendor (its call site), else the import line.
fn use_line<'a>(code: &'a str, import_line: &'a str, vendor: &crate::catalog::Vendor) -> &'a str {
    let name = vendor.name.to_lowercase().replace(' ', "");
    let past_import = code.lines().skip_while(|l| *l != import_line).skip(1);
    for line in past_import {
        let lower = line.to_lowercase();
        if lower.contains(&name) && lower.contains('(') {
            return line;
        }
    }
    import_line
}

fn line_containing(code: &str, at: usize) -> &str {
    let start = code[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = code[at..].find('\n').map(|i| at + i).unwrap_or(code.len());
    &code[start..end]
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

fn plaintext_url(
    ctx: &Ctx,
    line: &str,
    phi: &[PhiElement],
    cite: &dyn Fn(&str) -> crate::model::Evidence,
    facts: &mut Vec<Fact>,
) {
    if phi.is_empty() {
        return;
    }
    for m in patterns().url.find_iter(line) {
        if !m.as_str().starts_with("http://") {
            continue;
        }
        let Some(host) = url_host(m.as_str()).filter(|h| is_external_host(h)) else { continue };
        let name = host.split('.').next().unwrap_or(host);
        let subject = Target::Known(EntityRef::new(name, EntityKind::Endpoint));
        let claim = Claim::Attr { subject, attr: Attr::Plaintext, data: phi.to_vec() };
        facts.push(Fact { claim, evidence: cite(line) });
        let _ = ctx;
    }
}

fn logged_phi(
    ctx: &Ctx,
    line: &str,
    phi: &[PhiElement],
    cite: &dyn Fn(&str) -> crate::model::Evidence,
    facts: &mut Vec<Fact>,
) {
    let p = patterns();
    let Some(call) = p.logger.find(line) else { return };
    let args = &line[call.end()..];
    let own = ctx.catalog.scan_phi(args);
    let data: Vec<PhiElement> = if own.is_phi() || (!own.mentions.is_empty() && !phi.is_empty()) {
        own.mentions.iter().map(|m| PhiElement { kind: m.kind, name: m.term.clone() }).collect()
    } else if p.body_arg.is_match(args) {
        phi.to_vec()
    } else {
        return;
    };
    if data.is_empty() {
        return;
    }
    let subject = Target::Known(ctx.component.clone());
    facts.push(Fact {
        claim: Claim::Attr { subject, attr: Attr::LogsPhi, data },
        evidence: cite(line),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use phiflow_pipeline::{ArtifactEvent, Source};

    fn run(path: &str, text: &str, nb: bool) -> Vec<Fact> {
        let catalog = Catalog::builtin();
        let artifact = ArtifactEvent::new(Source::Files, path, "default", text.to_string());
        let format = if nb { Format::Notebook } else { Format::Source };
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text,
            format,
            component: EntityRef::new("portal", EntityKind::Service),
        };
        if nb {
            notebook(&ctx).unwrap()
        } else {
            extract(&ctx)
        }
    }

    fn flows_to(facts: &[Fact]) -> Vec<(String, usize, Option<u32>)> {
        facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Flow { to: Target::Known(e), data, .. } => {
                    Some((e.name.clone(), data.len(), f.evidence.line))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sdk_import_with_patient_fields_is_a_phi_flow_cited_at_the_call() {
        let src = "import { init, FullStory } from '@fullstory/browser';\n\nexport function start(patient: Patient) {\n  init({ orgId });\n  FullStory('setIdentity', { uid: patient.id, email: patient.email, mrn: patient.mrn });\n}\n";
        let flows = flows_to(&run("src/fs.ts", src, false));
        assert_eq!(flows.len(), 1);
        assert_eq!(flows[0].0, "FullStory");
        assert!(flows[0].1 >= 2);
        assert_eq!(flows[0].2, Some(5));
    }

    #[test]
    fn notebook_cells_are_skimmed_and_cited_in_the_file() {
        let nb = serde_json::json!({"cells": [
            {"cell_type": "markdown", "source": ["# Prototype\n", "Summarize visit notes.\n"]},
            {"cell_type": "code", "source": ["from openai import OpenAI\n", "client = OpenAI()\n",
              "rows = q('SELECT first_name, note_text FROM visit_notes')\n"]}
        ]});
        let text = serde_json::to_string_pretty(&nb).unwrap();
        let flows = flows_to(&run("nb.ipynb", &text, true));
        assert!(flows.iter().any(|(n, d, l)| n == "OpenAI" && *d > 0 && l.is_some()), "{flows:?}");
    }

    #[test]
    fn logging_a_request_body_in_a_patient_file_is_phi_in_logs() {
        let src = "def intake(request):\n    patient = request.json\n    logger.info('intake %s', request.json)\n    return save(patient.date_of_birth)\n";
        let facts = run("app/intake.py", src, false);
        assert!(facts.iter().any(|f| matches!(f.claim, Claim::Attr { attr: Attr::LogsPhi, .. })
            && f.evidence.line == Some(3)));
    }

    #[test]
    fn files_without_phi_give_flows_without_data() {
        let flows = flows_to(&run(
            "a.js",
            "const Sentry = require('@sentry/node');\nSentry.init({dsn});\n",
            false,
        ));
        assert_eq!(flows, vec![("Sentry".to_string(), 0, Some(2))]);
    }
}
