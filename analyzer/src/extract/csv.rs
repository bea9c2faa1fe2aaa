//! CSV and TSV data dictionaries, the column lists teams keep in spreadsheets: one row per
//! field, with the field's name and often its table and a PHI (or PII, sensitivity,
//! classification) flag.
//!
//! The header row says which column is which. Each table (the table column's value, else the
//! file's name) is a data store holding the PHI its field names name, read together as one
//! record (as `yaml::FieldPhi` reads a schema): a field the sheet flags as PHI counts whatever
//! its name (one the vocabulary does not know is an `other_unique_id` named as written). Where
//! the sheet has a flag column, fields the vocabulary reads as PHI but the sheet flags as not
//! PHI, or leaves blank, make the table untagged; a table whose PHI is all flagged is tagged.
//!
//! A sheet without a field column is read as a data extract: its header cells are the
//! fields of one table named after the file. Cell values are never quoted in evidence.

use std::collections::BTreeMap;

use super::yaml::{Facts, FieldPhi};
use super::{Ctx, ExtractError, Format};
use crate::catalog::PhiType;
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement};
use crate::text::words;

/// Header names of the column that names the field, most specific first.
const FIELD_HEADERS: &[&str] = &[
    "field name",
    "column name",
    "attribute name",
    "data element",
    "data element name",
    "element name",
    "variable name",
    "property name",
    "field",
    "column",
    "attribute",
    "element",
    "variable",
    "property",
    "fieldname",
    "columnname",
    "name",
];

/// Header names of the column that names the table.
const TABLE_HEADERS: &[&str] = &[
    "table",
    "table name",
    "tablename",
    "entity",
    "entity name",
    "object",
    "object name",
    "resource",
    "dataset",
    "data set",
    "model",
    "form",
    "source table",
    "record type",
];

/// Words in a header that make it the PHI flag column.
const FLAG_WORDS: &[&str] = &[
    "phi",
    "ephi",
    "pii",
    "hipaa",
    "sensitive",
    "sensitivity",
    "classification",
    "identifiable",
    "confidential",
];

/// Words in a header that make a sheet a dictionary rather than data.
const DESCRIPTIVE_WORDS: &[&str] = &["type", "description", "definition", "format", "notes"];

/// Most rows read.
const MAX_ROWS: usize = 100_000;

/// Read a data dictionary (or, without a field column, a data extract's header).
pub fn extract(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let rows = parse(ctx.text, delimiter(ctx))?;
    let Some((header_line, header)) = rows.first() else { return Ok(Vec::new()) };
    let columns = Columns::find(header);
    let stem = file_stem(&ctx.artifact.path);
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    match columns.field {
        Some(field) => {
            for (line, row) in rows.iter().skip(1).take(MAX_ROWS) {
                let cell = |i: Option<usize>| i.and_then(|i| row.get(i)).map(|c| c.trim());
                let Some(name) = cell(Some(field)).filter(|n| !n.is_empty()) else { continue };
                let table = cell(columns.table).filter(|t| !t.is_empty()).unwrap_or(&stem);
                let flag = columns.flag.map(|_| Flag::read(cell(columns.flag).unwrap_or("")));
                let entry =
                    tables.entry(table.to_string()).or_insert_with(|| Table::new(ctx, table));
                entry.rows.push(Row { line: *line, field: name.to_string(), flag });
            }
        }
        None => {
            let table = tables.entry(stem.clone()).or_insert_with(|| Table::new(ctx, &stem));
            for name in header.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
                table.rows.push(Row { line: *header_line, field: name.to_string(), flag: None });
            }
        }
    }
    let mut out = Facts::default();
    for (name, table) in &tables {
        table.facts(ctx, name, columns.flag.is_some(), &mut out);
    }
    Ok(out.finish())
}

fn delimiter(ctx: &Ctx) -> u8 {
    if ctx.artifact.path.to_lowercase().ends_with(".tsv") {
        return b'\t';
    }
    let first = ctx.text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let count = |c: char| first.matches(c).count();
    [(',', count(',')), (';', count(';')), ('\t', count('\t'))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(c, _)| c as u8)
}

fn file_stem(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name).to_string()
}

/// Which columns hold the field name, the table and the PHI flag.
#[derive(Debug, Default)]
struct Columns {
    field: Option<usize>,
    table: Option<usize>,
    flag: Option<usize>,
}

