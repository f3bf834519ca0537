//! The committee deck (`cartosol deck`): checked with independent tools, as a user would —
//! poppler's `pdfinfo`/`pdftoppm`/`pdftotext` read the PDF, the PNG headers give the slides' size.

use cartosol::project::{ProjectFile, ViewSpec, open_project};
use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-deck-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the sample project in `dir`, its sources pointing at the sample's files, with
/// three saved views: the département's EPCI, the communes of Grand Paris Sud with Évry-
/// Courcouronnes selected, and the EPCI map again with another name.
fn project_with_views(dir: &Path) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let text = std::fs::read_to_string(sample.join("essonne.cartosol.json")).unwrap();
    let mut file: ProjectFile = serde_json::from_str(&text).unwrap();
    for z in &mut file.zones {
        z.source = sample.join(&z.source);
    }
    for t in &mut file.tables {
        t.source = sample.join(&t.source);
    }
    for p in &mut file.points {
        p.source = sample.join(&p.source);
    }
    let mut epci = ViewSpec::frame("Essonne par EPCI", 2.25, 48.52, 9.0);
    epci.zones = Some("epci".to_owned());
    epci.indicator = Some("TP60".to_owned());
    let mut communes = ViewSpec::frame("Grand Paris Sud — communes", 2.45, 48.62, 11.0);
    communes.zones = Some("communes".to_owned());
    communes.indicator = Some("TP60".to_owned());
    communes.selection = Some("91228".to_owned());
    let mut sud = ViewSpec::frame("Sud Essonne", 2.15, 48.40, 10.0);
    sud.note = Some("Territoires ruraux du sud".to_owned());
    // The sample's own views are replaced by these.
    file.views = vec![epci, communes, sud];
    let path = dir.join("comite.cartosol.json");
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    path
}

/// Width and height of a PNG file, read from its IHDR chunk (bytes 16–23, big-endian).
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{} : {e}", path.display()));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} n'est pas un PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?} : {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} a échoué : {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn deck_pdf_png_and_minutes_from_the_cli() {
    let dir = temp_dir("cli");
    let project = project_with_views(&dir);
    let pdf = dir.join("support.pdf");
    let pngs = dir.join("png");
    let minutes = dir.join("cr.md");
    let stdout = run(Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .arg("deck")
        .arg(&project)
        .arg("--out")
        .arg(&pdf)
        .arg("--png")
        .arg(&pngs)
        .arg("--compte-rendu")
        .arg(&minutes)
        .args(["--date", "01/12/2026"]));
    assert!(stdout.contains("3 vue(s)"), "{stdout}");

    // pdfinfo: three pages of 960 × 540 pt (16:9).
    let info = run(Command::new("pdfinfo").arg(&pdf));
    assert!(info.contains("Pages:           3"), "{info}");
    assert!(info.contains("Page size:       960 x 540 pts"), "{info}");
    // The font is embedded (pdffonts: « emb » column says yes).
    let fonts = run(Command::new("pdffonts").arg(&pdf));
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty(), "{fonts}");
    for l in &font_lines {
        assert!(l.contains("Ubuntu"), "{l}");
        assert!(
            l.split_whitespace().any(|w| w == "yes"),
            "police non incluse : {l}"
        );
    }

    // pdftoppm draws every page: one image per view, 16:9.
    let prefix = dir.join("page");
    run(Command::new("pdftoppm")
        .args(["-png", "-r", "72"])
        .arg(&pdf)
        .arg(&prefix));
    for n in 1..=3 {
        let page = dir.join(format!("page-{n}.png"));
        assert_eq!(png_size(&page), (960, 540), "page {n}");
    }
    let _ = std::fs::copy(dir.join("page-2.png"), "/tmp/cartosol-deck-page-2.png");

    // pdftotext finds, page by page, the title, the view's name and the legend.
    for (n, view) in [
        (1, "Essonne par EPCI"),
        (2, "Grand Paris Sud — communes"),
        (3, "Sud Essonne"),
    ] {
        let text = run(Command::new("pdftotext")
            .args(["-f", &n.to_string(), "-l", &n.to_string(), "-layout"])
            .arg(&pdf)
            .arg("-"));
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains("Essonne — besoins sociaux"),
            "page {n} : {flat}"
        );
        assert!(flat.contains(view), "page {n} : {flat}");
        assert!(
            flat.contains("Taux de pauvreté"),
            "page {n} (légende) : {flat}"
        );
        assert!(flat.contains("Données FICTIVES"), "page {n} : {flat}");
        if n == 2 {
            assert!(
                flat.contains("Chiffres clés : Évry-Courcouronnes"),
                "{flat}"
            );
        }
        if n == 3 {
            assert!(flat.contains("Territoires ruraux du sud"), "{flat}");
        }
    }

    // PNG slides at 1920 × 1080, named after the views.
    let mut names: Vec<String> = std::fs::read_dir(&pngs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01-essonne-par-epci.png",
            "02-grand-paris-sud-communes.png",
            "03-sud-essonne.png"
        ]
    );
    for n in &names {
        assert_eq!(png_size(&pngs.join(n)), (1920, 1080), "{n}");
    }

    // The minutes template: the views in order with their figures, and the blanks.
    let md = std::fs::read_to_string(&minutes).unwrap();
    let at = |s: &str| {
        md.find(s)
            .unwrap_or_else(|| panic!("« {s} » absent :\n{md}"))
    };
    assert!(at("1. Essonne par EPCI") < at("2. Grand Paris Sud — communes"));
    assert!(at("### 2. Grand Paris Sud — communes") < at("### 3. Sud Essonne"));
    at("**Support préparé le :** 01/12/2026");
    at("**Chiffres clés : Évry-Courcouronnes**");
    // The classes of the communes' TP60 and the zones without a value, as the legend says.
    assert!(
        md.matches("secret statistique : 60 zone(s)").count() >= 1,
        "{md}"
    );
    at("## Décisions");
    at("## Amendements");
    at("## Prochaines étapes");
    at("Données FICTIVES");
}

