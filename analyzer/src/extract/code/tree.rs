//! The syntax-tree walk: imports bind names to vendors, assignments carry the bindings to the
//! clients built from them, and calls on bound names become flows whose data is what their
//! arguments name.

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::time::Instant;

use tree_sitter::{Node, ParseOptions, ParseState, Parser, Tree};

use super::lang::Lang;
use super::{file_phi, is_external_host, skim, url_host, vendor_for_module};
use super::{MAX_PARSE_BYTES, PARSE_BUDGET};
use crate::extract::Ctx;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Evidence, Fact, PhiElement, Target};

/// Node kinds that are calls (or constructions) in some grammar.
const CALL_KINDS: &[&str] = &[
    "call_expression",
    "call",
    "method_invocation",
    "invocation_expression",
    "new_expression",
    "object_creation_expression",
];

/// Node kinds that bind a name to a value in some grammar.
const ASSIGN_KINDS: &[&str] = &[
    "variable_declarator",
    "assignment_expression",
    "assignment",
    "short_var_declaration",
    "assignment_statement",
    "var_spec",
    "property_declaration",
];

/// Leaf kinds that name something.
const NAME_KINDS: &[&str] = &[
    "identifier",
    "constant",
    "package_identifier",
    "shorthand_property_identifier_pattern",
    "instance_variable",
];

/// Receivers whose methods write logs.
const LOGGERS: &[&str] = &[
    "logger", "log", "logging", "console", "winston", "pino", "bunyan", "slog", "zap", "logrus",
    "sugar",
];

/// Logger methods, lowercase.
const LOG_METHODS: &[&str] = &[
    "debug",
    "info",
    "warn",
    "warning",
    "error",
    "log",
    "trace",
    "exception",
    "critical",
    "fatal",
    "print",
    "printf",
    "println",
    "debugf",
    "infof",
    "warnf",
    "errorf",
    "fatalf",
    "infow",
    "errorw",
    "loginformation",
    "logwarning",
    "logerror",
    "logdebug",
    "logtrace",
    "logcritical",
];

/// One call in the file.
struct Call {
    row: usize,
    /// The text before the arguments: `client.chat.completions.create`.
    callee: String,
    /// The argument list's text with comments blanked, if the call has one.
    args: Option<String>,
}

/// Parse `code` as `lang` and read it; `None` when the file should be skimmed instead (too
/// large, or the parse ran out of time).
pub(super) fn read(
    ctx: &Ctx,
    code: &str,
    lang: Lang,
    at: &dyn Fn(usize) -> Option<u32>,
    notebook: bool,
) -> Option<Vec<Fact>> {
    if code.len() > MAX_PARSE_BYTES {
        return None;
    }
    let tree = parse(code, lang)?;
    let mut walk = Walk::new(ctx, code, lang, &tree);
    walk.collect(tree.root_node());
    walk.bind_assignments();
    Some(walk.facts(at, notebook))
}

