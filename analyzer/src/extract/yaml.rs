//! YAML and JSON formats: Kubernetes manifests, docker-compose files and application configs
//! (Helm values included), and the helpers every structured extractor shares.
//!
//! YAML is parsed with serde_yaml_ng, which bounds recursion and alias expansion, and is turned
//! into a `serde_json::Value` tree so that YAML and JSON are walked by the same code. Parsed
//! trees carry no positions, so evidence lines are found again in the text: a key is looked for
//! from the line of its parent key onward ([`Lines`]).
//!
//! # Shared helpers
//!
//! Terraform, OpenAPI, manifests and SQL use the helpers at the end of this file: [`Facts`]
//! (facts without repeats), URL reading ([`parse_url`], [`plaintext_endpoint`]), comment and
//! description prose ([`Note`], [`prose_facts`]) and PHI read from names ([`phi_elements`],
//! [`FieldPhi`]).

use std::collections::{BTreeSet, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::doc::{sentences, BlockKind, DocBuilder};
use super::{Ctx, ExtractError, Format};
use crate::catalog::{PhiMention, PhiScan};
use crate::model::{Attr, Claim, EntityKind, EntityRef, Evidence, Fact, PhiElement, Target};
use crate::text::identifier_words;

/// Deepest nesting a YAML or JSON tree is followed to.
const MAX_DEPTH: usize = 64;

/// Most tree nodes one artifact's walk visits; the rest of a larger tree is not read.
const MAX_NODES: usize = 200_000;

// ---------------------------------------------------------------------------------------------
// Kubernetes
// ---------------------------------------------------------------------------------------------

/// Kubernetes manifests, every document of the file: workloads and the secrets, vendors and
/// endpoints their containers use; LoadBalancer Services and Ingresses; ExternalSecrets and
/// Secrets; ConfigMap values and comments as prose.
pub fn extract_kubernetes(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let docs = yaml_documents(ctx.text, Format::Kubernetes)?;
    let lines = Lines::new(ctx.text);
    let mut out = Facts::default();
    let mut notes = yaml_comments(ctx.text);
    for (doc, start) in &docs {
        let obj = KubeObject { ctx, lines: &lines, doc, start: *start };
        obj.extract(&mut out, &mut notes);
    }
    notes.sort_by_key(|n| n.line);
    out.extend(prose_facts(ctx, &notes));
    Ok(out.finish())
}

/// One document of a manifest file.
struct KubeObject<'a, 'c> {
    ctx: &'a Ctx<'c>,
    lines: &'a Lines<'a>,
    doc: &'a Value,
    start: u32,
}

impl KubeObject<'_, '_> {
    fn extract(&self, out: &mut Facts, notes: &mut Vec<Note>) {
        let Some(kind) = self.doc.get("kind").and_then(Value::as_str) else { return };
        let Some(name) = self.doc.pointer("/metadata/name").and_then(Value::as_str) else {
            return;
        };
        let name_line = self.lines.path(&["metadata", "name"], self.start);
        match kind {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod" => {
                self.workload(out, kind, EntityRef::new(name, EntityKind::Service), name_line)
            }
            "Job" | "CronJob" => {
                self.workload(out, kind, EntityRef::new(name, EntityKind::Job), name_line)
            }
            "Service" => self.service(out, name),
            "Ingress" => self.ingress(out, name, name_line),
            "ExternalSecret" | "Secret" | "SealedSecret" => self.secret(out, kind, name, name_line),
            "ConfigMap" => self.config_map(out, notes),
            _ => {}
        }
    }

    fn evidence(&self, line: Option<u32>, excerpt: &str) -> Evidence {
        self.ctx.evidence(line, excerpt)
    }

    fn workload(&self, out: &mut Facts, kind: &str, workload: EntityRef, line: Option<u32>) {
        let excerpt = format!("{kind} {}", workload.name);
        out.push(Claim::Entity(workload.clone()), self.evidence(line, &excerpt));
        let pod = match kind {
            "Pod" => self.doc.get("spec"),
            "CronJob" => self.doc.pointer("/spec/jobTemplate/spec/template/spec"),
            _ => self.doc.pointer("/spec/template/spec"),
        };
        let Some(pod) = pod else { return };
        for container in ["containers", "initContainers"]
            .iter()
            .filter_map(|k| pod.get(k).and_then(Value::as_array))
            .flatten()
        {
            self.container(out, &workload, container);
        }
        for volume in pod.get("volumes").and_then(Value::as_array).into_iter().flatten() {
            if let Some(secret) = volume.pointer("/secret/secretName").and_then(Value::as_str) {
                self.uses_secret(out, &workload, secret, "secretName");
            }
        }
    }

    fn container(&self, out: &mut Facts, workload: &EntityRef, container: &Value) {
        let mut vars = Vec::new();
        for env in container.get("env").and_then(Value::as_array).into_iter().flatten() {
            let Some(var) = env.get("name").and_then(Value::as_str) else { continue };
            if let Some(secret) =
                env.pointer("/valueFrom/secretKeyRef/name").and_then(Value::as_str)
            {
                self.uses_secret(out, workload, secret, "name");
            }
            let line = self.lines.key_value("name", var, self.start);
            vars.push(EnvVar {
                name: var.to_string(),
                value: env.get("value").and_then(scalar_text),
                line,
            });
        }
        env_vars(self.ctx, out, workload, &vars);
        for source in container.get("envFrom").and_then(Value::as_array).into_iter().flatten() {
            if let Some(secret) = source.pointer("/secretRef/name").and_then(Value::as_str) {
                self.uses_secret(out, workload, secret, "name");
            }
        }
    }

    /// The workload authenticates with `secret`: cited at the first `name: <secret>` line.
    fn uses_secret(&self, out: &mut Facts, workload: &EntityRef, secret: &str, key: &str) {
        let line = self.lines.key_value(key, secret, self.start);
        let excerpt = format!("{}: secret {secret}", workload.name);
        let credential = EntityRef::new(secret, EntityKind::Credential);
        out.push(Claim::Entity(credential), self.evidence(line, &excerpt));
        let claim = Claim::Attr {
            subject: Target::Known(workload.clone()),
            attr: Attr::UsesCredential(secret.to_string()),
            data: Vec::new(),
        };
        out.push_once(claim, self.evidence(line, &excerpt));
    }

    fn service(&self, out: &mut Facts, name: &str) {
        if self.doc.pointer("/spec/type").and_then(Value::as_str) != Some("LoadBalancer") {
            return;
        }
        let line = self.lines.key_value("type", "LoadBalancer", self.start);
        let endpoint = EntityRef::new(name, EntityKind::Endpoint);
        let excerpt = format!("Service {name}: type LoadBalancer");
        out.push(Claim::Entity(endpoint), self.evidence(line, &excerpt));
    }

    fn ingress(&self, out: &mut Facts, name: &str, name_line: Option<u32>) {
        let host = self
            .doc
            .pointer("/spec/rules")
            .and_then(Value::as_array)
            .and_then(|rules| rules.iter().find_map(|r| r.get("host").and_then(Value::as_str)));
        let endpoint_name = host.map(first_label).unwrap_or(name);
        let endpoint = EntityRef::new(endpoint_name, EntityKind::Endpoint);
        let line = match host {
            Some(h) => self.lines.key_value("host", h, self.start),
            None => name_line,
        };
        // The ingress is usually named like the workload behind it, so its name is not made
        // an alias of the endpoint (that would merge the two).
        out.push(Claim::Entity(endpoint.clone()), self.evidence(line, &format!("Ingress {name}")));
        if let Some(h) = host {
            let claim = Claim::Alias { name: h.to_string(), of: endpoint.clone() };
            out.push(claim, self.evidence(line, &format!("host: {h}")));
        }
        let tls = self.doc.pointer("/spec/tls").and_then(Value::as_array);
        if tls.is_some_and(|t| !t.is_empty()) {
            return;
        }
        let excerpt = format!("Ingress {name}: no spec.tls, served over plain HTTP");
        let claim = Claim::Attr {
            subject: Target::Known(endpoint),
            attr: Attr::Plaintext,
            data: file_phi(self.ctx),
        };
        out.push(claim, self.evidence(line, &excerpt));
    }

    fn secret(&self, out: &mut Facts, kind: &str, name: &str, line: Option<u32>) {
        let credential = EntityRef::new(name, EntityKind::Credential);
        let excerpt = format!("{kind} {name}");
        out.push(Claim::Entity(credential.clone()), self.evidence(line, &excerpt));
        let target = self.doc.pointer("/spec/target/name").and_then(Value::as_str);
        if let Some(target) = target.filter(|t| *t != name) {
            let line = self.lines.key_value("name", target, self.start);
            let claim = Claim::Alias { name: target.to_string(), of: credential };
            out.push(claim, self.evidence(line, &format!("{kind} {name} → Secret {target}")));
        }
    }

    /// ConfigMap values: templates and settings. Each value is read as prose; values that
    /// configure a vendor or an endpoint are read like environment variables.
    fn config_map(&self, out: &mut Facts, notes: &mut Vec<Note>) {
        let Some(data) = self.doc.get("data").and_then(Value::as_object) else { return };
        let data_line = self.lines.path(&["data"], self.start).unwrap_or(self.start);
        for (key, value) in data {
            let Some(text) = scalar_text(value) else { continue };
            let line = self.lines.child(key, data_line, false);
            notes.push(Note {
                line: line.unwrap_or(data_line),
                text: text.clone(),
                own_line: false,
            });
            let vendor = self.ctx.catalog.vendor_by_env(key);
            if let Some(v) = vendor {
                let vendor = vendor_entity(self.ctx, v);
                out.push(Claim::Entity(vendor), self.evidence(line, &format!("{key}:")));
            }
            if is_url_key(key) {
                plaintext_url(self.ctx, out, &text, line, key);
            }
        }
    }
}

