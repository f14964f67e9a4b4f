//! `Policy`: load from a file or text, then ask it questions.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::attestation::{bytes, parse_digest};
use crate::decision::Decision;
use crate::error::{policy_error, to_js};
use crate::options;
use crate::promotion::{self, DeployOutcome};

/// Where a request is made; every part is optional.
#[napi(object)]
#[derive(Default)]
pub struct Scope {
    /// Project or repository.
    pub project: Option<String>,
    /// Git ref.
    #[napi(js_name = "ref")]
    pub git_ref: Option<String>,
    /// Target environment.
    pub environment: Option<String>,
}

impl From<Scope> for lockkeeper::Scope {
    fn from(s: Scope) -> Self {
        lockkeeper::Scope {
            project: s.project,
            git_ref: s.git_ref,
            environment: s.environment,
        }
    }
}

/// Options of an approval check.
#[napi(object)]
pub struct ApprovalOptions {
    /// How many distinct qualified approvers are needed (a whole number).
    pub required: f64,
    /// The change's author (excluded under separation of duties).
    pub author: Option<String>,
    /// The role approvers must hold (default: any role granting `approve`).
    pub role: Option<String>,
    /// Project or repository.
    pub project: Option<String>,
    /// Git ref.
    #[napi(js_name = "ref")]
    pub git_ref: Option<String>,
    /// Target environment.
    pub environment: Option<String>,
}

/// A validated policy.
#[napi]
pub struct Policy {
    pub(crate) inner: lockkeeper::Policy,
}

