//! Slack workspace exports, read from a folder or a zip archive.
//!
//! An export has lists at its top (`channels.json`, `users.json`, …) and one folder per
//! conversation holding one file per day. A thread's replies are stored in the day they were
//! posted, which may be days after the parent, so a channel's day files are all read before any
//! of its threads is published. Channels are read one at a time to bound memory by the largest
//! channel, not the whole export.
//!
//! Each thread becomes one artifact with id `slack:<team>/<channel id>/<thread ts>`, matching the
//! ids the Slack API connector gives the same threads. Messages outside any thread become one
//! artifact per channel and day, `slack:<team>/<channel id>/day/<YYYY-MM-DD>`. The team is the
//! one the first message names, else the workspace of the user list, else `export`.

mod day;
mod directory;
mod markup;
mod store;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use phiflow_pipeline::event::CHAT_THREAD_MEDIA_TYPE;
use phiflow_pipeline::{ArtifactEvent, ChatMessage, ChatThread, Source};
use tracing::debug;

use self::day::{parse_day, Posted};
use self::directory::{Channel, Directory};
use self::store::Export;
use crate::output::Output;
use crate::read::into_text;

/// The file whose presence makes a folder (or an archive) a Slack export.
pub(crate) const CHANNELS_FILE: &str = "channels.json";

/// Team segment of artifact ids when the export names no workspace.
const UNKNOWN_TEAM: &str = "export";

const NOT_A_DAY_FILE: &str = "Slack export file that is not a channel day file";

pub(crate) fn is_export_dir(dir: &Path) -> bool {
    dir.join(CHANNELS_FILE).is_file()
}

/// Publish the export in folder `dir`, found at `rel` relative to the scan root.
pub(crate) fn publish_dir(dir: &Path, rel: &str, out: &mut Output<'_>) {
    let export = Export::from_dir(dir, rel, out);
    publish_export(export, out);
}

/// Publish the export inside zip archive `path`; an archive that holds none is skipped.
pub(crate) fn publish_zip(path: &Path, rel: &str, out: &mut Output<'_>) {
    match Export::from_zip(path, rel) {
        Ok(Some(export)) => publish_export(export, out),
        Ok(None) => out.skip(rel, "zip archive that holds no Slack export (no channels.json)"),
        Err(reason) => out.error(rel, reason),
    }
}

fn publish_export(mut export: Export, out: &mut Output<'_>) {
    let directory = Directory::load(&mut export, out);
    let (channels, strays) = layout(export.names());
    debug!(export = %export.base(), channels = channels.len(), "slack export found");

    for stray in strays {
        out.skip(&export.display_path(&stray), NOT_A_DAY_FILE);
    }
    for (folder, days) in channels {
        let channel = directory.channel(&folder);
        let posted = read_channel(&mut export, &directory, &days, out);
        for conversation in conversations(posted) {
            out.publish(artifact(&channel, conversation, &directory, out));
        }
    }
}

/// Day files by channel folder (each list sorted by name, hence by date), and the names that
/// are neither day files nor top-level lists.
fn layout(names: &[String]) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
    let mut channels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut strays = Vec::new();
    for name in names {
        match name.split('/').collect::<Vec<_>>()[..] {
            [list] if list.ends_with(".json") => {}
            [folder, file] if is_day_file_name(file) => {
                channels.entry(folder.to_string()).or_default().push(name.clone());
            }
            _ => strays.push(name.clone()),
        }
    }
    (channels, strays)
}

