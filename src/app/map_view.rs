//! Drawing the project's layers on the walkers map: zones as cached triangles transformed per
//! frame into one egui mesh (culled by bounding box, simplified per zoom), outlines and labels on
//! top, service points by theme (clustered at low zoom), selection, hover and click.

use super::choropleth::Choropleth;
use super::geometry::{LOCAL_SCALE, LOD_ZOOMS, Level, ZoneShape, lon_lat_of, mercator_unit};
use super::mesh_cache::{BuildView, boxes_meet, build_chunks};
use super::state::{LayerRef, PointLayerView, Workspace, ZoneLayerView};
use crate::style::labels::{
    BoxIndex, LABEL_SIZE_PX, LABELS_MAX_PER_LAYER, LabelBox, LabelRequest, PlacedLabel,
    label_box_height, label_min_zone_width_px, label_text, place_labels,
};
use crate::style::map_style::{
    CHOROPLETH_OUTLINE_ALPHA, SYMBOL_HALO_ALPHA, SYMBOL_HALO_COLOR, SYMBOL_HALO_RATIO,
    SYMBOL_OUTLINE_COLOR, SymbolShape, ZONE_OUTLINE_ALPHA, zone_outline_color,
    zone_outline_width_px,
};
use crate::style::spec::LabelSpec;
use egui::epaint::{Mesh, Vertex, WHITE_UV};
use egui::{Color32, FontId, Pos2, Rect, Shape, Stroke, Vec2, pos2, vec2};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use walkers::{MapMemory, Plugin, Projector};

/// The map's view as a Mercator transform: screen = clip centre + (m − centre) × scale.
#[derive(Clone, Copy, Debug)]
pub struct View {
    /// Normalised Mercator position (0–1 over the world, y down) at the centre of `clip`.
    pub center: [f64; 2],
    /// Pixels per unit of normalised Mercator (256 × 2^zoom).
    pub scale: f64,
    /// The map's rectangle on screen, points (logical px).
    pub clip: Rect,
    /// Zoom level (slippy-map levels, fractional), which picks the level of detail.
    pub zoom: f64,
}

impl View {
    /// The view of the walkers map.
    pub fn from_projector(projector: &Projector) -> View {
        let clip = projector.clip_rect();
        let c = projector.unproject(clip.center().to_vec2());
        View {
            center: mercator_unit(c.x(), c.y()),
            scale: 256.0 * 2f64.powf(projector.zoom()),
            clip,
            zoom: projector.zoom(),
        }
    }

