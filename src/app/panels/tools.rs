//! The analysis tools of the left panel: select / proximity / measure, and the under-served
//! zones (theme, sliders, flagged list, bivariate map). Reads the analysis state and emits
//! commands; the coverage behind the sliders is computed once in the background (see
//! `analysis_ui`), a slider only re-applies the rule.

use crate::app::analysis_ui::{Tool, bivariate_key_ui, service_layer};
use crate::app::dialogs::Dialog;
use crate::app::dialogs::export_layer::ExportUnderservedForm;
use crate::app::{CartoSolApp, Command, UiState};
use crate::value::format_number;
use egui::Color32;

/// The tools section of the left panel.
pub fn tools_ui(app: &CartoSolApp, state: &mut UiState, out: &mut Vec<Command>, ui: &mut egui::Ui) {
    ui.heading("Outils");
    let analysis = &app.analysis;
    let mut tool = analysis.tool;
    ui.horizontal(|ui| {
        ui.selectable_value(&mut tool, Tool::Select, "Sélection")
            .on_hover_text("Clic sur une zone ou un service : sa fiche");
        ui.selectable_value(&mut tool, Tool::Proximity, "Proximité")
            .on_hover_text(
                "Clic sur la carte : les services dans le rayon et le plus proche de chaque thème",
            );
        ui.selectable_value(&mut tool, Tool::Measure, "Mesure")
            .on_hover_text("Clics successifs : distance totale du tracé (grand cercle)");
    });
    if tool != analysis.tool {
        out.push(Command::SetTool(tool));
    }
    match analysis.tool {
        Tool::Select => {}
        Tool::Proximity => {
            let mut r = analysis.radius_km;
            if ui
                .add(egui::Slider::new(&mut r, 0.5..=30.0).text("Rayon (km)"))
                .on_hover_text("Rayon du cercle de proximité, en kilomètres à vol d'oiseau")
                .changed()
            {
                out.push(Command::SetRadius(r));
            }
            match &analysis.probe {
                None => {
                    ui.label("Cliquez sur la carte : services dans le rayon et service le plus proche de chaque thème.");
                }
                Some(p) => {
                    ui.label(format!(
                        "{} service(s) à moins de {} km (distances à vol d'oiseau)",
                        p.within.len(),
                        format_number(analysis.radius_km)
                    ));
                    if let Some(layer) = service_layer(&app.ws).and_then(|i| app.ws.points.get(i)) {
                        for &(ti, row, d) in &p.nearest {
                            let theme = layer
                                .themes
                                .get(ti)
                                .map(|t| t.name.clone())
                                .unwrap_or_default();
                            ui.label(format!(
                                "{theme} le plus proche : {} ({} km)",
                                layer.point_name(row),
                                format_number((d / 100.0).round() / 10.0)
                            ));
                        }
                    }
                    egui::CollapsingHeader::new("Services dans le rayon").show(ui, |ui| {
                        for &(li, row, d) in p.within.iter().take(200) {
                            if let Some(layer) = app.ws.points.get(li) {
                                ui.label(format!(
                                    "{} — {} km",
                                    layer.point_name(row),
                                    format_number((d / 100.0).round() / 10.0)
                                ));
                            }
                        }
                    });
                }
            }
        }
        Tool::Measure => {
            ui.label(format!(
                "Distance mesurée : {} km ({} point(s)) — cliquez sur la carte pour ajouter des points",
                format_number((analysis.measured_m() / 10.0).round() / 100.0),
                analysis.measure.len()
            ));
            if ui.button("Effacer la mesure").clicked() {
                out.push(Command::ClearMeasure);
            }
        }
    }
    ui.separator();
    gaps_ui(app, state, out, ui);
}

