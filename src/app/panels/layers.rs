//! The left panel: the layers (visibility, order, opacity, rename, remove), then the choropleth
//! settings, the analysis tools and the point themes.

use crate::app::dialogs::Dialog;
use crate::app::state::LayerRef;
use crate::app::{CartoSolApp, Command, UiState};
use egui::Ui;

/// The left panel: layers, choropleth settings and point themes.
pub fn layers_panel(app: &CartoSolApp, state: &mut UiState, out: &mut Vec<Command>, ui: &mut Ui) {
    egui::Panel::left("couches")
        .default_size(310.0)
        .resizable(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.heading("Couches");
                let order = &app.ws.order;
                for (pos, layer) in order.iter().enumerate() {
                    layer_row(app, state, out, ui, *layer, pos, order.len());
                }
                if order.is_empty() {
                    ui.label(
                        "Aucune couche : ouvrez un projet ou déposez un fichier sur la fenêtre.",
                    );
                }
                ui.separator();
                super::choropleth_settings::choropleth_ui(app, out, ui);
                super::privacy::privacy_ui(app, out, ui);
                ui.separator();
                super::tools::tools_ui(app, state, out, ui);
                ui.separator();
                super::themes::themes_ui(app, out, ui);
            });
        });
}

fn layer_row(
    app: &CartoSolApp,
    state: &mut UiState,
    out: &mut Vec<Command>,
    ui: &mut Ui,
    layer: LayerRef,
    pos: usize,
    count: usize,
) {
    let name = app.ws.layer_name(layer);
    let Some(style) = app.ws.style(layer).cloned() else {
        return;
    };
    // The whole row is a drop target for the drag handle of another row.
    let row = ui.vertical(|ui| {
        ui.horizontal(|ui| {
            // Drag handle: the layer is dropped onto another row to take its place.
            ui.dnd_drag_source(egui::Id::unique(("glisser-couche", pos)), pos, |ui| {
                ui.label("=")
            })
            .response
            .on_hover_text("Glisser sur une autre couche pour changer l'ordre de dessin");
            let mut visible = style.visible;
            let response = ui.checkbox(&mut visible, name.as_str());
            if response.changed() {
                out.push(Command::ToggleLayer(layer));
            }
            // The layer's menu: by right click on its name, or its visible « … » button.
            response
                .on_hover_text("Clic droit ou bouton « … » : menu de la couche")
                .context_menu(|ui| layer_menu(app, state, out, ui, layer, &name));
            ui.menu_button("…", |ui| layer_menu(app, state, out, ui, layer, &name))
                .response
                .on_hover_text(format!(
                    "Menu de {name} : cadrer, propriétés, renommer, exporter, retirer"
                ));
        });
        ui.horizontal(|ui| {
            ui.add_space(20.0);
            if ui
                .add_enabled(pos > 0, egui::Button::new("Monter").small())
                .on_hover_text(format!("Monter {name}"))
                .clicked()
            {
                out.push(Command::MoveLayer(layer, -1));
            }
            if ui
                .add_enabled(pos + 1 < count, egui::Button::new("Descendre").small())
                .on_hover_text(format!("Descendre {name}"))
                .clicked()
            {
                out.push(Command::MoveLayer(layer, 1));
            }
            let mut opacity = style.opacity;
            if ui
                .add(
                    egui::Slider::new(&mut opacity, 0.0..=1.0)
                        .show_value(false)
                        .text("Opacité"),
                )
                .on_hover_text(format!("Opacité de {name}"))
                .changed()
            {
                out.push(Command::SetOpacity(layer, opacity));
            }
        });
    });
    if let Some(from) = row.response.dnd_hover_payload::<usize>()
        && *from != pos
    {
        let rect = row.response.rect;
        let y = if *from > pos {
            rect.top()
        } else {
            rect.bottom()
        };
        ui.painter().hline(
            rect.x_range(),
            y,
            egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
        );
    }
    if let Some(from) = row.response.dnd_release_payload::<usize>()
        && *from != pos
        && let Some(dragged) = app.ws.order.get(*from)
    {
        out.push(Command::MoveLayer(*dragged, pos as isize - *from as isize));
    }
}

/// The menu of a layer: frame it, its properties (source, CRS, read problems), rename, export,
/// remove, and repair its geometries when some cross themselves.
fn layer_menu(
    app: &CartoSolApp,
    state: &mut UiState,
    out: &mut Vec<Command>,
    ui: &mut Ui,
    layer: LayerRef,
    name: &str,
) {
    if ui.button("Cadrer sur la couche").clicked() {
        out.push(Command::FrameLayer(layer));
        ui.close();
    }

    if ui.button("Propriétés…").clicked() {
        let (title, text) = app.ws.layer_report(layer);
        state.dialog = Dialog::Report { title, text };
        ui.close();
    }
    if ui.button(format!("Renommer {name}")).clicked() {
        state.dialog = Dialog::Rename(layer, name.to_owned());
        ui.close();
    }
    if ui.button(format!("Retirer {name}")).clicked() {
        out.push(Command::Remove(layer));
        ui.close();
    }
    if let LayerRef::Zones(i) = layer
        && app
            .ws
            .zones
            .get(i)
            .is_some_and(|z| crate::zones::validity::has_unrepaired_crossings(&z.layer))
        && ui
            .button("Réparer les géométries")
            .on_hover_text(
                "Reconstruit les contours qui se recoupent (chaque boucle devient un \
                         polygone), maintenant et à chaque ouverture du projet",
            )
            .clicked()
    {
        out.push(Command::RepairGeometries(i));
        ui.close();
    }
    if ui.button("Exporter la couche…").clicked() {
        let mut form = crate::app::dialogs::export_layer::ExportLayerForm::new(&app.ws);
        form.layer = layer;
        state.dialog = Dialog::ExportLayer(form);
        ui.close();
    }
}
