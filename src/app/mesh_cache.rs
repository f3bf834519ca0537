//! The fill meshes of a zone layer kept between frames. Its own module so that the workspace
//! (`state`) can hold one per layer and the map (`map_view`) can rebuild it, without either
//! importing the other's module.

use super::geometry::ZoneChunk;
use egui::epaint::Mesh;
use std::sync::{Arc, Mutex};

/// The fill meshes of one chunk of consecutive zones (see [`ZoneChunk`]): zones with a colour,
/// and zones with a missing value (hatched).
#[derive(Default)]
pub(crate) struct Part {
    /// Whether the meshes were built for the cache's current key and region.
    pub(crate) built: bool,
    /// The meshes, shared with the frame's shapes (no copy while the view does not move).
    pub(crate) meshes: [Arc<Mesh>; 2],
}

/// The fill meshes of a zone layer built for one zoom and style, kept between frames, one pair
/// per chunk of consecutive zones. A rebuild (new zoom or fills) builds only the chunks in view;
/// the chunks a pan brings into view are built then, with the same transform. While the view
/// stays inside the region they cover, a frame reuses them as they are (the view did not move:
/// a slider of a tool, a hover) or translated (panning), instead of transforming every vertex of
/// every zone again; only the chunks in view are drawn (egui copies every mesh it is given).
pub struct MeshCache {
    /// Hash of what the meshes depend on (fill colours, opacity, zoom, hatch texture).
    pub(crate) key: u64,
    /// Mercator position at the centre of the view the meshes were built for.
    pub(crate) anchor: [f64; 2],
    /// Pixels per Mercator unit of that view.
    pub(crate) scale: f64,
    /// The map's rectangle on screen in that view (`anchor` is at its centre).
    pub(crate) clip: egui::Rect,
    /// Zoom of that view.
    pub(crate) zoom: f64,
    /// Mercator box the meshes cover (the view and a margin).
    pub(crate) region: [f64; 4],
    /// The hatch texture of the hatched meshes.
    pub(crate) hatch: egui::TextureId,
    /// One pair of meshes per chunk of the layer, in the layer's order.
    pub(crate) parts: Vec<Part>,
}

impl Default for MeshCache {
    fn default() -> MeshCache {
        MeshCache {
            key: 0,
            anchor: [0.0; 2],
            scale: 0.0,
            clip: egui::Rect::NOTHING,
            zoom: 0.0,
            // Covers nothing: the first frame builds.
            region: [0.0; 4],
            hatch: egui::TextureId::default(),
            parts: Vec::new(),
        }
    }
}

/// Whether two Mercator boxes (min x, min y, max x, max y) intersect.
pub(crate) fn boxes_meet(a: &[f64; 4], b: &[f64; 4]) -> bool {
    a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1]
}

impl MeshCache {
    /// Forgets the meshes (keeping their buffers when no frame holds them) for a new key and
    /// build view, with one part per chunk.
    pub(crate) fn reset(&mut self, key: u64, view: BuildView, chunks: usize) {
        self.key = key;
        self.anchor = view.anchor;
        self.scale = view.scale;
        self.clip = view.clip;
        self.zoom = view.zoom;
        self.region = view.region;
        self.parts.resize_with(chunks, Part::default);
        self.parts.truncate(chunks);
        for p in &mut self.parts {
            p.built = false;
        }
    }

    /// Takes the buffers of the chunks in `todo` (emptied, with the textures of a fill and a
    /// hatched mesh) for building, and marks the chunks built.
    pub(crate) fn take_buffers(
        &mut self,
        todo: &[usize],
        hatch: egui::TextureId,
    ) -> Vec<(usize, [Mesh; 2])> {
        self.hatch = hatch;
        todo.iter()
            .filter_map(|&c| {
                let part = self.parts.get_mut(c)?;
                part.built = true;
                let [a, b] = std::mem::take(&mut part.meshes);
                let reuse = |m: Arc<Mesh>, texture: egui::TextureId| {
                    let mut m = Arc::try_unwrap(m).unwrap_or_default();
                    m.vertices.clear();
                    m.indices.clear();
                    m.texture_id = texture;
                    m
                };
                Some((c, [reuse(a, egui::TextureId::default()), reuse(b, hatch)]))
            })
            .collect()
    }

