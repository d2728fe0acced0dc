//! Code generation of the `Debug` impls of the generated types, so that a user's type
//! holding one can derive `Debug`. Each prints names only, never a field, so it compiles
//! whatever the argument and reply types are (they need not be `Debug`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand_impl::{
    all_messages_may_be_absent, allow_deprecated, match_by_variant, GeneratedEnum, Names,
};

/// The `Debug` impls of the message enum, the reply enum and the client.
pub(crate) fn debug_impls(names: &Names<'_>) -> TokenStream {
    let msg = msg_debug(names);
    let reply = reply_debug(names);
    let client = client_debug(names);
    quote! {
        #msg
        #reply
        #client
    }
}

// impl Debug for AccountMsg {
//     fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
//         match *self {
//             AccountMsg::Deposit { .. } => f.write_str("Deposit { .. }"),
//             AccountMsg::Reset => f.write_str("Reset"),
//         }
//     }
// }
//
// The variant's name, with `{ .. }` for one with fields.
fn msg_debug(names: &Names<'_>) -> TokenStream {
    let Names { model, msg, .. } = names;
    let debug_match = match_by_variant(names, GeneratedEnum::Msg, &quote!(self), |message| {
        let variant = message.variant();
        let text = if message.args().next().is_some() {
            format!("{variant} {{ .. }}")
        } else {
            variant.to_string()
        };
        quote!(f.write_str(#text))
    });
    // The match names a deprecated message's variant.
    let allow_deprecated = allow_deprecated(model.messages().any(|m| !m.deprecated.is_empty()));
    enum_debug(names, msg, allow_deprecated, &debug_match)
}

// impl Debug for AccountReply {
//     fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
//         match *self {
//             AccountReply::Deposit(..) => f.write_str("Deposit(..)"),
//             AccountReply::Reset => f.write_str("Reset"),
//         }
//     }
// }
//
// The variant's name, with `(..)` for one that holds a reply. (The reply variants carry no
// `#[deprecated]`, so the match needs no allow.)
fn reply_debug(names: &Names<'_>) -> TokenStream {
    let debug_match = match_by_variant(names, GeneratedEnum::Reply, &quote!(self), |message| {
        let variant = message.variant();
        let text = if message.reply_type().is_some() {
            format!("{variant}(..)")
        } else {
            variant.to_string()
        };
        quote!(f.write_str(#text))
    });
    enum_debug(names, &names.reply, None, &debug_match)
}

fn enum_debug(
    names: &Names<'_>,
    ty: &proc_macro2::Ident,
    allow: Option<TokenStream>,
    debug_match: &TokenStream,
) -> TokenStream {
    let model = names.model;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    // With every message compiled out, the match has no arm to use `f` in.
    let f_unused = all_messages_may_be_absent(model).then(|| quote!(let _ = f;));
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #ty #ty_generics #where_clause {
            #allow
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                #f_unused
                #debug_match
            }
        }
    }
}

// impl Debug for AccountClient {
//     fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
//         f.debug_struct("AccountClient").finish_non_exhaustive()
//     }
// }
//
// `AccountClient { .. }`: the client holds only the runtime's handle, which has no `Debug`
// of its own; the actor's id and name are on the `ActorRef`'s.
fn client_debug(names: &Names<'_>) -> TokenStream {
    let Names { model, client, .. } = names;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    let name = client.to_string();
    quote! {
        #[automatically_derived]
        impl #impl_generics ::core::fmt::Debug for #client #ty_generics #where_clause {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(#name).finish_non_exhaustive()
            }
        }
    }
}
