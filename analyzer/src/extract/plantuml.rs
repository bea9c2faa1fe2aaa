//! PlantUML diagrams (`.puml`, `.plantuml`, `.pu`, `.iuml`): component, deployment, use case
//! and sequence diagrams, and the C4-PlantUML macros.
//!
//! Declarations (`component "Label" as id`, `database`, `actor`, `participant`, `queue`,
//! `[Label]`, `:Actor:`, `(Use case)`, `Person(id, "Label")`, `ContainerDb(...)`) are nodes;
//! arrows (`a --> b : label`, `A -> B: message`, `Rel(a, b, "label", "tech")`) are edges whose
//! label carries the data. `package`, `node`, `cloud`, `frame`, `rectangle` … blocks,
//! sequence `box`es and C4 `*_Boundary`s are boundaries. Notes, legends and `'` comments are
//! read as prose. What becomes of them is described in the `diagram` module.
//!
//! Preprocessor lines (`!include`, `!define`) are skipped, not expanded: an included file is
//! its own artifact. Multi-line element labels (`component C [ … ]`) keep only their id.

use std::sync::OnceLock;

use regex::Regex;

use super::diagram::{Diagram, Node, Shape};
use super::Ctx;
use crate::model::Fact;

/// Read a PlantUML file into entities, flows and notes.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    read(ctx.text).facts(ctx)
}

struct Patterns {
    decl: Regex,
    arrow: Regex,
    c4_element: Regex,
    c4_boundary: Regex,
    c4_rel: Regex,
    note_inline: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("plantuml pattern");
        let token = r#""[^"]+"|\[[^\]]+\]|:[^:]+:|\([^)]+\)|[\p{L}\p{N}_]+"#;
        let arrow = concat!(
            r"(?:<<?|<\|)?[-.=]+(?:\[[^\]]*\])?",
            r"(?:(?:left|right|up|down|le|ri|do|l|r|u|d)[-.=]+)?[-.=]*(?:>>?|\|>|\\\\?|//?)?",
        );
        Patterns {
            decl: re(concat!(
                r"^(actor|participant|boundary|control|entity|database|collections|queue",
                r"|component|node|cloud|rectangle|package|namespace|frame|folder|storage",
                r"|artifact|usecase|interface|file|card|agent|stack|hexagon|person)\b\s*(.*)$",
            )),
            arrow: re(&format!(
                r"^(?P<a>{token})\s*(?P<arrow>{arrow})\s*(?P<b>{token}){activation}{label}$",
                activation = r"(?:\s*(?:\+\+|--|\*\*|!!))?",
                label = r"\s*(?::\s*(?P<label>.*))?",
            )),
            c4_element: re(
                r"^(Person|System|Container|Component)(Db|Queue)?(_Ext)?\s*\((.*)\)\s*(\{)?\s*$",
            ),
            c4_boundary: re(concat!(
                r"^(?:System_Boundary|Container_Boundary|Enterprise_Boundary|Boundary",
                r"|Deployment_Node(?:_L|_R)?|Node(?:_L|_R)?)\s*\((.*)\)\s*\{?\s*$",
            )),
            c4_rel: re(concat!(
                r"^(Rel|BiRel|Rel_Back|Rel_Neighbor|Rel_[A-Za-z]+|BiRel_[A-Za-z]+)",
                r"\s*\((.*)\)\s*$",
            )),
            note_inline: re(r#"^[hr]?note\b(?:[^:"]*:\s*(.+)|\s+"([^"]+)".*)$"#),
        }
    })
}

