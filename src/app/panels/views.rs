//! The saved views window (*Affichage › Vues enregistrées*): save what the map shows under a
//! name, show, update, rename, reorder and delete views, the presentation's scale, and the
//! committee deck's export. Every change goes through a [`ViewCommand`].

use crate::app::presentation::ViewCommand;
use crate::app::{CartoSolApp, Command};
use crate::export::deck::DeckRequest;
use egui::{RichText, Ui};
use std::path::PathBuf;

/// What is typed in the window (not saved).
#[derive(Clone, Debug, Default)]
pub struct ViewsPanelState {
    /// Whether the window is open.
    pub open: bool,
    /// The name typed for a new view.
    pub new_name: String,
    /// The view being renamed and its new name.
    pub renaming: Option<(usize, String)>,
    /// The deck's PDF file, as typed (beside the project when relative).
    pub deck_pdf: String,
    /// Whether the deck also writes PNG slides (folder named after the PDF).
    pub deck_png: bool,
    /// Whether the deck also writes the minutes template (Markdown, named after the PDF).
    pub deck_minutes: bool,
}

fn command(out: &mut Vec<Command>, c: ViewCommand) {
    out.push(Command::Views(c));
}

/// The saved views window.
pub fn views_window(
    app: &CartoSolApp,
    state: &mut ViewsPanelState,
    out: &mut Vec<Command>,
    ctx: &egui::Context,
) {
    if !state.open {
        return;
    }
    let mut open = state.open;
    egui::Window::new("Vues enregistrées")
        .open(&mut open)
        .default_width(420.0)
        .show(ctx, |ui| body(app, state, out, ui));
    state.open = open;
}

fn body(app: &CartoSolApp, state: &mut ViewsPanelState, out: &mut Vec<Command>, ui: &mut Ui) {
    ui.horizontal(|ui| {
        let label = ui.label("Nom :");
        ui.add(
            egui::TextEdit::singleline(&mut state.new_name)
                .hint_text("ex. Grand Paris Sud — communes")
                .desired_width(220.0),
        )
        .labelled_by(label.id);
        if ui
            .add_enabled(
                !state.new_name.trim().is_empty(),
                egui::Button::new("Enregistrer la vue courante"),
            )
            .clicked()
        {
            command(out, ViewCommand::Save(state.new_name.trim().to_owned()));
            state.new_name.clear();
        }
    });
    ui.separator();
    let views = &app.ws.file.views;
    if views.is_empty() {
        ui.label("Aucune vue enregistrée : cadrez la carte, choisissez l'indicateur, puis enregistrez-la.");
    }
    let n = views.len();
    for (i, v) in views.iter().enumerate() {
        ui.horizontal(|ui| {
            let current = app.presentation.current == Some(i);
            match &mut state.renaming {
                Some((j, text)) if *j == i => {
                    ui.add(egui::TextEdit::singleline(text).desired_width(180.0))
                        .on_hover_text("Nouveau nom de la vue");
                    if ui.button("OK").clicked() {
                        command(out, ViewCommand::Rename(i, text.clone()));
                        state.renaming = None;
                    }
                    if ui.button("Annuler").clicked() {
                        state.renaming = None;
                    }
                }
                _ => {
                    let label = format!("{}. {}", i + 1, v.name);
                    if ui
                        .selectable_label(current, label)
                        .on_hover_text(view_summary(v))
                        .clicked()
                    {
                        command(out, ViewCommand::Show(i));
                    }
                    if ui
                        .add_enabled(i > 0, egui::Button::new("Plus haut"))
                        .on_hover_text("Monter la vue dans la liste")
                        .clicked()
                    {
                        command(out, ViewCommand::Move(i, -1));
                    }
                    if ui
                        .add_enabled(i + 1 < n, egui::Button::new("Plus bas"))
                        .on_hover_text("Descendre la vue dans la liste")
                        .clicked()
                    {
                        command(out, ViewCommand::Move(i, 1));
                    }
                    if ui
                        .button("Mettre à jour")
                        .on_hover_text("Remplace la vue par ce que montre la carte")
                        .clicked()
                    {
                        command(out, ViewCommand::Update(i));
                    }
                    if ui.button("Renommer").clicked() {
                        state.renaming = Some((i, v.name.clone()));
                    }
                    if ui.button("Supprimer").clicked() {
                        command(out, ViewCommand::Delete(i));
                    }
                }
            }
        });
    }
    ui.separator();
    ui.horizontal(|ui| {
        if ui.button("Présenter (F5)").clicked() {
            command(out, ViewCommand::Enter);
        }
        let mut scale = app.presentation.scale;
        if ui
            .add(egui::Slider::new(&mut scale, 0.75..=3.0).text("taille en présentation"))
            .changed()
        {
            command(out, ViewCommand::SetScale(scale));
        }
    });
    ui.separator();
    ui.label(RichText::new("Support de séance").strong());
    if state.deck_pdf.is_empty() {
        state.deck_pdf = "support_seance.pdf".to_owned();
    }
    ui.horizontal(|ui| {
        let label = ui.label("Fichier PDF :");
        ui.text_edit_singleline(&mut state.deck_pdf)
            .labelled_by(label.id);
    });
    ui.checkbox(
        &mut state.deck_png,
        "Aussi en PNG 1920×1080 (un fichier par vue)",
    );
    ui.checkbox(&mut state.deck_minutes, "Modèle de compte rendu (Markdown)");
    if ui
        .add_enabled(
            n > 0 && !state.deck_pdf.trim().is_empty(),
            egui::Button::new("Exporter le support de séance"),
        )
        .clicked()
    {
        let pdf = deck_path(app, state.deck_pdf.trim());
        let stem = pdf.with_extension("");
        command(
            out,
            ViewCommand::ExportDeck(DeckRequest {
                png_dir: state.deck_png.then(|| stem.clone()),
                minutes: state
                    .deck_minutes
                    .then(|| stem.with_extension("compte_rendu.md")),
                pdf: Some(pdf),
            }),
        );
    }
}

/// The deck's file: as typed when absolute, else beside the project.
fn deck_path(app: &CartoSolApp, typed: &str) -> PathBuf {
    let p = PathBuf::from(typed);
    let p = if p.extension().is_none() {
        p.with_extension("pdf")
    } else {
        p
    };
    if p.is_absolute() {
        p
    } else {
        crate::app::export_ui::base_dir(&app.ws).join(p)
    }
}

/// What a view shows, in a line (hover text).
fn view_summary(v: &crate::project::ViewSpec) -> String {
    let mut parts = Vec::new();
    if let Some(i) = &v.indicator {
        parts.push(format!("indicateur {i}"));
    }
    if let Some(z) = &v.zones {
        parts.push(format!("couche {z}"));
    }
    if let Some(s) = &v.selection {
        parts.push(format!("zone {s} sélectionnée"));
    }
    if let Some(r) = &v.underserved_rule {
        parts.push(r.clone());
    }
    parts.push(format!("zoom {:.1}", v.zoom));
    parts.join(" ; ")
}
