//! The atlas: one map per zone of the project's map layer (one per EPCI in the Essonne
//! project), zoomed on it, its outline in bold over the choropleth, finer zones (communes)
//! outlined, its service points, and a table of its figures against the département (the
//! territory's figures computed by [`territory_figures`] with the project's declared ratios).

use super::compose::{
    RenderOptions, add_basemap, layer_choropleth, map_layer, padded_bbox, point_groups,
    sources_line,
};
use super::data::{DataExportOptions, DataFormat, Geometries, write_layer};
use super::map::{FigureTable, MapComposition};
use super::secrecy::{SecrecyGuard, ZoneLevel};
use super::{ExportError, write_atomic};
use crate::aggregate::{is_rate_name, territory_figures};
use crate::analysis::ZoneIndex;
use crate::model::{Field, FieldKind, Table, ZoneLayer};
use crate::project::{Project, ratio_rules};
use crate::style::classify::format_fr;
use crate::value::{Value, ValueRef};
use geo::{BoundingRect, Intersects};
use std::path::{Path, PathBuf};

/// One page written by [`write_atlas`].
#[derive(Clone, Debug, PartialEq)]
pub struct AtlasPage {
    /// The zone's code, as read from the map layer's code field.
    pub code: String,
    /// The zone's name, as read from the map layer's name field.
    pub name: String,
    /// The PNG file written (`<code>_<name>.png`, slugged, in the atlas directory).
    pub file: PathBuf,
}

/// The most indicators the figures table lists.
const MAX_FIGURES: usize = 8;

fn figure(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |x| format_fr(x, 1))
}

