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
                    .button("Ouvrir un projet ou un fichier… (Ctrl+O)").on_hover_text("Ouvre un projet .cartosol.json, ou une couche ou une table seule (Shapefile, GeoJSON, GeoPackage, CSV, XLSX…) dans un nouveau projet").clicked()
                {
                    state.dialog = Dialog::open_file(Purpose::Open);
                    ui.close();
                }
                if ui.button("Ajouter une couche…").on_hover_text("Ajoute au projet une couche de zones ou de points (assistant d'import : système de coordonnées, champs)").clicked() {
                    state.dialog = Dialog::open_file(Purpose::AddLayer);
                    ui.close();
                }
                if ui.button("Importer une table et la joindre…").on_hover_text("Joint une table d'indicateurs (CSV, XLSX, ODS) aux zones par leur code, avec un rapport des codes appariés").clicked() {
                    state.dialog = Dialog::open_file(Purpose::ImportTable);
                    ui.close();
                }
                if ui.button("Parcourir (navigateur intégré)…").on_hover_text("Parcourt les dossiers sans la boîte de dialogue du système").clicked() {
                    state.dialog = Dialog::browser(Purpose::Open);
                    ui.close();
                }
                ui.separator();
                if ui.button("Enregistrer le projet (Ctrl+S)").on_hover_text("Enregistre le projet dans son fichier (les fichiers sources ne sont jamais modifiés)").clicked() {
                    out.push(Command::Save);
                    ui.close();
                }
                if ui.button("Enregistrer sous…").on_hover_text("Enregistre le projet sous un autre nom ; les chemins des sources sont réécrits par rapport au nouveau fichier").clicked() {
                    state.dialog = Dialog::SaveAs("projet.cartosol.json".to_owned());
                    ui.close();
                }
                if ui.button("Exporter la carte (PNG, SVG)…").on_hover_text("Carte prête pour un rapport : titre, légende, échelle, nord, sources, secret statistique appliqué").clicked() {
                    let name = format!("carte_{}.png", app.ws.file.map.indicator);
                    state.dialog = Dialog::ExportMap(name, crate::export::map::Preset::A4Landscape);
                    ui.close();
                }
                if ui.button("Exporter une couche…").on_hover_text("Écrit une couche et ses indicateurs (GeoJSON, GeoPackage, GeoParquet, CSV, XLSX), secret statistique appliqué").clicked() {
                    state.dialog = Dialog::ExportLayer(ExportLayerForm::new(&app.ws));
                    ui.close();
                }
                if ui.button("Atlas : une carte par zone…").on_hover_text("Une carte par zone de la couche affichée, cadrée sur elle, dans un dossier").clicked() {
                    state.dialog = Dialog::Atlas("atlas".to_owned());
                    ui.close();
                }
                if ui
                    .button("Support de séance (PDF, PNG, compte rendu)…").on_hover_text("Prépare le support du comité de pilotage à partir des vues enregistrées").clicked()
                {
                    state.views.open = true;
                    ui.close();
                }
                ui.separator();
                if ui.button("Rouvrir le projet d'exemple (Essonne)").on_hover_text("Ouvre le projet d'exemple livré avec CartoSol (données FICTIVES), en lecture seule").clicked() {
                    match crate::bundled::find_sample_project() {
                        Ok(path) => out.push(Command::Open(path)),
                        Err(e) => state.dialog = Dialog::Error(e.to_string()),
                    }
                    ui.close();
                }
            });
            ui.menu_button("Édition", |ui| edit_menu(app, out, ui));
            ui.menu_button("Données", |ui| {
                if ui.button("Dictionnaire des indicateurs…").on_hover_text("Libellés, unités, sources et sens de lecture des indicateurs, utilisés par les légendes et les exports").clicked() {
                    state.dialog = Dialog::Dictionary(Box::new(
                        crate::app::dialogs::dictionary::DictionaryEditor::new(app),
                    ));
                    ui.close();
                }
            });
            ui.menu_button("Fond de carte", |ui| {
                for choice in [BasemapChoice::Osm, BasemapChoice::None] {
                    let selected = app.basemap.choice == choice;
                    if ui
                        .selectable_label(selected, choice.label())
                        .on_hover_text(if choice == BasemapChoice::Osm {
                            "Tuiles OpenStreetMap par internet, gardées en cache sur le disque"
                        } else {
                            "Fond uni, sans tuiles : rien n'est téléchargé"
                        })
                        .clicked()
                    {
                        out.push(Command::SetBasemap(choice));
                        ui.close();
                    }
                }
                if ui.button("Fichier PMTiles local (hors ligne)…").on_hover_text("Fond de carte lu dans un fichier .pmtiles local : la carte s'affiche sans réseau").clicked() {
                    state.dialog = Dialog::open_file(Purpose::Pmtiles);
                    ui.close();
                }
            });
            ui.menu_button("Affichage", |ui| {
                if ui.button("Cadrer sur les zones (Début)").on_hover_text("Cadre la carte sur toutes les zones du projet").clicked() {
                    out.push(Command::FrameAll);
                    ui.close();
                }
                let label = if state.table.visible {
                    "Masquer la table attributaire (Ctrl+T)"
                } else {
                    "Afficher la table attributaire (Ctrl+T)"
                };
                if ui
                    .button(label)
                    .on_hover_text("La table des attributs de la couche choisie, triable, liée à la carte")
                    .clicked()
                {
                    state.table.visible = !state.table.visible;
                    ui.close();
                }
                if ui.button("Vues enregistrées…").on_hover_text("Les vues du comité : cadrage, indicateur, couches et règle de sous-desserte enregistrés").clicked() {
                    state.views.open = true;
                    ui.close();
                }
                if ui.button("Présentation (F5)").on_hover_text("Mode comité : carte plein écran, vues enregistrées en diaporama").clicked() {
                    out.push(Command::Views(crate::app::presentation::ViewCommand::Enter));
                    ui.close();
                }
                if ui.button("Diagnostic").on_hover_text("Profils des territoires, situations sensibles, typologie et points chauds").clicked() {
                    out.push(Command::Diagnostic(
                        crate::app::diagnostic::DiagCommand::Open(true),
                    ));
                    ui.close();
                }
                if ui.button("Implantation de nouveaux sites").on_hover_text("Où ouvrir de nouveaux sites pour couvrir le plus de demande dans un rayon").clicked() {
                    out.push(Command::Siting(crate::app::siting::SitingCommand::Open(
                        true,
                    )));
                    ui.close();
                }
                if ui.button("Tableau des dispositifs").on_hover_text("Les dispositifs du territoire, leur couverture de la population cible et les difficultés").clicked() {
                    out.push(Command::Schemes(crate::app::schemes::SchemesCommand::Open(
                        true,
                    )));
                    ui.close();
                }
                if ui.button("T0 et T+3").on_hover_text("Fige l'état du diagnostic (T0) et le compare à celui de trois ans après").clicked() {
                    out.push(Command::T0(crate::app::t0::T0Command::Open(true)));
                    ui.close();
                }
                if ui.button("Pistes de contractualisation").on_hover_text("Pistes d'action par axe du pacte, avec leurs indicateurs, exportées en fiches").clicked() {
                    out.push(Command::Proposals(
                        crate::app::proposals::ProposalCommand::Open(true),
                    ));
                    ui.close();
                }
            });
            ui.menu_button("Aide", |ui| {
                if ui.button("Guide de l'utilisateur").on_hover_text("Guide en français : charger le panorama, joindre, cartographier, trouver les zones sous-desservies, exporter, présenter").clicked() {
                    state.dialog = Dialog::Guide;
                    ui.close();
                }
                if ui.button("Raccourcis et interactions").on_hover_text("Raccourcis clavier et gestes de la carte").clicked() {
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
