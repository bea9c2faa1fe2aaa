//! One day file of a Slack export: `<channel folder>/<YYYY-MM-DD>.json`, a JSON array of the
//! messages posted in that channel that day, replies included.

use phiflow_pipeline::ChatMessage;
use serde::Deserialize;
use serde_json::Value;

use super::directory::{first_name, Directory, Profile};
use super::markup::decode;

/// Message subtypes that carry no words anyone wrote.
const NOISE_SUBTYPES: &[&str] = &["channel_join", "channel_leave"];

/// A message ready to be placed in a thread or a channel-day.
#[derive(Debug, Clone)]
pub(crate) struct Posted {
    pub(crate) message: ChatMessage,
    /// The thread the message belongs to: its own `ts` for a parent, the parent's for a reply.
    pub(crate) thread_ts: Option<String>,
    /// The workspace the message was posted in, when the export says.
    pub(crate) team: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    ts: String,
    text: Option<String>,
    thread_ts: Option<String>,
    subtype: Option<String>,
    user: Option<String>,
    username: Option<String>,
    bot_id: Option<String>,
    team: Option<String>,
    user_profile: Option<Profile>,
}

/// The messages in day file text `text`, which is reported as `file`. Elements that are not
/// messages, have no `text`, or only record someone joining or leaving are left out.
pub(crate) fn parse_day(
    text: &str,
    file: &str,
    directory: &Directory,
) -> Result<Vec<Posted>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let elements = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(elements)) => elements,
        Ok(_) => return Err("not a JSON array of messages".to_string()),
        Err(err) => return Err(err.to_string()),
    };
    let lines = ts_lines(text);

    let posted = elements.into_iter().enumerate().filter_map(|(i, element)| {
        let raw: RawMessage = serde_json::from_value(element).ok()?;
        let line = lines.get(i).copied().flatten();
        posted(raw, file, line, directory)
    });
    Ok(posted.collect())
}

fn posted(raw: RawMessage, file: &str, line: Option<u32>, dir: &Directory) -> Option<Posted> {
    if raw.subtype.as_deref().is_some_and(|s| NOISE_SUBTYPES.contains(&s)) {
        return None;
    }
    let text = raw.text.as_deref()?;

    let message = ChatMessage {
        ts: raw.ts.clone(),
        author: author(&raw, dir),
        text: decode(text, dir),
        file: Some(file.to_string()),
        line,
    };
    let thread_ts = raw.thread_ts.filter(|ts| !ts.is_empty());
    let team = raw.team.filter(|team| !team.is_empty());
    Some(Posted { message, thread_ts, team })
}

/// The author's name: from the export's user list, else from the profile copied into the
/// message, else the bot's user name, else the raw id.
fn author(raw: &RawMessage, directory: &Directory) -> String {
    if let Some(name) = raw.user.as_deref().and_then(|id| directory.user_name(id)) {
        return name.to_string();
    }
    let profile = raw.user_profile.as_ref();
    let from_message = first_name(&[
        profile.map_or(&None, |p| &p.real_name),
        profile.map_or(&None, |p| &p.display_name),
        profile.map_or(&None, |p| &p.name),
        &raw.username,
    ]);
    let id = raw.user.as_deref().or(raw.bot_id.as_deref());
    from_message.or(id).unwrap_or("unknown").to_string()
}

/// For each element of the top-level JSON array in `text`, the 1-based line of the element's
/// own `"ts"` key, if it has one.
///
/// Searching the text for `"ts": "<value>"` would not do: a parent message lists its replies'
/// `ts` values before the replies themselves appear. So this walks the JSON structure (strings,
/// brackets, commas) and only looks at keys directly inside a top-level element. The text has
/// already parsed as JSON, so the walk can trust its shape.
fn ts_lines(text: &str) -> Vec<Option<u32>> {
    let mut scan = Scan::default();
    for byte in text.bytes() {
        scan.step(byte);
    }
    scan.lines
}

