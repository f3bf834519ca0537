//! The *Pistes de contractualisation* window (menu *Affichage › Pistes de contractualisation*):
//! the proposals of the four axes of the pact, an editor for the selected one (title, actor,
//! the need it answers, the four criteria of the call, its indicators of means and results
//! with their T0 computed from the frozen baseline or typed), what is still incomplete (live),
//! and the exports of the action sheets (`export::proposals`, as `cartosol pistes`).
//!
//! The editor works on a draft of the selected proposal (widget state); every change of the
//! draft is sent as a [`ProposalCommand::Set`] (wrapped in [`super::Command::Proposals`]),
//! applied to the project by [`apply`].

use super::Command;
use crate::analysis::proposals::{
    AXES, IndicatorRole, Proposal, ProposalIndicator, T0, axis_short, completeness, default_actor,
    display_title, indicator_t0, need_criterion_text,
};
use std::path::PathBuf;

/// A change of the proposals window.
#[derive(Clone, Debug, PartialEq)]
pub enum ProposalCommand {
    /// Opens or closes the window.
    Open(bool),
    /// Selects a proposal (index in the project's list) for the editor.
    Select(Option<usize>),
    /// Adds a new proposal to an axis (1 to 4) and selects it.
    Add(u8),
    /// Removes a proposal.
    Remove(usize),
    /// Replaces a proposal by the editor's draft.
    Set(usize, Box<Proposal>),
    /// Writes the first criterion of a proposal from the figures (indicators of the linked
    /// zones against the département, the linked scheme's coverage).
    FillNeedCriterion(usize),
    /// Exports the workbook (one sheet per axis) to the path given.
    ExportWorkbook(PathBuf),
    /// Exports one DOCX per proposal into the folder given.
    ExportDocuments(PathBuf),
}

/// The window's state: open or not, the selected proposal and its draft.
#[derive(Default)]
pub struct ProposalsState {
    /// Whether the window is shown.
    pub open: bool,
    /// The selected proposal (index in `ProjectFile::proposals`).
    pub selected: Option<usize>,
    /// The draft being edited: its index, the proposal, and the zones and indicators as typed
    /// (codes separated by commas).
    draft: Option<Draft>,
    /// The paths typed for the exports (empty: the project's folder).
    workbook_path: String,
    documents_dir: String,
}

#[derive(Clone)]
struct Draft {
    index: usize,
    proposal: Proposal,
    zones: String,
    indicators: String,
}

impl Draft {
    fn of(index: usize, proposal: &Proposal) -> Draft {
        Draft {
            index,
            proposal: proposal.clone(),
            zones: proposal.need.zones.join(", "),
            indicators: proposal.need.indicators.join(", "),
        }
    }
}

