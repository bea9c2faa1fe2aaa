//! Reading one file's bytes within the size limit, and telling text from binary.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::{BINARY_SNIFF_LEN, MAX_FILE_SIZE};

/// Why a file's bytes were not read.
#[derive(Debug)]
pub(crate) enum ReadProblem {
    /// The file is over [`MAX_FILE_SIZE`]; `size` is its size, or a lower bound of it when the
    /// declared size was wrong (a file still growing, a zip entry lying about its size).
    TooLarge {
        size: u64,
    },
    Io(io::Error),
}

impl ReadProblem {
    /// The reason to put in the report.
    pub(crate) fn reason(&self) -> String {
        match self {
            ReadProblem::TooLarge { size } => {
                format!("larger than the {} MiB size limit ({size} bytes)", MAX_FILE_SIZE >> 20)
            }
            ReadProblem::Io(err) => format!("cannot read: {err}"),
        }
    }
}

/// Read all of `reader`, whose size is declared as `declared`, refusing anything over
/// [`MAX_FILE_SIZE`]. The declared size is checked first so large files are never opened for
/// reading; the read itself is capped too because the declaration can be wrong.
pub(crate) fn read_limited(reader: impl Read, declared: u64) -> Result<Vec<u8>, ReadProblem> {
    if declared > MAX_FILE_SIZE {
        return Err(ReadProblem::TooLarge { size: declared });
    }

    let mut bytes = Vec::with_capacity(declared as usize);
    reader.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(ReadProblem::Io)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ReadProblem::TooLarge { size: bytes.len() as u64 });
    }
    Ok(bytes)
}

/// The bytes of the file at `path`, within the size limit.
pub(crate) fn read_path(path: &Path) -> Result<Vec<u8>, ReadProblem> {
    let file = File::open(path).map_err(ReadProblem::Io)?;
    let size = file.metadata().map_err(ReadProblem::Io)?.len();
    read_limited(file, size)
}

/// The bytes as text, or `None` for a binary file: a NUL byte among the first
/// [`BINARY_SNIFF_LEN`] bytes, or anything that is not UTF-8.
pub(crate) fn into_text(bytes: Vec<u8>) -> Option<String> {
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_LEN)];
    if head.contains(&0) {
        return None;
    }
    // A UTF-8 byte-order mark is encoding metadata, not content: parsers choke on it.
    let text = String::from_utf8(bytes).ok()?;
    Some(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod bom_tests {
    #[test]
    fn a_byte_order_mark_is_dropped() {
        assert_eq!(super::into_text(b"\xef\xbb\xbfkey: 1".to_vec()).as_deref(), Some("key: 1"));
    }
}

/// Reason reported for files [`into_text`] refuses.
pub(crate) const BINARY_REASON: &str = "binary file";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_the_head_or_bad_utf8_is_binary() {
        assert_eq!(into_text(b"plain text".to_vec()).as_deref(), Some("plain text"));
        assert_eq!(into_text(b"a\0b".to_vec()), None);
        assert_eq!(into_text(vec![b'a', 0xff, b'b']), None);
    }

    #[test]
    fn reads_over_the_limit_are_refused_even_when_the_size_was_declared_small() {
        let big = vec![b'x'; MAX_FILE_SIZE as usize + 10];
        let err = read_limited(&big[..], 3).unwrap_err();
        assert!(matches!(err, ReadProblem::TooLarge { .. }), "{err:?}");
        assert!(err.reason().contains("5 MiB"), "{}", err.reason());
    }
}
