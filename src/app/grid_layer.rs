//! The 200 m grid drawn as a raster-like layer: the cells of the view painted into one texture
//! (egui `ColorImage` → `TextureHandle`) at the screen's resolution, rebuilt only when the view's
//! zoom or size, or the style, changes; a pan within a margin of an eighth of a view only moves
//! the texture. 2.3 million cells cost one textured rectangle per frame, not 2.3 million
//! polygons.
//!
//! The colours are the choropleth's (`Choropleth::class_of` and `paint`, the shared map style:
//! same breaks, same palette as a choropleth of the chosen field, missing values hatched).
//!
//! How a cell lands on pixels: its centre is placed exactly (EPSG:3035 → WGS84 → Mercator, once
//! at load); its square is the EPSG:3035 square mapped by the local linear approximation of
//! LAEA → Mercator at the view's centre (the grid is rotated by a few degrees with respect to
//! Mercator in France: the squares are drawn rotated, not as axis-aligned boxes). A pixel takes
//! the colour of the cell whose square holds its centre. A cell smaller than a pixel paints the
//! pixel holding its centre; when several such cells share a pixel the highest class wins
//! (where poor households are is never hidden by their neighbours), missing values lowest.

use super::geometry::{lon_lat_of, mercator_unit};
use crate::crs::{Crs, FromWgs84, ToWgs84};
use crate::grid::CellId;
use crate::model::ZoneLayer;
use crate::style::map_style::ZonePaint;
use egui::{Color32, Rect, Shape, pos2};
use std::cell::RefCell;
use std::sync::Arc;

/// The cells of a grid layer, placed for drawing and hit tests.
pub struct GridCells {
    /// The side of the squares, metres.
    pub resolution_m: f64,
    /// South-west corner of each square, EPSG:3035 metres (easting, northing).
    pub corners: Vec<[f64; 2]>,
    /// Centre of each square, normalised Mercator (NaN when it could not be projected).
    pub merc: Vec<[f64; 2]>,
    /// Mercator box of the centres (min x, min y, max x, max y).
    pub bbox: [f64; 4],
    /// Buckets per side of the bucket index.
    side: usize,
    /// Start of each bucket's cells in `bucket_cells` (`side² + 1` entries).
    bucket_start: Vec<u32>,
    /// Cell indices, bucket by bucket.
    bucket_cells: Vec<u32>,
    to_wgs84: ToWgs84,
    from_wgs84: FromWgs84,
}

/// The square ids of a zone layer that is a 200 m grid (an `Idcar_200m` column whose every
/// value is a square id), one per zone; `None` otherwise. The only read of attribute values
/// of this module.
pub fn cell_ids(layer: &ZoneLayer) -> Option<Vec<CellId>> {
    let field = layer
        .attributes
        .fields
        .iter()
        .find(|f| crate::grid::is_cell_id_name(&f.name))?;
    if field.values.len() != layer.len() || field.values.is_empty() {
        return None;
    }
    field
        .values
        .iter()
        .map(|v| v.as_text().and_then(crate::grid::parse_cell_id))
        .collect()
}

impl GridCells {
    /// Places the cells: centres reprojected to Mercator (in parallel), bucket index built.
    pub fn new(ids: &[CellId]) -> Option<GridCells> {
        let laea = Crs::from_epsg(3035)?;
        let to_wgs84 = ToWgs84::new(&laea).ok()?;
        let from_wgs84 = FromWgs84::new(&laea).ok()?;
        let resolution_m = ids.first().map_or(200.0, |c| c.resolution_m);
        let corners: Vec<[f64; 2]> = ids.iter().map(|c| [c.east_m, c.north_m]).collect();
        let merc: Vec<[f64; 2]> = crate::parallel::map_indexed(ids, |_, c| {
            let (e, n) = c.centre_3035();
            to_wgs84
                .convert(e, n)
                .map_or([f64::NAN, f64::NAN], |(lon, lat)| mercator_unit(lon, lat))
        });
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for m in merc.iter().filter(|m| m[0].is_finite()) {
            bbox = [
                bbox[0].min(m[0]),
                bbox[1].min(m[1]),
                bbox[2].max(m[0]),
                bbox[3].max(m[1]),
            ];
        }
        if bbox[0] > bbox[2] {
            return None;
        }
        // About 64 cells per bucket.
        let side = ((merc.len() / 64) as f64).sqrt().ceil().clamp(1.0, 1024.0) as usize;
        let mut grid = GridCells {
            resolution_m,
            corners,
            merc,
            bbox,
            side,
            bucket_start: Vec::new(),
            bucket_cells: Vec::new(),
            to_wgs84,
            from_wgs84,
        };
        let bucket_of: Vec<Option<usize>> = grid
            .merc
            .iter()
            .map(|m| {
                let (bx, by) = grid.bucket_xy(*m)?;
                Some(by * side + bx)
            })
            .collect();
        let mut counts = vec![0u32; side * side + 1];
        for b in bucket_of.iter().flatten() {
            if let Some(c) = counts.get_mut(b + 1) {
                *c += 1;
            }
        }
        for i in 1..counts.len() {
            let before = counts.get(i - 1).copied().unwrap_or(0);
            if let Some(c) = counts.get_mut(i) {
                *c += before;
            }
        }
        let mut next = counts.clone();
        let mut cells = vec![0u32; bucket_of.iter().flatten().count()];
        for (i, b) in bucket_of.iter().enumerate() {
            if let Some(b) = b
                && let Some(at) = next.get_mut(*b)
            {
                if let Some(slot) = cells.get_mut(*at as usize) {
                    *slot = i as u32;
                }
                *at += 1;
            }
        }
        grid.bucket_start = counts;
        grid.bucket_cells = cells;
        Some(grid)
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.merc.len()
    }

