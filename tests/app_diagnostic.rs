//! The *Diagnostic* window driven on the real app (egui_kittest): LISA on the communes' TP60,
//! the most over-represented profile map and a Ward typology, each checked against the library
//! called directly with the same options, and against colours taken from the documented
//! palettes (GeoDa's for LISA, the Okabe–Ito theme colours without black for categories).

mod common;

use cartosol::analysis::autocorrelation::{Cluster, LisaOptions, field_values, lisa};
use cartosol::analysis::profiles::profile_mix;
use cartosol::analysis::typology::{Indicators, Method, typology};
use cartosol::analysis::weights::Weights;
use cartosol::app::basemap::BasemapChoice;
use cartosol::app::diagnostic::{DiagCommand, DiagMap};
use cartosol::app::{CartoSolApp, Command};
use cartosol::style::map_style::THEME_COLORS;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// Runs frames until the diagnostic's background computations are done (at most ~60 s).
fn wait(harness: &mut Harness<'static, CartoSolApp>) {
    for _ in 0..600 {
        harness.run_steps(1);
        if !harness.state().diagnostic.computing() {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("calcul du diagnostic trop long");
}

/// The qualitative colour of category `i` as the window's documentation gives it: the theme
/// colours without black.
fn category(i: usize) -> [u8; 3] {
    let colours: Vec<[u8; 3]> = THEME_COLORS
        .iter()
        .copied()
        .filter(|c| *c != [0, 0, 0])
        .collect();
    colours[i]
}

fn open_window(harness: &mut Harness<'static, CartoSolApp>) {
    harness.get_by_label("Affichage").click();
    harness.run_steps(2);
    harness.get_by_label("Diagnostic").click();
    harness.run_steps(3);
    assert!(harness.state().diagnostic.open);
}

fn communes(harness: &mut Harness<'static, CartoSolApp>) -> usize {
    let layer = harness
        .state()
        .ws
        .zones
        .iter()
        .position(|z| z.spec.id == "communes")
        .unwrap();
    harness.state_mut().send(Command::SetIndicator {
        layer,
        indicator: "TP60".into(),
    });
    harness.run_steps(3);
    layer
}

#[test]
fn lisa_counts_shown_equal_the_library() {
    let mut harness = common::app(BasemapChoice::None, "diag-lisa");
    let layer = communes(&mut harness);
    open_window(&mut harness);
    harness.get_by_label("Profils").click();
    harness.run_steps(2);
    harness.get_by_label("Autocorrélation (LISA)").click();
    harness.run_steps(3);
    harness.get_by_label("Calculer LISA").click();
    harness.run_steps(1);
    wait(&mut harness);

    let zl = &harness.state().ws.zones[layer];
    let values: Vec<Option<f64>> = field_values(&zl.layer.attributes, "TP60", "communes")
        .unwrap()
        .iter()
        .map(|v| v.as_f64())
        .collect();
    let w = Weights::queen(&zl.layer.geometries);
    let expected = lisa(&values, &w, &LisaOptions::default()).unwrap();
    let count = |c: Cluster| expected.local.cluster.iter().filter(|x| **x == c).count();
    for (cluster, label) in [
        (Cluster::HighHigh, "Élevé-Élevé"),
        (Cluster::LowLow, "Faible-Faible"),
        (Cluster::LowHigh, "Faible-Élevé"),
        (Cluster::HighLow, "Élevé-Faible"),
        (Cluster::NotSignificant, "Non significatif"),
    ] {
        harness.get_by_label(&format!("{label} : {} zone(s)", count(cluster)));
    }
    // Some zones are significant, else the check above says little.
    assert!(count(Cluster::HighHigh) + count(Cluster::LowLow) > 0);
    // The indicator is named by its dictionary label (from the workbook's definitions sheet).
    let label =
        cartosol::dictionary::label_of(&harness.state().ws.file.dictionary, "TP60").to_owned();
    assert_ne!(label, "TP60", "the sample's definitions sheet labels TP60");
    harness.get_by_label_contains(&format!(
        "I de Moran global de « {label} » : {:.4}",
        expected.global.i
    ));

    // The cluster map: GeoDa's colours, zones without a value hatched (no fill).
    harness.get_by_label("LISA").click();
    harness.run_steps(2);
    let app = harness.state();
    assert_eq!(app.diagnostic.map, DiagMap::Lisa);
    let fills = app.diagnostic.fill_override().unwrap();
    assert_eq!(fills.len(), values.len());
    for (row, fill) in fills.iter().enumerate() {
        let want = expected
            .position(row)
            .map(|p| match expected.local.cluster[p] {
                Cluster::HighHigh => [255, 0, 0],
                Cluster::LowLow => [0, 0, 255],
                Cluster::LowHigh => [0xA7, 0xAD, 0xF9],
                Cluster::HighLow => [0xF4, 0xAD, 0xA8],
                Cluster::NotSignificant => [0xEE, 0xEE, 0xEE],
                Cluster::Island => [0x99, 0x99, 0x99],
            });
        assert_eq!(*fill, want, "commune {row}");
    }
    // *Exporter la carte* draws the cluster map as shown: the same fills and the key rows
    // with their counts.
    let dir = common::temp_dir("diag-export");
    let path = dir.join("lisa.svg");
    harness.state_mut().send(Command::ExportMap(
        path.clone(),
        cartosol::export::map::Preset::Slide,
    ));
    for _ in 0..400 {
        harness.run_steps(1);
        if path.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let svg = std::fs::read_to_string(&path).expect("exported map");
    let hh = expected
        .local
        .cluster
        .iter()
        .filter(|c| **c == Cluster::HighHigh)
        .count();
    assert!(hh > 0);
    assert!(
        svg.contains(&format!("Élevé-Élevé  ({hh})")),
        "legend row of the HH cluster"
    );
    let zones = svg
        .split_once(r#"<g id="zones""#)
        .and_then(|(_, rest)| rest.split_once("</g>"))
        .map(|(group, _)| group)
        .unwrap();
    assert_eq!(zones.matches(r##"fill="#ff0000""##).count(), hh);
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-lisa.png"))
        .unwrap();
}

#[test]
fn top_profile_map_fills_with_the_max_quotient_profile() {
    let mut harness = common::app(BasemapChoice::None, "diag-profils");
    open_window(&mut harness);
    // On the EPCI (the sample's map): no small-count secrecy at that level.
    let app = harness.state();
    let layer = app.ws.choropleth_layer().unwrap();
    let zl = &app.ws.zones[layer];
    assert_eq!(zl.spec.id, "epci");
    let fields: Vec<String> = zl
        .layer
        .attributes
        .field_names()
        .filter(|n| n.starts_with("MP_"))
        .map(str::to_owned)
        .collect();
    assert_eq!(fields.len(), 6);
    let mix = profile_mix(&zl.layer.attributes, &fields, "epci").unwrap();
    harness.get_by_label("profil surreprésenté").click();
    harness.run_steps(3);
    let app = harness.state();
    let fills = app.diagnostic.fill_override().unwrap();
    let mut checked = 0;
    for (row, zone) in mix.zones.iter().enumerate() {
        // The profile with the largest location quotient, found here by hand.
        let best = zone
            .quotients
            .iter()
            .enumerate()
            .filter_map(|(i, q)| q.map(|q| (i, q)))
            .fold(None, |acc: Option<(usize, f64)>, (i, q)| match acc {
                Some((_, b)) if b >= q => acc,
                _ => Some((i, q)),
            })
            .map(|(i, _)| i);
        assert_eq!(fills[row], best.map(category), "EPCI {row}");
        checked += best.is_some() as usize;
    }
    assert!(checked >= 5, "{checked} EPCI vérifiés");
    // The key says how many zones each profile colours.
    for (i, f) in fields.iter().enumerate() {
        let n = fills.iter().filter(|c| **c == Some(category(i))).count();
        let label = cartosol::dictionary::label_of(&app.ws.file.dictionary, f);
        harness.get_by_label(&format!("{label} : {n} zone(s)"));
    }
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-profils.png"))
        .unwrap();
    // Turning the bivariate map on takes the map over; choosing the diagnostic map again
    // turns the bivariate map off.
    harness.state_mut().send(Command::ShowBivariate(true));
    harness.run_steps(2);
    assert_eq!(harness.state().diagnostic.map, DiagMap::None);
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::ShowMap(DiagMap::Profile)));
    harness.run_steps(2);
    assert!(!harness.state().analysis.bivariate_on);
    assert_eq!(harness.state().diagnostic.map, DiagMap::Profile);
}

#[test]
fn ward_typology_labels_equal_the_library() {
    let mut harness = common::app(BasemapChoice::None, "diag-typo");
    let layer = communes(&mut harness);
    open_window(&mut harness);
    let fields: Vec<String> = ["TP60", "TX_CHOMAGE", "PART_FAM_MONO"]
        .map(String::from)
        .to_vec();
    harness.get_by_label("Profils").click();
    harness.run_steps(2);
    harness.get_by_label("Typologie").click();
    harness.run_steps(2);
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::SetTypologyFields(
            fields.clone(),
        )));
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::SetK(4)));
    harness.run_steps(2);
    harness.get_by_label("Ward").click();
    harness.run_steps(2);
    harness.get_by_label("Classer les zones").click();
    harness.run_steps(1);
    wait(&mut harness);

    let zl = &harness.state().ws.zones[layer];
    let ind = Indicators::from_table(&zl.layer.attributes, &fields, "communes").unwrap();
    let expected = typology(ind, 4, &Method::Ward).unwrap();
    let app = harness.state();
    let run = app.diagnostic.typology.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(run.result.labels, expected.labels);
    assert_eq!(run.result.indicators.zones, expected.indicators.zones);
    for p in &expected.profiles {
        harness.get_by_label(&format!("Classe {} : {} zone(s)", p.class + 1, p.size));
    }
    harness.get_by_label("typologie").click();
    harness.run_steps(2);
    let fills = harness.state().diagnostic.fill_override().unwrap();
    for (zone, class) in expected.indicators.zones.iter().zip(&expected.labels) {
        assert_eq!(fills[*zone], Some(category(*class)), "commune {zone}");
    }
    for e in &expected.indicators.excluded {
        assert_eq!(fills[e.zone], None);
    }
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-typologie.png"))
        .unwrap();
}

