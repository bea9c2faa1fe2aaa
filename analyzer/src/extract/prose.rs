//! The prose analyzer: reads a [`Doc`] the way a privacy reviewer reads a design document or a
//! thread, and states what it says as facts.
//!
//! For each sentence it finds the PHI named (the vocabulary in `catalog/phi_terms.toml`), the
//! vendors and outside parties named, candidate entity names (code spans and identifiers such
//! as `kp-prod-lab-result-pdfs` or `app_rw`, resolved later against the names structured
//! artifacts declare), and control statements ("public-read", "cleartext", "we'll rely on app
//! logs"). PHI is looked for in the sentence, then its block, then its section, so that a
//! vendor sentence under a heading about lab results still carries lab results.
//!
//! Statements that are negated, rejected, or only considered are not facts: a vendor named
//! in a sentence that rejects it, or under a heading such as "Alternatives considered", gets no
//! flow. In a thread the last word wins: a proposal rejected in a later reply yields nothing.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use super::doc::{sentences, Block, BlockKind, Doc};
use super::Ctx;
use crate::catalog::{PhiScan, PhiType};
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement, Target};

/// Control statements a sentence can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Plaintext,
    Public,
    UnencryptedAtRest,
    NoAudit,
    LogsPhi,
    FullRecord,
    SharedCredential,
    ProdCopy,
    Unauthenticated,
    Marketing,
    Deidentified,
    /// A control stated as present: TLS in transit.
    Tls,
    /// A control stated as present: encryption at rest.
    EncryptedAtRest,
    /// A control stated as present: PHI redacted or masked before it is sent or stored.
    Redaction,
    /// A control stated as present: access audit logging.
    AuditOn,
    /// A control stated as present: patient consent or authorization.
    Consent,
}

