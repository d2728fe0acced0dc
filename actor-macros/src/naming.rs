//! Names of generated items, derived from the user's names.

use proc_macro2::Ident;
use quote::format_ident;

/// `deposit` becomes `Deposit`, `get_balance` becomes `GetBalance`; the span stays the
/// method's, so errors about the variant point at the method name.
///
/// A method name whose CamelCase form is not an identifier (`_1` gives `1`, `self_` gives
/// the keyword `Self`) is an error that says to rename the method: a message's variant is
/// always its method's name in CamelCase, so it can be found from the method.
pub(crate) fn variant_name(method: &Ident) -> syn::Result<Ident> {
    let name = method.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let mut camel = String::with_capacity(name.len());
    for part in name.split('_').filter(|part| !part.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            camel.extend(first.to_uppercase());
            camel.push_str(chars.as_str());
        }
    }
    if camel.is_empty() {
        // A method named only with underscores, like `__`.
        camel.push_str("Unnamed");
    }
    // `parse_str` rejects keywords and non-identifiers with an error; `Ident::new` would
    // panic on them.
    match syn::parse_str::<Ident>(&camel) {
        Ok(mut variant) => {
            variant.set_span(method.span());
            Ok(variant)
        }
        Err(_) if camel == "Self" => Err(syn::Error::new(
            method.span(),
            format!(
                "a message's variant is its method's name in CamelCase, and `{name}` would give `Self`, a keyword: rename the method, for example to `self_ref` or `this`"
            ),
        )),
        Err(_) => {
            let suggestion = if name.starts_with('_') {
                format!("step{name}")
            } else {
                format!("step_{name}")
            };
            Err(syn::Error::new(
                method.span(),
                format!(
                    "a message's variant is its method's name in CamelCase, and `{name}` would give `{camel}`, which is not a valid name (it must start with a letter): rename the method so that a letter comes first, for example `{suggestion}`"
                ),
            ))
        }
    }
}

/// `Account` + `Msg` = `AccountMsg`.
pub(crate) fn generated_type(actor: &Ident, suffix: &str) -> Ident {
    format_ident!("{}{}", actor, suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_names_become_camel_case_variants() {
        let cases = [
            ("deposit", "Deposit"),
            ("get_balance", "GetBalance"),
            ("r#type", "Type"),
            ("a__b", "AB"),
        ];
        for (method, variant) in cases {
            let ident = syn::parse_str::<Ident>(method).unwrap();
            let made = variant_name(&ident).unwrap();
            assert_eq!(made.to_string(), variant, "for `{method}`");
        }
    }

    #[test]
    fn names_that_give_no_valid_variant_are_errors_not_panics() {
        for method in ["_1", "__2nd", "self_", "_self"] {
            let ident = syn::parse_str::<Ident>(method).unwrap();
            let err = variant_name(&ident).expect_err(method);
            assert!(err.to_string().contains("rename the method"), "{err}");
        }
    }
}
