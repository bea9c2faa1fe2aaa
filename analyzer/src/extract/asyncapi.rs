//! AsyncAPI 2.x and 3.x documents (YAML or JSON with a top-level `asyncapi` key): the
//! messages an application sends and receives, over which brokers.
//!
//! The application is named by `info.title`. Each channel is a queue entity named by its
//! address. An operation is a flow from the application to the channel when the application
//! sends (`action: send` in 3.x, `subscribe` in 2.x, whose verbs are named from the other
//! side) and from the channel to the application when it receives; its data is the PHI its
//! messages' payloads name (property names read together, local `$ref`s followed, Avro
//! `fields` too). A server whose protocol has no TLS (`http`, `ws`, `mqtt`, `amqp`, `kafka`,
//! `stomp` …, as opposed to `https`, `wss`, `mqtts`, `secure-mqtt`, `amqps`, `kafka-secure`,
//! `stomps`) on an outside host is plaintext, with the PHI of the channels it carries.
//! Comments and descriptions are read as prose.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::yaml::{
    first_label, is_local_host, prose_facts, yaml_comments, Facts, FieldPhi, Lines, Note,
};
use super::{Ctx, ExtractError, Format};
use crate::model::{Attr, Claim, EntityKind, EntityRef, Fact, PhiElement, Target};

/// Protocols that carry data without TLS.
const PLAIN_PROTOCOLS: &[&str] =
    &["http", "ws", "mqtt", "mqtt5", "amqp", "kafka", "stomp", "nats", "redis", "jms", "mercure"];

/// Deepest schema nesting followed.
const MAX_DEPTH: usize = 16;

/// Most schema nodes read per document.
const MAX_NODES: usize = 100_000;

/// Read one AsyncAPI document.
pub fn extract(ctx: &Ctx) -> Result<Vec<Fact>, ExtractError> {
    let json = ctx.text.trim_start().starts_with('{');
    let root = super::yaml::spec_root(ctx, Format::AsyncApi)?;
    let lines = Lines::new(ctx.text);
    let doc = Doc { ctx, root: &root, lines: &lines, nodes: std::cell::Cell::new(0) };
    let mut out = Facts::default();
    let app = doc.app(&mut out);
    let channels = doc.channels();
    for c in &channels {
        doc.channel_facts(&app, c, &mut out);
    }
    doc.servers(&channels, &mut out);

    let mut notes = if json { Vec::new() } else { yaml_comments(ctx.text) };
    notes.extend(channels.iter().filter_map(|c| c.description.clone()));
    notes.sort_by_key(|n| n.line);
    out.extend(prose_facts(ctx, &notes));
    Ok(out.finish())
}

/// One channel as read: its address, the PHI of what the application sends and receives on
/// it, and the servers it is bound to (none: every server).
struct Channel {
    entity: EntityRef,
    line: Option<u32>,
    sends: FieldPhi,
    receives: FieldPhi,
    sends_any: bool,
    receives_any: bool,
    servers: Vec<String>,
    description: Option<Note>,
}

impl Channel {
    fn data(&self) -> Vec<PhiElement> {
        let mut all = self.sends.clone();
        all.merge(&self.receives);
        all.data()
    }
}

struct Doc<'a, 'c> {
    ctx: &'a Ctx<'c>,
    root: &'a Value,
    lines: &'a Lines<'a>,
    nodes: std::cell::Cell<usize>,
}

impl Doc<'_, '_> {
    fn v3(&self) -> bool {
        let version = self.root.get("asyncapi").and_then(Value::as_str).unwrap_or("");
        version.starts_with('3')
    }

    /// The application, named by `info.title`; else the artifact's component.
    fn app(&self, out: &mut Facts) -> EntityRef {
        super::yaml::spec_service(self.ctx, self.root, self.lines, out)
    }

    fn channels(&self) -> Vec<Channel> {
        let Some(channels) = self.root.get("channels").and_then(Value::as_object) else {
            return Vec::new();
        };
        let top = self.lines.path(&["channels"], 1).unwrap_or(1);
        let mut previous = top;
        let mut out = Vec::new();
        for (key, item) in channels {
            let line = self.lines.child_from(key, top, previous);
            previous = line.unwrap_or(previous);
            let item = self.deref(item).unwrap_or(item);
            out.push(self.channel(key, item, line));
        }
        if self.v3() {
            self.operations(&mut out);
        }
        out
    }

