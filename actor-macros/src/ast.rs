//! The model of an `#[actor]` impl block: its messages and hooks, keeping the user's syn
//! nodes so that errors and generated items point at the user's tokens.
//!
//! This stage parses: it reads the markers and their options (an error there is reported
//! here, and the method left out) and sorts each method's parameters by what they are
//! meant to be. Whether the methods are acceptable is `valid`'s question, asked of the
//! whole model afterwards.

use proc_macro2::Span;
use syn::visit_mut::VisitMut;
use syn::{
    Attribute, FnArg, GenericParam, Generics, Ident, ImplItem, ImplItemFn, ItemImpl, Lifetime,
    LitStr, Pat, PatType, ReturnType, Signature, Type, Visibility, WherePredicate,
};

use crate::attr::{self, Marker};
use crate::errors::Errors;
use crate::naming::variant_name;

/// A whole `#[actor]` impl block.
pub(crate) struct ActorImpl {
    /// The user's impl block with the markers removed; emitted unchanged otherwise.
    pub(crate) item: ItemImpl,
    /// The actor's type, `Account` or `Store<T>`.
    pub(crate) self_ty: Type,
    /// The last segment of the actor's type path, the stem of the generated names.
    pub(crate) actor_ident: Ident,
    pub(crate) generics: Generics,
    /// The messages and hooks, in the order of the impl block, so that their errors are
    /// reported in that order.
    pub(crate) handlers: Vec<Handler>,
}

/// A method with a marker.
#[allow(clippy::large_enum_variant)] // a handful per block, at compile time
pub(crate) enum Handler {
    Message(Message),
    Hook(Hook),
}

/// One `#[message]` method.
pub(crate) struct Message {
    /// The method's name, `deposit`; also the client method's name.
    pub(crate) method: Ident,
    /// The enum variant's name, `Deposit`; `None` when the method's name gives no valid
    /// one, which the checks reject.
    variant: Option<Ident>,
    pub(crate) vis: Visibility,
    /// `#[doc]` attributes, carried onto the variant and the client method.
    pub(crate) docs: Vec<Attribute>,
    /// `#[cfg]` attributes (also those inside `#[cfg_attr]`, and the predicate of a
    /// `#[cfg_attr(pred, message)]`), carried onto everything generated for this message.
    pub(crate) cfgs: Vec<Attribute>,
    /// `#[deprecated]` attributes, carried onto the variant and the client method, so that
    /// whoever sends the message is warned and the generated dispatch is not.
    pub(crate) deprecated: Vec<Attribute>,
    pub(crate) is_async: bool,
    /// The method's parameters after `self`, in order.
    pub(crate) params: Vec<Param>,
    /// The return type with `Self` spelled out; `None` for `()`.
    pub(crate) output: Option<Type>,
    /// `#[message(fail_on_err)]`, at the option's span: an `Err` reply also fails the actor.
    pub(crate) fail_on_err: Option<Span>,
    /// `#[message(wire = "deposit_v1")]`: the `wire` key's span and the pinned name.
    pub(crate) wire: Option<(Span, LitStr)>,
    /// The user's signature, for the checks and the spans of their errors.
    pub(crate) sig: Signature,
}

/// A parameter of a message method.
#[allow(clippy::large_enum_variant)] // a handful per method, at compile time
pub(crate) enum Param {
    /// Meant as `ctx: &mut Context<Self>`, passed in by the dispatch (the checks reject a
    /// misspelt one).
    Context(PatType),
    /// Meant as `reply: ReplyTo<T>`: the message's reply slot, which the handler takes to
    /// answer later; passed in by the dispatch, not a field of the variant.
    Reply {
        /// The parameter as the user wrote it.
        node: PatType,
        /// The reply's type `T`, with `Self` spelled out.
        ty: Type,
    },
    /// An argument, which becomes a field of the variant.
    Arg {
        /// The parameter as the user wrote it.
        node: PatType,
        /// The field's name; `None` for a pattern that is not a plain name, which the
        /// checks reject.
        ident: Option<Ident>,
        /// The field's type, with `Self` spelled out.
        ty: Type,
    },
}

impl Message {
    /// The arguments that become the variant's fields, with their names and types.
    pub(crate) fn args(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.params.iter().filter_map(|param| match param {
            Param::Arg {
                ident: Some(ident),
                ty,
                ..
            } => Some((ident, ty)),
            Param::Arg { ident: None, .. } | Param::Context(_) | Param::Reply { .. } => None,
        })
    }

