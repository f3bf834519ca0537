//! The map export of a project mapping the FICTIF Essonne 200 m grid: the cell with the most
//! poor households is painted with the top class colour of the resolved style, at its centre
//! on the page, as on screen (`tests/app_grid.rs`).

use cartosol::crs::{Crs, ToWgs84};
use cartosol::export::map::map_projector;
use cartosol::export::{Preset, RenderOptions, compose_project, render_png};
use resvg::tiny_skia::Pixmap;

#[test]
fn the_exported_map_paints_a_cell_in_its_class_colour() {
    let root = std::env::current_dir().unwrap();
    let grid = root.join("sample_data/carreaux_200m_essonne_FICTIF.csv");
    // The cell with the most poor households, read with a plain split (no quotes).
    let text = std::fs::read_to_string(&grid).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "Men_pauv").unwrap();
    let (id, _) = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_owned(), cells[col].parse::<f64>().unwrap())
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    // Its centre from the id's digits: south-west corner + 100 m.
    let n: f64 = id[15..22].parse().unwrap();
    let e: f64 = id[23..].parse().unwrap();
    let laea = ToWgs84::new(&Crs::from_epsg(3035).unwrap()).unwrap();
    let (lon, lat) = laea.convert(e + 100.0, n + 100.0).unwrap();

    let dir = std::env::temp_dir().join(format!("cartosol-grid-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let project = dir.join("grille.cartosol.json");
    let json = format!(
        r#"{{"cartosol": 1, "title": "Carreaux", "sources_note": "",
        "zones": [{{"id": "carreaux", "name": "Carreaux", "source": {:?},
                    "code_field": "Idcar_200m", "name_field": "Idcar_200m"}}],
        "tables": [], "points": [],
        "map": {{"zones": "carreaux", "indicator": "Men_pauv"}}, "views": []}}"#,
        grid.to_str().unwrap()
    );
    std::fs::write(&project, json).unwrap();
    let project = cartosol::project::open_project(&project).unwrap();
    let options = RenderOptions::new(Preset::Custom {
        width_px: 2000,
        height_px: 1400,
    });
    let map = compose_project(&project, &options).unwrap();
    let top = map.legend.classes.last().unwrap().color;
    let (x, y) = map_projector(&map).project(lon, lat);
    let png = render_png(&map).unwrap();
    let pixmap = Pixmap::decode_png(&png).unwrap();
    let px = pixmap.pixel(x as u32, y as u32).unwrap();
    assert_eq!(
        [px.red(), px.green(), px.blue()],
        top,
        "page pixel at ({x}, {y})"
    );
}
