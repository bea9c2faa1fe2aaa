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
//! ```
//!
//! Every table rejects keys it does not know, and [`Config::validate`] reports every problem at
//! once rather than the first.

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
    /// Read, parse and validate a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::parse(&text, path)
    }

    /// Parse and validate config text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
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
    fn paths_route_to_systems_and_the_rest_to_default() {
        let cfg = parse("[systems.portal]\npaths = [\"github/portal/**\"]\n").unwrap();
        let router = cfg.system_router();
        assert_eq!(router.system_for("github/portal/src/a.ts"), "portal");
        assert_eq!(router.system_for("slack/general/2026-01-01.json"), DEFAULT_SYSTEM);
    }
}