/// An environment variable as set on a workload or compose service.
struct EnvVar {
    name: String,
    value: Option<String>,
    line: Option<u32>,
}

/// The environment of one workload or compose service. Vendor SDK settings become a flow to
/// the vendor, unless one of that vendor's variables points at a local stand-in (a mock or a
/// relay on the same network): then the service talks to the stand-in. `http://` endpoints to
/// outside hosts are plaintext. Values are never quoted in excerpts (they may be secrets).
fn env_vars(ctx: &Ctx, out: &mut Facts, from: &EntityRef, vars: &[EnvVar]) {
    let stand_ins: HashSet<usize> = vars
        .iter()
        .filter_map(|var| {
            let vendor = ctx.catalog.vendor_by_env(&var.name)?;
            let url = parse_url(var.value.as_deref()?)?;
            is_local_host(url.host).then_some(vendor)
        })
        .collect();
    for var in vars {
        let name = var.name.as_str();
        if let Some(v) = ctx.catalog.vendor_by_env(name).filter(|v| !stand_ins.contains(v)) {
            vendor_flow(ctx, out, from, v, var.line, &format!("{}: {name}", from.name));
        }
        let Some(value) = var.value.as_deref() else { continue };
        if let Some(url) = parse_url(value) {
            if let Some(v) = ctx.catalog.vendor_by_host(url.host) {
                let excerpt = format!("{}: {name} → {}", from.name, url.host);
                vendor_flow(ctx, out, from, v, var.line, &excerpt);
            }
        }
        if is_url_key(name) || name.to_uppercase().contains("HOST") {
            plaintext_url(ctx, out, value, var.line, name);
        }
    }
}

/// `from` sends to the vendor: the vendor's declaration and a flow without PHI of its own.
fn vendor_flow(
    ctx: &Ctx,
    out: &mut Facts,
    from: &EntityRef,
    vendor: usize,
    line: Option<u32>,
    excerpt: &str,
) {
    let to = vendor_entity(ctx, vendor);
    out.push(Claim::Entity(to.clone()), ctx.evidence(line, excerpt));
    let claim = Claim::Flow {
        from: Target::Known(from.clone()),
        to: Target::Known(to),
        data: Vec::new(),
        full_record: false,
    };
    out.push_once(claim, ctx.evidence(line, excerpt));
}

// ---------------------------------------------------------------------------------------------
// docker-compose
// ---------------------------------------------------------------------------------------------

/// Images whose containers store data.
const STORE_IMAGES: &[&str] = &[
    "postgres",
    "postgis",
    "mysql",
    "mariadb",
    "mongo",
    "redis",
    "valkey",
    "elasticsearch",
    "opensearch",
    "minio",
    "cassandra",
    "couchdb",
    "couchbase",
    "memcached",
    "neo4j",
    "influxdb",
    "clickhouse",
    "mssql",
    "cockroach",
    "dynamodb-local",
    "azurite",
    "fhir",
];

/// Images whose containers carry messages.
const QUEUE_IMAGES: &[&str] = &["rabbitmq", "kafka", "nats", "activemq", "redpanda", "pulsar"];

/// docker-compose: each service, the services it depends on or calls by URL, and the vendors
/// and outside endpoints its environment configures.
pub fn extract_compose(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let docs = yaml_documents(ctx.text, Format::Compose)?;
    let lines = Lines::new(ctx.text);
    let mut out = Facts::default();
    if let Some((doc, start)) = docs.first() {
        if let Some(services) = doc.get("services").and_then(Value::as_object) {
            let from = lines.child("services", *start, true).unwrap_or(*start);
            Compose { ctx, lines: &lines, services, services_line: from }.extract(&mut out);
        }
    }
    out.extend(prose_facts(ctx, &yaml_comments(ctx.text)));
    Ok(out.finish())
}

struct Compose<'a, 'c> {
    ctx: &'a Ctx<'c>,
    lines: &'a Lines<'a>,
    services: &'a Map<String, Value>,
    services_line: u32,
}

impl Compose<'_, '_> {
    fn entity(&self, name: &str) -> EntityRef {
        let image = self.services.get(name).and_then(|s| s.get("image")).and_then(Value::as_str);
        EntityRef::new(name, image.map_or(EntityKind::Service, image_kind))
    }

    fn extract(&self, out: &mut Facts) {
        for name in self.services.keys() {
            let line = self.lines.child(name, self.services_line, false);
            let excerpt = format!("compose service {name}");
            out.push(Claim::Entity(self.entity(name)), self.ctx.evidence(line, &excerpt));
        }
        for (name, service) in self.services {
            let line =
                self.lines.child(name, self.services_line, false).unwrap_or(self.services_line);
            self.dependencies(out, name, service, line);
            self.environment(out, name, service, line);
        }
    }

    fn dependencies(&self, out: &mut Facts, name: &str, service: &Value, line: u32) {
        let mut deps: Vec<(&str, &str)> = Vec::new();
        match service.get("depends_on") {
            Some(Value::Array(items)) => {
                deps.extend(items.iter().filter_map(Value::as_str).map(|d| (d, "depends_on")))
            }
            Some(Value::Object(map)) => deps.extend(map.keys().map(|d| (d.as_str(), "depends_on"))),
            _ => {}
        }
        for link in service.get("links").and_then(Value::as_array).into_iter().flatten() {
            if let Some(l) = link.as_str() {
                deps.push((l.split(':').next().unwrap_or(l), "links"));
            }
        }
        for (dep, key) in deps {
            let at = self.lines.child(key, line, false).unwrap_or(line);
            let dep_line = self.lines.item(dep, at);
            self.flow(out, name, dep, dep_line, &format!("{name} {key} {dep}"));
        }
    }

    fn flow(&self, out: &mut Facts, from: &str, to: &str, line: Option<u32>, excerpt: &str) {
        if from == to || !self.services.contains_key(to) {
            return;
        }
        let claim = Claim::Flow {
            from: Target::Known(self.entity(from)),
            to: Target::Known(self.entity(to)),
            data: Vec::new(),
            full_record: false,
        };
        out.push_once(claim, self.ctx.evidence(line, excerpt));
    }

    fn environment(&self, out: &mut Facts, name: &str, service: &Value, line: u32) {
        let env = compose_env(service.get("environment"));
        if env.is_empty() {
            return;
        }
        let env_line = self.lines.child("environment", line, false).unwrap_or(line);
        let mut vars = Vec::new();
        for (var, value) in env {
            let var_line = self.lines.containing(&var, env_line);
            let host = value.as_deref().and_then(parse_url).map(|u| u.host.to_string());
            if let Some(host) = host {
                self.flow(out, name, &host, var_line, &format!("{name}: {var} → {host}"));
            }
            vars.push(EnvVar { name: var, value, line: var_line });
        }
        env_vars(self.ctx, out, &self.entity(name), &vars);
    }
}

