//! OpenAPI 3.x and Swagger 2.0 descriptions, in YAML or JSON.
//!
//! The API's title names a service. Each operation's PHI is read from its path, its parameter
//! names and the property names of its request and response schemas (local `$ref`s followed,
//! each schema read once); an operation that serves PHI with no effective security requirement
//! is an unauthenticated endpoint. `http://` servers to outside hosts make the API (or, for
//! servers declared on a path, that host) plaintext. When the spec labels sensitive schemas
//! with an extension (`x-phi`, `x-data-classification`, …), PHI schemas without the label are
//! untagged. Descriptions and YAML comments are read as prose.
//!
//! References into other files (`schemas/Patient.yaml`, `./patients.yaml#/Patient`) cannot be
//! followed from a single artifact: the connector delivers one file per artifact and the
//! analyzer has no view of the repository. Only the referenced name is read, and `Patient`,
//! `Person` and `Member` are taken to carry patient identifiers. Resolving them would need the
//! extractor to see the other artifacts of the same commit.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use super::yaml::{
    is_local_host, parse_url, plaintext_endpoint, prose_facts, yaml_comments, Facts, FieldPhi,
    Lines, Note,
};
use super::{Ctx, ExtractError, Format};
use crate::catalog::{PhiScan, PhiType};
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement};
use crate::text::identifier_words;

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "options", "head", "trace"];

/// Header parameters that carry credentials; a spec that declares one authenticates through it
/// even without a `security` requirement.
const AUTH_HEADERS: &[&str] =
    &["authorization", "x-api-key", "api-key", "apikey", "x-auth-token", "x-access-token"];

/// Schema names that stand for a person whose record it is.
const PERSON_SCHEMAS: &[&str] = &["patient", "patients", "person", "persons", "member", "members"];

/// Where reusable schemas live in OpenAPI 3 and in Swagger 2.
const COMPONENT_SCHEMAS: &[&str] = &["components", "schemas"];
const SWAGGER_DEFINITIONS: &[&str] = &["definitions"];

/// Deepest schema nesting followed.
const MAX_SCHEMA_DEPTH: usize = 16;

/// Most schema nodes read per spec; keeps a huge or adversarial spec bounded.
const MAX_SCHEMA_NODES: usize = 200_000;

/// Read one OpenAPI or Swagger description.
pub fn extract(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let json = ctx.text.trim_start().starts_with('{');
    let root = super::yaml::spec_root(ctx, Format::OpenApi)?;
    let lines = Lines::new(ctx.text);
    let spec = Spec {
        ctx,
        root: &root,
        lines: &lines,
        memo: RefCell::new(HashMap::new()),
        nodes: Cell::new(0),
    };
    let mut out = Facts::default();
    let api = spec.api(&mut out);
    let operations = spec.operations();
    spec.unauthenticated(&operations, &mut out);
    spec.servers(&api, &operations, &mut out);
    spec.untagged(&mut out);
    schemas_inventory(ctx, &root, &api, &mut out);

    let mut notes = if json { Vec::new() } else { yaml_comments(ctx.text) };
    notes.extend(spec.descriptions(&operations));
    notes.sort_by_key(|n| n.line);
    out.extend(prose_facts(ctx, &notes));
    Ok(out.finish())
}

/// The PHI fields of every schema the spec defines (`definitions`, `components.schemas`),
/// recorded on the API so the model lists them whether or not an operation is flagged.
fn schemas_inventory(ctx: &Ctx, root: &Value, api: &EntityRef, out: &mut Facts) {
    let schemas = root
        .get("definitions")
        .or_else(|| root.pointer("/components/schemas"))
        .and_then(Value::as_object);
    let Some(schemas) = schemas else { return };
    let mut all: BTreeSet<PhiElement> = BTreeSet::new();
    for (name, schema) in schemas {
        all.extend(super::yaml::schema_phi(ctx, schema, name));
    }
    if all.is_empty() {
        return;
    }
    let key = if root.get("definitions").is_some() { "definitions:" } else { "schemas:" };
    let line = crate::text::find_line(ctx.text, key, 1).or_else(|| {
        crate::text::find_line(ctx.text, &format!("\"{}\"", key.trim_end_matches(':')), 1)
    });
    let excerpt = format!("{} PHI fields across the spec's schemas", all.len());
    out.attr(api, Attr::HoldsPhi, all.into_iter().collect(), ctx.evidence(line, &excerpt));
}

