//! GeoParquet: written by `cartosol export` / `coverage` and by the layer writers, read back as
//! zones and points (codes as text, geometries reprojected), read by GeoPandas/pyarrow and
//! DuckDB-spatial (tests/data/geoparquet/check_geoparquet.py, when its venv exists), files of
//! other tools read, and hostile bytes refused without a panic.

use cartosol::error::LoadError;
use cartosol::export::data::{DataExportOptions, DataFormat, Geometries, write_layer};
use cartosol::export::secrecy::{SecrecyGuard, ZoneLevel};
use cartosol::model::{Field, FieldKind, Table};
use cartosol::points::{PointOptions, load_points};
use cartosol::value::{Missing, Value, ValueRef};
use cartosol::zones::{ZoneOptions, load_zones};
use geo::{LineString, MultiPolygon, Point, Polygon};
use std::path::{Path, PathBuf};
use std::process::Command;

const PYTHON: &str = "/tmp/venv-parquet/bin/python";
const SCRIPT: &str = "tests/data/geoparquet/check_geoparquet.py";

fn tmp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("cartosol-geoparquet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn square(lon: f64, lat: f64, d: f64) -> LineString {
    LineString::from(vec![
        (lon, lat),
        (lon + d, lat),
        (lon + d, lat + d),
        (lon, lat + d),
        (lon, lat),
    ])
}

/// Three zones: Évry with a hole, two islands in Corsica, one square in the Ain.
fn zones() -> Vec<MultiPolygon> {
    vec![
        MultiPolygon::new(vec![Polygon::new(
            square(2.40, 48.60, 0.05),
            vec![square(2.42, 48.62, 0.01)],
        )]),
        MultiPolygon::new(vec![
            Polygon::new(square(8.70, 41.90, 0.03), vec![]),
            Polygon::new(square(8.80, 41.95, 0.02), vec![]),
        ]),
        MultiPolygon::new(vec![Polygon::new(square(5.20, 46.19, 0.04), vec![])]),
    ]
}

fn text(name: &str, values: &[&str]) -> Field {
    Field {
        name: name.to_owned(),
        kind: FieldKind::Text,
        values: values
            .iter()
            .map(|v| Value::Text((*v).to_owned()))
            .collect(),
    }
}

fn numbers(name: &str, values: &[Option<f64>]) -> Field {
    Field {
        name: name.to_owned(),
        kind: FieldKind::Number,
        values: values
            .iter()
            .map(|v| v.map_or(Value::Missing(Missing::Secret), Value::Number))
            .collect(),
    }
}

fn attributes() -> Table {
    Table {
        fields: vec![
            text("code", &["91228", "2A004", "01053"]),
            text("nom", &["Évry-Courcouronnes", "Ajaccio", "Bourg-en-Bresse"]),
            numbers(
                "POPULATION",
                &[Some(52_000.0), Some(71_000.0), Some(41_000.0)],
            ),
            numbers("TP60", &[Some(21.5), None, Some(14.25)]),
        ],
        row_origin: vec![1, 2, 3],
    }
}

fn write(table: &Table, geometries: Geometries<'_>, path: &Path) {
    write_layer(
        table,
        geometries,
        ZoneLevel::Aggregate,
        "zones",
        path,
        DataFormat::from_path(path).expect("format"),
        &DataExportOptions::default(),
        &SecrecyGuard::default(),
    )
    .expect("GeoParquet written");
}

fn field<'a>(table: &'a Table, name: &str) -> &'a Field {
    table.field(name).unwrap_or_else(|| panic!("field {name}"))
}