fn parse(code: &str, lang: Lang) -> Option<Tree> {
    let mut parser = Parser::new();
    parser.set_language(&lang.grammar()).ok()?;
    let start = Instant::now();
    let mut progress = |_: &ParseState| {
        if start.elapsed() > PARSE_BUDGET {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let bytes = code.as_bytes();
    let mut input = |i: usize, _| bytes.get(i..).unwrap_or_default();
    let options = ParseOptions::new().progress_callback(&mut progress);
    parser.parse_with_options(&mut input, None, Some(options))
}

struct Walk<'a> {
    ctx: &'a Ctx<'a>,
    code: &'a str,
    lang: Lang,
    /// The code with comments blanked out.
    bare: String,
    /// Vendors in the order the file first imports them, with the import's row.
    imports: Vec<(usize, usize)>,
    /// Names bound to a vendor's SDK or a client built from it.
    bindings: HashMap<String, usize>,
    assignments: Vec<(Vec<String>, Vec<String>)>,
    calls: Vec<Call>,
    /// Strings: row, text, and the enclosing call's argument text.
    strings: Vec<(usize, String, Option<String>)>,
}

impl<'a> Walk<'a> {
    fn new(ctx: &'a Ctx<'a>, code: &'a str, lang: Lang, tree: &Tree) -> Self {
        let mut bare = code.as_bytes().to_vec();
        let mut stack = vec![tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind().contains("comment") {
                bare[node.byte_range()].iter_mut().for_each(|b| *b = b' ');
                continue;
            }
            stack.extend(children(node));
        }
        Walk {
            ctx,
            code,
            lang,
            bare: String::from_utf8_lossy(&bare).into_owned(),
            imports: Vec::new(),
            bindings: HashMap::new(),
            assignments: Vec::new(),
            calls: Vec::new(),
            strings: Vec::new(),
        }
    }

    fn text(&self, node: Node) -> &str {
        self.bare.get(node.byte_range()).unwrap_or("")
    }

    /// Visit every node outside comments, in document order, without recursion.
    fn collect(&mut self, root: Node) {
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            let kind = node.kind();
            if kind.contains("comment") {
                continue;
            }
            self.import(node);
            if CALL_KINDS.contains(&kind) {
                self.call(node);
            } else if ASSIGN_KINDS.contains(&kind) {
                self.assignment(node);
            } else if kind.contains("string") && !node.parent().is_some_and(is_string) {
                let args = enclosing_call(node).and_then(arguments).map(|a| self.text(a).into());
                let text = self.text(node).to_string();
                self.strings.push((node.start_position().row, text, args));
            }
            let mut kids = children(node);
            kids.reverse();
            stack.extend(kids);
        }
    }

    /// Record an import of a vendor SDK and the names it binds.
    fn import(&mut self, node: Node) {
        let (module, names) = match (self.lang, node.kind()) {
            (l, "import_statement") if l.is_js() => {
                let Some(source) = node.child_by_field_name("source") else { return };
                let clause = children(node).into_iter().find(|c| c.kind() == "import_clause");
                (unquote(self.text(source)), clause.map(|c| self.names(c)).unwrap_or_default())
            }
            (Lang::Python, "import_statement") => {
                for child in children(node) {
                    let (module, alias) = match child.kind() {
                        "aliased_import" => (
                            child.child_by_field_name("name").map(|n| self.text(n)),
                            child.child_by_field_name("alias").map(|n| self.text(n)),
                        ),
                        "dotted_name" => (Some(self.text(child)), None),
                        _ => continue,
                    };
                    let Some(module) = module else { continue };
                    let name = alias.unwrap_or_else(|| module.split('.').next().unwrap_or(module));
                    self.bind_import(node, module.to_string(), vec![name.to_string()]);
                }
                return;
            }
            (Lang::Python, "import_from_statement") => {
                let Some(module) = node.child_by_field_name("module_name") else { return };
                let mut cursor = node.walk();
                let names = node
                    .children_by_field_name("name", &mut cursor)
                    .map(|n| match n.child_by_field_name("alias") {
                        Some(alias) => self.text(alias).to_string(),
                        None => self.text(n).rsplit('.').next().unwrap_or("").to_string(),
                    })
                    .collect();
                (self.text(module).to_string(), names)
            }
            (Lang::Java, "import_declaration")
            | (Lang::CSharp, "using_directive")
            | (Lang::Kotlin, "import" | "import_header") => {
                let Some((module, name)) = dotted_import(self.text(node)) else { return };
                (module, vec![name])
            }
            (Lang::Go, "import_spec") => {
                let Some(path) = node.child_by_field_name("path") else { return };
                let path = unquote(self.text(path));
                let names = match node.child_by_field_name("name") {
                    Some(n) => vec![self.text(n).to_string()],
                    None => go_package_names(&path),
                };
                (path, names)
            }
            _ => return,
        };
        self.bind_import(node, module, names);
    }

    fn bind_import(&mut self, node: Node, module: String, names: Vec<String>) {
        let Some(v) = vendor_for_module(self.ctx, &module) else { return };
        if !self.imports.iter().any(|(seen, _)| *seen == v) {
            self.imports.push((v, node.start_position().row));
        }
        for name in names.into_iter().filter(|n| !n.is_empty() && n != "*") {
            self.bindings.insert(name, v);
        }
    }

    fn call(&mut self, node: Node) {
        let args = arguments(node);
        let end = args.map(|a| a.start_byte()).unwrap_or(node.end_byte());
        let callee = self.bare.get(node.start_byte()..end).unwrap_or("").trim().to_string();

        // `require('x')` in JavaScript and Ruby is an import, not a use.
        if matches!(callee.as_str(), "require" | "require_relative") {
            let first = args.and_then(|a| children(a).into_iter().find(|c| is_string(*c)));
            if let Some(module) = first.map(|s| unquote(self.text(s))) {
                let names = declared_names(node).map(|d| self.names(d)).unwrap_or_default();
                self.bind_import(node, module, names);
            }
            return;
        }
        let args = args.map(|a| self.text(a).to_string());
        self.calls.push(Call { row: node.start_position().row, callee, args });
    }

    fn assignment(&mut self, node: Node) {
        let left = ["left", "name"].iter().find_map(|f| node.child_by_field_name(f));
        let right = ["right", "value"].iter().find_map(|f| node.child_by_field_name(f));
        let left_names = match left {
            Some(l) => self.names(l),
            None => self.names(node).into_iter().take(1).collect(),
        };
        let right_names = self.names(right.unwrap_or(node));
        self.assignments.push((left_names, right_names));
    }

    /// Carry vendor bindings through assignments (`client = OpenAI()`), twice so that a
    /// client built from a client is bound too.
    fn bind_assignments(&mut self) {
        for _ in 0..2 {
            for (left, right) in &self.assignments {
                let Some(v) = right.iter().find_map(|n| self.vendor_of(n)) else { continue };
                for name in left.iter().filter(|n| !right.contains(n)) {
                    self.bindings.insert(name.clone(), v);
                }
            }
        }
    }

    /// The vendor a name is bound to, or whose name it starts with (`SentrySdk`, Ruby's
    /// `Mixpanel::Tracker`) when the file imports that vendor.
    fn vendor_of(&self, name: &str) -> Option<usize> {
        if let Some(v) = self.bindings.get(name) {
            return Some(*v);
        }
        let lower = name.trim_start_matches(['@', '_']).to_lowercase();
        self.imports.iter().map(|(v, _)| *v).find(|v| {
            let vendor = compact(&self.ctx.catalog.vendors[*v].name);
            vendor.len() >= 3 && lower.starts_with(&vendor)
        })
    }

    /// Name leaves under `node`, in order.
    fn names(&self, node: Node) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if NAME_KINDS.contains(&n.kind()) {
                out.push(self.text(n).to_string());
                continue;
            }
            let mut kids = children(n);
            kids.reverse();
            stack.extend(kids);
        }
        out
    }

    /// The PHI a piece of code passes: what it names when that is PHI (or any PHI term in a
    /// file about patients), else the file's PHI when it passes a whole body or patient object.
    fn passed(&self, args: &str, file: &[PhiElement]) -> Vec<PhiElement> {
        let own = self.ctx.catalog.scan_phi(args);
        if own.is_phi() || (!own.mentions.is_empty() && !file.is_empty()) {
            let set: BTreeSet<PhiElement> = own
                .mentions
                .iter()
                .map(|m| PhiElement { kind: m.kind, name: m.term.clone() })
                .collect();
            return set.into_iter().collect();
        }
        if skim::patterns().body_arg.is_match(args) {
            return file.to_vec();
        }
        Vec::new()
    }

    fn facts(&self, at: &dyn Fn(usize) -> Option<u32>, notebook: bool) -> Vec<Fact> {
        let file = file_phi(self.ctx, &self.bare);
        let lines: Vec<&str> = self.code.lines().collect();
        let cite = |row: usize| -> Evidence {
            self.ctx.evidence(at(row), lines.get(row).map(|l| l.trim()).unwrap_or(""))
        };
        let mut facts = Vec::new();
        let mut flowed: BTreeSet<usize> = BTreeSet::new();

        for &(v, import_row) in &self.imports {
            flowed.insert(v);
            let on_vendor: Vec<&Call> =
                self.calls.iter().filter(|c| self.vendor_of(root(&c.callee)) == Some(v)).collect();
            let mut data: BTreeSet<PhiElement> = BTreeSet::new();
            let mut row = None;
            for call in &on_vendor {
                let passed = self.passed(call.args.as_deref().unwrap_or(""), &file);
                if !passed.is_empty() {
                    row.get_or_insert(call.row);
                    data.extend(passed);
                }
            }
            let row = row.or(on_vendor.first().map(|c| c.row)).unwrap_or(import_row);
            // A notebook's cells run by hand against data loaded in earlier cells; when no call
            // passes PHI outright, the notebook's own PHI is what its vendor client sees.
            if data.is_empty() && notebook {
                data.extend(file.iter().cloned());
            }
            facts.push(self.flow(v, data.into_iter().collect(), cite(row)));
        }

        for (row, text, args) in &self.strings {
            for m in skim::patterns().url.find_iter(text) {
                let Some(host) = url_host(m.as_str()) else { continue };
                if let Some(v) = self.ctx.catalog.vendor_by_host(host) {
                    if flowed.insert(v) {
                        let data = self.passed(args.as_deref().unwrap_or(""), &file);
                        facts.push(self.flow(v, data, cite(*row)));
                    }
                }
                if m.as_str().starts_with("http://") && is_external_host(host) && !file.is_empty() {
                    let name = host.split('.').next().unwrap_or(host);
                    let subject = Target::Known(EntityRef::new(name, EntityKind::Endpoint));
                    let claim = Claim::Attr { subject, attr: Attr::Plaintext, data: file.clone() };
                    facts.push(Fact { claim, evidence: cite(*row) });
                }
            }
        }

        for call in self.calls.iter().filter(|c| is_logger(&c.callee)) {
            let data = self.passed(call.args.as_deref().unwrap_or(""), &file);
            if data.is_empty() {
                continue;
            }
            let subject = Target::Known(self.ctx.component.clone());
            let claim = Claim::Attr { subject, attr: Attr::LogsPhi, data };
            facts.push(Fact { claim, evidence: cite(call.row) });
        }
        facts
    }

    fn flow(&self, v: usize, data: Vec<PhiElement>, evidence: Evidence) -> Fact {
        let vendor = &self.ctx.catalog.vendors[v];
        let claim = Claim::Flow {
            from: Target::Known(self.ctx.component.clone()),
            to: Target::Known(EntityRef::vendor(&vendor.id, &vendor.name)),
            data,
            full_record: false,
        };
        Fact { claim, evidence }
    }
}

fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

fn is_string(node: Node) -> bool {
    node.kind().contains("string")
}

/// A call's argument list: its `arguments` field, or a child that is one (Kotlin keeps it in
/// `value_arguments`, sometimes inside a call suffix).
fn arguments(call: Node) -> Option<Node> {
    if let Some(a) = call.child_by_field_name("arguments") {
        return Some(a);
    }
    let is_args = |n: &Node| matches!(n.kind(), "arguments" | "argument_list" | "value_arguments");
    children(call).into_iter().find_map(|c| {
        if is_args(&c) {
            Some(c)
        } else if c.kind() == "call_suffix" {
            children(c).into_iter().find(is_args)
        } else {
            None
        }
    })
}

fn enclosing_call(node: Node) -> Option<Node> {
    let mut at = node.parent();
    while let Some(n) = at {
        if CALL_KINDS.contains(&n.kind()) {
            return Some(n);
        }
        at = n.parent();
    }
    None
}

/// The declaration a `require(...)` call initializes (`const Sentry = require(...)`).
fn declared_names(call: Node) -> Option<Node> {
    let mut at = call.parent();
    while let Some(n) = at {
        match n.kind() {
            "variable_declarator" => return n.child_by_field_name("name"),
            "assignment" => return n.child_by_field_name("left"),
            k if k.contains("statement") || k == "program" => return None,
            _ => at = n.parent(),
        }
    }
    None
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches(['\'', '"', '`']).to_string()
}

