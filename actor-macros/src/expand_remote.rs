//! Code generation for `#[actor(remote = "...")]`: the `RemoteActor` impl, which turns the
//! message and reply enums into bytes under stable wire ids and back. It goes inside the
//! `const _: () = { ... };` block of `expand_impl`, with its helpers.
//!
//! Only a variant's fields cross the wire, as a tuple (postcard), under the id
//! `wire_id(WIRE_NAME, message's wire name)`: never serde's variant index, which moves when
//! methods are reordered. Every path goes through `#krate::__private::wire`, so the user's
//! crate names serde only for its own derives.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{LitStr, Type};

use crate::ast::Message;
use crate::expand_impl::{allow_deprecated, Names};

/// The `RemoteActor` impl of the actor and its helpers, for the actor's wire name `remote`.
pub(crate) fn remote_impl(names: &Names<'_>, remote: &LitStr) -> TokenStream {
    let ids = wire_ids(names, remote);
    let checks = wire_value_checks(names);
    let trait_impl = trait_impl(names, remote);
    quote! {
        #ids
        #checks
        #trait_impl
    }
}

/// `AccountWireIds`, the namespace of the ids: a local type rather than local consts, so
/// that an id's name cannot hide a constant of the user's that an argument type names
/// (`[u8; LEN]`).
fn ids_type(names: &Names<'_>) -> Ident {
    format_ident!("{}WireIds", names.model.actor_ident)
}

/// `DEPOSIT` for the variant `Deposit`, `GET_BALANCE` for `GetBalance`: distinct for
/// distinct variants, which have no `_`.
fn id_name(message: &Message) -> Ident {
    let variant = message.variant().to_string();
    let mut name = String::with_capacity(variant.len() + 4);
    for (at, c) in variant.chars().enumerate() {
        if c.is_uppercase() && at > 0 {
            name.push('_');
        }
        name.extend(c.to_uppercase());
    }
    Ident::new(&name, message.method.span())
}

// /// The wire ids of `Account`'s messages, derived at compile time from their names.
// enum AccountWireIds {}
// impl AccountWireIds {
//     const DEPOSIT: WireId = wire_id("bank.Account", "deposit_v1");
//     const fn distinct(ids: &[WireId]) -> bool { /* no two equal */ }
// }
// const _: () = assert!(AccountWireIds::distinct(&[AccountWireIds::DEPOSIT, ...]), "...");
//
// The assertion is the backstop against two names whose 64-bit hashes collide; two equal
// names are a spanned error of `valid::remote` already.
fn wire_ids(names: &Names<'_>, remote: &LitStr) -> TokenStream {
    let Names { krate, model, .. } = names;
    let wire = quote!(#krate::__private::wire);
    let ids = ids_type(names);
    let actor = &model.actor_ident;
    let consts = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let name = id_name(message);
        let wire_name = message.wire_name();
        let doc = format!(" The wire id of `{actor}::{}`.", message.method);
        quote! {
            #[doc = #doc]
            #(#cfgs)*
            const #name: #wire::WireId = #wire::wire_id(#remote, #wire_name);
        }
    });
    let all = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let name = id_name(message);
        quote!(#(#cfgs)* #ids::#name)
    });
    let doc =
        format!(" The wire ids of `{actor}`'s messages, derived at compile time from their names.");
    let collision = format!(
        "two messages of `{}` have the same wire id, a 64-bit hash collision: pin another name on one of them with `#[message(wire = \"...\")]`",
        remote.value()
    );
    quote! {
        #[doc = #doc]
        enum #ids {}

        impl #ids {
            #(#consts)*

            /// Whether no two of `ids` are equal.
            const fn distinct(ids: &[#wire::WireId]) -> bool {
                let mut first = 0;
                while first < ids.len() {
                    let mut second = first + 1;
                    while second < ids.len() {
                        if ids[first] == ids[second] {
                            return false;
                        }
                        second += 1;
                    }
                    first += 1;
                }
                true
            }
        }

        const _: () = ::core::assert!(#ids::distinct(&[#(#all),*]), #collision);
    }
}

