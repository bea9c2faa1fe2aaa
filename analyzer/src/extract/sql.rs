//! SQL DDL and grants: roles, tables and what they hold, and grants that give a role a whole
//! schema or database.
//!
//! A small tokenizer (quotes, quoted identifiers, dollar quoting and both comment styles)
//! splits the file into statements; each statement is matched on its leading keywords. This is
//! not a SQL parser and reads only the statements below; the rest are skipped.
//!
//! - `CREATE ROLE|USER|GROUP r` declares a principal.
//! - `CREATE TABLE [schema.]t (…)` declares a data store that holds the PHI its name and
//!   column names name (`dob`, `first_name`, `mrn`, `diagnosis_code`).
//! - `GRANT … ON ALL TABLES IN SCHEMA s`, `GRANT … ON DATABASE d` (beyond `CONNECT`/`TEMP`),
//!   MySQL's `ON db.*`, and `ALTER DEFAULT PRIVILEGES … GRANT … ON TABLES` give the grantee
//!   broad access. The PHI of that scope comes from the schema's name (`clinical`, `ehr`,
//!   `phi`, …), the tables this file creates in it, and the comment just above the grant
//!   (`-- Tables: patients, visit_notes, lab_results`). Grants on named tables are scoped and
//!   are not broad.
//!
//! Audit settings (`CREATE EXTENSION pgaudit`, `pgaudit.log`) are not read yet: the model has
//! no attribute for an audit trail that is present, only for one that is missing.

use std::collections::{BTreeSet, HashMap};

use super::yaml::{prose_facts, scan_elements, Facts, FieldPhi, Note};
use super::Ctx;
use crate::catalog::PhiType;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement};
use crate::text::words;

/// Schema names that say the schema holds clinical records.
const PHI_SCHEMAS: &[&str] = &[
    "clinical", "ehr", "emr", "phi", "patient", "patients", "health", "medical", "chart", "charts",
];

/// Database privileges that give no access to data.
const HARMLESS_DB_PRIVILEGES: &[&str] = &["CONNECT", "TEMP", "TEMPORARY", "CREATE"];

/// How far above a grant (in lines) a comment is read for the tables it lists.
const COMMENT_WINDOW: u32 = 10;

/// Read one SQL file.
pub fn extract(ctx: &Ctx) -> Vec<Fact> {
    let (tokens, notes) = tokenize(ctx.text);
    let mut reader = Reader {
        ctx,
        lines: ctx.text.lines().collect(),
        notes: &notes,
        schema_phi: HashMap::new(),
        all_tables: BTreeSet::new(),
    };
    let mut out = Facts::default();
    let statements: Vec<&[Token]> =
        tokens.split(|t| t.tok == Tok::Punct(';')).filter(|s| !s.is_empty()).collect();
    // Tables first: a grant may come before the tables it covers.
    for s in &statements {
        reader.create_table(s, &mut out);
    }
    for s in &statements {
        reader.statement(s, &mut out);
    }
    out.extend(prose_facts(ctx, &notes));
    out.finish()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A keyword or identifier (quoted identifiers unquoted).
    Word(String),
    /// A string literal.
    Str(String),
    Punct(char),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: u32,
}

impl Token {
    fn is(&self, keyword: &str) -> bool {
        matches!(&self.tok, Tok::Word(w) if w.eq_ignore_ascii_case(keyword))
    }

    /// The token as a name (identifier or string, as MySQL writes users).
    fn name(&self) -> Option<&str> {
        match &self.tok {
            Tok::Word(w) | Tok::Str(w) => Some(w),
            Tok::Punct(_) => None,
        }
    }
}

struct Reader<'a, 'c> {
    ctx: &'a Ctx<'c>,
    lines: Vec<&'a str>,
    notes: &'a [Note],
    /// Schema → PHI of the tables this file creates in it.
    schema_phi: HashMap<String, BTreeSet<PhiElement>>,
    all_tables: BTreeSet<PhiElement>,
}