#[test]
fn sensitive_situations_follow_n_and_select_the_zone() {
    use cartosol::analysis::factors::{FallbackReference, factors};
    use cartosol::analysis::situations::{FlagRule, sensitive_situations};
    let mut harness = common::app(BasemapChoice::None, "diag-situations");
    let layer = communes(&mut harness);
    open_window(&mut harness);
    harness.get_by_label("Profils").click();
    harness.run_steps(2);
    harness
        .get_by_label("Facteurs et situations sensibles")
        .click();
    harness.run_steps(2);
    let fields: Vec<String> = [
        "TP60",
        "TX_CHOMAGE",
        "PART_FAM_MONO",
        "PART_MEN_SANS_VOITURE",
        "PART_PRECARITE_ENERG",
    ]
    .map(String::from)
    .to_vec();
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::SetFactorFields(
            fields.clone(),
        )));
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::SetMinFlags(2)));
    harness.run_steps(3);

    // The library on the same zones: département values of rates under secrecy from the EPCI.
    let app = harness.state();
    let zl = &app.ws.zones[layer];
    let epci = app.ws.zones.iter().find(|z| z.spec.id == "epci").unwrap();
    let list = factors(
        &zl.layer.attributes,
        &fields,
        &app.ws.file.dictionary,
        Some("POPULATION"),
        &cartosol::project::ratio_rules(&app.ws.file, "communes"),
        "la couche « communes »",
        Some(FallbackReference {
            table: &epci.layer.attributes,
            weight_field: Some("POPULATION_91"),
            layer: "la couche « epci »",
        }),
    )
    .unwrap();
    let rule = FlagRule::Either { threshold: 2.0 };
    let two = sensitive_situations(&list, zl.layer.len(), rule, 2);
    let three = sensitive_situations(&list, zl.layer.len(), rule, 3);
    assert!(two.len() > three.len(), "{} vs {}", two.len(), three.len());
    harness.get_by_label(&format!(
        "Situations locales sensibles : {} zone(s)",
        two.len()
    ));
    let first = two.first().unwrap();
    let name = format!(
        "{} ({} indicateurs)",
        zl.zone_name(first.row),
        first.flags.len()
    );
    harness.get_by_label(&name).click();
    harness.run_steps(3);
    assert_eq!(harness.state().selected_zone, Some((layer, first.row)));
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::SetMinFlags(3)));
    harness.run_steps(3);
    harness.get_by_label(&format!(
        "Situations locales sensibles : {} zone(s)",
        three.len()
    ));
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-situations.png"))
        .unwrap();
}