struct Patterns {
    signals: Vec<(Signal, Regex)>,
    rejection: Regex,
    /// Plans and conditions: "after INFRA-1207", "once the cert is issued", "will".
    future: Regex,
    affirmation: Regex,
    negation: Regex,
    synthetic: Regex,
    considered_heading: Regex,
    identifier: Regex,
    code_span: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("prose pattern");
        Patterns {
            signals: vec![
                (Signal::Plaintext, re(r"(?i)\b(cleartext|clear text|plain ?text|unencrypted (transport|channel|connection|traffic|http)|port 80\b|\(http\) only|http only|plain http|over http\b|without tls|no tls|not encrypted in transit|ftp\b)")),
                (Signal::Public, re(r"(?i)(public-read|publicly (accessible|readable|available|listable)|anyone (with the (link|url)|can (list|read|download|access))|allusers|public access block (is )?(off|disabled)|whole public access block off|unguessable|open to the internet|anonymous (read|access))")),
                (Signal::UnencryptedAtRest, re(r"(?i)(encrypted\s*=\s*false|storage_encrypted\s*=\s*false|unencrypted (volume|disk|file ?system|bucket|database|db|storage|spool|backup|snapshot)s?|not encrypted at rest|without encryption at rest|no encryption at rest|encryption at rest (is )?(off|disabled)|no sse\b)")),
                (Signal::NoAudit, re(r"(?i)(rely on (the )?(app|application) logs|no audit (log|trail|logging)|not audited|without (an |any )?audit|audit (logging|trail|logs?) (is |are )?(off|disabled|missing|not (enabled|configured))|can'?t tell [^.]{0,40} apart|cannot tell [^.]{0,40} apart|no record of (who|which))")),
                (Signal::LogsPhi, re(r"(?i)\b(logs?|logged|logging|logger)\b[^.]{0,60}\b(request bod(y|ies)|response bod(y|ies)|full (request|response|payload|body|record)s?|payloads?|patient objects?|whole (request|record))|\b(debug|verbose) logging\b[^.]{0,60}\b(bod(y|ies)|payloads?)")),
                (Signal::FullRecord, re(r"(?i)\b(full|complete|entire|whole|every)\b[^.;|]{0,30}\b(chart|charts|record|records|ccd|packet|notes|problem list|history|export|dump|object|payload|fields|department)\b|\ball (medications|notes|records|fields|encounters)\b|send everything|select \*|\b\d+ months of (visit )?notes")),
                (Signal::SharedCredential, re(r"(?i)\b(shared|same|one|single)\s+(db |database |postgres |service |api )?(role|login|credential|credentials|secret|service account|password|api key|account|user)\b|\bconnect as one\b")),
                (Signal::ProdCopy, re(r"(?i)\b(prod(uction)?|real|live)\b[^.]{0,30}\b(data|patients?|notes|records|phi|database|db|replica|snapshot|dump)\b[^.]{0,60}\b(dev|development|test|testing|staging|qa|sandbox|notebook|laptop|local)\b|\b(copy|copies|restore|restored|load|loaded)\b[^.]{0,30}\bprod(uction)?\b[^.]{0,40}\b(into|to|in)\b[^.]{0,20}\b(dev|staging|test|qa|sandbox)")),
                (Signal::Unauthenticated, re(r"(?i)\b(unauthenticated|no auth(entication)?|without (any )?auth(entication)?|anonymous access|no login required|does not require (auth|a token|login))\b")),
                (Signal::Marketing, re(r"(?i)\b(for marketing|marketing campaigns?|sell|sold|sale of|monetiz\w+|targeted ads?|ad targeting)\b")),
                (Signal::Deidentified, re(r"(?i)\b(de-?identified|anonymi[sz]ed|anonymous data|pseudonymi[sz]ed)\b")),
                (Signal::Tls, re(r"(?i)\b(tls ?1\.[23]|tls|https|mtls|mutual tls|encrypted in transit)\b")),
                (Signal::Redaction, re(r"(?i)\b(redact(s|ed|ion)?|scrub(s|bed|bing)?|masks?|masked|masking|strip(s|ped)? (out )?(pii|phi|identifiers)|before_send|beforesend)\b")),
                (Signal::AuditOn, re(r"(?i)\b(pgaudit|audit log(s|ging)? (is |are )?(on|enabled|turned on|configured)|cloudtrail data events|access is audit(ed|-logged)|audit trail of (every|each|all))\b")),
                (Signal::Consent, re(r"(?i)\b(consent(ed|s)?|opt(ed)?[- ]in|signed authorization|hipaa authorization)\b")),
                (Signal::EncryptedAtRest, re(r"(?i)(\bsse-kms\b|\bsse-s3\b|\bkms\b|encrypted at rest|encryption at rest|\(encrypted)")),
            ],
            rejection: re(r"(?i)\b(rejected|reject|won'?t (use|add|ship|go with)|will not be (added|used|shipped)|not (going to|gonna) (use|add|ship)|decided against|ruled out|dropped|drop it|no longer|instead of|rather than|not deployed|never (loaded|deployed|used)|not loaded|removed|retired|decommissioned|abandoned|scrapped|not approved|declined|vetoed|delete (it|the))\b"),
            affirmation: re(r"(?i)\b(is live|went live|shipped|ship (it|behind)|rolled out|rollout|decision:|we('ll| will) use|going with|go with|approved|enabled|turned on|deployed|in prod)\b"),
            negation: re(r"(?i)\b(no|not|never|don'?t|doesn'?t|isn'?t|aren'?t|won'?t|without|none|neither|nor)\b"),
            future: re(r"(?i)\b(after|once|will|planned|plan to|todo|until|later|next (quarter|sprint|release)|switch to|move to|q[1-4] 20\d\d)\b"),
            synthetic: re(r"(?i)\b(synthetic|fake|faker|generated|dummy|mock|seeded|test patients?|testpatient|fixture|fixtures|made-up|fictional)\b"),
            considered_heading: re(r"(?i)\b(alternatives?|considered|rejected|non-goals?|out of scope|options)\b"),
            identifier: re(r"\b[A-Za-z][A-Za-z0-9]*(?:[-_./][A-Za-z0-9]+)+\b"),
            code_span: re(r"`([^`\n]{2,80})`"),
        }
    })
}

