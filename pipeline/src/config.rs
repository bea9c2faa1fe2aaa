//! The `phiflow.toml` configuration file.
//!
//! ```toml
//! [organization]
//! name = "Tern Harbor Medical Group"
//! baa_signed = ["aws"]
//!
//! [systems.portal]
//! name = "Patient portal"
//! paths = ["github/patient-portal-web/**", "slack/portal-web/**"]
//!
//! [sinks.amqp]
//! url = "amqp://phiflow@rabbit.internal:5672/%2f"   # or PHIFLOW_AMQP_URL
//! exchange = "phiflow.findings"
//! ```
//!
//! Every table rejects keys it does not know, and [`Config::validate`] reports every problem at
//! once rather than the first.
//!
//! # Environment
//!
//! [`Config::load`] applies these after reading the file, so secrets can stay out of it:
//!
//! - `PHIFLOW_AMQP_URL` replaces `sinks.amqp.url` when the file has a `[sinks.amqp]` table. It
//!   does not turn the sink on by itself. An empty value counts as unset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

/// The whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Who the organization is and which vendors it has a signed BAA with.
    #[serde(default)]
    pub organization: OrganizationConfig,
    /// Systems by id. Each maps a set of artifacts to one threat model. Artifacts that no system
    /// claims go to the system named `default`.
    #[serde(default)]
    pub systems: BTreeMap<String, SystemConfig>,
    /// Rules switched off and severities changed.
    #[serde(default)]
    pub rules: RulesConfig,
    /// The organization's own vendors, added to the built-in catalog (or replacing an entry of
    /// the same id).
    #[serde(default)]
    pub vendors: Vec<VendorConfig>,
    /// Extra PHI terms by element type, e.g. `mrn = ["harbor id"]`: words and field names the
    /// organization uses for PHI.
    #[serde(default)]
    pub phi_terms: BTreeMap<String, Vec<String>>,
    /// Where finding transitions are sent besides the report. No sink is on by default.
    #[serde(default)]
    pub sinks: SinksConfig,
}

/// `[rules]`: which rules run and how severe their findings are.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// Categories or rule ids that do not run, e.g. `["untagged_phi", "PF-UNDOC-001"]`.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// A fixed severity per category or rule id (`info`, `low`, `medium`, `high`, `critical`),
    /// replacing the severity the score gives.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

/// `[[vendors]]`: one vendor the built-in catalog lacks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorConfig {
    /// Lowercase id, as `baa_signed` names it.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Other names people write for it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One of the catalog's categories (analytics, session_replay, crash_reporting, email, sms,
    /// ai_api, cloud, fax, ...); decides which rules apply beyond disclosure.
    #[serde(default = "default_vendor_category")]
    pub category: String,
    /// SDK package names.
    #[serde(default)]
    pub packages: Vec<String>,
    /// Substrings of environment variable names that configure it.
    #[serde(default)]
    pub env: Vec<String>,
    /// Domains it serves.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Whose BAA covers it, by vendor id.
    #[serde(default)]
    pub parent: Option<String>,
}

fn default_vendor_category() -> String {
    "other".to_string()
}

/// The finding categories of DESIGN.md.
pub const CATEGORIES: &[&str] = &[
    "disclosure_no_baa",
    "tracking_technology",
    "telemetry_disclosure",
    "notification_disclosure",
    "minimum_necessary",
    "phi_in_logs",
    "phi_in_nonprod",
    "unscoped_access",
    "unauthenticated_endpoint",
    "shared_credentials",
    "missing_audit_log",
    "unencrypted_transport",
    "unencrypted_storage",
    "public_exposure",
    "untagged_phi",
    "missing_authorization",
    "reidentification_risk",
    "undocumented_flow",
    "design_drift",
    "sensitive_category",
];

/// The PHI element types of DESIGN.md.
pub const PHI_TYPES: &[&str] = &[
    "name",
    "geographic",
    "date",
    "phone",
    "fax",
    "email",
    "ssn",
    "mrn",
    "health_plan_id",
    "account_number",
    "license_number",
    "vehicle_id",
    "device_id",
    "url",
    "ip_address",
    "biometric",
    "photo",
    "other_unique_id",
    "diagnosis",
    "condition",
    "medication",
    "lab_result",
    "procedure",
    "clinical_note",
    "appointment",
    "claims",
    "genetic",
    "mental_health",
    "substance_use",
    "sexual_health",
    "reproductive",
];

