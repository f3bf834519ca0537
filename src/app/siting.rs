//! The *Implantation de nouveaux sites* window (menu *Analyse*): the siting question (demand,
//! candidate places, existing sites kept, radius, k or a share to reach), answered off the UI
//! thread by [`crate::analysis::siting::answer`] — the function `cartosol siting` calls — with a
//! progress bar over the solver's time limit; the chosen places drawn on the map with their
//! reach; scenarios saved in the project and compared side by side.

use super::Command;
use super::map_view::{TextItem, View};
use super::state::Workspace;
use crate::analysis::siting::{
    CandidatePlaces, ExistingSites, Goal, Siting, SitingOptions, SitingProblem, SitingRequest,
    SitingScenario, scenario, scenarios_table,
};
use crate::value::format_number;
use egui::{Color32, Shape, Stroke};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// The question as the window edits it.
#[derive(Clone, Debug, PartialEq)]
pub struct SitingForm {
    /// Zone layer of the demand (id).
    pub demand_layer: String,
    /// Demand weight field.
    pub weight_field: String,
    /// Candidate places: a point layer id, or a zone layer id (its interior points).
    pub candidates: String,
    /// Theme of the service layer kept as existing sites (`None`: none).
    pub theme: Option<String>,
    /// Whether the goal is a share (set covering) rather than k sites.
    pub by_share: bool,
    /// Number of new sites.
    pub k: usize,
    /// Share of the demand to cover, %.
    pub share_pct: f64,
    /// Radius, km.
    pub radius_km: f64,
    /// Time limit of the exact search, seconds per k.
    pub time_limit_s: u64,
}

/// A change asked by the window.
#[derive(Clone, Debug, PartialEq)]
pub enum SitingCommand {
    /// Opens or closes the window.
    Open(bool),
    /// The question edited.
    SetForm(SitingForm),
    /// Answers the question in the background.
    Run,
    /// Saves the current answer in the project under this name.
    Save(String),
    /// Draws a saved scenario on the map (`None`: the current answer).
    Show(Option<usize>),
    /// Removes a saved scenario.
    Delete(usize),
    /// Frames the map on a place and its reach.
    Frame {
        /// Longitude, WGS84 degrees.
        lon: f64,
        /// Latitude, WGS84 degrees.
        lat: f64,
        /// Radius shown around it, metres.
        radius_m: f64,
    },
}

/// The answer with the question and inputs it comes from.
#[derive(Clone, Debug)]
pub struct SitingRun {
    /// The question.
    pub request: SitingRequest,
    /// Its inputs (demand, candidates, existing sites).
    pub problem: SitingProblem,
    /// The answer.
    pub siting: Siting,
    /// Seconds it took.
    pub seconds: f64,
}

/// A place drawn on the map: longitude, latitude (WGS84 degrees) and name.
pub type DrawnSite = (f64, f64, String);

struct Job {
    rx: Receiver<Result<SitingRun, String>>,
    k: Arc<AtomicUsize>,
    started: Instant,
    time_limit: Duration,
}

/// State of the window.
#[derive(Default)]
pub struct SitingState {
    /// Whether the window is open.
    pub open: bool,
    /// The question (filled with defaults when the window first opens on a project).
    pub form: Option<SitingForm>,
    /// The last answer, or its error in French.
    pub result: Option<Result<SitingRun, String>>,
    /// The saved scenario drawn on the map instead of the current answer.
    pub shown: Option<usize>,
    job: Option<Job>,
}

/// The service layer (the first point layer with a theme field) and its theme field.
fn service_layer(ws: &Workspace) -> Option<(usize, String)> {
    ws.points.iter().enumerate().find_map(|(i, p)| {
        crate::style::map_style::theme_field(p.spec.theme_field.as_deref(), &p.layer.attributes)
            .map(|f| (i, f.name.clone()))
    })
}

