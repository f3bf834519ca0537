//! The FICTIF Essonne 200 m grid as a zone layer of a project (issue 12 §3): the layer holds
//! the CSV's values as they are (read here with a plain split), and the coverage of that
//! layer counts each service in the square its position falls in (found here from the
//! square's id: the position in EPSG:3035 floored to 200 m).

use cartosol::analysis::{CoverageOptions, coverage};
use cartosol::crs::{Crs, FromWgs84};
use cartosol::project::open_project;
use cartosol::value::ValueRef;
use std::collections::HashMap;
use std::path::PathBuf;

const GRID: &str = "sample_data/carreaux_200m_essonne_FICTIF.csv";
const SERVICES: &str = "sample_data/services_essonne_FICTIF.csv";

fn grid_project() -> cartosol::project::Project {
    let root = std::env::current_dir().unwrap();
    // One folder per call: the tests run in parallel and each writes its project file.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "cartosol-grid-project-{}-{call}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("carreaux.cartosol.json");
    std::fs::write(
        &path,
        format!(
            r#"{{"cartosol": 1, "title": "Carreaux", "sources_note": "",
            "zones": [{{"id": "carreaux", "name": "Carreaux", "source": {:?},
                        "code_field": "Idcar_200m", "name_field": "Idcar_200m"}},
                      {{"id": "communes", "name": "Communes", "source": {:?},
                        "code_field": "INSEE_COM", "name_field": "NOM",
                        "population_field": "POPULATION"}}],
            "tables": [],
            "points": [{{"id": "services", "name": "Services", "source": {:?},
                         "theme_field": "dispositif"}}],
            "map": {{"zones": "carreaux", "indicator": "Men_pauv"}}, "views": []}}"#,
            root.join(GRID).to_str().unwrap(),
            root.join("sample_data/essonne/communes.geojson")
                .to_str()
                .unwrap(),
            root.join(SERVICES).to_str().unwrap(),
        ),
    )
    .unwrap();
    open_project(&PathBuf::from(&path)).unwrap()
}

#[test]
fn the_grid_layer_holds_the_csv_values_as_they_are() {
    let project = grid_project();
    let layer = &project.zones[0].1;
    let text = std::fs::read_to_string(GRID).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(layer.len(), rows.len());
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    // The ids, in the file's order.
    let ids = &layer.attributes.field("Idcar_200m").unwrap().values;
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(ids.get(i).unwrap().to_string(), row[column("Idcar_200m")]);
    }
    // Every count as in the file; an empty cell is missing, never 0.
    for name in [
        "Ind", "Men", "Men_pauv", "Men_fmp", "Ind_snv", "Log_soc", "Ind_80p",
    ] {
        let values = &layer.attributes.field(name).unwrap().values;
        let c = column(name);
        for (i, row) in rows.iter().enumerate() {
            match (row[c].trim(), values.get(i).unwrap()) {
                ("", ValueRef::Missing(_)) => {}
                (raw, ValueRef::Number(x)) => assert_eq!(raw.parse::<f64>().unwrap(), x),
                (raw, v) => panic!("{name}, row {i}: {raw:?} read as {v:?}"),
            }
        }
    }
    // The imputation flag, and the communes a square touches (5-character codes).
    let flags = &layer.attributes.field("I_est_200").unwrap().values;
    let communes = &layer.attributes.field("lcog_geo").unwrap().values;
    for (i, row) in rows.iter().enumerate() {
        let flag: f64 = row[column("I_est_200")].parse().unwrap();
        assert_eq!(flags.get(i).unwrap(), ValueRef::Number(flag));
        let raw = row[column("lcog_geo")];
        let codes: Vec<&str> = (0..raw.len() / 5).map(|k| &raw[k * 5..k * 5 + 5]).collect();
        assert_eq!(communes.get(i).unwrap().to_string(), codes.join(" "));
    }
}

#[test]
fn the_coverage_of_the_grid_layer_counts_each_service_in_its_square() {
    let project = grid_project();
    let squares = &project.zones[0].1;
    let communes = &project.zones[1].1;
    let services = &project.points[0].1;
    let result = coverage(
        squares,
        communes,
        services,
        &CoverageOptions {
            zone_code_field: Some("Idcar_200m".to_owned()),
            commune_code_field: Some("INSEE_COM".to_owned()),
            ..CoverageOptions::default()
        },
    )
    .unwrap();
    // Independently: each service's square from its position in EPSG:3035, floored to 200 m.
    let to_laea = FromWgs84::new(&Crs::from_epsg(3035).unwrap()).unwrap();
    let text = std::fs::read_to_string(SERVICES).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let lon_i = header.iter().position(|h| *h == "longitude").unwrap();
    let lat_i = header.iter().position(|h| *h == "latitude").unwrap();
    let mut expected: HashMap<String, usize> = HashMap::new();
    let mut positioned = 0;
    for line in lines {
        // The position fields are the two before the telephone, none quoted.
        let cells: Vec<&str> = line.split(';').collect();
        let from_end = header.len() - lon_i;
        let (Ok(lon), Ok(lat)) = (
            cells[cells.len() - from_end].parse::<f64>(),
            cells[cells.len() - (header.len() - lat_i)].parse::<f64>(),
        ) else {
            continue;
        };
        positioned += 1;
        let (e, n) = to_laea.convert(lon, lat).unwrap();
        let id = format!(
            "CRS3035RES200mN{}E{}",
            (n / 200.0).floor() * 200.0,
            (e / 200.0).floor() * 200.0
        );
        *expected.entry(id).or_default() += 1;
    }
    assert!(positioned > 100, "{positioned} services placed");
    let mut counted = 0;
    for z in &result.zones {
        // In-person and remote-only services placed in the square by their position (the
        // file has both; services without a position are counted through their commune code,
        // apart).
        let here = z.services - z.services_by_code + z.services_remote;
        assert_eq!(
            here,
            expected.get(&z.code).copied().unwrap_or(0),
            "square {}",
            z.code
        );
        counted += here;
    }
    // Services in no inhabited square are outside every zone.
    assert!(counted > 0);
    assert_eq!(
        counted + result.services_outside,
        positioned,
        "every positioned service is in one square or outside"
    );
}