const SEVERITIES: &[&str] = &["info", "low", "medium", "high", "critical"];

/// Whether `name` is a category or looks like a rule id (`PF-…`).
fn is_rule_name(name: &str) -> bool {
    CATEGORIES.contains(&name) || name.starts_with("PF-")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
    /// Display name, used in reports.
    #[serde(default = "default_org_name")]
    pub name: String,
    /// Vendors with a signed Business Associate Agreement, by catalog id or name (lowercase).
    /// A vendor's products are covered by the vendor's BAA: `microsoft` covers Azure OpenAI.
    #[serde(default)]
    pub baa_signed: Vec<String>,
}

impl Default for OrganizationConfig {
    fn default() -> Self {
        OrganizationConfig { name: default_org_name(), baa_signed: Vec::new() }
    }
}

fn default_org_name() -> String {
    "unnamed organization".to_string()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// Display name; the id is used when absent.
    #[serde(default)]
    pub name: Option<String>,
    /// Glob patterns over artifact paths (relative to the scanned root) that belong to this
    /// system, e.g. `github/patient-portal-web/**`.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid config file {path}:\n  - {}", problems.join("\n  - "))]
    Invalid { path: PathBuf, problems: Vec<String> },
}

/// Id of the system that receives artifacts no `[systems]` entry claims.
pub const DEFAULT_SYSTEM: &str = "default";

impl Config {
    /// Read, parse and validate a config file, with the environment overrides applied (see the
    /// module docs).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse_with_env(&text, path, &|name| std::env::var(name).ok())
    }

    /// Parse and validate config text, ignoring the environment; `path` is only used in error
    /// messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Self::parse_with_env(text, path, &|_| None)
    }

    /// [`Config::parse`], with the overrides that `env` (a variable lookup) holds.
    pub fn parse_with_env(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        let url_from_env = config.sinks.apply_env(env);
        config.validate(path, url_from_env)?;
        Ok(config)
    }

    fn validate(&self, path: &Path, url_from_env: bool) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if let Some(amqp) = &self.sinks.amqp {
            problems.extend(amqp.problems(url_from_env));
        }
        for (i, vendor) in self.organization.baa_signed.iter().enumerate() {
            if vendor.trim().is_empty() {
                problems.push(format!("organization.baa_signed[{i}] is empty"));
            }
        }
        for (id, system) in &self.systems {
            if id.trim().is_empty() || id.contains(char::is_whitespace) {
                problems.push(format!("systems.{id:?}: a system id must be one word"));
            }
            if system.paths.is_empty() {
                problems.push(format!("systems.{id}.paths is empty: the system gets no artifact"));
            }
            for pattern in &system.paths {
                if let Err(e) = Glob::new(pattern) {
                    problems.push(format!("systems.{id}.paths: bad pattern {pattern:?}: {e}"));
                }
            }
        }
        for name in &self.rules.disabled {
            if !is_rule_name(name) {
                problems
                    .push(format!("rules.disabled: {name:?} is neither a category nor a rule id"));
            }
        }
        for (name, severity) in &self.rules.severity {
            if !is_rule_name(name) {
                problems
                    .push(format!("rules.severity: {name:?} is neither a category nor a rule id"));
            }
            if !SEVERITIES.contains(&severity.as_str()) {
                problems.push(format!(
                    "rules.severity.{name}: {severity:?} is not one of {}",
                    SEVERITIES.join(", ")
                ));
            }
        }
        for (i, v) in self.vendors.iter().enumerate() {
            if v.id.trim().is_empty() || v.id.to_lowercase() != v.id {
                problems
                    .push(format!("vendors[{i}].id {:?} must be non-empty and lowercase", v.id));
            }
        }
        for kind in self.phi_terms.keys() {
            if !PHI_TYPES.contains(&kind.as_str()) {
                problems.push(format!(
                    "phi_terms.{kind}: not a PHI element type ({})",
                    PHI_TYPES.join(", ")
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid { path: path.to_path_buf(), problems })
        }
    }

    /// A matcher that maps artifact paths to system ids.
    pub fn system_router(&self) -> SystemRouter {
        let mut routes = Vec::new();
        for (id, system) in &self.systems {
            let mut builder = GlobSetBuilder::new();
            for pattern in &system.paths {
                if let Ok(glob) = Glob::new(pattern) {
                    builder.add(glob);
                }
            }
            if let Ok(set) = builder.build() {
                routes.push((id.clone(), set));
            }
        }
        SystemRouter { routes }
    }
}

