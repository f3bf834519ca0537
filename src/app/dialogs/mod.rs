//! Dialogs, one per file: file choice (native dialog through rfd, or the built-in browser when
//! no native dialog is available), the table import wizard, renaming, saving as, map and atlas
//! exports, layer and under-served list exports, the export report, the indicator dictionary,
//! recovery after a crash, errors and the shortcuts sheet.
//!
//! Like the panels, dialogs read the app and push [`Command`]s; the open dialog and what is
//! typed in it are ephemeral widget state, kept in [`UiState`].

pub mod atlas;
pub mod browser;
pub mod dictionary;
pub mod error;
pub mod export_layer;
pub mod export_map;
pub mod guide;
pub mod import_wizard;
pub mod recovery;
pub mod rename;
pub mod report;
pub mod save_as;
pub mod shortcuts;

use super::state::LayerRef;
use super::{CartoSolApp, Command, UiState};
pub use browser::Browser;
use egui::Context;
pub use import_wizard::{ImportWizard, PendingJoin, apply_join};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

/// What a chosen file is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `Ouvrir un projet ou un fichier…`: a project or a layer replaces the workspace; a table
    /// opens the import wizard when zones are loaded.
    Open,
    /// `Ajouter une couche…`: the file is added as a new layer.
    AddLayer,
    /// `Importer une table et la joindre…`: the file opens the import wizard.
    ImportTable,
    /// A local `.pmtiles` file becomes the basemap.
    Pmtiles,
}

/// The dialog shown over the app, if any.
#[derive(Default)]
pub enum Dialog {
    /// No dialog.
    #[default]
    None,
    /// An error message, in French.
    Error(String),
    /// The keyboard shortcuts sheet.
    Shortcuts,
    /// *Aide › Guide de l'utilisateur*.
    Guide,
    /// `Renommer la couche`: the layer and the name being typed.
    Rename(LayerRef, String),
    /// The built-in file browser.
    Browser(Browser),
    /// The system's file dialog, open in a thread: what the file is for and where the chosen
    /// path (`None` if cancelled) arrives.
    Native(Purpose, Receiver<Option<PathBuf>>),
    /// The table import wizard.
    Import(Box<ImportWizard>),
    /// `Enregistrer le projet sous`: the path being typed.
    SaveAs(String),
    /// `Exporter la carte`: the PNG or SVG path being typed and the page preset.
    ExportMap(String, crate::export::map::Preset),
    /// `Atlas : une carte par zone`: the destination folder being typed.
    Atlas(String),
    /// An autosave newer than the project file exists: offer to restore it.
    Recover(PathBuf),
    /// *Fichier › Exporter une couche…*
    ExportLayer(export_layer::ExportLayerForm),
    /// *Exporter la liste des zones sous-desservies…*
    ExportUnderserved(export_layer::ExportUnderservedForm),
    /// *Données › Dictionnaire des indicateurs…*
    Dictionary(Box<dictionary::DictionaryEditor>),
    /// What an export wrote, with what the secrecy guard masked.
    Report {
        /// The window's title.
        title: String,
        /// The report, one label per line.
        text: String,
    },
}

fn native_dialogs_available() -> bool {
    std::env::var_os("CARTOSOL_NO_NATIVE_DIALOG").is_none()
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
}

impl Dialog {
    /// Asks for a file: the system's dialog when there is one, the built-in browser otherwise.
    pub fn open_file(purpose: Purpose) -> Dialog {
        if !native_dialogs_available() {
            return Dialog::browser(purpose);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let picked = rfd::FileDialog::new()
                .set_title("CartoSol — choisir un fichier")
                .add_filter(
                    "Données et projets",
                    &[
                        "json", "geojson", "shp", "zip", "gpkg", "parquet", "csv", "xlsx", "xls",
                        "ods", "pmtiles",
                    ],
                )
                .pick_file();
            let _ = tx.send(picked);
        });
        Dialog::Native(purpose, rx)
    }

    /// The built-in browser, in the current folder.
    pub fn browser(purpose: Purpose) -> Dialog {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        Dialog::Browser(Browser {
            purpose,
            path_text: dir.display().to_string(),
            dir,
        })
    }
}

fn file_chosen(
    app: &CartoSolApp,
    state: &mut UiState,
    out: &mut Vec<Command>,
    purpose: Purpose,
    path: PathBuf,
) {
    match purpose {
        Purpose::Open => {
            let is_table = crate::table::TableFormat::from_path(&path).is_some();
            if is_table && !app.ws.zones.is_empty() {
                state.dialog = Dialog::Import(Box::new(ImportWizard::new(path, &app.ws)));
            } else {
                out.push(Command::Open(path));
            }
        }
        Purpose::AddLayer => out.push(Command::AddFile(path)),
        Purpose::ImportTable => {
            state.dialog = Dialog::Import(Box::new(ImportWizard::new(path, &app.ws)))
        }
        Purpose::Pmtiles => out.push(Command::SetBasemap(super::basemap::BasemapChoice::Pmtiles(
            path,
        ))),
    }
}

/// Shows the current dialog.
pub fn dialog_ui(app: &CartoSolApp, state: &mut UiState, out: &mut Vec<Command>, ctx: &Context) {
    let dialog = std::mem::take(&mut state.dialog);
    state.dialog = match dialog {
        Dialog::None => Dialog::None,
        Dialog::Error(message) => error::show(ctx, message),
        Dialog::Shortcuts => shortcuts::show(ctx),
        Dialog::Guide => guide::show(ctx),
        Dialog::Rename(layer, text) => rename::show(ctx, layer, text, out),
        Dialog::Native(purpose, rx) => match rx.try_recv() {
            Ok(Some(path)) => {
                file_chosen(app, state, out, purpose, path);
                std::mem::take(&mut state.dialog)
            }
            Ok(None) => Dialog::None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
                Dialog::Native(purpose, rx)
            }
            // The system dialog failed: fall back on the built-in browser.
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Dialog::browser(purpose),
        },
        Dialog::Browser(browser) => browser::show(ctx, app, state, out, browser),
        Dialog::SaveAs(text) => save_as::show(ctx, text, out),
        Dialog::ExportMap(text, preset) => export_map::show(ctx, text, preset, out),
        Dialog::Atlas(text) => atlas::show(ctx, text, out),
        Dialog::Recover(path) => recovery::show(ctx, path, out),
        Dialog::Import(wizard) => import_wizard::show(ctx, app, out, wizard),
        Dialog::ExportLayer(form) => export_layer::show_layer(ctx, app, form, out),
        Dialog::ExportUnderserved(form) => export_layer::show_underserved(ctx, app, form, out),
        Dialog::Report { title, text } => report::show(ctx, title, text),
        Dialog::Dictionary(editor) => dictionary::show(ctx, app, editor, out),
    };
}
