//! The point themes of the left panel (symbol, count, visibility, and each theme's symbol
//! editor: colour, shape, size), then how the zone layers are named on the map (field, size).
//! Every change goes through a [`Command`] into the project's map (`point_styles`, `labels`),
//! which the map and every export read.

use crate::app::map_view::{label_choice, symbol_shape};
use crate::app::{CartoSolApp, Command};
use crate::style::labels::{LABEL_SIZE_PX, LABEL_SIZE_RANGE_PX};
use crate::style::map_style::{SYMBOL_SIZE_PX, SYMBOL_SIZE_RANGE_PX, SymbolShape, ThemeStyle};
use crate::style::spec::{LabelSpec, ThemeStyleSpec};
use egui::{Color32, Ui};

/// The text of the button that gives a theme back its automatic symbol.
pub const RESET_SYMBOL: &str = "Rétablir le style automatique";

/// The box that writes the zone names on exported maps too.
pub const LABELS_ON_EXPORTS: &str = "Noms des zones sur les cartes exportées";

/// The title of a theme's symbol editor (`Symbole de « CCAS »`).
pub fn editor_title(theme: &str) -> String {
    format!("Symbole de « {theme} »")
}

/// Draws `shape` in a 16 × 16 box of `ui`, at radius 5.5.
fn symbol_icon(ui: &mut Ui, shape: SymbolShape, color: [u8; 3]) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(16.0, 16.0), egui::Sense::hover());
    let mut shapes = Vec::new();
    symbol_shape(
        shape,
        rect.center(),
        5.5,
        Color32::from_rgb(color[0], color[1], color[2]),
        &mut shapes,
    );
    ui.painter().extend(shapes);
    response
}

/// The themes of each point layer, with their symbol, count, visibility and symbol editor;
/// then the naming of the zone layers.
pub fn themes_ui(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    for (li, p) in app.ws.points.iter().enumerate() {
        ui.heading(p.style.label.clone().unwrap_or_else(|| p.spec.name.clone()));
        for (ti, t) in p.themes.iter().enumerate() {
            ui.horizontal(|ui| {
                symbol_icon(ui, t.shape, t.color);
                let mut visible = t.visible;
                let label = if t.unpositioned > 0 {
                    format!(
                        "{} ({}, dont {} sans position)",
                        t.name, t.count, t.unpositioned
                    )
                } else {
                    format!("{} ({})", t.name, t.count)
                };
                if ui
                    .checkbox(&mut visible, label)
                    .on_hover_text("Afficher ou masquer ce thème sur la carte et dans les exports")
                    .changed()
                {
                    out.push(Command::ToggleTheme {
                        layer: li,
                        theme: ti,
                    });
                }
            });
            let current = app
                .ws
                .file
                .map
                .point_styles
                .iter()
                .find(|s| s.layer == p.spec.id && s.theme == t.name)
                .cloned()
                .unwrap_or_else(|| ThemeStyleSpec::automatic(&p.spec.id, &t.name));
            egui::CollapsingHeader::new(editor_title(&t.name))
                .id_salt(("symbole", li, ti))
                .show(ui, |ui| symbol_editor(ui, t, current, out))
                .header_response
                .on_hover_text(
                    "Couleur, forme et taille du symbole de ce thème, enregistrées dans le projet \
                     et reprises par tous les exports",
                );
        }
    }
    labels_ui(app, out, ui);
}

