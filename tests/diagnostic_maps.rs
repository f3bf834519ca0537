//! Diagnostic maps through `cartosol render` (issue 9, part 6: « maps of each part are
//! available to render and the atlas ») and empirical Bayes smoothing through the commands
//! (`cartosol lisa --lissage`, `cartosol diagnostic --lissage`).
//!
//! The exported SVG is read back: each zone's fill (the `<g id="zones">` paths, in layer
//! order) and the legend's rows « label  (count) » are compared with figures made apart:
//! the clusters of the CSV of `cartosol lisa`, the robust z and flags of the workbook of
//! `cartosol diagnostic`, classed here by hand with the colours written out below (GeoDa's
//! cluster colours, ColorBrewer's YlOrRd and RdBu). Smoothed rates are compared with
//! `esda.smoothing` (tests/data/pysal/essonne_eb.csv, made by tests/data/make_pysal_reference.py).

use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
use cartosol::project::{DiagnosticMap, ProjectFile, SAMPLE_PROJECT, Smoothing};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol_diagmaps_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The sample project written to `dir` with absolute source paths, its map on `zones` (TP60),
/// after `edit`.
fn project(dir: &Path, zones: &str, edit: impl FnOnce(&mut ProjectFile)) -> PathBuf {
    let mut file = ProjectFile::read(Path::new(SAMPLE_PROJECT)).unwrap();
    let base = std::env::current_dir().unwrap().join("sample_data");
    for z in &mut file.zones {
        z.source = base.join(&z.source);
    }
    for t in &mut file.tables {
        t.source = base.join(&t.source);
    }
    for p in &mut file.points {
        p.source = base.join(&p.source);
    }
    file.map.zones = zones.to_owned();
    file.map.indicator = "TP60".to_owned();
    edit(&mut file);
    let path = dir.join("projet.cartosol.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    path
}

fn run(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn run_err(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(args)
        .output()
        .unwrap();
    assert!(!output.status.success(), "{args:?} aurait dû échouer");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The fill of each zone path of an exported SVG, in layer order.
fn zone_fills(svg: &str) -> Vec<String> {
    let start = svg.find("<g id=\"zones\"").unwrap();
    let end = start + svg[start..].find("</g>").unwrap();
    svg[start..end]
        .lines()
        .filter(|l| l.starts_with("<path"))
        .map(|l| {
            let f = l.find(" fill=\"").unwrap() + 7;
            l[f..f + l[f..].find('"').unwrap()].to_owned()
        })
        .collect()
}

/// The count printed after `label` in the legend (« label  (n) »), `None` when absent.
fn legend_count(svg: &str, label: &str) -> Option<usize> {
    let needle = format!(">{label}  (");
    let at = svg.find(&needle)? + needle.len();
    svg[at..at + svg[at..].find(')')?].parse().ok()
}

/// Rows of a `;` CSV written by the tool (BOM and header skipped), with the header.
fn csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header = lines
        .next()
        .unwrap()
        .split(';')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split(';').map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}

fn fr_number(s: &str) -> f64 {
    s.replace(',', ".").parse().unwrap()
}

/// GeoDa's LISA colours by the label `cartosol lisa` writes.
fn geoda_colour(cluster: &str) -> &'static str {
    match cluster {
        "Élevé-Élevé" => "#ff0000",
        "Faible-Faible" => "#0000ff",
        "Faible-Élevé" => "#a7adf9",
        "Élevé-Faible" => "#f4ada8",
        "Non significatif" => "#eeeeee",
        "Sans voisin" => "#999999",
        _ => "url(#manquant)",
    }
}

const CLUSTERS: [&str; 6] = [
    "Élevé-Élevé",
    "Faible-Faible",
    "Faible-Élevé",
    "Élevé-Faible",
    "Non significatif",
    "Sans voisin",
];

/// The LISA map saved in the project is drawn by `render` without any flag: every commune
/// painted in GeoDa's colour of its cluster in the CSV of `cartosol lisa` (same field, seed,
/// permutations), the key counting the same clusters; smoothing saved in the project is
/// applied and named.
#[test]
fn render_draws_the_saved_lisa_map_with_the_clusters_of_cartosol_lisa() {
    for (smoothing, flag) in [(Smoothing::Raw, "brut"), (Smoothing::EmpiricalBayes, "eb")] {
        let dir = temp_dir(&format!("lisa_{flag}"));
        let path = project(&dir, "communes", |f| {
            f.diagnostic.map = DiagnosticMap::Lisa;
            f.diagnostic.lisa_smoothing = smoothing;
        });
        let p = path.to_str().unwrap();
        let lisa_csv = dir.join("lisa.csv");
        run(&[
            "lisa",
            "--project",
            p,
            "--field",
            "TP60",
            "--lissage",
            flag,
            "--out",
            lisa_csv.to_str().unwrap(),
        ]);
        let (header, rows) = csv(&lisa_csv);
        let cluster = col(&header, "cluster");
        let svg_path = dir.join("carte.svg");
        run(&["render", p, "--out", svg_path.to_str().unwrap()]);
        let svg = std::fs::read_to_string(&svg_path).unwrap();

        let fills = zone_fills(&svg);
        assert_eq!(fills.len(), 194);
        assert_eq!(rows.len(), 194);
        for (i, (fill, row)) in fills.iter().zip(&rows).enumerate() {
            assert_eq!(
                fill,
                geoda_colour(&row[cluster]),
                "commune {} ({})",
                row[0],
                i
            );
        }
        for label in CLUSTERS {
            let n = rows.iter().filter(|r| r[cluster] == label).count();
            assert_eq!(legend_count(&svg, label), Some(n), "{flag} : {label}");
        }
        assert!(
            rows.iter().any(|r| r[cluster] == "Élevé-Élevé"),
            "l'échantillon a des regroupements à montrer"
        );
        let missing = rows
            .iter()
            .filter(|r| r[cluster] == "Valeur manquante")
            .count();
        assert_eq!(missing, 60);
        assert_eq!(legend_count(&svg, "Non disponible"), Some(missing));
        // The legend is headed by the map's title, with the dictionary's label of TP60.
        assert!(svg.contains("LISA — Taux de pauvreté"), "{flag}");
        assert_eq!(
            svg.contains("taux lissés — bayésien empirique global"),
            smoothing == Smoothing::EmpiricalBayes
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

fn sheet(book: &mut Xlsx<std::io::BufReader<std::fs::File>>, name: &str) -> Vec<Vec<Data>> {
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Float(x) => x.to_string(),
        Data::Int(x) => x.to_string(),
        _ => String::new(),
    }
}

const FACTORS: &str = "TP60,TX_CHOMAGE,PART_FAM_MONO,PART_MEN_SANS_VOITURE,PART_PRECARITE_ENERG";

/// Sensitive situations and the TP60 factor map on the EPCI (`--carte-diagnostic` overriding
/// the project's « aucune »): the number of flags per EPCI and the robust z come from the
/// workbook of `cartosol diagnostic` with the same factors and rule; classes and colours are
/// decided here (YlOrRd 3 classes for N = 2, RdBu 5 classes with red for more need).
#[test]
fn render_flag_draws_situations_and_factor_maps_with_the_workbook_figures() {
    let dir = temp_dir("situations");
    let path = project(&dir, "epci", |f| {
        f.diagnostic.factor_fields = FACTORS.split(',').map(str::to_owned).collect();
        f.diagnostic.factor_shown = "TP60".to_owned();
    });
    let p = path.to_str().unwrap();
    let book_path = dir.join("diagnostic.xlsx");
    run(&[
        "diagnostic",
        p,
        "--zones-layer",
        "epci",
        "--facteurs",
        FACTORS,
        "--regle",
        "les-deux",
        "--seuil-z",
        "2",
        "--n",
        "1",
        "--out",
        book_path.to_str().unwrap(),
    ]);
    let mut book: Xlsx<_> = open_workbook(&book_path).unwrap();
    let epci_codes: Vec<String> = {
        let rows = sheet(&mut book, "Profil surreprésenté");
        rows[1..].iter().map(|r| text(&r[0])).collect()
    };
    assert_eq!(epci_codes.len(), 13);
    // Flags per EPCI (N = 1 lists every EPCI flagged at least once, with its count).
    let mut flags: HashMap<String, usize> = HashMap::new();
    for r in &sheet(&mut book, "Situations sensibles")[1..] {
        flags.insert(text(&r[0]), r[2].as_f64().unwrap() as usize);
    }
    // Robust z of TP60 per EPCI.
    let factors = sheet(&mut book, "Facteurs");
    let head: Vec<String> = factors[0].iter().map(text).collect();
    let zc = head
        .iter()
        .position(|h| h == "Score z robuste (positif = plus de besoin)")
        .unwrap();
    let mut z: HashMap<String, f64> = HashMap::new();
    for r in &factors[1..] {
        if text(&r[2]) == "TP60" {
            z.insert(text(&r[0]), r[zc].as_f64().unwrap());
        }
    }
    assert_eq!(z.len(), 13);

    // Situations map, N = 2 (the project's default).
    let svg_path = dir.join("situations.svg");
    run(&[
        "render",
        p,
        "--carte-diagnostic",
        "situations",
        "--out",
        svg_path.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let ylorrd = ["#ffeda0", "#feb24c", "#f03b20"];
    let class = |code: &str| flags.get(code).copied().unwrap_or(0).min(2);
    let fills = zone_fills(&svg);
    assert_eq!(fills.len(), 13);
    for (code, fill) in epci_codes.iter().zip(&fills) {
        assert_eq!(*fill, ylorrd[class(code)], "EPCI {code}");
    }
    let count = |c: usize| epci_codes.iter().filter(|e| class(e) == c).count();
    assert_eq!(legend_count(&svg, "0 indicateur"), Some(count(0)));
    assert_eq!(legend_count(&svg, "1 indicateur"), Some(count(1)));
    assert_eq!(legend_count(&svg, "≥ 2 indicateurs"), Some(count(2)));
    assert!(count(2) > 0, "des situations sensibles à montrer");

    // Factor map of TP60.
    let svg_path = dir.join("facteur.svg");
    run(&[
        "render",
        p,
        "--carte-diagnostic",
        "facteur",
        "--out",
        svg_path.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let rdbu = ["#0571b0", "#92c5de", "#f7f7f7", "#f4a582", "#ca0020"];
    let z_class = |z: f64| {
        if z <= -2.0 {
            0
        } else if z <= -1.0 {
            1
        } else if z < 1.0 {
            2
        } else if z < 2.0 {
            3
        } else {
            4
        }
    };
    for (code, fill) in epci_codes.iter().zip(zone_fills(&svg)) {
        assert_eq!(fill, rdbu[z_class(z[code])], "EPCI {code} z = {}", z[code]);
    }
    let labels = [
        "≤ −2 (besoin nettement moindre)",
        "−2 à −1",
        "−1 à 1 (proche de la médiane)",
        "1 à 2",
        "≥ 2 (besoin nettement plus fort)",
    ];
    for (c, label) in labels.iter().enumerate() {
        let n = z.values().filter(|v| z_class(**v) == c).count();
        assert_eq!(legend_count(&svg, label), Some(n), "{label}");
    }
    assert!(svg.contains("Facteur aggravant — Taux de pauvreté"));

    // « aucune » gives back the choropleth of TP60.
    let svg_path = dir.join("aucune.svg");
    run(&[
        "render",
        p,
        "--carte-diagnostic",
        "aucune",
        "--out",
        svg_path.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(!svg.contains("Facteur aggravant"));
    assert!(!svg.contains("indicateurs  ("));
    std::fs::remove_dir_all(&dir).ok();
}

/// The profile and typology maps reach the atlas: every page carries the key.
#[test]
fn atlas_pages_carry_the_diagnostic_map_key() {
    let dir = temp_dir("atlas");
    let path = project(&dir, "epci", |f| {
        f.diagnostic.map = DiagnosticMap::Profile;
    });
    let out = dir.join("atlas");
    run(&[
        "atlas",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--svg",
        "--preset",
        "diapo",
    ]);
    let svgs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "svg"))
        .collect();
    assert_eq!(svgs.len(), 13);
    for p in &svgs {
        let svg = std::fs::read_to_string(p).unwrap();
        assert!(
            svg.contains("Profil le plus surreprésenté"),
            "{}",
            p.display()
        );
        // Six profile rows, each EPCI counted once (a long label wraps, its count too).
        let start = svg.find("<g id=\"legende\">").unwrap();
        let end = start + svg[start..].find("</g>").unwrap();
        let legend: Vec<&str> = svg[start..end]
            .split("<text")
            .skip(1)
            .filter_map(|t| Some(&t[t.find('>')? + 1..t.find("</text>")?]))
            .collect();
        let legend = legend.join(" ");
        assert_eq!(legend.matches("Ménages pauvres — profil : ").count(), 6);
        let total: usize = legend
            .split('(')
            .skip(1)
            .filter_map(|t| t[..t.find(')')?].parse::<usize>().ok())
            .sum();
        assert_eq!(total, 13, "{}", p.display());
    }
    let t = run(&[
        "render",
        path.to_str().unwrap(),
        "--carte-diagnostic",
        "typologie",
        "--out",
        dir.join("t.svg").to_str().unwrap(),
    ]);
    assert!(t.contains("Carte écrite"));
    let svg = std::fs::read_to_string(dir.join("t.svg")).unwrap();
    let classes: usize = (1..=4)
        .filter_map(|c| legend_count(&svg, &format!("Classe {c}")))
        .sum();
    assert_eq!(classes, 13);
    std::fs::remove_dir_all(&dir).ok();
}

/// `esda.smoothing` rates by commune code: (raw, EB, spatial EB), plain ratios.
fn esda_rates() -> HashMap<String, (f64, f64, f64)> {
    let text = std::fs::read_to_string("tests/data/pysal/essonne_eb.csv").unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(';').collect();
            let n = |i: usize| c[i].parse::<f64>().unwrap();
            (c[0].to_owned(), (n(1), n(2), n(3)))
        })
        .collect()
}

/// `cartosol lisa --lissage eb|eb-spatial`: the raw and smoothed rates written beside each
/// other equal esda's × 100 (TP60 = 100 × NB_MEN_PAUV / NBMENFISC, the project's ratio), the
/// communes without counts left out (never 0); explicit event and base fields give the same.
#[test]
fn cli_lisa_smoothing_equals_esda_smoothing() {
    let reference = esda_rates();
    assert_eq!(reference.len(), 134);
    let dir = temp_dir("eb");
    for (flag, explicit) in [("eb", false), ("eb-spatial", false), ("eb", true)] {
        let out = dir.join(format!("{flag}_{explicit}.csv"));
        let mut args = vec![
            "lisa",
            "--project",
            SAMPLE_PROJECT,
            "--field",
            "TP60",
            "--lissage",
            flag,
            "--out",
            out.to_str().unwrap(),
        ];
        if explicit {
            args.extend([
                "--numerateur",
                "NB_MEN_PAUV",
                "--denominateur",
                "NBMENFISC",
                "--echelle",
                "100",
            ]);
        }
        let stdout = run(&args);
        assert!(
            stdout.contains("60 zone(s) sans numérateur ou dénominateur"),
            "{stdout}"
        );
        let (header, rows) = csv(&out);
        let (raw, smooth) = (col(&header, "taux_brut"), col(&header, "taux_lisse"));
        assert_eq!(raw, col(&header, "valeur") + 2, "{header:?}");
        let mut checked = 0;
        for r in &rows {
            match reference.get(&r[0]) {
                Some((e_raw, eb, seb)) => {
                    let expected = if flag == "eb" { eb } else { seb } * 100.0;
                    let ours = fr_number(&r[smooth]);
                    assert!(
                        (ours - expected).abs() < 1e-9,
                        "{flag} {} : {ours} vs esda {expected}",
                        r[0]
                    );
                    assert!((fr_number(&r[raw]) - e_raw * 100.0).abs() < 1e-9);
                    checked += 1;
                }
                None => {
                    assert_eq!(r[smooth], "", "{} devrait être laissée de côté", r[0]);
                    assert_eq!(r[smooth + 1], "non disponible");
                }
            }
        }
        assert_eq!(checked, 134);
    }
    // A rate without a declared ratio cannot be smoothed without its counts.
    let err = run_err(&[
        "lisa",
        "--project",
        SAMPLE_PROJECT,
        "--field",
        "TX_CHOMAGE",
        "--lissage",
        "eb",
        "--out",
        dir.join("x.csv").to_str().unwrap(),
    ]);
    assert!(
        err.contains(
            "« TX_CHOMAGE » n'a pas de numérateur et de dénominateur déclarés (ratio du projet)"
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `cartosol diagnostic --lissage eb`: the factor values of TP60 are esda's EB rates × 100,
/// the other factors (no declared ratio) stay raw, and the rules sheet says so.
#[test]
fn cli_diagnostic_smoothing_flags_on_esda_rates() {
    let reference = esda_rates();
    let dir = temp_dir("diag_eb");
    let out = dir.join("d.xlsx");
    let stdout = run(&[
        "diagnostic",
        SAMPLE_PROJECT,
        "--facteurs",
        "TP60,TX_CHOMAGE",
        "--lissage",
        "eb",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(stdout.contains("Lissage : « TP60 » : taux lissés — bayésien empirique global"));
    let mut book: Xlsx<_> = open_workbook(&out).unwrap();
    let factors = sheet(&mut book, "Facteurs");
    let head: Vec<String> = factors[0].iter().map(text).collect();
    let value = head.iter().position(|h| h == "Valeur").unwrap();
    let mut checked = 0;
    for r in &factors[1..] {
        if text(&r[2]) != "TP60" {
            continue;
        }
        match reference.get(&text(&r[0])) {
            Some((_, eb, _)) => {
                let v = r[value].as_f64().unwrap();
                assert!((v - eb * 100.0).abs() < 1e-9, "{} : {v}", text(&r[0]));
                checked += 1;
            }
            None => assert!(r[value].as_f64().is_none(), "{}", text(&r[0])),
        }
    }
    assert_eq!(checked, 134);
    let rules: Vec<String> = sheet(&mut book, "Règles")
        .iter()
        .map(|r| text(&r[0]))
        .collect();
    assert!(
        rules
            .iter()
            .any(|l| l.contains("gardé(s) bruts : TX_CHOMAGE")),
        "{rules:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