impl Columns {
    fn find(header: &[String]) -> Columns {
        let norm: Vec<String> = header
            .iter()
            .map(|h| words(h).into_iter().map(|t| t.word).collect::<Vec<_>>().join(" "))
            .collect();
        let first_of =
            |names: &[&str]| names.iter().find_map(|name| norm.iter().position(|h| h == name));
        let flag = norm.iter().position(|h| {
            h.split(' ').any(|w| FLAG_WORDS.contains(&w)) && !h.contains("description")
        });
        let table = first_of(TABLE_HEADERS);
        let field = first_of(FIELD_HEADERS).filter(|&f| Some(f) != flag && Some(f) != table);
        let descriptive = norm.iter().any(|h| h.split(' ').any(|w| DESCRIPTIVE_WORDS.contains(&w)));
        // A lone `name` column in a sheet that says nothing else about fields is data.
        let is_dictionary = flag.is_some() || table.is_some() || descriptive;
        Columns { field: field.filter(|_| is_dictionary), table, flag }
    }
}

/// What a row's PHI flag says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Yes,
    No,
    /// A value that says neither (a free-text note).
    Unclear,
}

impl Flag {
    fn read(value: &str) -> Flag {
        let v = value.trim().to_lowercase();
        let w: Vec<String> = words(&v).into_iter().map(|t| t.word).collect();
        let first = w.first().map(String::as_str).unwrap_or("");
        let no = ["n", "no", "false", "0", "none", "non", "not", "public", "internal", "low", "na"];
        let yes = ["y", "yes", "true", "1", "x", "phi", "ephi", "pii", "sensitive", "restricted"];
        if v.is_empty() || v == "-" || no.contains(&first) {
            Flag::No
        } else if yes.contains(&first)
            || ["✓", "✔"].contains(&v.as_str())
            || w.iter().any(|x| matches!(x.as_str(), "phi" | "pii" | "confidential" | "high"))
        {
            Flag::Yes
        } else {
            Flag::Unclear
        }
    }
}

struct Row {
    line: u32,
    field: String,
    /// `None` when the sheet has no flag column.
    flag: Option<Flag>,
}

struct Table {
    entity: EntityRef,
    about_person: bool,
    rows: Vec<Row>,
}

impl Table {
    fn new(ctx: &Ctx, name: &str) -> Table {
        Table {
            entity: EntityRef::new(name, EntityKind::DataStore),
            about_person: ctx.catalog.scan_phi(&name.replace('_', " ")).patient_context,
            rows: Vec::new(),
        }
    }

    /// The PHI elements of one row: the vocabulary's reading of its name, or, for a field the
    /// sheet flags, the field itself.
    fn elements(ctx: &Ctx, row: &Row) -> Vec<PhiElement> {
        let scan = ctx.catalog.scan_phi(&row.field);
        let mut out: Vec<PhiElement> = scan
            .mentions
            .iter()
            .map(|m| PhiElement { kind: m.kind, name: row.field.clone() })
            .collect();
        if out.is_empty() && row.flag == Some(Flag::Yes) {
            out.push(PhiElement { kind: PhiType::OtherUniqueId, name: row.field.clone() });
        }
        out.dedup();
        out
    }

    fn facts(&self, ctx: &Ctx, name: &str, has_flags: bool, out: &mut Facts) {
        // Read the table's fields together to tell whether what they name is PHI.
        let mut all = FieldPhi::default();
        all.about_person(self.about_person);
        for row in &self.rows {
            let flagged = row.flag == Some(Flag::Yes);
            for e in Self::elements(ctx, row) {
                let strong = flagged || ctx.catalog.scan_phi(&row.field).is_phi();
                all.insert(e, strong);
            }
        }
        if !all.is_phi() {
            return;
        }
        let first = self.rows.first().map(|r| r.line);
        let declared = format!("table {name} ({} fields)", self.rows.len());
        out.push(Claim::Entity(self.entity.clone()), ctx.evidence(first, &declared));
        let mut untagged = false;
        let mut tagged = false;
        for row in &self.rows {
            let data = Self::elements(ctx, row);
            if data.is_empty() {
                continue;
            }
            let (attr, why) = match row.flag {
                Some(Flag::No) => (Attr::Untagged, "a PHI field the sheet does not flag as PHI"),
                Some(Flag::Yes) => (Attr::HoldsPhi, "flagged PHI"),
                _ => (Attr::HoldsPhi, "a PHI field"),
            };
            untagged |= attr == Attr::Untagged;
            tagged |= row.flag == Some(Flag::Yes);
            let excerpt = format!("{name}.{}: {why}", row.field);
            out.attr(&self.entity, attr, data, ctx.evidence(Some(row.line), &excerpt));
        }
        if has_flags && tagged && !untagged {
            let excerpt = format!("table {name}: its PHI fields are flagged");
            out.attr(&self.entity, Attr::PhiTagged, Vec::new(), ctx.evidence(first, &excerpt));
        }
    }
}

