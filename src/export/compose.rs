//! From a project to a map composition: the choropleth of the project's indicator (classified
//! and coloured by [`crate::style`]), its service points by theme, legend, notes and sources.
//! The same function serves `cartosol render`, the app's export button and the atlas.

use super::map::{
    Basemap, Legend, LegendClass, MapComposition, PointGroup, Preset, SymbolShape, ZoneFill,
    ZonePaint, map_projector,
};
use super::secrecy::{SecrecyGuard, SecrecyReport, mask_small_counts, zone_level};
use super::tiles::{OSM_ATTRIBUTION, load_tiles};
use super::{ExportError, quoted_list};
use crate::model::{Field, Table, ZoneLayer};
use crate::project::{BasemapSpec, Project, ViewSpec, ZoneSpec};
use crate::style::{Classification, classify_field, palette_of};
use crate::value::{Missing, Value};
use geo::{BoundingRect, Rect, coord};
use std::path::PathBuf;

/// Options of a map export.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderOptions {
    /// Page format.
    pub preset: Preset,
    /// A saved view of the project (by name) to frame; `None` frames the zones (or the
    /// project's current view).
    pub view: Option<String>,
    /// The date line (`Carte réalisée le 01/02/2026 avec CartoSol`).
    pub date: String,
    /// A folder of cached basemap tiles (`{z}/{x}/{y}.png`); without it, or when it lacks
    /// tiles, the map has no basemap.
    pub tile_cache: Option<PathBuf>,
    /// Statistical secrecy: fields marked by the user and the explicit lifting of the guard.
    pub secrecy: SecrecyGuard,
}

impl RenderOptions {
    /// Options for `preset`, dated today.
    pub fn new(preset: Preset) -> RenderOptions {
        RenderOptions {
            preset,
            view: None,
            date: date_line(&super::today_fr()),
            tile_cache: None,
            secrecy: SecrecyGuard::default(),
        }
    }
}

/// The date line of a map made on `date` (`JJ/MM/AAAA`).
pub fn date_line(date: &str) -> String {
    format!("Carte réalisée le {date} avec CartoSol")
}

/// Colours of point themes, in the order themes get them: saturated hues that stand out on
/// both sequential (orange, red, blue, green) and diverging fills, each symbol drawn with a
/// dark outline (ColorBrewer Set1 and Dark2 colours, reordered).
pub const THEME_COLORS: [[u8; 3]; 12] = [
    [55, 126, 184],
    [77, 175, 74],
    [152, 78, 163],
    [231, 41, 138],
    [27, 158, 119],
    [23, 190, 207],
    [117, 112, 179],
    [166, 86, 40],
    [228, 26, 28],
    [102, 102, 102],
    [255, 127, 0],
    [247, 129, 191],
];

/// The zone layer the project's map shows (the first one when the map names none).
pub fn map_layer(project: &Project) -> Result<&(ZoneSpec, ZoneLayer), ExportError> {
    let wanted = &project.file.map.zones;
    project
        .zones
        .iter()
        .find(|(s, _)| wanted.is_empty() || s.id == *wanted)
        .ok_or_else(|| ExportError::UnknownLayer {
            id: wanted.clone(),
            available: quoted_list(project.zones.iter().map(|(s, _)| s.id.as_str())),
        })
}

/// The indicator column of the map, after the secrecy guard.
pub(crate) fn indicator_field(
    spec: &ZoneSpec,
    layer: &ZoneLayer,
    indicator: &str,
    guard: &SecrecyGuard,
) -> Result<(Field, SecrecyReport), ExportError> {
    let field = layer
        .attributes
        .field(indicator)
        .ok_or_else(|| ExportError::UnknownField {
            field: indicator.to_owned(),
            layer: spec.id.clone(),
            available: quoted_list(layer.attributes.field_names()),
        })?
        .clone();
    let level = zone_level(&layer.attributes, &spec.code_field);
    let mut one = Table {
        fields: vec![field],
        row_origin: layer.attributes.row_origin.clone(),
    };
    let report = mask_small_counts(&mut one, level, guard);
    let field = one.fields.pop().ok_or_else(|| ExportError::EmptyLayer {
        layer: spec.id.clone(),
    })?;
    Ok((field, report))
}

