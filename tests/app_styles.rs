//! Styles of points and labels in the app (issue 13): the symbol editor of a theme changes the
//! project's `point_styles` and the symbol drawn, « Rétablir le style automatique » gives the
//! automatic one back; the label field and size chosen in the panel name the zones of the map,
//! placed off the symbols and off each other (screenshot looked at).

mod common;

use cartosol::app::CartoSolApp;
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::panels::themes::{LABELS_ON_EXPORTS, RESET_SYMBOL, editor_title};
use cartosol::project::{SymbolShape, ThemeStyleSpec};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// (point layer, theme) of the services' theme `name`.
fn theme_index(harness: &Harness<'static, CartoSolApp>, name: &str) -> (usize, usize) {
    let app = harness.state();
    let li = app
        .ws
        .points
        .iter()
        .position(|p| p.spec.id == "services")
        .expect("services layer");
    let ti = app.ws.points[li]
        .themes
        .iter()
        .position(|t| t.name == name)
        .expect("theme");
    (li, ti)
}

#[test]
fn the_symbol_editor_changes_the_project_and_the_symbol_drawn() {
    // Tall enough for the themes at the bottom of the left panel to be on screen.
    let mut harness = common::app_sized(BasemapChoice::None, "styles-symboles", 1400.0, 2600.0);
    let (li, ti) = theme_index(&harness, "Crèche");
    let automatic = harness.state().ws.points[li].themes[ti].clone();
    assert_ne!(automatic.shape, SymbolShape::Square);
    assert!(harness.state().ws.file.map.point_styles.is_empty());

    harness.get_by_label(&editor_title("Crèche")).click();
    harness.run_steps(2);
    // The shape list shows the current shape; « carré » is chosen in it.
    harness.get_by_value(automatic.shape.label()).click();
    harness.run_steps(2);
    harness.get_by_label(SymbolShape::Square.label()).click();
    harness.run_steps(3);
    {
        let app = harness.state();
        let mut expected = ThemeStyleSpec::automatic("services", "Crèche");
        expected.shape = Some(SymbolShape::Square);
        assert_eq!(app.ws.file.map.point_styles, vec![expected]);
        let theme = &app.ws.points[li].themes[ti];
        assert_eq!(theme.shape, SymbolShape::Square);
        // Only the shape changed.
        assert_eq!(theme.color, automatic.color);
        assert_eq!(theme.size_px, automatic.size_px);
        // The other themes keep their symbols.
        for (k, t) in app.ws.points[li].themes.iter().enumerate() {
            if k != ti {
                assert!(!t.custom, "{}", t.name);
            }
        }
    }

    harness.get_by_label(RESET_SYMBOL).click();
    harness.run_steps(3);
    let app = harness.state();
    assert!(app.ws.file.map.point_styles.is_empty());
    assert_eq!(app.ws.points[li].themes[ti], automatic);
}

/// The label field chosen in the panel (the communes' INSEE codes instead of their names) and
/// the text size are saved in the project and name the communes when zoomed in; the names are
/// placed off each other and off the symbols.
#[test]
fn the_label_field_and_size_chosen_name_the_communes() {
    let mut harness = common::app_sized(BasemapChoice::None, "styles-etiquettes", 1400.0, 2600.0);
    let zones: Vec<String> = harness
        .state()
        .ws
        .zones
        .iter()
        .filter(|z| z.grid.is_none())
        .map(|z| z.spec.id.clone())
        .collect();
    let communes = zones.iter().position(|id| id == "communes").unwrap();
    // One field list per zone layer, each showing « NOM » (the layers' name field).
    harness
        .get_all_by_value("NOM")
        .nth(communes)
        .expect("the communes' field list")
        .click();
    harness.run_steps(2);
    harness.get_by_label("INSEE_COM").click();
    harness.run_steps(2);
    // Names on exported maps too.
    assert!(!harness.state().ws.file.map.labels_on_exports);
    harness.get_by_label(LABELS_ON_EXPORTS).click();
    harness.run_steps(2);
    assert!(harness.state().ws.file.map.labels_on_exports);
    {
        let app = harness.state_mut();
        assert_eq!(
            app.ws.file.map.labels,
            vec![cartosol::project::LabelSpec {
                layer: "communes".to_owned(),
                field: Some("INSEE_COM".to_owned()),
                size_px: None,
            }]
        );
        // The size, as the slider sends it.
        app.send(cartosol::app::Command::SetLabels(
            cartosol::project::LabelSpec {
                layer: "communes".to_owned(),
                field: Some("INSEE_COM".to_owned()),
                size_px: Some(15.0),
            },
        ));
        // Zoomed in on Évry-Courcouronnes.
        let zoom = app.map_memory.zoom();
        let _ = app.map_memory.set_zoom(zoom + 3.0);
        app.map_memory.center_at(walkers::lon_lat(2.4411, 48.6289));
    }
    harness.run_steps(4);
    let out = &harness.state().map_out;
    let communes: Vec<&(String, egui::Rect, bool)> =
        out.labels.iter().filter(|(_, _, main)| !*main).collect();
    assert!(communes.len() >= 3, "communes named: {:?}", out.labels);
    for (text, rect, _) in &communes {
        // INSEE codes of Essonne communes: 91 and three digits.
        assert!(
            text.len() == 5 && text.starts_with("91") && text.chars().all(|c| c.is_ascii_digit()),
            "« {text} » is not a commune code"
        );
        // 15 px text: its box is 1.36 × 15 = 20 px high.
        assert_eq!(rect.height(), 20.0, "{text}");
        assert!(
            !out.symbols.iter().any(|s| s.intersects(*rect)),
            "« {text} » over a symbol"
        );
    }
    assert!(
        communes.iter().any(|(t, _, _)| t == "91228"),
        "Évry-Courcouronnes"
    );
    for (k, (a, ra, _)) in out.labels.iter().enumerate() {
        for (b, rb, _) in out.labels.iter().skip(k + 1) {
            assert!(!ra.intersects(*rb), "« {a} » and « {b} » overlap");
        }
    }
}

/// The communes named when zoomed in on Évry, off the symbols and each other (screenshot
/// looked at).
#[test]
fn labelled_communes_screenshot() {
    let mut harness = common::app(BasemapChoice::None, "styles-capture");
    {
        let app = harness.state_mut();
        let zoom = app.map_memory.zoom();
        let _ = app.map_memory.set_zoom(zoom + 3.0);
        app.map_memory.center_at(walkers::lon_lat(2.4411, 48.6289));
    }
    harness.run_steps(4);
    let out = &harness.state().map_out;
    assert!(out.labels.iter().filter(|(_, _, main)| !*main).count() >= 3);
    harness.snapshot("etiquettes_communes");
}
