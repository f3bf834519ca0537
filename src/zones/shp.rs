//! ESRI Shapefile: `.shp` geometry (through the `shapefile` crate), `.shx`, `.dbf` attributes,
//! `.prj` CRS and `.cpg` encoding, from a folder or from a `.zip`.

use super::dbf::{read_dbf, read_dbf_records};
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

/// The files of one shapefile, read into memory: only what they really hold (see
/// [`read_shp_records`] and [`super::dbf::read_dbf_records`]).
pub struct ShapefileParts {
    /// The `.shp` path as named to the user (inside a zip: `archive.zip/COMMUNE.shp`).
    pub shp_name: PathBuf,
    /// The header and records of the `.shp` file (without the bytes past its records).
    pub shp: Vec<u8>,
    /// What followed the records of the `.shp` file and was left out.
    pub shp_tail: Tail,
    /// The size in bytes of the `.shx` index, when present.
    pub shx: Option<u64>,
    /// The `.dbf` attributes (path as named to the user, header and records, bytes past its
    /// records), when present.
    pub dbf: Option<(PathBuf, Vec<u8>, u64)>,
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

/// What followed the records of a `.shp` file, left out of the reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tail {
    /// Bytes of zeros where a record should begin, up to the end of the file (a file
    /// preallocated or copied in part leaves them; no record starts with eight zero bytes).
    pub zero_padding: u64,
    /// Bytes past the file length the header declares.
    pub past_declared_end: u64,
}

/// Reads a `.shp` stream keeping only its header and records, in memory proportional to
/// them: a run of zero bytes where a record should begin is padding, counted up to the end
/// without being kept (anything else after it is a corrupt file), and bytes past the length
/// the header declares are counted, not kept. When padding is left out, the header's file
/// length is set to that of the records kept.
pub fn read_shp_records(path: &Path, reader: &mut dyn Read) -> Result<(Vec<u8>, Tail), LoadError> {
    let limits = crate::limits::current();
    let mut out = Vec::new();
    let io = |e| LoadError::io(path, e);
    reader.take(100).read_to_end(&mut out).map_err(io)?;
    let mut tail = Tail::default();
    let Some(length_words) = out.get(24..28) else {
        return Ok((out, tail));
    };
    let declared = u64::from(u32::from_be_bytes([
        length_words[0],
        length_words[1],
        length_words[2],
        length_words[3],
    ]))
    .saturating_mul(2);
    let mut pos = out.len() as u64;
    while pos < declared {
        let mut header = Vec::with_capacity(8);
        reader.take(8).read_to_end(&mut header).map_err(io)?;
        if header.len() == 8 && header.iter().all(|&b| b == 0) {
            let (rest, all_zero) = crate::limits::drain_counting(path, reader, &limits, pos)?;
            if !all_zero {
                return Err(LoadError::invalid(
                    path,
                    Place::Byte(pos + 1),
                    "enregistrement vide (numéro 0, longueur 0) suivi d'autres données : \
                     fichier .shp corrompu",
                ));
            }
            tail.zero_padding = 8 + rest;
            let kept = u32::try_from(out.len() / 2).unwrap_or(u32::MAX);
            if let Some(field) = out.get_mut(24..28) {
                field.copy_from_slice(&kept.to_be_bytes());
            }
            return Ok((out, tail));
        }
        let complete = header.len() == 8;
        let content_words = header
            .get(4..8)
            .map_or(0, |w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
        out.extend_from_slice(&header);
        if !complete {
            // Truncated: the shapefile reader says so at this record.
            return Ok((out, tail));
        }
        let content = u64::from(content_words) * 2;
        let before = out.len();
        reader.take(content).read_to_end(&mut out).map_err(io)?;
        if out.len() as u64 > limits.max_bytes() {
            return Err(crate::limits::exceeded(
                path,
                "le fichier .shp (une fois décompressé)",
                &limits,
            ));
        }
        if ((out.len() - before) as u64) < content {
            return Ok((out, tail));
        }
        pos += 8 + content;
    }
    let (rest, _) = crate::limits::drain_counting(path, reader, &limits, pos)?;
    tail.past_declared_end = rest;
    Ok((out, tail))
}

/// The text of a small side file (`.prj`, `.cpg`): more than 1 MiB is not one.
fn read_small_text(path: &Path, reader: &mut dyn Read) -> Result<String, LoadError> {
    const MAX_BYTES: u64 = 1024 * 1024;
    let mut bytes = Vec::new();
    reader
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::io(path, e))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(LoadError::format(
            path,
            "plus de 1 Mo : ce n'est pas un fichier de métadonnées de shapefile (.prj, .cpg)",
        ));
    }
    Ok(crate::text::decode_auto(&bytes).0.into_owned())
}

