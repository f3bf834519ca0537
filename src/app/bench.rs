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
    /// Fastest full rebuild, milliseconds (the least disturbed by other processes).
    pub best_total_ms: f64,
    /// Median milliseconds to build and tessellate 10,000 service points (clustered or not).
    pub points_ms: f64,
    /// Discs or symbols drawn for those points.
    pub point_marks: usize,
    /// Median milliseconds of a panning frame (cached meshes translated, then tessellated).
    pub pan_ms: f64,
}

/// SplitMix64 uniform numbers in [0, 1), seeded.
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as f64 / u64::MAX as f64
    }
}

/// A point layer of `n` pseudo-random services (9 themes, « France Services » the first, in
/// the `dispositif` field) inside `bbox` (Mercator), seeded; with `inside` set, only positions
/// it accepts are kept (drawn again otherwise).
fn random_services(
    bbox: [f64; 4],
    n: usize,
    seed: u64,
    inside: Option<&dyn Fn(f64, f64) -> bool>,
) -> crate::model::PointLayer {
    let mut next = uniform(seed);
    let mut positions = Vec::with_capacity(n);
    let mut themes = Vec::with_capacity(n);
    let mut tries = 0usize;
    while positions.len() < n && tries < n * 50 {
        tries += 1;
        let m = [
            bbox[0] + next() * (bbox[2] - bbox[0]),
            bbox[1] + next() * (bbox[3] - bbox[1]),
        ];
        let (lon, lat) = super::geometry::lon_lat_of(m);
        if inside.is_some_and(|f| !f(lon, lat)) {
            continue;
        }
        let i = positions.len();
        positions.push(Some(geo::Point::new(lon, lat)));
        themes.push(if i % 9 == 0 {
            "France Services".to_owned()
        } else {
            format!("thème {}", i % 9)
        });
    }
    crate::model::PointLayer {
        source: Default::default(),
        positions,
        attributes: theme_table(themes),
    }
}

/// The attribute table of the random services: one text column `dispositif` (the only place
/// the bench builds attribute values).
fn theme_table(themes: Vec<String>) -> crate::model::Table {
    let n = themes.len() as u64;
    crate::model::Table {
        fields: vec![crate::model::Field {
            name: "dispositif".to_owned(),
            kind: crate::model::FieldKind::Text,
            values: themes.into_iter().map(crate::value::Value::Text).collect(),
        }],
        row_origin: (1..=n).collect(),
    }
}

/// 10,000 pseudo-random service points (9 themes) inside `bbox` (Mercator), seeded.
fn random_points(bbox: [f64; 4], ws: &Workspace) -> super::state::PointLayerView {
    let layer = random_services(bbox, 10_000, 91, None);
    let spec = crate::project::PointSpec {
        id: "bench".to_owned(),
        name: "bench".to_owned(),
        source: Default::default(),
        theme_field: Some("dispositif".to_owned()),
        crs: None,
        options: Default::default(),
    };
    let mut view = super::state::point_view(spec, layer, &ws.file, &[]);
    super::state::style_point_views(std::slice::from_mut(&mut view), &[], &[]);
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
    // As the app does when it starts.
    crate::memory::keep_freed_memory();
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
    let (ctx, hatch) = bench_context();
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
        let mut totals = Vec::new();
        let mut pan = Vec::new();
        let mut vertices = 0;
        let mut drawn = 0;
        // 2 × frames: even frames change the style (a cold rebuild, as after a zoom or a new
        // classification: every chunk of zones in view built again from the zones' levels of
        // detail, only the buffers of the previous meshes reused); odd frames pan the view by
        // 3 px (cached meshes translated, chunks coming into view built). The view moves 3 px a
        // frame, back to its start every 40 frames (it stays over the region however many
        // frames are measured).
        for f in 0..frames.max(1) * 2 {
            let rebuild = f % 2 == 0;
            let mut v = view;
            v.center[0] += (f % 40) as f64 * 3.0 / view.scale;
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
            tessellate(&ctx, shapes, clip);
            let t2 = Instant::now();
            if rebuild {
                build.push((t1 - t0).as_secs_f64() * 1000.0);
                tess.push((t2 - t1).as_secs_f64() * 1000.0);
                totals.push((t2 - t0).as_secs_f64() * 1000.0);
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
            super::map_view::point_layer_shapes(
                &view,
                &points,
                &mut shapes,
                &mut texts,
                &mut Vec::new(),
            );
            point_marks = shapes.len();
            tessellate(&ctx, shapes, clip);
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
            best_total_ms: totals.iter().copied().fold(f64::INFINITY, f64::min),
            points_ms,
            point_marks,
            pan_ms,
        });
    }
    Ok(out)
}

