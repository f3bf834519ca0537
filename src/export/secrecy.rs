//! Statistical secrecy and personal data, enforced on every export.
//!
//! - Counts of people or households (fields recognised by name — `NBMENFISC`, `NB_*`, `MP_*`,
//!   `MEN*`, `IND*`, `POP*`, `LOG*`, `EFF*`, see [`crate::aggregate::is_count_name`] — or marked
//!   by the user in the project) below [`SECRECY_THRESHOLD`] are masked at commune level or
//!   finer, as `secret statistique`, unless the user lifts the guard explicitly. Zero is masked
//!   too: "nobody in this commune is poor" discloses as much as "3 households are".
//! - Layers marked as personal data leave only aggregated to zones, never as points.

use crate::aggregate::is_count_name;
use crate::codes::{CodeKind, kind_from_field_name, kind_from_values};
use crate::model::Table;
use crate::value::{Missing, Value};

/// Counts strictly below this value are masked.
pub const SECRECY_THRESHOLD: f64 = 11.0;

/// The geographic level of a zone layer, for the secrecy rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoneLevel {
    /// Commune or finer (IRIS, grid squares, unknown zones): small counts are masked.
    Fine,
    /// EPCI, département: counts are large enough to be shown.
    Aggregate,
}

/// The level of a zone layer from its code column (its name, else its values).
pub fn zone_level(table: &Table, code_field: &str) -> ZoneLevel {
    let kind = kind_from_field_name(code_field).unwrap_or_else(|| {
        let texts: Vec<String> = table
            .field(code_field)
            .map(|f| f.values.iter().take(500).map(ToString::to_string).collect())
            .unwrap_or_default();
        kind_from_values(texts.iter().map(String::as_str))
    });
    match kind {
        CodeKind::Epci | CodeKind::Departement => ZoneLevel::Aggregate,
        CodeKind::Commune | CodeKind::Other => ZoneLevel::Fine,
    }
}

/// Whether a column holds counts of people or households (by name, or marked by the user).
pub fn is_count_field(name: &str, marked: &[String]) -> bool {
    marked
        .iter()
        .any(|m| m.trim().eq_ignore_ascii_case(name.trim()))
        || is_count_name(name)
}

/// The user's choice for an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecrecyGuard {
    /// Count fields marked by the user, on top of those recognised by name.
    pub marked: Vec<String>,
    /// The user explicitly lifted the guard (`--lever-secret`): nothing is masked and the map
    /// says so.
    pub lifted: bool,
}

/// What the guard did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecrecyReport {
    /// Masked cells per field.
    pub masked: Vec<(String, usize)>,
    /// Small counts that were left visible because the guard was lifted.
    pub lifted: usize,
}

impl SecrecyReport {
    /// The number of masked cells.
    pub fn total(&self) -> usize {
        self.masked.iter().map(|(_, n)| n).sum()
    }

    /// The note that goes on the map and in the export summary, if any.
    pub fn note(&self) -> Option<String> {
        if self.lifted > 0 {
            return Some(format!(
                "Attention : secret statistique levé à la demande de l'utilisateur ({} effectif(s) inférieur(s) à 11 visible(s)) — diffusion restreinte.",
                self.lifted
            ));
        }
        let total = self.total();
        (total > 0).then(|| {
            let fields: Vec<&str> = self.masked.iter().map(|(f, _)| f.as_str()).collect();
            format!(
                "Secret statistique : {total} effectif(s) de ménages ou de personnes inférieur(s) à 11 masqué(s) au niveau communal ({}).",
                fields.join(", ")
            )
        })
    }
}

/// Masks small counts in `table` (in place) when the layer is at commune level or finer.
pub fn mask_small_counts(
    table: &mut Table,
    level: ZoneLevel,
    guard: &SecrecyGuard,
) -> SecrecyReport {
    let mut report = SecrecyReport::default();
    if level == ZoneLevel::Aggregate {
        return report;
    }
    for field in &mut table.fields {
        if !is_count_field(&field.name, &guard.marked) {
            continue;
        }
        let mut n = 0;
        for v in &mut field.values {
            if let Value::Number(x) = v
                && *x < SECRECY_THRESHOLD
            {
                n += 1;
                if !guard.lifted {
                    *v = Value::Missing(Missing::Secret);
                }
            }
        }
        if n > 0 {
            if guard.lifted {
                report.lifted += n;
            } else {
                report.masked.push((field.name.clone(), n));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, FieldKind};

    fn table() -> Table {
        Table {
            fields: vec![
                Field {
                    name: "INSEE_COM".into(),
                    kind: FieldKind::Text,
                    values: vec![Value::Text("91001".into()), Value::Text("91002".into())],
                },
                Field {
                    name: "NB_MEN_PAUV".into(),
                    kind: FieldKind::Number,
                    values: vec![Value::Number(7.0), Value::Number(120.0)],
                },
                Field {
                    name: "TP60".into(),
                    kind: FieldKind::Number,
                    values: vec![Value::Number(3.0), Value::Number(12.0)],
                },
            ],
            row_origin: vec![1, 2],
        }
    }

    #[test]
    fn small_counts_are_masked_at_commune_level() {
        let mut t = table();
        let level = zone_level(&t, "INSEE_COM");
        assert_eq!(level, ZoneLevel::Fine);
        let report = mask_small_counts(&mut t, level, &SecrecyGuard::default());
        assert_eq!(report.masked, vec![("NB_MEN_PAUV".to_owned(), 1)]);
        assert_eq!(t.fields[1].values[0], Value::Missing(Missing::Secret));
        // A rate is not a count.
        assert_eq!(t.fields[2].values[0], Value::Number(3.0));
        assert!(
            report
                .note()
                .is_some_and(|n| n.contains("inférieur(s) à 11"))
        );
    }

    #[test]
    fn lifting_is_explicit_and_noted() {
        let mut t = table();
        let guard = SecrecyGuard {
            lifted: true,
            ..SecrecyGuard::default()
        };
        let report = mask_small_counts(&mut t, ZoneLevel::Fine, &guard);
        assert_eq!(t.fields[1].values[0], Value::Number(7.0));
        assert!(report.note().is_some_and(|n| n.contains("levé")));
    }

    #[test]
    fn marked_fields_and_epci_level() {
        let mut t = table();
        let guard = SecrecyGuard {
            marked: vec!["tp60".into()],
            lifted: false,
        };
        assert_eq!(
            mask_small_counts(&mut t.clone(), ZoneLevel::Fine, &guard).total(),
            2
        );
        assert_eq!(
            mask_small_counts(&mut t, ZoneLevel::Aggregate, &guard).total(),
            0
        );
    }
}
