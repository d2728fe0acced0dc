//! Names of generated items, derived from the user's names.

use proc_macro2::Ident;
use quote::format_ident;

/// `deposit` becomes `Deposit`, `get_balance` becomes `GetBalance`; the span stays the
/// method's, so errors about the variant point at the method name.
pub(crate) fn variant_name(method: &Ident) -> Ident {
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
    Ident::new(&camel, method.span())
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
            assert_eq!(variant_name(&ident).to_string(), variant, "for `{method}`");
        }
    }
}
