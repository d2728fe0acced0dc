//! The checks, a stage of their own between parsing (`ast`) and expansion: each misuse
//! becomes an error on the user's offending token, with a sentence that says what to write
//! instead, and the messages and hooks with an error are left out of the expansion.

use syn::{FnArg, GenericParam, Generics, Ident, ItemImpl, PatType, ReturnType, Signature, Type};

use crate::ast::{
    context_argument, is_unit, names_the_actor, ActorImpl, Handler, Hook, HookParamKind, Message,
    Param,
};
use crate::attr::Marker;
use crate::errors::Errors;
use crate::naming::variant_name;

mod owned;
mod remote;
mod reserved;

use owned::{check_owned, Position};
pub(crate) use remote::check_remote;
use reserved::check_not_reserved;

/// Runs every check of an `#[actor]` impl block, between parsing and expansion, reporting
/// each failure into `errors` at the user's token.
///
/// Gives back the model without the messages and hooks that failed a check, so that the
/// rest still expands, or `None` when the block is not an actor's own (it is then emitted
/// unexpanded).
pub(crate) fn check(
    input: &ItemImpl,
    model: Option<ActorImpl>,
    errors: &Errors,
) -> Option<ActorImpl> {
    check_impl_header(input, errors);
    if input.trait_.is_some() {
        // Generating an actor from a trait impl would only add follow-on errors (a second
        // `impl Actor`, for one); the header error says what to do.
        return None;
    }
    let Some(mut model) = model else {
        errors.push(unnamed_actor(&input.self_ty));
        return None;
    };
    let mut accepted: Vec<bool> = Vec::with_capacity(model.handlers.len());
    for (index, handler) in model.handlers.iter().enumerate() {
        let earlier = model.handlers[..index]
            .iter()
            .zip(&accepted)
            .filter_map(|(earlier, ok)| ok.then_some(earlier));
        let ok = match handler {
            Handler::Message(message) => {
                check_message(message, &model.actor_ident, errors)
                    && check_variant_is_free(message, earlier, errors)
            }
            Handler::Hook(hook) => {
                check_hook(hook, &model.actor_ident, errors)
                    && check_hook_is_first(hook, earlier, errors)
            }
        };
        accepted.push(ok);
    }
    let mut accepted = accepted.into_iter();
    model
        .handlers
        .retain(|_| accepted.next().unwrap_or_default());
    Some(model)
}

/// The checks of `#[actor]` on a struct (or enum).
pub(crate) fn check_struct(generics: &Generics, errors: &Errors) {
    check_no_lifetimes(generics, errors);
}

const BORROWING_ACTOR: &str = "an actor cannot borrow: it outlives whoever spawned it; remove the lifetime and own the data (`String`, `Vec<T>`, `Arc<T>`)";

fn check_no_lifetimes(generics: &Generics, errors: &Errors) {
    for param in &generics.params {
        if let GenericParam::Lifetime(lifetime) = param {
            errors.push(syn::Error::new_spanned(lifetime, BORROWING_ACTOR));
        }
    }
}

fn check_impl_header(item: &ItemImpl, errors: &Errors) {
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
    check_no_lifetimes(&item.generics, errors);
}

/// The error for an impl block whose type gives the generated items no name.
fn unnamed_actor(self_ty: &Type) -> syn::Error {
    match self_ty {
        Type::Path(path) if path.qself.is_none() => {
            syn::Error::new_spanned(self_ty, "expected the actor's type")
        }
        other => syn::Error::new_spanned(
            other,
            "`#[actor]` needs the impl block of a named struct or enum, like `impl Account { ... }`",
        ),
    }
}

/// The method name whose variant would be the reply enum's `AnsweredLater`.
const ANSWERED_LATER_METHOD: &str = "answered_later";

