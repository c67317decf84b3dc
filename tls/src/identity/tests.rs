//! Unit tests of SPIFFE id parsing, formatting and extraction from certificates.

use super::*;

fn reason_of(result: Result<SpiffeId>) -> String {
    match result {
        Err(Error::InvalidSpiffeId { reason, .. }) => reason,
        other => panic!("expected InvalidSpiffeId, got {other:?}"),
    }
}

fn cert_with_sans(sans: Vec<rcgen::SanType>) -> Vec<u8> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::default();
    params.subject_alt_names = sans;
    params.self_signed(&key).unwrap().der().to_vec()
}

fn uri(s: &str) -> rcgen::SanType {
    rcgen::SanType::URI(s.try_into().unwrap())
}

#[test]
fn round_trips_every_role() {
    let ids = [
        SpiffeId::coordinator("crossbind.local").unwrap(),
        SpiffeId::provider("crossbind.local", "1234567890123456").unwrap(),
        SpiffeId::consumer("example-1.org", "42").unwrap(),
        SpiffeId::client("td", "ops_bot.v-2").unwrap(),
    ];
    let uris = [
        "spiffe://crossbind.local/coordinator",
        "spiffe://crossbind.local/provider/1234567890123456",
        "spiffe://example-1.org/consumer/42",
        "spiffe://td/client/ops_bot.v-2",
    ];
    for (id, uri) in ids.iter().zip(uris) {
        assert_eq!(id.uri(), uri);
        assert_eq!(id.to_string(), uri);
        assert_eq!(&SpiffeId::parse(uri).unwrap(), id);
        assert_eq!(&uri.parse::<SpiffeId>().unwrap(), id);
    }
    assert_eq!(
        ids[1].role(),
        &PeerRole::Provider("1234567890123456".into())
    );
    assert_eq!(ids[1].role().account_uid(), Some("1234567890123456"));
    assert_eq!(ids[3].role().account_uid(), None);
    assert_eq!(ids[2].trust_domain(), "example-1.org");
}

#[test]
fn file_stems() {
    let td = "crossbind.local";
    assert_eq!(
        SpiffeId::coordinator(td).unwrap().file_stem(),
        "coordinator"
    );
    assert_eq!(
        SpiffeId::provider(td, "1").unwrap().file_stem(),
        "provider-1"
    );
    assert_eq!(
        SpiffeId::consumer(td, "2").unwrap().file_stem(),
        "consumer-2"
    );
    assert_eq!(
        SpiffeId::client(td, "cli").unwrap().file_stem(),
        "client-cli"
    );
}

#[test]
fn rejects_bad_uris_saying_why() {
    let cases = [
        ("http://crossbind.local/coordinator", "spiffe://"),
        ("spiffe://crossbind.local", "no path"),
        ("spiffe://crossbind.local/", "path must be"),
        ("spiffe://crossbind.local/coordinator/", "path must be"),
        ("spiffe://crossbind.local/admin", "path must be"),
        ("spiffe://crossbind.local/provider", "path must be"),
        ("spiffe://crossbind.local/provider/12a", "decimal digits"),
        ("spiffe://crossbind.local/consumer/", "UID is empty"),
        (
            "spiffe://crossbind.local/client/Bob",
            "client name contains 'B'",
        ),
        (
            "spiffe://crossbind.local/client/a b",
            "client name contains ' '",
        ),
        (
            "spiffe://Crossbind.local/coordinator",
            "trust domain contains 'C'",
        ),
        ("spiffe:///coordinator", "trust domain is empty"),
        ("spiffe://a..b/coordinator", "empty label"),
        ("spiffe://-a.b/coordinator", "starts or ends with '-'"),
        ("spiffe://crossbind.local:8443/coordinator", "port"),
        ("spiffe://user@crossbind.local/coordinator", "user info"),
        ("spiffe://crossbind.local/coordinator?x=1", "query"),
        ("spiffe://crossbind.local/coordinator#f", "fragment"),
    ];
    for (input, expected) in cases {
        let reason = reason_of(SpiffeId::parse(input));
        assert!(
            reason.contains(expected),
            "{input}: reason {reason:?} lacks {expected:?}"
        );
    }
}

#[test]
fn error_message_names_the_input() {
    let err = SpiffeId::parse("spiffe://crossbind.local/provider/x").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("spiffe://crossbind.local/provider/x"),
        "{message}"
    );
    assert!(message.contains("decimal digits"), "{message}");
}

#[test]
fn constructors_validate_parts() {
    assert!(SpiffeId::provider("crossbind.local", "").is_err());
    assert!(SpiffeId::consumer("crossbind.local", "1 2").is_err());
    assert!(SpiffeId::client("crossbind.local", "x/y").is_err());
    assert!(SpiffeId::client("crossbind.local", &"a".repeat(65)).is_err());
    assert!(SpiffeId::coordinator("").is_err());
    assert!(SpiffeId::coordinator("under_score.local").is_err());
}

#[test]
fn reads_the_one_spiffe_san() {
    let der = cert_with_sans(vec![
        rcgen::SanType::DnsName("ignored.example".try_into().unwrap()),
        uri("https://not-spiffe.example/"),
        uri("spiffe://crossbind.local/consumer/7"),
    ]);
    assert_eq!(
        spiffe_id_from_cert(&der).unwrap(),
        SpiffeId::consumer("crossbind.local", "7").unwrap()
    );
}

#[test]
fn refuses_certificates_without_exactly_one_spiffe_san() {
    let none = cert_with_sans(vec![uri("https://x.example/")]);
    assert!(matches!(spiffe_id_from_cert(&none), Err(Error::NoSpiffeId)));

    let empty = cert_with_sans(Vec::new());
    assert!(matches!(
        spiffe_id_from_cert(&empty),
        Err(Error::NoSpiffeId)
    ));

    let two = cert_with_sans(vec![
        uri("spiffe://crossbind.local/coordinator"),
        uri("SPIFFE://crossbind.local/client/x"),
    ]);
    let err = spiffe_id_from_cert(&two).unwrap_err();
    assert!(matches!(err, Error::ManySpiffeIds { count: 2 }), "{err:?}");
    assert!(err.to_string().contains("exactly one"), "{err}");

    let bad = cert_with_sans(vec![uri("spiffe://crossbind.local/root")]);
    assert!(matches!(
        spiffe_id_from_cert(&bad),
        Err(Error::InvalidSpiffeId { .. })
    ));

    assert!(matches!(
        spiffe_id_from_cert(b"not a certificate"),
        Err(Error::CertificateDer(_))
    ));
}