impl Reader<'_, '_> {
    fn statement(&self, s: &[Token], out: &mut Facts) {
        let kw = |i: usize, k: &str| s.get(i).is_some_and(|t| t.is(k));
        if kw(0, "CREATE") {
            let mut i = 1;
            while s.get(i).is_some_and(|t| t.is("OR") || t.is("REPLACE")) {
                i += 1;
            }
            if kw(i, "ROLE") || kw(i, "USER") || kw(i, "GROUP") {
                self.create_role(s, i + 1, out);
            }
        } else if kw(0, "GRANT") {
            self.grant(s, 1, out);
        } else if kw(0, "ALTER") && kw(1, "DEFAULT") && kw(2, "PRIVILEGES") {
            self.default_privileges(s, out);
        }
    }

    /// The statement's text as written, for evidence.
    fn excerpt(&self, s: &[Token]) -> String {
        let (first, last) = (s[0].line, s[s.len() - 1].line);
        let lines = self.lines.get(first as usize - 1..last as usize).unwrap_or_default();
        lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ")
    }

    fn create_role(&self, s: &[Token], mut i: usize, out: &mut Facts) {
        if s.get(i).is_some_and(|t| t.is("IF")) {
            i += 3;
        }
        let Some(name) = s.get(i).and_then(Token::name) else { return };
        let principal = EntityRef::new(name, EntityKind::Principal);
        out.push(Claim::Entity(principal), self.ctx.evidence(Some(s[i].line), &self.excerpt(s)));
    }

    /// `CREATE [TEMP|UNLOGGED…] TABLE [IF NOT EXISTS] [schema.]t (columns…)`.
    fn create_table(&mut self, s: &[Token], out: &mut Facts) {
        if !s.first().is_some_and(|t| t.is("CREATE")) {
            return;
        }
        let Some(at) = s.iter().take(6).position(|t| t.is("TABLE")) else { return };
        let mut i = at + 1;
        if s.get(i).is_some_and(|t| t.is("IF")) {
            i += 3;
        }
        let Some((parts, next)) = qualified(s, i) else { return };
        let name = parts.join(".");
        let schema = (parts.len() > 1).then(|| parts[parts.len() - 2].to_lowercase());
        let table = EntityRef::new(&name, EntityKind::DataStore);
        let line = Some(s[i].line);
        out.push(
            Claim::Entity(table.clone()),
            self.ctx.evidence(line, &self.excerpt(&s[..next.min(s.len())])),
        );

        let mut phi = FieldPhi::default();
        let table_name = parts.last().map(String::as_str).unwrap_or("");
        phi.add(&self.ctx.catalog.scan_phi(table_name));
        phi.about_person(schema.as_deref().is_some_and(|sc| PHI_SCHEMAS.contains(&sc)));
        for column in columns(&s[next..]) {
            phi.add(&self.ctx.catalog.scan_phi(column));
        }
        let data = phi.data();
        if data.is_empty() {
            return;
        }
        self.all_tables.extend(data.iter().cloned());
        if let Some(sc) = schema {
            self.schema_phi.entry(sc).or_default().extend(data.iter().cloned());
        }
        let excerpt = format!("CREATE TABLE {name} (…)");
        out.attr(&table, Attr::HoldsPhi, data, self.ctx.evidence(line, &excerpt));
    }

    /// `GRANT privileges ON target TO grantees`, from token `i` (after `GRANT`).
    fn grant(&self, s: &[Token], i: usize, out: &mut Facts) {
        let Some(on) = s.iter().skip(i).position(|t| t.is("ON")).map(|p| p + i) else {
            return; // GRANT role TO user: membership, not object access.
        };
        let Some(to) = s.iter().skip(on).position(|t| t.is("TO")).map(|p| p + on) else { return };
        let privileges: Vec<String> =
            s[i..on].iter().filter_map(|t| t.name()).map(str::to_uppercase).collect();
        let scopes = self.grant_scopes(&s[on + 1..to], &privileges);
        if scopes.is_empty() {
            return;
        }
        self.broad(s, &grantees(&s[to + 1..]), &scopes, out);
    }

