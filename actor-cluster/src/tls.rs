//! A node's identity on the wire: credentials (the cluster CA and this node's certificate) and
//! the quinn client and server configurations built from them.
//!
//! Every connection is mutual TLS 1.3: the dialer checks that the acceptor's certificate chains
//! to the cluster CA under [`SERVER_NAME`], and the acceptor refuses any dialer that does not
//! present a certificate chaining to the same CA. There is no way to build a configuration that
//! skips either check, so a node is never reachable by a stranger by accident.
//!
//! The crypto provider is always rustls' ring provider, passed explicitly rather than taken
//! from the process-wide default, so that another library's rustls setup in the same process
//! can neither change nor break ours.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;

/// The DNS name every node certificate carries, and the name a dialer verifies the acceptor's
/// certificate under.
///
/// Nodes are addressed by socket address, not by host name, so a single shared name is what
/// lets the standard server-name check work at all; what a name check would otherwise prove
/// ("this is the host I meant") is proven instead by the certificate chaining to the cluster CA.
pub(crate) const SERVER_NAME: &str = "actor-node";

/// The application protocol both sides offer in the TLS handshake (QUIC requires one).
///
/// The version suffix lets a future incompatible transport refuse old peers in the handshake,
/// before any frame is exchanged.
pub(crate) const ALPN: &[u8] = b"actor-remote/1";

/// The subject of the development CA. Issuing a node certificate needs only the CA's key and
/// this name (rcgen signs with the issuer's name and key, nothing else of its certificate), so
/// keeping it fixed lets any process reload the CA from its key file without a certificate
/// parser.
const DEVELOPMENT_CA_NAME: &str = "actor-cluster development CA";
/// The subject of development node certificates (peers check the CA and [`SERVER_NAME`], not this).
const DEVELOPMENT_NODE_NAME: &str = "actor-cluster development node";

/// A node's credentials: the cluster CA every peer must chain to, and this node's certificate
/// chain and private key.
///
/// Build them from PEM files issued by your own CA for production
/// ([`from_pem_files`](Self::from_pem_files)), or with [`development`](Self::development) for
/// a development cluster that needs no manual certificate work.
pub struct Credentials {
    /// The cluster CA: the only trust anchor, for both directions of every handshake.
    ca: CertificateDer<'static>,
    /// This node's certificate first, then any intermediates up to (not including) the CA.
    chain: Vec<CertificateDer<'static>>,
    /// The private key of the first certificate in `chain`.
    key: PrivateKeyDer<'static>,
}

impl Credentials {
    /// File name of the development CA certificate inside a development directory.
    pub const DEVELOPMENT_CA_CERTIFICATE: &'static str = "dev-ca.pem";
    /// File name of the development CA private key inside a development directory.
    pub const DEVELOPMENT_CA_KEY: &'static str = "dev-ca.key";
    /// File name of the node certificate [`write_development_files`](Self::write_development_files) writes.
    pub const DEVELOPMENT_NODE_CERTIFICATE: &'static str = "node.pem";
    /// File name of the node private key [`write_development_files`](Self::write_development_files) writes.
    pub const DEVELOPMENT_NODE_KEY: &'static str = "node.key";