impl SitingForm {
    /// The defaults on `ws`: demand = poor households of the communes (else the first zone
    /// layer's population), candidates = the town halls when the project has them, no existing
    /// site, 3 sites within 10 km.
    pub fn defaults(ws: &Workspace) -> Option<SitingForm> {
        let zl = ws
            .zones
            .iter()
            .find(|z| z.spec.id == "communes")
            .or_else(|| ws.zones.first())?;
        let fields = numeric_fields(ws, &zl.spec.id);
        let weight_field = ["NB_MEN_PAUV"]
            .iter()
            .map(|s| s.to_string())
            .chain(zl.spec.population_field.clone())
            .find(|f| fields.contains(f))
            .or_else(|| fields.first().cloned())
            .unwrap_or_default();
        let candidates = ws
            .points
            .iter()
            .find(|p| p.spec.id == "mairies")
            .map_or(zl.spec.id.clone(), |p| p.spec.id.clone());
        Some(SitingForm {
            demand_layer: zl.spec.id.clone(),
            weight_field,
            candidates,
            theme: None,
            by_share: false,
            k: 3,
            share_pct: 90.0,
            radius_km: 10.0,
            time_limit_s: 30,
        })
    }

    /// The library's question.
    pub fn request(&self, ws: &Workspace) -> SitingRequest {
        let candidates = if ws.points.iter().any(|p| p.spec.id == self.candidates) {
            CandidatePlaces::Points(self.candidates.clone())
        } else {
            CandidatePlaces::ZoneInteriorPoints(self.candidates.clone())
        };
        let existing = self.theme.as_ref().and_then(|theme| {
            let (i, field) = service_layer(ws)?;
            Some(ExistingSites {
                layer: ws.points.get(i)?.spec.id.clone(),
                theme_field: field,
                theme: theme.clone(),
            })
        });
        SitingRequest {
            demand_layer: self.demand_layer.clone(),
            weight_field: self.weight_field.clone(),
            candidates,
            existing,
            radius_m: self.radius_km * 1000.0,
            goal: if self.by_share {
                Goal::Share(self.share_pct)
            } else {
                Goal::Sites(self.k)
            },
        }
    }
}

fn numeric_fields(ws: &Workspace, layer_id: &str) -> Vec<String> {
    ws.zones
        .iter()
        .position(|z| z.spec.id == layer_id)
        .map(|i| super::choropleth::indicators(ws, i))
        .unwrap_or_default()
}

impl SitingState {
    /// Whether an answer is being computed.
    pub fn running(&self) -> bool {
        self.job.is_some()
    }

    /// Once per frame: collects a finished answer.
    pub fn sync(&mut self) {
        let Some(job) = &self.job else {
            return;
        };
        match job.rx.try_recv() {
            Ok(result) => {
                self.result = Some(result);
                self.shown = None;
                self.job = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.result = Some(Err("le calcul de l'implantation s'est interrompu".into()));
                self.job = None;
            }
        }
    }

    /// Applies a change; `repaint` is called by the background thread when it is done.
    pub fn apply(
        &mut self,
        ws: &mut Workspace,
        command: SitingCommand,
        repaint: impl Fn() + Send + 'static,
    ) {
        match command {
            SitingCommand::Open(open) => {
                self.open = open;
                if open && self.form.is_none() {
                    self.form = SitingForm::defaults(ws);
                }
            }
            SitingCommand::SetForm(form) => self.form = Some(form),
            SitingCommand::Run => self.start(ws, repaint),
            SitingCommand::Save(name) => {
                let name = name.trim().to_owned();
                if name.is_empty() {
                    return;
                }
                if let Some(Ok(run)) = &self.result {
                    let saved = scenario(
                        &name,
                        &run.request,
                        &run.problem,
                        &run.siting,
                        &crate::export::today_fr(),
                    );
                    ws.file.siting.retain(|s| s.name != name);
                    ws.file.siting.push(saved);
                }
            }
            SitingCommand::Show(i) => self.shown = i,
            SitingCommand::Delete(i) => {
                if i < ws.file.siting.len() {
                    ws.file.siting.remove(i);
                }
                self.shown = None;
            }
            // Framing moves the map: the app does it (see `CartoSolApp::apply`).
            SitingCommand::Frame { .. } => {}
        }
    }

