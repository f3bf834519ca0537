//! The search box (issue 13): Ctrl+F, then a commune, an EPCI or a service found by name or
//! code as one types (accents, case and a leading article ignored), framed, selected and shown
//! in the selection panel.

mod common;

use cartosol::app::CartoSolApp;
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::search::Target;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// Types `text` in the search box (focused by Ctrl+F) and returns the listed results.
fn search(harness: &mut Harness<'static, CartoSolApp>, text: &str) -> Vec<String> {
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run_steps(2);
    harness.event(egui::Event::Text(text.to_owned()));
    harness.run_steps(2);
    harness
        .state()
        .ui_state
        .search
        .hits
        .iter()
        .map(|h| h.label.clone())
        .collect()
}

/// Presses Enter (the first result) and returns the selected zone's code, if a zone.
fn take_first(harness: &mut Harness<'static, CartoSolApp>) -> Option<String> {
    harness.key_press(egui::Key::Enter);
    harness.run_steps(4);
    let app = harness.state();
    app.selected_zone
        .map(|(layer, zone)| app.ws.zones[layer].zone_code(zone))
}

#[test]
fn communes_epci_and_services_are_found_as_one_says_them() {
    let mut harness = common::app(BasemapChoice::None, "recherche");
    harness.run_steps(2);

    let hits = search(&mut harness, "evry");
    assert!(
        hits[0].starts_with("Évry-Courcouronnes (91228)"),
        "{hits:?}"
    );
    let zoom_before = harness.state().map_memory.zoom();
    assert_eq!(take_first(&mut harness).as_deref(), Some("91228"));
    assert!(
        harness.state().map_memory.zoom() > zoom_before,
        "the map zooms onto the commune"
    );
    // Its panel is shown.
    harness.get_by_label("Code : 91228");
    // Framed in the map as narrowed by the selection panel: the whole commune is in sight.
    {
        let app = harness.state();
        let (layer, zone) = app.selected_zone.unwrap();
        let b = app.ws.zones[layer]
            .geometry
            .bbox_of(std::iter::once(zone))
            .unwrap();
        let view = app.map_out.view.unwrap();
        for corner in [[b[0], b[1]], [b[2], b[3]]] {
            let p = view.to_screen(corner);
            assert!(
                view.clip.expand(1.0).contains(p),
                "corner {p:?} of Évry-Courcouronnes outside the map {:?}",
                view.clip
            );
        }
    }

    let hits = search(&mut harness, "les ulis");
    assert!(hits[0].starts_with("Ulis (91692)"), "{hits:?}");
    assert_eq!(take_first(&mut harness).as_deref(), Some("91692"));

    let hits = search(&mut harness, "91286");
    assert!(hits[0].starts_with("Grigny (91286)"), "{hits:?}");
    assert_eq!(take_first(&mut harness).as_deref(), Some("91286"));
    // An EPCI by its SIREN.
    let hits = search(&mut harness, "200059228");
    assert!(hits[0].contains("(200059228)"), "{hits:?}");
    assert_eq!(take_first(&mut harness).as_deref(), Some("200059228"));

    // A service by its name: selected as a point, the map framed on it.
    let hits = search(&mut harness, "ccas des ulis");
    assert!(hits[0].starts_with("CCAS des Ulis (FICTIF)"), "{hits:?}");
    let first = harness.state().ui_state.search.hits[0].target;
    take_first(&mut harness);
    let app = harness.state();
    let Target::Point(layer, row) = first else {
        panic!("a service is a point: {first:?}");
    };
    assert_eq!(app.selected_point, Some((layer, row)));
    assert!(app.map_memory.zoom() >= 14.0, "zoomed onto the service");
}
