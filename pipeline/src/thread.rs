//! A chat thread as the analyzer reads it, whatever the source (Slack API or workspace export):
//! the parent and its replies in order, authors resolved to names, markup already decoded.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatThread {
    /// Workspace or team id, when known.
    #[serde(default)]
    pub team: Option<String>,
    pub channel_id: String,
    pub channel_name: String,
    /// `ts` of the parent message; for channel-day artifacts, the first message's `ts`.
    pub thread_ts: String,
    pub messages: Vec<ChatMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub ts: String,
    /// Display name of the author (real name when the source has it).
    pub author: String,
    /// Plain text: user mentions as `@Name`, links as `label (url)`, entities unescaped.
    pub text: String,
    /// File the message came from, relative to the scanned root (exports only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// 1-based line of the message in that file, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}
