//! From a project to a map composition: the choropleth of the project's indicator (classified
//! and coloured by [`crate::style`]), its service points by theme, legend, notes and sources.
//! The same function serves `cartosol render`, the app's export button and the atlas.

use super::map::{
    Basemap, Legend, MapComposition, PointGroup, Preset, ZoneFill, ZoneLabel, map_projector,
};
use super::secrecy::{SecrecyGuard, SecrecyReport, mask_small_counts, zone_level};
use super::tiles::{OSM_ATTRIBUTION, load_tiles};
use super::{ExportError, quoted_list};
use crate::analysis::bivariate::{self, Bivariate};
use crate::analysis::underserved::Underserved;
use crate::dictionary::{IndicatorDef, label_of};
use crate::model::{Field, FieldKind, Table, ZoneLayer};
use crate::project::{BasemapSpec, MapSpec, Project, ViewSpec, ZoneSpec};
use crate::style::map_style::{
    ChoroplethStyle, LayerPaint, LegendClass, MapOverlay, OverlayFill, PointLayerInput,
    resolve_choropleth, resolve_point_layers,
};
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
    /// What an analysis shows over the choropleth (under-served zones, bivariate fills), as
    /// on screen.
    pub overlay: MapOverlay,
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
            overlay: MapOverlay::default(),
        }
    }
}

/// The date line of a map made on `date` (`JJ/MM/AAAA`).
pub fn date_line(date: &str) -> String {
    format!("Carte réalisée le {date} avec CartoSol")
}

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

/// The opacity of the project's layer `id` (1 when the project says nothing of it).
pub(crate) fn layer_paint(project: &Project, id: &str) -> LayerPaint {
    project
        .file
        .map
        .layers
        .iter()
        .find(|l| l.id == id)
        .map_or_else(LayerPaint::default, |l| LayerPaint {
            visible: l.visible,
            opacity: l.opacity.clamp(0.0, 1.0),
        })
}

/// The choropleth of the map's indicator on a zone layer, after the secrecy guard (the fields
/// of the project's privacy settings marked too), resolved by the shared map style
/// ([`crate::style::map_style::resolve_choropleth`]). The app's map, `cartosol render`, the
/// app's map export and the atlas all call it, so that they paint the same classes, colours
/// and hatching. A classification that cannot be made is in the style's `classification`.
/// The legend's title is the map's own label for the indicator when it has one, else the
/// label `dictionary` gives the indicator, else its code.
pub fn map_choropleth(
    map: &MapSpec,
    spec: &ZoneSpec,
    layer: &ZoneLayer,
    guard: &SecrecyGuard,
    dictionary: &[IndicatorDef],
) -> Result<(ChoroplethStyle, SecrecyReport), ExportError> {
    let guard = guard.clone().with_privacy(&map.privacy);
    let (field, secrecy) = indicator_field(spec, layer, &map.indicator, &guard)?;
    let title = indicator_title(map, dictionary);
    let style = resolve_choropleth(
        &field.name,
        &field.values,
        field.kind == FieldKind::Number,
        &map.classification,
        &title,
    );
    Ok((style, secrecy))
}

/// The title of the map's indicator: the map's own label (`indicator_label`) when it has one,
/// else the indicator's label in `dictionary`, else its code.
pub fn indicator_title(map: &MapSpec, dictionary: &[IndicatorDef]) -> String {
    map.indicator_label
        .clone()
        .filter(|l| !l.trim().is_empty())
        .unwrap_or_else(|| label_of(dictionary, &map.indicator).to_owned())
}

