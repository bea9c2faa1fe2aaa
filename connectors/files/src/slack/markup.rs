//! Slack's message markup to plain text.
//!
//! Slack stores message text with its own markup: mentions, channel references, links and
//! special commands sit between `<` and `>`, and a literal `<`, `>` or `&` typed by a person is
//! escaped as `&lt;`, `&gt;` or `&amp;`. Decoding therefore happens in two passes, markup first
//! and entities second: done the other way round, a person's literal `&lt;@U1&gt;` would turn
//! into a mention.

use super::directory::Directory;

/// `text` with markup replaced by readable text: `<@U1>` becomes `@Real Name`, `<#C1|general>`
/// becomes `#general`, `<https://x|label>` becomes `label (https://x)`, and entities are
/// unescaped.
pub(crate) fn decode(text: &str, directory: &Directory) -> String {
    unescape(&replace_markup(text, directory))
}

fn replace_markup(text: &str, directory: &Directory) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;

    while let Some(open) = rest.find('<') {
        decoded.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            // An unclosed `<` is not markup; keep the remainder as it is.
            decoded.push_str(&rest[open..]);
            return decoded;
        };
        decoded.push_str(&element(&after[..close], directory));
        rest = &after[close + 1..];
    }

    decoded.push_str(rest);
    decoded
}

/// One markup element, without its angle brackets.
fn element(inner: &str, directory: &Directory) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };

    if let Some(user) = target.strip_prefix('@') {
        let name = label.or_else(|| directory.user_name(user)).unwrap_or(user);
        format!("@{}", name.trim_start_matches('@'))
    } else if let Some(channel) = target.strip_prefix('#') {
        let name = label.or_else(|| directory.channel_name(channel)).unwrap_or(channel);
        format!("#{}", name.trim_start_matches('#'))
    } else if let Some(command) = target.strip_prefix('!') {
        special(command, label)
    } else {
        link(target, label)
    }
}

/// `<!here>`, `<!channel>`, `<!everyone>`, and commands such as `<!subteam^S1|@oncall>` or
/// `<!date^…|fallback>` that carry their readable form as the label.
fn special(command: &str, label: Option<&str>) -> String {
    let word = command.split('^').next().unwrap_or(command);
    match word {
        "here" | "channel" | "everyone" => format!("@{word}"),
        _ => label.unwrap_or(word).to_string(),
    }
}

fn link(url: &str, label: Option<&str>) -> String {
    if let Some(address) = url.strip_prefix("mailto:") {
        return label.unwrap_or(address).to_string();
    }
    match label {
        Some(label) if label != url && !label.is_empty() => format!("{label} ({url})"),
        _ => url.to_string(),
    }
}

/// Undo Slack's three escapes in one left-to-right pass, so that `&amp;lt;` becomes the text
/// `&lt;` and not `<`.
fn unescape(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;

    while let Some(amp) = rest.find('&') {
        plain.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let (ch, len) = if tail.starts_with("&lt;") {
            ('<', 4)
        } else if tail.starts_with("&gt;") {
            ('>', 4)
        } else if tail.starts_with("&amp;") {
            ('&', 5)
        } else {
            ('&', 1)
        };
        plain.push(ch);
        rest = &tail[len..];
    }

    plain.push_str(rest);
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        let mut directory = Directory::default();
        directory.users.insert("U1".into(), "Dana Okafor".into());
        directory.channel_names.insert("C9".into(), "portal-web".into());
        directory
    }

    fn check(raw: &str, expected: &str) {
        assert_eq!(decode(raw, &directory()), expected, "decoding {raw:?}");
    }

    #[test]
    fn mentions_resolve_to_names_or_labels() {
        check("ping <@U1>", "ping @Dana Okafor");
        check("ping <@U1|dana>", "ping @dana");
        check("ping <@U404>", "ping @U404");
        check("see <#C9> and <#C2|general>", "see #portal-web and #general");
        check("<!here> <!channel> <!everyone>", "@here @channel @everyone");
        check("<!subteam^S1|@oncall> paged", "@oncall paged");
    }

    #[test]
    fn links_keep_both_label_and_address() {
        check("<https://x.test/a|the doc>", "the doc (https://x.test/a)");
        check("<https://x.test/a>", "https://x.test/a");
        check("<https://x.test/a|https://x.test/a>", "https://x.test/a");
        check("mail <mailto:a@b.test|a@b.test>", "mail a@b.test");
        check("<https://x.test/?a=1&amp;b=2>", "https://x.test/?a=1&b=2");
    }

    #[test]
    fn escaped_angle_brackets_stay_text_and_never_become_markup() {
        check("if a &lt; b &amp;&amp; c &gt; d", "if a < b && c > d");
        check("literal &lt;@U1&gt; here", "literal <@U1> here");
        check("typed &amp;lt; itself", "typed &lt; itself");
        check("AT&T & co", "AT&T & co");
        check("unclosed <https://x.test", "unclosed <https://x.test");
    }
}