    /// The reply slot parameter of a handler that answers later, `reply: ReplyTo<T>`.
    pub(crate) fn reply_param(&self) -> Option<(&PatType, &Type)> {
        self.params.iter().find_map(|param| match param {
            Param::Reply { node, ty } => Some((node, ty)),
            Param::Context(_) | Param::Arg { .. } => None,
        })
    }

    /// The type its callers get: what it returns, or what it sends through its `ReplyTo`.
    pub(crate) fn reply_type(&self) -> Option<&Type> {
        match self.reply_param() {
            Some((_, ty)) => Some(ty),
            None => self.output.as_ref(),
        }
    }

    /// The message's name on the wire: the pinned `wire = "..."`, or the method's name
    /// (without `r#`).
    pub(crate) fn wire_name(&self) -> String {
        match &self.wire {
            Some((_, name)) => name.value(),
            None => {
                let name = self.method.to_string();
                match name.strip_prefix("r#") {
                    Some(raw) => raw.to_owned(),
                    None => name,
                }
            }
        }
    }

    pub(crate) fn takes_context(&self) -> bool {
        self.params
            .iter()
            .any(|param| matches!(param, Param::Context(_)))
    }

    /// The enum variant's name, `Deposit`.
    ///
    /// # Panics
    ///
    /// For a message whose name gives no variant: `valid::check` removes those before
    /// anything is generated.
    pub(crate) fn variant(&self) -> &Ident {
        self.variant
            .as_ref()
            .expect("the checks remove a message whose name gives no variant")
    }
}

/// A lifecycle hook: `#[started]`, `#[stopping]`, `#[stopped]`, `#[pre_restart]`,
/// `#[post_restart]` or `#[terminated]`.
pub(crate) struct Hook {
    pub(crate) marker: Marker,
    pub(crate) method: Ident,
    /// As for a message: the hook exists under these.
    pub(crate) cfgs: Vec<Attribute>,
    /// Whether the method is `#[deprecated]`, so that calling it from the trait's hook
    /// must not warn.
    pub(crate) deprecated: bool,
    pub(crate) is_async: bool,
    /// The hook's parameters after `self`, in the user's order.
    pub(crate) params: Vec<HookParam>,
    /// The user's signature, for the checks and the spans of their errors.
    pub(crate) sig: Signature,
}

/// A parameter of a hook, sorted by its type; the checks decide whether the hook takes it.
pub(crate) struct HookParam {
    pub(crate) kind: HookParamKind,
    /// The parameter as the user wrote it.
    pub(crate) node: PatType,
}

/// What a hook's parameter is meant to be.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookParamKind {
    /// Meant as `ctx: &mut Context<Self>`.
    Context,
    /// A `Terminated`: the death-watch signal, for `#[terminated]`.
    Terminated,
    /// A `&Failure`: the failure that caused a restart, for `#[pre_restart]` and
    /// `#[post_restart]`.
    Failure,
    /// Anything else, which no hook takes.
    Other,
}

impl Hook {
    pub(crate) fn takes(&self, kind: HookParamKind) -> bool {
        self.params.iter().any(|param| param.kind == kind)
    }
}