    /// What a grant's target covers, when it is broad: `schema s`, `database d`, `db.*`.
    fn grant_scopes(&self, target: &[Token], privileges: &[String]) -> Vec<Scope> {
        let kw = |i: usize, k: &str| target.get(i).is_some_and(|t| t.is(k));
        if kw(0, "ALL") && kw(1, "TABLES") && kw(2, "IN") && kw(3, "SCHEMA") {
            return names(&target[4..]).into_iter().map(Scope::Schema).collect();
        }
        if kw(0, "DATABASE") {
            let data_access = privileges
                .iter()
                .any(|p| p != "PRIVILEGES" && !HARMLESS_DB_PRIVILEGES.contains(&p.as_str()));
            if !data_access {
                return Vec::new();
            }
            return names(&target[1..]).into_iter().map(Scope::Database).collect();
        }
        // MySQL: `db.*` or `*.*`.
        let star = target.last().is_some_and(|t| t.tok == Tok::Punct('*'));
        if star && target.len() >= 3 && target[target.len() - 2].tok == Tok::Punct('.') {
            let db = target[0].name().unwrap_or("*").to_string();
            return vec![Scope::Database(format!("{db}.*"))];
        }
        Vec::new()
    }

    /// `ALTER DEFAULT PRIVILEGES [FOR ROLE r] [IN SCHEMA s, …] GRANT … ON TABLES TO grantees`.
    fn default_privileges(&self, s: &[Token], out: &mut Facts) {
        let Some(grant) = s.iter().position(|t| t.is("GRANT")) else { return };
        let Some(on) = s.iter().skip(grant).position(|t| t.is("ON")).map(|p| p + grant) else {
            return;
        };
        if !s.get(on + 1).is_some_and(|t| t.is("TABLES")) {
            return;
        }
        let Some(to) = s.iter().skip(on).position(|t| t.is("TO")).map(|p| p + on) else { return };
        let in_schema = s[..grant].windows(2).position(|w| w[0].is("IN") && w[1].is("SCHEMA"));
        let scopes = match in_schema {
            Some(p) => names(&s[p + 2..grant]).into_iter().map(Scope::Schema).collect(),
            None => vec![Scope::Database("all schemas".to_string())],
        };
        self.broad(s, &grantees(&s[to + 1..]), &scopes, out);
    }

    fn broad(&self, s: &[Token], grantees: &[String], scopes: &[Scope], out: &mut Facts) {
        let line = s[0].line;
        let excerpt = self.excerpt(s);
        for scope in scopes {
            let data = self.scope_phi(scope, line);
            for grantee in grantees {
                let principal = EntityRef::new(grantee, EntityKind::Principal);
                let attr = Attr::BroadAccess(scope.label());
                out.attr(&principal, attr, data.clone(), self.ctx.evidence(Some(line), &excerpt));
            }
        }
    }

    /// The PHI a scope holds, as far as this file tells: the schema's name, the tables it
    /// creates there, and the comment just above the grant.
    fn scope_phi(&self, scope: &Scope, line: u32) -> Vec<PhiElement> {
        let mut out: BTreeSet<PhiElement> = BTreeSet::new();
        match scope {
            Scope::Schema(name) => {
                let lower = name.to_lowercase();
                if PHI_SCHEMAS.contains(&lower.as_str()) {
                    out.insert(PhiElement {
                        kind: PhiType::ClinicalNote,
                        name: format!("{name} schema"),
                    });
                }
                out.extend(self.schema_phi.get(&lower).into_iter().flatten().cloned());
            }
            Scope::Database(_) => out.extend(self.all_tables.iter().cloned()),
        }
        let comment = self.comment_above(scope, line);
        out.extend(scan_elements(&self.ctx.catalog.scan_phi(&comment)));
        out.into_iter().collect()
    }

