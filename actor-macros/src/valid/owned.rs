//! The check that arguments and replies own their data, with its visitor of types: the
//! one check that needs to tell a borrow from the lifetimes of a signature.

use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{GenericParam, Ident, Type};

use crate::errors::Errors;

/// Where a type appears, for the wording of its error.
#[derive(Clone, Copy)]
pub(crate) enum Position {
    Argument,
    Reply,
}

/// Arguments and replies are owned data: they wait in a mailbox or travel back to the asker,
/// and later cross the network, so they cannot borrow.
///
/// Lifetimes that belong to a signature rather than to the data do not count: those elided
/// or written `'_` in `Fn(&str) -> &str` sugar, those bound by `for<'a>`, and everything
/// inside a `fn(..)` pointer type. A `Box<dyn Fn(&str) -> usize + Send>` owns its closure.
pub(crate) fn check_owned(ty: &Type, position: Position, errors: &Errors) -> bool {
    let mut finder = FindBorrow {
        found: None,
        position,
        higher_ranked: Vec::new(),
        in_fn_sugar: 0,
    };
    finder.visit_type(ty);
    match finder.found {
        Some(err) => {
            errors.push(err);
            false
        }
        None => true,
    }
}

struct FindBorrow {
    found: Option<syn::Error>,
    position: Position,
    /// The lifetimes bound by the `for<..>`s around the current point.
    higher_ranked: Vec<Ident>,
    /// How deep inside `Fn(..) -> ..` sugar the current point is.
    in_fn_sugar: usize,
}

impl FindBorrow {
    /// Whether `lifetime` (`None` for an elided one) borrows from outside the type.
    fn borrows(&self, lifetime: Option<&syn::Lifetime>) -> bool {
        match lifetime {
            None => self.in_fn_sugar == 0,
            Some(lifetime) if lifetime.ident == "static" => false,
            Some(lifetime) if lifetime.ident == "_" => self.in_fn_sugar == 0,
            Some(lifetime) => !self.higher_ranked.contains(&lifetime.ident),
        }
    }
}

impl<'ast> Visit<'ast> for FindBorrow {
    fn visit_type_reference(&mut self, reference: &'ast syn::TypeReference) {
        if self.found.is_some() {
            return;
        }
        if self.borrows(reference.lifetime.as_ref()) {
            self.found = Some(syn::Error::new(
                reference.and_token.span(),
                borrowed_text(reference, self.position),
            ));
            return;
        }
        self.visit_type(&reference.elem);
    }

    fn visit_lifetime(&mut self, lifetime: &'ast syn::Lifetime) {
        if self.found.is_none() && self.borrows(Some(lifetime)) {
            self.found = Some(syn::Error::new_spanned(
                lifetime,
                match self.position {
                    Position::Argument => "a message argument cannot borrow: it waits in a mailbox after the call that sent it returns. Use an owned type or `'static`",
                    Position::Reply => "a reply cannot borrow from the actor: it travels to the asker after the handler returns. Return an owned type",
                },
            ));
        }
    }

    fn visit_type_impl_trait(&mut self, impl_trait: &'ast syn::TypeImplTrait) {
        if self.found.is_none() {
            self.found = Some(syn::Error::new_spanned(
                impl_trait,
                match self.position {
                    Position::Argument => "a message cannot take `impl Trait`: the message enum needs a concrete type. Take a concrete type, or `Box<dyn Trait + Send>`",
                    Position::Reply => "a reply cannot be `impl Trait`: the reply enum needs a concrete type. Return a concrete type, or `Box<dyn Trait + Send>`",
                },
            ));
        }
    }

    fn visit_type_bare_fn(&mut self, _: &'ast syn::TypeBareFn) {
        // Lifetimes inside `fn(&str)` are higher-ranked; the pointer itself is `'static`.
    }

    fn visit_trait_bound(&mut self, bound: &'ast syn::TraitBound) {
        // `for<'a> Fn(&'a str)`: `'a` is the closure's to choose, not a borrow. Only the
        // path is visited, so the `'a` declared in `for<'a>` is not taken for a use.
        let bound_here = bound.lifetimes.iter().flat_map(|lifetimes| {
            lifetimes.lifetimes.iter().filter_map(|param| match param {
                GenericParam::Lifetime(param) => Some(param.lifetime.ident.clone()),
                _ => None,
            })
        });
        let outer = self.higher_ranked.len();
        self.higher_ranked.extend(bound_here);
        self.visit_path(&bound.path);
        self.higher_ranked.truncate(outer);
    }

    fn visit_parenthesized_generic_arguments(
        &mut self,
        arguments: &'ast syn::ParenthesizedGenericArguments,
    ) {
        self.in_fn_sugar += 1;
        syn::visit::visit_parenthesized_generic_arguments(self, arguments);
        self.in_fn_sugar -= 1;
    }
}

fn borrowed_text(reference: &syn::TypeReference, position: Position) -> String {
    let owned = match &*reference.elem {
        Type::Path(path) if path.path.is_ident("str") => "`String`".to_owned(),
        Type::Slice(slice) => format!("`Vec<{}>`", quote::ToTokens::to_token_stream(&slice.elem)),
        Type::Path(path) if path.path.is_ident("Path") => "`PathBuf`".to_owned(),
        other => format!(
            "`{}` (or `Arc<{}>` to share it)",
            quote::ToTokens::to_token_stream(other),
            quote::ToTokens::to_token_stream(other)
        ),
    };
    let names_context = matches!(&*reference.elem, Type::Path(path)
        if path.path.segments.last().is_some_and(|s| s.ident == "Context"));
    match position {
        Position::Argument if names_context => format!(
            "the actor's context is `ctx: &mut Context<Self>`; any other `Context` is a message argument, and must be owned: the message waits in a mailbox after the call that sent it returns. Write `Context<Self>`, or take {owned}"
        ),
        Position::Argument => format!(
            "a message argument must be owned: the message waits in a mailbox after the call that sent it returns. Take {owned} instead"
        ),
        Position::Reply => format!(
            "a reply must be owned: it travels to the asker after the handler returns. Return {owned} instead"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(text: &str) -> bool {
        let ty: Type = syn::parse_str(text).unwrap();
        let errors = Errors::default();
        let owned = check_owned(&ty, Position::Argument, &errors);
        let reported = !errors.into_compile_errors().is_empty();
        assert_eq!(
            reported, !owned,
            "`{text}`: an error exactly when not owned"
        );
        owned
    }

    #[test]
    fn lifetimes_of_a_signature_are_not_borrows() {
        for ty in [
            "Box<dyn Fn(&str) -> usize + Send>",
            "Box<dyn Fn(&'_ str) -> &str + Send>",
            "Box<dyn for<'a> Fn(&'a str) -> &'a str + Send>",
            "Box<dyn for<'a> FnMut(std::borrow::Cow<'a, str>) + Send + 'static>",
            "fn(&u8) -> &u8",
            "&'static str",
            "Vec<Box<dyn Fn(&[u8]) + Send + Sync>>",
        ] {
            assert!(owned(ty), "`{ty}` was taken for a borrow");
        }
    }

    #[test]
    fn borrows_are_still_found() {
        for ty in [
            "&str",
            "Box<dyn Fn(&str) + '_>",
            "std::borrow::Cow<'_, str>",
            "&'static [&str]",
            "Box<dyn Iterator<Item = &str>>",
            "Box<dyn for<'a> Fn(&'a str, &'b str)>",
        ] {
            assert!(!owned(ty), "`{ty}` was taken for owned data");
        }
    }
}