/// RFC 4180 records with the line each starts on: quoted fields may hold delimiters, doubled
/// quotes and line breaks. Blank lines are skipped.
fn parse(text: &str, delimiter: u8) -> Result<Vec<(u32, Vec<String>)>, ExtractError> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = Vec::<u8>::new();
    let (mut line, mut start) = (1u32, 1u32);
    let (mut quoted, mut was_quoted) = (false, false);
    let bytes = text.trim_start_matches('\u{feff}').as_bytes();
    let mut i = 0;
    let take = |f: &mut Vec<u8>| String::from_utf8_lossy(&std::mem::take(f)).into_owned();
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        if b == b'\n' {
            line += 1;
        }
        match (quoted, b) {
            (true, b'"') if bytes.get(i) == Some(&b'"') => {
                field.push(b'"');
                i += 1;
            }
            (true, b'"') => quoted = false,
            (true, _) => field.push(b),
            (false, b'"') if field.is_empty() && !was_quoted => (quoted, was_quoted) = (true, true),
            (false, b'\r') => {}
            (false, b'\n') => {
                row.push(take(&mut field));
                if row.iter().any(|c| !c.trim().is_empty()) {
                    rows.push((start, std::mem::take(&mut row)));
                }
                row.clear();
                start = line;
                was_quoted = false;
            }
            (false, d) if d == delimiter => {
                row.push(take(&mut field));
                was_quoted = false;
            }
            (false, _) => field.push(b),
        }
    }
    if quoted {
        let message = format!("line {start}: a quoted field is never closed");
        return Err(ExtractError::malformed(Format::DataDictionary, message));
    }
    row.push(take(&mut field));
    if row.iter().any(|c| !c.trim().is_empty()) {
        rows.push((start, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::diagram::tests::run;
    use crate::extract::yaml::tests::attrs;
    use crate::model::Target;

    fn facts(path: &str, text: &str) -> Vec<Fact> {
        run(path, Format::DataDictionary, text, extract).unwrap()
    }

    #[test]
    fn flagged_fields_hold_phi_and_unflagged_phi_is_untagged() {
        let text = "\
Table,Field Name,Data Type,Contains PHI?,Description
patients,mrn,varchar,Yes,\"Medical record number, from the EHR\"
patients,date_of_birth,date,,
patients,favorite_color,text,No,
patients,pilot_code,text,Y,Site code that identifies the pilot participant
clinics,clinic_phone,text,No,
";
        let facts = facts("drive/dictionary.csv", text);
        let holds = attrs(&facts, "patients", &Attr::HoldsPhi);
        assert_eq!(holds, [(Some(2), vec![PhiType::Mrn]), (Some(5), vec![PhiType::OtherUniqueId])]);
        let untagged = attrs(&facts, "patients", &Attr::Untagged);
        assert_eq!(untagged, [(Some(3), vec![PhiType::Date])]);
        assert!(attrs(&facts, "patients", &Attr::PhiTagged).is_empty());
        assert!(!facts.iter().any(|f| matches!(&f.claim,
            Claim::Attr { subject: Target::Known(e), .. } if e.name == "clinics")));
    }

    #[test]
    fn fully_flagged_tables_are_tagged_and_the_file_names_a_lone_table() {
        let text = "column_name\tphi_flag\tnotes\nssn\tY\t\nlast_name\tyes\t\nclinic_code\tn\t\n";
        let facts = facts("export/members.tsv", text);
        let holds = attrs(&facts, "members", &Attr::HoldsPhi);
        assert_eq!(holds.len(), 2, "{facts:#?}");
        assert_eq!(attrs(&facts, "members", &Attr::PhiTagged), [(Some(2), vec![])]);
    }

    #[test]
    fn a_sheet_without_a_field_column_is_read_by_its_header() {
        let text = "patient_name,dob,mrn,score\n\"Doe, Jane\",1970-01-01,A123,4\n";
        let facts = facts("gdrive/extract.csv", text);
        let holds = attrs(&facts, "extract", &Attr::HoldsPhi);
        assert_eq!(holds.len(), 3, "{holds:?}");
        assert!(facts.iter().all(|f| !f.evidence.excerpt.contains("Doe")));
    }

    #[test]
    fn unclosed_quotes_are_malformed() {
        let err = run("a.csv", Format::DataDictionary, "field,phi\n\"mrn,yes\n", extract);
        assert!(matches!(err, Err(ExtractError::Malformed { .. })));
    }
}
