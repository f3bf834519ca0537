//! *Données › Dictionnaire des indicateurs…*: one row per numeric field of the project's
//! layers with its label, unit, kind, direction and where the entry comes from (the
//! producer's definitions sheet, completed by hand, or inferred from the code); a form edits
//! the selected entry (label, unit, kind, N of a ratio, numerator and denominator of a rate,
//! direction, source, vintage, pact axis). *Appliquer* checks the entry
//! ([`crate::dictionary::validate`], messages in French) and sends it as a
//! [`Command::SetIndicatorDef`]; *Réinitialiser depuis la source* sends the definitions
//! sheet's entry back.

use crate::app::dialogs::Dialog;
use crate::app::{CartoSolApp, Command};
use crate::dictionary::{
    Direction, IndicatorDef, IndicatorKind, Origin, def_of, find, notes, validate,
};
use crate::model::FieldKind;
use crate::value::{format_number, parse_number};
use egui::{Color32, Context, RichText, Ui};

/// The width of the label column of the list, points.
const LABEL_WIDTH: f32 = 340.0;

/// The kinds offered, in the order of the list.
const KINDS: [IndicatorKind; 5] = [
    IndicatorKind::Count,
    IndicatorKind::Percent,
    IndicatorKind::Ratio,
    IndicatorKind::Amount,
    IndicatorKind::Other,
];

/// The directions offered, in the order of the list.
const DIRECTIONS: [Direction; 3] = [Direction::Need, Direction::Offer, Direction::Neutral];

/// The entry being edited, as typed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draft {
    /// The field code (not editable).
    pub code: String,
    /// The label.
    pub label: String,
    /// The unit.
    pub unit: String,
    /// The kind.
    pub kind: IndicatorKind,
    /// N of a ratio per N, as typed.
    pub per: String,
    /// The numerator field, as typed.
    pub numerator: String,
    /// The denominator field, as typed.
    pub denominator: String,
    /// The direction.
    pub direction: Direction,
    /// The source.
    pub source: String,
    /// The vintage.
    pub vintage: String,
    /// The pact axis or theme.
    pub theme: String,
}

impl Draft {
    /// The draft of an entry.
    pub fn of(def: &IndicatorDef) -> Draft {
        let text = |o: &Option<String>| o.clone().unwrap_or_default();
        Draft {
            code: def.code.clone(),
            label: def.label.clone(),
            unit: def.unit.clone(),
            kind: def.kind,
            per: def.per.map(format_number).unwrap_or_default(),
            numerator: text(&def.numerator),
            denominator: text(&def.denominator),
            direction: def.direction,
            source: text(&def.source),
            vintage: text(&def.vintage),
            theme: text(&def.theme),
        }
    }

    /// The entry the draft describes (blank texts are absent; N only for a ratio).
    pub fn to_def(&self) -> IndicatorDef {
        let text = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_owned())
        };
        // A numerator and a denominator only for a rate or a ratio (the form hides them
        // otherwise).
        let rate = matches!(self.kind, IndicatorKind::Percent | IndicatorKind::Ratio);
        IndicatorDef {
            code: self.code.clone(),
            label: self.label.trim().to_owned(),
            unit: self.unit.trim().to_owned(),
            kind: self.kind,
            per: if self.kind == IndicatorKind::Ratio {
                parse_number(&self.per)
            } else {
                None
            },
            numerator: rate.then(|| text(&self.numerator)).flatten(),
            denominator: rate.then(|| text(&self.denominator)).flatten(),
            direction: self.direction,
            source: text(&self.source),
            vintage: text(&self.vintage),
            theme: text(&self.theme),
        }
    }
}

/// The dictionary editor's state: what the definitions sheets say (read when it opens), the
/// fields listed, the filter, and the entry being edited.
pub struct DictionaryEditor {
    /// The entries of the definitions sheets of the project's workbooks.
    pub source: Vec<IndicatorDef>,
    /// Sheets that could not be read, in French.
    pub source_notes: Vec<String>,
    /// The numeric fields of the project's layers (zones, then points), each once.
    pub fields: Vec<String>,
    /// The `Filtrer…` text (code or label containing it, ignoring case).
    pub filter: String,
    /// The entry being edited.
    pub draft: Option<Draft>,
    /// Why the last *Appliquer* was refused, in French.
    pub errors: Vec<String>,
}

