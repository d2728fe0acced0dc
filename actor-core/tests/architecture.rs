//! The crate's architecture, checked: its concepts (the top-level modules under `src/`) form
//! layers, each using only those below it, and every file imports a name from the file
//! that defines it rather than through a re-export, so that the graph read off the imports
//! is the real one.
//!
//! Three exceptions: the loom shim (`mailbox/sync.rs`) re-exports by design; every module
//! may name the `Actor` trait (`actor.rs`), whose signatures name the context and the
//! client; and the public vocabulary of supervision (`supervision/strategy.rs`, data
//! types only) is a node of its own, because the events name a `Directive` while the
//! supervisor publishes events.
//!
//! The imports are read with a small scanner, not a parser: paths that start with
//! `crate::`, `super::` or `self::`, outside comments, with one level of `{..}` groups. A
//! file that names a dependency only through a method call or an inferred type is not
//! seen; imports are where this crate's dependencies are written.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Files that are nodes of their own rather than part of their folder's node.
const VOCABULARY: &[&str] = &["crate::supervision::strategy"];

/// Shims that re-export by design: `mailbox::sync` swaps std's primitives for loom's under
/// `--cfg loom`, as tokio's `loom` module does, so its names are defined elsewhere.
const SHIMS: &[&str] = &["crate::mailbox::sync"];

/// The modules everyone may name.
const ROOT_VOCABULARY: &[&str] = &["crate::actor"];

/// One source file: its module path (`crate::mailbox::queue`) and its text without
/// comments.
struct Source {
    module: String,
    file: PathBuf,
    code: String,
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    walk(&root, &root, &mut found);
    found.sort_by(|a, b| a.module.cmp(&b.module));
    found
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<Source>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            walk(root, &path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let relative = path.strip_prefix(root).expect("under src/");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .iter()
                .map(|part| part.to_string_lossy().into_owned())
                .collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let module = std::iter::once("crate".to_owned())
                .chain(parts)
                .collect::<Vec<_>>()
                .join("::");
            let text = fs::read_to_string(&path).expect("a readable source file");
            found.push(Source {
                module,
                file: relative.to_path_buf(),
                code: strip_comments(&text),
            });
        }
    }
}

/// The text without `//` and `/* */` comments (doc comments included), and without the
/// contents of string literals, which may look like paths.
fn strip_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                out.push('"');
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                out.push('"');
                i += 1;
            }
            // A char literal such as '"' must not open a string; lifetimes pass through.
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => {
                i += 3;
            }
            byte => {
                out.push(byte as char);
                i += 1;
            }
        }
    }
    out
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Every path in `code` that starts with `crate`, `super` or `self`, made absolute
/// (`crate::a::b::Name`), with `{a, b::c}` groups expanded one level.
fn paths(module: &str, code: &str) -> Vec<Vec<String>> {
    let bytes = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident_byte(bytes[i - 1]);
        let start = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|prefix| starts_word && code[i..].starts_with(prefix));
        let Some(start) = start else {
            i += 1;
            continue;
        };
        let mut base: Vec<String> = match start {
            "crate::" => vec!["crate".to_owned()],
            "super::" => {
                let mut parent: Vec<String> = module.split("::").map(str::to_owned).collect();
                parent.pop();
                parent
            }
            _ => module.split("::").map(str::to_owned).collect(),
        };
        i += start.len();
        loop {
            let begin = i;
            while i < bytes.len() && is_ident_byte(bytes[i]) {
                i += 1;
            }
            if begin == i {
                break;
            }
            base.push(code[begin..i].to_owned());
            if code[i..].starts_with("::{") {
                i += 3;
                let end = code[i..].find('}').map_or(bytes.len(), |at| i + at);
                for item in code[i..end].split(',') {
                    let item = item.split(" as ").next().unwrap_or_default().trim();
                    if item.is_empty() || item == "self" || item == "*" {
                        continue;
                    }
                    let mut path = base.clone();
                    path.extend(item.split("::").map(|part| part.trim().to_owned()));
                    found.push(path);
                }
                i = end;
                break;
            }
            if code[i..].starts_with("::") {
                i += 2;
            } else {
                break;
            }
        }
        found.push(base);
    }
    found
}