    /// Loads credentials from PEM files: the cluster CA certificate, this node's certificate
    /// chain (its own certificate first), and its private key (PKCS#8, PKCS#1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`CredentialsError::Io`] if a file cannot be read, and otherwise the errors of
    /// [`from_pem`](Self::from_pem), naming the file.
    pub fn from_pem_files(
        ca: impl AsRef<Path>,
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, CredentialsError> {
        let (ca, cert, key) = (ca.as_ref(), cert.as_ref(), key.as_ref());
        Self::parse(
            &read_text(ca)?,
            &ca.display().to_string(),
            &read_text(cert)?,
            &cert.display().to_string(),
            &read_text(key)?,
            &key.display().to_string(),
        )
    }

    /// Loads credentials from PEM text: the cluster CA certificate (exactly one), this node's
    /// certificate chain (its own certificate first), and its private key.
    ///
    /// The key is checked against the node certificate and the CA is checked to be a usable
    /// trust anchor here, so a mismatched or damaged set fails now rather than at the first
    /// handshake.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::Pem`] for malformed PEM or more than one CA certificate,
    /// [`CredentialsError::NoCertificate`] / [`CredentialsError::NoKey`] when a part is missing,
    /// [`CredentialsError::Tls`] when rustls rejects a certificate or the key.
    pub fn from_pem(ca: &str, cert: &str, key: &str) -> Result<Self, CredentialsError> {
        Self::parse(
            ca,
            "CA certificate",
            cert,
            "certificate chain",
            key,
            "private key",
        )
    }

    /// Development credentials, with no manual certificate work.
    ///
    /// Uses the development CA in `dir` (`dev-ca.pem`, `dev-ca.key`), creating the directory
    /// and the CA on first use, and issues this node a fresh certificate signed by it, in
    /// memory. Every process given the same `dir` is in the same development cluster; a process
    /// given another directory is a stranger to it and is refused.
    ///
    /// Processes may call this concurrently on a fresh directory: each CA file is written to a
    /// temporary file and then hard-linked into place, which never overwrites, so whichever
    /// process links first wins and the others load its files.
    ///
    /// The CA key sits in `dir` unencrypted (readable by its owner only, on Unix): anyone who
    /// can read it can join the cluster. Do not use development credentials in production.
    ///
    /// # Errors
    ///
    /// [`CredentialsError::Io`] when `dir` or a file in it cannot be created or read,
    /// [`CredentialsError::Pem`] when the files there are damaged or do not belong together,
    /// [`CredentialsError::Generate`] when a key or certificate cannot be generated.
    pub fn development(dir: impl AsRef<Path>) -> Result<Self, CredentialsError> {
        let ca = DevelopmentCa::open_or_create(dir.as_ref())?;
        let node = ca.issue_node_certificate()?;
        Ok(Self {
            ca: ca.certificate,
            chain: vec![node.certificate.der().clone()],
            key: private_key_der(&node.key),
        })
    }

    /// Writes development PEM files into `dir`, for setups that load files: the development
    /// CA (`dev-ca.pem`, `dev-ca.key`, reused if present, as in
    /// [`development`](Self::development)) and one node's certificate and key (`node.pem`,
    /// `node.key`, replaced if present).
    ///
    /// Load them with `from_pem_files(dir/dev-ca.pem, dir/node.pem, dir/node.key)`.
    /// `cargo run -p actor-cluster --example dev_credentials -- DIR` runs this.
    ///
    /// # Errors
    ///
    /// As [`development`](Self::development).
    pub fn write_development_files(dir: impl AsRef<Path>) -> Result<(), CredentialsError> {
        let dir = dir.as_ref();
        let ca = DevelopmentCa::open_or_create(dir)?;
        let node = ca.issue_node_certificate()?;
        replace_file(
            &dir.join(Credentials::DEVELOPMENT_NODE_CERTIFICATE),
            node.certificate.pem().as_bytes(),
            FileSecrecy::Public,
        )?;
        replace_file(
            &dir.join(Credentials::DEVELOPMENT_NODE_KEY),
            node.key.serialize_pem().as_bytes(),
            FileSecrecy::Secret,
        )
    }

    /// Parses and checks the three PEM parts; `*_origin` names each part in errors (a path or
    /// a description).
    fn parse(
        ca: &str,
        ca_origin: &str,
        cert: &str,
        cert_origin: &str,
        key: &str,
        key_origin: &str,
    ) -> Result<Self, CredentialsError> {
        let mut cas = parse_certificates(ca, ca_origin)?;
        let ca = match cas.len() {
            0 => return Err(CredentialsError::NoCertificate),
            1 => cas.remove(0),
            found => {
                // Taking the first and ignoring the rest would silently trust less (or other)
                // than the operator meant; say so instead.
                return Err(CredentialsError::Pem {
                    what: ca_origin.to_owned(),
                    reason: format!("expected exactly one CA certificate, found {found}"),
                });
            }
        };
        let chain = parse_certificates(cert, cert_origin)?;
        if chain.is_empty() {
            return Err(CredentialsError::NoCertificate);
        }
        let key = rustls_pemfile::private_key(&mut key.as_bytes())
            .map_err(|error| CredentialsError::Pem {
                what: key_origin.to_owned(),
                reason: error.to_string(),
            })?
            .ok_or(CredentialsError::NoKey)?;

        let credentials = Self { ca, chain, key };
        // Both checks run again when a config is built; running them now moves the failure
        // to where the files are named.
        credentials.root_store()?;
        credentials.certified_key()?;
        Ok(credentials)
    }

    /// The cluster CA as the only root of trust.
    fn root_store(&self) -> Result<RootCertStore, CredentialsError> {
        let mut roots = RootCertStore::empty();
        roots.add(self.ca.clone())?;
        Ok(roots)
    }

    /// This node's chain and key, checked to belong together.
    fn certified_key(&self) -> Result<CertifiedKey, CredentialsError> {
        Ok(CertifiedKey::from_der(
            self.chain.clone(),
            self.key.clone_key(),
            &crypto_provider(),
        )?)
    }
}

impl Clone for Credentials {
    fn clone(&self) -> Self {
        Self {
            ca: self.ca.clone(),
            chain: self.chain.clone(),
            // `PrivateKeyDer` is deliberately not `Clone` (copies of secrets should be
            // visible); a node hands its credentials to each endpoint it builds.
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Certificates are public, but their bytes say nothing useful in a log; the key must
        // never reach one.
        f.debug_struct("Credentials")
            .field("ca_bytes", &self.ca.len())
            .field("chain_len", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Why credentials could not be loaded, generated or turned into a TLS configuration.
#[derive(Debug)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A file or directory could not be read or written.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// PEM text (or a development file) is malformed or inconsistent.
    Pem {
        /// The file, or which part of [`Credentials::from_pem`]'s input.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key input holds no private key.
    NoKey,
    /// The CA input or the certificate chain input holds no certificate.
    NoCertificate,
    /// rustls rejected a certificate, the key, or the configuration built from them.
    Tls(rustls::Error),
    /// A key or certificate could not be generated.
    Generate(String),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Self::Pem { what, reason } => write!(f, "{what}: invalid PEM: {reason}"),
            Self::NoKey => f.write_str("no private key found in the key input"),
            Self::NoCertificate => f.write_str("no certificate found in a certificate input"),
            Self::Tls(error) => write!(f, "TLS: {error}"),
            Self::Generate(reason) => {
                write!(f, "cannot generate development credentials: {reason}")
            }
        }
    }
}

impl std::error::Error for CredentialsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Tls(error) => Some(error),
            Self::Pem { .. } | Self::NoKey | Self::NoCertificate | Self::Generate(_) => None,
        }
    }
}

