//! Action proposals per axis: the T0 of a linked indicator is the frozen baseline's value (read
//! independently from the sample's workbook with calamine), the completeness messages appear
//! and disappear as the proposal is filled, the workbook has one sheet per axis, and each
//! proposal's DOCX is a zip holding its title, its indicator table and the map of its need.

use calamine::{Data, Reader, Xlsx, open_workbook};
use cartosol::analysis::proposals::{
    IndicatorRole, NeedLink, Proposal, ProposalIndicator, T0, completeness, indicator_t0,
    need_criterion_text,
};
use cartosol::export::proposals::{
    NEED_MAP_HEIGHT_PX, NEED_MAP_WIDTH_PX, ProposalExportOptions, write_proposal_documents,
    write_proposals_workbook,
};
use cartosol::export::secrecy::SecrecyGuard;
use cartosol::project::{open_project, save_project};
use std::io::Read;
use std::path::{Path, PathBuf};

fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A temporary copy of the sample folder.
fn temp_sample(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-pistes-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&sample_dir(), &dir);
    dir
}

/// The sample copied to a temporary folder, with a T0 frozen and saved in it, reopened.
fn frozen_copy(name: &str) -> (PathBuf, cartosol::project::Project) {
    let dir = temp_sample(name);
    let path = dir.join("essonne.cartosol.json");
    let mut project = open_project(&path).unwrap();
    let now: jiff::Timestamp = "2026-03-29T22:30:00Z".parse().unwrap();
    project.file.t0 = Some(cartosol::baseline::freeze(&project, now).unwrap());
    save_project(&project.file, &dir, &path).unwrap();
    (dir.clone(), open_project(&path).unwrap())
}

/// The cells of the sample workbook's commune sheet for `code` (header on the `CODGEO` row).
fn workbook_cell(code: &str, column: &str) -> f64 {
    let mut wb: Xlsx<_> =
        open_workbook(sample_dir().join("panorama_pauvrete_essonne_FICTIF.xlsx")).unwrap();
    let range = wb.worksheet_range("COM").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header = rows
        .iter()
        .position(|r| r.first().is_some_and(|c| text(c) == "CODGEO"))
        .unwrap();
    let col = rows[header].iter().position(|c| text(c) == column).unwrap();
    let row = rows
        .iter()
        .skip(header + 1)
        .find(|r| r.first().is_some_and(|c| text(c) == code))
        .unwrap();
    match &row[col] {
        Data::Float(x) => *x,
        Data::Int(x) => *x as f64,
        other => panic!("{code} {column} : {other:?}"),
    }
}

/// A cell as text.
fn text(c: &Data) -> String {
    c.to_string()
}

fn indicator(label: &str, code: &str, target: &str) -> ProposalIndicator {
    ProposalIndicator {
        label: label.into(),
        role: IndicatorRole::Results,
        code: code.into(),
        t0_typed: String::new(),
        target: target.into(),
        date: "2027".into(),
    }
}

fn need(zones: &[&str], indicators: &[&str]) -> NeedLink {
    NeedLink {
        layer: "communes".into(),
        zones: zones.iter().map(|z| (*z).to_owned()).collect(),
        indicators: indicators.iter().map(|z| (*z).to_owned()).collect(),
        scheme: String::new(),
    }
}

