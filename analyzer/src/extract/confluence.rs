//! Confluence pages: storage-format XHTML (with `ac:` and `ri:` macros), and the REST v2 page
//! JSON that wraps it.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::doc::{BlockKind, Doc, DocBuilder};
use super::markdown::entity;
use super::{ExtractError, Format};
use crate::text::line_of_offset;

/// Read a REST v2 page (`title`, `body.storage.value`) into a document.
pub fn read_json(text: &str) -> Result<Doc, ExtractError> {
    let page: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ExtractError::malformed(Format::ConfluenceJson, e))?;
    let storage = page
        .pointer("/body/storage/value")
        .and_then(|v| v.as_str())
        .ok_or_else(|| ExtractError::malformed(Format::ConfluenceJson, "no body.storage.value"))?;
    let title = page.get("title").and_then(|t| t.as_str()).unwrap_or_default();
    let body_line = crate::text::find_line(text, "\"storage\"", 1);
    let mut doc = read_storage_titled(storage, Some(title))?;
    // The body is one JSON string: its lines are not the file's. Cite the body's line.
    for b in &mut doc.blocks {
        b.line = body_line;
    }
    Ok(doc)
}

/// Read storage-format XHTML into a document.
pub fn read_storage(xhtml: &str) -> Result<Doc, ExtractError> {
    read_storage_titled(xhtml, None)
}

const ROOT_OPEN: &str = "<phiflow-root>";

fn read_storage_titled(xhtml: &str, title: Option<&str>) -> Result<Doc, ExtractError> {
    let wrapped = format!("{ROOT_OPEN}{xhtml}</phiflow-root>");
    let mut reader = Reader::from_str(&wrapped);
    let mut st = State::new(xhtml);
    if let Some(t) = title.filter(|t| !t.is_empty()) {
        st.b.heading(1, t, Some(1));
    }
    loop {
        let pos = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            let at = line_of_offset(
                xhtml,
                (reader.error_position() as usize).saturating_sub(ROOT_OPEN.len()),
            );
            ExtractError::malformed(Format::ConfluenceStorage, format!("line {at}: {e}"))
        })?;
        st.offset = pos.saturating_sub(ROOT_OPEN.len());
        match event {
            Event::Start(e) => st.start(&e),
            Event::Empty(e) => st.empty(&e),
            Event::End(e) => st.end(&String::from_utf8_lossy(e.name().as_ref())),
            Event::Text(t) => st.text(&t.decode().unwrap_or_default()),
            Event::CData(t) => st.text(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = r.decode().unwrap_or_default();
                st.text(&entity(&name).unwrap_or_else(|| format!("&{name};")));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    st.flush(BlockKind::Paragraph);
    Ok(st.b.finish())
}

struct State<'a> {
    source: &'a str,
    b: DocBuilder,
    buf: String,
    buf_line: Option<u32>,
    offset: usize,
    cells: Vec<String>,
    header_row: bool,
    /// Depth inside elements whose text is not content (`ac:parameter`).
    skip: usize,
    in_code: bool,
}

impl<'a> State<'a> {
    fn new(source: &'a str) -> Self {
        State {
            source,
            b: DocBuilder::new(),
            buf: String::new(),
            buf_line: None,
            offset: 0,
            cells: Vec::new(),
            header_row: true,
            skip: 0,
            in_code: false,
        }
    }

    fn start(&mut self, e: &BytesStart) {
        let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
        match name.as_str() {
            "ac:parameter" => {
                let title = attr(e, "ac:name").is_some_and(|n| n == "title");
                if !title {
                    self.skip += 1;
                }
            }
            "code" => self.text("`"),
            "tr" => {
                self.cells.clear();
                self.header_row = true;
            }
            "td" => self.header_row = false,
            "table" => self.b.end_table(),
            "ac:plain-text-body" => {
                self.flush(BlockKind::Paragraph);
                self.in_code = true;
            }
            n if is_block(n) => self.flush(BlockKind::Paragraph),
            _ => {}
        }
    }

