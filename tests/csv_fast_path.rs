//! The CSV reader used by `load_table` (two passes, typed columns, parts read in parallel)
//! must read every file exactly as the generic path does (every row kept as text, then typed by
//! `build_table`): same table, same notes, same problems, same error with the same line. The
//! generic path is the reference here; files are generated (proptest) and large (several
//! parts), with what French files hold: decimal commas, INSEE markers, codes with leading zeros,
//! title lines, notes under the data, blank lines, quoted delimiters and line breaks, ragged rows.

use cartosol::error::{LoadError, Place};
use cartosol::table::{TableOptions, build_table, detect_header, load_table, read_csv_grid};
use proptest::prelude::*;
use std::path::Path;

/// What a reader gives: the table and notes with the problems as text, or the error's text.
type Outcome = Result<(cartosol::Table, Vec<(u64, String)>, Vec<String>), String>;

fn generic(path: &Path, options: &TableOptions) -> Outcome {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let (rows, _, _) = read_csv_grid(path, &bytes, options.delimiter).map_err(|e| e.to_string())?;
    let header_index = match options.header_row {
        Some(row) => rows
            .iter()
            .position(|r| r.origin == row as u64)
            .ok_or_else(|| {
                LoadError::format(path, format!("la ligne d'en-tête {row} n'existe pas"))
                    .to_string()
            })?,
        None => detect_header(&rows).ok_or_else(|| {
            LoadError::format(path, "aucune ligne de données : le tableau est vide").to_string()
        })?,
    };
    let mut problems = Vec::new();
    let (table, notes) = build_table(
        path,
        &rows,
        header_index,
        true,
        &|line, column| Place::LineColumn {
            line,
            column: column.to_owned(),
        },
        &mut problems,
    )
    .map_err(|e| e.to_string())?;
    Ok((
        table,
        notes,
        problems.iter().map(ToString::to_string).collect(),
    ))
}

fn fast(path: &Path, options: &TableOptions) -> Outcome {
    let loaded = load_table(path, options).map_err(|e| e.to_string())?;
    Ok((
        loaded.table,
        loaded.notes,
        loaded
            .source
            .problems
            .iter()
            .map(ToString::to_string)
            .collect(),
    ))
}

/// Compares the two readers on `content`; the fast path's problems start with the generic
/// path's (`load_table` adds the notes and header problems after them, for both paths).
fn same_reading(content: &[u8], options: &TableOptions) {
    let dir = tempfile_dir();
    let path = dir.join("t.csv");
    std::fs::write(&path, content).unwrap();
    let (expected, got) = (generic(&path, options), fast(&path, options));
    match (&expected, &got) {
        (Ok((t1, n1, p1)), Ok((t2, n2, p2))) => {
            assert_eq!(
                t1,
                t2,
                "tables différentes pour {:?}",
                String::from_utf8_lossy(content)
            );
            assert_eq!(n1, n2);
            assert_eq!(&p2[..p1.len().min(p2.len())], &p1[..], "problèmes");
        }
        (Err(e1), Err(e2)) => assert_eq!(e1, e2),
        _ => panic!(
            "un chemin lit, l'autre non : générique {:?} / rapide {:?} pour {:?}",
            expected.as_ref().map(|_| ()),
            got.as_ref().map(|_| ()),
            String::from_utf8_lossy(content)
        ),
    }
    std::fs::remove_dir_all(&dir).ok();
}

fn tempfile_dir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "cartosol-csv-fast-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const CELLS: &[&str] = &[
    "12,5",
    "1 234",
    "-3.2",
    "0",
    "07",
    "91001",
    "2A004",
    "s",
    "nd",
    "ND",
    "so",
    "",
    " ",
    "abc",
    "Évry-Courcouronnes",
    "\"a;b\"",
    "\"ligne\nsuite\"",
    "1e3",
    "14,2 %",
    "n.d.",
    "Source : Insee, Filosofi 2021",
];

fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(prop::sample::select(CELLS), 1..6).prop_map(|c| c.join(";")),
        1 => Just(String::new()),
        1 => Just("Note : s = secret statistique".to_owned()),
        1 => Just(";;;".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_read_the_same(
        titles in prop::collection::vec(prop_oneof![
            Just("Revenus des ménages en 2021".to_owned()),
            Just(String::new()),
        ], 0..3),
        header in prop::collection::vec(prop::sample::select(&["CODGEO", "LIBGEO", "TP60", "MED", "", "codgeo", "NB"][..]), 1..6),
        lines in prop::collection::vec(line_strategy(), 0..40),
        crlf in any::<bool>(),
        header_row in prop::option::of(1usize..5),
    ) {
        let mut all = titles.clone();
        all.push(header.join(";"));
        all.extend(lines);
        let eol = if crlf { "\r\n" } else { "\n" };
        let content = all.join(eol);
        same_reading(content.as_bytes(), &TableOptions { header_row, ..TableOptions::default() });
    }
}

/// A file long enough to be read in several parallel parts (checkpoints every 65,536 rows),
/// with rows that look like notes in the middle, blank lines, quoted line breaks and markers.
#[test]
fn a_code_with_a_leading_zero_makes_the_column_text_in_both_readers() {
    // Found by the generated files: `07` among numbers is a code (a département, a commune
    // code cut short), so the column stays text with its leading zero; the fast reader's
    // shortcut for plain numbers counted it as neither a number nor a reason for text, and
    // typed the column as numbers (7, 0).
    let content = "\nRevenus des ménages en 2021\nTP60;TP60;;TP60;TP60\n1 234;abc;07;Source : Insee, \
                   Filosofi 2021;\"ligne\nsuite\"\nn.d.;12,5;0; ;s\nNote : s = secret statistique\n\
                   Note : s = secret statistique\n;;;\n";
    same_reading(content.as_bytes(), &TableOptions::default());
    for column in ["07\n0\n12\n", "0\n07\n", "12\n007\n3,5\n"] {
        let content = format!("VAL;N\n{}", column.replace('\n', ";1\n"));
        same_reading(content.as_bytes(), &TableOptions::default());
        let dir = tempfile_dir();
        let path = dir.join("zero.csv");
        std::fs::write(&path, &content).unwrap();
        let table = load_table(&path, &TableOptions::default()).unwrap().table;
        let f = table.field("VAL").unwrap();
        assert_eq!(f.kind, cartosol::model::FieldKind::Text, "{column:?}");
        assert!(f.values.iter().any(|v| {
            v.as_text()
                .is_some_and(|t| t.starts_with('0') && t.len() > 1)
        }));
    }
}

#[test]
fn a_large_file_read_in_parts_reads_the_same() {
    let mut s = String::from("Titre du tableau\nCODGEO;LIBGEO;TP60;NOM;THEME\n");
    for i in 0..210_000u32 {
        match i % 50_000 {
            7 => s.push_str("Note : une ligne au milieu;;;;\n"),
            8 => s.push('\n'),
            9 => s.push_str(&format!(
                "{:05};\"Ville\nsur deux lignes\";s;nom {i};A\n",
                i % 99_999
            )),
            _ => s.push_str(&format!(
                "{:05};Commune {i};{},{};nom {i};thème {}\n",
                i % 99_999,
                i % 40,
                i % 10,
                i % 5
            )),
        }
    }
    s.push_str("Source : Insee, Filosofi 2021\n");
    same_reading(s.as_bytes(), &TableOptions::default());
    // The same with a ragged row in the last part: the same error, same line.
    let ragged = s.replacen("Commune 200010;", "Commune 200010;trop;de;valeurs;x;", 1);
    assert_ne!(ragged, s);
    same_reading(ragged.as_bytes(), &TableOptions::default());
}