    /// Stores the meshes built for the chunks.
    pub(crate) fn store(&mut self, built: Vec<(usize, [Mesh; 2])>) {
        for (c, meshes) in built {
            if let Some(part) = self.parts.get_mut(c) {
                part.meshes = meshes.map(Arc::new);
            }
        }
    }

    /// The shapes of the cached meshes of the chunks that meet `view_box` (Mercator), for a view
    /// where `anchor` is at `at` on screen: the meshes themselves when it has not moved, else
    /// translated copies; all the fills first, then the hatched meshes, each in the layer's
    /// order. Returns the shapes and their number of vertices.
    pub(crate) fn shapes(
        &self,
        at: egui::Pos2,
        view_box: &[f64; 4],
        chunks: &[ZoneChunk],
    ) -> (Vec<egui::Shape>, usize) {
        let delta = at - self.clip.center();
        let mut vertices = 0;
        let mut shapes = Vec::new();
        // egui appends consecutive meshes of one texture into one output mesh, growing it as it
        // goes (a copy and fresh pages at each doubling); an empty mesh of the other texture
        // between two chunks makes it start a new output mesh of the right size instead (empty
        // meshes are dropped by its tessellator).
        let separators = [
            Arc::new(Mesh::with_texture(self.hatch)),
            Arc::new(Mesh::default()),
        ];
        for role in 0..2 {
            for (part, chunk) in self.parts.iter().zip(chunks) {
                let Some(m) = part.meshes.get(role) else {
                    continue;
                };
                if !part.built || m.is_empty() || !boxes_meet(&chunk.bbox, view_box) {
                    continue;
                }
                vertices += m.vertices.len();
                if let Some(sep) = separators.get(role) {
                    shapes.push(egui::Shape::Mesh(sep.clone()));
                }
                shapes.push(if delta == egui::Vec2::ZERO {
                    egui::Shape::Mesh(m.clone())
                } else {
                    let mut moved = Mesh::clone(m);
                    moved.translate(delta);
                    egui::Shape::mesh(moved)
                });
            }
        }
        (shapes, vertices)
    }
}

/// The view a cache's meshes are built for (their vertices are in its screen coordinates).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BuildView {
    /// Mercator position at the centre of `clip`.
    pub(crate) anchor: [f64; 2],
    /// Pixels per Mercator unit.
    pub(crate) scale: f64,
    /// The map's rectangle on screen.
    pub(crate) clip: egui::Rect,
    /// Zoom level.
    pub(crate) zoom: f64,
    /// Mercator box the meshes cover (the view and a margin).
    pub(crate) region: [f64; 4],
}

/// Builds the meshes of the chunks in `todo` with `build(chunk, buffers)`, on the machine's
/// cores when there are several chunks (the threads take the next chunk as they finish one:
/// dense and sparse chunks differ a lot).
pub(crate) fn build_chunks<F>(todo: Vec<(usize, [Mesh; 2])>, build: F) -> Vec<(usize, [Mesh; 2])>
where
    F: Fn(usize, [Mesh; 2]) -> [Mesh; 2] + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || todo.len() < 8 {
        return todo
            .into_iter()
            .map(|(c, buffers)| (c, build(c, buffers)))
            .collect();
    }
    let queue = Mutex::new(todo.into_iter());
    let next = || queue.lock().ok().and_then(|mut q| q.next());
    let work = || {
        let mut done = Vec::new();
        while let Some((c, buffers)) = next() {
            done.push((c, build(c, buffers)));
        }
        done
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for h in helpers {
            match h.join() {
                Ok(mut d) => done.append(&mut d),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    })
}