#[test]
fn profile_bars_sort_by_a_profile_and_select_zones_both_ways() {
    use egui_kittest::kittest::NodeT;
    let mut harness = common::app(BasemapChoice::None, "diag-barres");
    open_window(&mut harness);
    let app = harness.state();
    let layer = app.ws.choropleth_layer().unwrap();
    let zl = &app.ws.zones[layer];
    let fields: Vec<String> = zl
        .layer
        .attributes
        .field_names()
        .filter(|n| n.starts_with("MP_"))
        .map(str::to_owned)
        .collect();
    // Shares of the third profile computed by hand from the counts: count / sum of the six.
    let p = 2;
    let mut by_share: Vec<(f64, String)> = (0..zl.layer.len())
        .map(|row| {
            let counts: Vec<f64> = fields
                .iter()
                .map(|f| {
                    zl.layer
                        .attributes
                        .field(f)
                        .unwrap()
                        .values
                        .get(row)
                        .unwrap()
                        .as_f64()
                        .unwrap()
                })
                .collect();
            let share = counts[p] / counts.iter().sum::<f64>();
            (share, zl.zone_name(row))
        })
        .collect();
    by_share.sort_by(|a, b| b.0.total_cmp(&a.0));
    let label = cartosol::dictionary::label_of(&app.ws.file.dictionary, &fields[p]).to_owned();
    let n_zones = zl.layer.len();
    let names_in_order = |harness: &Harness<'static, CartoSolApp>| -> Vec<String> {
        harness
            .query_all_by_label_contains("Profils de ")
            .map(|n| n.accesskit_node().label().unwrap_or_default())
            .filter(|n| n != "Profils de Département")
            .collect()
    };
    // Layer order first: one bar per EPCI.
    assert_eq!(names_in_order(&harness).len(), n_zones);
    harness.get_by_value("ordre de la couche").click();
    harness.run_steps(2);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, &label)
        .click();
    harness.run_steps(3);
    let expected: Vec<String> = by_share
        .iter()
        .map(|(_, n)| format!("Profils de {n}"))
        .collect();
    assert_eq!(names_in_order(&harness), expected);

    // A click on a bar selects the zone (map, selection panel and table follow).
    let (_, top) = &by_share[0];
    harness.get_by_label(&format!("Profils de {top}")).click();
    harness.run_steps(3);
    let row = (0..n_zones)
        .find(|r| harness.state().ws.zones[layer].zone_name(*r) == *top)
        .unwrap();
    assert_eq!(harness.state().selected_zone, Some((layer, row)));
    // A zone selected elsewhere (a click on the map) is the one marked in the chart.
    let other = (row + 1) % n_zones;
    let other_name = harness.state().ws.zones[layer].zone_name(other);
    harness.state_mut().send(Command::SelectZone {
        target: Some((layer, other)),
        frame: false,
    });
    harness.run_steps(3);
    let toggled = |harness: &Harness<'static, CartoSolApp>, name: &str| {
        harness
            .get_by_label(&format!("Profils de {name}"))
            .accesskit_node()
            .toggled()
    };
    assert_eq!(
        toggled(&harness, &other_name),
        Some(egui::accesskit::Toggled::True)
    );
    assert_eq!(
        toggled(&harness, top),
        Some(egui::accesskit::Toggled::False)
    );
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-barres.png"))
        .unwrap();
}

