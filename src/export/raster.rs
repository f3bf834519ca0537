//! SVG → PNG with resvg, on the CPU, with the font bundled in the binary
//! (`assets/fonts/Ubuntu-Light.ttf`) as the only font: no system font is ever loaded, so a map
//! renders to the same bytes on every machine.

use super::ExportError;
use super::composition::MapComposition;
use super::svg::render_svg;
use resvg::{tiny_skia, usvg};
use std::sync::{Arc, OnceLock};

/// The bundled font (Ubuntu Light, Ubuntu Font Licence 1.0, see `assets/fonts/`).
pub static BUNDLED_FONT: &[u8] = include_bytes!("../../assets/fonts/Ubuntu-Light.ttf");

/// A font database holding the bundled font only, shared by every render.
pub fn font_database() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(BUNDLED_FONT.to_vec());
        if let Some(family) = bundled_family(&db) {
            db.set_sans_serif_family(family.clone());
            db.set_serif_family(family.clone());
            db.set_monospace_family(family);
        }
        Arc::new(db)
    })
    .clone()
}

fn bundled_family(db: &usvg::fontdb::Database) -> Option<String> {
    db.faces()
        .next()
        .and_then(|f| f.families.first())
        .map(|(name, _)| name.clone())
}

/// Rasterises an SVG document to a PNG of `width_px` × `height_px` (the SVG is scaled to fit).
pub fn svg_to_png(svg: &str, width_px: u32, height_px: u32) -> Result<Vec<u8>, ExportError> {
    let db = font_database();
    let family = bundled_family(&db).unwrap_or_else(|| "Ubuntu".to_owned());
    let options = usvg::Options {
        font_family: family,
        fontdb: db,
        languages: vec!["fr".to_owned()],
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options)
        .map_err(|e| ExportError::Render(format!("SVG invalide ({e})")))?;
    let mut pixmap = tiny_skia::Pixmap::new(width_px, height_px).ok_or_else(|| {
        ExportError::Render(format!(
            "taille d'image impossible ({width_px} × {height_px} px)"
        ))
    })?;
    let size = tree.size();
    let transform = tiny_skia::Transform::from_scale(
        width_px as f32 / size.width(),
        height_px as f32 / size.height(),
    );
    resvg::render(&tree, transform, &mut pixmap.as_mut());
    pixmap
        .encode_png()
        .map_err(|e| ExportError::Render(format!("encodage PNG ({e})")))
}

/// Renders a map composition to PNG at the size of its page.
pub fn render_png(map: &MapComposition) -> Result<Vec<u8>, ExportError> {
    svg_to_png(&render_svg(map), map.page.width_px, map.page.height_px)
}
