//! The names a message cannot take, because `ActorRef` has a method of that name.
//!
//! A ref is an `ActorRef<A>` that dereferences to the generated client, and method
//! resolution looks at `ActorRef<A>` itself before the client: a message named like one of
//! the ref's own methods could never be called as `actor_ref.name()`.
//!
//! Kept true by the test below, which parses actor-core's sources: every `pub fn` of an
//! inherent `impl ActorRef<..>` block must be in [`ACTOR_REF_METHODS`], and every name there
//! must still be such a method, so that adding a method to the ref cannot silently break a
//! user's message of that name (it becomes an error that names the clash instead), and a
//! name no longer needed is not kept without a reason. Any other reserved name is in
//! [`OTHER_RESERVED_NAMES`] with the reason it is reserved.

use syn::Ident;

use crate::errors::Errors;

/// The public inherent methods of `ActorRef`, which would hide a message's client method of
/// the same name.
const ACTOR_REF_METHODS: &[&str] = &[
    "ask",
    "downgrade",
    "id",
    "is_alive",
    "name",
    "path",
    "recipient",
    "routees",
    "send_after",
    "status",
    "stop",
    "stop_now",
    "tell",
    "terminated",
    "try_tell",
];

/// The other reserved names, each with the reason it is reserved.
const OTHER_RESERVED_NAMES: &[(&str, &str)] = &[
    // Methods of the prelude traits `ActorRef` implements, which resolution finds on the
    // ref before it looks at the client.
    ("clone", "`Clone::clone`: `ActorRef` is `Clone`"),
    ("clone_from", "`Clone::clone_from`: `ActorRef` is `Clone`"),
    (
        "clone_into",
        "`ToOwned::clone_into`: `ActorRef` is `Clone`, so `ToOwned`",
    ),
    ("eq", "`PartialEq::eq`: `ActorRef` is `PartialEq`"),
    ("ne", "`PartialEq::ne`: `ActorRef` is `PartialEq`"),
    ("into", "`Into::into`: every type is `Into<Self>`"),
    (
        "try_into",
        "`TryInto::try_into`: every type is `TryInto<Self>`",
    ),
    (
        "to_owned",
        "`ToOwned::to_owned`: `ActorRef` is `Clone`, so `ToOwned`",
    ),
    // Methods `ActorRef` had or has private to actor-core. In a user's crate, rustc skips a
    // method it cannot see and finds the client's, so these hide nothing there; they were
    // reserved from the first version, and stay so that no name accepted today changes.
    (
        "cell",
        "once a crate-private method of `ActorRef`; reserved since the first version",
    ),
    (
        "core",
        "a crate-private method of `ActorRef`; reserved since the first version",
    ),
    (
        "from_core",
        "a crate-private constructor of `ActorRef`; reserved since the first version",
    ),
];

fn is_reserved(name: &str) -> bool {
    ACTOR_REF_METHODS.contains(&name) || OTHER_RESERVED_NAMES.iter().any(|(n, _)| *n == name)
}

/// A message whose name `ActorRef` would shadow could not be called through a ref.
pub(super) fn check_not_reserved(ident: &Ident, errors: &Errors) -> bool {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    if is_reserved(name) {
        errors.push(syn::Error::new_spanned(
            ident,
            format!(
                "a message cannot be named `{name}`: `ActorRef` has its own `{name}` method, which would hide this one; rename the message (for example `{name}_value` or a more specific verb)"
            ),
        ));
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::fs;
    use std::path::{Path, PathBuf};

    use syn::visit::Visit;

    use super::*;

    /// Every `.rs` file under `dir`, at any depth: `ActorRef`'s methods may be spread over
    /// several files and folders.
    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
        for entry in entries {
            let path = entry.expect("readable directory entry").path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    /// The `pub fn`s of inherent `impl<..> ActorRef<..>` blocks, also in inline modules.
    #[derive(Default)]
    struct PublicRefMethods(BTreeSet<String>, usize);

    impl<'ast> Visit<'ast> for PublicRefMethods {
        fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
            let is_actor_ref = matches!(&*item.self_ty, syn::Type::Path(path)
                if path.path.segments.last().is_some_and(|s| s.ident == "ActorRef"));
            if item.trait_.is_none() && is_actor_ref {
                self.1 += 1;
                for impl_item in &item.items {
                    if let syn::ImplItem::Fn(method) = impl_item {
                        if matches!(method.vis, syn::Visibility::Public(_)) {
                            self.0.insert(method.sig.ident.to_string());
                        }
                    }
                }
            }
            syn::visit::visit_item_impl(self, item);
        }
    }

    fn actor_ref_methods() -> BTreeSet<String> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../actor-core/src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut methods = PublicRefMethods::default();
        for file in &files {
            let text = fs::read_to_string(file).expect("readable source file");
            let parsed = syn::parse_file(&text)
                .unwrap_or_else(|err| panic!("{} does not parse: {err}", file.display()));
            methods.visit_file(&parsed);
        }
        assert!(
            methods.1 > 0 && methods.0.contains("tell"),
            "found no inherent `impl ActorRef<..>` with `tell` in the {} files under {}: has `ActorRef` moved out of actor-core?",
            files.len(),
            src.display()
        );
        methods.0
    }

    #[test]
    fn every_public_method_of_actor_ref_is_a_reserved_name() {
        let methods = actor_ref_methods();
        let missing: Vec<&String> = methods
            .iter()
            .filter(|method| !ACTOR_REF_METHODS.contains(&method.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "`ActorRef` has public methods {missing:?} that a message could be named like, and \
             then never be called through a ref: add them to `ACTOR_REF_METHODS` in \
             actor-macros/src/valid/reserved.rs (and to the reserved names in \
             docs/macro-reference.md), and note in CHANGELOG.md that a message of that name \
             is now an error"
        );
        let stale: Vec<&&str> = ACTOR_REF_METHODS
            .iter()
            .filter(|name| !methods.contains(**name))
            .collect();
        assert!(
            stale.is_empty(),
            "{stale:?} in `ACTOR_REF_METHODS` (actor-macros/src/valid/reserved.rs) are no longer \
             public methods of `ActorRef`: move each to `OTHER_RESERVED_NAMES` with the reason \
             it stays reserved, or, to accept messages of that name again, remove it (a change \
             to note in CHANGELOG.md)"
        );
    }

    #[test]
    fn every_other_reserved_name_says_why_and_is_listed_once() {
        let mut seen = BTreeSet::new();
        for (name, why) in OTHER_RESERVED_NAMES {
            assert!(
                !why.trim().is_empty(),
                "`{name}` is reserved without a reason"
            );
            assert!(
                !ACTOR_REF_METHODS.contains(name),
                "`{name}` is in both lists"
            );
            assert!(seen.insert(name), "`{name}` is listed twice");
        }
    }

    #[test]
    fn reserved_names_are_rejected_also_as_raw_identifiers() {
        for name in ["tell", "r#try_into", "clone", "core"] {
            let errors = Errors::default();
            let ident: Ident = syn::parse_str(name).unwrap();
            assert!(!check_not_reserved(&ident, &errors), "{name}");
            assert!(!errors.into_compile_errors().is_empty(), "{name}");
        }
        let errors = Errors::default();
        assert!(check_not_reserved(
            &syn::parse_str("deposit").unwrap(),
            &errors
        ));
        assert!(errors.into_compile_errors().is_empty());
    }
}