/// The checks of one message, each reported; whether all passed.
fn check_message(message: &Message, actor: &Ident, errors: &Errors) -> bool {
    let sig = &message.sig;
    let mut ok = check_signature_shape(Marker::Message, sig, errors);
    ok &= check_receiver(Marker::Message, sig, errors);
    ok &= check_not_reserved(&sig.ident, errors);
    let mut seen_context = false;
    let mut seen_reply = false;
    for param in &message.params {
        match param {
            Param::Context(node) => {
                if check_context(node, actor, seen_context, errors) {
                    seen_context = true;
                } else {
                    ok = false;
                }
            }
            Param::Arg {
                node, ident: None, ..
            } => {
                errors.push(syn::Error::new_spanned(
                    &node.pat,
                    "a message argument needs a plain name, like `amount: u64`: it becomes a field of the message; destructure it inside the method",
                ));
                ok = false;
            }
            Param::Arg { node, .. } => {
                ok &= check_owned(&node.ty, Position::Argument, errors);
            }
            Param::Reply { node, ty } => {
                if seen_reply {
                    errors.push(syn::Error::new_spanned(
                        node,
                        "a message has one reply slot: remove this second `ReplyTo` argument",
                    ));
                    ok = false;
                }
                seen_reply = true;
                ok &= check_owned(ty, Position::Reply, errors);
            }
        }
    }
    if seen_reply {
        if let ReturnType::Type(_, ty) = &sig.output {
            if !is_unit(ty) {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "a message that answers through its `ReplyTo` argument returns nothing: remove the return type; the reply is what it sends to the `ReplyTo`",
                ));
                ok = false;
            }
        }
        if let Some(span) = message.fail_on_err {
            errors.push(syn::Error::new(
                span,
                "`fail_on_err` reads the reply a handler returns, and a handler with a `ReplyTo` argument returns none: fail the actor with `ctx.fail(..)` instead",
            ));
            ok = false;
        }
        if sig.ident == ANSWERED_LATER_METHOD {
            errors.push(syn::Error::new_spanned(
                &sig.ident,
                format!("a message named `{ANSWERED_LATER_METHOD}` would collide with the reply variant `AnsweredLater` that `#[actor]` generates for handlers that answer later: rename it"),
            ));
            ok = false;
        }
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if !is_unit(ty) && !seen_reply {
            ok &= check_owned(ty, Position::Reply, errors);
        }
    }
    if let Some(span) = message.fail_on_err.filter(|_| !seen_reply) {
        if !message.output.as_ref().is_some_and(is_result_type) {
            errors.push(syn::Error::new(
                span,
                "`fail_on_err` needs a handler that returns `Result<T, E>`: its `Err` is what fails the actor",
            ));
            ok = false;
        }
    }
    if let Err(err) = variant_name(&sig.ident) {
        errors.push(err);
        ok = false;
    }
    ok
}

/// Two methods under `#[cfg]`s may be alternatives (`cfg(unix)` and `cfg(not(unix))`); if
/// both are compiled in, rustc reports the duplicate variant.
fn check_variant_is_free<'m>(
    message: &Message,
    mut earlier: impl Iterator<Item = &'m Handler>,
    errors: &Errors,
) -> bool {
    let clash = earlier.find_map(|handler| match handler {
        Handler::Message(existing)
            if existing.variant() == message.variant()
                && (existing.cfgs.is_empty() || message.cfgs.is_empty()) =>
        {
            Some(existing)
        }
        Handler::Message(_) | Handler::Hook(_) => None,
    });
    let Some(clash) = clash else {
        return true;
    };
    errors.push(syn::Error::new(
        message.method.span(),
        format!(
            "`{}` and `{}` would both become the message variant `{}`; rename one of them",
            clash.method,
            message.method,
            message.variant()
        ),
    ));
    false
}