impl From<rustls::Error> for CredentialsError {
    fn from(error: rustls::Error) -> Self {
        Self::Tls(error)
    }
}

impl From<rcgen::Error> for CredentialsError {
    fn from(error: rcgen::Error) -> Self {
        Self::Generate(error.to_string())
    }
}

/// The QUIC transport knobs a node sets on both its client and server configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TransportSettings {
    /// A connection with no traffic for this long is closed (the peer is taken as gone).
    pub(crate) idle_timeout: Duration,
    /// How often to send a QUIC keep-alive when otherwise idle; below `idle_timeout`, so that
    /// an idle but healthy link is not closed.
    pub(crate) keep_alive: Duration,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(5),
        }
    }
}

/// Uni streams a peer may have open at once: the ordinary, reply and large-message streams
/// need three; the rest is headroom for streams being replaced.
const MAX_CONCURRENT_UNI_STREAMS: u32 = 16;
/// Bidi streams a peer may have open at once: the control stream needs one.
const MAX_CONCURRENT_BIDI_STREAMS: u32 = 4;

impl TransportSettings {
    /// The quinn transport configuration for these settings.
    ///
    /// An idle timeout beyond what QUIC can express (2^62 ms) is clamped to the largest it can.
    fn quinn_transport(&self) -> quinn::TransportConfig {
        let idle_timeout = quinn::IdleTimeout::try_from(self.idle_timeout)
            .unwrap_or_else(|_| quinn::IdleTimeout::from(quinn::VarInt::MAX));
        let mut transport = quinn::TransportConfig::default();
        transport
            .max_idle_timeout(Some(idle_timeout))
            .keep_alive_interval(Some(self.keep_alive))
            .max_concurrent_uni_streams(MAX_CONCURRENT_UNI_STREAMS.into())
            .max_concurrent_bidi_streams(MAX_CONCURRENT_BIDI_STREAMS.into());
        transport
    }
}

