//! Saving the project (atomic, with autosave and recovery after a crash) and exporting the map
//! (PNG/SVG, same composition code as `cartosol render`) and the atlas from the app. Exports run
//! off the UI thread.

use super::state::Workspace;
use crate::export::compose::{RenderOptions, compose_project};
use crate::export::map::{Preset, render_svg};
use crate::project::{Project, ViewSpec, save_project};
use std::path::{Path, PathBuf};

/// Seconds between two autosaves.
pub const AUTOSAVE_SECONDS: f64 = 60.0;

/// A project built from the workspace (layers cloned), for the export code.
pub fn project_of(ws: &Workspace, view: Option<ViewSpec>) -> Project {
    let mut file = ws.file.clone();
    file.map.view = view;
    Project {
        path: ws
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from("projet.cartosol.json")),
        file,
        zones: ws
            .zones
            .iter()
            .map(|z| (z.spec.clone(), z.layer.clone()))
            .collect(),
        points: ws
            .points
            .iter()
            .map(|p| (p.spec.clone(), p.layer.clone()))
            .collect(),
        joins: ws.joins.clone(),
    }
}

/// The folder the project's relative paths refer to.
pub fn base_dir(ws: &Workspace) -> PathBuf {
    ws.path
        .as_deref()
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
}

/// Saves the workspace's project to `path` (atomic) and removes the autosave.
pub fn save(ws: &mut Workspace, path: &Path, view: Option<ViewSpec>) -> Result<String, String> {
    ws.sync_file();
    let mut file = ws.file.clone();
    file.map.view = view;
    save_project(&file, &base_dir(ws), path).map_err(|e| e.to_string())?;
    let _ = crate::project::discard_autosave(path);
    // Paths are now relative to the new folder.
    if ws.path.as_deref() != Some(path) {
        let from = base_dir(ws);
        crate::project::rebase_paths(&mut ws.file, &from, path.parent().unwrap_or(Path::new(".")));
        ws.path = Some(path.to_owned());
    }
    Ok(format!("Projet enregistré : {}", path.display()))
}

/// Writes the autosave of the workspace's project, if it has a file.
pub fn autosave(ws: &mut Workspace, view: Option<ViewSpec>) -> Result<(), String> {
    let Some(path) = ws.path.clone() else {
        return Ok(());
    };
    ws.sync_file();
    let mut file = ws.file.clone();
    file.map.view = view;
    crate::project::autosave(&file, &path).map_err(|e| e.to_string())
}

/// Exports the map as the screen shows it (indicator, classes, view, the analysis overlay) to a
/// PNG or SVG file.
pub fn export_map(
    project: &Project,
    path: &Path,
    preset: Preset,
    overlay: crate::style::map_style::MapOverlay,
) -> Result<String, String> {
    let start = std::time::Instant::now();
    let options = RenderOptions {
        overlay,
        ..RenderOptions::new(preset)
    };
    let map = compose_project(project, &options).map_err(|e| e.to_string())?;
    let svg = render_svg(&map);
    let is_svg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    let bytes = if is_svg {
        svg.into_bytes()
    } else {
        crate::export::raster::svg_to_png(&svg, map.page.width_px, map.page.height_px)
            .map_err(|e| e.to_string())?
    };
    crate::export::write_atomic(path, &bytes).map_err(|e| e.to_string())?;
    Ok(format!(
        "Carte exportée : {} ({} × {} px, {:.1} s)",
        path.display(),
        map.page.width_px,
        map.page.height_px,
        start.elapsed().as_secs_f64()
    ))
}

/// Writes one map per EPCI of the map layer into `dir`.
pub fn export_atlas(project: &Project, dir: &Path) -> Result<String, String> {
    let pages = crate::export::atlas::write_atlas(
        project,
        dir,
        &RenderOptions::new(Preset::A4Landscape),
        false,
    )
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "Atlas : {} cartes écrites dans {}",
        pages.len(),
        dir.display()
    ))
}