fn codes(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Applies a change of the window to the app.
pub fn apply(app: &mut super::CartoSolApp, command: ProposalCommand, ctx: &egui::Context) {
    let proposals = &mut app.ws.file.proposals;
    match command {
        ProposalCommand::Open(open) => app.proposals.open = open,
        ProposalCommand::Select(i) => {
            app.proposals.selected = i.filter(|i| *i < proposals.len());
            app.proposals.draft = None;
        }
        ProposalCommand::Add(axis) => {
            proposals.push(Proposal {
                axis,
                title: "Nouvelle piste".to_owned(),
                actor: default_actor(axis).to_owned(),
                ..Proposal::default()
            });
            app.proposals.selected = Some(proposals.len() - 1);
            app.proposals.draft = None;
        }
        ProposalCommand::Remove(i) => {
            if i < proposals.len() {
                let p = proposals.remove(i);
                app.status = format!("Piste « {} » supprimée", display_title(&p));
            }
            app.proposals.selected = None;
            app.proposals.draft = None;
        }
        ProposalCommand::Set(i, p) => {
            if let Some(slot) = proposals.get_mut(i) {
                *slot = *p;
            }
        }
        ProposalCommand::FillNeedCriterion(i) => {
            let project = super::export_ui::project_of(&app.ws, None);
            let Some(p) = project.file.proposals.get(i) else {
                return;
            };
            match need_criterion_text(&project, p) {
                Ok(text) => {
                    if let Some(slot) = app.ws.file.proposals.get_mut(i) {
                        slot.need_criterion = text;
                    }
                    app.proposals.draft = None;
                    app.status = "Critère du besoin rempli d'après les chiffres".to_owned();
                }
                Err(e) => {
                    app.ui_state.dialog =
                        super::dialogs::Dialog::Error(format!("Critère non rempli : {e}"))
                }
            }
        }
        ProposalCommand::ExportWorkbook(path) => {
            let project = super::export_ui::project_of(&app.ws, None);
            let guard = crate::export::secrecy::SecrecyGuard::default()
                .with_privacy(&project.file.map.privacy);
            let target = path.clone();
            app.start_export(
                format!("Export des fiches-actions {}", path.display()),
                move || {
                    crate::export::proposals::write_proposals_workbook(&project, &target, &guard)
                        .map(|_| format!("Fiches-actions écrites : {}", target.display()).into())
                        .map_err(|e| e.to_string())
                },
                ctx,
            );
        }
        ProposalCommand::ExportDocuments(dir) => {
            let mut project = super::export_ui::project_of(&app.ws, None);
            let options = crate::export::proposals::ProposalExportOptions {
                tile_cache: Some(app.tile_cache.clone()),
                secrecy: crate::export::secrecy::SecrecyGuard::default()
                    .with_privacy(&project.file.map.privacy),
                ..Default::default()
            };
            let target = dir.clone();
            app.start_export(
                format!("Export des fiches (DOCX et PDF) dans {}", dir.display()),
                move || {
                    crate::export::proposals::write_proposal_documents(
                        &mut project,
                        &target,
                        &options,
                    )
                    .map(|files| {
                        format!(
                            "{} fiche(s) DOCX écrite(s) dans {}",
                            files.len(),
                            target.display()
                        )
                        .into()
                    })
                    .map_err(|e| e.to_string())
                },
                ctx,
            );
        }
    }
}

/// A labelled text field; `rows > 1` makes it multi-line. Returns whether the text changed.
fn text_field(ui: &mut egui::Ui, label: &str, text: &mut String, rows: usize, hint: &str) -> bool {
    let l = ui.label(label);
    let edit = if rows > 1 {
        egui::TextEdit::multiline(text).desired_rows(rows)
    } else {
        egui::TextEdit::singleline(text)
    };
    ui.add(
        edit.desired_width(f32::INFINITY)
            .hint_text(hint)
            .id_salt(label),
    )
    .labelled_by(l.id)
    .changed()
}

/// Draws the window when open.
pub fn proposals_window(app: &mut super::CartoSolApp, out: &mut Vec<Command>, ctx: &egui::Context) {
    if !app.proposals.open {
        return;
    }
    // The draft follows the selection (and the project after a change made elsewhere).
    let proposals = app.ws.file.proposals.clone();
    let selected = app.proposals.selected.filter(|i| *i < proposals.len());
    match (selected, &app.proposals.draft) {
        (Some(i), Some(d)) if d.index == i => {}
        (Some(i), _) => {
            app.proposals.draft = proposals.get(i).map(|p| Draft::of(i, p));
        }
        (None, _) => app.proposals.draft = None,
    }
    let baseline = app.ws.file.t0.clone();
    let gaps = completeness(&proposals, baseline.as_ref());
    let base = super::export_ui::base_dir(&app.ws);
    let mut open = true;
    egui::Window::new("Pistes de contractualisation")
        .open(&mut open)
        .default_size([1100.0, 760.0])
        .vscroll(true)
        .show(ctx, |ui| {
            match &baseline {
                Some(t0) => ui.label(format!(
                    "T0 des indicateurs du projet : situation de référence figée le {}",
                    t0.frozen_on
                )),
                None => ui.label(
                    "T0 des indicateurs du projet : aucun T0 figé (Affichage › T0 et T+3) ; \
                     seuls les T0 saisis comptent",
                ),
            };
            ui.horizontal(|ui| {
                let l = ui.label("Classeur :");
                ui.add(
                    egui::TextEdit::singleline(&mut app.proposals.workbook_path)
                        .hint_text(base.join("fiches_actions.xlsx").display().to_string())
                        .desired_width(420.0),
                )
                .labelled_by(l.id)
                .on_hover_text("Fichier XLSX écrit (vide : à côté du projet)");
                if ui
                    .button("Exporter le classeur (XLSX)")
                    .on_hover_text(
                        "Une ligne par piste : axe, acteur, besoin visé, indicateurs avec leur \
                         T0 et leur cible (secret statistique appliqué)",
                    )
                    .clicked()
                {
                    let p = app.proposals.workbook_path.trim();
                    let path = if p.is_empty() {
                        base.join("fiches_actions.xlsx")
                    } else {
                        PathBuf::from(p)
                    };
                    out.push(Command::Proposals(ProposalCommand::ExportWorkbook(path)));
                }
            });
            ui.horizontal(|ui| {
                let l = ui.label("Dossier des fiches :");
                ui.add(
                    egui::TextEdit::singleline(&mut app.proposals.documents_dir)
                        .hint_text(base.join("fiches_actions").display().to_string())
                        .desired_width(420.0),
                )
                .labelled_by(l.id)
                .on_hover_text("Dossier où les fiches sont écrites (vide : à côté du projet)");
                if ui
                    .button("Exporter une fiche par piste (DOCX et PDF)")
                    .on_hover_text(
                        "Une fiche action par piste, en DOCX à retoucher et en PDF, avec la \
                         carte de son besoin",
                    )
                    .clicked()
                {
                    let p = app.proposals.documents_dir.trim();
                    let dir = if p.is_empty() {
                        base.join("fiches_actions")
                    } else {
                        PathBuf::from(p)
                    };
                    out.push(Command::Proposals(ProposalCommand::ExportDocuments(dir)));
                }
            });
            egui::CollapsingHeader::new(format!("À compléter ({})", gaps.len()))
                .default_open(true)
                .show(ui, |ui| {
                    if gaps.is_empty() {
                        ui.colored_label(egui::Color32::DARK_GREEN, "Fiches complètes.");
                    }
                    for g in &gaps {
                        ui.colored_label(egui::Color32::from_rgb(170, 90, 0), &g.message);
                    }
                });
            ui.separator();
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| {
                    ui.set_width(300.0);
                    for (a, name) in AXES.iter().enumerate() {
                        let axis = a as u8 + 1;
                        ui.label(egui::RichText::new(*name).strong())
                            .on_hover_text(*name);
                        for (i, p) in proposals.iter().enumerate().filter(|(_, p)| p.axis == axis) {
                            let warn = gaps.iter().any(|g| g.proposal == Some(i));
                            let text = format!(
                                "{}{}",
                                if warn {
                                    "(à compléter) "
                                } else {
                                    "(complète) "
                                },
                                display_title(p)
                            );
                            if ui.selectable_label(selected == Some(i), text).clicked() {
                                out.push(Command::Proposals(ProposalCommand::Select(Some(i))));
                            }
                        }
                        if ui
                            .button(format!("+ Ajouter une piste ({})", axis_short(axis)))
                            .on_hover_text(
                                "Nouvelle piste de contractualisation sur cet axe du pacte",
                            )
                            .clicked()
                        {
                            out.push(Command::Proposals(ProposalCommand::Add(axis)));
                        }
                        ui.add_space(6.0);
                    }
                });
                ui.separator();
                ui.vertical(|ui| {
                    let zone_layers: Vec<String> =
                        app.ws.zones.iter().map(|z| z.spec.id.clone()).collect();
                    let schemes: Vec<String> = app
                        .ws
                        .file
                        .schemes
                        .as_ref()
                        .map(|s| s.rows.iter().map(|r| r.name.clone()).collect())
                        .unwrap_or_default();
                    match app.proposals.draft.as_mut() {
                        Some(draft) => {
                            editor(ui, draft, baseline.as_ref(), &zone_layers, &schemes, out)
                        }
                        None => {
                            ui.label("Choisissez une piste dans la liste, ou ajoutez-en une.");
                        }
                    }
                });
            });
        });
    if !open {
        out.push(Command::Proposals(ProposalCommand::Open(false)));
    }
}

