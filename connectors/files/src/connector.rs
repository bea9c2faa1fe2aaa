//! The walk over the scan root, and ordinary files as artifacts.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use phiflow_pipeline::config::SystemRouter;
use phiflow_pipeline::{ArtifactEvent, Source};
use tracing::debug;
use walkdir::{DirEntry, WalkDir};

use crate::output::Output;
use crate::read::{into_text, read_path, BINARY_REASON};
use crate::{slack, FilesError, ScanReport, SKIPPED_DIRS};

/// Reads a folder, a checkout, a Slack export or a single file as artifact events.
pub struct FilesConnector {
    root: PathBuf,
    router: SystemRouter,
}

impl FilesConnector {
    /// A connector for everything under `root` (a directory or one file), routing each artifact
    /// to a system by its path relative to `root`.
    pub fn new(root: &Path, router: SystemRouter) -> Self {
        FilesConnector { root: root.to_path_buf(), router }
    }

    /// The root this connector scans.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Walk the root in a fixed order (names sorted at every level) and hand each artifact to
    /// `publish`. Only a missing or unreadable root is an error; every problem with a single
    /// file is recorded in the report and the scan goes on.
    pub fn scan(&self, publish: &mut dyn FnMut(ArtifactEvent)) -> Result<ScanReport, FilesError> {
        let metadata = fs::metadata(&self.root).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => FilesError::RootMissing { path: self.root.clone() },
            _ => FilesError::Root { path: self.root.clone(), source },
        })?;
        let mut out = Output::new(&self.router, publish);

        if metadata.is_dir() {
            self.walk(&mut out);
        } else {
            let name = self.root.file_name().unwrap_or(self.root.as_os_str());
            scan_file(&self.root, &name.to_string_lossy(), &mut out);
        }

        let report = out.report;
        debug!(
            published = report.published,
            skipped = report.skipped.len(),
            errors = report.errors.len(),
            "files scan finished"
        );
        Ok(report)
    }

    fn walk(&self, out: &mut Output<'_>) {
        let mut entries = WalkDir::new(&self.root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| entry.depth() == 0 || !is_skipped_dir(entry));

        while let Some(entry) = entries.next() {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    let path = err.path().map(|p| self.relative(p)).unwrap_or_default();
                    out.error(&path, format!("cannot list: {err}"));
                    continue;
                }
            };
            let rel = self.relative(entry.path());

            if entry.file_type().is_dir() {
                // An export is read as a whole, so the walk must not also see its files.
                if slack::is_export_dir(entry.path()) {
                    slack::publish_dir(entry.path(), &rel, out);
                    entries.skip_current_dir();
                }
            } else if entry.path_is_symlink() {
                out.skip(&rel, "symbolic link, not followed");
            } else if !entry.file_type().is_file() {
                // Pipes, sockets and devices: opening a FIFO blocks until a writer appears.
                out.skip(&rel, "not a regular file (pipe, socket or device)");
            } else {
                scan_file(entry.path(), &rel, out);
            }
        }
    }

    /// `path` relative to the root, `/`-separated; empty for the root itself.
    fn relative(&self, path: &Path) -> String {
        let rel = path.strip_prefix(&self.root).unwrap_or(path);
        let parts: Vec<_> = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect();
        parts.join("/")
    }
}

/// Directories never entered: [`SKIPPED_DIRS`] and hidden directories other than `.github`.
fn is_skipped_dir(entry: &DirEntry) -> bool {
    if !entry.file_type().is_dir() {
        return false;
    }
    let name = entry.file_name().to_string_lossy();
    let hidden = name.starts_with('.') && name != ".github";
    hidden || SKIPPED_DIRS.contains(&name.as_ref())
}

/// Publish one file found by the walk (or given as the root) at relative path `rel`.
fn scan_file(path: &Path, rel: &str, out: &mut Output<'_>) {
    if is_zip(path) {
        slack::publish_zip(path, rel, out);
        return;
    }

    let bytes = match read_path(path) {
        Ok(bytes) => bytes,
        Err(problem) => return out.unread(rel, problem),
    };
    let Some(content) = into_text(bytes) else {
        return out.skip(rel, BINARY_REASON);
    };

    let system = out.system_for(rel);
    out.publish(ArtifactEvent::new(Source::Files, rel, system, content));
}