/// The storage or messaging role of a container image, from its repository name.
fn image_kind(image: &str) -> EntityKind {
    let repo = image.split(['@', ':']).next().unwrap_or(image).to_lowercase();
    let base = repo.rsplit('/').next().unwrap_or(&repo);
    if STORE_IMAGES.iter().any(|s| base.starts_with(s) || repo.contains(&format!("/{s}"))) {
        EntityKind::DataStore
    } else if QUEUE_IMAGES.iter().any(|q| base.contains(q)) {
        EntityKind::Queue
    } else {
        EntityKind::Service
    }
}

/// A compose `environment`, as a list of `KEY=value` strings or a map.
fn compose_env(env: Option<&Value>) -> Vec<(String, Option<String>)> {
    match env {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|s| match s.split_once('=') {
                Some((k, v)) => (k.trim().to_string(), Some(v.trim().to_string())),
                None => (s.trim().to_string(), None),
            })
            .collect(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), scalar_text(v))).collect(),
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Application configs
// ---------------------------------------------------------------------------------------------

/// Any other YAML (application settings, Helm values): outside endpoints reached over
/// `http://`, vendors configured by key or host, body logging, and comments as prose.
pub fn extract_config(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let docs = yaml_documents(ctx.text, Format::YamlConfig)?;
    let lines = Lines::new(ctx.text);
    let mut walk = ConfigWalk::new(ctx, &lines);
    for (doc, start) in &docs {
        walk.walk(doc, &mut Vec::new(), *start, *start, 0);
    }
    let mut notes = yaml_comments(ctx.text);
    notes.append(&mut walk.notes);
    notes.sort_by_key(|n| n.line);
    let mut out = walk.finish();
    for (doc, _) in &docs {
        schema_inventory(ctx, doc, &mut out);
    }
    out.extend(prose_facts(ctx, &notes));
    Ok(out.finish())
}

/// A standalone JSON Schema or schema fragment (`type: object` with `properties`, as API specs
/// split into one file per schema): the PHI its field names hold is recorded on the component,
/// named as the fields are written (`birthDate`), so the model lists it.
fn schema_inventory(ctx: &Ctx, root: &Value, out: &mut Facts) {
    if root.get("properties").and_then(Value::as_object).is_none() {
        return;
    }
    let stem = ctx.artifact.path.rsplit('/').next().unwrap_or_default();
    let stem = stem.split('.').next().unwrap_or(stem);
    let title = root.get("title").and_then(Value::as_str).unwrap_or(stem);
    let written = schema_phi(ctx, root, title);
    if written.is_empty() {
        return;
    }
    let excerpt = format!("schema {title}: {} PHI fields", written.len());
    let subject = ctx.component.clone();
    out.attr(&subject, Attr::HoldsPhi, written, ctx.evidence(Some(1), &excerpt));
}

/// The PHI fields of one schema, named as written (`birthDate`), when the schema as a whole is
/// PHI (see [`FieldPhi`]). `$ref` targets count as field names too (`id: $ref NhsNumber.yaml`),
/// and a bare `name` is a person's name in a schema about a person.
pub(super) fn schema_phi(ctx: &Ctx, schema: &Value, title: &str) -> Vec<PhiElement> {
    let mut fields = FieldPhi::default();
    let title_scan = ctx.catalog.scan_phi(&title.replace('_', " "));
    let person = title_scan.patient_context;
    fields.add(&title_scan);
    let mut named: BTreeSet<PhiElement> = BTreeSet::new();
    schema_fields(ctx, schema, 0, person, &mut fields, &mut named);
    if fields.is_phi() {
        named.into_iter().collect()
    } else {
        Vec::new()
    }
}

/// Most nesting levels of `properties` followed.
const MAX_SCHEMA_DEPTH: usize = 6;

fn schema_fields(
    ctx: &Ctx,
    schema: &Value,
    depth: usize,
    person: bool,
    fields: &mut FieldPhi,
    named: &mut BTreeSet<PhiElement>,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return };
    for (name, sub) in props {
        let reference = sub.get("$ref").and_then(Value::as_str).unwrap_or_default();
        let target = reference.rsplit(['/', '#']).next().unwrap_or_default();
        let target = target.split('.').next().unwrap_or_default();
        let mut scan = ctx.catalog.scan_phi(&format!("{name} {target}"));
        if scan.mentions.is_empty() && person && matches!(name.as_str(), "name" | "names") {
            let e = PhiElement { kind: crate::catalog::PhiType::Name, name: name.clone() };
            fields.insert(e.clone(), false);
            named.insert(e);
            continue;
        }
        scan.patient_context |= person;
        fields.add(&scan);
        if let Some(kind) = scan.mentions.first().map(|m| m.kind) {
            named.insert(PhiElement { kind, name: name.clone() });
        }
        schema_fields(ctx, sub, depth + 1, person, fields, named);
        if let Some(items) = sub.get("items") {
            schema_fields(ctx, items, depth + 1, person, fields, named);
        }
    }
}

/// The root mapping of an API description (OpenAPI, AsyncAPI) written in JSON or YAML: the
/// first non-empty YAML document, or the JSON object.
pub(super) fn spec_root(ctx: &Ctx, format: Format) -> Result<Value, ExtractError> {
    let json = ctx.text.trim_start().starts_with('{');
    let root: Value = if json {
        serde_json::from_str(ctx.text).map_err(|e| ExtractError::malformed(format, e))?
    } else {
        let docs = yaml_documents(ctx.text, format)?;
        docs.into_iter().map(|(v, _)| v).find(|v| !v.is_null()).unwrap_or(Value::Null)
    };
    if !root.is_object() {
        return Err(ExtractError::malformed(format, "the document is not a mapping"));
    }
    Ok(root)
}

/// The service an API description describes: an entity named by `info.title`, declared at the
/// title's line; the component when there is no title.
pub(super) fn spec_service(ctx: &Ctx, root: &Value, lines: &Lines, out: &mut Facts) -> EntityRef {
    let title = root.pointer("/info/title").and_then(Value::as_str).map(str::trim);
    let Some(title) = title.filter(|t| !t.is_empty()) else {
        return ctx.component.clone();
    };
    let entity = EntityRef::new(title, EntityKind::Service);
    let line = lines.path(&["info", "title"], 1);
    out.push(Claim::Entity(entity.clone()), ctx.evidence(line, &format!("title: {title}")));
    entity
}

/// A JSON config, read like [`extract_config`].
pub fn extract_json_config(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let root: Value = serde_json::from_str(ctx.text)
        .map_err(|e| ExtractError::malformed(Format::JsonConfig, e))?;
    let lines = Lines::new(ctx.text);
    let mut walk = ConfigWalk::new(ctx, &lines);
    walk.walk(&root, &mut Vec::new(), 1, 1, 0);
    let notes = std::mem::take(&mut walk.notes);
    let mut out = walk.finish();
    schema_inventory(ctx, &root, &mut out);
    out.extend(prose_facts(ctx, &notes));
    Ok(out.finish())
}

/// Words of a key that say it is about logging.
const LOG_WORDS: &[&str] = &["log", "logs", "logging", "logged", "logger"];

/// Words of a key that say it is about message contents.
const BODY_WORDS: &[&str] =
    &["body", "bodies", "payload", "payloads", "prompt", "prompts", "completion", "completions"];

/// Walks a config tree keeping the key path.
struct ConfigWalk<'a, 'c> {
    ctx: &'a Ctx<'c>,
    lines: &'a Lines<'a>,
    out: Facts,
    notes: Vec<Note>,
    /// Test fixtures and mocks hold synthetic data: no transport or logging findings.
    fixture: bool,
    nodes: usize,
    /// Lines of settings that log message bodies outright (`log_request_body: true`).
    body_logging: Vec<(u32, String)>,
    /// Lines of a debug or trace log level.
    debug_level: Vec<(u32, String)>,
    /// Whether a logging setting names bodies or payloads.
    body_setting: bool,
}

