//! Inputs that `#[actor]` once rejected, or accepted and then broke inside the code it
//! generated: closures as arguments, user types named `Context`, `Self` in an array length,
//! `#[cfg]` on every message or on a hook, markers inside `#[cfg_attr]`, and deprecated
//! messages. Each actor is spawned and asked. The file denies warnings, so a warning inside
//! generated code fails it too.

#![deny(warnings)]

mod support;

use actor_core::prelude::*;
use support::{bounded, patient_system, Events};

/// Closures as arguments: the elided lifetimes of `Fn(&str)` sugar and those bound by
/// `for<'a>` belong to the closure's signature, not to a borrow the message would hold.
#[actor]
struct Calculator;

#[actor]
impl Calculator {
    #[message]
    fn measure(&self, text: String, measure: Box<dyn Fn(&str) -> usize + Send>) -> usize {
        measure(&text)
    }

    #[message]
    fn trim(&self, text: String, trim: Box<dyn for<'a> Fn(&'a str) -> &'a str + Send>) -> String {
        trim(&text).to_owned()
    }

    #[message]
    fn apply(&self, value: u32, apply: fn(&u32) -> u32) -> u32 {
        apply(&value)
    }
}

#[tokio::test]
async fn closures_whose_signatures_borrow_are_owned_arguments() {
    let system = patient_system();
    let calculator = system.spawn(Calculator).unwrap();
    let measure = Box::new(|text: &str| text.chars().count());
    assert_eq!(
        bounded("measure", calculator.measure("héllo".into(), measure))
            .await
            .unwrap(),
        5
    );
    let trim = Box::new(str::trim);
    assert_eq!(
        bounded("trim", calculator.trim("  x  ".into(), trim))
            .await
            .unwrap(),
        "x"
    );
    let double: fn(&u32) -> u32 = |value| value * 2;
    assert_eq!(
        bounded("apply", calculator.apply(4, double)).await.unwrap(),
        8
    );
    system.shutdown().await;
}

/// An application module with a type of its own named `Context`.
mod app {
    /// Request-scoped data, as `opentelemetry::Context` is.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Context {
        pub trace_id: u64,
    }
}

/// A user type named `Context` is an ordinary argument; only `&mut Context<Self>` (or
/// `Context<ActorType>`) is the actor's context.
#[actor]
struct Tracer {
    log: Events,
}

#[actor]
impl Tracer {
    #[message]
    fn trace(&self, span: app::Context, ctx: &mut actor_core::Context<Self>) -> u64 {
        self.log
            .push(format!("trace {} in {}", span.trace_id, ctx.path()));
        span.trace_id
    }

    #[message]
    fn spell_out(&self, ctx: &mut Context<Tracer>, span: app::Context) -> app::Context {
        let _ = ctx.id();
        span
    }
}

/// A module whose own struct `Context` (no type parameter) shadows the prelude's.
mod shadowed {
    use actor_core::prelude::*;

    /// A struct named like the actor's context, with no `<Self>`.
    #[derive(Debug, PartialEq, Eq)]
    pub struct Context(pub u32);

    #[actor]
    pub struct Local;

    #[actor]
    impl Local {
        /// Takes the module's own `Context`, by value.
        #[message]
        pub fn unwrap_context(&self, context: Context) -> u32 {
            context.0
        }
    }
}

#[tokio::test]
async fn a_user_type_named_context_is_an_ordinary_argument() {
    let system = patient_system();
    let log = Events::default();
    let tracer = system.spawn(Tracer { log: log.clone() }).unwrap();
    let span = app::Context { trace_id: 42 };
    assert_eq!(
        bounded("trace", tracer.trace(span.clone())).await.unwrap(),
        42
    );
    assert_eq!(
        bounded("spell_out", tracer.spell_out(span.clone()))
            .await
            .unwrap(),
        span
    );
    assert_eq!(log.with_prefix("trace 42 in /user/"), log.snapshot());
    assert_eq!(log.snapshot().len(), 1);
    let local = system.spawn(shadowed::Local).unwrap();
    assert_eq!(
        bounded("unwrap_context", local.unwrap_context(shadowed::Context(9)))
            .await
            .unwrap(),
        9
    );
    system.shutdown().await;
}

/// `Self::LEN` in an argument's type means the actor's constant, also in the generated
/// enum and client, where `Self` would be another type.
#[actor]
struct Framer;

