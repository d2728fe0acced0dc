//! Code generation for `#[actor]` on an impl block.
//!
//! For
//!
//! ```text
//! #[actor]
//! impl Account {
//!     #[message]
//!     pub fn deposit(&mut self, amount: u64) -> u64 { ... }
//! }
//! ```
//!
//! this expands to the user's impl block (markers removed) and:
//!
//! ```text
//! pub enum AccountMsg { Deposit { amount: u64 } }
//! pub enum AccountReply { Deposit(u64) }
//! pub struct AccountClient { core: RefCore<Account> }
//! impl AccountClient {
//!     pub fn deposit(&self, amount: u64) -> Request<'_, Account, u64> { ... }
//! }
//! const _: () = {
//!     impl Client<Account> for AccountClient { ... }
//!     impl Actor for Account { type Msg = AccountMsg; ... fn handle(...) { match msg { ... } } }
//!     impl Debug for AccountMsg { ... }
//! };
//! ```
//!
//! Every path into the runtime goes through `#krate::__private` (default
//! `::actor_core::__private`), so the user's crate needs no other dependency.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{GenericParam, Path};

use crate::ast::{ActorImpl, Hook, HookParam, Message};
use crate::attr::{ImplOptions, Marker};
use crate::naming::generated_type;

/// Names shared by the generators.
struct Names<'a> {
    krate: Path,
    model: &'a ActorImpl,
    msg: Ident,
    reply: Ident,
    client: Ident,
    /// The name of the dispatch's context parameter, chosen not to collide with any
    /// message argument (the match arms bind argument names).
    ctx: Ident,
}

pub(crate) fn impl_block(model: &ActorImpl, options: &ImplOptions) -> TokenStream {
    let names = Names {
        krate: options
            .crate_path
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::actor_core)),
        model,
        msg: generated_type(&model.actor_ident, "Msg"),
        reply: generated_type(&model.actor_ident, "Reply"),
        client: generated_type(&model.actor_ident, "Client"),
        ctx: context_param_name(model),
    };
    let item = &model.item;
    let msg_enum = msg_enum(&names);
    let reply_enum = reply_enum(&names);
    let client = client(&names);
    let actor_impl = actor_impl(&names);
    let msg_debug = msg_debug(&names);
    quote! {
        #item
        #msg_enum
        #reply_enum
        #client
        const _: () = {
            #actor_impl
            #msg_debug
        };
    }
}