impl<'a, 'c> ConfigWalk<'a, 'c> {
    fn new(ctx: &'a Ctx<'c>, lines: &'a Lines<'a>) -> Self {
        ConfigWalk {
            ctx,
            lines,
            out: Facts::default(),
            notes: Vec::new(),
            fixture: is_fixture_path(&ctx.artifact.path),
            nodes: 0,
            body_logging: Vec::new(),
            debug_level: Vec::new(),
            body_setting: false,
        }
    }

    /// Walk `value`, whose key is on line `parent` (for the document root: the line the
    /// document starts on). Its content is looked for from line `start` on; the line after the
    /// last one located is returned, where the next sibling is looked for.
    fn walk(
        &mut self,
        value: &Value,
        path: &mut Vec<String>,
        parent: u32,
        start: u32,
        depth: usize,
    ) -> u32 {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            return start;
        }
        match value {
            Value::Object(map) => {
                let mut cursor = start;
                for (key, child) in map {
                    let found = self.lines.child_at(key, parent, depth == 0, cursor);
                    let key_line = found.unwrap_or(parent);
                    if path.is_empty() {
                        self.vendor_key(key, key_line);
                    }
                    path.push(key.clone());
                    let next = self.walk(child, path, key_line, key_line + 1, depth + 1);
                    path.pop();
                    if found.is_some() {
                        cursor = next.max(key_line + 1);
                    }
                }
                cursor
            }
            Value::Array(items) => {
                let mut cursor = start;
                for item in items {
                    cursor = self.walk(item, path, parent, cursor, depth + 1);
                }
                cursor
            }
            Value::String(s) => self.leaf(path, s, parent, start),
            Value::Bool(b) => {
                self.flag(path, *b, parent);
                start
            }
            Value::Null | Value::Number(_) => start,
        }
    }

    /// A top-level key named after a vendor (`sentry:`, `parcelfax:`) configures it.
    fn vendor_key(&mut self, key: &str, line: u32) {
        if let Some(v) = vendor_named(self.ctx, key) {
            let vendor = vendor_entity(self.ctx, v);
            self.out.push(Claim::Entity(vendor), self.ctx.evidence(Some(line), &format!("{key}:")));
        }
    }

    /// A string value: returns where its siblings are looked for.
    fn leaf(&mut self, path: &[String], value: &str, parent: u32, start: u32) -> u32 {
        let Some(key) = path.last() else { return start };
        let first = value.lines().next().unwrap_or("");
        let (line, next) = if self.lines.text(parent).contains(first) {
            (parent, start)
        } else {
            match self.lines.containing(first, start) {
                Some(l) => (l, l + 1),
                None => (parent, start),
            }
        };
        self.value(path, key, value, line);
        next
    }

    fn value(&mut self, path: &[String], key: &str, value: &str, line: u32) {
        let lower = key.to_lowercase();
        if matches!(lower.as_str(), "description" | "summary" | "comment" | "note" | "notes") {
            self.notes.push(Note { line, text: value.to_string(), own_line: false });
            return;
        }
        if matches!(lower.as_str(), "provider" | "vendor") {
            if let Some(v) = vendor_named(self.ctx, value) {
                let vendor = vendor_entity(self.ctx, v);
                let excerpt = format!("{key}: {value}");
                self.out.push(Claim::Entity(vendor), self.ctx.evidence(Some(line), &excerpt));
            }
        }
        if let Some(url) = parse_url(value) {
            if let Some(v) = self.ctx.catalog.vendor_by_host(url.host) {
                let vendor = vendor_entity(self.ctx, v);
                let excerpt = format!("{key}: {}", url.host);
                self.out.push(Claim::Entity(vendor), self.ctx.evidence(Some(line), &excerpt));
            }
            if is_url_key(key) && !self.fixture {
                plaintext_url(self.ctx, &mut self.out, value, Some(line), key);
            }
        }
        self.log_setting(path, value, line);
    }

    fn flag(&mut self, path: &[String], on: bool, line: u32) {
        if on {
            self.log_setting(path, "true", line);
        }
    }

    /// Note settings that log bodies: a flag such as `log_request_body: true`, or a debug log
    /// level next to a logging setting that names bodies or payloads.
    fn log_setting(&mut self, path: &[String], value: &str, line: u32) {
        let Some(key) = path.last() else { return };
        let key_words: Vec<String> = identifier_words(key).into_iter().map(|t| t.word).collect();
        let under_log = path.iter().any(|k| has_word(k, LOG_WORDS));
        let key_logs = key_words.iter().any(|w| LOG_WORDS.contains(&w.as_str()));
        let key_body = key_words.iter().any(|w| BODY_WORDS.contains(&w.as_str()));
        let on = matches!(value.to_lowercase().as_str(), "true" | "yes" | "on" | "full" | "all");
        let excerpt = format!("{}: {value}", path.join("."));
        if on && key_body && (key_logs || under_log) {
            self.body_logging.push((line, excerpt));
            return;
        }
        let level = matches!(value.to_lowercase().as_str(), "debug" | "trace");
        if level && (key_logs || under_log) && key_words.iter().any(|w| w == "level") {
            self.debug_level.push((line, excerpt));
        } else if under_log && (key_body || has_word(value, BODY_WORDS)) && value != "false" {
            self.body_setting = true;
        }
    }

    fn finish(mut self) -> Facts {
        let phi = file_phi(self.ctx);
        if self.fixture || phi.is_empty() {
            return self.out;
        }
        let mut logging = std::mem::take(&mut self.body_logging);
        if self.body_setting {
            logging.append(&mut self.debug_level);
        }
        for (line, excerpt) in logging {
            let claim = Claim::Attr {
                subject: Target::Known(self.ctx.component.clone()),
                attr: Attr::LogsPhi,
                data: phi.clone(),
            };
            self.out.push(claim, self.ctx.evidence(Some(line), &excerpt));
        }
        self.out
    }
}

fn has_word(text: &str, set: &[&str]) -> bool {
    identifier_words(text).iter().any(|t| set.contains(&t.word.as_str()))
}

/// The vendor a config key or value names outright (`sentry`, `azure_openai`, `NewRelic`).
pub(super) fn vendor_named(ctx: &Ctx, name: &str) -> Option<usize> {
    let wanted = alnum(name);
    if wanted.is_empty() {
        return None;
    }
    ctx.catalog.vendors.iter().position(|v| {
        alnum(&v.id) == wanted
            || alnum(&v.name) == wanted
            || v.aliases.iter().any(|a| alnum(a) == wanted)
    })
}

fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Paths of test fixtures and mocks, whose data is synthetic by convention: a `test`, `tests`
/// or `testdata` folder, or any folder or file named for fixtures or mocks.
pub(super) fn is_fixture_path(path: &str) -> bool {
    path.to_lowercase().split('/').any(|part| {
        matches!(part, "test" | "tests" | "testdata" | "__tests__" | "__mocks__")
            || part.contains("fixture")
            || part.contains("mock")
    })
}

// ---------------------------------------------------------------------------------------------
// YAML reading
// ---------------------------------------------------------------------------------------------

/// Every document of a YAML stream as a JSON tree, with the line it starts on.
pub(super) fn yaml_documents(
    text: &str,
    format: Format,
) -> Result<Vec<(Value, u32)>, ExtractError> {
    check_alias_expansion(text, format)?;
    let starts = document_starts(text);
    let mut docs = Vec::new();
    // The iterator repeats a failure forever, so stop at the first error.
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let value = serde_yaml_ng::Value::deserialize(de)
            .map_err(|e| ExtractError::malformed(format, e))?;
        let start = starts.get(i).copied().unwrap_or(1);
        docs.push((yaml_to_json(value, 0), start));
    }
    Ok(docs)
}

/// Most bytes YAML aliases may expand a document to. The parser copies an anchored node for
/// every alias, so a few megabytes aliased a thousand times would take gigabytes; the parser's
/// own limit counts repetitions, not bytes.
const MAX_ALIAS_EXPANSION: usize = 256 * 1024 * 1024;

