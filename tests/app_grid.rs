//! The FICTIF Essonne 200 m grid opened in the real app (egui_kittest): drawn as a raster-like
//! layer of its cells (one texture, not 11,542 polygons), coloured with the choropleth's
//! classes; the cell with the most poor households shows its class colour on screen and in the
//! raster, at its centre.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::grid_layer::{GridPaint, cell_paint, rasterize};
use cartosol::app::{AppOptions, CartoSolApp, Command};
use egui_kittest::Harness;
use std::path::PathBuf;

const GRID: &str = "sample_data/carreaux_200m_essonne_FICTIF.csv";

/// The FICTIF grid's cell with the most poor households, read from the CSV with a plain split
/// (the sample has no quotes): (id, Men_pauv).
fn richest_in_poverty() -> (String, f64) {
    let text = std::fs::read_to_string(GRID).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "Men_pauv").unwrap();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_owned(), cells[col].parse::<f64>().unwrap())
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
}

fn open_grid() -> Harness<'static, CartoSolApp> {
    let options = AppOptions {
        open: Some(PathBuf::from(GRID)),
        basemap: BasemapChoice::None,
        load_now: true,
        tile_cache: common::temp_dir("grille-tuiles"),
        data_dir: common::temp_dir("grille-donnees"),
    };
    let mut harness = common::app_with(options, 1200.0, 800.0);
    harness.state_mut().send(Command::SetIndicator {
        layer: 0,
        indicator: "Men_pauv".to_owned(),
    });
    harness.run_steps(4);
    harness
}

#[test]
fn the_grid_is_a_raster_layer_of_its_cells_in_the_choropleth_colours() {
    let mut harness = open_grid();
    let app = harness.state();
    let zl = &app.ws.zones[0];
    let grid = zl.grid.as_ref().expect("the grid is a grid layer");
    assert_eq!(grid.cells.len(), 11_542, "one cell per data row of the CSV");
    assert!(
        grid.cache.borrow().rebuilds >= 1,
        "the map drew the grid's texture"
    );
    assert!(
        grid.cache.borrow().cells > 11_000,
        "the whole grid is in view at opening: {}",
        grid.cache.borrow().cells
    );
    harness.snapshot("app_grille_essonne");

    // The cell with the most poor households is in the top class: its colour is the last of
    // the classes' colours.
    let (id, value) = richest_in_poverty();
    let app = harness.state();
    let ch = app.choropleth.as_ref().unwrap();
    assert_eq!(ch.indicator, "Men_pauv");
    let breaks = &ch.classification.as_ref().unwrap().breaks;
    assert_eq!(
        *breaks.last().unwrap(),
        value,
        "the top break is the maximum"
    );
    let top = *ch.colors.last().unwrap();
    let zl = &app.ws.zones[0];
    let row = zl
        .layer
        .attributes
        .field("Idcar_200m")
        .unwrap()
        .values
        .iter()
        .position(|v| v.to_string() == id)
        .unwrap();

    // Placed from its id: the south-west corner the id names.
    let cells = &zl.grid.as_ref().unwrap().cells;
    let parsed = cartosol::grid::parse_cell_id(&id).unwrap();
    assert_eq!(cells.corners[row], [parsed.east_m, parsed.north_m]);

    // The raster around that cell at city zoom (a cell ~ 30 px): the pixel at its centre has
    // the top class colour.
    let m = cells.merc[row];
    let cell = 200.0 / 6_378_137.0 / (2.0 * std::f64::consts::PI) / 48.6f64.to_radians().cos();
    let region = [
        m[0] - 4.0 * cell,
        m[1] - 4.0 * cell,
        m[0] + 4.0 * cell,
        m[1] + 4.0 * cell,
    ];
    let paint = GridPaint {
        classes: Some((&ch.class_of, &ch.paint)),
        fill_override: None,
        generation: 0,
        opacity: 1.0,
    };
    let raster = rasterize(cells, region, [240, 240], &|i| cell_paint(&paint, i));
    let centre = raster.pixels[120 * 240 + 120];
    assert_eq!(
        [centre.r(), centre.g(), centre.b(), centre.a()],
        [top[0], top[1], top[2], 255]
    );

    // On screen: the map framed on the cell (selection, zoomed), its centre pixel.
    harness.state_mut().send(Command::SelectZone {
        target: Some((0, row)),
        frame: true,
    });
    // A texture slow to build (a debug build) is rebuilt at most every 250 ms while zooming.
    let before = harness.state().ws.zones[0]
        .grid
        .as_ref()
        .unwrap()
        .cache
        .borrow()
        .rebuilds;
    for _ in 0..40 {
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let after = harness.state().ws.zones[0]
        .grid
        .as_ref()
        .unwrap()
        .cache
        .borrow()
        .rebuilds;
    assert!(after > before, "the texture is rebuilt at the new zoom");
    let image = harness.render().unwrap();
    let view = harness.state().map_out.view.unwrap();
    let at = view.to_screen(m);
    assert!(view.clip.contains(at), "the cell is in view: {at:?}");
    let px = image.get_pixel(at.x as u32, at.y as u32);
    assert_eq!(
        [px[0], px[1], px[2]],
        top,
        "screen pixel at the cell's centre"
    );
}
