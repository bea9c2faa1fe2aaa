//! Mermaid diagrams: flowcharts (`graph`/`flowchart`), sequence diagrams and C4 relations,
//! in `.mmd` files and in Markdown fences and Confluence code macros (cited at their own lines
//! in the page). Nodes become entities (vendors when the catalog knows the name, data stores
//! for cylinder shapes), edges become flows whose data is the PHI named on the edge label;
//! subgraphs are boundaries (see the `diagram` module).

use std::sync::OnceLock;

use regex::Regex;

use super::diagram::{Diagram, Node, Shape};
use super::Ctx;
use crate::model::Fact;

struct Patterns {
    node: Regex,
    edge_op: Regex,
    sequence: Regex,
    c4_node: Regex,
    c4_rel: Regex,
    participant: Regex,
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
            participant: re(r"^\s*(participant|actor)\s+([\w\-]+)(?:\s+as\s+(.+?))?\s*$"),
            c4_rel: re(r#"^\s*(?:Rel|BiRel|Rel_\w+)\s*\(\s*(\w+)\s*,\s*(\w+)\s*,\s*"([^"]*)""#),
        }
    })
}

/// Extract entities and flows from a Mermaid diagram.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    extract_block(ctx, ctx.text, 1)
}

/// The flows of a Mermaid diagram that starts at line `first_line` of the artifact (a fenced
/// block in Markdown, a code macro in a Confluence page).
pub fn extract_block(ctx: &Ctx, text: &str, first_line: u32) -> Vec<Fact> {
    read(text, first_line).flows(ctx)
}

/// Read a diagram's nodes, subgraphs and edges.
fn read(text: &str, first_line: u32) -> Diagram {
    let mut d = Diagram::default();
    // Subgraphs are boundaries; `end` also closes sequence blocks (`loop`, `alt`), kept as None.
    let mut blocks: Vec<Option<String>> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = first_line + i as u32;
        let first = line.split_whitespace().next().unwrap_or("");
        if line.is_empty() || line.starts_with("%%") {
            continue;
        }
        if first == "subgraph" {
            blocks.push(Some(subgraph_title(line)));
            continue;
        }
        if SEQUENCE_BLOCKS.contains(&first) {
            blocks.push(None);
        }
        if first == "end" {
            blocks.pop();
        }
        if let Some(c) = patterns().participant.captures(line) {
            let shape = if &c[1] == "actor" { Shape::Person } else { Shape::Box };
            let label = c.get(3).map_or(&c[2], |l| l.as_str()).to_string();
            d.node(&c[2], Node { label, shape, line: Some(n), ..Node::default() });
            continue;
        }
        if is_directive(line) {
            continue;
        }
        let boundary = blocks.iter().rev().flatten().next().cloned();
        read_line(line, n, boundary, &mut d);
    }
    d
}

/// Sequence-diagram blocks closed by `end`.
const SEQUENCE_BLOCKS: &[&str] = &["loop", "alt", "opt", "par", "rect", "critical", "break"];

/// `subgraph id [Title]`, `subgraph "Title"`, `subgraph Title`.
fn subgraph_title(line: &str) -> String {
    let rest = line.trim_start_matches("subgraph").trim();
    let title = match rest.find('[') {
        Some(at) => rest[at + 1..].trim_end_matches(']'),
        None => rest,
    };
    clean_label(title).replace('\n', " ")
}