    fn start(&mut self, ws: &Workspace, repaint: impl Fn() + Send + 'static) {
        let Some(form) = &self.form else {
            return;
        };
        let request = form.request(ws);
        let project = super::export_ui::project_of(ws, None);
        let time_limit = Duration::from_secs(form.time_limit_s.max(1));
        let k = Arc::new(AtomicUsize::new(0));
        let progress = Arc::clone(&k);
        let (tx, rx) = std::sync::mpsc::channel();
        self.job = Some(Job {
            rx,
            k,
            started: Instant::now(),
            time_limit,
        });
        std::thread::spawn(move || {
            let started = Instant::now();
            let options = SitingOptions { time_limit };
            let result = crate::analysis::siting::answer(&project, &request, &options, &|k| {
                progress.store(k, Ordering::Relaxed)
            })
            .map(|(problem, siting)| SitingRun {
                request,
                problem,
                siting,
                seconds: started.elapsed().as_secs_f64(),
            })
            .map_err(|e| e.to_string());
            // Fails only when the app dropped the job: nobody waits.
            let _ = tx.send(result);
            repaint();
        });
    }

    /// The places drawn on the map: (lon, lat, name) and the radius in metres, from the saved
    /// scenario shown or the current answer.
    pub fn drawn_sites(&self, scenarios: &[SitingScenario]) -> Option<(Vec<DrawnSite>, f64)> {
        if let Some(s) = self.shown.and_then(|i| scenarios.get(i)) {
            return Some((
                s.sites
                    .iter()
                    .map(|x| (x.lon, x.lat, x.name.clone()))
                    .collect(),
                s.request.radius_m,
            ));
        }
        let run = self.result.as_ref()?.as_ref().ok()?;
        Some((
            run.siting
                .chosen
                .iter()
                .filter_map(|c| {
                    let p = run.problem.candidates.get(c.candidate)?;
                    let name = run
                        .problem
                        .candidate_labels
                        .get(c.candidate)
                        .map(|l| l.1.clone())
                        .unwrap_or_default();
                    Some((p.x(), p.y(), name))
                })
                .collect(),
            run.request.radius_m,
        ))
    }

    /// Draws the chosen places (a star in a white ring) with their reach (a dashed circle).
    pub fn overlay(
        &self,
        ws: &Workspace,
        view: &View,
        shapes: &mut Vec<Shape>,
        texts: &mut Vec<TextItem>,
    ) {
        if !self.open {
            return;
        }
        let Some((sites, radius_m)) = self.drawn_sites(&ws.file.siting) else {
            return;
        };
        let colour = Color32::from_rgb(204, 0, 122);
        for (lon, lat, name) in sites {
            let centre = view.to_screen(super::geometry::mercator_unit(lon, lat));
            let px_per_m = view.scale / (40_075_016.686 * lat.to_radians().cos());
            let r = (radius_m * px_per_m) as f32;
            shapes.push(Shape::circle_filled(
                centre,
                r,
                Color32::from_rgba_unmultiplied(204, 0, 122, 18),
            ));
            let ring: Vec<egui::Pos2> = (0..=96)
                .map(|i| {
                    let a = i as f32 / 96.0 * std::f32::consts::TAU;
                    centre + egui::vec2(a.cos() * r, a.sin() * r)
                })
                .collect();
            shapes.extend(Shape::dashed_line(
                &ring,
                Stroke::new(1.5, colour),
                6.0,
                4.0,
            ));
            shapes.push(Shape::circle_filled(centre, 9.0, Color32::WHITE));
            super::map_view::symbol_shape(
                crate::style::map_style::SymbolShape::Star,
                centre,
                7.5,
                colour,
                shapes,
            );
            texts.push(TextItem {
                at: centre + egui::vec2(0.0, -12.0),
                text: name,
                font: egui::FontId::proportional(12.0),
                color: Color32::from_rgb(120, 0, 70),
            });
        }
    }
}

fn round1(x: f64) -> String {
    format_number((x * 10.0).round() / 10.0)
}

