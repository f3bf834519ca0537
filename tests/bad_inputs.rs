use cartosol::inspect::{InspectOptions, inspect};
use cartosol::points::{PointOptions, load_points};
use cartosol::table::{TableOptions, load_table};
use cartosol::zones::{ZoneOptions, load_zones};
use std::path::Path;

#[test]
fn probe() {
    let mut names: Vec<_> = std::fs::read_dir("tests/bad_inputs")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let p = Path::new("tests/bad_inputs").join(p.file_name().unwrap());
        let z = std::panic::catch_unwind(|| {
            load_zones(&p, &ZoneOptions::default())
                .map(|l| {
                    format!(
                        "OK {} zones {:?} problems {:?}",
                        l.len(),
                        l.bbox(),
                        l.source.problems
                    )
                })
                .unwrap_or_else(|e| e.to_string())
        });
        let pt = std::panic::catch_unwind(|| {
            load_points(&p, &PointOptions::default())
                .map(|l| format!("OK {} pts {:?}", l.len(), l.bbox()))
                .unwrap_or_else(|e| e.to_string())
        });
        let t = std::panic::catch_unwind(|| {
            load_table(&p, &TableOptions::default())
                .map(|l| format!("OK {} rows", l.table.len()))
                .unwrap_or_else(|e| e.to_string())
        });
        let i = std::panic::catch_unwind(|| {
            inspect(&p, &InspectOptions::default())
                .map(|s| format!("OK {}", s.replace('\n', " | ")))
                .unwrap_or_else(|e| e.to_string())
        });
        println!(
            "=== {}\n  Z: {:?}\n  P: {:?}\n  T: {:?}\n  I: {:?}",
            p.display(),
            z,
            pt,
            t,
            i
        );
    }
}