/// The map of the `index`-th zone of the project's map layer.
pub fn compose_atlas_page(
    project: &Project,
    index: usize,
    options: &RenderOptions,
) -> Result<MapComposition, ExportError> {
    let map = &project.file.map;
    let (spec, layer) = map_layer(project)?;
    let zone = layer
        .geometries
        .get(index)
        .ok_or_else(|| ExportError::EmptyLayer {
            layer: spec.id.clone(),
        })?;
    let text = |field: &str| {
        layer
            .attributes
            .field(field)
            .and_then(|f| f.values.get(index))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    let (code, name) = (text(&spec.code_field), text(&spec.name_field));
    let (zones, legend, label, secrecy) = layer_choropleth(project, spec, layer, options)?;
    let extent = padded_bbox(zone, 0.08).ok_or_else(|| ExportError::EmptyLayer {
        layer: spec.id.clone(),
    })?;
    let extent_poly = extent.to_polygon();
    // Finer zones (communes) within the frame, outlined.
    let outlines = project
        .zones
        .iter()
        .filter(|(s, _)| s.id != spec.id)
        .flat_map(|(_, l)| l.geometries.iter())
        .filter(|g| {
            g.bounding_rect()
                .is_some_and(|b| b.to_polygon().intersects(&extent_poly))
        })
        .cloned()
        .collect();

    // Points: all those in the frame are drawn; the legend counts those inside the zone, by
    // the point-in-zone rule of every count (a point on a shared border is in one zone).
    let (mut points, mut notes) = point_groups(project);
    let zone_index = ZoneIndex::new(layer);
    // Per point layer: (name, points in the zone, points in all).
    let mut per_layer: Vec<(String, usize, usize)> = Vec::new();
    for group in &mut points {
        let total = group.count;
        group.count = group
            .positions
            .iter()
            .filter(|p| zone_index.zone_of(**p) == Some(index))
            .count();
        match per_layer.iter_mut().find(|(l, _, _)| *l == group.layer) {
            Some((_, inside, all)) => {
                *inside += group.count;
                *all += total;
            }
            None => per_layer.push((group.layer.clone(), group.count, total)),
        }
    }

    let figures = figures_table(project, spec, layer, index, &name, &per_layer);
    if let Some(note) = secrecy.note() {
        notes.insert(0, note);
    }
    if !points.is_empty() {
        notes.push(format!(
            "Effectifs de points de service : dans {name} ; les points voisins sont aussi dessinés."
        ));
    }
    if let Some(rule) = &map.underserved_note {
        notes.push(rule.clone());
    }
    let mut composition = MapComposition {
        page: options.preset.page(),
        title: format!("{name} — {label}"),
        subtitle: Some(format!("{} {code} · {}", spec.name, project.file.title)),
        extent,
        zones,
        outlines,
        highlight: Some(zone.clone()),
        underserved: Vec::new(),
        underserved_row: None,
        legend,
        points,
        figures: Some(figures),
        notes,
        sources: sources_line(&project.file.sources_note),
        date: options.date.clone(),
        basemap: None,
        labels: super::compose::zone_labels(project, &spec.id),
    };
    add_basemap(&mut composition, &map.basemap, options);
    Ok(composition)
}

/// The reference figures of the whole territory of `layer` (the département in the Essonne
/// project), by field name: counts summed, the project's declared ratios recomputed as ratios
/// of sums, other rates weighted by fiscal households (else the population).
fn territory_reference(
    project: &Project,
    spec: &crate::project::ZoneSpec,
    layer: &ZoneLayer,
) -> Vec<(String, Option<f64>)> {
    let table = &layer.attributes;
    let weight = table
        .find_field(&["NBMENFISC"])
        .map(|f| f.name.as_str())
        .or_else(|| {
            spec.population_field
                .as_deref()
                .filter(|p| table.field(p).is_some())
        });
    let rules = ratio_rules(&project.file, &spec.id);
    territory_figures(table, weight, &rules)
        .map(|agg| {
            agg.table
                .fields
                .iter()
                .skip(2)
                .map(|f| (f.name.clone(), f.values.first().and_then(ValueRef::as_f64)))
                .collect()
        })
        .unwrap_or_default()
}

fn figures_table(
    project: &Project,
    spec: &crate::project::ZoneSpec,
    layer: &ZoneLayer,
    index: usize,
    name: &str,
    per_layer: &[(String, usize, usize)],
) -> FigureTable {
    let indicator = project.file.map.indicator.as_str();
    let table = &layer.attributes;
    let reference = territory_reference(project, spec, layer);
    let reference_of = |field: &str| {
        reference
            .iter()
            .find(|(n, _)| n == field)
            .and_then(|(_, v)| *v)
    };
    let mut names: Vec<&str> = vec![indicator];
    names.extend(
        table
            .fields
            .iter()
            .filter(|f| f.kind == FieldKind::Number && is_rate_name(&f.name) && f.name != indicator)
            .map(|f| f.name.as_str()),
    );
    names.truncate(MAX_FIGURES);
    let mut rows: Vec<[String; 3]> = names
        .iter()
        .filter_map(|n| table.field(n))
        .map(|f| {
            [
                f.name.clone(),
                figure(f.values.get(index).and_then(ValueRef::as_f64)),
                figure(reference_of(&f.name)),
            ]
        })
        .collect();
    let population = spec
        .population_field
        .as_deref()
        .and_then(|p| table.field(p));
    let zone_pop = population.and_then(|p| p.values.get(index).and_then(ValueRef::as_f64));
    let all_pop: f64 = population
        .map(|p| p.values.iter().filter_map(ValueRef::as_f64).sum())
        .unwrap_or(0.0);
    let per = |n: usize, p: f64| (p > 0.0).then(|| n as f64 * 10_000.0 / p);
    for (layer_name, inside, all) in per_layer {
        rows.push([layer_name.clone(), inside.to_string(), all.to_string()]);
        if population.is_some() {
            rows.push([
                "  pour 10 000 hab.".to_owned(),
                figure(zone_pop.and_then(|p| per(*inside, p))),
                figure(per(*all, all_pop)),
            ]);
        }
    }
    FigureTable {
        title: format!("{name} et le département"),
        header: [
            "Indicateur".to_owned(),
            "Zone".to_owned(),
            "Département".to_owned(),
        ],
        rows,
    }
}

/// A file-name-safe slug: `Cœur d'Essonne Agglomération` → `coeur-d-essonne-agglomeration`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.to_lowercase().chars() {
        let folded = match c {
            'à' | 'â' | 'ä' | 'á' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' => "i",
            'ô' | 'ö' | 'ó' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ç' => "c",
            'œ' => "oe",
            'æ' => "ae",
            'ÿ' => "y",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if folded == "-" {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(folded);
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

/// Writes one PNG (and, with `svg`, one SVG) per zone of the map layer into `dir` (created if
/// needed), plus `index.csv` listing them. Returns the pages written.
pub fn write_atlas(
    project: &Project,
    dir: &Path,
    options: &RenderOptions,
    svg: bool,
) -> Result<Vec<AtlasPage>, ExportError> {
    std::fs::create_dir_all(dir).map_err(|e| ExportError::io(dir, e))?;
    let (spec, layer) = map_layer(project)?;
    let mut pages = Vec::new();
    for index in 0..layer.len() {
        let map = compose_atlas_page(project, index, options)?;
        let text = |field: &str| {
            layer
                .attributes
                .field(field)
                .and_then(|f| f.values.get(index))
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let (code, name) = (text(&spec.code_field), text(&spec.name_field));
        let stem = format!("{}_{}", slug(&code), slug(&name));
        let file = dir.join(format!("{stem}.png"));
        let document = super::render_svg(&map);
        let png = super::svg_to_png(&document, map.page.width_px, map.page.height_px)?;
        write_atomic(&file, &png)?;
        if svg {
            write_atomic(&dir.join(format!("{stem}.svg")), document.as_bytes())?;
        }
        pages.push(AtlasPage { code, name, file });
    }
    // The list of pages, written like every other table (French CSV convention).
    let text = |values: Vec<String>| values.into_iter().map(Value::Text).collect();
    let list = Table {
        fields: vec![
            Field {
                name: "code".to_owned(),
                kind: FieldKind::Text,
                values: text(pages.iter().map(|p| p.code.clone()).collect()),
            },
            Field {
                name: "nom".to_owned(),
                kind: FieldKind::Text,
                values: text(pages.iter().map(|p| p.name.clone()).collect()),
            },
            Field {
                name: "fichier".to_owned(),
                kind: FieldKind::Text,
                values: text(
                    pages
                        .iter()
                        .map(|p| {
                            p.file
                                .file_name()
                                .map(|f| f.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        })
                        .collect(),
                ),
            },
        ],
        row_origin: (1..=pages.len() as u64).collect(),
    };
    write_layer(
        &list,
        Geometries::None,
        ZoneLevel::Aggregate,
        "atlas",
        &dir.join("index.csv"),
        DataFormat::Csv,
        &DataExportOptions::default(),
        &SecrecyGuard::default(),
    )?;
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Cœur d'Essonne Agglomération"),
            "coeur-d-essonne-agglomeration"
        );
        assert_eq!(slug("CA Étampois Sud-Essonne"), "ca-etampois-sud-essonne");
    }
}
