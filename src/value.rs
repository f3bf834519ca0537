//! Cell values that remember why they are missing, and the parsing of French numbers.

use std::fmt;

/// Why a value is missing. A missing value is never zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[non_exhaustive]
pub enum Missing {
    /// The cell is empty.
    Empty,
    /// `s`: statistical secrecy.
    Secret,
    /// `nd`: not available.
    NotAvailable,
    /// `ns`: not significant.
    NotSignificant,
    /// `so`: not applicable ("sans objet").
    NotApplicable,
    /// No table row matched this zone in a join.
    Unmatched,
    /// The join key appears on several table rows: no row was chosen.
    DuplicateKey,
    /// An aggregate whose inputs were partly missing (e.g. a member commune under secrecy).
    Incomplete,
}

impl Missing {
    /// The reason an INSEE-style marker token stands for (`s`, `nd`, `ns`, `so`, blank…), if it
    /// is one.
    pub fn from_marker(token: &str) -> Option<Missing> {
        // Compared without lowercasing a copy: a million cells are classified on a large file.
        let t = token.trim();
        let is = |marker: &str| t.eq_ignore_ascii_case(marker);
        if t.is_empty() {
            Some(Missing::Empty)
        } else if is("s") {
            Some(Missing::Secret)
        } else if is("nd") || is("n.d.") || is("nr") || is("nc") {
            Some(Missing::NotAvailable)
        } else if is("ns") {
            Some(Missing::NotSignificant)
        } else if is("so") {
            Some(Missing::NotApplicable)
        } else if t.len() == "non communiqué".len() && t.to_lowercase() == "non communiqué" {
            Some(Missing::NotAvailable)
        } else {
            None
        }
    }

    /// The reason as the legend and exports show it.
    pub fn label(self) -> &'static str {
        match self {
            Missing::Empty => "vide",
            Missing::Secret => "secret statistique",
            Missing::NotAvailable => "non disponible",
            Missing::NotSignificant => "non significatif",
            Missing::NotApplicable => "sans objet",
            Missing::Unmatched => "non apparié",
            Missing::DuplicateKey => "clé en double",
            Missing::Incomplete => "incomplet",
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One attribute value.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Value {
    /// A missing value and its reason.
    Missing(Missing),
    /// A number (counts and rates alike).
    Number(f64),
    /// Text, including every code (commune, SIREN…), which is never turned into a number.
    Text(String),
}

impl Value {
    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The missing reason, if this value is missing.
    pub fn missing(&self) -> Option<Missing> {
        match self {
            Value::Missing(m) => Some(*m),
            _ => None,
        }
    }
}

impl Value {
    /// A borrowed view of this value, as a [`crate::model::Column`] hands them out.
    pub fn view(&self) -> ValueRef<'_> {
        match self {
            Value::Missing(m) => ValueRef::Missing(*m),
            Value::Number(x) => ValueRef::Number(*x),
            Value::Text(s) => ValueRef::Text(s),
        }
    }
}

/// One attribute value borrowed from a column: what [`crate::model::Column::get`] returns (the
/// column stores numbers, text and missing reasons in typed vectors, not as [`Value`]s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// A missing value and its reason.
    Missing(Missing),
    /// A number.
    Number(f64),
    /// Text (codes included).
    Text(&'a str),
}

impl<'a> ValueRef<'a> {
    /// The number, if this is one.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            ValueRef::Number(x) => Some(x),
            _ => None,
        }
    }

    /// The text, if this is text.
    pub fn as_text(self) -> Option<&'a str> {
        match self {
            ValueRef::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The missing reason, if this value is missing.
    pub fn missing(self) -> Option<Missing> {
        match self {
            ValueRef::Missing(m) => Some(m),
            _ => None,
        }
    }

    /// An owned copy.
    pub fn to_value(self) -> Value {
        match self {
            ValueRef::Missing(m) => Value::Missing(m),
            ValueRef::Number(x) => Value::Number(x),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
        }
    }
}

impl PartialEq<Value> for ValueRef<'_> {
    fn eq(&self, other: &Value) -> bool {
        *self == other.view()
    }
}

impl PartialEq<ValueRef<'_>> for Value {
    fn eq(&self, other: &ValueRef<'_>) -> bool {
        self.view() == *other
    }
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> ValueRef<'a> {
        v.view()
    }
}

impl<'a> From<&ValueRef<'a>> for ValueRef<'a> {
    fn from(v: &ValueRef<'a>) -> ValueRef<'a> {
        *v
    }
}

