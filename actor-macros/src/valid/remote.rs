//! The checks of `#[actor(remote = "...")]` and `#[message(wire = "...")]`: the names a
//! peer derives the wire ids from, which must be well formed and tell the messages apart.

use syn::{GenericParam, ItemImpl, LitStr};

use crate::ast::{ActorImpl, Message};
use crate::attr::ImplOptions;
use crate::errors::Errors;

/// The checks of the wire names, each failure reported into `errors`.
///
/// Gives the actor's wire name when its `RemoteActor` impl can be generated: the actor is
/// remote, is not generic, and no two of its messages share a wire name. A badly spelt
/// name is reported and still generated with, as the generated code compiles whatever the
/// string is, and leaving the impl out would only add errors where it is used.
pub(crate) fn check_remote<'a>(
    input: &ItemImpl,
    model: &ActorImpl,
    options: &'a ImplOptions,
    errors: &Errors,
) -> Option<&'a LitStr> {
    let remote = options.remote.as_ref();
    if let Some(name) = remote {
        check_wire_name(name, "remote", "the actor's", errors);
    }
    let mut ok = true;
    let messages: Vec<&Message> = model.messages().collect();
    for (index, message) in messages.iter().enumerate() {
        if let Some((key, name)) = &message.wire {
            if remote.is_none() {
                errors.push(syn::Error::new(
                    *key,
                    "`wire` pins a message's name on the wire, and this actor is not remote: add `remote = \"...\"` to the impl block's `#[actor(...)]`, or remove `wire`",
                ));
                continue;
            }
            check_wire_name(name, "wire", "the message's", errors);
        }
        if remote.is_some() {
            ok &= check_wire_name_is_free(message, &messages[..index], errors);
        }
    }
    let name = remote?;
    // Lifetimes alone are already an error ("an actor cannot borrow"); one more would not
    // help.
    let generic = input
        .generics
        .params
        .iter()
        .any(|param| !matches!(param, GenericParam::Lifetime(_)));
    if generic {
        errors.push(syn::Error::new_spanned(
            &input.generics,
            "remote actors cannot be generic yet: each wire name must name one concrete type",
        ));
        return None;
    }
    let borrows = !input.generics.params.is_empty();
    (ok && !borrows).then_some(name)
}

/// A wire name is a non-empty string of ASCII letters, digits, `.`, `_` and `-`.
fn check_wire_name(name: &LitStr, key: &str, whose: &str, errors: &Errors) {
    let value = name.value();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let problem = if value.is_empty() {
        Some("is empty".to_owned())
    } else {
        value
            .chars()
            .find(|c| !allowed(*c))
            .map(|c| format!("has {c:?} in it"))
    };
    if let Some(problem) = problem {
        errors.push(syn::Error::new(
            name.span(),
            format!(
                "this `{key}` name {problem}: write only ASCII letters, digits, `.`, `_` and `-`, like `\"bank.Account\"`. It is {whose} stable name on the wire, which every peer must spell the same"
            ),
        ));
    }
}

/// No earlier message has the same wire name; as for variants, two messages under
/// `#[cfg]`s may be alternatives.
fn check_wire_name_is_free(message: &Message, earlier: &[&Message], errors: &Errors) -> bool {
    let wire_name = message.wire_name();
    let clash = earlier.iter().find(|existing| {
        existing.wire_name() == wire_name && (existing.cfgs.is_empty() || message.cfgs.is_empty())
    });
    let Some(clash) = clash else {
        return true;
    };
    let span = match &message.wire {
        Some((_, name)) => name.span(),
        None => message.method.span(),
    };
    errors.push(syn::Error::new(
        span,
        format!(
            "`{}` and `{}` both have the wire name `{wire_name}`, so a peer could not tell them apart: pin another name on one of them with `#[message(wire = \"...\")]`",
            clash.method, message.method
        ),
    ));
    false
}