impl ActorImpl {
    /// Builds the model, reporting the errors in the markers and their options into
    /// `errors`; a method with such an error is left out.
    ///
    /// `None` for a block that is not an actor's own: a trait impl (whose methods are the
    /// trait's), or the impl of a type with no name to give the generated items.
    /// `valid::check` says which.
    pub(crate) fn from_item(mut item: ItemImpl, errors: &Errors) -> Option<ActorImpl> {
        if item.trait_.is_some() {
            return None;
        }
        // An actor cannot borrow; the checks report its lifetimes. The generated items are
        // built without them, so those errors are not followed by a dozen "lifetime must
        // outlive 'static" ones.
        let (self_ty, generics) = without_lifetimes(&item);
        let actor_ident = actor_ident(&self_ty)?;
        let mut handlers = Vec::new();
        for impl_item in &mut item.items {
            let markers = match impl_item {
                ImplItem::Fn(method) => attr::take_markers(&mut method.attrs),
                ImplItem::Const(c) => reject_markers(attr::take_markers(&mut c.attrs), errors),
                ImplItem::Type(t) => reject_markers(attr::take_markers(&mut t.attrs), errors),
                ImplItem::Macro(m) => reject_markers(attr::take_markers(&mut m.attrs), errors),
                _ => Vec::new(),
            };
            let ImplItem::Fn(method) = impl_item else {
                continue;
            };
            let Some(found) = single_marker(&markers, errors) else {
                continue;
            };
            let mut cfgs = attr::carried(&method.attrs, "cfg");
            cfgs.extend(found.cfgs.iter().cloned());
            match found.marker {
                Marker::Message => {
                    let options = match attr::parse_message_options(&found.attr) {
                        Ok(options) => options,
                        Err(err) => {
                            errors.push(err);
                            continue;
                        }
                    };
                    let message = Message::from_method(method, &self_ty, &actor_ident, &options);
                    let takes_argument = message
                        .params
                        .iter()
                        .any(|param| matches!(param, Param::Arg { .. }));
                    if takes_argument {
                        // `#[actor]` requires owned arguments (they wait in a mailbox), so the
                        // pedantic lint that suggests borrowing one the handler only reads
                        // can only mislead: `Parser::parse(text: String)` in
                        // tests/expand/supervisor.rs needs this allow.
                        method
                            .attrs
                            .push(syn::parse_quote!(#[allow(clippy::needless_pass_by_value)]));
                    }
                    handlers.push(Handler::Message(Message { cfgs, ..message }));
                }
                hook_marker => {
                    let hook = Hook::from_method(hook_marker, method, &actor_ident);
                    handlers.push(Handler::Hook(Hook { cfgs, ..hook }));
                }
            }
        }
        Some(ActorImpl {
            item,
            self_ty,
            actor_ident,
            generics,
            handlers,
        })
    }

    /// The messages, in the order of the impl block.
    pub(crate) fn messages(&self) -> impl Iterator<Item = &Message> {
        self.handlers.iter().filter_map(|handler| match handler {
            Handler::Message(message) => Some(message),
            Handler::Hook(_) => None,
        })
    }

    /// The hooks of one kind: one, or several under alternative `#[cfg]`s.
    pub(crate) fn hooks(&self, marker: Marker) -> impl Iterator<Item = &Hook> {
        self.handlers
            .iter()
            .filter_map(move |handler| match handler {
                Handler::Hook(hook) if hook.marker == marker => Some(hook),
                Handler::Hook(_) | Handler::Message(_) => None,
            })
    }
}

/// The name the generated items are named after: `Store` for `Store<T>`; `None` for a
/// type that is not a plain path, like `&Store` or `(A, B)`.
pub(crate) fn actor_ident(self_ty: &Type) -> Option<Ident> {
    match self_ty {
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().map(|s| s.ident.clone())
        }
        _ => None,
    }
}

/// The actor's type and the impl's generics with the impl's lifetime parameters removed, and
/// those lifetimes (and `'_`) in the type and bounds replaced by `'static`: `impl<'a>
/// Greeter<'a>` gives `Greeter<'static>` and no generics.
fn without_lifetimes(item: &ItemImpl) -> (Type, Generics) {
    struct StaticLifetimes(Vec<Lifetime>);
    impl VisitMut for StaticLifetimes {
        fn visit_lifetime_mut(&mut self, lifetime: &mut Lifetime) {
            if lifetime.ident == "_" || self.0.contains(lifetime) {
                *lifetime = Lifetime::new("'static", lifetime.span());
            }
        }
    }
    let mut generics = item.generics.clone();
    let params = std::mem::take(&mut generics.params);
    let mut lifetimes = StaticLifetimes(Vec::new());
    for param in params {
        match param {
            GenericParam::Lifetime(param) => lifetimes.0.push(param.lifetime),
            other => generics.params.push(other),
        }
    }
    if generics.params.is_empty() {
        generics.lt_token = None;
        generics.gt_token = None;
    }
    if let Some(where_clause) = &mut generics.where_clause {
        let predicates = std::mem::take(&mut where_clause.predicates);
        where_clause.predicates = predicates
            .into_iter()
            .filter(|predicate| !matches!(predicate, WherePredicate::Lifetime(_)))
            .collect();
    }
    let mut self_ty = (*item.self_ty).clone();
    lifetimes.visit_type_mut(&mut self_ty);
    lifetimes.visit_generics_mut(&mut generics);
    (self_ty, generics)
}

fn reject_markers(markers: Vec<attr::FoundMarker>, errors: &Errors) -> Vec<attr::FoundMarker> {
    for found in &markers {
        errors.push(syn::Error::new_spanned(
            &found.attr,
            format!(
                "`#[{}]` goes on a method (a `fn` with a `self` receiver)",
                found.marker.name()
            ),
        ));
    }
    Vec::new()
}

/// The one marker of a method, or `None` (after an error if there were several).
fn single_marker<'a>(
    markers: &'a [attr::FoundMarker],
    errors: &Errors,
) -> Option<&'a attr::FoundMarker> {
    let first = markers.first()?;
    if let Some(second) = markers.get(1) {
        let text = if second.marker == first.marker {
            format!(
                "`#[{}]` is written twice: remove this one",
                first.marker.name()
            )
        } else {
            format!(
                "a method is either a message or one hook: remove `#[{}]` or `#[{}]`",
                first.marker.name(),
                second.marker.name()
            )
        };
        errors.push(syn::Error::new_spanned(&second.attr, text));
        return None;
    }
    if first.marker != Marker::Message {
        if let Err(err) = attr::check_marker_has_no_args(first.marker, &first.attr) {
            errors.push(err);
        }
    }
    Some(first)
}

