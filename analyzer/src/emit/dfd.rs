//! The data-flow diagram of a model: entities laid out in columns by kind (sources, services,
//! stores, vendors), flows as arrows, PHI-carrying flows in red labelled with their PHI types,
//! vendors without a signed BAA marked. Rendered as inline SVG for the HTML report and as
//! Mermaid `flowchart LR` text for anything that draws Mermaid.
//!
//! Both renderings escape every name, so the diagram can be embedded in HTML as it is.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::catalog::PhiType;
use crate::model::{EntityKind, ModelView};

/// A model reduced to what the diagram shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagram {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The entity key, prefixed with its system when a scan has several.
    pub id: String,
    pub name: String,
    pub kind: EntityKind,
    pub baa: Baa,
}

/// Whether a signed BAA covers a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baa {
    /// Not a vendor from the catalog.
    NotApplicable,
    Signed,
    Missing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// PHI element types the flow carries; empty for a flow without PHI.
    pub phi: Vec<PhiType>,
}

/// The four columns, left to right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Sources,
    Services,
    Stores,
    Vendors,
}

impl Column {
    pub const ALL: [Column; 4] =
        [Column::Sources, Column::Services, Column::Stores, Column::Vendors];

    pub fn of(kind: EntityKind) -> Column {
        use EntityKind as K;
        match kind {
            K::Frontend | K::Principal | K::Role | K::Credential | K::Unknown => Column::Sources,
            K::Service | K::Job | K::Endpoint => Column::Services,
            K::DataStore | K::Queue => Column::Stores,
            K::Vendor | K::ExternalParty => Column::Vendors,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Column::Sources => "Sources and identities",
            Column::Services => "Services and jobs",
            Column::Stores => "Stores and queues",
            Column::Vendors => "Vendors and outside parties",
        }
    }
}

impl Diagram {
    /// The diagram of one system's model. `prefix` goes before every entity key (the system id
    /// when a scan has several); `baa_covers` says whether a catalog vendor id is under a BAA.
    pub fn from_view(view: &ModelView, prefix: &str, baa_covers: impl Fn(&str) -> bool) -> Self {
        let mut d = Diagram::default();
        d.extend(view, prefix, baa_covers);
        d
    }

    /// Add one system's model.
    pub fn extend(&mut self, view: &ModelView, prefix: &str, baa_covers: impl Fn(&str) -> bool) {
        for e in view.entities.values() {
            let baa = match &e.vendor {
                Some(v) if baa_covers(v) => Baa::Signed,
                Some(_) => Baa::Missing,
                None => Baa::NotApplicable,
            };
            let id = format!("{prefix}{}", e.key);
            self.nodes.push(Node { id, name: e.name.clone(), kind: e.kind, baa });
        }
        for f in view.flows.values() {
            let phi: Vec<PhiType> = crate::findings::phi_types(f.data().iter());
            let (from, to) = (format!("{prefix}{}", f.from), format!("{prefix}{}", f.to));
            self.edges.push(Edge { from, to, phi });
        }
    }

    /// Nodes per column, in the order they were added.
    pub fn columns(&self) -> BTreeMap<Column, Vec<&Node>> {
        let mut cols: BTreeMap<Column, Vec<&Node>> = BTreeMap::new();
        for n in &self.nodes {
            cols.entry(Column::of(n.kind)).or_default().push(n);
        }
        cols
    }

