//! Joining a table to zones by code — never by row order — with a report: matched, unmatched on
//! each side (listed), duplicated keys, normalisations applied.

use crate::codes::{CodeKind, Fix, kind_from_field_name, kind_from_values, normalise};
use crate::model::{Field, Table};
use crate::value::{Missing, Value, ValueRef};
use std::collections::HashMap;
use std::fmt;

/// Why a join could not be made at all.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum JoinError {
    /// A code field named by the user is absent from the zones or from the table.
    #[error("champ « {field} » absent {side} (champs présents : {available})")]
    MissingField {
        /// The field that was looked for.
        field: String,
        /// Which side lacks it, in French (`des zones` / `de la table`).
        side: &'static str,
        /// The fields that side has, each quoted `« … »` and separated by `, `.
        available: String,
    },
    /// No code field was given and none could be guessed on one side.
    #[error("aucun champ de code trouvé {side} : précisez-le ({option})")]
    NoCodeField {
        /// Which side lacks one, in French (`dans les zones` / `dans la table`).
        side: &'static str,
        /// The command-line option that names it (`--zone-code` / `--table-code`).
        option: &'static str,
    },
}

/// A zone without matching row, or a row without matching zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmatched {
    /// The code after normalisation (or as read when it could not be normalised).
    pub code: String,
    /// A label: the zone name when known.
    pub label: String,
    /// The row's place in its source (line, feature or record number).
    pub origin: u64,
}

/// What a join did, for the user to check before applying it.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinReport {
    /// The kind of code both sides were normalised to (given, or guessed from the zones).
    pub kind: CodeKind,
    /// Name of the code field of the zones.
    pub zone_field: String,
    /// Name of the code field of the table.
    pub table_field: String,
    /// Number of zones.
    pub zone_count: usize,
    /// Number of table rows.
    pub row_count: usize,
    /// Zones that received the values of exactly one row.
    pub matched: usize,
    /// Zones with a valid code that no table row has.
    pub unmatched_zones: Vec<Unmatched>,
    /// Table rows with a valid code that no zone has, in their source order.
    pub unmatched_rows: Vec<Unmatched>,
    /// Codes found on several table rows (with their origins): such zones get no value.
    pub duplicate_rows: Vec<(String, Vec<u64>)>,
    /// Codes found on several zones (each zone gets the row's values).
    pub duplicate_zones: Vec<(String, usize)>,
    /// Codes that could not be read as the expected kind (table side).
    pub invalid_rows: Vec<Unmatched>,
    /// Codes that could not be read as the expected kind (zone side).
    pub invalid_zones: Vec<Unmatched>,
    /// Normalisations applied, with their count and one example `raw → code`.
    pub fixes: Vec<(Fix, usize, String)>,
    /// Warnings in words (e.g. code kinds that differ on the two sides).
    pub warnings: Vec<String>,
}

/// The columns to add to the zones (one value per zone) and the report.
#[derive(Clone, Debug)]
pub struct JoinResult {
    /// Every table field but the code, one value per zone in zone order; a zone without a
    /// single matching row gets a missing value saying why (unmatched or duplicated key).
    pub columns: Vec<Field>,
    /// What the join did.
    pub report: JoinReport,
}