impl DictionaryEditor {
    /// The editor on `app`'s project: reads the definitions sheets of its workbooks (the
    /// project's own entries left aside, to tell them apart) and lists its numeric fields.
    pub fn new(app: &CartoSolApp) -> DictionaryEditor {
        let (source, source_notes) = match &app.ws.path {
            Some(path) => {
                let base = path.parent().unwrap_or(std::path::Path::new("."));
                let file = crate::project::ProjectFile {
                    dictionary: Vec::new(),
                    t0: None,
                    ..app.ws.file.clone()
                };
                crate::project::completed_dictionary(&file, base)
            }
            None => (Vec::new(), Vec::new()),
        };
        DictionaryEditor {
            source,
            source_notes,
            fields: numeric_fields(app),
            filter: String::new(),
            draft: None,
            errors: Vec::new(),
        }
    }
}

/// The numeric fields of the project's layers, zone layers first, each code once.
pub fn numeric_fields(app: &CartoSolApp) -> Vec<String> {
    let zones = app.ws.zones.iter().map(|z| &z.layer.attributes);
    let points = app.ws.points.iter().map(|p| &p.layer.attributes);
    let mut fields: Vec<String> = Vec::new();
    for table in zones.chain(points) {
        for f in table.fields.iter().filter(|f| f.kind == FieldKind::Number) {
            if !fields.iter().any(|c| c.eq_ignore_ascii_case(&f.name)) {
                fields.push(f.name.clone());
            }
        }
    }
    fields
}

fn folded(s: &str) -> String {
    s.to_lowercase()
}

/// Shows the editor; returns the dialog for the next frame.
pub fn show(
    ctx: &Context,
    app: &CartoSolApp,
    mut editor: Box<DictionaryEditor>,
    out: &mut Vec<Command>,
) -> Dialog {
    let mut open = true;
    egui::Window::new("Dictionnaire des indicateurs")
        .collapsible(false)
        .resizable(true)
        .default_size([1000.0, 640.0])
        .show(ctx, |ui| {
            editor_ui(ui, app, &mut editor, out);
            ui.separator();
            if ui.button("Fermer").clicked() {
                open = false;
            }
        });
    if open {
        Dialog::Dictionary(editor)
    } else {
        Dialog::None
    }
}

fn editor_ui(
    ui: &mut Ui,
    app: &CartoSolApp,
    editor: &mut DictionaryEditor,
    out: &mut Vec<Command>,
) {
    let dict = &app.ws.file.dictionary;
    ui.label(
        "Libellés, unités et sens des indicateurs : lus dans la feuille de définitions des \
         classeurs, complétés ici, enregistrés avec le projet. Les libellés remplacent les \
         codes dans les panneaux, les légendes et les exports.",
    );
    for note in &editor.source_notes {
        ui.colored_label(Color32::from_rgb(150, 90, 0), note);
    }
    ui.horizontal(|ui| {
        let l = ui.label("Filtrer :");
        ui.add(
            egui::TextEdit::singleline(&mut editor.filter)
                .hint_text("code ou libellé")
                .desired_width(260.0),
        )
        .labelled_by(l.id);
        ui.label(format!("{} champ(s) numérique(s)", editor.fields.len()));
    });
    let needle = folded(editor.filter.trim());
    let shown: Vec<&String> = editor
        .fields
        .iter()
        .filter(|code| {
            needle.is_empty()
                || folded(code).contains(&needle)
                || folded(&def_of(dict, code).label).contains(&needle)
        })
        .collect();
    let mut pick: Option<IndicatorDef> = None;
    egui::ScrollArea::vertical()
        .id_salt("dictionnaire-lignes")
        .max_height(260.0)
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new("dictionnaire-grille")
                .num_columns(7)
                .striped(true)
                .show(ui, |ui| {
                    for title in ["Code", "Libellé", "Unité", "Nature", "Sens", "Origine", ""] {
                        ui.label(RichText::new(title).strong());
                    }
                    ui.end_row();
                    for code in shown {
                        let def = def_of(dict, code);
                        let origin = Origin::of(dict, &editor.source, code);
                        let selected = editor.draft.as_ref().is_some_and(|d| d.code == *code);
                        if ui
                            .selectable_label(selected, code.as_str())
                            .on_hover_text("Modifier cette entrée")
                            .clicked()
                        {
                            pick = Some(def.clone());
                        }
                        // A fixed width for the label, cut with « … » (whole on hover).
                        ui.allocate_ui_with_layout(
                            egui::vec2(LABEL_WIDTH, ui.spacing().interact_size.y),
                            egui::Layout::left_to_right(egui::Align::Center),
                            |ui| {
                                ui.set_min_width(LABEL_WIDTH);
                                ui.add(egui::Label::new(def.label.as_str()).truncate())
                                    .on_hover_text(def.label.as_str());
                            },
                        );
                        ui.label(def.unit.as_str());
                        ui.label(def.kind.label());
                        ui.label(def.direction.label());
                        ui.label(origin.label());
                        let source = find(&editor.source, code);
                        let resettable = origin == Origin::SourceEdited && source.is_some();
                        if ui
                            .add_enabled(resettable, egui::Button::new("Réinitialiser").small())
                            .on_hover_text("Réinitialiser depuis la source")
                            .on_disabled_hover_text(
                                "Entrée identique à la feuille de définitions, ou absente de celle-ci",
                            )
                            .clicked()
                            && let Some(s) = source
                        {
                            out.push(Command::SetIndicatorDef(Box::new(s.clone())));
                            if selected {
                                editor.draft = Some(Draft::of(s));
                                editor.errors.clear();
                            }
                        }
                        ui.end_row();
                    }
                });
        });
    if let Some(def) = pick {
        editor.draft = Some(Draft::of(&def));
        editor.errors.clear();
    }
    ui.separator();
    let Some(draft) = editor.draft.as_mut() else {
        ui.label("Cliquez sur un code pour modifier son entrée.");
        return;
    };
    form_ui(ui, draft);
    let def = draft.to_def();
    let source = find(&editor.source, &draft.code).cloned();
    ui.horizontal(|ui| {
        if ui.button("Appliquer").clicked() {
            editor.errors = validate(&def, &editor.fields);
            if editor.errors.is_empty() {
                out.push(Command::SetIndicatorDef(Box::new(def.clone())));
            }
        }
        if ui
            .add_enabled(
                source.is_some(),
                egui::Button::new("Réinitialiser depuis la source"),
            )
            .on_disabled_hover_text("Ce code n'est pas dans la feuille de définitions")
            .clicked()
            && let Some(s) = &source
        {
            *draft = Draft::of(s);
            editor.errors.clear();
            out.push(Command::SetIndicatorDef(Box::new(s.clone())));
        }
    });
    for e in &editor.errors {
        ui.colored_label(Color32::from_rgb(170, 30, 30), e);
    }
    for n in notes(&def) {
        ui.label(RichText::new(n).small());
    }
}

