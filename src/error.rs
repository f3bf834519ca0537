//! Typed errors of the importers. Every message is in French (it is what the analyst reads)
//! and names the file and, when known, the place of the fault.

use std::fmt;
use std::path::Path;

/// Where in a file a fault was found. Numbers are 1-based, as a user counts them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// A line of a text file.
    Line(u64),
    /// A line and a named column of a text file.
    LineColumn {
        /// Line number, 1-based.
        line: u64,
        /// Name of the column, as written in the file's header.
        column: String,
    },
    /// A line and a character position of a text file (JSON syntax errors).
    LineChar {
        /// Line number, 1-based.
        line: u64,
        /// Character position in the line, 1-based.
        column: u64,
    },
    /// A cell of a workbook sheet, e.g. `C7`.
    Cell {
        /// Name of the sheet.
        sheet: String,
        /// Cell reference in A1 notation, e.g. `C7`.
        cell: String,
    },
    /// A record of a shapefile (`.shp` / `.dbf`).
    Record(u64),
    /// A field of a record of a `.dbf` file.
    RecordField {
        /// Record number, 1-based.
        record: u64,
        /// Name of the `.dbf` field.
        field: String,
    },
    /// A feature of a GeoJSON file or of a GeoPackage layer.
    Feature(u64),
    /// A byte offset in a binary file.
    Byte(u64),
    /// A key of a JSON document (a project file), as a path: `map.classification.classes`.
    Key(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, "ligne {line}"),
            Place::LineColumn { line, column } => write!(f, "ligne {line}, colonne « {column} »"),
            Place::LineChar { line, column } => write!(f, "ligne {line}, caractère {column}"),
            Place::Cell { sheet, cell } => write!(f, "feuille « {sheet} », cellule {cell}"),
            Place::Record(record) => write!(f, "enregistrement {record}"),
            Place::RecordField { record, field } => {
                write!(f, "enregistrement {record}, champ « {field} »")
            }
            Place::Feature(feature) => write!(f, "entité {feature}"),
            Place::Byte(offset) => write!(f, "octet {offset}"),
            Place::Key(key) => write!(f, "clé « {key} »"),
        }
    }
}

/// An error while reading a user's file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{file} : lecture impossible ({source})")]
    Io {
        /// The file, as the user named it.
        file: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no content at all.
    #[error("{file} : le fichier est vide")]
    Empty {
        /// The file, as the user named it.
        file: String,
    },
    /// The file as a whole is not what it claims to be or cannot be used.
    #[error("{file} : {message}")]
    Format {
        /// The file, as the user named it.
        file: String,
        /// What is wrong with the file, in French.
        message: String,
    },
    /// A fault at a precise place of the file.
    #[error("{file} : {place} : {message}")]
    Invalid {
        /// The file, as the user named it.
        file: String,
        /// Where in the file the fault is.
        place: Place,
        /// What is wrong at that place, in French.
        message: String,
    },
    /// The coordinate reference system is missing or not recognised.
    #[error("{file} : système de coordonnées non reconnu : {detail}")]
    UnknownCrs {
        /// The file, as the user named it.
        file: String,
        /// Why no usable CRS was found (what the file declares, or that it declares none), in French.
        detail: String,
    },
    /// A field named by the user or required by the format is absent.
    #[error("{file} : champ « {field} » introuvable (champs présents : {available})")]
    MissingField {
        /// The file, as the user named it.
        file: String,
        /// The field that was looked for.
        field: String,
        /// The fields the file has, each quoted `« … »` and separated by `, `.
        available: String,
    },
    /// The file would cost more than the read limit (`--limite-memoire`, see `limits`).
    #[error("{file} : {what} dépasse la limite de lecture ({limit}) ; {advice}")]
    Limit {
        /// The file (or `archive.zip/entry`), as the user named it.
        file: String,
        /// What exceeds the limit, in French (`le contenu (une fois décompressé)`).
        what: String,
        /// The limit in force, as said to the user (`4096 Mo`).
        limit: String,
        /// How to raise it, in French.
        advice: String,
    },
}