/// One operation as read.
struct Operation {
    method: String,
    path: String,
    line: Option<u32>,
    found: FieldPhi,
    secured: bool,
    /// The line of an explicit `security: []`.
    opt_out: Option<u32>,
    summary: Option<(u32, String)>,
    /// Servers declared on the path or the operation.
    servers: Vec<(String, Option<u32>)>,
}

struct Spec<'a, 'c> {
    ctx: &'a Ctx<'c>,
    root: &'a Value,
    lines: &'a Lines<'a>,
    /// What each local `$ref` holds, read once.
    memo: RefCell<HashMap<String, FieldPhi>>,
    nodes: Cell<usize>,
}

impl Spec<'_, '_> {
    fn scan(&self, text: &str) -> PhiScan {
        self.ctx.catalog.scan_phi(text)
    }

    /// The API named by `info.title`.
    fn api(&self, out: &mut Facts) -> EntityRef {
        super::yaml::spec_service(self.ctx, self.root, self.lines, out)
    }

    // -- operations -------------------------------------------------------------------------

    fn operations(&self) -> Vec<Operation> {
        let Some(paths) = self.root.get("paths").and_then(Value::as_object) else {
            return Vec::new();
        };
        let paths_line = self.lines.path(&["paths"], 1).unwrap_or(1);
        let mut previous = paths_line;
        let mut ops = Vec::new();
        for (path, item) in paths {
            let path_line = self.lines.child_from(path, paths_line, previous);
            previous = path_line.unwrap_or(previous);
            // A path item kept in another file cannot be read here.
            let Some(item) = self.deref(item) else { continue };
            let path_params = params(item);
            let path_servers = self.servers_of(item, path_line);
            for method in METHODS {
                let Some(op) = item.get(*method) else { continue };
                let Some(op) = self.deref(op) else { continue };
                let line = path_line.and_then(|l| self.lines.child(method, l, false));
                let mut servers = path_servers.clone();
                servers.extend(self.servers_of(op, line));
                ops.push(self.operation(method, path, op, &path_params, line, servers));
            }
        }
        ops
    }

