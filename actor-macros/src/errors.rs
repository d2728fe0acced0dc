//! Collects every error of one macro call, so the user sees all of them at once (as serde's
//! `Ctxt` does) instead of fixing them one compile at a time.

use std::cell::RefCell;

use proc_macro2::TokenStream;

#[derive(Default)]
pub(crate) struct Errors {
    errors: RefCell<Vec<syn::Error>>,
}

impl Errors {
    pub(crate) fn push(&self, error: syn::Error) {
        self.errors.borrow_mut().push(error);
    }

    /// Each error as a `compile_error!` at its span.
    pub(crate) fn to_compile_errors(&self) -> TokenStream {
        self.errors
            .borrow()
            .iter()
            .map(syn::Error::to_compile_error)
            .collect()
    }
}
