//! Where zone names go on a map: a greedy placement that keeps names off each other and off
//! the point symbols, shared by every renderer (the app's map places its names with it; a page
//! renderer hands it the boxes of its own text).
//!
//! The renderer measures each name (its own fonts) and gives, per zone, the box of the name,
//! the zone's label point (its interior point, on screen) and the zone's bounding box. Zones are
//! taken largest first; each name tries its label point, then positions around it, ring after
//! ring (above, below, aside, the diagonals), and takes the first whose box stays in the map's
//! frame, keeps its centre inside the zone's bounding box, and overlaps neither a name placed
//! before it nor a symbol. A name finding no such place is left out, unless the caller lets it
//! cover symbols (the mapped layer's names, whose symbols are then drawn over them): it then
//! takes the place free of other names that covers the fewest symbols. Overlaps are found in a screen grid
//! of the boxes ([`BoxIndex`]), so a frame with thousands of symbols stays cheap.

use super::spec::LabelSpec;
use std::collections::HashMap;

/// The text size of zone names, screen pixels, unless the project says otherwise
/// ([`crate::style::spec::LabelSpec::size_px`]).
pub const LABEL_SIZE_PX: f32 = 12.5;

/// The text sizes a user may give zone names, screen pixels (smallest, largest).
pub const LABEL_SIZE_RANGE_PX: (f32, f32) = (8.0, 28.0);

/// An axis-aligned box on the screen or the page, pixels, y down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelBox {
    /// Left, top.
    pub min: [f32; 2],
    /// Right, bottom.
    pub max: [f32; 2],
}

impl LabelBox {
    /// The box of width and height `size` centred on `centre`.
    pub fn centred(centre: [f32; 2], size: [f32; 2]) -> LabelBox {
        LabelBox {
            min: [centre[0] - size[0] / 2.0, centre[1] - size[1] / 2.0],
            max: [centre[0] + size[0] / 2.0, centre[1] + size[1] / 2.0],
        }
    }

    /// Whether the two boxes share some area (boxes that only touch do not).
    pub fn overlaps(&self, other: &LabelBox) -> bool {
        self.min[0] < other.max[0]
            && other.min[0] < self.max[0]
            && self.min[1] < other.max[1]
            && other.min[1] < self.max[1]
    }

    /// Whether `other` lies wholly inside this box.
    pub fn contains_box(&self, other: &LabelBox) -> bool {
        self.min[0] <= other.min[0]
            && self.min[1] <= other.min[1]
            && other.max[0] <= self.max[0]
            && other.max[1] <= self.max[1]
    }

    /// Whether the point lies inside this box (edges included).
    pub fn contains(&self, p: [f32; 2]) -> bool {
        self.min[0] <= p[0] && p[0] <= self.max[0] && self.min[1] <= p[1] && p[1] <= self.max[1]
    }

    /// The centre of the box.
    pub fn centre(&self) -> [f32; 2] {
        [
            (self.min[0] + self.max[0]) / 2.0,
            (self.min[1] + self.max[1]) / 2.0,
        ]
    }
}

/// Boxes indexed by the cells of a square screen grid they cover, to find the boxes a new
/// one overlaps without looking at all of them.
#[derive(Clone, Debug)]
pub struct BoxIndex {
    cell_px: f32,
    cells: HashMap<(i32, i32), Vec<usize>>,
    boxes: Vec<LabelBox>,
}

impl BoxIndex {
    /// An empty index whose cells are `cell_px` pixels wide (at least 1).
    pub fn new(cell_px: f32) -> BoxIndex {
        BoxIndex {
            cell_px: if cell_px.is_finite() {
                cell_px.max(1.0)
            } else {
                32.0
            },
            cells: HashMap::new(),
            boxes: Vec::new(),
        }
    }

    /// The cells `b` covers (at most 64 × 64: a larger box is indexed in the cells of its
    /// clamped span, and still compared exactly).
    fn cells_of(&self, b: &LabelBox) -> impl Iterator<Item = (i32, i32)> + use<> {
        let cell = |v: f32| (v / self.cell_px).floor().clamp(-1.0e6, 1.0e6) as i32;
        let (x0, y0) = (cell(b.min[0]), cell(b.min[1]));
        let (x1, y1) = (cell(b.max[0]).min(x0 + 63), cell(b.max[1]).min(y0 + 63));
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }

    /// Adds a box.
    pub fn insert(&mut self, b: LabelBox) {
        let id = self.boxes.len();
        let wide = (b.max[0] - b.min[0]) / self.cell_px > 63.0
            || (b.max[1] - b.min[1]) / self.cell_px > 63.0;
        self.boxes.push(b);
        if wide {
            // Kept apart and compared with every query (rare: a box wider than 64 cells).
            self.cells.entry((i32::MIN, i32::MIN)).or_default().push(id);
            return;
        }
        let cells: Vec<(i32, i32)> = self.cells_of(&b).collect();
        for c in cells {
            self.cells.entry(c).or_default().push(id);
        }
    }

    /// How many boxes of the index overlap `b`.
    pub fn count_overlaps(&self, b: &LabelBox) -> usize {
        let mut ids: Vec<usize> = self
            .cells
            .get(&(i32::MIN, i32::MIN))
            .into_iter()
            .chain(self.cells_of(b).filter_map(|c| self.cells.get(&c)))
            .flatten()
            .copied()
            .filter(|&i| self.boxes.get(i).is_some_and(|o| o.overlaps(b)))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.len()
    }

    /// Whether some box of the index overlaps `b`.
    pub fn overlaps(&self, b: &LabelBox) -> bool {
        let hit = |ids: Option<&Vec<usize>>| {
            ids.is_some_and(|ids| {
                ids.iter()
                    .any(|&i| self.boxes.get(i).is_some_and(|o| o.overlaps(b)))
            })
        };
        hit(self.cells.get(&(i32::MIN, i32::MIN)))
            || self.cells_of(b).any(|c| hit(self.cells.get(&c)))
    }

    /// The boxes indexed, in the order they were added.
    pub fn boxes(&self) -> &[LabelBox] {
        &self.boxes
    }
}

/// A zone to be named.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelRequest {
    /// The zone (row in its layer), handed back with its place.
    pub zone: usize,
    /// The name, as drawn.
    pub text: String,
    /// The zone's label point (interior point) on the screen or page, pixels.
    pub anchor: [f32; 2],
    /// The zone's bounding box on the screen or page: a name's centre stays inside it.
    pub zone_box: LabelBox,
    /// The width and height of the name's box (text and its background), pixels.
    pub size: [f32; 2],
    /// Larger zones are named first (their area, in any unit).
    pub priority: f64,
}

/// A name placed.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedLabel {
    /// The zone (as in its request).
    pub zone: usize,
    /// The name.
    pub text: String,
    /// The name's box; the text is centred in it.
    pub rect: LabelBox,
    /// Whether it covers a symbol (only for a layer allowed to, when nothing else was free).
    pub over_symbol: bool,
}

/// The offsets tried around a label point for a name of size `w` × `h`: the point itself,
/// then three rings of eight positions (above, below, left, right, then the diagonals), each
/// ring one name's height (vertically) and half a name's width (sideways) further out.
pub fn candidate_offsets(w: f32, h: f32) -> Vec<[f32; 2]> {
    let mut out = vec![[0.0, 0.0]];
    for k in 1..=3 {
        let k = k as f32;
        let (dx, dy) = (k * (w / 2.0 + 2.0), k * (h + 2.0));
        out.extend([
            [0.0, -dy],
            [0.0, dy],
            [-dx, 0.0],
            [dx, 0.0],
            [-dx, -dy],
            [dx, -dy],
            [-dx, dy],
            [dx, dy],
        ]);
    }
    out
}

