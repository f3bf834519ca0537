//! Everyday comfort of the map (issue 13): Escape clears the selection (zone and point)
//! wherever the focus is, and the hover text goes when the pointer leaves the map (it is shown
//! only while the pointer is over the map).

mod common;

use cartosol::app::CartoSolApp;
use cartosol::app::basemap::BasemapChoice;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The screen position of zone 0 of the choropleth layer, and its (layer, zone).
fn zone_on_screen(harness: &Harness<'static, CartoSolApp>) -> ((usize, usize), egui::Pos2) {
    let app = harness.state();
    let view = app.map_out.view.expect("map drawn");
    let layer = app.choropleth.as_ref().unwrap().layer;
    let label = app.ws.zones[layer].geometry.shapes[0].label;
    ((layer, 0), view.to_screen(label))
}

#[test]
fn escape_clears_the_selection_even_from_a_text_field() {
    let mut harness = common::app(BasemapChoice::None, "echap");
    harness.run_steps(2);
    let (target, pos) = zone_on_screen(&harness);
    harness.event(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
    }
    harness.run_steps(3);
    assert_eq!(harness.state().selected_zone, Some(target));
    // A service point selected too (as a click on its symbol does).
    harness.state_mut().selected_point = Some((0, 0));
    // Focus a text field (the number of classes), then Escape.
    harness.get_by_value("5").click();
    harness.run_steps(2);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(3);
    assert_eq!(harness.state().selected_zone, None);
    assert_eq!(
        harness.state().selected_point,
        None,
        "the point selection too"
    );
}

#[test]
fn the_hover_text_goes_when_the_pointer_leaves_the_map() {
    let mut harness = common::app(BasemapChoice::None, "survol");
    harness.run_steps(2);
    let (_, pos) = zone_on_screen(&harness);
    let name = {
        let app = harness.state();
        let layer = app.choropleth.as_ref().unwrap().layer;
        app.ws.zones[layer].zone_name(0)
    };
    harness.event(egui::Event::PointerMoved(pos));
    harness.run_steps(3);
    assert!(
        harness.query_all_by_label_contains(&name).count() > 0,
        "hover text of {name} shown over the map"
    );
    // Over the left panel: the hover text is gone.
    harness.event(egui::Event::PointerMoved(egui::pos2(60.0, 600.0)));
    harness.run_steps(3);
    let after: Vec<String> = harness
        .query_all_by_label_contains(&name)
        .map(|n| format!("{n:?}").chars().take(80).collect())
        .collect();
    assert!(after.is_empty(), "hover text still shown: {after:?}");
}

/// *Aide › Guide de l'utilisateur* holds the short French guide: loading the panorama, joining,
/// mapping an indicator, the under-served zones, exports and the committee mode.
#[test]
fn the_help_menu_opens_the_french_user_guide() {
    let mut harness = common::app(BasemapChoice::None, "aide");
    harness.get_by_label("Aide").click();
    harness.run_steps(2);
    harness.get_by_label("Guide de l'utilisateur").click();
    harness.run_steps(3);
    for (title, _) in cartosol::app::dialogs::guide::SECTIONS {
        assert!(
            harness.query_all_by_label(title).count() >= 1,
            "section « {title} » shown"
        );
    }
    harness.get_by_label_contains("Fichier › Importer une table et la joindre…");
    harness.get_by_label_contains("F5 : mode présentation");
    harness.snapshot("aide_guide");
}

/// Each layer has a visible menu (« … »), not only a right click nobody knows about: frame the
/// layer, its properties, rename, export, remove.
#[test]
fn each_layer_has_a_visible_menu_that_frames_it() {
    let mut harness = common::app(BasemapChoice::None, "menu-couche");
    harness.run_steps(2);
    let zoom_before = harness.state().map_memory.zoom();
    // The first « … » button is the top layer's (the service points).
    harness.get_all_by_label("…").next().unwrap().click();
    harness.run_steps(2);
    for item in ["Cadrer sur la couche", "Propriétés…", "Exporter la couche…"] {
        harness.get_by_label(item);
    }
    harness.get_by_label_contains("Retirer ");
    harness.get_by_label("Cadrer sur la couche").click();
    harness.run_steps(3);
    let app = harness.state();
    assert!(
        (app.map_memory.zoom() - zoom_before).abs() > 1e-6,
        "the map is framed on the service points"
    );
}

