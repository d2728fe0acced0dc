//! Writes development credentials into a directory, for setups that load PEM files:
//!
//! ```text
//! cargo run -p actor-cluster --example dev_credentials -- DIR
//! ```
//!
//! Every node given files from the same directory (or `Credentials::development` on it) is in
//! the same development cluster. Run it again in the same directory for another node's files:
//! the CA is kept, the node files are replaced.

use std::path::PathBuf;
use std::process::ExitCode;

use actor_cluster::Credentials;

fn main() -> ExitCode {
    let mut arguments = std::env::args_os().skip(1);
    let (Some(dir), None) = (arguments.next(), arguments.next()) else {
        eprintln!("usage: dev_credentials DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    if let Err(error) = Credentials::write_development_files(&dir) {
        eprintln!("dev_credentials: {error}");
        return ExitCode::FAILURE;
    }
    for (role, name) in [
        ("CA certificate", Credentials::DEVELOPMENT_CA_CERTIFICATE),
        ("CA key (keep private)", Credentials::DEVELOPMENT_CA_KEY),
        (
            "node certificate",
            Credentials::DEVELOPMENT_NODE_CERTIFICATE,
        ),
        ("node key", Credentials::DEVELOPMENT_NODE_KEY),
    ] {
        println!("{role}: {}", dir.join(name).display());
    }
    ExitCode::SUCCESS
}
