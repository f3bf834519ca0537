//! The indicator dictionary: what each field of the data means for a person (label, unit,
//! kind, numerator/denominator of a rate, direction of need, source, vintage, pact axis).
//!
//! It is read from the definitions sheet the producer ships with its workbook (the sample's
//! `Définitions`, INSEE's "Documentation" sheets: a code column and a label column), completed
//! by what the label or code says (« Taux », « Part », `%`, `_100`, « Places … »), and stored
//! in the project file so that labels replace raw codes wherever a person reads them.

use crate::error::LoadError;
use crate::table::{TableOptions, list_sheets, load_table};
use crate::value::{Value, ValueRef};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What kind of figure an indicator is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// A count (households, persons, places): additive.
    Count,
    /// A rate or share in percent.
    Percent,
    /// A ratio per N (`per` of [`IndicatorDef`]: places per 100 children…).
    Ratio,
    /// An amount in euros (median income…).
    Amount,
    /// Not a figure, or not known (codes, names).
    #[default]
    Other,
}

impl IndicatorKind {
    /// The kind in French, for a person.
    pub fn label(self) -> &'static str {
        match self {
            IndicatorKind::Count => "effectif",
            IndicatorKind::Percent => "taux ou part (%)",
            IndicatorKind::Ratio => "ratio pour N",
            IndicatorKind::Amount => "montant (€)",
            IndicatorKind::Other => "autre",
        }
    }
}

/// Which way an indicator points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher values mean more need (poverty rate, unemployment…).
    #[default]
    Need,
    /// Higher values mean more offer (childcare places per 100 children…).
    Offer,
    /// No direction (codes, names, population).
    Neutral,
}

impl Direction {
    /// The direction in French, for a person.
    pub fn label(self) -> &'static str {
        match self {
            Direction::Need => "plus élevé = plus de besoin",
            Direction::Offer => "plus élevé = plus d'offre",
            Direction::Neutral => "neutre (ni besoin ni offre)",
        }
    }

    /// `+1` when higher means more need, `−1` when higher means more offer (the sign that
    /// orients a gap so that positive means more need), `+1` for a neutral indicator.
    pub fn need_sign(self) -> f64 {
        match self {
            Direction::Offer => -1.0,
            Direction::Need | Direction::Neutral => 1.0,
        }
    }
}

/// One entry of the dictionary.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    /// The field code (`TP60`).
    pub code: String,
    /// The label a person reads (« Taux de pauvreté au seuil de 60 % »).
    pub label: String,
    /// The unit as printed after a figure (`%`, `pour 100`, `€`, `ménages`…), empty if none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// The kind of figure.
    #[serde(default)]
    pub kind: IndicatorKind,
    /// For a ratio per N: N (`100` for `PLACES_CRECHE_100`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<f64>,
    /// For a rate: its numerator field (`NB_MEN_PAUV`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<String>,
    /// For a rate: its denominator field (`NBMENFISC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<String>,
    /// Which way the indicator points.
    #[serde(default)]
    pub direction: Direction,
    /// Its source (« Insee, Filosofi »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its vintage (« 2021 »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vintage: Option<String>,
    /// The pact axis or theme it informs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

/// Lower-case, accents removed: how column names and labels are compared.
fn fold(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

/// The identifier starting `text` (letters, digits, `_`).
fn identifier(text: &str) -> Option<String> {
    let id: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!id.is_empty() && id.chars().any(|c| c.is_ascii_alphabetic())).then_some(id)
}

/// `NB_MEN_PAUV / NBMENFISC` in a label such as « … = 100 × NB_MEN_PAUV / NBMENFISC ».
fn ratio_parts(label: &str) -> Option<(String, String)> {
    let (_, formula) = label.rsplit_once('=')?;
    let formula = formula
        .rsplit_once('×')
        .or_else(|| formula.rsplit_once('*'))
        .map_or(formula, |(_, r)| r);
    let (num, den) = formula.split_once('/')?;
    Some((identifier(num)?, identifier(den)?))
}

