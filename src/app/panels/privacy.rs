//! Statistical secrecy, field by field: which fields of the choropleth layer the guard masks
//! below 11 at commune level (on the map and in every export), why, and the user's choice to
//! mark another field or declare a sensitive one public. Read from the library
//! (`export::secrecy::sensitive_fields`), changed through `Command::SetSensitive`.

use crate::app::{CartoSolApp, Command};
use crate::export::secrecy::{SensitivitySource, ZoneLevel, sensitive_fields, zone_level};
use crate::model::FieldKind;
use egui::{RichText, Ui};

/// The *Secret statistique* section under the choropleth settings.
pub fn privacy_ui(app: &CartoSolApp, out: &mut Vec<Command>, ui: &mut Ui) {
    let Some(view) = app.ws.choropleth_layer().and_then(|i| app.ws.zones.get(i)) else {
        return;
    };
    let privacy = &app.ws.file.map.privacy;
    let fields = sensitive_fields(&view.layer.attributes, privacy);
    let fine = zone_level(&view.layer.attributes, &view.spec.code_field) == ZoneLevel::Fine;
    let title = if fine {
        format!(
            "Secret statistique ({} champ(s) masqué(s))",
            fields.iter().filter(|f| f.masked()).count()
        )
    } else {
        "Secret statistique (zones agrégées : rien n'est masqué)".to_owned()
    };
    egui::CollapsingHeader::new(title)
        .id_salt("secret-statistique")
        .show(ui, |ui| {
            ui.label(
                RichText::new(
                    "Les valeurs inférieures à 11 des champs cochés sont masquées au niveau \
                 communal, sur la carte et dans tous les exports.",
                )
                .small(),
            );
            for f in &fields {
                let mut masked = f.masked();
                let origin = match f.source {
                    SensitivitySource::Default => "par nature",
                    SensitivitySource::Marked => "marqué",
                    SensitivitySource::Personal => "données personnelles",
                    SensitivitySource::Unmarked => "déclaré public",
                };
                let response = ui
                    .checkbox(&mut masked, format!("{} ({origin})", f.name))
                    .on_hover_text(&f.reason);
                if response.changed() {
                    out.push(Command::SetSensitive {
                        field: f.name.clone(),
                        sensitive: masked,
                    });
                }
            }
            let others: Vec<&str> = view
                .layer
                .attributes
                .fields
                .iter()
                .filter(|f| f.kind == FieldKind::Number)
                .map(|f| f.name.as_str())
                .filter(|name| !fields.iter().any(|s| s.name == *name))
                .collect();
            if !others.is_empty() {
                egui::ComboBox::from_label("Marquer comme effectif sensible")
                    .selected_text("choisir un champ…")
                    .show_ui(ui, |ui| {
                        for name in others {
                            if ui.selectable_label(false, name).clicked() {
                                out.push(Command::SetSensitive {
                                    field: name.to_owned(),
                                    sensitive: true,
                                });
                            }
                        }
                    });
            }
        });
}
