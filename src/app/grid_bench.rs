//! `cartosol bench grille --images`: the time of a frame of the 200 m grid drawn as a
//! raster-like layer (see [`super::grid_layer`]).

use super::geometry::mercator_unit;
use super::grid_layer::{GridPaint, GridView, MapFrame, grid_layer_shapes};
use super::map_view::View;
use crate::model::ZoneLayer;
use egui::{Rect, pos2};
use std::sync::Arc;

/// One zoom level of [`frame_bench`].
#[derive(Clone, Debug)]
pub struct GridFrameMeasure {
    /// The level in words (`pays`, `région`, `ville`).
    pub label: String,
    /// Zoom level.
    pub zoom: f64,
    /// Cells drawn into the texture.
    pub cells: usize,
    /// Median time of a rebuilt frame (texture painted and uploaded), ms.
    pub total_ms: f64,
    /// Of which painting the cells, ms.
    pub raster_ms: f64,
    /// Of which handing the image to egui and tessellating, ms.
    pub upload_ms: f64,
    /// Median time of a panned frame (texture reused), ms.
    pub pan_ms: f64,
}

/// Times frames of a grid file's layer mapped by `indicator` in a 1600×1000 window: country
/// (the whole grid), region (Île-de-France, zoom 8) and city (Paris, zoom 13).
pub fn frame_bench(
    path: &std::path::Path,
    indicator: &str,
) -> Result<Vec<GridFrameMeasure>, String> {
    use std::time::Instant;
    let grid = crate::grid::load_grid(path).map_err(|e| e.to_string())?;
    let layer = lean_layer(&grid, indicator)?;
    let view_cells = GridView::of_layer(&layer).ok_or("pas une couche de carreaux")?;
    let mut ws = super::state::Workspace::empty();
    let spec = crate::project::ZoneSpec {
        id: "carreaux".to_owned(),
        name: "carreaux".to_owned(),
        source: path.to_owned(),
        layer: None,
        crs: None,
        code_field: "Idcar_200m".to_owned(),
        name_field: "Idcar_200m".to_owned(),
        population_field: None,
        repair_geometries: false,
    };
    ws.file.zones.push(spec.clone());
    ws.file.map.zones = spec.id.clone();
    ws.zones.push(super::state::ZoneLayerView {
        spec,
        layer,
        geometry: Arc::new(super::geometry::ZoneGeometry::prepare(&[])),
        style: crate::project::LayerStyle {
            id: "carreaux".to_owned(),
            visible: true,
            opacity: 1.0,
            label: None,
        },
        cache: Default::default(),
        grid: Some(view_cells),
    });
    let ch = super::choropleth::Choropleth::compute(
        &ws,
        0,
        indicator,
        &crate::project::ClassificationSpec::default(),
    );
    if let Err(e) = &ch.classification {
        return Err(e.clone());
    }
    let gv = ws
        .zones
        .first()
        .and_then(|z| z.grid.as_ref())
        .ok_or("pas de carreaux")?;
    let clip = Rect::from_min_size(pos2(0.0, 0.0), egui::vec2(1600.0, 1000.0));
    let at = |lon: f64, lat: f64, zoom: f64| View {
        center: mercator_unit(lon, lat),
        scale: 256.0 * 2f64.powf(zoom),
        clip,
        zoom,
    };
    let ctx = egui::Context::default();
    let mut first = ctx.run_ui(Default::default(), |_| {});
    first.textures_delta.clear();
    let mut out = Vec::new();
    for (label, view) in [
        ("pays (tout le carroyage)", View::fit(gv.cells.bbox, clip)),
        ("région (zoom 8)", at(2.35, 48.7, 8.0)),
        ("ville (zoom 13)", at(2.35, 48.86, 13.0)),
    ] {
        let (mut total, mut raster, mut upload, mut pan) = (vec![], vec![], vec![], vec![]);
        let mut cells = 0;
        for f in 0..18u64 {
            let rebuild = f % 2 == 0;
            let mut v = view;
            v.center[0] += f as f64 * 3.0 / view.scale;
            let paint = GridPaint {
                classes: Some((&ch.class_of, &ch.paint)),
                fill_override: None,
                generation: if rebuild { f } else { f - 1 },
                opacity: 1.0,
            };
            let t0 = Instant::now();
            let mut shapes = Vec::new();
            let frame = MapFrame {
                bbox: v.bbox(),
                clip: v.clip,
                zoom: v.zoom,
                to_screen: &|m| v.to_screen(m),
            };
            cells = grid_layer_shapes(&ctx, &frame, gv, paint, &mut shapes);
            let t1 = Instant::now();
            // The texture handed to egui (as a frame would) and the shapes tessellated.
            let delta = ctx.tex_manager().write().take_delta();
            super::bench::tessellate(&ctx, shapes, clip);
            std::hint::black_box(&delta);
            let t2 = Instant::now();
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            if rebuild {
                total.push(ms(t2 - t0));
                raster.push(ms(t1 - t0));
                upload.push(ms(t2 - t1));
            } else {
                pan.push(ms(t2 - t0));
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or_default()
        };
        out.push(GridFrameMeasure {
            label: label.to_owned(),
            zoom: view.zoom,
            cells,
            total_ms: median(total),
            raster_ms: median(raster),
            upload_ms: median(upload),
            pan_ms: median(pan),
        });
    }
    Ok(out)
}

/// The grid as a zone layer holding only what the map needs (square ids and one indicator,
/// no polygons): the benchmark's layer.
fn lean_layer(grid: &crate::grid::GridLayer, indicator: &str) -> Result<ZoneLayer, String> {
    use crate::model::{Field, FieldKind, Table};
    use crate::value::{Missing, Value};
    let field = grid
        .field(indicator)
        .ok_or_else(|| format!("champ « {indicator} » absent du carroyage"))?;
    Ok(ZoneLayer {
        source: grid.source.clone(),
        geometries: vec![geo::MultiPolygon::new(Vec::new()); grid.len()],
        attributes: Table {
            fields: vec![
                Field {
                    name: "Idcar_200m".to_owned(),
                    kind: FieldKind::Text,
                    values: grid.cells.iter().map(|c| Value::Text(c.id())).collect(),
                },
                Field {
                    name: field.name.clone(),
                    kind: FieldKind::Number,
                    values: field
                        .values
                        .iter()
                        .map(|v| {
                            if v.is_finite() {
                                Value::Number(*v)
                            } else {
                                Value::Missing(Missing::Empty)
                            }
                        })
                        .collect(),
                },
            ],
            row_origin: grid.origins.clone(),
        },
    })
}