impl IndicatorDef {
    /// An entry for `code` with `label`, its kind, unit, direction and numerator/denominator
    /// inferred from what the label and the code say:
    /// - `_100` in the code or « pour 100 » in the label: a ratio per 100 (`_1000`: per 1,000);
    /// - a label starting with « Taux », « Part », « Proportion », « Pourcentage », or holding
    ///   « (%) », or a code starting with `TX_`, `TAUX`, `PART_`, `TP`: a percentage;
    /// - a label starting with « Nombre », « Effectif », « Ménages », « Personnes », or a code
    ///   starting with `NB`, `MP_`: a count;
    /// - « € » or « euros » in the label, or a label starting with « Revenu », « Médiane »,
    ///   « Montant », « Niveau de vie »: an amount in euros;
    /// - « places », « offre », « équipement », « accueil » in the code or label: offer
    ///   direction; a code or name field (« Code… », « Libellé… »): neutral; otherwise need.
    ///
    /// « = 100 × A / B » in the label gives the numerator `A` and the denominator `B`; the label
    /// kept drops that formula and a « (%) » the unit says.
    pub fn infer(code: &str, label: &str) -> IndicatorDef {
        let code = code.trim();
        let label = if label.trim().is_empty() {
            code
        } else {
            label.trim()
        };
        let c = code.to_ascii_uppercase();
        let l = fold(label);
        let starts = |words: &[&str]| words.iter().any(|w| l.starts_with(w));
        let identifier_field = starts(&["code", "libelle", "nom "]) || l == "nom";
        let (kind, per) = if c.contains("_1000") || l.contains("pour 1 000") {
            (IndicatorKind::Ratio, Some(1000.0))
        } else if c.contains("_100") || l.contains("pour 100") {
            (IndicatorKind::Ratio, Some(100.0))
        } else if starts(&["taux", "part ", "part des", "proportion", "pourcentage"])
            || l.contains("(%)")
            || ["TX_", "TAUX", "PART_", "TP"]
                .iter()
                .any(|p| c.starts_with(p))
        {
            (IndicatorKind::Percent, None)
        } else if !identifier_field
            && (starts(&["nombre", "effectif", "menages", "personnes"])
                || ["NB", "MP_"].iter().any(|p| c.starts_with(p)))
        {
            (IndicatorKind::Count, None)
        } else if l.contains('€')
            || l.contains("euros")
            || starts(&["revenu", "mediane", "montant", "niveau de vie"])
        {
            (IndicatorKind::Amount, None)
        } else {
            (IndicatorKind::Other, None)
        };
        let unit = match kind {
            IndicatorKind::Percent => "%".to_owned(),
            IndicatorKind::Ratio => format!(
                "pour {}",
                crate::value::format_number(per.unwrap_or(100.0)).replace(' ', "\u{a0}")
            ),
            IndicatorKind::Amount => "€".to_owned(),
            IndicatorKind::Count if l.contains("menages") || c.starts_with("MP_") => {
                "ménages".to_owned()
            }
            IndicatorKind::Count if l.contains("personnes") => "personnes".to_owned(),
            IndicatorKind::Count => "nombre".to_owned(),
            IndicatorKind::Other => String::new(),
        };
        let offer = ["places", "offre", "equipement", "accueil"]
            .iter()
            .any(|w| l.starts_with(w) || fold(code).contains(w));
        let direction = if identifier_field || kind == IndicatorKind::Other {
            Direction::Neutral
        } else if offer {
            Direction::Offer
        } else {
            Direction::Need
        };
        let (numerator, denominator) = match ratio_parts(label) {
            Some((n, d)) if matches!(kind, IndicatorKind::Percent | IndicatorKind::Ratio) => {
                (Some(n), Some(d))
            }
            _ => (None, None),
        };
        // The label a person reads: without the formula once it is kept as numerator and
        // denominator, and without a « (%) » the unit already says.
        let mut shown = label;
        if numerator.is_some()
            && let Some((head, _)) = label.rsplit_once('=')
        {
            shown = head.trim_end().trim_end_matches(',').trim_end();
        }
        if kind == IndicatorKind::Percent {
            shown = shown.strip_suffix("(%)").map_or(shown, str::trim_end);
        }
        let shown = if shown.is_empty() { label } else { shown };
        IndicatorDef {
            code: code.to_owned(),
            label: shown.to_owned(),
            unit,
            kind,
            per,
            numerator,
            denominator,
            direction,
            source: None,
            vintage: None,
            theme: None,
        }
    }
}

/// The entry of `code` (compared case-insensitively), if any.
pub fn find<'a>(dictionary: &'a [IndicatorDef], code: &str) -> Option<&'a IndicatorDef> {
    dictionary
        .iter()
        .find(|d| d.code.trim().eq_ignore_ascii_case(code.trim()))
}