/// Reading state across lines.
#[derive(Default)]
struct State {
    d: Diagram,
    /// Open `{` blocks and sequence boxes: the boundary each opens, if it is one.
    blocks: Vec<Option<String>>,
    /// A multi-line note or legend being read: its first line, its text, what ends it.
    note: Option<(u32, String, &'static str)>,
    in_comment: bool,
}

impl State {
    fn boundary(&self) -> Option<String> {
        self.blocks.iter().rev().flatten().next().cloned()
    }
}

fn read(text: &str) -> Diagram {
    let mut st = State::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i as u32 + 1;
        let line = raw.trim();
        if comment_or_note(&mut st, line, n) || line.is_empty() {
            continue;
        }
        if line.starts_with('}') {
            st.blocks.pop();
            continue;
        }
        if line == "end box" || line == "endbox" {
            st.blocks.pop();
            continue;
        }
        if is_skipped(line) {
            if line.ends_with('{') {
                st.blocks.push(None);
            }
            continue;
        }
        read_statement(&mut st, line, n);
    }
    st.d
}

/// Comments, notes and legends; true when the line was one of them.
fn comment_or_note(st: &mut State, line: &str, n: u32) -> bool {
    if st.in_comment {
        st.in_comment = !line.contains("'/");
        return true;
    }
    if let Some(rest) = line.strip_prefix("/'") {
        st.in_comment = !rest.contains("'/");
        return true;
    }
    if let Some((start, text, end)) = st.note.as_mut() {
        let closing = line.replace(' ', "");
        if closing == *end || closing == format!("end{}", end.trim_start_matches("end")) {
            let (start, text) = (*start, std::mem::take(text));
            st.d.note(start, &text);
            st.note = None;
        } else {
            text.push(' ');
            text.push_str(line);
        }
        return true;
    }
    if let Some(comment) = line.strip_prefix('\'') {
        st.d.note(n, comment);
        return true;
    }
    let word = line.split_whitespace().next().unwrap_or("");
    if matches!(word, "note" | "hnote" | "rnote") {
        match patterns().note_inline.captures(line) {
            Some(c) => st.d.note(n, c.get(1).or(c.get(2)).map_or("", |m| m.as_str())),
            None => st.note = Some((n + 1, String::new(), "endnote")),
        }
        return true;
    }
    if word == "legend" {
        st.note = Some((n + 1, String::new(), "endlegend"));
        return true;
    }
    false
}

/// Lines that say nothing about entities or flows: layout, styling, sequence control.
fn is_skipped(line: &str) -> bool {
    let word = line.split_whitespace().next().unwrap_or("");
    line.starts_with('@')
        || line.starts_with('!')
        || line.starts_with("==")
        || line.starts_with("...")
        || line.starts_with("|||")
        || matches!(
            word,
            "skinparam"
                | "title"
                | "header"
                | "footer"
                | "caption"
                | "hide"
                | "show"
                | "scale"
                | "autonumber"
                | "activate"
                | "deactivate"
                | "destroy"
                | "create"
                | "return"
                | "alt"
                | "else"
                | "loop"
                | "opt"
                | "par"
                | "break"
                | "critical"
                | "group"
                | "end"
                | "ref"
                | "newpage"
                | "left"
                | "top"
                | "sprite"
                | "together"
                | "mainframe"
                | "AddElementTag"
                | "AddRelTag"
                | "SHOW_LEGEND"
                | "LAYOUT_WITH_LEGEND"
                | "LAYOUT_LEFT_RIGHT"
                | "LAYOUT_TOP_DOWN"
        )
}

fn read_statement(st: &mut State, line: &str, n: u32) {
    let p = patterns();
    if let Some(label) = line.strip_prefix("box") {
        let title = label.trim().split('"').nth(1).unwrap_or("").to_string();
        st.blocks.push(Some(title).filter(|t| !t.is_empty()));
    } else if let Some(c) = p.c4_boundary.captures(line) {
        let args = split_args(&c[1]);
        c4_boundary(st, &args, n);
    } else if let Some(c) = p.c4_element.captures(line) {
        c4_element(st, &c, n);
    } else if let Some(c) = p.c4_rel.captures(line) {
        c4_rel(st, &c[1], &split_args(&c[2]), n);
    } else if let Some(c) = p.decl.captures(line) {
        declaration(st, &c[1], &c[2], n);
    } else if let Some(c) = p.arrow.captures(line) {
        arrow(st, &c, n);
    } else if line.starts_with(['[', ':', '(']) {
        shorthand(st, line, n);
    } else if line.ends_with('{') {
        st.blocks.push(None);
    }
}