    fn empty(&mut self, e: &BytesStart) {
        let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
        match name.as_str() {
            "br" => self.text(" "),
            "ri:page" => {
                if let Some(t) = attr(e, "ri:content-title") {
                    self.text(&t);
                }
            }
            "ri:attachment" => {
                if let Some(t) = attr(e, "ri:filename") {
                    self.text(&t);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "ac:parameter" => self.skip = self.skip.saturating_sub(1),
            "code" => self.text("`"),
            "th" | "td" => {
                let cell = std::mem::take(&mut self.buf);
                self.buf_line.get_or_insert(self.line());
                self.cells.push(cell.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            "tr" => {
                let line = self.buf_line.take().or(Some(self.line()));
                let cells = std::mem::take(&mut self.cells);
                self.b.table_row(&cells, line, self.header_row);
            }
            "ac:plain-text-body" => {
                self.flush(BlockKind::Code);
                self.in_code = false;
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name[1..].parse().unwrap_or(1);
                let text = std::mem::take(&mut self.buf);
                let line = self.buf_line.take();
                self.b.heading(level, text.trim(), line);
            }
            "li" => self.flush(BlockKind::ListItem),
            n if is_block(n) => self.flush(BlockKind::Paragraph),
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        if self.skip > 0 {
            return;
        }
        if self.buf_line.is_none() && !t.trim().is_empty() {
            self.buf_line = Some(self.line());
        }
        if self.in_code {
            self.buf.push_str(t);
        } else {
            self.buf.push_str(&t.replace('\n', " "));
        }
    }

    fn flush(&mut self, kind: BlockKind) {
        let text = std::mem::take(&mut self.buf);
        let line = self.buf_line.take();
        if !self.cells.is_empty() || text.trim().is_empty() {
            if !text.trim().is_empty() {
                self.buf = text;
                self.buf_line = line;
            }
            return;
        }
        self.b.block(kind, &text, line);
    }

    fn line(&self) -> u32 {
        line_of_offset(self.source, self.offset)
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "li"
            | "ul"
            | "ol"
            | "pre"
            | "blockquote"
            | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ac:rich-text-body"
            | "ac:structured-macro"
            | "ac:task"
    )
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .map(|a| String::from_utf8_lossy(&a.value).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<h1>Replay</h1>\n<p>We use <code>@fullstory/browser</code> on /app&nbsp;pages.</p>\n<table><tbody>\n<tr><th>Route</th><th>Shows</th></tr>\n<tr><td>/app/labs</td><td>Lab results</td></tr>\n</tbody></table>\n<ac:structured-macro ac:name=\"code\"><ac:parameter ac:name=\"language\">ts</ac:parameter><ac:plain-text-body><![CDATA[init({ orgId });]]></ac:plain-text-body></ac:structured-macro>\n<ul><li><strong>Hotjar</strong>: rejected.</li></ul>";

    #[test]
    fn storage_format_becomes_blocks_with_lines() {
        let doc = read_storage(PAGE).unwrap();
        let texts: Vec<(&str, Option<u32>)> =
            doc.blocks.iter().map(|b| (b.text.as_str(), b.line)).collect();
        assert_eq!(texts[0], ("Replay", Some(1)));
        assert_eq!(texts[1], ("We use `@fullstory/browser` on /app pages.", Some(2)));
        assert_eq!(texts[3], ("/app/labs | Lab results", Some(5)));
        assert_eq!(doc.blocks[3].context.as_deref(), Some("Route | Shows"));
        assert!(doc
            .blocks
            .iter()
            .any(|b| b.kind == BlockKind::Code && b.text == "init({ orgId });"));
        assert!(!doc.blocks.iter().any(|b| b.text == "ts"), "macro parameters are not text");
        assert!(doc
            .blocks
            .iter()
            .any(|b| b.kind == BlockKind::ListItem && b.text == "Hotjar: rejected."));
    }

    #[test]
    fn rest_page_json_is_unwrapped() {
        let json = serde_json::json!({"id": "1", "title": "Conventions",
            "body": {"storage": {"representation": "storage", "value": "<p>Hello</p>"}}});
        let doc = read_json(&json.to_string()).unwrap();
        assert_eq!(doc.blocks[0].text, "Conventions");
        assert_eq!(doc.blocks[1].text, "Hello");
    }

    #[test]
    fn malformed_storage_is_an_error_with_a_line() {
        let err = read_storage("<p>one</p>\n<p>two</div>").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