    /// The comment paragraph just above line `line` (within a few lines), and any other
    /// comment in that window that names the schema.
    fn comment_above(&self, scope: &Scope, line: u32) -> String {
        // Notes are in line order: take the slice of the window without scanning them all.
        let from = self.notes.partition_point(|n| n.line + COMMENT_WINDOW < line);
        let to = self.notes.partition_point(|n| n.line < line);
        let window: Vec<&Note> = self.notes[from..to.max(from)].iter().collect();
        let Some(last) = window.last() else { return String::new() };
        let mut nearest_start = last.line;
        for n in window.iter().rev() {
            if n.line + 1 < nearest_start {
                break;
            }
            nearest_start = n.line;
        }
        let schema = match scope {
            Scope::Schema(s) => Some(s.to_lowercase()),
            Scope::Database(_) => None,
        };
        window
            .iter()
            .filter(|n| {
                n.line >= nearest_start
                    || schema.as_ref().is_some_and(|s| words(&n.text).iter().any(|t| t.word == *s))
            })
            .map(|n| n.text.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a broad grant covers.
enum Scope {
    Schema(String),
    Database(String),
}

impl Scope {
    fn label(&self) -> String {
        match self {
            Scope::Schema(s) => format!("schema {s}"),
            Scope::Database(d) => format!("database {d}"),
        }
    }
}

/// A dotted name from token `i`: the parts and the index after it.
fn qualified(s: &[Token], mut i: usize) -> Option<(Vec<String>, usize)> {
    let mut parts = vec![s.get(i)?.name()?.to_string()];
    i += 1;
    while s.get(i).is_some_and(|t| t.tok == Tok::Punct('.')) {
        let Some(next) = s.get(i + 1).and_then(Token::name) else { break };
        parts.push(next.to_string());
        i += 2;
    }
    Some((parts, i))
}

/// Comma-separated names (`billing, scheduling, reporting`).
fn names(tokens: &[Token]) -> Vec<String> {
    tokens.iter().filter_map(Token::name).map(str::to_string).collect()
}

/// The grantees of a grant: names up to `WITH` or `GRANTED`; a MySQL host (`@'%'`) is dropped.
fn grantees(tokens: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for t in tokens {
        if t.is("WITH") || t.is("GRANTED") {
            break;
        }
        if skip_next {
            skip_next = false;
            continue;
        }
        match &t.tok {
            Tok::Punct('@') => skip_next = true,
            Tok::Word(w) | Tok::Str(w) if !t.is("GROUP") && !t.is("ROLE") => out.push(w.clone()),
            _ => {}
        }
    }
    out
}

/// Column names of a table body `( … )`: the first name of each top-level element that is not
/// a constraint.
fn columns(tokens: &[Token]) -> Vec<&str> {
    const CONSTRAINTS: &[&str] = &[
        "CONSTRAINT",
        "PRIMARY",
        "FOREIGN",
        "UNIQUE",
        "CHECK",
        "EXCLUDE",
        "LIKE",
        "INDEX",
        "KEY",
        "PERIOD",
    ];
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut expect_name = false;
    for t in tokens {
        match t.tok {
            Tok::Punct('(') => {
                depth += 1;
                expect_name = depth == 1;
                continue;
            }
            Tok::Punct(')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
                continue;
            }
            Tok::Punct(',') if depth == 1 => {
                expect_name = true;
                continue;
            }
            _ => {}
        }
        if expect_name && depth == 1 {
            expect_name = false;
            if let Tok::Word(w) = &t.tok {
                if !CONSTRAINTS.iter().any(|c| w.eq_ignore_ascii_case(c)) {
                    out.push(w.as_str());
                }
            }
        }
    }
    out
}

/// Split SQL into tokens and comments. Strings, quoted identifiers, dollar-quoted bodies and
/// comments never leak into each other.
fn tokenize(text: &str) -> (Vec<Token>, Vec<Note>) {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut notes = Vec::new();
    let mut line = 1u32;
    let mut code_on_line = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            line += 1;
            code_on_line = false;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            let end = chars[i..].iter().position(|&ch| ch == '\n').map_or(chars.len(), |p| i + p);
            let text: String = chars[i + 2..end].iter().collect();
            push_note(&mut notes, line, &text, !code_on_line);
            i = end;
        } else if c == '/' && next == Some('*') {
            let start_line = line;
            let mut j = i + 2;
            let mut body = String::new();
            while j < chars.len() && !(chars[j] == '*' && chars.get(j + 1) == Some(&'/')) {
                body.push(chars[j]);
                j += 1;
            }
            for (k, part) in body.split('\n').enumerate() {
                let part = part.trim().trim_start_matches('*');
                push_note(&mut notes, start_line + k as u32, part, k > 0 || !code_on_line);
            }
            line += body.matches('\n').count() as u32;
            i = (j + 2).min(chars.len());
        } else if c == '\'' || c == '"' || c == '`' {
            let (value, end, lines) = quoted(&chars, i, c);
            let tok = if c == '\'' { Tok::Str(value) } else { Tok::Word(value) };
            tokens.push(Token { tok, line });
            line += lines;
            code_on_line = true;
            i = end;
        } else if c == '$' && dollar_tag(&chars, i).is_some() {
            let tag = dollar_tag(&chars, i).unwrap_or_default();
            let body_start = i + tag.len();
            let close = find_seq(&chars, body_start, &tag).unwrap_or(chars.len());
            let body: String = chars[body_start..close].iter().collect();
            tokens.push(Token { tok: Tok::Str(body.clone()), line });
            line += body.matches('\n').count() as u32;
            code_on_line = true;
            i = (close + tag.len()).min(chars.len());
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '$')) {
                i += 1;
            }
            tokens.push(Token { tok: Tok::Word(chars[start..i].iter().collect()), line });
            code_on_line = true;
        } else {
            tokens.push(Token { tok: Tok::Punct(c), line });
            code_on_line = true;
            i += 1;
        }
    }
    (tokens, notes)
}

