//! *Fichier › Exporter une couche…* (any layer, with the joined and computed attributes) and
//! *Exporter la liste des zones sous-desservies…*: format (GeoJSON, CSV with `;` and a decimal
//! comma unless asked otherwise, XLSX, GeoPackage in Lambert-93) and file name. The export runs
//! in the background through the same library functions as `cartosol export`.

use crate::app::dialogs::Dialog;
use crate::app::export_ui::computed_columns;
use crate::app::state::{LayerRef, Workspace};
use crate::app::{CartoSolApp, Command};
use crate::export::DataFormat;
use egui::{Context, Ui};
use std::path::PathBuf;

/// The formats offered, in the order shown.
pub const FORMATS: [DataFormat; 4] = [
    DataFormat::GeoJson,
    DataFormat::Csv,
    DataFormat::Xlsx,
    DataFormat::GeoPackage,
];

/// The file extension of a format.
pub fn extension(format: DataFormat) -> &'static str {
    match format {
        DataFormat::GeoJson => "geojson",
        DataFormat::Csv => "csv",
        DataFormat::Xlsx => "xlsx",
        DataFormat::GeoPackage => "gpkg",
        DataFormat::GeoParquet => "parquet",
    }
}

/// The path typed by the user with the extension of `format` (replacing a known data extension,
/// else appended), so that the written format is the one chosen.
pub fn path_for(text: &str, format: DataFormat) -> PathBuf {
    let path = PathBuf::from(text.trim());
    let known = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["geojson", "json", "csv", "xlsx", "gpkg"].contains(&e.to_ascii_lowercase().as_str())
    });
    if known {
        path.with_extension(extension(format))
    } else {
        PathBuf::from(format!("{}.{}", path.display(), extension(format)))
    }
}

/// The form of the layer export dialog.
#[derive(Clone, Debug)]
pub struct ExportLayerForm {
    /// The layer to export.
    pub layer: LayerRef,
    /// The file format (sets the file's extension).
    pub format: DataFormat,
    /// The file to write, as typed.
    pub path: String,
    /// CSV numbers with a decimal point instead of the French comma.
    pub decimal_point: bool,
    /// Adds a `<colonne>_motif` column after each column with missing values.
    pub reason_columns: bool,
    /// For a point layer: the id of the zone layer to count the points by, instead of the
    /// points (the only way out for personal data).
    pub aggregate_to: Option<String>,
}

impl ExportLayerForm {
    /// The form on the choropleth layer (else the first layer), as GeoJSON.
    pub fn new(ws: &Workspace) -> ExportLayerForm {
        let layer = ws
            .choropleth_layer()
            .map(LayerRef::Zones)
            .or_else(|| ws.order.first().copied())
            .unwrap_or(LayerRef::Zones(0));
        let mut form = ExportLayerForm {
            layer,
            format: DataFormat::GeoJson,
            path: String::new(),
            decimal_point: false,
            reason_columns: false,
            aggregate_to: None,
        };
        form.path = default_name(ws, layer, form.format);
        form
    }
}

fn layer_id(ws: &Workspace, layer: LayerRef) -> String {
    match layer {
        LayerRef::Zones(i) => ws.zones.get(i).map(|z| z.spec.id.clone()),
        LayerRef::Points(i) => ws.points.get(i).map(|p| p.spec.id.clone()),
    }
    .unwrap_or_else(|| "couche".to_owned())
}

fn default_name(ws: &Workspace, layer: LayerRef, format: DataFormat) -> String {
    format!("{}.{}", layer_id(ws, layer), extension(format))
}

/// The format choice and the CSV decimal option; returns whether the format changed.
fn format_ui(ui: &mut Ui, format: &mut DataFormat, decimal_point: &mut bool) -> bool {
    let before = *format;
    egui::ComboBox::from_label("Format")
        .selected_text(format.label())
        .show_ui(ui, |ui| {
            for f in FORMATS {
                ui.selectable_value(format, f, f.label());
            }
        })
        .response
        .on_hover_text(
            "CSV pour un tableur, XLSX pour Excel, GeoJSON pour le web, GeoPackage (Lambert-93) \
             pour QGIS",
        );
    if *format == DataFormat::Csv {
        ui.checkbox(
            decimal_point,
            "Point décimal (14.2) au lieu de la virgule (14,2)",
        )
        .on_hover_text("Pour un logiciel anglophone ; Excel en français attend la virgule");
        ui.label("CSV : UTF-8 avec BOM, séparateur « ; », pour Excel en français.");
    }
    if *format == DataFormat::GeoPackage {
        ui.label("GeoPackage en Lambert-93 (EPSG:2154), pour QGIS.");
    }
    before != *format
}