/// A method's typed parameters after its receiver.
fn typed_params(sig: &syn::Signature) -> impl Iterator<Item = &syn::PatType> {
    sig.inputs.iter().skip(1).filter_map(|input| match input {
        FnArg::Typed(pat_type) => Some(pat_type),
        FnArg::Receiver(_) => None,
    })
}

impl Message {
    fn from_method(
        method: &ImplItemFn,
        self_ty: &Type,
        actor: &Ident,
        options: &attr::MessageOptions,
    ) -> Message {
        let sig = &method.sig;
        let params = typed_params(sig)
            .map(|pat_type| {
                if is_context_like(pat_type, actor) {
                    Param::Context(pat_type.clone())
                } else if let Some(ty) = reply_to_argument(&pat_type.ty) {
                    Param::Reply {
                        node: pat_type.clone(),
                        ty: with_self_replaced(ty, self_ty),
                    }
                } else {
                    Param::Arg {
                        node: pat_type.clone(),
                        ident: plain_ident(&pat_type.pat).cloned(),
                        ty: with_self_replaced(&pat_type.ty, self_ty),
                    }
                }
            })
            .collect();
        let output = match &sig.output {
            ReturnType::Type(_, ty) if !is_unit(ty) => Some(with_self_replaced(ty, self_ty)),
            ReturnType::Type(..) | ReturnType::Default => None,
        };
        Message {
            fail_on_err: options.fail_on_err,
            wire: options.wire.clone(),
            method: sig.ident.clone(),
            variant: variant_name(&sig.ident).ok(),
            vis: method.vis.clone(),
            docs: method
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .cloned()
                .collect(),
            // Set by the caller, which also knows the marker's own `cfg_attr` predicate.
            cfgs: Vec::new(),
            deprecated: attr::carried(&method.attrs, "deprecated"),
            is_async: sig.asyncness.is_some(),
            params,
            output,
            sig: sig.clone(),
        }
    }
}

impl Hook {
    fn from_method(marker: Marker, method: &ImplItemFn, actor: &Ident) -> Hook {
        let sig = &method.sig;
        let params = typed_params(sig)
            .map(|pat_type| {
                let kind = if is_context_like(pat_type, actor) {
                    HookParamKind::Context
                } else if is_terminated_type(&pat_type.ty) {
                    HookParamKind::Terminated
                } else if is_failure_ref(&pat_type.ty) {
                    HookParamKind::Failure
                } else {
                    HookParamKind::Other
                };
                HookParam {
                    kind,
                    node: pat_type.clone(),
                }
            })
            .collect();
        Hook {
            marker,
            method: sig.ident.clone(),
            cfgs: Vec::new(),
            deprecated: !attr::carried(&method.attrs, "deprecated").is_empty(),
            is_async: sig.asyncness.is_some(),
            params,
            sig: sig.clone(),
        }
    }
}

/// The argument's name, which becomes the variant's field name, if it is a plain one.
pub(crate) fn plain_ident(pat: &Pat) -> Option<&Ident> {
    match pat {
        Pat::Ident(pat_ident) if pat_ident.by_ref.is_none() && pat_ident.subpat.is_none() => {
            Some(&pat_ident.ident)
        }
        _ => None,
    }
}