impl From<ValueRef<'_>> for Value {
    fn from(v: ValueRef<'_>) -> Value {
        v.to_value()
    }
}

impl fmt::Display for ValueRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueRef::Missing(m) => write!(f, "({m})"),
            ValueRef::Number(x) => f.write_str(&format_number(*x)),
            ValueRef::Text(s) => f.write_str(s),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Missing(m) => write!(f, "({m})"),
            Value::Number(x) => f.write_str(&format_number(*x)),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// Formats a number as a French reader expects: decimal comma, no useless decimals.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.replace('.', ",")
    }
}

/// Parses a number as French files write it: decimal comma or point, thousands separated by
/// spaces (also non-breaking ones), an optional trailing `%`. Returns `None` for anything else,
/// including `NaN` and infinities.
pub fn parse_number(raw: &str) -> Option<f64> {
    let trimmed = raw.trim().trim_end_matches('%').trim_end();
    // A number starts with a digit, a sign, a separator or a thousands apostrophe: anything
    // else is answered before the copy below.
    if !trimmed
        .starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | ',' | '\''))
    {
        return None;
    }
    let mut cleaned = String::with_capacity(trimmed.len());
    for c in trimmed.chars() {
        match c {
            '0'..='9' | '-' | '+' | 'e' | 'E' => cleaned.push(c),
            '.' | ',' => cleaned.push(c),
            ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' => {}
            _ => return None,
        }
    }
    let has_comma = cleaned.contains(',');
    let has_point = cleaned.contains('.');
    let normalised = match (has_comma, has_point) {
        (true, true) => {
            // The last separator is the decimal one: `1.234,5` or `1,234.5`.
            let last_comma = cleaned.rfind(',').unwrap_or(0);
            let last_point = cleaned.rfind('.').unwrap_or(0);
            if last_comma > last_point {
                cleaned.replace('.', "").replace(',', ".")
            } else {
                cleaned.replace(',', "")
            }
        }
        (true, false) => {
            if cleaned.matches(',').count() > 1 {
                return None;
            }
            cleaned.replace(',', ".")
        }
        _ => cleaned,
    };
    if !normalised.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    normalised.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Interprets one raw text cell of a numeric column.
pub fn classify_cell(raw: &str) -> CellClass {
    if let Some(missing) = Missing::from_marker(raw) {
        return CellClass::Missing(missing);
    }
    match parse_number(raw) {
        Some(x) => CellClass::Number(x),
        None => CellClass::Other,
    }
}

/// What a raw cell looks like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CellClass {
    /// A missing-value marker (blank, INSEE secrecy `s`, `nd`…), with its reason.
    Missing(Missing),
    /// A number, decimal comma and thousands separators understood.
    Number(f64),
    /// Anything else: text that is neither a marker nor a number.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_numbers() {
        assert_eq!(parse_number("12,5"), Some(12.5));
        assert_eq!(parse_number("1 234,5"), Some(1234.5));
        assert_eq!(parse_number("1\u{a0}234"), Some(1234.0));
        assert_eq!(parse_number("1\u{202f}234 567"), Some(1_234_567.0));
        assert_eq!(parse_number("1.234,5"), Some(1234.5));
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("-3.25"), Some(-3.25));
        assert_eq!(parse_number("14,2 %"), Some(14.2));
        assert_eq!(parse_number("2.00056232E8"), Some(200_056_232.0));
    }

    #[test]
    fn not_numbers() {
        for raw in [
            "", "s", "NaN", "inf", "-", "12a", "1,2,3", "abc", "infinity",
        ] {
            assert_eq!(parse_number(raw), None, "{raw}");
        }
    }

    #[test]
    fn markers_remember_why() {
        assert_eq!(classify_cell("s"), CellClass::Missing(Missing::Secret));
        assert_eq!(
            classify_cell(" nd "),
            CellClass::Missing(Missing::NotAvailable)
        );
        assert_eq!(
            classify_cell("NS"),
            CellClass::Missing(Missing::NotSignificant)
        );
        assert_eq!(
            classify_cell("so"),
            CellClass::Missing(Missing::NotApplicable)
        );
        assert_eq!(classify_cell(""), CellClass::Missing(Missing::Empty));
        assert_eq!(classify_cell("0"), CellClass::Number(0.0));
    }

    #[test]
    fn numbers_print_with_a_decimal_comma() {
        assert_eq!(format_number(14.25), "14,25");
        assert_eq!(format_number(1200.0), "1200");
    }
}
