//! What an analyst needs to know about a file before loading it: kind, CRS, encoding, count,
//! fields with types and examples, extent and problems. Used by `cartosol inspect`.

use crate::codes::{CodeKind, kind_from_field_name, kind_from_values, normalise};
use crate::crs::Crs;
use crate::error::{LoadError, Problem};
use crate::model::{FieldKind, SourceInfo, Table};
use crate::points::{PointOptions, load_points, points_from_loaded};
use crate::table::{TableFormat, TableOptions, load_table};
use crate::value::{ValueRef, format_number};
use crate::zones::{GeoFormat, ZoneOptions, gpkg};
use geo::Rect;
use std::fmt::Write;
use std::path::Path;

/// Options of `inspect`.
#[derive(Clone, Debug, Default)]
pub struct InspectOptions {
    /// The GeoPackage layer to detail; without it a GeoPackage of several layers only lists them.
    pub layer: Option<String>,
    /// The CRS to assume for coordinates, overriding the one declared or guessed.
    pub crs: Option<Crs>,
    /// How to read a tabular file (sheet, header row, delimiter).
    pub table: TableOptions,
    /// Repair zone outlines that cross themselves (listed either way).
    pub repair: bool,
}

/// What kind of content a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentKind {
    /// Polygons: a shapefile, a GeoPackage, or a GeoJSON whose first geometry is a polygon.
    Zones,
    /// Points: a GeoJSON whose first geometry is a point (or a JSON array).
    Points,
    /// A tabular file (CSV or workbook), which may still hold coordinate columns.
    Table,
}

impl ContentKind {
    fn label(self) -> &'static str {
        match self {
            ContentKind::Zones => "zones (polygones)",
            ContentKind::Points => "points",
            ContentKind::Table => "tableau",
        }
    }
}

/// Guesses whether a file holds zones, points or a plain table.
pub fn content_kind(path: &Path) -> Result<ContentKind, LoadError> {
    match GeoFormat::from_path(path) {
        Some(GeoFormat::GeoJson) => {
            let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 20)]).to_string();
            if head.trim_start().starts_with('[') {
                return Ok(ContentKind::Points);
            }
            let point = head
                .find("\"Point\"")
                .or_else(|| head.find("\"MultiPoint\""));
            let poly = head
                .find("\"Polygon\"")
                .or_else(|| head.find("\"MultiPolygon\""));
            Ok(match (point, poly) {
                (Some(_), None) => ContentKind::Points,
                (Some(a), Some(b)) if a < b => ContentKind::Points,
                _ => ContentKind::Zones,
            })
        }
        Some(GeoFormat::GeoParquet) if crate::zones::parquet::holds_points(path)? => {
            Ok(ContentKind::Points)
        }
        Some(_) => Ok(ContentKind::Zones),
        None => match TableFormat::from_path(path) {
            Some(_) if crate::grid::is_grid_table(path) => Ok(ContentKind::Zones),
            Some(_) => Ok(ContentKind::Table),
            None => Err(LoadError::format(
                path,
                "format non reconnu (attendu : .shp, .zip, .geojson, .json, .gpkg, .csv, .xlsx, .xls, .ods)",
            )),
        },
    }
}

fn has_coordinates(table: &Table) -> bool {
    let has = |names: &[&str]| names.iter().any(|n| table.field_index(n).is_some());
    (has(&["longitude", "lon", "lng"]) && has(&["latitude", "lat"]))
        || (has(&["x", "coordx", "lambert_x", "x_l93", "coordxet"])
            && has(&["y", "coordy", "lambert_y", "y_l93", "coordyet"]))
}

