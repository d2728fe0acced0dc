//! The model of an `#[actor]` impl block: its messages and hooks, keeping the user's syn
//! nodes so that errors and generated items point at the user's tokens.

use syn::visit_mut::VisitMut;
use syn::{
    Attribute, FnArg, GenericParam, Generics, Ident, ImplItem, ImplItemFn, ItemImpl, Lifetime, Pat,
    ReturnType, Type, Visibility, WherePredicate,
};

use crate::attr::{self, Marker};
use crate::errors::Errors;
use crate::naming::variant_name;
use crate::valid;

/// A whole `#[actor]` impl block.
pub(crate) struct ActorImpl {
    /// The user's impl block with the markers removed; emitted unchanged otherwise.
    pub(crate) item: ItemImpl,
    /// The actor's type, `Account` or `Store<T>`.
    pub(crate) self_ty: Type,
    /// The last segment of the actor's type path, the stem of the generated names.
    pub(crate) actor_ident: Ident,
    pub(crate) generics: Generics,
    pub(crate) messages: Vec<Message>,
    pub(crate) hooks: Vec<Hook>,
}

/// One `#[message]` method.
pub(crate) struct Message {
    /// The method's name, `deposit`; also the client method's name.
    pub(crate) method: Ident,
    /// The enum variant's name, `Deposit`.
    pub(crate) variant: Ident,
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
    /// `#[message(fail_on_err)]`: an `Err` reply also fails the actor.
    pub(crate) fail_on_err: bool,
}

/// A parameter of a message method.
#[allow(clippy::large_enum_variant)] // a handful per method, at compile time
pub(crate) enum Param {
    /// `ctx: &mut Context<Self>`, passed in by the dispatch.
    Context,
    /// An owned argument, which becomes a field of the variant.
    Arg { ident: Ident, ty: Type },
}

impl Message {
    pub(crate) fn args(&self) -> impl Iterator<Item = (&Ident, &Type)> {
        self.params.iter().filter_map(|param| match param {
            Param::Arg { ident, ty } => Some((ident, ty)),
            Param::Context => None,
        })
    }

    pub(crate) fn takes_context(&self) -> bool {
        self.params
            .iter()
            .any(|param| matches!(param, Param::Context))
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
}

/// A parameter of a hook.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HookParam {
    Context,
    /// The death-watch signal, for `#[terminated]`.
    Terminated,
    /// The failure that caused a restart, for `#[pre_restart]` and `#[post_restart]`.
    Failure,
}

