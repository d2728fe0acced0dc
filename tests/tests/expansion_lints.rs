//! The expansion snapshots' fixtures (`tests/expand/*.rs`), compiled under strict lints:
//! code that `#[actor]` generates must not warn in a user's crate, whatever it denies.
//! `cargo clippy --all-targets` in CI checks the clippy groups; `cargo test` the rustc ones.

#![deny(warnings, missing_docs, rust_2018_idioms, unused_qualifications)]
// Every type `#[actor]` generates implements `Debug`, so that a user's type holding one
// can derive it.
#![deny(missing_debug_implementations)]
#![deny(clippy::all, clippy::pedantic)]

/// The simple fixture.
#[path = "../expand/simple.rs"]
pub mod simple;

/// The generic fixture.
#[path = "../expand/generic.rs"]
pub mod generic;

/// The async fixture with a context and hooks.
#[path = "../expand/async_context.rs"]
pub mod async_context;

/// The supervisor fixture.
#[path = "../expand/supervisor.rs"]
pub mod supervisor;

/// The fixture with methods named like trait methods, and a deprecated message.
#[path = "../expand/namesakes.rs"]
pub mod namesakes;

/// The fixture of the inputs for which the generated code allows a lint.
#[path = "../expand/allowed_lints.rs"]
pub mod allowed_lints;

/// The fixture of a handler that answers later, and a forward.
#[path = "../expand/deferred.rs"]
pub mod deferred;

/// The expansion snapshots themselves, compiled as ordinary code: rustc does not report
/// `missing_debug_implementations` inside a macro's output, but here the generated types
/// are plain source, so one without `Debug` fails the build. The other lints, which
/// `#[actor]`'s output meets in a user's crate through the macro (above), are not asked of
/// code a user never writes.
#[allow(
    warnings,
    missing_docs,
    rust_2018_idioms,
    unused_qualifications,
    clippy::all,
    clippy::pedantic
)]
#[path = "../expand"]
#[rustfmt::skip] // the snapshots are prettyplease's output, compared byte for byte
pub mod expanded {
    /// `simple.rs`, expanded.
    #[path = "simple.expanded.rs"]
    pub mod simple;

    /// `generic.rs`, expanded.
    #[path = "generic.expanded.rs"]
    pub mod generic;

    /// `async_context.rs`, expanded.
    #[path = "async_context.expanded.rs"]
    pub mod async_context;

    /// `supervisor.rs`, expanded.
    #[path = "supervisor.expanded.rs"]
    pub mod supervisor;

    /// `namesakes.rs`, expanded.
    #[path = "namesakes.expanded.rs"]
    pub mod namesakes;

    /// `allowed_lints.rs`, expanded.
    #[path = "allowed_lints.expanded.rs"]
    pub mod allowed_lints;

    /// `deferred.rs`, expanded.
    #[path = "deferred.expanded.rs"]
    pub mod deferred;
}

use actor_core::prelude::*;

#[tokio::test]
async fn the_fixtures_behave_as_their_source_says() {
    let system = ActorSystem::new();

    let account = system.spawn(simple::Account::default_for_tests()).unwrap();
    assert_eq!(account.deposit(10).await.unwrap(), 10);
    assert_eq!(
        account.withdraw(25).await.unwrap(),
        Err(simple::Overdrawn { balance: 10 })
    );
    assert_eq!(account.withdraw(4).await.unwrap(), Ok(6));
    account.close().await.unwrap();
    assert_eq!(account.balance().await.unwrap(), 0);

    let words = system.spawn(generic::Store::<String>::empty()).unwrap();
    let numbers = system.spawn(generic::Store::<u32>::empty()).unwrap();
    words.push("a".to_owned()).await.unwrap();
    numbers.push(7).tell().await.unwrap();
    assert_eq!(words.get(0).await.unwrap().as_deref(), Some("a"));
    assert_eq!(numbers.get(0).await.unwrap(), Some(7));
    assert_eq!(numbers.count().await.unwrap(), 1);

    let ledger = system.spawn(async_context::Ledger::starting_at(5)).unwrap();
    let auditor = system
        .spawn(async_context::Auditor::of(ledger.clone()))
        .unwrap();
    assert_eq!(ledger.record(3).await.unwrap(), 8);
    let report = auditor.audit().await.unwrap();
    assert!(report.starts_with("audit 1 by #"), "{report}");
    assert!(report.ends_with("total 8"), "{report}");
    auditor.retire().await.unwrap();
    assert_eq!(auditor.terminated().await, StopReason::Requested);

    assert_eq!(
        format!("{:?}", simple::AccountMsg::Deposit { amount: 1 }),
        "Deposit { .. }"
    );
    assert_eq!(format!("{:?}", simple::AccountMsg::Close), "Close");
    assert_eq!(
        format!("{:?}", simple::AccountReply::Deposit(1)),
        "Deposit(..)"
    );
    assert_eq!(format!("{:?}", simple::AccountReply::Close), "Close");
    assert_eq!(format!("{:?}", *account), "AccountClient { .. }");
    assert_eq!(
        format!("{:?}", generic::StoreReply::<u32>::Get(None)),
        "Get(..)"
    );
    // `allowed_lints::Keeper`'s argument and reply types are not `Debug`, and its enums
    // are: that this file compiles shows it.

    let namesake = system.spawn(namesakes::Namesake::new()).unwrap();
    assert_eq!(namesake.handle(3).await.unwrap(), (3, 1));
    assert!(namesake
        .stopping()
        .await
        .unwrap()
        .starts_with("1 events at /user/"));
    assert_eq!(namesake.reset().await.unwrap(), 1);
    #[allow(deprecated)]
    let history = namesake.history();
    assert_eq!(history.await.unwrap(), namesake.events().await.unwrap());

    let keeper = system.spawn(allowed_lints::Keeper::new()).unwrap();
    assert_eq!(allowed_lints::Keeper::round_trip(&keeper, 7).await, 7);
    let hushed = system.spawn(allowed_lints::Hushed::new()).unwrap();
    assert_eq!(hushed.count().await.unwrap(), 1);
    let idle = system.spawn(allowed_lints::Idle::new()).unwrap();
    idle.stop();
    assert_eq!(idle.terminated().await, StopReason::Requested);
    system.shutdown().await;
}