/// One labelled line of the form: the label, then the widget labelled by it.
fn text_row(ui: &mut Ui, label: &str, text: &mut String, hint: &str) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(480.0),
    )
    .labelled_by(l.id);
    ui.end_row();
}

fn form_ui(ui: &mut Ui, draft: &mut Draft) {
    ui.label(RichText::new(format!("Entrée de {}", draft.code)).strong());
    egui::Grid::new("dictionnaire-fiche")
        .num_columns(2)
        .show(ui, |ui| {
            text_row(ui, "Libellé :", &mut draft.label, "ex. Taux de pauvreté");
            text_row(
                ui,
                "Unité :",
                &mut draft.unit,
                "ex. %, pour 100, €, ménages",
            );
            let l = ui.label("Nature :");
            egui::ComboBox::from_id_salt("dictionnaire-nature")
                .selected_text(draft.kind.label())
                .show_ui(ui, |ui| {
                    for k in KINDS {
                        ui.selectable_value(&mut draft.kind, k, k.label());
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            if draft.kind == IndicatorKind::Ratio {
                text_row(ui, "Pour N :", &mut draft.per, "ex. 100");
            }
            if matches!(draft.kind, IndicatorKind::Percent | IndicatorKind::Ratio) {
                text_row(
                    ui,
                    "Numérateur :",
                    &mut draft.numerator,
                    "code d'un champ, ex. NB_MEN_PAUV",
                );
                text_row(
                    ui,
                    "Dénominateur :",
                    &mut draft.denominator,
                    "code d'un champ, ex. NBMENFISC",
                );
            }
            let l = ui.label("Sens :");
            egui::ComboBox::from_id_salt("dictionnaire-sens")
                .selected_text(draft.direction.label())
                .show_ui(ui, |ui| {
                    for d in DIRECTIONS {
                        ui.selectable_value(&mut draft.direction, d, d.label());
                    }
                })
                .response
                .labelled_by(l.id);
            ui.end_row();
            text_row(ui, "Source :", &mut draft.source, "ex. Insee, Filosofi");
            text_row(ui, "Millésime :", &mut draft.vintage, "ex. 2021");
            text_row(
                ui,
                "Axe du pacte :",
                &mut draft.theme,
                "ex. Axe 1 — accès aux droits",
            );
        });
}
