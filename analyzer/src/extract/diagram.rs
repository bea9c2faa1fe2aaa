//! What the diagram formats share (Mermaid, draw.io, PlantUML, Structurizr): a [`Diagram`] of
//! nodes, edges, boundaries and notes, and how it becomes facts.
//!
//! A node is an entity named by the first line of its label: a vendor when the catalog knows
//! the name (a cloud vendor's name on a data store stays the store's name), a data store or a
//! queue when the diagram draws it as one. An edge is a flow whose data is the PHI its label
//! names; a label on an edge from or to a patient speaks about that patient. An edge label
//! that says the link is plaintext (`http://`, "port 80", "cleartext") marks what it reaches
//! as plaintext, with the PHI it carries. Boundaries (packages, swimlanes, groups, systems)
//! are trust boundaries: they are named in the evidence of the entities inside them and of
//! the flows that cross them. Notes and free text are read as prose.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use regex::Regex;

use super::yaml::{plaintext_endpoint, prose_facts, Facts, Note};
use super::Ctx;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement, Target};

/// How a diagram draws a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Shape {
    #[default]
    Box,
    Store,
    Queue,
    Person,
}

/// One node as the diagram declares it.
#[derive(Debug, Clone, Default)]
pub(super) struct Node {
    /// The label; lines are separated by `\n`, the first one names the node.
    pub label: String,
    pub shape: Shape,
    /// The innermost boundary the node sits in.
    pub boundary: Option<String>,
    pub line: Option<u32>,
    /// A boundary itself (package, swimlane, group): an entity only when an edge names it.
    pub container: bool,
    /// Text beside the label (a person's description) says the node is a patient.
    pub about_patient: bool,
}

/// One edge: node ids, the label, and where it is written.
#[derive(Debug, Clone)]
pub(super) struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub line: Option<u32>,
}

/// A diagram as read, before it becomes facts.
#[derive(Debug, Default)]
pub(super) struct Diagram {
    nodes: HashMap<String, Node>,
    order: Vec<String>,
    pub edges: Vec<Edge>,
    pub notes: Vec<Note>,
}

impl Diagram {
    /// Declare or update a node. A later declaration with a label replaces an empty one; the
    /// first line a node is declared on is kept.
    pub fn node(&mut self, id: &str, node: Node) {
        match self.nodes.get_mut(id) {
            Some(old) => {
                if old.label.trim().is_empty() || old.label == id {
                    old.label = node.label;
                }
                if old.shape == Shape::Box {
                    old.shape = node.shape;
                }
                old.boundary = old.boundary.take().or(node.boundary);
                old.line = old.line.or(node.line);
                old.container |= node.container;
                old.about_patient |= node.about_patient;
            }
            None => {
                self.order.push(id.to_string());
                self.nodes.insert(id.to_string(), node);
            }
        }
    }

    /// The label of a declared node.
    pub fn label_of(&self, id: &str) -> Option<&str> {
        self.nodes.get(id).map(|n| n.label.as_str())
    }

    /// An edge; one from a node to itself (a sequence diagram's self-call) is no flow.
    pub fn edge(&mut self, from: &str, to: &str, label: &str, line: Option<u32>) {
        if from == to {
            return;
        }
        let label = label.trim().to_string();
        self.edges.push(Edge { from: from.to_string(), to: to.to_string(), label, line });
    }

