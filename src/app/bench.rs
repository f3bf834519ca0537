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
    pub label: String,
    pub zoom: f64,
    pub zones_drawn: usize,
    pub vertices: usize,
    /// Median milliseconds: shape building, tessellation, total.
    pub build_ms: f64,
    pub tessellate_ms: f64,
    pub total_ms: f64,
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
    let centre = super::geometry::mercator(2.35, 48.7);
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
    let mut out = Vec::new();
    for (label, view) in [
        ("ensemble de la couche".to_owned(), whole),
        ("région (zoom 8)".to_owned(), at_zoom(8.0)),
        ("département (zoom 10)".to_owned(), at_zoom(10.0)),
    ] {
        let mut build = Vec::new();
        let mut tess = Vec::new();
        let mut vertices = 0;
        let mut drawn = 0;
        for _ in 0..frames.max(1) {
            let t0 = Instant::now();
            let mut shapes = Vec::new();
            let mut texts = Vec::new();
            vertices = zone_layer_shapes(
                &view,
                zl,
                super::map_view::Paint {
                    choropleth: Some(&ch),
                    fill_override: None,
                    hatch,
                    labels: true,
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
            let _ = ctx.run_ui(Default::default(), |_| {});
            let primitives = ctx.tessellate(clipped, 1.0);
            std::hint::black_box(primitives);
            let t2 = Instant::now();
            build.push((t1 - t0).as_secs_f64() * 1000.0);
            tess.push((t2 - t1).as_secs_f64() * 1000.0);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or_default()
        };
        let (b, t) = (median(&mut build), median(&mut tess));
        out.push(FrameMeasure {
            label,
            zoom: view.zoom,
            zones_drawn: drawn,
            vertices,
            build_ms: b,
            tessellate_ms: t,
            total_ms: b + t,
        });
    }
    Ok(out)
}
