//! Word-level text matching shared by the PHI vocabulary and the vendor catalog.
//!
//! Text is compared as sequences of lowercase word tokens. Two tokenizers exist because the
//! two vocabularies need different things: PHI terms must see `birthDate` and `date_of_birth`
//! as "birth date" and "date of birth" (identifiers are split at case changes), while vendor
//! names must see `FullStory` and `HubSpot` as single words.

use std::collections::HashMap;

/// One token with its byte span in the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub word: String,
    pub start: usize,
    pub end: usize,
}

/// Split on anything that is not a letter or digit; lowercase.
pub fn words(text: &str) -> Vec<Token> {
    tokenize(text, false)
}

/// Like [`words`], and also split `camelCase` and `PascalCase` identifiers.
pub fn identifier_words(text: &str) -> Vec<Token> {
    tokenize(text, true)
}

fn tokenize(text: &str, split_case: bool) -> Vec<Token> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            let boundary = split_case
                && start.is_some()
                && c.is_uppercase()
                && prev.is_some_and(|p| p.is_lowercase());
            if boundary {
                push(&mut out, text, start.take().unwrap_or(i), i);
            }
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            push(&mut out, text, s, i);
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        push(&mut out, text, s, text.len());
    }
    out
}

fn push(out: &mut Vec<Token>, text: &str, start: usize, end: usize) {
    out.push(Token { word: text[start..end].to_lowercase(), start, end });
}

/// A dictionary of multi-word phrases, each mapped to a value, matched longest-first.
#[derive(Debug, Clone)]
pub struct PhraseSet<V> {
    by_first: HashMap<String, Vec<(Vec<String>, V)>>,
}

/// One phrase found in a token stream.
#[derive(Debug, Clone)]
pub struct PhraseHit<'a, V> {
    pub value: &'a V,
    /// Index of the first and one past the last token.
    pub tokens: (usize, usize),
    /// Byte span in the source text.
    pub span: (usize, usize),
}

impl<V> Default for PhraseSet<V> {
    fn default() -> Self {
        PhraseSet { by_first: HashMap::new() }
    }
}

impl<V> PhraseSet<V> {
    pub fn insert(&mut self, phrase: &str, value: V) {
        let toks: Vec<String> = words(phrase).into_iter().map(|t| t.word).collect();
        let Some(first) = toks.first().cloned() else { return };
        let list = self.by_first.entry(first).or_default();
        list.push((toks, value));
        list.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
    }

    /// Every non-overlapping phrase in `tokens`, longest match first at each position. A token
    /// matches a phrase word when equal, or equal after dropping a plural `s`.
    pub fn find<'a>(&'a self, tokens: &[Token]) -> Vec<PhraseHit<'a, V>> {
        let mut hits = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            match self.longest_at(tokens, i) {
                Some((len, value)) => {
                    let span = (tokens[i].start, tokens[i + len - 1].end);
                    hits.push(PhraseHit { value, tokens: (i, i + len), span });
                    i += len;
                }
                None => i += 1,
            }
        }
        hits
    }

    fn longest_at(&self, tokens: &[Token], i: usize) -> Option<(usize, &V)> {
        let first = &tokens[i].word;
        let candidates = self
            .by_first
            .get(first.as_str())
            .or_else(|| first.strip_suffix('s').and_then(|s| self.by_first.get(s)))?;
        candidates.iter().find_map(|(phrase, value)| {
            let fits = phrase.len() <= tokens.len() - i
                && phrase.iter().zip(&tokens[i..]).all(|(p, t)| word_eq(p, &t.word));
            fits.then_some((phrase.len(), value))
        })
    }
}

fn word_eq(phrase_word: &str, token: &str) -> bool {
    phrase_word == token || token.strip_suffix('s') == Some(phrase_word)
}

/// Lowercase slug of a name: words joined by `-`. Used as entity keys.
pub fn slug(name: &str) -> String {
    words(name).into_iter().map(|t| t.word).collect::<Vec<_>>().join("-")
}

/// The 1-based line number of byte offset `at` in `text`.
pub fn line_of_offset(text: &str, at: usize) -> u32 {
    let at = at.min(text.len());
    text.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1
}

/// The 1-based line of the first line containing `needle`, searching from line `from`.
pub fn find_line(text: &str, needle: &str, from: u32) -> Option<u32> {
    if needle.is_empty() {
        return None;
    }
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i as u32 + 1)
}

/// Shorten `text` to at most `max` characters on a char boundary, adding an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_at_case_changes_and_separators() {
        let w: Vec<String> = identifier_words("birthDate date_of_birth nhsNumber")
            .into_iter()
            .map(|t| t.word)
            .collect();
        assert_eq!(w, ["birth", "date", "date", "of", "birth", "nhs", "number"]);
    }

    #[test]
    fn phrases_match_longest_first_and_plurals() {
        let mut set = PhraseSet::default();
        set.insert("openai", "openai");
        set.insert("azure openai", "azure-openai");
        set.insert("lab result", "lab");
        let toks = words("Azure OpenAI, not OpenAI; lab results");
        let got: Vec<&str> = set.find(&toks).into_iter().map(|h| *h.value).collect();
        assert_eq!(got, ["azure-openai", "openai", "lab"]);
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of_offset("a\nb\nc", 2), 2);
        assert_eq!(find_line("a\nb\nc", "c", 1), Some(3));
    }
}