    /// Whether there is no cell.
    pub fn is_empty(&self) -> bool {
        self.merc.is_empty()
    }

    /// The bucket of a Mercator position (clamped to the index), `None` for NaN.
    fn bucket_xy(&self, m: [f64; 2]) -> Option<(usize, usize)> {
        if !m[0].is_finite() || !m[1].is_finite() {
            return None;
        }
        let w = (self.bbox[2] - self.bbox[0]).max(1e-12);
        let h = (self.bbox[3] - self.bbox[1]).max(1e-12);
        let last = self.side as f64 - 1.0;
        let bx = (((m[0] - self.bbox[0]) / w) * self.side as f64).clamp(0.0, last);
        let by = (((m[1] - self.bbox[1]) / h) * self.side as f64).clamp(0.0, last);
        Some((bx as usize, by as usize))
    }

    /// The cells whose centres may lie in the Mercator box `b`.
    fn candidates(&self, b: [f64; 4]) -> impl Iterator<Item = usize> + '_ {
        let range = if b[2] < self.bbox[0]
            || b[0] > self.bbox[2]
            || b[3] < self.bbox[1]
            || b[1] > self.bbox[3]
        {
            None
        } else {
            self.bucket_xy([b[0].max(self.bbox[0]), b[1].max(self.bbox[1])])
                .zip(self.bucket_xy([b[2].min(self.bbox[2]), b[3].min(self.bbox[3])]))
        };
        range.into_iter().flat_map(move |((x0, y0), (x1, y1))| {
            (y0..=y1).flat_map(move |by| {
                let start = by * self.side + x0;
                let end = by * self.side + x1 + 1;
                let from = self.bucket_start.get(start).copied().unwrap_or(0) as usize;
                let to = self.bucket_start.get(end).copied().unwrap_or(0) as usize;
                self.bucket_cells
                    .get(from..to.max(from))
                    .unwrap_or_default()
                    .iter()
                    .map(|c| *c as usize)
            })
        })
    }

    /// The linear map from EPSG:3035 metres to Mercator units near a Mercator position:
    /// (Mercator per metre east, Mercator per metre north).
    fn jacobian(&self, at: [f64; 2]) -> Option<([f64; 2], [f64; 2])> {
        let (lon, lat) = lon_lat_of(at);
        let (e, n) = self.from_wgs84.convert(lon, lat)?;
        let step = 100.0;
        let m = |e: f64, n: f64| {
            self.to_wgs84
                .convert(e, n)
                .map(|(lon, lat)| mercator_unit(lon, lat))
        };
        let m0 = m(e, n)?;
        let me = m(e + step, n)?;
        let mn = m(e, n + step)?;
        Some((
            [(me[0] - m0[0]) / step, (me[1] - m0[1]) / step],
            [(mn[0] - m0[0]) / step, (mn[1] - m0[1]) / step],
        ))
    }

    /// The cell holding a WGS84 position, if any.
    pub fn cell_at(&self, lon: f64, lat: f64) -> Option<usize> {
        let (e, n) = self.from_wgs84.convert(lon, lat)?;
        let r = self.resolution_m;
        let corner = [(e / r).floor() * r, (n / r).floor() * r];
        let m = mercator_unit(lon, lat);
        // A square's centre is within a square's diagonal of the position.
        let (je, jn) = self.jacobian(m)?;
        let reach = (je[0].abs() + jn[0].abs() + je[1].abs() + jn[1].abs()) * r;
        self.candidates([m[0] - reach, m[1] - reach, m[0] + reach, m[1] + reach])
            .find(|i| self.corners.get(*i) == Some(&corner))
    }
}

