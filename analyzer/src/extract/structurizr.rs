//! Structurizr DSL workspaces (`.dsl`): the C4 model as code.
//!
//! Elements (`x = person|softwareSystem|container|component "Name" "Description" …`, at any
//! nesting) are nodes; relationships (`a -> b "Description" "Technology"`, and `-> b …` or
//! `this -> b …` inside an element's block) are edges whose description and technology carry
//! the data and the transport. An element tagged `Database` (or with a tag the workspace's
//! styles draw as a cylinder, or a database technology) is a data store; one tagged `Queue`
//! (or drawn as a pipe) a queue. Groups, and software systems and containers around the
//! elements declared inside them, are boundaries. A person described as a patient or member
//! makes the labels of its relationships speak about patients. Element descriptions are read
//! as prose. See the `diagram` module for what becomes of the diagram.
//!
//! Deployment environments, views (other than element styles), `!include`d files and
//! archetypes are not read.

use std::collections::HashMap;

use super::diagram::{Diagram, Node, Shape};
use super::Ctx;
use crate::model::Fact;
use crate::text::words;

/// Whether `text` is a Structurizr workspace: it opens a `workspace` or `model` block.
pub fn is_structurizr(text: &str) -> bool {
    text.lines().map(str::trim).any(|l| {
        let first = l.split_whitespace().next().unwrap_or("");
        matches!(first, "workspace" | "model") && l.ends_with('{')
    })
}

/// Read a workspace into entities, flows and notes.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    let mut parser = Parser::default();
    for (i, line) in ctx.text.lines().enumerate() {
        parser.line(line, i as u32 + 1);
    }
    parser.diagram(ctx).facts(ctx)
}

/// One element as declared.
#[derive(Debug, Default)]
struct Element {
    /// The identifier, hierarchical when the workspace says so; empty when none is given.
    id: String,
    keyword: String,
    name: String,
    description: String,
    technology: String,
    tags: Vec<String>,
    line: u32,
    boundary: Option<String>,
}

#[derive(Debug)]
struct Relationship {
    from: String,
    to: String,
    description: String,
    technology: String,
    line: u32,
}

/// What an open `{` block is.
#[derive(Debug, Clone)]
enum Block {
    Element(usize),
    Group(String),
    Views,
    Style(String),
    /// Read nothing inside (deployment, configuration, properties).
    Skip,
    /// Statements inside are read (workspace, model).
    Other,
}

#[derive(Default)]
struct Parser {
    elements: Vec<Element>,
    /// Identifiers (short and hierarchical) to element indexes.
    ids: HashMap<String, usize>,
    relationships: Vec<Relationship>,
    /// Tag (lowercase) to the shape the styles draw it with (lowercase).
    styles: HashMap<String, String>,
    stack: Vec<Block>,
    hierarchical: bool,
    in_comment: bool,
}

/// One token: a word or a quoted string.
#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    quoted: bool,
}

impl Parser {
    fn line(&mut self, raw: &str, n: u32) {
        let line = raw.trim();
        if self.in_comment {
            self.in_comment = !line.contains("*/");
            return;
        }
        if line.starts_with("/*") {
            self.in_comment = !line.contains("*/");
            return;
        }
        if line.starts_with("//") || line.starts_with('#') || line.is_empty() {
            return;
        }
        let mut tokens = tokenize(line);
        if tokens.first().is_some_and(|t| !t.quoted && t.text == "}") {
            self.stack.pop();
            return;
        }
        let opens = tokens.last().is_some_and(|t| !t.quoted && t.text == "{");
        if opens {
            tokens.pop();
        }
        match self.stack.last().cloned() {
            Some(Block::Skip) => self.open(opens, Block::Skip),
            Some(Block::Views) | Some(Block::Style(_)) => self.view(&tokens, opens),
            _ => self.statement(&tokens, opens, n),
        }
    }

    fn open(&mut self, opens: bool, block: Block) {
        if opens {
            self.stack.push(block);
        }
    }

