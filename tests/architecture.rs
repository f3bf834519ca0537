//! The import rules of ARCHITECTURE.md, checked on the source files.
//!
//! Every `use` statement and every `crate::…`/`super::…` path in the code (comments and string
//! literals left out) becomes an arrow from its file to the file that defines what it names,
//! following `pub use` re-exports. Then:
//!
//! 1. nothing in the core (everything but `src/app/`, `src/cli/` and `src/main.rs`) names
//!    `app`, `cli` or a UI toolkit;
//! 2. every arrow of the core goes down the layers (or stays in its layer);
//! 3. the arrows of the core form no cycle.
//!
//! A parent module re-exporting or calling its own submodules (`export/mod.rs` → `export/svg.rs`)
//! is containment, not an arrow; the other way (`export/svg.rs` → `export/mod.rs` for
//! `ExportError`) is one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of the core, bottom first. A module may import from its own layer and the layers
/// below it, never from a layer above.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "fondations",
        &[
            "model", "value", "error", "codes", "crs", "text", "parallel", "fsutil", "search",
            "limits", "memory",
        ],
    ),
    (
        "import",
        &[
            "zones",
            "table",
            "points",
            "join",
            "aggregate",
            "project",
            "inspect",
            "dictionary",
            "grid",
            "bundled",
        ],
    ),
    ("analyse et style", &["analysis", "style"]),
    ("export", &["export", "baseline"]),
];

/// Files placed in another layer than their top-level module: the style choices stored in a
/// project file are plain data the project format holds, below the importers.
const FILE_LAYERS: &[(&str, &str)] = &[
    ("style/spec.rs", "fondations"),
    ("baseline/spec.rs", "import"),
    ("analysis/siting/spec.rs", "fondations"),
    ("analysis/schemes/spec.rs", "fondations"),
    ("analysis/proposals/spec.rs", "fondations"),
];

/// Top-level modules that are not the core: the two front ends.
const FRONT_ENDS: &[&str] = &["app", "cli"];

/// Crates only the desktop app may use.
const UI_CRATES: &[&str] = &["egui", "eframe", "walkers", "rfd", "egui_kittest"];

// ---------------------------------------------------------------------------------------------
// Reading Rust source, just enough to find paths.

