//! Geographic codes stay text and are normalised with a report: commune codes to 5 characters
//! (lost leading zero restored, `2A`/`2B`), EPCI SIREN to 9 digits (also from `200056232.0`),
//! multi-valued `SIREN_EPCI` (`200054781/200058790`).

use std::fmt;

/// The kind of code a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// INSEE commune code (`CODGEO`, `INSEE_COM`, `code_insee`, `DEPCOM`): 5 characters.
    Commune,
    /// EPCI SIREN (`CODE_SIREN`, `SIREN_EPCI`, `EPCI`): 9 digits.
    Epci,
    /// Département code: 2 characters, `2A`/`2B`, or 3 for overseas.
    Departement,
    /// Any other identifier, compared as trimmed text.
    Other,
}

impl CodeKind {
    /// The plural name shown to the user.
    pub fn label_plural(self) -> &'static str {
        match self {
            CodeKind::Commune => "codes commune INSEE",
            CodeKind::Epci => "SIREN d'EPCI",
            CodeKind::Departement => "codes département",
            CodeKind::Other => "identifiants",
        }
    }

    /// The name shown to the user.
    pub fn label(self) -> &'static str {
        match self {
            CodeKind::Commune => "code commune INSEE",
            CodeKind::Epci => "SIREN d'EPCI",
            CodeKind::Departement => "code département",
            CodeKind::Other => "identifiant",
        }
    }
}

/// What normalisation changed in a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fix {
    /// Spaces around or inside the code were removed.
    Trimmed,
    /// A spreadsheet's float form (`200056232.0`, `2.00056232E8`) was turned back into digits.
    FloatForm,
    /// A leading zero lost by a spreadsheet was restored (`1001` → `01001`).
    LeadingZero,
    /// Lowercase Corsica letters were put in uppercase (`2a004` → `2A004`).
    Uppercased,
    /// Only the first of several `/`-separated codes was kept as the key.
    FirstOfSeveral,
}

impl Fix {
    /// The description shown in join reports.
    pub fn label(self) -> &'static str {
        match self {
            Fix::Trimmed => "espaces supprimés",
            Fix::FloatForm => "forme décimale d'Excel corrigée",
            Fix::LeadingZero => "zéro initial restauré",
            Fix::Uppercased => "lettres de Corse mises en majuscules",
            Fix::FirstOfSeveral => "plusieurs codes séparés par « / » : le premier est retenu",
        }
    }
}

impl fmt::Display for Fix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A code after normalisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Normalised {
    /// The normalised code.
    pub code: String,
    /// What was changed, empty when the code was already clean.
    pub fixes: Vec<Fix>,
}

/// Why a code could not be normalised.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The cell is blank.
    #[error("code vide")]
    Empty,
    /// The text cannot be read as a code of the expected kind.
    #[error("« {raw} » n'est pas un {} valide", kind.label())]
    Malformed {
        /// The code as read.
        raw: String,
        /// The kind of code expected.
        kind: CodeKind,
    },
}

