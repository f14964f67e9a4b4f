//! The deploy gate for Node: `policy.promote(...)` and `policy.deployRequest(...)`.

use lockkeeper::promotion::{
    Approval, DeployOutcome as CoreOutcome, DeployRequest, Evidence, parse_time, parse_version,
};
use napi::JsDate;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::attestation::{Statement, bytes, parse_digest};
use crate::decision::Decision;
use crate::error::to_js;
use crate::options;

/// An approval of the change.
#[napi(object)]
pub struct ApprovalInput {
    /// Who approved.
    pub principal: String,
    /// When: an RFC 3339 string or a `Date`.
    pub at: Option<Either<String, JsDate<'static>>>,
}

/// A time from JavaScript: an RFC 3339 string or a `Date`. The date is only read during the
/// call that received it, so no JavaScript value outlives its scope.
pub type Time = Either<String, JsDate<'static>>;

/// Converts a time once into the typed time the core takes; a string that is not RFC 3339 or
/// an invalid `Date` is an `InvalidRequestError` with code `input/invalid-time`.
fn time(env: &Env, value: Time, what: &str) -> Result<jiff::Timestamp> {
    match value {
        Either::A(text) => parse_time(&text).map_err(|e| to_js(env, e)),
        Either::B(date) => from_millis(env, date.value_of()?, what),
    }
}

/// A `Date`'s value (milliseconds since the epoch) as a time; NaN (an invalid `Date`) or a
/// value out of range is an `InvalidRequestError` with code `input/invalid-time`.
pub(crate) fn from_millis(env: &Env, ms: f64, what: &str) -> Result<jiff::Timestamp> {
    let invalid = |message: String| {
        crate::error::js_error(
            env,
            "InvalidRequestError",
            lockkeeper::rule::codes::INPUT_INVALID_TIME.as_str(),
            message,
            serde_json::Value::Null,
        )
    };
    if !ms.is_finite() {
        return Err(invalid(format!("{what} is an invalid Date")));
    }
    // A Date holds whole milliseconds within +-8.64e15, which i64 and jiff both hold.
    jiff::Timestamp::from_millisecond(ms as i64)
        .map_err(|e| invalid(format!("{what} is out of range: {e}")))
}

/// A gate call (`promote` or `deployRequest`, which take the same request): the request
/// converted once, one core call, the outcome converted.
pub(crate) fn gate(
    env: &Env,
    policy: &lockkeeper::Policy,
    request: Object<'_>,
    decide: fn(
        &lockkeeper::Policy,
        &DeployRequest,
    ) -> std::result::Result<CoreOutcome, lockkeeper::Error>,
) -> Result<DeployOutcome> {
    let request = self::request(env, request)?;
    decide(policy, &request)
        .map(DeployOutcome::from)
        .map_err(|e| to_js(env, e))
}

/// A promotion or deploy request.
#[napi(object)]
pub struct GateRequest {
    /// The artifact's digest.
    pub artifact: String,
    /// Target environment.
    pub to: String,
    /// Who asks.
    pub by: String,
    /// DSSE envelopes (JSON strings or Buffers).
    pub evidence: Option<Vec<Either<String, Buffer>>>,
    /// Approvals of the change.
    pub approvals: Option<Vec<ApprovalInput>>,
    /// The change's author.
    pub author: Option<String>,
    /// The artifact's semantic version.
    pub version: Option<String>,
    /// The last version the environment received.
    pub last_version: Option<String>,
    /// The decision time: an RFC 3339 string or a `Date` (default: now).
    pub at: Option<Either<String, JsDate<'static>>>,
    /// Project, for scoped bindings.
    pub project: Option<String>,
    /// Git ref, for scoped bindings.
    #[napi(js_name = "ref")]
    pub git_ref: Option<String>,
    /// A declared rollback.
    pub rollback: Option<bool>,
    /// An emergency override of freeze windows.
    pub emergency: Option<bool>,
    /// OCI image layout directories, for environments that require the image policy.
    pub images: Option<Vec<String>>,
}