    fn operation(
        &self,
        method: &str,
        path: &str,
        op: &Value,
        path_params: &[&Value],
        line: Option<u32>,
        servers: Vec<(String, Option<u32>)>,
    ) -> Operation {
        let mut found = FieldPhi::default();
        found.add(&self.scan(path));
        let words =
            ["operationId", "summary"].map(|k| op.get(k).and_then(Value::as_str).unwrap_or(""));
        found.about_person(self.scan(&words.join(" ")).patient_context);

        let mut all_params: Vec<&Value> = path_params.to_vec();
        all_params.extend(params(op));
        let mut resolved = Vec::new();
        for p in all_params {
            match p.get("$ref").and_then(Value::as_str) {
                Some(r) if !r.starts_with('#') => found.merge(&self.external(r)),
                _ => resolved.extend(self.deref(p)),
            }
        }
        for p in &resolved {
            if let Some(name) = p.get("name").and_then(Value::as_str) {
                found.add(&self.scan(name));
            }
            if let Some(schema) = p.get("schema") {
                found.merge(&self.schema(schema, 0, &mut Vec::new()));
            }
        }
        if let Some(body) = op.get("requestBody") {
            found.merge(&self.body(body));
        }
        if let Some(responses) = op.get("responses").and_then(Value::as_object) {
            for response in responses.values() {
                found.merge(&self.body(response));
            }
        }

        let auth_header = resolved.iter().any(|p| {
            p.get("in").and_then(Value::as_str) == Some("header")
                && p.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| AUTH_HEADERS.contains(&n.to_lowercase().as_str()))
        });
        let requirements = op.get("security").or_else(|| self.root.get("security"));
        let required = requirements.and_then(Value::as_array).is_some_and(|reqs| {
            !reqs.is_empty() && reqs.iter().all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
        });
        let explicit_none = op.get("security").and_then(Value::as_array).is_some_and(Vec::is_empty);
        let opt_out =
            line.filter(|_| explicit_none).and_then(|l| self.lines.child("security", l, false));
        let summary = op
            .get("summary")
            .or_else(|| op.get("description"))
            .and_then(Value::as_str)
            .map(|s| (line.unwrap_or(1), s.to_string()));
        Operation {
            method: method.to_uppercase(),
            path: path.to_string(),
            line,
            found,
            secured: required || auth_header,
            opt_out,
            summary,
            servers,
        }
    }

    /// A request body or response: its schemas, by media type (OpenAPI 3) or directly
    /// (Swagger 2).
    fn body(&self, body: &Value) -> FieldPhi {
        let mut found = FieldPhi::default();
        if let Some(r) = body.get("$ref").and_then(Value::as_str).filter(|r| !r.starts_with('#')) {
            return self.external(r);
        }
        let Some(body) = self.deref(body) else { return found };
        if let Some(schema) = body.get("schema") {
            found.merge(&self.schema(schema, 0, &mut Vec::new()));
        }
        for media in
            body.get("content").and_then(Value::as_object).into_iter().flat_map(|c| c.values())
        {
            if let Some(schema) = media.get("schema") {
                found.merge(&self.schema(schema, 0, &mut Vec::new()));
            }
        }
        found
    }

    /// Property names of a schema and of the schemas it contains or references.
    fn schema(&self, schema: &Value, depth: usize, visiting: &mut Vec<String>) -> FieldPhi {
        let mut found = FieldPhi::default();
        self.nodes.set(self.nodes.get() + 1);
        if depth > MAX_SCHEMA_DEPTH || self.nodes.get() > MAX_SCHEMA_NODES {
            return found;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            return self.reference(r, depth, visiting);
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                found.add(&self.scan(name));
                found.merge(&self.schema(sub, depth + 1, visiting));
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = schema.get(key).filter(|s| s.is_object()) {
                found.merge(&self.schema(sub, depth + 1, visiting));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                found.merge(&self.schema(sub, depth + 1, visiting));
            }
        }
        found
    }

    /// A `$ref`: local ones are followed (once per spec; cycles stop at the second visit),
    /// others are read by name only.
    fn reference(&self, r: &str, depth: usize, visiting: &mut Vec<String>) -> FieldPhi {
        let Some(pointer) = r.strip_prefix('#') else { return self.external(r) };
        if let Some(found) = self.memo.borrow().get(r) {
            return found.clone();
        }
        let name = pointer.rsplit('/').next().unwrap_or(pointer);
        let mut found = FieldPhi::default();
        found.about_person(self.scan(name).patient_context);
        if visiting.iter().any(|v| v == r) {
            return found;
        }
        let Some(target) = self.root.pointer(pointer) else { return self.external(r) };
        visiting.push(r.to_string());
        found.merge(&self.schema(target, depth + 1, visiting));
        visiting.pop();
        self.memo.borrow_mut().insert(r.to_string(), found.clone());
        found
    }

    /// What a reference into another file says by its name alone (`NhsNumber.yaml` names an
    /// MRN; `Patient.yaml` a patient record).
    fn external(&self, r: &str) -> FieldPhi {
        let last = r.rsplit(['/', '#']).find(|s| !s.is_empty()).unwrap_or(r);
        let name =
            last.trim_end_matches(".yaml").trim_end_matches(".yml").trim_end_matches(".json");
        let mut found = FieldPhi::default();
        found.add(&self.scan(name));
        let person =
            identifier_words(name).iter().any(|t| PERSON_SCHEMAS.contains(&t.word.as_str()));
        if person {
            let element =
                PhiElement { kind: PhiType::Name, name: format!("{name} (referenced schema)") };
            found.insert(element, false);
            found.about_person(true);
        }
        found
    }

    /// Follow local `$ref`s of a non-schema object (parameter, response, path item); `None`
    /// for a reference into another file.
    fn deref<'v>(&'v self, mut value: &'v Value) -> Option<&'v Value> {
        for _ in 0..8 {
            let Some(r) = value.get("$ref").and_then(Value::as_str) else { return Some(value) };
            value = self.root.pointer(r.strip_prefix('#')?)?;
        }
        None
    }

    fn unauthenticated(&self, ops: &[Operation], out: &mut Facts) {
        for op in ops.iter().filter(|o| !o.secured && o.found.is_phi()) {
            let endpoint =
                EntityRef::new(format!("{} {}", op.method, op.path), EntityKind::Endpoint);
            let data = op.found.data();
            let excerpt = match op.opt_out {
                Some(_) => format!("{} {}: security: [] (no authentication)", op.method, op.path),
                None => format!("{} {}: no security requirement", op.method, op.path),
            };
            let line = op.opt_out.or(op.line);
            out.push(Claim::Entity(endpoint.clone()), self.ctx.evidence(op.line, &excerpt));
            out.attr(
                &endpoint,
                Attr::Unauthenticated,
                data.clone(),
                self.ctx.evidence(line, &excerpt),
            );
            out.attr(&endpoint, Attr::HoldsPhi, data, self.ctx.evidence(op.line, &excerpt));
        }
    }

    // -- servers ----------------------------------------------------------------------------

    fn servers_of(&self, node: &Value, line: Option<u32>) -> Vec<(String, Option<u32>)> {
        let Some(servers) = node.get("servers").and_then(Value::as_array) else {
            return Vec::new();
        };
        let from = line.and_then(|l| self.lines.child("servers", l, false)).or(line);
        servers
            .iter()
            .filter_map(|s| s.get("url").and_then(Value::as_str))
            .map(|url| {
                let at = from.and_then(|f| self.lines.containing(url, f)).or(from);
                (url.to_string(), at)
            })
            .collect()
    }

    /// Plaintext servers: top-level ones (and Swagger 2's `schemes: [http]`) make the API
    /// plaintext; those declared on a path make the host they name plaintext for the PHI of
    /// the path's operations.
    fn servers(&self, api: &EntityRef, ops: &[Operation], out: &mut Facts) {
        let mut spec_phi = FieldPhi::default();
        for op in ops.iter().filter(|o| o.found.is_phi()) {
            spec_phi.merge(&op.found);
        }
        for (url, line) in self.servers_of(self.root, Some(1)) {
            if plaintext_endpoint(&url).is_some() {
                let ev = self.ctx.evidence(line, &format!("servers: {url}"));
                out.attr(api, Attr::Plaintext, spec_phi.data(), ev);
            }
        }
        self.swagger_scheme(api, &spec_phi, out);

        let mut by_url: Vec<(&str, Option<u32>, FieldPhi)> = Vec::new();
        for op in ops {
            for (url, line) in &op.servers {
                match by_url.iter_mut().find(|(u, l, _)| u == url && l == line) {
                    Some((_, _, found)) => found.merge(&op.found),
                    None => by_url.push((url, *line, op.found.clone())),
                }
            }
        }
        for (url, line, found) in by_url {
            let Some((endpoint, host)) = plaintext_endpoint(url) else { continue };
            let data = if found.is_phi() { found.data() } else { spec_phi.data() };
            let ev = self.ctx.evidence(line, &format!("servers: {url}"));
            out.push(Claim::Alias { name: host.to_string(), of: endpoint.clone() }, ev.clone());
            out.attr(&endpoint, Attr::Plaintext, data, ev);
        }
    }

    fn swagger_scheme(&self, api: &EntityRef, spec_phi: &FieldPhi, out: &mut Facts) {
        let Some(schemes) = self.root.get("schemes").and_then(Value::as_array) else { return };
        let Some(host) = self.root.get("host").and_then(Value::as_str) else { return };
        let http_only = !schemes.is_empty() && schemes.iter().all(|s| s.as_str() == Some("http"));
        let url = format!("http://{host}");
        let outside = parse_url(&url).is_some_and(|u| !is_local_host(u.host));
        if !http_only || !outside {
            return;
        }
        let line = self.lines.path(&["schemes"], 1);
        let ev = self.ctx.evidence(line, &format!("schemes: [http], host: {host}"));
        out.attr(api, Attr::Plaintext, spec_phi.data(), ev);
    }

    // -- labels -----------------------------------------------------------------------------

    /// Schemas with PHI properties left unlabelled, when the spec labels sensitive data with an
    /// extension elsewhere.
    fn untagged(&self, out: &mut Facts) {
        let mut markers = BTreeSet::new();
        let mut budget = MAX_SCHEMA_NODES;
        marker_keys(self.root, &mut markers, &mut budget, 0);
        if markers.is_empty() {
            return;
        }
        let (schemas, keys) = match self.root.pointer("/components/schemas") {
            Some(s) => (s, COMPONENT_SCHEMAS),
            None => match self.root.get("definitions") {
                Some(d) => (d, SWAGGER_DEFINITIONS),
                None => return,
            },
        };
        let Some(schemas) = schemas.as_object() else { return };
        let schemas_line = self.lines.path(keys, 1).unwrap_or(1);
        let mut previous = schemas_line;
        for (name, schema) in schemas {
            let line = self.lines.child_from(name, schemas_line, previous);
            previous = line.unwrap_or(previous);
            if has_marker(schema, &markers) {
                continue;
            }
            let mut found = FieldPhi::default();
            found.about_person(self.scan(name).patient_context);
            for props in own_properties(schema) {
                for (prop, sub) in props {
                    if !has_marker(sub, &markers) {
                        found.add(&self.scan(prop));
                    }
                }
            }
            if found.is_phi() {
                let subject = EntityRef::new(name, EntityKind::Unknown);
                let label = markers.iter().next().map(String::as_str).unwrap_or("x-phi");
                let excerpt = format!("schema {name}: PHI properties without {label}");
                out.attr(&subject, Attr::Untagged, found.data(), self.ctx.evidence(line, &excerpt));
            }
        }
    }

    // -- prose ------------------------------------------------------------------------------

    fn descriptions(&self, ops: &[Operation]) -> Vec<Note> {
        let mut notes = Vec::new();
        let mut note = |line: Option<u32>, text: Option<&str>| {
            if let (Some(line), Some(text)) = (line, text) {
                notes.push(Note { line, text: text.to_string(), own_line: false });
            }
        };
        let info = self.lines.path(&["info", "description"], 1);
        note(info, self.root.pointer("/info/description").and_then(Value::as_str));
        let tags_line = self.lines.path(&["tags"], 1).unwrap_or(1);
        for tag in self.root.get("tags").and_then(Value::as_array).into_iter().flatten() {
            let text = tag.get("description").and_then(Value::as_str);
            note(text.and_then(|t| self.lines.containing(first_line(t), tags_line)), text);
        }
        for op in ops {
            if let Some((line, text)) = &op.summary {
                note(Some(*line), Some(text));
            }
        }
        notes
    }
}

