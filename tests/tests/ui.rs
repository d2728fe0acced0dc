//! Compile tests of `#[actor]`. Each `ui/<mistake>.rs` is a small program with one mistake,
//! and `ui/<mistake>.stderr` is the error the user sees: the errors must point at the
//! offending token and say what to write instead. Each `ui/pass/<case>.rs` is a program
//! that must compile (most under `#![deny(warnings)]`) and run: cases that once failed or
//! warned inside generated code.
//!
//! After a deliberate change to a message, regenerate the snapshots with
//! `TRYBUILD=overwrite cargo test -p tests --test ui` and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
    cases.pass("ui/pass/*.rs");
}