#[test]
fn zones_come_back_with_codes_as_text_and_the_same_outlines() {
    let dir = tmp_dir("zones");
    let path = dir.join("zones.parquet");
    let geometries = zones();
    write(&attributes(), Geometries::Zones(&geometries), &path);
    let layer = load_zones(&path, &ZoneOptions::default()).expect("read back");
    assert_eq!(layer.source.format, "GeoParquet");
    assert_eq!(
        layer.source.crs.as_deref(),
        Some("EPSG:2154 (RGF93 / Lambert-93)")
    );
    let code = field(&layer.attributes, "code");
    assert_eq!(code.kind, FieldKind::Text);
    let codes: Vec<String> = code.values.iter().map(|v| v.to_string()).collect();
    assert_eq!(codes, ["91228", "2A004", "01053"]);
    let population = field(&layer.attributes, "POPULATION");
    assert_eq!(population.kind, FieldKind::Number);
    assert_eq!(
        population.values.to_values(),
        [52_000.0, 71_000.0, 41_000.0].map(Value::Number)
    );
    // The secret rate is a null in the file: missing when read back.
    let rate = field(&layer.attributes, "TP60");
    assert_eq!(rate.values.get(0).unwrap(), Value::Number(21.5));
    assert!(matches!(rate.values.get(1).unwrap(), ValueRef::Missing(_)));
    assert_eq!(rate.values.get(2).unwrap(), Value::Number(14.25));
    // Lambert-93 and back: every vertex within 1e-9 degree (0.1 mm), holes and islands kept.
    assert_eq!(layer.geometries.len(), 3);
    for (read, written) in layer.geometries.iter().zip(&geometries) {
        assert_eq!(read.0.len(), written.0.len());
        for (p, q) in read.0.iter().zip(&written.0) {
            assert_eq!(p.interiors().len(), q.interiors().len());
            let rings = std::iter::once(p.exterior())
                .chain(p.interiors())
                .zip(std::iter::once(q.exterior()).chain(q.interiors()));
            for (a, b) in rings {
                assert_eq!(a.0.len(), b.0.len());
                for (c, d) in a.coords().zip(b.coords()) {
                    assert!(
                        (c.x - d.x).abs() < 1e-9 && (c.y - d.y).abs() < 1e-9,
                        "{c:?} vs {d:?}"
                    );
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_file_declares_geoparquet_metadata_and_string_codes() {
    use parquet::basic::{LogicalType, Type};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let dir = tmp_dir("meta");
    let path = dir.join("zones.parquet");
    let geometries = zones();
    write(&attributes(), Geometries::Zones(&geometries), &path);
    let reader =
        SerializedFileReader::new(std::fs::File::open(&path).expect("open")).expect("parquet");
    let meta = reader.metadata().file_metadata();
    let geo = meta
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == "geo"))
        .and_then(|k| k.value.clone())
        .expect("geo metadata");
    let geo: serde_json::Value = serde_json::from_str(&geo).expect("json");
    assert_eq!(geo["version"], "1.1.0");
    assert_eq!(geo["primary_column"], "geometry");
    let column = &geo["columns"]["geometry"];
    assert_eq!(column["encoding"], "WKB");
    assert_eq!(
        column["geometry_types"],
        serde_json::json!(["MultiPolygon"])
    );
    assert_eq!(column["crs"]["id"]["authority"], "EPSG");
    assert_eq!(column["crs"]["id"]["code"], 2154);
    assert_eq!(column["crs"]["type"], "ProjectedCRS");
    // The box of the three zones in Lambert-93: Ain to Corsica, west to east.
    let bbox: Vec<f64> = column["bbox"]
        .as_array()
        .expect("bbox")
        .iter()
        .filter_map(serde_json::Value::as_f64)
        .collect();
    assert_eq!(bbox.len(), 4);
    assert!(bbox[0] > 600_000.0 && bbox[0] < 700_000.0, "{bbox:?}"); // Évry's west edge
    assert!(bbox[2] > 1_170_000.0 && bbox[2] < 1_230_000.0, "{bbox:?}"); // Corsica's east
    assert!(bbox[1] > 6_100_000.0 && bbox[3] < 6_900_000.0, "{bbox:?}");
    let schema = meta.schema_descr();
    let column = |name: &str| {
        schema
            .columns()
            .iter()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| panic!("column {name}"))
            .clone()
    };
    assert_eq!(column("code").physical_type(), Type::BYTE_ARRAY);
    assert_eq!(
        column("code").logical_type_ref(),
        Some(&LogicalType::String)
    );
    assert_eq!(column("POPULATION").physical_type(), Type::INT64);
    assert_eq!(column("TP60").physical_type(), Type::DOUBLE);
    assert_eq!(column("geometry").physical_type(), Type::BYTE_ARRAY);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn points_come_back_as_points() {
    let dir = tmp_dir("points");
    let path = dir.join("services.parquet");
    let positions = vec![
        Some(Point::new(2.4413, 48.6238)),
        None,
        Some(Point::new(8.7369, 41.9192)),
    ];
    let table = Table {
        fields: vec![
            text("code_commune", &["91228", "91001", "2A004"]),
            text(
                "dispositif",
                &["France Services", "France Services", "CCAS"],
            ),
        ],
        row_origin: vec![1, 2, 3],
    };
    write(&table, Geometries::Points(&positions), &path);
    let kind = cartosol::inspect::content_kind(&path).expect("kind");
    assert_eq!(kind, cartosol::inspect::ContentKind::Points);
    let layer = load_points(&path, &PointOptions::default()).expect("points");
    assert_eq!(layer.len(), 3);
    assert!(layer.positions[1].is_none());
    for (read, written) in layer.positions.iter().zip(&positions) {
        if let (Some(a), Some(b)) = (read, written) {
            assert!((a.x() - b.x()).abs() < 1e-9 && (a.y() - b.y()).abs() < 1e-9);
        }
    }
    let codes: Vec<String> = field(&layer.attributes, "code_commune")
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(codes, ["91228", "91001", "2A004"]);
    // A zone file said to hold points is refused, and the other way round.
    let e = load_zones(&path, &ZoneOptions::default()).expect_err("points are not zones");
    assert!(
        e.to_string()
            .contains("entité 1 : colonne « geometry » : géométrie de type Point"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn cartosol(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cartosol"))
        .args(args)
        .output()
        .expect("run cartosol")
}

/// The zones and services of the coverage run, as files a user would give.
fn coverage_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let zones_path = dir.join("zones.geojson");
    let mut features = Vec::new();
    for (mp, (code, pop)) in
        zones()
            .iter()
            .zip([("91228", 52_000), ("2A004", 71_000), ("01053", 41_000)])
    {
        let polygons: Vec<serde_json::Value> =
            mp.0.iter()
                .map(|p| {
                    let ring = |r: &LineString| -> serde_json::Value {
                        r.coords().map(|c| serde_json::json!([c.x, c.y])).collect()
                    };
                    std::iter::once(ring(p.exterior()))
                        .chain(p.interiors().iter().map(ring))
                        .collect()
                })
                .collect();
        features.push(serde_json::json!({
            "type": "Feature",
            "properties": {"INSEE_COM": code, "NOM": format!("zone {code}"), "POPULATION": pop},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons},
        }));
    }
    let doc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(&zones_path, doc.to_string()).expect("zones");
    let points_path = dir.join("services.csv");
    std::fs::write(
        &points_path,
        "nom;dispositif;longitude;latitude\r\n\
         Evry 1;France Services;2.41;48.61\r\n\
         Evry 2;France Services;2.44;48.64\r\n\
         Ajaccio;France Services;8.71;41.91\r\n\
         Bourg;CCAS;5.21;46.20\r\n",
    )
    .expect("points");
    (zones_path, points_path)
}

#[test]
fn export_and_coverage_write_geoparquet_that_comes_back_as_a_layer() {
    let dir = tmp_dir("cli");
    let (zones_path, points_path) = coverage_inputs(&dir);
    let coverage_out = dir.join("couverture.parquet");
    let out = cartosol(&[
        "coverage",
        "--zones",
        zones_path.to_str().unwrap_or_default(),
        "--points",
        points_path.to_str().unwrap_or_default(),
        "--theme",
        "France Services",
        "--out",
        coverage_out.to_str().unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("GeoParquet (Lambert-93) : 3 ligne(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let layer = load_zones(&coverage_out, &ZoneOptions::default()).expect("coverage back");
    let codes: Vec<String> = layer.attributes.fields[0]
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(codes, ["91228", "2A004", "01053"]);
    assert_eq!(layer.attributes.fields[0].kind, FieldKind::Text);
    assert_eq!(layer.geometries.len(), 3);

    let export_out = dir.join("communes.parquet");
    let out = cartosol(&[
        "export",
        "sample_data/essonne.cartosol.json",
        "--layer",
        "communes",
        "--out",
        export_out.to_str().unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let communes = load_zones(&export_out, &ZoneOptions::default()).expect("communes back");
    let source = load_zones(
        Path::new("sample_data/essonne/communes.geojson"),
        &ZoneOptions::default(),
    )
    .expect("source");
    assert_eq!(communes.len(), source.len());
    let inspect = cartosol(&["inspect", export_out.to_str().unwrap_or_default()]);
    assert!(inspect.status.success());
    let report = String::from_utf8_lossy(&inspect.stdout);
    assert!(report.contains("zones (polygones)"), "{report}");
    assert!(report.contains("INSEE_COM"), "{report}");

    // The independent readers, when their venv is there.
    if !Path::new(PYTHON).exists() {
        println!(
            "vérification GeoPandas/DuckDB sautée : {PYTHON} absent (voir {SCRIPT} pour \
             l'installer)"
        );
        let _ = std::fs::remove_dir_all(dir);
        return;
    }
    for (file, source, code, expected) in [
        (
            &coverage_out,
            zones_path.clone(),
            "code",
            Some(vec!["91228", "2A004", "01053"]),
        ),
        (
            &export_out,
            PathBuf::from("sample_data/essonne/communes.geojson"),
            "INSEE_COM",
            None,
        ),
    ] {
        let out = Command::new(PYTHON)
            .args([SCRIPT, "check"])
            .arg(file)
            .arg(&source)
            .arg(code)
            .arg("INSEE_COM")
            .output()
            .expect("python");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let seen: serde_json::Value = serde_json::from_slice(&out.stdout).expect("script JSON");
        assert_eq!(seen["version"], "1.1.0");
        assert_eq!(seen["encoding"], "WKB");
        assert_eq!(seen["geopandas_crs"], "EPSG:2154");
        assert_eq!(seen["arrow_code_type"], "string");
        assert_eq!(seen["duckdb_code_type"], "VARCHAR");
        // DuckDB reads the CRS from the metadata.
        assert_eq!(seen["duckdb_geometry_type"], "GEOMETRY('EPSG:2154')");
        let features = seen["features"].as_array().expect("features");
        assert!(!features.is_empty());
        let mut worst_source = 0.0f64;
        for f in features {
            assert_eq!(f["code_is_str"], true, "{f}");
            assert_eq!(f["duckdb_code_is_str"], true, "{f}");
            assert_eq!(f["code"], f["duckdb_code"], "{f}");
            let a = f["area_geopandas"].as_f64().expect("area");
            let b = f["area_duckdb"].as_f64().expect("area");
            let s = f["area_source"].as_f64().expect("source area");
            assert!(a > 0.0);
            // The same file read by two engines: the same area to 1e-9.
            assert!(((a - b) / a).abs() < 1e-9, "{f}");
            worst_source = worst_source.max(((a - s) / s).abs());
        }
        // CartoSol's projection (proj4rs) against PROJ's, on the source outlines.
        assert!(
            worst_source < 1e-9,
            "aire relative à PROJ : {worst_source:e}"
        );
        if let Some(expected) = expected {
            let codes: Vec<&str> = features.iter().filter_map(|f| f["code"].as_str()).collect();
            assert_eq!(codes, expected);
        }
        println!(
            "{} : {} entités relues par GeoPandas et DuckDB, écart d'aire à PROJ ≤ {worst_source:e}",
            file.display(),
            features.len()
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn files_of_duckdb_and_geopandas_are_read_and_foreign_crs_reprojected() {
    if !Path::new(PYTHON).exists() {
        println!("fichiers DuckDB/GeoPandas sautés : {PYTHON} absent (voir {SCRIPT})");
        return;
    }
    let dir = tmp_dir("foreign");
    let out = Command::new(PYTHON)
        .args([SCRIPT, "write"])
        .arg(&dir)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");

    // DuckDB's points (CRS84, no crs member), one without a position.
    let points = load_points(&dir.join("duckdb_points.parquet"), &PointOptions::default())
        .expect("DuckDB points");
    assert_eq!(points.len(), 4);
    let codes: Vec<String> = field(&points.attributes, "code")
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(codes, ["91228", "2A004", "01053", "99999"]);
    assert!(points.positions[3].is_none());
    for (p, e) in points
        .positions
        .iter()
        .zip(expected["points"].as_array().expect("points"))
    {
        let p = p.expect("position");
        assert!((p.x() - e["lon"].as_f64().unwrap_or(f64::NAN)).abs() < 1e-12);
        assert!((p.y() - e["lat"].as_f64().unwrap_or(f64::NAN)).abs() < 1e-12);
    }

    // GeoPandas' zones in ETRS89-LAEA (EPSG:3035): reprojected as PROJ does, to 1e-8 degree.
    let laea =
        load_zones(&dir.join("laea_zones.parquet"), &ZoneOptions::default()).expect("LAEA zones");
    assert!(
        laea.source
            .crs
            .as_deref()
            .unwrap_or("")
            .starts_with("EPSG:3035"),
        "{:?}",
        laea.source.crs
    );
    for (zone, e) in laea
        .geometries
        .iter()
        .zip(expected["zones"].as_array().expect("zones"))
    {
        assert_eq!(zone.0.len() as u64, e["parts"].as_u64().unwrap_or(0));
        let first = zone.0[0].exterior().0[0];
        let v = &e["first_vertex"];
        assert!(
            (first.x - v[0].as_f64().unwrap_or(f64::NAN)).abs() < 1e-8
                && (first.y - v[1].as_f64().unwrap_or(f64::NAN)).abs() < 1e-8,
            "{first:?} vs {v}"
        );
    }
    let codes: Vec<String> = field(&laea.attributes, "code")
        .values
        .iter()
        .map(|v| v.to_string())
        .collect();
    assert_eq!(codes, ["91228", "2A004", "01053"]);

    // ZSTD pages and an unnamed CRS: refused, saying why.
    let e = load_zones(&dir.join("zstd_zones.parquet"), &ZoneOptions::default()).expect_err("zstd");
    assert!(
        e.to_string()
            .contains("groupe de lignes 1, colonne « code » : compression ZSTD")
            && e.to_string().contains("compression='snappy'"),
        "{e}"
    );
    let e = load_zones(&dir.join("custom_crs.parquet"), &ZoneOptions::default())
        .expect_err("custom CRS");
    assert!(matches!(e, LoadError::UnknownCrs { .. }), "{e}");
    assert!(e.to_string().contains("sans identifiant EPSG"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn hostile_bytes_give_errors_never_a_panic() {
    let dir = tmp_dir("hostile");
    let good = dir.join("good.parquet");
    let geometries = zones();
    write(&attributes(), Geometries::Zones(&geometries), &good);
    let bytes = std::fs::read(&good).expect("bytes");
    let bad = dir.join("bad.parquet");
    let mut outcomes = (0usize, 0usize, 0usize); // ok, error, guarded panic
    let mut check = |data: &[u8]| {
        std::fs::write(&bad, data).expect("write");
        for result in [
            load_zones(&bad, &ZoneOptions::default()).map(|_| ()),
            load_points(&bad, &PointOptions::default()).map(|_| ()),
        ] {
            match result {
                Ok(()) => outcomes.0 += 1,
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.starts_with(&bad.display().to_string()), "{text}");
                    if text.contains("structure interne incohérente") {
                        outcomes.2 += 1;
                    } else {
                        outcomes.1 += 1;
                    }
                }
            }
        }
    };
    // Cut at every length.
    for len in 0..bytes.len() {
        check(&bytes[..len]);
    }
    // One bit flipped, at positions spread over the whole file.
    let mut seed: u64 = 0x002A_0049_1001;
    for _ in 0..3_000 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let at = (seed >> 33) as usize % bytes.len();
        let bit = (seed >> 29) as u8 & 7;
        let mut data = bytes.clone();
        data[at] ^= 1 << bit;
        check(&data);
    }
    println!(
        "octets hostiles : {} lectures réussies, {} erreurs, {} paniques rattrapées",
        outcomes.0, outcomes.1, outcomes.2
    );
    // The checks before the Parquet library reads a column leave it nothing to panic on here
    // (a cut length prefix in a dictionary page made it assert before they were added).
    assert_eq!(outcomes.2, 0, "panics caught by the guard");
    let e = load_zones(
        &good.with_file_name("absent.parquet"),
        &ZoneOptions::default(),
    )
    .expect_err("absent");
    assert!(e.to_string().contains("absent.parquet"), "{e}");
    std::fs::write(&bad, &bytes[..bytes.len() - 3]).expect("write");
    let e = load_zones(&bad, &ZoneOptions::default()).expect_err("truncated");
    assert_eq!(
        e.to_string(),
        format!(
            "{} : fichier Parquet tronqué ou chiffré (signature de fin « PAR1 » absente)",
            bad.display()
        )
    );
    std::fs::write(&bad, b"code;nom\r\n91001;Abbeville\r\n").expect("write");
    let e = load_zones(&bad, &ZoneOptions::default()).expect_err("csv");
    assert!(e.to_string().contains("du texte"), "{e}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_table_larger_than_the_read_limit_is_refused_before_it_is_read() {
    let dir = tmp_dir("limit");
    let path = dir.join("many.parquet");
    let n: u32 = 20_000;
    let positions: Vec<Option<Point>> = (0..n)
        .map(|i| Some(Point::new(2.0 + f64::from(i) * 1e-5, 48.5)))
        .collect();
    let table = Table {
        fields: vec![Field {
            name: "code".into(),
            kind: FieldKind::Text,
            values: (0..n).map(|i| Value::Text(format!("{i:05}"))).collect(),
        }],
        row_origin: (1..=u64::from(n)).collect(),
    };
    write(&table, Geometries::Points(&positions), &path);
    // 20,000 rows × 2 columns at 128 bytes a cell need 5 MB: refused under a 1 MB limit (in
    // a process of its own: the limit is process-wide).
    let out = cartosol(&[
        "inspect",
        path.to_str().unwrap_or_default(),
        "--limite-memoire",
        "1",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "many.parquet : la table (20000 lignes × 2 colonnes) dépasse la limite de lecture (1 Mo)"
        ),
        "{stderr}"
    );
    let layer = load_points(&path, &PointOptions::default()).expect("under the default limit");
    assert_eq!(layer.len(), 20_000);
    assert_eq!(
        layer.attributes.fields[0].values.get(7).unwrap(),
        Value::Text("00007".into())
    );
    let _ = std::fs::remove_dir_all(dir);
}