/// Per-sentence reading.
struct Sentence {
    text: String,
    /// Byte offset of the sentence in its block's text.
    offset: usize,
    phi: PhiScan,
    vendors: Vec<usize>,
    signals: Vec<Signal>,
    rejects: bool,
    affirms: bool,
    negated: bool,
    synthetic: bool,
    future: bool,
    /// A question asks; it states nothing.
    question: bool,
}

/// Per-block reading.
struct BlockReading {
    sentences: Vec<Sentence>,
    phi: PhiScan,
    /// Candidate entity names, in order of appearance.
    candidates: Vec<String>,
    considered: bool,
}

/// Analyze a prose document into facts.
pub fn analyze(ctx: &Ctx, doc: &Doc) -> Vec<Fact> {
    let readings: Vec<BlockReading> = doc.blocks.iter().map(|b| read_block(ctx, doc, b)).collect();
    let section_phi = section_phi(doc, &readings);
    let doc_phi = merge(readings.iter().map(|r| &r.phi));
    let rejected = rejected_vendors(doc, &readings);

    let mut facts = Vec::new();
    for (i, (block, reading)) in doc.blocks.iter().zip(&readings).enumerate() {
        let scope = Scope {
            block,
            reading,
            section: &section_phi[block.section],
            doc: &doc_phi,
            thread: doc.is_thread,
        };
        vendor_flows(ctx, &scope, &rejected, &mut facts);
        signal_facts(ctx, &scope, &readings, doc, i, &mut facts);
    }
    facts
}

struct Scope<'a> {
    block: &'a Block,
    reading: &'a BlockReading,
    section: &'a PhiScan,
    doc: &'a PhiScan,
    thread: bool,
}

impl Scope<'_> {
    /// The PHI a statement in sentence `s` concerns: the sentence's own, else the block's, else
    /// (when the surrounding text is about PHI) the section's or thread's.
    fn phi_for(&self, s: &Sentence) -> Vec<PhiElement> {
        if s.phi.is_phi() {
            return elements(&s.phi);
        }
        if self.reading.phi.is_phi() {
            return elements(&self.reading.phi);
        }
        if self.section.is_phi() {
            return elements(self.section);
        }
        if self.thread && self.doc.is_phi() {
            return elements(self.doc);
        }
        Vec::new()
    }

    /// The PHI a vendor sentence sends: its own, else its paragraph's or message's. A vendor
    /// named elsewhere in the section ("we use Mixpanel for marketing pages") is not handed the
    /// PHI of other paragraphs.
    fn phi_near(&self, s: &Sentence) -> Vec<PhiElement> {
        if s.phi.is_phi() {
            return elements(&s.phi);
        }
        elements(&self.reading.phi)
    }
}

fn read_block(ctx: &Ctx, doc: &Doc, block: &Block) -> BlockReading {
    let p = patterns();
    let mut text = block.text.clone();
    if let Some(c) = &block.context {
        text = format!("{text}\n[{c}]");
    }
    let mut sentences_out = Vec::new();
    for (offset, s) in sentences(&text) {
        let phi = ctx.catalog.scan_phi(s);
        let vendors = ctx.catalog.find_vendors(s).into_iter().map(|h| h.vendor).collect();
        let signals = p.signals.iter().filter(|(_, r)| r.is_match(s)).map(|(k, _)| *k).collect();
        sentences_out.push(Sentence {
            text: s.to_string(),
            offset,
            phi,
            vendors,
            signals,
            rejects: p.rejection.is_match(s),
            affirms: p.affirmation.is_match(s),
            negated: p.negation.is_match(s),
            synthetic: p.synthetic.is_match(s),
            future: p.future.is_match(s),
            question: s.trim_end().ends_with('?'),
        });
    }
    let heading = doc.sections.get(block.section).map(|h| h.join(" / ")).unwrap_or_default();
    BlockReading {
        phi: ctx.catalog.scan_phi(&text),
        candidates: candidates(&text),
        considered: p.considered_heading.is_match(&heading),
        sentences: sentences_out,
    }
}

