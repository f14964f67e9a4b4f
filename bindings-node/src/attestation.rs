//! Keys, digests, DSSE envelopes and in-toto statements for Node.

use lockkeeper::attestation::{self as att, ProvenanceBuilder};
use lockkeeper::digest::{Algorithm, Digest};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::to_js;

/// A JSON document or payload given as a string or a Buffer.
pub(crate) fn bytes(data: Either<String, Buffer>) -> Vec<u8> {
    match data {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    }
}

pub(crate) fn parse_digest(env: &Env, text: &str) -> Result<Digest> {
    Digest::parse(text).map_err(|e| to_js(env, e.into()))
}

fn algorithm(name: Option<String>) -> Result<Algorithm> {
    let name = name.unwrap_or_else(|| "sha256".to_owned());
    Algorithm::from_name(&name)
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("unknown algorithm `{name}`")))
}

/// The digest (`sha256:<hex>`) of `data`.
#[napi]
pub fn digest(data: Buffer, algorithm_name: Option<String>) -> Result<String> {
    Ok(Digest::compute(algorithm(algorithm_name)?, &data).to_string())
}

/// The digest of a file's content, read in chunks.
#[napi]
pub fn digest_file(path: String, algorithm_name: Option<String>) -> Result<String> {
    let alg = algorithm(algorithm_name)?;
    let file = std::fs::File::open(&path)
        .map_err(|e| Error::new(Status::InvalidArg, format!("cannot read {path}: {e}")))?;
    Digest::compute_reader(alg, std::io::BufReader::new(file))
        .map(|d| d.to_string())
        .map_err(|e| Error::new(Status::InvalidArg, format!("cannot read {path}: {e}")))
}

/// A public key: ed25519, ECDSA P-256 / P-384 or RSA (>= 2048 bits). Two keys are the same
/// key (`equals`) when their material is, whatever their encoding.
#[napi]
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) inner: lockkeeper::keys::PublicKey,
}

