//! draw.io (diagrams.net) diagrams: `.drawio` files, and `.xml` files whose root is
//! `<mxfile>` or a bare `<mxGraphModel>`.
//!
//! A file holds one `<diagram>` per page. A page is either an `<mxGraphModel>` element or,
//! in the compressed form older and many shared files use, text: base64 of raw deflate of the
//! URL-encoded model XML. Either way the model is a flat list of `mxCell`s linked by `parent`,
//! `source` and `target` ids:
//!
//! - vertices are nodes, named by the first line of their label (HTML stripped);
//!   `shape=cylinder…` and `shape=datastore` draw data stores;
//! - edges (`edge="1"`) are flows; their label is their `value` plus the label cells draw.io
//!   keeps as separate vertices whose parent is the edge;
//! - swimlanes, containers (`container=1`) and groups are boundaries;
//! - text cells and notes are read as prose.
//!
//! Cells are cited at their own line; the cells of a compressed page at the line of its
//! `<diagram>` element. Decompression stops at [`MAX_DECOMPRESSED`]: a page that inflates
//! further is an error, not a hang.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

use flate2::read::DeflateDecoder;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use regex::Regex;

use super::diagram::{head, Diagram, Node, Shape};
use super::markdown::decode_entities;
use super::{Ctx, ExtractError, Format};
use crate::model::Fact;

/// Most bytes all compressed pages of one file may inflate to.
pub const MAX_DECOMPRESSED: usize = 20 * 1024 * 1024;

/// Whether `text` is a draw.io file: its root element is `<mxfile>` or `<mxGraphModel>`.
pub fn is_drawio(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    // Skip the XML declaration, comments and a doctype before the root element.
    while rest.starts_with("<?") || rest.starts_with("<!") {
        let end = if rest.starts_with("<!--") { rest.find("-->") } else { rest.find('>') };
        let Some(end) = end else { return false };
        rest = rest[end..].trim_start_matches(['-', '>']).trim_start();
    }
    rest.starts_with("<mxfile") || rest.starts_with("<mxGraphModel")
}

/// Read a draw.io file into entities, flows and notes.
pub fn extract(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let mut budget = MAX_DECOMPRESSED;
    let cells = read_cells(ctx.text, None, &mut budget)?;
    if cells.is_empty() && !is_drawio(ctx.text) {
        return Err(malformed("no <mxfile> or <mxGraphModel> root"));
    }
    Ok(build(&cells).facts(ctx))
}

fn malformed(message: impl ToString) -> ExtractError {
    ExtractError::malformed(Format::DrawIo, message)
}

/// One `mxCell` as written.
#[derive(Debug, Clone, Default)]
struct Cell {
    /// Page-qualified id: ids repeat across pages.
    id: String,
    value: String,
    style: String,
    vertex: bool,
    edge: bool,
    parent: Option<String>,
    source: Option<String>,
    target: Option<String>,
    line: u32,
}

/// Where cells are read from: the file itself (lines counted), or a compressed page (every
/// cell at the page's line).
struct Scan<'a> {
    text: &'a str,
    fixed_line: Option<u32>,
    counted: (usize, u32),
    page: usize,
    cells: Vec<Cell>,
    /// `<object>`/`<UserObject>` wrappers carry the id and label of the cell inside them.
    wrapper: Option<(String, String)>,
    /// The open `<diagram>`: its line, its text, and whether it holds a model element.
    diagram: Option<(u32, String, bool)>,
}

impl Scan<'_> {
    /// The line of byte `offset`, counting forward from the last offset asked for.
    fn line_at(&mut self, offset: usize) -> u32 {
        if let Some(l) = self.fixed_line {
            return l;
        }
        let (pos, line) = self.counted;
        let offset = offset.min(self.text.len()).max(pos);
        let newlines = self.text.as_bytes()[pos..offset].iter().filter(|&&b| b == b'\n').count();
        self.counted = (offset, line + newlines as u32);
        self.counted.1
    }
}