    /// Mermaid `flowchart LR` text: one subgraph per column, PHI flows and vendors without a
    /// BAA styled in red.
    pub fn mermaid(&self) -> String {
        let ids: BTreeMap<&str, String> =
            self.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), format!("n{i}"))).collect();
        let mut out = String::from("flowchart LR\n");
        for (col, nodes) in self.columns() {
            let _ = writeln!(out, "  subgraph c{} [\"{}\"]", col as u8, col.title());
            for n in nodes {
                let label = match n.baa {
                    Baa::Missing => format!("{} (no BAA)", n.name),
                    _ => n.name.clone(),
                };
                let _ = writeln!(out, "    {}[\"{}\"]", ids[n.id.as_str()], mermaid_text(&label));
            }
            out.push_str("  end\n");
        }
        let mut red = Vec::new();
        for (i, e) in self.edges.iter().enumerate() {
            let (Some(from), Some(to)) = (ids.get(e.from.as_str()), ids.get(e.to.as_str())) else {
                continue;
            };
            if e.phi.is_empty() {
                let _ = writeln!(out, "  {from} --> {to}");
            } else {
                let label = mermaid_text(&phi_label(&e.phi));
                let _ = writeln!(out, "  {from} -->|\"{label}\"| {to}");
                red.push(i.to_string());
            }
        }
        if !red.is_empty() {
            let _ = writeln!(out, "  linkStyle {} stroke:#c62828,color:#c62828", red.join(","));
        }
        let missing: Vec<&str> = self
            .nodes
            .iter()
            .filter(|n| n.baa == Baa::Missing)
            .map(|n| ids[n.id.as_str()].as_str())
            .collect();
        if !missing.is_empty() {
            out.push_str("  classDef nobaa stroke:#c62828,stroke-width:2px,stroke-dasharray:4\n");
            let _ = writeln!(out, "  class {} nobaa", missing.join(","));
        }
        out
    }

    /// The diagram as a standalone `<svg>` element with a `<title>`, for inline use in HTML.
    pub fn svg(&self) -> String {
        Layout::of(self).render(self)
    }
}

