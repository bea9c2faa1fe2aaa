//! The parts of phiflow that every service shares: the artifact event that connectors publish,
//! the bus that carries events between connectors and the analyzer, and the configuration file.
//!
//! # Layout
//!
//! - [`event`]: [`ArtifactEvent`], the normalized unit of source content, and the CloudEvents
//!   envelope every event travels in.
//! - [`thread`]: the normalized chat thread that Slack sources (API or export) produce.
//! - [`bus`]: [`EmbeddedBus`], the in-process bus used by `phiflow scan` and `phiflow run`.
//! - [`config`]: [`Config`], the `phiflow.toml` file.
//! - [`sink`]: destinations outside the bus; [`sink::amqp`] (feature `amqp`) publishes to a
//!   RabbitMQ topic exchange with publisher confirms.
//!
//! ```
//! use phiflow_pipeline::{ArtifactEvent, EmbeddedBus, Source, topics};
//!
//! let bus = EmbeddedBus::new();
//! let rx = bus.subscribe(topics::ARTIFACTS);
//! let event = ArtifactEvent::new(Source::Files, "notes.md", "default", "# Notes".into());
//! bus.publish_artifact(&event).unwrap();
//! let got = rx.try_recv().unwrap();
//! assert_eq!(got.key, event.id);
//! ```

pub mod bus;
pub mod config;
pub mod event;
pub mod sink;
pub mod thread;

pub use bus::{EmbeddedBus, Envelope};
pub use config::{AmqpSinkConfig, Config, ConfigError, OrganizationConfig, SystemConfig};
pub use event::{ArtifactEvent, Source};
pub use thread::{ChatMessage, ChatThread};

/// Topic names, as DESIGN.md lays them out.
pub mod topics {
    /// Normalized artifact events, compacted by artifact id, partitioned by system.
    pub const ARTIFACTS: &str = "phiflow.artifacts.v1";
    /// Finding transitions, compacted by fingerprint.
    pub const FINDINGS: &str = "phiflow.findings.v1";
    /// The same transitions as OCSF Compliance Findings.
    pub const FINDINGS_OCSF: &str = "phiflow.findings.ocsf.v1";
    /// Model diffs.
    pub const MODEL: &str = "phiflow.model.v1";
    /// Audit records, append-only.
    pub const AUDIT: &str = "phiflow.audit.v1";
    /// Artifacts that could not be processed, with the error.
    pub const DEADLETTER: &str = "phiflow.deadletter.v1";
}

/// Errors shared by the pipeline's parts.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// An event could not be encoded for the bus.
    #[error("cannot encode event {key} for topic {topic}: {source}")]
    Encode {
        topic: String,
        key: String,
        #[source]
        source: serde_json::Error,
    },
    /// The bus has no consumer left for a topic that needs one.
    #[error("bus closed for topic {topic}")]
    Closed { topic: String },
}