    /// Free text in the diagram (a note, a comment), read as prose.
    pub fn note(&mut self, line: u32, text: &str) {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            self.notes.push(Note { line, text, own_line: false });
        }
    }

    /// The flows of the edges, nothing else (what Mermaid diagrams have always yielded).
    pub fn flows(&self, ctx: &Ctx) -> Vec<Fact> {
        self.edges.iter().map(|e| self.flow(ctx, e).0).collect()
    }

    /// Declared entities, flows, plaintext links and the notes' prose.
    pub fn facts(&self, ctx: &Ctx) -> Vec<Fact> {
        let mut out = Facts::default();
        self.declarations(ctx, &mut out);
        for edge in &self.edges {
            let (fact, to, data) = self.flow(ctx, edge);
            out.push(fact.claim, fact.evidence);
            if !data.is_empty() && is_plaintext(&edge.label) {
                plaintext(ctx, &mut out, &to, &edge.label, data, edge.line);
            }
        }
        let mut notes = self.notes.clone();
        notes.sort_by_key(|n| n.line);
        out.extend(prose_facts(ctx, &notes));
        out.finish()
    }

    fn declarations(&self, ctx: &Ctx, out: &mut Facts) {
        let linked: HashSet<&str> =
            self.edges.iter().flat_map(|e| [e.from.as_str(), e.to.as_str()]).collect();
        for id in &self.order {
            let node = &self.nodes[id];
            if (node.container && !linked.contains(id.as_str())) || head(&node.label).is_empty() {
                continue;
            }
            let entity = entity(ctx, &node.label, node.shape);
            let mut excerpt = format!("{} {}", shape_word(node), head(&node.label));
            if let Some(b) = &node.boundary {
                excerpt.push_str(&format!(" (inside boundary {b})"));
            }
            out.push(Claim::Entity(entity), ctx.evidence(node.line, &excerpt));
        }
    }

    /// The entity a node id stands for; an undeclared id names itself.
    fn entity_of(&self, ctx: &Ctx, id: &str) -> EntityRef {
        match self.nodes.get(id) {
            Some(n) if !head(&n.label).is_empty() => entity(ctx, &n.label, n.shape),
            Some(n) => entity(ctx, id, n.shape),
            None => entity(ctx, id, Shape::Box),
        }
    }

    /// The flow of one edge, with its target and the PHI it carries.
    fn flow(&self, ctx: &Ctx, edge: &Edge) -> (Fact, EntityRef, Vec<PhiElement>) {
        let (a, b) = (self.entity_of(ctx, &edge.from), self.entity_of(ctx, &edge.to));
        let patient_end = [&edge.from, &edge.to]
            .iter()
            .any(|id| self.nodes.get(id.as_str()).is_some_and(|n| n.about_patient));
        let data = edge_data(ctx, &edge.label, &format!("{} {}", a.name, b.name), patient_end);
        let mut excerpt = format!("{} --> {}: {}", a.name, b.name, edge.label);
        let boundary = |id: &str| self.nodes.get(id).and_then(|n| n.boundary.clone());
        let (from_b, to_b) = (boundary(&edge.from), boundary(&edge.to));
        if from_b != to_b {
            let name = |b: Option<String>| b.unwrap_or_else(|| "outside".to_string());
            excerpt.push_str(&format!(" [crosses {} → {}]", name(from_b), name(to_b)));
        }
        let claim = Claim::Flow {
            from: Target::Known(a),
            to: Target::Known(b.clone()),
            data: data.clone(),
            full_record: false,
        };
        (Fact { claim, evidence: ctx.evidence(edge.line, &excerpt) }, b, data)
    }
}

fn shape_word(node: &Node) -> &'static str {
    match (node.container, node.shape) {
        (true, _) => "boundary",
        (_, Shape::Store) => "data store",
        (_, Shape::Queue) => "queue",
        (_, Shape::Person) => "person",
        (_, Shape::Box) => "node",
    }
}

/// The first non-empty line of a label, with its whitespace collapsed.
pub(super) fn head(label: &str) -> String {
    let line = label.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    let line = line.trim_matches(|c| c == '"' || c == '\'');
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entity a node label names: a catalog vendor, else a store, queue or plain node.
pub(super) fn entity(ctx: &Ctx, label: &str, shape: Shape) -> EntityRef {
    let head = head(label);
    let store = shape == Shape::Store;
    if let Some(hit) = ctx.catalog.find_vendors(&head).first() {
        let v = &ctx.catalog.vendors[hit.vendor];
        if !v.is_cloud() || !store {
            return EntityRef::vendor(&v.id, &v.name);
        }
    }
    let kind = match shape {
        Shape::Store => EntityKind::DataStore,
        Shape::Queue => EntityKind::Queue,
        Shape::Box | Shape::Person => EntityKind::Unknown,
    };
    EntityRef::new(head, kind)
}

/// The PHI an edge label names. `ends` are the names of the edge's ends: a label on an edge
/// from or to a patient speaks about that patient.
fn edge_data(ctx: &Ctx, label: &str, ends: &str, patient_end: bool) -> Vec<PhiElement> {
    let mut scan = ctx.catalog.scan_phi(label);
    scan.patient_context |= patient_end || ctx.catalog.scan_phi(ends).patient_context;
    if !scan.is_phi() {
        return Vec::new();
    }
    let mut data: Vec<PhiElement> =
        scan.mentions.iter().map(|m| PhiElement { kind: m.kind, name: m.term.clone() }).collect();
    data.sort();
    data.dedup();
    data
}

struct Patterns {
    plain: Regex,
    weak_plain: Regex,
    secure: Regex,
    http_url: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("diagram pattern");
        Patterns {
            plain: re(concat!(
                r"(?i)\b(cleartext|clear text|plain ?text|unencrypted|no tls|without tls",
                r"|port 80|plain http)\b|:80\b",
            )),
            weak_plain: re(r"(?i)\b(http|ws|ftp|telnet|smtp)\b"),
            secure: re(r"(?i)\b(https|tls|mtls|ssl|wss|sftp|ftps|smtps|vpn|ipsec)\b"),
            http_url: re(r#"(?i)\bhttp://[^\s"'<>)]+"#),
        }
    })
}