    /// A view of `bbox` (Mercator) fitted in `clip`, for headless drawing and benchmarks.
    pub fn fit(bbox: [f64; 4], clip: Rect) -> View {
        let w = (bbox[2] - bbox[0]).max(1e-12);
        let h = (bbox[3] - bbox[1]).max(1e-12);
        let scale = (clip.width() as f64 / w).min(clip.height() as f64 / h) * 0.95;
        View {
            center: [(bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0],
            scale,
            clip,
            zoom: (scale / 256.0).log2(),
        }
    }

    /// Screen position of a Mercator position.
    pub fn to_screen(&self, m: [f64; 2]) -> Pos2 {
        let c = self.clip.center();
        pos2(
            c.x + ((m[0] - self.center[0]) * self.scale) as f32,
            c.y + ((m[1] - self.center[1]) * self.scale) as f32,
        )
    }

    /// Mercator position of a screen position.
    pub fn to_mercator(&self, p: Pos2) -> [f64; 2] {
        let c = self.clip.center();
        [
            self.center[0] + (p.x - c.x) as f64 / self.scale,
            self.center[1] + (p.y - c.y) as f64 / self.scale,
        ]
    }

    /// The visible Mercator box (min x, min y, max x, max y).
    pub fn bbox(&self) -> [f64; 4] {
        let a = self.to_mercator(self.clip.min);
        let b = self.to_mercator(self.clip.max);
        [a[0], a[1], b[0], b[1]]
    }

    fn level_index(&self) -> usize {
        LOD_ZOOMS
            .iter()
            .position(|z| self.zoom < *z)
            .unwrap_or(LOD_ZOOMS.len())
    }

    fn visible(&self, shape: &ZoneShape, view_box: &[f64; 4]) -> bool {
        shape.bbox[0] <= view_box[2]
            && shape.bbox[2] >= view_box[0]
            && shape.bbox[1] <= view_box[3]
            && shape.bbox[3] >= view_box[1]
    }

    /// Screen transform of a zone's local coordinates: (base, factor).
    fn local(&self, shape: &ZoneShape) -> (Pos2, f32) {
        (
            self.to_screen(shape.origin),
            (self.scale / LOCAL_SCALE) as f32,
        )
    }
}

/// What the pointer is over.
#[derive(Clone, Debug, PartialEq)]
pub enum Hit {
    /// A zone of a zone layer.
    Zone {
        /// Index of the zone layer in the workspace's `zones`.
        layer: usize,
        /// Row of the zone in that layer.
        zone: usize,
    },
    /// A point of a point layer (points are hit first: they are drawn on top).
    Point {
        /// Index of the point layer in the workspace's `points`.
        layer: usize,
        /// Row of the point in that layer.
        point: usize,
    },
}

/// What a frame of the map reports back to the app.
#[derive(Clone, Debug, Default)]
pub struct MapOutput {
    /// The zone or point under the pointer, if any.
    pub hovered: Option<Hit>,
    /// The zone or point clicked this frame, if any.
    pub clicked: Option<Hit>,
    /// WGS84 position clicked, whatever is there.
    pub clicked_at: Option<(f64, f64)>,
    /// WGS84 position under the pointer.
    pub pointer: Option<(f64, f64)>,
    /// CPU time spent building the map's shapes this frame.
    pub cpu: Duration,
    /// Triangle vertices sent this frame.
    pub vertices: usize,
    /// The view the map was drawn with (`None` before the first frame).
    pub view: Option<View>,
    /// The zone names placed this frame: text, screen rectangle, and whether it is a name of
    /// the mapped layer (which may cover a symbol when its zone leaves no other room).
    pub labels: Vec<(String, Rect, bool)>,
    /// The screen rectangles of the service symbols drawn this frame.
    pub symbols: Vec<Rect>,
}

/// Shapes drawn over the layers for a view (the analysis tools).
pub type Overlay<'a> = dyn Fn(&View, &mut Vec<Shape>, &mut Vec<TextItem>) + 'a;

/// How a zone layer is filled.
#[derive(Clone, Copy)]
pub struct Paint<'a> {
    /// The choropleth, when this layer is the mapped one (else outlines only).
    pub choropleth: Option<&'a Choropleth>,
    /// Colours replacing the choropleth's, per zone (the bivariate map).
    pub fill_override: Option<&'a [Option<[u8; 3]>]>,
    /// The hatch texture of missing values.
    pub hatch: egui::TextureId,
    /// Whether zone names are drawn.
    pub labels: bool,
    /// Changes whenever the fill colours change (indicator, classes, palette, override).
    pub generation: u64,
}

/// Everything the map draws, borrowed from the app for one frame.
pub struct MapLayers<'a> {
    /// The layers, drawn in the workspace's order.
    pub ws: &'a Workspace,
    /// The choropleth of the mapped zone layer, if any.
    pub choropleth: Option<&'a Choropleth>,
    /// The selected zone (zone layer index, zone row), outlined in yellow on top.
    pub selected_zone: Option<(usize, usize)>,
    /// The selected point (point layer index, point row), circled in yellow on top.
    pub selected_point: Option<(usize, usize)>,
    /// The hatch texture of missing values.
    pub hatch: egui::TextureId,
    /// Fill colours replacing the choropleth's, per zone (the bivariate map).
    pub fill_override: Option<&'a [Option<[u8; 3]>]>,
    /// Changes whenever the fill colours change.
    pub generation: u64,
    /// Drawn over the layers (analysis tools).
    pub overlay: &'a Overlay<'a>,
    /// Where the frame reports hover, click, view and timings back to the app.
    pub out: &'a mut MapOutput,
}

/// A text to draw on the map (drawn by the painter after the shapes).
#[derive(Clone, Debug)]
pub struct TextItem {
    /// Screen position of the text's centre, points (logical px).
    pub at: Pos2,
    /// The text.
    pub text: String,
    /// Font and size (points).
    pub font: FontId,
    /// Text colour.
    pub color: Color32,
}

/// Colour with the layer's opacity.
fn rgba([r, g, b]: [u8; 3], opacity: f32) -> Color32 {
    Color32::from_rgba_unmultiplied(r, g, b, (opacity.clamp(0.0, 1.0) * 255.0) as u8)
}