/// PHI types as a flow label.
pub fn phi_label(phi: &[PhiType]) -> String {
    phi.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

/// Text for a quoted Mermaid label: quotes and markup characters as Mermaid entity codes.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Widths and spacing of the SVG, in pixels.
const COL_WIDTH: usize = 290;
const BOX_WIDTH: usize = 190;
const BOX_HEIGHT: usize = 46;
const ROW_HEIGHT: usize = 78;
const TOP: usize = 56;
const LEFT: usize = 20;
/// Longest name shown in a box; the full name is in the box's tooltip.
const MAX_LABEL: usize = 26;

/// Where each node's box goes.
struct Layout {
    boxes: BTreeMap<String, (usize, usize)>,
    width: usize,
    height: usize,
}

impl Layout {
    fn of(d: &Diagram) -> Layout {
        let mut boxes = BTreeMap::new();
        let mut rows = 0;
        for (col, nodes) in d.columns() {
            for (row, n) in nodes.iter().enumerate() {
                boxes.insert(
                    n.id.clone(),
                    (LEFT + col as usize * COL_WIDTH, TOP + row * ROW_HEIGHT),
                );
            }
            rows = rows.max(nodes.len());
        }
        let width = LEFT * 2 + (Column::ALL.len() - 1) * COL_WIDTH + BOX_WIDTH;
        Layout { boxes, width, height: TOP + rows.max(1) * ROW_HEIGHT + 10 }
    }

    fn render(&self, d: &Diagram) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dfd\" role=\"img\" \
             viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">",
            w = self.width,
            h = self.height
        );
        s.push_str("<title>Data-flow diagram</title>\n");
        s.push_str(
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#607d8b\"/></marker>\
             <marker id=\"arrow-phi\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c62828\"/></marker></defs>\n",
        );
        for col in Column::ALL {
            let x = LEFT + col as usize * COL_WIDTH;
            let _ = writeln!(
                s,
                "<text class=\"col\" x=\"{x}\" y=\"24\">{}</text>",
                super::html::escape(col.title())
            );
        }
        // Arrows under the boxes, PHI labels over them so a box never hides one.
        for e in &d.edges {
            self.edge(&mut s, e);
        }
        for n in &d.nodes {
            self.node(&mut s, n);
        }
        self.labels(&mut s, d);
        s.push_str("</svg>\n");
        s
    }

    fn node(&self, s: &mut String, n: &Node) {
        let Some(&(x, y)) = self.boxes.get(&n.id) else { return };
        let class = match n.baa {
            Baa::Missing => "node nobaa",
            Baa::Signed => "node baa",
            Baa::NotApplicable => "node",
        };
        let name = super::html::escape(&n.name);
        let shown = super::html::escape(&short(&n.name));
        let kind = n.kind.as_str();
        let _ = writeln!(
            s,
            "<g class=\"{class}\"><title>{name} ({kind})</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{BOX_WIDTH}\" height=\"{BOX_HEIGHT}\" rx=\"6\"/>\
             <text x=\"{tx}\" y=\"{ty}\">{shown}</text>\
             <text class=\"kind\" x=\"{tx}\" y=\"{ky}\">{kind}{note}</text></g>",
            tx = x + 10,
            ty = y + 20,
            ky = y + 37,
            note = match n.baa {
                Baa::Missing => " · no BAA",
                Baa::Signed => " · BAA",
                Baa::NotApplicable => "",
            },
        );
    }

    /// The quadratic curve of a flow: start, control point, end.
    fn curve(&self, e: &Edge) -> Option<[(f64, f64); 3]> {
        let (&(fx, fy), &(tx, ty)) = (self.boxes.get(&e.from)?, self.boxes.get(&e.to)?);
        // Leave from the side that faces the target; a flow within a column bends outward.
        let (x1, x2, bend) = if tx > fx {
            (fx + BOX_WIDTH, tx, 0)
        } else if tx < fx {
            (fx, tx + BOX_WIDTH, 0)
        } else {
            (fx + BOX_WIDTH, tx + BOX_WIDTH, 40)
        };
        let (y1, y2) = (fy + BOX_HEIGHT / 2, ty + BOX_HEIGHT / 2);
        let (cx, cy) = ((x1 + x2) / 2 + bend, (y1 + y2) / 2);
        Some([(x1, y1), (cx, cy), (x2, y2)].map(|(x, y)| (x as f64, y as f64)))
    }

    fn edge(&self, s: &mut String, e: &Edge) {
        let Some([(x1, y1), (cx, cy), (x2, y2)]) = self.curve(e) else { return };
        let (class, marker) =
            if e.phi.is_empty() { ("flow", "arrow") } else { ("flow phi", "arrow-phi") };
        let _ = writeln!(
            s,
            "<path class=\"{class}\" d=\"M{x1},{y1} Q{cx},{cy} {x2},{y2}\" \
             marker-end=\"url(#{marker})\"/>",
        );
    }

    /// The PHI types of each PHI flow, wrapped, on a white backing, placed along the flow
    /// where they cover neither a box nor an earlier label when such a place exists.
    fn labels(&self, s: &mut String, d: &Diagram) {
        let mut taken: Vec<Rect> = self
            .boxes
            .values()
            .map(|&(x, y)| Rect {
                x: x as f64,
                y: y as f64,
                w: BOX_WIDTH as f64,
                h: BOX_HEIGHT as f64,
            })
            .collect();
        for (e, t0) in d.edges.iter().zip(label_positions(d)) {
            let Some(curve) = self.curve(e) else { continue };
            if e.phi.is_empty() {
                continue;
            }
            let lines = wrap_types(&e.phi, LABEL_CHARS);
            let longest = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            let (w, h) = (longest as f64 * 6.2 + 8.0, lines.len() as f64 * 13.0 + 4.0);
            let rect_at = |t: f64| {
                let (x, y) = point(curve, t);
                Rect { x: (x - w / 2.0).round(), y: (y - h / 2.0).round(), w, h }
            };
            let candidates = LABEL_SHIFTS.iter().map(|dt| rect_at((t0 + dt).clamp(0.1, 0.9)));
            let rect = candidates
                .min_by(|a, b| {
                    let (ca, cb) = (a.covered(&taken), b.covered(&taken));
                    ca.partial_cmp(&cb).unwrap_or(std::cmp::Ordering::Equal)
                })
                .unwrap_or_else(|| rect_at(t0));
            let cx = rect.x + w / 2.0;
            let _ = write!(
                s,
                "<g class=\"flow-label\"><rect x=\"{}\" y=\"{}\" width=\"{w}\" height=\"{h}\" \
                 rx=\"3\"/><text x=\"{cx}\" y=\"{}\">",
                rect.x,
                rect.y,
                rect.y + 12.0
            );
            for (i, line) in lines.iter().enumerate() {
                let dy = if i == 0 { 0 } else { 13 };
                let line = super::html::escape(line);
                let _ = write!(s, "<tspan x=\"{cx}\" dy=\"{dy}\">{line}</tspan>");
            }
            s.push_str("</text></g>\n");
            taken.push(rect);
        }
    }
}