/// Places zone names greedily, largest zone first (see the module's description).
///
/// `frame` is the map's frame (names stay wholly inside it); `labels` holds the names already
/// placed (of another layer placed before), which the new names join; `symbols` holds the
/// boxes of the point symbols drawn. With `may_cover_symbols`, a name that finds no place free
/// of symbols takes the place free of other names that covers the fewest symbols (flagged
/// `over_symbol`).
pub fn place_labels(
    mut requests: Vec<LabelRequest>,
    frame: LabelBox,
    labels: &mut BoxIndex,
    symbols: &BoxIndex,
    may_cover_symbols: bool,
) -> Vec<PlacedLabel> {
    requests.sort_by(|a, b| b.priority.total_cmp(&a.priority).then(a.zone.cmp(&b.zone)));
    let mut placed = Vec::new();
    for request in requests {
        let [w, h] = request.size;
        if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0) {
            continue;
        }
        // The places free of other names, in the order tried.
        let free: Vec<LabelBox> = candidate_offsets(w, h)
            .iter()
            .filter_map(|d| {
                let centre = [request.anchor[0] + d[0], request.anchor[1] + d[1]];
                let rect = LabelBox::centred(centre, request.size);
                (frame.contains_box(&rect)
                    && request.zone_box.contains(centre)
                    && !labels.overlaps(&rect))
                .then_some(rect)
            })
            .collect();
        let (rect, over_symbol) = match free.iter().find(|r| !symbols.overlaps(r)) {
            Some(rect) => (*rect, false),
            // Over symbols: where it covers the fewest (the first such place on a tie).
            None if may_cover_symbols => match free
                .iter()
                .enumerate()
                .min_by_key(|(k, r)| (symbols.count_overlaps(r), *k))
            {
                Some((_, rect)) => (*rect, true),
                None => continue,
            },
            None => continue,
        };
        labels.insert(rect);
        placed.push(PlacedLabel {
            zone: request.zone,
            text: request.text,
            rect,
            over_symbol,
        });
    }
    placed
}

/// The name of a zone as a label: legal forms of EPCI shortened (« Communauté
/// d'agglomération » → « CA »), cut to 34 characters with an ellipsis.
pub fn label_text(name: &str) -> String {
    let s = abbreviate_legal_form(name.trim());
    if s.chars().count() > 34 {
        s.chars().take(32).collect::<String>() + "…"
    } else {
        s
    }
}

/// The field naming the zones of layer `layer` and the text size, as the project's `labels`
/// say for it: the chosen field when the layer has it (`has_field`), else its name field
/// `name_field`; the chosen size kept within [`LABEL_SIZE_RANGE_PX`], else [`LABEL_SIZE_PX`].
/// The app's map and the exports read the choice through it.
pub fn label_choice(
    labels: &[LabelSpec],
    layer: &str,
    name_field: &str,
    has_field: impl Fn(&str) -> bool,
) -> (String, f32) {
    let spec = labels.iter().find(|l| l.layer == layer);
    let field = spec
        .and_then(|l| l.field.clone())
        .filter(|f| has_field(f))
        .unwrap_or_else(|| name_field.to_owned());
    let (lo, hi) = LABEL_SIZE_RANGE_PX;
    let size = spec
        .and_then(|l| l.size_px)
        .filter(|s| s.is_finite())
        .map_or(LABEL_SIZE_PX, |s| s.clamp(lo, hi));
    (field, size)
}

/// The height of a name's box for text `size_px` high (its background's margin included).
pub fn label_box_height(size_px: f32) -> f32 {
    (size_px * 1.36).round()
}

/// The smallest width, screen pixels, of a zone whose name is shown: the mapped layer's
/// (`main`) from 70 px, another layer's (communes under EPCI) from 140 px.
pub fn label_min_zone_width_px(main: bool) -> f32 {
    if main { 70.0 } else { 140.0 }
}

/// Above this many zones wide enough in view, a layer's names are not placed (too many to
/// read; zoom in).
pub const LABELS_MAX_PER_LAYER: usize = 400;

