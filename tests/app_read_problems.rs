//! Problems met while reading, in the app (issue 11 #4): the point sanity checks run at load
//! against the project's communes (a service far from its declared commune is listed with its
//! line), every layer's problems are shown by *Propriétés…* in its menu, and an outline that
//! crosses itself is repaired only when the analyst asks (*Réparer les géométries*), which the
//! project then remembers.

mod common;

use cartosol::app::basemap::BasemapChoice;
use cartosol::app::{AppOptions, CartoSolApp};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::Path;

/// Three communes 0.1° apart; 91002 is drawn as a bowtie.
const ZONES: &str = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"INSEE_COM":"91001","NOM":"Alpha","POPULATION":1200},"geometry":{"type":"Polygon","coordinates":[[[2.1,48.5],[2.2,48.5],[2.2,48.6],[2.1,48.6],[2.1,48.5]]]}},
{"type":"Feature","properties":{"INSEE_COM":"91002","NOM":"Bravo","POPULATION":800},"geometry":{"type":"Polygon","coordinates":[[[2.3,48.5],[2.4,48.6],[2.4,48.5],[2.3,48.6],[2.3,48.5]]]}},
{"type":"Feature","properties":{"INSEE_COM":"91003","NOM":"Charlie","POPULATION":3000},"geometry":{"type":"Polygon","coordinates":[[[2.5,48.5],[2.6,48.5],[2.6,48.6],[2.5,48.6],[2.5,48.5]]]}}
]}"#;

/// Line 3 lies in Alpha (91001) but declares Charlie (91003), about 22 km away.
const SERVICES: &str = "nom;dispositif;code_insee;longitude;latitude\n\
Accueil A;France Services;91001;2.15;48.55\n\
Accueil B;France Services;91003;2.15;48.56\n\
Accueil C;France Services;91003;2.55;48.55\n";

fn project(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("communes.geojson"), ZONES).unwrap();
    std::fs::write(dir.join("services.csv"), SERVICES).unwrap();
    let path = dir.join("test.cartosol.json");
    std::fs::write(
        &path,
        r#"{"cartosol":1,"title":"Test","zones":[{"id":"communes","name":"Couche des communes","source":"communes.geojson","code_field":"INSEE_COM","name_field":"NOM"}],
"points":[{"id":"services","name":"Couche des services","source":"services.csv","theme_field":"dispositif"}],
"map":{"zones":"communes","indicator":"POPULATION"}}"#,
    )
    .unwrap();
    path
}

fn app_on(project: &Path) -> Harness<'static, CartoSolApp> {
    common::app_with(
        AppOptions {
            open: Some(project.to_path_buf()),
            basemap: BasemapChoice::None,
            load_now: true,
            tile_cache: common::temp_dir("app-read-problems-tuiles"),
            data_dir: common::temp_dir("app-read-problems-donnees"),
        },
        1400.0,
        900.0,
    )
}

#[test]
fn read_problems_are_shown_and_the_repair_is_the_analysts_choice() {
    let dir = common::temp_dir("app-read-problems");
    let path = project(&dir);
    let mut harness = app_on(&path);
    let status = harness.state().status.clone();
    assert!(
        status.contains("problème(s) de lecture : clic droit sur une couche › Propriétés"),
        "{status}"
    );

    // The point layer's properties list the far service with its line.
    harness
        .get_by_role_and_label(Role::CheckBox, "Couche des services")
        .click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Propriétés…").click();
    harness.run_steps(2);
    let listed = harness
        .query_all_by_label_contains("ligne 3 : point situé dans la commune 91001 à ")
        .count();
    assert_eq!(
        listed, 1,
        "the far service is listed in the layer's properties"
    );
    harness.get_by_label("OK").click();
    harness.run_steps(2);

    // The bowtie is listed and kept as read until the analyst asks for the repair.
    {
        let app = harness.state();
        let zones = &app.ws.zones[0];
        assert_eq!(zones.layer.geometries[1].0.len(), 1);
        assert!(cartosol::zones::validity::has_unrepaired_crossings(
            &zones.layer
        ));
    }
    harness
        .get_by_role_and_label(Role::CheckBox, "Couche des communes")
        .click_secondary();
    harness.run_steps(2);
    harness.get_by_label("Réparer les géométries").click();
    harness.run_steps(3);
    let app = harness.state();
    let zones = &app.ws.zones[0];
    assert_eq!(zones.layer.geometries[1].0.len(), 2, "one polygon per lobe");
    assert!(!cartosol::zones::validity::has_unrepaired_crossings(
        &zones.layer
    ));
    assert!(
        app.ws.file.zones[0].repair_geometries,
        "saved with the project"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