fn first_line(text: &str) -> &str {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
}

fn params(node: &Value) -> Vec<&Value> {
    node.get("parameters").and_then(Value::as_array).map(|p| p.iter().collect()).unwrap_or_default()
}

/// The properties a schema declares itself, including those of inline `allOf` members.
fn own_properties(schema: &Value) -> Vec<&serde_json::Map<String, Value>> {
    let mut out: Vec<&serde_json::Map<String, Value>> = Vec::new();
    out.extend(schema.get("properties").and_then(Value::as_object));
    for member in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        out.extend(member.get("properties").and_then(Value::as_object));
    }
    out
}

/// Whether an extension key labels data sensitivity (`x-phi`, `x-pii`,
/// `x-data-classification`, `x-sensitive`).
fn is_marker(key: &str) -> bool {
    let k = key.to_lowercase();
    k.starts_with("x-")
        && ["phi", "pii", "sensitive", "classification", "confidential", "data-class"]
            .iter()
            .any(|w| k.contains(w))
}

fn marker_keys(value: &Value, out: &mut BTreeSet<String>, budget: &mut usize, depth: usize) {
    if *budget == 0 || depth > 64 {
        return;
    }
    *budget -= 1;
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if is_marker(k) {
                    out.insert(k.clone());
                }
                marker_keys(v, out, budget, depth + 1);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| marker_keys(v, out, budget, depth + 1)),
        _ => {}
    }
}

