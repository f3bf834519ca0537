//! ESRI Shapefile: `.shp` geometry (through the `shapefile` crate), `.shx`, `.dbf` attributes,
//! `.prj` CRS and `.cpg` encoding, from a folder or from a `.zip`.

use super::dbf::read_dbf;
use super::{Reprojector, ZoneOptions, assemble};
use crate::crs::Crs;
use crate::error::{LoadError, Place, Problem, display_name};
use crate::model::{SourceInfo, ZoneLayer};
use crate::table::typed_table;
use crate::text::encoding_from_cpg;
use geo::MultiPolygon;
use shapefile::{Shape, ShapeReader};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// The files of one shapefile, read into memory.
pub struct ShapefileParts {
    /// The `.shp` path as named to the user (inside a zip: `archive.zip/COMMUNE.shp`).
    pub shp_name: PathBuf,
    /// The bytes of the `.shp` file.
    pub shp: Vec<u8>,
    /// The bytes of the `.shx` index, when present.
    pub shx: Option<Vec<u8>>,
    /// The `.dbf` attributes (path as named to the user, bytes), when present.
    pub dbf: Option<(PathBuf, Vec<u8>)>,
    /// The text of the `.prj` file (WKT of the CRS), when present.
    pub prj: Option<String>,
    /// The text of the `.cpg` file (name of the `.dbf` encoding), when present.
    pub cpg: Option<String>,
}

/// Finds the sibling of `shp` with extension `ext`, whatever the case of either.
fn sibling(shp: &Path, ext: &str) -> Option<PathBuf> {
    let stem = shp.file_stem()?.to_str()?;
    let dir = shp
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let exact = dir.join(format!("{stem}.{ext}"));
    if exact.is_file() {
        return Some(exact);
    }
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_stem().and_then(|s| s.to_str()) == Some(stem)
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        })
}

fn read_opt(path: Option<PathBuf>) -> Result<Option<(PathBuf, Vec<u8>)>, LoadError> {
    match path {
        None => Ok(None),
        Some(p) => std::fs::read(&p)
            .map(|b| Some((p.clone(), b)))
            .map_err(|e| LoadError::io(&p, e)),
    }
}

fn text_of(bytes: Vec<u8>) -> String {
    crate::text::decode_auto(&bytes).0.into_owned()
}

/// Reads a shapefile from its `.shp` path.
pub fn load_shapefile(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let shp = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    let parts = ShapefileParts {
        shp_name: path.to_owned(),
        shp,
        shx: read_opt(sibling(path, "shx"))?.map(|(_, b)| b),
        dbf: read_opt(sibling(path, "dbf"))?,
        prj: read_opt(sibling(path, "prj"))?.map(|(_, b)| text_of(b)),
        cpg: read_opt(sibling(path, "cpg"))?.map(|(_, b)| text_of(b)),
    };
    load_parts(parts, options)
}

