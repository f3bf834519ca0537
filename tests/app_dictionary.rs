//! *Données › Dictionnaire des indicateurs…* driven on the real app (egui_kittest): a label
//! typed in the editor becomes the legend title and the table's column header (code on
//! hover) and is saved with the project; a rate whose numerator is not a field is refused with
//! its French message; *Réinitialiser depuis la source* brings back the label of the
//! workbook's `Définitions` sheet (read here with the library's reader, directly).

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{CartoSolApp, Command};
use cartosol::dictionary::{find, label_of, read_dictionary};
use cartosol::project::ProjectFile;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

const SAMPLE_WORKBOOK: &str = "sample_data/panorama_pauvrete_essonne_FICTIF.xlsx";
const NEW_LABEL: &str = "Pauvreté monétaire (saisie)";

/// The app on the sample with the communes' TP60 mapped.
fn app_on_tp60(cache: &str) -> Harness<'static, CartoSolApp> {
    let mut harness = common::app(BasemapChoice::None, cache);
    let layer = harness
        .state()
        .ws
        .zones
        .iter()
        .position(|z| z.spec.id == "communes")
        .unwrap();
    harness.state_mut().send(Command::SetIndicator {
        layer,
        indicator: "TP60".into(),
    });
    harness.run_steps(3);
    harness
}

/// Opens the editor from the menu and selects TP60's entry (filtered to its row).
fn edit_tp60(harness: &mut Harness<'static, CartoSolApp>) {
    harness.get_by_label("Données").click();
    harness.run_steps(2);
    harness
        .get_by_label("Dictionnaire des indicateurs…")
        .click();
    harness.run_steps(3);
    let filter = harness.get_by_label("Filtrer :");
    filter.focus();
    filter.type_text("TP60");
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "TP60").click();
    harness.run_steps(2);
}

/// Replaces the text of the form's field `label` by `text`.
fn retype(harness: &mut Harness<'static, CartoSolApp>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(1);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(2);
}

#[test]
fn a_label_typed_in_the_editor_titles_the_legend_and_the_table_column_and_is_saved() {
    let mut harness = app_on_tp60("dict-label");
    let source = read_dictionary(Path::new(SAMPLE_WORKBOOK), None).unwrap();
    let sheet_label = find(&source, "TP60").unwrap().label.clone();
    // Before: the legend is titled with the sheet's label.
    assert_eq!(
        harness.state().choropleth.as_ref().unwrap().legend.title,
        sheet_label
    );
    edit_tp60(&mut harness);
    retype(&mut harness, "Libellé :", NEW_LABEL);
    harness.get_by_label("Appliquer").click();
    harness.run_steps(3);
    assert_eq!(
        label_of(&harness.state().ws.file.dictionary, "TP60"),
        NEW_LABEL
    );
    // The row now says the entry was completed by hand.
    harness.get_by_label("feuille de définitions, complétée");
    // Every numeric field listed again (filter cleared), TP60's entry in the form.
    harness.get_by_label("Filtrer :").focus();
    harness.run_steps(1);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run_steps(3);
    harness.snapshot("app_dictionnaire");
    harness.get_by_label("Fermer").click();
    harness.run_steps(3);

    // The legend over the map, titled with the new label (its code on hover).
    assert_eq!(
        harness.state().choropleth.as_ref().unwrap().legend.title,
        NEW_LABEL
    );
    harness.get_by_role_and_label(Role::Label, NEW_LABEL);
    // The attribute table's column header.
    harness.state_mut().ui_state.table.visible = true;
    harness.run_steps(3);
    harness
        .get_by_role_and_label(Role::Button, NEW_LABEL)
        .scroll_to_me();
    harness.run_steps(3);
    harness
        .get_by_role_and_label(Role::Button, NEW_LABEL)
        .hover();
    // Past the tooltip delay.
    harness.run_steps(60);
    harness.get_by_label_contains("TP60 : Pauvreté monétaire (saisie)");
    // The indicator picker names it « label (code) ».
    assert_eq!(
        harness.get_by_label("Indicateur").value().as_deref(),
        Some("Pauvreté monétaire (saisie) (TP60)")
    );

    // The tooltip over a zone: the label, the value as the app prints it and the unit (%),
    // here for the first commune with a published rate.
    let (layer, zone, value) = {
        let app = harness.state();
        let layer = app.choropleth.as_ref().unwrap().layer;
        let tp60 = app.ws.zones[layer].layer.attributes.field("TP60").unwrap();
        let (zone, value) = tp60
            .values
            .iter()
            .enumerate()
            .find_map(|(i, v)| v.as_f64().map(|x| (i, x)))
            .unwrap();
        (layer, zone, value)
    };
    let hover = cartosol::app::panels::hover_text(
        harness.state(),
        &cartosol::app::map_view::Hit::Zone { layer, zone },
    );
    let shown = cartosol::value::format_number((value * 100.0).round() / 100.0);
    assert!(
        hover.contains(&format!("\n{NEW_LABEL} : {shown} %")),
        "{hover}"
    );
    // The selection panel names the indicator by its label too (beside the legend's title).
    harness.state_mut().send(Command::SelectZone {
        target: Some((layer, zone)),
        frame: false,
    });
    harness.run_steps(3);
    assert_eq!(
        harness
            .query_all_by_role_and_label(Role::Label, NEW_LABEL)
            .count(),
        2,
        "legend title and selection panel"
    );

    // Saved with the project.
    let dir = common::temp_dir("dict-save");
    let path = dir.join("essonne.cartosol.json");
    harness.state_mut().send(Command::SaveAs(path.clone()));
    harness.run_steps(2);
    let saved = ProjectFile::read(&path).unwrap();
    assert_eq!(label_of(&saved.dictionary, "TP60"), NEW_LABEL);
}

#[test]
fn a_rate_whose_numerator_is_not_a_field_is_refused_in_french() {
    let mut harness = app_on_tp60("dict-rate");
    let before = harness.state().ws.file.dictionary.clone();
    edit_tp60(&mut harness);
    retype(&mut harness, "Numérateur :", "NB_INCONNU");
    harness.get_by_label("Appliquer").click();
    harness.run_steps(2);
    harness.get_by_label(
        "TP60 : le numérateur « NB_INCONNU » n'est pas un champ numérique du projet.",
    );
    assert_eq!(harness.state().ws.file.dictionary, before, "nothing stored");
}

#[test]
fn resetting_from_the_source_brings_back_the_sheet_label() {
    let mut harness = app_on_tp60("dict-reset");
    let source = read_dictionary(Path::new(SAMPLE_WORKBOOK), None).unwrap();
    let sheet_label = find(&source, "TP60").unwrap().label.clone();
    edit_tp60(&mut harness);
    retype(&mut harness, "Libellé :", NEW_LABEL);
    harness.get_by_label("Appliquer").click();
    harness.run_steps(3);
    assert_eq!(
        label_of(&harness.state().ws.file.dictionary, "TP60"),
        NEW_LABEL
    );
    harness
        .get_by_label("Réinitialiser depuis la source")
        .click();
    harness.run_steps(3);
    let app = harness.state();
    assert_eq!(label_of(&app.ws.file.dictionary, "TP60"), sheet_label);
    assert_eq!(app.choropleth.as_ref().unwrap().legend.title, sheet_label);
}