/// The text of the answer's summary line (what the UI tests read).
pub fn summary_text(s: &Siting, radius_km: f64) -> String {
    format!(
        "Part de la demande à plus de {} km : {} % avant, {} % après ({} nouveau(x) site(s))",
        format_number(radius_km),
        round1(s.share_beyond_before_pct()),
        round1(s.share_beyond_after_pct()),
        s.chosen.len()
    )
}

/// The window (when open).
pub fn siting_window(app: &super::CartoSolApp, out: &mut Vec<Command>, ctx: &egui::Context) {
    let st = &app.siting;
    if !st.open {
        return;
    }
    let mut open = true;
    egui::Window::new("Implantation de nouveaux sites")
        .open(&mut open)
        .default_size([520.0, 600.0])
        .vscroll(true)
        .show(ctx, |ui| {
            let Some(form) = st.form.clone() else {
                ui.label("Aucune couche de zones dans le projet.");
                return;
            };
            form_ui(app, &form, ui, out);
            ui.separator();
            result_ui(app, &form, ui, out);
            ui.separator();
            scenarios_ui(app, ui, out);
        });
    if !open {
        out.push(Command::Siting(SitingCommand::Open(false)));
    }
}

fn form_ui(app: &super::CartoSolApp, form: &SitingForm, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let ws = &app.ws;
    let dict = &ws.file.dictionary;
    let mut f = form.clone();
    egui::Grid::new("siting-form")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Demande (zones) :");
            egui::ComboBox::from_id_salt("siting-demand-layer")
                .selected_text(&f.demand_layer)
                .show_ui(ui, |ui| {
                    for z in &ws.zones {
                        ui.selectable_value(&mut f.demand_layer, z.spec.id.clone(), &z.spec.name);
                    }
                })
                .response
                .on_hover_text(
                    "Couche dont les zones portent la demande à couvrir (communes, carreaux de \
                     200 m…) : chaque zone compte à son point intérieur ou à son centre",
                );
            ui.end_row();
            ui.label("Effectif à couvrir :");
            egui::ComboBox::from_id_salt("siting-weight")
                .selected_text(crate::dictionary::label_of(dict, &f.weight_field))
                .show_ui(ui, |ui| {
                    for field in numeric_fields(ws, &f.demand_layer) {
                        let label = crate::dictionary::label_with_code(dict, &field);
                        ui.selectable_value(&mut f.weight_field, field, label);
                    }
                })
                .response
                .on_hover_text(
                    "Ce que chaque zone pèse : ménages pauvres, personnes de 75 ans et plus… \
                     Une zone sans valeur est écartée et listée sous le résultat",
                );
            ui.end_row();
            ui.label("Lieux candidats :");
            egui::ComboBox::from_id_salt("siting-candidates")
                .selected_text(&f.candidates)
                .show_ui(ui, |ui| {
                    for p in &ws.points {
                        ui.selectable_value(&mut f.candidates, p.spec.id.clone(), &p.spec.name);
                    }
                    for z in &ws.zones {
                        ui.selectable_value(
                            &mut f.candidates,
                            z.spec.id.clone(),
                            format!("Points intérieurs : {}", z.spec.name),
                        );
                    }
                })
                .response
                .on_hover_text(
                    "Où un nouveau site peut ouvrir : les points d'une couche (mairies, locaux \
                     disponibles) ou le point intérieur de chaque zone d'une couche",
                );
            ui.end_row();
            ui.label("Sites existants conservés :");
            egui::ComboBox::from_id_salt("siting-existing")
                .selected_text(f.theme.clone().unwrap_or_else(|| "aucun".to_owned()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.theme, None, "aucun");
                    if let Some(layer) = service_layer(ws).and_then(|(i, _)| ws.points.get(i)) {
                        for t in &layer.themes {
                            ui.selectable_value(&mut f.theme, Some(t.name.clone()), &t.name);
                        }
                    }
                })
                .response
                .on_hover_text(
                    "Thème de services déjà ouverts : leurs sites sont gardés et la demande \
                     qu'ils couvrent déjà n'est pas comptée deux fois",
                );
            ui.end_row();
            ui.label("Rayon d'accès (km) :");
            ui.add(
                egui::DragValue::new(&mut f.radius_km)
                    .range(0.1..=200.0)
                    .speed(0.1),
            )
            .on_hover_text(
                "Distance à vol d'oiseau en deçà de laquelle une zone est couverte par un site",
            );
            ui.end_row();
            ui.label("Objectif :");
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.radio_value(&mut f.by_share, false, "nouveaux sites :")
                        .on_hover_text(
                            "Choisir ce nombre de nouveaux sites couvrant le plus de demande",
                        );
                    ui.add_enabled(!f.by_share, egui::DragValue::new(&mut f.k).range(1..=50))
                        .on_hover_text("Nombre de nouveaux sites à ouvrir");
                });
                ui.horizontal(|ui| {
                    ui.radio_value(
                        &mut f.by_share,
                        true,
                        "le moins de sites pour couvrir (%) :",
                    )
                    .on_hover_text(
                        "Chercher le plus petit nombre de nouveaux sites couvrant cette part \
                         de la demande",
                    );
                    ui.add_enabled(
                        f.by_share,
                        egui::DragValue::new(&mut f.share_pct)
                            .range(1.0..=100.0)
                            .speed(0.5),
                    );
                });
            });
            ui.end_row();
            ui.label("Délai de la recherche exacte (s) :");
            ui.add(egui::DragValue::new(&mut f.time_limit_s).range(1..=600));
            ui.end_row();
        });
    if f != *form {
        out.push(Command::Siting(SitingCommand::SetForm(f)));
    }
    ui.horizontal(|ui| {
        let running = app.siting.running();
        if ui
            .add_enabled(!running, egui::Button::new("Calculer l'implantation"))
            .clicked()
        {
            out.push(Command::Siting(SitingCommand::Run));
        }
        if let Some(job) = &app.siting.job {
            let elapsed = job.started.elapsed().as_secs_f32();
            let limit = job.time_limit.as_secs_f32().max(1.0);
            let k = job.k.load(Ordering::Relaxed);
            ui.add(
                egui::ProgressBar::new((elapsed / limit).min(1.0))
                    .desired_width(180.0)
                    .text(format!(
                        "{k} site(s) — {elapsed:.0} s sur {limit:.0} s au plus"
                    )),
            );
            ui.ctx().request_repaint_after(Duration::from_millis(200));
        }
    });
}