    /// Inside `views`: only `element "Tag" { shape Cylinder }` styles matter.
    fn view(&mut self, tokens: &[Token], opens: bool) {
        let first = tokens.first().map_or("", |t| t.text.as_str());
        match (first, tokens.get(1), self.stack.last()) {
            ("element", Some(tag), _) if opens => {
                self.stack.push(Block::Style(tag.text.to_lowercase()));
            }
            ("shape", Some(shape), Some(Block::Style(tag))) => {
                self.styles.insert(tag.clone(), shape.text.to_lowercase());
            }
            _ => self.open(opens, Block::Views),
        }
    }

    fn statement(&mut self, tokens: &[Token], opens: bool, n: u32) {
        let Some(first) = tokens.first() else { return self.open(opens, Block::Other) };
        let keyword = first.text.to_lowercase();
        if let Some(arrow) = tokens.iter().position(is_arrow) {
            self.relationship(tokens, arrow, n);
            return self.open(opens, Block::Other);
        }
        match keyword.as_str() {
            "!identifiers" => {
                self.hierarchical = tokens.get(1).is_some_and(|t| t.text == "hierarchical");
            }
            "!extend" | "!element" => {
                let target = tokens.get(1).and_then(|t| self.ids.get(&t.text)).copied();
                self.open(opens, target.map_or(Block::Skip, Block::Element));
            }
            "views" => self.open(opens, Block::Views),
            "group" | "enterprise" => {
                let name = tokens.get(1).map(|t| t.text.clone()).unwrap_or_default();
                self.open(opens, Block::Group(name));
            }
            "description" | "technology" | "tags" | "tag" => self.property(&keyword, tokens),
            "workspace" | "model" => self.open(opens, Block::Other),
            _ if self.element(tokens, opens, n) => {}
            _ => self.open(opens, Block::Skip),
        }
    }

    /// `description`, `technology` and `tags` inside an element's block.
    fn property(&mut self, keyword: &str, tokens: &[Token]) {
        let Some(&Block::Element(i)) = self.stack.last() else { return };
        let values = tokens[1..].iter().map(|t| t.text.clone());
        let e = &mut self.elements[i];
        match keyword {
            "description" => e.description = values.collect::<Vec<_>>().join(" "),
            "technology" => e.technology = values.collect::<Vec<_>>().join(" "),
            _ => e.tags.extend(values.flat_map(|v| split_tags(&v))),
        }
    }

    /// `[id =] person|softwareSystem|container|component|element "Name" …`; false when the
    /// statement is not an element.
    fn element(&mut self, tokens: &[Token], opens: bool, n: u32) -> bool {
        let assigned = tokens.len() > 2 && tokens[1].text == "=" && !tokens[1].quoted;
        let (id, rest) =
            if assigned { (Some(&tokens[0].text), &tokens[2..]) } else { (None, tokens) };
        let Some(keyword) = rest.first().map(|t| t.text.to_lowercase()) else { return false };
        if !matches!(
            keyword.as_str(),
            "person" | "softwaresystem" | "container" | "component" | "element"
        ) {
            return false;
        }
        let args: Vec<String> = rest[1..].iter().map(|t| t.text.clone()).collect();
        let element = element_from(&keyword, &args, n, self.boundary());
        let index = self.elements.len();
        self.elements.push(element);
        if let Some(id) = id {
            self.name(id, index);
        }
        self.open(opens, Block::Element(index));
        true
    }

    /// Register an identifier; with hierarchical identifiers, also prefixed by its parent's.
    fn name(&mut self, id: &str, index: usize) {
        let parent = self.stack.iter().rev().find_map(|b| match b {
            Block::Element(p) => Some(*p),
            _ => None,
        });
        let full = match parent.map(|p| self.elements[p].id.as_str()) {
            Some(pid) if self.hierarchical && !pid.is_empty() => format!("{pid}.{id}"),
            _ => id.to_string(),
        };
        self.ids.entry(id.to_string()).or_insert(index);
        self.ids.entry(full.clone()).or_insert(index);
        self.elements[index].id = full;
    }

    /// The innermost group or enclosing element.
    fn boundary(&self) -> Option<String> {
        self.stack.iter().rev().find_map(|b| match b {
            Block::Group(name) => Some(name.clone()),
            Block::Element(i) => Some(self.elements[*i].name.clone()),
            _ => None,
        })
    }

