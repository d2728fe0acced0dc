//! Compile-fail tests of `#[actor]`: each `ui/<mistake>.rs` is a small program with one
//! mistake, and `ui/<mistake>.stderr` is the error the user sees. The errors must point at
//! the offending token and say what to write instead.
//!
//! After a deliberate change to a message, regenerate the snapshots with
//! `TRYBUILD=overwrite cargo test -p tests --test ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