/// `YYYY-MM-DD.json`.
fn is_day_file_name(file: &str) -> bool {
    let Some(date) = file.strip_suffix(".json") else {
        return false;
    };
    date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// Every message in a channel's day files. A file that cannot be read or parsed is reported
/// and the others are still read.
fn read_channel(
    export: &mut Export,
    directory: &Directory,
    days: &[String],
    out: &mut Output<'_>,
) -> Vec<Posted> {
    let mut posted = Vec::new();
    for name in days {
        posted.extend(read_day(export, name, directory, out));
    }
    posted
}

fn read_day(
    export: &mut Export,
    name: &str,
    directory: &Directory,
    out: &mut Output<'_>,
) -> Vec<Posted> {
    let path = export.display_path(name);
    let bytes = match export.read(name) {
        Ok(bytes) => bytes,
        Err(problem) => {
            out.unread(&path, problem);
            return Vec::new();
        }
    };

    let parsed = into_text(bytes)
        .ok_or_else(|| "not UTF-8 text".to_string())
        .and_then(|text| parse_day(&text, &path, directory));
    parsed.unwrap_or_else(|why| {
        out.error(&path, format!("invalid Slack day file: {why}"));
        Vec::new()
    })
}

/// Which artifact a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Conversation {
    Thread(String),
    Day(String),
}

/// Messages grouped into threads and channel-days, each in `ts` order without duplicates, the
/// groups ordered by their first message.
fn conversations(posted: Vec<Posted>) -> Vec<(Conversation, Vec<Posted>)> {
    let mut groups: BTreeMap<Conversation, Vec<Posted>> = BTreeMap::new();
    for message in posted {
        let key = match &message.thread_ts {
            Some(ts) => Conversation::Thread(ts.clone()),
            None => Conversation::Day(day_of(message.message.file.as_deref().unwrap_or(""))),
        };
        groups.entry(key).or_default().push(message);
    }

    let mut groups: Vec<_> = groups.into_iter().collect();
    for (_, messages) in &mut groups {
        messages.sort_by(|a, b| ts_order(&a.message.ts).cmp(&ts_order(&b.message.ts)));
        messages.dedup_by(|a, b| a.message.ts == b.message.ts);
    }
    groups.sort_by(|(_, a), (_, b)| ts_order(&a[0].message.ts).cmp(&ts_order(&b[0].message.ts)));
    groups
}

/// The date of a day file path, `…/<YYYY-MM-DD>.json`.
fn day_of(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".json").unwrap_or(file).to_string()
}

/// Sort key of a Slack `ts` (`<seconds>.<microseconds>`): numeric, so `999.1` sorts before
/// `1000.0`; the raw text breaks ties and orders values that are not numbers.
fn ts_order(ts: &str) -> (u64, u64, &str) {
    let (secs, frac) = ts.split_once('.').unwrap_or((ts, ""));
    let secs = secs.parse().unwrap_or(u64::MAX);
    let frac = format!("{frac:0<9}").get(..9).and_then(|f| f.parse().ok()).unwrap_or(0);
    (secs, frac, ts)
}

fn artifact(
    channel: &Channel,
    (conversation, posted): (Conversation, Vec<Posted>),
    directory: &Directory,
    out: &Output<'_>,
) -> ArtifactEvent {
    let first = &posted[0];
    let team = first.team.clone().or_else(|| directory.team.clone());
    let team_segment = team.as_deref().unwrap_or(UNKNOWN_TEAM);
    let path = first.message.file.clone().unwrap_or_default();
    let (id, thread_ts) = match conversation {
        Conversation::Thread(ts) => (format!("slack:{team_segment}/{}/{ts}", channel.id), ts),
        Conversation::Day(date) => {
            let id = format!("slack:{team_segment}/{}/day/{date}", channel.id);
            (id, first.message.ts.clone())
        }
    };

    let messages: Vec<ChatMessage> = posted.into_iter().map(|p| p.message).collect();
    debug!(artifact_id = %id, messages = messages.len(), "slack conversation assembled");
    let thread = ChatThread {
        team,
        channel_id: channel.id.clone(),
        channel_name: channel.name.clone(),
        thread_ts,
        messages,
    };
    // A ChatThread is strings and lists only, which always serialize.
    let content = serde_json::to_string(&thread).expect("chat thread serializes");

    let mut event = ArtifactEvent::new(Source::Slack, &path, out.system_for(&path), content);
    event.id = id;
    event.title = Some(format!("#{}", channel.name));
    event.media_type = Some(CHAT_THREAD_MEDIA_TYPE.to_string());
    event
}