/// The choropleth of the project's map indicator on `layer`, after the secrecy guard (fields of
/// the privacy settings marked too): zone fills, legend, the indicator's title, secrecy report.
pub(crate) fn layer_choropleth(
    project: &Project,
    spec: &ZoneSpec,
    layer: &ZoneLayer,
    options: &RenderOptions,
) -> Result<(Vec<ZoneFill>, Legend, String, SecrecyReport), ExportError> {
    let map = &project.file.map;
    let guard = options.secrecy.clone().with_privacy(&map.privacy);
    let (field, secrecy) = indicator_field(spec, layer, &map.indicator, &guard)?;
    let classification = classify_field(&field, &map.classification)?;
    let colors = palette_of(&map.classification)?.colors(classification.len());
    let title = map
        .indicator_label
        .clone()
        .unwrap_or_else(|| map.indicator.clone());
    let (zones, legend) = choropleth(layer, &field, &classification, &colors, title.clone());
    Ok((zones, legend, title, secrecy))
}

/// The zone fills and legend of a classified indicator.
pub(crate) fn choropleth(
    layer: &ZoneLayer,
    field: &Field,
    classification: &Classification,
    colors: &[[u8; 3]],
    title: String,
) -> (Vec<ZoneFill>, Legend) {
    let zones = layer
        .geometries
        .iter()
        .enumerate()
        .map(|(i, geometry)| {
            let paint = match field.values.get(i) {
                Some(Value::Number(v)) => {
                    match classification.class_of(*v).and_then(|c| colors.get(c)) {
                        Some(c) => ZonePaint::Color(*c),
                        None => ZonePaint::Missing(Missing::NotAvailable),
                    }
                }
                Some(Value::Missing(m)) => ZonePaint::Missing(*m),
                _ => ZonePaint::Missing(Missing::NotAvailable),
            };
            ZoneFill {
                geometry: geometry.clone(),
                paint,
            }
        })
        .collect();
    let classes = classification
        .labels()
        .into_iter()
        .zip(colors)
        .zip(&classification.counts)
        .map(|((label, color), count)| LegendClass {
            color: *color,
            label,
            count: *count,
        })
        .collect();
    let legend = Legend {
        title,
        method: format!(
            "{} — {} classes",
            classification.method.label(),
            classification.len()
        ),
        classes,
        missing: field.missing_counts(),
    };
    (zones, legend)
}

/// The WGS84 extent a 1280 × 800 px window shows of a saved view (centre and slippy zoom).
pub fn view_extent(view: &ViewSpec) -> Rect<f64> {
    let world = 2.0 * std::f64::consts::PI * 6_378_137.0;
    let px_per_m = 256.0 * 2f64.powf(view.zoom.clamp(0.0, 22.0)) / world;
    let (cx, cy) = super::map::mercator(view.lon, view.lat);
    let (x0, y0) = super::map::inverse_mercator(cx - 640.0 / px_per_m, cy - 400.0 / px_per_m);
    let (x1, y1) = super::map::inverse_mercator(cx + 640.0 / px_per_m, cy + 400.0 / px_per_m);
    Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 })
}

/// The point groups of the visible point layers (personal-data layers are never drawn), and
/// notes about what was left out.
pub(crate) fn point_groups(project: &Project) -> (Vec<PointGroup>, Vec<String>) {
    let map = &project.file.map;
    let mut groups = Vec::new();
    let mut notes = Vec::new();
    for (spec, layer) in &project.points {
        let visible = map
            .layers
            .iter()
            .find(|l| l.id == spec.id)
            .is_none_or(|l| l.visible);
        if !visible {
            continue;
        }
        if map.privacy.personal_layers.contains(&spec.id) {
            notes.push(format!(
                "La couche « {} » contient des données personnelles : elle n'est pas représentée en points.",
                spec.name
            ));
            continue;
        }
        let theme_field = spec
            .theme_field
            .as_deref()
            .and_then(|t| layer.attributes.field(t));
        let mut themes: Vec<(String, Vec<geo::Point<f64>>)> = Vec::new();
        for (i, pos) in layer.positions.iter().enumerate() {
            let Some(pos) = pos else { continue };
            let theme = match theme_field.and_then(|f| f.values.get(i)) {
                Some(Value::Text(t)) => t.clone(),
                Some(Value::Number(n)) => crate::value::format_number(*n),
                _ if theme_field.is_some() => "Sans thème".to_owned(),
                _ => spec.name.clone(),
            };
            if map.hidden_themes.contains(&theme) {
                continue;
            }
            match themes.iter_mut().find(|(t, _)| *t == theme) {
                Some((_, v)) => v.push(*pos),
                None => themes.push((theme, vec![*pos])),
            }
        }
        themes.sort_by(|a, b| a.0.cmp(&b.0));
        for (theme, positions) in themes {
            let i = groups.len();
            groups.push(PointGroup {
                layer: spec.name.clone(),
                theme,
                color: THEME_COLORS[i % THEME_COLORS.len()],
                shape: SymbolShape::ALL[i % SymbolShape::ALL.len()],
                count: positions.len(),
                positions,
            });
        }
    }
    (groups, notes)
}