/// Names in `text` that may be entities: code spans first, then dotted, dashed or underscored
/// identifiers.
fn candidates(text: &str) -> Vec<String> {
    let p = patterns();
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: &str| {
        let s = s.trim_matches(|c: char| !c.is_alphanumeric());
        if s.len() >= 2 && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    for c in p.code_span.captures_iter(text) {
        push(&c[1]);
    }
    for m in p.identifier.find_iter(text) {
        push(m.as_str());
    }
    out
}

fn section_phi(doc: &Doc, readings: &[BlockReading]) -> Vec<PhiScan> {
    (0..doc.sections.len())
        .map(|s| {
            let blocks = doc
                .blocks
                .iter()
                .zip(readings)
                .filter(|(b, _)| b.section == s)
                .map(|(_, r)| &r.phi);
            merge(blocks)
        })
        .collect()
}

fn merge<'a>(scans: impl Iterator<Item = &'a PhiScan>) -> PhiScan {
    let mut out = PhiScan::default();
    for s in scans {
        out.mentions.extend(s.mentions.iter().cloned());
        out.patient_context |= s.patient_context;
    }
    out
}

/// Unique PHI elements of a scan, sorted.
fn elements(scan: &PhiScan) -> Vec<PhiElement> {
    if !scan.is_phi() {
        return Vec::new();
    }
    let set: BTreeSet<PhiElement> =
        scan.mentions.iter().map(|m| PhiElement { kind: m.kind, name: m.term.clone() }).collect();
    set.into_iter().collect()
}

/// Vendors the document rejects. In a thread, a vendor whose last decisive mention rejects it
/// is rejected everywhere in the thread.
fn rejected_vendors(doc: &Doc, readings: &[BlockReading]) -> BTreeSet<usize> {
    let mut last: std::collections::BTreeMap<usize, bool> = Default::default();
    for r in readings {
        for s in &r.sentences {
            for &v in &s.vendors {
                if s.rejects || r.considered {
                    last.insert(v, true);
                } else if s.affirms {
                    last.insert(v, false);
                }
            }
        }
    }
    if !doc.is_thread {
        return BTreeSet::new();
    }
    last.into_iter().filter(|(_, rej)| *rej).map(|(v, _)| v).collect()
}

fn vendor_flows(ctx: &Ctx, scope: &Scope, rejected: &BTreeSet<usize>, facts: &mut Vec<Fact>) {
    if scope.reading.considered || scope.block.kind == BlockKind::Heading(1) {
        return;
    }
    for s in &scope.reading.sentences {
        if s.rejects || s.synthetic || s.question {
            continue;
        }
        for &v in &s.vendors {
            if rejected.contains(&v) {
                continue;
            }
            let vendor = &ctx.catalog.vendors[v];
            let to = EntityRef::vendor(&vendor.id, &vendor.name);
            let mut evidence = evidence(ctx, scope.block, s);
            // Hosting and infrastructure services are named in every design document; only a
            // sentence that itself names PHI makes a flow to one.
            let direct_only = vendor.is_cloud() || s.negated;
            let data = if direct_only && !s.phi.is_phi() { Vec::new() } else { scope.phi_near(s) };
            evidence.phi_from_context = !s.phi.is_phi();
            if data.is_empty() {
                facts.push(Fact { claim: Claim::Entity(to), evidence });
                continue;
            }
            let from = Target::Mention {
                candidates: non_vendor_candidates(ctx, &scope.reading.candidates),
                fallback: Some(ctx.component.clone()),
            };
            let claim = Claim::Flow { from, to: Target::Known(to), data, full_record: false };
            facts.push(Fact { claim, evidence });
        }
    }
}

fn non_vendor_candidates(ctx: &Ctx, candidates: &[String]) -> Vec<String> {
    candidates.iter().filter(|c| ctx.catalog.find_vendors(c).is_empty()).cloned().collect()
}