    fn channel(&self, key: &str, item: &Value, line: Option<u32>) -> Channel {
        let address = item.get("address").and_then(Value::as_str).unwrap_or(key);
        let mut c = Channel {
            entity: EntityRef::new(address, EntityKind::Queue),
            line,
            sends: FieldPhi::default(),
            receives: FieldPhi::default(),
            sends_any: false,
            receives_any: false,
            servers: self.bound_servers(item),
            description: item.get("description").and_then(Value::as_str).map(|d| Note {
                line: line.unwrap_or(1),
                text: d.to_string(),
                own_line: false,
            }),
        };
        let person = self.ctx.catalog.scan_phi(address).patient_context;
        // 2.x: `subscribe` is what the application sends, `publish` what it receives.
        for (verb, sends) in [("subscribe", true), ("publish", false)] {
            let Some(op) = item.get(verb) else { continue };
            let mut found = self.messages(op.get("message"));
            found.about_person(person || self.about_person(op));
            self.record(&mut c, sends, found);
        }
        c
    }

    /// 3.x operations: `action: send|receive` on a channel `$ref`.
    fn operations(&self, channels: &mut [Channel]) {
        let Some(ops) = self.root.get("operations").and_then(Value::as_object) else { return };
        let keys: Vec<String> = self
            .root
            .get("channels")
            .and_then(Value::as_object)
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        for op in ops.values().filter_map(|o| self.deref(o)) {
            let reference = op.pointer("/channel/$ref").and_then(Value::as_str).unwrap_or("");
            let key = reference.rsplit('/').next().map(unescape_pointer).unwrap_or_default();
            let Some(i) = keys.iter().position(|k| *k == key) else { continue };
            let sends = op.get("action").and_then(Value::as_str) == Some("send");
            let channel_item = self.root.pointer(reference.trim_start_matches('#'));
            let messages = op.get("messages").or_else(|| channel_item?.get("messages"));
            let mut found = self.messages(messages);
            let address = channels[i].entity.name.clone();
            found.about_person(self.ctx.catalog.scan_phi(&address).patient_context);
            found.about_person(self.about_person(op));
            self.record(&mut channels[i], sends, found);
        }
    }

    fn record(&self, c: &mut Channel, sends: bool, found: FieldPhi) {
        if sends {
            c.sends.merge(&found);
            c.sends_any = true;
        } else {
            c.receives.merge(&found);
            c.receives_any = true;
        }
    }

    /// An operation's id, summary or name speaks about a person ("patientAdmitted").
    fn about_person(&self, op: &Value) -> bool {
        let words = ["operationId", "summary", "title", "name"]
            .map(|k| op.get(k).and_then(Value::as_str).unwrap_or(""))
            .join(" ");
        self.ctx.catalog.scan_phi(&words).patient_context
    }

    /// The PHI of a message, a `oneOf` of messages, a list (3.x operation) or a map (3.x
    /// channel) of them.
    fn messages(&self, messages: Option<&Value>) -> FieldPhi {
        let mut found = FieldPhi::default();
        let Some(messages) = messages else { return found };
        let list: Vec<&Value> = match messages {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) if o.contains_key("oneOf") => {
                o["oneOf"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
            }
            Value::Object(o) if o.contains_key("payload") || o.contains_key("$ref") => {
                vec![messages]
            }
            Value::Object(o) => o.values().collect(),
            _ => Vec::new(),
        };
        for m in list.into_iter().filter_map(|m| self.deref(m)) {
            found.about_person(self.about_person(m));
            if let Some(payload) = m.get("payload") {
                // 3.x multi-format schemas wrap the schema in `schema`.
                let schema =
                    payload.get("schema").filter(|_| payload.get("schemaFormat").is_some());
                found.merge(&self.schema(schema.unwrap_or(payload), 0, &mut HashSet::new()));
            }
            if let Some(headers) = m.get("headers") {
                found.merge(&self.schema(headers, 0, &mut HashSet::new()));
            }
        }
        found
    }