/// The editor of one theme's symbol: colour, shape, size and the way back to the automatic
/// symbol. `current` is the user's choice stored for it (all empty when automatic); `theme` is
/// the symbol resolved from it.
fn symbol_editor(ui: &mut Ui, theme: &ThemeStyle, current: ThemeStyleSpec, out: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.label("Couleur");
        let mut color = theme.color;
        if ui
            .color_edit_button_srgb(&mut color)
            .on_hover_text("Couleur de remplissage du symbole")
            .changed()
        {
            let mut choice = current.clone();
            choice.color = Some(color);
            out.push(Command::SetPointStyle(choice));
        }
    });
    ui.horizontal(|ui| {
        ui.label("Forme");
        egui::ComboBox::from_id_salt(("forme", &current.layer, &current.theme))
            .selected_text(theme.shape.label())
            .show_ui(ui, |ui| {
                for shape in SymbolShape::ALL {
                    ui.horizontal(|ui| {
                        symbol_icon(ui, shape, theme.color);
                        if ui
                            .selectable_label(theme.shape == shape, shape.label())
                            .clicked()
                        {
                            let mut choice = current.clone();
                            choice.shape = Some(shape);
                            out.push(Command::SetPointStyle(choice));
                        }
                    });
                }
            })
            .response
            .on_hover_text("Forme du symbole");
    });
    ui.horizontal(|ui| {
        let mut size = theme.size_px;
        let (lo, hi) = SYMBOL_SIZE_RANGE_PX;
        if ui
            .add(
                egui::Slider::new(&mut size, lo..=hi)
                    .step_by(0.5)
                    .text("Taille (px)"),
            )
            .on_hover_text(format!(
                "Largeur du symbole à l'écran, en pixels ({SYMBOL_SIZE_PX} par défaut) ; \
                 imprimée à 0,75 point par pixel"
            ))
            .changed()
        {
            let mut choice = current.clone();
            choice.size_px = Some(size);
            out.push(Command::SetPointStyle(choice));
        }
    });
    if ui
        .add_enabled(!current.is_automatic(), egui::Button::new(RESET_SYMBOL))
        .on_hover_text("Revenir à la couleur, la forme et la taille choisies par CartoSol")
        .clicked()
    {
        out.push(Command::SetPointStyle(ThemeStyleSpec::automatic(
            &current.layer,
            &current.theme,
        )));
    }
}

/// How each zone layer is named on the map: the field read (any text or number field) and
/// the text size.
fn labels_ui(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    let layers: Vec<_> = app.ws.zones.iter().filter(|z| z.grid.is_none()).collect();
    if layers.is_empty() {
        return;
    }
    ui.separator();
    ui.heading("Étiquettes des zones")
        .on_hover_text("Le nom écrit sur chaque zone : champ lu et taille du texte");
    let mut on_exports = app.ws.file.map.labels_on_exports;
    if ui
        .checkbox(&mut on_exports, LABELS_ON_EXPORTS)
        .on_hover_text(
            "Écrire aussi les noms sur les cartes exportées (PNG, SVG, PDF, atlas, diaporama), \
             placés comme à l'écran : hors des symboles et sans se chevaucher",
        )
        .changed()
    {
        out.push(Command::SetLabelsOnExports(on_exports));
    }
    for zl in layers {
        let name = zl
            .style
            .label
            .clone()
            .unwrap_or_else(|| zl.spec.name.clone());
        let current = app
            .ws
            .file
            .map
            .labels
            .iter()
            .find(|l| l.layer == zl.spec.id)
            .cloned()
            .unwrap_or_else(|| LabelSpec {
                layer: zl.spec.id.clone(),
                field: None,
                size_px: None,
            });
        let (field, size) = label_choice(zl, &app.ws.file.map.labels);
        ui.label(egui::RichText::new(name).strong());
        ui.horizontal(|ui| {
            ui.label("Champ");
            egui::ComboBox::from_id_salt(("etiquette", &zl.spec.id))
                .selected_text(field.clone())
                .show_ui(ui, |ui| {
                    // Every field is text or numbers: any may name the zones.
                    for f in &zl.layer.attributes.fields {
                        if ui.selectable_label(f.name == field, &f.name).clicked() {
                            let mut choice = current.clone();
                            choice.field = (f.name != zl.spec.name_field).then(|| f.name.clone());
                            out.push(Command::SetLabels(choice));
                        }
                    }
                })
                .response
                .on_hover_text(format!(
                    "Champ dont la valeur nomme chaque zone (par défaut « {} »)",
                    zl.spec.name_field
                ));
        });
        ui.horizontal(|ui| {
            let mut s = size;
            let (lo, hi) = LABEL_SIZE_RANGE_PX;
            if ui
                .add(
                    egui::Slider::new(&mut s, lo..=hi)
                        .step_by(0.5)
                        .text("Taille du texte (px)"),
                )
                .on_hover_text(format!(
                    "Taille des noms à l'écran, en pixels ({LABEL_SIZE_PX} par défaut)"
                ))
                .changed()
            {
                let mut choice = current.clone();
                choice.size_px = Some(s);
                out.push(Command::SetLabels(choice));
            }
        });
    }
}