/// What the under-served sliders, the bivariate map and the proximity tool cost at national
/// scale (see [`slider_bench`]).
pub struct SliderMeasure {
    /// Zones of the layer.
    pub zones: usize,
    /// Random services drawn (9 themes, one in nine « France Services »).
    pub services: usize,
    /// Seconds to load the zones and place the services in them (workspace preparation).
    pub load_s: f64,
    /// Seconds of the coverage computation (background thread), done once.
    pub coverage_s: f64,
    /// Milliseconds the UI thread spends starting that computation (its frame is late by that).
    pub start_ms: f64,
    /// Coverage computations started while the sliders moved (0 when the cache works).
    pub recomputations: usize,
    /// Median milliseconds to apply the rule of new thresholds to the cached coverage.
    pub apply_ms: f64,
    /// Zones flagged at the median thresholds.
    pub flagged: usize,
    /// Per view (label, median and fastest ms of a slider frame: rule applied, shapes built,
    /// tessellated).
    pub slider_frames: Vec<(String, f64, f64)>,
    /// Per view, median and fastest ms of a frame of the bivariate map while a slider moves.
    pub bivariate_frames: Vec<(String, f64, f64)>,
    /// Median milliseconds of a proximity query (click) with the services within the radius
    /// and the nearest of each theme.
    pub probe_ms: f64,
    /// Services within the radius of that query.
    pub probe_within: usize,
}

/// A context for the benchmarks, with the hatching texture the missing values are drawn with.
pub(super) fn bench_context() -> (egui::Context, egui::TextureId) {
    let ctx = egui::Context::default();
    let hatch = ctx
        .load_texture(
            "h",
            egui::ColorImage::new([8, 8], vec![egui::Color32::GRAY; 64]),
            Default::default(),
        )
        .id();
    (ctx, hatch)
}