/// Refuse a document whose aliases could expand past [`MAX_ALIAS_EXPANSION`]: the bound is the
/// file's size times the number of aliases, which is generous for ordinary files (a few small
/// anchors) and catches the large-anchor bomb before any memory is spent.
fn check_alias_expansion(text: &str, format: Format) -> Result<(), ExtractError> {
    let bytes = text.as_bytes();
    let aliases = bytes
        .windows(2)
        .enumerate()
        .filter(|(i, w)| {
            w[0] == b'*'
                && (w[1].is_ascii_alphanumeric() || w[1] == b'_')
                && (*i == 0
                    || matches!(bytes[i - 1], b' ' | b'[' | b',' | b'{' | b'\n' | b'-' | b':'))
        })
        .count();
    if aliases > 0 && text.len().saturating_mul(aliases) > MAX_ALIAS_EXPANSION {
        return Err(ExtractError::malformed(
            format,
            format!(
                "{aliases} aliases in a {} KiB document could expand beyond {} MiB",
                text.len() / 1024,
                MAX_ALIAS_EXPANSION / (1024 * 1024)
            ),
        ));
    }
    Ok(())
}

/// The first line of each document: the text before the first `---` when it has content, then
/// each `---` line.
fn document_starts(text: &str) -> Vec<u32> {
    let mut starts = Vec::new();
    let mut content_before = false;
    let mut first_separator = true;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            if first_separator && content_before {
                starts.push(1);
            }
            first_separator = false;
            starts.push(i as u32 + 1);
            continue;
        }
        let trimmed = t.trim_start();
        if !trimmed.is_empty() && !trimmed.starts_with('#') && !trimmed.starts_with('%') {
            content_before = true;
        }
    }
    if first_separator && content_before {
        starts.push(1);
    }
    starts
}

/// A YAML value as JSON: keys become strings, tags are dropped.
fn yaml_to_json(value: serde_yaml_ng::Value, depth: usize) -> Value {
    use serde_yaml_ng::Value as Y;
    if depth > MAX_DEPTH {
        return Value::Null;
    }
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(|v| yaml_to_json(v, depth + 1)).collect())
        }
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    Y::Null => "null".to_string(),
                    _ => continue,
                };
                out.insert(key, yaml_to_json(v, depth + 1));
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value, depth + 1),
    }
}

/// A scalar as text (strings, numbers, booleans).
pub(super) fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The comments of a YAML file. Lines inside block scalars (`|`, `>`) are content, not
/// comments.
pub(super) fn yaml_comments(text: &str) -> Vec<Note> {
    let mut out = Vec::new();
    let mut block_indent: Option<usize> = None;
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if let Some(parent) = block_indent {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block_indent = None;
        }
        let hash = comment_start(line);
        if let Some(at) = hash {
            let text = line[at..].trim_start_matches('#').trim();
            if !text.is_empty() {
                let own_line = line[..at].trim().is_empty();
                out.push(Note { line: i as u32 + 1, text: text.to_string(), own_line });
            }
        }
        let code = hash.map_or(line, |at| &line[..at]).trim_end();
        let indicator = code.rsplit([' ', ':']).next().unwrap_or("");
        let before = code[..code.len() - indicator.len()].trim_end();
        let starts_block = (indicator.starts_with('|') || indicator.starts_with('>'))
            && indicator[1..].chars().all(|c| matches!(c, '-' | '+' | '1'..='9'))
            && (before.is_empty() || before.ends_with(':') || before.ends_with('-'));
        if starts_block {
            block_indent = Some(indent);
        }
    }
    out
}

/// Byte offset of the `#` that starts a comment on this YAML line, if any.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    let mut last_code = ' ';
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '#' && prev.is_whitespace() => return Some(i),
            None if c == '#' && i == 0 => return Some(i),
            None if (c == '"' || c == '\'')
                && matches!(last_code, ' ' | ':' | '-' | '[' | '{' | ',') =>
            {
                quote = Some(c)
            }
            None => {}
        }
        if !c.is_whitespace() {
            last_code = c;
        } else if quote.is_none() && last_code != ':' && last_code != '-' && last_code != ',' {
            last_code = ' ';
        }
        prev = c;
    }
    None
}

/// Finds the lines of keys and values again in the text.
pub(super) struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Lines { lines: text.lines().collect() }
    }

    fn from(&self, from: u32) -> impl Iterator<Item = (u32, &'a str)> + '_ {
        let skip = from.saturating_sub(1) as usize;
        self.lines.iter().enumerate().skip(skip).map(|(i, l)| (i as u32 + 1, *l))
    }

    /// The text of a 1-based line, trimmed.
    pub(super) fn text(&self, line: u32) -> &'a str {
        self.lines.get(line.saturating_sub(1) as usize).map_or("", |l| l.trim())
    }

    /// The first line at or after `from` that states `key` (`key:`, `"key":`, `- key:`).
    pub(super) fn key(&self, key: &str, from: u32) -> Option<u32> {
        self.from(from).find(|(_, l)| key_rest(l, key).is_some()).map(|(i, _)| i)
    }

    /// The line of `key` directly under the key on line `parent` (or, with `root`, at the top
    /// level of the document starting at `parent`); else the first line after `parent` that
    /// states it.
    pub(super) fn child(&self, key: &str, parent: u32, root: bool) -> Option<u32> {
        self.child_at(key, parent, root, 0).or_else(|| self.key(key, parent))
    }

    /// Like [`Lines::child`], looking only at lines from `start` on: siblings come in file
    /// order, so the next one is after the previous one.
    pub(super) fn child_from(&self, key: &str, parent: u32, start: u32) -> Option<u32> {
        self.child_at(key, parent, false, start).or_else(|| self.key(key, start.max(parent)))
    }

    /// The line of `key` directly under line `parent` (or at the top level of the document
    /// starting at `parent`, with `root`), at or after line `start`.
    pub(super) fn child_at(&self, key: &str, parent: u32, root: bool, start: u32) -> Option<u32> {
        let parent_indent = if root { None } else { Some(indent(self.text_raw(parent))) };
        let first = if root { parent } else { parent + 1 };
        let skip = |t: &str| t.is_empty() || t.starts_with('#') || matches!(t, "{" | "[" | "---");
        let (_, first_child) = self.from(first).find(|(_, l)| !skip(l.trim()))?;
        let child_indent = indent(first_child);
        for (i, line) in self.from(first.max(start)) {
            let t = line.trim();
            if root && t == "---" && i != parent {
                return None;
            }
            if skip(t) {
                continue;
            }
            let ind = indent(line);
            if let Some(p) = parent_indent {
                if ind < p || (ind == p && !t.starts_with('-')) {
                    return None;
                }
            }
            if root && ind < child_indent {
                return None;
            }
            if ind == child_indent && key_rest(line, key).is_some() {
                return Some(i);
            }
        }
        None
    }

    fn text_raw(&self, line: u32) -> &'a str {
        self.lines.get(line.saturating_sub(1) as usize).copied().unwrap_or("")
    }

    /// The line of a key path from the top of the document starting at `start`.
    pub(super) fn path(&self, keys: &[&str], start: u32) -> Option<u32> {
        let mut line = start;
        for (i, key) in keys.iter().enumerate() {
            line = self.child(key, line, i == 0)?;
        }
        Some(line)
    }

    /// The first line at or after `from` that states `key: value`.
    pub(super) fn key_value(&self, key: &str, value: &str, from: u32) -> Option<u32> {
        self.from(from)
            .find(|(_, l)| key_rest(l, key).is_some_and(|rest| unquote(rest) == value))
            .map(|(i, _)| i)
            .or_else(|| self.containing(value, from))
    }

    /// The first line at or after `from` whose item or key is `value` (`- db`, `db:`).
    pub(super) fn item(&self, value: &str, from: u32) -> Option<u32> {
        self.from(from)
            .find(|(_, l)| {
                let t = l.trim().trim_start_matches("- ").trim();
                unquote(t) == value || key_rest(l, value).is_some()
            })
            .map(|(i, _)| i)
    }

    /// The first line at or after `from` containing `needle`.
    pub(super) fn containing(&self, needle: &str, from: u32) -> Option<u32> {
        if needle.is_empty() {
            return None;
        }
        self.from(from).find(|(_, l)| l.contains(needle)).map(|(i, _)| i)
    }
}

