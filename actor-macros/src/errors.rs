//! Collects every error of one macro call, so the user sees all of them at once (as serde's
//! `Ctxt` does) instead of fixing them one compile at a time.

use std::cell::RefCell;

use proc_macro2::TokenStream;

/// The errors of one macro call. It must be consumed by [`Errors::into_compile_errors`]:
/// dropping it unconsumed panics, so that no path through the macro can lose the errors
/// pushed into it and expand a broken input without a word.
pub(crate) struct Errors {
    /// `None` once consumed.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Default for Errors {
    fn default() -> Self {
        Errors {
            errors: RefCell::new(Some(Vec::new())),
        }
    }
}

impl Errors {
    pub(crate) fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("an `Errors` is consumed only by value, so it cannot be pushed to after")
            .push(error);
    }

    /// Each error as a `compile_error!` at its span (nothing if there are none), consuming
    /// the collector.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        errors.iter().map(syn::Error::to_compile_error).collect()
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        // While unwinding from another panic, a second one would abort and hide the first.
        if self.errors.get_mut().is_some() && !std::thread::panicking() {
            panic!("`Errors` dropped without `into_compile_errors`: the errors pushed into it would be lost");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> syn::Error {
        syn::Error::new(proc_macro2::Span::call_site(), text)
    }

    #[test]
    fn consumed_errors_become_one_compile_error_each() {
        let errors = Errors::default();
        errors.push(error("first"));
        errors.push(error("second"));
        let tokens = errors.into_compile_errors().to_string();
        assert_eq!(tokens.matches("compile_error").count(), 2, "{tokens}");
        let (first, second) = (tokens.find("first"), tokens.find("second"));
        assert!(first < second, "not in the order pushed: {tokens}");
        assert!(Errors::default().into_compile_errors().is_empty());
    }

    #[test]
    #[should_panic(expected = "dropped without `into_compile_errors`")]
    fn dropping_unconsumed_errors_panics() {
        let errors = Errors::default();
        errors.push(error("lost"));
        drop(errors);
    }

    #[test]
    #[should_panic(expected = "dropped without `into_compile_errors`")]
    fn dropping_an_unconsumed_empty_collector_panics_too() {
        drop(Errors::default());
    }

    #[test]
    fn an_unconsumed_collector_dropped_while_unwinding_keeps_the_first_panic() {
        let caught = std::panic::catch_unwind(|| {
            let _errors = Errors::default();
            panic!("the first panic");
        });
        let payload = caught.expect_err("the closure panics");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"the first panic"));
    }
}
