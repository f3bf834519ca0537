//! Point styles chosen by the user (issue 13): a theme restyled in the project is printed in
//! its colour, shape and size by the map export (`cartosol render` and the app's *Exporter la
//! carte* call `compose_project` then the PNG renderer, as here), and the choices survive a save
//! and a reopening of the project; a project without them loads and saves as before.

mod fixtures;

use cartosol::export::map::map_projector;
use cartosol::export::{Preset, RenderOptions, compose_project, render_png};
use cartosol::project::{
    LabelSpec, Project, SAMPLE_PROJECT, SymbolShape, ThemeStyleSpec, open_project, save_project,
};
use resvg::tiny_skia::Pixmap;
use std::path::Path;

const MAGENTA: [u8; 3] = [255, 0, 255];

/// The sample with its EPCI map of TP60, town halls hidden.
fn sample() -> Project {
    fixtures::sample_epci_tp60()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The PNG of the project's map on a slide, where (page pixels) each service of theme `theme`
/// is drawn, where every symbol of the map is drawn, and the page's pixels per point.
type Rendered = (Pixmap, Vec<(f64, f64)>, Vec<(f64, f64)>, f64);

fn render(project: &Project, theme: &str) -> Rendered {
    let options = RenderOptions {
        date: "01/02/2026".to_owned(),
        ..RenderOptions::new(Preset::Slide)
    };
    let composition = compose_project(project, &options).unwrap();
    let projector = map_projector(&composition);
    let on_page = |g: &cartosol::export::map::PointGroup| -> Vec<(f64, f64)> {
        g.positions
            .iter()
            .map(|p| projector.project(p.x(), p.y()))
            .collect()
    };
    let group = composition
        .points
        .iter()
        .find(|g| g.theme == theme)
        .unwrap_or_else(|| panic!("theme « {theme} » on the map"));
    let at = on_page(group);
    let all = composition.points.iter().flat_map(on_page).collect();
    let png = render_png(&composition).unwrap();
    let img = Pixmap::decode_png(&png).unwrap();
    (img, at, all, composition.page.pt())
}

/// The colour at (x, y) (the page is opaque: premultiplied is plain).
fn pixel(img: &Pixmap, x: f64, y: f64) -> [u8; 3] {
    let p = img
        .pixel(x.round() as u32, y.round() as u32)
        .expect("inside the page");
    [p.red(), p.green(), p.blue()]
}

/// Pixels of exactly `colour` in the square of half-side `half` around (x, y).
fn count(img: &Pixmap, (x, y): (f64, f64), half: f64, colour: [u8; 3]) -> usize {
    let (x0, y0) = ((x - half).round() as i64, (y - half).round() as i64);
    let (x1, y1) = ((x + half).round() as i64, (y + half).round() as i64);
    (y0..=y1)
        .flat_map(|py| (x0..=x1).map(move |px| (px, py)))
        .filter(|&(px, py)| {
            px >= 0
                && py >= 0
                && img
                    .pixel(px as u32, py as u32)
                    .is_some_and(|p| [p.red(), p.green(), p.blue()] == colour)
        })
        .count()
}

#[test]
fn a_restyled_theme_is_printed_in_its_colour_shape_and_size() {
    let mut project = sample();
    let theme = "Crèche";
    let (before, at, all, pt) = render(&project, theme);
    // The automatic symbols hold no magenta (Okabe–Ito colours, Oranges fills).
    let automatic_r = 11.0 / 2.0 * 0.75 * pt;
    for p in &at {
        assert_eq!(count(&before, *p, 3.0 * automatic_r, MAGENTA), 0, "{p:?}");
    }

    // Restyled through the project file: saved, reopened, exported.
    let services = project
        .points
        .iter()
        .find(|(s, _)| s.name.contains("service") || s.id == "services")
        .map(|(s, _)| s.id.clone())
        .unwrap();
    project.file.map.point_styles = vec![ThemeStyleSpec {
        layer: services,
        theme: theme.to_owned(),
        color: Some(MAGENTA),
        shape: Some(SymbolShape::Square),
        size_px: Some(24.0),
    }];
    let dir = temp_dir("style-points");
    let path = dir.join("projet.cartosol.json");
    save_project(
        &project.file,
        Path::new(SAMPLE_PROJECT).parent().unwrap(),
        &path,
    )
    .unwrap();
    let reopened = open_project(&path).unwrap();
    let (after, at_after, _, pt_after) = render(&reopened, theme);
    assert_eq!(at, at_after);
    assert_eq!(pt, pt_after);

    // By hand: a 24 px symbol is printed at 0.75 pt per pixel, radius 12 × 0.75 = 9 pt; a
    // square's corners are at ±0.85 r, its white halo reaches 7.5/5.5 r.
    let r = 24.0 / 2.0 * 0.75 * pt;
    let mut isolated = 0;
    for (k, &(x, y)) in at.iter().enumerate() {
        // Every symbol of the theme shows magenta around its position.
        assert!(
            count(&after, (x, y), r, MAGENTA) > 0,
            "symbol {k} at ({x:.0}, {y:.0}) not magenta"
        );
        // Where no other symbol of the map lies within 2.8 r, the square is read exactly.
        if all
            .iter()
            .filter(|q| (q.0 - x).hypot(q.1 - y) < 2.8 * r)
            .count()
            > 1
        {
            continue;
        }
        isolated += 1;
        assert_eq!(pixel(&after, x, y), MAGENTA, "centre of symbol {k}");
        // Inside the square's corners (±0.7 r, ±0.7 r): magenta. Every automatic shape but
        // the square leaves these points to the halo, and 0.7 r is beyond the automatic
        // symbol's radius (5.5 px × 0.75 pt) altogether.
        for (dx, dy) in [(0.7, 0.7), (-0.7, 0.7), (0.7, -0.7), (-0.7, -0.7)] {
            assert_eq!(
                pixel(&after, x + dx * r, y + dy * r),
                MAGENTA,
                "corner ({dx}, {dy}) of symbol {k}"
            );
        }
        // Beyond the square's sides (1.1 r), within its halo: not magenta.
        for (dx, dy) in [(1.1, 0.0), (-1.1, 0.0), (0.0, 1.1), (0.0, -1.1)] {
            assert_ne!(
                pixel(&after, x + dx * r, y + dy * r),
                MAGENTA,
                "({dx}, {dy}) of symbol {k}: the square is too large"
            );
        }
    }
    assert!(isolated >= 3, "no isolated symbol of « {theme} » to read");
}

#[test]
fn symbol_and_label_choices_survive_a_save_and_older_files_load_unchanged() {
    let project = sample();
    assert!(project.file.map.point_styles.is_empty());
    assert!(project.file.map.labels.is_empty());
    let dir = temp_dir("style-aller-retour");
    let from = Path::new(SAMPLE_PROJECT).parent().unwrap();

    // Without choices nothing new is written: an older CartoSol reads the file as before.
    let plain = dir.join("sans.cartosol.json");
    save_project(&project.file, from, &plain).unwrap();
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(!text.contains("point_styles"), "{text}");
    assert!(!text.contains("\"labels\""), "{text}");

    let mut file = project.file.clone();
    file.map.point_styles = vec![
        ThemeStyleSpec {
            layer: "services".to_owned(),
            theme: "Crèche".to_owned(),
            color: Some([0x12, 0xab, 0xef]),
            shape: Some(SymbolShape::Star),
            size_px: Some(16.5),
        },
        ThemeStyleSpec {
            layer: "services".to_owned(),
            theme: "PMI".to_owned(),
            color: None,
            shape: Some(SymbolShape::TriangleDown),
            size_px: None,
        },
    ];
    file.map.labels = vec![LabelSpec {
        layer: "communes".to_owned(),
        field: Some("INSEE_COM".to_owned()),
        size_px: Some(15.0),
    }];
    let path = dir.join("avec.cartosol.json");
    save_project(&file, from, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // As a user reads the file: colours in hexadecimal, shapes by name.
    for needle in [
        "\"color\": \"#12abef\"",
        "\"shape\": \"star\"",
        "\"shape\": \"triangle_down\"",
        "\"size_px\": 16.5",
        "\"field\": \"INSEE_COM\"",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let back = open_project(&path).unwrap();
    assert_eq!(back.file.map.point_styles, file.map.point_styles);
    assert_eq!(back.file.map.labels, file.map.labels);

    // A colour that is not #rrggbb is refused with the file named.
    let bad = dir.join("mauvais.cartosol.json");
    std::fs::write(&bad, text.replace("#12abef", "bleu")).unwrap();
    let e = match open_project(&bad) {
        Ok(_) => panic!("a colour « bleu » was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("mauvais.cartosol.json"), "{e}");
    assert!(e.contains("couleur « bleu » illisible"), "{e}");
}

/// Zone names on exported maps, when the project asks for them: placed by the placement the
/// app uses, never over each other, the communes' never over a symbol; the SVG writes each
/// name placed; without the switch the export names nothing (as before).
#[test]
fn exported_names_avoid_symbols_and_each_other_when_asked() {
    use cartosol::export::map::{PointGroup, render_svg};
    use cartosol::export::svg::{map_labels, symbol_radius};
    use cartosol::project::ViewSpec;
    use cartosol::style::map_style::SYMBOL_HALO_RATIO;

    let mut project = sample();
    // Zoomed in on Évry-Courcouronnes, communes shown under the EPCI map.
    project.file.map.view = Some(ViewSpec::frame("Évry", 2.4411, 48.6289, 12.0));
    let options = RenderOptions {
        date: "01/02/2026".to_owned(),
        ..RenderOptions::new(Preset::Slide)
    };
    let off = compose_project(&project, &options).unwrap();
    assert!(off.labels.is_empty());
    assert!(!render_svg(&off).contains("id=\"noms\""));

    project.file.map.labels_on_exports = true;
    let map = compose_project(&project, &options).unwrap();
    let placed = map_labels(&map);
    let communes: Vec<&str> = placed
        .iter()
        .filter(|(l, _)| !map.labels[l.zone].main)
        .map(|(l, _)| l.text.as_str())
        .collect();
    assert!(communes.len() >= 3, "communes named: {communes:?}");
    assert!(communes.contains(&"Évry-Courcouronnes"), "{communes:?}");
    // The symbols as drawn on the page: their halo's box.
    let projector = map_projector(&map);
    let pt = map.page.pt();
    let halo = |g: &PointGroup| symbol_radius(g.size_px, pt) * SYMBOL_HALO_RATIO;
    let symbols: Vec<(f64, f64, f64)> = map
        .points
        .iter()
        .flat_map(|g| {
            g.positions.iter().map(move |p| {
                let (x, y) = projector.project(p.x(), p.y());
                (x, y, halo(g))
            })
        })
        .collect();
    for (k, (a, _)) in placed.iter().enumerate() {
        for (b, _) in &placed[k + 1..] {
            assert!(
                !a.rect.overlaps(&b.rect),
                "« {} » and « {} »",
                a.text,
                b.text
            );
        }
        let covers = symbols.iter().any(|&(x, y, r)| {
            f64::from(a.rect.min[0]) < x + r
                && x - r < f64::from(a.rect.max[0])
                && f64::from(a.rect.min[1]) < y + r
                && y - r < f64::from(a.rect.max[1])
        });
        assert_eq!(covers, a.over_symbol, "« {} »", a.text);
        if !map.labels[a.zone].main {
            assert!(!covers, "commune « {} » over a symbol", a.text);
        }
    }
    let svg = render_svg(&map);
    for (l, _) in &placed {
        let escaped = cartosol::export::map::xml_escape(&l.text);
        assert!(svg.contains(&format!(">{escaped}</text>")), "{}", l.text);
    }
    let png = render_png(&map).unwrap();
    if let Ok(dir) = std::env::var("CARTOSOL_LABELS_DUMP") {
        std::fs::write(format!("{dir}/noms_export.png"), &png).unwrap();
    }
}