/// Whether a link's label says it is plaintext: cleartext words or port 80 outright, or a
/// plaintext protocol named with no secure one beside it ("HTTP" but not "HTTP over TLS").
pub(super) fn is_plaintext(label: &str) -> bool {
    let p = patterns();
    p.plain.is_match(label) || p.weak_plain.is_match(label) && !p.secure.is_match(label)
}

/// Plaintext on what a plaintext link reaches: the outside host its `http://` URL names
/// (named as the other extractors name it, with the host as an alias), else its target.
fn plaintext(
    ctx: &Ctx,
    out: &mut Facts,
    target: &EntityRef,
    label: &str,
    data: Vec<PhiElement>,
    line: Option<u32>,
) {
    let url = patterns().http_url.find(label).and_then(|m| plaintext_endpoint(m.as_str()));
    let subject = match url {
        Some((endpoint, host)) => {
            let alias = Claim::Alias { name: host.to_string(), of: endpoint.clone() };
            out.push(alias, ctx.evidence(line, &format!("http://{host}")));
            endpoint
        }
        None => target.clone(),
    };
    let excerpt = format!("plaintext link to {}: {label}", subject.name);
    out.attr(&subject, Attr::Plaintext, data, ctx.evidence(line, &excerpt));
}

/// Helpers for the diagram extractors' tests.
#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::catalog::{Catalog, PhiType};
    use crate::extract::{ExtractError, Format};

    /// Run `extract` on `text` as the artifact at `path`.
    pub(crate) fn run(
        path: &str,
        format: Format,
        text: &str,
        extract: fn(&Ctx) -> Result<Vec<Fact>, ExtractError>,
    ) -> Result<Vec<Fact>, ExtractError> {
        let mut catalog = Catalog::builtin();
        catalog.add_declared_vendors(&["Parcelfax".to_string()]);
        crate::extract::test_support::with_ctx(&catalog, path, format, text, extract)
    }

    /// Known-to-known flows as (from, to, PHI types, line).
    pub(crate) fn flows(facts: &[Fact]) -> Vec<(String, String, Vec<PhiType>, Option<u32>)> {
        facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Flow { from: Target::Known(a), to: Target::Known(b), data, .. } => {
                    let mut types: Vec<PhiType> = data.iter().map(|d| d.kind).collect();
                    types.dedup();
                    Some((a.name.clone(), b.name.clone(), types, f.evidence.line))
                }
                _ => None,
            })
            .collect()
    }

    /// Declared entities as (name, kind, line).
    pub(crate) fn entities(facts: &[Fact]) -> Vec<(String, EntityKind, Option<u32>)> {
        facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Entity(e) => Some((e.name.clone(), e.kind, f.evidence.line)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn plaintext_labels() {
        assert!(is_plaintext("webhook POST http://hook.example/x"));
        assert!(is_plaintext("listener :80"));
        assert!(is_plaintext("HTTP"));
        assert!(!is_plaintext("HTTPS"));
        assert!(!is_plaintext("HTTP over TLS"));
        assert!(!is_plaintext("forward :8080"));
        assert!(is_plaintext("cleartext, TLS planned"));
    }
}