/// Whether a parameter is meant as the actor's context. The context is a
/// `Context<Self>` (or `Context<Actor>`), whatever path leads to it; a type named
/// `Context` without that argument (`app::Context`, `opentelemetry::Context`, a struct of
/// the user's) is an ordinary argument. A reference to a `Context<Other>` is taken for the
/// context of another actor, since, as a borrowed argument, it could not be a message's
/// field anyway.
fn is_context_like(pat_type: &PatType, actor: &Ident) -> bool {
    match &*pat_type.ty {
        Type::Reference(reference) => context_argument(&reference.elem).is_some(),
        other => context_argument(other).is_some_and(|argument| names_the_actor(argument, actor)),
    }
}

/// The one type argument of a path ending in `Context<..>`.
pub(crate) fn context_argument(ty: &Type) -> Option<&Type> {
    single_type_argument(ty, "Context")
}

/// The one type argument of a path ending in `ReplyTo<..>`, taken by value: the reply slot
/// of a handler that answers later. A `&ReplyTo<T>` is an ordinary (borrowed, so rejected)
/// argument.
pub(crate) fn reply_to_argument(ty: &Type) -> Option<&Type> {
    single_type_argument(ty, "ReplyTo")
}

/// The one type argument of a path whose last segment is `name<..>`.
fn single_type_argument<'t>(ty: &'t Type, name: &str) -> Option<&'t Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut args = args.args.iter();
    match (args.next(), args.next()) {
        (Some(syn::GenericArgument::Type(ty)), None) => Some(ty),
        _ => None,
    }
}

/// `Self`, or a path ending in the actor's name.
pub(crate) fn names_the_actor(ty: &Type, actor: &Ident) -> bool {
    matches!(
        ty,
        Type::Path(path) if path.qself.is_none()
            && path.path.segments.last().is_some_and(|s| s.ident == "Self" || s.ident == *actor)
    )
}

/// The death-watch signal's type, `Terminated`.
fn is_terminated_type(ty: &Type) -> bool {
    matches!(ty, Type::Path(path) if path.path.segments.last().is_some_and(|s| s.ident == "Terminated"))
}

/// `&Failure` (any path ending in `Failure`), the restart hooks' cause.
fn is_failure_ref(ty: &Type) -> bool {
    matches!(ty, Type::Reference(reference)
        if reference.mutability.is_none()
            && matches!(&*reference.elem, Type::Path(path)
                if path.path.segments.last().is_some_and(|s| s.ident == "Failure")))
}

pub(crate) fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// `ty` with every `Self` replaced by the actor's type: the generated enums and client are
/// other types, where `Self` would mean something else.
fn with_self_replaced(ty: &Type, self_ty: &Type) -> Type {
    struct ReplaceSelf<'a>(&'a Type);
    impl VisitMut for ReplaceSelf<'_> {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::Path(path) = ty {
                let starts_with_self = path.qself.is_none()
                    && path
                        .path
                        .segments
                        .first()
                        .is_some_and(|s| s.ident == "Self");
                if starts_with_self {
                    let actor = self.0;
                    let rest: Vec<_> = path.path.segments.iter().skip(1).collect();
                    *ty = if rest.is_empty() {
                        actor.clone()
                    } else {
                        // `Self::Item` becomes `<Actor>::Item`.
                        syn::parse_quote!(<#actor>::#(#rest)::*)
                    };
                    return;
                }
            }
            syn::visit_mut::visit_type_mut(self, ty);
        }

        // `Self::LEN` in an array length (or a const argument) is an expression path: it
        // becomes `<Actor>::LEN`.
        fn visit_expr_path_mut(&mut self, path: &mut syn::ExprPath) {
            let starts_with_self = path.qself.is_none()
                && path
                    .path
                    .segments
                    .first()
                    .is_some_and(|s| s.ident == "Self");
            if starts_with_self && path.path.segments.len() > 1 {
                let actor = self.0;
                let rest: Vec<_> = path.path.segments.iter().skip(1).collect();
                let attrs = std::mem::take(&mut path.attrs);
                *path = syn::parse_quote!(<#actor>::#(#rest)::*);
                path.attrs = attrs;
                return;
            }
            syn::visit_mut::visit_expr_path_mut(self, path);
        }
    }
    let mut ty = ty.clone();
    ReplaceSelf(self_ty).visit_type_mut(&mut ty);
    ty
}