/// Shows the layer export dialog; returns the dialog for the next frame.
pub fn show_layer(
    ctx: &Context,
    app: &CartoSolApp,
    mut form: ExportLayerForm,
    out: &mut Vec<Command>,
) -> Dialog {
    let ws = &app.ws;
    let mut open = true;
    egui::Window::new("Exporter une couche")
        .collapsible(false)
        .show(ctx, |ui| {
            let before = form.layer;
            egui::ComboBox::from_label("Couche")
                .selected_text(ws.layer_name(form.layer))
                .show_ui(ui, |ui| {
                    let layers = (0..ws.zones.len())
                        .map(LayerRef::Zones)
                        .chain((0..ws.points.len()).map(LayerRef::Points));
                    for l in layers {
                        ui.selectable_value(&mut form.layer, l, ws.layer_name(l));
                    }
                })
                .response
                .on_hover_text("La couche écrite, avec ses tables jointes et ses colonnes calculées");
            let format_changed = format_ui(ui, &mut form.format, &mut form.decimal_point);
            if before != form.layer {
                form.path = default_name(ws, form.layer, form.format);
            } else if format_changed {
                form.path = path_for(&form.path, form.format).display().to_string();
            }
            ui.checkbox(
                &mut form.reason_columns,
                "Ajouter le motif des valeurs manquantes (colonnes « _motif »)",
            )
            .on_hover_text(
                "Une colonne de plus après chaque colonne incomplète : secret statistique, non \
                 disponible, non apparié…",
            );
            if let LayerRef::Points(_) = form.layer {
                let selected = form
                    .aggregate_to
                    .as_deref()
                    .and_then(|id| ws.zones.iter().find(|z| z.spec.id == id))
                    .map(|z| format!("nombre de points par zone : {}", z.spec.name))
                    .unwrap_or_else(|| "les points".to_owned());
                egui::ComboBox::from_label("Contenu")
                    .selected_text(selected)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.aggregate_to, None, "les points");
                        for z in &ws.zones {
                            ui.selectable_value(
                                &mut form.aggregate_to,
                                Some(z.spec.id.clone()),
                                format!("nombre de points par zone : {}", z.spec.name),
                            );
                        }
                    })
                    .response
                    .on_hover_text(
                        "Les points eux-mêmes, ou leur nombre dans chaque zone d'une couche \
                         (un point sur une limite compte dans une seule zone)",
                    );
            } else {
                form.aggregate_to = None;
            }
            if let LayerRef::Zones(i) = form.layer {
                let computed = computed_columns(ws, &app.analysis, i);
                if computed.is_empty() {
                    ui.label("Colonnes : celles de la couche et des tables jointes.");
                } else {
                    let names: Vec<&str> = computed.iter().map(|f| f.name.as_str()).collect();
                    ui.label(format!(
                        "Colonnes : celles de la couche et des tables jointes, plus les colonnes \
                         calculées affichées ({}).",
                        names.join(", ")
                    ));
                }
            }
            ui.label("Le secret statistique s'applique : les effectifs inférieurs à 11 sont masqués au niveau communal.");
            ui.add(
                egui::TextEdit::singleline(&mut form.path)
                    .hint_text("chemin/du/fichier")
                    .desired_width(420.0),
            )
            .on_hover_text("Fichier écrit ; l'extension suit le format choisi. Un fichier ouvert ailleurs (Excel) ne peut pas être remplacé : fermez-le d'abord");
            ui.horizontal(|ui| {
                if ui
                    .button("Exporter")
                    .on_hover_text("Écrit le fichier ; un fichier existant est remplacé en une fois (jamais à moitié écrit)")
                    .clicked()
                {
                    out.push(Command::ExportLayer {
                        layer: form.layer,
                        path: path_for(&form.path, form.format),
                        decimal_comma: !form.decimal_point,
                        reason_columns: form.reason_columns,
                        aggregate_to: form.aggregate_to.clone(),
                    });
                    open = false;
                }
                if ui
                    .button("Annuler")
                    .on_hover_text("Ferme sans rien écrire")
                    .clicked()
                {
                    open = false;
                }
            });
        });
    if open {
        Dialog::ExportLayer(form)
    } else {
        Dialog::None
    }
}