/// Layers are reordered by dragging a row's handle onto another row: the dragged layer takes
/// that place and the layers in between shift by one.
#[test]
fn a_layer_dragged_onto_another_row_takes_its_place() {
    let mut harness = common::app(BasemapChoice::None, "glisser");
    harness.run_steps(2);
    let before = harness.state().ws.order.clone();
    assert!(before.len() >= 3);
    let handles: Vec<egui::Rect> = harness.get_all_by_label("=").map(|n| n.rect()).collect();
    let from = handles[0].center();
    let to = handles[2].center() + egui::vec2(40.0, 0.0);
    harness.event(egui::Event::PointerMoved(from));
    harness.event(egui::Event::PointerButton {
        pos: from,
        button: egui::PointerButton::Primary,
        pressed: true,
        modifiers: Default::default(),
    });
    harness.run_steps(1);
    for k in 1..=10 {
        let p = from + (to - from) * (k as f32 / 10.0);
        harness.event(egui::Event::PointerMoved(p));
        harness.run_steps(1);
    }
    harness.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    harness.run_steps(3);
    let after = harness.state().ws.order.clone();
    assert_eq!(after[2], before[0], "the dragged layer is third");
    assert_eq!(after[0], before[1]);
    assert_eq!(after[1], before[2]);
}

/// Labels avoid each other and the service symbols: the mapped layer's names (EPCI) are shown
/// even where symbols crowd (moved off them when their zone leaves room); communes are named
/// once zoomed in, never over a symbol.
#[test]
fn labels_avoid_symbols_and_each_other_and_communes_are_named_when_zoomed_in() {
    let mut harness = common::app(BasemapChoice::None, "etiquettes");
    harness.run_steps(3);
    let check = |labels: &[(String, egui::Rect, bool)], symbols: &[egui::Rect]| {
        for (k, (a, ra, _)) in labels.iter().enumerate() {
            for (b, rb, _) in labels.iter().skip(k + 1) {
                assert!(!ra.intersects(*rb), "« {a} » and « {b} » overlap");
            }
        }
        for (name, rect, main) in labels {
            if !main {
                assert!(
                    !symbols.iter().any(|s| s.intersects(*rect)),
                    "commune label « {name} » over a symbol"
                );
            }
        }
    };
    let (labels, symbols) = {
        let out = &harness.state().map_out;
        (out.labels.clone(), out.symbols.clone())
    };
    assert!(!symbols.is_empty());
    // The EPCI of the dense north-east, where the symbols crowd, are still named.
    for name in [
        "CA Communauté Paris-Saclay",
        "CA Cœur d'Essonne Agglomération",
        "CA Val d'Yerres Val de Seine",
        "Métropole du Grand Paris",
    ] {
        assert!(
            labels.iter().any(|(n, _, main)| *main && n == name),
            "« {name} » named: {labels:?}"
        );
    }
    check(&labels, &symbols);

    // Zoomed in three levels on Évry-Courcouronnes: communes are named.
    {
        let app = harness.state_mut();
        let zoom = app.map_memory.zoom();
        let _ = app.map_memory.set_zoom(zoom + 3.0);
        app.map_memory.center_at(walkers::lon_lat(2.4411, 48.6289));
    }
    harness.run_steps(4);
    let (labels, symbols) = {
        let out = &harness.state().map_out;
        (out.labels.clone(), out.symbols.clone())
    };
    let communes: Vec<&String> = labels
        .iter()
        .filter(|(_, _, main)| !*main)
        .map(|(n, _, _)| n)
        .collect();
    assert!(
        communes.len() >= 3,
        "commune names when zoomed in: {communes:?}"
    );
    check(&labels, &symbols);
}

/// The map's controls say what they do when hovered (here the classification method).
#[test]
fn a_control_explains_itself_on_hover() {
    let mut harness = common::app(BasemapChoice::None, "infobulle");
    let rect = harness.get_by_label("Méthode").rect();
    harness.event(egui::Event::PointerMoved(rect.center()));
    for _ in 0..30 {
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
        if harness
            .query_all_by_label_contains("seuils naturels (Jenks)")
            .next()
            .is_some()
        {
            return;
        }
    }
    panic!("no tooltip over « Méthode »");
}

/// An error dialog says what to do next: the message of a real loading error (a CSV row with
/// too many values), then « Que faire ? » and the advice for that kind of fault.
#[test]
fn the_error_dialog_says_what_to_do_next() {
    let mut harness = common::app(BasemapChoice::None, "erreur-conseil");
    harness.run_steps(2);
    let error = cartosol::table::load_table(
        std::path::Path::new("tests/bad_inputs/csv_extra_values.csv"),
        &Default::default(),
    )
    .expect_err("the file has a row with too many values")
    .to_string();
    harness.state_mut().ui_state.dialog = cartosol::app::dialogs::Dialog::Error(error.clone());
    harness.run_steps(2);
    harness.get_by_label(&error);
    harness.get_by_label("Que faire ?");
    harness.get_by_label_contains("une ligne a trop ou trop peu de colonnes");
    harness.get_by_label("OK").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Que faire ?").is_none());
}