/// `component "Label" as id <<stereo>> #color {`, `actor Bob as "Robert"`, `database DB`.
fn declaration(st: &mut State, keyword: &str, rest: &str, n: u32) {
    let opens = rest.trim_end().ends_with('{');
    let Some((id, label)) = parse_decl(rest.trim_end().trim_end_matches('{')) else {
        if opens {
            st.blocks.push(None);
        }
        return;
    };
    let shape = match keyword {
        "database" | "storage" => Shape::Store,
        "queue" => Shape::Queue,
        "actor" | "person" => Shape::Person,
        _ => Shape::Box,
    };
    let container = opens && !matches!(keyword, "actor" | "participant");
    let node = Node {
        label: label.clone(),
        shape,
        boundary: st.boundary(),
        line: Some(n),
        container,
        ..Node::default()
    };
    st.d.node(&id, node);
    if opens {
        st.blocks.push(Some(label));
    }
}

/// `[Label] as id`, `:Actor: as a`, `(Use case) as uc` on a line of their own.
fn shorthand(st: &mut State, line: &str, n: u32) {
    let Some((id, label)) = parse_decl(line) else { return };
    let shape = if line.starts_with(':') { Shape::Person } else { Shape::Box };
    let node = Node { label, shape, boundary: st.boundary(), line: Some(n), ..Node::default() };
    st.d.node(&id, node);
}

/// The id and label a declaration names: `"Label" as id`, `Label as id`, `id as "Label"`,
/// `[Label] as id`, `"Label"`, `id`. A quoted or bracketed name is the label; of two bare
/// names, the first is the label and the one after `as` the id.
fn parse_decl(rest: &str) -> Option<(String, String)> {
    let (first, after) = token(rest.trim())?;
    let after = after.trim_start();
    let second = after.strip_prefix("as").filter(|r| r.starts_with(char::is_whitespace));
    match second.and_then(|r| token(r.trim_start())) {
        Some((second, _)) if is_delimited(second) && !is_delimited(first) => {
            Some((unwrap(first), unwrap(second)))
        }
        Some((second, _)) => Some((unwrap(second), unwrap(first))),
        None => Some((unwrap(first), unwrap(first))),
    }
}

/// The first token of `text`: a quoted string, `[…]`, `:…:`, `(…)`, or a bare word.
fn token(text: &str) -> Option<(&str, &str)> {
    let close = match text.chars().next()? {
        '"' => Some('"'),
        '[' => Some(']'),
        ':' => Some(':'),
        '(' => Some(')'),
        _ => None,
    };
    let end = match close {
        Some(c) => text[1..].find(c).map(|i| i + 2)?,
        None => text.find(|c: char| c.is_whitespace() || c == '{').unwrap_or(text.len()),
    };
    (end > 0).then(|| text.split_at(end))
}

fn is_delimited(token: &str) -> bool {
    token.starts_with(['"', '[', ':', '('])
}

/// A token without its delimiters; `\n` in a label is a line break.
fn unwrap(token: &str) -> String {
    let t =
        if is_delimited(token) && token.len() >= 2 { &token[1..token.len() - 1] } else { token };
    t.replace("\\n", "\n").trim().to_string()
}

/// `a --> b : label`, `A -> B: message`, `[A] <-- [B]`.
fn arrow(st: &mut State, c: &regex::Captures, n: u32) {
    let arrow = &c["arrow"];
    if arrow.contains("hidden") {
        return;
    }
    let (a, b) = (endpoint(st, &c["a"], n), endpoint(st, &c["b"], n));
    let reversed = arrow.starts_with('<') && !arrow.ends_with('>');
    let label = c.name("label").map_or("", |l| l.as_str()).replace("\\n", " ");
    let (from, to) = if reversed { (b, a) } else { (a, b) };
    st.d.edge(&from, &to, &label, Some(n));
}

