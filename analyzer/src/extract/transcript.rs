//! Meeting transcripts: WebVTT (with `<v Speaker>` voice tags) and SRT. Each cue is one block.

use super::doc::{Doc, DocBuilder};

/// Read a WebVTT or SRT transcript; cue timings, ids, notes and tags are dropped.
pub fn read(text: &str) -> Doc {
    let mut b = DocBuilder::new();
    let mut cue: Vec<String> = Vec::new();
    let mut cue_line = 0u32;
    let mut in_note = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            flush(&mut b, &mut cue, cue_line);
            in_note = false;
            continue;
        }
        if i == 0 && line.starts_with("WEBVTT") || line.starts_with("NOTE") || in_note {
            in_note = line.starts_with("NOTE") || in_note;
            continue;
        }
        if line.contains("-->") || line.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if cue.is_empty() {
            cue_line = i as u32 + 1;
        }
        cue.push(strip_tags(line));
    }
    flush(&mut b, &mut cue, cue_line);
    b.finish()
}

fn flush(b: &mut DocBuilder, cue: &mut Vec<String>, line: u32) {
    if !cue.is_empty() {
        b.message(&cue.join(" "), None, Some(line));
        cue.clear();
    }
}

/// Remove cue tags; a voice tag `<v Ana>` becomes `Ana: `.
fn strip_tags(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let tag = &rest[open + 1..open + close];
        if let Some(speaker) = tag.strip_prefix("v ") {
            out.push_str(speaker.trim());
            out.push_str(": ");
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    super::markdown::decode_entities(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_become_blocks_with_speakers_and_lines() {
        let doc = read("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\n<v Ana>We send DOB to X.</v>\n\nNOTE skip me\n\n00:00:05.000 --> 00:00:06.000\n<v Bo>ok\n");
        assert_eq!(doc.blocks.len(), 2);
        assert_eq!(doc.blocks[0].text, "Ana: We send DOB to X.");
        assert_eq!(doc.blocks[0].line, Some(5));
    }

    #[test]
    fn srt_cues_are_read() {
        let doc = read("1\n00:00:01,000 --> 00:00:02,000\nHello there\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n");
        assert_eq!(doc.blocks.len(), 2);
        assert_eq!(doc.blocks[1].text, "Bye");
    }
}