/// Indentation of a line, counting `- ` sequence markers as indentation of what follows.
fn indent(line: &str) -> usize {
    let mut n = line.len() - line.trim_start().len();
    let mut t = line.trim_start();
    while let Some(rest) = t.strip_prefix("- ") {
        n += 2 + (rest.len() - rest.trim_start().len());
        t = rest.trim_start();
    }
    n
}

/// What follows `key:` on a line that states the key, trimmed of a trailing comment.
fn key_rest<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let mut t = line.trim_start();
    while let Some(rest) = t.strip_prefix("- ") {
        t = rest.trim_start();
    }
    let after = if let Some(rest) = t.strip_prefix(key) {
        rest
    } else {
        let quoted = t.strip_prefix('"').or_else(|| t.strip_prefix('\''))?;
        let rest = quoted.strip_prefix(key)?;
        rest.strip_prefix('"').or_else(|| rest.strip_prefix('\''))?
    };
    let after = after.trim_start().strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let value = comment_start(after).map_or(after, |at| &after[..at]);
    Some(value.trim().trim_end_matches(','))
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(s)
}

// ---------------------------------------------------------------------------------------------
// Shared by the structured extractors
// ---------------------------------------------------------------------------------------------

/// The facts of one artifact without repeats: a declaration or alias once per file, any other
/// claim once per line (the same claim on several lines is several pieces of evidence).
#[derive(Default)]
pub(super) struct Facts {
    facts: Vec<Fact>,
    seen: HashSet<(Claim, Option<u32>)>,
}

impl Facts {
    pub(super) fn push(&mut self, claim: Claim, evidence: Evidence) {
        let line = match claim {
            Claim::Entity(_) | Claim::Alias { .. } => None,
            _ => evidence.line,
        };
        if self.seen.insert((claim.clone(), line)) {
            self.facts.push(Fact { claim, evidence });
        }
    }

    /// Push a claim only the first time it is made, whatever the line.
    pub(super) fn push_once(&mut self, claim: Claim, evidence: Evidence) {
        if self.seen.insert((claim.clone(), None)) {
            self.facts.push(Fact { claim, evidence });
        }
    }

    /// An attribute of a known entity.
    pub(super) fn attr(
        &mut self,
        subject: &EntityRef,
        attr: Attr,
        data: Vec<PhiElement>,
        evidence: Evidence,
    ) {
        let claim = Claim::Attr { subject: Target::Known(subject.clone()), attr, data };
        self.push(claim, evidence);
    }

    pub(super) fn extend(&mut self, facts: Vec<Fact>) {
        for f in facts {
            self.push(f.claim, f.evidence);
        }
    }

    pub(super) fn finish(self) -> Vec<Fact> {
        self.facts
    }
}

/// The scheme and host of a URL that is the whole of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Url<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
}

/// Read `value` as a URL (`scheme://[user@]host[:port]/...`); `None` when it is not one or
/// its host is templated (`http://${var.host}/`).
pub(super) fn parse_url(value: &str) -> Option<Url<'_>> {
    let v = value.trim().trim_matches(|c| c == '"' || c == '\'');
    let (scheme, rest) = v.split_once("://")?;
    let scheme_ok = !scheme.is_empty()
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'));
    if !scheme_ok {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = host_port.split(':').next()?;
    let host_ok = !host.is_empty()
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    host_ok.then_some(Url { scheme, host })
}

/// Hosts that never leave the machine, the cluster or the private network: loopback, private
/// addresses, names without a dot, and cluster or LAN suffixes.
pub(super) fn is_local_host(host: &str) -> bool {
    let h = host.to_lowercase();
    let local_suffix =
        [".local", ".localhost", ".internal", ".svc", ".lan", ".home.arpa", ".localdomain"];
    if !h.contains('.') || h == "localhost" || local_suffix.iter().any(|s| h.ends_with(s)) {
        return true;
    }
    let octets: Vec<u8> = h.split('.').filter_map(|p| p.parse().ok()).collect();
    if octets.len() != 4 {
        return false;
    }
    matches!(
        (octets[0], octets[1]),
        (127, _) | (10, _) | (0, _) | (192, 168) | (169, 254) | (172, 16..=31)
    )
}

/// The endpoint a plaintext `http://` URL to an outside host reaches, named after the host's
/// first label (`http://fax-callback.bellwort.example/x` → `fax-callback`).
pub(super) fn plaintext_endpoint(value: &str) -> Option<(EntityRef, &str)> {
    let url = parse_url(value)?;
    if !url.scheme.eq_ignore_ascii_case("http") || is_local_host(url.host) {
        return None;
    }
    Some((EntityRef::new(first_label(url.host), EntityKind::Endpoint), url.host))
}

/// The first DNS label of a host; an IP address stays whole.
pub(super) fn first_label(host: &str) -> &str {
    if host.split('.').all(|p| p.chars().all(|c| c.is_ascii_digit())) {
        return host;
    }
    host.split('.').next().unwrap_or(host)
}

/// Keys whose values are addresses of something called.
pub(super) fn is_url_key(key: &str) -> bool {
    let k = key.to_lowercase();
    ["url", "uri", "endpoint", "callback", "webhook"].iter().any(|w| k.contains(w))
}

/// Plaintext on the endpoint `value` names, when it is an `http://` URL to an outside host,
/// with an alias for the full host name. The data is the PHI the file names.
pub(super) fn plaintext_url(ctx: &Ctx, out: &mut Facts, value: &str, line: Option<u32>, key: &str) {
    let Some((endpoint, host)) = plaintext_endpoint(value) else { return };
    let excerpt = format!("{key}: http://{host}");
    let alias = Claim::Alias { name: host.to_string(), of: endpoint.clone() };
    out.push(alias, ctx.evidence(line, &excerpt));
    out.attr(&endpoint, Attr::Plaintext, file_phi(ctx), ctx.evidence(line, &excerpt));
}

/// The catalog vendor as an entity.
pub(super) fn vendor_entity(ctx: &Ctx, vendor: usize) -> EntityRef {
    let v = &ctx.catalog.vendors[vendor];
    EntityRef::vendor(&v.id, &v.name)
}

/// PHI elements of mentions, one per type and term, sorted.
pub(super) fn phi_elements<'m>(
    mentions: impl IntoIterator<Item = &'m PhiMention>,
) -> Vec<PhiElement> {
    let set: BTreeSet<PhiElement> =
        mentions.into_iter().map(|m| PhiElement { kind: m.kind, name: m.term.clone() }).collect();
    set.into_iter().collect()
}

/// The PHI a whole file names, when what it names is PHI.
pub(super) fn file_phi(ctx: &Ctx) -> Vec<PhiElement> {
    scan_elements(&ctx.catalog.scan_phi(ctx.text))
}

/// The elements of a scan that is PHI; none otherwise.
pub(super) fn scan_elements(scan: &PhiScan) -> Vec<PhiElement> {
    if scan.is_phi() {
        phi_elements(&scan.mentions)
    } else {
        Vec::new()
    }
}

/// PHI named by the field names of one record (an API schema, a table, an operation's
/// parameters and bodies). Field names are read together: a health term counts when the
/// record also identifies someone or is about a person, an identifier when the record is about
/// a person or holds health information, and a strong identifier (MRN, SSN) always. A
/// `medications` list with no one's identifier in it is reference data, not PHI.
#[derive(Debug, Clone, Default)]
pub(super) struct FieldPhi {
    elements: BTreeSet<PhiElement>,
    strong: bool,
    health: bool,
    identifier: bool,
    context: bool,
}

impl FieldPhi {
    /// Add the terms of a field name (or any name read as fields).
    pub(super) fn add(&mut self, scan: &PhiScan) {
        for m in &scan.mentions {
            self.insert(PhiElement { kind: m.kind, name: m.term.clone() }, m.strong);
        }
        self.context |= scan.patient_context;
    }

    /// Add one element, strong when it identifies a patient by itself.
    pub(super) fn insert(&mut self, element: PhiElement, strong: bool) {
        self.strong |= strong;
        self.health |= element.kind.is_health();
        self.identifier |= !element.kind.is_health();
        self.elements.insert(element);
    }

    /// The record is about a person (`Patient`, `/patients/{id}`).
    pub(super) fn about_person(&mut self, yes: bool) {
        self.context |= yes;
    }