/// The checks of one hook, each reported; whether all passed.
fn check_hook(hook: &Hook, actor: &Ident, errors: &Errors) -> bool {
    let Hook { marker, sig, .. } = hook;
    let marker = *marker;
    let mut ok = check_signature_shape(marker, sig, errors);
    ok &= check_receiver(marker, sig, errors);
    let takes_failure = matches!(marker, Marker::PreRestart | Marker::PostRestart);
    let expected = if marker == Marker::Terminated {
        "`&mut self` (or `&self`), a `terminated: Terminated` and, optionally, `ctx: &mut Context<Self>`, in any order"
    } else if takes_failure {
        "`&mut self` (or `&self`) and, optionally, `failure: &Failure` and `ctx: &mut Context<Self>`, in any order"
    } else {
        "only `&mut self` (or `&self`) and, optionally, `ctx: &mut Context<Self>`"
    };
    let (mut seen_context, mut seen_terminated, mut seen_failure) = (false, false, false);
    for param in &hook.params {
        match param.kind {
            HookParamKind::Context => {
                if check_context(&param.node, actor, seen_context, errors) {
                    seen_context = true;
                } else {
                    ok = false;
                }
            }
            HookParamKind::Terminated if marker == Marker::Terminated && !seen_terminated => {
                seen_terminated = true;
            }
            HookParamKind::Failure if takes_failure && !seen_failure => seen_failure = true,
            HookParamKind::Terminated | HookParamKind::Failure | HookParamKind::Other => {
                errors.push(syn::Error::new_spanned(
                    &param.node,
                    format!("a `#[{}]` hook takes {expected}", marker.name()),
                ));
                ok = false;
            }
        }
    }
    if marker == Marker::Terminated && ok && !seen_terminated {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "a `#[terminated]` hook receives the signal: add a `terminated: Terminated` argument",
        ));
        ok = false;
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if !is_unit(ty) {
            errors.push(syn::Error::new_spanned(
                ty,
                format!(
                    "a `#[{}]` hook returns nothing: remove the return type. To fail the actor, panic or call `ctx.fail(..)`",
                    marker.name()
                ),
            ));
            ok = false;
        }
    }
    ok
}

/// An actor has one hook of each kind; as for messages, hooks under `#[cfg]`s may be
/// alternatives.
fn check_hook_is_first<'m>(
    hook: &Hook,
    mut earlier: impl Iterator<Item = &'m Handler>,
    errors: &Errors,
) -> bool {
    let first = earlier.find_map(|handler| match handler {
        Handler::Hook(existing)
            if existing.marker == hook.marker
                && (existing.cfgs.is_empty() || hook.cfgs.is_empty()) =>
        {
            Some(existing)
        }
        Handler::Hook(_) | Handler::Message(_) => None,
    });
    let Some(first) = first else {
        return true;
    };
    errors.push(syn::Error::new(
        hook.method.span(),
        format!(
            "`{}` is already the `#[{marker}]` hook, and an actor has one: move the body of `{}` into `{}` and remove `#[{marker}]` here",
            first.method,
            hook.method,
            first.method,
            marker = hook.marker.name()
        ),
    ));
    false
}

/// No `const`, `unsafe`, `extern`, variadic or generic methods.
fn check_signature_shape(marker: Marker, sig: &Signature, errors: &Errors) -> bool {
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
fn check_receiver(marker: Marker, sig: &Signature, errors: &Errors) -> bool {
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

/// A `Result<..>` return, for `fail_on_err`.
fn is_result_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Result"))
}

/// The checks of a parameter meant as the context, which must be `ctx: &mut Context<Self>`
/// and come once; whether it is.
fn check_context(pat_type: &PatType, actor: &Ident, seen_context: bool, errors: &Errors) -> bool {
    let ty = &*pat_type.ty;
    let (reference, referent) = match ty {
        Type::Reference(reference) => (Some(reference), &*reference.elem),
        other => (None, other),
    };
    let Some(argument) = context_argument(referent) else {
        unreachable!("the parser takes a parameter for the context only if it is a `Context<..>`");
    };
    let fail = |error: syn::Error| {
        errors.push(error);
        false
    };
    let Some(reference) = reference else {
        // The parser took it for the context because it names the actor.
        return fail(syn::Error::new_spanned(
            ty,
            "take the context by reference: `ctx: &mut Context<Self>`",
        ));
    };
    if !names_the_actor(argument, actor) {
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
    true
}

fn what(marker: Marker) -> String {
    match marker {
        Marker::Message => "a `#[message]` method".to_owned(),
        hook => format!("a `#[{}]` hook", hook.name()),
    }
}