/// The source with comments and the contents of string and character literals blanked out
/// (newlines kept, so line numbers stay right).
fn strip_comments_and_literals(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && !chars
                .get(i.wrapping_sub(1))
                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
            && {
                let start = if c == 'b' { i + 2 } else { i + 1 };
                let hashes = chars[start.min(chars.len())..]
                    .iter()
                    .take_while(|h| **h == '#')
                    .count();
                chars.get(start + hashes) == Some(&'"')
            }
        {
            // Raw string: r"…", r#"…"#, br##"…"##.
            let start = if c == 'b' { i + 2 } else { i + 1 };
            let hashes = chars[start..].iter().take_while(|h| **h == '#').count();
            let body = start + hashes + 1;
            out.push('"');
            out.extend(std::iter::repeat_n(' ', body - i - 1));
            i = body;
            while i < chars.len() {
                if chars[i] == '"' && (0..hashes).all(|k| chars.get(i + 1 + k) == Some(&'#')) {
                    out.push('"');
                    out.extend(std::iter::repeat_n(' ', hashes));
                    i += 1 + hashes;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push('"');
            i += 1;
            while i < chars.len() {
                if chars[i] == '\\' {
                    out.push(' ');
                    if let Some(e) = chars.get(i + 1) {
                        out.push(blank(*e));
                    }
                    i += 2;
                } else if chars[i] == '"' {
                    out.push('"');
                    i += 1;
                    break;
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{e9}') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 3;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                out.extend(std::iter::repeat_n(' ', j + 1 - i));
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Identifiers, `::` and single punctuation characters, with their line numbers.
fn tokens(code: &str) -> Vec<(Tok, usize)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let word = word.strip_prefix("r#").unwrap_or(&word).to_owned();
            out.push((Tok::Ident(word), line));
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(c), line));
            i += 1;
        }
    }
    out
}

/// One path named by a file: its segments as written, the module it is written in, its line,
/// and for a `pub use` (a re-export), the name it is exported under.
#[derive(Clone, Debug)]
struct Named {
    segments: Vec<String>,
    module: Vec<String>,
    line: usize,
    reexport_as: Option<String>,
}

/// Expands a use tree (`a::{b, c::{d as e, *}}`) starting at `toks[*i]` into paths with their
/// alias (`None` for a glob).
fn use_tree(
    toks: &[(Tok, usize)],
    i: &mut usize,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    let mut path = prefix.to_vec();
    loop {
        match toks.get(*i).map(|t| &t.0) {
            Some(Tok::Ident(w)) => {
                path.push(w.clone());
                *i += 1;
                match toks.get(*i).map(|t| &t.0) {
                    Some(Tok::PathSep) => *i += 1,
                    Some(Tok::Ident(a)) if a == "as" => {
                        let alias = match toks.get(*i + 1).map(|t| &t.0) {
                            Some(Tok::Ident(n)) => n.clone(),
                            _ => String::new(),
                        };
                        *i += 2;
                        out.push((path, Some(alias)));
                        return;
                    }
                    _ => {
                        let name = path.last().cloned();
                        out.push((path, name));
                        return;
                    }
                }
            }
            Some(Tok::Punct('*')) => {
                *i += 1;
                out.push((path, None));
                return;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                loop {
                    match toks.get(*i).map(|t| &t.0) {
                        Some(Tok::Punct('}')) => {
                            *i += 1;
                            return;
                        }
                        Some(Tok::Punct(',')) => *i += 1,
                        None => return,
                        _ => use_tree(toks, i, &path, out),
                    }
                }
            }
            _ => return,
        }
    }
}

/// Every path a file names, with the (inline) module it is named in.
fn named_paths(file_module: &[String], src: &str) -> Vec<Named> {
    let toks = tokens(&strip_comments_and_literals(src));
    let mut out = Vec::new();
    // Inline modules (`mod tests { … }`): name and the brace depth they close at.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let current = |inline: &[(String, usize)]| -> Vec<String> {
        let mut m = file_module.to_vec();
        m.extend(inline.iter().map(|(n, _)| n.clone()));
        m
    };
    while i < toks.len() {
        let (tok, line) = (&toks[i].0, toks[i].1);
        match tok {
            Tok::Punct('{') => {
                depth += 1;
                i += 1;
            }
            Tok::Punct('}') => {
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Punct('{'), _))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    depth += 1;
                    inline.push((name.clone(), depth));
                    i += 3;
                } else {
                    i += 1;
                }
            }
            Tok::Ident(w) if w == "use" => {
                // `pub use` or `pub(crate) use`: a re-export.
                let public = matches!(toks.get(i.wrapping_sub(1)), Some((Tok::Ident(p), _)) if p == "pub")
                    || matches!(toks.get(i.wrapping_sub(1)), Some((Tok::Punct(')'), _)))
                        && matches!(toks.get(i.wrapping_sub(4)), Some((Tok::Ident(p), _)) if p == "pub");
                i += 1;
                let mut paths = Vec::new();
                use_tree(&toks, &mut i, &[], &mut paths);
                for (segments, alias) in paths {
                    out.push(Named {
                        segments,
                        module: current(&inline),
                        line,
                        reexport_as: if public { alias } else { None },
                    });
                }
            }
            Tok::Ident(w)
                if (w == "crate" || w == "super" || UI_CRATES.contains(&w.as_str()))
                    && matches!(toks.get(i + 1), Some((Tok::PathSep, _)))
                    && !matches!(toks.get(i.wrapping_sub(1)), Some((Tok::PathSep, _))) =>
            {
                let mut segments = vec![w.clone()];
                let mut j = i + 1;
                while let (Some((Tok::PathSep, _)), Some((Tok::Ident(s), _))) =
                    (toks.get(j), toks.get(j + 1))
                {
                    segments.push(s.clone());
                    j += 2;
                }
                out.push(Named {
                    segments,
                    module: current(&inline),
                    line,
                    reexport_as: None,
                });
                i = j;
            }
            _ => i += 1,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The module graph.

/// A source file: its path under `src/`, its module path and what it names.
struct SourceFile {
    rel: String,
    module: Vec<String>,
    named: Vec<Named>,
}