/// Counts the bytes of a stream without keeping them (the `.shx` index: only its size is used).
fn stream_size(path: &Path, reader: &mut dyn Read) -> Result<u64, LoadError> {
    let limits = crate::limits::current();
    Ok(crate::limits::drain_counting(path, reader, &limits, 0)?.0)
}

fn open_file(path: &Path) -> Result<std::io::BufReader<std::fs::File>, LoadError> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| LoadError::io(path, e))
}

/// Reads a shapefile from its `.shp` path.
pub fn load_shapefile(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let (shp, shp_tail) = read_shp_records(path, &mut open_file(path)?)?;
    let dbf = match sibling(path, "dbf") {
        Some(p) => {
            let (bytes, trailing) = read_dbf_records(&p, &mut open_file(&p)?)?;
            Some((p, bytes, trailing))
        }
        None => None,
    };
    let text = |ext: &str| -> Result<Option<String>, LoadError> {
        sibling(path, ext)
            .map(|p| read_small_text(&p, &mut open_file(&p)?))
            .transpose()
    };
    let parts = ShapefileParts {
        shp_name: path.to_owned(),
        shp,
        shp_tail,
        shx: sibling(path, "shx")
            .map(|p| {
                std::fs::metadata(&p)
                    .map(|m| m.len())
                    .map_err(|e| LoadError::io(&p, e))
            })
            .transpose()?,
        dbf,
        prj: text("prj")?,
        cpg: text("cpg")?,
    };
    load_parts(parts, options)
}

/// Reads one member of a zipped shapefile from its inflated stream: its bytes kept, and a
/// count of bytes left out.
type MemberReader<'a> = dyn FnMut(&Path, &mut dyn Read) -> Result<(Vec<u8>, u64), LoadError> + 'a;

