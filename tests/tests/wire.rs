//! The wire form that `#[actor(remote = "...")]` generates: every message and reply of the
//! `bank.Account` fixture (`tests/expand/remote.rs`) survives an encode and a decode, under
//! the ids the names give; bad input is refused with the right error; and the signature
//! sees an argument's type. Only the public API and `__private::wire` are used, as a
//! transport would.
//!
//! The fixture is compiled here under the strict lints `tests/tests/expansion_lints.rs`
//! applies to the other fixtures: the remote expansion must not warn either.

#![deny(warnings, missing_docs, rust_2018_idioms, unused_qualifications)]
#![deny(clippy::all, clippy::pedantic)]

/// The remote fixture.
#[path = "../expand/remote.rs"]
pub mod remote;

use actor_core::__private::wire::{self, RemoteActor, WireError};
use actor_core::prelude::*;
use remote::{Account, AccountMsg, AccountReply, Overdrawn};

/// `msg` encoded, then decoded under its own wire id.
fn round_trip(msg: &AccountMsg) -> AccountMsg {
    let mut bytes = Vec::new();
    Account::encode_msg(msg, &mut bytes).expect("encodes");
    Account::decode_msg(Account::wire_id(msg), &bytes).expect("decodes")
}

/// `reply` to the message whose id is `id`, encoded, then decoded.
fn reply_round_trip(id: wire::WireId, reply: &AccountReply) -> AccountReply {
    let mut bytes = Vec::new();
    Account::encode_reply(reply, &mut bytes).expect("encodes");
    Account::decode_reply(id, &bytes).expect("decodes")
}

fn id_of(message: &str) -> wire::WireId {
    wire::wire_id("bank.Account", message)
}

#[test]
fn every_message_survives_the_wire() {
    assert_eq!(<Account as RemoteActor>::WIRE_NAME, "bank.Account");
    match round_trip(&AccountMsg::Deposit { amount: 7 }) {
        AccountMsg::Deposit { amount } => assert_eq!(amount, 7),
        other => panic!("decoded as {other:?}"),
    }
    match round_trip(&AccountMsg::Withdraw { amount: u64::MAX }) {
        AccountMsg::Withdraw { amount } => assert_eq!(amount, u64::MAX),
        other => panic!("decoded as {other:?}"),
    }
    let transfer = AccountMsg::Transfer {
        to: "savings".to_owned(),
        amount: 3,
    };
    match round_trip(&transfer) {
        AccountMsg::Transfer { to, amount } => {
            assert_eq!(to, "savings");
            assert_eq!(amount, 3);
        }
        other => panic!("decoded as {other:?}"),
    }
    assert!(matches!(round_trip(&AccountMsg::Close), AccountMsg::Close));
    assert!(matches!(
        round_trip(&AccountMsg::Statement),
        AccountMsg::Statement
    ));
    assert!(matches!(
        round_trip(&AccountMsg::CloseMonth),
        AccountMsg::CloseMonth
    ));
    assert!(matches!(round_trip(&AccountMsg::Audit), AccountMsg::Audit));
}

#[test]
fn a_message_without_arguments_is_no_bytes_and_one_with_two_is_their_tuple() {
    let mut bytes = Vec::new();
    Account::encode_msg(&AccountMsg::Close, &mut bytes).unwrap();
    assert!(bytes.is_empty());
    let transfer = AccountMsg::Transfer {
        to: "savings".to_owned(),
        amount: 3,
    };
    Account::encode_msg(&transfer, &mut bytes).unwrap();
    let mut tuple = Vec::new();
    wire::encode(&("savings", 3u64), &mut tuple).unwrap();
    assert_eq!(bytes, tuple);
}

