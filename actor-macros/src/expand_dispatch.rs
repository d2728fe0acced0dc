//! Code generation of the dispatch: the `impl Actor` of an `#[actor]` impl block, with
//! `handle` matching each message to a call of its method, and the hooks forwarding to
//! theirs. The other generated items are in `expand_impl`.

use proc_macro2::{Ident, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Hook, HookParamKind, Message};
use crate::attr::Marker;
use crate::expand_impl::{
    all_messages_may_be_absent, allow_deprecated, match_by_variant, phantom_variant,
    variant_with_fields, GeneratedEnum, Names,
};

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
pub(crate) fn actor_impl(names: &Names<'_>) -> TokenStream {
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

    let arms = model.messages().map(|message| {
        let Message {
            method,
            cfgs,
            is_async,
            ..
        } = message;
        let variant = message.variant();
        let pattern = variant_with_fields(msg, message);
        // Named apart from the message's fields, which the arm's pattern binds.
        let reply_to = {
            let mut name = String::from("reply_to");
            while message.args().any(|(arg, _)| *arg == name) {
                name.push('_');
            }
            Ident::new(&name, proc_macro2::Span::call_site())
        };
        let call_args = message.params.iter().map(|param| match param {
            crate::ast::Param::Context(_) => quote!(#ctx),
            crate::ast::Param::Arg { ident, .. } => quote!(#ident),
            crate::ast::Param::Reply { .. } => quote!(#reply_to),
        });
        let call = inherent_call(method, call_args, *is_async);
        let body = if message.reply_param().is_some() {
            // The handler answers through the slot it is given; the runner then has none
            // left to send this value to.
            quote!({
                let #reply_to = #private::Context::take_reply_to(#ctx, #reply::#variant);
                #call;
                #reply::AnsweredLater
            })
        } else if message.fail_on_err.is_some() {
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
    // When every message that takes the context is `#[cfg]`'d out, the parameter is unused,
    // yet rustc does not warn, as its name has the macro's span, not the user's
    // (`Configured` in tests/tests/macro_inputs.rs, `Hushed` in
    // tests/expand/allowed_lints.rs): no allow is needed.
    let uses_ctx = model
        .messages()
        .any(|m| m.takes_context() || m.fail_on_err.is_some() || m.reply_param().is_some());
    let ctx_param = if uses_ctx {
        ctx.clone()
    } else {
        Ident::new(&format!("_{ctx}"), ctx.span())
    };
    // The dispatch matches a deprecated message's variant and calls its method
    // (`Namesake::history` in tests/expand/namesakes.rs).
    let allow_deprecated = allow_deprecated(model.messages().any(|m| !m.deprecated.is_empty()));
    let any_async = model.messages().any(|message| message.is_async);
    // Spanned at the actor's type, so a struct without `#[actor]` gets its error there.
    let mailbox_body = quote_spanned!(self_ty.span()=> <Self as #private::ActorOptions>::MAILBOX);
    let supervisor_body =
        quote_spanned!(self_ty.span()=> <Self as #private::ActorOptions>::supervisor_strategy());
    let handle = if any_async {
        quote! {
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
        // `ready(..)` is unreachable (`Idle` in tests/expand/allowed_lints.rs).
        let allow_unreachable =
            all_messages_may_be_absent(model).then(|| quote!(#[allow(unreachable_code)]));
        quote! {
            #allow_unreachable
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
    // `message_name` matches a deprecated message's variant.
    let name_match = match_by_variant(names, GeneratedEnum::Msg, &quote!(msg), |message| {
        let text = message.variant().to_string();
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
    let takes_context = hook.takes(HookParamKind::Context);
    // `valid::check` removes a hook with another parameter.
    let args = hook.params.iter().filter_map(|param| match param.kind {
        HookParamKind::Context => Some(quote!(ctx)),
        HookParamKind::Terminated => Some(quote!(terminated)),
        HookParamKind::Failure => Some(quote!(failure)),
        HookParamKind::Other => None,
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
            let name = if hook.takes(HookParamKind::Failure) {
                quote!(failure)
            } else {
                quote!(_failure)
            };
            Some(quote!(#name: &#private::Failure,))
        }
        _ => None,
    };
    let cfgs = &hook.cfgs;
    // Calls the user's deprecated hook method (`Legacy::old_start` in
    // tests/tests/macro_inputs.rs).
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