    /// `[id =] a -> b "description" "technology"`, `-> b …`, `this -> b …`.
    fn relationship(&mut self, tokens: &[Token], arrow: usize, n: u32) {
        let current = self.stack.iter().rev().find_map(|b| match b {
            Block::Element(i) => Some(format!("#{i}")),
            _ => None,
        });
        let source = match arrow {
            0 => current,
            _ => match tokens[arrow - 1].text.as_str() {
                "this" => current,
                id => Some(id.to_string()),
            },
        };
        let (Some(from), Some(to)) = (source, tokens.get(arrow + 1)) else { return };
        let text = |i: usize| tokens.get(arrow + i).map(|t| t.text.clone()).unwrap_or_default();
        let to = if to.text == "this" { self.current_or(&to.text) } else { to.text.clone() };
        self.relationships.push(Relationship {
            from,
            to,
            description: text(2),
            technology: text(3),
            line: n,
        });
    }

    fn current_or(&self, fallback: &str) -> String {
        let current = self.stack.iter().rev().find_map(|b| match b {
            Block::Element(i) => Some(format!("#{i}")),
            _ => None,
        });
        current.unwrap_or_else(|| fallback.to_string())
    }

    /// The node key of an identifier: `#index` for declared elements, else the identifier.
    fn key(&self, id: &str) -> String {
        if id.starts_with('#') {
            return id.to_string();
        }
        let last = id.rsplit('.').next().unwrap_or(id);
        match self.ids.get(id).or_else(|| self.ids.get(last)) {
            Some(i) => format!("#{i}"),
            None => id.to_string(),
        }
    }

    fn diagram(&self, ctx: &Ctx) -> Diagram {
        let mut d = Diagram::default();
        for (i, e) in self.elements.iter().enumerate() {
            let person = e.keyword == "person";
            let about = format!("{} {}", e.name, e.description);
            let node = Node {
                label: e.name.clone(),
                shape: self.shape(e),
                boundary: e.boundary.clone(),
                line: Some(e.line),
                container: false,
                about_patient: person && ctx.catalog.scan_phi(&about).patient_context,
            };
            d.node(&format!("#{i}"), node);
            if !e.description.is_empty() {
                d.note(e.line, &format!("{}: {}", e.name, e.description));
            }
        }
        for r in &self.relationships {
            let mut label = r.description.clone();
            if !r.technology.is_empty() {
                label = format!("{label} ({})", r.technology);
            }
            d.edge(&self.key(&r.from), &self.key(&r.to), &label, Some(r.line));
        }
        d
    }

    fn shape(&self, e: &Element) -> Shape {
        let styled = |shape: &str| {
            e.tags.iter().any(|t| self.styles.get(&t.to_lowercase()).is_some_and(|s| s == shape))
        };
        let tagged = |tag: &str| e.tags.iter().any(|t| t.eq_ignore_ascii_case(tag));
        if e.keyword == "person" {
            Shape::Person
        } else if tagged("database") || styled("cylinder") || is_database(&e.technology) {
            Shape::Store
        } else if tagged("queue") || styled("pipe") {
            Shape::Queue
        } else {
            Shape::Box
        }
    }
}

/// An element from its keyword's positional arguments: `person|softwareSystem name
/// [description] [tags]`, `container|component name [description] [technology] [tags]`,
/// `element name [metadata] [description] [tags]`.
fn element_from(keyword: &str, args: &[String], line: u32, boundary: Option<String>) -> Element {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let (description, technology, tags) = match keyword {
        "container" | "component" => (arg(1), arg(2), arg(3)),
        "element" => (arg(2), arg(1), arg(3)),
        _ => (arg(1), String::new(), arg(2)),
    };
    Element {
        id: String::new(),
        keyword: keyword.to_string(),
        name: arg(0),
        description,
        technology,
        tags: split_tags(&tags),
        line,
        boundary,
    }
}

fn split_tags(tags: &str) -> Vec<String> {
    tags.split(',').map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
}

/// Technologies that are databases.
fn is_database(technology: &str) -> bool {
    const DATABASES: &[&str] = &[
        "database",
        "db",
        "postgres",
        "postgresql",
        "mysql",
        "mariadb",
        "mongodb",
        "dynamodb",
        "sqlite",
        "oracle",
        "cosmosdb",
        "firestore",
        "cassandra",
        "rds",
        "aurora",
    ];
    let w = words(technology);
    w.iter().any(|t| DATABASES.contains(&t.word.as_str()))
        || technology.to_lowercase().contains("sql server")
}