impl Framer {
    const LEN: usize = 4;
}

#[actor]
impl Framer {
    #[message]
    fn checksum(&self, frame: [u8; Self::LEN]) -> u32 {
        frame.iter().map(|byte| u32::from(*byte)).sum()
    }

    #[message]
    fn frame(&self, fill: u8) -> [u8; Self::LEN] {
        [fill; Self::LEN]
    }
}

#[tokio::test]
async fn self_in_an_array_length_is_the_actors() {
    let system = patient_system();
    let framer = system.spawn(Framer).unwrap();
    assert_eq!(
        bounded("checksum", framer.checksum([1, 2, 3, 4]))
            .await
            .unwrap(),
        10
    );
    assert_eq!(bounded("frame", framer.frame(7)).await.unwrap(), [7; 4]);
    system.shutdown().await;
}

/// Every message `#[cfg]`'d out, and hooks with `#[cfg]`s: only the configured hook runs.
#[actor]
struct Configured {
    log: Events,
}

#[actor]
impl Configured {
    #[cfg(not(test))]
    #[message]
    fn never_compiled(&self) {}

    #[cfg(not(test))]
    #[message]
    async fn never_compiled_either(&mut self, ctx: &mut Context<Self>) {
        let _ = ctx.id();
    }

    #[cfg(not(test))]
    #[started]
    fn start_when_configured_out(&mut self) {
        self.log.push("the configured-out hook");
    }

    #[cfg(test)]
    #[started]
    fn start_when_configured_in(&mut self) {
        self.log.push("the configured-in hook");
    }

    #[cfg(test)]
    #[stopped]
    fn on_stopped(&mut self) {
        self.log.push("stopped");
    }
}

#[tokio::test]
async fn cfg_on_every_message_and_on_hooks_is_carried_over() {
    let system = patient_system();
    let log = Events::default();
    let configured = system.spawn(Configured { log: log.clone() }).unwrap();
    configured.stop();
    bounded("stop", configured.terminated()).await;
    assert_eq!(log.snapshot(), ["the configured-in hook", "stopped"]);
    system.shutdown().await;
}

/// Markers inside `#[cfg_attr]`: the method is a message (or hook) when the predicate holds,
/// and an ordinary method otherwise.
#[actor]
struct Conditional {
    log: Events,
}

#[actor]
impl Conditional {
    #[cfg_attr(test, message)]
    fn on(&self) -> &'static str {
        "on"
    }

    #[cfg_attr(not(test), message)]
    fn off(&self) -> &'static str {
        "an ordinary method"
    }

    #[cfg_attr(test, cfg_attr(not(doc), message(fail_on_err)), inline)]
    fn checked(&self, ok: bool) -> Result<u32, String> {
        if ok {
            Ok(1)
        } else {
            Err("not ok".to_owned())
        }
    }

    #[cfg_attr(test, started)]
    fn on_started(&mut self) {
        self.log.push("started");
    }
}

#[tokio::test]
async fn markers_inside_cfg_attr_are_recognised() {
    let system = patient_system();
    let log = Events::default();
    let conditional = system.spawn(Conditional { log: log.clone() }).unwrap();
    assert_eq!(bounded("on", conditional.on()).await.unwrap(), "on");
    assert_eq!(
        bounded("checked", conditional.checked(true)).await.unwrap(),
        Ok(1)
    );
    assert_eq!(Conditional { log: log.clone() }.off(), "an ordinary method");
    assert_eq!(log.snapshot(), ["started"]);
    system.shutdown().await;
}

/// A deprecated message: the generated dispatch calls it without a warning (this file
/// denies warnings); its client method is deprecated too, so callers are warned.
#[actor]
struct Legacy;

#[actor]
impl Legacy {
    #[deprecated = "use `fetch`"]
    #[message]
    fn get(&self) -> u32 {
        1
    }

    #[message]
    fn fetch(&self) -> u32 {
        2
    }

    #[deprecated]
    #[started]
    fn old_start(&mut self) {}
}

#[tokio::test]
async fn a_deprecated_message_compiles_without_warnings_and_still_works() {
    let system = patient_system();
    let legacy = system.spawn(Legacy).unwrap();
    #[allow(deprecated)]
    let old = legacy.get();
    assert_eq!(bounded("get", old).await.unwrap(), 1);
    assert_eq!(bounded("fetch", legacy.fetch()).await.unwrap(), 2);
    system.shutdown().await;
}
