//! The fill meshes of a zone layer kept between frames. Its own module so that the workspace
//! (`state`) can hold one per layer and the map (`map_view`) can rebuild it, without either
//! importing the other's module.

use egui::epaint::Mesh;
use std::sync::Arc;

/// The fill meshes of a zone layer built for one zoom and style, kept between frames: while the
/// view stays inside the region they cover, a frame reuses them as they are (the view did not
/// move: a slider of a tool, a hover) or translated (panning), instead of transforming every
/// vertex of every zone again.
#[derive(Default)]
pub struct MeshCache {
    /// Hash of what the meshes depend on (fill colours, opacity, zoom, hatch texture).
    pub(crate) key: u64,
    /// Mercator position whose screen position was `at` when the meshes were built.
    pub(crate) anchor: [f64; 2],
    /// Screen position of `anchor` when the meshes were built (their vertices are in screen
    /// coordinates of that view).
    pub(crate) at: egui::Pos2,
    /// Mercator box the meshes cover (the view and a margin).
    pub(crate) region: [f64; 4],
    /// The meshes, shared with the frame's shapes (no copy while the view does not move):
    /// zones with a colour, and zones with a missing value (hatched), one pair per part of
    /// the layer built in parallel.
    pub(crate) meshes: Vec<Arc<Mesh>>,
}

impl MeshCache {
    /// The shapes of the cached meshes for a view where `anchor` is at `at` on screen: the
    /// meshes themselves when it has not moved, else translated copies. Returns the shapes and
    /// their number of vertices.
    pub(crate) fn shapes(&self, at: egui::Pos2) -> (Vec<egui::Shape>, usize) {
        let delta = at - self.at;
        let mut vertices = 0;
        let shapes = self
            .meshes
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| {
                vertices += m.vertices.len();
                if delta == egui::Vec2::ZERO {
                    egui::Shape::Mesh(m.clone())
                } else {
                    let mut moved = Mesh::clone(m);
                    moved.translate(delta);
                    egui::Shape::mesh(moved)
                }
            })
            .collect();
        (shapes, vertices)
    }
}
