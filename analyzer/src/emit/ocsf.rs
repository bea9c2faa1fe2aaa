//! Findings as OCSF Compliance Findings (class_uid 2003), the events of
//! `phiflow.findings.ocsf.v1` and of `phiflow scan --format ocsf`.
//!
//! phiflow targets OCSF 1.4.0 ([`OCSF_VERSION`]), the first release in which the Compliance
//! Finding class has `evidences` (added in 1.4.0) next to `resources` (added in 1.3.0, replacing
//! the deprecated `resource`), and phiflow needs both to say which documents a finding rests on
//! and which parties it is about.
//!
//! # Mapping
//!
//! - `activity_id` from the transition: Create (opened), Update (updated, reopened), Close
//!   (resolved, accepted, suppressed); `type_uid` = `class_uid * 100 + activity_id`;
//! - `severity_id`: info 1, low 2, medium 3, high 4, critical 5;
//! - `status_id`: New 1, Suppressed 3 (accepted or suppressed), Resolved 4;
//! - `finding_info`: `uid` = the fingerprint (stable across scans), `title`, `desc` = the
//!   reason, `types` = `[category]`, `analytic` = the rule (`type_id` 1, Rule);
//! - `compliance`: `standards ["HIPAA"]`, `requirements` = the CFR citations, `control` = the
//!   rule id;
//! - `evidences[]`, one per piece of evidence: `file` (name, path) and, in `data`, what OCSF
//!   has no attribute for: line, masked excerpt, artifact id, revision, source URI;
//! - `remediation.desc`; `resources[]`: the flow's two ends, or the subject, with their kind
//!   as `type`;
//! - `unmapped`: PHI element types, score and system.
//!
//! `compliance.status_id` is Fail (3) while the risk stands and Pass (1) once it is resolved.
//!
//! The class definition the events are checked against lives in [`conformance`], written out
//! from the OCSF sources so that tests compare the mapping with the standard, not with itself.
//!
//! ```
//! use phiflow_analyzer::emit::ocsf::{self, Transition};
//! use phiflow_analyzer::Analyzer;
//! use phiflow_pipeline::{ArtifactEvent, Config, Source};
//!
//! let mut analyzer = Analyzer::new(Config::default());
//! let doc = "We send each patient's name and lab results to Mixpanel.";
//! analyzer.process(&ArtifactEvent::new(Source::Files, "design.md", "default", doc.into()));
//! let finding = &analyzer.findings()[0];
//! let event = ocsf::event(finding, Transition::Opened, ocsf::Times::at(1_700_000_000_000));
//! assert_eq!(event["type_uid"], 200301);
//! assert!(ocsf::conformance::check(&event).is_empty());
//! ```

use serde_json::{json, Map, Value};

use crate::findings::{Finding, Party, Severity};

/// The OCSF schema version the events follow (`metadata.version`).
pub const OCSF_VERSION: &str = "1.4.0";
/// Compliance Finding.
pub const CLASS_UID: u32 = 2003;
pub const CLASS_NAME: &str = "Compliance Finding";
/// Findings.
pub const CATEGORY_UID: u32 = 2;
pub const CATEGORY_NAME: &str = "Findings";
/// `metadata.log_name`: the topic these events travel on.
pub const LOG_NAME: &str = phiflow_pipeline::topics::FINDINGS_OCSF;

/// `activity_id` of the Finding classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    Create,
    Update,
    Close,
}

impl Activity {
    pub const ALL: [Activity; 3] = [Activity::Create, Activity::Update, Activity::Close];

    pub fn id(self) -> u32 {
        match self {
            Activity::Create => 1,
            Activity::Update => 2,
            Activity::Close => 3,
        }
    }

    pub fn caption(self) -> &'static str {
        match self {
            Activity::Create => "Create",
            Activity::Update => "Update",
            Activity::Close => "Close",
        }
    }
}

/// `status_id` of the Finding classes: where the finding stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    New,
    InProgress,
    Suppressed,
    Resolved,
}

impl Status {
    pub fn id(self) -> u32 {
        match self {
            Status::New => 1,
            Status::InProgress => 2,
            Status::Suppressed => 3,
            Status::Resolved => 4,
        }
    }

    pub fn caption(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::InProgress => "In Progress",
            Status::Suppressed => "Suppressed",
            Status::Resolved => "Resolved",
        }
    }
}

