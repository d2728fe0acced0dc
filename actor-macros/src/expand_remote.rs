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
    let trait_impl = trait_impl(names, remote);
    quote! {
        #ids
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
// impl RemoteActor for Account {
//     const WIRE_NAME: &'static str = "bank.Account";
//     const SIGNATURE: u64 = signature(&["deposit_v1", "u64", "->", "u64", ...]);
//     fn wire_id(msg: &AccountMsg) -> WireId { match *msg { ... } }
//     fn encode_msg(..) / decode_msg(..) / encode_reply(..) / decode_reply(..)
// }
//
// Each field is encoded and decoded on its own, through `encode_field::<T>` and
// `decode_field::<T>` (the bytes are those of the fields' tuple), each call spanned on the
// user's type: a type without serde's traits fails their `WireValue` bound there, in that
// trait's words. No where clause restates those bounds on the impl: a message that
// carries a ref to its own actor (`ActorRef<Self>`, the reply-to pattern) would make the
// bound depend on the impl it bounds, and rustc overflows on that cycle.
fn trait_impl(names: &Names<'_>, remote: &LitStr) -> TokenStream {
    let Names { krate, model, .. } = names;
    let wire = quote!(#krate::__private::wire);
    let self_ty = &model.self_ty;
    let signature = signature_parts(model.messages());
    let messages = message_signatures(names);
    let allow_deprecated = allow_deprecated(model.messages().any(|m| !m.deprecated.is_empty()));
    let wire_id = wire_id_fn(names);
    let encode_msg = encode_msg_fn(names);
    let decode_msg = decode_msg_fn(names);
    let encode_reply = encode_reply_fn(names);
    let decode_reply = decode_reply_fn(names);
    quote! {
        #[automatically_derived]
        #allow_deprecated
        impl #wire::RemoteActor for #self_ty {
            const WIRE_NAME: &'static str = #remote;
            const SIGNATURE: u64 = #wire::signature(&[#signature]);
            #messages
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

// const MESSAGES: &'static [(WireId, u64)] = &[
//     (AccountWireIds::DEPOSIT, signature(&["u64", "->", "u64"])),
//     ...
// ];
//
// Each message's own signature (its argument and reply types), under its id: a lookup
// compares the messages both sides know, so adding a message keeps peers compatible.
fn message_signatures(names: &Names<'_>) -> TokenStream {
    let Names { krate, model, .. } = names;
    let wire = quote!(#krate::__private::wire);
    let ids = ids_type(names);
    let entries = model.messages().map(|message| {
        let cfgs = &message.cfgs;
        let id = id_name(message);
        let mut texts: Vec<String> = message
            .args()
            .map(|(_, ty)| ty.to_token_stream().to_string())
            .collect();
        texts.push("->".to_owned());
        texts.push(
            message
                .reply_type()
                .map_or_else(|| "()".to_owned(), |ty| ty.to_token_stream().to_string()),
        );
        quote!(#(#cfgs)* (#ids::#id, #wire::signature(&[#(#texts),*])))
    });
    quote! {
        const MESSAGES: &'static [(#wire::WireId, u64)] = &[#(#entries),*];
    }
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
//         AccountMsg::Deposit { ref amount } => {
//             encode_field::<u64>(amount, out)?;
//             Ok(())
//         }
//         AccountMsg::Transfer { ref to, ref amount } => {
//             encode_field::<String>(to, out)?;
//             encode_field::<u64>(amount, out)?;
//             Ok(())
//         }
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
            let (fields, types): (Vec<&Ident>, Vec<&Type>) = message.args().unzip();
            if fields.is_empty() {
                quote!(#(#cfgs)* #msg::#variant => ::core::result::Result::Ok(()),)
            } else {
                let writes = fields.iter().zip(&types).map(|(field, ty)| {
                    quote_spanned!(ty.span()=> #wire::encode_field::<#ty>(#field, #out)?;)
                });
                quote! {
                    #(#cfgs)*
                    #msg::#variant { #(ref #fields),* } => {
                        #(#writes)*
                        ::core::result::Result::Ok(())
                    }
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
//             let mut rest = bytes;
//             let amount = decode_field::<u64>(&mut rest)?;
//             finish(rest)?;
//             Ok(AccountMsg::Deposit { amount })
//         }
//         AccountWireIds::CLOSE => {
//             finish(bytes)?;
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
                #wire::finish(bytes)?;
                ::core::result::Result::Ok(#msg::#variant)
            }
        } else {
            let reads = fields.iter().zip(&types).map(|(field, ty)| {
                let read = quote_spanned!(ty.span()=> #wire::decode_field::<#ty>(&mut rest)?);
                quote!(let #field = #read;)
            });
            quote! {
                let mut rest = bytes;
                #(#reads)*
                #wire::finish(rest)?;
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
//         AccountReply::Deposit(ref value) => encode_field::<u64>(value, out),
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
        if let Some(ty) = message.reply_type() {
            let write = quote_spanned!(ty.span()=> #wire::encode_field::<#ty>(value, out));
            quote!(#(#cfgs)* #reply::#variant(ref value) => #write,)
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
//         AccountWireIds::DEPOSIT => {
//             let mut rest = bytes;
//             let value = decode_field::<u64>(&mut rest)?;
//             finish(rest)?;
//             Ok(AccountReply::Deposit(value))
//         }
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
        let body = if let Some(ty) = message.reply_type() {
            let read = quote_spanned!(ty.span()=> #wire::decode_field::<#ty>(&mut rest)?);
            quote!({
                let mut rest = bytes;
                let value = #read;
                #wire::finish(rest)?;
                ::core::result::Result::Ok(#reply::#variant(value))
            })
        } else {
            quote!({
                #wire::finish(bytes)?;
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