/// Tessellates `shapes` in `clip` on `ctx` (the GPU-side cost of a frame on the CPU).
pub(super) fn tessellate(ctx: &egui::Context, shapes: Vec<egui::Shape>, clip: egui::Rect) {
    let clipped: Vec<egui::epaint::ClippedShape> = shapes
        .into_iter()
        .map(|shape| egui::epaint::ClippedShape {
            clip_rect: clip,
            shape,
            transform_after_tessellation: Default::default(),
        })
        .collect();
    std::hint::black_box(ctx.tessellate(clipped, 1.0));
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Loads `path` (communes), adds `services` random services inside its zones (seeded), maps
/// `indicator` and turns the under-served tool on; measures the background coverage once, then
/// `frames` slider moves (need threshold swept over its range): applying the rule to the
/// cached coverage, and a whole frame after it (fills, outlines of flagged zones, labels,
/// tessellation) at the whole layer and at region zoom (Île-de-France); then the same with the
/// bivariate map, and a proximity query at Paris.
pub fn slider_bench(
    path: &Path,
    indicator: &str,
    services: usize,
    frames: usize,
    seed: u64,
) -> Result<SliderMeasure, String> {
    // As the app does when it starts.
    crate::memory::keep_freed_memory();
    use super::analysis_ui::AnalysisState;
    let t_load = Instant::now();
    let mut ws = Workspace::empty();
    ws.add_file(path, &Progress::default())?;
    let layer = 0;
    let zl = ws.zones.first().ok_or("aucune zone")?;
    let all = zl
        .geometry
        .bbox_of(0..zl.geometry.len())
        .ok_or("emprise vide")?;
    let geometry = zl.geometry.clone();
    let inside = move |lon: f64, lat: f64| geometry.zone_at(lon, lat).is_some();
    let points = random_services(all, services, seed, Some(&inside));
    let spec = crate::project::PointSpec {
        id: "services".to_owned(),
        name: "services".to_owned(),
        source: Default::default(),
        theme_field: Some("dispositif".to_owned()),
        crs: None,
        options: Default::default(),
    };
    ws.file.points.push(spec.clone());
    let view = super::state::point_view(spec, points, &ws.file, &ws.zones);
    ws.points.push(view);
    ws.file.map.indicator = indicator.to_owned();
    ws.finish();
    let load_s = t_load.elapsed().as_secs_f64();
    let ch = Choropleth::compute(&ws, layer, indicator, &ClassificationSpec::default());
    if let Err(e) = &ch.classification {
        return Err(e.clone());
    }
    let mut analysis = AnalysisState::default();
    analysis.gaps_on = true;
    analysis.theme = "France Services".to_owned();
    let t_cov = Instant::now();
    analysis.sync(&ws, || {});
    let start_ms = t_cov.elapsed().as_secs_f64() * 1000.0;
    while analysis.gaps.is_none() {
        if let Some((_, e)) = &analysis.coverage_error {
            return Err(e.clone());
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
        analysis.sync(&ws, || {});
    }
    let coverage_s = t_cov.elapsed().as_secs_f64();
    let runs = analysis.coverage_runs;
    let (mut needs, offer_t) = match &analysis.gaps {
        Some(g) => (
            g.coverage
                .need
                .iter()
                .filter_map(crate::value::Value::as_f64)
                .collect::<Vec<f64>>(),
            analysis.offer_threshold.unwrap_or_default(),
        ),
        None => return Err("pas de couverture".to_owned()),
    };
    needs.sort_by(f64::total_cmp);
    // A sweep of the need slider over the middle of the distribution (30 % to 70 % of the
    // zones above the threshold), where a move changes thousands of flagged zones.
    let need_at = |f: usize| {
        let q = 0.3 + 0.4 * ((f % 20) as f64) / 19.0;
        let i = ((needs.len() as f64 - 1.0) * q) as usize;
        needs.get(i).copied().unwrap_or_default()
    };
    let mut apply = Vec::new();
    for f in 0..frames.max(1) {
        let t = Instant::now();
        analysis.set_thresholds(need_at(f), offer_t);
        apply.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let flagged = {
        let median_need = analysis
            .gaps
            .as_ref()
            .map_or(0.0, |g| g.coverage.need_median);
        analysis.set_thresholds(median_need, offer_t);
        analysis.gaps.as_ref().map_or(0, |g| g.result.flagged.len())
    };
    let clip = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1600.0, 1000.0));
    let views = [
        ("ensemble de la couche".to_owned(), View::fit(all, clip)),
        ("région (zoom 8)".to_owned(), {
            let zoom = 8.0;
            View {
                center: super::geometry::mercator_unit(2.35, 48.7),
                scale: 256.0 * 2f64.powf(zoom),
                clip,
                zoom,
            }
        }),
    ];
    let (ctx, hatch) = bench_context();
    let mut first = ctx.run_ui(Default::default(), |_| {});
    first.textures_delta.clear();
    let zl = ws.zones.first().ok_or("aucune zone")?;
    let frame = |analysis: &mut AnalysisState, view: &View, f: usize| {
        let t = Instant::now();
        analysis.set_thresholds(need_at(f), offer_t);
        let fill = analysis.fill_override();
        let generation = super::choropleth::fill_generation(Some(&ch), fill.as_deref());
        let mut shapes = Vec::new();
        let mut texts = Vec::new();
        zone_layer_shapes(
            view,
            zl,
            super::map_view::Paint {
                choropleth: Some(&ch),
                fill_override: fill.as_deref(),
                hatch,
                labels: true,
                generation,
            },
            &mut shapes,
            &mut texts,
        );
        analysis.overlay(&ws, view, &mut shapes, &mut texts);
        tessellate(&ctx, shapes, clip);
        t.elapsed().as_secs_f64() * 1000.0
    };
    let mut slider_frames = Vec::new();
    let mut bivariate_frames = Vec::new();
    for bivariate in [false, true] {
        analysis.bivariate_on = bivariate;
        for (label, view) in &views {
            // The first frame builds the meshes of the view (zoom or fills changed).
            frame(&mut analysis, view, 0);
            let mut times: Vec<f64> = (1..=frames.max(1))
                .map(|f| frame(&mut analysis, view, f))
                .collect();
            let out = if bivariate {
                &mut bivariate_frames
            } else {
                &mut slider_frames
            };
            let best = times.iter().copied().fold(f64::INFINITY, f64::min);
            out.push((label.clone(), median(&mut times), best));
        }
    }
    let recomputations = analysis.coverage_runs - runs;
    let mut probes = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        analysis.probe_at(&ws, (2.35, 48.85));
        probes.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let probe_within = analysis.probe.as_ref().map_or(0, |p| p.within.len());
    Ok(SliderMeasure {
        zones: zl.geometry.len(),
        services: ws.points.first().map_or(0, |p| p.layer.positions.len()),
        load_s,
        coverage_s,
        start_ms,
        recomputations,
        apply_ms: median(&mut apply),
        flagged,
        slider_frames,
        bivariate_frames,
        probe_ms: median(&mut probes),
        probe_within,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The colour a user sees at screen point `p`: that of the last triangle drawn over it
    /// (none when no triangle covers it or when it lies within 0.01 px of an edge).
    fn colour_at(shapes: &[egui::Shape], p: egui::Pos2) -> Option<Option<egui::Color32>> {
        let mut seen = None;
        for s in shapes {
            let egui::Shape::Mesh(m) = s else { continue };
            for t in m.indices.chunks(3) {
                let [a, b, c] = [t[0], t[1], t[2]].map(|i| m.vertices[i as usize].pos);
                let side = |u: egui::Pos2, v: egui::Pos2| {
                    ((v.x - u.x) * (p.y - u.y) - (v.y - u.y) * (p.x - u.x))
                        / u.distance(v).max(1e-6)
                };
                let d = [side(a, b), side(b, c), side(c, a)];
                if d.iter().any(|x| x.abs() < 0.01) {
                    return None;
                }
                if d.iter().all(|x| *x > 0.0) || d.iter().all(|x| *x < 0.0) {
                    seen = Some(m.vertices[t[0] as usize].color);
                }
            }
        }
        Some(seen)
    }

    #[test]
    fn a_panned_map_shows_what_a_fresh_one_shows() {
        let mut ws = Workspace::empty();
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_data/communes_essonne_T3_FICTIF.geojson");
        ws.add_file(&path, &Progress::default()).unwrap();
        let ch = Choropleth::compute(&ws, 0, "POPULATION", &ClassificationSpec::default());
        assert!(ch.classification.is_ok());
        let zl = &ws.zones[0];
        let clip = egui::Rect::from_min_size(egui::pos2(10.0, 20.0), egui::vec2(400.0, 300.0));
        let zoom = 12.0;
        let pans = [(45.0, 0.0), (-45.0, 30.0), (0.0, -35.0), (40.0, 35.0)];
        let at = |lon: f64, lat: f64| View {
            center: super::super::geometry::mercator_unit(lon, lat),
            scale: 256.0 * 2f64.powf(zoom),
            clip,
            zoom,
        };
        let moved = |v: &View, (dx, dy): (f64, f64)| {
            let mut v = *v;
            v.center[0] += dx / v.scale;
            v.center[1] += dy / v.scale;
            v
        };
        let meets = |v: &View, c: &super::super::geometry::ZoneChunk| {
            let b = v.bbox();
            c.bbox[0] <= b[2] && c.bbox[2] >= b[0] && c.bbox[1] <= b[3] && c.bbox[3] >= b[1]
        };
        // A start where a pan brings a chunk into view that the start did not show (built
        // then, with the start's transform).
        let start = (0..400)
            .map(|k| at(2.0 + 0.03 * (k % 20) as f64, 48.3 + 0.025 * (k / 20) as f64))
            .find(|v| {
                zl.geometry
                    .chunks()
                    .iter()
                    .any(|c| !meets(v, c) && pans.iter().any(|p| meets(&moved(v, *p), c)))
            })
            .unwrap();
        let paint = super::super::map_view::Paint {
            choropleth: Some(&ch),
            fill_override: None,
            hatch: egui::TextureId::User(7),
            labels: false,
            generation: 1,
        };
        let draw = |view: &View| {
            let mut shapes = Vec::new();
            zone_layer_shapes(view, zl, paint, &mut shapes, &mut Vec::new());
            shapes
        };
        draw(&start);
        let built_first = zl.cache.borrow().parts.iter().filter(|p| p.built).count();
        let mut compared = 0;
        // Pans of up to 45 px (the margin is 50 px by 37.5 px), each compared with the map
        // drawn from nothing at the same view.
        let mut built_by_pans = 0;
        for (dx, dy) in pans {
            let view = moved(&start, (dx, dy));
            let panned = draw(&view);
            built_by_pans = built_by_pans
                .max(zl.cache.borrow().parts.iter().filter(|p| p.built).count() - built_first);
            let fresh = {
                *zl.cache.borrow_mut() = Default::default();
                let shapes = draw(&view);
                // Back to the panned cache's state: built at the start view.
                *zl.cache.borrow_mut() = Default::default();
                draw(&start);
                shapes
            };
            for i in 0..40 {
                for j in 0..30 {
                    let p = clip.min + egui::vec2(i as f32 * 10.0 + 5.3, j as f32 * 10.0 + 5.7);
                    if let (Some(a), Some(b)) = (colour_at(&panned, p), colour_at(&fresh, p)) {
                        assert_eq!(a, b, "pan ({dx}, {dy}), point {p:?}");
                        compared += usize::from(a.is_some());
                    }
                }
            }
        }
        assert!(compared > 3000, "{compared} points covered");
        // The first frame built only some of the chunks (the layer's 193 communes are 4).
        // The first frame built only the chunks in view (the layer's 193 communes are 4
        // chunks), a pan the one it brought into view.
        assert!(built_first < 4, "{built_first}");
        assert!(built_by_pans >= 1, "{built_by_pans}");
    }
}