#[test]
fn k_figure_shows_the_library_scores_and_sets_k() {
    use cartosol::analysis::typology::{K_RANGE, KMeansOptions, k_scores, standardize};
    let mut harness = common::app(BasemapChoice::None, "diag-k");
    let layer = communes(&mut harness);
    open_window(&mut harness);
    harness.get_by_label("Profils").click();
    harness.run_steps(2);
    harness.get_by_label("Typologie").click();
    harness.run_steps(2);
    let fields: Vec<String> = ["TP60", "TX_CHOMAGE", "PART_FAM_MONO"]
        .map(String::from)
        .to_vec();
    harness
        .state_mut()
        .send(Command::Diagnostic(DiagCommand::SetTypologyFields(
            fields.clone(),
        )));
    harness.run_steps(2);
    harness.get_by_label("Aide au choix de k").click();
    harness.run_steps(1);
    wait(&mut harness);
    let app = harness.state();
    let zl = &app.ws.zones[layer];
    let indicators = Indicators::from_table(&zl.layer.attributes, &fields, "communes").unwrap();
    let z = standardize(&indicators.values).z;
    let expected = k_scores(&z, K_RANGE, &KMeansOptions::default()).unwrap();
    let Some(Ok((scored, shown))) = &app.diagnostic.k_scores else {
        panic!("pas de figure");
    };
    assert_eq!(scored, &fields);
    assert_eq!(shown, &expected);
    assert_eq!(shown.len(), 9, "k = 2 à 10");
    // One clickable point per k in each figure; a click sets k.
    for k in K_RANGE {
        harness.get_by_label(&format!("Inertie intra-classes : choisir k = {k}"));
    }
    harness
        .get_by_label("Silhouette moyenne : choisir k = 7")
        .click();
    harness.run_steps(2);
    assert_eq!(harness.state().diagnostic.k, 7);
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-k.png"))
        .unwrap();
}

