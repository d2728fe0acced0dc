//! The checks: each misuse becomes an error on the user's offending token, with a sentence
//! that says what to write instead.

use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{FnArg, GenericParam, Ident, ItemImpl, PatType, Signature, Type};

use crate::attr::Marker;
use crate::errors::Errors;

/// Method names an [`ActorRef`] resolves before the generated client: a message with one of
/// these names could never be called as `actor_ref.name()`. Inherent methods of `ActorRef`
/// (public and private, since rustc picks a private one and then reports it private), and
/// methods of traits in the prelude that `ActorRef` implements.
pub(crate) const RESERVED_METHOD_NAMES: &[&str] = &[
    // inherent methods of ActorRef
    "ask",
    "cell",
    "core",
    "downgrade",
    "from_core",
    "id",
    "is_alive",
    "name",
    "path",
    "status",
    "stop",
    "stop_now",
    "tell",
    "terminated",
    "try_tell",
    // prelude traits ActorRef implements: Clone, PartialEq, Into, TryInto, ToOwned
    "clone",
    "clone_from",
    "clone_into",
    "eq",
    "into",
    "ne",
    "to_owned",
    "try_into",
];

pub(crate) fn check_impl_header(item: &ItemImpl, errors: &Errors) {
    if let Some((_, path, _)) = &item.trait_ {
        errors.push(syn::Error::new_spanned(
            path,
            "`#[actor]` goes on the actor's own impl block, like `impl Account { ... }`, not on a trait impl",
        ));
    }
    if let Some(unsafety) = &item.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "an `#[actor]` impl block cannot be `unsafe`",
        ));
    }
    if let Some(default) = &item.defaultness {
        errors.push(syn::Error::new_spanned(
            default,
            "an `#[actor]` impl block cannot be `default`",
        ));
    }
    for param in &item.generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            errors.push(syn::Error::new_spanned(
                lifetime,
                "an actor cannot borrow: it outlives whoever spawned it; remove the lifetime and own the data (`String`, `Vec<T>`, `Arc<T>`)",
            ));
        }
    }
}

/// The name the generated items are named after: `Store` for `Store<T>`.
pub(crate) fn actor_ident(self_ty: &Type) -> syn::Result<Ident> {
    match self_ty {
        Type::Path(path) if path.qself.is_none() => match path.path.segments.last() {
            Some(segment) => Ok(segment.ident.clone()),
            None => Err(syn::Error::new_spanned(self_ty, "expected the actor's type")),
        },
        other => Err(syn::Error::new_spanned(
            other,
            "`#[actor]` needs the impl block of a named struct or enum, like `impl Account { ... }`",
        )),
    }
}

/// No `const`, `unsafe`, `extern`, variadic or generic methods.
pub(crate) fn check_signature_shape(marker: Marker, sig: &Signature, errors: &Errors) -> bool {
    let what = what(marker);
    let mut ok = true;
    let mut reject = |tokens: &dyn quote::ToTokens, text: String| {
        errors.push(syn::Error::new_spanned(tokens, text));
        ok = false;
    };
    if let Some(constness) = &sig.constness {
        reject(
            constness,
            format!("{what} cannot be `const fn`: remove `const`"),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        reject(unsafety, format!("{what} cannot be `unsafe fn`: move the unsafe part into an `unsafe` block inside it"));
    }
    if let Some(abi) = &sig.abi {
        reject(
            abi,
            format!("{what} cannot have an `extern` ABI: remove it"),
        );
    }
    if let Some(variadic) = &sig.variadic {
        reject(variadic, format!("{what} cannot be variadic"));
    }
    if let Some(param) = sig.generics.params.first() {
        reject(
            param,
            format!(
                "{what} cannot be generic: its message needs one concrete type per argument; use a concrete type here, or make the actor itself generic (`impl<T> Store<T>`)"
            ),
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        reject(
            where_clause,
            format!("{what} cannot have a `where` clause: put bounds on the impl block"),
        );
    }
    ok
}

/// `&self` or `&mut self`, without a lifetime.
pub(crate) fn check_receiver(marker: Marker, sig: &Signature, errors: &Errors) -> bool {
    let what = what(marker);
    let Some(FnArg::Receiver(receiver)) = sig.inputs.first() else {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            format!(
                "{what} needs a `&self` or `&mut self` receiver; `{}` is an associated function. Add `&mut self`, or move it out of the `#[actor]` impl block",
                sig.ident
            ),
        ));
        return false;
    };
    if receiver.colon_token.is_some() {
        errors.push(syn::Error::new_spanned(
            receiver,
            format!(
                "{what} takes `&self` or `&mut self`, not a typed receiver like `self: Box<Self>`"
            ),
        ));
        return false;
    }
    match &receiver.reference {
        None => {
            let text = match marker {
                Marker::Message => format!(
                    "{what} cannot take `self` by value: the actor keeps its state between messages. Take `&mut self`; to stop the actor after this message, take `ctx: &mut Context<Self>` and call `ctx.stop()`"
                ),
                _ => format!(
                    "{what} cannot take `self` by value: the runtime keeps the actor after the hook returns. Take `&mut self`"
                ),
            };
            errors.push(syn::Error::new(receiver.self_token.span, text));
            false
        }
        Some((_, Some(lifetime))) => {
            errors.push(syn::Error::new_spanned(
                lifetime,
                format!("{what} cannot name the receiver's lifetime: write `&self` or `&mut self`"),
            ));
            false
        }
        Some((_, None)) => true,
    }
}