/// How far along its flow a label may move from its first place, tried in this order; the
/// first that covers nothing wins, else the one that covers least.
const LABEL_SHIFTS: [f64; 9] = [0.0, -0.08, 0.08, -0.16, 0.16, -0.24, 0.24, -0.32, 0.32];

/// A rectangle of the drawing, in pixels.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    /// Area of this rectangle that `others` cover (overlaps counted once per other).
    fn covered(&self, others: &[Rect]) -> f64 {
        others
            .iter()
            .map(|o| {
                let w = (self.x + self.w).min(o.x + o.w) - self.x.max(o.x);
                let h = (self.y + self.h).min(o.y + o.h) - self.y.max(o.y);
                w.max(0.0) * h.max(0.0)
            })
            .sum()
    }
}

/// The point at `t` along a quadratic curve.
fn point([p0, c, p2]: [(f64, f64); 3], t: f64) -> (f64, f64) {
    let at =
        |a: f64, m: f64, b: f64| (1.0 - t) * (1.0 - t) * a + 2.0 * (1.0 - t) * t * m + t * t * b;
    (at(p0.0, c.0, p2.0), at(p0.1, c.1, p2.1))
}

/// Widest line of a flow label, in characters.
const LABEL_CHARS: usize = 34;

/// Where along its curve each flow's label goes: flows that leave the same box spread their
/// labels from a quarter to three quarters of the way, so they do not sit on one another.
fn label_positions(d: &Diagram) -> Vec<f64> {
    let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in d.edges.iter().enumerate().filter(|(_, e)| !e.phi.is_empty()) {
        by_source.entry(e.from.as_str()).or_default().push(i);
    }
    let mut t = vec![0.5; d.edges.len()];
    for edges in by_source.values().filter(|v| v.len() > 1) {
        let last = (edges.len() - 1) as f64;
        for (k, &i) in edges.iter().enumerate() {
            t[i] = 0.25 + 0.5 * k as f64 / last;
        }
    }
    t
}

/// PHI types joined with commas, broken into lines of at most `width` characters.
fn wrap_types(phi: &[PhiType], width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for p in phi {
        match lines.last_mut() {
            Some(line) if line.chars().count() + p.as_str().len() + 2 <= width => {
                line.push_str(", ");
                line.push_str(p.as_str());
            }
            Some(line) => {
                line.push(',');
                lines.push(p.as_str().to_string());
            }
            None => lines.push(p.as_str().to_string()),
        }
    }
    lines
}

