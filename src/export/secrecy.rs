//! Statistical secrecy and personal data, enforced on every export.
//!
//! - Which fields are sensitive comes from the data's nature, never from a name prefix alone:
//!   the household and person counts of INSEE's Filosofi (fiscal households `NBMENFISC`,
//!   persons of fiscal households `NBPERSMENFISC`, poor households `NB_MEN_PAUV`, counts of
//!   poor households by profile `MP_*`, the gridded counts `Men`, `Men_*`, `Ind`, `Ind_*`),
//!   the counts of points of a personal-data layer, and the fields the user marks. Legal
//!   census populations (`POPULATION`, `PMUN`, `PTOT`…) are published for every commune and
//!   are not sensitive. Each field's status and reason is listed by [`sensitive_fields`] and
//!   can be changed per field in the project's privacy settings
//!   ([`crate::project::PrivacySpec`]).
//! - Sensitive values below [`SECRECY_THRESHOLD`] are masked at commune level or finer, as
//!   `secret statistique`, unless the user lifts the guard explicitly. Zero is masked too:
//!   "nobody in this commune is poor" discloses as much as "3 households are".
//! - Layers marked as personal data leave only aggregated to zones, never as points.

use crate::codes::{CodeKind, kind_from_field_name, kind_from_values};
use crate::model::Table;
use crate::project::PrivacySpec;
use crate::value::{Missing, Value, ValueRef};

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
            .map(|f| f.values.iter().take(500).map(|v| v.to_string()).collect())
            .unwrap_or_default();
        kind_from_values(texts.iter().map(String::as_str))
    });
    match kind {
        CodeKind::Epci | CodeKind::Departement => ZoneLevel::Aggregate,
        CodeKind::Commune | CodeKind::Other => ZoneLevel::Fine,
    }
}

/// Why a field is sensitive by nature, when it is one of the household or person counts of
/// INSEE's Filosofi (commune files and 200 m grid; a two-digit vintage suffix is allowed:
/// `NBMENFISC21`). `None` for every other field (rates, medians, census populations, service
/// counts…).
pub fn default_sensitivity(name: &str) -> Option<&'static str> {
    let n = name.trim().to_ascii_uppercase();
    // The name without a two-digit vintage suffix (`NBMENFISC21` → `NBMENFISC`).
    let base = match n
        .len()
        .checked_sub(2)
        .and_then(|i| n.get(i..).map(|s| (i, s)))
    {
        Some((i, s)) if s.bytes().all(|b| b.is_ascii_digit()) => n.get(..i).unwrap_or(&n),
        _ => n.as_str(),
    };
    let is = |names: &[&str]| names.contains(&base);
    if is(&["NBMENFISC", "NB_MEN_FISC"]) {
        Some("nombre de ménages fiscaux (Filosofi, INSEE)")
    } else if is(&["NBPERSMENFISC", "NB_PERS_MEN_FISC"]) {
        Some("nombre de personnes des ménages fiscaux (Filosofi, INSEE)")
    } else if is(&["NB_MEN_PAUV", "NBMENPAUV", "MEN_PAUV", "NB_MENAGES_PAUVRES"]) {
        Some("nombre de ménages pauvres (Filosofi, INSEE)")
    } else if n.starts_with("MP_") {
        Some("nombre de ménages pauvres d'un profil de pauvreté (Filosofi, INSEE)")
    } else if n == "MEN" || (n.starts_with("MEN_") && n != "MEN_SURF") {
        Some("effectif de ménages des données carroyées (Filosofi, INSEE)")
    } else if n == "IND" || (n.starts_with("IND_") && n != "IND_SNV") {
        Some("effectif de personnes des données carroyées (Filosofi, INSEE)")
    } else {
        None
    }
}

/// Where a field's sensitivity comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SensitivitySource {
    /// Sensitive by nature (see [`default_sensitivity`]) and not unmarked: masked.
    Default,
    /// Marked by the user: masked.
    Marked,
    /// A count of points of a personal-data layer (counts of persons): masked.
    Personal,
    /// Sensitive by nature but declared public by the user: not masked.
    Unmarked,
}

/// A field the secrecy guard considers, with why.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitiveField {
    /// The field name, as in the table.
    pub name: String,
    /// Why it is (or would be) sensitive, in French, for the user.
    pub reason: String,
    /// Where the decision comes from.
    pub source: SensitivitySource,
}

impl SensitiveField {
    /// Whether its small values are masked.
    pub fn masked(&self) -> bool {
        self.source != SensitivitySource::Unmarked
    }
}

/// Reason shown for a field marked by the user.
const MARKED_REASON: &str = "marqué par l'utilisateur comme effectif de personnes ou de ménages";

/// Reason shown for the counts of a personal-data layer.
const PERSONAL_REASON: &str = "effectif de personnes d'une couche de données personnelles";

