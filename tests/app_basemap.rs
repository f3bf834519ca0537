//! The basemap saved with a project (issue 13): a project whose basemap is a local PMTiles file
//! (how an offline committee room is prepared) reopens drawing that file's tiles, with the
//! file's own attribution, not OpenStreetMap's. The PMTiles file is written by the test (v3
//! layout: 127-byte header, root directory, JSON metadata, one PNG tile shared by every tile
//! id of zooms 0 to 4).

mod common;

use cartosol::app::AppOptions;
use cartosol::app::basemap::{BasemapChoice, pmtiles_attribution};
use std::path::Path;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn solid_png(rgb: [u8; 3]) -> Vec<u8> {
    let mut img = image::RgbImage::new(256, 256);
    for p in img.pixels_mut() {
        *p = image::Rgb(rgb);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A PMTiles v3 file whose tiles (every tile of zooms 0–4: ids 0..341) are one PNG of `rgb`.
fn write_pmtiles(path: &Path, rgb: [u8; 3], attribution: &str) {
    let tile = solid_png(rgb);
    let tiles: u64 = (0..=4).map(|z| 1u64 << (2 * z)).sum();
    let mut dir = Vec::new();
    varint(1, &mut dir); // one entry
    varint(0, &mut dir); // tile id 0 (delta)
    varint(tiles, &mut dir); // run length: every tile id shares the content
    varint(tile.len() as u64, &mut dir); // length
    varint(1, &mut dir); // offset 0, stored + 1
    let metadata = serde_json::json!({ "attribution": attribution, "name": "test" }).to_string();
    let dir_offset = 127u64;
    let meta_offset = dir_offset + dir.len() as u64;
    let data_offset = meta_offset + metadata.len() as u64;
    let mut h = Vec::with_capacity(127);
    h.extend_from_slice(b"PMTiles");
    h.push(3);
    for v in [
        dir_offset,
        dir.len() as u64,
        meta_offset,
        metadata.len() as u64,
        data_offset, // leaf directories: none
        0,
        data_offset,
        tile.len() as u64,
        tiles, // addressed tiles
        1,     // tile entries
        1,     // tile contents
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.extend_from_slice(&[1, 1, 1, 2, 0, 4]); // clustered, no compression ×2, PNG, zooms 0–4
    for v in [-1_800_000_000i32, -850_000_000, 1_800_000_000, 850_000_000] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.push(2); // centre zoom
    h.extend_from_slice(&22_000_000i32.to_le_bytes());
    h.extend_from_slice(&485_000_000i32.to_le_bytes());
    assert_eq!(h.len(), 127);
    let mut file = h;
    file.extend_from_slice(&dir);
    file.extend_from_slice(metadata.as_bytes());
    file.extend_from_slice(&tile);
    std::fs::write(path, file).unwrap();
}

#[test]
fn a_project_saved_with_a_pmtiles_basemap_reopens_drawing_its_tiles() {
    let dir = common::temp_dir("app-basemap");
    let colour = [200, 40, 160];
    write_pmtiles(
        &dir.join("fond.pmtiles"),
        colour,
        "<a href=\"https://example.org\">&copy; Fond de test FICTIF</a>",
    );
    assert_eq!(
        pmtiles_attribution(&dir.join("fond.pmtiles")).as_deref(),
        Some("© Fond de test FICTIF")
    );
    std::fs::copy("sample_data/essonne/epci.geojson", dir.join("epci.geojson")).unwrap();
    let project = dir.join("salle.cartosol.json");
    std::fs::write(
        &project,
        r#"{"cartosol":1,"title":"Salle hors ligne","zones":[{"id":"epci","name":"EPCI","source":"epci.geojson","code_field":"CODE_SIREN","name_field":"NOM"}],
"map":{"zones":"epci","indicator":"POPULATION_91","basemap":{"kind":"pmtiles","path":"fond.pmtiles"},
"view":{"name":"vue courante","lon":2.2,"lat":48.5,"zoom":3.0}}}"#,
    )
    .unwrap();
    // The app starts on no basemap (as in every test: no network) and must take the project's.
    let mut harness = common::app_with(
        AppOptions {
            open: Some(project.clone()),
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache: common::temp_dir("app-basemap-tuiles"),
            data_dir: common::temp_dir("app-basemap-donnees"),
        },
        1200.0,
        800.0,
    );
    for _ in 0..100 {
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(30));
        let app = harness.state();
        if app.basemap.choice != BasemapChoice::None
            && app
                .basemap
                .tiles
                .as_ref()
                .is_some_and(|t| t.stats().in_progress == 0)
        {
            break;
        }
    }
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(
        app.basemap.choice,
        BasemapChoice::Pmtiles(dir.join("fond.pmtiles"))
    );
    assert_eq!(
        app.basemap.attribution.as_deref(),
        Some("© Fond de test FICTIF")
    );
    let image = harness.render().unwrap();
    let view = harness.state().map_out.view.unwrap();
    let corner = view.clip.right_top() + egui::vec2(-40.0, 40.0);
    let px = image.get_pixel(corner.x as u32, corner.y as u32);
    assert_eq!([px[0], px[1], px[2]], colour, "tile colour at {corner:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