/// The types that cross the wire, each with the message's `#[cfg]`s: every argument's
/// type, then the reply's, per message in order.
fn wire_types<'n>(names: &'n Names<'_>) -> Vec<(&'n [syn::Attribute], &'n Type)> {
    let mut types = Vec::new();
    for message in names.model.messages() {
        for (_, ty) in message.args() {
            types.push((message.cfgs.as_slice(), ty));
        }
        if let Some(ty) = message.reply_type() {
            types.push((message.cfgs.as_slice(), ty));
        }
    }
    types
}

// const _: () = assert_wire_value::<u64>();
//
// One per argument and reply type, spanned on the user's type, so that a type without
// serde's traits is an error there, in `WireValue`'s words.
fn wire_value_checks(names: &Names<'_>) -> TokenStream {
    let krate = &names.krate;
    wire_types(names)
        .into_iter()
        .map(|(cfgs, ty)| {
            quote_spanned! {ty.span()=>
                #(#cfgs)*
                const _: () = #krate::__private::wire::assert_wire_value::<#ty>();
            }
        })
        .collect()
}

// impl RemoteActor for Account
// where
//     for<'wire> u64: WireValue,
//     for<'wire> Result<u64, Overdrawn>: WireValue,
// {
//     const WIRE_NAME: &'static str = "bank.Account";
//     const SIGNATURE: u64 = signature(&["deposit_v1", "u64", "->", "u64", ...]);
//     fn wire_id(msg: &AccountMsg) -> WireId { match *msg { ... } }
//     fn encode_msg(..) / decode_msg(..) / encode_reply(..) / decode_reply(..)
// }
//
// The where clause holds for every actor that compiles: it restates the checks above, so
// that inside the impl each type is known to be a `WireValue` even when it is not, and the
// encode and decode calls add no error of their own to the one at the user's type (the
// impl then just does not apply). The `for<'wire>` keeps rustc from rejecting a bound on a
// concrete type that does not hold ("trivial bounds") before it is ever used.
fn trait_impl(names: &Names<'_>, remote: &LitStr) -> TokenStream {
    let Names { krate, model, .. } = names;
    let wire = quote!(#krate::__private::wire);
    let self_ty = &model.self_ty;
    let mut bounded: Vec<String> = Vec::new();
    let bounds: Vec<TokenStream> = wire_types(names)
        .into_iter()
        // A `#[cfg]` on a where predicate is unstable (rustc 1.95), and the type of a
        // message that is `#[cfg]`'d out may not exist: such a message's types are left out,
        // so a non-serde one is reported by the encode and decode calls too.
        .filter(|(cfgs, _)| cfgs.is_empty())
        .filter(|(_, ty)| {
            // Once per type: a bound written twice is noise in `cargo expand`.
            let text = ty.to_token_stream().to_string();
            let new = !bounded.contains(&text);
            bounded.push(text);
            new
        })
        .map(|(_, ty)| quote!(for<'wire> #ty: #wire::WireValue))
        .collect();
    let where_clause = (!bounds.is_empty()).then(|| quote!(where #(#bounds),*));
    let signature = signature_parts(model.messages());
    let allow_deprecated = allow_deprecated(model.messages().any(|m| !m.deprecated.is_empty()));
    let wire_id = wire_id_fn(names);
    let encode_msg = encode_msg_fn(names);
    let decode_msg = decode_msg_fn(names);
    let encode_reply = encode_reply_fn(names);
    let decode_reply = decode_reply_fn(names);
    quote! {
        #[automatically_derived]
        #allow_deprecated
        impl #wire::RemoteActor for #self_ty #where_clause {
            const WIRE_NAME: &'static str = #remote;
            const SIGNATURE: u64 = #wire::signature(&[#signature]);
            #wire_id
            #encode_msg
            #decode_msg
            #encode_reply
            #decode_reply
        }
    }
}

/// `"deposit_v1", "u64", "->", "u64", "withdraw", ..`: each message's wire name, its
/// arguments' types and its reply type, as written (`()` for none). A cheap proxy for the
/// schema: a change inside a type (a new field of `Overdrawn`) is not seen.
fn signature_parts<'m>(messages: impl Iterator<Item = &'m Message>) -> TokenStream {
    let mut parts = Vec::new();
    for message in messages {
        let cfgs = &message.cfgs;
        let mut texts = vec![message.wire_name()];
        texts.extend(
            message
                .args()
                .map(|(_, ty)| ty.to_token_stream().to_string()),
        );
        texts.push("->".to_owned());
        texts.push(
            message
                .reply_type()
                .map_or_else(|| "()".to_owned(), |ty| ty.to_token_stream().to_string()),
        );
        parts.extend(texts.into_iter().map(|text| quote!(#(#cfgs)* #text)));
    }
    quote!(#(#parts),*)
}

// fn wire_id(msg: &AccountMsg) -> WireId {
//     match *msg {
//         AccountMsg::Deposit { .. } => AccountWireIds::DEPOSIT,
//         AccountMsg::Close => AccountWireIds::CLOSE,
//     }
// }
fn wire_id_fn(names: &Names<'_>) -> TokenStream {
    let Names {
        krate, model, msg, ..
    } = names;
    let ids = ids_type(names);
    let arms = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let variant = message.variant();
        let id = id_name(message);
        let pattern = if message.args().next().is_some() {
            quote!(#msg::#variant { .. })
        } else {
            quote!(#msg::#variant)
        };
        quote!(#(#cfgs)* #pattern => #ids::#id,)
    });
    quote! {
        fn wire_id(msg: &#msg) -> #krate::__private::wire::WireId {
            match *msg {
                #(#arms)*
            }
        }
    }
}

/// The name of `encode_msg`'s buffer, apart from every argument's name, which the match
/// arms bind.
fn out_param(names: &Names<'_>) -> Ident {
    let mut name = String::from("out");
    while names
        .model
        .messages()
        .flat_map(Message::args)
        .any(|(arg, _)| *arg == name)
    {
        name.push('_');
    }
    Ident::new(&name, Span::call_site())
}

// fn encode_msg(msg: &AccountMsg, out: &mut Vec<u8>) -> Result<(), WireError> {
//     match *msg {
//         AccountMsg::Deposit { ref amount } => encode(&(amount,), out),
//         AccountMsg::Transfer { ref to, ref amount } => encode(&(to, amount), out),
//         AccountMsg::Close => Ok(()),
//     }
// }
//
// The fields as a tuple of references, in declaration order: postcard encodes a tuple of
// references as the tuple of values that `decode_msg` reads back. No fields: nothing.
fn encode_msg_fn(names: &Names<'_>) -> TokenStream {
    let Names {
        krate, model, msg, ..
    } = names;
    let wire = quote!(#krate::__private::wire);
    let out = out_param(names);
    let arms: Vec<TokenStream> = model
        .messages()
        .map(|message| {
            let cfgs = &message.cfgs;
            let variant = message.variant();
            let fields: Vec<&Ident> = message.args().map(|(ident, _)| ident).collect();
            if fields.is_empty() {
                quote!(#(#cfgs)* #msg::#variant => ::core::result::Result::Ok(()),)
            } else {
                quote! {
                    #(#cfgs)*
                    #msg::#variant { #(ref #fields),* } => #wire::encode(&(#(#fields,)*), #out),
                }
            }
        })
        .collect();
    let out_used = model
        .messages()
        .any(|message| message.args().next().is_some());
    let out_param = if out_used {
        out
    } else {
        format_ident!("_{out}")
    };
    quote! {
        fn encode_msg(
            msg: &#msg,
            #out_param: &mut ::std::vec::Vec<u8>,
        ) -> ::core::result::Result<(), #wire::WireError> {
            match *msg {
                #(#arms)*
            }
        }
    }
}

// fn decode_msg(id: WireId, bytes: &[u8]) -> Result<AccountMsg, WireError> {
//     match id {
//         AccountWireIds::DEPOSIT => {
//             let (amount,): (u64,) = decode(bytes)?;
//             Ok(AccountMsg::Deposit { amount })
//         }
//         AccountWireIds::CLOSE => {
//             decode::<()>(bytes)?;
//             Ok(AccountMsg::Close)
//         }
//         _ => Err(WireError::UnknownMessage(id)),
//     }
// }
fn decode_msg_fn(names: &Names<'_>) -> TokenStream {
    let Names {
        krate, model, msg, ..
    } = names;
    let wire = quote!(#krate::__private::wire);
    let ids = ids_type(names);
    let arms = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let variant = message.variant();
        let id = id_name(message);
        let (fields, types): (Vec<&Ident>, Vec<&Type>) = message.args().unzip();
        let body = if fields.is_empty() {
            quote! {
                #wire::decode::<()>(bytes)?;
                ::core::result::Result::Ok(#msg::#variant)
            }
        } else {
            quote! {
                let (#(#fields,)*): (#(#types,)*) = #wire::decode(bytes)?;
                ::core::result::Result::Ok(#msg::#variant { #(#fields),* })
            }
        };
        quote!(#(#cfgs)* #ids::#id => { #body })
    });
    quote! {
        fn decode_msg(
            id: #wire::WireId,
            bytes: &[u8],
        ) -> ::core::result::Result<#msg, #wire::WireError> {
            match id {
                #(#arms)*
                _ => ::core::result::Result::Err(#wire::WireError::UnknownMessage(id)),
            }
        }
    }
}

// fn encode_reply(reply: &AccountReply, out: &mut Vec<u8>) -> Result<(), WireError> {
//     match *reply {
//         AccountReply::Deposit(ref value) => encode(value, out),
//         AccountReply::Close => Ok(()),
//         AccountReply::AnsweredLater => Err(WireError::Encode(..)),
//     }
// }
//
// A reply without a value is `()`, which encodes to nothing.
fn encode_reply_fn(names: &Names<'_>) -> TokenStream {
    let Names {
        krate,
        model,
        reply,
        ..
    } = names;
    let wire = quote!(#krate::__private::wire);
    let arms = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let variant = message.variant();
        if message.reply_type().is_some() {
            quote!(#(#cfgs)* #reply::#variant(ref value) => #wire::encode(value, out),)
        } else {
            quote!(#(#cfgs)* #reply::#variant => ::core::result::Result::Ok(()),)
        }
    });
    let answered_later = crate::expand_impl::answers_later(model).then(|| {
        let text = format!(
            "`{reply}::AnsweredLater` is not a reply: the handler answers through its `ReplyTo`, and the transport encodes what that sends, as the message's own reply variant"
        );
        quote! {
            #reply::AnsweredLater => ::core::result::Result::Err(
                #wire::WireError::Encode(::std::string::String::from(#text)),
            ),
        }
    });
    let out_used = model.messages().any(|m| m.reply_type().is_some());
    let out_param = if out_used { quote!(out) } else { quote!(_out) };
    quote! {
        fn encode_reply(
            reply: &#reply,
            #out_param: &mut ::std::vec::Vec<u8>,
        ) -> ::core::result::Result<(), #wire::WireError> {
            match *reply {
                #(#arms)*
                #answered_later
            }
        }
    }
}

// fn decode_reply(id: WireId, bytes: &[u8]) -> Result<AccountReply, WireError> {
//     match id {
//         AccountWireIds::DEPOSIT => Ok(AccountReply::Deposit(decode(bytes)?)),
//         AccountWireIds::CLOSE => {
//             decode::<()>(bytes)?;
//             Ok(AccountReply::Close)
//         }
//         _ => Err(WireError::UnknownMessage(id)),
//     }
// }
fn decode_reply_fn(names: &Names<'_>) -> TokenStream {
    let Names {
        krate,
        model,
        reply,
        ..
    } = names;
    let wire = quote!(#krate::__private::wire);
    let ids = ids_type(names);
    let arms = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let variant = message.variant();
        let id = id_name(message);
        let body = if message.reply_type().is_some() {
            quote!(::core::result::Result::Ok(#reply::#variant(#wire::decode(bytes)?)))
        } else {
            quote!({
                #wire::decode::<()>(bytes)?;
                ::core::result::Result::Ok(#reply::#variant)
            })
        };
        quote!(#(#cfgs)* #ids::#id => #body,)
    });
    quote! {
        fn decode_reply(
            id: #wire::WireId,
            bytes: &[u8],
        ) -> ::core::result::Result<#reply, #wire::WireError> {
            match id {
                #(#arms)*
                _ => ::core::result::Result::Err(#wire::WireError::UnknownMessage(id)),
            }
        }
    }
}