/// A finding transition as DESIGN.md names them, with its OCSF activity and status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Opened,
    Updated,
    Reopened,
    Resolved,
    /// A person accepted the risk.
    Accepted,
    /// A person suppressed the finding as not a risk.
    Suppressed,
}

impl Transition {
    pub const ALL: [Transition; 6] = [
        Transition::Opened,
        Transition::Updated,
        Transition::Reopened,
        Transition::Resolved,
        Transition::Accepted,
        Transition::Suppressed,
    ];

    pub fn activity(self) -> Activity {
        match self {
            Transition::Opened => Activity::Create,
            Transition::Updated | Transition::Reopened => Activity::Update,
            Transition::Resolved | Transition::Accepted | Transition::Suppressed => Activity::Close,
        }
    }

    pub fn status(self) -> Status {
        match self {
            Transition::Opened | Transition::Updated | Transition::Reopened => Status::New,
            Transition::Resolved => Status::Resolved,
            Transition::Accepted | Transition::Suppressed => Status::Suppressed,
        }
    }
}

/// The two times an event carries, in milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Times {
    /// When this transition happened (`time`).
    pub time_ms: i64,
    /// When the finding was first seen (`finding_info.created_time`).
    pub created_ms: i64,
}

impl Times {
    /// A finding first seen now.
    pub fn at(time_ms: i64) -> Times {
        Times { time_ms, created_ms: time_ms }
    }

    /// The current time, for both.
    pub fn now() -> Times {
        Times::at(now_ms())
    }
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// `severity_id` and its caption.
pub fn severity(s: Severity) -> (u32, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// The Compliance Finding event for `transition` of `finding`.
pub fn event(finding: &Finding, transition: Transition, times: Times) -> Value {
    compliance_finding(finding, transition.activity(), transition.status(), times)
}

/// The Compliance Finding event for one activity of a finding, in a given review status.
pub fn compliance_finding(f: &Finding, activity: Activity, status: Status, t: Times) -> Value {
    let (severity_id, severity_name) = severity(f.severity);
    let type_uid = CLASS_UID * 100 + activity.id();

    let mut info = json!({
        "uid": f.fingerprint,
        "title": f.title,
        "desc": f.reason,
        "types": [f.category],
        "created_time": t.created_ms,
        "analytic": {"uid": f.rule_id, "name": f.category, "type_id": 1, "type": "Rule"},
    });
    if activity != Activity::Create {
        info["modified_time"] = json!(t.time_ms);
    }

    // A resolved risk no longer fails its control; an accepted one still does.
    let (check_id, check) = if status == Status::Resolved { (1, "Pass") } else { (3, "Fail") };

    json!({
        "activity_id": activity.id(),
        "activity_name": activity.caption(),
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": type_uid,
        "type_name": format!("{CLASS_NAME}: {}", activity.caption()),
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": status.id(),
        "status": status.caption(),
        "time": t.time_ms,
        "timezone_offset": 0,
        "message": f.title,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "phiflow",
                "vendor_name": "phiflow",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "uid": format!("{}-{}-{}", f.fingerprint, activity.id(), t.time_ms),
            "log_name": LOG_NAME,
        },
        "finding_info": info,
        "compliance": {
            "standards": ["HIPAA"],
            "requirements": f.cfr,
            "control": f.rule_id,
            "status_id": check_id,
            "status": check,
        },
        "evidences": evidences(f),
        "remediation": {"desc": f.remediation},
        "resources": resources(f),
        "unmapped": {
            "phi_types": f.phi,
            "score": f.score,
            "system": f.system,
        },
    })
}

/// One Create event per finding, as `phiflow scan --format ocsf` prints them.
pub fn scan_events(findings: &[Finding], times: Times) -> Vec<Value> {
    findings.iter().map(|f| event(f, Transition::Opened, times)).collect()
}

/// OCSF's `evidences` object has a `file` but no line or excerpt: those go in its `data`, the
/// attribute OCSF keeps for evidence that no other attribute describes.
fn evidences(f: &Finding) -> Vec<Value> {
    f.evidence
        .iter()
        .map(|e| {
            let path = &e.artifact.path;
            let name = path.rsplit('/').next().unwrap_or(path);
            let mut data = Map::new();
            data.insert("artifact_id".into(), json!(e.artifact.id));
            data.insert("revision".into(), json!(e.artifact.revision));
            if let Some(line) = e.location.line {
                data.insert("line".into(), json!(line));
            }
            if let Some(uri) = &e.artifact.uri {
                data.insert("uri".into(), json!(uri));
            }
            data.insert("excerpt".into(), json!(e.excerpt));
            json!({
                "file": {"name": name, "path": path, "type_id": 1, "type": "Regular File"},
                "data": data,
            })
        })
        .collect()
}

fn resources(f: &Finding) -> Vec<Value> {
    let resource =
        |p: &Party, role: &str| json!({"name": p.name, "type": p.kind.as_str(), "labels": [role]});
    match (&f.flow, &f.subject) {
        (Some(flow), _) => {
            vec![resource(&flow.from, "flow_source"), resource(&flow.to, "flow_destination")]
        }
        (None, Some(subject)) => vec![resource(subject, "subject")],
        (None, None) => Vec::new(),
    }
}

/// The Compliance Finding class of OCSF 1.4.0 as far as phiflow's events use it: which
/// attributes the class and its objects require and which they define, and the enums phiflow
/// sets. [`check`] lists every way an event departs from them.
///
/// Written out from the OCSF schema sources at v1.4.0 (github.com/ocsf/ocsf-schema):
/// `events/base_event.json`, `events/findings/finding.json`,
/// `events/findings/compliance_finding.json` (whose `evidences` attribute the 1.4.0 changelog
/// lists as added by ocsf-schema PR 1157), `objects/{metadata,product,_entity,finding_info,
/// analytic,compliance,evidences,file,remediation,resource_details,_resource}.json` and
/// `dictionary.json`, cross-checked with the compiled 1.4.0 schema that OCSF publishes for its
/// Python library (ocsf/ocsf-lib-py, `schema_cache/schema-1.4.0.json`). Attributes that only a
/// profile adds (cloud, datetime, host, osint, security_control, incident) are left out:
/// phiflow applies no profile, so they may not appear.
pub mod conformance {
    use serde_json::Value;