#[test]
fn key_figures_of_evry_by_hand() {
    // Évry-Courcouronnes among the 194 communes: its TP60, the median of the communes and its
    // rank are computed here from the joined table, independently of the deck's function.
    let dir = temp_dir("figures");
    let path = project_with_views(&dir);
    let project = open_project(&path).unwrap();
    let (spec, layer) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap();
    let t = &layer.attributes;
    let code = t.field_index("INSEE_COM").unwrap();
    let row = (0..layer.len())
        .find(|&r| t.text(code, r).as_deref() == Some("91228"))
        .unwrap();
    let tp: Vec<Option<f64>> = t
        .field("TP60")
        .unwrap()
        .values
        .iter()
        .map(|v| v.as_f64())
        .collect();
    let mine = tp[row].unwrap();
    let mut known: Vec<f64> = tp.iter().flatten().copied().collect();
    known.sort_by(f64::total_cmp);
    let median = if known.len() % 2 == 1 {
        known[known.len() / 2]
    } else {
        (known[known.len() / 2 - 1] + known[known.len() / 2]) / 2.0
    };
    let rank = 1 + known.iter().filter(|x| **x > mine).count();
    let f = cartosol::export::deck::key_figures(spec, t, "TP60", "Taux de pauvreté", row).unwrap();
    assert_eq!(f.title, "Chiffres clés : Évry-Courcouronnes");
    let fr = |x: f64| format!("{x:.1}").replace('.', ",");
    assert_eq!(
        f.rows[0],
        ["Taux de pauvreté".to_owned(), fr(mine), fr(median)]
    );
    assert_eq!(f.rows[1][1], format!("{rank} / {}", known.len()));
    assert_eq!(f.rows[2][0], "Population");
    // French thousands separator: a no-break space.
    assert_eq!(f.rows[2][1], "67\u{a0}967");
}

#[test]
fn no_saved_view_is_refused_in_french() {
    let dir = temp_dir("empty");
    let path = project_with_views(&dir);
    let mut file: ProjectFile =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    file.views.clear();
    std::fs::write(&path, serde_json::to_string(&file).unwrap()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .arg("deck")
        .arg(&path)
        .arg("--out")
        .arg(dir.join("s.pdf"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("aucune vue enregistrée"), "{err}");
    assert!(!dir.join("s.pdf").exists());
}

#[test]
fn old_views_without_map_settings_still_open() {
    // A view written before committee mode: name and frame only.
    let old = r#"{"name":"CA Paris-Saclay","lon":2.2,"lat":48.7,"zoom":11.0}"#;
    let v: ViewSpec = serde_json::from_str(old).unwrap();
    assert_eq!(v, ViewSpec::frame("CA Paris-Saclay", 2.2, 48.7, 11.0));
    // And it is written back the same way (no new key).
    assert_eq!(serde_json::to_string(&v).unwrap(), old);
}

#[test]
fn the_sample_project_presents_its_three_views() {
    // The bundled sample carries three committee views: `cartosol deck` works on it as shipped.
    let dir = temp_dir("sample");
    let pdf = dir.join("support.pdf");
    run(Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .arg("deck")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/essonne.cartosol.json"))
        .arg("--out")
        .arg(&pdf));
    let info = run(Command::new("pdfinfo").arg(&pdf));
    assert!(info.contains("Pages:           3"), "{info}");
    let text = run(Command::new("pdftotext").arg(&pdf).arg("-"));
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for view in [
        "Essonne — EPCI",
        "Grand Paris Sud — communes",
        "Sud Essonne — familles monoparentales",
    ] {
        assert!(flat.contains(view), "{view} : {flat}");
    }
    let _ = std::fs::copy(&pdf, "/tmp/cartosol-deck-sample.pdf");
}

#[test]
fn a_view_recorded_with_its_under_served_zones_outlines_them_with_the_rule() {
    // A view saved while the under-served zones were shown keeps the rule in words and the
    // codes of the flagged zones: the deck outlines those zones and prints the rule.
    use cartosol::export::deck::{DeckOptions, deck_pages, minutes_markdown};
    let dir = temp_dir("underserved");
    let path = project_with_views(&dir);
    let mut project = open_project(&path).unwrap();
    let rule = "Zones sous-desservies : besoin ≥ 12 et offre ≤ 0,5 pour 10 000 hab.";
    let view = &mut project.file.views[0];
    view.underserved_rule = Some(rule.to_owned());
    // Two EPCI of the sample (Étampois Sud Essonne, Grand Paris Sud) and a code that is not.
    view.underserved_zones = vec![
        "200017846".to_owned(),
        "200059228".to_owned(),
        "999999999".to_owned(),
    ];
    let map_before = project.file.map.clone();
    let pages = deck_pages(&mut project, &DeckOptions::default()).unwrap();
    assert_eq!(
        project.file.map, map_before,
        "the project's map is left as it was"
    );
    let first = &pages[0].composition;
    assert_eq!(first.underserved.len(), 2);
    let row = first.underserved_row.as_ref().unwrap();
    assert_eq!((row.label.as_str(), row.count), (rule, 2));
    assert!(pages[1].composition.underserved.is_empty());
    assert!(pages[0].svg.contains("besoin ≥ 12"));
    let md = minutes_markdown(&project.file, &pages, "01/12/2026");
    assert!(
        md.contains(&format!(
            "- Règle de sous-desserte : {rule} (2 zone(s) signalée(s))"
        )),
        "{md}"
    );
}