    /// Property names of a JSON Schema (or Avro record `fields`) and what it contains.
    fn schema(&self, schema: &Value, depth: usize, visiting: &mut HashSet<String>) -> FieldPhi {
        let mut found = FieldPhi::default();
        self.nodes.set(self.nodes.get() + 1);
        if depth > MAX_DEPTH || self.nodes.get() > MAX_NODES {
            return found;
        }
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or(r);
            found.about_person(self.ctx.catalog.scan_phi(name).patient_context);
            if visiting.insert(r.to_string()) {
                if let Some(target) = r.strip_prefix('#').and_then(|p| self.root.pointer(p)) {
                    found.merge(&self.schema(target, depth + 1, visiting));
                }
            }
            return found;
        }
        for (name, sub) in named_children(schema) {
            found.add(&self.ctx.catalog.scan_phi(name));
            found.merge(&self.schema(sub, depth + 1, visiting));
        }
        for key in ["items", "additionalProperties", "type"] {
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

    /// The names of the servers a channel is bound to: 2.x names, 3.x `$ref`s.
    fn bound_servers(&self, item: &Value) -> Vec<String> {
        let Some(list) = item.get("servers").and_then(Value::as_array) else { return Vec::new() };
        list.iter()
            .filter_map(|s| {
                let name = s.as_str().or_else(|| s.get("$ref").and_then(Value::as_str))?;
                Some(unescape_pointer(name.rsplit('/').next().unwrap_or(name)))
            })
            .collect()
    }

    /// Follow local `$ref`s of a non-schema object (message, channel, operation).
    fn deref<'v>(&'v self, mut value: &'v Value) -> Option<&'v Value> {
        for _ in 0..8 {
            let Some(r) = value.get("$ref").and_then(Value::as_str) else { return Some(value) };
            value = self.root.pointer(r.strip_prefix('#')?)?;
        }
        None
    }

    fn channel_facts(&self, app: &EntityRef, c: &Channel, out: &mut Facts) {
        let ev = |text: &str| self.ctx.evidence(c.line, text);
        out.push(Claim::Entity(c.entity.clone()), ev(&format!("channel {}", c.entity.name)));
        let flows = [(c.sends_any, true, &c.sends), (c.receives_any, false, &c.receives)];
        for (present, sends, found) in flows {
            if !present {
                continue;
            }
            let (from, to) = if sends { (app, &c.entity) } else { (&c.entity, app) };
            let verb = if sends { "sends to" } else { "receives from" };
            let claim = Claim::Flow {
                from: Target::Known(from.clone()),
                to: Target::Known(to.clone()),
                data: found.data(),
                full_record: false,
            };
            out.push(claim, ev(&format!("{} {verb} channel {}", app.name, c.entity.name)));
        }
        let data = c.data();
        if !data.is_empty() {
            let excerpt = format!("channel {}: messages carry PHI", c.entity.name);
            out.attr(&c.entity, Attr::HoldsPhi, data, ev(&excerpt));
        }
    }

    /// Plaintext servers, with the PHI of the channels bound to them.
    fn servers(&self, channels: &[Channel], out: &mut Facts) {
        let Some(servers) = self.root.get("servers").and_then(Value::as_object) else { return };
        let top = self.lines.path(&["servers"], 1).unwrap_or(1);
        for (name, server) in servers {
            let Some(server) = self.deref(server) else { continue };
            let Some((protocol, host)) = server_address(server) else { continue };
            let line = self.lines.child(name, top, false);
            if !PLAIN_PROTOCOLS.contains(&protocol.as_str()) || is_local_host(&host) {
                continue;
            }
            let data: BTreeSet<PhiElement> = channels
                .iter()
                .filter(|c| c.servers.is_empty() || c.servers.iter().any(|s| s == name))
                .flat_map(Channel::data)
                .collect();
            if data.is_empty() {
                continue;
            }
            let entity = EntityRef::new(first_label(&host), EntityKind::Endpoint);
            let excerpt = format!("server {name}: protocol {protocol}, host {host}");
            let alias = Claim::Alias { name: host.clone(), of: entity.clone() };
            out.push(alias, self.ctx.evidence(line, &excerpt));
            out.attr(
                &entity,
                Attr::Plaintext,
                data.into_iter().collect(),
                self.ctx.evidence(line, &excerpt),
            );
        }
    }
}

/// A schema's named children: JSON Schema `properties`, Avro record `fields`.
fn named_children(schema: &Value) -> Vec<(&str, &Value)> {
    let mut out: Vec<(&str, &Value)> = Vec::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.iter().map(|(k, v)| (k.as_str(), v)));
    }
    for field in schema.get("fields").and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = field.get("name").and_then(Value::as_str) {
            out.push((name, field));
        }
    }
    out
}