/// The longest prefix of `path` that is a module of the crate, and the name after it.
fn resolve<'a>(
    modules: &BTreeMap<String, &'a Source>,
    path: &[String],
) -> Option<(&'a Source, Option<String>)> {
    (1..=path.len()).rev().find_map(|len| {
        let candidate = path[..len].join("::");
        modules
            .get(&candidate)
            .map(|source| (*source, path.get(len).cloned()))
    })
}

/// Whether `source` defines `name` itself (an item or a submodule), rather than
/// re-exporting it.
fn defines(source: &Source, name: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "struct",
        "enum",
        "trait",
        "fn",
        "type",
        "const",
        "static",
        "union",
        "mod",
        "macro_rules!",
    ];
    source
        .code
        .split_whitespace()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|pair| {
            KEYWORDS.contains(&pair[0])
                && pair[1]
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    == Some(name)
        })
}

/// A concept: the top-level module a file belongs to, or the file itself for vocabulary.
fn concept(module: &str) -> String {
    if let Some(vocabulary) = VOCABULARY.iter().find(|v| module.starts_with(**v)) {
        return (*vocabulary).to_owned();
    }
    module.split("::").take(2).collect::<Vec<_>>().join("::")
}

#[test]
fn files_import_names_from_the_file_that_defines_them() {
    let sources = sources();
    let modules: BTreeMap<String, &Source> =
        sources.iter().map(|s| (s.module.clone(), s)).collect();
    let mut violations = Vec::new();
    for source in &sources {
        // The crate root and the guide re-export by design.
        if source.module == "crate" || source.module.starts_with("crate::guide") {
            continue;
        }
        for path in paths(&source.module, &source.code) {
            let Some((target, Some(name))) = resolve(&modules, &path) else {
                continue;
            };
            // `pub use` lines of a folder's `mod.rs` re-export for the crate root: they
            // are the definitions' own paths, which this very check keeps honest.
            if target.module == source.module || SHIMS.contains(&target.module.as_str()) {
                continue;
            }
            if !defines(target, &name) {
                violations.push(format!(
                    "{}: `{}` is not defined in {} (import it from the file that defines it)",
                    source.file.display(),
                    path.join("::"),
                    target.file.display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_concepts_form_layers() {
    let sources = sources();
    let modules: BTreeMap<String, &Source> =
        sources.iter().map(|s| (s.module.clone(), s)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in &sources {
        let from = concept(&source.module);
        if from == "crate" || from == "crate::guide" {
            continue;
        }
        for path in paths(&source.module, &source.code) {
            let Some((target, _)) = resolve(&modules, &path) else {
                continue;
            };
            let to = concept(&target.module);
            if to != from && to != "crate" && !ROOT_VOCABULARY.contains(&to.as_str()) {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Enough layers for the check to mean something: the graph is not empty.
    assert!(
        graph.len() >= 10,
        "only {} concepts found: {graph:?}",
        graph.len()
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the concepts form a cycle: {}\nthe graph: {graph:#?}",
            cycle.join(" -> ")
        );
    }
}

/// A cycle in `graph`, as the path that closes it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_owned(), to.into_iter().map(str::to_owned).collect()))
    .collect();
    let cycle = find_cycle(&graph).expect("a -> b -> c -> a");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
}

#[test]
fn the_scanner_reads_grouped_and_relative_imports() {
    let code = strip_comments(
        "use crate::a::{b::C, D as E, self};\n// use crate::hidden::X;\nuse super::f::G;\nlet s = \"crate::not::a::path\";",
    );
    let found: Vec<String> = paths("crate::m::n", &code)
        .into_iter()
        .map(|path| path.join("::"))
        .collect();
    assert_eq!(
        found,
        [
            "crate::a::b::C",
            "crate::a::D",
            "crate::a",
            "crate::m::f::G"
        ]
    );
}