fn gaps_ui(app: &CartoSolApp, state: &mut UiState, out: &mut Vec<Command>, ui: &mut egui::Ui) {
    ui.heading("Zones sous-desservies");
    let Some(layer) = app.ws.choropleth_layer() else {
        return;
    };
    let analysis = &app.analysis;
    let indicator = &app.ws.file.map.indicator;
    let mut gaps_on = analysis.gaps_on;
    if ui
        .checkbox(&mut gaps_on, "Repérer les zones sous-desservies")
        .changed()
    {
        out.push(Command::ShowUnderserved(gaps_on));
    }
    let themes: Vec<String> = service_layer(&app.ws)
        .and_then(|i| app.ws.points.get(i))
        .map(|p| p.themes.iter().map(|t| t.name.clone()).collect())
        .unwrap_or_default();
    egui::ComboBox::from_label("Offre : dispositif")
        .selected_text(analysis.theme.clone())
        .show_ui(ui, |ui| {
            for t in &themes {
                if ui.selectable_label(*t == analysis.theme, t).clicked() {
                    out.push(Command::SetServiceTheme(t.clone()));
                }
            }
        })
        .response
        .on_hover_text("Le dispositif dont l'offre est comptée par zone (services de ce thème)");
    let wanted = analysis.wanted(&app.ws).map(|(_, key)| key);
    if let Some((key, e)) = &analysis.coverage_error
        && Some(key) == wanted.as_ref()
    {
        ui.colored_label(
            Color32::from_rgb(170, 30, 30),
            format!("Zones sous-desservies indisponibles : {e}"),
        );
    } else if analysis.computing() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Calcul de la couverture en cours…");
        });
    }
    let mut bivariate_on = analysis.bivariate_on;
    let Some(g) = analysis.gaps.as_ref().filter(|g| g.layer == layer) else {
        if ui
            .checkbox(&mut bivariate_on, "Carte bivariée besoin × offre")
            .changed()
        {
            out.push(Command::ShowBivariate(bivariate_on));
        }
        return;
    };
    let mut need = analysis.need_threshold.unwrap_or(g.need_range.0);
    let mut offer = analysis.offer_threshold.unwrap_or(g.offer_range.0);
    let mut moved = false;
    moved |= ui
        .add(
            egui::Slider::new(&mut need, g.need_range.0..=g.need_range.1)
                .text(format!("Besoin : {indicator} au moins")),
        )
        .on_hover_text("Une zone est repérée si son besoin atteint ce seuil…")
        .changed();
    moved |= ui
        .add(
            egui::Slider::new(
                &mut offer,
                g.offer_range.0..=g.offer_range.1.max(g.offer_range.0 + 1e-9),
            )
            .text("Offre pour 10 000 hab. au plus"),
        )
        .on_hover_text("… et si son offre (services pour 10 000 habitants) ne dépasse pas celui-ci")
        .changed();
    if moved {
        out.push(Command::SetThresholds { need, offer });
    }
    ui.label(egui::RichText::new(&g.result.rule_text).italics());
    if analysis.gaps_on {
        ui.label(format!("{} zone(s) repérée(s) :", g.result.flagged.len()));
        if ui
            .button("Exporter la liste des zones sous-desservies…")
            .clicked()
        {
            state.dialog = Dialog::ExportUnderserved(ExportUnderservedForm::new(&app.ws));
        }
        if let Some(zl) = app.ws.zones.get(layer) {
            for f in &g.result.flagged {
                let text = format!(
                    "{} — {} : {} ; offre : {} pour 10 000 hab.",
                    zl.zone_name(f.zone),
                    indicator,
                    format_number((f.need * 100.0).round() / 100.0),
                    format_number((f.offer * 100.0).round() / 100.0)
                );
                if ui.link(text).clicked() {
                    out.push(Command::SelectZone {
                        target: Some((layer, f.zone)),
                        frame: true,
                    });
                }
            }
        }
    }
    if ui
        .checkbox(&mut bivariate_on, "Carte bivariée besoin × offre")
        .changed()
    {
        out.push(Command::ShowBivariate(bivariate_on));
    }
    if analysis.bivariate_on {
        bivariate_key_ui(ui, indicator, &g.theme);
    }
}