/// A message whose name `ActorRef` would shadow could not be called through a ref.
pub(crate) fn check_not_reserved(ident: &Ident, errors: &Errors) -> bool {
    let name = ident.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    if RESERVED_METHOD_NAMES.contains(&name) {
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

/// A `Result<..>` return, for `fail_on_err`.
pub(crate) fn is_result_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Result"))
}

/// The death-watch signal's type, `Terminated`.
pub(crate) fn is_terminated_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Terminated"))
}

/// `&Failure` (any path ending in `Failure`), the restart hooks' cause.
pub(crate) fn is_failure_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference)
        if reference.mutability.is_none()
            && matches!(&*reference.elem, Type::Path(path)
                if path.path.segments.last().is_some_and(|s| s.ident == "Failure")))
}

/// What a parameter is, as far as the actor's context goes.
pub(crate) enum ContextParam {
    /// `ctx: &mut Context<Self>`: the dispatch passes the context in.
    Valid,
    /// Meant as the context, but written wrong; the error is reported.
    Invalid,
    /// Anything else, including a type of the user's own named `Context`.
    NotContext,
}

/// Sorts out the context parameter. The actor's context is a `Context<Self>` (or
/// `Context<Actor>`), whatever path leads to it; a type named `Context` without that
/// argument (`app::Context`, `opentelemetry::Context`, a struct of the user's) is an
/// ordinary argument. A reference to a `Context<Other>` is taken for the context of
/// another actor, since, as a borrowed argument, it could not be a message's field anyway.
pub(crate) fn context_param(
    pat_type: &PatType,
    actor: &Ident,
    seen_context: bool,
    errors: &Errors,
) -> ContextParam {
    let ty = &*pat_type.ty;
    let (reference, referent) = match ty {
        Type::Reference(reference) => (Some(reference), &*reference.elem),
        other => (None, other),
    };
    let Some(argument) = context_argument(referent) else {
        return ContextParam::NotContext;
    };
    let names_the_actor = matches!(
        argument,
        Type::Path(arg) if arg.qself.is_none()
            && arg.path.segments.last().is_some_and(|s| s.ident == "Self" || s.ident == *actor)
    );
    let fail = |error: syn::Error| {
        errors.push(error);
        ContextParam::Invalid
    };
    let Some(reference) = reference else {
        if !names_the_actor {
            return ContextParam::NotContext;
        }
        return fail(syn::Error::new_spanned(
            ty,
            "take the context by reference: `ctx: &mut Context<Self>`",
        ));
    };
    if !names_the_actor {
        return fail(syn::Error::new_spanned(
            argument,
            format!(
                "the context is that of the actor that runs this method: write `Context<Self>`, not `Context<{}>`; to reach another actor, keep its `ActorRef` in a field",
                quote::ToTokens::to_token_stream(argument)
            ),
        ));
    }
    if reference.mutability.is_none() {
        return fail(syn::Error::new_spanned(
            reference.and_token,
            "take the context as `&mut Context<Self>`: `&mut` is what the dispatch passes in",
        ));
    }
    if let Some(lifetime) = &reference.lifetime {
        return fail(syn::Error::new_spanned(
            lifetime,
            "remove the lifetime: write `ctx: &mut Context<Self>`",
        ));
    }
    if seen_context {
        return fail(syn::Error::new_spanned(
            pat_type,
            "the context is already a parameter; take it once",
        ));
    }
    ContextParam::Valid
}

/// The one type argument of a path ending in `Context<..>`.
fn context_argument(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Context" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut args = args.args.iter();
    match (args.next(), args.next()) {
        (Some(syn::GenericArgument::Type(ty)), None) => Some(ty),
        _ => None,
    }
}

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

fn what(marker: Marker) -> String {
    match marker {
        Marker::Message => "a `#[message]` method".to_owned(),
        hook => format!("a `#[{}]` hook", hook.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(ty: &str) -> bool {
        let ty: Type = syn::parse_str(ty).unwrap();
        check_owned(&ty, Position::Argument, &Errors::default())
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