impl ActorImpl {
    /// Builds the model, reporting every problem found into `errors`. Methods with problems
    /// are left out of the model, so the rest still expands.
    pub(crate) fn from_item(mut item: ItemImpl, errors: &Errors) -> Option<ActorImpl> {
        valid::check_impl_header(&item, errors);
        if item.trait_.is_some() {
            // Generating an actor from a trait impl would only add follow-on errors (a second
            // `impl Actor`, for one); the header error says what to do.
            return None;
        }
        // An actor cannot borrow; `check_impl_header` and the struct's `#[actor]` report its
        // lifetimes. The generated items are built without them, so those errors are not
        // followed by a dozen "lifetime must outlive 'static" ones.
        let (self_ty, generics) = without_lifetimes(&item);
        let actor_ident = match valid::actor_ident(&self_ty) {
            Ok(ident) => ident,
            Err(err) => {
                errors.push(err);
                return None;
            }
        };
        let mut messages: Vec<Message> = Vec::new();
        let mut hooks: Vec<Hook> = Vec::new();
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
                    // `#[actor]` requires owned arguments (they wait in a mailbox), so the
                    // lint that suggests borrowing them can only mislead here.
                    method
                        .attrs
                        .push(syn::parse_quote!(#[allow(clippy::needless_pass_by_value)]));
                    let options = match attr::parse_message_options(&found.attr) {
                        Ok(options) => options,
                        Err(err) => {
                            errors.push(err);
                            continue;
                        }
                    };
                    let Some(message) =
                        Message::from_method(method, &self_ty, &actor_ident, &options, errors)
                    else {
                        continue;
                    };
                    let message = Message { cfgs, ..message };
                    // Two methods under `#[cfg]`s may be alternatives (`cfg(unix)` and
                    // `cfg(not(unix))`); if both are compiled in, rustc reports the
                    // duplicate variant.
                    let clash = messages.iter().find(|existing| {
                        existing.variant == message.variant
                            && (existing.cfgs.is_empty() || message.cfgs.is_empty())
                    });
                    if let Some(clash) = clash {
                        errors.push(syn::Error::new(
                            message.method.span(),
                            format!(
                                "`{}` and `{}` would both become the message variant `{}`; rename one of them",
                                clash.method, message.method, message.variant
                            ),
                        ));
                    } else {
                        messages.push(message);
                    }
                }
                hook_marker => {
                    let Some(hook) = Hook::from_method(hook_marker, method, &actor_ident, errors)
                    else {
                        continue;
                    };
                    let hook = Hook { cfgs, ..hook };
                    // As for messages: hooks under `#[cfg]`s may be alternatives.
                    let first = hooks.iter().find(|existing| {
                        existing.marker == hook_marker
                            && (existing.cfgs.is_empty() || hook.cfgs.is_empty())
                    });
                    if let Some(first) = first {
                        errors.push(syn::Error::new(
                            hook.method.span(),
                            format!(
                                "`{}` is already the `#[{marker}]` hook, and an actor has one: move the body of `{}` into `{}` and remove `#[{marker}]` here",
                                first.method,
                                hook.method,
                                first.method,
                                marker = hook_marker.name()
                            ),
                        ));
                    } else {
                        hooks.push(hook);
                    }
                }
            }
        }
        Some(ActorImpl {
            item,
            self_ty,
            actor_ident,
            generics,
            messages,
            hooks,
        })
    }

    /// The hooks of one kind: one, or several under alternative `#[cfg]`s.
    pub(crate) fn hooks(&self, marker: Marker) -> impl Iterator<Item = &Hook> {
        self.hooks.iter().filter(move |hook| hook.marker == marker)
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

impl Message {
    fn from_method(
        method: &ImplItemFn,
        self_ty: &Type,
        actor: &Ident,
        options: &attr::MessageOptions,
        errors: &Errors,
    ) -> Option<Message> {
        let sig = &method.sig;
        let mut ok = valid::check_signature_shape(Marker::Message, sig, errors);
        ok &= valid::check_receiver(Marker::Message, sig, errors);
        ok &= valid::check_not_reserved(&sig.ident, errors);

        let mut params = Vec::new();
        for input in sig.inputs.iter().skip(1) {
            let FnArg::Typed(pat_type) = input else {
                continue;
            };
            let seen_context = params.iter().any(|param| matches!(param, Param::Context));
            match valid::context_param(pat_type, actor, seen_context, errors) {
                valid::ContextParam::Valid => {
                    params.push(Param::Context);
                    continue;
                }
                valid::ContextParam::Invalid => {
                    ok = false;
                    continue;
                }
                valid::ContextParam::NotContext => {}
            }
            let Some(ident) = arg_ident(&pat_type.pat, errors) else {
                ok = false;
                continue;
            };
            if !valid::check_owned(&pat_type.ty, valid::Position::Argument, errors) {
                ok = false;
                continue;
            }
            params.push(Param::Arg {
                ident,
                ty: with_self_replaced(&pat_type.ty, self_ty),
            });
        }

        let output = match &sig.output {
            ReturnType::Default => None,
            ReturnType::Type(_, ty) if is_unit(ty) => None,
            ReturnType::Type(_, ty) => {
                ok &= valid::check_owned(ty, valid::Position::Reply, errors);
                Some(with_self_replaced(ty, self_ty))
            }
        };
        if let Some(span) = options.fail_on_err {
            if !output.as_ref().is_some_and(valid::is_result_type) {
                errors.push(syn::Error::new(
                    span,
                    "`fail_on_err` needs a handler that returns `Result<T, E>`: its `Err` is what fails the actor",
                ));
                ok = false;
            }
        }
        let variant = match variant_name(&sig.ident) {
            Ok(variant) => Some(variant),
            Err(err) => {
                errors.push(err);
                None
            }
        };
        let variant = variant.filter(|_| ok)?;
        Some(Message {
            fail_on_err: options.fail_on_err.is_some(),
            method: sig.ident.clone(),
            variant,
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
        })
    }
}

impl Hook {
    fn from_method(
        marker: Marker,
        method: &ImplItemFn,
        actor: &Ident,
        errors: &Errors,
    ) -> Option<Hook> {
        let sig = &method.sig;
        let mut ok = valid::check_signature_shape(marker, sig, errors);
        ok &= valid::check_receiver(marker, sig, errors);
        let takes_failure = matches!(marker, Marker::PreRestart | Marker::PostRestart);
        let expected = if marker == Marker::Terminated {
            "`&mut self` (or `&self`), a `terminated: Terminated` and, optionally, `ctx: &mut Context<Self>`, in any order"
        } else if takes_failure {
            "`&mut self` (or `&self`) and, optionally, `failure: &Failure` and `ctx: &mut Context<Self>`, in any order"
        } else {
            "only `&mut self` (or `&self`) and, optionally, `ctx: &mut Context<Self>`"
        };
        let mut params = Vec::new();
        for input in sig.inputs.iter().skip(1) {
            let FnArg::Typed(pat_type) = input else {
                continue;
            };
            let seen_context = params.contains(&HookParam::Context);
            match valid::context_param(pat_type, actor, seen_context, errors) {
                valid::ContextParam::Valid => {
                    params.push(HookParam::Context);
                    continue;
                }
                valid::ContextParam::Invalid => {
                    ok = false;
                    continue;
                }
                valid::ContextParam::NotContext => {}
            }
            if marker == Marker::Terminated
                && valid::is_terminated_type(&pat_type.ty)
                && !params.contains(&HookParam::Terminated)
            {
                params.push(HookParam::Terminated);
            } else if takes_failure
                && valid::is_failure_ref(&pat_type.ty)
                && !params.contains(&HookParam::Failure)
            {
                params.push(HookParam::Failure);
            } else {
                errors.push(syn::Error::new_spanned(
                    pat_type,
                    format!("a `#[{}]` hook takes {expected}", marker.name()),
                ));
                ok = false;
            }
        }
        if marker == Marker::Terminated && ok && !params.contains(&HookParam::Terminated) {
            errors.push(syn::Error::new_spanned(
                &sig.ident,
                "a `#[terminated]` hook receives the signal: add a `terminated: Terminated` argument",
            ));
            ok = false;
        }
        if let ReturnType::Type(_, ty) = &sig.output {
            if !is_unit(ty) {
                errors.push(syn::Error::new_spanned(
                    ty,
                    format!(
                        "a `#[{}]` hook returns nothing: remove the return type. To fail the actor, panic or call `ctx.fail(..)`",
                        marker.name()
                    ),
                ));
                ok = false;
            }
        }
        ok.then(|| Hook {
            marker,
            method: sig.ident.clone(),
            cfgs: Vec::new(),
            deprecated: !attr::carried(&method.attrs, "deprecated").is_empty(),
            is_async: sig.asyncness.is_some(),
            params,
        })
    }
}

/// The argument's name, which becomes the variant's field name.
fn arg_ident(pat: &Pat, errors: &Errors) -> Option<Ident> {
    match pat {
        Pat::Ident(pat_ident) if pat_ident.by_ref.is_none() && pat_ident.subpat.is_none() => {
            Some(pat_ident.ident.clone())
        }
        other => {
            errors.push(syn::Error::new_spanned(
                other,
                "a message argument needs a plain name, like `amount: u64`: it becomes a field of the message; destructure it inside the method",
            ));
            None
        }
    }
}

fn is_unit(ty: &Type) -> bool {
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
