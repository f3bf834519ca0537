//! The search box of the menu bar (Ctrl+F): a commune, an EPCI or a service found by name or
//! code as one types, then framed, selected and shown in the selection panel.

use crate::app::state::Workspace;
use crate::app::{CartoSolApp, Command};
use crate::search::{code_score, fold, name_score};
use egui::Ui;

/// Results listed under the box.
const SHOWN: usize = 8;

/// What a result points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A zone (zone layer index, row).
    Zone(usize, usize),
    /// A point (point layer index, row).
    Point(usize, usize),
}

/// One result: what it is, what is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The zone or point.
    pub target: Target,
    /// « Grigny (91286) — Communes de l'Essonne ».
    pub label: String,
    score: (u8, usize),
}

/// One searchable entry: folded name, code, what it points at, what is shown.
struct Entry {
    folded: String,
    code: String,
    target: Target,
    label: String,
}

/// The box's text, its results, and the folded names (rebuilt when the layers change).
#[derive(Default)]
pub struct SearchState {
    /// What is typed.
    pub text: String,
    /// The results of `text`, best first.
    pub hits: Vec<Hit>,
    /// Give the box the keyboard focus at the next frame (Ctrl+F).
    pub focus: bool,
    query: String,
    entries: Vec<Entry>,
    signature: (usize, usize, usize),
}

fn signature(ws: &Workspace) -> (usize, usize, usize) {
    (
        ws.zones.len(),
        ws.points.len(),
        ws.zones.iter().map(|z| z.layer.len()).sum::<usize>()
            + ws.points.iter().map(|p| p.layer.len()).sum::<usize>(),
    )
}

fn entries(ws: &Workspace) -> Vec<Entry> {
    let mut out = Vec::new();
    for (l, z) in ws.zones.iter().enumerate() {
        let layer_name = ws.layer_name(crate::app::state::LayerRef::Zones(l));
        for row in 0..z.layer.len() {
            let name = z.zone_name(row);
            let code = z.zone_code(row);
            out.push(Entry {
                folded: fold(&name),
                label: format!("{name} ({code}) — {layer_name}"),
                code,
                target: Target::Zone(l, row),
            });
        }
    }
    for (l, p) in ws.points.iter().enumerate() {
        let layer_name = ws.layer_name(crate::app::state::LayerRef::Points(l));
        for row in 0..p.layer.len() {
            if p.merc.get(row).copied().flatten().is_none() {
                continue;
            }
            let name = p.point_name(row);
            out.push(Entry {
                folded: fold(&name),
                label: format!("{name} — {layer_name}"),
                code: String::new(),
                target: Target::Point(l, row),
            });
        }
    }
    out
}

impl SearchState {
    /// Recomputes the results of `text` (only when the text or the layers changed).
    pub fn refresh(&mut self, ws: &Workspace) {
        let sig = signature(ws);
        if sig != self.signature {
            self.entries = entries(ws);
            self.signature = sig;
            self.query.clear();
            self.hits.clear();
        }
        if self.query == self.text {
            return;
        }
        self.query = self.text.clone();
        let folded = fold(&self.text);
        let raw = self.text.trim();
        let mut hits: Vec<Hit> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let by_code = code_score(&e.code, raw);
                let by_name = name_score(&e.folded, &folded);
                let score = match (by_code, by_name) {
                    (Some(a), Some(b)) => a.min(b),
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => return None,
                };
                Some(Hit {
                    target: e.target,
                    label: e.label.clone(),
                    score: (score, i),
                })
            })
            .collect();
        hits.sort_by_key(|h| h.score);
        hits.truncate(SHOWN);
        self.hits = hits;
    }
}

/// The command that shows a result: the zone selected and framed, or the point.
pub fn command(target: Target) -> Command {
    match target {
        Target::Zone(layer, zone) => Command::SelectZone {
            target: Some((layer, zone)),
            frame: true,
        },
        Target::Point(layer, row) => Command::FramePoint(layer, row),
    }
}

/// The search box, in the menu bar, and its results under it.
pub fn search_ui(app: &CartoSolApp, state: &mut SearchState, out: &mut Vec<Command>, ui: &mut Ui) {
    state.refresh(&app.ws);
    let edit = egui::TextEdit::singleline(&mut state.text)
        .hint_text("Rechercher une commune, un EPCI, un service (Ctrl+F)")
        .desired_width(320.0);
    let response = ui.add(edit).on_hover_text(
        "Nom ou code : accents, majuscules et article initial ignorés (« les ulis », « evry », \
         « 91286 »). Entrée : le premier résultat ; Échap : effacer.",
    );
    if std::mem::take(&mut state.focus) {
        response.request_focus();
    }
    let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    if enter && let Some(hit) = state.hits.first() {
        out.push(command(hit.target));
        state.text.clear();
        return;
    }
    if state.text.trim().is_empty() {
        return;
    }
    let below = response.rect.left_bottom() + egui::vec2(0.0, 4.0);
    let mut chosen = None;
    egui::Area::new(egui::Id::unique("recherche-resultats"))
        .fixed_pos(below)
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_min_width(460.0);
                if state.hits.is_empty() {
                    ui.label("Aucun résultat");
                }
                for hit in &state.hits {
                    if ui.selectable_label(false, &hit.label).clicked() {
                        chosen = Some(hit.target);
                    }
                }
            });
        });
    if let Some(target) = chosen {
        out.push(command(target));
        state.text.clear();
    }
}