    pub(super) fn merge(&mut self, other: &FieldPhi) {
        self.elements.extend(other.elements.iter().cloned());
        self.strong |= other.strong;
        self.health |= other.health;
        self.identifier |= other.identifier;
        self.context |= other.context;
    }

    pub(super) fn is_phi(&self) -> bool {
        self.strong
            || (self.context && (self.health || self.identifier))
            || (self.health && self.identifier)
    }

    /// The elements, when the record is PHI.
    pub(super) fn data(&self) -> Vec<PhiElement> {
        if self.is_phi() {
            self.elements.iter().cloned().collect()
        } else {
            Vec::new()
        }
    }
}

/// Prose inside a structured file: a comment or a description, with its line.
#[derive(Debug, Clone)]
pub(super) struct Note {
    pub line: u32,
    pub text: String,
    /// A comment on a line of its own; consecutive ones form a paragraph.
    pub own_line: bool,
}

/// Most notes of one artifact read as prose.
const MAX_NOTES: usize = 5_000;

/// Read comments and descriptions as prose. Consecutive own-line comments form a paragraph
/// (sentences run across comment lines); each sentence becomes a block cited at the line it
/// starts on. The file's comments form one section, as a document without headings does: PHI
/// a header comment names ("lab result PDFs") frames the remarks below it.
pub(super) fn prose_facts(ctx: &Ctx, notes: &[Note]) -> Vec<Fact> {
    let notes = &notes[..notes.len().min(MAX_NOTES)];
    let mut builder = DocBuilder::new();
    let mut any = false;
    let mut i = 0;
    while i < notes.len() {
        let mut end = i + 1;
        if notes[i].own_line {
            while end < notes.len()
                && notes[end].own_line
                && notes[end].line == notes[end - 1].line + 1
            {
                end += 1;
            }
        }
        any |= push_paragraph(&mut builder, &notes[i..end]);
        i = end;
    }
    if !any {
        return Vec::new();
    }
    super::prose::analyze(ctx, &builder.finish())
}

