//! PKI creation and reopening, and loading TLS material from its files.

use std::fs;

use crossbind_tls::pki::{self, DEFAULT_TRUST_DOMAIN};
use crossbind_tls::{Error, IssuedPaths, Pki, SpiffeId, TlsFiles, TlsMaterial};

const TD: &str = DEFAULT_TRUST_DOMAIN;

fn ids() -> Vec<SpiffeId> {
    vec![
        SpiffeId::coordinator(TD).unwrap(),
        SpiffeId::provider(TD, "111").unwrap(),
        SpiffeId::consumer(TD, "222").unwrap(),
        SpiffeId::client(TD, "ops").unwrap(),
    ]
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_the_ca_and_every_identity() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::init(dir.path(), TD, &ids()).unwrap();
    assert_eq!(pki.trust_domain(), TD);

    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "ca.key",
            "ca.pem",
            "client-ops.key",
            "client-ops.pem",
            "consumer-222.key",
            "consumer-222.pem",
            "coordinator.key",
            "coordinator.pem",
            "provider-111.key",
            "provider-111.pem",
            "trust-domain",
        ]
    );
    assert!(
        fs::read_to_string(dir.path().join("ca.pem"))
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    #[cfg(unix)]
    for key in [
        "ca.key",
        "coordinator.key",
        "provider-111.key",
        "client-ops.key",
    ] {
        assert_eq!(mode(&dir.path().join(key)), 0o600, "{key}");
    }

    for id in ids() {
        let m = TlsMaterial::load(&pki.paths(&id).into()).unwrap();
        assert_eq!(m.own_identity().unwrap(), id);
    }
}

#[test]
fn init_refuses_an_existing_ca() {
    let dir = tempfile::tempdir().unwrap();
    pki::init(dir.path(), TD, &[]).unwrap();
    let before = fs::read(dir.path().join("ca.pem")).unwrap();

    let err = pki::init(dir.path(), TD, &ids()).unwrap_err();
    assert!(matches!(err, Error::CaExists { .. }), "{err:?}");
    let d = dir.path().display();
    assert_eq!(
        err.to_string(),
        format!(
            "a CA already exists at {d}/ca.pem: issue more certificates from it with \
             `crossbind pki issue {d} ...`, or remove the directory to start over"
        )
    );
    assert_eq!(fs::read(dir.path().join("ca.pem")).unwrap(), before);
    assert!(!dir.path().join("coordinator.pem").exists());

    // A lone ca.key is an existing CA too.
    let lone = tempfile::tempdir().unwrap();
    fs::write(lone.path().join("ca.key"), "x").unwrap();
    assert!(matches!(
        pki::init(lone.path(), TD, &[]),
        Err(Error::CaExists { .. })
    ));
}

#[test]
fn init_refuses_identities_of_another_trust_domain() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = SpiffeId::coordinator("other.local").unwrap();
    let err = pki::init(dir.path(), TD, &[foreign]).unwrap_err();
    assert!(matches!(err, Error::WrongTrustDomain { .. }), "{err:?}");
    assert!(!dir.path().join("ca.pem").exists(), "nothing is written");
    assert!(pki::init(dir.path(), "Bad_Domain", &[]).is_err());
}

#[test]
fn open_then_issue_and_reissue() {
    let dir = tempfile::tempdir().unwrap();
    pki::init(dir.path(), "corp.example", &[]).unwrap();
    let pki = Pki::open(dir.path()).unwrap();
    assert_eq!(pki.trust_domain(), "corp.example");

    let id = SpiffeId::consumer("corp.example", "333").unwrap();
    let paths = pki.issue(&id).unwrap();
    assert_eq!(
        paths,
        IssuedPaths {
            cert: dir.path().join("consumer-333.pem"),
            key: dir.path().join("consumer-333.key"),
            ca: dir.path().join("ca.pem"),
        }
    );
    assert_eq!(pki.paths(&id), paths);
    let first = fs::read(&paths.cert).unwrap();
    pki.issue(&id).unwrap();
    assert_ne!(
        fs::read(&paths.cert).unwrap(),
        first,
        "re-issue replaces the leaf"
    );
    #[cfg(unix)]
    assert_eq!(mode(&paths.key), 0o600);

    let err = pki.issue(&SpiffeId::coordinator(TD).unwrap()).unwrap_err();
    assert!(matches!(err, Error::WrongTrustDomain { .. }), "{err:?}");
}

#[test]
fn open_of_an_empty_directory_names_the_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = Pki::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("trust-domain"), "{err}");
}

