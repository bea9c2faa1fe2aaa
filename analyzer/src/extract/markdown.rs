//! Markdown and plain text, and HTML pages read as text.

use std::sync::OnceLock;

use regex::Regex;

use super::doc::{BlockKind, Doc, DocBuilder};
use super::{ExtractError, Format};

/// Read Markdown (or plain text) into blocks: ATX headings, list items, table rows, fenced code
/// and paragraphs, each with its first line.
pub fn read(text: &str) -> Doc {
    read_with(text, true)
}

fn read_with(text: &str, merge_lines: bool) -> Doc {
    let mut b = DocBuilder::new();
    let mut para: Vec<(&str, u32)> = Vec::new();
    let mut para_line = 0u32;
    let mut fence: Option<(u32, Vec<&str>)> = None;
    let mut in_table = false;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim_end();
        let trimmed = line.trim_start();

        if let Some((start, body)) = fence.as_mut() {
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                b.block(BlockKind::Code, &body.join("\n"), Some(*start));
                fence = None;
            } else {
                body.push(line);
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut b, &mut para, para_line);
            fence = Some((line_no + 1, Vec::new()));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut b, &mut para, para_line);
            if in_table {
                b.end_table();
                in_table = false;
            }
            continue;
        }
        if let Some((level, title)) = heading(trimmed) {
            flush(&mut b, &mut para, para_line);
            b.heading(level, title, Some(line_no));
            continue;
        }
        if trimmed.starts_with('|') {
            flush(&mut b, &mut para, para_line);
            if is_separator(trimmed) {
                continue;
            }
            let cells = table_cells(trimmed);
            b.table_row(&cells, Some(line_no), !in_table);
            in_table = true;
            continue;
        }
        if let Some(item) = list_item(trimmed) {
            flush(&mut b, &mut para, para_line);
            b.block(BlockKind::ListItem, item, Some(line_no));
            continue;
        }
        if para.is_empty() {
            para_line = line_no;
        }
        para.push((trimmed, line_no));
        if !merge_lines {
            flush(&mut b, &mut para, para_line);
        }
    }
    if let Some((start, body)) = fence {
        b.block(BlockKind::Code, &body.join("\n"), Some(start));
    }
    flush(&mut b, &mut para, para_line);
    b.finish()
}

fn flush(b: &mut DocBuilder, para: &mut Vec<(&str, u32)>, _line: u32) {
    if !para.is_empty() {
        b.paragraph_lines(para);
        para.clear();
    }
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) && line[level..].starts_with(' ') {
        Some((level as u8, line[level..].trim().trim_end_matches('#').trim()))
    } else {
        None
    }
}

fn is_separator(line: &str) -> bool {
    line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn table_cells(line: &str) -> Vec<String> {
    line.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
}

fn list_item(line: &str) -> Option<&str> {
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(rest);
        }
    }
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some(r);
        }
    }
    None
}

/// Read an HTML page: headings, paragraphs, list items and table rows become Markdown-like lines
/// (keeping line numbers), other tags are dropped and entities decoded.
pub fn read_html(html: &str) -> Result<Doc, ExtractError> {
    static TAGS: OnceLock<(Regex, Regex, Regex, Regex)> = OnceLock::new();
    let (script, heading, block, tag) = TAGS.get_or_init(|| {
        (
            Regex::new(r"(?is)<(script|style)\b.*?</(script|style)>").expect("script"),
            Regex::new(r"(?i)<h([1-6])\b[^>]*>").expect("heading"),
            Regex::new(r"(?i)<(li|tr)\b[^>]*>").expect("block"),
            Regex::new(r"(?s)<[^>]*>").expect("tag"),
        )
    });
    if !html.contains('<') {
        return Err(ExtractError::malformed(Format::Html, "no HTML markup found"));
    }
    // Keep newlines inside removed spans and add none, so line numbers stay true; each line
    // of the page is then its own block.
    let keep_lines = |m: &regex::Captures| "\n".repeat(m[0].matches('\n').count());
    let text = script.replace_all(html, keep_lines);
    let text = heading.replace_all(&text, |c: &regex::Captures| {
        format!("{} ", "#".repeat(c[1].parse::<usize>().unwrap_or(1)))
    });
    let text = block.replace_all(&text, "- ");
    let text = text.replace("</td>", " | ").replace("</th>", " | ");
    let text = tag.replace_all(&text, keep_lines);
    Ok(read_with(&decode_entities(&text), false))
}

/// Decode the HTML and XML entities design documents use.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let end = tail.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| entity(&tail[1..e]));
        match (end, decoded) {
            (Some(e), Some(c)) => {
                out.push_str(&c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decode one entity by name (`amp`, `#160`, `#x41`); `None` when unknown.
pub fn entity(name: &str) -> Option<String> {
    let c = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" | "#39" => "'",
        "nbsp" | "#160" => " ",
        "mdash" => "—",
        "ndash" => "–",
        "hellip" => "…",
        "rsquo" | "lsquo" => "'",
        "rdquo" | "ldquo" => "\"",
        "middot" => "·",
        "rarr" => "→",
        "larr" => "←",
        "check" => "✓",
        "times" => "×",
        _ => {
            let code = if let Some(h) = name.strip_prefix("#x") {
                u32::from_str_radix(h, 16).ok()
            } else if let Some(d) = name.strip_prefix('#') {
                d.parse().ok()
            } else {
                None
            };
            return code.and_then(char::from_u32).map(String::from);
        }
    };
    Some(c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_blocks_keep_lines_headings_and_table_headers() {
        let doc = read("# Title\n\nSome text\nmore.\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n- item\n```\ncode\n```\n");
        let kinds: Vec<_> = doc.blocks.iter().map(|b| (b.kind, b.line)).collect();
        assert_eq!(kinds[0], (BlockKind::Heading(1), Some(1)));
        assert_eq!(kinds[1], (BlockKind::Paragraph, Some(3)));
        assert_eq!(doc.blocks[1].text, "Some text more.");
        assert_eq!(doc.blocks[3].context.as_deref(), Some("A | B"));
        assert_eq!(doc.blocks[4].kind, BlockKind::ListItem);
        assert_eq!(doc.blocks[5].kind, BlockKind::Code);
    }

    #[test]
    fn html_is_read_with_entities_decoded() {
        let doc = read_html(
            "<html><body>\n<h2>Data &amp; flows</h2>\n<p>We send DOB&nbsp;to X</p></body></html>",
        )
        .unwrap();
        assert_eq!(doc.blocks[0].text, "Data & flows");
        assert!(doc.blocks.iter().any(|b| b.text.contains("DOB to X") && b.line == Some(3)));
    }

    #[test]
    fn unknown_entities_are_left_alone() {
        assert_eq!(decode_entities("a &bogus; b &#x41;"), "a &bogus; b A");
    }
}