fn available(table: &Table) -> String {
    table
        .field_names()
        .map(|n| format!("« {n} »"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Picks the code field of a table: a field named like a code whose values read as codes.
pub fn guess_code_field(table: &Table) -> Option<String> {
    let named = table
        .fields
        .iter()
        .find(|f| kind_from_field_name(&f.name).is_some_and(|k| k != CodeKind::Departement));
    named.map(|f| f.name.clone()).or_else(|| {
        table
            .fields
            .iter()
            .find(|f| {
                let texts: Vec<String> = f.values.iter().take(200).map(|v| v.to_string()).collect();
                kind_from_values(texts.iter().map(String::as_str)) != CodeKind::Other
            })
            .map(|f| f.name.clone())
    })
}

fn code_text<'a>(v: impl Into<ValueRef<'a>>) -> Option<String> {
    match v.into() {
        ValueRef::Text(s) => Some(s.to_owned()),
        ValueRef::Number(x) if x.fract() == 0.0 => Some(format!("{x:.0}")),
        ValueRef::Number(x) => Some(x.to_string()),
        ValueRef::Missing(_) => None,
    }
}

/// Joins `table` to `zones` by code.
///
/// `zone_field` / `table_field` name the code columns (guessed when `None`); `kind` is the kind
/// of code (guessed from names and values when `None`). Zones are labelled in the report by
/// their name field (`NOM`, `LIBGEO`… when present).
pub fn join(
    zones: &Table,
    zone_field: Option<&str>,
    table: &Table,
    table_field: Option<&str>,
    kind: Option<CodeKind>,
) -> Result<JoinResult, JoinError> {
    let zone_field = match zone_field {
        Some(f) => f.to_owned(),
        None => guess_code_field(zones).ok_or(JoinError::NoCodeField {
            side: "dans les zones",
            option: "--zone-code",
        })?,
    };
    let table_field = match table_field {
        Some(f) => f.to_owned(),
        None => guess_code_field(table).ok_or(JoinError::NoCodeField {
            side: "dans la table",
            option: "--table-code",
        })?,
    };
    let zf = zones
        .field(&zone_field)
        .ok_or_else(|| JoinError::MissingField {
            field: zone_field.clone(),
            side: "des zones",
            available: available(zones),
        })?;
    let tf = table
        .field(&table_field)
        .ok_or_else(|| JoinError::MissingField {
            field: table_field.clone(),
            side: "de la table",
            available: available(table),
        })?;
    let zone_texts: Vec<Option<String>> = zf.values.iter().map(code_text).collect();
    let table_texts: Vec<Option<String>> = tf.values.iter().map(code_text).collect();
    let zone_kind = kind_from_field_name(&zf.name)
        .unwrap_or_else(|| kind_from_values(zone_texts.iter().flatten().map(String::as_str)));
    let table_kind = kind_from_field_name(&tf.name)
        .filter(|k| *k != CodeKind::Other)
        .map(|k| {
            // CODGEO names commune codes in commune files and SIREN in EPCI sheets: trust values.
            let by_values = kind_from_values(table_texts.iter().flatten().map(String::as_str));
            if by_values != CodeKind::Other {
                by_values
            } else {
                k
            }
        })
        .unwrap_or_else(|| kind_from_values(table_texts.iter().flatten().map(String::as_str)));
    let zone_kind = if zone_kind == CodeKind::Other {
        table_kind
    } else {
        zone_kind
    };
    let kind = kind.unwrap_or(zone_kind);
    let mut warnings = Vec::new();
    if table_kind != CodeKind::Other && zone_kind != CodeKind::Other && table_kind != zone_kind {
        warnings.push(format!(
            "les codes des zones (« {} ») ressemblent à des {}, ceux de la table (« {} ») à des {} : \
             vérifiez que la table est du bon niveau géographique",
            zf.name,
            zone_kind.label_plural(),
            tf.name,
            table_kind.label_plural()
        ));
    }

    let name_field = zones.find_field(&[
        "NOM",
        "nom",
        "nom_officiel",
        "LIBGEO",
        "libelle",
        "name",
        "NOM_COM",
    ]);
    let zone_label = |i: usize| {
        name_field
            .and_then(|f| f.values.get(i))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let table_label = {
        let lib = table.find_field(&["LIBGEO", "NOM", "nom", "libelle", "LIBELLE"]);
        move |i: usize| {
            lib.and_then(|f| f.values.get(i))
                .map(|v| v.to_string())
                .unwrap_or_default()
        }
    };

    let mut fixes: Vec<(Fix, usize, String)> = Vec::new();
    let mut note_fixes = |raw: &str, n: &crate::codes::Normalised| {
        for fix in &n.fixes {
            match fixes.iter_mut().find(|(f, _, _)| f == fix) {
                Some((_, count, _)) => *count += 1,
                None => fixes.push((*fix, 1, format!("{} → {}", raw.trim(), n.code))),
            }
        }
    };

    // Table side: code → rows.
    let mut rows_by_code: HashMap<String, Vec<usize>> = HashMap::new();
    let mut invalid_rows = Vec::new();
    for (i, t) in table_texts.iter().enumerate() {
        let origin = table.row_origin.get(i).copied().unwrap_or(0);
        let Some(raw) = t else {
            invalid_rows.push(Unmatched {
                code: String::new(),
                label: table_label(i),
                origin,
            });
            continue;
        };
        match normalise(raw, kind) {
            Ok(n) => {
                note_fixes(raw, &n);
                rows_by_code.entry(n.code).or_default().push(i);
            }
            Err(_) => invalid_rows.push(Unmatched {
                code: raw.clone(),
                label: table_label(i),
                origin,
            }),
        }
    }
    // Zone side.
    let mut zone_codes: Vec<Option<String>> = Vec::with_capacity(zone_texts.len());
    let mut invalid_zones = Vec::new();
    let mut zone_count_by_code: HashMap<String, usize> = HashMap::new();
    for (i, t) in zone_texts.iter().enumerate() {
        let origin = zones.row_origin.get(i).copied().unwrap_or(0);
        let code = t.as_ref().and_then(|raw| match normalise(raw, kind) {
            Ok(n) => {
                note_fixes(raw, &n);
                Some(n.code)
            }
            Err(_) => None,
        });
        match &code {
            Some(c) => *zone_count_by_code.entry(c.clone()).or_default() += 1,
            None => invalid_zones.push(Unmatched {
                code: t.clone().unwrap_or_default(),
                label: zone_label(i),
                origin,
            }),
        }
        zone_codes.push(code);
    }

    // Match.
    let mut chosen: Vec<Option<usize>> = vec![None; zone_codes.len()];
    let mut missing_reason: Vec<Missing> = vec![Missing::Unmatched; zone_codes.len()];
    let mut unmatched_zones = Vec::new();
    let mut matched = 0;
    for (i, code) in zone_codes.iter().enumerate() {
        let Some(code) = code else { continue };
        match rows_by_code.get(code).map(Vec::as_slice) {
            Some([row]) => {
                chosen[i] = Some(*row);
                matched += 1;
            }
            Some(_) => missing_reason[i] = Missing::DuplicateKey,
            None => unmatched_zones.push(Unmatched {
                code: code.clone(),
                label: zone_label(i),
                origin: zones.row_origin.get(i).copied().unwrap_or(0),
            }),
        }
    }
    let mut unmatched_rows: Vec<Unmatched> = rows_by_code
        .iter()
        .filter(|(code, _)| !zone_count_by_code.contains_key(*code))
        .flat_map(|(code, rows)| {
            rows.iter().map(|&i| Unmatched {
                code: code.clone(),
                label: table_label(i),
                origin: table.row_origin.get(i).copied().unwrap_or(0),
            })
        })
        .collect();
    unmatched_rows.sort_by_key(|u| u.origin);
    let mut duplicate_rows: Vec<(String, Vec<u64>)> = rows_by_code
        .iter()
        .filter(|(_, rows)| rows.len() > 1)
        .map(|(code, rows)| {
            (
                code.clone(),
                rows.iter()
                    .map(|&i| table.row_origin.get(i).copied().unwrap_or(0))
                    .collect(),
            )
        })
        .collect();
    duplicate_rows.sort();
    let mut duplicate_zones: Vec<(String, usize)> = zone_count_by_code
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    duplicate_zones.sort();
    fixes.sort();

    let columns = table
        .fields
        .iter()
        .filter(|f| f.name != tf.name)
        .map(|f| Field {
            name: f.name.clone(),
            kind: f.kind,
            values: chosen
                .iter()
                .zip(&missing_reason)
                .map(|(row, reason)| match row {
                    Some(r) => f
                        .values
                        .get(*r)
                        .map(ValueRef::to_value)
                        .unwrap_or(Value::Missing(Missing::Empty)),
                    None => Value::Missing(*reason),
                })
                .collect(),
        })
        .collect();
    Ok(JoinResult {
        columns,
        report: JoinReport {
            kind,
            zone_field: zf.name.clone(),
            table_field: tf.name.clone(),
            zone_count: zones.len(),
            row_count: table.len(),
            matched,
            unmatched_zones,
            unmatched_rows,
            duplicate_rows,
            duplicate_zones,
            invalid_rows,
            invalid_zones,
            fixes,
            warnings,
        },
    })
}

/// Adds joined columns to a table; a name already present gets a `_2` (`_3`…) suffix.
pub fn apply(zones: &mut Table, columns: Vec<Field>) {
    for mut field in columns {
        let base = field.name.clone();
        let mut n = 2;
        while zones.field_index(&field.name).is_some() {
            field.name = format!("{base}_{n}");
            n += 1;
        }
        zones.fields.push(field);
    }
}

impl JoinReport {
    /// Whether every zone received values and every row found a zone.
    pub fn is_complete(&self) -> bool {
        self.matched == self.zone_count
            && self.unmatched_rows.is_empty()
            && self.invalid_rows.is_empty()
    }
}

fn list(f: &mut fmt::Formatter<'_>, items: &[Unmatched], what: &str, limit: usize) -> fmt::Result {
    for u in items.iter().take(limit) {
        let label = if u.label.is_empty() {
            String::new()
        } else {
            format!(" {}", u.label)
        };
        if u.code.is_empty() {
            writeln!(f, "    - {what} {} : code vide{label}", u.origin)?;
        } else {
            writeln!(f, "    - {} ({what} {}){label}", u.code, u.origin)?;
        }
    }
    if items.len() > limit {
        writeln!(f, "    … et {} autres", items.len() - limit)?;
    }
    Ok(())
}

impl fmt::Display for JoinReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Jointure par {} : zones « {} » ↔ table « {} »",
            self.kind.label(),
            self.zone_field,
            self.table_field
        )?;
        writeln!(
            f,
            "  Zones appariées : {} sur {} ; lignes de la table : {}",
            self.matched, self.zone_count, self.row_count
        )?;
        for w in &self.warnings {
            writeln!(f, "  ATTENTION : {w}")?;
        }
        if !self.fixes.is_empty() {
            writeln!(f, "  Normalisations des codes :")?;
            for (fix, n, example) in &self.fixes {
                writeln!(f, "    - {fix} : {n} code(s), ex. {example}")?;
            }
        }
        if !self.unmatched_zones.is_empty() {
            writeln!(
                f,
                "  Zones sans ligne dans la table ({}) :",
                self.unmatched_zones.len()
            )?;
            list(f, &self.unmatched_zones, "entité", 30)?;
        }
        if !self.unmatched_rows.is_empty() {
            writeln!(
                f,
                "  Lignes de la table sans zone ({}) :",
                self.unmatched_rows.len()
            )?;
            list(f, &self.unmatched_rows, "ligne", 30)?;
        }
        if !self.duplicate_rows.is_empty() {
            writeln!(
                f,
                "  Codes en double dans la table ({}) — zones laissées sans valeur :",
                self.duplicate_rows.len()
            )?;
            for (code, origins) in self.duplicate_rows.iter().take(30) {
                let lines: Vec<String> = origins.iter().map(ToString::to_string).collect();
                writeln!(f, "    - {code} (lignes {})", lines.join(", "))?;
            }
        }
        if !self.duplicate_zones.is_empty() {
            writeln!(
                f,
                "  Codes portés par plusieurs zones ({}) :",
                self.duplicate_zones.len()
            )?;
            for (code, n) in self.duplicate_zones.iter().take(30) {
                writeln!(f, "    - {code} ({n} zones)")?;
            }
        }
        if !self.invalid_rows.is_empty() {
            writeln!(
                f,
                "  Codes de la table non reconnus comme {} ({}) :",
                self.kind.label_plural(),
                self.invalid_rows.len()
            )?;
            list(f, &self.invalid_rows, "ligne", 30)?;
        }
        if !self.invalid_zones.is_empty() {
            writeln!(
                f,
                "  Codes des zones non reconnus comme {} ({}) :",
                self.kind.label_plural(),
                self.invalid_zones.len()
            )?;
            list(f, &self.invalid_zones, "entité", 30)?;
        }
        if self.is_complete() && self.duplicate_zones.is_empty() {
            writeln!(
                f,
                "  Jointure complète : chaque zone a sa ligne, chaque ligne sa zone."
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(names: &[&str], rows: &[&[Value]]) -> Table {
        Table {
            fields: names
                .iter()
                .enumerate()
                .map(|(c, n)| Field {
                    name: (*n).to_owned(),
                    kind: if rows.iter().all(|r| !matches!(r[c], Value::Text(_))) {
                        crate::model::FieldKind::Number
                    } else {
                        crate::model::FieldKind::Text
                    },
                    values: rows.iter().map(|r| r[c].clone()).collect(),
                })
                .collect(),
            row_origin: (1..=rows.len() as u64).map(|i| i + 6).collect(),
        }
    }

    fn t(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn joins_by_code_not_by_order_and_reports_everything() {
        let zones = table(
            &["INSEE_COM", "NOM"],
            &[
                &[t("01001"), t("L'Abergement")],
                &[t("91001"), t("Abbéville")],
                &[t("91016"), t("Angerville")],
                &[t("91017"), t("Arpajon")],
            ],
        );
        // Rows in another order; a lost leading zero; a duplicate; an unknown code.
        let rows = table(
            &["CODGEO", "TP60"],
            &[
                &[t("91016"), Value::Number(12.5)],
                &[t("1001"), Value::Number(8.0)],
                &[t("91001"), Value::Missing(Missing::Secret)],
                &[t("91017"), Value::Number(1.0)],
                &[t("91017"), Value::Number(2.0)],
                &[t("99999"), Value::Number(3.0)],
            ],
        );
        let r = join(&zones, None, &rows, None, None).unwrap();
        let tp60 = &r.columns[0].values;
        assert_eq!(tp60.get(0).unwrap(), Value::Number(8.0));
        assert_eq!(tp60.get(1).unwrap(), Value::Missing(Missing::Secret));
        assert_eq!(tp60.get(2).unwrap(), Value::Number(12.5));
        assert_eq!(tp60.get(3).unwrap(), Value::Missing(Missing::DuplicateKey));
        let rep = &r.report;
        assert_eq!(rep.kind, CodeKind::Commune);
        assert_eq!(rep.matched, 3);
        assert_eq!(rep.duplicate_rows, vec![("91017".to_owned(), vec![10, 11])]);
        assert_eq!(rep.unmatched_rows.len(), 1);
        assert_eq!(rep.unmatched_rows[0].code, "99999");
        assert_eq!(rep.unmatched_rows[0].origin, 12);
        assert_eq!(
            rep.fixes,
            vec![(Fix::LeadingZero, 1, "1001 → 01001".to_owned())]
        );
        assert!(!rep.is_complete());
    }

    #[test]
    fn missing_field_is_named() {
        let zones = table(&["INSEE_COM"], &[&[t("91001")]]);
        let rows = table(&["CODGEO"], &[&[t("91001")]]);
        let err = join(&zones, Some("CODE"), &rows, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "champ « CODE » absent des zones (champs présents : « INSEE_COM »)"
        );
    }
}