fn push_note(notes: &mut Vec<Note>, line: u32, text: &str, own_line: bool) {
    let text = text.trim().trim_start_matches('-').trim();
    if !text.is_empty() {
        notes.push(Note { line, text: text.to_string(), own_line });
    }
}

/// A quoted string or identifier from `start` (the opening quote): its value, the index after
/// the closing quote, and how many newlines it spans. A doubled quote is an escaped quote.
fn quoted(chars: &[char], start: usize, q: char) -> (String, usize, u32) {
    let mut value = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == q {
            if chars.get(i + 1) == Some(&q) {
                value.push(q);
                i += 2;
                continue;
            }
            return (value.clone(), i + 1, value.matches('\n').count() as u32);
        }
        value.push(chars[i]);
        i += 1;
    }
    let lines = value.matches('\n').count() as u32;
    (value, chars.len(), lines)
}

/// The `$tag$` opening dollar quoting at `i`, if any.
fn dollar_tag(chars: &[char], i: usize) -> Option<Vec<char>> {
    let mut j = i + 1;
    while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
        j += 1;
    }
    let tag_ok =
        chars.get(j) == Some(&'$') && !chars.get(i + 1).is_some_and(|c| c.is_ascii_digit());
    tag_ok.then(|| chars[i..=j].to_vec())
}

