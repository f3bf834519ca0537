//! Eligibility zones and reception modes of data·inclusion services.
//!
//! - `zone_eligibilite` lists commune codes (5 characters), EPCI SIREN (9 digits) or
//!   département codes (`91`): a service covers every commune of those zones **whatever the
//!   distance**. EPCI are expanded through the communes' `SIREN_EPCI`, départements through the
//!   first characters of the commune code.
//! - `modes_accueil`: a service whose only mode is `a-distance` (no `en-presentiel`) is
//!   *remote-only*; coverage counts it apart and leaves it out of distances and of the 2SFCA.

use crate::analysis::population::PopulationBase;
use crate::codes::{CodeKind, normalise};
use crate::points::split_list;
use crate::value::ValueRef;

/// The name of the data·inclusion eligibility field.
pub const ELIGIBILITY_FIELD: &str = "zone_eligibilite";
/// The name of the data·inclusion reception-mode field.
pub const MODES_FIELD: &str = "modes_accueil";

/// Whether a `modes_accueil` value means remote only: `a-distance` listed and `en-presentiel`
/// absent. A missing value is *not* remote-only (the service is taken as in person).
pub fn is_remote_only<'a>(modes: impl Into<ValueRef<'a>>) -> bool {
    let ValueRef::Text(t) = modes.into() else {
        return false;
    };
    let items: Vec<String> = split_list(t).iter().map(|s| s.to_lowercase()).collect();
    items.iter().any(|m| m == "a-distance") && !items.iter().any(|m| m == "en-presentiel")
}

/// The communes (rows of `base`) covered by one service's eligibility zones.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EligibilityArea {
    /// Rows of the population base, sorted, without duplicates.
    pub communes: Vec<usize>,
    /// Items of the list that match no commune of the base (kept for the report).
    pub unknown: Vec<String>,
}

/// Reads one `zone_eligibilite` value (`91021, 200056232`, `["91"]`…) against the communes of
/// `base`. A missing value gives an empty area.
pub fn eligibility_area<'a>(
    value: impl Into<ValueRef<'a>>,
    base: &PopulationBase,
) -> EligibilityArea {
    let ValueRef::Text(t) = value.into() else {
        return EligibilityArea::default();
    };
    let mut area = EligibilityArea::default();
    for item in split_list(t) {
        let digits = item.trim();
        let before = area.communes.len();
        match digits.len() {
            9 if digits.chars().all(|c| c.is_ascii_digit()) => {
                if let Ok(siren) = normalise(digits, CodeKind::Epci) {
                    area.communes.extend(
                        base.epci
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| e.as_deref() == Some(siren.code.as_str()))
                            .map(|(i, _)| i),
                    );
                }
            }
            2 | 3 => {
                let dep = digits.to_ascii_uppercase();
                area.communes.extend(
                    base.codes
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.as_deref().is_some_and(|c| c.starts_with(&dep)))
                        .map(|(i, _)| i),
                );
            }
            _ => {
                if let Ok(code) = normalise(digits, CodeKind::Commune) {
                    area.communes.extend(
                        base.codes
                            .iter()
                            .position(|c| c.as_deref() == Some(code.code.as_str())),
                    );
                }
            }
        }
        if area.communes.len() == before {
            area.unknown.push(item);
        }
    }
    area.communes.sort_unstable();
    area.communes.dedup();
    area
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn base() -> PopulationBase {
        PopulationBase {
            codes: ["91001", "91016", "91021", "77001"]
                .iter()
                .map(|c| Some(c.to_string()))
                .collect(),
            epci: vec![
                Some("200017846".into()),
                Some("200017846".into()),
                Some("200057859".into()),
                None,
            ],
            ..PopulationBase::default()
        }
    }

    #[test]
    fn communes_epci_and_departement() {
        let b = base();
        let text = |s: &str| Value::Text(s.to_owned());
        assert_eq!(eligibility_area(&text("91021"), &b).communes, vec![2]);
        assert_eq!(
            eligibility_area(&text("200017846"), &b).communes,
            vec![0, 1]
        );
        assert_eq!(eligibility_area(&text("91"), &b).communes, vec![0, 1, 2]);
        assert_eq!(
            eligibility_area(&text(r#"["91021", "200017846", "99999"]"#), &b),
            EligibilityArea {
                communes: vec![0, 1, 2],
                unknown: vec!["99999".into()]
            }
        );
        assert!(
            eligibility_area(&Value::Missing(crate::Missing::Empty), &b)
                .communes
                .is_empty()
        );
    }

    #[test]
    fn remote_only_needs_a_distance_without_en_presentiel() {
        let text = |s: &str| Value::Text(s.to_owned());
        assert!(is_remote_only(&text("a-distance")));
        assert!(is_remote_only(&text(r#"["a-distance"]"#)));
        assert!(!is_remote_only(&text("en-presentiel, a-distance")));
        assert!(!is_remote_only(&text("en-presentiel")));
        assert!(!is_remote_only(&Value::Missing(crate::Missing::Empty)));
    }
}