/// Every cell of every page of `text`.
fn read_cells(
    text: &str,
    fixed_line: Option<u32>,
    budget: &mut usize,
) -> Result<Vec<Cell>, ExtractError> {
    let mut reader = Reader::from_str(text);
    let mut scan = Scan {
        text,
        fixed_line,
        counted: (0, 1),
        page: 0,
        cells: Vec::new(),
        wrapper: None,
        diagram: None,
    };
    let mut depth = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            let line = scan.line_at(reader.error_position() as usize);
            malformed(format!("line {line}: {e}"))
        })?;
        match event {
            Event::Start(e) => {
                depth += 1;
                start(&mut scan, &e, pos, false);
            }
            Event::Empty(e) => start(&mut scan, &e, pos, true),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                end(&mut scan, e.name().as_ref(), budget)?;
            }
            Event::Text(t) => diagram_text(&mut scan, &String::from_utf8_lossy(&t)),
            Event::CData(t) => diagram_text(&mut scan, &String::from_utf8_lossy(&t)),
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        return Err(malformed("the file ends inside an element"));
    }
    Ok(scan.cells)
}

fn start(scan: &mut Scan, e: &BytesStart, pos: usize, empty: bool) {
    match e.name().as_ref() {
        b"diagram" if scan.fixed_line.is_none() => {
            scan.page += 1;
            let line = scan.line_at(pos);
            scan.diagram = Some((line, String::new(), false));
        }
        b"mxGraphModel" => {
            if let Some(d) = scan.diagram.as_mut() {
                d.2 = true;
            }
        }
        b"object" | b"UserObject" if !empty => {
            let id = attr(e, "id").unwrap_or_default();
            scan.wrapper = Some((id, attr(e, "label").unwrap_or_default()));
        }
        b"mxCell" => {
            let line = scan.line_at(pos);
            let cell = cell(scan, e, line);
            scan.cells.push(cell);
        }
        _ => {}
    }
}

fn cell(scan: &Scan, e: &BytesStart, line: u32) -> Cell {
    let page = |id: Option<String>| id.map(|i| format!("{}:{i}", scan.page));
    let (wrapper_id, wrapper_label) = scan.wrapper.clone().unwrap_or_default();
    let id = attr(e, "id").filter(|i| !i.is_empty()).unwrap_or(wrapper_id);
    Cell {
        id: format!("{}:{id}", scan.page),
        value: attr(e, "value").unwrap_or(wrapper_label),
        style: attr(e, "style").unwrap_or_default(),
        vertex: attr(e, "vertex").as_deref() == Some("1"),
        edge: attr(e, "edge").as_deref() == Some("1"),
        parent: page(attr(e, "parent")),
        source: page(attr(e, "source")),
        target: page(attr(e, "target")),
        line,
    }
}

fn end(scan: &mut Scan, name: &[u8], budget: &mut usize) -> Result<(), ExtractError> {
    match name {
        b"object" | b"UserObject" => scan.wrapper = None,
        b"diagram" if scan.fixed_line.is_none() => {
            let Some((line, body, has_model)) = scan.diagram.take() else { return Ok(()) };
            if has_model || body.trim().is_empty() {
                return Ok(());
            }
            let xml = inflate(body.trim(), budget)
                .map_err(|e| malformed(format!("line {line}: compressed diagram: {e}")))?;
            let page = scan.page;
            for mut c in read_cells(&xml, Some(line), budget)? {
                // Cells of the inner model are numbered as page 0; give them this page.
                c.id = requalify(&c.id, page);
                c.parent = c.parent.map(|p| requalify(&p, page));
                c.source = c.source.map(|s| requalify(&s, page));
                c.target = c.target.map(|t| requalify(&t, page));
                scan.cells.push(c);
            }
        }
        _ => {}
    }
    Ok(())
}

fn requalify(id: &str, page: usize) -> String {
    let bare = id.split_once(':').map_or(id, |(_, rest)| rest);
    format!("{page}:{bare}")
}

fn diagram_text(scan: &mut Scan, text: &str) {
    if let Some((_, body, false)) = scan.diagram.as_mut() {
        body.push_str(text);
    }
}