/// Appends a zone level's triangles to `mesh`, transformed to the screen; a hatched mesh's
/// texture coordinates count from `hatch` (one repetition of the pattern every 8 points).
fn push_triangles(
    mesh: &mut Mesh,
    level: &Level,
    base: Pos2,
    k: f32,
    color: Color32,
    hatch: Option<Pos2>,
) {
    let offset = mesh.vertices.len() as u32;
    mesh.vertices.extend(level.vertices.iter().map(|v| {
        let pos = pos2(base.x + v[0] * k, base.y + v[1] * k);
        Vertex {
            pos,
            uv: match hatch {
                Some(o) => pos2((pos.x - o.x) / 8.0, (pos.y - o.y) / 8.0),
                None => WHITE_UV,
            },
            color,
        }
    }));
    mesh.indices
        .extend(level.indices.iter().map(|i| i + offset));
}

/// Pushes the outline shapes of a zone level.
fn push_outlines(shapes: &mut Vec<Shape>, level: &Level, base: Pos2, k: f32, stroke: Stroke) {
    for &(start, end) in &level.rings {
        let pts: Vec<Pos2> = level
            .ring_vertices
            .get(start as usize..end as usize)
            .unwrap_or_default()
            .iter()
            .map(|v| pos2(base.x + v[0] * k, base.y + v[1] * k))
            .collect();
        if pts.len() >= 2 {
            shapes.push(Shape::line(pts, stroke));
        }
    }
}

/// Outlines of some zones of a layer (the flagged ones of a tool), at the view's level of
/// detail, only those in view and at least half a pixel wide; a zone narrower than the stroke
/// is covered by a box of its colour.
pub fn zone_outlines(
    view: &View,
    zl: &ZoneLayerView,
    zones: impl IntoIterator<Item = usize>,
    stroke: Stroke,
    shapes: &mut Vec<Shape>,
) {
    let level_index = view.level_index();
    let view_box = view.bbox();
    let min_extent = 0.5 / view.scale;
    for i in zones {
        let Some(shape) = zl.geometry.shapes.get(i) else {
            continue;
        };
        if !view.visible(shape, &view_box)
            || (shape.bbox[2] - shape.bbox[0] < min_extent
                && shape.bbox[3] - shape.bbox[1] < min_extent)
        {
            continue;
        }
        // A zone narrower than the stroke would be covered by its own outline: a box of the
        // stroke's colour over it looks the same and costs 4 vertices, not a stroked ring
        // (thousands of communes flagged at national scale).
        let (w, h) = (
            (shape.bbox[2] - shape.bbox[0]) * view.scale,
            (shape.bbox[3] - shape.bbox[1]) * view.scale,
        );
        if w < stroke.width as f64 && h < stroke.width as f64 {
            let rect = Rect::from_two_pos(
                view.to_screen([shape.bbox[0], shape.bbox[1]]),
                view.to_screen([shape.bbox[2], shape.bbox[3]]),
            )
            .expand(stroke.width / 2.0);
            shapes.push(Shape::rect_filled(rect, 0.0, stroke.color));
            continue;
        }
        if let Some(level) = shape.level(level_index) {
            let (base, k) = view.local(shape);
            push_outlines(shapes, level, base, k, stroke);
        }
    }
}

