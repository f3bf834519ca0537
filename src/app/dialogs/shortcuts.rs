//! The sheet of shortcuts and interactions.

use crate::app::dialogs::Dialog;
use egui::{Context, RichText};

/// Shows the sheet; returns the dialog for the next frame.
pub fn show(ctx: &Context) -> Dialog {
    let mut open = true;
    egui::Window::new("Raccourcis et interactions")
        .collapsible(false)
        .show(ctx, |ui| {
            for (keys, what) in [
                ("Glisser", "déplacer la carte"),
                ("Ctrl + molette, double-clic", "zoomer"),
                (
                    "Clic sur une zone",
                    "la sélectionner : fiche à droite, ligne de la table",
                ),
                ("Clic sur un point", "fiche du service"),
                (
                    "Clic sur une ligne de la table",
                    "sélectionner et cadrer la zone",
                ),
                ("Début", "cadrer sur toutes les zones"),
                ("Échap", "désélectionner"),
                ("Ctrl+O", "ouvrir un projet ou un fichier"),
                ("Ctrl+F", "rechercher une commune, un EPCI, un service"),
                ("Ctrl+S", "enregistrer le projet"),
                ("Ctrl+Z", "annuler le dernier changement du projet"),
                ("Ctrl+Maj+Z, Ctrl+Y", "rétablir le changement annulé"),
                ("F5", "mode présentation (comité)"),
                ("Ctrl+T", "afficher ou masquer la table attributaire"),
                (
                    "Déposer un fichier",
                    "l'ouvrir (projet) ou l'ajouter comme couche",
                ),
            ] {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(keys).strong());
                    ui.label(what);
                });
            }
            if ui.button("Fermer").clicked() {
                open = false;
            }
        });
    if open {
        Dialog::Shortcuts
    } else {
        Dialog::None
    }
}