fn short(name: &str) -> String {
    if name.chars().count() <= MAX_LABEL {
        return name.to_string();
    }
    let mut out: String = name.chars().take(MAX_LABEL - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagram() -> Diagram {
        let node =
            |id: &str, name: &str, kind, baa| Node { id: id.into(), name: name.into(), kind, baa };
        Diagram {
            nodes: vec![
                node("portal", "patient-portal-web", EntityKind::Service, Baa::NotApplicable),
                node("vendor:fullstory", "FullStory", EntityKind::Vendor, Baa::Missing),
                node("vendor:aws", "AWS <S3>", EntityKind::Vendor, Baa::Signed),
                node("db", "clinic \"db\"", EntityKind::DataStore, Baa::NotApplicable),
            ],
            edges: vec![
                Edge {
                    from: "portal".into(),
                    to: "vendor:fullstory".into(),
                    phi: vec![PhiType::Email, PhiType::LabResult],
                },
                Edge { from: "portal".into(), to: "db".into(), phi: vec![] },
            ],
        }
    }

    #[test]
    fn mermaid_lays_out_columns_and_marks_phi_and_missing_baas() {
        let m = diagram().mermaid();
        assert!(m.starts_with("flowchart LR\n"), "{m}");
        assert!(m.contains("subgraph c3 [\"Vendors and outside parties\"]"), "{m}");
        assert!(m.contains("n1[\"FullStory (no BAA)\"]"), "{m}");
        assert!(m.contains("n0 -->|\"email, lab_result\"| n1"), "{m}");
        assert!(m.contains("n0 --> n3"), "{m}");
        assert!(m.contains("linkStyle 0 stroke:#c62828"), "{m}");
        assert!(m.contains("class n1 nobaa"), "{m}");
        assert!(m.contains("n2[\"AWS #lt;S3#gt;\"]"), "names are escaped: {m}");
        assert!(m.contains("n3[\"clinic #quot;db#quot;\"]"), "{m}");
    }

    #[test]
    fn svg_draws_boxes_arrows_and_escapes_names() {
        let svg = diagram().svg();
        assert!(svg.starts_with("<svg "), "{svg}");
        assert_eq!(svg.matches("<g class=\"node").count(), 4);
        assert_eq!(svg.matches("<g class=\"flow-label\"").count(), 1);
        assert_eq!(svg.matches("class=\"flow phi\"").count(), 1);
        assert_eq!(svg.matches("class=\"flow\"").count(), 1);
        assert!(svg.contains(">email, lab_result</tspan>"), "{svg}");
        assert!(svg.contains("class=\"node nobaa\""), "{svg}");
        assert!(svg.contains("vendor · no BAA"), "{svg}");
        assert!(svg.contains("AWS &lt;S3&gt;"), "{svg}");
        assert!(!svg.contains("<S3>"), "{svg}");
    }

    #[test]
    fn long_labels_wrap_and_labels_of_one_source_spread_out() {
        use PhiType as P;
        let lines = wrap_types(&[P::Name, P::Geographic, P::Date, P::Phone, P::Email], 20);
        assert_eq!(lines, ["name, geographic,", "date, phone, email"]);
        let mut d = diagram();
        d.edges[1].phi = vec![P::Mrn];
        assert_eq!(label_positions(&d), [0.25, 0.75]);
    }

    #[test]
    fn columns_follow_entity_kinds() {
        assert_eq!(Column::of(EntityKind::Frontend), Column::Sources);
        assert_eq!(Column::of(EntityKind::Job), Column::Services);
        assert_eq!(Column::of(EntityKind::Queue), Column::Stores);
        assert_eq!(Column::of(EntityKind::ExternalParty), Column::Vendors);
        let d = diagram();
        let cols = d.columns();
        assert_eq!(cols[&Column::Vendors].len(), 2);
        assert!(!cols.contains_key(&Column::Sources));
    }

    #[test]
    fn a_view_becomes_nodes_and_edges_with_baa_state() {
        let mut analyzer = crate::Analyzer::new(phiflow_pipeline::Config::default());
        let doc = "The patient-portal service sends each patient's name and lab results to \
                   Mixpanel.";
        analyzer.process(&phiflow_pipeline::ArtifactEvent::new(
            phiflow_pipeline::Source::Files,
            "design.md",
            "default",
            doc.into(),
        ));
        let view = analyzer.view("default").expect("a model");
        let d = Diagram::from_view(&view, "", |_| false);
        let vendor = d.nodes.iter().find(|n| n.kind == EntityKind::Vendor).expect("vendor");
        assert_eq!(vendor.baa, Baa::Missing);
        let edge = d.edges.iter().find(|e| e.to == vendor.id).expect("flow to vendor");
        assert!(edge.phi.contains(&PhiType::LabResult), "{edge:?}");
        let signed = Diagram::from_view(&view, "s/", |_| true);
        assert!(signed.nodes.iter().any(|n| n.baa == Baa::Signed && n.id.starts_with("s/")));
    }
}