/// Builds the shapes of one zone layer for `view`. Returns the number of triangle vertices.
pub fn zone_layer_shapes(
    view: &View,
    zl: &ZoneLayerView,
    paint: Paint<'_>,
    shapes: &mut Vec<Shape>,
    texts: &mut Vec<TextItem>,
) -> usize {
    let Paint {
        choropleth,
        fill_override,
        hatch,
        labels,
        generation,
    } = paint;
    let geometry = &zl.geometry;
    let opacity = zl.style.opacity;
    let level_index = view.level_index();
    let view_box = view.bbox();
    let many = geometry.len() > 1500;
    let outlines = !many || view.zoom >= 9.0;
    let stroke = {
        let filled = choropleth.is_some();
        let [r, g, b] = zone_outline_color(filled);
        let alpha = 255.0
            * if filled {
                CHOROPLETH_OUTLINE_ALPHA
            } else {
                ZONE_OUTLINE_ALPHA
            };
        Stroke::new(
            zone_outline_width_px(geometry.len(), filled),
            Color32::from_rgba_unmultiplied(r, g, b, (alpha * opacity) as u8),
        )
    };
    let mut vertices = 0;
    if let Some(ch) = choropleth {
        let key = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (generation, opacity.to_bits(), view.zoom.to_bits(), hatch).hash(&mut h);
            h.finish()
        };
        let chunks = geometry.chunks();
        let mut cache = zl.cache.borrow_mut();
        let inside = cache.region[0] <= view_box[0]
            && cache.region[1] <= view_box[1]
            && cache.region[2] >= view_box[2]
            && cache.region[3] >= view_box[3];
        if cache.key != key || !inside || cache.parts.len() != chunks.len() {
            // Rebuild for the view and a margin of an eighth of a view on each side.
            let w = (view_box[2] - view_box[0]) / 8.0;
            let h = (view_box[3] - view_box[1]) / 8.0;
            let region = [
                view_box[0] - w,
                view_box[1] - h,
                view_box[2] + w,
                view_box[3] + h,
            ];
            // Built in the screen coordinates of this view: a frame that does not move the
            // view draws the meshes as they are.
            cache.reset(
                key,
                BuildView {
                    anchor: view.center,
                    scale: view.scale,
                    clip: view.clip,
                    zoom: view.zoom,
                    region,
                },
                chunks.len(),
            );
        }
        // The chunks in view not built yet: all of them after a rebuild, those a pan brings
        // into view afterwards (the margin is only built when it is needed).
        let todo: Vec<usize> = cache
            .parts
            .iter()
            .zip(chunks)
            .enumerate()
            .filter(|(_, (part, chunk))| !part.built && boxes_meet(&chunk.bbox, &view_box))
            .map(|(c, _)| c)
            .collect();
        if !todo.is_empty() {
            // The view the cache was built for: every chunk is transformed the same way.
            let built_for = View {
                center: cache.anchor,
                scale: cache.scale,
                clip: cache.clip,
                zoom: cache.zoom,
            };
            let region = cache.region;
            // The hatching is anchored at the view's centre.
            let uv_origin = built_for.to_screen(built_for.center);
            let min_extent = 0.5 / built_for.scale;
            let shown = |i: usize| {
                let shape = geometry.shapes.get(i)?;
                // Zones smaller than half a pixel are not drawn (tiny communes at national
                // scale).
                if !built_for.visible(shape, &region)
                    || (shape.bbox[2] - shape.bbox[0] < min_extent
                        && shape.bbox[3] - shape.bbox[1] < min_extent)
                {
                    return None;
                }
                Some((shape, shape.level(level_index)?))
            };
            let color_of = |i: usize| match fill_override {
                Some(colors) => colors.get(i).copied().flatten(),
                None => ch.color_of(i),
            };
            // Builds the meshes of one chunk into `fill` and `hatched` (their buffers reused:
            // fresh megabytes each rebuild cost page faults and copies as they grow).
            let build = |c: usize, [mut fill, mut hatched]: [Mesh; 2]| {
                let range = chunks.get(c).map_or(0..0, |k| k.zones.clone());
                // Sized first: one allocation at most, no copy as they grow.
                let (mut fv, mut fi, mut hv, mut hi) = (0, 0, 0, 0);
                for i in range.clone() {
                    if let Some((_, level)) = shown(i) {
                        let (v, x) = if color_of(i).is_none() {
                            (&mut hv, &mut hi)
                        } else {
                            (&mut fv, &mut fi)
                        };
                        *v += level.vertices.len();
                        *x += level.indices.len();
                    }
                }
                fill.vertices.reserve(fv);
                fill.indices.reserve(fi);
                hatched.vertices.reserve(hv);
                hatched.indices.reserve(hi);
                for i in range {
                    let Some((shape, level)) = shown(i) else {
                        continue;
                    };
                    let (base, k) = built_for.local(shape);
                    match color_of(i) {
                        Some(c) => {
                            push_triangles(&mut fill, level, base, k, rgba(c, opacity), None)
                        }
                        // The hatching texture holds the style's colours: untinted.
                        None => push_triangles(
                            &mut hatched,
                            level,
                            base,
                            k,
                            rgba([255, 255, 255], opacity),
                            Some(uv_origin),
                        ),
                    }
                }
                [fill, hatched]
            };
            let buffers = cache.take_buffers(&todo, hatch);
            let built = build_chunks(buffers, build);
            cache.store(built);
        }
        let (meshes, n) = cache.shapes(view.to_screen(cache.anchor), &view_box, chunks);
        vertices += n;
        shapes.extend(meshes);
    }
    if outlines {
        let mut lines = Vec::new();
        for shape in &geometry.shapes {
            if !view.visible(shape, &view_box) {
                continue;
            }
            if let Some(level) = shape.level(level_index) {
                let (base, k) = view.local(shape);
                push_outlines(&mut lines, level, base, k, stroke);
            }
        }
        shapes.extend(lines);
    }
    if labels {
        let mut placed = BoxIndex::new(32.0);
        let field = zl.spec.name_field.clone();
        label_shapes(
            view,
            zl,
            (&field, LABEL_SIZE_PX),
            shapes,
            texts,
            &BoxIndex::new(32.0),
            &mut placed,
            true,
            &|t, f| estimated_text_width(t, f.size),
        );
    }
    vertices
}