fn push_paragraph(builder: &mut DocBuilder, notes: &[Note]) -> bool {
    let mut text = String::new();
    let mut starts: Vec<(usize, u32)> = Vec::new();
    for n in notes {
        if !text.is_empty() {
            text.push(' ');
        }
        starts.push((text.len(), n.line));
        text.push_str(n.text.trim());
    }
    let mut any = false;
    for (offset, sentence) in sentences(&text) {
        let at = offset + (sentence.len() - sentence.trim_start().len());
        let line = starts.iter().rev().find(|(o, _)| *o <= at).map(|(_, l)| *l);
        builder.block(BlockKind::Paragraph, sentence, line);
        any = true;
    }
    any
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::catalog::{Catalog, PhiType};
    use phiflow_pipeline::{ArtifactEvent, Source};

    /// Run `extract` on `text` as the artifact at `path`.
    pub(crate) fn run(
        path: &str,
        format: Format,
        text: &str,
        extract: fn(&Ctx) -> Result<Vec<Fact>, ExtractError>,
    ) -> Vec<Fact> {
        let catalog = Catalog::builtin();
        crate::extract::test_support::with_ctx(&catalog, path, format, text, |ctx| {
            extract(ctx).expect("extracts")
        })
    }

    /// The facts whose claim is an attribute `attr` of the entity named `name`, as
    /// (line, data types).
    pub(crate) fn attrs(
        facts: &[Fact],
        name: &str,
        attr: &Attr,
    ) -> Vec<(Option<u32>, Vec<PhiType>)> {
        facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Attr { subject: Target::Known(e), attr: a, data }
                    if e.name == name && a == attr =>
                {
                    Some((f.evidence.line, data.iter().map(|d| d.kind).collect()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn large_anchors_aliased_many_times_are_refused_before_expanding() {
        let big = "x".repeat(4 << 20);
        let text = format!("a: &a \"{big}\"\nb: [{}]\n", vec!["*a"; 100].join(","));
        let err = yaml_documents(&text, Format::YamlConfig).unwrap_err();
        assert!(err.to_string().contains("aliases"), "{err}");
        let small = "base: &b {x: 1}\none: *b\ntwo: *b\n";
        assert_eq!(yaml_documents(small, Format::YamlConfig).unwrap().len(), 1);
    }

    #[test]
    fn standalone_schema_fields_are_listed_as_written() {
        let text = "type: object\nproperties:\n  id:\n    $ref: NhsNumber.yaml\n  name:\n    type: array\n  birthDate:\n    $ref: BirthDate.yaml\n  gender:\n    type: string\n";
        let facts = run("schemas/Patient.yaml", Format::YamlConfig, text, extract_config);
        let names: Vec<String> = facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Attr { attr: Attr::HoldsPhi, data, .. } => Some(
                    data.iter()
                        .map(|d| format!("{}:{}", d.kind.as_str(), d.name))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(names, ["name:name", "date:birthDate", "mrn:id"]);
    }

    #[test]
    fn reference_data_schema_is_not_phi() {
        let text =
            "type: object\nproperties:\n  name:\n    type: string\n  dosage:\n    type: string\n";
        let facts = run("schemas/Medication.yaml", Format::YamlConfig, text, extract_config);
        assert!(!facts.iter().any(|f| matches!(f.claim, Claim::Attr { attr: Attr::HoldsPhi, .. })));
    }

    /// Names of declared entities of `kind`.
    pub(crate) fn entities(facts: &[Fact], kind: EntityKind) -> Vec<String> {
        facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Entity(e) if e.kind == kind => Some(e.name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Known-to-known flows as (from, to, line).
    pub(crate) fn flows(facts: &[Fact]) -> Vec<(String, String, Option<u32>)> {
        facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Flow { from: Target::Known(a), to: Target::Known(b), .. } => {
                    Some((a.name.clone(), b.name.clone(), f.evidence.line))
                }
                _ => None,
            })
            .collect()
    }

    const DEPLOYMENT: &str = "\
# Workers share one DB login.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: claims-sync
spec:
  template:
    spec:
      containers:
        - name: claims-sync
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: shared-db-login
                  key: DB_PASSWORD
            - name: SENTRY_DSN
              value: https://abc@o1.ingest.sentry.io/42
            - name: RESULTS_CALLBACK_URL
              value: http://results-hook.acme.example/cb
            - name: LOG_LEVEL
              value: debug
          envFrom:
            - secretRef:
                name: shared-db-login
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly-export
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: export
              envFrom:
                - secretRef:
                    name: shared-db-login
";

    #[test]
    fn kubernetes_workloads_use_secrets_and_vendors() {
        let facts = run("deploy/w.yaml", Format::Kubernetes, DEPLOYMENT, extract_kubernetes);
        assert_eq!(entities(&facts, EntityKind::Service), ["claims-sync"]);
        assert_eq!(entities(&facts, EntityKind::Job), ["nightly-export"]);
        assert_eq!(entities(&facts, EntityKind::Credential), ["shared-db-login"]);
        let secret = Attr::UsesCredential("shared-db-login".into());
        assert_eq!(attrs(&facts, "claims-sync", &secret), [(Some(15), vec![])]);
        assert_eq!(attrs(&facts, "nightly-export", &secret), [(Some(40), vec![])]);
        let flows = flows(&facts);
        assert_eq!(flows, [("claims-sync".into(), "Sentry".into(), Some(17))]);
        assert_eq!(attrs(&facts, "results-hook", &Attr::Plaintext), [(Some(19), vec![])]);
        let excerpts: Vec<&str> = facts.iter().map(|f| f.evidence.excerpt.as_str()).collect();
        assert!(!excerpts.iter().any(|e| e.contains("abc@")), "{excerpts:?}");
    }

    #[test]
    fn kubernetes_cronjob_secret_is_cited_in_its_own_document() {
        let facts = run("deploy/w.yaml", Format::Kubernetes, DEPLOYMENT, extract_kubernetes);
        let secret = Attr::UsesCredential("shared-db-login".into());
        let job = facts.iter().find(|f| {
            matches!(&f.claim, Claim::Attr { subject: Target::Known(e), attr, .. }
                if e.name == "nightly-export" && *attr == secret)
        });
        // The first `name: shared-db-login` of the second document, not of the first.
        assert!(job.is_some());
        let text = r#"apiVersion: v1
kind: Pod
metadata:
  name: a
spec:
  containers:
    - name: a
      envFrom:
        - secretRef:
            name: s1
---
apiVersion: v1
kind: Pod
metadata:
  name: b
spec:
  containers:
    - name: b
      envFrom:
        - secretRef:
            name: s1
"#;
        let facts = run("p.yaml", Format::Kubernetes, text, extract_kubernetes);
        let s1 = Attr::UsesCredential("s1".into());
        assert_eq!(attrs(&facts, "a", &s1), [(Some(10), vec![])]);
        assert_eq!(attrs(&facts, "b", &s1), [(Some(21), vec![])]);
    }

    #[test]
    fn kubernetes_ingress_without_tls_and_external_secret() {
        let text = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: portal
spec:
  rules:
    - host: portal-api.acme.example
      http: {}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: app-db
spec:
  target:
    name: app-db-creds
";
        let facts = run("k.yaml", Format::Kubernetes, text, extract_kubernetes);
        assert_eq!(attrs(&facts, "portal-api", &Attr::Plaintext), [(Some(7), vec![])]);
        let aliases: Vec<&str> = facts
            .iter()
            .filter_map(|f| match &f.claim {
                Claim::Alias { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(aliases, ["portal-api.acme.example", "app-db-creds"], "not the ingress name");
        assert_eq!(entities(&facts, EntityKind::Credential), ["app-db"]);
        assert!(facts.iter().any(|f| matches!(&f.claim,
            Claim::Alias { name, of } if name == "app-db-creds" && of.name == "app-db")));
    }

    #[test]
    fn config_map_values_are_read_as_prose() {
        let text = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: templates
data:
  email.txt: \"We email the full visit summary and lab results to Mailchimp.\"
";
        let facts = run("cm.yaml", Format::Kubernetes, text, extract_kubernetes);
        assert!(
            facts.iter().any(|f| matches!(&f.claim, Claim::Flow { to: Target::Known(v), .. }
                if v.name == "Mailchimp")
                && f.evidence.line == Some(6)),
            "{facts:#?}"
        );
    }

    #[test]
    fn malformed_yaml_is_an_error_not_a_panic() {
        let catalog = Catalog::builtin();
        let text = "kind: Deployment\nmetadata: [unclosed\n";
        let artifact = ArtifactEvent::new(Source::Files, "x.yaml", "default", text.into());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text,
            format: Format::Kubernetes,
            component: EntityRef::new("repo", EntityKind::Service),
        };
        assert!(matches!(extract_kubernetes(&ctx), Err(ExtractError::Malformed { .. })));
        assert!(matches!(extract_config(&ctx), Err(ExtractError::Malformed { .. })));
        let bomb = r#"a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: [*g, *g, *g, *g, *g, *g, *g, *g, *g]
"#;
        let artifact = ArtifactEvent::new(Source::Files, "bomb.yaml", "default", bomb.into());
        let ctx = Ctx { text: bomb, artifact: &artifact, ..ctx };
        // Alias expansion is bounded by the parser: an error or a bounded walk, never a hang.
        let _ = extract_config(&ctx);
    }

    const COMPOSE: &str = "\
services:
  api:
    build: .
    environment:
      DATABASE_URL: postgres://app:app@db:5432/app
      MIXPANEL_TOKEN: x
      PARTNER_WEBHOOK_URL: http://partner-hook.acme.example/in
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16-alpine
    environment:
      - POSTGRES_PASSWORD=app
";

    #[test]
    fn compose_services_dependencies_and_environment() {
        let facts = run("docker-compose.yml", Format::Compose, COMPOSE, extract_compose);
        assert_eq!(entities(&facts, EntityKind::Service), ["api"]);
        assert_eq!(entities(&facts, EntityKind::DataStore), ["db"]);
        let flows = flows(&facts);
        assert!(flows.contains(&("api".into(), "db".into(), Some(9))), "{flows:?}");
        assert!(flows.contains(&("api".into(), "Mixpanel".into(), Some(6))), "{flows:?}");
        assert_eq!(flows.iter().filter(|(_, to, _)| to == "db").count(), 1, "{flows:?}");
        assert_eq!(attrs(&facts, "partner-hook", &Attr::Plaintext), [(Some(7), vec![])]);
    }

    const CONFIG: &str = "\
# referral packet: patient name, DOB, MRN and the visit notes.
sentry:
  dsn: https://k@o1.ingest.sentry.io/1
partner:
  # switch to https once the cert is issued
  callback_url: http://fax-hook.acme.example/events
  api_url: https://api.partner.example/v2
logging:
  level: debug
  include: [headers, request_body]
";

    #[test]
    fn config_plaintext_callback_carries_the_files_phi() {
        let facts = run("config/prod.yaml", Format::YamlConfig, CONFIG, extract_config);
        let plain = attrs(&facts, "fax-hook", &Attr::Plaintext);
        assert_eq!(plain.len(), 1);
        assert_eq!(plain[0].0, Some(6));
        assert!(plain[0].1.contains(&PhiType::Mrn), "{plain:?}");
        assert!(entities(&facts, EntityKind::Vendor).contains(&"Sentry".to_string()));
        let logs = attrs(&facts, "repo", &Attr::LogsPhi);
        assert_eq!(logs.iter().map(|l| l.0).collect::<Vec<_>>(), [Some(9)]);
    }

    #[test]
    fn fixtures_yield_no_transport_or_logging_facts() {
        let facts = run("test/fixtures/prod.yaml", Format::YamlConfig, CONFIG, extract_config);
        assert!(attrs(&facts, "fax-hook", &Attr::Plaintext).is_empty());
        assert!(attrs(&facts, "repo", &Attr::LogsPhi).is_empty());
    }

    #[test]
    fn body_logging_flag_without_phi_in_the_file_is_nothing() {
        let text = "server:\n  log_request_body: true\n";
        let facts = run("config/app.yaml", Format::YamlConfig, text, extract_config);
        assert!(attrs(&facts, "repo", &Attr::LogsPhi).is_empty());
        let text = "# stores patient lab results\nserver:\n  log_request_body: true\n";
        let facts = run("config/app.yaml", Format::YamlConfig, text, extract_config);
        let logs = attrs(&facts, "repo", &Attr::LogsPhi);
        assert_eq!(logs.iter().map(|l| l.0).collect::<Vec<_>>(), [Some(3)]);
    }

    #[test]
    fn json_config_is_walked_like_yaml() {
        let text = r#"{
  "provider": "azure_openai",
  "notify": {
    "webhook_url": "http://hooks.acme.example/x"
  }
}
"#;
        let facts = run("settings.json", Format::JsonConfig, text, extract_json_config);
        assert_eq!(entities(&facts, EntityKind::Vendor), ["Azure OpenAI"]);
        assert_eq!(attrs(&facts, "hooks", &Attr::Plaintext), [(Some(4), vec![])]);
        let catalog = Catalog::builtin();
        let artifact = ArtifactEvent::new(Source::Files, "x.json", "default", "{".into());
        let ctx = Ctx {
            catalog: &catalog,
            artifact: &artifact,
            text: "{",
            format: Format::JsonConfig,
            component: EntityRef::new("repo", EntityKind::Service),
        };
        assert!(matches!(extract_json_config(&ctx), Err(ExtractError::Malformed { .. })));
    }

    #[test]
    fn comments_inside_block_scalars_are_content() {
        let notes =
            yaml_comments("a: |\n  # not a comment\n  text\nb: 1 # a comment\nc: 'x # y'\n");
        let texts: Vec<&str> = notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["a comment"]);
        assert_eq!(notes[0].line, 4);
    }

    #[test]
    fn urls_and_hosts() {
        assert_eq!(parse_url("http://u:p@db:5432/x").map(|u| u.host), Some("db"));
        assert!(parse_url("http://${var.host}/x").is_none());
        assert!(is_local_host("db") && is_local_host("10.1.2.3") && is_local_host("a.svc"));
        assert!(!is_local_host("fax-callback.bellwort.example"));
        let (e, _) = plaintext_endpoint("http://fax-callback.bellwort.example/x").unwrap();
        assert_eq!(e.name, "fax-callback");
        assert!(plaintext_endpoint("https://fax-callback.bellwort.example/x").is_none());
    }
}