#[derive(Default)]
struct Scan {
    lines: Vec<Option<u32>>,
    /// Current line, 0-based.
    line: u32,
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Bytes of the string being read, when it may be a key of a top-level element.
    key: Option<Vec<u8>>,
    /// Line of a just-closed `"ts"` string, until the next byte shows whether it was a key.
    ts_candidate: Option<u32>,
    /// Inside the top-level array, waiting for the next element to start.
    expect_element: bool,
}

impl Scan {
    fn step(&mut self, byte: u8) {
        if self.in_string {
            return self.string_byte(byte);
        }
        if byte == b'\n' {
            self.line += 1;
        }
        if byte.is_ascii_whitespace() {
            return;
        }
        if let Some(line) = self.ts_candidate.take() {
            self.record_ts(byte, line);
        }
        if self.depth == 1 && self.expect_element && byte != b']' {
            self.lines.push(None);
            self.expect_element = false;
        }
        self.structure_byte(byte);
    }

    fn string_byte(&mut self, byte: u8) {
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            if self.key.take().is_some_and(|k| k == b"ts") {
                self.ts_candidate = Some(self.line + 1);
            }
            return;
        }
        if let Some(key) = &mut self.key {
            key.push(byte);
        }
    }

    fn structure_byte(&mut self, byte: u8) {
        match byte {
            b'"' => {
                self.in_string = true;
                self.key = (self.depth == 2).then(Vec::new);
            }
            b'[' | b'{' => {
                self.depth += 1;
                self.expect_element |= self.depth == 1;
            }
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            b',' if self.depth == 1 => self.expect_element = true,
            _ => {}
        }
    }

    /// A `"ts"` string followed by `:` is a key; the first one in an element is its own.
    fn record_ts(&mut self, next: u8, line: u32) {
        if next == b':' {
            if let Some(slot @ None) = self.lines.last_mut() {
                *slot = Some(line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_lines_point_at_each_message_not_at_reply_lists() {
        let text = r#"[
  {
    "ts": "1.000100",
    "replies": [ { "user": "U2", "ts": "2.000200" } ],
    "text": "parent"
  },
  "not a message",
  {"text": "ts", "x": {"ts": "9"}, "ts": "2.000200"}
]"#;
        assert_eq!(ts_lines(text), vec![Some(3), None, Some(8)]);
    }

    #[test]
    fn ts_lines_ignore_escaped_quotes_and_compact_layout() {
        let text = "[{\"text\":\"say \\\"ts\\\": no\",\n\"ts\":\"1.0\"},{\"ts\":\"2.0\"}]";
        assert_eq!(ts_lines(text), vec![Some(2), Some(2)]);
    }

    #[test]
    fn joins_and_messages_without_text_are_left_out() {
        let text = r#"[
  {"type": "message", "subtype": "channel_join", "user": "U1", "ts": "1.0", "text": "joined"},
  {"type": "message", "user": "U1", "ts": "2.0", "files": []},
  {"type": "message", "user": "U1", "ts": "3.0", "text": "hello"}
]"#;
        let posted = parse_day(text, "c/2026-01-01.json", &Directory::default()).unwrap();
        assert_eq!(posted.len(), 1);
        assert_eq!(posted[0].message.ts, "3.0");
        assert_eq!(posted[0].message.author, "U1");
        assert_eq!(posted[0].message.line, Some(4));
    }

    #[test]
    fn authors_fall_back_to_the_profile_in_the_message_then_to_the_bot_name() {
        let text = r#"[
  {"user": "U7", "ts": "1.0", "text": "a", "user_profile": {"real_name": "Ana Ruiz"}},
  {"bot_id": "B1", "subtype": "bot_message", "username": "deploybot", "ts": "2.0", "text": "b"}
]"#;
        let posted = parse_day(text, "f", &Directory::default()).unwrap();
        let authors: Vec<_> = posted.iter().map(|p| p.message.author.as_str()).collect();
        assert_eq!(authors, ["Ana Ruiz", "deploybot"]);
    }

    #[test]
    fn a_day_file_that_is_not_an_array_is_refused() {
        let err = parse_day(r#"{"ts": "1.0"}"#, "f", &Directory::default()).unwrap_err();
        assert!(err.contains("not a JSON array"), "{err}");
    }
}