/// The text size of a layer's names and the field they are read from, as the project's
/// `map.labels` says for it (the shared [`crate::style::labels::label_choice`]).
pub fn label_choice(zl: &ZoneLayerView, labels: &[LabelSpec]) -> (String, f32) {
    crate::style::labels::label_choice(labels, &zl.spec.id, &zl.spec.name_field, |f| {
        zl.layer.attributes.field(f).is_some()
    })
}

/// A rough width of `text` at `size` px (0.53 em per character), for drawing without fonts
/// at hand (benchmarks).
pub fn estimated_text_width(text: &str, size: f32) -> f32 {
    text.chars().count() as f32 * size * 0.53
}

/// Zone names where they fit, placed by the shared label placement
/// ([`crate::style::labels::place_labels`]): larger zones first, never over another name
/// (`placed`, which the new names join) nor, where the zone leaves room, over a point symbol
/// (`symbols`). The mapped layer's names (`main`) are shown over symbols when their zone leaves
/// no other room (the symbols are drawn over their background); another layer's (communes
/// under EPCI) only when zoomed in enough for their zones to be twice as wide, and never over
/// a symbol. Names are read from `field` at `size_px`, their width measured by `measure`.
/// Returns the names placed.
#[allow(clippy::too_many_arguments)]
pub fn label_shapes(
    view: &View,
    zl: &ZoneLayerView,
    (field, size_px): (&str, f32),
    shapes: &mut Vec<Shape>,
    texts: &mut Vec<TextItem>,
    symbols: &BoxIndex,
    placed: &mut BoxIndex,
    main: bool,
    measure: &dyn Fn(&str, &FontId) -> f32,
) -> Vec<PlacedLabel> {
    let view_box = view.bbox();
    let min_px = label_min_zone_width_px(main);
    let candidates: Vec<usize> = zl
        .geometry
        .shapes
        .iter()
        .enumerate()
        .filter(|(_, s)| view.visible(s, &view_box))
        .filter(|(_, s)| ((s.bbox[2] - s.bbox[0]) * view.scale) as f32 > min_px)
        .map(|(i, _)| i)
        .collect();
    if candidates.len() > LABELS_MAX_PER_LAYER {
        return Vec::new();
    }
    let font = FontId::proportional(size_px);
    let values = zl.layer.attributes.field(field);
    let requests: Vec<LabelRequest> = candidates
        .into_iter()
        .filter_map(|i| {
            let shape = zl.geometry.shapes.get(i)?;
            let text = label_text(&values?.values.get(i)?.to_string());
            if text.is_empty() {
                return None;
            }
            let width = measure(&text, &font) + 8.0;
            let centre = view.to_screen(shape.label);
            let a = view.to_screen([shape.bbox[0], shape.bbox[1]]);
            let b = view.to_screen([shape.bbox[2], shape.bbox[3]]);
            Some(LabelRequest {
                zone: i,
                text,
                anchor: [centre.x, centre.y],
                zone_box: LabelBox {
                    min: [a.x.min(b.x), a.y.min(b.y)],
                    max: [a.x.max(b.x), a.y.max(b.y)],
                },
                size: [width, label_box_height(size_px)],
                priority: shape.area,
            })
        })
        .collect();
    let frame = LabelBox {
        min: [view.clip.min.x, view.clip.min.y],
        max: [view.clip.max.x, view.clip.max.y],
    };
    let out = place_labels(requests, frame, placed, symbols, main);
    for label in &out {
        let rect = Rect::from_min_max(
            pos2(label.rect.min[0], label.rect.min[1]),
            pos2(label.rect.max[0], label.rect.max[1]),
        );
        shapes.push(Shape::rect_filled(
            rect,
            3.0,
            Color32::from_rgba_unmultiplied(255, 255, 255, 170),
        ));
        texts.push(TextItem {
            at: rect.center(),
            text: label.text.clone(),
            font: font.clone(),
            color: Color32::from_rgb(30, 30, 30),
        });
    }
    out
}

/// Shortens the legal forms of EPCI names for map labels ("Communauté d'agglomération" → "CA").
pub fn abbreviate_name(name: &str) -> String {
    crate::style::labels::abbreviate_legal_form(name)
}

