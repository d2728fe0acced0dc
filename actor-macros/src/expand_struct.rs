//! Code generation for `#[actor]` on a struct (or enum): the actor's options.
//!
//! For `#[actor(mailbox = 64)] pub struct Account { ... }` this emits the struct unchanged
//! and:
//!
//! ```text
//! impl ActorOptions for Account {
//!     const MAILBOX: MailboxConfig = MailboxConfig::bounded(64);
//! }
//! ```
//!
//! which the `Actor` impl generated from the impl block reads.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Generics, Ident, Item};

use crate::attr::{MailboxOption, StructOptions};

pub(crate) fn struct_or_enum(item: &Item, options: &StructOptions) -> TokenStream {
    let (ident, generics): (&Ident, &Generics) = match item {
        Item::Struct(item) => (&item.ident, &item.generics),
        Item::Enum(item) => (&item.ident, &item.generics),
        _ => unreachable!("only called for structs and enums"),
    };
    let krate = options
        .crate_path
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::actor_core));
    let mailbox = match &options.mailbox {
        None => {
            quote!(#krate::__private::MailboxConfig::Bounded(#krate::__private::MailboxConfig::DEFAULT_CAPACITY))
        }
        Some(MailboxOption::Bounded(capacity)) => {
            quote_spanned!(capacity.span()=> #krate::__private::MailboxConfig::bounded(#capacity))
        }
        Some(MailboxOption::Unbounded(span)) => {
            quote_spanned!(*span=> #krate::__private::MailboxConfig::Unbounded)
        }
    };
    let supervisor = options.supervisor.as_ref().map(|path| {
        quote! {
            fn supervisor_strategy() -> #krate::__private::SupervisorStrategy {
                #path()
            }
        }
    });
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    quote! {
        #item

        #[automatically_derived]
        impl #impl_generics #krate::__private::ActorOptions for #ident #ty_generics #where_clause {
            const MAILBOX: #krate::__private::MailboxConfig = #mailbox;
            #supervisor
        }
    }
}
