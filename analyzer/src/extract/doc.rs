//! The shape every prose format is read into before analysis: a document of blocks (headings,
//! paragraphs, list items, table rows, code, chat messages), each with its line and the heading
//! path it sits under.

/// What a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Heading(u8),
    Paragraph,
    ListItem,
    TableRow,
    Code,
    Message,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
    /// 1-based line in the artifact (or in `file`, for chat messages).
    pub line: Option<u32>,
    /// Index of the section this block belongs to (see [`Doc::sections`]).
    pub section: usize,
    /// Extra text that frames this block: a table's header row.
    pub context: Option<String>,
    /// For chat messages: the export file the message came from.
    pub file: Option<String>,
    /// For paragraphs wrapped over several lines: the byte offset in `text` where each source
    /// line starts, with its line number, so a sentence is cited at its own line.
    pub line_starts: Vec<(usize, u32)>,
}

impl Block {
    /// The line of the text at byte `offset` of this block.
    pub fn line_at(&self, offset: usize) -> Option<u32> {
        self.line_starts.iter().rev().find(|(o, _)| *o <= offset).map(|(_, l)| *l).or(self.line)
    }
}

/// A prose document.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
    /// Heading path of each section; section 0 is the text before the first heading.
    pub sections: Vec<Vec<String>>,
    /// A chat thread: later messages can reverse earlier ones.
    pub is_thread: bool,
}

/// Builds a [`Doc`] while tracking the heading path.
#[derive(Debug, Default)]
pub struct DocBuilder {
    doc: Doc,
    path: Vec<(u8, String)>,
    table_header: Option<String>,
}

impl DocBuilder {
    pub fn new() -> Self {
        let mut b = DocBuilder::default();
        b.doc.sections.push(Vec::new());
        b
    }

    pub fn heading(&mut self, level: u8, text: &str, line: Option<u32>) {
        let text = text.trim().to_string();
        self.path.retain(|(l, _)| *l < level);
        self.path.push((level, text.clone()));
        self.doc.sections.push(self.path.iter().map(|(_, t)| t.clone()).collect());
        self.table_header = None;
        self.push_block(BlockKind::Heading(level), text, line, None);
    }

    /// A paragraph, list item, code block or chat message.
    pub fn block(&mut self, kind: BlockKind, text: &str, line: Option<u32>) {
        if kind != BlockKind::TableRow {
            self.table_header = None;
        }
        if text.trim().is_empty() {
            return;
        }
        self.push_block(kind, text.trim().to_string(), line, None);
    }

    /// A paragraph written over several lines, each given with its line number; the lines are
    /// joined with spaces and each line's start is kept.
    pub fn paragraph_lines(&mut self, lines: &[(&str, u32)]) {
        self.table_header = None;
        let mut text = String::new();
        let mut starts = Vec::new();
        for (part, line) in lines {
            if !text.is_empty() {
                text.push(' ');
            }
            starts.push((text.len(), *line));
            text.push_str(part);
        }
        if text.trim().is_empty() {
            return;
        }
        let first = lines.first().map(|(_, l)| *l);
        self.push_block(BlockKind::Paragraph, text, first, None);
        if let Some(b) = self.doc.blocks.last_mut() {
            b.line_starts = starts;
        }
    }

    /// A table row; the first row of a table is kept as the header of those after it.
    pub fn table_row(&mut self, cells: &[String], line: Option<u32>, is_header: bool) {
        let text = cells.join(" | ");
        if text.trim().is_empty() {
            return;
        }
        if is_header || self.table_header.is_none() {
            self.table_header = Some(text.clone());
            self.push_block(BlockKind::TableRow, text, line, None);
        } else {
            let header = self.table_header.clone();
            self.push_block(BlockKind::TableRow, text, line, header);
        }
    }

    /// Forget the current table's header (a table ended).
    pub fn end_table(&mut self) {
        self.table_header = None;
    }

    pub fn message(&mut self, text: &str, file: Option<String>, line: Option<u32>) {
        if text.trim().is_empty() {
            return;
        }
        self.push_block(BlockKind::Message, text.trim().to_string(), line, None);
        if let Some(b) = self.doc.blocks.last_mut() {
            b.file = file;
        }
    }

    fn push_block(
        &mut self,
        kind: BlockKind,
        text: String,
        line: Option<u32>,
        ctx: Option<String>,
    ) {
        let section = self.doc.sections.len() - 1;
        let block =
            Block { kind, text, line, section, context: ctx, file: None, line_starts: vec![] };
        self.doc.blocks.push(block);
    }

    pub fn thread(mut self) -> Self {
        self.doc.is_thread = true;
        self
    }

    pub fn finish(self) -> Doc {
        self.doc
    }
}

/// Split a block's text into sentences, keeping byte offsets. Code spans are not split.
pub fn sentences(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut in_code = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'`' {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        let end_mark = matches!(b, b'.' | b'?' | b'!' | b';')
            && bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
        if end_mark || b == b'\n' {
            push_sentence(&mut out, text, start, i + 1);
            start = i + 1;
        }
    }
    push_sentence(&mut out, text, start, text.len());
    out
}

fn push_sentence<'a>(out: &mut Vec<(usize, &'a str)>, text: &'a str, start: usize, end: usize) {
    let s = &text[start..end];
    if !s.trim().is_empty() {
        out.push((start, s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_make_sections_and_tables_keep_their_header() {
        let mut b = DocBuilder::new();
        b.heading(1, "Design", Some(1));
        b.heading(2, "Packet", Some(3));
        b.table_row(&["Section".into(), "Payer".into()], Some(4), true);
        b.table_row(&["Full CCD".into(), "yes".into()], Some(5), false);
        let doc = b.finish();
        assert_eq!(doc.sections[2], vec!["Design".to_string(), "Packet".to_string()]);
        assert_eq!(doc.blocks[3].context.as_deref(), Some("Section | Payer"));
    }

    #[test]
    fn sentences_do_not_split_inside_code_or_numbers() {
        let s: Vec<&str> = sentences("Use `a. b` here. Version 1.2 works! Done")
            .into_iter()
            .map(|(_, s)| s.trim())
            .collect();
        assert_eq!(s, ["Use `a. b` here.", "Version 1.2 works!", "Done"]);
    }
}