/// The module path of a file under `src/` (`export/svg.rs` → `export::svg`); `None` for the
/// binary's `main.rs`.
fn module_of(rel: &str) -> Option<Vec<String>> {
    if rel == "main.rs" {
        return None;
    }
    if rel == "lib.rs" {
        return Some(Vec::new());
    }
    let stem = rel.strip_suffix(".rs")?;
    let mut parts: Vec<String> = stem.split('/').map(str::to_owned).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    Some(parts)
}

/// An arrow between two files, with the line that makes it.
#[derive(Clone, Debug)]
struct Arrow {
    from: String,
    to: String,
    line: usize,
}

/// A part of the crate whose import graph is checked.
#[derive(Clone, Copy)]
enum Part {
    /// Everything but the front ends.
    Core,
    /// One front end (`app`).
    FrontEnd(&'static str),
}

struct Graph {
    files: Vec<SourceFile>,
    by_module: BTreeMap<Vec<String>, usize>,
}

impl Graph {
    fn new(sources: &[(String, String)]) -> Graph {
        let mut files = Vec::new();
        for (rel, text) in sources {
            if let Some(module) = module_of(rel) {
                files.push(SourceFile {
                    rel: rel.clone(),
                    named: named_paths(&module, text),
                    module,
                });
            }
        }
        let by_module = files
            .iter()
            .enumerate()
            .map(|(k, f)| (f.module.clone(), k))
            .collect();
        Graph { files, by_module }
    }

