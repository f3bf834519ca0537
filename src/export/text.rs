//! Text on exported maps: escaping for SVG, rough metrics of the bundled font, and wrapping
//! to a width.

/// Escapes text for SVG text content and double-quoted attributes (`&`, `<`, `>`, `"`).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Rough width of `text` at `size` px in the bundled font (for wrapping and layout).
pub(crate) fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '\'' | '.' | ',' | ':' | ';' | '!' | '|' | ' ' | '(' | ')' => 0.28,
            'm' | 'w' | 'M' | 'W' => 0.82,
            c if c.is_uppercase() => 0.64,
            c if c.is_ascii_digit() => 0.55,
            _ => 0.5,
        })
        .sum::<f64>()
        * size
}

/// Splits `text` into lines no wider than `width` px at `size` px.
pub(crate) fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text_width(&candidate, size) > width {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` with its first letter in capitals.
pub(crate) fn capitalise(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            xml_escape("Évry & <Courcouronnes> \"91228\"\n"),
            "Évry &amp; &lt;Courcouronnes&gt; &quot;91228&quot; "
        );
    }

    #[test]
    fn wraps_between_words_and_keeps_every_word() {
        // At 10 px, lowercase letters are 5 px wide and spaces 2.8 px: "abcd efgh" is 42.8 px.
        assert_eq!(
            wrap("abcd efgh ijkl", 10.0, 45.0),
            vec!["abcd efgh", "ijkl"]
        );
        // A word wider than the line stays whole, on a line of its own.
        assert_eq!(
            wrap("abcdefghijkl mn", 10.0, 30.0),
            vec!["abcdefghijkl", "mn"]
        );
        assert!(wrap("   ", 10.0, 30.0).is_empty());
    }
}
