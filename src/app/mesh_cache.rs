//! The fill meshes of a zone layer kept between frames. Its own module so that the workspace
//! (`state`) can hold one per layer and the map (`map_view`) can rebuild it, without either
//! importing the other's module.

use egui::epaint::Mesh;

/// The fill meshes of a zone layer built for one zoom and style, kept between frames: while the
/// view stays inside the region they cover, a frame only translates them (panning), instead of
/// transforming every vertex of every zone again.
#[derive(Default)]
pub struct MeshCache {
    /// Hash of what the meshes depend on (fill colours, opacity, zoom, hatch texture).
    pub(crate) key: u64,
    /// Mercator position at the origin of the cached screen coordinates.
    pub(crate) anchor: [f64; 2],
    /// Mercator box the meshes cover (the view and a margin).
    pub(crate) region: [f64; 4],
    /// Zones with a colour.
    pub(crate) fill: Mesh,
    /// Zones with a missing value (hatched).
    pub(crate) hatched: Mesh,
}