#[test]
fn every_reply_survives_the_wire() {
    match reply_round_trip(id_of("deposit_v1"), &AccountReply::Deposit(9)) {
        AccountReply::Deposit(balance) => assert_eq!(balance, 9),
        other => panic!("decoded as {other:?}"),
    }
    let overdrawn = AccountReply::Withdraw(Err(Overdrawn { balance: 2 }));
    match reply_round_trip(id_of("withdraw"), &overdrawn) {
        AccountReply::Withdraw(result) => assert_eq!(result, Err(Overdrawn { balance: 2 })),
        other => panic!("decoded as {other:?}"),
    }
    match reply_round_trip(id_of("withdraw"), &AccountReply::Withdraw(Ok(1))) {
        AccountReply::Withdraw(result) => assert_eq!(result, Ok(1)),
        other => panic!("decoded as {other:?}"),
    }
    match reply_round_trip(id_of("transfer"), &AccountReply::Transfer(4)) {
        AccountReply::Transfer(balance) => assert_eq!(balance, 4),
        other => panic!("decoded as {other:?}"),
    }
    assert!(matches!(
        reply_round_trip(id_of("close"), &AccountReply::Close),
        AccountReply::Close
    ));
    // The reply a `ReplyTo<String>` handler sends travels as its message's variant.
    let statement = AccountReply::Statement("balance 4".to_owned());
    match reply_round_trip(id_of("statement"), &statement) {
        AccountReply::Statement(text) => assert_eq!(text, "balance 4"),
        other => panic!("decoded as {other:?}"),
    }
    match reply_round_trip(id_of("close_month"), &AccountReply::CloseMonth(2)) {
        AccountReply::CloseMonth(waiting) => assert_eq!(waiting, 2),
        other => panic!("decoded as {other:?}"),
    }
    match reply_round_trip(id_of("audit"), &AccountReply::Audit("/user/a".to_owned())) {
        AccountReply::Audit(path) => assert_eq!(path, "/user/a"),
        other => panic!("decoded as {other:?}"),
    }
    // What the dispatch returns for a deferred handler is no reply to put on the wire.
    let mut bytes = Vec::new();
    assert!(matches!(
        Account::encode_reply(&AccountReply::AnsweredLater, &mut bytes),
        Err(WireError::Encode(_))
    ));
}

#[test]
fn ids_come_from_the_wire_name_and_the_message_name_or_its_pinned_one() {
    assert_eq!(
        Account::wire_id(&AccountMsg::Withdraw { amount: 1 }),
        wire::wire_id("bank.Account", "withdraw")
    );
    assert_eq!(
        Account::wire_id(&AccountMsg::CloseMonth),
        wire::wire_id("bank.Account", "close_month")
    );
    // `deposit` is pinned to `deposit_v1`: renaming the method would not change its id.
    let deposit = Account::wire_id(&AccountMsg::Deposit { amount: 1 });
    assert_eq!(deposit, wire::wire_id("bank.Account", "deposit_v1"));
    assert_ne!(deposit, wire::wire_id("bank.Account", "deposit"));
}

#[test]
fn an_unknown_id_and_extra_bytes_are_refused() {
    let unknown = wire::wire_id("bank.Account", "deposit");
    assert!(matches!(
        Account::decode_msg(unknown, &[]),
        Err(WireError::UnknownMessage(id)) if id == unknown
    ));
    assert!(matches!(
        Account::decode_reply(unknown, &[]),
        Err(WireError::UnknownMessage(id)) if id == unknown
    ));

    let mut bytes = Vec::new();
    let msg = AccountMsg::Deposit { amount: 5 };
    Account::encode_msg(&msg, &mut bytes).unwrap();
    bytes.push(0);
    assert!(matches!(
        Account::decode_msg(Account::wire_id(&msg), &bytes),
        Err(WireError::Decode(_))
    ));
    // A message without arguments is exactly no bytes.
    assert!(matches!(
        Account::decode_msg(id_of("close"), &[0]),
        Err(WireError::Decode(_))
    ));
    assert!(matches!(
        Account::decode_reply(id_of("close"), &[0]),
        Err(WireError::Decode(_))
    ));
    // Too few: a `String` and a `u64` are not in an empty frame.
    assert!(matches!(
        Account::decode_msg(id_of("transfer"), &[]),
        Err(WireError::Decode(_))
    ));
}

/// Two actors that differ only in one argument's type.
mod twins {
    use actor_core::prelude::*;

    /// Counts in `u32`.
    #[actor]
    pub struct Narrow {
        total: u64,
    }