#[test]
fn material_debug_hides_the_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let id = SpiffeId::provider(TD, "111").unwrap();
    let pki = pki::init(dir.path(), TD, std::slice::from_ref(&id)).unwrap();
    let m = TlsMaterial::load(&pki.paths(&id).into()).unwrap();
    let debug = format!("{m:?}");
    assert!(!debug.contains("PRIVATE KEY"), "{debug}");
    let key_pem = fs::read_to_string(pki.paths(&id).key).unwrap();
    let body = key_pem.lines().nth(1).unwrap();
    assert!(!debug.contains(body), "{debug}");
    assert!(
        debug.contains("spiffe://crossbind.local/provider/111"),
        "{debug}"
    );
    assert!(debug.contains("[REDACTED]"), "{debug}");
}

#[test]
fn material_refuses_a_key_of_another_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::init(dir.path(), TD, &ids()).unwrap();
    let a = pki.paths(&ids()[0]);
    let b = pki.paths(&ids()[1]);
    let err = TlsMaterial::load(&TlsFiles {
        cert: a.cert,
        key: b.key,
        ca: a.ca,
    })
    .unwrap_err();
    assert!(matches!(err, Error::KeyMismatch { .. }), "{err:?}");
}

#[test]
fn material_errors_name_the_file_and_never_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::init(dir.path(), TD, &ids()).unwrap();
    let paths = pki.paths(&ids()[0]);

    let missing = dir.path().join("missing.pem");
    let err = TlsMaterial::load(&TlsFiles {
        cert: missing.clone(),
        key: paths.key.clone(),
        ca: paths.ca.clone(),
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot read certificate {}", missing.display())
    );

    // A certificate where the key should be: not a key, and its bytes are not echoed.
    let err = TlsMaterial::load(&TlsFiles {
        cert: paths.cert.clone(),
        key: paths.cert.clone(),
        ca: paths.ca.clone(),
    })
    .unwrap_err();
    assert!(matches!(err, Error::BadPrivateKey { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("BEGIN"), "{err:?}");

    let not_pem = dir.path().join("empty.pem");
    fs::write(&not_pem, "hello").unwrap();
    let err = TlsMaterial::load(&TlsFiles {
        cert: paths.cert,
        key: paths.key,
        ca: not_pem,
    })
    .unwrap_err();
    assert!(matches!(err, Error::NoCertificate { .. }), "{err:?}");
}

#[test]
fn tls_files_deserialize_from_toml() {
    let files: TlsFiles = toml::from_str(
        r#"
        cert = "/etc/crossbind/provider-111.pem"
        key = "/etc/crossbind/provider-111.key"
        ca = "/etc/crossbind/ca.pem"
        "#,
    )
    .unwrap();
    assert_eq!(
        files.key,
        std::path::Path::new("/etc/crossbind/provider-111.key")
    );
    let typo =
        toml::from_str::<TlsFiles>("cert = \"a\"\nkey = \"b\"\nca = \"c\"\ncacert = \"d\"\n");
    assert!(typo.is_err());
}

#[test]
fn a_missing_client_certificate_lists_the_clients_that_exist() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki::init(
        dir.path(),
        TD,
        &[
            SpiffeId::client(TD, "automation").unwrap(),
            SpiffeId::client(TD, "admin").unwrap(),
            SpiffeId::coordinator(TD).unwrap(),
        ],
    )
    .unwrap();
    let mut files: TlsFiles = pki
        .paths(&SpiffeId::client(TD, "automaton").unwrap())
        .into();
    let err = TlsMaterial::load(&files).unwrap_err();
    assert!(matches!(err, Error::NoClientCertificate { .. }), "{err:?}");
    let d = dir.path().display();
    assert_eq!(
        err.to_string(),
        format!(
            "no certificate for client `automaton` in {d} (clients there: admin, automation); \
             issue one with `crossbind pki issue {d} --client automaton`"
        )
    );

    // Without any client certificate next to it, the message says so.
    let empty = tempfile::tempdir().unwrap();
    files.cert = empty.path().join("client-ops.pem");
    let err = TlsMaterial::load(&files).unwrap_err().to_string();
    let expected = format!(
        "in {} (no client certificates there);",
        empty.path().display()
    );
    assert!(err.contains(&expected), "{err}");

    // Other missing certificates keep the plain read error.
    files.cert = dir.path().join("provider-111.pem");
    let err = TlsMaterial::load(&files).unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err:?}");
}
