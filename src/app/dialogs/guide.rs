//! *Aide › Guide de l'utilisateur*: how to do the diagnostic's everyday tasks, in French,
//! inside the app (no network, no browser).

use crate::app::dialogs::Dialog;
use egui::{Context, RichText};

/// The guide: one section per task, the steps as the menus name them.
pub const SECTIONS: &[(&str, &[&str])] = &[
    (
        "Charger le panorama de pauvreté",
        &[
            "Fichier › Ouvrir un projet ou un fichier… : ouvrez d'abord les zones (communes ou \
             EPCI : Shapefile, zip d'ADMIN EXPRESS, GeoJSON, GeoPackage).",
            "Fichier › Importer une table et la joindre… : choisissez le classeur ou le CSV de \
             l'Insee (feuille, ligne d'en-tête détectées), vérifiez le champ de code.",
            "Le rapport de jointure dit les zones sans ligne, les codes en double et les codes \
             corrigés (zéro initial, forme décimale d'Excel). Les valeurs « s » (secret) restent \
             manquantes, jamais 0.",
        ],
    ),
    (
        "Cartographier un indicateur",
        &[
            "Carte thématique (panneau de gauche) : choisissez la couche de zones, l'indicateur, \
             la méthode (quantiles, seuils naturels, manuels), le nombre de classes et la palette.",
            "Le dictionnaire (Données › Dictionnaire des indicateurs…) donne les libellés, unités \
             et sources utilisés dans la légende et les exports.",
            "Clic sur une zone : sa fiche à droite, comparée à l'ensemble du territoire.",
        ],
    ),
    (
        "Repérer les zones sous-desservies",
        &[
            "Zones sous-desservies (panneau de gauche) : cochez « Repérer », choisissez le \
             dispositif (France Services, PMI…) et réglez les seuils de besoin et d'offre.",
            "La carte bivariée croise besoin et offre en 3 × 3 classes ; l'outil Proximité liste \
             les services à moins d'une distance d'un point cliqué.",
            "Affichage › Implantation de nouveaux sites : où k nouveaux sites couvriraient le plus \
             de ménages à moins de R km.",
        ],
    ),
    (
        "Exporter",
        &[
            "Fichier › Exporter la carte (PNG, SVG) : format de page, titre, légende, sources et \
             date.",
            "Fichier › Exporter une couche… : CSV, XLSX, GeoJSON, GeoPackage ; le secret \
             statistique masque les petits effectifs à la commune.",
            "Fichier › Atlas : une carte par zone, et un index.",
        ],
    ),
    (
        "Présenter en comité",
        &[
            "Affichage › Vues enregistrées… : enregistrez les vues à montrer (cadrage, indicateur, \
             sélection).",
            "F5 : mode présentation, une vue après l'autre en plein écran ; Échap pour sortir.",
            "Fichier › Support de séance : un PDF d'une page par vue, des PNG et un modèle de \
             compte rendu. Hors ligne, choisissez un fond de carte PMTiles local (Fond de carte).",
        ],
    ),
    (
        "Rechercher, enregistrer, reprendre",
        &[
            "Ctrl+F : une commune, un EPCI ou un service par son nom ou son code (accents et \
             article ignorés).",
            "Ctrl+S enregistre le projet ; le projet d'exemple est en lecture seule : enregistrez \
             une copie (Fichier › Enregistrer sous…).",
            "Ctrl+Z annule le dernier changement du projet (couche retirée, classification, \
             jointure, cellule du tableau des dispositifs…), Ctrl+Maj+Z ou Ctrl+Y le rétablit \
             (aussi menu Édition) ; déplacer la carte n'est pas un changement.",
            "Une sauvegarde automatique est faite après chaque vraie modification ; après une \
             fermeture inattendue, elle est proposée au démarrage suivant.",
            "Clic droit sur une couche › Propriétés… : source, système de coordonnées et problèmes \
             de lecture (lignes à vérifier).",
        ],
    ),
];

/// Shows the guide; returns the dialog for the next frame.
pub fn show(ctx: &Context) -> Dialog {
    let mut open = true;
    egui::Window::new("Guide de l'utilisateur")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .default_width(620.0)
        .show(ctx, |ui| {
            if ui.button("Fermer").clicked() {
                open = false;
            }
            egui::ScrollArea::vertical()
                .max_height(440.0)
                .show(ui, |ui| {
                    for (title, steps) in SECTIONS {
                        ui.label(RichText::new(*title).strong().size(16.0));
                        for step in *steps {
                            ui.horizontal_wrapped(|ui| {
                                ui.label("•");
                                ui.label(*step);
                            });
                        }
                        ui.add_space(6.0);
                    }
                });
        });
    if open { Dialog::Guide } else { Dialog::None }
}