/// Draws a theme symbol of radius `r` at `at`: the shape's outline from the shared map style
/// (the same outline the SVG export draws), filled as a fan of triangles from its centre (every
/// outline is star-shaped around it), with the style's dark outline.
pub fn symbol_shape(shape: SymbolShape, at: Pos2, r: f32, color: Color32, shapes: &mut Vec<Shape>) {
    let [or, og, ob] = SYMBOL_OUTLINE_COLOR;
    let stroke = Stroke::new(0.8, Color32::from_rgba_unmultiplied(or, og, ob, color.a()));
    if shape == SymbolShape::Circle {
        shapes.push(Shape::circle_filled(at, r, color));
        shapes.push(Shape::circle_stroke(at, r, stroke));
        return;
    }
    let points: Vec<Pos2> = shape
        .outline()
        .iter()
        .map(|&(x, y)| at + vec2(x as f32 * r, y as f32 * r))
        .collect();
    let mut mesh = Mesh::default();
    mesh.colored_vertex(at, color);
    for p in &points {
        mesh.colored_vertex(*p, color);
    }
    let n = points.len() as u32;
    for i in 0..n {
        mesh.add_triangle(0, 1 + i, 1 + (i + 1) % n);
    }
    shapes.push(Shape::mesh(mesh));
    shapes.push(Shape::closed_line(points, stroke));
}

type Cluster = (Vec2, usize, HashMap<usize, usize>);

/// Builds the shapes of a point layer: symbols when zoomed in, clusters with counts when the
/// view holds many points. Each symbol is drawn at its theme's size (the shared style's
/// `size_px`, the width the exports print); the screen boxes of what was drawn (symbols with
/// their halo, cluster discs) are added to `drawn`, for the labels to avoid.
pub fn point_layer_shapes(
    view: &View,
    pl: &PointLayerView,
    shapes: &mut Vec<Shape>,
    texts: &mut Vec<TextItem>,
    drawn: &mut Vec<Rect>,
) -> Vec<(usize, Pos2)> {
    let opacity = pl.style.opacity;
    let view_box = view.bbox();
    let mut visible: Vec<(usize, Pos2)> = Vec::new();
    for (i, m) in pl.merc.iter().enumerate() {
        let Some(m) = m else { continue };
        if m[0] < view_box[0] || m[0] > view_box[2] || m[1] < view_box[1] || m[1] > view_box[3] {
            continue;
        }
        let theme = pl.theme_of.get(i).and_then(|t| pl.themes.get(*t));
        if theme.is_some_and(|t| t.visible) {
            visible.push((i, view.to_screen(*m)));
        }
    }
    let cluster = visible.len() > 400 && view.zoom < 13.0;
    if !cluster {
        for &(i, at) in &visible {
            if let Some(theme) = pl.theme_of.get(i).and_then(|t| pl.themes.get(*t)) {
                let r = theme.size_px / 2.0;
                let halo = r * SYMBOL_HALO_RATIO as f32;
                shapes.push(Shape::circle_filled(
                    at,
                    halo,
                    rgba(SYMBOL_HALO_COLOR, opacity * SYMBOL_HALO_ALPHA),
                ));
                symbol_shape(theme.shape, at, r, rgba(theme.color, opacity), shapes);
                drawn.push(Rect::from_center_size(at, vec2(2.0 * halo, 2.0 * halo)));
            }
        }
        return visible;
    }
    // Grid clustering in screen space: one disc per 44 px cell, sized and labelled by count,
    // coloured by the cell's most frequent theme.
    let cell = 44.0;
    let mut cells: HashMap<(i32, i32), Cluster> = HashMap::new();
    for &(i, at) in &visible {
        let key = ((at.x / cell).floor() as i32, (at.y / cell).floor() as i32);
        let e = cells.entry(key).or_insert((Vec2::ZERO, 0, HashMap::new()));
        e.0 += at.to_vec2();
        e.1 += 1;
        *e.2.entry(pl.theme_of.get(i).copied().unwrap_or(0))
            .or_default() += 1;
    }
    let font = FontId::proportional(11.0);
    for (sum, n, by_theme) in cells.into_values() {
        let at = (sum / n as f32).to_pos2();
        let dominant = by_theme
            .iter()
            .max_by_key(|(_, c)| **c)
            .map(|(t, _)| *t)
            .unwrap_or(0);
        let color = pl.themes.get(dominant).map_or([80, 80, 80], |t| t.color);
        if n == 1 {
            if let Some(theme) = pl.themes.get(dominant) {
                let r = theme.size_px / 2.0;
                symbol_shape(theme.shape, at, r, rgba(theme.color, opacity), shapes);
                drawn.push(Rect::from_center_size(at, vec2(2.0 * r, 2.0 * r)));
            }
            continue;
        }
        let r = 8.0 + (n as f32).ln() * 3.0;
        drawn.push(Rect::from_center_size(
            at,
            vec2(2.0 * r + 3.0, 2.0 * r + 3.0),
        ));
        shapes.push(Shape::circle_filled(
            at,
            r + 1.5,
            rgba([255, 255, 255], opacity),
        ));
        shapes.push(Shape::circle_filled(at, r, rgba(color, opacity * 0.9)));
        texts.push(TextItem {
            at,
            text: n.to_string(),
            font: font.clone(),
            color: Color32::WHITE,
        });
    }
    visible
}