/// Inspects a file and returns the report as text (French).
pub fn inspect(path: &Path, options: &InspectOptions) -> Result<String, LoadError> {
    let mut out = String::new();
    let _ = writeln!(out, "Fichier : {}", path.display());
    let kind = content_kind(path)?;
    if GeoFormat::from_path(path) == Some(GeoFormat::GeoPackage) {
        let layers = gpkg::list_layers(path)?;
        let _ = writeln!(
            out,
            "Couches du GeoPackage : {}",
            layers
                .iter()
                .map(|l| format!("{} ({})", l.name, l.geometry_type))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if options.layer.is_none() && layers.len() > 1 {
            let _ = writeln!(
                out,
                "Détail de chaque couche : cartosol inspect {} --layer NOM",
                path.display()
            );
            return Ok(out);
        }
    }
    match kind {
        ContentKind::Zones => {
            let layer = crate::grid::load_zones_or_grid(
                path,
                &ZoneOptions {
                    layer: options.layer.clone(),
                    crs: options.crs.clone(),
                    repair: options.repair,
                },
            )?;
            header(&mut out, kind, &layer.source, layer.len(), None);
            extent(&mut out, layer.bbox());
            let parts: usize = layer.geometries.iter().map(|g| g.0.len()).sum();
            let holes: usize = layer
                .geometries
                .iter()
                .flat_map(|g| &g.0)
                .map(|p| p.interiors().len())
                .sum();
            let _ = writeln!(out, "Géométrie : {parts} polygone(s), {holes} trou(s)");
            fields(&mut out, &layer.attributes);
            all_problems(&mut out, &layer.source.problems, &layer.attributes);
        }
        ContentKind::Points => {
            let layer = load_points(
                path,
                &PointOptions {
                    crs: options.crs.clone(),
                    table: options.table.clone(),
                    ..PointOptions::default()
                },
            )?;
            header(
                &mut out,
                kind,
                &layer.source,
                layer.len(),
                Some(layer.unpositioned()),
            );
            extent(&mut out, layer.bbox());
            fields(&mut out, &layer.attributes);
            all_problems(&mut out, &layer.source.problems, &layer.attributes);
        }
        ContentKind::Table => {
            let loaded = load_table(path, &options.table)?;
            if has_coordinates(&loaded.table) {
                // The table read once: its layout noted, then made a point layer.
                let mut layout = String::new();
                table_layout(&mut layout, &loaded);
                let layer = points_from_loaded(
                    path,
                    loaded,
                    &PointOptions {
                        crs: options.crs.clone(),
                        table: options.table.clone(),
                        ..PointOptions::default()
                    },
                )?;
                header(
                    &mut out,
                    ContentKind::Points,
                    &layer.source,
                    layer.len(),
                    Some(layer.unpositioned()),
                );
                out.push_str(&layout);
                extent(&mut out, layer.bbox());
                fields(&mut out, &layer.attributes);
                all_problems(&mut out, &layer.source.problems, &layer.attributes);
            } else {
                header(&mut out, kind, &loaded.source, loaded.table.len(), None);
                table_layout(&mut out, &loaded);
                fields(&mut out, &loaded.table);
                all_problems(&mut out, &loaded.source.problems, &loaded.table);
            }
        }
    }
    Ok(out)
}

fn header(
    out: &mut String,
    kind: ContentKind,
    source: &SourceInfo,
    count: usize,
    unpositioned: Option<usize>,
) {
    let what = match kind {
        ContentKind::Zones => "entités",
        ContentKind::Points => "points",
        ContentKind::Table => "lignes de données",
    };
    let _ = write!(
        out,
        "Contenu : {} — format {}, {count} {what}",
        kind.label(),
        source.format
    );
    if let Some(n) = unpositioned {
        let _ = write!(out, " (dont {n} sans coordonnées)");
    }
    let _ = writeln!(out);
    if let Some(layer) = &source.layer {
        let _ = writeln!(out, "Couche / feuille : {layer}");
    }
    if let Some(crs) = &source.crs {
        let _ = writeln!(out, "Système de coordonnées : {crs} → reprojeté en WGS 84");
    }
    if let Some(enc) = &source.encoding {
        let _ = writeln!(out, "Encodage : {enc}");
    }
}

fn table_layout(out: &mut String, loaded: &crate::table::LoadedTable) {
    if !loaded.sheets.is_empty() {
        let _ = writeln!(
            out,
            "Feuilles : {}",
            loaded
                .sheets
                .iter()
                .map(|s| format!("« {s} »"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(out, "Ligne d'en-tête : {}", loaded.header_row);
    if let Some(d) = loaded.delimiter {
        let shown = if d == '\t' {
            "tabulation".to_owned()
        } else {
            format!("« {d} »")
        };
        let _ = writeln!(out, "Séparateur : {shown}");
    }
}

fn extent(out: &mut String, bbox: Option<Rect<f64>>) {
    if let Some(b) = bbox {
        let _ = writeln!(
            out,
            "Emprise (WGS 84) : longitude {:.5} à {:.5}, latitude {:.5} à {:.5}",
            b.min().x,
            b.max().x,
            b.min().y,
            b.max().y
        );
    }
}

/// Longest field name printed whole by `inspect`; longer ones are cut (a name of thousands of
/// characters is a malformed header, not a name to align columns on).
const SHOWN_NAME_CHARS: usize = 60;

/// A field name as `inspect` prints it: cut to [`SHOWN_NAME_CHARS`] with its length said.
fn shown_name(name: &str) -> String {
    let n = name.chars().count();
    if n <= SHOWN_NAME_CHARS {
        return name.to_owned();
    }
    let head: String = name.chars().take(SHOWN_NAME_CHARS).collect();
    format!("{head}… ({n} caractères)")
}

fn fields(out: &mut String, table: &Table) {
    let _ = writeln!(out, "Champs ({}) :", table.fields.len());
    let names: Vec<String> = table.fields.iter().map(|f| shown_name(&f.name)).collect();
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .min(SHOWN_NAME_CHARS + 20);
    for (f, name) in table.fields.iter().zip(&names) {
        let present = f
            .values
            .iter()
            .filter(|v| !matches!(v, ValueRef::Missing(_)))
            .count();
        let mut line = format!(
            "  {:<width$}  {:<6}  {present} valeur(s)",
            name,
            f.kind.label(),
        );
        let missing = f.missing_counts();
        if !missing.is_empty() {
            let parts: Vec<String> = missing.iter().map(|(m, n)| format!("{n} {m}")).collect();
            let _ = write!(line, ", manquantes : {}", parts.join(", "));
        }
        if f.kind == FieldKind::Number {
            let nums: Vec<f64> = f.values.iter().filter_map(ValueRef::as_f64).collect();
            if let (Some(min), Some(max)) = (
                nums.iter().copied().reduce(f64::min),
                nums.iter().copied().reduce(f64::max),
            ) {
                let _ = write!(
                    line,
                    " ; min {} ; max {}",
                    format_number(min),
                    format_number(max)
                );
            }
        }
        let mut examples: Vec<String> = Vec::new();
        for v in &f.values {
            if let ValueRef::Missing(_) = v {
                continue;
            }
            let s: String = v.to_string().chars().take(40).collect();
            if !examples.contains(&s) {
                examples.push(s);
            }
            if examples.len() == 3 {
                break;
            }
        }
        if !examples.is_empty() {
            let _ = write!(line, " ; ex. {}", examples.join(" | "));
        }
        let _ = writeln!(out, "{line}");
    }
}

/// Code columns (by name: `CODGEO`, `INSEE_COM`, `SIREN`…) whose values do not read as codes:
/// what `join` would find unmatched, said before the join. Many such values in one column mean
/// a misread file (values shifted by a corrupt header, wrong column, wrong encoding).
fn code_problems(table: &Table) -> Vec<Problem> {
    let mut out = Vec::new();
    for field in &table.fields {
        let Some(named) = kind_from_field_name(&field.name).filter(|k| *k != CodeKind::Other)
        else {
            continue;
        };
        let texts: Vec<String> = field
            .values
            .iter()
            .filter(|v| !matches!(v, ValueRef::Missing(_)))
            .map(|v| v.to_string())
            .collect();
        let by_values = kind_from_values(texts.iter().map(String::as_str));
        let kind = if by_values == CodeKind::Other {
            named
        } else {
            by_values
        };
        let bad: Vec<&String> = texts
            .iter()
            .filter(|t| normalise(t, kind).is_err())
            .collect();
        if bad.is_empty() {
            continue;
        }
        let examples: Vec<String> = bad.iter().take(3).map(|t| format!("« {t} »")).collect();
        let mut message = format!(
            "colonne « {} » : {} valeur(s) sur {} ne se lisent pas comme des {} (ex. {})",
            shown_name(&field.name),
            bad.len(),
            texts.len(),
            kind.label_plural(),
            examples.join(", ")
        );
        if bad.len() * 2 > texts.len() {
            message.push_str(
                " : la plupart des codes sont illisibles, le fichier est probablement corrompu \
                 ou mal lu (séparateur, encodage, colonne)",
            );
        }
        out.push(Problem::whole(message));
    }
    out
}

/// The problems met while reading, then those of the code columns.
fn all_problems(out: &mut String, read: &[Problem], table: &Table) {
    let mut list = read.to_vec();
    list.extend(code_problems(table));
    problems(out, &list);
}

fn problems(out: &mut String, problems: &[Problem]) {
    if problems.is_empty() {
        let _ = writeln!(out, "Problèmes : aucun");
    } else {
        let _ = writeln!(out, "Problèmes ({}) :", problems.len());
        for p in problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
}