/// The choropleth of the project's map indicator on `layer` (see [`map_choropleth`]) as zone
/// fills with the layer's opacity, its legend, the indicator's title and the secrecy report.
pub(crate) fn layer_choropleth(
    project: &Project,
    spec: &ZoneSpec,
    layer: &ZoneLayer,
    options: &RenderOptions,
) -> Result<(Vec<ZoneFill>, Legend, String, SecrecyReport), ExportError> {
    let (mut style, secrecy) = map_choropleth(
        &project.file.map,
        spec,
        layer,
        &options.secrecy,
        &project.file.dictionary,
    )?;
    if let Err(e) = &style.classification {
        return Err(e.clone().into());
    }
    options.overlay.apply_fill(&mut style);
    // An overlay's fill (bivariate or diagnostic map) no longer shows the indicator's classes:
    // its title heads the legend (wrapped there: diagnostic titles carry the dictionary's
    // labels) and names the map in the subtitle and the atlas titles.
    if let Some(fill) = &options.overlay.fill {
        style.legend.title = fill.title.clone();
        style.legend.method = String::new();
    }
    let opacity = layer_paint(project, &spec.id).opacity;
    let zones = layer
        .geometries
        .iter()
        .zip(&style.paint)
        .map(|(geometry, paint)| ZoneFill {
            geometry: geometry.clone(),
            paint: *paint,
            opacity,
        })
        .collect();
    let title = style.legend.title.clone();
    Ok((zones, style.legend, title, secrecy))
}

/// The WGS84 extent a 1280 × 800 px window shows of a saved view (centre and slippy zoom).
pub fn view_extent(view: &ViewSpec) -> Rect<f64> {
    let world = 2.0 * std::f64::consts::PI * 6_378_137.0;
    let px_per_m = 256.0 * 2f64.powf(view.zoom.clamp(0.0, 22.0)) / world;
    let (cx, cy) = super::map::web_mercator_m(view.lon, view.lat);
    let (x0, y0) =
        super::map::lon_lat_of_web_mercator_m(cx - 640.0 / px_per_m, cy - 400.0 / px_per_m);
    let (x1, y1) =
        super::map::lon_lat_of_web_mercator_m(cx + 640.0 / px_per_m, cy + 400.0 / px_per_m);
    Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 })
}

