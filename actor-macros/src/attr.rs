//! Parsing of the macro's own attributes: `#[actor(...)]` options and the method markers.
//!
//! Parsing is strict: an unknown option is an error that lists the valid ones, because a
//! lenient parser could never be tightened later without breaking users.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Attribute, LitInt, LitStr, Meta, Path, Token};

mod kw {
    syn::custom_keyword!(mailbox);
    syn::custom_keyword!(unbounded);
    syn::custom_keyword!(supervisor);
    syn::custom_keyword!(fail_on_err);
    syn::custom_keyword!(remote);
    syn::custom_keyword!(wire);
}

/// The mailbox an `#[actor(mailbox = ...)]` declares.
pub(crate) enum MailboxOption {
    Bounded(LitInt),
    Unbounded(Span),
}

/// Options of `#[actor]` on a struct.
#[derive(Default)]
pub(crate) struct StructOptions {
    pub(crate) mailbox: Option<MailboxOption>,
    pub(crate) crate_path: Option<Path>,
    /// A function returning the `SupervisorStrategy` for the actor's children.
    pub(crate) supervisor: Option<Path>,
}

/// Options of `#[actor]` on an impl block.
#[derive(Default)]
pub(crate) struct ImplOptions {
    pub(crate) crate_path: Option<Path>,
    /// `remote = "bank.Account"`: the actor's stable name on the wire, as written (its
    /// characters are checked in `valid::remote`).
    pub(crate) remote: Option<LitStr>,
}

enum StructOption {
    Mailbox(kw::mailbox, MailboxOption),
    Crate(Token![crate], Path),
    Supervisor(kw::supervisor, Path),
}

impl Parse for StructOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::mailbox) {
            let key: kw::mailbox = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(StructOption::Mailbox(key, parse_mailbox(input)?))
        } else if lookahead.peek(Token![crate]) {
            let key: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(StructOption::Crate(key, parse_crate_path(input)?))
        } else if lookahead.peek(kw::supervisor) {
            let key: kw::supervisor = input.parse()?;
            input.parse::<Token![=]>()?;
            let path: Path = input.parse()?;
            if !input.is_empty() && !input.peek(Token![,]) {
                return Err(syn::Error::new(
                    input.span(),
                    "`supervisor` takes the path of a function that returns the strategy, like `supervisor = bank_strategy` with `fn bank_strategy() -> SupervisorStrategy { ... }`; it is not an expression",
                ));
            }
            Ok(StructOption::Supervisor(key, path))
        } else if input.peek(kw::remote) {
            // Not among the options the lookahead lists: it is not one of the struct's.
            let key: kw::remote = input.parse()?;
            Err(syn::Error::new(
                key.span,
                "`remote` is an option of the impl block: write `#[actor(remote = \"...\")]` on the `impl`",
            ))
        } else {
            Err(unknown_option(input, "`mailbox`, `supervisor`, `crate`"))
        }
    }
}

fn parse_mailbox(input: ParseStream<'_>) -> syn::Result<MailboxOption> {
    let lookahead = input.lookahead1();
    if lookahead.peek(kw::unbounded) {
        let word: kw::unbounded = input.parse()?;
        Ok(MailboxOption::Unbounded(word.span))
    } else if lookahead.peek(LitInt) {
        let capacity: LitInt = input.parse()?;
        match capacity.base10_parse::<usize>() {
            Ok(0) => Err(syn::Error::new(
                capacity.span(),
                "a mailbox needs room for at least one message: write `mailbox = 1` or more, or `mailbox = unbounded`",
            )),
            Ok(_) => Ok(MailboxOption::Bounded(capacity)),
            Err(_) => Err(syn::Error::new(
                capacity.span(),
                "the mailbox capacity must be a whole number that fits in a `usize`, like `mailbox = 64`",
            )),
        }
    } else {
        Err(syn::Error::new(
            input.span(),
            "expected a capacity like `mailbox = 64`, or `mailbox = unbounded`",
        ))
    }
}

/// `crate = path` or `crate = "path"`, as serde and tokio accept.
fn parse_crate_path(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(LitStr) {
        let text: LitStr = input.parse()?;
        text.parse()
    } else {
        input.call(Path::parse_mod_style)
    }
}

