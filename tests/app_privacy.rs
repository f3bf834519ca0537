//! Statistical secrecy, field by field, in the app: the *Secret statistique* section lists the
//! fields the guard masks with their reason; unticking one declares it public (the map shows
//! its small values, the project file says so), marking another masks it — and the exported
//! map follows, since it is drawn from the same resolved style.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{CartoSolApp, Command};
use cartosol::export::compose::{RenderOptions, compose_project};
use cartosol::export::map::Preset;
use cartosol::style::map_style::ZonePaint;
use cartosol::value::{Missing, Value};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

/// Zones painted as secret, and zones whose value is a count from 1 to 10 (what the guard
/// must mask), computed from the layer's own values.
fn secret_and_small(app: &CartoSolApp, field: &str) -> (usize, usize, usize) {
    let ch = app.choropleth.as_ref().unwrap();
    let values = &app.ws.zones[ch.layer]
        .layer
        .attributes
        .field(field)
        .unwrap()
        .values;
    let secret_in_source = values
        .iter()
        .filter(|v| *v == Value::Missing(Missing::Secret))
        .count();
    let small = values
        .iter()
        .filter(|v| v.as_f64().is_some_and(|x| x > 0.0 && x < 11.0))
        .count();
    let painted_secret = ch
        .paint
        .iter()
        .filter(|p| **p == ZonePaint::Missing(Missing::Secret))
        .count();
    (painted_secret, secret_in_source, small)
}

#[test]
fn secrecy_is_shown_and_changed_field_by_field() {
    let mut harness = common::app_sized(BasemapChoice::None, "secret", 1400.0, 1000.0);
    let communes = harness
        .state()
        .ws
        .zones
        .iter()
        .position(|z| z.spec.id == "communes")
        .unwrap();
    harness.state_mut().send(Command::SetIndicator {
        layer: communes,
        indicator: "MP_JEUNES_SANS_EMPLOI".into(),
    });
    harness.run_steps(3);
    let (painted, source, small) = secret_and_small(harness.state(), "MP_JEUNES_SANS_EMPLOI");
    assert!(
        small > 0,
        "the sample has small counts of young poor households"
    );
    assert_eq!(painted, source + small, "masked by nature (MP_*)");

    // The section lists it as masked by nature, with its reason on hover.
    harness
        .get_by_label_contains("Secret statistique (")
        .click();
    harness.run_steps(2);
    harness
        .get_by_role_and_label(Role::CheckBox, "MP_JEUNES_SANS_EMPLOI (par nature)")
        .click();
    harness.run_steps(3);
    let app = harness.state();
    assert!(
        app.ws
            .file
            .map
            .privacy
            .public_fields
            .iter()
            .any(|f| f == "MP_JEUNES_SANS_EMPLOI")
    );
    let (painted, source, _) = secret_and_small(app, "MP_JEUNES_SANS_EMPLOI");
    assert_eq!(
        painted, source,
        "declared public: only the source's own secrets remain"
    );
    // The exported map draws what the screen draws.
    let project = cartosol::app::export_ui::project_of(&app.ws, app.current_view());
    let composition = compose_project(&project, &RenderOptions::new(Preset::Slide)).unwrap();
    assert_eq!(composition.legend, app.choropleth.as_ref().unwrap().legend);

    // A census count, not sensitive by nature, marked by the user: masked on the map.
    harness.state_mut().send(Command::SetIndicator {
        layer: communes,
        indicator: "NB_FAM_MONO".into(),
    });
    harness.run_steps(3);
    let (painted, _, small) = secret_and_small(harness.state(), "NB_FAM_MONO");
    assert_eq!(painted, 0);
    assert!(small > 0);
    harness.state_mut().send(Command::SetSensitive {
        field: "NB_FAM_MONO".into(),
        sensitive: true,
    });
    harness.run_steps(3);
    let (painted, _, small) = secret_and_small(harness.state(), "NB_FAM_MONO");
    assert_eq!(painted, small);
    harness.get_by_role_and_label(Role::CheckBox, "NB_FAM_MONO (marqué)");
}
