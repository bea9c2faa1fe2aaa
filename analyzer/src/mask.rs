//! Masking of concrete identifiers in excerpts. phiflow quotes the documents it reads so a
//! finding can show its evidence; the quotes must never carry the PHI they are about. SSNs,
//! email addresses, phone numbers, MRN-like values, long digit runs and dates near birth words
//! are replaced by a bracketed type name.

use std::sync::OnceLock;

use regex::Regex;

struct Patterns {
    ssn: Regex,
    email: Regex,
    phone: Regex,
    mrn: Regex,
    digits: Regex,
    date: Regex,
    birth_context: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| Patterns {
        ssn: Regex::new(r"\b\d{3}[-. \u{2010}\u{2011}]\d{2}[-. \u{2010}\u{2011}]\d{4}\b")
            .expect("ssn pattern"),
        email: Regex::new(r"(?i)\b[a-z0-9._%+-]+[@\u{ff20}][a-z0-9.-]+\.[a-z]{2,}\b").expect("email"),
        phone: Regex::new(
            r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]\d{2,4}){1,4}\b)|(?:(?:\+?1[ .-]?)?(?:\(\d{3}\)\s?|\b\d{3}[ .-])\d{3}[ .-]\d{4}\b)",
        )
        .expect("phone pattern"),
        mrn: Regex::new(r"(?i)\b(mrn|medical record (?:number|no\.?)|nhs (?:number|no\.?)|member id|ssn)(\s*[:#=]?\s*)([A-Z0-9][A-Z0-9-]{3,})")
            .expect("mrn pattern"),
        digits: Regex::new(r"\b\d{9,}\b").expect("digits pattern"),
        date: Regex::new(
            r"(?i)\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,? \d{4})\b",
        )
        .expect("date"),
        birth_context: Regex::new(r"(?i)\b(dob|birth|born|birthdate|deceased|died)")
            .expect("birth pattern"),
    })
}

/// Mask concrete identifiers in `text`.
pub fn mask(text: &str) -> String {
    // Every pattern needs a digit or an at sign; most text has neither.
    if !text.chars().any(|c| c.is_ascii_digit() || c == '@' || c == '\u{ff20}') {
        return text.to_string();
    }
    let p = patterns();
    let mut out = p.ssn.replace_all(text, "[SSN]").into_owned();
    out = p.email.replace_all(&out, "[EMAIL]").into_owned();
    out = p.phone.replace_all(&out, "[PHONE]").into_owned();
    out = p
        .mrn
        .replace_all(&out, |c: &regex::Captures| {
            let value = &c[3];
            if value.chars().any(|ch| ch.is_ascii_digit()) {
                format!("{}{}[ID]", &c[1], &c[2])
            } else {
                c[0].to_string()
            }
        })
        .into_owned();
    out = p.digits.replace_all(&out, "[NUMBER]").into_owned();
    if p.birth_context.is_match(&out) {
        out = p.date.replace_all(&out, "[DATE]").into_owned();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn masks_each_identifier_kind() {
        let got = mask(
            "Jane, DOB 1984-03-02, SSN 123-45-6789, jane@x.example, (608) 555-0177, MRN: A1234567",
        );
        assert!(!got.contains("1984-03-02"), "{got}");
        assert!(!got.contains("123-45-6789"), "{got}");
        assert!(!got.contains("jane@x.example"), "{got}");
        assert!(!got.contains("555-0177"), "{got}");
        assert!(!got.contains("A1234567"), "{got}");
    }

    #[test]
    fn masks_other_written_forms() {
        for text in [
            "SSN 123 45 6789 on file",
            "SSN 123.45.6789 on file",
            "DOB March 17, 1984",
            "born 17 March 1984",
            "DOB 17.03.1984",
            "call +44 20 7946 0958",
            "write jane\u{ff20}example.com",
        ] {
            let got = mask(text);
            assert!(
                !got.contains("6789")
                    && !got.contains("1984")
                    && !got.contains("0958")
                    && !got.contains("example.com"),
                "{text} -> {got}"
            );
        }
    }

    #[test]
    fn leaves_ordinary_dates_and_words_alone() {
        assert_eq!(
            mask("Rollout on 2026-10-13 for the mrn field"),
            "Rollout on 2026-10-13 for the mrn field"
        );
    }
}
