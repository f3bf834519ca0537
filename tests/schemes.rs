//! The synthesis table of schemes: computed cells against a hand computation on the sample
//! (SLIME: three in-person sites), the « peu ou non couvert » rows first, and the XLSX round
//! trip (export, edit a typed cell, import) keeping every row and cell.

use cartosol::analysis::schemes::{
    SchemeRow, SchemesSpec, Verdict, compute, compute_row, rows_from_table, schemes_table,
};
use geo::{Contains, Distance, Haversine, InteriorPoint, Point};

fn sample() -> cartosol::project::Project {
    cartosol::project::open_project(&cartosol::bundled::find_sample_project().unwrap()).unwrap()
}

fn row(name: &str, theme: &str) -> SchemeRow {
    SchemeRow {
        name: name.into(),
        axis: 4,
        theme: theme.into(),
        ..SchemeRow::default()
    }
}

#[test]
fn slime_coverage_equals_a_hand_computation() {
    let project = sample();
    let spec = SchemesSpec::default();
    let c = compute_row(&project, &spec, &row("SLIME", "SLIME")).unwrap();

    // By hand: the in-person SLIME points of the CSV (the remote-only one apart), each
    // commune's interior point and poor households; brute-force great-circle distances.
    let csv = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("sample_data/services_essonne_FICTIF.csv"),
    )
    .unwrap();
    let sites: Vec<Point<f64>> = csv
        .lines()
        .filter(|l| l.contains(";SLIME;") && l.contains("en-presentiel"))
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            Point::new(f[14].parse().unwrap(), f[15].parse().unwrap())
        })
        .collect();
    assert_eq!(sites.len(), 3);
    assert_eq!(c.sites, 3);
    let (_, communes) = project
        .zones
        .iter()
        .find(|(s, _)| s.id == "communes")
        .unwrap();
    let target = communes.attributes.field("NB_MEN_PAUV").unwrap();
    let (mut known, mut beyond, mut without) = (0.0, 0.0, 0);
    for (g, v) in communes.geometries.iter().zip(&target.values) {
        if !sites.iter().any(|s| g.contains(s)) {
            without += 1;
        }
        let Some(t) = v.as_f64() else { continue };
        known += t;
        let p = g.interior_point().unwrap();
        let nearest = sites
            .iter()
            .map(|s| Haversine.distance(p, *s))
            .fold(f64::INFINITY, f64::min);
        if nearest > 10_000.0 {
            beyond += t;
        }
    }
    assert_eq!(c.zones_without, without);
    let share = 100.0 * beyond / known;
    assert!((c.share_beyond_pct.unwrap() - share).abs() < 1e-9);
    assert!(share > 10.0);
    assert_eq!(c.verdict, Verdict::Low);
    assert!(
        c.source
            .contains("peu couvert si plus de 10 % de la cible est au-delà")
    );
    // The largest uncovered commune first.
    assert!(c.uncovered.windows(2).all(|w| w[0].1 >= w[1].1));
}

#[test]
fn poorly_covered_rows_come_first_and_the_xlsx_round_trip_keeps_every_cell() {
    let project = sample();
    let mut spec = SchemesSpec::default();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/schemes/dispositifs_essonne_FICTIF.csv");
    let loaded = cartosol::table::load_table(&path, &Default::default()).unwrap();
    spec.rows = rows_from_table(&loaded.table, "dispositifs_essonne_FICTIF.csv").unwrap();
    assert_eq!(spec.rows.len(), 8);
    assert!(
        spec.rows[0].ideas.contains('\n'),
        "texte sur plusieurs lignes"
    );
    let computed = compute(&project, &spec).unwrap();
    let table = schemes_table(&spec, &computed);
    let verdicts = table.field("couverture").unwrap();
    let first = verdicts.values.get(0).unwrap().to_string();
    assert_eq!(first, "peu couvert");
    assert_eq!(
        table
            .field("dispositif")
            .unwrap()
            .values
            .get(0)
            .unwrap()
            .to_string(),
        "SLIME (précarité énergétique)"
    );
    // A row without theme is « non calculé », last.
    assert_eq!(verdicts.values.get(7).unwrap().to_string(), "non calculé");

    // Export to XLSX through the writers, edit a typed cell, read back.
    let dir = std::env::temp_dir().join(format!("cartosol-schemes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let xlsx = dir.join("dispositifs.xlsx");
    let guard = cartosol::export::secrecy::SecrecyGuard::default();
    cartosol::export::data::write_layer(
        &table,
        cartosol::export::data::Geometries::None,
        cartosol::export::secrecy::ZoneLevel::Aggregate,
        "dispositifs",
        &xlsx,
        cartosol::export::data::DataFormat::Xlsx,
        &cartosol::export::data::DataExportOptions::default(),
        &guard,
    )
    .unwrap();
    // The analyst edits the difficulties of France Services in a spreadsheet: rewrite the
    // workbook with that one cell changed (calamine reads, rust_xlsxwriter writes).
    use calamine::{Reader, open_workbook_auto};
    let mut book = open_workbook_auto(&xlsx).unwrap();
    let sheet = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&sheet).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    let headers: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let diff_col = headers.iter().position(|h| h == "difficultes").unwrap();
    for (r, cells) in range.rows().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let mut text = cell.to_string();
            if r > 0 && c == diff_col && cells[0] == "France Services" {
                text = "Horaires réduits\nPersonnel à former".to_owned();
            }
            match cell {
                calamine::Data::Float(x) => ws.write_number(r as u32, c as u16, *x).map(|_| ()),
                calamine::Data::Int(x) => {
                    ws.write_number(r as u32, c as u16, *x as f64).map(|_| ())
                }
                _ => ws.write_string(r as u32, c as u16, &text).map(|_| ()),
            }
            .unwrap();
        }
    }
    let edited = dir.join("dispositifs_modifie.xlsx");
    out.save(&edited).unwrap();
    let back = cartosol::table::load_table(&edited, &Default::default()).unwrap();
    let rows = rows_from_table(&back.table, "dispositifs_modifie.xlsx").unwrap();
    assert_eq!(rows.len(), spec.rows.len());
    for (a, b) in spec.rows.iter().zip(&rows) {
        if a.name == "France Services" {
            assert_eq!(b.difficulties, "Horaires réduits\nPersonnel à former");
            let mut a = a.clone();
            a.difficulties = b.difficulties.clone();
            assert_eq!(&a, b);
        } else {
            assert_eq!(a, b, "ligne {}", a.name);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_axis_is_reported_with_its_line() {
    let dir = std::env::temp_dir().join(format!("cartosol-schemes-axe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("d.csv");
    std::fs::write(&csv, "dispositif;axe;theme\nA;1;PMI\nB;7;SLIME\n").unwrap();
    let loaded = cartosol::table::load_table(&csv, &Default::default()).unwrap();
    let e = rows_from_table(&loaded.table, "d.csv")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("d.csv, ligne 3 : axe « 7 » (attendu : 1, 2, 3 ou 4)"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
