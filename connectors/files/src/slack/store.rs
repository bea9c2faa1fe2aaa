//! Where a Slack export's files live: a folder on disk, or the entries of a zip archive.
//!
//! Either way the export is seen as a set of names relative to the export's top folder (the one
//! holding `channels.json`), so the reader above does not care where the bytes come from.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;
use zip::ZipArchive;

use super::CHANNELS_FILE;
use crate::output::Output;
use crate::read::{read_limited, read_path, ReadProblem};

/// One Slack export, ready to be read file by file.
pub(crate) struct Export {
    store: Store,
    /// Names in the export, `/`-separated and relative to its top folder, sorted.
    names: Vec<String>,
    /// Path of the top folder relative to the scan root, the prefix of every reported path.
    base: String,
}

enum Store {
    Dir(PathBuf),
    /// The archive and, for each name, the index of its entry.
    Zip {
        archive: ZipArchive<File>,
        entries: BTreeMap<String, usize>,
    },
}

impl Export {
    /// The export in folder `dir`, found at `base` relative to the scan root.
    pub(crate) fn from_dir(dir: &Path, base: &str, out: &mut Output<'_>) -> Export {
        let mut names = Vec::new();
        let walk = WalkDir::new(dir).min_depth(1).sort_by_file_name().into_iter();
        for entry in walk.filter_entry(|e| !e.file_name().to_string_lossy().starts_with('.')) {
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                    let parts: Vec<_> = rel.iter().map(|p| p.to_string_lossy()).collect();
                    names.push(parts.join("/"));
                }
                Ok(_) => {}
                Err(err) => out.error(base, format!("cannot list Slack export: {err}")),
            }
        }
        Export { store: Store::Dir(dir.to_path_buf()), names, base: base.to_string() }
    }

    /// The export inside zip archive `path` (at `rel` relative to the scan root), or `None`
    /// when the archive holds no `channels.json` at its top or under a single top folder.
    pub(crate) fn from_zip(path: &Path, rel: &str) -> Result<Option<Export>, String> {
        let file = File::open(path).map_err(|err| format!("cannot read: {err}"))?;
        let archive =
            ZipArchive::new(file).map_err(|err| format!("cannot open zip archive: {err}"))?;

        let all = entry_names(&archive);
        let Some(top) = export_top(all.keys()) else {
            return Ok(None);
        };
        let entries: BTreeMap<String, usize> = all
            .into_iter()
            .filter_map(|(name, index)| Some((name.strip_prefix(&top)?.to_string(), index)))
            .collect();

        let base = format!("{rel}/{top}");
        let base = base.trim_end_matches('/').to_string();
        let names = entries.keys().cloned().collect();
        Ok(Some(Export { store: Store::Zip { archive, entries }, names, base }))
    }

    /// Every file name in the export, sorted.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.names.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }

    /// The path of export file `name` relative to the scan root, as reports and artifacts
    /// show it.
    pub(crate) fn display_path(&self, name: &str) -> String {
        if self.base.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.base)
        }
    }

    /// The prefix every path of this export starts with.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    /// The bytes of export file `name`, within the size limit.
    pub(crate) fn read(&mut self, name: &str) -> Result<Vec<u8>, ReadProblem> {
        match &mut self.store {
            Store::Dir(dir) => read_path(&dir.join(name)),
            Store::Zip { archive, entries } => {
                let missing = || io::Error::new(io::ErrorKind::NotFound, "no such zip entry");
                let index = *entries.get(name).ok_or_else(|| ReadProblem::Io(missing()))?;
                let entry =
                    archive.by_index(index).map_err(|e| ReadProblem::Io(io::Error::other(e)))?;
                let size = entry.size();
                read_limited(entry, size)
            }
        }
    }
}

/// File entries of the archive by `/`-separated name, leaving out directories, hidden files
/// and the `__MACOSX` folder that macOS adds to archives it creates.
fn entry_names(archive: &ZipArchive<File>) -> BTreeMap<String, usize> {
    let mut names = BTreeMap::new();
    for index in 0..archive.len() {
        let Some(Ok(name)) = archive.name_for_index(index) else {
            continue;
        };
        let name = name.replace('\\', "/");
        let noise = name.split('/').any(|p| p.starts_with('.') || p == "__MACOSX");
        if !name.ends_with('/') && !noise {
            names.insert(name, index);
        }
    }
    names
}

/// The folder prefix (`""` or `"top/"`) under which the archive holds `channels.json`,
/// preferring the archive's top level.
fn export_top<'a>(names: impl Iterator<Item = &'a String>) -> Option<String> {
    let mut best: Option<String> = None;
    for name in names {
        let Some(top) = name.strip_suffix(CHANNELS_FILE) else {
            continue;
        };
        let shape_ok = top.is_empty() || (top.ends_with('/') && top.matches('/').count() == 1);
        if shape_ok && best.as_ref().is_none_or(|b| top.len() < b.len()) {
            best = Some(top.to_string());
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_top_prefers_the_archive_root_and_refuses_deep_folders() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let top = |list: &[&str]| export_top(names(list).iter());
        assert_eq!(top(&["ws/channels.json", "channels.json"]), Some(String::new()));
        assert_eq!(top(&["ws/channels.json", "ws/users.json"]), Some("ws/".to_string()));
        assert_eq!(top(&["a/b/channels.json"]), None);
        assert_eq!(top(&["mychannels.json"]), None);
    }
}