fn find_seq(chars: &[char], from: usize, seq: &[char]) -> Option<usize> {
    (from..chars.len().saturating_sub(seq.len() - 1)).find(|&k| chars[k..].starts_with(seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::tests::{attrs, entities};
    use crate::extract::Format;
    use phiflow_pipeline::{ArtifactEvent, Source};

    fn run(text: &str) -> Vec<Fact> {
        let catalog = crate::catalog::Catalog::builtin();
        let artifact =
            ArtifactEvent::new(Source::Files, "db/roles.sql", "default", text.to_string());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text,
            format: Format::Sql,
            component: EntityRef::new("repo", EntityKind::Service),
        };
        extract(&ctx)
    }

    const ROLES: &str = "\
-- worker_rw: shared role for all background workers (sync, etl).
CREATE ROLE worker_rw LOGIN;
GRANT CONNECT ON DATABASE care TO worker_rw;

-- clinical: everything, now and later.
-- Tables: patients, visit_notes, lab_results; 'quoted; text' here
GRANT SELECT ON ALL TABLES IN SCHEMA clinical TO worker_rw;
ALTER DEFAULT PRIVILEGES IN SCHEMA clinical GRANT SELECT ON TABLES TO worker_rw;

-- billing and scheduling
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA billing, scheduling TO worker_rw;
GRANT SELECT ON clinical.encounters TO report_ro;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA billing TO worker_rw;
";

    #[test]
    fn broad_grants_carry_the_phi_of_their_schema() {
        let facts = run(ROLES);
        assert_eq!(entities(&facts, EntityKind::Principal), ["worker_rw"]);
        let clinical = Attr::BroadAccess("schema clinical".into());
        let got = attrs(&facts, "worker_rw", &clinical);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), [Some(7), Some(8)]);
        for (_, types) in &got {
            for t in [PhiType::ClinicalNote, PhiType::LabResult] {
                assert!(types.contains(&t), "{t:?} missing: {types:?}");
            }
        }
        let billing = attrs(&facts, "worker_rw", &Attr::BroadAccess("schema billing".into()));
        assert_eq!(billing, [(Some(11), vec![])]);
        assert_eq!(
            attrs(&facts, "worker_rw", &Attr::BroadAccess("schema scheduling".into())).len(),
            1
        );
        assert!(!facts.iter().any(|f| matches!(&f.claim,
            Claim::Attr { subject: crate::model::Target::Known(e), .. } if e.name == "report_ro")));
        assert!(!facts.iter().any(|f| matches!(&f.claim,
            Claim::Attr { attr: Attr::BroadAccess(s), .. } if s.contains("care"))));
    }

    #[test]
    fn comments_are_prose() {
        let facts = run(ROLES);
        let shared = facts
            .iter()
            .find(|f| matches!(&f.claim, Claim::Attr { attr: Attr::UsesCredential(_), .. }));
        assert_eq!(shared.map(|f| f.evidence.line), Some(Some(1)), "{facts:#?}");
    }

    #[test]
    fn tables_hold_the_phi_their_columns_name() {
        let text = r#"CREATE TABLE IF NOT EXISTS ehr."Patients" (
  id uuid PRIMARY KEY,
  first_name text,
  dob date,
  CONSTRAINT pk CHECK (dob > '1900-01-01')
);
CREATE TABLE ref.drugs (code text, medication text);
GRANT ALL PRIVILEGES ON DATABASE care TO admin;
GRANT SELECT ON *.* TO 'etl'@'%';
"#;
        let facts = run(text);
        assert_eq!(entities(&facts, EntityKind::DataStore), ["ehr.Patients", "ref.drugs"]);
        let held = attrs(&facts, "ehr.Patients", &Attr::HoldsPhi);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].0, Some(1));
        assert!(held[0].1.contains(&PhiType::Date) && held[0].1.contains(&PhiType::Name));
        assert!(attrs(&facts, "ref.drugs", &Attr::HoldsPhi).is_empty(), "a drug list is not PHI");
        let db = attrs(&facts, "admin", &Attr::BroadAccess("database care".into()));
        assert_eq!(db.len(), 1);
        assert!(db[0].1.contains(&PhiType::Date));
        assert_eq!(attrs(&facts, "etl", &Attr::BroadAccess("database *.*".into())).len(), 1);
    }

    #[test]
    fn tokenizer_keeps_strings_comments_and_dollar_bodies_apart() {
        let (tokens, notes) = tokenize("SELECT 'a;--b' /* c;\n d */ FROM $fn$ x; y $fn$; -- e\n");
        let semis = tokens.iter().filter(|t| t.tok == Tok::Punct(';')).count();
        assert_eq!(semis, 1);
        let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["c;", "d", "e"]);
        assert_eq!(notes[1].line, 2);
    }
}