/// Reads the shapefile held in a `.zip` archive (the one named by `options.layer` when the
/// archive holds several). The archive is read from the file and each member inflated as a
/// stream: only the records the members really hold are kept in memory.
pub fn load_zipped_shapefile(path: &Path, options: &ZoneOptions) -> Result<ZoneLayer, LoadError> {
    let mut head = Vec::new();
    open_file(path)?
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| LoadError::io(path, e))?;
    if head.is_empty() {
        return Err(LoadError::Empty {
            file: display_name(path),
        });
    }
    if !head.starts_with(b"PK") {
        return Err(LoadError::format(
            path,
            crate::error::wrong_content("zip", &head, "une archive zip"),
        ));
    }
    let mut archive = zip::ZipArchive::new(open_file(path)?)
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
    let limits = crate::limits::current();
    // Each member is read by `read` from its inflated stream, capped by the read limit.
    let mut member = |ext: &str,
                      read: &mut MemberReader<'_>|
     -> Result<Option<(PathBuf, Vec<u8>, u64)>, LoadError> {
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
        let entry = archive.by_name(&name).map_err(|e| {
            LoadError::format(path, format!("« {name} » illisible dans l'archive ({e})"))
        })?;
        let member_path = path.join(&name);
        // Never more than the read limit, whatever the entry's declared size.
        let mut capped = entry.take(limits.max_bytes().saturating_add(1));
        let (bytes, extra) = read(&member_path, &mut capped).map_err(|e| match e {
            LoadError::Io { source, .. } => LoadError::format(
                path,
                format!("« {name} » illisible dans l'archive ({source})"),
            ),
            other => other,
        })?;
        Ok(Some((member_path, bytes, extra)))
    };
    let mut shp_tail = Tail::default();
    let (shp_name, shp, _) = member("shp", &mut |p, r| {
        let (bytes, tail) = read_shp_records(p, r)?;
        shp_tail = tail;
        Ok((bytes, 0))
    })?
    .ok_or_else(|| LoadError::format(path, "fichier .shp illisible"))?;
    let text = |p: &Path, r: &mut dyn Read| Ok((read_small_text(p, r)?.into_bytes(), 0));
    let text_of = |m: Option<(PathBuf, Vec<u8>, u64)>| {
        m.map(|(_, b, _)| String::from_utf8_lossy(&b).into_owned())
    };
    let parts = ShapefileParts {
        shp_name,
        shp,
        shp_tail,
        shx: member("shx", &mut |p, r| Ok((Vec::new(), stream_size(p, r)?)))?
            .map(|(_, _, size)| size),
        dbf: member("dbf", &mut |p, r| read_dbf_records(p, r))?,
        prj: text_of(member("prj", &mut { text })?),
        cpg: text_of(member("cpg", &mut { text })?),
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
    let (dbf_path, dbf_bytes, dbf_trailing) = parts.dbf.ok_or_else(|| {
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
    drop(dbf_bytes);
    if parts.shp_tail.zero_padding > 0 {
        problems.push(Problem::whole(format!(
            "fichier .shp : {} octets nuls en fin de fichier ignorés (fichier rempli de zéros \
             après ses enregistrements : copie interrompue ou préallouée ?)",
            parts.shp_tail.zero_padding
        )));
    }
    if parts.shp_tail.past_declared_end > 0 {
        problems.push(Problem::whole(format!(
            "fichier .shp : {} octets après la fin déclarée par l'en-tête ignorés",
            parts.shp_tail.past_declared_end
        )));
    }
    if dbf_trailing > 0 {
        problems.push(Problem::whole(format!(
            "fichier .dbf : {dbf_trailing} octets après le dernier enregistrement ignorés"
        )));
    }

    // Shapes, in source coordinates.
    let mut reader = ShapeReader::new(Cursor::new(&parts.shp)).map_err(|e| {
        LoadError::format(
            path,
            format!("en-tête de shapefile invalide ({})", shp_error_fr(&e)),
        )
    })?;
    let mut shapes: Vec<Shape> = Vec::with_capacity(dbf.records.len());
    // Shapes beyond the `.dbf` records cannot be used: counted for the message, not kept.
    let mut unmatched = 0usize;
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
        if shapes.len() < dbf.records.len() {
            shapes.push(shape);
        } else {
            unmatched += 1;
        }
    }
    let shape_count = shapes.len() + unmatched;
    if let Some(shx) = parts.shx {
        let shx_count = shx.saturating_sub(100) / 8;
        if shx_count != shape_count as u64 {
            problems.push(Problem::whole(format!(
                "l'index .shx annonce {shx_count} formes, le .shp en contient {shape_count} \
                 (index ignoré)"
            )));
        }
    } else {
        problems.push(Problem::whole("fichier .shx absent (non bloquant)"));
    }
    if shape_count != dbf.records.len() {
        return Err(LoadError::format(
            path,
            format!(
                "le fichier .shp contient {} formes mais le fichier .dbf {} enregistrements : \
                 les attributs ne peuvent pas être rattachés aux formes",
                shape_count,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.shp` header (file code 9994, version 1000, polygons) declaring `length` bytes.
    fn header(length: u32) -> Vec<u8> {
        let mut h = vec![0u8; 100];
        h[0..4].copy_from_slice(&9994u32.to_be_bytes());
        h[24..28].copy_from_slice(&(length / 2).to_be_bytes());
        h[28..32].copy_from_slice(&1000u32.to_le_bytes());
        h[32..36].copy_from_slice(&5u32.to_le_bytes());
        h
    }

    #[test]
    fn records_kept_tail_counted() {
        // One null record (number 1, 2 words: shape type 0), then 10 bytes past the end.
        let mut shp = header(112);
        shp.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]);
        shp.extend_from_slice(&[7; 10]);
        let (kept, tail) = read_shp_records(Path::new("a.shp"), &mut shp.as_slice()).unwrap();
        assert_eq!(kept.len(), 112);
        assert_eq!(
            tail,
            Tail {
                zero_padding: 0,
                past_declared_end: 10
            }
        );
        // The same record then 20 zero bytes the header counts: left out, header rewritten.
        let mut shp = header(132);
        shp.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0]);
        shp.extend_from_slice(&[0; 20]);
        let (kept, tail) = read_shp_records(Path::new("a.shp"), &mut shp.as_slice()).unwrap();
        assert_eq!(kept.len(), 112);
        assert_eq!(kept[24..28], (112u32 / 2).to_be_bytes());
        assert_eq!(tail.zero_padding, 20);
        // A header cut short is returned as read, for the reader to say it is truncated.
        let (kept, _) = read_shp_records(Path::new("a.shp"), &mut &header(100)[..40]).unwrap();
        assert_eq!(kept.len(), 40);
    }
}