#[napi]
impl PublicKey {
    /// From a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) or `RSA PUBLIC KEY` (PKCS#1) block,
    /// optionally restricted to one securesystemslib `scheme`.
    #[napi(factory)]
    pub fn from_pem(env: Env, text: String, scheme: Option<String>) -> Result<PublicKey> {
        let key = lockkeeper::keys::PublicKey::from_pem(&text)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_js(&env, e.into()))?;
        match scheme {
            None => Ok(key),
            Some(name) => key.with_scheme(env, name),
        }
    }

    /// From SubjectPublicKeyInfo DER bytes.
    #[napi(factory)]
    pub fn from_der(env: Env, data: Buffer) -> Result<PublicKey> {
        lockkeeper::keys::PublicKey::from_der(&data)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// From 64 hex characters.
    #[napi(factory)]
    pub fn from_hex(env: Env, text: String) -> Result<PublicKey> {
        lockkeeper::keys::PublicKey::from_hex(&text)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// From securesystemslib's key object (`keytype`, `scheme`, `keyval.public`).
    #[napi(factory)]
    pub fn from_securesystemslib(
        env: Env,
        #[napi(ts_arg_type = "Record<string, unknown>")] key: Value,
    ) -> Result<PublicKey> {
        lockkeeper::keys::PublicKey::from_securesystemslib(&key)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// From any form lockkeeper reads (PEM, securesystemslib JSON text, hex; DER as a Buffer).
    #[napi(factory)]
    pub fn parse(env: Env, data: Either<String, Buffer>) -> Result<PublicKey> {
        lockkeeper::keys::PublicKey::parse_bytes(&bytes(data))
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// The same key, verifying only with securesystemslib's `scheme` (which must fit the key).
    #[napi]
    pub fn with_scheme(&self, env: Env, scheme: String) -> Result<PublicKey> {
        let parsed = lockkeeper::keys::Scheme::from_name(&scheme).ok_or_else(|| {
            to_js(
                &env,
                lockkeeper::keys::KeyError::Unsupported(format!("scheme `{scheme}`")).into(),
            )
        })?;
        self.inner
            .clone()
            .with_scheme(parsed)
            .map(|inner| PublicKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// Whether `other` is the same key material.
    #[napi]
    pub fn equals(&self, other: &PublicKey) -> bool {
        self.inner == other.inner
    }

    /// securesystemslib's name of the scheme signatures are checked with.
    #[napi(getter)]
    pub fn scheme(&self) -> String {
        self.inner.scheme().name().to_owned()
    }

    /// securesystemslib's key id.
    #[napi(getter)]
    pub fn keyid(&self) -> String {
        self.inner.keyid().to_owned()
    }

    /// Every id the key is known by (current securesystemslib id first).
    #[napi(getter)]
    pub fn keyids(&self) -> Vec<String> {
        self.inner.keyids().to_vec()
    }

    /// PEM `PUBLIC KEY`.
    #[napi]
    pub fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// securesystemslib's key object.
    #[napi(ts_return_type = "Record<string, unknown>")]
    pub fn to_securesystemslib(&self) -> Value {
        self.inner.to_securesystemslib()
    }
}

/// A private key, ed25519 or ECDSA P-256.
#[napi]
pub struct SigningKey {
    pub(crate) inner: lockkeeper::keys::SigningKey,
}

#[napi]
impl SigningKey {
    /// A fresh key of `scheme` (`ed25519`, the default, or `ecdsa-p256`) from the operating
    /// system's random source.
    #[napi(factory)]
    pub fn generate(env: Env, scheme: Option<String>) -> Result<SigningKey> {
        let scheme = scheme.unwrap_or_else(|| "ed25519".to_owned());
        lockkeeper::keys::SigningScheme::from_name(&scheme)
            .and_then(lockkeeper::keys::SigningKey::generate_scheme)
            .map(|inner| SigningKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// The signing scheme (`ed25519` or `ecdsa-p256`).
    #[napi(getter)]
    pub fn scheme(&self) -> String {
        self.inner.scheme().name().to_owned()
    }

    /// From a PEM `PRIVATE KEY` (PKCS#8, ed25519 or P-256) or `EC PRIVATE KEY` (P-256).
    #[napi(factory)]
    pub fn from_pem(env: Env, text: String) -> Result<SigningKey> {
        lockkeeper::keys::SigningKey::from_pem(&text)
            .map(|inner| SigningKey { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// PEM `PRIVATE KEY` (PKCS#8): the secret.
    #[napi]
    pub fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// The public half.
    #[napi(getter)]
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.public_key().clone(),
        }
    }

    /// securesystemslib's key id of the public half.
    #[napi(getter)]
    pub fn keyid(&self) -> String {
        self.inner.keyid().to_owned()
    }
}

/// A DSSE envelope.
#[napi]
pub struct Envelope {
    inner: att::Envelope,
}

#[napi]
impl Envelope {
    /// Signs `payload` with each key (payload type in-toto by default).
    #[napi(factory)]
    pub fn sign(
        payload: Either<String, Buffer>,
        keys: Vec<&SigningKey>,
        payload_type: Option<String>,
    ) -> Envelope {
        let bytes = bytes(payload);
        let refs: Vec<&lockkeeper::keys::SigningKey> = keys.iter().map(|k| &k.inner).collect();
        let payload_type = payload_type.unwrap_or_else(|| att::IN_TOTO_PAYLOAD_TYPE.to_owned());
        Envelope {
            inner: att::Envelope::sign(&payload_type, &bytes, &refs),
        }
    }

    /// Reads envelope JSON.
    #[napi(factory)]
    pub fn from_json(env: Env, data: Either<String, Buffer>) -> Result<Envelope> {
        att::Envelope::from_json(&bytes(data))
            .map(|inner| Envelope { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// The JSON form (standard base64).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The payload bytes.
    #[napi(getter)]
    pub fn payload(&self) -> Buffer {
        self.inner.payload().to_vec().into()
    }

    /// The payload type.
    #[napi(getter)]
    pub fn payload_type(&self) -> String {
        self.inner.payload_type().to_owned()
    }

    /// The signatures' key id hints (null where a signature has none).
    #[napi(getter)]
    pub fn keyids(&self) -> Vec<Option<String>> {
        self.inner
            .signatures()
            .iter()
            .map(|s| s.keyid.clone())
            .collect()
    }

    /// Verifies with `keys` and a threshold of distinct keys; returns the key ids that verified
    /// or throws an Error with code `envelope/threshold-not-met`.
    #[napi]
    pub fn verify(
        &self,
        env: Env,
        keys: Vec<&PublicKey>,
        threshold: Option<f64>,
    ) -> Result<Vec<String>> {
        let threshold = crate::options::count(threshold.unwrap_or(1.0), "threshold")?;
        let keys: Vec<lockkeeper::keys::PublicKey> = keys.iter().map(|k| k.inner.clone()).collect();
        self.inner
            .verify(&keys, threshold)
            .map(|v| v.keyids)
            .map_err(|e| to_js(&env, e.into()))
    }
}

/// One envelope's outcome in `verifyEnvelopes`.
#[napi(object)]
pub struct EnvelopeVerification {
    /// Whether the envelope met the threshold.
    pub verified: bool,
    /// Key ids of the distinct trusted keys that verified a signature.
    pub keyids: Vec<String>,
    /// The rule code when it did not verify (`envelope/threshold-not-met`).
    pub code: Option<String>,
    /// Why it did not verify.
    pub message: Option<String>,
}

/// Verifies each envelope with `keys` and a threshold of distinct keys (default 1), batching
/// ed25519 signatures; item `i` is what `envelopes[i].verify(keys, threshold)` returns or
/// throws, so one bad envelope does not hide the others.
#[napi]
pub fn verify_envelopes(
    envelopes: Vec<&Envelope>,
    keys: Vec<&PublicKey>,
    threshold: Option<f64>,
) -> Result<Vec<EnvelopeVerification>> {
    let threshold = crate::options::count(threshold.unwrap_or(1.0), "threshold")?;
    let keys: Vec<lockkeeper::keys::PublicKey> = keys.iter().map(|k| k.inner.clone()).collect();
    let envelopes: Vec<&att::Envelope> = envelopes.iter().map(|e| &e.inner).collect();
    Ok(att::verify_many(&envelopes, &keys, threshold)
        .into_iter()
        .map(|r| match r {
            Ok(v) => EnvelopeVerification {
                verified: true,
                keyids: v.keyids,
                code: None,
                message: None,
            },
            Err(e) => EnvelopeVerification {
                verified: false,
                keyids: e.keyids().to_vec(),
                message: Some(e.to_string()),
                code: Some(lockkeeper::Error::from(e).code().as_str().to_owned()),
            },
        })
        .collect())
}

/// Where a provenance statement says the build came from.
#[napi(object)]
pub struct ProvenanceOptions {
    /// Source repository URI.
    pub source: Option<String>,
    /// Git ref.
    #[napi(js_name = "ref")]
    pub git_ref: Option<String>,
    /// Commit.
    pub commit: Option<String>,
    /// Build type URI.
    pub build_type: Option<String>,
}

/// An in-toto Statement.
#[napi]
pub struct Statement {
    inner: att::Statement,
}

impl From<att::Statement> for Statement {
    fn from(inner: att::Statement) -> Self {
        Statement { inner }
    }
}

#[napi]
impl Statement {
    /// Reads statement JSON.
    #[napi(factory)]
    pub fn from_json(env: Env, data: Either<String, Buffer>) -> Result<Statement> {
        att::Statement::from_json(&bytes(data))
            .map(|inner| Statement { inner })
            .map_err(|e| to_js(&env, e.into()))
    }

    /// A SLSA Provenance v1 statement for artifacts (`[[name, "sha256:..."]]`) built by `builder`.
    #[napi(factory)]
    pub fn provenance(
        env: Env,
        builder: String,
        subjects: Vec<(String, String)>,
        #[napi(ts_arg_type = "ProvenanceOptions | undefined | null")] options: Option<Object<'_>>,
    ) -> Result<Statement> {
        let mut b = ProvenanceBuilder::new(&builder);
        let options: Option<ProvenanceOptions> = options
            .map(|o| crate::options::strict(o, "options", crate::options::PROVENANCE_OPTIONS))
            .transpose()?;
        let options = options.unwrap_or(ProvenanceOptions {
            source: None,
            git_ref: None,
            commit: None,
            build_type: None,
        });
        if let Some(t) = &options.build_type {
            b = b.build_type(t);
        }
        for (name, digest) in subjects {
            b = b.subject(&name, parse_digest(&env, &digest)?);
        }
        if let Some(s) = &options.source {
            b = b.source(s, options.git_ref.as_deref(), options.commit.as_deref());
        }
        Ok(Statement { inner: b.build() })
    }

    /// The JSON form (the bytes to sign).
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// `_type`.
    #[napi(getter)]
    pub fn statement_type(&self) -> String {
        self.inner.statement_type().to_owned()
    }

    /// `predicateType`.
    #[napi(getter)]
    pub fn predicate_type(&self) -> String {
        self.inner.predicate_type().to_owned()
    }

    /// The predicate.
    #[napi(getter, ts_return_type = "Record<string, unknown>")]
    pub fn predicate(&self) -> Value {
        self.inner.predicate().clone()
    }

    /// The subjects.
    #[napi(
        getter,
        ts_return_type = "Array<{ name?: string; digest: Record<string, string> }>"
    )]
    pub fn subjects(&self) -> Value {
        Value::Array(
            self.inner
                .subjects()
                .iter()
                .map(|s| serde_json::json!({"name": s.name, "digest": s.digest}))
                .collect(),
        )
    }

    /// Whether some subject is the artifact `digest` names.
    #[napi]
    pub fn covers(&self, env: Env, digest: String) -> Result<bool> {
        Ok(self.inner.covers(&parse_digest(&env, &digest)?))
    }
}
