//! Records: strict JSON, canonical form, CIDs, lexicon validation and the
//! typed records the rest of the engine works with ("parse, don't
//! validate": a `Record<Receipt>` exists only if the JSON was valid).

pub mod car;
pub mod cbor;
pub mod cid;
pub mod formats;
pub mod json;
pub mod lexicon;

use cid::Cid;
use formats::{AtUri, Datetime};
use json::{Map, Value};
use lexicon::{Lexicons, ValidationError};

pub const NSID_JOB: &str = "dev.cocore.compute.job";
pub const NSID_RECEIPT: &str = "dev.cocore.compute.receipt";
pub const NSID_ATTESTATION: &str = "dev.cocore.compute.attestation";
pub const NSID_AUTHORIZATION: &str = "dev.cocore.compute.paymentAuthorization";
pub const NSID_SETTLEMENT: &str = "dev.cocore.compute.settlement";
pub const NSID_DISPUTE: &str = "dev.cocore.compute.dispute";

/// A record as it arrives: the URI it claims, optionally the CID it claims,
/// and its JSON content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRecord {
    pub uri: String,
    pub cid: Option<String>,
    pub value: Value,
}

/// A record that passed its lexicon, with its identity.
#[derive(Clone, Debug)]
pub struct Record<T> {
    pub uri: AtUri,
    /// Computed from `value`, never taken on trust.
    pub cid: Cid,
    pub value: Value,
    pub data: T,
}

impl<T> Record<T> {
    /// The DID whose repository holds this record.
    pub fn owner(&self) -> &str {
        self.uri.did()
    }
    pub fn strong_ref(&self) -> StrongRef {
        StrongRef {
            uri: self.uri.clone(),
            cid: self.cid,
        }
    }
}

/// Why a raw record could not become a `Record<T>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("{root}: declared CID {declared} does not match the record's content (CID {computed})")]
    CidMismatch {
        root: String,
        declared: String,
        computed: Cid,
    },
}

/// A record type the engine reads.
pub trait RecordType: Sized {
    const NSID: &'static str;
    /// Builds the typed view of a value that already passed the lexicon.
    fn from_value(obj: &Obj<'_>) -> Result<Self, ValidationError>;
}

/// Parses and validates `raw` as a `T`; `root` names it in errors.
pub fn parse_record<T: RecordType>(raw: &RawRecord, root: &str) -> Result<Record<T>, RecordError> {
    let uri = AtUri::parse(&raw.uri).ok_or_else(|| {
        ValidationError::new(
            format!("{root}.uri"),
            "must be an AT URI of a record (at://DID/COLLECTION/RKEY)",
        )
    })?;
    if uri.collection() != T::NSID {
        return Err(ValidationError::new(
            format!("{root}.uri"),
            format!("collection must be {}", T::NSID),
        )
        .into());
    }
    Lexicons::builtin().validate_record(T::NSID, &raw.value, root)?;
    let obj = Obj::new(&raw.value, root.to_owned())?;
    let data = T::from_value(&obj)?;
    let cid = Cid::for_record(&raw.value).map_err(|e| ValidationError::new(root, e.to_string()))?;
    if let Some(declared) = &raw.cid
        && Cid::parse(declared).ok() != Some(cid)
    {
        return Err(RecordError::CidMismatch {
            root: root.to_owned(),
            declared: declared.clone(),
            computed: cid,
        });
    }
    Ok(Record {
        uri,
        cid,
        value: raw.value.clone(),
        data,
    })
}

/// `{amount, currency}` in integer minor units.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    pub amount: u64,
    pub currency: String,
}

/// `{uri, cid}`: one version of one record.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StrongRef {
    pub uri: AtUri,
    pub cid: Cid,
}

/// 64 lowercase hex characters (a SHA-256).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Commitment(String);