/// The acceptor's configuration: presents this node's chain and requires the dialer to present
/// a certificate that chains to the cluster CA (a dialer without one is refused).
///
/// # Errors
///
/// [`CredentialsError::Tls`] when rustls rejects the credentials.
pub(crate) fn server_config(
    credentials: &Credentials,
    transport: &TransportSettings,
) -> Result<quinn::ServerConfig, CredentialsError> {
    let provider = Arc::new(crypto_provider());
    let client_verifier = WebPkiClientVerifier::builder_with_provider(
        Arc::new(credentials.root_store()?),
        provider.clone(),
    )
    .build()
    .map_err(|error| rustls::Error::General(format!("client verifier: {error}")))?;
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(credentials.chain.clone(), credentials.key.clone_key())?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(tls)
        .map_err(|error| rustls::Error::General(error.to_string()))?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(Arc::new(transport.quinn_transport()));
    Ok(config)
}

/// The dialer's configuration: verifies the acceptor's certificate against the cluster CA under
/// [`SERVER_NAME`] (dial with `endpoint.connect(address, SERVER_NAME)`), and presents this
/// node's chain when the acceptor asks for it.
///
/// # Errors
///
/// [`CredentialsError::Tls`] when rustls rejects the credentials.
pub(crate) fn client_config(
    credentials: &Credentials,
    transport: &TransportSettings,
) -> Result<quinn::ClientConfig, CredentialsError> {
    let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_root_certificates(credentials.root_store()?)
        .with_client_auth_cert(credentials.chain.clone(), credentials.key.clone_key())?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    Ok(quic_client_config(tls, transport)?)
}

/// Wraps a rustls client configuration for quinn, with our transport settings.
#[allow(dead_code)] // Used by client_config.
fn quic_client_config(
    tls: rustls::ClientConfig,
    transport: &TransportSettings,
) -> Result<quinn::ClientConfig, rustls::Error> {
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|error| rustls::Error::General(error.to_string()))?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    config.transport_config(Arc::new(transport.quinn_transport()));
    Ok(config)
}