fn read_line(line: &str, n: u32, boundary: Option<String>, d: &mut Diagram) {
    let p = patterns();
    if let Some(c) = p.c4_node.captures(line) {
        let shape = if c[1].contains("Db") { Shape::Store } else { Shape::Box };
        let node =
            Node { label: c[3].to_string(), shape, boundary, line: Some(n), ..Node::default() };
        d.node(&c[2], node);
    } else if let Some(c) = p.c4_rel.captures(line) {
        d.edge(&c[1], &c[2], &c[3], Some(n));
    } else if let Some(c) = p.sequence.captures(line) {
        d.edge(c[1].trim(), c[2].trim(), &c[3], Some(n));
    } else {
        read_flow_line(line, n, boundary, d);
    }
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
fn read_flow_line(line: &str, n: u32, boundary: Option<String>, d: &mut Diagram) {
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
    let ids: Vec<Option<String>> =
        parts.iter().map(|(t, _)| node_def(t, n, boundary.as_deref(), d)).collect();
    for w in 1..parts.len() {
        if let (Some(a), Some(b)) = (&ids[w - 1], &ids[w]) {
            d.edge(a, b, &parts[w].1, Some(n));
        }
    }
}

fn node_def(text: &str, n: u32, boundary: Option<&str>, d: &mut Diagram) -> Option<String> {
    let text = text.trim().trim_end_matches(';');
    if text.is_empty() {
        return None;
    }
    if let Some(c) = patterns().node.captures(text) {
        let id = c[1].to_string();
        let label = clean_label(&c[3]);
        let shape = if &c[2] == "[(" { Shape::Store } else { Shape::Box };
        if !label.is_empty() {
            let boundary = boundary.map(str::to_string);
            d.node(&id, Node { label, shape, boundary, line: Some(n), ..Node::default() });
        }
        return Some(id);
    }
    let id = text.split_whitespace().next()?.to_string();
    Some(id)
}

/// A label with its line breaks (`<br/>`) as newlines and its quotes removed.
fn clean_label(label: &str) -> String {
    let l = label.replace("<br/>", "\n").replace("<br>", "\n").replace("<br />", "\n");
    l.trim_matches('"').trim().to_string()
}

/// The Mermaid diagrams of a Markdown document: its ```` ```mermaid ```` and `~~~mermaid`
/// fences, each cited at its own lines.
pub fn in_markdown(ctx: &Ctx) -> Vec<Fact> {
    let mut out = Vec::new();
    let mut fence: Option<(String, u32, Vec<&str>)> = None;
    for (i, raw) in ctx.text.lines().enumerate() {
        let t = raw.trim();
        if let Some((marker, start, body)) = fence.as_mut() {
            if t.starts_with(marker.as_str()) && t.trim_start_matches(['`', '~']).is_empty() {
                out.extend(extract_block(ctx, &body.join("\n"), *start));
                fence = None;
            } else {
                body.push(raw);
            }
            continue;
        }
        let marker: String = t.chars().take_while(|&c| c == '`' || c == '~').collect();
        let info = t[marker.len()..].trim().to_lowercase();
        if marker.len() >= 3 && info.split_whitespace().next() == Some("mermaid") {
            fence = Some((marker, i as u32 + 2, Vec::new()));
        }
    }
    out
}

/// The Mermaid diagrams of a Confluence page in storage format: code macros whose language
/// is `mermaid`, and Mermaid macros. With `at`, every fact is cited at that line (a page body
/// inside a JSON document, whose lines are not the file's).
pub fn in_confluence(ctx: &Ctx, xhtml: &str, at: Option<u32>) -> Vec<Fact> {
    const BODY: &str = "<ac:plain-text-body><![CDATA[";
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = xhtml[from..].find(BODY) {
        let start = from + found + BODY.len();
        let Some(len) = xhtml[start..].find("]]>") else { break };
        let macro_start = xhtml[..start].rfind("<ac:structured-macro").unwrap_or(0);
        if is_mermaid_macro(&xhtml[macro_start..start]) {
            let first_line = crate::text::line_of_offset(xhtml, start);
            let mut facts = extract_block(ctx, &xhtml[start..start + len], first_line);
            if at.is_some() {
                facts.iter_mut().for_each(|f| f.evidence.line = at);
            }
            out.extend(facts);
        }
        from = start + len;
    }
    out
}

/// The opening of a macro up to its body: a code macro in Mermaid, or a Mermaid macro.
fn is_mermaid_macro(head: &str) -> bool {
    let h = head.to_lowercase();
    let language = h.contains("ac:name=\"language\">mermaid<");
    let own_macro = h
        .split("ac:name=\"")
        .nth(1)
        .is_some_and(|name| name.split('"').next().is_some_and(|n| n.contains("mermaid")));
    language || own_macro
}

/// The Mermaid diagrams of a Confluence REST page (`body.storage.value`), cited at the
/// body's line.
pub fn in_confluence_json(ctx: &Ctx) -> Vec<Fact> {
    let Ok(page) = serde_json::from_str::<serde_json::Value>(ctx.text) else { return Vec::new() };
    let Some(storage) = page.pointer("/body/storage/value").and_then(|v| v.as_str()) else {
        return Vec::new();
    };
    let line = crate::text::find_line(ctx.text, "\"storage\"", 1);
    in_confluence(ctx, storage, line.or(Some(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Catalog, PhiType};
    use crate::extract::diagram::tests::flows;
    use crate::extract::Format;
    use crate::model::{Claim, EntityKind, EntityRef, Target};
    use phiflow_pipeline::{ArtifactEvent, Source};

    fn run(path: &str, format: Format, text: &str, f: fn(&Ctx) -> Vec<Fact>) -> Vec<Fact> {
        let catalog = Catalog::builtin();
        let artifact = ArtifactEvent::new(Source::Files, path, "default", text.into());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text,
            format,
            component: EntityRef::new("x", EntityKind::Service),
        };
        f(&ctx)
    }

    #[test]
    fn flowchart_edges_carry_the_phi_on_their_labels() {
        let text = "flowchart LR\n    P([Patient<br/>app])\n    IM[Intercom Messenger<br/>chat]\n    EHR[(Chart DB)]\n    P -->|\"full name + DOB for ID check\"| IM\n    IM --> EHR\n";
        let facts = run("flow.mmd", Format::Mermaid, text, extract);
        assert_eq!(facts.len(), 2);
        let Claim::Flow { from: Target::Known(a), to: Target::Known(b), data, .. } =
            &facts[0].claim
        else {
            panic!("not a flow")
        };
        assert_eq!((a.name.as_str(), b.name.as_str()), ("Patient", "Intercom"));
        assert!(data.iter().any(|d| d.kind == PhiType::Date), "{data:?}");
        assert_eq!(facts[0].evidence.line, Some(5));
        let Claim::Flow { to: Target::Known(store), data, .. } = &facts[1].claim else { panic!() };
        assert_eq!(store.kind, EntityKind::DataStore);
        assert!(data.is_empty());
    }

    #[test]
    fn subgraphs_are_boundaries_and_participants_have_labels() {
        let text = "sequenceDiagram\n  participant A as Portal API\n  A->>Mixpanel: patient DOB\n";
        let facts = run("s.mmd", Format::Mermaid, text, extract);
        assert_eq!(flows(&facts)[0].0, "Portal API");
        let text =
            "graph LR\n  subgraph vpc [Clinic VPC]\n    A[API]\n  end\n  A -->|MRN| S[Sentry]\n";
        let facts = run("s.mmd", Format::Mermaid, text, extract);
        assert!(facts[0].evidence.excerpt.contains("crosses Clinic VPC → outside"), "{facts:?}");
    }

    #[test]
    fn markdown_fences_are_read_at_their_lines() {
        let text = "# Design

Text.

```mermaid
graph LR
  A[Portal] -->|MRN and DOB| B[Sentry]
```

~~~ mermaid
graph LR
  C[Jobs] --> D[(Warehouse)]
~~~
```js
A --> B
```
";
        let facts = run("d.md", Format::Markdown, text, in_markdown);
        let got: Vec<_> = flows(&facts).into_iter().map(|f| (f.0, f.1, f.3)).collect();
        assert_eq!(
            got,
            [
                ("Portal".into(), "Sentry".into(), Some(7)),
                ("Jobs".into(), "Warehouse".into(), Some(12)),
            ]
        );
    }

    #[test]
    fn confluence_code_macros_are_read_at_their_lines() {
        let page = r#"<h1>Flow</h1>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">mermaid</ac:parameter>
<ac:plain-text-body><![CDATA[graph LR
  A[Portal] -->|lab results| B[Hotjar]
]]></ac:plain-text-body></ac:structured-macro>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">js</ac:parameter>
<ac:plain-text-body><![CDATA[A --> B]]></ac:plain-text-body></ac:structured-macro>"#;
        let facts = run("p.xhtml", Format::ConfluenceStorage, page, |ctx| {
            in_confluence(ctx, ctx.text, None)
        });
        let got: Vec<_> = flows(&facts).into_iter().map(|f| (f.1, f.2, f.3)).collect();
        assert_eq!(got, [("Hotjar".into(), vec![PhiType::LabResult], Some(4))]);
    }
}
