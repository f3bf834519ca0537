//! Text decoding of French files: BOM, strict UTF-8, then Windows-1252.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use std::borrow::Cow;

/// The encoding a text was read with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 with a byte-order mark.
    Utf8Bom,
    /// UTF-8 without BOM (pure ASCII included).
    Utf8,
    /// Windows-1252, the superset of Latin-1 used by older French files.
    Windows1252,
    /// An encoding named by a `.cpg` file or by the user.
    Declared(&'static Encoding),
    /// UTF-16 (little- or big-endian) announced by its byte-order mark.
    Utf16Bom(&'static Encoding),
}

impl TextEncoding {
    /// The name shown to the user.
    pub fn label(self) -> String {
        match self {
            TextEncoding::Utf8Bom => "UTF-8 (avec BOM)".to_owned(),
            TextEncoding::Utf8 => "UTF-8".to_owned(),
            TextEncoding::Windows1252 => "Windows-1252 (CP1252)".to_owned(),
            TextEncoding::Declared(enc) => format!("{} (déclaré)", enc.name()),
            TextEncoding::Utf16Bom(enc) => format!("{} (avec BOM)", enc.name()),
        }
    }
}

/// Decodes bytes: a UTF-8 or UTF-16 byte-order mark decides (and is stripped), else strict
/// UTF-8, else Windows-1252.
pub fn decode_auto(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return match std::str::from_utf8(rest) {
            Ok(s) => (Cow::Borrowed(s), TextEncoding::Utf8Bom),
            Err(_) => (String::from_utf8_lossy(rest), TextEncoding::Utf8Bom),
        };
    }
    // UTF-16 with its byte-order mark (Excel's « Texte Unicode »): decoded as such and named
    // as such (encoding_rs would sniff the mark anyway, but the file must not be reported as
    // Windows-1252).
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if bytes.starts_with(bom) {
            let (s, _) = encoding.decode_with_bom_removal(bytes);
            return (s, TextEncoding::Utf16Bom(encoding));
        }
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (Cow::Borrowed(s), TextEncoding::Utf8),
        Err(_) => {
            let (s, _, _) = WINDOWS_1252.decode(bytes);
            (s, TextEncoding::Windows1252)
        }
    }
}

/// The encoding named by the content of a `.cpg` file (`UTF-8`, `1252`, `ISO-8859-1`…).
pub fn encoding_from_cpg(content: &str) -> Option<&'static Encoding> {
    let label = content.trim();
    if label.is_empty() {
        return None;
    }
    let lowered = label.to_ascii_lowercase();
    let alias = match lowered.as_str() {
        "1252" | "ansi 1252" | "cp1252" => "windows-1252",
        "utf8" | "65001" => "utf-8",
        "88591" | "8859_1" | "iso88591" | "latin1" => "iso-8859-1",
        "88595" | "8859_15" | "885915" | "iso885915" => "iso-8859-15",
        "437" | "850" => "ibm866", // closest supported; rare in French deliveries
        other => other,
    };
    Encoding::for_label(alias.as_bytes()).or(if lowered.contains("utf") {
        Some(UTF_8)
    } else {
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_stripped() {
        let (s, enc) = decode_auto(b"\xEF\xBB\xBFCODGEO;MED21");
        assert_eq!(s, "CODGEO;MED21");
        assert_eq!(enc, TextEncoding::Utf8Bom);
    }

    #[test]
    fn latin1_falls_back_to_cp1252() {
        let (s, enc) = decode_auto(b"L'Abergement-Cl\xe9menciat \x9c");
        assert_eq!(s, "L'Abergement-Clémenciat œ");
        assert_eq!(enc, TextEncoding::Windows1252);
    }

    #[test]
    fn cpg_labels() {
        assert_eq!(encoding_from_cpg("UTF-8\n"), Some(UTF_8));
        assert_eq!(encoding_from_cpg("1252"), Some(WINDOWS_1252));
        assert_eq!(
            encoding_from_cpg("ISO-8859-1").map(|e| e.name()),
            Some("windows-1252")
        );
        assert_eq!(encoding_from_cpg(""), None);
    }
}
