//! Mermaid diagrams: flowcharts (`graph`/`flowchart`), sequence diagrams and C4 relations.
//! Nodes become entities (vendors when the catalog knows the name, data stores for cylinder
//! shapes), edges become flows whose data is the PHI named on the edge label.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::Ctx;
use crate::model::{Claim, EntityKind, EntityRef, Fact, PhiElement, Target};

struct Patterns {
    node: Regex,
    edge_op: Regex,
    sequence: Regex,
    c4_node: Regex,
    c4_rel: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("mermaid pattern");
        Patterns {
            // id followed by a shape: [..] (..) ([..]) [(..)] ((..)) {..} >..]
            node: re(r#"^\s*([A-Za-z0-9_\-]+)\s*(\[\(|\(\[|\(\(|\[\[|\[|\(|\{|>)\s*"?(.*?)"?\s*(\)\]|\]\)|\)\)|\]\]|\]|\)|\})?\s*$"#),
            edge_op: re(r#"\s*(?:--\s*"?([^">|]*?)"?\s*-->|-\.->|-->|==>|---|-\.-|--x|--o|<-->)\s*(?:\|\s*"?([^|"]*)"?\s*\|)?\s*"#),
            sequence: re(r"^\s*([\w\- ]+?)\s*-[->x)]+[+-]?\s*([\w\- ]+?)\s*:\s*(.+)$"),
            c4_node: re(r#"^\s*(Person|Person_Ext|System|System_Ext|SystemDb|SystemDb_Ext|Container|ContainerDb|Container_Ext|ContainerDb_Ext|Component|ComponentDb)\s*\(\s*(\w+)\s*,\s*"([^"]*)""#),
            c4_rel: re(r#"^\s*(?:Rel|BiRel|Rel_\w+)\s*\(\s*(\w+)\s*,\s*(\w+)\s*,\s*"([^"]*)""#),
        }
    })
}

struct Node {
    label: String,
    store: bool,
}

/// Extract entities and flows from a Mermaid diagram.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    let mut nodes: HashMap<String, Node> = HashMap::new();
    let mut edges: Vec<(String, String, String, u32)> = Vec::new();
    for (i, raw) in ctx.text.lines().enumerate() {
        let line = raw.trim();
        let n = i as u32 + 1;
        if line.is_empty() || line.starts_with("%%") || is_directive(line) {
            continue;
        }
        if let Some(c) = patterns().c4_node.captures(line) {
            let store = c[1].contains("Db");
            nodes.insert(c[2].to_string(), Node { label: c[3].to_string(), store });
        } else if let Some(c) = patterns().c4_rel.captures(line) {
            edges.push((c[1].to_string(), c[2].to_string(), c[3].to_string(), n));
        } else if let Some(c) = patterns().sequence.captures(line) {
            edges.push((c[1].trim().to_string(), c[2].trim().to_string(), c[3].to_string(), n));
        } else {
            read_flow_line(line, n, &mut nodes, &mut edges);
        }
    }
    facts(ctx, &nodes, &edges)
}

fn is_directive(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    matches!(
        first,
        "graph"
            | "flowchart"
            | "sequenceDiagram"
            | "classDef"
            | "class"
            | "style"
            | "linkStyle"
            | "click"
            | "end"
            | "direction"
            | "participant"
            | "actor"
            | "autonumber"
            | "Note"
            | "note"
            | "loop"
            | "alt"
            | "else"
            | "opt"
            | "par"
            | "and"
            | "rect"
            | "C4Context"
            | "C4Container"
            | "C4Component"
            | "title"
            | "UpdateLayoutConfig"
            | "subgraph"
    ) || first.starts_with("Boundary")
        || first.starts_with("System_Boundary")
        || first.starts_with("Enterprise_Boundary")
        || first.starts_with("Container_Boundary")
}

/// `A[Label] -->|data| B[(Store)] --> C`: split on edge operators, reading node shapes.
fn read_flow_line(
    line: &str,
    n: u32,
    nodes: &mut HashMap<String, Node>,
    edges: &mut Vec<(String, String, String, u32)>,
) {
    let p = patterns();
    let mut parts: Vec<(String, String)> = Vec::new(); // (node text, label of edge into it)
    let mut last = 0;
    let mut label = String::new();
    for c in p.edge_op.captures_iter(line) {
        let m = c.get(0).expect("whole match");
        parts.push((line[last..m.start()].to_string(), std::mem::take(&mut label)));
        label = c.get(1).or(c.get(2)).map(|l| l.as_str().trim().to_string()).unwrap_or_default();
        last = m.end();
    }
    parts.push((line[last..].to_string(), label));
    let ids: Vec<Option<String>> = parts.iter().map(|(t, _)| node_def(t, nodes)).collect();
    for w in 1..parts.len() {
        if let (Some(a), Some(b)) = (&ids[w - 1], &ids[w]) {
            edges.push((a.clone(), b.clone(), parts[w].1.clone(), n));
        }
    }
}

fn node_def(text: &str, nodes: &mut HashMap<String, Node>) -> Option<String> {
    let text = text.trim().trim_end_matches(';');
    if text.is_empty() {
        return None;
    }
    if let Some(c) = patterns().node.captures(text) {
        let id = c[1].to_string();
        let label = clean_label(&c[3]);
        let store = &c[2] == "[(";
        if !label.is_empty() {
            nodes.insert(id.clone(), Node { label, store });
        }
        return Some(id);
    }
    let id = text.split_whitespace().next()?.to_string();
    Some(id)
}

fn clean_label(label: &str) -> String {
    let l = label.replace("<br/>", " · ").replace("<br>", " · ").replace("<br />", " · ");
    l.trim_matches('"').trim().to_string()
}

fn entity(ctx: &Ctx, id: &str, nodes: &HashMap<String, Node>) -> EntityRef {
    let (label, store) = nodes.get(id).map(|n| (n.label.as_str(), n.store)).unwrap_or((id, false));
    let head = label.split(" · ").next().unwrap_or(label).trim();
    if let Some(hit) = ctx.catalog.find_vendors(head).first() {
        let v = &ctx.catalog.vendors[hit.vendor];
        if !v.is_cloud() || !store {
            return EntityRef::vendor(&v.id, &v.name);
        }
    }
    let kind = if store { EntityKind::DataStore } else { EntityKind::Unknown };
    EntityRef::new(head, kind)
}

fn facts(
    ctx: &Ctx,
    nodes: &HashMap<String, Node>,
    edges: &[(String, String, String, u32)],
) -> Vec<Fact> {
    let mut out = Vec::new();
    for (from, to, label, line) in edges {
        let (a, b) = (entity(ctx, from, nodes), entity(ctx, to, nodes));
        let mut scan = ctx.catalog.scan_phi(label);
        // A label on an edge from or to a patient speaks about that patient.
        let ends = format!("{} {}", a.name, b.name);
        scan.patient_context |= ctx.catalog.scan_phi(&ends).patient_context;
        let data: Vec<PhiElement> = if scan.is_phi() {
            let mut d: Vec<PhiElement> = scan
                .mentions
                .iter()
                .map(|m| PhiElement { kind: m.kind, name: m.term.clone() })
                .collect();
            d.sort();
            d.dedup();
            d
        } else {
            Vec::new()
        };
        let excerpt = format!("{} --> {}: {}", a.name, b.name, label);
        let claim =
            Claim::Flow { from: Target::Known(a), to: Target::Known(b), data, full_record: false };
        out.push(Fact { claim, evidence: ctx.evidence(Some(*line), &excerpt) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::extract::Format;
    use phiflow_pipeline::{ArtifactEvent, Source};

    #[test]
    fn flowchart_edges_carry_the_phi_on_their_labels() {
        let text = "flowchart LR\n    P([Patient<br/>app])\n    IM[Intercom Messenger<br/>chat]\n    EHR[(Chart DB)]\n    P -->|\"full name + DOB for ID check\"| IM\n    IM --> EHR\n";
        let catalog = Catalog::builtin();
        let artifact = ArtifactEvent::new(Source::Files, "flow.mmd", "default", text.into());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text,
            format: Format::Mermaid,
            component: EntityRef::new("x", EntityKind::Service),
        };
        let facts = extract(&ctx);
        assert_eq!(facts.len(), 2);
        let Claim::Flow { from: Target::Known(a), to: Target::Known(b), data, .. } =
            &facts[0].claim
        else {
            panic!("not a flow")
        };
        assert_eq!((a.name.as_str(), b.name.as_str()), ("Patient", "Intercom"));
        assert!(data.iter().any(|d| d.kind == crate::catalog::PhiType::Date), "{data:?}");
        assert_eq!(facts[0].evidence.line, Some(5));
        let Claim::Flow { to: Target::Known(store), data, .. } = &facts[1].claim else { panic!() };
        assert_eq!(store.kind, EntityKind::DataStore);
        assert!(data.is_empty());
    }
}