/// The user's choice for an export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecrecyGuard {
    /// Fields marked sensitive by the user, on top of those sensitive by nature.
    pub marked: Vec<String>,
    /// Fields sensitive by nature that the user declared public (not masked).
    pub public: Vec<String>,
    /// Counts of points of a personal-data layer (set by the export, not by the user).
    pub personal: Vec<String>,
    /// The user explicitly lifted the guard (`--lever-secret`): nothing is masked and the map
    /// says so.
    pub lifted: bool,
}

fn listed(list: &[String], name: &str) -> bool {
    list.iter()
        .any(|m| m.trim().eq_ignore_ascii_case(name.trim()))
}

impl SecrecyGuard {
    /// This guard with the project's privacy settings added (marked and public fields).
    pub fn with_privacy(mut self, privacy: &PrivacySpec) -> SecrecyGuard {
        self.marked.extend(privacy.count_fields.iter().cloned());
        self.public.extend(privacy.public_fields.iter().cloned());
        self
    }

    /// The status of field `name`, or `None` when it is neither sensitive by nature nor
    /// marked. A field both marked and public is public: the later, explicit choice of
    /// [`PrivacySpec::set_sensitive`] keeps the two lists apart.
    pub fn status(&self, name: &str) -> Option<SensitiveField> {
        let field = |reason: &str, source| SensitiveField {
            name: name.to_owned(),
            reason: reason.to_owned(),
            source,
        };
        match default_sensitivity(name) {
            Some(reason) if listed(&self.public, name) => {
                Some(field(reason, SensitivitySource::Unmarked))
            }
            Some(reason) => Some(field(reason, SensitivitySource::Default)),
            None if listed(&self.public, name) => None,
            None if listed(&self.personal, name) => {
                Some(field(PERSONAL_REASON, SensitivitySource::Personal))
            }
            None if listed(&self.marked, name) => {
                Some(field(MARKED_REASON, SensitivitySource::Marked))
            }
            None => None,
        }
    }

    /// Whether the small values of field `name` are masked (the lifting aside).
    pub fn is_sensitive(&self, name: &str) -> bool {
        self.status(name).is_some_and(|s| s.masked())
    }
}

/// The fields of `table` the secrecy guard considers under the project's privacy settings,
/// in table order: those sensitive by nature (masked, or unmarked by the user) and those the
/// user marked, each with its reason in French. What the app shows and lets the user change.
pub fn sensitive_fields(table: &Table, privacy: &PrivacySpec) -> Vec<SensitiveField> {
    let guard = SecrecyGuard::default().with_privacy(privacy);
    table
        .fields
        .iter()
        .filter_map(|f| guard.status(&f.name))
        .collect()
}