/// `[sinks]`: optional destinations for finding transitions.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinksConfig {
    /// A RabbitMQ topic exchange. `phiflow scan --data-dir` publishes each transition of the scan
    /// to it, with routing key `finding.<severity>.<category>`, and waits for the broker to
    /// confirm each one.
    #[serde(default)]
    pub amqp: Option<AmqpSinkConfig>,
}

impl SinksConfig {
    /// Apply `PHIFLOW_AMQP_URL` from `env`; whether it replaced the URL.
    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> bool {
        let Some(amqp) = &mut self.amqp else { return false };
        match env(AMQP_URL_ENV).filter(|url| !url.trim().is_empty()) {
            Some(url) => {
                amqp.url = Some(url);
                true
            }
            None => false,
        }
    }
}

/// `[sinks.amqp]`: the RabbitMQ sink.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpSinkConfig {
    /// Broker URL, `amqp://USER:PASSWORD@HOST:PORT/VHOST`; the default virtual host `/` is
    /// written `%2f`. `PHIFLOW_AMQP_URL` overrides it, and one of the two must be set. Prefer the
    /// environment variable for a URL with a password; phiflow masks the password in every
    /// message it writes. Only `amqp://` is supported: TLS (`amqps://`) is not built in yet.
    #[serde(default)]
    pub url: Option<String>,
    /// The topic exchange to publish to. phiflow declares it (durable, not auto-deleted) when it
    /// is missing; an existing exchange of another type or durability is an error.
    #[serde(default = "default_amqp_exchange")]
    pub exchange: String,
}

/// The exchange finding transitions go to unless `sinks.amqp.exchange` names another.
pub const DEFAULT_AMQP_EXCHANGE: &str = "phiflow.findings";

/// The environment variable that overrides `sinks.amqp.url`.
pub const AMQP_URL_ENV: &str = "PHIFLOW_AMQP_URL";

fn default_amqp_exchange() -> String {
    DEFAULT_AMQP_EXCHANGE.to_string()
}

impl AmqpSinkConfig {
    /// A sink config for `url` and the default exchange.
    pub fn new(url: &str) -> Self {
        AmqpSinkConfig { url: Some(url.to_string()), exchange: default_amqp_exchange() }
    }

    /// Every problem with the table, named by key. The URL is quoted with its password masked.
    fn problems(&self, url_from_env: bool) -> Vec<String> {
        let mut problems = Vec::new();
        let key = if url_from_env { AMQP_URL_ENV } else { "sinks.amqp.url" };
        match &self.url {
            None => problems.push(format!(
                "sinks.amqp.url is not set: give it in the file or in {AMQP_URL_ENV}"
            )),
            Some(url) => {
                if let Err(reason) = crate::sink::BrokerUrl::parse(url) {
                    let url = crate::sink::redact_url(url);
                    problems.push(format!("{key}: {url} is not a usable broker URL: {reason}"));
                }
            }
        }
        let name = &self.exchange;
        if name.is_empty() {
            problems.push("sinks.amqp.exchange is empty".into());
        } else if name.len() > 255 {
            problems.push("sinks.amqp.exchange is longer than 255 bytes".into());
        } else if !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
            problems.push(format!(
                "sinks.amqp.exchange {name:?}: use letters, digits, '-', '_', '.' and ':' only"
            ));
        } else if name.starts_with("amq.") {
            problems.push(format!(
                "sinks.amqp.exchange {name:?}: names starting with \"amq.\" belong to the broker"
            ));
        }
        problems
    }
}

/// Shows the URL with its password masked: configs end up in debug logs.
impl std::fmt::Debug for AmqpSinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpSinkConfig")
            .field("url", &self.url.as_deref().map(crate::sink::redact_url))
            .field("exchange", &self.exchange)
            .finish()
    }
}

/// Maps an artifact path to the first system whose patterns match it.
pub struct SystemRouter {
    routes: Vec<(String, GlobSet)>,
}