/// The node id an arrow end names; `[Component]`, `:Actor:` and `(Use case)` declare it.
fn endpoint(st: &mut State, token: &str, n: u32) -> String {
    let id = unwrap(token);
    let shape = if token.starts_with(':') { Shape::Person } else { Shape::Box };
    if is_delimited(token) {
        let node = Node {
            label: id.clone(),
            shape,
            boundary: st.boundary(),
            line: Some(n),
            ..Node::default()
        };
        st.d.node(&id, node);
    }
    id
}

// ---------------------------------------------------------------------------------------------
// C4-PlantUML
// ---------------------------------------------------------------------------------------------

/// `Container(alias, "Label", "Technology", "Description")`, `SystemDb_Ext(...)`, …
fn c4_element(st: &mut State, c: &regex::Captures, n: u32) {
    let args = split_args(&c[4]);
    let (Some(id), Some(label)) = (args.first(), args.get(1)) else { return };
    let shape = match (c.get(2).map(|m| m.as_str()), &c[1]) {
        (Some("Db"), _) => Shape::Store,
        (Some("Queue"), _) => Shape::Queue,
        (_, "Person") => Shape::Person,
        _ => Shape::Box,
    };
    let node = Node {
        label: label.clone(),
        shape,
        boundary: st.boundary(),
        line: Some(n),
        ..Node::default()
    };
    st.d.node(id, node);
    if c.get(5).is_some() {
        st.blocks.push(Some(label.clone()));
    }
}

/// `System_Boundary(alias, "Label") {`: a boundary, and a node should an edge name it.
fn c4_boundary(st: &mut State, args: &[String], n: u32) {
    let id = args.first().cloned().unwrap_or_default();
    let label = args.get(1).cloned().unwrap_or_else(|| id.clone());
    let node = Node {
        label: label.clone(),
        boundary: st.boundary(),
        line: Some(n),
        container: true,
        ..Node::default()
    };
    if !id.is_empty() {
        st.d.node(&id, node);
    }
    st.blocks.push(Some(label));
}

/// `Rel(from, to, "label", "technology")`; `Rel_Back` runs the other way.
fn c4_rel(st: &mut State, macro_name: &str, args: &[String], n: u32) {
    let (Some(a), Some(b)) = (args.first(), args.get(1)) else { return };
    let mut label = args.get(2).cloned().unwrap_or_default();
    if let Some(tech) = args.get(3).filter(|t| !t.is_empty()) {
        label = format!("{label} ({tech})");
    }
    let (from, to) = if macro_name == "Rel_Back" { (b, a) } else { (a, b) };
    st.d.edge(from, to, &label, Some(n));
}