    #[actor(remote = "twins.Counter")]
    impl Narrow {
        /// Adds `n`.
        #[message]
        pub fn add(&mut self, n: u32) {
            self.total += u64::from(n);
        }
    }

    /// Counts in `u64`.
    #[actor]
    pub struct Wide {
        total: u64,
    }

    #[actor(remote = "twins.Counter")]
    impl Wide {
        /// Adds `n`.
        #[message]
        pub fn add(&mut self, n: u64) {
            self.total += n;
        }
    }

    /// Counts in `u64` too.
    #[actor]
    pub struct WideAgain {
        total: u64,
    }

    #[actor(remote = "twins.Counter")]
    impl WideAgain {
        /// Adds `n`.
        #[message]
        pub fn add(&mut self, n: u64) {
            self.total += n;
        }
    }
}

/// Inputs that the generated code must not trip over.
mod edges {
    use actor_core::prelude::*;

    /// Has arguments named like the generated functions' parameters, and messages that are
    /// `#[cfg]`'d in and out.
    #[actor]
    pub struct Edges {
        calls: u32,
    }

    #[actor(remote = "edges.Edges")]
    impl Edges {
        /// Arguments named like `encode_msg`'s and `decode_msg`'s parameters.
        #[message]
        pub fn shadow(&mut self, out: u8, bytes: Vec<u8>, id: u64) -> usize {
            self.calls += 1;
            usize::from(out) + bytes.len() + usize::try_from(id).unwrap_or_default()
        }

        /// Gone, with a type that does not exist: nothing generated for it may name it.
        #[cfg(any())]
        #[message]
        pub fn gone(&mut self, missing: Missing) {}

        /// Compiled in under a `#[cfg]` that holds in this test.
        #[cfg(test)]
        #[message(wire = "here.v2")]
        pub fn here(&mut self) -> u32 {
            self.calls
        }
    }
}

#[test]
fn argument_names_and_cfgs_do_not_confuse_the_wire_form() {
    use edges::{Edges, EdgesMsg};
    let msg = EdgesMsg::Shadow {
        out: 1,
        bytes: vec![2, 3],
        id: 4,
    };
    let mut bytes = Vec::new();
    Edges::encode_msg(&msg, &mut bytes).unwrap();
    match Edges::decode_msg(Edges::wire_id(&msg), &bytes).unwrap() {
        EdgesMsg::Shadow { out, bytes, id } => assert_eq!((out, bytes, id), (1, vec![2, 3], 4)),
        EdgesMsg::Here => panic!("decoded as `Here`"),
    }
    assert_eq!(
        Edges::wire_id(&EdgesMsg::Here),
        wire::wire_id("edges.Edges", "here.v2")
    );
    assert!(matches!(
        Edges::decode_msg(wire::wire_id("edges.Edges", "gone"), &[]),
        Err(WireError::UnknownMessage(_))
    ));
}

#[test]
fn the_signature_sees_an_argument_type() {
    use twins::{Narrow, Wide, WideAgain};
    assert_ne!(Narrow::SIGNATURE, Wide::SIGNATURE);
    assert_eq!(Wide::SIGNATURE, WideAgain::SIGNATURE);
    // The ids are the same: only the signature tells the two apart.
    assert_eq!(
        Narrow::wire_id(&twins::NarrowMsg::Add { n: 1 }),
        Wide::wire_id(&twins::WideMsg::Add { n: 1 })
    );
}

#[tokio::test]
async fn a_decoded_message_is_handled_like_a_local_one() {
    let system = ActorSystem::new();
    let account = system.spawn(Account::default()).unwrap();
    assert_eq!(account.deposit(10).await.unwrap(), 10);
    assert_eq!(
        account.withdraw(25).await.unwrap(),
        Err(Overdrawn { balance: 10 })
    );
    let statement = tokio::spawn(account.statement().send());
    // Until the statement's ask has reached the actor, no one is waiting.
    while account.close_month().await.unwrap() == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(statement.await.unwrap().unwrap(), "balance 10");
    assert!(account.audit().await.unwrap().starts_with("/user/"));
    account.close().await.unwrap();
    assert_eq!(account.transfer("x".to_owned(), 1).await.unwrap(), 0);
    system.shutdown().await;
}