impl Plugin for MapLayers<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        response: &egui::Response,
        projector: &Projector,
        _memory: &MapMemory,
    ) {
        let start = Instant::now();
        let view = View::from_projector(projector);
        let painter = ui.painter().with_clip_rect(view.clip);
        let mut shapes: Vec<Shape> = Vec::new();
        let mut texts: Vec<TextItem> = Vec::new();
        let mut vertices = 0;
        let mut points_on_screen: Vec<(usize, Vec<(usize, Pos2)>)> = Vec::new();
        // The screen boxes of the symbols drawn (with their halo) and of cluster discs.
        let mut symbols: Vec<Rect> = Vec::new();
        // Where the symbols start among the shapes: the labels' backgrounds go under them.
        let mut first_symbol: Option<usize> = None;
        for layer in self.ws.order.iter().rev() {
            match *layer {
                LayerRef::Zones(i) => {
                    let Some(zl) = self.ws.zones.get(i) else {
                        continue;
                    };
                    if !zl.style.visible {
                        continue;
                    }
                    let ch = self.choropleth.filter(|c| c.layer == i);
                    if let Some(grid) = &zl.grid {
                        // A 200 m grid: one texture of its cells, never its polygons.
                        super::grid_layer::grid_layer_shapes(
                            ui.ctx(),
                            &super::grid_layer::MapFrame {
                                bbox: view.bbox(),
                                clip: view.clip,
                                zoom: view.zoom,
                                to_screen: &|m| view.to_screen(m),
                            },
                            grid,
                            super::grid_layer::GridPaint {
                                classes: ch.map(|c| (c.class_of.as_slice(), c.paint.as_slice())),
                                fill_override: self.fill_override.filter(|_| ch.is_some()),
                                generation: self.generation,
                                opacity: zl.style.opacity,
                            },
                            &mut shapes,
                        );
                        continue;
                    }
                    vertices += zone_layer_shapes(
                        &view,
                        zl,
                        Paint {
                            choropleth: ch,
                            fill_override: self.fill_override.filter(|_| ch.is_some()),
                            hatch: self.hatch,
                            // Placed below, once the symbols are known (they avoid them).
                            labels: false,
                            generation: self.generation,
                        },
                        &mut shapes,
                        &mut texts,
                    );
                }
                LayerRef::Points(i) => {
                    let Some(pl) = self.ws.points.get(i) else {
                        continue;
                    };
                    if !pl.style.visible {
                        continue;
                    }
                    first_symbol.get_or_insert(shapes.len());
                    points_on_screen.push((
                        i,
                        point_layer_shapes(&view, pl, &mut shapes, &mut texts, &mut symbols),
                    ));
                }
            }
        }
        // Labels avoid the service symbols and each other: the choropleth layer's names first,
        // then those of the other visible zone layers (communes when zoomed in enough for
        // their names to fit).
        let mut symbol_index = BoxIndex::new(32.0);
        for r in &symbols {
            symbol_index.insert(LabelBox {
                min: [r.min.x, r.min.y],
                max: [r.max.x, r.max.y],
            });
        }
        let mut placed = BoxIndex::new(32.0);
        let choropleth_layer = self.choropleth.map(|c| c.layer);
        let label_layers = choropleth_layer
            .into_iter()
            .chain(self.ws.order.iter().filter_map(|l| match l {
                LayerRef::Zones(i) if Some(*i) != choropleth_layer => Some(*i),
                _ => None,
            }));
        let mut labelled: Vec<(String, Rect, bool)> = Vec::new();
        let mut chips: Vec<Shape> = Vec::new();
        // Names are measured in the fonts they are drawn with.
        let measure = |text: &str, font: &FontId| {
            ui.fonts_mut(|f| {
                f.layout_no_wrap(text.to_owned(), font.clone(), Color32::BLACK)
                    .size()
                    .x
            })
        };
        for i in label_layers {
            if let Some(zl) = self.ws.zones.get(i)
                && zl.style.visible
                && zl.grid.is_none()
            {
                let main = Some(i) == choropleth_layer;
                let (field, size) = label_choice(zl, &self.ws.file.map.labels);
                let names = label_shapes(
                    &view,
                    zl,
                    (&field, size),
                    &mut chips,
                    &mut texts,
                    &symbol_index,
                    &mut placed,
                    main,
                    &measure,
                );
                labelled.extend(names.into_iter().map(|l| {
                    let rect = Rect::from_min_max(
                        pos2(l.rect.min[0], l.rect.min[1]),
                        pos2(l.rect.max[0], l.rect.max[1]),
                    );
                    (l.text, rect, main)
                }));
            }
        }
        let at = first_symbol.unwrap_or(shapes.len()).min(shapes.len());
        shapes.splice(at..at, chips);
        (self.overlay)(&view, &mut shapes, &mut texts);
        // Selection on top.
        if let Some((layer, zone)) = self.selected_zone
            && let Some(shape) = self
                .ws
                .zones
                .get(layer)
                .and_then(|z| z.geometry.shapes.get(zone))
            && let Some(level) = shape.full()
        {
            let (base, k) = view.local(shape);
            push_outlines(
                &mut shapes,
                level,
                base,
                k,
                Stroke::new(4.0, Color32::from_rgb(20, 20, 20)),
            );
            push_outlines(
                &mut shapes,
                level,
                base,
                k,
                Stroke::new(2.0, Color32::from_rgb(255, 214, 0)),
            );
        }
        if let Some((layer, point)) = self.selected_point
            && let Some(m) = self
                .ws
                .points
                .get(layer)
                .and_then(|p| p.merc.get(point).copied().flatten())
        {
            // Around the symbol, whatever its size.
            let r = self
                .ws
                .points
                .get(layer)
                .and_then(|p| p.theme_of.get(point).and_then(|t| p.themes.get(*t)))
                .map_or(0.0, |t| t.size_px / 2.0);
            shapes.push(Shape::circle_stroke(
                view.to_screen(m),
                (r + 5.5).max(11.0),
                Stroke::new(3.0, Color32::from_rgb(255, 214, 0)),
            ));
        }
        painter.extend(shapes);
        for t in texts {
            painter.text(t.at, egui::Align2::CENTER_CENTER, t.text, t.font, t.color);
        }

        // Hover and click: points first (they are on top), then the choropleth zones.
        let hit_at = |pos: Pos2| -> Option<Hit> {
            let near = points_on_screen
                .iter()
                .flat_map(|(layer, pts)| {
                    pts.iter()
                        .map(move |(i, at)| (*layer, *i, at.distance(pos)))
                })
                .filter(|(layer, i, d)| {
                    // Within the symbol, and never less than 9 px from its centre.
                    let r = self
                        .ws
                        .points
                        .get(*layer)
                        .and_then(|p| p.theme_of.get(*i).and_then(|t| p.themes.get(*t)))
                        .map_or(0.0, |t| t.size_px / 2.0);
                    *d <= r.max(9.0)
                })
                .min_by(|a, b| a.2.total_cmp(&b.2));
            if let Some((layer, point, _)) = near {
                return Some(Hit::Point { layer, point });
            }
            let (lon, lat) = lon_lat_of(view.to_mercator(pos));
            let candidates: Vec<usize> = match self.choropleth {
                Some(c) => vec![c.layer],
                None => self
                    .ws
                    .order
                    .iter()
                    .filter_map(|l| match l {
                        LayerRef::Zones(i) => Some(*i),
                        LayerRef::Points(_) => None,
                    })
                    .collect(),
            };
            candidates.into_iter().find_map(|layer| {
                let zl = self.ws.zones.get(layer)?;
                if !zl.style.visible {
                    return None;
                }
                if let Some(grid) = &zl.grid {
                    return grid
                        .cells
                        .cell_at(lon, lat)
                        .map(|zone| Hit::Zone { layer, zone });
                }
                zl.geometry
                    .zone_at(lon, lat)
                    .map(|zone| Hit::Zone { layer, zone })
            })
        };
        if let Some(pos) = response.hover_pos() {
            self.out.hovered = hit_at(pos);
            self.out.pointer = Some(lon_lat_of(view.to_mercator(pos)));
        }
        if response.clicked()
            && let Some(pos) = response.interact_pointer_pos()
        {
            self.out.clicked = hit_at(pos);
            self.out.clicked_at = Some(lon_lat_of(view.to_mercator(pos)));
        }
        self.out.cpu = start.elapsed();
        self.out.vertices = vertices;
        self.out.view = Some(view);
        self.out.labels = labelled;
        self.out.symbols = symbols;
    }
}