fn has_marker(value: &Value, markers: &BTreeSet<String>) -> bool {
    value.as_object().is_some_and(|m| {
        m.iter().any(|(k, v)| markers.contains(k) && v.as_bool() != Some(false) && !v.is_null())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::yaml::tests::{attrs, entities, run};

    fn spec(text: &str) -> Vec<Fact> {
        run("api/openapi.yaml", Format::OpenApi, text, extract)
    }

    const REFERRALS: &str = r#"openapi: 3.0.3
info:
  title: referral-api
  version: 1.0.0
servers:
  - url: https://referrals.acme.internal
security:
  - oidc: []
paths:
  /hooks/events:
    servers:
      - url: http://fax-hook.acme.example
    post:
      security: []
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Event'
      responses:
        '204':
          description: ok
  /patients/{patientId}:
    get:
      parameters:
        - name: patientId
          in: path
      responses:
        '200':
          content:
            application/json:
              schema:
                $ref: './schemas/Patient.yaml'
  /status:
    get:
      security: []
      responses:
        '200':
          description: ok
components:
  schemas:
    Event:
      type: object
      properties:
        cover:
          $ref: '#/components/schemas/Cover'
        next:
          $ref: '#/components/schemas/Event'
    Cover:
      type: object
      properties:
        patient_name: {type: string}
        birthDate: {type: string}
        mrn: {type: string}
"#;

    #[test]
    fn unauthenticated_phi_operation_and_plaintext_path_server() {
        let facts = spec(REFERRALS);
        assert_eq!(entities(&facts, EntityKind::Service), ["referral-api"]);
        let unauth = attrs(&facts, "POST /hooks/events", &Attr::Unauthenticated);
        assert_eq!(unauth.len(), 1, "{facts:#?}");
        assert_eq!(unauth[0].0, Some(14));
        assert!(unauth[0].1.contains(&PhiType::Mrn) && unauth[0].1.contains(&PhiType::Date));
        assert_eq!(attrs(&facts, "POST /hooks/events", &Attr::HoldsPhi).len(), 1);
        // Secured by the global requirement, or serving no PHI.
        assert!(attrs(&facts, "GET /patients/{patientId}", &Attr::Unauthenticated).is_empty());
        assert!(attrs(&facts, "GET /status", &Attr::Unauthenticated).is_empty());
        let plain = attrs(&facts, "fax-hook", &Attr::Plaintext);
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].0, Some(12));
        assert!(plain[0].1.contains(&PhiType::Name), "{plain:?}");
        assert!(attrs(&facts, "referral-api", &Attr::Plaintext).is_empty());
    }

    #[test]
    fn no_global_security_and_external_person_schema() {
        let text = REFERRALS.replace("security:\n  - oidc: []\n", "");
        let facts = spec(&text);
        let unauth = attrs(&facts, "GET /patients/{patientId}", &Attr::Unauthenticated);
        assert_eq!(unauth.len(), 1, "{facts:#?}");
        assert_eq!(unauth[0].0, Some(22));
        assert!(unauth[0].1.contains(&PhiType::Mrn), "patientId is an MRN: {unauth:?}");
    }

    #[test]
    fn authorization_header_parameter_counts_as_authentication() {
        let text = r##"{
  "swagger": "2.0",
  "info": {"title": "records"},
  "host": "records.acme.example",
  "schemes": ["http"],
  "paths": {
    "/records/{mrn}": {
      "get": {
        "parameters": [
          {"name": "mrn", "in": "path"},
          {"$ref": "#/parameters/Auth"}
        ],
        "responses": {"200": {"schema": {"$ref": "#/definitions/Record"}}}
      }
    }
  },
  "parameters": {"Auth": {"name": "Authorization", "in": "header"}},
  "definitions": {
    "Record": {"properties": {"diagnosis_code": {"type": "string"}}}
  }
}"##;
        let facts = run("swagger.json", Format::OpenApi, text, extract);
        assert!(attrs(&facts, "GET /records/{mrn}", &Attr::Unauthenticated).is_empty());
        let plain = attrs(&facts, "records", &Attr::Plaintext);
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].0, Some(5));
        assert!(plain[0].1.contains(&PhiType::Diagnosis));
    }

    #[test]
    fn schemas_without_the_specs_phi_label_are_untagged() {
        let text = r#"openapi: 3.1.0
info:
  title: labs
paths: {}
components:
  schemas:
    Result:
      x-data-classification: phi
      properties:
        loinc: {type: string}
    Visit:
      properties:
        patient_id: {type: string}
        visit_reason: {type: string}
    Clinic:
      properties:
        phone: {type: string}
"#;
        let facts = spec(text);
        let untagged = attrs(&facts, "Visit", &Attr::Untagged);
        assert_eq!(untagged.len(), 1);
        assert_eq!(untagged[0].0, Some(11));
        assert!(attrs(&facts, "Result", &Attr::Untagged).is_empty());
        assert!(attrs(&facts, "Clinic", &Attr::Untagged).is_empty(), "a clinic phone is not PHI");
    }

    #[test]
    fn cyclic_and_malformed_specs_end() {
        let text = r#"openapi: 3.0.0
info: {title: t}
paths:
  /a:
    get:
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/A'}
components:
  schemas:
    A: {properties: {b: {$ref: '#/components/schemas/B'}}}
    B: {properties: {a: {$ref: '#/components/schemas/A'}, mrn: {type: string}}}
"#;
        let facts = spec(text);
        assert_eq!(attrs(&facts, "GET /a", &Attr::Unauthenticated).len(), 1);
        let catalog = crate::catalog::Catalog::builtin();
        let bad = "openapi: 3.0.0\npaths: [";
        let artifact = phiflow_pipeline::ArtifactEvent::new(
            phiflow_pipeline::Source::Files,
            "o.yaml",
            "default",
            bad.to_string(),
        );
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text: bad,
            format: Format::OpenApi,
            component: EntityRef::new("repo", EntityKind::Service),
        };
        assert!(matches!(extract(&ctx), Err(ExtractError::Malformed { .. })));
    }
}