#[napi]
impl Policy {
    /// Reads a policy file (YAML or JSON, by extension or content).
    #[napi(factory)]
    pub fn from_file(env: Env, path: String) -> Result<Policy> {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::new(Status::InvalidArg, format!("cannot read {path}: {e}")))?;
        let format = lockkeeper::Format::for_path(&path, &text);
        lockkeeper::Policy::parse(&text, format)
            .map(|inner| Policy { inner })
            .map_err(|p| policy_error(&env, p, &path))
    }

    /// Reads a policy from YAML text.
    #[napi(factory)]
    pub fn from_yaml(env: Env, text: String) -> Result<Policy> {
        lockkeeper::Policy::from_yaml(&text)
            .map(|inner| Policy { inner })
            .map_err(|p| policy_error(&env, p, "<yaml>"))
    }

    /// Reads a policy from JSON text.
    #[napi(factory)]
    pub fn from_json(env: Env, text: String) -> Result<Policy> {
        lockkeeper::Policy::from_json(&text)
            .map(|inner| Policy { inner })
            .map_err(|p| policy_error(&env, p, "<json>"))
    }

    /// The built-in policy pipeline checks use when none is given.
    #[napi(factory)]
    pub fn builtin() -> Policy {
        Policy {
            inner: lockkeeper::Policy::builtin().clone(),
        }
    }

    /// Checks a pipeline's trust flow against this policy; an incomplete reading is denied
    /// unless `allowIncomplete`.
    #[napi]
    pub fn check_pipeline(
        &self,
        pipeline: &crate::pipeline::Pipeline,
        allow_incomplete: Option<bool>,
    ) -> Decision {
        let options = lockkeeper::pipeline::CheckOptions {
            allow_incomplete: allow_incomplete.unwrap_or(false),
            ..lockkeeper::pipeline::CheckOptions::default()
        };
        self.inner
            .check_pipeline_with(&pipeline.inner, options)
            .into()
    }

    /// Names of the trust zones.
    #[napi(getter)]
    pub fn zones(&self) -> Vec<String> {
        self.inner
            .zones()
            .iter()
            .map(|(_, z)| z.name.clone())
            .collect()
    }

    /// Names of the environments.
    #[napi(getter)]
    pub fn environments(&self) -> Vec<String> {
        self.inner.environments().keys().cloned().collect()
    }

    /// Names of the roles.
    #[napi(getter)]
    pub fn roles(&self) -> Vec<String> {
        self.inner.roles().keys().cloned().collect()
    }

    /// May `principal` do `action` in the scope?
    #[napi]
    pub fn authorize(
        &self,
        env: Env,
        principal: String,
        action: String,
        #[napi(ts_arg_type = "Scope | undefined | null")] scope: Option<Object<'_>>,
    ) -> Result<Decision> {
        let scope = scope.map(options::scope).transpose()?;
        let request =
            lockkeeper::AuthorizeRequest::new(&principal, &action, scope.unwrap_or_default())
                .map_err(|e| to_js(&env, e))?;
        self.inner
            .authorize(&request)
            .map(Decision::from)
            .map_err(|e| to_js(&env, e))
    }

    /// `authorize` as `lockkeeper.js` calls it once it has checked the arguments: the scope as
    /// its three fields and the time of the call (milliseconds since the epoch). Building a
    /// `Decision` object costs more than deciding (a class instance, a finalizer and napi-rs's
    /// bookkeeping per call), so unless `full` an allow comes back as `true` and
    /// `lockkeeper.js` asks again with `full` only once the decision is read past `allowed`:
    /// the policy cannot change, so the second answer is the first, stamped with the same time.
    #[napi(js_name = "_authorize", skip_typescript)]
    #[allow(clippy::too_many_arguments)]
    pub fn authorize_fields(
        &self,
        env: Env,
        principal: String,
        action: String,
        project: Option<String>,
        git_ref: Option<String>,
        environment: Option<String>,
        at: f64,
        full: bool,
    ) -> Result<Either<bool, Decision>> {
        let at = promotion::from_millis(&env, at, "the decision time")?;
        let scope = lockkeeper::Scope {
            project,
            git_ref,
            environment,
        };
        let request = lockkeeper::AuthorizeRequest::new(&principal, &action, scope)
            .map_err(|e| to_js(&env, e))?;
        let mut decision = self.inner.authorize(&request).map_err(|e| to_js(&env, e))?;
        if decision.allowed() && !full {
            return Ok(Either::A(true));
        }
        decision.decided_at(at);
        Ok(Either::B(decision.into()))
    }

    /// Does the DSSE envelope prove `artifact` was built by a trusted builder (from an allowed
    /// source, in a zone good enough for `environment`)?
    #[napi]
    pub fn verify_provenance(
        &self,
        env: Env,
        envelope: Either<String, Buffer>,
        artifact: String,
        environment: Option<String>,
    ) -> Result<Decision> {
        let bytes = bytes(envelope);
        let artifact = parse_digest(&env, &artifact)?;
        self.inner
            .verify_provenance(&bytes, &artifact, environment.as_deref())
            .map(Decision::from)
            .map_err(|e| to_js(&env, e))
    }

    /// The same policy, also verifying Sigstore bundles given as evidence against `root`.
    #[napi]
    pub fn with_trusted_root(&self, root: &crate::sigstore::TrustedRoot) -> Policy {
        Policy {
            inner: self.inner.clone().with_trusted_root(root.inner.clone()),
        }
    }

    /// May the artifact be promoted into `request.to`?
    #[napi]
    pub fn promote(
        &self,
        env: Env,
        #[napi(ts_arg_type = "GateRequest")] request: Object<'_>,
    ) -> Result<DeployOutcome> {
        promotion::gate(&env, &self.inner, request, lockkeeper::Policy::promote)
    }

    /// May the artifact be deployed to `request.to`, and which secrets are released?
    #[napi]
    pub fn deploy_request(
        &self,
        env: Env,
        #[napi(ts_arg_type = "GateRequest")] request: Object<'_>,
    ) -> Result<DeployOutcome> {
        promotion::gate(
            &env,
            &self.inner,
            request,
            lockkeeper::Policy::deploy_request,
        )
    }

    /// Do the approvals reach `options.required` distinct qualified approvers?
    #[napi]
    pub fn check_approvals(
        &self,
        env: Env,
        approvals: Vec<String>,
        #[napi(ts_arg_type = "ApprovalOptions")] options: Object<'_>,
    ) -> Result<Decision> {
        let options: ApprovalOptions =
            options::strict(options, "options", options::APPROVAL_OPTIONS)?;
        let request = lockkeeper::ApprovalRequest {
            approvals,
            author: options.author,
            required: options::count(options.required, "options.required")?,
            role: options.role,
            scope: lockkeeper::Scope {
                project: options.project,
                git_ref: options.git_ref,
                environment: options.environment,
            },
        };
        self.inner
            .check_approvals(&request)
            .map(Decision::from)
            .map_err(|e| to_js(&env, e))
    }
}
