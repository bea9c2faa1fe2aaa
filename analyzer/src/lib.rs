//! phiflow's analyzer: reads artifact events, extracts facts about where PHI flows, keeps the
//! living threat model of each system, and evaluates HIPAA rules on it.
//!
//! # Layout
//!
//! - [`extract`]: one module per artifact format, from content to [`model::Fact`]s;
//! - [`catalog`]: the PHI vocabulary, vendor catalog and rule texts (data files in `catalog/`);
//! - [`model`]: facts per artifact, resolved into entities and flows;
//! - [`rules`]: the HIPAA rules and the score;
//! - [`findings`]: findings, fingerprints and severities;
//! - [`emit`]: the JSON report, table and Markdown;
//! - [`store`]: finding states, decisions and the audit trail across scans (SQLite embedded);
//! - [`Analyzer`]: the consumer that ties them together.
//!
//! ```
//! use phiflow_analyzer::Analyzer;
//! use phiflow_pipeline::{ArtifactEvent, Config, Source};
//!
//! let mut analyzer = Analyzer::new(Config::default());
//! let doc = "We send each patient's name, DOB and lab results to Mixpanel for funnels.";
//! analyzer.process(&ArtifactEvent::new(Source::Files, "design.md", "default", doc.into()));
//! let findings = analyzer.findings();
//! assert!(findings.iter().any(|f| f.category == "disclosure_no_baa"));
//! ```

pub mod analyzer;
pub mod catalog;
pub mod emit;
pub mod extract;
pub mod findings;
pub mod mask;
pub mod model;
pub mod rules;
pub mod store;
pub mod text;

pub use analyzer::{Analyzer, ArtifactRecord, Outcome, Status};
