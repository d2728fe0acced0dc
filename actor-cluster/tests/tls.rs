//! Loading credentials through the public API: development files round-trip through
//! `Credentials::from_pem_files`, and every kind of bad input is a typed error, never a panic.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use actor_cluster::{Credentials, CredentialsError};

/// A directory under the system temp dir, unique per process and call, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "actor-cluster-it-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        Self(path)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The three development files of `dir`: CA certificate, node certificate, node key.
fn development_files(dir: &TempDir) -> (PathBuf, PathBuf, PathBuf) {
    Credentials::write_development_files(&dir.0).expect("write development files");
    (
        dir.file(Credentials::DEVELOPMENT_CA_CERTIFICATE),
        dir.file(Credentials::DEVELOPMENT_NODE_CERTIFICATE),
        dir.file(Credentials::DEVELOPMENT_NODE_KEY),
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read test file")
}

#[test]
fn development_files_load_back_and_their_debug_form_hides_the_key() {
    let dir = TempDir::new("roundtrip");
    let (ca, cert, key) = development_files(&dir);

    let credentials = Credentials::from_pem_files(&ca, &cert, &key).expect("load");
    let copy = credentials.clone();

    let key_pem = read(&key);
    let key_body_line = key_pem.lines().nth(1).expect("a PEM body line");
    for shown in [format!("{credentials:?}"), format!("{copy:#?}")] {
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains(key_body_line), "key material in {shown}");
    }
}

#[test]
fn rerunning_keeps_the_ca_and_replaces_the_node_files() {
    let dir = TempDir::new("rerun");
    let (ca, cert, _) = development_files(&dir);
    let (first_ca, first_cert) = (read(&ca), read(&cert));

    development_files(&dir);

    assert_eq!(read(&ca), first_ca, "the CA, and so the cluster, stays");
    assert_ne!(read(&cert), first_cert, "a fresh node certificate");
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let dir = TempDir::new("missing");
    let (ca, cert, _) = development_files(&dir);
    let missing = dir.file("absent.key");

    let error = Credentials::from_pem_files(&ca, &cert, &missing).expect_err("missing key file");

    match &error {
        CredentialsError::Io { path, source } => {
            assert_eq!(path, &missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Io, got {other:?}"),
    }
    assert!(error.to_string().contains("absent.key"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn text_without_pem_blocks_is_no_certificate_or_no_key() {
    let dir = TempDir::new("garbage");
    let (ca, cert, key) = development_files(&dir);
    let garbage = dir.write(
        "garbage.pem",
        "this is not PEM at all\n\u{0}\u{1}binary-ish\n",
    );

    assert!(matches!(
        Credentials::from_pem_files(&garbage, &cert, &key),
        Err(CredentialsError::NoCertificate)
    ));
    assert!(matches!(
        Credentials::from_pem_files(&ca, &garbage, &key),
        Err(CredentialsError::NoCertificate)
    ));
    assert!(matches!(
        Credentials::from_pem_files(&ca, &cert, &garbage),
        Err(CredentialsError::NoKey)
    ));
    // A certificate where the key should be is still "no key", not a confusing TLS error.
    assert!(matches!(
        Credentials::from_pem_files(&ca, &cert, &cert),
        Err(CredentialsError::NoKey)
    ));
}

#[test]
fn a_damaged_pem_block_is_a_pem_error_naming_the_file() {
    let dir = TempDir::new("damaged");
    let (ca, cert, key) = development_files(&dir);
    let damaged = dir.write(
        "damaged.pem",
        "-----BEGIN CERTIFICATE-----\n!!!! not base64 !!!!\n-----END CERTIFICATE-----\n",
    );
    let unterminated = dir.write("unterminated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");

    for bad in [&damaged, &unterminated] {
        let error = Credentials::from_pem_files(bad, &cert, &key).expect_err("damaged CA");
        match &error {
            CredentialsError::Pem { what, .. } => assert_eq!(what, &bad.display().to_string()),
            other => panic!("expected Pem for {}, got {other:?}", bad.display()),
        }
    }
    assert!(Credentials::from_pem_files(&ca, &damaged, &key).is_err());
}

#[test]
fn well_formed_pem_holding_bad_der_is_a_tls_error() {
    let dir = TempDir::new("bad-der");
    let (_, cert, key) = development_files(&dir);
    // Valid base64 of bytes that are no certificate.
    let bogus = dir.write(
        "bogus.pem",
        "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
    );

    assert!(matches!(
        Credentials::from_pem_files(&bogus, &cert, &key),
        Err(CredentialsError::Tls(_))
    ));
}

#[test]
fn more_than_one_ca_certificate_is_refused_rather_than_half_used() {
    let dir = TempDir::new("two-cas");
    let (ca, cert, key) = development_files(&dir);
    let two = dir.write("two.pem", &format!("{}{}", read(&ca), read(&cert)));

    assert!(matches!(
        Credentials::from_pem_files(&two, &cert, &key),
        Err(CredentialsError::Pem { .. })
    ));
}

#[test]
fn a_key_of_another_certificate_is_refused_at_load() {
    let ours = TempDir::new("key-ours");
    let theirs = TempDir::new("key-theirs");
    let (ca, cert, _) = development_files(&ours);
    let (_, _, their_key) = development_files(&theirs);

    assert!(matches!(
        Credentials::from_pem(&read(&ca), &read(&cert), &read(&their_key)),
        Err(CredentialsError::Tls(_))
    ));
}

#[test]
fn a_development_directory_that_cannot_be_created_is_an_io_error() {
    let dir = TempDir::new("blocked");
    let file = dir.write("a-file", "not a directory");

    assert!(matches!(
        Credentials::development(file.join("inside")),
        Err(CredentialsError::Io { .. })
    ));
}

#[test]
fn public_types_are_send_sync_and_unpin() {
    fn assert_thread_safe<T: Send + Sync + Unpin + 'static>() {}
    assert_thread_safe::<Credentials>();
    assert_thread_safe::<CredentialsError>();
}