/// The ring provider, never the process default (see the module docs).
fn crypto_provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// Reads a PEM file, naming it in the error.
fn read_text(path: &Path) -> Result<String, CredentialsError> {
    fs::read_to_string(path).map_err(|source| CredentialsError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Every certificate in `pem`, in order; `origin` names the input in errors.
fn parse_certificates(
    pem: &str,
    origin: &str,
) -> Result<Vec<CertificateDer<'static>>, CredentialsError> {
    rustls_pemfile::certs(&mut pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| CredentialsError::Pem {
            what: origin.to_owned(),
            reason: error.to_string(),
        })
}

/// A generated key as rustls takes it.
fn private_key_der(key: &rcgen::KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

/// The development CA of one directory, loaded (or created) and ready to issue.
struct DevelopmentCa {
    /// The CA certificate exactly as on disk: what peers trust.
    certificate: CertificateDer<'static>,
    /// The CA re-signed in memory from the fixed parameters, only as rcgen's issuer handle.
    issuer: rcgen::Certificate,
    /// The CA's key.
    key: rcgen::KeyPair,
}

/// A freshly issued node certificate and its key.
struct NodeCertificate {
    certificate: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl DevelopmentCa {
    /// Loads the CA in `dir`, creating the directory and whichever CA file is missing.
    ///
    /// The key is published first and the certificate is derived from it, so a process that
    /// died between the two leaves a directory the next call completes, not a broken one.
    fn open_or_create(dir: &Path) -> Result<Self, CredentialsError> {
        fs::create_dir_all(dir).map_err(|source| CredentialsError::Io {
            path: dir.to_owned(),
            source,
        })?;

        let key_path = dir.join(Credentials::DEVELOPMENT_CA_KEY);
        if !key_path.exists() {
            let fresh = rcgen::KeyPair::generate()?;
            publish_new_file(
                &key_path,
                fresh.serialize_pem().as_bytes(),
                FileSecrecy::Secret,
            )?;
        }
        // Whoever won the race, the file now holds the one key of this cluster.
        let key = rcgen::KeyPair::from_pem(&read_text(&key_path)?).map_err(|error| {
            CredentialsError::Pem {
                what: key_path.display().to_string(),
                reason: error.to_string(),
            }
        })?;
        let issuer = development_ca_params().self_signed(&key)?;

        let certificate_path = dir.join(Credentials::DEVELOPMENT_CA_CERTIFICATE);
        if !certificate_path.exists() {
            publish_new_file(
                &certificate_path,
                issuer.pem().as_bytes(),
                FileSecrecy::Public,
            )?;
        }
        let certificate_origin = certificate_path.display().to_string();
        let mut certificates =
            parse_certificates(&read_text(&certificate_path)?, &certificate_origin)?;
        if certificates.len() != 1 {
            return Err(CredentialsError::Pem {
                what: certificate_origin,
                reason: format!("expected one certificate, found {}", certificates.len()),
            });
        }
        let certificate = certificates.remove(0);

        // Another process's certificate is as good as ours only if it is for the same key;
        // a directory assembled from two clusters would otherwise fail at every handshake.
        let signing_key = crypto_provider()
            .key_provider
            .load_private_key(private_key_der(&key))?;
        CertifiedKey::new(vec![certificate.clone()], signing_key)
            .keys_match()
            .map_err(|error| CredentialsError::Pem {
                what: certificate_origin,
                reason: format!(
                    "not the certificate of {}: {error}",
                    Credentials::DEVELOPMENT_CA_KEY
                ),
            })?;

        Ok(Self {
            certificate,
            issuer,
            key,
        })
    }

    /// A new node certificate for [`SERVER_NAME`], usable both to accept and to dial.
    fn issue_node_certificate(&self) -> Result<NodeCertificate, CredentialsError> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(vec![SERVER_NAME.to_owned()])?;
        params.distinguished_name = distinguished_name(DEVELOPMENT_NODE_NAME);
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        // Every node is both an acceptor and a dialer.
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let certificate = params.signed_by(&key, &self.issuer, &self.key)?;
        Ok(NodeCertificate { certificate, key })
    }
}

/// The development CA's parameters: fixed, so any process can rebuild the issuer from the key
/// (see [`DEVELOPMENT_CA_NAME`]). rcgen's default validity (1975 to 4096) is kept: a
/// development cluster should not stop working on a date.
fn development_ca_params() -> rcgen::CertificateParams {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = distinguished_name(DEVELOPMENT_CA_NAME);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
        rcgen::KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// A distinguished name holding only a common name.
fn distinguished_name(common_name: &str) -> rcgen::DistinguishedName {
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, common_name);
    name
}

/// Whether a file may be read by others.
#[derive(Clone, Copy)]
enum FileSecrecy {
    /// Certificates.
    Public,
    /// Private keys: owner-only on Unix.
    Secret,
}

/// Distinguishes temporary files of concurrent calls within one process (the pid separates
/// processes).
static TEMPORARY_FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `contents` to a new temporary file beside `path`, fully and durably, and returns its
/// path, so that the final name only ever appears with complete contents.
fn write_temporary(
    path: &Path,
    contents: &[u8],
    secrecy: FileSecrecy,
) -> Result<PathBuf, CredentialsError> {
    use std::io::Write as _;

    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        TEMPORARY_FILE_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if let FileSecrecy::Secret = secrecy {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secrecy;
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    match written {
        Ok(()) => Ok(temporary),
        Err(source) => {
            let _ = fs::remove_file(&temporary);
            Err(CredentialsError::Io {
                path: temporary,
                source,
            })
        }
    }
}

/// Creates `path` with `contents` unless it exists; if another process created it first, its
/// file stays (a hard link never overwrites) and this is not an error.
fn publish_new_file(
    path: &Path,
    contents: &[u8],
    secrecy: FileSecrecy,
) -> Result<(), CredentialsError> {
    let temporary = write_temporary(path, contents, secrecy)?;
    let linked = fs::hard_link(&temporary, path);
    // The temporary name was only a way to make the final one appear whole.
    let _ = fs::remove_file(&temporary);
    match linked {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(CredentialsError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Replaces `path` with `contents` atomically (a reader sees the old file or the new, whole).
fn replace_file(
    path: &Path,
    contents: &[u8],
    secrecy: FileSecrecy,
) -> Result<(), CredentialsError> {
    let temporary = write_temporary(path, contents, secrecy)?;
    fs::rename(&temporary, path).map_err(|source| {
        let _ = fs::remove_file(&temporary);
        CredentialsError::Io {
            path: path.to_owned(),
            source,
        }
    })
}

/// Helpers shared by the unit tests of this crate's transport modules.
#[cfg(test)]
pub(crate) mod test_support {
    use std::net::{Ipv4Addr, SocketAddr};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A directory under the system temp dir, unique per process and call, removed on drop.
    pub(crate) struct TempDir(PathBuf);

    impl TempDir {
        pub(crate) fn new(label: &str) -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let path = std::env::temp_dir().join(format!(
                "actor-cluster-{label}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            // A leftover from an earlier run with a recycled pid must not leak its CA in.
            let _ = std::fs::remove_dir_all(&path);
            Self(path)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Port 0 on loopback: the OS picks a free port, and nothing leaves the machine.
    pub(crate) fn loopback() -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{loopback, TempDir};
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    /// Upper bound for any one network step on loopback; generous for a loaded CI machine.
    const STEP: Duration = Duration::from_secs(10);

    /// What the accepting side observed of one connection attempt.
    #[derive(Debug, PartialEq, Eq)]
    enum ServerSaw {
        /// The handshake failed: the dialer was refused (or refused us).
        Refused,
        /// The handshake completed but no stream carried data.
        NoData,
        /// A stream delivered these bytes.
        Data(Vec<u8>),
    }

    /// Accepts one connection on `server` and, if it completes, answers `pong` on its first bi
    /// stream.
    async fn serve_once(server: quinn::Endpoint) -> ServerSaw {
        let Some(incoming) = server.accept().await else {
            return ServerSaw::Refused;
        };
        let Ok(connection) = incoming.await else {
            return ServerSaw::Refused;
        };
        let Ok((mut send, mut recv)) = connection.accept_bi().await else {
            return ServerSaw::NoData;
        };
        let Ok(received) = recv.read_to_end(1024).await else {
            return ServerSaw::NoData;
        };
        if send.write_all(b"pong").await.is_ok() && send.finish().is_ok() {
            // Keep the connection until the dialer has read the reply and closed.
            let _ = timeout(STEP, connection.closed()).await;
        }
        ServerSaw::Data(received)
    }

    /// Dials `address` with `config`, sends `ping` on a bi stream and returns the reply.
    async fn ping(
        client: &quinn::Endpoint,
        config: quinn::ClientConfig,
        address: std::net::SocketAddr,
    ) -> Result<Vec<u8>, String> {
        let connection = client
            .connect_with(config, address, SERVER_NAME)
            .map_err(|error| error.to_string())?
            .await
            .map_err(|error| error.to_string())?;
        let (mut send, mut recv) = connection.open_bi().await.map_err(|e| e.to_string())?;
        send.write_all(b"ping").await.map_err(|e| e.to_string())?;
        send.finish().map_err(|e| e.to_string())?;
        let reply = recv.read_to_end(1024).await.map_err(|e| e.to_string())?;
        let alpn = connection
            .handshake_data()
            .and_then(|data| data.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
            .and_then(|data| data.protocol);
        assert_eq!(alpn.as_deref(), Some(ALPN), "negotiated ALPN");
        connection.close(0u32.into(), b"done");
        Ok(reply)
    }

    /// Runs one `ping` against a fresh acceptor with `server_credentials`; returns what each
    /// side saw.
    async fn attempt(
        server_credentials: &Credentials,
        client_config: quinn::ClientConfig,
    ) -> (Result<Vec<u8>, String>, ServerSaw) {
        let settings = TransportSettings::default();
        let server = quinn::Endpoint::server(
            server_config(server_credentials, &settings).expect("server config"),
            loopback(),
        )
        .expect("server endpoint");
        let address = server.local_addr().expect("server address");
        let server_task = tokio::spawn(serve_once(server.clone()));
        let client = quinn::Endpoint::client(loopback()).expect("client endpoint");

        let client_saw = timeout(STEP, ping(&client, client_config, address))
            .await
            .unwrap_or_else(|_| Err("timed out".to_owned()));
        let server_saw = timeout(STEP, server_task)
            .await
            .expect("the acceptor settles within the bound")
            .expect("the acceptor task does not panic");
        client.close(0u32.into(), b"done");
        server.close(0u32.into(), b"done");
        (client_saw, server_saw)
    }

    #[tokio::test]
    async fn nodes_of_one_development_directory_connect_and_exchange_bytes() {
        let dir = TempDir::new("tls-same");
        let server = Credentials::development(dir.path()).expect("server credentials");
        let client = Credentials::development(dir.path()).expect("client credentials");
        let config = client_config(&client, &TransportSettings::default()).expect("client config");

        let (client_saw, server_saw) = attempt(&server, config).await;

        assert_eq!(client_saw, Ok(b"pong".to_vec()));
        assert_eq!(server_saw, ServerSaw::Data(b"ping".to_vec()));
    }

    #[tokio::test]
    async fn a_node_of_another_development_ca_is_refused() {
        let ours = TempDir::new("tls-ours");
        let theirs = TempDir::new("tls-theirs");
        let server = Credentials::development(ours.path()).expect("server credentials");
        let stranger = Credentials::development(theirs.path()).expect("stranger credentials");
        let config =
            client_config(&stranger, &TransportSettings::default()).expect("client config");

        let (client_saw, server_saw) = attempt(&server, config).await;

        assert!(client_saw.is_err(), "stranger got {client_saw:?}");
        assert_eq!(server_saw, ServerSaw::Refused);
    }

    #[tokio::test]
    async fn a_dialer_trusting_our_ca_but_certified_by_another_is_refused() {
        // The stranger knows our CA (it is public), so it accepts our certificate; only the
        // acceptor's check of the dialer's certificate can keep it out.
        let ours = TempDir::new("tls-ours");
        let theirs = TempDir::new("tls-theirs");
        let server = Credentials::development(ours.path()).expect("server credentials");
        let stranger = Credentials::development(theirs.path()).expect("stranger credentials");
        let impostor = Credentials {
            ca: server.ca.clone(),
            ..stranger
        };
        let config =
            client_config(&impostor, &TransportSettings::default()).expect("client config");

        let (client_saw, server_saw) = attempt(&server, config).await;

        assert!(client_saw.is_err(), "impostor got {client_saw:?}");
        assert_eq!(server_saw, ServerSaw::Refused);
    }

    #[tokio::test]
    async fn a_dialer_without_a_certificate_is_refused() {
        let dir = TempDir::new("tls-anonymous");
        let server = Credentials::development(dir.path()).expect("server credentials");
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_root_certificates(server.root_store().expect("roots"))
            .with_no_client_auth();
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let config = quic_client_config(tls, &TransportSettings::default()).expect("client config");

        let (client_saw, server_saw) = attempt(&server, config).await;

        assert!(client_saw.is_err(), "anonymous dialer got {client_saw:?}");
        assert_eq!(server_saw, ServerSaw::Refused);
    }

    #[tokio::test]
    async fn files_written_for_a_directory_join_its_in_memory_development_cluster() {
        let dir = TempDir::new("tls-files");
        Credentials::write_development_files(dir.path()).expect("write files");
        let from_files = Credentials::from_pem_files(
            dir.path().join(Credentials::DEVELOPMENT_CA_CERTIFICATE),
            dir.path().join(Credentials::DEVELOPMENT_NODE_CERTIFICATE),
            dir.path().join(Credentials::DEVELOPMENT_NODE_KEY),
        )
        .expect("load files");
        let in_memory = Credentials::development(dir.path()).expect("in-memory credentials");
        let config =
            client_config(&from_files, &TransportSettings::default()).expect("client config");

        let (client_saw, server_saw) = attempt(&in_memory, config).await;

        assert_eq!(client_saw, Ok(b"pong".to_vec()));
        assert_eq!(server_saw, ServerSaw::Data(b"ping".to_vec()));
    }

    #[test]
    fn a_development_directory_missing_its_certificate_is_completed_from_the_key() {
        let dir = TempDir::new("tls-half");
        let first = Credentials::development(dir.path()).expect("create");
        fs::remove_file(dir.path().join(Credentials::DEVELOPMENT_CA_CERTIFICATE))
            .expect("remove cert");

        let second = Credentials::development(dir.path()).expect("complete");

        // A new CA certificate for the same key: the earlier node's certificate still chains.
        let roots = second.root_store().expect("roots");
        let verifier = WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            Arc::new(crypto_provider()),
        )
        .build()
        .expect("verifier");
        verifier
            .verify_client_cert(&first.chain[0], &[], rustls::pki_types::UnixTime::now())
            .expect("the old node certificate chains to the re-created CA certificate");
    }

    #[test]
    fn a_ca_certificate_for_another_key_is_reported_not_trusted() {
        let dir = TempDir::new("tls-mixed");
        let other = TempDir::new("tls-mixed-other");
        Credentials::development(dir.path()).expect("create");
        Credentials::development(other.path()).expect("create other");
        fs::copy(
            other.path().join(Credentials::DEVELOPMENT_CA_CERTIFICATE),
            dir.path().join(Credentials::DEVELOPMENT_CA_CERTIFICATE),
        )
        .expect("mix the directories");

        let error = Credentials::development(dir.path()).expect_err("a mixed directory");

        assert!(
            matches!(&error, CredentialsError::Pem { reason, .. } if reason.contains(Credentials::DEVELOPMENT_CA_KEY)),
            "{error}"
        );
    }

    #[test]
    fn concurrent_first_uses_of_a_directory_agree_on_one_ca() {
        let dir = TempDir::new("tls-race");
        let path = dir.path().to_owned();
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Credentials::development(path))
            })
            .collect();
        let cas: Vec<_> = callers
            .into_iter()
            .map(|caller| caller.join().expect("no panic").expect("credentials").ca)
            .collect();

        assert!(
            cas.windows(2).all(|pair| pair[0] == pair[1]),
            "one CA for all"
        );
        let mut names: Vec<_> = fs::read_dir(&path)
            .expect("list")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .into_string()
                    .expect("utf-8")
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["dev-ca.key", "dev-ca.pem"],
            "no temporary files left"
        );
    }

    #[cfg(unix)]
    #[test]
    fn development_keys_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = TempDir::new("tls-mode");
        Credentials::write_development_files(dir.path()).expect("write files");
        for name in [
            Credentials::DEVELOPMENT_CA_KEY,
            Credentials::DEVELOPMENT_NODE_KEY,
        ] {
            let mode = fs::metadata(dir.path().join(name))
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
        }
    }

    #[test]
    fn transport_settings_beyond_quic_limits_are_clamped_not_panicking() {
        let settings = TransportSettings {
            idle_timeout: Duration::MAX,
            keep_alive: Duration::from_secs(1),
        };
        let _ = settings.quinn_transport();
    }
}
