//! The files connector: turns a local folder, a repository checkout or a Slack workspace export
//! into artifact events, so `phiflow scan PATH` can analyze documents that live on disk.
//!
//! Like every phiflow connector it does transport work only. It decides what an artifact *is*
//! (one file, or one Slack thread), gives it a stable id, a revision and a system, and hands over
//! the content in its native format. It never reads meaning into that content.
//!
//! # What becomes an artifact
//!
//! - Every ordinary text file under the root becomes one [`ArtifactEvent`] with
//!   [`Source::Files`], its path relative to the root (`/`-separated) and the system the
//!   configured [`SystemRouter`] maps that path to.
//! - A Slack workspace export (a folder holding `channels.json`, or a `.zip` file whose entries
//!   hold one) is not published file by file. Each thread, parent and replies together, becomes
//!   one [`Source::Slack`] artifact, and the messages posted outside threads become one artifact
//!   per channel and day. Their content is a [`ChatThread`] serialized as JSON, with authors
//!   resolved to names and Slack markup decoded.
//! - Files that cannot be artifacts are listed in the [`ScanReport`] with the reason: binary
//!   files, files over [`MAX_FILE_SIZE`], symbolic links. Files that failed to read, and export
//!   files that failed to parse, are listed as errors; the scan always goes on.
//!
//! Directories named in [`SKIPPED_DIRS`] and every other hidden directory except `.github` are
//! never entered. Hidden *files*, such as `.env.example`, are read like any other.
//!
//! # Main types
//!
//! - [`FilesConnector`]: the root and the router; [`FilesConnector::scan`] walks the root.
//! - [`ScanReport`] and [`Skipped`]: what was published, skipped, or failed.
//! - [`FilesError`]: why a scan could not start at all.
//!
//! # Example
//!
//! ```no_run
//! use std::path::Path;
//!
//! use phiflow_connector_files::FilesConnector;
//! use phiflow_pipeline::{Config, EmbeddedBus};
//!
//! let config = Config::load(Path::new("phiflow.toml"))?;
//! let bus = EmbeddedBus::new();
//! let connector = FilesConnector::new(Path::new("docs"), config.system_router());
//! let report = connector.scan(&mut |event| {
//!     bus.publish_artifact(&event).expect("artifact encodes");
//! })?;
//! println!("{} published, {} skipped", report.published, report.skipped.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Layout
//!
//! - `connector`: the walk over the root and ordinary files.
//! - `read`: reading within [`MAX_FILE_SIZE`], and telling text from binary.
//! - `output`: the publish callback and the report a scan fills in.
//! - `slack`: Slack workspace exports, from a folder or a zip archive, assembled into threads
//!   (`store` for where the bytes are, `directory` for user and channel names, `day` for day
//!   files, `markup` for Slack's message markup).

use std::path::PathBuf;

use serde::Serialize;

mod connector;
mod output;
mod read;
mod slack;

pub use connector::FilesConnector;

#[cfg(doc)]
use phiflow_pipeline::{config::SystemRouter, ArtifactEvent, ChatThread, Source};

/// Largest file the connector reads, in bytes (5 MiB). Larger files are reported as skipped. The
/// same limit applies to each day file of a Slack export and to each entry of a zip archive,
/// counted after decompression, so a small archive cannot expand into an unbounded read.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// How many leading bytes of a file are searched for a NUL byte to tell binary files from text.
pub const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// Directory names that are never entered: version control, dependencies, build output and
/// caches. Every other directory whose name starts with `.` is skipped too, except `.github`.
pub const SKIPPED_DIRS: &[&str] = &[".git", "node_modules", "target", ".venv", "__pycache__"];

/// Why a scan could not start. Problems with single files never stop a scan; they are listed in
/// the [`ScanReport`] instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FilesError {
    /// The root given to the connector does not exist.
    #[error("scan root {path} does not exist")]
    RootMissing { path: PathBuf },
    /// The root exists but its metadata cannot be read (permissions, I/O).
    #[error("cannot read scan root {path}: {source}")]
    Root {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What one scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Artifact events handed to the publish callback.
    pub published: usize,
    /// Files deliberately not published, with the reason (binary, too large, …).
    pub skipped: Vec<Skipped>,
    /// Files that should have been published but could not be read or parsed.
    pub errors: Vec<Skipped>,
}

/// One file that was skipped or failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path relative to the scan root, `/`-separated; inside a zip archive,
    /// `<archive path>/<entry path>`.
    pub path: String,
    /// Why, in a short sentence a person can act on.
    pub reason: String,
}
