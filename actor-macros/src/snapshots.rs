//! Expansion snapshots: the reviewed record of what `#[actor]` generates.
//!
//! Each fixture in `tests/expand/*.rs` (workspace root) is expanded here, formatted with
//! prettyplease and compared with `tests/expand/*.expanded.rs`. The same fixtures are
//! compiled under strict lints by `tests/tests/expansion_lints.rs`, so a snapshot is known
//! to build warning-free; that test also compiles the snapshots themselves, as plain code,
//! where `missing_debug_implementations` sees the generated types (it is silent inside a
//! macro's output). To accept a changed expansion after reviewing the diff:
//! `UPDATE_EXPANDED=1 cargo test -p actor-macros`.

use std::fs;
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::{Attribute, Item};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/expand")
}

/// Expands every `#[actor]` item of `source` the way the compiler would.
fn expand_file(source: &str) -> String {
    let file = syn::parse_file(source).expect("fixture parses");
    let mut items = Vec::new();
    for mut item in file.items {
        let attr = attrs_of(&mut item).and_then(take_actor_attr);
        let Some(attr) = attr else {
            items.push(item.into_token_stream());
            continue;
        };
        let args = match attr.meta {
            syn::Meta::List(list) => list.tokens,
            _ => proc_macro2::TokenStream::new(),
        };
        items.push(crate::actor_impl(args, item.into_token_stream()));
    }
    let expanded: proc_macro2::TokenStream = items.into_iter().collect();
    let file = syn::parse2::<syn::File>(expanded).expect("expansion parses as a file");
    prettyplease::unparse(&file)
}

/// The attributes of the items `#[actor]` goes on.
fn attrs_of(item: &mut Item) -> Option<&mut Vec<Attribute>> {
    match item {
        Item::Struct(s) => Some(&mut s.attrs),
        Item::Enum(e) => Some(&mut e.attrs),
        Item::Impl(i) => Some(&mut i.attrs),
        _ => None,
    }
}

fn take_actor_attr(attrs: &mut Vec<Attribute>) -> Option<Attribute> {
    let index = attrs
        .iter()
        .position(|attr| attr.path().is_ident("actor"))?;
    Some(attrs.remove(index))
}

#[test]
fn expansions_match_snapshots() {
    let update = std::env::var_os("UPDATE_EXPANDED").is_some();
    let mut fixtures: Vec<PathBuf> = fs::read_dir(fixtures_dir())
        .expect("tests/expand exists")
        .map(|entry| entry.expect("readable dir entry").path())
        .filter(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 3,
        "expected the fixtures in {}",
        fixtures_dir().display()
    );
    let mut mismatches = Vec::new();
    for fixture in &fixtures {
        let source = fs::read_to_string(fixture).expect("fixture readable");
        let expanded = expand_file(&source);
        let snapshot = fixture.with_extension("expanded.rs");
        if update {
            fs::write(&snapshot, &expanded).expect("snapshot writable");
            continue;
        }
        match fs::read_to_string(&snapshot) {
            Ok(expected) if expected == expanded => {}
            Ok(_) => mismatches.push(format!("{} differs", snapshot.display())),
            Err(_) => mismatches.push(format!("{} is missing", snapshot.display())),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{}\nreview the expansion, then run `UPDATE_EXPANDED=1 cargo test -p actor-macros`",
        mismatches.join("\n")
    );
}

#[test]
fn crate_path_replaces_every_runtime_path() {
    let source = "
        #[actor(crate = my::runtime, mailbox = 2)]
        struct Counter { count: u32 }
        #[actor(crate = \"my::runtime\", remote = \"c.Counter\")]
        impl Counter {
            #[message]
            async fn add(&mut self, ctx: &mut Context<Self>, n: u32) -> u32 { self.count += n; self.count }
            #[started]
            fn hello(&mut self) {}
        }
    ";
    let expanded = expand_file(source);
    assert!(
        expanded.contains("my::runtime::__private::Actor"),
        "{expanded}"
    );
    assert!(
        expanded.contains("my::runtime::__private::wire::RemoteActor"),
        "{expanded}"
    );
    assert!(
        !expanded.contains("actor_core"),
        "the default path leaked into:\n{expanded}"
    );
}