/// Builds the map of a project as its map spec says (indicator, classification, palette,
/// layers, hidden themes, privacy), ready for [`super::render_svg`] / [`super::render_png`].
pub fn compose_project(
    project: &Project,
    options: &RenderOptions,
) -> Result<MapComposition, ExportError> {
    let map = &project.file.map;
    let (spec, layer) = map_layer(project)?;
    if layer.is_empty() {
        return Err(ExportError::EmptyLayer {
            layer: spec.id.clone(),
        });
    }
    let (zones, legend, title, secrecy) = layer_choropleth(project, spec, layer, options)?;

    let extent = match &options.view {
        Some(name) => {
            let view = project
                .file
                .views
                .iter()
                .find(|v| v.name.eq_ignore_ascii_case(name.trim()))
                .ok_or_else(|| ExportError::UnknownView {
                    name: name.clone(),
                    available: quoted_list(project.file.views.iter().map(|v| v.name.as_str())),
                })?;
            view_extent(view)
        }
        None => match &map.view {
            Some(view) => view_extent(view),
            None => layer.bbox().ok_or_else(|| ExportError::EmptyLayer {
                layer: spec.id.clone(),
            })?,
        },
    };

    let (points, mut notes) = point_groups(project);
    if let Some(note) = secrecy.note() {
        notes.insert(0, note);
    }
    if let Some(rule) = &map.underserved_note {
        notes.push(rule.clone());
    }
    let subtitle = map
        .subtitle
        .clone()
        .or_else(|| Some(format!("{title} — {}", spec.name)));
    let mut composition = MapComposition {
        page: options.preset.page(),
        title: project.file.title.clone(),
        subtitle,
        extent,
        zones,
        outlines: Vec::new(),
        highlight: None,
        legend,
        points,
        figures: None,
        notes,
        sources: sources_line(&project.file.sources_note),
        date: options.date.clone(),
        basemap: None,
    };
    add_basemap(&mut composition, &map.basemap, options);
    Ok(composition)
}

/// `Sources : …` from the project's note.
pub fn sources_line(note: &str) -> String {
    let note = note.trim();
    if note.is_empty() {
        "Sources : non précisées dans le projet.".to_owned()
    } else if note.to_lowercase().starts_with("source") {
        note.to_owned()
    } else {
        format!("Sources — {note}")
    }
}

/// Adds cached basemap tiles when the project asks for a basemap and the cache holds them.
pub(crate) fn add_basemap(
    composition: &mut MapComposition,
    spec: &BasemapSpec,
    options: &RenderOptions,
) {
    let Some(cache) = &options.tile_cache else {
        return;
    };
    if matches!(spec, BasemapSpec::None) {
        return;
    }
    // Lay the page out with the attribution line in place, then fetch the tiles of its frame.
    composition.basemap = Some(Basemap {
        tiles: Vec::new(),
        attribution: OSM_ATTRIBUTION.to_owned(),
    });
    let projector = map_projector(composition);
    composition.basemap = load_tiles(cache, &projector, OSM_ATTRIBUTION);
}

/// The bounding box of a multipolygon, padded by `ratio` of its size on each side.
pub(crate) fn padded_bbox(g: &geo::MultiPolygon<f64>, ratio: f64) -> Option<Rect<f64>> {
    let r = g.bounding_rect()?;
    let dx = r.width() * ratio;
    let dy = r.height() * ratio;
    Some(Rect::new(
        coord! { x: r.min().x - dx, y: r.min().y - dy },
        coord! { x: r.max().x + dx, y: r.max().y + dy },
    ))
}
