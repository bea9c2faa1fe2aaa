//! The artifact event: one Slack thread, Confluence page, Drive file or repository file, as a
//! connector saw it. Connectors do transport work only: identity, revision, provenance and the
//! content in its native format. They never interpret content.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Where an artifact came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Slack,
    Confluence,
    Gdrive,
    Github,
    /// A local folder, checkout or export read by the files connector.
    Files,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Slack => "slack",
            Source::Confluence => "confluence",
            Source::Gdrive => "gdrive",
            Source::Github => "github",
            Source::Files => "files",
        }
    }
}

/// The normalized unit every connector publishes on `phiflow.artifacts.v1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtifactEvent {
    /// Stable, source-scoped id: `slack:T…/C…/<thread_ts>`, `files:<path>`, …
    pub id: String,
    pub source: Source,
    /// The system this artifact is mapped to; the bus partitions by it.
    pub system: String,
    /// Path of the file relative to the scanned root (for exports: the file the content came
    /// from, e.g. the day file of a thread's first message).
    pub path: String,
    /// A link a person can open (permalink, page URL), when the source has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Source revision (page version, commit, file hash).
    pub revision: String,
    /// SHA-256 of the content, hex; equal hashes mean nothing changed.
    pub content_hash: String,
    /// How the content is encoded, when the connector knows better than the file name
    /// (`application/vnd.phiflow.chat-thread+json` for threads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The content in its native format; `None` is a tombstone (the artifact was deleted).
    pub content: Option<String>,
}

/// Media type of a [`crate::ChatThread`] serialized as JSON.
pub const CHAT_THREAD_MEDIA_TYPE: &str = "application/vnd.phiflow.chat-thread+json";

impl ArtifactEvent {
    /// An event for `content` read from `path`, with the revision taken from the content hash.
    pub fn new(source: Source, path: &str, system: &str, content: String) -> Self {
        let hash = content_hash(content.as_bytes());
        ArtifactEvent {
            id: format!("{}:{}", source.as_str(), path),
            source,
            system: system.to_string(),
            path: path.to_string(),
            uri: None,
            title: None,
            revision: hash[..12].to_string(),
            content_hash: hash,
            media_type: None,
            content: Some(content),
        }
    }

    /// A tombstone: the artifact `id` no longer exists at its source.
    pub fn tombstone(source: Source, id: &str, path: &str, system: &str) -> Self {
        ArtifactEvent {
            id: id.to_string(),
            source,
            system: system.to_string(),
            path: path.to_string(),
            uri: None,
            title: None,
            revision: "deleted".to_string(),
            content_hash: String::new(),
            media_type: None,
            content: None,
        }
    }

    pub fn is_tombstone(&self) -> bool {
        self.content.is_none()
    }
}

/// Hex SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