/// Positional macro arguments, unquoted; named ones (`$tags="x"`) are dropped.
fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in args.chars() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    out.push(current);
    out.into_iter().map(|a| a.trim().replace("\\n", "\n")).filter(|a| !a.starts_with('$')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PhiType;
    use crate::extract::diagram::tests::{entities, flows, run};
    use crate::extract::Format;
    use crate::model::{Attr, Claim, EntityKind, Target};

    fn facts(text: &str) -> Vec<Fact> {
        run("d.puml", Format::PlantUml, text, |ctx| Ok(extract(ctx))).unwrap()
    }

    #[test]
    fn sequence_messages_are_flows_between_aliased_participants() {
        let text = r#"@startuml
actor "Patient" as P
participant API as "Portal API"
database "Chart DB" as DB
' the portal keeps charts
P -> API: submits full name and date of birth
API -> DB : store lab results
API --> P
API -> Mixpanel: page views
@enduml
"#;
        let facts = facts(text);
        let ents = entities(&facts);
        assert!(ents.contains(&("Chart DB".into(), EntityKind::DataStore, Some(4))), "{ents:?}");
        let flows = flows(&facts);
        assert_eq!(
            flows[0],
            ("Patient".into(), "Portal API".into(), vec![PhiType::Name, PhiType::Date], Some(6))
        );
        assert_eq!(
            flows[1],
            ("Portal API".into(), "Chart DB".into(), vec![PhiType::LabResult], Some(7))
        );
        assert_eq!(flows[2].1, "Patient");
        assert_eq!((flows[3].1.as_str(), flows[3].2.is_empty()), ("Mixpanel", true));
    }

    #[test]
    fn component_diagrams_with_boundaries_and_shorthand() {
        let text = r#"@startuml
package "Clinic network" {
  [Intake API] as intake
  database "Referral store" as store <<postgres>> #LightBlue
  queue "Fax jobs" as q
}
cloud "Partner" {
  component "Fax relay" as relay
}
intake --> store : referral with MRN
intake -down-> q
q ..> relay : HTTP port 80, referral PDF with MRN
store <-- [Report job] : reads diagnoses for patients
intake -[hidden]-> relay
@enduml
"#;
        let facts = facts(text);
        let ents = entities(&facts);
        assert!(ents.contains(&("Fax jobs".into(), EntityKind::Queue, Some(5))), "{ents:?}");
        assert!(ents.contains(&("Intake API".into(), EntityKind::Unknown, Some(3))), "{ents:?}");
        assert!(!ents.iter().any(|e| e.0 == "Clinic network"));
        let store = facts
            .iter()
            .find(|f| matches!(&f.claim, Claim::Entity(e) if e.name == "Referral store"));
        assert!(store.unwrap().evidence.excerpt.contains("inside boundary Clinic network"));
        let flows = flows(&facts);
        assert_eq!(flows.len(), 4, "{flows:?}");
        let first = (flows[0].0.as_str(), flows[0].1.as_str(), flows[0].3);
        assert_eq!(first, ("Intake API", "Referral store", Some(10)));
        assert_eq!((flows[3].0.as_str(), flows[3].1.as_str()), ("Report job", "Referral store"));
        let plain = facts.iter().any(|f| {
            matches!(&f.claim,
            Claim::Attr { subject: Target::Known(e), attr: Attr::Plaintext, data }
                if e.name == "Fax relay" && !data.is_empty())
        });
        assert!(plain, "{facts:#?}");
    }

    #[test]
    fn c4_macros_and_notes() {
        let text = r#"@startuml
!include <C4/C4_Container>
Person(pt, "Patient", "Books visits")
System_Boundary(c1, "Portal") {
  Container(web, "Web app", "React")
  ContainerDb(db, "Visits DB", "PostgreSQL")
}
Rel(pt, web, "Enters symptoms and insurance member ID", "HTTPS")
Rel_Back(db, web, "Writes visits")
note right of web
  Session replay by FullStory records
  the symptoms pages.
end note
@enduml
"#;
        let facts = facts(text);
        let ents = entities(&facts);
        assert!(ents.contains(&("Visits DB".into(), EntityKind::DataStore, Some(6))), "{ents:?}");
        let flows = flows(&facts);
        assert_eq!(flows[0].0, "Patient");
        assert!(flows[0].2.contains(&PhiType::HealthPlanId), "{flows:?}");
        assert_eq!((flows[1].0.as_str(), flows[1].1.as_str()), ("Web app", "Visits DB"));
        let replay = facts.iter().find(|f| {
            matches!(&f.claim, Claim::Flow { to: Target::Known(v), data, .. }
                if v.name == "FullStory" && !data.is_empty())
        });
        assert_eq!(replay.map(|f| f.evidence.line), Some(Some(11)), "{facts:#?}");
    }
}