/// An error on the unknown key at the front of `input`, naming the valid ones.
fn unknown_option(input: ParseStream<'_>, valid: &str) -> syn::Error {
    let span = input.span();
    let found = input
        .step(|cursor| match cursor.token_tree() {
            Some((tree, rest)) => Ok((tree.to_string(), rest)),
            None => Ok((String::new(), *cursor)),
        })
        .unwrap_or_default();
    if found.is_empty() {
        syn::Error::new(span, format!("expected an option: one of {valid}"))
    } else {
        syn::Error::new(
            span,
            format!("unknown option `{found}`; expected one of: {valid}"),
        )
    }
}

pub(crate) fn parse_struct_options(args: TokenStream) -> syn::Result<StructOptions> {
    let parsed = Punctuated::<StructOption, Token![,]>::parse_terminated.parse2(args)?;
    let mut options = StructOptions::default();
    for option in parsed {
        match option {
            StructOption::Mailbox(key, mailbox) => {
                if options.mailbox.replace(mailbox).is_some() {
                    return Err(syn::Error::new(
                        key.span,
                        "`mailbox` is set twice; keep one",
                    ));
                }
            }
            StructOption::Crate(key, path) => {
                if options.crate_path.replace(path).is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is set twice; keep one"));
                }
            }
            StructOption::Supervisor(key, path) => {
                if options.supervisor.replace(path).is_some() {
                    return Err(syn::Error::new(
                        key.span,
                        "`supervisor` is set twice; keep one",
                    ));
                }
            }
        }
    }
    Ok(options)
}

enum ImplOption {
    Crate(Token![crate], Path),
    Remote(kw::remote, LitStr),
}

impl Parse for ImplOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(kw::mailbox) {
            let key: kw::mailbox = input.parse()?;
            return Err(syn::Error::new(
                key.span,
                "`mailbox` is an option of the struct: write it on the struct's `#[actor(mailbox = ...)]`",
            ));
        }
        if input.peek(kw::supervisor) {
            let key: kw::supervisor = input.parse()?;
            return Err(syn::Error::new(
                key.span,
                "`supervisor` is an option of the struct: write it on the struct's `#[actor(supervisor = ...)]`",
            ));
        }
        let lookahead = input.lookahead1();
        if lookahead.peek(Token![crate]) {
            let key: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(ImplOption::Crate(key, parse_crate_path(input)?))
        } else if lookahead.peek(kw::remote) {
            let key: kw::remote = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(ImplOption::Remote(
                key,
                parse_wire_name(input, "remote", "bank.Account")?,
            ))
        } else {
            Err(unknown_option(input, "`remote`, `crate`"))
        }
    }
}

/// The string literal of `remote = "..."` or `wire = "..."`; what is in it is checked with
/// the rest of the model, in `valid::remote`.
fn parse_wire_name(input: ParseStream<'_>, key: &str, example: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        input.parse()
    } else {
        Err(syn::Error::new(
            input.span(),
            format!(
                "`{key}` takes a string, the stable name on the wire, like `{key} = \"{example}\"`"
            ),
        ))
    }
}

pub(crate) fn parse_impl_options(args: TokenStream) -> syn::Result<ImplOptions> {
    let parsed = Punctuated::<ImplOption, Token![,]>::parse_terminated.parse2(args)?;
    let mut options = ImplOptions::default();
    for option in parsed {
        match option {
            ImplOption::Crate(key, path) => {
                if options.crate_path.replace(path).is_some() {
                    return Err(syn::Error::new(key.span, "`crate` is set twice; keep one"));
                }
            }
            ImplOption::Remote(key, name) => {
                if options.remote.replace(name).is_some() {
                    return Err(syn::Error::new(key.span, "`remote` is set twice; keep one"));
                }
            }
        }
    }
    Ok(options)
}

/// The markers `#[actor]` recognises on the methods of an impl block.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Marker {
    Message,
    Started,
    Stopping,
    Stopped,
    PreRestart,
    PostRestart,
    Terminated,
}