/// The label of `code`, or the code itself when the dictionary does not know it.
pub fn label_of<'a>(dictionary: &'a [IndicatorDef], code: &'a str) -> &'a str {
    find(dictionary, code).map_or(code, |d| d.label.as_str())
}

/// The entry of `code`, or one inferred from the code alone when the dictionary lacks it.
pub fn def_of(dictionary: &[IndicatorDef], code: &str) -> IndicatorDef {
    find(dictionary, code)
        .cloned()
        .unwrap_or_else(|| IndicatorDef::infer(code, code))
}

/// `dictionary` completed by the entries of `more` whose code it lacks (entries already
/// there, e.g. completed by hand, are kept as they are).
pub fn merge(dictionary: &mut Vec<IndicatorDef>, more: Vec<IndicatorDef>) {
    for def in more {
        if find(dictionary, &def.code).is_none() {
            dictionary.push(def);
        }
    }
}

/// Inserts `def` into `dictionary`, replacing the entry of the same code (compared
/// case-insensitively) where there is one: how an entry completed by hand is stored.
pub fn set(dictionary: &mut Vec<IndicatorDef>, def: IndicatorDef) {
    match dictionary
        .iter_mut()
        .find(|d| d.code.trim().eq_ignore_ascii_case(def.code.trim()))
    {
        Some(entry) => *entry = def,
        None => dictionary.push(def),
    }
}

/// « Libellé (CODE) » for a picker or a hover text, or the code alone when the dictionary has
/// no label other than the code.
pub fn label_with_code(dictionary: &[IndicatorDef], code: &str) -> String {
    let label = label_of(dictionary, code);
    if label.trim().is_empty() || label.trim().eq_ignore_ascii_case(code.trim()) {
        code.to_owned()
    } else {
        format!("{label} ({code})")
    }
}

/// Where an entry of the dictionary comes from, as the editor shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Read from the producer's definitions sheet, unchanged.
    Source,
    /// Read from the definitions sheet, then changed by hand.
    SourceEdited,
    /// Entered by hand (the definitions sheets do not know the code).
    Manual,
    /// In no dictionary: inferred from the code alone.
    Inferred,
}

impl Origin {
    /// The origin in French, for a person.
    pub fn label(self) -> &'static str {
        match self {
            Origin::Source => "feuille de définitions",
            Origin::SourceEdited => "feuille de définitions, complétée",
            Origin::Manual => "saisie",
            Origin::Inferred => "déduite du code",
        }
    }

    /// The origin of `code`'s entry: `dictionary` is the project's, `source` what the
    /// definitions sheets of its workbooks say.
    pub fn of(dictionary: &[IndicatorDef], source: &[IndicatorDef], code: &str) -> Origin {
        match (find(dictionary, code), find(source, code)) {
            (Some(d), Some(s)) if d == s => Origin::Source,
            (Some(_), Some(_)) => Origin::SourceEdited,
            (Some(_), None) => Origin::Manual,
            (None, _) => Origin::Inferred,
        }
    }
}

/// What an entry completed by hand gets wrong, in French (empty when it can be stored).
/// `fields` are the numeric fields of the project's layers, where a numerator or a
/// denominator must be found (names compared case-insensitively):
/// - the label cannot be empty;
/// - a rate (%) or a ratio with a numerator needs its denominator, and the other way round;
/// - the numerator and the denominator must be fields of the project, and two different ones;
/// - a ratio per N needs N, a positive number.
///
/// A rate without numerator nor denominator is accepted (the producer may ship the rate
/// alone), with the note of [`notes`].
pub fn validate(def: &IndicatorDef, fields: &[String]) -> Vec<String> {
    let mut errors = Vec::new();
    if def.label.trim().is_empty() {
        errors.push(format!("{} : le libellé ne peut pas être vide.", def.code));
    }
    let blank = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (num, den) = (blank(&def.numerator), blank(&def.denominator));
    let what = match def.kind {
        IndicatorKind::Percent => "un taux",
        IndicatorKind::Ratio => "un ratio",
        _ => "cet indicateur",
    };
    match (&num, &den) {
        (Some(_), None) => errors.push(format!(
            "{} : {what} avec un numérateur doit aussi avoir un dénominateur.",
            def.code
        )),
        (None, Some(_)) => errors.push(format!(
            "{} : {what} avec un dénominateur doit aussi avoir un numérateur.",
            def.code
        )),
        _ => {}
    }
    let exists = |name: &str| fields.iter().any(|f| f.trim().eq_ignore_ascii_case(name));
    for (role, name) in [("numérateur", &num), ("dénominateur", &den)] {
        if let Some(name) = name
            && !exists(name)
        {
            errors.push(format!(
                "{} : le {role} « {name} » n'est pas un champ numérique du projet.",
                def.code
            ));
        }
    }
    if let (Some(n), Some(d)) = (&num, &den)
        && n.eq_ignore_ascii_case(d)
    {
        errors.push(format!(
            "{} : le numérateur et le dénominateur doivent être deux champs différents.",
            def.code
        ));
    }
    if def.kind == IndicatorKind::Ratio && !def.per.is_some_and(|n| n.is_finite() && n > 0.0) {
        errors.push(format!(
            "{} : un ratio pour N doit dire pour combien (N, un nombre positif : 100, 1 000…).",
            def.code
        ));
    }
    errors
}