/// The point groups of the visible point layers (personal-data layers are never drawn), and
/// notes about what was left out. Themes, colours and symbols come from the shared map style
/// ([`crate::style::map_style::resolve_point_layers`], as on screen), over every point layer
/// of the project, so that hiding a layer or a theme recolours nothing.
pub(crate) fn point_groups(project: &Project) -> (Vec<PointGroup>, Vec<String>) {
    let map = &project.file.map;
    let positioned: Vec<Vec<bool>> = project
        .points
        .iter()
        .map(|(_, layer)| layer.positions.iter().map(Option::is_some).collect())
        .collect();
    let inputs: Vec<PointLayerInput<'_>> = project
        .points
        .iter()
        .zip(&positioned)
        .map(|((spec, layer), positioned)| PointLayerInput {
            id: &spec.id,
            name: &spec.name,
            theme_field: spec.theme_field.as_deref(),
            attributes: &layer.attributes,
            positioned,
        })
        .collect();
    let styles = resolve_point_layers(&inputs, &map.hidden_themes, &map.point_styles);
    let mut groups = Vec::new();
    let mut notes = Vec::new();
    for ((spec, layer), style) in project.points.iter().zip(&styles) {
        let paint = layer_paint(project, &spec.id);
        if !paint.visible {
            continue;
        }
        if map.privacy.personal_layers.contains(&spec.id) {
            notes.push(format!(
                "La couche « {} » contient des données personnelles : elle n'est pas représentée en points.",
                spec.name
            ));
            continue;
        }
        for (t, theme) in style.themes.iter().enumerate() {
            if !theme.visible {
                continue;
            }
            let positions: Vec<geo::Point<f64>> = layer
                .positions
                .iter()
                .zip(&style.theme_of)
                .filter(|(_, of)| **of == t)
                .filter_map(|(pos, _)| *pos)
                .collect();
            if positions.is_empty() {
                continue;
            }
            groups.push(PointGroup {
                layer: spec.name.clone(),
                theme: theme.name.clone(),
                color: theme.color,
                shape: theme.shape,
                size_px: theme.size_px,
                count: positions.len(),
                positions,
                opacity: paint.opacity,
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
    if let Some(rule) = &map.underserved_note
        && options.overlay.rule.as_ref() != Some(rule)
    {
        notes.push(rule.clone());
    }
    // The other visible zone layers are outlined over the choropleth, as on screen.
    let outlines: Vec<geo::MultiPolygon<f64>> = project
        .zones
        .iter()
        .filter(|(s, _)| s.id != spec.id && layer_paint(project, &s.id).visible)
        .flat_map(|(_, l)| l.geometries.iter().cloned())
        .collect();
    let underserved = options
        .overlay
        .underserved
        .iter()
        .filter_map(|&i| layer.geometries.get(i).cloned())
        .collect();
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
        outlines,
        highlight: None,
        underserved,
        underserved_row: options.overlay.outline_row(),
        legend,
        points,
        figures: None,
        notes,
        sources: sources_line(&project.file.sources_note),
        date: options.date.clone(),
        basemap: None,
        labels: zone_labels(project, &spec.id),
    };
    add_basemap(&mut composition, &map.basemap, options);
    Ok(composition)
}

/// The names of the zones of the visible zone layers, the mapped layer `main` first, as the
/// project's `labels` choose them (field, size; see [`crate::style::labels::label_choice`]),
/// when the project asks for names on exports (`labels_on_exports`); none otherwise. Where
/// they go on the page is decided when it is drawn, by the placement the app uses.
pub fn zone_labels(project: &Project, main: &str) -> Vec<ZoneLabel> {
    use crate::style::labels::{label_choice, label_text};
    use geo::{Area, InteriorPoint};
    let map = &project.file.map;
    if !map.labels_on_exports {
        return Vec::new();
    }
    let layers = project.zones.iter().filter(|(s, _)| s.id == main).chain(
        project
            .zones
            .iter()
            .filter(|(s, _)| s.id != main && layer_paint(project, &s.id).visible),
    );
    let mut out = Vec::new();
    for (spec, layer) in layers {
        let (field, size_px) = label_choice(&map.labels, &spec.id, &spec.name_field, |f| {
            layer.attributes.field(f).is_some()
        });
        let Some(values) = layer.attributes.field(&field) else {
            continue;
        };
        for (i, geometry) in layer.geometries.iter().enumerate() {
            let text = label_text(
                &values
                    .values
                    .get(i)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            );
            let largest = geometry
                .0
                .iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
            let (Some(bbox), Some(anchor)) = (
                geometry.bounding_rect(),
                largest.and_then(|p| p.interior_point()),
            ) else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            out.push(ZoneLabel {
                text,
                anchor,
                bbox,
                priority: geometry.unsigned_area(),
                size_px,
                main: spec.id == main,
            });
        }
    }
    out
}

/// The overlay of an under-served analysis on the map: the flagged zones outlined with the
/// rule in the legend and, when `bivariate` is given, the need × offer classes as fills with
/// their 3×3 key. The app's map export and `cartosol underserved` both build it here.
pub fn analysis_overlay(
    underserved: Option<&Underserved>,
    bivariate: Option<&Bivariate>,
) -> MapOverlay {
    let fill = bivariate.map(|b| OverlayFill {
        title: "Carte bivariée : besoin × offre (terciles)".to_owned(),
        colors: b
            .classes
            .iter()
            .map(|c| c.map(bivariate::class_colour))
            .collect(),
        key: bivariate::key()
            .into_iter()
            .rev()
            .map(|(class, label, color)| LegendClass {
                color,
                label,
                count: b.classes.iter().filter(|c| **c == Some(class)).count(),
            })
            .collect(),
    });
    MapOverlay {
        underserved: underserved
            .map(|u| u.flagged.iter().map(|f| f.zone).collect())
            .unwrap_or_default(),
        rule: underserved.map(|u| u.rule_text.clone()),
        fill,
    }
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
