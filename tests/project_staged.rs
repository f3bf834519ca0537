//! Opening a project layer by layer (issue 12 §4): the stages come in the project's order (the
//! file, each zone layer with its joins, each point layer, the dictionary), `open_project` is
//! the same stages collected, and an error in a late stage comes after the stages before it,
//! with the message `open_project` gives.

mod fixtures;

use cartosol::project::{SAMPLE_PROJECT, Stage, open_project, open_project_staged};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The ids of a project's zone layers, tables and point layers, read from its JSON with
/// serde_json (not through the project code).
fn ids(path: &Path) -> (Vec<String>, Vec<String>, Vec<String>) {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let list = |key: &str| -> Vec<String> {
        json[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_owned())
            .collect()
    };
    (list("zones"), list("tables"), list("points"))
}

/// The stages of an opening as text (« zones 0 epci »…), with the tables joined at each zone
/// stage and the number of rows of each layer.
fn stage_names(path: &Path) -> (Vec<String>, Result<(), String>) {
    let mut names = Vec::new();
    let result = open_project_staged(path, |stage| {
        names.push(match stage {
            Stage::File(_) => "fichier".to_owned(),
            Stage::Zones {
                index, spec, joins, ..
            } => {
                let tables: Vec<&str> = joins.iter().map(|(t, _)| t.id.as_str()).collect();
                format!("zones {index} {} [{}]", spec.id, tables.join(" "))
            }
            Stage::Points { index, spec, .. } => format!("points {index} {}", spec.id),
            Stage::Done { .. } => "fin".to_owned(),
        });
        ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string());
    (names, result)
}

#[test]
fn the_stages_come_in_the_projects_order_and_open_project_collects_them() {
    let path = PathBuf::from(SAMPLE_PROJECT);
    let (zones, tables, points) = ids(&path);
    assert_eq!(zones, ["epci", "communes"]);
    assert_eq!(tables, ["panorama_epci", "panorama_communes"]);
    let (names, result) = stage_names(&path);
    result.unwrap();
    assert_eq!(
        names,
        [
            "fichier",
            "zones 0 epci [panorama_epci]",
            "zones 1 communes [panorama_communes]",
            &format!("points 0 {}", points[0]),
            &format!("points 1 {}", points[1]),
            "fin",
        ]
    );

    // The collected project: every layer, in order, joins in the order of the tables.
    let project = open_project(&path).unwrap();
    let zone_ids: Vec<&str> = project.zones.iter().map(|(s, _)| s.id.as_str()).collect();
    assert_eq!(zone_ids, zones);
    let point_ids: Vec<&str> = project.points.iter().map(|(s, _)| s.id.as_str()).collect();
    assert_eq!(point_ids, points);
    let join_ids: Vec<&str> = project.joins.iter().map(|(t, _)| t.id.as_str()).collect();
    assert_eq!(join_ids, tables);
    // Every feature of the files is a zone.
    let rows = |file: &str| {
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(Path::new("sample_data/essonne").join(file)).unwrap(),
        )
        .unwrap();
        json["features"].as_array().unwrap().len()
    };
    assert_eq!(project.zones[0].1.len(), rows("epci.geojson"));
    assert_eq!(project.zones[1].1.len(), rows("communes.geojson"));
    // The joined columns are there: the panorama's fields on the communes.
    assert!(
        project.zones[1].1.attributes.fields.len() > 5,
        "the commune table is joined"
    );
}

#[test]
fn a_stopped_opening_loads_nothing_more() {
    let path = PathBuf::from(SAMPLE_PROJECT);
    let mut seen = Vec::new();
    open_project_staged(&path, |stage| {
        let zones = matches!(stage, Stage::Zones { .. });
        seen.push(zones);
        if zones {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .unwrap();
    assert_eq!(
        seen,
        [false, true],
        "the file, the first zone layer, then nothing"
    );
}

#[test]
fn an_error_in_a_late_stage_comes_after_the_stages_before_it() {
    let dir = std::env::temp_dir().join(format!("cartosol-staged-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let project = fixtures::late_error_project(&dir);
    let (names, result) = stage_names(&project);
    assert_eq!(
        names,
        ["fichier", "zones 0 communes []", "points 0 services"],
        "every stage before the missing file is handed over"
    );
    let message = result.unwrap_err();
    assert!(message.contains("services_disparus.csv"), "{message}");
    // The same error as the whole opening gives.
    let whole = open_project(&project).err().unwrap().to_string();
    assert_eq!(message, whole);
}