/// The editor of the selected proposal; sends the draft on every change.
fn editor(
    ui: &mut egui::Ui,
    draft: &mut Draft,
    baseline: Option<&crate::baseline::Baseline>,
    zone_layers: &[String],
    schemes: &[String],
    out: &mut Vec<Command>,
) {
    let mut changed = false;
    let p = &mut draft.proposal;
    changed |= text_field(ui, "Titre", &mut p.title, 1, "Titre de la piste");
    ui.horizontal(|ui| {
        let axis_label = ui.label("Axe :");
        egui::ComboBox::from_id_salt("piste-axe")
            .selected_text(axis_short(p.axis))
            .show_ui(ui, |ui| {
                for axis in 1..=4u8 {
                    changed |= ui
                        .selectable_value(&mut p.axis, axis, axis_short(axis))
                        .changed();
                }
            })
            .response
            .labelled_by(axis_label.id)
            .on_hover_text("Axe du Pacte local des solidarités auquel la piste répond");
    });
    changed |= text_field(
        ui,
        "Acteur associé",
        &mut p.actor,
        1,
        "CAF, France Travail, CPAM, association…",
    );
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Besoin visé").strong());
    ui.horizontal(|ui| {
        let layer_label = ui.label("Couche des zones :");
        egui::ComboBox::from_id_salt("piste-couche")
            .selected_text(if p.need.layer.is_empty() {
                "(aucune)".to_owned()
            } else {
                p.need.layer.clone()
            })
            .show_ui(ui, |ui| {
                for id in zone_layers {
                    changed |= ui
                        .selectable_value(&mut p.need.layer, id.clone(), id)
                        .changed();
                }
            })
            .response
            .labelled_by(layer_label.id)
            .on_hover_text("Couche dont les zones portent le besoin visé par la piste");
    });
    if text_field(
        ui,
        "Zones visées (codes)",
        &mut draft.zones,
        1,
        "91286, 91228",
    ) {
        p.need.zones = codes(&draft.zones);
        changed = true;
    }
    if text_field(
        ui,
        "Indicateurs du besoin (codes)",
        &mut draft.indicators,
        1,
        "TP60, PART_FAM_MONO",
    ) {
        p.need.indicators = codes(&draft.indicators);
        changed = true;
    }
    let hint = if schemes.is_empty() {
        "nom d'un dispositif ou thème de la couche de services".to_owned()
    } else {
        schemes.join(", ")
    };
    changed |= text_field(ui, "Dispositif", &mut p.need.scheme, 1, &hint);
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Critères de l'appel").strong());
    changed |= text_field(
        ui,
        "1. Besoin non ou partiellement couvert (critères précis et chiffres)",
        &mut p.need_criterion,
        4,
        "La règle et ses chiffres",
    );
    if ui
        .button("Remplir d'après les chiffres")
        .on_hover_text(
            "Valeurs des indicateurs des zones visées contre le département, et couverture du \
             dispositif selon la règle du tableau des dispositifs",
        )
        .clicked()
    {
        // The draft goes first so the criterion is written from what is on screen.
        out.push(Command::Proposals(ProposalCommand::Set(
            draft.index,
            Box::new(p.clone()),
        )));
        out.push(Command::Proposals(ProposalCommand::FillNeedCriterion(
            draft.index,
        )));
    }
    changed |= text_field(
        ui,
        "2. Articulation avec les autres acteurs",
        &mut p.articulation,
        3,
        "",
    );
    changed |= text_field(
        ui,
        "3. Investissement de l'État et effet levier d'ici 2027",
        &mut p.state_investment,
        3,
        "",
    );
    changed |= text_field(ui, "4. Objectif atteignable", &mut p.objective, 3, "");
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Indicateurs de moyens et de résultats").strong());
    let mut remove = None;
    egui::Grid::new("piste-indicateurs")
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            let headers: Vec<egui::Response> = [
                "Libellé",
                "Type",
                "Code du projet",
                "T0 saisi",
                "T0",
                "Cible",
                "Échéance",
                "",
            ]
            .iter()
            .map(|h| ui.strong(*h))
            .collect();
            ui.end_row();
            let id = |k: usize| headers.get(k).map(|r| r.id);
            for (n, ind) in p.indicators.iter_mut().enumerate() {
                let cell = |ui: &mut egui::Ui, k: usize, text: &mut String, w: f32| {
                    let r = ui.add(egui::TextEdit::singleline(text).desired_width(w).id_salt((
                        "piste-ind",
                        n,
                        k,
                    )));
                    let r = match id(k) {
                        Some(h) => r.labelled_by(h),
                        None => r,
                    };
                    r.changed()
                };
                changed |= cell(ui, 0, &mut ind.label, 220.0);
                egui::ComboBox::from_id_salt(("piste-role", n))
                    .selected_text(ind.role.label())
                    .show_ui(ui, |ui| {
                        for role in [IndicatorRole::Means, IndicatorRole::Results] {
                            changed |= ui
                                .selectable_value(&mut ind.role, role, role.label())
                                .changed();
                        }
                    })
                    .response
                    .labelled_by(id(1).unwrap_or(egui::Id::NULL))
                    .on_hover_text(
                        "Indicateur de moyens (ce qui est mis en place) ou de résultats (ce qui \
                         change pour les personnes)",
                    );
                changed |= cell(ui, 2, &mut ind.code, 110.0);
                changed |= cell(ui, 3, &mut ind.t0_typed, 60.0);
                let t0 = indicator_t0(baseline, &p.need, ind);
                match &t0 {
                    T0::Missing(why) => {
                        ui.colored_label(egui::Color32::from_rgb(170, 90, 0), "manquant")
                            .on_hover_text(why);
                    }
                    T0::Typed(v) => {
                        ui.label(format!("{v} (saisi)"));
                    }
                    T0::Baseline { .. } => {
                        ui.label(t0.value_text()).on_hover_text(t0.origin());
                    }
                }
                changed |= cell(ui, 5, &mut ind.target, 80.0);
                changed |= cell(ui, 6, &mut ind.date, 60.0);
                if ui
                    .small_button("Retirer")
                    .on_hover_text("Retirer l'indicateur")
                    .clicked()
                {
                    remove = Some(n);
                }
                ui.end_row();
            }
        });
    if let Some(n) = remove {
        p.indicators.remove(n);
        changed = true;
    }
    ui.horizontal(|ui| {
        if ui
            .button("+ Ajouter un indicateur")
            .on_hover_text("Indicateur de suivi de la piste, avec son T0 et sa cible")
            .clicked()
        {
            p.indicators.push(ProposalIndicator {
                date: "2027".to_owned(),
                ..ProposalIndicator::default()
            });
            changed = true;
        }
        if ui
            .button("Supprimer la piste")
            .on_hover_text("Retire cette piste du projet")
            .clicked()
        {
            out.push(Command::Proposals(ProposalCommand::Remove(draft.index)));
        }
    });
    if changed {
        out.push(Command::Proposals(ProposalCommand::Set(
            draft.index,
            Box::new(p.clone()),
        )));
    }
}