/// What an entry that can be stored still lacks, in French (not an error).
pub fn notes(def: &IndicatorDef) -> Vec<String> {
    let mut notes = Vec::new();
    let missing = |o: &Option<String>| o.as_deref().is_none_or(|s| s.trim().is_empty());
    if def.kind == IndicatorKind::Percent && missing(&def.numerator) && missing(&def.denominator) {
        notes.push(format!(
            "{} : taux sans numérateur ni dénominateur (à indiquer si ces champs sont dans les \
             données).",
            def.code
        ));
    }
    notes
}

/// Column names of the code column of a definitions sheet (folded).
const CODE_COLUMNS: &[&str] = &["code", "variable", "nom de la variable", "champ"];
/// Column names of the label column (folded).
const LABEL_COLUMNS: &[&str] = &[
    "libelle",
    "libelle de la variable",
    "intitule",
    "label",
    "definition",
    "description",
];

/// Whether a sheet name looks like a definitions sheet (folded).
fn is_definitions_sheet(name: &str) -> bool {
    let n = fold(name);
    [
        "definition",
        "documentation",
        "dictionnaire",
        "variables",
        "metadonnees",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The definitions sheet of a workbook (« Définitions », « Documentation »…), if it has one.
pub fn definitions_sheet(path: &Path) -> Result<Option<String>, LoadError> {
    Ok(list_sheets(path)?
        .into_iter()
        .find(|s| is_definitions_sheet(s)))
}

/// Reads the dictionary from sheet `sheet` of the workbook at `path` (by default its
/// definitions sheet): one entry per row with a code, kind, unit and direction inferred
/// (see [`IndicatorDef::infer`]). Columns are recognised by name: the code (« Code »,
/// « Variable »…), the label (« Libellé », « Intitulé »…), and when present « Unité »,
/// « Source », « Millésime », « Axe »/« Thème ».
pub fn read_dictionary(path: &Path, sheet: Option<&str>) -> Result<Vec<IndicatorDef>, LoadError> {
    let sheet = match sheet {
        Some(s) => s.to_owned(),
        None => definitions_sheet(path)?.ok_or_else(|| {
            LoadError::format(
                path,
                "aucune feuille de définitions (« Définitions », « Documentation »…) dans ce classeur",
            )
        })?,
    };
    let loaded = load_table(
        path,
        &TableOptions {
            sheet: Some(sheet.clone()),
            ..TableOptions::default()
        },
    )?;
    let table = &loaded.table;
    // An exact name first (« Code », « Libellé »), else a name starting with one
    // (« Code de la variable », « Libellé de la variable »).
    let column = |names: &[&str]| {
        table
            .fields
            .iter()
            .find(|f| names.contains(&fold(&f.name).as_str()))
            .or_else(|| {
                table
                    .fields
                    .iter()
                    .find(|f| names.iter().any(|n| fold(&f.name).starts_with(n)))
            })
    };
    let column_starting = |prefixes: &[&str]| {
        table
            .fields
            .iter()
            .find(|f| prefixes.iter().any(|p| fold(&f.name).starts_with(p)))
    };
    let names: Vec<String> = table
        .fields
        .iter()
        .map(|f| format!("« {} »", f.name))
        .collect();
    let (Some(codes), Some(labels)) = (column(CODE_COLUMNS), column(LABEL_COLUMNS)) else {
        return Err(LoadError::format(
            path,
            format!(
                "feuille « {sheet} » : colonnes de code et de libellé introuvables (colonnes : {})",
                names.join(", ")
            ),
        ));
    };
    let unit = column_starting(&["unite"]);
    let source = column_starting(&["source"]);
    let vintage = column_starting(&["millesime", "annee"]);
    let theme = column_starting(&["axe", "theme"]);
    let text = |v: Option<ValueRef<'_>>| {
        v.and_then(|v| match v {
            ValueRef::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            ValueRef::Number(x) => Some(crate::value::format_number(x)),
            _ => None,
        })
    };
    let mut out: Vec<IndicatorDef> = Vec::new();
    for row in 0..table.len() {
        let Some(code) = text(codes.values.get(row)) else {
            continue;
        };
        let label = text(labels.values.get(row)).unwrap_or_else(|| code.clone());
        let mut def = IndicatorDef::infer(&code, &label);
        let cell = |f: Option<&crate::model::Field>| f.and_then(|f| text(f.values.get(row)));
        if let Some(u) = cell(unit) {
            def.unit = u;
        }
        def.source = cell(source);
        def.vintage = cell(vintage);
        def.theme = cell(theme);
        if find(&out, &def.code).is_none() {
            out.push(def);
        }
    }
    Ok(out)
}

/// The dictionary as a table a person reads (one row per entry: code, label, unit, kind,
/// numerator, denominator, direction, source, vintage, pact axis).
pub fn dictionary_table(dictionary: &[IndicatorDef]) -> crate::model::Table {
    use crate::model::{Field, FieldKind, Table};
    let column = |name: &str, f: &dyn Fn(&IndicatorDef) -> String| Field {
        name: name.to_owned(),
        kind: FieldKind::Text,
        values: dictionary
            .iter()
            .map(|d| {
                let t = f(d);
                if t.is_empty() {
                    Value::Missing(crate::value::Missing::Empty)
                } else {
                    Value::Text(t)
                }
            })
            .collect(),
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    Table {
        fields: vec![
            column("Code", &|d| d.code.clone()),
            column("Libellé", &|d| d.label.clone()),
            column("Unité", &|d| d.unit.clone()),
            column("Nature", &|d| d.kind.label().to_owned()),
            column("Numérateur", &|d| opt(&d.numerator)),
            column("Dénominateur", &|d| opt(&d.denominator)),
            column("Sens", &|d| d.direction.label().to_owned()),
            column("Source", &|d| opt(&d.source)),
            column("Millésime", &|d| opt(&d.vintage)),
            column("Axe du pacte", &|d| opt(&d.theme)),
        ],
        row_origin: (1..=dictionary.len() as u64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_units_and_directions_come_from_labels_and_codes() {
        let tp = IndicatorDef::infer(
            "TP60",
            "Taux de pauvreté au seuil de 60 % (%), = 100 × NB_MEN_PAUV / NBMENFISC",
        );
        assert_eq!(tp.kind, IndicatorKind::Percent);
        assert_eq!(tp.unit, "%");
        assert_eq!(tp.numerator.as_deref(), Some("NB_MEN_PAUV"));
        assert_eq!(tp.denominator.as_deref(), Some("NBMENFISC"));
        assert_eq!(tp.direction, Direction::Need);
        // The formula lives in the numerator and denominator; the unit says « % ».
        assert_eq!(tp.label, "Taux de pauvreté au seuil de 60 %");
        let creche = IndicatorDef::infer(
            "PLACES_CRECHE_100",
            "Places d'accueil collectif du jeune enfant pour 100 enfants de moins de 3 ans",
        );
        assert_eq!(creche.kind, IndicatorKind::Ratio);
        assert_eq!(creche.per, Some(100.0));
        assert_eq!(creche.direction, Direction::Offer);
        let pauv = IndicatorDef::infer(
            "NB_MEN_PAUV",
            "Nombre de ménages pauvres (niveau de vie sous le seuil de 60 % du niveau de vie médian)",
        );
        assert_eq!(pauv.kind, IndicatorKind::Count);
        assert_eq!(pauv.unit, "ménages");
        let code = IndicatorDef::infer("CODGEO", "Code géographique");
        assert_eq!(code.direction, Direction::Neutral);
        assert_eq!(code.kind, IndicatorKind::Other);
    }
}