    /// The absolute module path of `segments` written in `module`; `None` for another crate.
    fn absolute(&self, module: &[String], segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut base: Vec<String>;
        let mut rest = segments;
        if first == "crate" {
            base = Vec::new();
            rest = &segments[1..];
        } else if first == "super" || first == "self" {
            base = module.to_vec();
            while let Some(s) = rest.first() {
                if s == "super" {
                    base.pop();
                } else if s != "self" {
                    break;
                }
                rest = &rest[1..];
            }
        } else {
            // 2018 paths: a child module of the current one, or an external crate.
            base = module.to_vec();
            let mut child = base.clone();
            child.push(first.clone());
            if !self.by_module.contains_key(&child) {
                return None;
            }
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The file defining what `path` (absolute) names, following `pub use` re-exports.
    fn resolve(&self, path: &[String], hops: usize) -> Option<usize> {
        let (k, len) = (0..=path.len())
            .rev()
            .find_map(|n| self.by_module.get(&path[..n]).map(|k| (*k, n)))?;
        let Some(name) = path.get(len) else {
            return Some(k);
        };
        if hops < 16 {
            let file = &self.files[k];
            for named in &file.named {
                if named.reexport_as.as_deref() == Some(name.as_str())
                    && let Some(mut target) = self.absolute(&named.module, &named.segments)
                {
                    target.extend(path[len + 1..].iter().cloned());
                    if let Some(t) = self.resolve(&target, hops + 1) {
                        return Some(t);
                    }
                }
            }
        }
        Some(k)
    }

    fn is_core(&self, k: usize) -> bool {
        let f = &self.files[k];
        !f.module.is_empty() && !FRONT_ENDS.contains(&f.module[0].as_str())
    }

    /// The arrows between the files of `part` (the core, or one front end), without
    /// containment (a module to its own submodules).
    fn arrows(&self, part: Part) -> Vec<Arrow> {
        let in_part = |k: usize| match part {
            Part::Core => self.is_core(k),
            Part::FrontEnd(name) => self.files[k].module.first().is_some_and(|m| m == name),
        };
        let mut arrows = Vec::new();
        for (k, file) in self.files.iter().enumerate() {
            if !in_part(k) {
                continue;
            }
            for named in &file.named {
                let Some(path) = self.absolute(&named.module, &named.segments) else {
                    continue;
                };
                let Some(t) = self.resolve(&path, 0) else {
                    continue;
                };
                let target = &self.files[t];
                if t == k || !in_part(t) || target.module.starts_with(&file.module) {
                    continue;
                }
                arrows.push(Arrow {
                    from: file.rel.clone(),
                    to: target.rel.clone(),
                    line: named.line,
                });
            }
        }
        arrows
    }

    /// Core files that name a front end or a UI crate: `file:line: what`.
    fn front_end_uses(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (k, file) in self.files.iter().enumerate() {
            if !self.is_core(k) {
                continue;
            }
            for named in &file.named {
                let Some(first) = named.segments.first() else {
                    continue;
                };
                if UI_CRATES.contains(&first.as_str()) {
                    found.push(format!("src/{}:{}: {}", file.rel, named.line, first));
                }
                if let Some(path) = self.absolute(&named.module, &named.segments)
                    && path
                        .first()
                        .is_some_and(|m| FRONT_ENDS.contains(&m.as_str()))
                {
                    found.push(format!(
                        "src/{}:{}: crate::{}",
                        file.rel,
                        named.line,
                        path.join("::")
                    ));
                }
            }
        }
        found
    }
}

/// The layer of a core file (index into [`LAYERS`]), or `None` for a module no layer lists.
fn layer_of(rel: &str, module: &[String]) -> Option<usize> {
    let by_name = |name: &str| LAYERS.iter().position(|(n, _)| *n == name);
    if let Some((_, layer)) = FILE_LAYERS.iter().find(|(f, _)| *f == rel) {
        return by_name(layer);
    }
    let top = module.first()?;
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&top.as_str()))
}

/// The cycles among `arrows`: one per strongly connected component of more than one file, as
/// a closed path `a → b → a`.
fn cycles(arrows: &[Arrow]) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in arrows {
        next.entry(&a.from).or_default().insert(&a.to);
        next.entry(&a.to).or_default();
    }
    let nodes: Vec<&str> = next.keys().copied().collect();
    let reach = |from: &str| -> BTreeSet<&str> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for m in next.get(n).into_iter().flatten() {
                if seen.insert(*m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let reachable: BTreeMap<&str, BTreeSet<&str>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut done = BTreeSet::new();
    let mut found = Vec::new();
    for n in &nodes {
        if done.contains(n) || !reachable[n].contains(n) {
            continue;
        }
        // A shortest path back to `n`, breadth first.
        let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([*n]);
        let mut closing = None;
        while let Some(m) = queue.pop_front() {
            for o in next.get(m).into_iter().flatten() {
                if o == n {
                    closing = Some(m);
                    break;
                }
                if !parent.contains_key(o) {
                    parent.insert(o, m);
                    queue.push_back(o);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let mut path = vec![n.to_string()];
        let mut m = closing;
        let mut back = Vec::new();
        while let Some(x) = m {
            if x == *n {
                break;
            }
            back.push(x.to_string());
            m = parent.get(x).copied();
        }
        back.reverse();
        path.extend(back);
        path.push(n.to_string());
        for x in &nodes {
            if reachable[n].contains(x) && reachable[x].contains(n) {
                done.insert(*x);
            }
        }
        found.push(path);
    }
    found
}

/// The problems with the import rules, in words; empty when the rules hold.
fn check(sources: &[(String, String)]) -> Vec<String> {
    let graph = Graph::new(sources);
    let mut problems: Vec<String> = graph
        .front_end_uses()
        .into_iter()
        .map(|u| format!("le cœur importe une interface : {u}"))
        .collect();
    let arrows = graph.arrows(Part::Core);
    let mut unknown = BTreeSet::new();
    for a in &arrows {
        let mut layer = |rel: &str| {
            let module = module_of(rel).unwrap_or_default();
            let found = layer_of(rel, &module);
            if found.is_none() {
                unknown.insert(module.first().cloned().unwrap_or_default());
            }
            found
        };
        if let (Some(from), Some(to)) = (layer(&a.from), layer(&a.to))
            && to > from
        {
            problems.push(format!(
                "src/{}:{} importe src/{} : la couche « {} » ne doit pas importer la couche « {} »",
                a.from, a.line, a.to, LAYERS[from].0, LAYERS[to].0
            ));
        }
    }
    for m in unknown {
        problems.push(format!(
            "module « {m} » sans couche : le placer dans LAYERS (tests/architecture.rs) et dans ARCHITECTURE.md"
        ));
    }
    for cycle in cycles(&arrows) {
        let lines: Vec<String> = cycle
            .windows(2)
            .filter_map(|w| {
                arrows
                    .iter()
                    .find(|a| a.from == w[0] && a.to == w[1])
                    .map(|a| format!("src/{}:{} → src/{}", a.from, a.line, a.to))
            })
            .collect();
        problems.push(format!(
            "cycle d'imports : {} ({})",
            cycle.join(" → "),
            lines.join(" ; ")
        ));
    }
    problems
}

/// The import cycles inside one front end, in words.
fn front_end_cycles(sources: &[(String, String)], name: &'static str) -> Vec<String> {
    let graph = Graph::new(sources);
    cycles(&graph.arrows(Part::FrontEnd(name)))
        .into_iter()
        .map(|c| format!("cycle d'imports : {}", c.join(" → ")))
        .collect()
}

/// Every `.rs` file under `dir`, as (path relative to `root` with `/`, text).
fn read_sources(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            read_sources(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && let (Ok(rel), Ok(text)) = (path.strip_prefix(root), std::fs::read_to_string(&path))
        {
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push((rel, text));
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_import_rules_of_architecture_md_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    read_sources(&src, &src, &mut sources);
    assert!(
        sources.iter().any(|(rel, _)| rel == "export/mod.rs") && sources.len() > 40,
        "the sources were not found under {}",
        src.display()
    );
    let problems = check(&sources);
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn the_app_has_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = Vec::new();
    read_sources(&src, &src, &mut sources);
    let problems = front_end_cycles(&sources, "app");
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn the_check_finds_a_cycle_through_a_reexport_and_a_super_path() {
    // map.rs → tiles.rs (through the `pub use` of export/mod.rs), tiles.rs → map.rs (super::).
    let problems = check(&files(&[
        ("lib.rs", "pub mod export;\npub mod model;"),
        ("model.rs", "pub struct Zone;"),
        (
            "export/mod.rs",
            "pub mod map;\npub mod tiles;\npub use tiles::{load_tiles as load};\npub enum ExportError {}",
        ),
        (
            "export/map.rs",
            "use super::ExportError;\n// use crate::export::nothing;\npub struct Tile;\nfn f() { crate::export::load(); }",
        ),
        (
            "export/tiles.rs",
            "use super::map::Tile;\npub fn load_tiles() { let s = \"crate::model::Zone\"; }",
        ),
    ]));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0],
        "cycle d'imports : export/map.rs → export/tiles.rs → export/map.rs (src/export/map.rs:4 → src/export/tiles.rs ; src/export/tiles.rs:1 → src/export/map.rs)"
    );
}

#[test]
fn the_check_finds_an_upward_import_and_a_ui_import() {
    let problems = check(&files(&[
        ("lib.rs", "pub mod project;\npub mod export;\npub mod app;"),
        ("export/mod.rs", "pub fn write_atomic() {}"),
        (
            "project.rs",
            "use crate::{export::write_atomic, app::State};\nfn draw(ui: &mut egui::Ui) {}",
        ),
        (
            "app/mod.rs",
            "pub struct State;\nuse crate::export::write_atomic;",
        ),
    ]));
    assert_eq!(
        problems,
        vec![
            "le cœur importe une interface : src/project.rs:1: crate::app::State".to_owned(),
            "le cœur importe une interface : src/project.rs:2: egui".to_owned(),
            "src/project.rs:1 importe src/export/mod.rs : la couche « import » ne doit pas importer la couche « export »".to_owned(),
        ]
    );
}

#[test]
fn inline_test_modules_and_children_are_not_arrows() {
    // `use super::*` in `mod tests` names the file itself; a module calling its own
    // submodule is containment; neither is a cycle.
    let problems = check(&files(&[
        ("lib.rs", "pub mod style;"),
        (
            "style/mod.rs",
            "pub mod classify;\npub use classify::classify;\npub enum StyleError {}\nfn f() { classify::classify(); }\n#[cfg(test)]\nmod tests {\n    use super::*;\n}",
        ),
        (
            "style/classify.rs",
            "use super::StyleError;\npub fn classify() {}",
        ),
    ]));
    assert!(problems.is_empty(), "{problems:?}");
}
