//! Memory of the importers follows the data present, not what a header or a row number claims
//! (issue 11 #2): hostile files built here from the real Essonne shapefile or by hand, read by
//! the `cartosol` binary whose peak resident memory is measured with `/usr/bin/time` (Debian
//! package `time`, installed by `.ci/run`), under a 4 GiB address-space cap so that a
//! regression fails the test instead of exhausting the machine.
//!
//! Each hostile file is small on disk (zip-compressed padding) and removed after its test.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

const MIB: u64 = 1024 * 1024;

/// Peak resident memory a read of these files may take, in KiB: the debug binary alone takes
/// about 20 MB; the hostile contents would take 200 MB to 10 GB if held.
const MAX_PEAK_KB: u64 = 100 * 1024;

/// The real Essonne communes (IGN ADMIN EXPRESS), zipped as IGN ships them.
const ESSONNE_ZIP: &str = "tests/data/good/ADECOGC_3-2_SHP_LAMB93_91.zip";

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("cartosol-memory-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Run {
    success: bool,
    stdout: String,
    stderr: String,
    peak_kb: u64,
}

/// Runs `cartosol args…` with `env`, measuring its peak resident memory.
fn run_measured(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Run {
    assert!(
        Path::new("/usr/bin/time").exists(),
        "/usr/bin/time est nécessaire à ces tests (paquet Debian « time »)"
    );
    let report = dir.join("time.txt");
    let output = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -v 4194304; exec /usr/bin/time -f %M -o "$0" "$@""#)
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_cartosol"))
        .args(args)
        .env_remove("CARTOSOL_LIMITE_MEMOIRE")
        // glibc reserves 64 MiB of address space per thread arena: few arenas, so that the
        // cap stays far from what a read of these files needs on a many-core machine.
        .env("MALLOC_ARENA_MAX", "2")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let time = std::fs::read_to_string(&report).unwrap();
    // On a failure, `time` writes "Command exited with non-zero status…" before the figure.
    let peak_kb = time
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("mesure illisible : {time}"));
    Run {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        peak_kb,
    }
}

fn assert_bounded(run: &Run, what: &str) {
    assert!(
        run.peak_kb < MAX_PEAK_KB,
        "{what} : pic de mémoire {} Mo (limite du test {} Mo)\nsortie : {}\nerreurs : {}",
        run.peak_kb / 1024,
        MAX_PEAK_KB / 1024,
        run.stdout,
        run.stderr.chars().take(2000).collect::<String>()
    );
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
}

/// Writes `count` copies of `byte` in 1 MiB chunks.
fn write_run(out: &mut (impl Write + ?Sized), byte: u8, count: u64) {
    let chunk = vec![byte; MIB as usize];
    let mut left = count;
    while left > 0 {
        let n = left.min(MIB);
        out.write_all(&chunk[..n as usize]).unwrap();
        left -= n;
    }
}

/// The Essonne shapefile zip, with `change(extension, bytes, writer)` writing each member.
fn essonne_zip_with(out: &Path, change: impl Fn(&str, &[u8], &mut dyn Write)) {
    let mut source = zip::ZipArchive::new(std::fs::File::open(ESSONNE_ZIP).unwrap()).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        zip.start_file(name.as_str(), deflated()).unwrap();
        let ext = name.rsplit('.').next().unwrap().to_ascii_lowercase();
        change(&ext, &bytes, &mut zip);
    }
    zip.finish().unwrap();
}

/// The `.shp` header with its file length (16-bit words, big-endian) set to `total` bytes.
fn with_file_length(shp: &[u8], total: u64) -> Vec<u8> {
    let mut out = shp.to_vec();
    out[24..28].copy_from_slice(&u32::try_from(total / 2).unwrap().to_be_bytes());
    out
}

/// A workbook of one sheet « Feuil1 » whose `<sheetData>` holds `rows` (XML), followed by
/// `blanks` spaces before `</sheetData>`.
fn xlsx(out: &Path, rows: &str, blanks: u64) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, deflated()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", deflated())
        .unwrap();
    zip.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    )
    .unwrap();
    zip.write_all(rows.as_bytes()).unwrap();
    write_run(&mut zip, b' ', blanks);
    zip.write_all(b"</sheetData></worksheet>").unwrap();
    zip.finish().unwrap();
}