/// A server's protocol (lowercase) and host: 3.x `host`, 2.x `url` (whose scheme stands in
/// for a missing protocol).
fn server_address(server: &Value) -> Option<(String, String)> {
    let url = server.get("host").or_else(|| server.get("url")).and_then(Value::as_str)?;
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let protocol = server.get("protocol").and_then(Value::as_str).unwrap_or(scheme);
    let host = rest.split(['/', '?']).next()?.rsplit('@').next()?;
    let host = host.split(':').next()?.to_string();
    let templated = host.contains('{') || host.is_empty();
    (!templated).then(|| (protocol.to_lowercase(), host))
}

/// A JSON pointer segment as written (`~1` is `/`, `~0` is `~`).
fn unescape_pointer(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PhiType;
    use crate::extract::diagram::tests::{flows, run};
    use crate::extract::yaml::tests::attrs;

    const V2: &str = r#"asyncapi: 2.6.0
info:
  title: Vitals Service
servers:
  production:
    url: mqtt://broker.clinic.example:1883
    protocol: mqtt
  secure:
    url: broker.clinic.example:8883
    protocol: mqtts
channels:
  patients/{patientId}/vitals:
    description: Vitals streamed from bedside monitors.
    subscribe:
      message:
        $ref: '#/components/messages/Vitals'
  audit/events:
    publish:
      message:
        payload:
          type: object
          properties:
            action: {type: string}
components:
  messages:
    Vitals:
      payload:
        $ref: '#/components/schemas/Vitals'
  schemas:
    Vitals:
      type: object
      properties:
        mrn: {type: string}
        heartRate: {type: integer}
        bloodPressure: {type: string}
"#;

    fn facts(text: &str) -> Vec<Fact> {
        run("asyncapi.yaml", Format::AsyncApi, text, extract).unwrap()
    }

    #[test]
    fn v2_channels_flows_and_plaintext_broker() {
        let facts = facts(V2);
        let flows = flows(&facts);
        let vitals = ("Vitals Service".to_string(), "patients/{patientId}/vitals".to_string());
        let got = flows.iter().find(|f| (f.0.clone(), f.1.clone()) == vitals).expect("vitals");
        assert!(got.2.contains(&PhiType::Mrn) && got.2.contains(&PhiType::Condition), "{got:?}");
        assert_eq!(got.3, Some(12));
        assert!(flows.iter().any(|f| f.0 == "audit/events" && f.2.is_empty()), "{flows:?}");
        let plain = attrs(&facts, "broker", &Attr::Plaintext);
        assert_eq!(plain.len(), 1, "{facts:#?}");
        assert_eq!(plain[0].0, Some(5));
        assert!(plain[0].1.contains(&PhiType::Mrn));
    }

    #[test]
    fn v3_operations_and_secure_servers() {
        let text = r##"{
  "asyncapi": "3.0.0",
  "info": {"title": "Lab Results Relay"},
  "servers": {"prod": {"host": "kafka.lab.example:9093", "protocol": "kafka-secure"}},
  "channels": {
    "results": {
      "address": "lab.results.v1",
      "messages": {"result": {"$ref": "#/components/messages/Result"}}
    }
  },
  "operations": {
    "publishResult": {"action": "send", "channel": {"$ref": "#/channels/results"}}
  },
  "components": {"messages": {"Result": {"payload": {
    "type": "record", "name": "Result",
    "fields": [{"name": "patientName", "type": "string"}, {"name": "labResult", "type": "string"}]
  }}}}
}"##;
        let facts = facts(text);
        let flows = flows(&facts);
        assert_eq!(flows.len(), 1, "{flows:?}");
        assert_eq!(
            (flows[0].0.as_str(), flows[0].1.as_str()),
            ("Lab Results Relay", "lab.results.v1")
        );
        assert!(flows[0].2.contains(&PhiType::LabResult), "{flows:?}");
        assert!(attrs(&facts, "kafka", &Attr::Plaintext).is_empty());
    }

    #[test]
    fn malformed_documents_are_errors() {
        let err = run("a.yaml", Format::AsyncApi, "asyncapi: [", extract).unwrap_err();
        assert!(matches!(err, ExtractError::Malformed { .. }));
    }
}