impl Marker {
    pub(crate) const ALL: [Marker; 7] = [
        Marker::Message,
        Marker::Started,
        Marker::Stopping,
        Marker::Stopped,
        Marker::PreRestart,
        Marker::PostRestart,
        Marker::Terminated,
    ];

    /// The hooks, in the order the `Actor` impl lists them.
    pub(crate) const HOOKS: [Marker; 6] = [
        Marker::Started,
        Marker::Stopping,
        Marker::Stopped,
        Marker::PreRestart,
        Marker::PostRestart,
        Marker::Terminated,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Marker::Message => "message",
            Marker::Started => "started",
            Marker::Stopping => "stopping",
            Marker::Stopped => "stopped",
            Marker::PreRestart => "pre_restart",
            Marker::PostRestart => "post_restart",
            Marker::Terminated => "terminated",
        }
    }

    fn of(attr: &Attribute) -> Option<Marker> {
        Marker::ALL
            .into_iter()
            .find(|marker| attr.path().is_ident(marker.name()))
    }
}

/// A marker found on a method: `#[message]`, or one inside `#[cfg_attr(pred, message)]`.
pub(crate) struct FoundMarker {
    pub(crate) marker: Marker,
    /// The marker as an attribute of its own, spanned at the user's marker, for its options
    /// and for errors.
    pub(crate) attr: Attribute,
    /// For a marker inside `#[cfg_attr(pred, ..)]`, the `#[cfg(pred)]` under which the
    /// method is a message (or hook); nested `cfg_attr`s give one each.
    pub(crate) cfgs: Vec<Attribute>,
}

/// Removes the markers from `attrs`, also from inside `#[cfg_attr(..)]` (whose other
/// attributes stay), and returns them.
///
/// An attribute macro sees the `#[cfg_attr]`s of the items inside it unexpanded, and cannot
/// evaluate their predicates; so `#[cfg_attr(pred, message)]` becomes a message whose
/// generated items all carry `#[cfg(pred)]`: when `pred` is false, they vanish and the
/// method stays an ordinary one, as if the marker had never been written.
pub(crate) fn take_markers(attrs: &mut Vec<Attribute>) -> Vec<FoundMarker> {
    let mut markers = Vec::new();
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in std::mem::take(attrs) {
        if let Some(marker) = Marker::of(&attr) {
            markers.push(FoundMarker {
                marker,
                attr,
                cfgs: Vec::new(),
            });
        } else if let Some(cfg_attr) = CfgAttr::of(&attr) {
            match cfg_attr.without_markers(&[], &mut markers) {
                Some(rest) if rest.changed => kept.push(Attribute {
                    meta: rest.meta,
                    ..attr
                }),
                Some(_) => kept.push(attr),
                None => {}
            }
        } else {
            kept.push(attr);
        }
    }
    *attrs = kept;
    markers
}

/// The attributes named `name` (`cfg`, `deprecated`), including those inside
/// `#[cfg_attr(..)]`, as attributes to carry onto generated items: the one inside
/// `#[cfg_attr(a, cfg_attr(b, deprecated))]` becomes `#[cfg_attr(all(a, b), deprecated)]`.
pub(crate) fn carried(attrs: &[Attribute], name: &str) -> Vec<Attribute> {
    let mut carried = Vec::new();
    for attr in attrs {
        if attr.path().is_ident(name) {
            carried.push(attr.clone());
        } else if let Some(cfg_attr) = CfgAttr::of(attr) {
            cfg_attr.find(name, &[], &mut carried);
        }
    }
    carried
}