/// A sheet row, `cells` as (column letter, value): a value written `=12.5` is a number cell,
/// any other an inline string.
fn row(r: u64, cells: &[(&str, &str)]) -> String {
    let mut xml = format!(r#"<row r="{r}">"#);
    for (col, value) in cells {
        if let Some(number) = value.strip_prefix('=') {
            xml.push_str(&format!(r#"<c r="{col}{r}"><v>{number}</v></c>"#));
        } else {
            xml.push_str(&format!(
                r#"<c r="{col}{r}" t="inlineStr"><is><t>{value}</t></is></c>"#
            ));
        }
    }
    xml.push_str("</row>");
    xml
}

/// Header and three communes, as a user's table starts.
fn three_rows() -> String {
    [
        row(1, &[("A", "CODGEO"), ("B", "TP60")]),
        row(2, &[("A", "91001"), ("B", "=12.5")]),
        row(3, &[("A", "91027"), ("B", "=13.1")]),
        row(4, &[("A", "91064"), ("B", "=8")]),
    ]
    .concat()
}

#[test]
fn xlsx_row_numbered_99999999_costs_its_cell_and_is_reported() {
    let dir = TempDir::new("xlsx-row");
    let file = dir.join("lointaine.xlsx");
    let rows = three_rows() + &row(99_999_999, &[("A", "91086")]);
    xlsx(&file, &rows, 0);
    let run = run_measured(&dir, &["inspect", file.to_str().unwrap()], &[]);
    assert_bounded(&run, "XLSX avec une ligne 99999999");
    assert!(run.success, "{}", run.stderr);
    // The four codes are read (the far row is data), the jump is named.
    assert!(
        run.stdout
            .contains("CODGEO  texte   4 valeur(s) ; ex. 91001 | 91027 | 91064"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "feuille « Feuil1 » : ligne 99999999 isolée après la ligne 4 \
             (99999994 lignes vides entre les deux : numérotation des lignes suspecte)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn xlsx_sheet_padded_with_blanks_is_refused_without_holding_them() {
    let dir = TempDir::new("xlsx-blanks");
    let file = dir.join("gonfle.xlsx");
    xlsx(&file, &three_rows(), 200 * MIB);
    let run = run_measured(&dir, &["inspect", file.to_str().unwrap()], &[]);
    assert_bounded(&run, "XLSX dont la feuille porte 200 Mo de blancs");
    assert!(!run.success);
    let expected = format!(
        "{}/xl/worksheets/sheet1.xml : plus de 16 Mo de texte ou de blancs d'un seul tenant \
         entre deux balises (une cellule compte au plus 32 767 caractères) : classeur corrompu \
         ou gonflé ; ouvrez-le et réenregistrez-le dans un tableur, ou, s'il est légitime, \
         relancez avec --limite-memoire 8192 (limite de lecture : 4096 Mo)",
        file.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

#[test]
fn xlsx_cells_beyond_the_limit_are_refused_with_the_way_out() {
    let dir = TempDir::new("xlsx-cells");
    let file = dir.join("grande.xlsx");
    // 1,000 rows of 20 number cells: 20,000 cells, past the 8,192 of a 1 MiB limit (128 B a
    // cell), in about 500 kB of XML (within the limit).
    let columns: Vec<String> = (b'A'..=b'T').map(|c| char::from(c).to_string()).collect();
    let cells: Vec<(&str, &str)> = columns.iter().map(|c| (c.as_str(), "=1")).collect();
    let rows: String = (1..=1_000).map(|r| row(r, &cells)).collect();
    xlsx(&file, &rows, 0);
    let run = run_measured(
        &dir,
        &["inspect", file.to_str().unwrap(), "--limite-memoire", "1"],
        &[],
    );
    assert!(!run.success);
    let expected = format!(
        "{} : la feuille « Feuil1 » (plus de 8192 cellules) dépasse la limite de lecture \
         (1 Mo) ; si le fichier est légitime, relancez avec --limite-memoire 2 (ou \
         --sans-limite ; pour l'application : CARTOSOL_LIMITE_MEMOIRE=2)",
        file.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    // Under the default limit the same sheet is read.
    let run = run_measured(&dir, &["inspect", file.to_str().unwrap()], &[]);
    assert!(run.success, "{}", run.stderr);
}

/// 200 MiB of zero bytes after the records of the real Essonne `.shp`, the header's file
/// length counting them: held as "null records", they took gigabytes.
#[test]
fn zipped_shapefile_with_zero_padding_costs_its_records() {
    let dir = TempDir::new("shp-zeros");
    let file = dir.join("zeros.zip");
    let padding = 200 * MIB;
    essonne_zip_with(&file, |ext, bytes, out| {
        if ext == "shp" {
            out.write_all(&with_file_length(bytes, bytes.len() as u64 + padding))
                .unwrap();
            write_run(out, 0, padding);
        } else {
            out.write_all(bytes).unwrap();
        }
    });
    let run = run_measured(&dir, &["inspect", file.to_str().unwrap()], &[]);
    assert_bounded(&run, "shapefile zippé suivi de 200 Mo de zéros");
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains("format Shapefile, 194 entités"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "fichier .shp : 209715200 octets nuls en fin de fichier ignorés (fichier rempli \
             de zéros après ses enregistrements : copie interrompue ou préallouée ?)"
        ),
        "{}",
        run.stdout
    );
}

/// The same padding on a `.shp` beside its siblings in a folder (read from the file, not
/// into memory first); then zeros followed by data, which is no padding: refused.
#[test]
fn shapefile_folder_with_zero_padding_costs_its_records_and_garbage_is_refused() {
    let dir = TempDir::new("shp-folder");
    let mut source = zip::ZipArchive::new(std::fs::File::open(ESSONNE_ZIP).unwrap()).unwrap();
    let mut shp = Vec::new();
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let ext = name.rsplit('.').next().unwrap().to_ascii_lowercase();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if ext == "shp" {
            shp = bytes;
        } else {
            std::fs::write(dir.join(&format!("COMMUNE.{ext}")), &bytes).unwrap();
        }
    }
    let path = dir.join("COMMUNE.shp");
    let padding = 64 * MIB;
    {
        let mut out = std::fs::File::create(&path).unwrap();
        out.write_all(&with_file_length(&shp, shp.len() as u64 + padding))
            .unwrap();
        write_run(&mut out, 0, padding);
    }
    let run = run_measured(&dir, &["inspect", path.to_str().unwrap()], &[]);
    assert_bounded(&run, "shapefile suivi de 64 Mo de zéros");
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("fichier .shp : 67108864 octets nuls en fin de fichier ignorés"),
        "{}",
        run.stdout
    );

    // Sixteen zero bytes where a record should begin, then one more record's worth of data.
    let mut bad = with_file_length(&shp, shp.len() as u64 + 16 + 8);
    bad.extend_from_slice(&[0; 16]);
    bad.extend_from_slice(&[0, 0, 0, 195, 0, 0, 0, 2]);
    std::fs::write(&path, &bad).unwrap();
    let run = run_measured(&dir, &["inspect", path.to_str().unwrap()], &[]);
    assert!(!run.success);
    let expected = format!(
        "{} : octet {} : enregistrement vide (numéro 0, longueur 0) suivi d'autres données : \
         fichier .shp corrompu",
        path.display(),
        shp.len() + 1
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}

/// 200 MiB of blanks after the records of the real Essonne `.dbf`, inside the zip: the whole
/// inflated member was held. Then the limit, lowered below the member's size, stops the read
/// with the way out, from the option and from the environment variable of the app; and
/// `--sans-limite` lifts it.
#[test]
fn zipped_dbf_padded_with_blanks_costs_its_records_and_the_limit_can_be_moved() {
    let dir = TempDir::new("dbf-blanks");
    let file = dir.join("blancs.zip");
    let padding = 200 * MIB;
    essonne_zip_with(&file, |ext, bytes, out| {
        out.write_all(bytes).unwrap();
        if ext == "dbf" {
            write_run(out, b' ', padding);
        }
    });
    let name = file.to_str().unwrap();
    let run = run_measured(&dir, &["inspect", name], &[]);
    assert_bounded(&run, "dbf zippé suivi de 200 Mo de blancs");
    assert!(run.success, "{}", run.stderr);
    assert!(
        run.stdout.contains("format Shapefile, 194 entités"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("fichier .dbf : 209715200 octets après le dernier enregistrement ignorés"),
        "{}",
        run.stdout
    );

    let expected = format!(
        "{name}/ADECOGC_3-2_SHP_LAMB93_91/COMMUNE.dbf : le contenu (une fois décompressé) \
         dépasse la limite de lecture (100 Mo) ; si le fichier est légitime, relancez avec \
         --limite-memoire 200 (ou --sans-limite ; pour l'application : \
         CARTOSOL_LIMITE_MEMOIRE=200)"
    );
    let run = run_measured(&dir, &["inspect", name, "--limite-memoire", "100"], &[]);
    assert!(!run.success);
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    let run = run_measured(
        &dir,
        &["inspect", name],
        &[("CARTOSOL_LIMITE_MEMOIRE", "100")],
    );
    assert!(!run.success);
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
    let run = run_measured(
        &dir,
        &["inspect", name, "--sans-limite"],
        &[("CARTOSOL_LIMITE_MEMOIRE", "100")],
    );
    assert!(run.success, "{}", run.stderr);
}

/// The real ODS test table with one more row appended through `content.xml`.
fn ods_with_row(out: &Path, row_xml: &str) {
    let mut source =
        zip::ZipArchive::new(std::fs::File::open("tests/data/good/panorama_test.ods").unwrap())
            .unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "content.xml" {
            let text = String::from_utf8(bytes).unwrap();
            let end = "</table:table></office:spreadsheet>";
            assert!(text.contains(end));
            bytes = text.replace(end, &format!("{row_xml}{end}")).into_bytes();
        }
        let options = if name == "mimetype" {
            zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
        } else {
            deflated()
        };
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(&bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// ODS repeat attributes announce cells a 2 kB file does not hold: a row repeated a million
/// times, sixty values wide, took 6 GB; data past row 1,048,576 was dropped without a word.
#[test]
fn ods_repeats_are_counted_before_they_are_expanded() {
    let dir = TempDir::new("ods");
    let file = dir.join("repetitions.ods");
    ods_with_row(
        &file,
        r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="60" office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>"#,
    );
    let run = run_measured(&dir, &["inspect", file.to_str().unwrap()], &[]);
    assert_bounded(&run, "ODS de 60 millions de cellules répétées");
    assert!(!run.success);
    let expected = format!(
        "{}/content.xml : le classeur (plus de 33554432 cellules annoncées par ses \
         répétitions) dépasse la limite de lecture (4096 Mo)",
        file.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);

    // After the table's 9 rows, 99,999,990 empty rows, then a commune on row 100,000,000:
    // past what a spreadsheet reads, refused.
    ods_with_row(
        &file,
        r#"<table:table-row table:number-rows-repeated="99999990"><table:table-cell/></table:table-row><table:table-row><table:table-cell office:value-type="string"><text:p>91086</text:p></table:table-cell></table:table-row>"#,
    );
    let run = run_measured(&dir, &["inspect", file.to_str().unwrap()], &[]);
    assert_bounded(&run, "ODS avec une ligne après 99999990 lignes vides");
    assert!(!run.success);
    let expected = format!(
        "{}/content.xml : feuille n° 1 : données à la ligne 100000000, au-delà des 1048576 \
         lignes qu'un tableur lit (elles seraient ignorées) : classeur corrompu ou gonflé",
        file.display()
    );
    assert!(run.stderr.contains(&expected), "{}", run.stderr);
}