#[test]
fn t0_of_a_linked_indicator_is_the_frozen_baseline_value() {
    let (_dir, project) = frozen_copy("t0");
    let baseline = project.file.t0.as_ref().expect("T0 saved in the copy");

    // One zone: Grigny's TP60 as the workbook has it.
    let grigny = need(&["91286"], &["TP60"]);
    let t0 = indicator_t0(
        Some(baseline),
        &grigny,
        &indicator("Taux de pauvreté", "TP60", "20"),
    );
    let T0::Baseline { value, scope } = &t0 else {
        panic!("{t0:?}")
    };
    assert_eq!(*value, workbook_cell("91286", "TP60"));
    assert!(scope.contains("T0 figé le 30/03/2026"), "{scope}");
    assert!(scope.contains("Grigny (91286)"), "{scope}");

    // Two zones: the count summed, the rate recomputed from the summed counts by hand.
    let two = need(&["91286", "91228"], &["TP60"]);
    let poor = workbook_cell("91286", "NB_MEN_PAUV") + workbook_cell("91228", "NB_MEN_PAUV");
    let households = workbook_cell("91286", "NBMENFISC") + workbook_cell("91228", "NBMENFISC");
    match indicator_t0(
        Some(baseline),
        &two,
        &indicator("Ménages pauvres", "NB_MEN_PAUV", "1"),
    ) {
        T0::Baseline { value, .. } => assert_eq!(value, poor),
        other => panic!("{other:?}"),
    }
    match indicator_t0(Some(baseline), &two, &indicator("Taux", "TP60", "1")) {
        T0::Baseline { value, scope } => {
            assert!((value - 100.0 * poor / households).abs() < 1e-9, "{value}");
            assert!(scope.contains("zones liées"), "{scope}");
        }
        other => panic!("{other:?}"),
    }

    // A share without ratio rule, over two zones: its mean weighted by fiscal households,
    // said as such.
    let share = |c: &str| workbook_cell(c, "PART_NON_DIPLOMES") * workbook_cell(c, "NBMENFISC");
    let expected = (share("91286") + share("91228")) / households;
    match indicator_t0(
        Some(baseline),
        &two,
        &indicator("Non diplômés", "PART_NON_DIPLOMES", "1"),
    ) {
        T0::Baseline { value, scope } => {
            assert!((value - expected).abs() < 1e-9, "{value} ≠ {expected}");
            assert!(scope.contains("moyenne pondérée par NBMENFISC"), "{scope}");
        }
        other => panic!("{other:?}"),
    }

    // No zone: the whole layer (the département). Households are known in every commune: the
    // communes' sum, equal to the EPCI sheet's (computed on the same communes).
    let epci_sum = |column: &str| -> f64 {
        let mut wb: Xlsx<_> =
            open_workbook(sample_dir().join("panorama_pauvrete_essonne_FICTIF.xlsx")).unwrap();
        let epci = wb.worksheet_range("EPCI").unwrap();
        let col = epci
            .rows()
            .find(|r| r.first().is_some_and(|c| text(c) == "CODGEO"))
            .unwrap()
            .iter()
            .position(|c| text(c) == column)
            .unwrap();
        epci.rows()
            .filter(|r| r.first().is_some_and(|c| text(c).len() == 9))
            .map(|r| match &r[col] {
                Data::Float(x) => *x,
                Data::Int(x) => *x as f64,
                other => panic!("{column} : {other:?}"),
            })
            .sum()
    };
    match indicator_t0(
        Some(baseline),
        &need(&[], &[]),
        &indicator("Ménages", "NBMENFISC", "1"),
    ) {
        T0::Baseline { value, scope } => {
            assert!(
                scope.contains("ensemble des 194 zones de la couche « communes » (département)"),
                "{scope}"
            );
            assert_eq!(value, epci_sum("NBMENFISC"));
        }
        other => panic!("{other:?}"),
    }
    // Poor households are secret in small communes: the commune layer cannot give the
    // département's figure, the EPCI layer (complete figures) does, and says so.
    match indicator_t0(
        Some(baseline),
        &need(&[], &[]),
        &indicator("Ménages pauvres", "NB_MEN_PAUV", "1"),
    ) {
        T0::Baseline { value, scope } => {
            assert!(
                scope.contains("ensemble des 13 zones de la couche « epci » (département)"),
                "{scope}"
            );
            assert_eq!(value, epci_sum("NB_MEN_PAUV"));
        }
        other => panic!("{other:?}"),
    }

    // Without the frozen baseline, a project indicator has no T0 (its live value is not used);
    // a typed T0 is kept and marked « saisi ».
    let no_t0 = indicator_t0(None, &grigny, &indicator("Taux", "TP60", "20"));
    assert!(
        matches!(&no_t0, T0::Missing(w) if w.contains("aucun T0 figé")),
        "{no_t0:?}"
    );
    let mut typed = indicator("Consultations", "", "160");
    typed.t0_typed = "0".into();
    let t = indicator_t0(Some(baseline), &grigny, &typed);
    assert_eq!(t, T0::Typed("0".into()));
    assert_eq!(t.origin(), "saisi");
}

