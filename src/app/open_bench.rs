//! Time to the first drawn frame and to the whole project when a project opens layer by layer
//! (`cartosol bench ouverture`): the app's own path (the loading thread of
//! [`Workspace::load_staged`], each step applied with [`Workspace::apply_step`] as the UI
//! thread does), with the first frame of the mapped layer built and tessellated headless.

use super::choropleth::Choropleth;
use super::map_view::{Paint, View, zone_layer_shapes};
use super::state::{Progress, Workspace};
use std::path::Path;
use std::time::Instant;

/// What an opening cost, seconds from the start (see [`open_bench`]).
pub struct OpenMeasure {
    /// Each step as it reached the UI thread: what it brought, when (s), and how long the UI
    /// thread spent putting it in the workspace (ms).
    pub steps: Vec<(String, f64, f64)>,
    /// When the first frame showing the first zone layer was drawn (its step applied, the
    /// mapped layer classified, the frame's shapes built and tessellated).
    pub first_frame_s: f64,
    /// Milliseconds of that first frame (classification, shapes, tessellation).
    pub first_frame_ms: f64,
    /// When the last step was applied: the project wholly open.
    pub complete_s: f64,
    /// The longest the UI thread was busy with one step, milliseconds (the map does not
    /// answer during that time).
    pub longest_ui_ms: f64,
    /// Zones and points of the opened project (layer by layer).
    pub zones: Vec<usize>,
    /// Points of each point layer.
    pub points: Vec<usize>,
}

/// Where a zone layer's time goes (seconds, measured alone, one after the other): reading
/// the source, preparing it for drawing ([`super::state::zone_view`]: outlines, levels of
/// detail, triangles, hit-test index; the cells of a grid) and its reference values.
pub struct ZoneBreakdown {
    /// The layer's id.
    pub id: String,
    /// Reading the source (the library's zone or grid reader).
    pub read_s: f64,
    /// Preparing it for drawing.
    pub prepare_s: f64,
    /// Its reference values.
    pub reference_s: f64,
}

/// Times each zone layer of the project `path` step by step (see [`ZoneBreakdown`]).
pub fn zone_breakdown(path: &Path) -> Result<Vec<ZoneBreakdown>, String> {
    let file = crate::project::ProjectFile::read(path).map_err(|e| e.to_string())?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for spec in &file.zones {
        let crs = spec
            .crs
            .as_deref()
            .map(crate::crs::Crs::from_user)
            .transpose()?;
        let t = Instant::now();
        let layer = crate::grid::load_zones_or_grid(
            &base.join(&spec.source),
            &crate::zones::ZoneOptions {
                layer: spec.layer.clone(),
                crs,
                repair: spec.repair_geometries,
            },
        )
        .map_err(|e| e.to_string())?;
        let read_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let view = super::state::zone_view(spec.clone(), layer, &file);
        let prepare_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        std::hint::black_box(super::state::reference_values(&view, &file));
        out.push(ZoneBreakdown {
            id: spec.id.clone(),
            read_s,
            prepare_s,
            reference_s: t.elapsed().as_secs_f64(),
        });
    }
    Ok(out)
}

/// Opens the project `path` as the app does (layer by layer on a loading thread, each step
/// applied on this thread) and times the first frame and the whole opening.
pub fn open_bench(path: &Path) -> Result<OpenMeasure, String> {
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    let target = path.to_owned();
    let loader = std::thread::spawn(move || {
        Workspace::load_staged(&target, &Progress::default(), |step| tx.send(step).is_ok())
    });
    let (ctx, hatch) = super::bench::bench_context();
    let mut first = ctx.run_ui(Default::default(), |_| {});
    first.textures_delta.clear();
    let clip = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0));
    let mut ws = Workspace::empty();
    let mut steps = Vec::new();
    let mut first_frame: Option<(f64, f64)> = None;
    let mut longest_ui_ms: f64 = 0.0;
    for step in rx {
        let arrived = started.elapsed().as_secs_f64();
        let label = step.describe();
        let t = Instant::now();
        ws.apply_step(step);
        let apply_ms = t.elapsed().as_secs_f64() * 1000.0;
        longest_ui_ms = longest_ui_ms.max(apply_ms);
        steps.push((label, arrived, apply_ms));
        if first_frame.is_none() && !ws.zones.is_empty() {
            let t = Instant::now();
            let layer = ws.choropleth_layer().unwrap_or(0);
            let ch = (ws.zones.get(layer).is_some()).then(|| {
                Choropleth::compute(
                    &ws,
                    layer,
                    &ws.file.map.indicator,
                    &ws.file.map.classification,
                )
            });
            if let Some(zl) = ws.zones.get(layer)
                && let Some(all) = zl.geometry.bbox_of(0..zl.geometry.len())
            {
                let view = View::fit(all, clip);
                let mut shapes = Vec::new();
                let mut texts = Vec::new();
                zone_layer_shapes(
                    &view,
                    zl,
                    Paint {
                        choropleth: ch.as_ref(),
                        fill_override: None,
                        hatch,
                        labels: true,
                        generation: 1,
                    },
                    &mut shapes,
                    &mut texts,
                );
                super::bench::tessellate(&ctx, shapes, clip);
            }
            let frame_ms = t.elapsed().as_secs_f64() * 1000.0;
            longest_ui_ms = longest_ui_ms.max(apply_ms + frame_ms);
            first_frame = Some((started.elapsed().as_secs_f64(), frame_ms));
        }
    }
    let complete_s = started.elapsed().as_secs_f64();
    loader
        .join()
        .map_err(|_| "le fil de chargement a échoué".to_owned())??;
    let (first_frame_s, first_frame_ms) = first_frame.ok_or("aucune couche de zones")?;
    Ok(OpenMeasure {
        steps,
        first_frame_s,
        first_frame_ms,
        complete_s,
        longest_ui_ms,
        zones: ws.zones.iter().map(|z| z.layer.len()).collect(),
        points: ws.points.iter().map(|p| p.layer.len()).collect(),
    })
}