/// An attribute's value with XML entities decoded.
fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .map(|a| decode_entities(&String::from_utf8_lossy(&a.value)))
}

// ---------------------------------------------------------------------------------------------
// Compressed pages
// ---------------------------------------------------------------------------------------------

/// A compressed page's model XML: base64, then raw deflate, then URL decoding. `budget` is
/// what the file may still inflate to; it shrinks by what this page takes.
fn inflate(body: &str, budget: &mut usize) -> Result<String, String> {
    let bytes = base64_decode(body)?;
    let mut inflated = Vec::new();
    DeflateDecoder::new(bytes.as_slice())
        .take(*budget as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| format!("deflate: {e}"))?;
    if inflated.len() > *budget {
        return Err(format!("inflates beyond {} MiB", MAX_DECOMPRESSED / (1024 * 1024)));
    }
    *budget -= inflated.len();
    let text = String::from_utf8(inflated).map_err(|_| "inflated data is not text".to_string())?;
    if text.trim_start().starts_with('<') {
        return Ok(text);
    }
    let decoded = percent_decode(&text)?;
    String::from_utf8(decoded).map_err(|_| "URL-decoded data is not UTF-8".to_string())
}

/// Standard base64; whitespace (line-wrapped exports) is ignored, padding optional.
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(compact.as_bytes()).map_err(|e| format!("base64: {e}"))
}