    /// Attributes the class requires (base event, Finding, Compliance Finding).
    pub const REQUIRED: &[&str] = &[
        "activity_id",
        "category_uid",
        "class_uid",
        "compliance",
        "finding_info",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
    ];

    /// Every attribute the class defines outside profiles.
    pub const ALLOWED: &[&str] = &[
        // base_event
        "activity_id",
        "activity_name",
        "category_name",
        "category_uid",
        "class_name",
        "class_uid",
        "count",
        "duration",
        "end_time",
        "enrichments",
        "message",
        "metadata",
        "observables",
        "raw_data",
        "severity",
        "severity_id",
        "start_time",
        "status",
        "status_code",
        "status_detail",
        "status_id",
        "time",
        "timezone_offset",
        "type_name",
        "type_uid",
        "unmapped",
        // finding
        "comment",
        "confidence",
        "confidence_id",
        "confidence_score",
        "device",
        "finding_info",
        "vendor_attributes",
        // compliance_finding
        "compliance",
        "evidences",
        "remediation",
        "resource",
        "resources",
    ];

    /// Defined but deprecated since 1.3.0 (use `resources`).
    pub const DEPRECATED: &[&str] = &["resource"];

    /// An object's required and defined attributes, and attributes of which at least one must
    /// be present.
    pub struct ObjectDef {
        pub name: &'static str,
        pub required: &'static [&'static str],
        pub allowed: &'static [&'static str],
        pub at_least_one: &'static [&'static str],
    }

    pub const METADATA: ObjectDef = ObjectDef {
        name: "metadata",
        required: &["product", "version"],
        allowed: &[
            "correlation_uid",
            "debug",
            "event_code",
            "extension",
            "extensions",
            "labels",
            "log_level",
            "log_name",
            "log_provider",
            "log_version",
            "logged_time",
            "loggers",
            "modified_time",
            "original_time",
            "processed_time",
            "product",
            "profiles",
            "sequence",
            "tags",
            "tenant_uid",
            "uid",
            "version",
        ],
        at_least_one: &[],
    };

    /// `product` extends `_entity`, which needs a name or a uid.
    pub const PRODUCT: ObjectDef = ObjectDef {
        name: "metadata.product",
        required: &[],
        allowed: &[
            "cpe_name",
            "feature",
            "lang",
            "name",
            "path",
            "uid",
            "url_string",
            "vendor_name",
            "version",
        ],
        at_least_one: &["name", "uid"],
    };

    pub const FINDING_INFO: ObjectDef = ObjectDef {
        name: "finding_info",
        required: &["uid"],
        allowed: &[
            "analytic",
            "attacks",
            "created_time",
            "data_sources",
            "desc",
            "first_seen_time",
            "kill_chain",
            "last_seen_time",
            "modified_time",
            "product",
            "product_uid",
            "related_analytics",
            "related_events",
            "related_events_count",
            "src_url",
            "tags",
            "title",
            "types",
            "uid",
            "uid_alt",
        ],
        at_least_one: &[],
    };

    /// `analytic` extends `_entity`.
    pub const ANALYTIC: ObjectDef = ObjectDef {
        name: "finding_info.analytic",
        required: &["type_id"],
        allowed: &["category", "desc", "name", "related_analytics", "type", "type_id", "uid"],
        at_least_one: &["name", "uid"],
    };

    pub const COMPLIANCE: ObjectDef = ObjectDef {
        name: "compliance",
        required: &["standards"],
        allowed: &[
            "compliance_references",
            "compliance_standards",
            "control",
            "control_parameters",
            "requirements",
            "standards",
            "status",
            "status_code",
            "status_detail",
            "status_details",
            "status_id",
        ],
        at_least_one: &[],
    };

    pub const EVIDENCES: ObjectDef = ObjectDef {
        name: "evidences[]",
        required: &[],
        allowed: &[
            "actor",
            "api",
            "connection_info",
            "container",
            "data",
            "database",
            "databucket",
            "device",
            "dst_endpoint",
            "email",
            "file",
            "http_request",
            "http_response",
            "ja4_fingerprint_list",
            "job",
            "process",
            "query",
            "script",
            "src_endpoint",
            "tls",
            "url",
            "user",
        ],
        at_least_one: &[
            "actor",
            "api",
            "connection_info",
            "data",
            "database",
            "databucket",
            "device",
            "dst_endpoint",
            "email",
            "file",
            "process",
            "query",
            "src_endpoint",
            "url",
            "user",
            "job",
            "script",
        ],
    };

    /// `file` extends `_entity`; phiflow sets none of its profile attributes.
    pub const FILE: ObjectDef = ObjectDef {
        name: "evidences[].file",
        required: &["name", "type_id"],
        allowed: &[
            "accessed_time",
            "accessor",
            "attributes",
            "company_name",
            "confidentiality",
            "confidentiality_id",
            "created_time",
            "creator",
            "desc",
            "drive_type",
            "drive_type_id",
            "encryption_details",
            "ext",
            "hashes",
            "internal_name",
            "is_deleted",
            "is_encrypted",
            "is_system",
            "mime_type",
            "modified_time",
            "modifier",
            "name",
            "owner",
            "parent_folder",
            "path",
            "product",
            "security_descriptor",
            "signature",
            "size",
            "tags",
            "type",
            "type_id",
            "uid",
            "url",
            "version",
            "xattributes",
        ],
        at_least_one: &["name", "uid"],
    };

    pub const REMEDIATION: ObjectDef = ObjectDef {
        name: "remediation",
        required: &["desc"],
        allowed: &["desc", "kb_article_list", "kb_articles", "references"],
        at_least_one: &[],
    };

    /// `resource_details` extends `_resource`, which extends `_entity`.
    pub const RESOURCE_DETAILS: ObjectDef = ObjectDef {
        name: "resources[]",
        required: &[],
        allowed: &[
            "agent_list",
            "criticality",
            "data",
            "group",
            "hostname",
            "ip",
            "labels",
            "name",
            "namespace",
            "owner",
            "tags",
            "type",
            "uid",
            "version",
        ],
        at_least_one: &["name", "uid"],
    };

    /// Every departure of `event` from the class: missing required attributes, attributes the
    /// class does not define, wrong enum values, and a `type_uid` that is not `class_uid * 100
    /// + activity_id`. Empty when the event conforms.
    pub fn check(event: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        let Some(obj) = event.as_object() else {
            return vec!["event is not a JSON object".into()];
        };
        for attr in REQUIRED {
            if obj.get(*attr).is_none_or(Value::is_null) {
                problems.push(format!("missing required attribute {attr}"));
            }
        }
        for key in obj.keys() {
            if !ALLOWED.contains(&key.as_str()) {
                problems.push(format!("attribute {key} is not defined by the class"));
            }
            if DEPRECATED.contains(&key.as_str()) {
                problems.push(format!("attribute {key} is deprecated"));
            }
        }
        check_enums(event, &mut problems);

        check_object(&event["metadata"], &METADATA, &mut problems);
        check_object(&event["metadata"]["product"], &PRODUCT, &mut problems);
        check_object(&event["finding_info"], &FINDING_INFO, &mut problems);
        if event["finding_info"].get("analytic").is_some() {
            check_object(&event["finding_info"]["analytic"], &ANALYTIC, &mut problems);
        }
        check_object(&event["compliance"], &COMPLIANCE, &mut problems);
        if event.get("remediation").is_some() {
            check_object(&event["remediation"], &REMEDIATION, &mut problems);
        }
        for e in array(event, "evidences", &mut problems) {
            check_object(e, &EVIDENCES, &mut problems);
            if e.get("file").is_some() {
                check_object(&e["file"], &FILE, &mut problems);
            }
        }
        for r in array(event, "resources", &mut problems) {
            check_object(r, &RESOURCE_DETAILS, &mut problems);
        }
        problems
    }

    fn check_enums(event: &Value, problems: &mut Vec<String>) {
        let int = |key: &str| event.get(key).and_then(Value::as_u64);
        let mut expect = |ok: bool, what: &str| {
            if !ok {
                problems.push(what.to_string());
            }
        };
        expect(int("class_uid") == Some(2003), "class_uid is not 2003");
        expect(int("category_uid") == Some(2), "category_uid is not 2 (Findings)");
        let activity = int("activity_id");
        expect(matches!(activity, Some(1..=3)), "activity_id is not 1, 2 or 3");
        let type_uid = activity.map(|a| 2003 * 100 + a);
        expect(int("type_uid") == type_uid, "type_uid is not class_uid * 100 + activity_id");
        let severity = int("severity_id");
        expect(matches!(severity, Some(0..=6 | 99)), "severity_id is outside 0-6 and 99");
        if event.get("status_id").is_some() {
            let status = int("status_id");
            expect(matches!(status, Some(0..=5 | 99)), "status_id is outside 0-5 and 99");
        }
        let time = event.get("time").and_then(Value::as_i64);
        expect(time.is_some(), "time is not an integer (milliseconds since the epoch)");
        let version = event.pointer("/metadata/version").and_then(Value::as_str);
        expect(version.is_some(), "metadata.version is not a string");
        let check = event.pointer("/compliance/status_id").and_then(Value::as_u64);
        expect(
            matches!(check, None | Some(1..=3)),
            "compliance.status_id is not 1 (Pass), 2 (Warning) or 3 (Fail)",
        );
        let standards = event.pointer("/compliance/standards").and_then(Value::as_array);
        expect(
            standards.is_some_and(|s| !s.is_empty() && s.iter().all(Value::is_string)),
            "compliance.standards is not a non-empty array of strings",
        );
        let file_types = event["evidences"].as_array().into_iter().flatten();
        for e in file_types.filter_map(|e| e.pointer("/file/type_id")) {
            let ok = matches!(e.as_u64(), Some(0..=7 | 99));
            expect(ok, "evidences[].file.type_id is outside 0-7 and 99");
        }
    }

    fn array<'a>(event: &'a Value, key: &str, problems: &mut Vec<String>) -> &'a [Value] {
        match event.get(key) {
            None => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                problems.push(format!("{key} is not an array"));
                &[]
            }
        }
    }

    fn check_object(value: &Value, def: &ObjectDef, problems: &mut Vec<String>) {
        let Some(obj) = value.as_object() else {
            problems.push(format!("{} is not an object", def.name));
            return;
        };
        for attr in def.required {
            if obj.get(*attr).is_none_or(Value::is_null) {
                problems.push(format!("{} lacks required attribute {attr}", def.name));
            }
        }
        for key in obj.keys() {
            if !def.allowed.contains(&key.as_str()) {
                problems.push(format!("{}.{key} is not defined by OCSF", def.name));
            }
        }
        if !def.at_least_one.is_empty() && !def.at_least_one.iter().any(|a| obj.contains_key(*a)) {
            problems.push(format!("{} needs one of {}", def.name, def.at_least_one.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::fixtures::finding;

    #[test]
    fn every_activity_and_transition_conforms_to_the_class() {
        let f = finding();
        let times = Times { time_ms: 1_800_000_000_123, created_ms: 1_790_000_000_000 };
        for activity in Activity::ALL {
            for status in [Status::New, Status::InProgress, Status::Suppressed, Status::Resolved] {
                let e = compliance_finding(&f, activity, status, times);
                let problems = conformance::check(&e);
                assert!(problems.is_empty(), "{activity:?}/{status:?}: {problems:#?}\n{e:#}");
                assert_eq!(e["type_uid"], 200300 + activity.id());
                assert_eq!(e["activity_id"], activity.id());
            }
        }
        for t in Transition::ALL {
            assert!(conformance::check(&event(&f, t, times)).is_empty(), "{t:?}");
        }
    }

    #[test]
    fn the_mapping_carries_the_finding() {
        let f = finding();
        let e = event(&f, Transition::Opened, Times::at(1_800_000_000_000));
        assert_eq!(e["class_uid"], 2003);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["severity_id"], 5);
        assert_eq!(e["status_id"], 1);
        assert_eq!(e["time"], 1_800_000_000_000_i64);
        assert_eq!(e["metadata"]["version"], OCSF_VERSION);
        assert_eq!(e["metadata"]["product"]["name"], "phiflow");
        assert_eq!(e["metadata"]["product"]["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(e["finding_info"]["uid"], f.fingerprint);
        assert_eq!(e["finding_info"]["desc"], f.reason);
        assert_eq!(e["finding_info"]["types"], json!(["disclosure_no_baa"]));
        assert_eq!(e["compliance"]["requirements"], json!(f.cfr));
        assert_eq!(e["compliance"]["control"], "PF-DISC-001");
        assert_eq!(e["compliance"]["standards"], json!(["HIPAA"]));
        assert_eq!(e["compliance"]["status_id"], 3);
        assert_eq!(e["remediation"]["desc"], f.remediation);
        assert_eq!(e["evidences"][0]["file"]["path"], "src/analytics/fullstory.ts");
        assert_eq!(e["evidences"][0]["file"]["name"], "fullstory.ts");
        assert_eq!(e["evidences"][0]["data"]["line"], 20);
        assert!(e["evidences"][1]["data"].get("line").is_none());
        assert_eq!(e["resources"][1]["name"], "FullStory");
        assert_eq!(e["resources"][1]["type"], "vendor");
        assert_eq!(e["unmapped"]["phi_types"], json!(["email", "lab_result"]));
        assert_eq!(e["unmapped"]["score"], 84);
    }

    #[test]
    fn transitions_set_activity_and_review_status() {
        let f = finding();
        let at = Times::at(1);
        let get = |t| {
            let e = event(&f, t, at);
            (
                e["activity_id"].as_u64(),
                e["status_id"].as_u64(),
                e["compliance"]["status_id"].clone(),
            )
        };
        assert_eq!(get(Transition::Opened), (Some(1), Some(1), json!(3)));
        assert_eq!(get(Transition::Reopened), (Some(2), Some(1), json!(3)));
        assert_eq!(get(Transition::Resolved), (Some(3), Some(4), json!(1)));
        assert_eq!(get(Transition::Accepted), (Some(3), Some(3), json!(3)));
        assert_eq!(get(Transition::Suppressed), (Some(3), Some(3), json!(3)));
    }

    #[test]
    fn severities_map_to_ocsf_ids() {
        let ids: Vec<u32> =
            [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
                .into_iter()
                .map(|s| severity(s).0)
                .collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
    }

    #[test]
    fn the_check_catches_departures() {
        let mut e = event(&finding(), Transition::Opened, Times::at(1));
        e["type_uid"] = json!(200302);
        e["resource"] = json!({"name": "x"});
        e.as_object_mut().unwrap().remove("metadata");
        e["evidences"][0]["line"] = json!(3);
        let problems = conformance::check(&e).join("\n");
        for expected in [
            "type_uid",
            "missing required attribute metadata",
            "resource is deprecated",
            "evidences[].line is not defined",
        ] {
            assert!(problems.contains(expected), "{expected} not in:\n{problems}");
        }
    }
}