fn messages(
    proposals: &[Proposal],
    baseline: Option<&cartosol::baseline::Baseline>,
) -> Vec<String> {
    completeness(proposals, baseline)
        .into_iter()
        .map(|g| g.message)
        .collect()
}

#[test]
fn completeness_messages_appear_and_disappear_as_the_proposal_is_filled() {
    let (_dir, project) = frozen_copy("completude");
    let baseline = project.file.t0.as_ref();
    let mut p = Proposal {
        axis: 2,
        title: "Garde d'enfants pour les parents en insertion".into(),
        actor: "France Travail".into(),
        indicators: vec![indicator("Parents accompagnés", "", "")],
        ..Proposal::default()
    };
    let mut all = vec![p.clone()];
    let m = messages(&all, baseline);
    let who = "Axe 2, « Garde d'enfants pour les parents en insertion »";
    for expected in [
        "Axe 1 : 0 proposition(s), il en faut au moins 2".to_owned(),
        "Axe 2 : 1 proposition(s), il en faut au moins 2".to_owned(),
        format!("{who} : aucun besoin lié (zones ou indicateurs du diagnostic)"),
        format!(
            "{who} : indicateur « Parents accompagnés » sans T0 (T0 à saisir (indicateur hors projet))"
        ),
        format!("{who} : indicateur « Parents accompagnés » sans cible"),
    ] {
        assert!(m.contains(&expected), "{expected} absent de {m:#?}");
    }

    // Fill the need, the typed T0 and the target: those three messages go.
    p.need = need(&["91286"], &["TP60"]);
    p.indicators[0].t0_typed = "0".into();
    p.indicators[0].target = "150".into();
    all[0] = p.clone();
    let m = messages(&all, baseline);
    assert!(!m.iter().any(|x| x.starts_with(who)), "{m:#?}");
    assert!(m.contains(&"Axe 2 : 1 proposition(s), il en faut au moins 2".to_owned()));

    // A second proposal on the axis: the axis message goes, the new one's own appear.
    all.push(Proposal {
        axis: 2,
        title: "Mobilité".into(),
        need: need(&[], &["PART_MEN_SANS_VOITURE"]),
        indicators: vec![indicator(
            "Ménages sans voiture",
            "PART_MEN_SANS_VOITURE",
            "",
        )],
        ..Proposal::default()
    });
    let m = messages(&all, baseline);
    assert!(!m.iter().any(|x| x.starts_with("Axe 2 :")), "{m:#?}");
    assert!(m.contains(
        &"Axe 2, « Mobilité » : indicateur « Ménages sans voiture » sans cible".to_owned()
    ));
    // Its T0 is computed from the baseline (no "sans T0" message)...
    assert!(
        !m.iter()
            .any(|x| x.contains("« Ménages sans voiture » sans T0")),
        "{m:#?}"
    );
    // ...but not without it.
    let m = messages(&all, None);
    assert!(
        m.iter()
            .any(|x| x.contains("« Ménages sans voiture » sans T0 (aucun T0 figé")),
        "{m:#?}"
    );
}