/// Shortens the legal form opening an EPCI's name (« Communauté d'agglomération » → « CA »,
/// « Communauté de communes » → « CC », « Communauté urbaine » → « CU », « Établissement public
/// territorial » → « EPT »); other names are returned as they are.
pub fn abbreviate_legal_form(name: &str) -> String {
    for (long, short) in [
        ("Communauté d'agglomération ", "CA "),
        ("Communauté de communes ", "CC "),
        ("Communauté urbaine ", "CU "),
        ("Établissement public territorial ", "EPT "),
    ] {
        if let Some(rest) = name.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(zone: usize, at: [f32; 2], w: f32, priority: f64) -> LabelRequest {
        LabelRequest {
            zone,
            text: format!("zone {zone}"),
            anchor: at,
            zone_box: LabelBox::centred(at, [160.0, 120.0]),
            size: [w, 17.0],
            priority,
        }
    }

    #[test]
    fn the_index_finds_exactly_the_overlapping_boxes() {
        // Compared with a plain scan over random boxes, across cell borders and sizes.
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32) / (u32::MAX >> 1) as f32
        };
        let mut index = BoxIndex::new(20.0);
        let mut all = Vec::new();
        for _ in 0..300 {
            let b = LabelBox::centred(
                [next() * 800.0 - 50.0, next() * 600.0 - 50.0],
                [next() * 90.0 + 1.0, next() * 30.0 + 1.0],
            );
            all.push(b);
            index.insert(b);
        }
        // One box far wider than 64 cells.
        let wide = LabelBox::centred([400.0, 700.0], [3000.0, 4.0]);
        all.push(wide);
        index.insert(wide);
        for _ in 0..2000 {
            let q = LabelBox::centred(
                [next() * 900.0 - 100.0, next() * 800.0 - 100.0],
                [next() * 60.0 + 1.0, next() * 25.0 + 1.0],
            );
            assert_eq!(
                index.overlaps(&q),
                all.iter().any(|b| b.overlaps(&q)),
                "{q:?}"
            );
        }
        // Touching is not overlapping.
        let a = LabelBox::centred([0.0, 0.0], [10.0, 10.0]);
        assert!(!a.overlaps(&LabelBox::centred([10.0, 0.0], [10.0, 10.0])));
        assert!(a.overlaps(&LabelBox::centred([9.9, 0.0], [10.0, 10.0])));
    }

    #[test]
    fn a_name_moves_off_a_symbol_and_the_larger_zone_is_named_first() {
        let frame = LabelBox::centred([400.0, 300.0], [800.0, 600.0]);
        let mut symbols = BoxIndex::new(32.0);
        // A symbol on the label point of zone 1.
        symbols.insert(LabelBox::centred([200.0, 200.0], [15.0, 15.0]));
        let mut labels = BoxIndex::new(32.0);
        let placed = place_labels(
            vec![
                request(1, [200.0, 200.0], 60.0, 10.0),
                // Zone 2, larger, shares the label point: it takes it first.
                request(2, [210.0, 250.0], 60.0, 20.0),
            ],
            frame,
            &mut labels,
            &symbols,
            false,
        );
        assert_eq!(placed.len(), 2);
        assert_eq!(placed[0].zone, 2);
        assert_eq!(
            placed[0].rect,
            LabelBox::centred([210.0, 250.0], [60.0, 17.0])
        );
        // Zone 1: not at its point (the symbol), first free place: above, one name higher.
        assert_eq!(placed[1].zone, 1);
        assert_eq!(
            placed[1].rect,
            LabelBox::centred([200.0, 181.0], [60.0, 17.0])
        );
        assert!(!placed[1].over_symbol);
    }

    #[test]
    fn a_name_with_no_room_is_left_out_unless_it_may_cover_symbols() {
        let frame = LabelBox::centred([400.0, 300.0], [800.0, 600.0]);
        // Symbols everywhere in the zone's box.
        let mut symbols = BoxIndex::new(32.0);
        for i in 0..40 {
            for j in 0..30 {
                symbols.insert(LabelBox::centred(
                    [100.0 + i as f32 * 5.0, 100.0 + j as f32 * 5.0],
                    [6.0, 6.0],
                ));
            }
        }
        let one = || vec![request(7, [200.0, 170.0], 50.0, 1.0)];
        let mut labels = BoxIndex::new(32.0);
        assert!(place_labels(one(), frame, &mut labels, &symbols, false).is_empty());
        assert!(labels.boxes().is_empty());
        let placed = place_labels(one(), frame, &mut labels, &symbols, true);
        assert_eq!(placed.len(), 1);
        assert!(placed[0].over_symbol);
        assert_eq!(labels.boxes(), [placed[0].rect]);
    }

    #[test]
    fn a_name_that_must_cover_symbols_covers_the_fewest() {
        let frame = LabelBox::centred([400.0, 300.0], [800.0, 600.0]);
        let at = [400.0, 300.0];
        let size = [60.0, 17.0];
        // Three symbols on the label point, two on the place above, one on each other place.
        let mut symbols = BoxIndex::new(16.0);
        let dot = |c: [f32; 2]| LabelBox::centred(c, [4.0, 4.0]);
        for dx in [-20.0, 0.0, 20.0] {
            symbols.insert(dot([at[0] + dx, at[1]]));
        }
        for d in candidate_offsets(size[0], size[1]).iter().skip(1) {
            symbols.insert(dot([at[0] + d[0], at[1] + d[1]]));
        }
        // The place below the point (first ring) gets none.
        let below = [at[0], at[1] + size[1] + 2.0];
        let mut cleared = BoxIndex::new(16.0);
        for b in symbols.boxes() {
            if b.centre() != below {
                cleared.insert(*b);
            }
        }
        // Above gets a second symbol.
        cleared.insert(dot([at[0] + 20.0, at[1] - size[1] - 2.0]));
        let mut request = request(1, at, size[0], 1.0);
        request.zone_box = LabelBox::centred(at, [400.0, 300.0]);
        let mut labels = BoxIndex::new(16.0);
        let placed = place_labels(vec![request.clone()], frame, &mut labels, &cleared, true);
        // « Below » is free of symbols: taken without covering any.
        assert_eq!(placed[0].rect, LabelBox::centred(below, size));
        assert!(!placed[0].over_symbol);
        // With a symbol there too, every place covers one at least: the first covering one
        // only is below (the point itself covers three, the place above two, below comes
        // before the diagonals, which cover one).
        cleared.insert(dot(below));
        let mut labels = BoxIndex::new(16.0);
        let placed = place_labels(vec![request], frame, &mut labels, &cleared, true);
        assert_eq!(placed[0].rect, LabelBox::centred(below, size));
        assert!(placed[0].over_symbol);
        assert_eq!(cleared.count_overlaps(&placed[0].rect), 1);
    }

    #[test]
    fn dense_names_never_overlap_each_other_nor_a_symbol() {
        // 400 zones on a 20 × 20 lattice 40 px apart, names 30 to 110 px wide, 300 symbols.
        let frame = LabelBox::centred([400.0, 400.0], [800.0, 800.0]);
        let mut symbols = BoxIndex::new(24.0);
        for k in 0..300 {
            let x = 20.0 + ((k * 37) % 760) as f32;
            let y = 20.0 + ((k * 53) % 760) as f32;
            symbols.insert(LabelBox::centred([x, y], [15.0, 15.0]));
        }
        let requests: Vec<LabelRequest> = (0..400)
            .map(|z| {
                let at = [20.0 + (z % 20) as f32 * 40.0, 20.0 + (z / 20) as f32 * 40.0];
                LabelRequest {
                    zone: z,
                    text: format!("zone {z}"),
                    anchor: at,
                    zone_box: LabelBox::centred(at, [80.0, 80.0]),
                    size: [30.0 + (z * 7 % 80) as f32, 17.0],
                    priority: (z * 31 % 400) as f64,
                }
            })
            .collect();
        let mut labels = BoxIndex::new(24.0);
        let placed = place_labels(requests, frame, &mut labels, &symbols, false);
        assert!(placed.len() > 40, "only {} names placed", placed.len());
        for (k, a) in placed.iter().enumerate() {
            assert!(frame.contains_box(&a.rect));
            for b in &placed[k + 1..] {
                assert!(!a.rect.overlaps(&b.rect), "{} and {}", a.text, b.text);
            }
            for s in symbols.boxes() {
                assert!(!a.rect.overlaps(s), "{} over a symbol", a.text);
            }
        }
    }

    #[test]
    fn label_texts_shorten_legal_forms_and_long_names() {
        assert_eq!(
            label_text("Communauté d'agglomération Grand Paris Sud Seine Essonne Sénart"),
            "CA Grand Paris Sud Seine Essonne…"
        );
        assert_eq!(label_text(" Évry-Courcouronnes "), "Évry-Courcouronnes");
    }
}
