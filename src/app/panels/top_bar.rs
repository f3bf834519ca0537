//! The menu bar: file, edit (undo, redo), data, basemap, display and help menus.

use crate::app::basemap::BasemapChoice;
use crate::app::dialogs::export_layer::ExportLayerForm;
use crate::app::dialogs::{Dialog, Purpose};
use crate::app::{CartoSolApp, Command, UiState};
use egui::{RichText, Ui};

/// The menu bar.
pub fn top_bar(app: &CartoSolApp, state: &mut UiState, out: &mut Vec<Command>, ui: &mut Ui) {
    egui::Panel::top("barre-de-menus").show(ui, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("Fichier", |ui| {
                if ui
                    .button("Ouvrir un projet ou un fichier… (Ctrl+O)")
                    .clicked()
                {
                    state.dialog = Dialog::open_file(Purpose::Open);
                    ui.close();
                }
                if ui.button("Ajouter une couche…").clicked() {
                    state.dialog = Dialog::open_file(Purpose::AddLayer);
                    ui.close();
                }
                if ui.button("Importer une table et la joindre…").clicked() {
                    state.dialog = Dialog::open_file(Purpose::ImportTable);
                    ui.close();
                }
                if ui.button("Parcourir (navigateur intégré)…").clicked() {
                    state.dialog = Dialog::browser(Purpose::Open);
                    ui.close();
                }
                ui.separator();
                if ui.button("Enregistrer le projet (Ctrl+S)").clicked() {
                    out.push(Command::Save);
                    ui.close();
                }
                if ui.button("Enregistrer sous…").clicked() {
                    state.dialog = Dialog::SaveAs("projet.cartosol.json".to_owned());
                    ui.close();
                }
                if ui.button("Exporter la carte (PNG, SVG)…").clicked() {
                    let name = format!("carte_{}.png", app.ws.file.map.indicator);
                    state.dialog = Dialog::ExportMap(name, crate::export::map::Preset::A4Landscape);
                    ui.close();
                }
                if ui.button("Exporter une couche…").clicked() {
                    state.dialog = Dialog::ExportLayer(ExportLayerForm::new(&app.ws));
                    ui.close();
                }
                if ui.button("Atlas : une carte par zone…").clicked() {
                    state.dialog = Dialog::Atlas("atlas".to_owned());
                    ui.close();
                }
                if ui
                    .button("Support de séance (PDF, PNG, compte rendu)…")
                    .clicked()
                {
                    state.views.open = true;
                    ui.close();
                }
                ui.separator();
                if ui.button("Rouvrir le projet d'exemple (Essonne)").clicked() {
                    match crate::bundled::find_sample_project() {
                        Ok(path) => out.push(Command::Open(path)),
                        Err(e) => state.dialog = Dialog::Error(e.to_string()),
                    }
                    ui.close();
                }
            });
            ui.menu_button("Édition", |ui| edit_menu(app, out, ui));
            ui.menu_button("Données", |ui| {
                if ui.button("Dictionnaire des indicateurs…").clicked() {
                    state.dialog = Dialog::Dictionary(Box::new(
                        crate::app::dialogs::dictionary::DictionaryEditor::new(app),
                    ));
                    ui.close();
                }
            });
            ui.menu_button("Fond de carte", |ui| {
                for choice in [BasemapChoice::Osm, BasemapChoice::None] {
                    let selected = app.basemap.choice == choice;
                    if ui.selectable_label(selected, choice.label()).clicked() {
                        out.push(Command::SetBasemap(choice));
                        ui.close();
                    }
                }
                if ui.button("Fichier PMTiles local (hors ligne)…").clicked() {
                    state.dialog = Dialog::open_file(Purpose::Pmtiles);
                    ui.close();
                }
            });
            ui.menu_button("Affichage", |ui| {
                if ui.button("Cadrer sur les zones (Début)").clicked() {
                    out.push(Command::FrameAll);
                    ui.close();
                }
                let label = if state.table.visible {
                    "Masquer la table attributaire (Ctrl+T)"
                } else {
                    "Afficher la table attributaire (Ctrl+T)"
                };
                if ui.button(label).clicked() {
                    state.table.visible = !state.table.visible;
                    ui.close();
                }
                if ui.button("Vues enregistrées…").clicked() {
                    state.views.open = true;
                    ui.close();
                }
                if ui.button("Présentation (F5)").clicked() {
                    out.push(Command::Views(crate::app::presentation::ViewCommand::Enter));
                    ui.close();
                }
                if ui.button("Diagnostic").clicked() {
                    out.push(Command::Diagnostic(
                        crate::app::diagnostic::DiagCommand::Open(true),
                    ));
                    ui.close();
                }
                if ui.button("Implantation de nouveaux sites").clicked() {
                    out.push(Command::Siting(crate::app::siting::SitingCommand::Open(
                        true,
                    )));
                    ui.close();
                }
                if ui.button("Tableau des dispositifs").clicked() {
                    out.push(Command::Schemes(crate::app::schemes::SchemesCommand::Open(
                        true,
                    )));
                    ui.close();
                }
                if ui.button("T0 et T+3").clicked() {
                    out.push(Command::T0(crate::app::t0::T0Command::Open(true)));
                    ui.close();
                }
                if ui.button("Pistes de contractualisation").clicked() {
                    out.push(Command::Proposals(
                        crate::app::proposals::ProposalCommand::Open(true),
                    ));
                    ui.close();
                }
            });
            ui.menu_button("Aide", |ui| {
                if ui.button("Guide de l'utilisateur").clicked() {
                    state.dialog = Dialog::Guide;
                    ui.close();
                }
                if ui.button("Raccourcis et interactions").clicked() {
                    state.dialog = Dialog::Shortcuts;
                    ui.close();
                }
            });
            ui.separator();
            crate::app::search::search_ui(app, &mut state.search, out, ui);
            ui.separator();
            ui.label(RichText::new(&app.ws.file.title).strong());
        });
    });
}

/// The *Édition* menu: « Annuler <the change> » and « Rétablir <the change> », greyed when
/// there is nothing to undo or redo.
fn edit_menu(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    let history = &app.history;
    let undo = match history.undo_label() {
        Some(what) => format!("Annuler {what} (Ctrl+Z)"),
        None => "Annuler (Ctrl+Z)".to_owned(),
    };
    if ui
        .add_enabled(history.can_undo(), egui::Button::new(undo))
        .on_hover_text(
            "Revient à l'état du projet avant ce changement (la vue de la carte ne bouge pas)",
        )
        .on_disabled_hover_text("Aucun changement à annuler depuis l'ouverture du projet")
        .clicked()
    {
        out.push(Command::Undo);
        ui.close();
    }
    let redo = match history.redo_label() {
        Some(what) => format!("Rétablir {what} (Ctrl+Maj+Z)"),
        None => "Rétablir (Ctrl+Maj+Z)".to_owned(),
    };
    if ui
        .add_enabled(history.can_redo(), egui::Button::new(redo))
        .on_hover_text("Refait le changement annulé (aussi Ctrl+Y)")
        .on_disabled_hover_text("Aucun changement annulé à rétablir")
        .clicked()
    {
        out.push(Command::Redo);
        ui.close();
    }
}