#[test]
fn need_criterion_is_written_from_the_figures_and_the_scheme() {
    let project = open_project(&sample_dir().join("essonne.cartosol.json")).unwrap();
    let p = &project.file.proposals[0];
    let text = need_criterion_text(&project, p).unwrap();
    // Grigny's TP60 from the workbook, French decimal comma.
    let grigny = workbook_cell("91286", "TP60");
    let shown = format!("{grigny}").replace('.', ",");
    assert!(text.contains(&format!("Grigny {shown}")), "{text}");
    // Secret communes leave the commune layer's territory figure incomplete: the EPCI's,
    // computed on the complete figures, stands for the département.
    assert!(
        text.contains("pour le département (ensemble de la couche « EPCI de l'Essonne »)"),
        "{text}"
    );
    // The scheme's verdict by the schemes table's rule.
    let c = cartosol::analysis::schemes::compute_row(
        &project,
        &cartosol::analysis::schemes::SchemesSpec::default(),
        &cartosol::analysis::schemes::SchemeRow {
            name: "PMI".into(),
            theme: "PMI".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(text.contains(&format!("Dispositif « PMI » (absent du tableau des dispositifs : thème « PMI » de la couche de services) : {}", c.verdict.label())), "{text}");
    assert!(text.contains("au-delà de 10 km"), "{text}");
}

#[test]
fn workbook_has_a_sheet_per_axis_and_docx_holds_title_table_and_map() {
    let (dir, mut project) = frozen_copy("export");
    let out = dir.join("fiches.xlsx");
    write_proposals_workbook(&project, &out, &SecrecyGuard::default()).unwrap();
    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    let names = wb.sheet_names().to_vec();
    for n in ["Axe 1", "Axe 2", "Axe 3", "Axe 4", "À compléter"] {
        assert!(names.iter().any(|s| s == n), "{n} absent de {names:?}");
    }
    let axis1 = wb.worksheet_range("Axe 1").unwrap();
    let rows: Vec<&[Data]> = axis1.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    // Two proposals of two indicators each.
    assert_eq!(rows.len(), 1 + 4);
    let tp60 = rows
        .iter()
        .find(|r| text(&r[col("code_indicateur")]) == "TP60")
        .unwrap();
    let poor = workbook_cell("91286", "NB_MEN_PAUV") + workbook_cell("91228", "NB_MEN_PAUV");
    let households = workbook_cell("91286", "NBMENFISC") + workbook_cell("91228", "NBMENFISC");
    match &tp60[col("t0")] {
        Data::Float(x) => assert!((x - 100.0 * poor / households).abs() < 1e-9),
        other => panic!("{other:?}"),
    }
    assert!(
        tp60[col("origine_t0")]
            .to_string()
            .contains("T0 figé le 30/03/2026")
    );
    let axis3 = wb.worksheet_range("Axe 3").unwrap();
    assert_eq!(axis3.rows().count(), 1 + 1);
    let gaps = wb.worksheet_range("À compléter").unwrap();
    let gap_texts: Vec<String> = gaps.rows().skip(1).map(|r| r[2].to_string()).collect();
    assert!(gap_texts.contains(&"Axe 4 : 0 proposition(s), il en faut au moins 2".to_owned()));

    // One DOCX per proposal.
    let docs = dir.join("fiches");
    let files =
        write_proposal_documents(&mut project, &docs, &ProposalExportOptions::default()).unwrap();
    // A DOCX (editable) then a PDF for each of the 3 proposals.
    assert_eq!(files.len(), 6);
    for pdf in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "pdf"))
    {
        let info = std::process::Command::new("pdfinfo")
            .arg(pdf)
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
        let text = std::process::Command::new("pdftotext")
            .arg(pdf)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&text.stdout);
        for expected in [
            "Indicateurs de moyens et de résultats",
            "Origine du T0",
            "1. Besoin non ou partiellement couvert",
            "Données FICTIVES",
        ] {
            assert!(
                text.contains(expected),
                "{expected} absent de {}",
                pdf.display()
            );
        }
    }
    let files: Vec<_> = files
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "docx"))
        .collect();
    let first = &files[0];
    assert!(
        first
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("axe1-01-consultations-pmi")
    );
    let mut zip = zip::ZipArchive::new(std::fs::File::open(first).unwrap()).unwrap();
    let mut doc = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut doc)
        .unwrap();
    assert!(doc.contains("Consultations PMI délocalisées à Grigny et Évry-Courcouronnes (FICTIF)"));
    assert!(doc.contains("<w:tbl>"));
    for h in [
        "Indicateur",
        "Origine du T0",
        "Cible",
        "Échéance",
        "Taux de pauvreté des communes ciblées",
        "Consultations PMI délocalisées par an",
        "saisi",
    ] {
        assert!(doc.contains(&format!(">{h}<")), "{h} absent du tableau");
    }
    let t0_text = cartosol::analysis::proposals::format_value(100.0 * poor / households);
    assert!(doc.contains(&format!(">{t0_text}<")), "T0 {t0_text} absent");
    assert!(doc.contains("r:embed=\"rIdCarte\""));
    let mut rels = String::new();
    zip.by_name("word/_rels/document.xml.rels")
        .unwrap()
        .read_to_string(&mut rels)
        .unwrap();
    assert!(rels.contains("Target=\"media/carte_besoin.png\""));
    let mut png = Vec::new();
    zip.by_name("word/media/carte_besoin.png")
        .unwrap()
        .read_to_end(&mut png)
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (NEED_MAP_WIDTH_PX, NEED_MAP_HEIGHT_PX));
    // The project's own map is left as it was.
    assert_eq!(project.file.map.zones, "epci");
}

