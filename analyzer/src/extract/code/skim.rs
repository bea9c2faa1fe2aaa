//! The fallback for files the grammars do not read (files over the size limit, parses that run
//! out of time): a skim of imports, string literals and identifiers, not a parse. It
//! cannot tell which value reaches which call, so a file that imports a vendor SDK and names PHI
//! with patient context is taken to send that PHI to the vendor.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use super::{file_phi, url_host, vendor_for_module};
use crate::extract::Ctx;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement, Target};

pub(super) struct Patterns {
    import: Regex,
    pub(super) url: Regex,
    logger: Regex,
    pub(super) body_arg: Regex,
    comment: Regex,
}

pub(super) fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("code pattern");
        Patterns {
            import: re(r#"(?m)^\s*(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]|(?:const|let|var)\s+[\w{}\s,]+=\s*require\(\s*['"]([^'"]+)['"]\s*\)|from\s+([\w.]+)\s+import\b|import\s+([\w.]+)|require\s+['"]([^'"]+)['"]|using\s+([\w.]+)\s*;|import\s+"([^"]+)")"#),
            url: re(r#"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[^\s'"`)]*)?"#),
            logger: re(r"(?i)\b(logger|log|logging|console|winston|pino|bunyan|slog|zap|logrus)\.(debug|info|warn|warning|error|log|trace|exception|critical)\s*\("),
            body_arg: re(r"(?i)(req(uest)?\.(body|json|data|get_json)|request\.body|await\s+req(uest)?\.json|\bpayload\b|\bpatient\b|\bmember\b|json\.dumps\(\s*(body|data|payload|patient)|\bbody\b)"),
            comment: re(r"^\s*(//|#|/\*|\*|--)\s?"),
        }
    })
}

/// The skim itself; `line_in_file` maps a line of `code` to the artifact's line.
pub(super) fn skim(ctx: &Ctx, code: &str, line_in_file: &dyn Fn(&str) -> Option<u32>) -> Vec<Fact> {
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
        let Some(host) = url_host(m.as_str()).filter(|h| super::is_external_host(h)) else {
            continue;
        };
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