/// How a cell is painted in the raster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CellPaint {
    /// Not drawn.
    None,
    /// A colour, with its priority when cells share a pixel (higher wins; the class + 2).
    Color([u8; 3], u8),
    /// Hatched: its value is missing.
    Missing,
}

/// A raster of grid cells: sRGB colours (alpha 0 where no cell is) over a Mercator box.
#[derive(Clone, Debug)]
pub struct Raster {
    /// Width, height in pixels.
    pub size: [usize; 2],
    /// One colour per pixel, row by row from the top.
    pub pixels: Vec<Color32>,
    /// The Mercator box covered (min x, min y, max x, max y).
    pub region: [f64; 4],
    /// The cells drawn.
    pub cells: usize,
}

/// Paints the cells of `grid` whose centres fall in `region` (Mercator) into a raster of
/// `size` pixels, each cell coloured by `paint`. Two halves of the cells are painted in
/// parallel and merged by priority.
pub fn rasterize(
    grid: &GridCells,
    region: [f64; 4],
    size: [usize; 2],
    paint: &(dyn Fn(usize) -> CellPaint + Sync),
) -> Raster {
    let [w, h] = size;
    let px = (region[2] - region[0]) / w.max(1) as f64;
    let py = (region[3] - region[1]) / h.max(1) as f64;
    let empty = Raster {
        size,
        pixels: vec![Color32::TRANSPARENT; w * h],
        region,
        cells: 0,
    };
    if w == 0 || h == 0 || px <= 0.0 || py <= 0.0 {
        return empty;
    }
    let centre = [(region[0] + region[2]) / 2.0, (region[1] + region[3]) / 2.0];
    let Some((je, jn)) = grid.jacobian(centre) else {
        return empty;
    };
    // Pixels per metre east and north (columns of M); M⁻¹ maps a pixel offset to metres.
    let (a, b, c, d) = (je[0] / px, jn[0] / px, je[1] / py, jn[1] / py);
    let det = a * d - b * c;
    if det.abs() < 1e-30 {
        return empty;
    }
    let half = grid.resolution_m / 2.0;
    let hx = (a.abs() + b.abs()) * half;
    let hy = (c.abs() + d.abs()) * half;
    let small = hx < 0.5 && hy < 0.5;
    // A margin of a square around the region: squares whose centre is outside but whose
    // side reaches in.
    let mx = hx * px;
    let my = hy * py;
    let reach = [
        region[0] - mx,
        region[1] - my,
        region[2] + mx,
        region[3] + my,
    ];
    let candidates: Vec<usize> = grid.candidates(reach).collect();
    // One u32 per pixel: priority in the high byte (0: empty, 1: missing value, class + 2
    // otherwise), sRGB below, so that the highest class wins by a plain `max`.
    let paint_part = |part: &[usize]| -> (Vec<u32>, usize) {
        let mut buf = vec![0u32; w * h];
        let mut drawn = 0usize;
        for &i in part {
            let Some(m) = grid.merc.get(i) else { continue };
            let packed = match paint(i) {
                CellPaint::None => continue,
                CellPaint::Color([r, g, b], p) => {
                    u32::from(p.max(2)) << 24
                        | u32::from(r) << 16
                        | u32::from(g) << 8
                        | u32::from(b)
                }
                CellPaint::Missing => 1 << 24,
            };
            let cx = (m[0] - region[0]) / px;
            let cy = (m[1] - region[1]) / py;
            if !(cx > -hx - 1.0 && cy > -hy - 1.0 && cx < w as f64 + hx + 1.0)
                || cy >= h as f64 + hy + 1.0
            {
                continue;
            }
            drawn += 1;
            let mut put = |x: i64, y: i64| {
                if x < 0 || y < 0 || x as usize >= w || y as usize >= h {
                    return;
                }
                if let Some(slot) = buf.get_mut(y as usize * w + x as usize) {
                    *slot = (*slot).max(packed);
                }
            };
            if small {
                put(cx.floor() as i64, cy.floor() as i64);
                continue;
            }
            let x0 = (cx - hx - 0.5).ceil().max(0.0) as i64;
            let x1 = (cx + hx - 0.5).floor().min(w as f64 - 1.0) as i64;
            let y0 = (cy - hy - 0.5).ceil().max(0.0) as i64;
            let y1 = (cy + hy - 0.5).floor().min(h as f64 - 1.0) as i64;
            for y in y0..=y1 {
                let dy = y as f64 + 0.5 - cy;
                for x in x0..=x1 {
                    let dx = x as f64 + 0.5 - cx;
                    let u = (d * dx - b * dy) / det;
                    let v = (a * dy - c * dx) / det;
                    if u >= -half && u < half && v >= -half && v < half {
                        put(x, y);
                    }
                }
            }
        }
        (buf, drawn)
    };
    let (buf, cells) = if candidates.len() > 100_000 {
        let (first, second) = candidates.split_at(candidates.len() / 2);
        let ((mut mine, n1), (theirs, n2)) = std::thread::scope(|s| {
            let other = s.spawn(|| paint_part(second));
            let mine = paint_part(first);
            match other.join() {
                Ok(theirs) => (mine, theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        });
        for (a, b) in mine.iter_mut().zip(&theirs) {
            *a = (*a).max(*b);
        }
        (mine, n1 + n2)
    } else {
        paint_part(&candidates)
    };
    let [hr, hg, hb] = crate::style::palette::MISSING_HATCH_COLOR;
    let [mr, mg, mb] = crate::style::MISSING_COLOR;
    let hatch = Color32::from_rgb(hr, hg, hb);
    let ground = Color32::from_rgb(mr, mg, mb);
    let mut pixels = vec![Color32::TRANSPARENT; w * h];
    for (y, (row, out)) in buf.chunks(w).zip(pixels.chunks_mut(w)).enumerate() {
        for (x, (p, o)) in row.iter().zip(out.iter_mut()).enumerate() {
            *o = match p >> 24 {
                0 => continue,
                // Hatched as the zones' missing values: diagonal lines on the missing colour.
                1 => {
                    if (x + y) % 8 < 2 {
                        hatch
                    } else {
                        ground
                    }
                }
                _ => Color32::from_rgb((p >> 16) as u8, (p >> 8) as u8, *p as u8),
            };
        }
    }
    Raster {
        size,
        pixels,
        region,
        cells,
    }
}

/// The texture of a grid layer kept between frames.
#[derive(Default)]
pub struct GridCache {
    /// What the texture was built for (style generation, zoom, size, pixel density).
    pub key: u64,
    /// The Mercator box the texture covers.
    pub region: [f64; 4],
    /// The texture.
    pub texture: Option<egui::TextureHandle>,
    /// The cells drawn into it.
    pub cells: usize,
    /// How many times it was rebuilt (tests, benchmarks).
    pub rebuilds: usize,
    /// What the colours were built for (style generation, classes, override).
    pub style_key: u64,
    /// When the texture was last built, and how long that took.
    pub built: Option<(std::time::Instant, std::time::Duration)>,
}

/// A texture that took longer than this to build is not rebuilt at every frame of a zoom:
/// the last one is shown stretched until [`ZOOM_REBUILD_EVERY`] has passed.
pub const SLOW_BUILD: std::time::Duration = std::time::Duration::from_millis(40);

/// The shortest time between two rebuilds of a slow texture while the view zooms.
pub const ZOOM_REBUILD_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// A grid layer in the app: its cells and its texture.
pub struct GridView {
    /// The cells, placed (shared with background jobs).
    pub cells: Arc<GridCells>,
    /// The texture kept between frames.
    pub cache: RefCell<GridCache>,
}

impl GridView {
    /// The grid view of a zone layer that is a 200 m grid, `None` for other layers.
    pub fn of_layer(layer: &ZoneLayer) -> Option<GridView> {
        let ids = cell_ids(layer)?;
        Some(GridView {
            cells: Arc::new(GridCells::new(&ids)?),
            cache: RefCell::new(GridCache::default()),
        })
    }
}

/// How the cells are coloured this frame.
#[derive(Clone, Copy)]
pub struct GridPaint<'a> {
    /// The choropleth of this layer, when it is the mapped one (else the cells are drawn in a
    /// neutral grey): the class of each cell and its paint (`Choropleth::class_of` and
    /// `Choropleth::paint`, the shared map style's).
    pub classes: Option<(&'a [Option<usize>], &'a [ZonePaint])>,
    /// Colours replacing the choropleth's, per cell (the bivariate map).
    pub fill_override: Option<&'a [Option<[u8; 3]>]>,
    /// Changes whenever the colours change.
    pub generation: u64,
    /// The layer's opacity (0–1), applied as the texture's tint.
    pub opacity: f32,
}

/// The paint of cell `i`: the choropleth's class colour (or the override's), hatched when
/// its value is missing, grey without a choropleth.
pub fn cell_paint(paint: &GridPaint<'_>, i: usize) -> CellPaint {
    let Some((class_of, zone_paint)) = paint.classes else {
        return CellPaint::Color([150, 150, 150], 2);
    };
    let class = class_of.get(i).copied().flatten();
    let priority = class.map_or(2, |c| (c + 2).min(255) as u8);
    let color = match paint.fill_override {
        Some(colors) => colors.get(i).copied().flatten(),
        None => match zone_paint.get(i) {
            Some(ZonePaint::Color(c)) => Some(*c),
            _ => None,
        },
    };
    match color {
        Some(c) => CellPaint::Color(c, priority),
        None if zone_paint.get(i).is_some() => CellPaint::Missing,
        None => CellPaint::None,
    }
}

/// The map's view as the grid layer needs it (from `map_view::View`, which this module does
/// not import: the map view imports this one).
pub struct MapFrame<'a> {
    /// The visible Mercator box (min x, min y, max x, max y).
    pub bbox: [f64; 4],
    /// The map's rectangle on screen, points.
    pub clip: Rect,
    /// Zoom level (fractional).
    pub zoom: f64,
    /// Screen position of a Mercator position.
    pub to_screen: &'a dyn Fn([f64; 2]) -> egui::Pos2,
}