/// `%XX` escapes to bytes (what `encodeURIComponent` wrote); a stray `%` is an error.
fn percent_decode(text: &str) -> Result<Vec<u8>, String> {
    let bytes = text.as_bytes();
    let bad = bytes.iter().enumerate().find(|(i, b)| {
        **b == b'%' && !bytes.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if let Some((i, _)) = bad {
        return Err(format!("bad URL escape at byte {i}"));
    }
    Ok(percent_encoding::percent_decode(bytes).collect())
}

// ---------------------------------------------------------------------------------------------
// Cells to a diagram
// ---------------------------------------------------------------------------------------------

/// What a cell is in the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Node(Shape),
    Boundary,
    EdgeLabel,
    Text,
    Edge,
    Other,
}

fn role(cell: &Cell, cells: &HashMap<&str, &Cell>) -> Role {
    let style = cell.style.to_lowercase();
    let has = |key: &str| style.split(';').any(|s| s == key || s.starts_with(&format!("{key}=")));
    if cell.edge {
        return Role::Edge;
    }
    if !cell.vertex {
        return Role::Other;
    }
    let parent_is_edge = cell.parent.as_deref().and_then(|p| cells.get(p)).is_some_and(|p| p.edge);
    if parent_is_edge || has("edgelabel") {
        return Role::EdgeLabel;
    }
    if has("swimlane") || style.contains("container=1") || has("group") {
        return Role::Boundary;
    }
    if has("text") || has("note") || style.contains("shape=note") {
        return Role::Text;
    }
    Role::Node(shape(&style))
}

/// Cloud icons (`resIcon=mxgraph.aws4.rds`) that draw data stores and queues.
const STORE_ICONS: &[&str] = &[
    "rds",
    "aurora",
    "dynamodb",
    "s3",
    "simple_storage_service",
    "redshift",
    "elasticache",
    "documentdb_with_mongodb_compatibility",
    "sql_database",
    "cosmos_db",
    "blob_storage",
    "cloud_sql",
    "cloud_storage",
    "bigquery",
];
const QUEUE_ICONS: &[&str] =
    &["sqs", "mq", "kinesis", "msk", "service_bus", "event_hubs", "pubsub"];

fn shape(style: &str) -> Shape {
    let value = |key: &str| style.split(';').find_map(|s| s.strip_prefix(key)).unwrap_or("");
    let shape = value("shape=");
    let icon = value("resicon=").rsplit('.').next().unwrap_or("");
    let store_shape = shape.starts_with("cylinder") || shape.contains("datastore");
    if store_shape || shape.contains("database") || STORE_ICONS.contains(&icon) {
        Shape::Store
    } else if shape.contains("queue") || QUEUE_ICONS.contains(&icon) {
        Shape::Queue
    } else if shape.contains("actor") {
        Shape::Person
    } else {
        Shape::Box
    }
}

/// A cell's label as plain text: HTML line breaks become newlines, other markup goes.
fn label(cell: &Cell) -> String {
    static P: OnceLock<(Regex, Regex)> = OnceLock::new();
    let (breaks, tags) = P.get_or_init(|| {
        (
            Regex::new(r"(?i)<br\s*/?>|</div>|</p>|</li>|<div[^>]*>").expect("breaks"),
            Regex::new(r"(?s)<[^>]*>").expect("tags"),
        )
    });
    let html = cell.style.contains("html=1") || cell.value.contains("<br");
    let text = if html {
        let t = breaks.replace_all(&cell.value, "\n");
        decode_entities(&tags.replace_all(&t, ""))
    } else {
        cell.value.clone()
    };
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Turn the cells into a diagram: nodes, boundaries, edges with their label cells, notes.
fn build(cells: &[Cell]) -> Diagram {
    let by_id: HashMap<&str, &Cell> = cells.iter().map(|c| (c.id.as_str(), c)).collect();
    let roles: HashMap<&str, Role> =
        cells.iter().map(|c| (c.id.as_str(), role(c, &by_id))).collect();
    let linked: HashSet<&str> = cells
        .iter()
        .filter(|c| c.edge)
        .flat_map(|c| [c.source.as_deref(), c.target.as_deref()])
        .flatten()
        .collect();
    let mut d = Diagram::default();
    for c in cells {
        let node = |shape, container| Node {
            label: label(c),
            shape,
            boundary: boundary(c, &by_id, &roles),
            line: Some(c.line),
            container,
            about_patient: false,
        };
        match roles[c.id.as_str()] {
            Role::Node(shape) => d.node(&c.id, node(shape, false)),
            Role::Boundary => d.node(&c.id, node(Shape::Box, true)),
            Role::Text if linked.contains(c.id.as_str()) => d.node(&c.id, node(Shape::Box, false)),
            Role::Text => d.note(c.line, &label(c).replace('\n', ". ")),
            Role::Edge | Role::EdgeLabel | Role::Other => {}
        }
    }
    // An edge is a flow between two named nodes; one that ends at an unlabeled icon, at
    // another edge or nowhere names no entity.
    let named = |d: &Diagram, id: &str| d.label_of(id).is_some_and(|l| !head(l).is_empty());
    for c in cells.iter().filter(|c| c.edge) {
        let (Some(from), Some(to)) = (&c.source, &c.target) else { continue };
        if named(&d, from) && named(&d, to) {
            d.edge(from, to, &edge_label(c, cells), Some(c.line));
        }
    }
    d
}

/// An edge's label and the labels of the label cells attached to it.
fn edge_label(edge: &Cell, cells: &[Cell]) -> String {
    let mut parts = vec![label(edge)];
    for c in cells.iter().filter(|c| c.vertex && c.parent.as_deref() == Some(edge.id.as_str())) {
        parts.push(label(c));
    }
    parts.retain(|p| !p.is_empty());
    parts.join("; ").replace('\n', " ")
}

/// The label of the innermost boundary a cell sits in.
fn boundary(
    cell: &Cell,
    by_id: &HashMap<&str, &Cell>,
    roles: &HashMap<&str, Role>,
) -> Option<String> {
    let mut parent = cell.parent.as_deref();
    for _ in 0..64 {
        let p = by_id.get(parent?)?;
        if roles.get(p.id.as_str()) == Some(&Role::Boundary) {
            let name = head(&label(p));
            if !name.is_empty() {
                return Some(name);
            }
        }
        parent = p.parent.as_deref();
    }
    None
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::DeflateEncoder;
    use flate2::Compression;

    use super::*;
    use crate::catalog::PhiType;
    use crate::extract::diagram::tests::{entities, flows, run};
    use crate::model::{Attr, Claim, EntityKind, Target};

    const MODEL: &str = r#"<mxGraphModel><root>
<mxCell id="0" />
<mxCell id="1" parent="0" />
<mxCell id="vpc" value="Clinic VPC" style="swimlane;html=1;" vertex="1" parent="1" />
<mxCell id="app" value="Intake API&lt;br&gt;(EKS)" style="html=1;" vertex="1" parent="vpc" />
<mxCell id="db" value="Chart DB" style="shape=cylinder3;html=1;" vertex="1" parent="vpc" />
<mxCell id="pt" value="Patient" style="shape=umlActor;" vertex="1" parent="1" />
<mxCell id="mx" value="Mixpanel" style="rounded=1;" vertex="1" parent="1" />
<mxCell id="hook" value="Partner hook" style="rounded=1;" vertex="1" parent="1" />
<mxCell id="icon" value="" style="shape=image;" vertex="1" parent="1" />
<mxCell id="e0" value="MRN" edge="1" source="icon" target="hook" />
<mxCell id="e1" value="" style="edgeStyle=orthogonalEdgeStyle;" edge="1" source="pt" target="app" />
<mxCell id="e1l" value="full name, DOB" style="edgeLabel;html=1;" vertex="1" parent="e1" />
<mxCell id="e2" value="events with diagnosis codes" edge="1" source="app" target="mx" />
<mxCell id="e3" value="writes chart" edge="1" parent="vpc" source="app" target="db" />
<mxCell id="e4" value="POST http://hook.partner.example/in (MRN, labs)" edge="1"
  source="app" target="hook" />
<mxCell id="n1" value="Lab results are sent to Hotjar for replay." style="text;" vertex="1" />
</root></mxGraphModel>"#;

    fn uncompressed() -> String {
        let open = "<mxfile host=\"app.diagrams.net\">\n  <diagram id=\"a\" name=\"Page-1\">";
        format!("{open}\n{MODEL}\n  </diagram>\n</mxfile>\n")
    }

    fn compress(xml: &str) -> String {
        let encoded: String = xml
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        enc.write_all(encoded.as_bytes()).unwrap();
        base64_encode(&enc.finish().unwrap())
    }

    fn base64_encode(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    fn extract_text(text: &str) -> Result<Vec<Fact>, ExtractError> {
        run("arch.drawio", Format::DrawIo, text, extract)
    }

    #[test]
    fn vertices_edges_and_label_cells() {
        let facts = extract_text(&uncompressed()).unwrap();
        let ents = entities(&facts);
        assert!(ents.contains(&("Intake API".into(), EntityKind::Unknown, Some(7))), "{ents:?}");
        assert!(ents.contains(&("Chart DB".into(), EntityKind::DataStore, Some(8))), "{ents:?}");
        assert!(ents.contains(&("Mixpanel".into(), EntityKind::Vendor, Some(10))), "{ents:?}");
        assert!(!ents.iter().any(|e| e.0 == "Clinic VPC"), "an unlinked boundary is no entity");
        let inside =
            facts.iter().find(|f| matches!(&f.claim, Claim::Entity(e) if e.name == "Chart DB"));
        assert!(inside.unwrap().evidence.excerpt.contains("boundary Clinic VPC"));

        let flows = flows(&facts);
        let patient = ("Patient".into(), "Intake API".into(), vec![PhiType::Name, PhiType::Date]);
        assert!(
            flows.iter().any(|f| (f.0.clone(), f.1.clone(), f.2.clone()) == patient),
            "{flows:?}"
        );
        assert!(flows.contains(&(
            "Intake API".into(),
            "Mixpanel".into(),
            vec![PhiType::Diagnosis],
            Some(16)
        )));
        assert!(flows.contains(&("Intake API".into(), "Chart DB".into(), vec![], Some(17))));
        assert_eq!(flows.len(), 4, "no flow from the unlabeled icon");
        let crossing = facts.iter().find(|f| f.evidence.line == Some(16)).unwrap();
        assert!(crossing.evidence.excerpt.contains("crosses Clinic VPC → outside"));
    }

    #[test]
    fn plaintext_edge_marks_the_host_it_names() {
        let facts = extract_text(&uncompressed()).unwrap();
        let plain: Vec<_> = facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Attr { subject: Target::Known(e), attr: Attr::Plaintext, data } => {
                    Some((e.name.clone(), data.len(), f.evidence.line))
                }
                _ => None,
            })
            .collect();
        assert_eq!(plain.len(), 1, "{plain:?}");
        assert_eq!(plain[0].0, "hook");
        assert!(plain[0].1 >= 2);
        assert_eq!(plain[0].2, Some(18));
    }

    #[test]
    fn text_cells_are_prose() {
        let facts = extract_text(&uncompressed()).unwrap();
        let hotjar = facts.iter().find(
            |f| matches!(&f.claim, Claim::Flow { to: Target::Known(v), .. } if v.name == "Hotjar"),
        );
        assert_eq!(hotjar.map(|f| f.evidence.line), Some(Some(20)));
    }

    #[test]
    fn compressed_pages_are_inflated_and_cited_at_the_diagram() {
        let second = concat!(
            r#"<mxGraphModel><root><mxCell id="0"/>"#,
            r#"<mxCell id="a" value="Fax relay" vertex="1" parent="0"/></root></mxGraphModel>"#,
        );
        let text = format!(
            "<mxfile>\n<diagram id=\"x\" name=\"P\">\n{}\n</diagram>\n<diagram>{}</diagram>\n{}",
            compress(MODEL),
            compress(second),
            "</mxfile>",
        );
        let facts = extract_text(&text).unwrap();
        let flows = flows(&facts);
        assert!(
            flows.iter().any(|f| f.1 == "Mixpanel" && f.2 == [PhiType::Diagnosis]),
            "{flows:?}"
        );
        assert!(flows.iter().all(|f| f.3 == Some(2)), "{flows:?}");
        let ents = entities(&facts);
        assert!(ents.contains(&("Fax relay".into(), EntityKind::Unknown, Some(5))), "{ents:?}");
    }

    #[test]
    fn garbage_truncated_and_oversized_pages_are_errors() {
        let bad = [
            "<mxfile><diagram>not*base64</diagram></mxfile>".to_string(),
            format!("<mxfile><diagram>{}</diagram></mxfile>", &compress(MODEL)[..40]),
            format!("<mxfile><diagram>{}</diagram></mxfile>", base64_encode(b"\xff\xfe plain")),
            "<mxfile><diagram><mxGraphModel><root><mxCell id=\"0\"".to_string(),
            format!("<mxfile>{}", &uncompressed()[..200]),
        ];
        for text in &bad {
            let err = extract_text(text).expect_err(text);
            assert!(matches!(err, ExtractError::Malformed { .. }), "{err:?}");
        }
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_cap() {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![b'a'; 1024 * 1024];
        for _ in 0..(MAX_DECOMPRESSED / zeros.len() + 2) {
            enc.write_all(&zeros).unwrap();
        }
        let text = format!(
            "<mxfile><diagram>{}</diagram></mxfile>",
            base64_encode(&enc.finish().unwrap())
        );
        let err = extract_text(&text).expect_err("too big");
        assert!(err.to_string().contains("inflates beyond"), "{err}");
    }

    #[test]
    fn shapes_from_styles_and_cloud_icons() {
        assert_eq!(shape("shape=cylinder3;"), Shape::Store);
        assert_eq!(
            shape("shape=mxgraph.aws4.resourceicon;resicon=mxgraph.aws4.rds;"),
            Shape::Store
        );
        assert_eq!(shape("resicon=mxgraph.aws4.sqs;"), Shape::Queue);
        assert_eq!(shape("shape=umlactor;"), Shape::Person);
        assert_eq!(shape("rounded=1;"), Shape::Box);
    }

    #[test]
    fn detection_needs_an_mxfile_root() {
        assert!(is_drawio("<?xml version=\"1.0\"?>\n<!-- x -->\n<mxfile host=\"x\">"));
        assert!(is_drawio("<mxGraphModel dx=\"1\">"));
        assert!(!is_drawio("<project><dependencies/></project>"));
    }
}