impl LoadError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        LoadError::Io {
            file: display_name(path),
            source,
        }
    }

    /// A whole-file fault on `path`.
    pub fn format(path: &Path, message: impl Into<String>) -> Self {
        LoadError::Format {
            file: display_name(path),
            message: message.into(),
        }
    }

    /// A fault at `place` in `path`.
    pub fn invalid(path: &Path, place: Place, message: impl Into<String>) -> Self {
        LoadError::Invalid {
            file: display_name(path),
            place,
            message: message.into(),
        }
    }

    /// A missing or unrecognised CRS in `path`.
    pub fn unknown_crs(path: &Path, detail: impl Into<String>) -> Self {
        LoadError::UnknownCrs {
            file: display_name(path),
            detail: detail.into(),
        }
    }

    /// A field `field` absent from `path`, which has the fields `available`.
    pub fn missing_field<'a>(
        path: &Path,
        field: &str,
        available: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        LoadError::MissingField {
            file: display_name(path),
            field: field.to_owned(),
            available: available
                .into_iter()
                .map(|name| format!("« {name} »"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// How a path is named in messages: as the user gave it.
pub fn display_name(path: &Path) -> String {
    path.display().to_string()
}

/// A non-fatal problem found while reading a file, reported to the user (e.g. by `inspect`).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// Where the problem is, when it has a precise place.
    pub place: Option<Place>,
    /// What is wrong, in French.
    pub message: String,
}

impl Problem {
    /// A problem at a precise place.
    pub fn at(place: Place, message: impl Into<String>) -> Self {
        Problem {
            place: Some(place),
            message: message.into(),
        }
    }

    /// A problem of the whole file.
    pub fn whole(message: impl Into<String>) -> Self {
        Problem {
            place: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.place {
            Some(place) => write!(f, "{place} : {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Translates a `serde_json` error into French, without the position (given by the place).
pub fn json_message_fr(e: &serde_json::Error) -> String {
    let raw = e.to_string();
    let text = match raw.find(" at line ") {
        Some(i) => raw[..i].to_owned(),
        None => raw,
    };
    let between = |s: &str, a: &str| s.strip_prefix(a).map(|r| r.trim_matches('`').to_owned());
    if let Some(field) = between(&text, "missing field ") {
        return format!("champ « {field} » manquant");
    }
    if let Some(rest) = text.strip_prefix("unknown field ") {
        let field = rest.split('`').nth(1).unwrap_or(rest);
        return format!("champ « {field} » inconnu");
    }
    if let Some(rest) = text.strip_prefix("invalid type: ") {
        return format!("type de valeur inattendu ({rest})");
    }
    if let Some(rest) = text.strip_prefix("invalid value: ") {
        return format!("valeur inattendue ({rest})");
    }
    match text.as_str() {
        "trailing comma" => "virgule en trop".to_owned(),
        "expected value" => "valeur attendue".to_owned(),
        "expected `,` or `}`" => "« , » ou « } » attendu".to_owned(),
        "expected `,` or `]`" => "« , » ou « ] » attendu".to_owned(),
        "expected `:`" => "« : » attendu".to_owned(),
        "expected ident" => "mot inattendu (true, false ou null attendu)".to_owned(),
        "key must be a string" => "clé qui n'est pas une chaîne entre guillemets".to_owned(),
        "invalid number" | "number out of range" => "nombre invalide".to_owned(),
        "invalid escape" => "séquence d'échappement invalide".to_owned(),
        "trailing characters" => "caractères en trop après la fin du JSON".to_owned(),
        "control character (\\u0000-\\u001F) found while parsing a string" => {
            "caractère de contrôle dans une chaîne".to_owned()
        }
        t if t.starts_with("EOF while parsing") => {
            "fin de fichier inattendue : fichier tronqué ?".to_owned()
        }
        t if t.starts_with("invalid unicode") => "code Unicode invalide".to_owned(),
        t => format!("syntaxe invalide ({t})"),
    }
}

/// The place of a `serde_json` error.
pub fn json_place(e: &serde_json::Error) -> Place {
    Place::LineChar {
        line: e.line() as u64,
        column: e.column() as u64,
    }
}

/// Explains, in French, why bytes are not of the binary kind their extension `ext` promises:
/// an HTML page (an expired download), text (a renamed CSV), or something else.
pub fn wrong_content(ext: &str, bytes: &[u8], expected: &str) -> String {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let textual = head
        .iter()
        .all(|&b| b >= 0x20 || b == b'\n' || b == b'\r' || b == b'\t');
    if lower.contains("<html") || lower.contains("<!doctype html") || lower.contains("<table") {
        format!(
            "le fichier porte l'extension .{ext} mais contient une page HTML, pas {expected} \
             (téléchargement expiré ou interrompu ?)"
        )
    } else if textual {
        format!(
            "le fichier porte l'extension .{ext} mais contient du texte (probablement un CSV), pas {expected}"
        )
    } else {
        format!("le fichier porte l'extension .{ext} mais n'est pas {expected} valide")
    }
}

/// Formats a coordinate for messages: plain when reasonable, scientific when huge.
pub fn coord(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e9 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// What the user can do about an error, from its message (French, as every message of the
/// library): the error dialog of the app shows it under the message. The first rule whose
/// words appear in the message gives the advice; the last one holds for any error of a file.
pub fn next_step(message: &str) -> &'static str {
    let m = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&["limite de lecture"]) {
        "Le fichier dépasse la limite de lecture : relancez CartoSol avec la variable \
         CARTOSOL_LIMITE_MEMOIRE=<Mo> plus grande (0 : sans limite), si la machine a assez de \
         mémoire."
    } else if has(&["lecture seule"]) {
        "Enregistrez le projet sous un autre nom, dans un dossier à vous (Fichier › Enregistrer \
         sous…)."
    } else if has(&[
        "no such file",
        "introuvable",
        "n'existe pas",
        "aucun fichier",
        "lecture impossible",
    ]) {
        "Vérifiez que le fichier existe encore à cet endroit (déplacé, renommé, clé USB \
         retirée ?), puis ouvrez-le de nouveau (Fichier › Ouvrir…)."
    } else if has(&["permission denied", "accès refusé", "permission"]) {
        "Le fichier ou le dossier n'est pas accessible : choisissez un dossier où vous pouvez \
         écrire, ou fermez le fichier s'il est ouvert dans un autre logiciel (Excel)."
    } else if has(&["coordonnée", "longitude", "latitude"]) {
        "Indiquez les colonnes de coordonnées et leur système (WGS 84 en degrés ou Lambert-93 \
         en mètres) dans l'assistant d'import, ou corrigez la ligne indiquée dans le fichier."
    } else if has(&["système de coordonnées", "projection", ".prj", "crs"]) {
        "Précisez le système de coordonnées de la couche (le fichier .prj manque ou n'est pas \
         reconnu) : réexportez-la en Lambert-93 (EPSG:2154) ou en WGS 84 depuis QGIS."
    } else if has(&["encodage", "utf-8", "utf-16"]) {
        "Réenregistrez le fichier en UTF-8 (LibreOffice : Enregistrer sous › Texte CSV › jeu \
         de caractères « Unicode (UTF-8) »), puis rechargez-le."
    } else if has(&[
        "valeurs alors que l'en-tête",
        "guillemet",
        "séparateur",
        "ligne csv",
    ]) {
        "Ouvrez le fichier dans un tableur à la ligne indiquée : une ligne a trop ou trop peu \
         de colonnes (séparateur ou guillemet en trop). Corrigez-la puis rechargez le fichier."
    } else if has(&["corrompu", "tronqu", "illisible", "incohérent", "abîmé"]) {
        "Le fichier est abîmé : téléchargez-le ou réexportez-le depuis sa source (Insee, \
         data.gouv.fr, QGIS), puis rechargez-le."
    } else if has(&["champ", "colonne"]) {
        "Choisissez le bon champ dans la liste, ou vérifiez le nom de la colonne dans le \
         fichier (majuscules, accents, espaces)."
    } else {
        "Corrigez le fichier à l'endroit indiqué, puis rechargez-le. CartoSol n'a modifié aucun \
         de vos fichiers."
    }
}

#[cfg(test)]
mod next_step_tests {
    use super::*;

    #[test]
    fn the_advice_follows_the_kind_of_error() {
        let path = Path::new("communes.shp");
        let cases = [
            (
                LoadError::invalid(
                    path,
                    Place::Record(2),
                    "forme tronquée : le fichier .shp s'arrête avant la fin de l'enregistrement",
                )
                .to_string(),
                "abîmé",
            ),
            (
                LoadError::invalid(
                    Path::new("t.csv"),
                    Place::Line(4),
                    "5 valeurs alors que l'en-tête (ligne 1) compte 3 colonnes",
                )
                .to_string(),
                "trop peu",
            ),
            (
                LoadError::io(
                    Path::new("absent.csv"),
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                )
                .to_string(),
                "existe encore",
            ),
            (
                "le projet d'exemple est en lecture seule".to_owned(),
                "Enregistrer sous",
            ),
            (
                "x.gpkg : quelque chose d'inattendu".to_owned(),
                "aucun de vos fichiers",
            ),
        ];
        for (message, expected) in cases {
            let advice = next_step(&message);
            assert!(advice.contains(expected), "« {message} » → « {advice} »");
        }
    }
}
