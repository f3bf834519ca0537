//! The choropleth settings of the left panel.

use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_with_code;
use crate::style::ClassMethod;
use crate::style::palette::palettes;
use crate::value::format_number;
use egui::{Color32, Ui};

/// Characters of a label kept in the indicator picker's button.
const SHORT_LABEL_CHARS: usize = 28;

/// « label (code) » with the label cut to [`SHORT_LABEL_CHARS`] (« … »): the code stays
/// visible in the picker's button; the list shows labels whole.
fn short_label(dict: &[crate::dictionary::IndicatorDef], code: &str) -> String {
    let label = crate::dictionary::label_of(dict, code);
    if label.chars().count() <= SHORT_LABEL_CHARS {
        return label_with_code(dict, code);
    }
    let cut: String = label.chars().take(SHORT_LABEL_CHARS).collect();
    format!("{}… ({code})", cut.trim_end())
}

/// The choropleth settings: zone layer, indicator, method, classes, palette, manual breaks.
pub fn choropleth_ui(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    ui.heading("Carte thématique");
    let Some(layer) = app.ws.choropleth_layer() else {
        ui.label("Aucune couche de zones.");
        return;
    };
    // Zone layer of the choropleth.
    let current = app
        .ws
        .zones
        .get(layer)
        .map(|z| z.spec.name.clone())
        .unwrap_or_default();
    egui::ComboBox::from_label("Zones")
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (i, z) in app.ws.zones.iter().enumerate() {
                if ui.selectable_label(i == layer, &z.spec.name).clicked() {
                    let indicator = app.ws.file.map.indicator.clone();
                    out.push(Command::SetIndicator {
                        layer: i,
                        indicator,
                    });
                }
            }
        })
        .response
        .on_hover_text("La couche de zones coloriée selon l'indicateur (communes, EPCI…)");
    let fields = crate::app::choropleth::indicators(&app.ws, layer);
    // Indicators by « label (code) » from the dictionary.
    let dict = &app.ws.file.dictionary;
    egui::ComboBox::from_label("Indicateur")
        .selected_text(short_label(dict, &app.ws.file.map.indicator))
        .height(400.0)
        .show_ui(ui, |ui| {
            for f in &fields {
                if ui
                    .selectable_label(*f == app.ws.file.map.indicator, label_with_code(dict, f))
                    .clicked()
                {
                    out.push(Command::SetIndicator {
                        layer,
                        indicator: f.clone(),
                    });
                }
            }
        })
        .response
        .on_hover_text(
            "Le champ numérique cartographié ; libellés et unités du dictionnaire des indicateurs",
        );
    let spec = app.ws.file.map.classification.clone();
    egui::ComboBox::from_label("Méthode")
        .selected_text(spec.method.label())
        .show_ui(ui, |ui| {
            for m in ClassMethod::ALL {
                if ui.selectable_label(m == spec.method, m.label()).clicked() {
                    out.push(Command::SetMethod(m));
                }
            }
        })
        .response
        .on_hover_text("Comment les valeurs sont découpées en classes : effectifs égaux, amplitudes égales, seuils naturels (Jenks), écarts-types, boîte à moustaches, seuils manuels");
    let mut classes = spec.classes;
    let fixed = matches!(spec.method, ClassMethod::BoxMap);
    if ui
        .add_enabled(
            !fixed,
            egui::Slider::new(&mut classes, 3..=9).text("Classes"),
        )
        .on_hover_text(
            "Nombre de classes de la légende (3 à 9 ; fixé à 6 pour la boîte à moustaches)",
        )
        .changed()
    {
        out.push(Command::SetClasses(classes));
    }
    egui::ComboBox::from_label("Palette")
        .selected_text(spec.palette.clone())
        .show_ui(ui, |ui| {
            for p in palettes() {
                let label = if p.colorblind_safe {
                    format!("{} (daltonisme)", p.name)
                } else {
                    p.name.to_owned()
                };
                if ui.selectable_label(p.name == spec.palette, label).clicked() {
                    out.push(Command::SetPalette(p.name.to_owned()));
                }
            }
        })
        .response
        .on_hover_text(
            "Couleurs ColorBrewer ; « daltonisme » : lisibles par les personnes daltoniennes",
        );
    if spec.method == ClassMethod::Manual {
        let mut text = spec
            .breaks
            .iter()
            .map(|b| format_number(*b))
            .collect::<Vec<_>>()
            .join(" ; ");
        ui.label("Seuils (séparés par « ; ») :");
        if ui
            .add(egui::TextEdit::singleline(&mut text).hint_text("ex. 10 ; 15 ; 20"))
            .lost_focus()
        {
            let breaks: Vec<f64> = text
                .split(';')
                .filter_map(crate::value::parse_number)
                .collect();
            out.push(Command::SetManualBreaks(breaks));
        }
    }
    if let Some(Err(e)) = app.choropleth.as_ref().map(|c| &c.classification) {
        ui.colored_label(Color32::from_rgb(170, 30, 30), e);
    }
}