fn signal_facts(
    ctx: &Ctx,
    scope: &Scope,
    readings: &[BlockReading],
    doc: &Doc,
    index: usize,
    facts: &mut Vec<Fact>,
) {
    for s in scope.reading.sentences.iter().filter(|s| !s.question) {
        for &signal in &s.signals {
            let data = scope.phi_for(s);
            if data.is_empty() || s.synthetic && signal == Signal::ProdCopy {
                continue;
            }
            let mut ev = evidence(ctx, scope.block, s);
            ev.phi_from_context = !s.phi.is_phi();
            match signal {
                Signal::FullRecord => full_record(ctx, scope, s, data, ev, facts),
                Signal::Marketing | Signal::Deidentified if !s.phi.is_phi() => {}
                Signal::LogsPhi | Signal::ProdCopy if s.negated => {}
                // A control is claimed only when stated as present, now, for a named thing.
                Signal::Tls
                | Signal::EncryptedAtRest
                | Signal::Redaction
                | Signal::AuditOn
                | Signal::Consent
                    if s.negated || s.future => {}
                _ => {
                    let Some(attr) = attr_for(signal) else { continue };
                    // A stated control belongs to what its own sentence names.
                    let stated_control = matches!(
                        signal,
                        Signal::Tls
                            | Signal::EncryptedAtRest
                            | Signal::Redaction
                            | Signal::AuditOn
                            | Signal::Consent
                    );
                    let candidates = if stated_control {
                        candidates(&s.text)
                    } else {
                        nearby_candidates(ctx, readings, doc, index, s)
                    };
                    let subject =
                        Target::Mention { candidates, fallback: fallback_subject(ctx, signal, s) };
                    let data = if signal == Signal::Deidentified {
                        identifiers_only(&s.phi)
                    } else {
                        data
                    };
                    facts.push(Fact { claim: Claim::Attr { subject, attr, data }, evidence: ev });
                }
            }
        }
    }
}

fn attr_for(signal: Signal) -> Option<Attr> {
    Some(match signal {
        Signal::Plaintext => Attr::Plaintext,
        Signal::Public => Attr::Public,
        Signal::UnencryptedAtRest => Attr::UnencryptedAtRest,
        Signal::NoAudit => Attr::NoAuditTrail,
        Signal::LogsPhi => Attr::LogsPhi,
        Signal::SharedCredential => Attr::UsesCredential(String::new()),
        Signal::ProdCopy => Attr::ProdCopyInNonProd,
        Signal::Unauthenticated => Attr::Unauthenticated,
        Signal::Marketing => Attr::Marketing,
        Signal::Deidentified => Attr::ClaimedDeidentified,
        Signal::Tls => Attr::EncryptedInTransit,
        Signal::Redaction => Attr::Redacted,
        Signal::AuditOn => Attr::AuditLogged,
        Signal::Consent => Attr::Consented,
        Signal::EncryptedAtRest => Attr::EncryptedAtRest,
        Signal::FullRecord => return None,
    })
}

/// Statements about the system as a whole (logs, copies, marketing) fall back to the component;
/// statements about a particular store or endpoint need a name.
fn fallback_subject(ctx: &Ctx, signal: Signal, s: &Sentence) -> Option<EntityRef> {
    if matches!(signal, Signal::Tls | Signal::EncryptedAtRest | Signal::AuditOn) {
        return None;
    }
    if let Some(&v) = s.vendors.first() {
        let vendor = &ctx.catalog.vendors[v];
        if !vendor.is_cloud() {
            return Some(EntityRef::vendor(&vendor.id, &vendor.name));
        }
    }
    match signal {
        Signal::LogsPhi | Signal::ProdCopy | Signal::Marketing | Signal::Deidentified => {
            Some(ctx.component.clone())
        }
        _ => None,
    }
}