/// `AccountMsg::Deposit { amount }`, naming every field (to build the variant or to bind
/// its fields), or `AccountMsg::Reset` for a message without arguments.
fn variant_with_fields(msg: &Ident, message: &Message) -> TokenStream {
    let variant = &message.variant;
    let fields: Vec<&Ident> = message.args().map(|(ident, _)| ident).collect();
    if fields.is_empty() {
        quote!(#msg::#variant)
    } else {
        quote!(#msg::#variant { #(#fields),* })
    }
}

// match *msg_ref {
//     AccountMsg::Deposit { .. } => <arm>,
//     AccountMsg::Reset => <arm>,
// }
//
// A match over the place behind a `&AccountMsg`, with one arm per message, each carrying
// the message's `#[cfg]`s; for a generic actor, the uninhabited phantom arm too. The place,
// not the reference: when every message is `#[cfg]`'d out, the enum is empty, and only a
// match on an empty type's place may have no arms.
fn match_by_variant(
    names: &Names<'_>,
    msg_ref: &TokenStream,
    arm: impl Fn(&Message) -> TokenStream,
) -> TokenStream {
    let msg = &names.msg;
    let arms = names.model.messages.iter().map(|message| {
        let variant = &message.variant;
        let cfgs = &message.cfgs;
        let pattern = if message.args().next().is_some() {
            quote!(#msg::#variant { .. })
        } else {
            quote!(#msg::#variant)
        };
        let body = arm(message);
        quote! { #(#cfgs)* #pattern => #body, }
    });
    let phantom =
        phantom_variant(names).map(|_| quote!(#msg::__Phantom(ref never, _) => match *never {},));
    quote! {
        match *#msg_ref {
            #(#arms)*
            #phantom
        }
    }
}

/// Whether the generated match may end up with no message arm: there are none, or each
/// one is under a `#[cfg]`.
fn all_messages_may_be_absent(model: &ActorImpl) -> bool {
    model
        .messages
        .iter()
        .all(|message| !message.cfgs.is_empty())
}

/// `#[allow(deprecated)]` for a generated item that names a deprecated message's method
/// or variant: the user is warned where they send the message, not inside `#[actor]`.
fn allow_deprecated(any_deprecated: bool) -> Option<TokenStream> {
    any_deprecated.then(|| quote!(#[allow(deprecated)]))
}

/// `#[doc]` attributes for generated text, one per line with a leading space, so the
/// expansion reads like hand-written `///` comments.
fn doc_attrs(text: &str) -> TokenStream {
    text.lines()
        .map(|line| {
            let line = if line.is_empty() {
                String::new()
            } else {
                format!(" {line}")
            };
            quote!(#[doc = #line])
        })
        .collect()
}

/// The method's own docs, or `fallback`, so generated items are documented either way.
fn docs_or(message: &Message, fallback: &str) -> TokenStream {
    if message.docs.is_empty() {
        doc_attrs(fallback)
    } else {
        let docs = &message.docs;
        quote!(#(#docs)*)
    }
}

fn context_param_name(model: &ActorImpl) -> Ident {
    let mut name = String::from("ctx");
    while model
        .messages
        .iter()
        .flat_map(Message::args)
        .any(|(arg, _)| *arg == name)
    {
        name.push('_');
    }
    Ident::new(&name, proc_macro2::Span::call_site())
}

/// For a generic actor, a variant that mentions every type parameter, so the enums compile
/// even when a parameter appears in no message. It holds `Infallible`, so it can never be
/// built and the dispatch matches it with `match never {}`.
fn phantom_variant(names: &Names<'_>) -> Option<TokenStream> {
    let params: Vec<&Ident> = names
        .model
        .generics
        .params
        .iter()
        .filter_map(|param| match param {
            GenericParam::Type(ty) => Some(&ty.ident),
            _ => None,
        })
        .collect();
    if params.is_empty() {
        return None;
    }
    Some(quote! {
        #[doc(hidden)]
        __Phantom(::core::convert::Infallible, ::core::marker::PhantomData<fn() -> (#(#params,)*)>),
    })
}

// pub enum AccountMsg {
//     /// (the method's docs)
//     Deposit { amount: u64 },
//     Balance,
// }
fn msg_enum(names: &Names<'_>) -> TokenStream {
    let Names { msg, model, .. } = names;
    let generics = &model.generics;
    let where_clause = &generics.where_clause;
    let actor = &model.actor_ident;
    let variants = model.messages.iter().map(|message| {
        let Message {
            variant,
            cfgs,
            method,
            deprecated,
            ..
        } = message;
        let docs = docs_or(message, &format!("The message of `{actor}::{method}`."));
        let fields: Vec<TokenStream> = message
            .args()
            .map(|(ident, ty)| {
                let doc = doc_attrs(&format!("The `{ident}` argument of `{actor}::{method}`."));
                quote!(#doc #ident: #ty)
            })
            .collect();
        let body = if fields.is_empty() {
            quote!()
        } else {
            quote!({ #(#fields),* })
        };
        quote! { #docs #(#cfgs)* #(#deprecated)* #variant #body, }
    });
    let phantom = phantom_variant(names);
    let doc = doc_attrs(&format!(
        "The messages of `{actor}`, one variant per `#[message]` method, its fields the method's arguments.\n\nGenerated by `#[actor]`. Pure data: a reply travels on a separate slot, never inside a message."
    ));
    quote! {
        #doc
        #[allow(private_interfaces)]
        pub enum #msg #generics #where_clause {
            #(#variants)*
            #phantom
        }
    }
}

// pub enum AccountReply {
//     Deposit(u64),
//     Reset,
// }
fn reply_enum(names: &Names<'_>) -> TokenStream {
    let Names { reply, model, .. } = names;
    let generics = &model.generics;
    let where_clause = &generics.where_clause;
    let variants = model.messages.iter().map(|message| {
        let Message {
            variant,
            cfgs,
            output,
            method,
            ..
        } = message;
        let doc = format!(
            "The reply of `{actor}::{method}`.",
            actor = model.actor_ident
        );
        match output {
            Some(ty) => quote! { #[doc = #doc] #(#cfgs)* #variant(#ty), },
            None => quote! { #[doc = #doc] #(#cfgs)* #variant, },
        }
    });
    let phantom = phantom_variant(names);
    let doc = doc_attrs(&format!(
        "The replies of `{}`, one variant per `#[message]` method.\n\nGenerated by `#[actor]`.",
        model.actor_ident
    ));
    quote! {
        #doc
        #[allow(private_interfaces)]
        pub enum #reply #generics #where_clause {
            #(#variants)*
            #phantom
        }
    }
}

// pub struct AccountClient { core: RefCore<Account> }
//
// impl AccountClient {
//     pub fn deposit(&self, amount: u64) -> Request<'_, Account, u64> {
//         Request::new(&self.core, AccountMsg::Deposit { amount }, |reply| match reply { ... })
//     }
// }
fn client(names: &Names<'_>) -> TokenStream {
    let Names {
        krate,
        model,
        client,
        msg,
        reply,
        ..
    } = names;
    let self_ty = &model.self_ty;
    // The struct needs `Account: Actor` to hold a `RefCore<Account>`. The impls must not
    // repeat it: inside them, a where clause would hide the real `Actor` impl and make
    // `<Account as Actor>::Msg` opaque, so they rely on that impl directly.
    let mut struct_generics = model.generics.clone();
    struct_generics
        .make_where_clause()
        .predicates
        .push(syn::parse_quote!(#self_ty: #krate::__private::Actor));
    let struct_where = &struct_generics.where_clause;
    let generics_with_bounds = &model.generics;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();

    let methods = model.messages.iter().map(|message| {
        let Message { method, variant, vis, cfgs, deprecated, .. } = message;
        let docs = docs_or(
            message,
            &format!("Sends `{}::{method}` to the actor: `.await` the request for the reply, or `.tell()` it.", model.actor_ident),
        );
        let args: Vec<TokenStream> = message.args().map(|(ident, ty)| quote!(#ident: #ty)).collect();
        let construct = variant_with_fields(msg, message);
        let (reply_ty, unwrap) = match &message.output {
            Some(ty) => (ty.to_token_stream(), quote!(#reply::#variant(value) => value)),
            None => (quote!(()), quote!(#reply::#variant => ())),
        };
        let mismatch = format!("`{reply}` variant other than `{variant}` in reply to `{msg}::{variant}`");
        let allow_deprecated = allow_deprecated(!deprecated.is_empty());
        quote_spanned! {method.span()=>
            #docs
            #(#cfgs)*
            #(#deprecated)*
            #allow_deprecated
            #vis fn #method(&self, #(#args),*) -> #krate::__private::Request<'_, #self_ty, #reply_ty> {
                #krate::__private::Request::new(&self.core, #construct, |reply| match reply {
                    #unwrap,
                    // The generated dispatch answers each message with its own variant.
                    #[allow(unreachable_patterns)]
                    _ => ::core::unreachable!(#mismatch),
                })
            }
        }
    });
    let actor = &model.actor_ident;
    let doc = doc_attrs(&format!(
        "The typed client of `{actor}`: one method per `#[message]`.\n\nAn `ActorRef<{actor}>` dereferences to this, so call the methods on the ref: each returns a request to `.await` (ask), `.tell()` or `.try_tell()`. Generated by `#[actor]`."
    ));
    quote! {
        #doc
        pub struct #client #generics_with_bounds #struct_where {
            core: #krate::__private::RefCore<#self_ty>,
        }

        #[automatically_derived]
        impl #impl_generics #krate::__private::Client<#self_ty> for #client #ty_generics #where_clause {
            fn from_core(core: #krate::__private::RefCore<#self_ty>) -> Self {
                Self { core }
            }

            fn core(&self) -> &#krate::__private::RefCore<#self_ty> {
                &self.core
            }
        }

        // A client method is generated API, like a `pub` item: one that is never called
        // (the message is sent as an enum value, by a timer say) is not the user's dead code,
        // and a warning about it would point at the user's handler, which the dispatch
        // does call.
        #[allow(dead_code)]
        impl #impl_generics #client #ty_generics #where_clause {
            #(#methods)*
        }
    }
}

// impl Actor for Account {
//     type Msg = AccountMsg;
//     type Reply = AccountReply;
//     type Client = AccountClient;
//     fn mailbox() -> MailboxConfig { <Self as ActorOptions>::MAILBOX }
//     fn handle(&mut self, msg: AccountMsg, ctx: &mut Context<Self>) -> impl Future<...> {
//         ::core::future::ready(match msg {
//             AccountMsg::Deposit { amount } => AccountReply::Deposit(Self::deposit(self, amount)),
//         })
//     }
// }
//
// When a message is `async`, `handle` is an `async fn` and awaits it instead.
fn actor_impl(names: &Names<'_>) -> TokenStream {
    let Names {
        krate,
        model,
        msg,
        reply,
        client,
        ctx,
        ..
    } = names;
    let self_ty = &model.self_ty;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    let private = quote!(#krate::__private);

    let arms = model.messages.iter().map(|message| {
        let Message {
            method,
            variant,
            cfgs,
            is_async,
            ..
        } = message;
        let pattern = variant_with_fields(msg, message);
        let call_args = message.params.iter().map(|param| match param {
            crate::ast::Param::Context => quote!(#ctx),
            crate::ast::Param::Arg { ident, .. } => quote!(#ident),
        });
        let call = inherent_call(method, call_args, *is_async);
        let body = if message.fail_on_err {
            // The `Err` goes to the asker as the reply, and fails the actor after it.
            quote!({
                let reply = #call;
                #private::fail_on_err(#ctx, &reply);
                #reply::#variant(reply)
            })
        } else if message.output.is_some() {
            quote!(#reply::#variant(#call))
        } else {
            quote!({ #call; #reply::#variant })
        };
        quote! { #(#cfgs)* #pattern => #body, }
    });
    let phantom_arm =
        phantom_variant(names).map(|_| quote!(#msg::__Phantom(never, _) => match never {},));
    let ctx_users: Vec<&Message> = model
        .messages
        .iter()
        .filter(|m| m.takes_context() || m.fail_on_err)
        .collect();
    let ctx_param = if ctx_users.is_empty() {
        Ident::new(&format!("_{ctx}"), ctx.span())
    } else {
        ctx.clone()
    };
    // The context is named because some message takes it; if each of those is under a
    // `#[cfg]`, all of them may be compiled out.
    let allow_unused_ctx = (!ctx_users.is_empty() && ctx_users.iter().all(|m| !m.cfgs.is_empty()))
        .then(|| quote!(#[allow(unused_variables)]));
    let allow_deprecated =
        allow_deprecated(model.messages.iter().any(|m| !m.deprecated.is_empty()));
    let any_async = model.messages.iter().any(|message| message.is_async);
    // Spanned at the actor's type, so a struct without `#[actor]` gets its error there.
    let mailbox_body = quote_spanned!(self_ty.span()=> <Self as #private::ActorOptions>::MAILBOX);
    let supervisor_body =
        quote_spanned!(self_ty.span()=> <Self as #private::ActorOptions>::supervisor_strategy());
    let handle = if any_async {
        quote! {
            #allow_unused_ctx
            #allow_deprecated
            async fn handle(&mut self, msg: #msg #ty_generics, #ctx_param: &mut #private::Context<Self>) -> #reply #ty_generics {
                match msg {
                    #(#arms)*
                    #phantom_arm
                }
            }
        }
    } else {
        // With no messages (or all of them `#[cfg]`'d out), `match msg {}` diverges and
        // `ready(..)` is unreachable.
        let allow_unreachable =
            all_messages_may_be_absent(model).then(|| quote!(#[allow(unreachable_code)]));
        quote! {
            #allow_unreachable
            #allow_unused_ctx
            #allow_deprecated
            fn handle(
                &mut self,
                msg: #msg #ty_generics,
                #ctx_param: &mut #private::Context<Self>,
            ) -> impl ::core::future::Future<Output = #reply #ty_generics> + ::core::marker::Send {
                ::core::future::ready(match msg {
                    #(#arms)*
                    #phantom_arm
                })
            }
        }
    };
    let hooks = Marker::HOOKS
        .into_iter()
        .flat_map(|marker| model.hooks(marker))
        .map(|hook| hook_method(names, hook));
    let name_match = match_by_variant(names, &quote!(msg), |message| {
        let text = message.variant.to_string();
        quote!(#text)
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Actor for #self_ty #where_clause {
            type Msg = #msg #ty_generics;
            type Reply = #reply #ty_generics;
            type Client = #client #ty_generics;

            fn mailbox() -> #private::MailboxConfig {
                #mailbox_body
            }

            fn supervisor_strategy() -> #private::SupervisorStrategy {
                #supervisor_body
            }

            #allow_deprecated
            fn message_name(msg: &#msg #ty_generics) -> &'static str {
                #name_match
            }

            #handle
            #(#hooks)*
        }
    }
}

/// `Self::deposit(self, amount)`: a call of the user's method that method resolution cannot
/// take elsewhere. `self.deposit(amount)` would prefer, on the `&mut Self` receiver, any
/// trait method of that name taking `&mut self` over an inherent one taking `&self`:
/// `Actor::stopping` for a message named `stopping`, `Actor::started` itself for a
/// `#[started] fn started(&self, ..)` (which then recursed until the stack overflowed), a
/// user trait's `reset` for a message named `reset`. A path `Self::name` looks among the
/// inherent methods first. A `&self` method gets `self` by the coercion of `&mut Self`
/// to `&Self`.
fn inherent_call(
    method: &Ident,
    args: impl Iterator<Item = TokenStream>,
    is_async: bool,
) -> TokenStream {
    let await_ = is_async.then(|| quote!(.await));
    quote!(Self::#method(self #(, #args)*) #await_)
}

// fn started(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = ()> + Send {
//     Self::on_start(self, ctx);
//     ::core::future::ready(())
// }
//
// One of the trait's hook methods, forwarding to the user's method with the parameters it
// takes, in its order; `async` when that method is.
fn hook_method(names: &Names<'_>, hook: &Hook) -> TokenStream {
    let private = {
        let krate = &names.krate;
        quote!(#krate::__private)
    };
    let marker = hook.marker;
    let trait_method = Ident::new(marker.name(), hook.method.span());
    let takes_context = hook.params.contains(&HookParam::Context);
    let args = hook.params.iter().map(|param| match param {
        HookParam::Context => quote!(ctx),
        HookParam::Terminated => quote!(terminated),
        HookParam::Failure => quote!(failure),
    });
    let call = inherent_call(&hook.method, args, hook.is_async);
    let ctx_param = if takes_context {
        quote!(ctx)
    } else {
        quote!(_ctx)
    };
    let signal_param = match marker {
        Marker::Terminated => Some(quote!(terminated: #private::Terminated,)),
        Marker::PreRestart | Marker::PostRestart => {
            let name = if hook.params.contains(&HookParam::Failure) {
                quote!(failure)
            } else {
                quote!(_failure)
            };
            Some(quote!(#name: &#private::Failure,))
        }
        _ => None,
    };
    let cfgs = &hook.cfgs;
    let allow_deprecated = allow_deprecated(hook.deprecated);
    if hook.is_async {
        quote! {
            #(#cfgs)*
            #allow_deprecated
            async fn #trait_method(&mut self, #signal_param #ctx_param: &mut #private::Context<Self>) {
                #call;
            }
        }
    } else {
        quote! {
            #(#cfgs)*
            #allow_deprecated
            fn #trait_method(
                &mut self,
                #signal_param
                #ctx_param: &mut #private::Context<Self>,
            ) -> impl ::core::future::Future<Output = ()> + ::core::marker::Send {
                #call;
                ::core::future::ready(())
            }
        }
    }
}

// impl Debug for AccountMsg: prints the variant's name only, so a message type is `Debug`
// (for logs and errors) whatever its fields are.
fn msg_debug(names: &Names<'_>) -> TokenStream {
    let Names { model, msg, .. } = names;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    let debug_match = match_by_variant(names, &quote!(self), |message| {
        let variant = &message.variant;
        let text = if message.args().next().is_some() {
            format!("{variant} {{ .. }}")
        } else {
            variant.to_string()
        };
        quote!(f.write_str(#text))
    });
    // With every message compiled out, the match has no arm to use `f` in.
    let f_unused = all_messages_may_be_absent(model).then(|| quote!(let _ = f;));
    let allow_deprecated =
        allow_deprecated(model.messages.iter().any(|m| !m.deprecated.is_empty()));
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #msg #ty_generics #where_clause {
            #allow_deprecated
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #f_unused
                #debug_match
            }
        }
    }
}