fn result_ui(
    app: &super::CartoSolApp,
    form: &SitingForm,
    ui: &mut egui::Ui,
    out: &mut Vec<Command>,
) {
    let run = match &app.siting.result {
        None => return,
        Some(Err(e)) => {
            ui.colored_label(Color32::from_rgb(180, 30, 30), format!("Erreur : {e}"));
            return;
        }
        Some(Ok(run)) => run,
    };
    let s = &run.siting;
    let weight = crate::dictionary::label_of(&app.ws.file.dictionary, &run.request.weight_field);
    ui.strong(format!("{} lieu(x) choisi(s) — {weight}", s.chosen.len()));
    egui::Grid::new("siting-chosen")
        .striped(true)
        .show(ui, |ui| {
            ui.strong("Rang");
            ui.strong("Lieu");
            ui.strong("Nouvellement couverts");
            ui.end_row();
            for (i, c) in s.chosen.iter().enumerate() {
                let (code, name) = run
                    .problem
                    .candidate_labels
                    .get(c.candidate)
                    .cloned()
                    .unwrap_or_default();
                ui.label((i + 1).to_string());
                let button = ui
                    .button(&name)
                    .on_hover_text(format!("{code} — cadrer la carte"));
                if button.clicked()
                    && let Some(p) = run.problem.candidates.get(c.candidate)
                {
                    out.push(Command::Siting(SitingCommand::Frame {
                        lon: p.x(),
                        lat: p.y(),
                        radius_m: run.request.radius_m,
                    }));
                }
                ui.label(format_number(c.newly_covered));
                ui.end_row();
            }
        });
    ui.label(summary_text(s, run.request.radius_m / 1000.0));
    ui.label(format!(
        "Preuve : {} ; réponse gloutonne : écart de {} % du gain ; {:.1} s",
        s.proof.describe(),
        round1(s.greedy_gap_pct()),
        run.seconds
    ));
    for note in &s.notes {
        ui.label(egui::RichText::new(format!("Note : {note}")).small());
    }
    if !run.problem.left_out.is_empty() {
        ui.label(
            egui::RichText::new(format!(
                "Note : {} zone(s) sans valeur de « {} » laissées hors de la demande (jamais comptées 0)",
                run.problem.left_out.len(),
                run.request.weight_field
            ))
            .small(),
        )
        .on_hover_text(run.problem.left_out.join("\n"));
    }
    ui.horizontal(|ui| {
        let id = ui.make_persistent_id("siting-scenario-name");
        let mut name: String =
            ui.ctx()
                .data_mut(|d| d.get_temp(id))
                .unwrap_or_else(|| match run.request.goal {
                    Goal::Sites(k) => format!("{k} site(s) à {} km", format_number(form.radius_km)),
                    Goal::Share(p) => format!(
                        "{} % à {} km",
                        format_number(p),
                        format_number(form.radius_km)
                    ),
                });
        ui.label("Nom du scénario :");
        ui.text_edit_singleline(&mut name)
            .on_hover_text("Nom sous lequel le scénario est gardé dans le projet");
        if ui
            .button("Enregistrer le scénario")
            .on_hover_text(
                "Garde ce scénario (paramètres et sites choisis) dans le projet, pour le \
                 comparer aux autres et l'exporter",
            )
            .clicked()
        {
            out.push(Command::Siting(SitingCommand::Save(name.clone())));
        }
        ui.ctx().data_mut(|d| d.insert_temp(id, name));
    });
}