/// Candidates from the sentence, then its block, then earlier blocks of the same section.
fn nearby_candidates(
    ctx: &Ctx,
    readings: &[BlockReading],
    doc: &Doc,
    index: usize,
    s: &Sentence,
) -> Vec<String> {
    let mut out = candidates(&s.text);
    let section = doc.blocks[index].section;
    out.extend(readings[index].candidates.iter().cloned());
    for j in (0..index).rev() {
        if doc.blocks[j].section != section {
            break;
        }
        out.extend(readings[j].candidates.iter().cloned());
    }
    let mut seen = BTreeSet::new();
    out.retain(|c| seen.insert(c.clone()));
    let _ = ctx;
    out
}

fn identifiers_only(scan: &PhiScan) -> Vec<PhiElement> {
    scan.mentions
        .iter()
        .filter(|m| !m.kind.is_health())
        .map(|m| PhiElement { kind: m.kind, name: m.term.clone() })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// A full-record statement names where the records go: an outside party or a vendor. Parties
/// that receive PHI for treatment are exempt from minimum necessary and get no flow.
fn full_record(
    ctx: &Ctx,
    scope: &Scope,
    s: &Sentence,
    data: Vec<PhiElement>,
    evidence: crate::model::Evidence,
    facts: &mut Vec<Fact>,
) {
    if s.negated || s.synthetic {
        return;
    }
    let mut targets: Vec<EntityRef> = Vec::new();
    // A table row names its destinations in the header: "| Section | Specialist | Payer |".
    let framed = match &scope.block.context {
        Some(header) => format!("{} {header}", s.text),
        None => s.text.clone(),
    };
    for p in ctx.catalog.find_parties(&framed) {
        if !p.treatment {
            targets.push(EntityRef::new(p.name, EntityKind::ExternalParty));
        }
    }
    for &v in &s.vendors {
        let vendor = &ctx.catalog.vendors[v];
        if !vendor.is_cloud() {
            targets.push(EntityRef::vendor(&vendor.id, &vendor.name));
        }
    }
    let health: Vec<PhiElement> = data.into_iter().filter(|e| e.kind != PhiType::Date).collect();
    for to in targets {
        let from = Target::Mention {
            candidates: non_vendor_candidates(ctx, &scope.reading.candidates),
            fallback: Some(ctx.component.clone()),
        };
        let claim =
            Claim::Flow { from, to: Target::Known(to), data: health.clone(), full_record: true };
        facts.push(Fact { claim, evidence: evidence.clone() });
    }
}

fn evidence(ctx: &Ctx, block: &Block, s: &Sentence) -> crate::model::Evidence {
    let text = s.text.split("\n[").next().unwrap_or(&s.text);
    let lead = s.text.len() - s.text.trim_start().len();
    ctx.evidence_in(block.file.as_deref(), block.line_at(s.offset + lead), text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::extract::doc::DocBuilder;
    use crate::extract::{markdown, Format};
    use phiflow_pipeline::{ArtifactEvent, Source};

    fn facts_of(doc: &Doc) -> Vec<Fact> {
        let catalog = Catalog::builtin();
        let artifact = ArtifactEvent::new(Source::Files, "doc.md", "default", String::new());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text: "",
            format: Format::Markdown,
            component: EntityRef::new("portal", EntityKind::Service),
        };
        analyze(&ctx, doc)
    }

    fn phi_flows_to(facts: &[Fact], vendor: &str) -> usize {
        facts
            .iter()
            .filter(|f| match &f.claim {
                Claim::Flow { to: Target::Known(e), data, .. } => {
                    e.vendor.as_deref() == Some(vendor) && !data.is_empty()
                }
                _ => false,
            })
            .count()
    }

    #[test]
    fn vendor_sentence_with_phi_is_a_flow() {
        let doc = markdown::read("Support pastes the patient's DOB and lab values into Intercom.");
        assert_eq!(phi_flows_to(&facts_of(&doc), "intercom"), 1);
    }

    #[test]
    fn rejected_and_considered_vendors_get_no_flow() {
        let doc = markdown::read(
            "# Session replay\n\nWe record lab results pages.\n\n## Alternatives considered\n\n- Hotjar on the lab results pages.\n\nFullStory was rejected for lab results pages.\n",
        );
        let facts = facts_of(&doc);
        assert_eq!(phi_flows_to(&facts, "hotjar"), 0);
        assert_eq!(phi_flows_to(&facts, "fullstory"), 0);
    }

    #[test]
    fn slack_thread_reply_reverses_decision() {
        let mut b = DocBuilder::new().thread();
        b.message(
            "Let's add Hotjar to the portal so we can watch patients' medication refills",
            None,
            Some(1),
        );
        b.message("sounds good", None, Some(2));
        b.message("Privacy says no: we won't use Hotjar, decided against it.", None, Some(3));
        assert_eq!(phi_flows_to(&facts_of(&b.finish()), "hotjar"), 0);

        let mut b = DocBuilder::new().thread();
        b.message("We considered Hotjar but rejected it.", None, Some(1));
        b.message(
            "Update: Hotjar is live on the refill pages with patients' medication lists.",
            None,
            Some(2),
        );
        assert_eq!(phi_flows_to(&facts_of(&b.finish()), "hotjar"), 1);
    }

    #[test]
    fn a_vendor_is_not_handed_the_phi_of_other_paragraphs() {
        let doc = markdown::read(
            "The kiosk shows date of birth, allergies and medications.\n\nWe use Mixpanel for marketing-site page views only.\n",
        );
        assert_eq!(phi_flows_to(&facts_of(&doc), "mixpanel"), 0);
    }

    #[test]
    fn sentences_in_wrapped_paragraphs_are_cited_at_their_own_line() {
        let doc = markdown::read("# Design\n\nWe ship the app on Fridays. The build\nis green. Support pastes\nthe patient's DOB into Intercom.\n");
        let facts = facts_of(&doc);
        let line = facts.iter().find_map(|f| match &f.claim {
            Claim::Flow { to: Target::Known(e), .. } if e.name == "Intercom" => f.evidence.line,
            _ => None,
        });
        assert_eq!(line, Some(4));
    }

    #[test]
    fn questions_state_nothing() {
        let doc = markdown::read("Can we send the patient's DOB and diagnosis to Mixpanel? Is `records-db` encrypted at rest?");
        let facts = facts_of(&doc);
        assert_eq!(phi_flows_to(&facts, "mixpanel"), 0);
        assert!(!facts.iter().any(|f| matches!(f.claim, Claim::Attr { .. })), "{facts:?}");
    }

    #[test]
    fn negated_phi_is_not_data() {
        let doc = markdown::read(
            "Reminder SMS through Twilio contain no diagnosis, no medication and no visit reason.",
        );
        assert_eq!(phi_flows_to(&facts_of(&doc), "twilio"), 0);
    }

    #[test]
    fn control_statements_become_attributes_on_named_things() {
        let doc = markdown::read("The bucket `kp-lab-pdfs` holds lab results and is public-read.");
        let facts = facts_of(&doc);
        let attr = facts.iter().find_map(|f| match &f.claim {
            Claim::Attr {
                subject: Target::Mention { candidates, .. },
                attr: Attr::Public,
                data,
            } => Some((candidates.clone(), data.len())),
            _ => None,
        });
        let (candidates, data) = attr.expect("a public attribute");
        assert_eq!(candidates.first().map(String::as_str), Some("kp-lab-pdfs"));
        assert!(data > 0);
    }

    #[test]
    fn full_records_to_a_payer_are_flagged_but_treatment_is_exempt() {
        let doc = markdown::read(
            "| Section | Specialist referral | Payer PA request |\n|---|---|---|\n| Full CCD: complete problem list, all medications | yes | yes |\n",
        );
        let facts = facts_of(&doc);
        let targets: Vec<String> = facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Flow { to: Target::Known(e), full_record: true, .. } => Some(e.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(targets, vec!["payer".to_string()]);
    }
}
