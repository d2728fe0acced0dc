//! The `#[actor]` attribute macro. Depend on `actor-core`, which re-exports it; the
//! generated code refers to the runtime through `::actor_core::__private`.
//!
//! The stages, one file each, in the order they run:
//!
//! 1. parsing: `attr` parses the macro's own attributes (options and method markers),
//!    `ast` builds a model of the impl block from them, keeping the user's syn nodes;
//! 2. checking: `valid::check` runs every check of the model at once and removes the
//!    messages and hooks that failed one (`valid::check_struct` for the struct), and
//!    `valid::check_remote` checks the wire names;
//! 3. expansion: `expand_impl` (the enums and the client), `expand_dispatch` (the
//!    `impl Actor`), `expand_debug` (the generated types' `Debug`), `expand_remote` (the
//!    `impl RemoteActor` of `#[actor(remote = "...")]`) and `expand_struct` generate code
//!    from what is left.
//!
//! Errors of every stage are collected in `errors` so all of them show at once (parse
//! errors first, then those of the checks, each group in the order of the input), and the
//! valid part of the input still expands, so one mistake does not cause a flood of
//! follow-on errors.

mod ast;
mod attr;
mod errors;
mod expand_debug;
mod expand_dispatch;
mod expand_impl;
mod expand_remote;
mod expand_struct;
mod naming;
#[cfg(test)]
mod snapshots;
mod valid;

use proc_macro::TokenStream;
use quote::quote;
use syn::Item;

use crate::ast::ActorImpl;
use crate::errors::Errors;

/// Turns a struct and its impl block into an actor. See `actor_core`'s macro reference.
#[proc_macro_attribute]
pub fn actor(args: TokenStream, input: TokenStream) -> TokenStream {
    actor_impl(args.into(), input.into()).into()
}

fn actor_impl(
    args: proc_macro2::TokenStream,
    input: proc_macro2::TokenStream,
) -> proc_macro2::TokenStream {
    let item = match syn::parse2::<Item>(input.clone()) {
        Ok(item) => item,
        // Not valid Rust: give the input back so rustc reports its own, precise errors.
        Err(_) => return input,
    };
    let errors = Errors::default();
    let expanded = match item {
        Item::Impl(item) => {
            let options = attr::parse_impl_options(args).unwrap_or_else(|err| {
                errors.push(err);
                attr::ImplOptions::default()
            });
            let model = ActorImpl::from_item(item.clone(), &errors);
            match valid::check(&item, model, &errors) {
                Some(model) => {
                    let remote = valid::check_remote(&item, &model, &options, &errors);
                    expand_impl::impl_block(&model, &options, remote)
                }
                None => quote!(#item),
            }
        }
        Item::Struct(_) | Item::Enum(_) => {
            let options = attr::parse_struct_options(args).unwrap_or_else(|err| {
                errors.push(err);
                attr::StructOptions::default()
            });
            valid::check_struct(item_generics(&item), &errors);
            expand_struct::struct_or_enum(&item, &options)
        }
        other => {
            errors.push(syn::Error::new_spanned(
                item_keyword(&other),
                "`#[actor]` goes on a struct (or enum), for the actor's state and options, and on its impl block, for its messages",
            ));
            quote!(#other)
        }
    };
    let errors = errors.into_compile_errors();
    quote!(#errors #expanded)
}

fn item_generics(item: &Item) -> &syn::Generics {
    match item {
        Item::Struct(item) => &item.generics,
        Item::Enum(item) => &item.generics,
        _ => unreachable!("only called for structs and enums"),
    }
}

/// The item's leading keyword, for an error that points at what the user wrote.
fn item_keyword(item: &Item) -> proc_macro2::TokenStream {
    match item {
        Item::Fn(f) => {
            let token = f.sig.fn_token;
            quote!(#token)
        }
        Item::Trait(t) => {
            let token = t.trait_token;
            quote!(#token)
        }
        Item::Union(u) => {
            let token = u.union_token;
            quote!(#token)
        }
        other => quote!(#other),
    }
}

/// Marks a method of an `#[actor]` impl block as a message. `#[actor]` consumes it; used
/// anywhere else, it is an error.
#[proc_macro_attribute]
pub fn message(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("message", args, input)
}

/// Marks the method that runs when the actor starts. Only valid in an `#[actor]` impl block.
#[proc_macro_attribute]
pub fn started(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("started", args, input)
}

/// Marks the method that runs when the actor begins to stop. Only valid in an `#[actor]`
/// impl block.
#[proc_macro_attribute]
pub fn stopping(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("stopping", args, input)
}

/// Marks the method that runs after the actor's last message. Only valid in an `#[actor]`
/// impl block.
#[proc_macro_attribute]
pub fn stopped(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("stopped", args, input)
}

/// Marks the method that runs on the failed instance before a restart. Only valid in an
/// `#[actor]` impl block.
#[proc_macro_attribute]
pub fn pre_restart(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("pre_restart", args, input)
}

/// Marks the method that runs on the new instance after a restart. Only valid in an
/// `#[actor]` impl block.
#[proc_macro_attribute]
pub fn post_restart(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("post_restart", args, input)
}

/// Marks the method that receives the death-watch signal of watched actors. Only valid in
/// an `#[actor]` impl block.
#[proc_macro_attribute]
pub fn terminated(args: TokenStream, input: TokenStream) -> TokenStream {
    misplaced_marker("terminated", args, input)
}

fn misplaced_marker(name: &str, _args: TokenStream, input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    // The second case cannot be told from the first here: `#[actor]` reads its block
    // before the macro calls in it expand, and never sees what they produce.
    let text = format!(
        "`#[{name}]` only works on a method written inside an `#[actor]` impl block: add `#[actor]` to the impl block. If this method comes from a macro called inside such a block, write it in the block itself: `#[actor]` reads the block before the macros in it expand, and a macro cannot see another macro's output"
    );
    // An attribute macro's call site is the attribute itself: the error underlines it.
    let span = proc_macro2::Span::call_site();
    let error = syn::Error::new(span, text).to_compile_error();
    quote!(#error #input).into()
}