/// The form of the under-served list export.
#[derive(Clone, Debug)]
pub struct ExportUnderservedForm {
    /// The file format (sets the file's extension).
    pub format: DataFormat,
    /// The file to write, as typed.
    pub path: String,
    /// CSV numbers with a decimal point instead of the French comma.
    pub decimal_point: bool,
}

impl ExportUnderservedForm {
    /// The form as CSV, named after the choropleth layer.
    pub fn new(ws: &Workspace) -> ExportUnderservedForm {
        let id = ws
            .choropleth_layer()
            .and_then(|i| ws.zones.get(i))
            .map(|z| z.spec.id.clone())
            .unwrap_or_else(|| "zones".to_owned());
        ExportUnderservedForm {
            format: DataFormat::Csv,
            path: format!("{id}_sous_desservies.csv"),
            decimal_point: false,
        }
    }
}

/// Shows the under-served list export dialog; returns the dialog for the next frame.
pub fn show_underserved(
    ctx: &Context,
    app: &CartoSolApp,
    mut form: ExportUnderservedForm,
    out: &mut Vec<Command>,
) -> Dialog {
    let mut open = true;
    egui::Window::new("Exporter la liste des zones sous-desservies")
        .collapsible(false)
        .show(ctx, |ui| {
            match &app.analysis.gaps {
                Some(g) => {
                    ui.label(format!("{} zone(s) repérée(s).", g.result.flagged.len()));
                    ui.label(egui::RichText::new(&g.result.rule_text).italics());
                }
                None => {
                    ui.label("Les zones sous-desservies ne sont pas encore calculées.");
                }
            }
            ui.label(
                "Colonnes : code, nom, besoin, services, services pour 10 000 habitants, \
                 dispositif, et la règle en toutes lettres (colonne « regle »).",
            );
            if format_ui(ui, &mut form.format, &mut form.decimal_point) {
                form.path = path_for(&form.path, form.format).display().to_string();
            }
            ui.add(
                egui::TextEdit::singleline(&mut form.path)
                    .hint_text("chemin/du/fichier")
                    .desired_width(420.0),
            )
            .on_hover_text("Fichier écrit ; l'extension suit le format choisi. Un fichier ouvert ailleurs (Excel) ne peut pas être remplacé : fermez-le d'abord");
            ui.horizontal(|ui| {
                if ui
                    .button("Exporter")
                    .on_hover_text("Écrit le fichier ; un fichier existant est remplacé en une fois (jamais à moitié écrit)")
                    .clicked()
                {
                    out.push(Command::ExportUnderserved {
                        path: path_for(&form.path, form.format),
                        decimal_comma: !form.decimal_point,
                    });
                    open = false;
                }
                if ui
                    .button("Annuler")
                    .on_hover_text("Ferme sans rien écrire")
                    .clicked()
                {
                    open = false;
                }
            });
        });
    if open {
        Dialog::ExportUnderserved(form)
    } else {
        Dialog::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_gets_the_extension_of_the_chosen_format() {
        assert_eq!(
            path_for("sortie/communes.geojson", DataFormat::Csv),
            PathBuf::from("sortie/communes.csv")
        );
        assert_eq!(
            path_for(" communes ", DataFormat::GeoPackage),
            PathBuf::from("communes.gpkg")
        );
        // A dot in a name is not an extension to replace.
        assert_eq!(
            path_for("communes.2024", DataFormat::Xlsx),
            PathBuf::from("communes.2024.xlsx")
        );
    }
}
