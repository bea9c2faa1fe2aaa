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