fn scenarios_ui(app: &super::CartoSolApp, ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let saved = &app.ws.file.siting;
    ui.strong(format!("Scénarios enregistrés : {}", saved.len()));
    if saved.is_empty() {
        return;
    }
    let table = scenarios_table(saved);
    let text = |field: &str, row: usize| {
        table
            .field_index(field)
            .and_then(|f| table.text(f, row))
            .unwrap_or_default()
    };
    egui::ScrollArea::horizontal().show(ui, |ui| {
        egui::Grid::new("siting-scenarios")
            .striped(true)
            .show(ui, |ui| {
                for h in [
                    "Carte",
                    "Scénario",
                    "Rayon (km)",
                    "Existants",
                    "Nouveaux sites",
                    "Au-delà avant (%)",
                    "Au-delà après (%)",
                    "Gain",
                    "",
                ] {
                    ui.strong(h);
                }
                ui.end_row();
                for (i, s) in saved.iter().enumerate() {
                    if ui
                        .radio(app.siting.shown == Some(i), "")
                        .on_hover_text("Afficher ce scénario sur la carte")
                        .clicked()
                    {
                        out.push(Command::Siting(SitingCommand::Show(Some(i))));
                    }
                    ui.label(&s.name).on_hover_text(text("lieux", i));
                    for f in [
                        "rayon_km",
                        "sites_existants",
                        "nouveaux_sites",
                        "part_au_dela_avant_pct",
                        "part_au_dela_apres_pct",
                        "gain",
                    ] {
                        ui.label(text(f, i));
                    }
                    if ui
                        .small_button("Supprimer")
                        .on_hover_text("Retire ce scénario du projet")
                        .clicked()
                    {
                        out.push(Command::Siting(SitingCommand::Delete(i)));
                    }
                    ui.end_row();
                }
            });
    });
    if app.siting.shown.is_some()
        && ui
            .button("Afficher la réponse en cours")
            .on_hover_text("Remet sur la carte les sites du calcul en cours")
            .clicked()
    {
        out.push(Command::Siting(SitingCommand::Show(None)));
    }
}