fn is_zip(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("zip"))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use phiflow_pipeline::Config;

    use super::*;
    use crate::{Skipped, MAX_FILE_SIZE};

    fn router(toml: &str) -> SystemRouter {
        Config::parse(toml, Path::new("phiflow.toml")).unwrap().system_router()
    }

    fn scan(root: &Path, toml: &str) -> (Vec<ArtifactEvent>, ScanReport) {
        let mut events = Vec::new();
        let connector = FilesConnector::new(root, router(toml));
        let report = connector.scan(&mut |event| events.push(event)).unwrap();
        (events, report)
    }

    fn write(root: &Path, rel: &str, bytes: &[u8]) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    fn paths(events: &[ArtifactEvent]) -> Vec<&str> {
        events.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn text_files_are_published_in_sorted_order_with_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b/notes.md", b"# Notes");
        write(dir.path(), "a.txt", b"hello");

        let (events, report) = scan(dir.path(), "");

        assert_eq!(paths(&events), ["a.txt", "b/notes.md"]);
        assert_eq!(report.published, 2);
        let notes = &events[1];
        assert_eq!(notes.id, "files:b/notes.md");
        assert_eq!(notes.source, Source::Files);
        assert_eq!(notes.content.as_deref(), Some("# Notes"));
        assert_eq!(notes.content_hash, phiflow_pipeline::event::content_hash(b"# Notes"));
    }

    #[test]
    fn each_file_goes_to_the_system_its_path_is_routed_to() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "github/portal/src/app.ts", b"x");
        write(dir.path(), "docs/other.md", b"y");

        let toml = "[systems.portal]\npaths = [\"github/portal/**\"]\n";
        let (events, _) = scan(dir.path(), toml);

        let systems: Vec<_> = events.iter().map(|e| (e.path.as_str(), e.system.as_str())).collect();
        assert_eq!(systems, [("docs/other.md", "default"), ("github/portal/src/app.ts", "portal")]);
    }

    #[test]
    fn hidden_and_dependency_dirs_are_skipped_but_github_and_hidden_files_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            ".git/config",
            ".cache/x.md",
            ".venv/lib.py",
            "node_modules/pkg/index.js",
            "target/debug/out.txt",
            "app/__pycache__/m.pyc",
        ] {
            write(dir.path(), rel, b"never read");
        }
        write(dir.path(), ".github/workflows/ci.yml", b"on: push");
        write(dir.path(), "app/.env.example", b"DATABASE_URL=");

        let (events, report) = scan(dir.path(), "");

        assert_eq!(paths(&events), [".github/workflows/ci.yml", "app/.env.example"]);
        assert!(report.skipped.is_empty() && report.errors.is_empty(), "{report:?}");
    }

    #[test]
    fn binary_and_oversize_files_are_skipped_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "logo.png", b"\x89PNG\r\n\x1a\n\0\0\0");
        write(dir.path(), "latin1.txt", b"caf\xe9");
        write(dir.path(), "big.log", &vec![b'a'; MAX_FILE_SIZE as usize + 1]);
        write(dir.path(), "ok.md", b"fine");

        let (events, report) = scan(dir.path(), "");

        assert_eq!(paths(&events), ["ok.md"]);
        let skipped: Vec<_> = report.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(skipped, ["big.log", "latin1.txt", "logo.png"]);
        assert_eq!(report.skipped[1].reason, "binary file");
        assert_eq!(report.skipped[2].reason, "binary file");
        assert!(report.skipped[0].reason.contains("size limit"), "{:?}", report.skipped[0]);
    }

    #[test]
    fn a_single_file_root_is_published_under_its_name() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "docs/design.md", b"# Design");

        let (events, _) = scan(&dir.path().join("docs/design.md"), "");

        assert_eq!(paths(&events), ["design.md"]);
    }

    #[test]
    fn a_missing_root_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let connector = FilesConnector::new(&missing, router(""));

        let err = connector.scan(&mut |_| {}).unwrap_err();

        assert!(matches!(err, FilesError::RootMissing { .. }), "{err:?}");
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "real.md", b"x");
        std::os::unix::fs::symlink(dir.path().join("real.md"), dir.path().join("link.md")).unwrap();

        let (events, report) = scan(dir.path(), "");

        assert_eq!(paths(&events), ["real.md"]);
        let expected =
            Skipped { path: "link.md".into(), reason: "symbolic link, not followed".into() };
        assert_eq!(report.skipped, [expected]);
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_file_is_an_error_and_the_scan_goes_on() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "locked.md", b"x");
        write(dir.path(), "open.md", b"y");
        let locked = dir.path().join("locked.md");
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&locked).is_ok() {
            return; // running as root: permissions do not stop reads
        }

        let (events, report) = scan(dir.path(), "");

        assert_eq!(paths(&events), ["open.md"]);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.errors[0].path, "locked.md");
    }
}