/// Every diagnostic map the window shows is the one `cartosol render --carte-diagnostic`
/// draws from the settings the window saved in the project: situations, one factor (robust
/// z), and LISA on the empirical Bayes rate.
#[test]
fn the_window_saves_its_settings_and_shows_what_render_draws() {
    use cartosol::app::diagnostic::Smoothing;
    use cartosol::export::diagnostic_maps::diagnostic_overlay;
    let mut harness = common::app(BasemapChoice::None, "diag-parite");
    let layer = communes(&mut harness);
    open_window(&mut harness);
    let send = |h: &mut Harness<'static, CartoSolApp>, c: DiagCommand| {
        h.state_mut().send(Command::Diagnostic(c));
        h.run_steps(2);
    };
    send(
        &mut harness,
        DiagCommand::SetFactorFields(
            [
                "TP60",
                "TX_CHOMAGE",
                "PART_FAM_MONO",
                "PART_MEN_SANS_VOITURE",
            ]
            .map(String::from)
            .to_vec(),
        ),
    );
    send(&mut harness, DiagCommand::SetMinFlags(2));
    send(
        &mut harness,
        DiagCommand::SetLisaSmoothing(Smoothing::EmpiricalBayes),
    );
    send(&mut harness, DiagCommand::RunLisa);
    wait(&mut harness);
    let checks = [
        (DiagMap::Situations, None),
        (DiagMap::Factor, Some("TX_CHOMAGE")),
        (DiagMap::Lisa, None),
    ];
    for (map, factor) in checks {
        if let Some(f) = factor {
            send(&mut harness, DiagCommand::ShowFactor(f.into()));
        }
        send(&mut harness, DiagCommand::ShowMap(map));
        let app = harness.state();
        let spec = app.ws.file.diagnostic.clone();
        assert_eq!(spec.map, map);
        assert_eq!(spec.lisa_smoothing, Smoothing::EmpiricalBayes);
        let shown = app
            .diagnostic
            .overlay_fill(&app.ws.file.dictionary)
            .unwrap();
        let project = cartosol::app::export_ui::project_of(&app.ws, None);
        let (zspec, zlayer) = &project.zones[layer];
        let guard = cartosol::export::secrecy::SecrecyGuard::default()
            .with_privacy(&project.file.map.privacy);
        let drawn = diagnostic_overlay(
            &project,
            (zspec, zlayer),
            &spec,
            &project.file.dictionary,
            &guard,
        )
        .unwrap()
        .unwrap();
        assert_eq!(shown.colors, drawn.colors, "{map:?}");
        assert_eq!(shown.key, drawn.key, "{map:?}");
        assert_eq!(shown.title, drawn.title, "{map:?}");
        // The map is not empty: some zones are coloured.
        assert!(shown.colors.iter().filter(|c| c.is_some()).count() > 100);
    }
    let image = harness.render().unwrap();
    image
        .save(std::env::temp_dir().join("cartosol-diagnostic-lisa-eb.png"))
        .unwrap();
}