/// Pushes the grid layer's texture for `view`, rebuilding it when needed. Returns the number
/// of cells drawn into the texture.
pub fn grid_layer_shapes(
    ctx: &egui::Context,
    view: &MapFrame<'_>,
    grid: &GridView,
    paint: GridPaint<'_>,
    shapes: &mut Vec<Shape>,
) -> usize {
    use std::hash::{Hash, Hasher};
    let ppp = ctx.pixels_per_point();
    let style_key = {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            paint.generation,
            paint.classes.map(|(c, _)| c.len()),
            paint.fill_override.is_some(),
        )
            .hash(&mut h);
        h.finish()
    };
    let key = {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            style_key,
            view.zoom.to_bits(),
            view.clip.size().x.to_bits(),
            view.clip.size().y.to_bits(),
            ppp.to_bits(),
        )
            .hash(&mut h);
        h.finish()
    };
    let view_box = view.bbox;
    let mut cache = grid.cache.borrow_mut();
    let inside = cache.region[0] <= view_box[0]
        && cache.region[1] <= view_box[1]
        && cache.region[2] >= view_box[2]
        && cache.region[3] >= view_box[3];
    // While the view zooms (or pans past the margin), a slow texture (the national grid at
    // country zoom) is rebuilt at most every ZOOM_REBUILD_EVERY: meanwhile the last one is drawn stretched to the view
    // (it is placed by its Mercator box), and a frame is asked for when the wait ends.
    let stale = cache.key != key || !inside || cache.texture.is_none();
    let wait = match cache.built {
        Some((at, took)) if stale && cache.style_key == style_key && took > SLOW_BUILD => {
            ZOOM_REBUILD_EVERY.checked_sub(at.elapsed())
        }
        _ => None,
    };
    if let Some(wait) = wait {
        ctx.request_repaint_after(wait);
    } else if stale {
        let started = std::time::Instant::now();
        // The view and a margin of an eighth of a view on each side, at the screen's pixels.
        let mw = (view_box[2] - view_box[0]) / 8.0;
        let mh = (view_box[3] - view_box[1]) / 8.0;
        let region = [
            view_box[0] - mw,
            view_box[1] - mh,
            view_box[2] + mw,
            view_box[3] + mh,
        ];
        let size = [
            ((view.clip.width() * 1.25 * ppp).round() as usize).clamp(1, 8192),
            ((view.clip.height() * 1.25 * ppp).round() as usize).clamp(1, 8192),
        ];
        let raster = rasterize(&grid.cells, region, size, &|i| cell_paint(&paint, i));
        let image = egui::ColorImage::new(raster.size, raster.pixels);
        match &mut cache.texture {
            Some(t) => t.set(image, egui::TextureOptions::NEAREST),
            None => {
                cache.texture =
                    Some(ctx.load_texture("carreaux", image, egui::TextureOptions::NEAREST));
            }
        }
        cache.key = key;
        cache.style_key = style_key;
        cache.region = region;
        cache.cells = raster.cells;
        cache.rebuilds += 1;
        cache.built = Some((started, started.elapsed()));
    }
    if let Some(texture) = &cache.texture {
        let rect = Rect::from_min_max(
            (view.to_screen)([cache.region[0], cache.region[1]]),
            (view.to_screen)([cache.region[2], cache.region[3]]),
        );
        shapes.push(Shape::image(
            texture.id(),
            rect,
            Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
            Color32::WHITE.gamma_multiply(paint.opacity.clamp(0.0, 1.0)),
        ));
    }
    cache.cells
}