impl SystemRouter {
    pub fn system_for(&self, path: &str) -> &str {
        self.routes
            .iter()
            .find(|(_, set)| set.is_match(path))
            .map(|(id, _)| id.as_str())
            .unwrap_or(DEFAULT_SYSTEM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("phiflow.toml"))
    }

    #[test]
    fn unknown_key_is_named_in_the_error() {
        let err = parse("[organization]\nname = \"x\"\nbaa_sigend = [\"aws\"]\n").unwrap_err();
        assert!(err.to_string().contains("baa_sigend"), "{err}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = parse("[systems.a]\npaths = []\n[systems.b]\npaths = [\"[\"]\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("systems.a.paths is empty"), "{text}");
        assert!(text.contains("systems.b.paths: bad pattern"), "{text}");
    }

    #[test]
    fn rule_vendor_and_term_settings_are_checked() {
        let cfg = parse("[rules]\ndisabled = [\"untagged_phi\"]\n[rules.severity]\nphi_in_logs = \"low\"\n[[vendors]]\nid = \"parcelfax\"\nname = \"Parcelfax\"\ncategory = \"fax\"\n[phi_terms]\nmrn = [\"harbor id\"]\n").unwrap();
        assert_eq!(cfg.vendors[0].name, "Parcelfax");
        let err = parse("[rules]\ndisabled = [\"nope\"]\n[rules.severity]\nphi_in_logs = \"huge\"\n[phi_terms]\nshoe_size = [\"x\"]\n").unwrap_err().to_string();
        assert!(
            err.contains("\"nope\"") && err.contains("huge") && err.contains("shoe_size"),
            "{err}"
        );
    }

    #[test]
    fn defaults_name_the_organization_even_without_a_file() {
        assert_eq!(Config::default().organization.name, "unnamed organization");
        assert_eq!(parse("").unwrap().organization.name, "unnamed organization");
    }

    #[test]
    fn the_amqp_sink_is_off_by_default_and_takes_its_url_from_the_environment() {
        assert!(parse("").unwrap().sinks.amqp.is_none());
        let env_url = "amqp://phiflow:from-env@mq.internal:5672/%2f";
        let env = |name: &str| (name == AMQP_URL_ENV).then(|| env_url.to_string());
        let path = Path::new("phiflow.toml");

        let cfg = Config::parse_with_env("[sinks.amqp]\n", path, &env).unwrap();
        let amqp = cfg.sinks.amqp.unwrap();
        assert_eq!(amqp.url.as_deref(), Some(env_url));
        assert_eq!(amqp.exchange, DEFAULT_AMQP_EXCHANGE);
        assert!(!format!("{amqp:?}").contains("from-env"), "Debug masks the password");

        let file = "[sinks.amqp]\nurl = \"amqp://mq.file/%2f\"\nexchange = \"risk\"\n";
        let cfg = Config::parse_with_env(file, path, &env).unwrap();
        assert_eq!(cfg.sinks.amqp.unwrap().url.as_deref(), Some(env_url), "env wins");
        assert!(Config::parse_with_env("", path, &env).unwrap().sinks.amqp.is_none());
    }

    #[test]
    fn amqp_sink_problems_are_reported_together_without_the_password() {
        let text = "[sinks.amqp]\nurl = \"amqps://u:hunter2@mq/\"\nexchange = \"amq.topic\"\n";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.contains("sinks.amqp.url: amqps://u:***@mq/"), "{err}");
        assert!(err.contains("not supported"), "{err}");
        assert!(err.contains("belong to the broker"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");

        let err = parse("[sinks.amqp]\nexchange = \"a b\"\n").unwrap_err().to_string();
        assert!(err.contains("sinks.amqp.url is not set"), "{err}");
        assert!(err.contains("letters, digits"), "{err}");
        let err = parse("[sinks.amqp]\nurl = \"amqp://h/\"\nexchnage = \"x\"\n").unwrap_err();
        assert!(err.to_string().contains("exchnage"), "{err}");
    }

    #[test]
    fn paths_route_to_systems_and_the_rest_to_default() {
        let cfg = parse("[systems.portal]\npaths = [\"github/portal/**\"]\n").unwrap();
        let router = cfg.system_router();
        assert_eq!(router.system_for("github/portal/src/a.ts"), "portal");
        assert_eq!(router.system_for("slack/general/2026-01-01.json"), DEFAULT_SYSTEM);
    }
}