/// Reads the shapefile held in a `.zip` archive (the one named by `options.layer` when the
/// archive holds several).
pub fn load_zipped_shapefile(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::io(path, e))?;
    if bytes.is_empty() {
        return Err(LoadError::Empty {
            file: display_name(path),
        });
    }
    if !bytes.starts_with(b"PK") {
        return Err(LoadError::format(
            path,
            crate::error::wrong_content("zip", &bytes, "une archive zip"),
        ));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| LoadError::format(path, format!("archive zip illisible ({e})")))?;
    let names: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    let shps: Vec<&String> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".shp") && !n.contains("__MACOSX"))
        .collect();
    let stem_of = |n: &str| {
        Path::new(n)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned()
    };
    let chosen = match (&options.layer, shps.as_slice()) {
        (_, []) => {
            return Err(LoadError::format(
                path,
                "l'archive zip ne contient aucun fichier .shp",
            ));
        }
        (Some(layer), _) => shps
            .iter()
            .find(|n| stem_of(n).eq_ignore_ascii_case(layer))
            .copied()
            .ok_or_else(|| {
                LoadError::format(
                    path,
                    format!(
                        "couche « {layer} » absente de l'archive (couches : {})",
                        shps.iter()
                            .map(|n| stem_of(n))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
        (None, [one]) => *one,
        (None, several) => {
            return Err(LoadError::format(
                path,
                format!(
                    "l'archive contient plusieurs couches ({}) : choisissez-en une (--layer)",
                    several
                        .iter()
                        .map(|n| stem_of(n))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    };
    let base = chosen[..chosen.len() - 4].to_owned();
    let mut member = |ext: &str| -> Result<Option<(PathBuf, Vec<u8>)>, LoadError> {
        let wanted = names
            .iter()
            .find(|n| {
                n.len() == base.len() + 4
                    && n.starts_with(&base)
                    && n[base.len()..].eq_ignore_ascii_case(&format!(".{ext}"))
            })
            .cloned();
        let Some(name) = wanted else {
            return Ok(None);
        };
        let mut entry = archive.by_name(&name).map_err(|e| {
            LoadError::format(path, format!("« {name} » illisible dans l'archive ({e})"))
        })?;
        let mut buf = Vec::new();
        entry.read_to_end(&mut buf).map_err(|e| {
            LoadError::format(path, format!("« {name} » illisible dans l'archive ({e})"))
        })?;
        Ok(Some((path.join(&name), buf)))
    };
    let (shp_name, shp) =
        member("shp")?.ok_or_else(|| LoadError::format(path, "fichier .shp illisible"))?;
    let parts = ShapefileParts {
        shp_name,
        shp,
        shx: member("shx")?.map(|(_, b)| b),
        dbf: member("dbf")?,
        prj: member("prj")?.map(|(_, b)| text_of(b)),
        cpg: member("cpg")?.map(|(_, b)| text_of(b)),
    };
    load_parts(parts, options)
}

/// Reads a shapefile from its parts in memory.
pub fn load_parts(parts: ShapefileParts, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let path = parts.shp_name.as_path();
    if parts.shp.is_empty() {
        return Err(LoadError::Empty {
            file: display_name(path),
        });
    }
    if parts.shp.len() < 100 {
        return Err(LoadError::format(
            path,
            format!(
                "en-tête de shapefile tronqué ({} octets sur 100)",
                parts.shp.len()
            ),
        ));
    }
    let (dbf_path, dbf_bytes) = parts.dbf.ok_or_else(|| {
        LoadError::format(
            path,
            "fichier .dbf absent : les attributs des zones (codes, noms) sont introuvables",
        )
    })?;
    let mut problems = Vec::new();
    let declared = match &parts.cpg {
        Some(label) => match encoding_from_cpg(label) {
            Some(enc) => Some(enc),
            None => {
                problems.push(Problem::whole(format!(
                    "encodage « {} » du fichier .cpg inconnu : détection automatique",
                    label.trim()
                )));
                None
            }
        },
        None => None,
    };
    let dbf = read_dbf(&dbf_path, &dbf_bytes, declared)?;

    // Shapes, in source coordinates.
    let mut reader = ShapeReader::new(Cursor::new(&parts.shp)).map_err(|e| {
        LoadError::format(
            path,
            format!("en-tête de shapefile invalide ({})", shp_error_fr(&e)),
        )
    })?;
    let mut shapes: Vec<Shape> = Vec::with_capacity(dbf.records.len());
    for (i, shape) in reader.iter_shapes().enumerate() {
        let shape = shape.map_err(|e| {
            let message = match e {
                shapefile::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                    "forme tronquée : le fichier .shp s'arrête avant la fin de l'enregistrement"
                        .to_owned()
                }
                other => format!("forme illisible ({})", shp_error_fr(&other)),
            };
            LoadError::invalid(path, Place::Record(i as u64 + 1), message)
        })?;
        shapes.push(shape);
    }
    if let Some(shx) = &parts.shx {
        let shx_count = shx.len().saturating_sub(100) / 8;
        if shx_count != shapes.len() {
            problems.push(Problem::whole(format!(
                "l'index .shx annonce {shx_count} formes, le .shp en contient {} (index ignoré)",
                shapes.len()
            )));
        }
    } else {
        problems.push(Problem::whole("fichier .shx absent (non bloquant)"));
    }
    if shapes.len() != dbf.records.len() {
        return Err(LoadError::format(
            path,
            format!(
                "le fichier .shp contient {} formes mais le fichier .dbf {} enregistrements : \
                 les attributs ne peuvent pas être rattachés aux formes",
                shapes.len(),
                dbf.records.len()
            ),
        ));
    }

    // CRS: forced, else .prj, else plainly lon/lat.
    let crs = match (&options.crs, &parts.prj) {
        (Some(crs), _) => crs.clone(),
        (None, Some(prj)) => Crs::from_wkt(prj)
            .map_err(|detail| LoadError::unknown_crs(path, format!("fichier .prj : {detail}")))?,
        (None, None) => {
            let (min, max) = shape_bounds(&shapes);
            if min.0 >= -180.0 && max.0 <= 180.0 && min.1 >= -90.0 && max.1 <= 90.0 {
                problems.push(Problem::whole(
                    "fichier .prj absent : coordonnées en degrés, lues comme WGS 84 (lon/lat)",
                ));
                Crs::wgs84()
            } else {
                return Err(LoadError::unknown_crs(
                    path,
                    format!(
                        "fichier .prj absent et coordonnées projetées (x de {:.0} à {:.0}, y de {:.0} à {:.0}) : \
                         précisez le système (ex. --crs EPSG:2154 pour du Lambert-93)",
                        min.0, max.0, min.1, max.1
                    ),
                ));
            }
        }
    };
    let reprojector = Reprojector::new(path, crs.clone())?;

    // Reprojection dominates loading time: records are converted in parallel, in order.
    let converted = crate::parallel::map_indexed(&shapes, |i, shape| {
        let place = || Place::Record(i as u64 + 1);
        let rings = match shape {
            Shape::NullShape => return Ok(None),
            Shape::Polygon(p) => split_rings(&reprojector, p.rings(), &place)?,
            Shape::PolygonM(p) => split_rings(&reprojector, p.rings(), &place)?,
            Shape::PolygonZ(p) => split_rings(&reprojector, p.rings(), &place)?,
            other => {
                return Err(LoadError::invalid(
                    path,
                    place(),
                    format!(
                        "forme de type {} : ce fichier ne contient pas des zones (polygones) ; \
                         importez-le comme couche de points ou de lignes",
                        other.shapetype()
                    ),
                ));
            }
        };
        Ok(Some(rings))
    });
    let mut geometries = Vec::with_capacity(shapes.len());
    let mut rows = Vec::with_capacity(shapes.len());
    let mut origins = Vec::with_capacity(shapes.len());
    let mut orphan_total = 0;
    let mut null_shapes = Vec::new();
    for (i, (result, cells)) in converted.into_iter().zip(dbf.records).enumerate() {
        if dbf.deleted.get(i).copied().unwrap_or(false) {
            continue;
        }
        let mp = match result? {
            None => {
                null_shapes.push(i + 1);
                MultiPolygon::new(vec![])
            }
            Some((outers, holes)) => {
                let (mp, orphans) = assemble(outers, holes);
                orphan_total += orphans;
                mp
            }
        };
        geometries.push(mp);
        rows.push(cells);
        origins.push(i as u64 + 1);
    }
    if !null_shapes.is_empty() {
        problems.push(Problem::whole(format!(
            "{} enregistrement(s) sans géométrie (n° {})",
            null_shapes.len(),
            abbreviate(&null_shapes)
        )));
    }
    if orphan_total > 0 {
        problems.push(Problem::whole(format!(
            "{orphan_total} trou(s) hors de tout contour extérieur, traités comme des contours"
        )));
    }
    let deleted = dbf.deleted.iter().filter(|d| **d).count();
    if deleted > 0 {
        problems.push(Problem::whole(format!(
            "{deleted} enregistrement(s) marqués supprimés dans le .dbf, ignorés avec leur forme"
        )));
    }
    let names: Vec<String> = dbf.fields.iter().map(|f| f.name.clone()).collect();
    let place = |row: usize, column: &str| Place::RecordField {
        record: origins.get(row).copied().unwrap_or(0),
        field: column.to_owned(),
    };
    problems.extend(reprojector.unclosed_problem());
    let attributes = typed_table(&names, &rows, origins.clone(), &place, &mut problems);
    Ok(ZoneLayer {
        source: SourceInfo {
            path: path.to_owned(),
            format: "Shapefile".to_owned(),
            layer: path.file_stem().and_then(|s| s.to_str()).map(str::to_owned),
            encoding: Some(dbf.encoding.label()),
            crs: Some(crs.to_string()),
            problems,
        },
        geometries,
        attributes,
    })
}

type Rings = (Vec<geo::LineString>, Vec<geo::LineString>);

fn split_rings<P: shapefile::record::traits::HasXY>(
    reprojector: &Reprojector<'_>,
    rings: &[shapefile::PolygonRing<P>],
    place: &dyn Fn() -> Place,
) -> Result<Rings, LoadError> {
    let mut outers = Vec::new();
    let mut holes = Vec::new();
    for r in rings {
        let points = r.points().iter().map(|p| (p.x(), p.y()));
        if let Some(ring) = reprojector.ring(points, place)? {
            if matches!(r, shapefile::PolygonRing::Outer(_)) {
                outers.push(ring);
            } else {
                holes.push(ring);
            }
        }
    }
    Ok((outers, holes))
}

fn shape_bounds(shapes: &[Shape]) -> ((f64, f64), (f64, f64)) {
    let mut min = (f64::INFINITY, f64::INFINITY);
    let mut max = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    let mut add = |x: f64, y: f64| {
        min = (min.0.min(x), min.1.min(y));
        max = (max.0.max(x), max.1.max(y));
    };
    for s in shapes {
        match s {
            Shape::Polygon(p) => p
                .rings()
                .iter()
                .flat_map(|r| r.points())
                .for_each(|p| add(p.x, p.y)),
            Shape::PolygonM(p) => p
                .rings()
                .iter()
                .flat_map(|r| r.points())
                .for_each(|p| add(p.x, p.y)),
            Shape::PolygonZ(p) => p
                .rings()
                .iter()
                .flat_map(|r| r.points())
                .for_each(|p| add(p.x, p.y)),
            _ => {}
        }
    }
    (min, max)
}

/// `1, 2, 3 … (12 au total)` for long lists of record numbers.
pub(crate) fn abbreviate(numbers: &[usize]) -> String {
    let shown: Vec<String> = numbers.iter().take(10).map(ToString::to_string).collect();
    if numbers.len() > 10 {
        format!("{} … ({} au total)", shown.join(", "), numbers.len())
    } else {
        shown.join(", ")
    }
}

/// The `shapefile` crate's errors, in French.
fn shp_error_fr(e: &shapefile::Error) -> String {
    use shapefile::Error as E;
    match e {
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "fin de fichier inattendue".to_owned()
        }
        E::IoError(io) => format!("lecture : {io}"),
        E::InvalidFileCode(code) => {
            format!("code de fichier {code} au lieu de 9994 : ce fichier n'est pas un .shp")
        }
        E::InvalidShapeType(t) => format!("type de forme {t} inconnu"),
        E::InvalidPatchType(t) => format!("type de multipatch {t} inconnu"),
        E::MismatchShapeType { requested, actual } => {
            format!("forme de type {actual} au lieu de {requested}")
        }
        E::InvalidShapeRecordSize => "taille d'enregistrement incohérente ou invalide".to_owned(),
        E::AllocationLimitExceeded { requested_bytes } => format!(
            "nombre de points annoncé démesuré ({requested_bytes} octets demandés) : fichier corrompu"
        ),
        E::DbaseError(d) => format!("attributs dBase : {d}"),
        E::MissingDbf => "fichier .dbf absent".to_owned(),
        E::MissingIndexFile => "fichier .shx absent".to_owned(),
    }
}