/// Splits a multi-valued code cell (`200054781/200058790`, `/` or `|` separated) into its
/// trimmed, non-empty parts.
pub fn split_multi(raw: &str) -> Vec<&str> {
    raw.split(['/', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Turns a spreadsheet float form (`200056232.0`, `2.00056232E8`, `91001.0`) back into digits.
fn undo_float_form(s: &str) -> Option<String> {
    let lower = s.to_ascii_lowercase();
    let looks_float = (lower.contains('.') || lower.contains('e'))
        && lower
            .chars()
            .all(|c| c.is_ascii_digit() || ".e+-".contains(c));
    if !looks_float {
        return None;
    }
    let x: f64 = lower.parse().ok()?;
    (x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 1e15).then(|| format!("{x:.0}"))
}

/// Normalises one code of the given kind. For multi-valued cells the first code is kept and
/// [`Fix::FirstOfSeveral`] is reported; use [`split_multi`] to get them all.
pub fn normalise(raw: &str, kind: CodeKind) -> Result<Normalised, CodeError> {
    let mut fixes = Vec::new();
    let parts = split_multi(raw);
    let first = match parts.as_slice() {
        [] => return Err(CodeError::Empty),
        [one] => *one,
        [first, ..] => {
            fixes.push(Fix::FirstOfSeveral);
            *first
        }
    };
    let mut s: String = first.chars().filter(|c| !c.is_whitespace()).collect();
    if s.len() != first.len() || (parts.len() == 1 && raw != raw.trim()) {
        fixes.push(Fix::Trimmed);
    }
    if kind != CodeKind::Other
        && let Some(digits) = undo_float_form(&s)
    {
        s = digits;
        fixes.push(Fix::FloatForm);
    }
    let malformed = || CodeError::Malformed {
        raw: raw.trim().to_owned(),
        kind,
    };
    match kind {
        CodeKind::Commune => {
            let upper = s.to_ascii_uppercase();
            if upper != s {
                fixes.push(Fix::Uppercased);
                s = upper;
            }
            if s.len() == 4 && s.chars().all(|c| c.is_ascii_digit()) {
                s.insert(0, '0');
                fixes.push(Fix::LeadingZero);
            }
            let bytes = s.as_bytes();
            let valid = bytes.len() == 5
                && (bytes.iter().all(u8::is_ascii_digit)
                    || (bytes[0] == b'2'
                        && matches!(bytes[1], b'A' | b'B')
                        && bytes[2..].iter().all(u8::is_ascii_digit)));
            if !valid {
                return Err(malformed());
            }
        }
        CodeKind::Epci => {
            if !s.chars().all(|c| c.is_ascii_digit()) {
                return Err(malformed());
            }
            if s.len() == 8 {
                s.insert(0, '0');
                fixes.push(Fix::LeadingZero);
            }
            if s.len() != 9 {
                return Err(malformed());
            }
        }
        CodeKind::Departement => {
            let upper = s.to_ascii_uppercase();
            if upper != s {
                fixes.push(Fix::Uppercased);
                s = upper;
            }
            if s.len() == 1 && s.chars().all(|c| c.is_ascii_digit()) {
                s.insert(0, '0');
                fixes.push(Fix::LeadingZero);
            }
            let valid = (s.len() == 2
                && (s.chars().all(|c| c.is_ascii_digit()) || s == "2A" || s == "2B"))
                || (s.len() == 3 && s.starts_with("97") && s.chars().all(|c| c.is_ascii_digit()));
            if !valid {
                return Err(malformed());
            }
        }
        CodeKind::Other => {}
    }
    fixes.sort();
    fixes.dedup();
    Ok(Normalised { code: s, fixes })
}

/// Guesses the kind of a code column from its name.
pub fn kind_from_field_name(name: &str) -> Option<CodeKind> {
    let n = name.trim().to_ascii_lowercase();
    match n.as_str() {
        "codgeo" | "codegeo" | "depcom" | "insee_com" | "code_insee" | "codeinsee" | "insee"
        | "code_commune" | "com" | "codecommune" | "cog" | "code_com" | "code_insee_commune" => {
            Some(CodeKind::Commune)
        }
        "code_siren"
        | "siren_epci"
        | "epci"
        | "siren"
        | "codes_siren_des_epci"
        | "code_epci"
        | "siren_epci_91" => Some(CodeKind::Epci),
        "dep" | "code_dep" | "insee_dep" | "code_departement" | "departement" => {
            Some(CodeKind::Departement)
        }
        _ => None,
    }
}

/// Whether a field name is a code column that must stay text even if it looks numeric.
pub fn is_code_field_name(name: &str) -> bool {
    if kind_from_field_name(name).is_some() {
        return true;
    }
    let n = name.trim().to_ascii_lowercase();
    n.starts_with("code")
        || n.starts_with("cod_")
        || n.starts_with("id")
        || n.ends_with("_id")
        || n.contains("siren")
        || n.contains("siret")
        || n.contains("insee")
        || n.contains("finess")
        || n == "code_postal"
        || n == "codpos"
        || n == "cp"
        || n.starts_with("telephone")
        || n == "dciris"
        || n == "iris"
}

/// Guesses the kind of a code from its first 500 values: EPCI when at least 80 % read as 9-digit
/// EPCI codes, else commune when at least 80 % read as commune codes (4–5 characters), else
/// [`CodeKind::Other`].
pub fn kind_from_values<'a>(values: impl IntoIterator<Item = &'a str>) -> CodeKind {
    let mut commune = 0usize;
    let mut epci = 0usize;
    let mut total = 0usize;
    for v in values.into_iter().take(500) {
        total += 1;
        if normalise(v, CodeKind::Epci).is_ok_and(|n| !n.fixes.contains(&Fix::LeadingZero)) {
            epci += 1;
        } else if normalise(v, CodeKind::Commune).is_ok() {
            commune += 1;
        }
    }
    if total == 0 {
        CodeKind::Other
    } else if epci * 10 >= total * 8 {
        CodeKind::Epci
    } else if commune * 10 >= total * 8 {
        CodeKind::Commune
    } else {
        CodeKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str, kind: CodeKind) -> (String, Vec<Fix>) {
        let n = normalise(raw, kind).unwrap();
        (n.code, n.fixes)
    }

    #[test]
    fn commune_codes() {
        assert_eq!(ok("91001", CodeKind::Commune), ("91001".into(), vec![]));
        assert_eq!(
            ok("1001", CodeKind::Commune),
            ("01001".into(), vec![Fix::LeadingZero])
        );
        assert_eq!(
            ok("1001.0", CodeKind::Commune),
            ("01001".into(), vec![Fix::FloatForm, Fix::LeadingZero])
        );
        assert_eq!(
            ok("2a004", CodeKind::Commune),
            ("2A004".into(), vec![Fix::Uppercased])
        );
        assert_eq!(ok("2B033", CodeKind::Commune), ("2B033".into(), vec![]));
        assert_eq!(
            ok(" 91228 ", CodeKind::Commune),
            ("91228".into(), vec![Fix::Trimmed])
        );
        assert!(normalise("912", CodeKind::Commune).is_err());
        assert!(normalise("2C004", CodeKind::Commune).is_err());
        assert!(normalise("9100A", CodeKind::Commune).is_err());
        assert_eq!(normalise("", CodeKind::Commune), Err(CodeError::Empty));
    }

    #[test]
    fn siren_codes() {
        assert_eq!(
            ok("200056232", CodeKind::Epci),
            ("200056232".into(), vec![])
        );
        assert_eq!(
            ok("200056232.0", CodeKind::Epci),
            ("200056232".into(), vec![Fix::FloatForm])
        );
        assert_eq!(
            ok("2.00056232E8", CodeKind::Epci),
            ("200056232".into(), vec![Fix::FloatForm])
        );
        assert_eq!(
            ok("200054781/200058790", CodeKind::Epci),
            ("200054781".into(), vec![Fix::FirstOfSeveral])
        );
        assert_eq!(
            split_multi("200054781/200058790"),
            vec!["200054781", "200058790"]
        );
        assert_eq!(
            normalise("20005623", CodeKind::Epci).unwrap().fixes,
            vec![Fix::LeadingZero]
        );
        assert!(normalise("2000562321", CodeKind::Epci).is_err());
        assert!(normalise("NR", CodeKind::Epci).is_err());
    }

    #[test]
    fn kind_guessing() {
        assert_eq!(
            kind_from_values(["91001", "91016", "1001"]),
            CodeKind::Commune
        );
        assert_eq!(kind_from_values(["200056232", "249100546"]), CodeKind::Epci);
        assert_eq!(kind_from_field_name("INSEE_COM"), Some(CodeKind::Commune));
        assert_eq!(kind_from_field_name("CODE_SIREN"), Some(CodeKind::Epci));
    }
}
