//! Keys of every kind a manifest takes, generated for tests (and the
//! demo), with their SPKI and signatures.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair, RSA_PKCS1_SHA256, RsaKeyPair,
};
use base64::Engine as _;

use super::keys::KeyKind;

/// A key pair of one kind.
pub enum TestKey {
    Ecdsa(EcdsaKeyPair, Vec<u8>),
    Ed25519(Ed25519KeyPair, Vec<u8>),
    Rsa(RsaKeyPair, Vec<u8>),
}

impl TestKey {
    pub fn generate(kind: KeyKind) -> TestKey {
        match kind {
            KeyKind::P256 | KeyKind::P384 => {
                let alg = if kind == KeyKind::P256 {
                    &ECDSA_P256_SHA256_ASN1_SIGNING
                } else {
                    &ECDSA_P384_SHA384_ASN1_SIGNING
                };
                let k = EcdsaKeyPair::generate(alg).expect("an ECDSA key");
                let spki = k.public_key().as_der().expect("SPKI").as_ref().to_vec();
                TestKey::Ecdsa(k, spki)
            }
            KeyKind::Ed25519 => {
                let k = Ed25519KeyPair::generate().expect("an Ed25519 key");
                let spki = k.public_key().as_der().expect("SPKI").as_ref().to_vec();
                TestKey::Ed25519(k, spki)
            }
            KeyKind::Rsa => {
                let k = RsaKeyPair::generate(KeySize::Rsa2048).expect("an RSA key");
                let spki = k.public_key().as_der().expect("SPKI").as_ref().to_vec();
                TestKey::Rsa(k, spki)
            }
        }
    }

    pub fn spki(&self) -> &[u8] {
        match self {
            TestKey::Ecdsa(_, s) | TestKey::Ed25519(_, s) | TestKey::Rsa(_, s) => s,
        }
    }

    /// Standard base64 of the DER.
    pub fn base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.spki())
    }

    /// `BEGIN PUBLIC KEY` PEM, 64 columns.
    pub fn pem(&self) -> String {
        let b64 = self.base64();
        let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            TestKey::Ecdsa(k, _) => k.sign(&rng, message).expect("signs").as_ref().to_vec(),
            TestKey::Ed25519(k, _) => k.sign(message).as_ref().to_vec(),
            TestKey::Rsa(k, _) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .expect("signs");
                sig
            }
        }
    }
}

/// A three-party computation for tests and the demo: an algorithm key, a
/// dataset key per dataset, the manifest, and a signed record.
pub struct Fixture {
    pub algorithm: TestKey,
    pub datasets: Vec<TestKey>,
    pub manifest: String,
    /// The one dataset's key is the algorithm's (see [`Fixture::one_key`]).
    pub shared: bool,
}

/// A payee to declare: role, DID, dataset index, share.
pub type Declare<'a> = (super::Role, Option<&'a str>, Option<u64>, Option<u64>);

impl Fixture {
    /// One party holds both the algorithm and the one dataset under the
    /// same key: its proofs differ only by role.
    pub fn one_key(kind: KeyKind) -> Fixture {
        let algorithm = TestKey::generate(kind);
        let manifest = manifest(&algorithm, &[&algorithm]);
        Fixture {
            algorithm,
            datasets: Vec::new(),
            manifest,
            shared: true,
        }
    }

    pub fn new(algorithm: KeyKind, datasets: &[KeyKind]) -> Fixture {
        let algorithm = TestKey::generate(algorithm);
        let datasets: Vec<TestKey> = datasets.iter().map(|k| TestKey::generate(*k)).collect();
        let manifest = manifest(&algorithm, &datasets.iter().collect::<Vec<_>>());
        Fixture {
            algorithm,
            datasets,
            manifest,
            shared: false,
        }
    }

    pub fn hash(&self) -> String {
        super::manifest::checksum(&self.manifest)
    }

    /// The key proof of `did` as the `role` payee (`index` for data).
    pub fn proof(&self, role: super::Role, index: u64, did: &str) -> String {
        let msg = super::terms::proof_message(&self.hash(), role, index, did);
        let key = match role {
            // A dataset the manifest lacks: any key (the check refuses the
            // index before the proof).
            super::Role::Data if self.shared => &self.algorithm,
            super::Role::Data => usize::try_from(index)
                .ok()
                .and_then(|i| self.datasets.get(i))
                .unwrap_or(&self.algorithm),
            _ => &self.algorithm,
        };
        base64::engine::general_purpose::STANDARD.encode(key.sign(msg.as_bytes()))
    }

    /// A `dev.settlement.computation` value declaring `payees` with valid
    /// key proofs.
    pub fn record(
        &self,
        whole: u64,
        payees: &[Declare<'_>],
        created_at: &str,
    ) -> crate::records::json::Value {
        use crate::records::json::{Map, Value};
        let list = payees
            .iter()
            .map(|(role, did, dataset, share)| {
                let mut p = Map::new();
                p.insert("role".into(), role.as_str().into());
                if let Some(did) = did {
                    p.insert("did".into(), (*did).into());
                }
                if let Some(d) = dataset {
                    p.insert("dataset".into(), (*d).into());
                }
                if let Some(s) = share {
                    p.insert("share".into(), (*s).into());
                }
                if *role != super::Role::Compute
                    && let Some(did) = did
                {
                    p.insert(
                        "keyProof".into(),
                        self.proof(*role, dataset.unwrap_or(0), did).into(),
                    );
                }
                Value::Object(p)
            })
            .collect();
        let mut m = Map::new();
        m.insert("$type".into(), super::NSID_COMPUTATION.into());
        m.insert("manifest".into(), self.manifest.as_str().into());
        m.insert("manifestHash".into(), self.hash().into());
        m.insert("whole".into(), whole.into());
        m.insert("payees".into(), Value::Array(list));
        m.insert("createdAt".into(), created_at.into());
        Value::Object(m)
    }
}

/// A manifest as compact JSON in the documented field order, naming the
/// keys of the datasets and of the algorithm.
fn manifest(algorithm: &TestKey, datasets: &[&TestKey]) -> String {
    use crate::records::json::{Map, Value, to_canonical_string};
    let asset = |k: &TestKey, fill: &str| {
        let mut o = Map::new();
        o.insert("hash".into(), fill.repeat(64).into());
        o.insert("userKey".into(), k.pem().into());
        to_canonical_string(&Value::Object(o))
    };
    let datasets: Vec<String> = datasets.iter().map(|d| asset(d, "d")).collect();
    format!(
        r#"{{"id":"1","name":"sample computation","description":"sample description","datasets":[{}],"algorithm":{}}}"#,
        datasets.join(","),
        asset(algorithm, "a")
    )
}
