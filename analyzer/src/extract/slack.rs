//! Chat threads (Slack API or workspace export), already assembled by the connector.

use phiflow_pipeline::ChatThread;

use super::doc::{Doc, DocBuilder};
use super::{Ctx, ExtractError, Format};

/// Read a [`ChatThread`] artifact into a thread document, one block per message.
pub fn read(ctx: &Ctx) -> Result<Doc, ExtractError> {
    let thread: ChatThread = serde_json::from_str(ctx.text)
        .map_err(|e| ExtractError::malformed(Format::ChatThread, e))?;
    let mut b = DocBuilder::new().thread();
    for m in &thread.messages {
        b.message(&m.text, m.file.clone(), m.line);
    }
    Ok(b.finish())
}