/// What the guard did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SecrecyReport {
    /// Masked cells per field.
    pub masked: Vec<(String, usize)>,
    /// Why each masked field is sensitive (field, reason in French), in the order of
    /// `masked`: what the app shows next to the export.
    pub reasons: Vec<(String, String)>,
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
        let Some(status) = guard.status(&field.name).filter(SensitiveField::masked) else {
            continue;
        };
        let mut n = 0;
        for row in 0..field.values.len() {
            if let Some(ValueRef::Number(x)) = field.values.get(row)
                && x < SECRECY_THRESHOLD
            {
                n += 1;
                if !guard.lifted {
                    field.values.set(row, Value::Missing(Missing::Secret));
                }
            }
        }
        if n > 0 {
            if guard.lifted {
                report.lifted += n;
            } else {
                report.masked.push((field.name.clone(), n));
                report.reasons.push((field.name.clone(), status.reason));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Field, FieldKind};
    use crate::project::PrivacySpec;

    fn table() -> Table {
        Table {
            fields: vec![
                Field {
                    name: "INSEE_COM".into(),
                    kind: FieldKind::Text,
                    values: vec![Value::Text("91001".into()), Value::Text("91002".into())].into(),
                },
                Field {
                    name: "NB_MEN_PAUV".into(),
                    kind: FieldKind::Number,
                    values: vec![Value::Number(7.0), Value::Number(120.0)].into(),
                },
                Field {
                    name: "TP60".into(),
                    kind: FieldKind::Number,
                    values: vec![Value::Number(3.0), Value::Number(12.0)].into(),
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
        assert_eq!(
            t.fields.get(1).unwrap().values.get(0).unwrap(),
            Value::Missing(Missing::Secret)
        );
        // A rate is not a count.
        assert_eq!(
            t.fields.get(2).unwrap().values.get(0).unwrap(),
            Value::Number(3.0)
        );
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
        assert_eq!(
            t.fields.get(1).unwrap().values.get(0).unwrap(),
            Value::Number(7.0)
        );
        assert!(report.note().is_some_and(|n| n.contains("levé")));
    }

    #[test]
    fn marked_fields_and_epci_level() {
        let mut t = table();
        let guard = SecrecyGuard {
            marked: vec!["tp60".into()],
            ..SecrecyGuard::default()
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

    fn number(name: &str, x: f64) -> Field {
        Field {
            name: name.into(),
            kind: FieldKind::Number,
            values: vec![Value::Number(x)].into(),
        }
    }

    /// A commune of 7 inhabitants with 4 fiscal households, 2 of them poor.
    fn tiny_commune() -> Table {
        Table {
            fields: vec![
                number("POPULATION", 7.0),
                number("PMUN", 7.0),
                number("PTOT", 8.0),
                number("NBMENFISC21", 4.0),
                number("NB_MEN_PAUV", 2.0),
                number("NB_POINTS", 1.0),
            ],
            row_origin: vec![1],
        }
    }

    fn masked_names(t: &mut Table, privacy: &PrivacySpec) -> Vec<String> {
        let guard = SecrecyGuard::default().with_privacy(privacy);
        mask_small_counts(t, ZoneLevel::Fine, &guard)
            .masked
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    #[test]
    fn census_populations_are_public_filosofi_counts_are_not() {
        let mut t = tiny_commune();
        assert_eq!(
            masked_names(&mut t, &PrivacySpec::default()),
            vec!["NBMENFISC21".to_owned(), "NB_MEN_PAUV".to_owned()]
        );
        assert_eq!(
            t.fields[0].values.get(0).unwrap(),
            Value::Number(7.0),
            "POPULATION shown"
        );
        assert_eq!(
            t.fields.get(3).unwrap().values.get(0).unwrap(),
            Value::Missing(Missing::Secret)
        );
        assert_eq!(
            t.fields.get(4).unwrap().values.get(0).unwrap(),
            Value::Missing(Missing::Secret)
        );
        // The report says why each field was masked.
        let report = mask_small_counts(
            &mut tiny_commune(),
            ZoneLevel::Fine,
            &SecrecyGuard::default(),
        );
        assert_eq!(
            report.reasons[1],
            (
                "NB_MEN_PAUV".to_owned(),
                "nombre de ménages pauvres (Filosofi, INSEE)".to_owned()
            )
        );
    }

    #[test]
    fn the_user_marks_and_unmarks_fields() {
        let mut privacy = PrivacySpec::default();
        privacy.set_sensitive("nb_men_pauv", false);
        privacy.set_sensitive("POPULATION", true);
        let listed = sensitive_fields(&tiny_commune(), &privacy);
        let status: Vec<(&str, SensitivitySource)> =
            listed.iter().map(|f| (f.name.as_str(), f.source)).collect();
        assert_eq!(
            status,
            vec![
                ("POPULATION", SensitivitySource::Marked),
                ("NBMENFISC21", SensitivitySource::Default),
                ("NB_MEN_PAUV", SensitivitySource::Unmarked),
            ]
        );
        assert_eq!(
            listed[1].reason,
            "nombre de ménages fiscaux (Filosofi, INSEE)"
        );
        assert!(!listed[2].masked());
        let mut t = tiny_commune();
        assert_eq!(
            masked_names(&mut t, &privacy),
            vec!["POPULATION".to_owned(), "NBMENFISC21".to_owned()]
        );
        assert_eq!(
            t.fields.get(4).unwrap().values.get(0).unwrap(),
            Value::Number(2.0),
            "unmarked: shown"
        );
        // Marking again moves the field back, and the two lists never share a field.
        privacy.set_sensitive("NB_MEN_PAUV", true);
        assert!(privacy.public_fields.is_empty());
        assert_eq!(privacy.count_fields, vec!["POPULATION", "NB_MEN_PAUV"]);
        let mut t = tiny_commune();
        assert_eq!(masked_names(&mut t, &privacy).len(), 3);
    }

    #[test]
    fn sensitivity_by_nature() {
        for name in [
            "NBMENFISC",
            "NBPERSMENFISC19",
            "NB_MEN_PAUV",
            "Men_pauv",
            "men",
            "Men_fmp",
            "Ind",
            "Ind_80p",
            "MP_RETRAITES",
        ] {
            assert!(default_sensitivity(name).is_some(), "{name}");
        }
        for name in [
            "POPULATION",
            "population",
            "PMUN21",
            "PTOT",
            "POP_MUNICIPALE",
            "TP60",
            "MED21",
            "Ind_snv",
            "Men_surf",
            "INDICE_JEUNESSE",
            "NB_POINTS",
            "NB_FAM_MONO",
            "MENAGES_RP",
        ] {
            assert!(default_sensitivity(name).is_none(), "{name}");
        }
    }
}
