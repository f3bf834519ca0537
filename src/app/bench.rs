//! CPU time per frame of the map, measured headless on a real egui context: building the zone
//! meshes and outlines for the view, then egui's tessellation of those shapes.

use super::choropleth::Choropleth;
use super::map_view::{View, zone_layer_shapes};
use super::state::{Progress, Workspace};
use crate::project::ClassificationSpec;
use std::path::Path;
use std::time::Instant;

/// One measured view.
pub struct FrameMeasure {
    /// Which view, in French (« ensemble de la couche », « région (zoom 8) »…).
    pub label: String,
    /// Zoom level of the view (slippy-map levels: 256 × 2^zoom px around the world).
    pub zoom: f64,
    /// Shapes built for the zone layer in that view (fill meshes and outline lines).
    pub zones_drawn: usize,
    /// Triangle vertices of the zone meshes built for the view.
    pub vertices: usize,
    /// Median milliseconds: shape building, tessellation, total.
    pub build_ms: f64,
    /// Median milliseconds of egui's tessellation of the zone shapes.
    pub tessellate_ms: f64,
    /// Median milliseconds of a full rebuild: `build_ms` + `tessellate_ms`.
    pub total_ms: f64,
    /// Median milliseconds to build and tessellate 10,000 service points (clustered or not).
    pub points_ms: f64,
    /// Discs or symbols drawn for those points.
    pub point_marks: usize,
    /// Median milliseconds of a panning frame (cached meshes translated, then tessellated).
    pub pan_ms: f64,
}

/// 10,000 pseudo-random service points (9 themes) inside `bbox` (Mercator), seeded.
fn random_points(bbox: [f64; 4], ws: &Workspace) -> super::state::PointLayerView {
    let mut state: u64 = 91;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    };
    let mut positions = Vec::new();
    let mut themes = Vec::new();
    for i in 0..10_000 {
        let m = [
            bbox[0] + next() * (bbox[2] - bbox[0]),
            bbox[1] + next() * (bbox[3] - bbox[1]),
        ];
        let (lon, lat) = super::geometry::lon_lat_of(m);
        positions.push(Some(geo::Point::new(lon, lat)));
        themes.push(crate::value::Value::Text(format!("thème {}", i % 9)));
    }
    let layer = crate::model::PointLayer {
        source: Default::default(),
        positions,
        attributes: crate::model::Table {
            fields: vec![crate::model::Field {
                name: "dispositif".to_owned(),
                kind: crate::model::FieldKind::Text,
                values: crate::model::Column::from(themes),
            }],
            row_origin: (1..=10_000).collect(),
        },
    };
    let spec = crate::project::PointSpec {
        id: "bench".to_owned(),
        name: "bench".to_owned(),
        source: Default::default(),
        theme_field: Some("dispositif".to_owned()),
        crs: None,
        options: Default::default(),
    };
    let mut view = super::state::point_view(spec, layer, &ws.file, &[]);
    super::state::style_point_views(std::slice::from_mut(&mut view), &[]);
    view
}

/// Loads `path` as a zone layer, maps `indicator` in 5 quantile classes, and measures `frames`
/// frames at three zooms: the whole layer, a region (~zoom 8) and a département (~zoom 10),
/// in a 1600×1000 map.
pub fn frame_bench(
    path: &Path,
    indicator: &str,
    frames: usize,
) -> Result<Vec<FrameMeasure>, String> {
    let mut ws = Workspace::empty();
    ws.add_file(path, &Progress::default())?;
    let layer = 0;
    let ch = Choropleth::compute(&ws, layer, indicator, &ClassificationSpec::default());
    if let Err(e) = &ch.classification {
        return Err(e.clone());
    }
    let zl = ws.zones.first().ok_or("aucune zone")?;
    let all = zl
        .geometry
        .bbox_of(0..zl.geometry.len())
        .ok_or("emprise vide")?;
    let clip = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0));
    let whole = View::fit(all, clip);
    let centre = super::geometry::mercator_unit(2.35, 48.7);
    let at_zoom = |zoom: f64| View {
        center: centre,
        scale: 256.0 * 2f64.powf(zoom),
        clip,
        zoom,
    };
    let ctx = egui::Context::default();
    let hatch = ctx
        .load_texture(
            "h",
            egui::ColorImage::new([8, 8], vec![egui::Color32::GRAY; 64]),
            Default::default(),
        )
        .id();
    let points = random_points(all, &ws);
    // One pass so that fonts and textures exist; its texture updates are not needed here.
    let mut first = ctx.run_ui(Default::default(), |_| {});
    first.textures_delta.clear();
    let mut out = Vec::new();
    for (label, view) in [
        ("ensemble de la couche".to_owned(), whole),
        ("région (zoom 8)".to_owned(), at_zoom(8.0)),
        ("département (zoom 10)".to_owned(), at_zoom(10.0)),
    ] {
        let mut build = Vec::new();
        let mut tess = Vec::new();
        let mut pan = Vec::new();
        let mut vertices = 0;
        let mut drawn = 0;
        // 2 × frames: odd frames change the style (full rebuild, as after a zoom or a new
        // classification); even frames pan the view by 3 px (cached meshes translated).
        for f in 0..frames.max(1) * 2 {
            let rebuild = f % 2 == 0;
            let mut v = view;
            v.center[0] += f as f64 * 3.0 / view.scale;
            let t0 = Instant::now();
            let mut shapes = Vec::new();
            let mut texts = Vec::new();
            vertices = zone_layer_shapes(
                &v,
                zl,
                super::map_view::Paint {
                    choropleth: Some(&ch),
                    fill_override: None,
                    hatch,
                    labels: true,
                    generation: if rebuild { f as u64 } else { f as u64 - 1 },
                },
                &mut shapes,
                &mut texts,
            );
            let t1 = Instant::now();
            drawn = shapes.len();
            let clipped: Vec<egui::epaint::ClippedShape> = shapes
                .into_iter()
                .map(|shape| egui::epaint::ClippedShape {
                    clip_rect: clip,
                    shape,
                    transform_after_tessellation: Default::default(),
                })
                .collect();
            let primitives = ctx.tessellate(clipped, 1.0);
            std::hint::black_box(primitives);
            let t2 = Instant::now();
            if rebuild {
                build.push((t1 - t0).as_secs_f64() * 1000.0);
                tess.push((t2 - t1).as_secs_f64() * 1000.0);
            } else {
                pan.push((t2 - t0).as_secs_f64() * 1000.0);
            }
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or_default()
        };
        let mut points_times = Vec::new();
        let mut point_marks = 0;
        for _ in 0..frames.max(1) {
            let t0 = Instant::now();
            let mut shapes = Vec::new();
            let mut texts = Vec::new();
            super::map_view::point_layer_shapes(&view, &points, &mut shapes, &mut texts);
            point_marks = shapes.len();
            let clipped: Vec<egui::epaint::ClippedShape> = shapes
                .into_iter()
                .map(|shape| egui::epaint::ClippedShape {
                    clip_rect: clip,
                    shape,
                    transform_after_tessellation: Default::default(),
                })
                .collect();
            std::hint::black_box(ctx.tessellate(clipped, 1.0));
            points_times.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        let (b, t) = (median(&mut build), median(&mut tess));
        let points_ms = median(&mut points_times);
        let pan_ms = median(&mut pan);
        out.push(FrameMeasure {
            label,
            zoom: view.zoom,
            zones_drawn: drawn,
            vertices,
            build_ms: b,
            tessellate_ms: t,
            total_ms: b + t,
            points_ms,
            point_marks,
            pan_ms,
        });
    }
    Ok(out)
}