impl Commitment {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// 32 lowercase hex characters (16 random bytes).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nonce(String);

impl Nonce {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[derive(Clone, Debug)]
pub struct Job {
    pub model: String,
    pub input_commitment: Commitment,
    pub max_tokens_out: u64,
    pub price_ceiling: Money,
    pub payment_authorization: StrongRef,
    pub nonce: Nonce,
    pub expires_at: Datetime,
    pub created_at: Datetime,
    pub accepted_providers: Option<Vec<String>>,
    pub accepted_exchanges: Option<Vec<String>>,
    /// The lowest provider trust level the requester accepts.
    pub accepted_trust_level: String,
    /// A computation whose terms split the charge (or refuse it).
    pub computation: Option<StrongRef>,
}

impl RecordType for Job {
    const NSID: &'static str = NSID_JOB;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        Ok(Job {
            model: o.str("model")?.to_owned(),
            input_commitment: o.commitment("inputCommitment")?,
            max_tokens_out: o.u64("maxTokensOut")?,
            price_ceiling: o.money("priceCeiling")?,
            payment_authorization: o.strong_ref("paymentAuthorization")?,
            nonce: o.nonce("nonce")?,
            expires_at: o.datetime("expiresAt")?,
            created_at: o.datetime("createdAt")?,
            accepted_providers: o.opt_str_list("acceptedProviders")?,
            accepted_trust_level: o.str("acceptedTrustLevel")?.to_owned(),
            accepted_exchanges: o.opt_str_list("acceptedExchanges")?,
            computation: o.opt_strong_ref("computation")?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct TokenCounts {
    pub input: u64,
    pub output: u64,
}

#[derive(Clone, Debug)]
pub struct Receipt {
    pub job: StrongRef,
    pub requester: String,
    pub model: String,
    pub input_commitment: Commitment,
    pub output_commitment: Commitment,
    pub tokens: TokenCounts,
    pub started_at: Datetime,
    pub completed_at: Datetime,
    pub price: Money,
    pub attestation: StrongRef,
    /// Standard base64 of a DER signature; decoded by `verify`.
    pub enclave_signature: String,
    pub pro_bono: bool,
}

impl RecordType for Receipt {
    const NSID: &'static str = NSID_RECEIPT;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        // Optional commitments are covered by the signature; they must still
        // be well-formed so that a requester can compare them.
        for name in [
            "outputCipherCommitment",
            "reasoningCommitment",
            "sessionKeyCommitment",
        ] {
            if o.has(name) {
                o.commitment(name)?;
            }
        }
        let tokens = o.obj("tokens")?;
        Ok(Receipt {
            job: o.strong_ref("job")?,
            requester: o.str("requester")?.to_owned(),
            model: o.str("model")?.to_owned(),
            input_commitment: o.commitment("inputCommitment")?,
            output_commitment: o.commitment("outputCommitment")?,
            tokens: TokenCounts {
                input: tokens.u64("in")?,
                output: tokens.u64("out")?,
            },
            started_at: o.datetime("startedAt")?,
            completed_at: o.datetime("completedAt")?,
            price: o.money("price")?,
            attestation: o.strong_ref("attestation")?,
            enclave_signature: o.str("enclaveSignature")?.to_owned(),
            pro_bono: o.opt_bool("proBono")?.unwrap_or(false),
        })
    }
}

#[derive(Clone, Debug)]
pub struct Attestation {
    /// Standard base64 of X||Y; decoded by `verify`.
    pub public_key: String,
    pub self_signature: String,
    pub attested_at: Datetime,
    pub expires_at: Datetime,
}

impl RecordType for Attestation {
    const NSID: &'static str = NSID_ATTESTATION;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        Ok(Attestation {
            public_key: o.str("publicKey")?.to_owned(),
            self_signature: o.str("selfSignature")?.to_owned(),
            attested_at: o.datetime("attestedAt")?,
            expires_at: o.datetime("expiresAt")?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct PaymentAuthorization {
    pub exchange: String,
    pub ceiling: Money,
    /// As published. The lexicon leaves the set open; charging accepts only
    /// the values `verify::Scope` knows and refuses the rest.
    pub scope: String,
    pub session_budget: Option<Money>,
    pub nonce: Nonce,
    pub expires_at: Datetime,
    pub created_at: Datetime,
}

impl RecordType for PaymentAuthorization {
    const NSID: &'static str = NSID_AUTHORIZATION;
    fn from_value(o: &Obj<'_>) -> Result<Self, ValidationError> {
        Ok(PaymentAuthorization {
            exchange: o.str("exchange")?.to_owned(),
            ceiling: o.money("ceiling")?,
            scope: o.str("scope")?.to_owned(),
            session_budget: if o.has("sessionBudget") {
                Some(o.money("sessionBudget")?)
            } else {
                None
            },
            nonce: o.nonce("nonce")?,
            expires_at: o.datetime("expiresAt")?,
            created_at: o.datetime("createdAt")?,
        })
    }
}

/// Typed access to a validated object, with error paths.
pub struct Obj<'a> {
    map: &'a Map,
    path: String,
}

impl<'a> Obj<'a> {
    pub fn new(v: &'a Value, path: String) -> Result<Obj<'a>, ValidationError> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(ValidationError::new(path, "must be an object")),
        }
    }
    fn at(&self, k: &str) -> String {
        format!("{}.{k}", self.path)
    }
    pub fn has(&self, k: &str) -> bool {
        self.map.contains_key(k)
    }
    fn get(&self, k: &str) -> Result<&'a Value, ValidationError> {
        self.map
            .get(k)
            .ok_or_else(|| ValidationError::new(self.at(k), "is required"))
    }
    pub fn str(&self, k: &str) -> Result<&'a str, ValidationError> {
        self.get(k)?
            .as_str()
            .ok_or_else(|| ValidationError::new(self.at(k), "must be a string"))
    }
    pub fn u64(&self, k: &str) -> Result<u64, ValidationError> {
        self.get(k)?
            .as_int()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| ValidationError::new(self.at(k), "must be an integer >= 0"))
    }
    pub fn opt_bool(&self, k: &str) -> Result<Option<bool>, ValidationError> {
        match self.map.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ValidationError::new(self.at(k), "must be a boolean")),
        }
    }
    pub fn obj(&self, k: &str) -> Result<Obj<'a>, ValidationError> {
        Obj::new(self.get(k)?, self.at(k))
    }
    pub fn datetime(&self, k: &str) -> Result<Datetime, ValidationError> {
        Datetime::parse(self.str(k)?)
            .ok_or_else(|| ValidationError::new(self.at(k), "must be an RFC 3339 datetime"))
    }
    pub fn money(&self, k: &str) -> Result<Money, ValidationError> {
        let m = self.obj(k)?;
        Ok(Money {
            amount: m.u64("amount")?,
            currency: m.str("currency")?.to_owned(),
        })
    }
    pub fn strong_ref(&self, k: &str) -> Result<StrongRef, ValidationError> {
        let r = self.obj(k)?;
        let uri = AtUri::parse(r.str("uri")?).ok_or_else(|| {
            ValidationError::new(
                r.at("uri"),
                "must be an AT URI of a record (at://DID/COLLECTION/RKEY)",
            )
        })?;
        let cid = Cid::parse(r.str("cid")?)
            .map_err(|e| ValidationError::new(r.at("cid"), e.to_string()))?;
        Ok(StrongRef { uri, cid })
    }
    pub fn commitment(&self, k: &str) -> Result<Commitment, ValidationError> {
        let s = self.str(k)?;
        if !is_lower_hex(s, 64) {
            return Err(ValidationError::new(
                self.at(k),
                "must be 64 lowercase hex characters",
            ));
        }
        Ok(Commitment(s.to_owned()))
    }
    pub fn nonce(&self, k: &str) -> Result<Nonce, ValidationError> {
        let s = self.str(k)?;
        if !is_lower_hex(s, 32) {
            return Err(ValidationError::new(
                self.at(k),
                "must be 32 lowercase hex characters",
            ));
        }
        Ok(Nonce(s.to_owned()))
    }
    pub fn opt_str(&self, k: &str) -> Result<Option<&'a str>, ValidationError> {
        match self.map.get(k) {
            None => Ok(None),
            Some(_) => self.str(k).map(Some),
        }
    }
    pub fn opt_u64(&self, k: &str) -> Result<Option<u64>, ValidationError> {
        match self.map.get(k) {
            None => Ok(None),
            Some(_) => self.u64(k).map(Some),
        }
    }
    pub fn opt_strong_ref(&self, k: &str) -> Result<Option<StrongRef>, ValidationError> {
        match self.map.get(k) {
            None => Ok(None),
            Some(_) => self.strong_ref(k).map(Some),
        }
    }
    /// An array of objects, each with its path.
    pub fn objs(&self, k: &str) -> Result<Vec<Obj<'a>>, ValidationError> {
        let Value::Array(items) = self.get(k)? else {
            return Err(ValidationError::new(self.at(k), "must be an array"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, x)| Obj::new(x, format!("{}[{i}]", self.at(k))))
            .collect()
    }
    pub fn opt_str_list(&self, k: &str) -> Result<Option<Vec<String>>, ValidationError> {
        let Some(v) = self.map.get(k) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(ValidationError::new(self.at(k), "must be an array"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_str().map(str::to_owned).ok_or_else(|| {
                    ValidationError::new(format!("{}[{i}]", self.at(k)), "must be a string")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