#[test]
fn cli_prints_the_gaps_and_exits_zero() {
    let dir = temp_sample("cli");
    let out = dir.join("fiches.xlsx");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .arg("pistes")
        .arg(dir.join("essonne.cartosol.json"))
        .arg("--out")
        .arg(&out)
        .arg("--documents")
        .arg(dir.join("docs"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("attention : Axe 2 : 0 proposition(s), il en faut au moins 2"),
        "{stderr}"
    );
    assert!(
        stderr.contains("« Permanences France Services itinérantes (FICTIF) » : aucun besoin lié"),
        "{stderr}"
    );
    assert!(out.exists());
    // A DOCX and a PDF per proposal.
    assert_eq!(std::fs::read_dir(dir.join("docs")).unwrap().count(), 6);
}

#[test]
fn a_small_count_of_one_commune_leaves_masked() {
    let (dir, mut project) = frozen_copy("secret");
    // Abbéville-la-Rivière has 9 single-parent families in the workbook: under the threshold.
    assert_eq!(workbook_cell("91001", "NB_FAM_MONO"), 9.0);
    project.file.proposals = vec![Proposal {
        axis: 1,
        title: "Petite commune".into(),
        need: need(&["91001"], &["NB_FAM_MONO"]),
        indicators: vec![indicator("Familles monoparentales", "NB_FAM_MONO", "5")],
        ..Proposal::default()
    }];
    let sheet_t0 = |guard: &SecrecyGuard, name: &str| -> (Data, String) {
        let out = dir.join(name);
        write_proposals_workbook(&project, &out, guard).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
        let range = wb.worksheet_range("Axe 1").unwrap();
        let rows: Vec<&[Data]> = range.rows().collect();
        let header: Vec<String> = rows[0].iter().map(text).collect();
        let col = |n: &str| header.iter().position(|h| h == n).unwrap();
        (
            rows[1][col("t0")].clone(),
            text(&rows[1][col("origine_t0")]),
        )
    };
    // Marked as a count of persons by the user: masked.
    let guard = SecrecyGuard {
        marked: vec!["NB_FAM_MONO".into()],
        ..SecrecyGuard::default()
    };
    let (t0, origin) = sheet_t0(&guard, "masque.xlsx");
    assert!(!matches!(t0, Data::Float(_) | Data::Int(_)), "{t0:?}");
    assert_eq!(
        origin,
        "secret statistique : effectif inférieur à 11, masqué"
    );
    // Not marked: shown.
    let (t0, _) = sheet_t0(&SecrecyGuard::default(), "visible.xlsx");
    assert_eq!(t0, Data::Float(9.0));
    // The DOCX masks it too.
    let p = project.file.proposals[0].clone();
    let bytes = cartosol::export::proposals::proposal_docx(&project, &p, None, &guard).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut doc = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut doc)
        .unwrap();
    assert!(doc.contains(">secret statistique : effectif inférieur à 11, masqué<"));
    assert!(!doc.contains(">9<"));
}