/// One predicate that holds when all of `preds` do: `a`, or `all(a, b)`.
fn all(preds: &[Meta]) -> TokenStream {
    match preds {
        [pred] => quote::quote!(#pred),
        preds => quote::quote!(all(#(#preds),*)),
    }
}

/// `#[cfg_attr(pred, attr, attr, ..)]`, parsed.
struct CfgAttr {
    pred: Meta,
    attrs: Punctuated<Meta, Token![,]>,
}

/// A `cfg_attr` with the markers taken out.
struct Rewritten {
    meta: Meta,
    changed: bool,
}

impl CfgAttr {
    fn of(attr: &Attribute) -> Option<CfgAttr> {
        match &attr.meta {
            Meta::List(list) if list.path.is_ident("cfg_attr") => CfgAttr::parse_list(list),
            _ => None,
        }
    }

    /// `None` for a malformed `cfg_attr`, which is left to rustc.
    fn parse_list(list: &syn::MetaList) -> Option<CfgAttr> {
        list.parse_args_with(|input: ParseStream<'_>| {
            let pred: Meta = input.parse()?;
            input.parse::<Token![,]>()?;
            let attrs = Punctuated::<Meta, Token![,]>::parse_terminated(input)?;
            Ok(CfgAttr { pred, attrs })
        })
        .ok()
    }

    /// The `all(..)` of the enclosing predicates and this one.
    fn preds(&self, outer: &[Meta]) -> Vec<Meta> {
        let mut preds = outer.to_vec();
        preds.push(self.pred.clone());
        preds
    }

    /// This `cfg_attr` without its markers (pushed to `markers`), or `None` if nothing else
    /// is left in it.
    fn without_markers(self, outer: &[Meta], markers: &mut Vec<FoundMarker>) -> Option<Rewritten> {
        let preds = self.preds(outer);
        let mut changed = false;
        let mut rest = Punctuated::<Meta, Token![,]>::new();
        for meta in self.attrs {
            let span = meta.path().span();
            let as_attr = Attribute {
                pound_token: Token![#](span),
                style: syn::AttrStyle::Outer,
                bracket_token: syn::token::Bracket(span),
                meta,
            };
            if let Some(marker) = Marker::of(&as_attr) {
                let pred = all(&preds);
                markers.push(FoundMarker {
                    marker,
                    attr: as_attr,
                    cfgs: vec![syn::parse_quote_spanned!(span=> #[cfg(#pred)])],
                });
                changed = true;
                continue;
            }
            let nested = match &as_attr.meta {
                Meta::List(list) if list.path.is_ident("cfg_attr") => CfgAttr::parse_list(list),
                _ => None,
            };
            match nested.map(|nested| nested.without_markers(&preds, markers)) {
                Some(Some(rewritten)) => {
                    changed |= rewritten.changed;
                    rest.push(rewritten.meta);
                }
                Some(None) => changed = true,
                None => rest.push(as_attr.meta),
            }
        }
        if rest.is_empty() {
            return None;
        }
        let pred = &self.pred;
        Some(Rewritten {
            meta: syn::parse_quote!(cfg_attr(#pred, #rest)),
            changed,
        })
    }

    fn find(&self, name: &str, outer: &[Meta], carried: &mut Vec<Attribute>) {
        let preds = self.preds(outer);
        for meta in &self.attrs {
            if meta.path().is_ident(name) {
                let pred = all(&preds);
                carried.push(syn::parse_quote!(#[cfg_attr(#pred, #meta)]));
            } else if let Meta::List(list) = meta {
                if list.path.is_ident("cfg_attr") {
                    if let Some(nested) = CfgAttr::parse_list(list) {
                        nested.find(name, &preds, carried);
                    }
                }
            }
        }
    }
}

/// Options of `#[message(...)]`.
#[derive(Default)]
pub(crate) struct MessageOptions {
    /// An `Err` reply also fails the actor.
    pub(crate) fail_on_err: Option<proc_macro2::Span>,
    /// `wire = "deposit_v1"`, at the key's span: the message's pinned name on the wire.
    pub(crate) wire: Option<(proc_macro2::Span, LitStr)>,
}

enum MessageOption {
    FailOnErr(kw::fail_on_err),
    Wire(kw::wire, LitStr),
}

impl Parse for MessageOption {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(kw::fail_on_err) {
            Ok(MessageOption::FailOnErr(input.parse()?))
        } else if lookahead.peek(kw::wire) {
            let key: kw::wire = input.parse()?;
            input.parse::<Token![=]>()?;
            Ok(MessageOption::Wire(
                key,
                parse_wire_name(input, "wire", "deposit_v1")?,
            ))
        } else {
            Err(unknown_message_option(input.span()))
        }
    }
}

fn unknown_message_option(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "unknown option of `#[message]`; expected one of: `fail_on_err`, `wire`",
    )
}

/// `#[message]`, `#[message(fail_on_err)]`, `#[message(wire = "deposit_v1")]` or both.
pub(crate) fn parse_message_options(attr: &Attribute) -> syn::Result<MessageOptions> {
    let syn::Meta::List(list) = &attr.meta else {
        return check_marker_has_no_args(Marker::Message, attr).map(|()| MessageOptions::default());
    };
    let parsed = list.parse_args_with(Punctuated::<MessageOption, Token![,]>::parse_terminated)?;
    let mut options = MessageOptions::default();
    for option in parsed {
        match option {
            MessageOption::FailOnErr(key) => {
                if options.fail_on_err.replace(key.span).is_some() {
                    return Err(syn::Error::new(
                        key.span,
                        "`fail_on_err` is set twice; keep one",
                    ));
                }
            }
            MessageOption::Wire(key, name) => {
                if options.wire.replace((key.span, name)).is_some() {
                    return Err(syn::Error::new(key.span, "`wire` is set twice; keep one"));
                }
            }
        }
    }
    Ok(options)
}

/// The hooks take no options; say so rather than ignore them.
pub(crate) fn check_marker_has_no_args(marker: Marker, attr: &Attribute) -> syn::Result<()> {
    match &attr.meta {
        syn::Meta::Path(_) => Ok(()),
        syn::Meta::List(list) => Err(syn::Error::new_spanned(
            &list.tokens,
            format!(
                "`#[{}]` takes no options: write `#[{}]`",
                marker.name(),
                marker.name()
            ),
        )),
        syn::Meta::NameValue(nv) => Err(syn::Error::new_spanned(
            &nv.value,
            format!(
                "`#[{}]` takes no value: write `#[{}]`",
                marker.name(),
                marker.name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn text(tokens: &impl ToTokens) -> String {
        tokens.to_token_stream().to_string()
    }

    #[test]
    fn a_marker_inside_cfg_attr_is_taken_out_with_its_predicates() {
        let mut attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[doc = " Docs."]),
            syn::parse_quote!(#[cfg_attr(feature = "x", cfg_attr(unix, message(fail_on_err)), inline)]),
            syn::parse_quote!(#[cfg_attr(test, allow(unused))]),
        ];
        let markers = take_markers(&mut attrs);
        assert_eq!(markers.len(), 1);
        assert_eq!(markers[0].marker, Marker::Message);
        assert_eq!(text(&markers[0].attr), "# [message (fail_on_err)]");
        assert_eq!(
            text(&markers[0].cfgs[0]),
            "# [cfg (all (feature = \"x\" , unix))]"
        );
        let kept: Vec<String> = attrs.iter().map(text).collect();
        assert_eq!(
            kept,
            [
                "# [doc = \" Docs.\"]",
                "# [cfg_attr (feature = \"x\" , inline)]",
                "# [cfg_attr (test , allow (unused))]",
            ]
        );
    }

    #[test]
    fn a_cfg_attr_holding_only_a_marker_disappears() {
        let mut attrs: Vec<Attribute> = vec![syn::parse_quote!(#[cfg_attr(test, started)])];
        let markers = take_markers(&mut attrs);
        assert_eq!(markers[0].marker, Marker::Started);
        assert_eq!(text(&markers[0].cfgs[0]), "# [cfg (test)]");
        assert!(attrs.is_empty());
    }

    #[test]
    fn cfgs_and_deprecations_inside_cfg_attr_are_carried_under_their_predicate() {
        let attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[cfg(unix)]),
            syn::parse_quote!(#[cfg_attr(a, cfg_attr(b, cfg(c)), deprecated)]),
        ];
        let cfgs: Vec<String> = carried(&attrs, "cfg").iter().map(text).collect();
        assert_eq!(
            cfgs,
            ["# [cfg (unix)]", "# [cfg_attr (all (a , b) , cfg (c))]"]
        );
        let deprecated: Vec<String> = carried(&attrs, "deprecated").iter().map(text).collect();
        assert_eq!(deprecated, ["# [cfg_attr (a , deprecated)]"]);
    }
}