/// `import io.sentry.Sentry;`, `using Sentry;`, `using Mp = Mixpanel.Client;`,
/// `import com.x.Y as Z` → the module path and the name it binds.
fn dotted_import(text: &str) -> Option<(String, String)> {
    let mut rest = text.trim().trim_end_matches(';').trim();
    for kw in ["import", "using", "global", "static"] {
        rest = rest.strip_prefix(kw).map(str::trim).unwrap_or(rest);
    }
    if let Some((alias, module)) = rest.split_once('=') {
        return Some((module.trim().to_string(), alias.trim().to_string()));
    }
    let (module, alias) = match rest.split_once(" as ") {
        Some((m, a)) => (m.trim(), Some(a.trim())),
        None => (rest, None),
    };
    let module = module.trim_end_matches(".*");
    let name = alias.unwrap_or_else(|| module.rsplit('.').next().unwrap_or(module));
    (!module.is_empty()).then(|| (module.to_string(), name.to_string()))
}

/// The names a Go import path is used by: its last segment without a `/vN` suffix, and that
/// segment without a `-go` or `go-` affix (`github.com/getsentry/sentry-go` → `sentry`).
fn go_package_names(path: &str) -> Vec<String> {
    let mut segments = path.rsplit('/');
    let mut last = segments.next().unwrap_or(path);
    if last.len() > 1 && last.starts_with('v') && last[1..].chars().all(|c| c.is_ascii_digit()) {
        last = segments.next().unwrap_or(last);
    }
    let short = last.trim_end_matches("-go").trim_start_matches("go-").replace(['-', '.'], "");
    vec![last.to_string(), short]
}

/// The first name of a callee: `client` in `this.client.chat.create`, `Sentry` in `new
/// Sentry.Scope`.
fn root(callee: &str) -> &str {
    let mut c = callee.trim();
    for prefix in ["new ", "await ", "this.", "self.", "@"] {
        c = c.strip_prefix(prefix).map(str::trim_start).unwrap_or(c);
    }
    c.split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$'))
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

/// Whether a callee is a logger method: `logger.info`, `console.log`, `log.Printf`,
/// `Rails.logger.info`, `_logger.LogInformation`, `System.out.println`.
fn is_logger(callee: &str) -> bool {
    let segments: Vec<&str> =
        callee.split(['.', ':']).map(str::trim).filter(|s| !s.is_empty()).collect();
    let [.., receiver, method] = segments.as_slice() else { return false };
    let method = method.to_lowercase();
    let receiver = receiver.trim_start_matches(['_', '@', '$']).to_lowercase();
    LOG_METHODS.contains(&method.as_str())
        && (LOGGERS.contains(&receiver.as_str())
            || receiver.ends_with("logger")
            || receiver.ends_with("log")
            || (callee.starts_with("System.") && matches!(receiver.as_str(), "out" | "err")))
}

fn compact(name: &str) -> String {
    name.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect()
}