/// A gate request read strictly (see `options`), as the core's request.
pub(crate) fn request(env: &Env, r: Object<'_>) -> Result<DeployRequest> {
    let r: GateRequest = options::strict_nested(
        r,
        "request",
        options::GATE_REQUEST,
        &[("approvals", "approval", options::APPROVAL_INPUT)],
    )?;
    let images = r
        .images
        .unwrap_or_default()
        .iter()
        .map(|dir| crate::image::read_layout(dir))
        .collect::<Result<Vec<_>>>()?;
    let approvals = r
        .approvals
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            let at =
                a.at.map(|t| time(env, t, "an approval's `at`"))
                    .transpose()?;
            Ok(Approval::new(a.principal, at))
        })
        .collect::<Result<Vec<_>>>()?;
    let version_of = |text: Option<String>| {
        text.as_deref()
            .map(parse_version)
            .transpose()
            .map_err(|e| to_js(env, e))
    };
    // Each field is read into its type once; without `at` the core decides at the present.
    let mut request = DeployRequest::new(r.by, parse_digest(env, &r.artifact)?, r.to)
        .with_evidence(Evidence::numbered(
            r.evidence.unwrap_or_default().into_iter().map(bytes),
        ))
        .with_approvals(approvals)
        .with_rollback(r.rollback.unwrap_or(false))
        .with_emergency(r.emergency.unwrap_or(false))
        .with_images(images);
    request.version = version_of(r.version)?;
    request.last_version = version_of(r.last_version)?;
    request.at = r.at.map(|at| time(env, at, "`at`")).transpose()?;
    request.author = r.author;
    request.project = r.project;
    request.git_ref = r.git_ref;
    Ok(request)
}

/// A secret the deploy service may now use.
#[napi(object)]
pub struct ReleasedSecret {
    /// The secret's name.
    pub name: String,
    /// The zone it is released to.
    pub zone: String,
}

/// Evidence the gate did not use, and why.
#[napi(object)]
pub struct IgnoredEvidence {
    /// `evidence[i]`: its position in `request.evidence`.
    pub evidence: String,
    /// Why it was ignored.
    pub why: String,
}

/// The gate's answer.
#[napi]
pub struct DeployOutcome {
    inner: CoreOutcome,
}

impl From<CoreOutcome> for DeployOutcome {
    fn from(inner: CoreOutcome) -> Self {
        DeployOutcome { inner }
    }
}

#[napi]
impl DeployOutcome {
    /// Allow or deny, with every failed rule.
    #[napi(getter)]
    pub fn decision(&self) -> Decision {
        self.inner.decision.clone().into()
    }

    /// Shorthand for `decision.allowed`.
    #[napi(getter)]
    pub fn allowed(&self) -> bool {
        self.inner.decision.allowed()
    }

    /// On an allowed deploy: the secrets released and to which zone.
    #[napi(getter)]
    pub fn released_secrets(&self) -> Vec<ReleasedSecret> {
        self.inner
            .released_secrets
            .iter()
            .map(|s| ReleasedSecret {
                name: s.name.clone(),
                zone: s.zone.clone(),
            })
            .collect()
    }

    /// On allow: the promotion record to sign with the deploy service's key.
    #[napi(getter)]
    pub fn promotion_record(&self) -> Option<Statement> {
        self.inner.promotion_record.clone().map(Statement::from)
    }

    /// Evidence not used (unreadable, untrusted, not in-toto), on allow as on deny.
    #[napi(getter)]
    pub fn evidence_ignored(&self) -> Vec<IgnoredEvidence> {
        self.inner
            .evidence_ignored
            .iter()
            .map(|e| IgnoredEvidence {
                evidence: e.evidence.clone(),
                why: e.why.clone(),
            })
            .collect()
    }

    /// The machine form as an object (used by `JSON.stringify`).
    #[napi(js_name = "toJSON", ts_return_type = "Record<string, unknown>")]
    pub fn to_json_value(&self) -> Value {
        self.inner.to_json_value()
    }

    /// The explanation for people, with the secrets released and the evidence ignored.
    #[napi(js_name = "toString")]
    pub fn to_text(&self) -> String {
        self.inner.to_string()
    }
}
