//! Who and where: user names and channel names from an export's top-level lists.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use tracing::debug;

use super::store::Export;
use crate::output::Output;
use crate::read::into_text;

/// Lists of users; `org_users.json` appears in Enterprise Grid exports.
const USER_FILES: &[&str] = &["users.json", "org_users.json"];

/// Lists of conversations whose folders are named after the conversation: public channels,
/// private channels, group DMs.
const NAMED_CHANNEL_FILES: &[&str] = &[super::CHANNELS_FILE, "groups.json", "mpims.json"];

/// Direct messages, whose folders are named by conversation id (DMs have no name).
const DM_FILE: &str = "dms.json";

/// A conversation as the export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Channel {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// Names for the ids that messages and markup refer to.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// User id to the name a person would recognize.
    pub(crate) users: HashMap<String, String>,
    /// Channel folder name to channel.
    pub(crate) folders: HashMap<String, Channel>,
    /// Channel id to channel name.
    pub(crate) channel_names: HashMap<String, String>,
    /// The workspace id, from the first user that names one.
    pub(crate) team: Option<String>,
}

#[derive(Deserialize)]
struct UserEntry {
    id: String,
    team_id: Option<String>,
    name: Option<String>,
    real_name: Option<String>,
    profile: Option<Profile>,
}

/// The naming part of a Slack user profile, as in `users.json` and in messages.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Profile {
    pub(crate) real_name: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) name: Option<String>,
}

#[derive(Deserialize)]
struct ChannelEntry {
    id: String,
    name: Option<String>,
}

impl Directory {
    /// Read the export's user and channel lists. A missing list leaves its names unknown; a
    /// list that cannot be read or parsed is reported as an error and read as empty.
    pub(crate) fn load(export: &mut Export, out: &mut Output<'_>) -> Directory {
        let mut directory = Directory::default();
        for file in USER_FILES {
            for user in read_list::<UserEntry>(export, file, out) {
                directory.add_user(user);
            }
        }
        for file in NAMED_CHANNEL_FILES {
            for channel in read_list::<ChannelEntry>(export, file, out) {
                let name = channel.name.unwrap_or_else(|| channel.id.clone());
                directory.add_channel(name.clone(), channel.id, name);
            }
        }
        for dm in read_list::<ChannelEntry>(export, DM_FILE, out) {
            directory.add_channel(dm.id.clone(), dm.id.clone(), dm.id);
        }
        debug!(
            users = directory.users.len(),
            channels = directory.folders.len(),
            "slack export directory loaded"
        );
        directory
    }

    /// The channel stored in `folder`. A folder no list names is taken as a channel whose id and
    /// name are the folder name, so its messages are still published.
    pub(crate) fn channel(&self, folder: &str) -> Channel {
        self.folders
            .get(folder)
            .cloned()
            .unwrap_or_else(|| Channel { id: folder.to_string(), name: folder.to_string() })
    }

    pub(crate) fn user_name(&self, id: &str) -> Option<&str> {
        self.users.get(id).map(String::as_str)
    }

    pub(crate) fn channel_name(&self, id: &str) -> Option<&str> {
        self.channel_names.get(id).map(String::as_str)
    }

    fn add_user(&mut self, user: UserEntry) {
        let profile = user.profile.unwrap_or_default();
        let name =
            first_name(&[&user.real_name, &profile.real_name, &profile.display_name, &user.name]);
        if let Some(name) = name {
            self.users.entry(user.id).or_insert_with(|| name.to_string());
        }
        if self.team.is_none() {
            self.team = user.team_id.filter(|t| !t.is_empty());
        }
    }

    fn add_channel(&mut self, folder: String, id: String, name: String) {
        self.channel_names.entry(id.clone()).or_insert_with(|| name.clone());
        self.folders.entry(folder).or_insert(Channel { id, name });
    }
}

/// The first candidate that is present and not blank.
pub(crate) fn first_name<'a>(candidates: &[&'a Option<String>]) -> Option<&'a str> {
    candidates.iter().filter_map(|c| c.as_deref()).map(str::trim).find(|name| !name.is_empty())
}

/// The entries of top-level list `file`, skipping entries of an unexpected shape.
fn read_list<T: serde::de::DeserializeOwned>(
    export: &mut Export,
    file: &str,
    out: &mut Output<'_>,
) -> Vec<T> {
    if !export.contains(file) {
        return Vec::new();
    }
    let path = export.display_path(file);

    let bytes = match export.read(file) {
        Ok(bytes) => bytes,
        Err(problem) => {
            out.error(&path, problem.reason());
            return Vec::new();
        }
    };
    let parsed = into_text(bytes)
        .ok_or_else(|| "not UTF-8 text".to_string())
        .and_then(|text| serde_json::from_str::<Vec<Value>>(&text).map_err(|e| e.to_string()));
    match parsed {
        Ok(values) => values.into_iter().filter_map(|v| serde_json::from_value(v).ok()).collect(),
        Err(err) => {
            out.error(&path, format!("invalid Slack export list: {err}"));
            Vec::new()
        }
    }
}
