//! *Typologie*: the indicators, k and the method; run in the background, the key of the class
//! map and the class profiles (means against all the zones classified, in the dictionary's labels).

use super::{DiagCommand, TypologyMethod, category_colour, error_label, field_picker, key_row};
use crate::analysis::typology::K_RANGE;
use crate::app::{CartoSolApp, Command};
use crate::dictionary::label_of;
use crate::value::format_number;

fn fmt(x: f64) -> String {
    format_number((x * 100.0).round() / 100.0)
}

/// The text of a class's key row, as shown in the window.
pub fn class_text(class: usize, size: usize) -> String {
    format!("Classe {} : {size} zone(s)", class + 1)
}

/// The *Typologie* part of the window.
pub fn ui(app: &CartoSolApp, fields: &[String], ui: &mut egui::Ui, out: &mut Vec<Command>) {
    let d = &app.diagnostic;
    let dict = &app.ws.file.dictionary;
    ui.label("Indicateurs (centrés réduits) :");
    field_picker(
        ui,
        "diag-typologie",
        fields,
        &d.typology_fields,
        dict,
        DiagCommand::SetTypologyFields,
        out,
    );
    ui.horizontal(|ui| {
        let mut k = d.k;
        ui.label("Nombre de classes :");
        if ui
            .add(egui::DragValue::new(&mut k).range(K_RANGE))
            .changed()
        {
            out.push(Command::Diagnostic(DiagCommand::SetK(k)));
        }
        ui.label("Méthode :");
        for m in [
            TypologyMethod::KMeans,
            TypologyMethod::Ward,
            TypologyMethod::WardContiguous {
                min_population: 0.0,
            },
        ] {
            let on = std::mem::discriminant(&m) == std::mem::discriminant(&d.method);
            if ui.radio(on, m.label()).clicked() && !on {
                out.push(Command::Diagnostic(DiagCommand::SetMethod(m)));
            }
        }
    });
    if let TypologyMethod::WardContiguous { min_population } = d.method {
        ui.horizontal(|ui| {
            let mut p = min_population;
            ui.label("Population minimale d'une région (habitants) :");
            if ui
                .add(egui::DragValue::new(&mut p).range(0.0..=1e7).speed(100.0))
                .changed()
            {
                out.push(Command::Diagnostic(DiagCommand::SetMethod(
                    TypologyMethod::WardContiguous { min_population: p },
                )));
            }
        });
    }
    ui.horizontal(|ui| {
        let running = d.k_scores_running();
        if ui
            .add_enabled(!running, egui::Button::new("Aide au choix de k"))
            .on_hover_text(
                "Inertie intra-classes (coude) et silhouette moyenne des k-moyennes pour k = 2 à 10",
            )
            .clicked()
        {
            out.push(Command::Diagnostic(DiagCommand::RunKScores));
        }
        if running {
            ui.spinner();
        }
    });
    match &d.k_scores {
        None => {}
        Some(Err(e)) => error_label(ui, e),
        Some(Ok((scored, scores))) => {
            if *scored != d.typology_fields {
                ui.label(
                    egui::RichText::new(
                        "Figure calculée sur d'autres indicateurs : relancez l'aide au choix de k.",
                    )
                    .small(),
                );
            }
            super::charts::k_figure(ui, scores, d.k, out);
            ui.label(
                egui::RichText::new(
                    "Un coude de l'inertie et une silhouette élevée indiquent un bon nombre de \
                     classes ; cliquez sur un point pour choisir k.",
                )
                .small(),
            );
        }
    }
    ui.horizontal(|ui| {
        let running = d.typology_running();
        if ui
            .add_enabled(!running, egui::Button::new("Classer les zones"))
            .clicked()
        {
            out.push(Command::Diagnostic(DiagCommand::RunTypology));
        }
        if running {
            ui.spinner();
            ui.label("Calcul en cours…");
        }
    });
    let run = match &d.typology {
        None => return,
        Some(Err(e)) => return error_label(ui, e),
        Some(Ok(run)) => run,
    };
    let t = &run.result;
    ui.label(format!(
        "{} — {} classes, silhouette moyenne {}, inertie {}",
        t.method_text,
        run.k,
        t.silhouette.map_or("—".to_owned(), fmt),
        fmt(t.inertia)
    ));
    for p in &t.profiles {
        key_row(ui, category_colour(p.class), &class_text(p.class, p.size));
    }
    let left = run.class_of.iter().filter(|c| c.is_none()).count();
    if left > 0 {
        key_row(
            ui,
            crate::style::MISSING_COLOR,
            &format!("Non classée (valeur manquante) : {left} zone(s)"),
        );
    }
    for note in &t.notes {
        ui.label(egui::RichText::new(format!("Note : {note}")).small());
    }
    ui.strong("Profils des classes (moyenne ; score z moyen)");
    egui::ScrollArea::horizontal()
        .id_salt("diag-classes")
        .show(ui, |ui| {
            egui::Grid::new("diag-classes-grid")
                .striped(true)
                .show(ui, |ui| {
                    ui.strong("Indicateur");
                    ui.strong("Ensemble des zones");
                    for p in &t.profiles {
                        ui.strong(format!("Classe {}", p.class + 1));
                    }
                    ui.end_row();
                    for (i, f) in t.indicators.fields.iter().enumerate() {
                        ui.label(label_of(dict, f)).on_hover_text(f);
                        ui.label(t.overall_mean.get(i).map_or("—".to_owned(), |x| fmt(*x)));
                        for p in &t.profiles {
                            let text = match (p.mean.get(i), p.mean_z.get(i)) {
                                (Some(m), Some(z)) => format!("{} ; {}", fmt(*m), fmt(*z)),
                                _ => "—".to_owned(),
                            };
                            ui.label(text);
                        }
                        ui.end_row();
                    }
                });
        });
}