/// `->` and the DSL's named relationship styles (`--https->`).
fn is_arrow(token: &Token) -> bool {
    !token.quoted && token.text.starts_with('-') && token.text.ends_with("->")
}

/// Split a line into words and quoted strings; a `//` outside quotes ends it.
fn tokenize(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if c == '"' {
            let mut text = String::new();
            for (_, ch) in chars.by_ref() {
                if ch == '"' {
                    break;
                }
                text.push(ch);
            }
            out.push(Token { text, quoted: true });
            continue;
        }
        if line[i..].starts_with("//") {
            break;
        }
        let mut text = c.to_string();
        while let Some(&(_, ch)) = chars.peek() {
            if ch.is_whitespace() || ch == '"' {
                break;
            }
            text.push(ch);
            chars.next();
        }
        out.push(Token { text, quoted: false });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PhiType;
    use crate::extract::diagram::tests::{entities, flows, run};
    use crate::extract::Format;
    use crate::model::{Attr, Claim, EntityKind, Target};

    const WORKSPACE: &str = r#"workspace "Portal" {
    !identifiers hierarchical
    model {
        patient = person "Patient" "A member who books visits"
        group "Clinic cloud" {
            portal = softwareSystem "Patient Portal" {
                web = container "Web App" "React SPA" "TypeScript"
                api = container "Portal API" "Serves records" "Kotlin" {
                    -> db "Writes visit notes and diagnoses" "JDBC"
                    this -> mixpanel "Page events"
                }
                db = container "Visits" "Visit history" "PostgreSQL" "Storage"
            }
        }
        mixpanel = softwareSystem "Mixpanel" "Product analytics" "External"
        fax = softwareSystem "Fax relay" "" "Queue,External"
        patient -> portal.web "Enters date of birth and symptoms" "HTTPS"
        portal.api -> fax "Sends referral with MRN" "HTTP"
    }
    views {
        styles {
            element "Storage" {
                shape Cylinder
            }
        }
    }
}
"#;

    fn facts() -> Vec<Fact> {
        run("workspace.dsl", Format::Structurizr, WORKSPACE, |ctx| Ok(extract(ctx))).unwrap()
    }

    #[test]
    fn elements_nest_and_take_shapes_from_tags_and_styles() {
        let ents = entities(&facts());
        assert!(ents.contains(&("Visits".into(), EntityKind::DataStore, Some(12))), "{ents:?}");
        assert!(ents.contains(&("Fax relay".into(), EntityKind::Queue, Some(16))), "{ents:?}");
        assert!(ents.contains(&("Mixpanel".into(), EntityKind::Vendor, Some(15))), "{ents:?}");
        let facts = facts();
        let web =
            facts.iter().find(|f| matches!(&f.claim, Claim::Entity(e) if e.name == "Web App"));
        assert!(web.unwrap().evidence.excerpt.contains("inside boundary Patient Portal"));
    }

    #[test]
    fn relationships_inside_blocks_and_hierarchical_ids() {
        let facts = facts();
        let flows = flows(&facts);
        let expect = [
            ("Portal API", "Visits", vec![PhiType::Diagnosis, PhiType::ClinicalNote], 9),
            ("Portal API", "Mixpanel", vec![], 10),
            ("Patient", "Web App", vec![PhiType::Date, PhiType::Condition], 17),
            ("Portal API", "Fax relay", vec![PhiType::Mrn], 18),
        ];
        for (from, to, data, line) in expect {
            let want = (from.to_string(), to.to_string(), data, Some(line));
            assert!(flows.contains(&want), "{want:?} not in {flows:?}");
        }
        let plain = facts.iter().any(|f| {
            matches!(&f.claim,
            Claim::Attr { subject: Target::Known(e), attr: Attr::Plaintext, .. }
                if e.name == "Fax relay")
        });
        assert!(plain);
    }

    #[test]
    fn detection_needs_a_workspace_or_model_block() {
        assert!(is_structurizr("workspace {\n}"));
        assert!(!is_structurizr("SELECT 1;\n"));
    }
}
