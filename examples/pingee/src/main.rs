//! pingee: the deployment service of the seeds, built on lockkeeper.
//!
//! A pipeline's deploy stage does not deploy. It "pings" this service with *who* is deploying
//! *what* *where* (one JSON request on stdin) and the evidence it holds; the service decides with
//! lockkeeper's gate, appends the decision to its signed audit log, and only on allow runs its
//! deploy command with the secrets the policy releases to it. The caller gets the decision and
//! the signed promotion record (the evidence for the next hop), never a secret: the secrets stay
//! in files only the deploy command is shown, and its output goes to the service's own log.
//!
//! ```text
//! pingee --policy POLICY --key DEPLOY_KEY.pem --secrets DIR --audit LOG [--deploy-log FILE] \
//!        -- DEPLOY_COMMAND [ARG...]  <request.json
//! ```
//!
//! Exit codes: 0 deployed, 1 denied, 2 the request or the configuration is wrong (nothing was
//! decided), 3 allowed but not deployed (the audit log, a secret or the deploy command failed).
//! See README.md beside this file.
#![forbid(unsafe_code)]

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE;
use lockkeeper::promotion::parse_version;
use lockkeeper::{
    DeployOutcome, DeployRequest, Digest, Envelope, Evidence, Policy, ReleasedSecret, SigningKey,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// What a deploy stage sends. Unknown fields are refused: a misspelt field would otherwise be
/// dropped with the check it asked for. There is no time field: the service decides at its own
/// clock, so a caller cannot step around a freeze window.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Ping {
    /// Who is deploying (the account the pipeline runs for).
    who: String,
    /// What: the artifact by digest, and its version where the environment constrains it.
    what: What,
    /// Where: the target environment.
    #[serde(rename = "where")]
    target: String,
    /// DSSE envelopes (as JSON objects or strings): build provenance, promotion records, test
    /// results. Only signatures the policy trusts count, so the caller cannot forge support.
    #[serde(default)]
    evidence: Vec<Value>,
    /// The project, for bindings scoped to projects.
    #[serde(default)]
    project: Option<String>,
    /// The git ref, for bindings scoped to refs.
    #[serde(default, rename = "ref")]
    git_ref: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct What {
    artifact: String,
    #[serde(default)]
    version: Option<String>,
}

/// The service's own configuration: what it alone holds.
struct Config {
    policy: PathBuf,
    key: PathBuf,
    secrets: PathBuf,
    audit: PathBuf,
    deploy_log: Option<PathBuf>,
    command: Vec<String>,
}

/// Why nothing was deployed, with the exit code that says so.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// The request or the configuration is wrong; nothing was decided.
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }

    /// Allowed, but the deploy could not be done.
    fn deploy(message: impl Into<String>) -> Self {
        Failure {
            code: 3,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(f) => {
            eprintln!("pingee: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run() -> Result<ExitCode, Failure> {
    let config = config(std::env::args().skip(1))?;
    let policy = Policy::from_yaml(&read_text(&config.policy)?)
        .map_err(|e| Failure::usage(format!("{}: {e}", config.policy.display())))?;
    let key = SigningKey::from_pem(&read_text(&config.key)?)
        .map_err(|e| Failure::usage(format!("{}: {e}", config.key.display())))?;

    let mut stdin = Vec::new();
    std::io::stdin()
        .read_to_end(&mut stdin)
        .map_err(|e| Failure::usage(format!("cannot read the request: {e}")))?;
    let ping: Ping = serde_json::from_slice(&stdin)
        .map_err(|e| Failure::usage(format!("the request is not a pingee request: {e}")))?;
    let request = request(&ping)?;

    let outcome = policy
        .deploy_request(&request)
        .map_err(|e| Failure::usage(format!("error[{}]: {e}", e.code())))?;
    let record = outcome.promotion_record.as_ref().map(|statement| {
        Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            statement.to_json().as_bytes(),
            &[&key],
        )
        .to_json_value()
    });

    // The decision is on record before anything is deployed; an allow that cannot be recorded
    // deploys nothing.
    let audit_record = serde_json::to_vec(&json!({
        "service": "pingee",
        "request": {
            "who": ping.who,
            "what": {"artifact": ping.what.artifact, "version": ping.what.version},
            "where": ping.target,
        },
        "outcome": outcome.to_json_value(),
        "promotion_record": record,
    }))
    .map_err(|e| Failure::deploy(format!("cannot write the audit record: {e}")))?;
    let logged = lockkeeper_fs::append_audit(&config.audit, &audit_record, &key).map_err(|e| {
        let cause = std::error::Error::source(&e).map_or(String::new(), |s| format!(": {s}"));
        Failure::deploy(format!("{}: {e}{cause}", config.audit.display()))
    })?;

    let mut reply = json!({
        "allowed": outcome.decision.allowed(),
        "deployed": false,
        "explanation": outcome.to_string(),
        "decision": outcome.to_json_value(),
        "promotion_record": record,
        "audit_seq": logged.seq(),
    });
    if !outcome.decision.allowed() {
        println!("{reply}");
        return Ok(ExitCode::from(1));
    }
    let deployed = deploy(&config, &request, &outcome);
    reply["deployed"] = json!(deployed.is_ok());
    println!("{reply}");
    deployed.map(|()| ExitCode::SUCCESS)
}

/// The request, each field read into its type once.
fn request(ping: &Ping) -> Result<DeployRequest, Failure> {
    let artifact = Digest::parse(&ping.what.artifact)
        .map_err(|e| Failure::usage(format!("what.artifact: {e}")))?;
    let evidence = ping.evidence.iter().enumerate().map(|(i, e)| {
        let bytes = match e {
            Value::String(text) => text.clone().into_bytes(),
            other => other.to_string().into_bytes(),
        };
        Evidence::new(format!("evidence[{i}]"), bytes)
    });
    let mut request = DeployRequest::new(&ping.who, artifact, &ping.target).with_evidence(evidence);
    request.version = ping
        .what
        .version
        .as_deref()
        .map(parse_version)
        .transpose()
        .map_err(|e| Failure::usage(format!("what.version: {e}")))?;
    request.project = ping.project.clone();
    request.git_ref = ping.git_ref.clone();
    Ok(request)
}

/// Runs the deploy command with the released secrets, each copied into a directory made for
/// this run alone (so the command sees no other secret of the store), removed afterwards.
fn deploy(
    config: &Config,
    request: &DeployRequest,
    outcome: &DeployOutcome,
) -> Result<(), Failure> {
    let stage = Stage::new()?;
    let mut files = Vec::new();
    for secret in &outcome.released_secrets {
        files.push((secret, stage.add(&config.secrets, secret)?));
    }
    let (program, args) = config
        .command
        .split_first()
        .ok_or_else(|| Failure::usage("no deploy command after `--`"))?;
    let mut command = Command::new(program);
    // The command gets what it needs and nothing of the service's own environment.
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PINGEE_ARTIFACT", request.artifact.to_string())
        .env("PINGEE_ENVIRONMENT", &request.environment)
        .env("PINGEE_PRINCIPAL", &request.principal)
        .env(
            "PINGEE_SECRETS",
            files
                .iter()
                .map(|(s, path)| format!("{}={}\n", s.name, path.display()))
                .collect::<String>(),
        )
        .stdin(Stdio::null());
    if let Some(v) = &request.version {
        command.env("PINGEE_VERSION", v.to_string());
    }
    for (secret, path) in &files {
        command.env(secret_variable(&secret.name), path);
    }
    // The command's output may show a secret: it goes to the service's log, never the caller.
    match &config.deploy_log {
        Some(log) => {
            let file = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|e| Failure::deploy(format!("{}: {e}", log.display())))?;
            let err = file
                .try_clone()
                .map_err(|e| Failure::deploy(format!("{}: {e}", log.display())))?;
            command.stdout(file).stderr(err);
        }
        None => {
            command.stdout(Stdio::null()).stderr(Stdio::null());
        }
    }
    let status = command
        .status()
        .map_err(|e| Failure::deploy(format!("cannot run `{program}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Failure::deploy(format!("`{program}` failed ({status})")))
    }
}

/// `PINGEE_SECRET_<NAME>`, the name upper-cased with anything but letters and digits as `_`.
fn secret_variable(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("PINGEE_SECRET_{name}")
}

/// A directory for one deploy's secrets, readable by this user only, removed when dropped.
struct Stage(PathBuf);

impl Stage {
    fn new() -> Result<Stage, Failure> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("pingee-{}-{nanos}", std::process::id()));
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        // `create`, not `create_all`: a directory already there is someone else's.
        builder
            .create(&dir)
            .map_err(|e| Failure::deploy(format!("cannot make {}: {e}", dir.display())))?;
        Ok(Stage(dir))
    }

    /// Copies the secret `secret.name` from the store into the stage; a name that is not a
    /// plain file name, or a secret missing from the store, deploys nothing.
    fn add(&self, store: &Path, secret: &ReleasedSecret) -> Result<PathBuf, Failure> {
        let name = &secret.name;
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            return Err(Failure::deploy(format!(
                "secret `{name}` is not a plain file name"
            )));
        }
        let to = self.0.join(name);
        fs::copy(store.join(name), &to)
            .map_err(|e| Failure::deploy(format!("secret `{name}` is not in the store: {e}")))?;
        Ok(to)
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn read_text(path: &Path) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

const USAGE: &str = "usage: pingee --policy FILE --key FILE --secrets DIR --audit FILE \
                     [--deploy-log FILE] -- COMMAND [ARG...]";

fn config(mut args: impl Iterator<Item = String>) -> Result<Config, Failure> {
    let (mut policy, mut key, mut secrets, mut audit, mut deploy_log) =
        (None, None, None, None, None);
    while let Some(arg) = args.next() {
        let slot = match arg.as_str() {
            "--" => break,
            "--policy" => &mut policy,
            "--key" => &mut key,
            "--secrets" => &mut secrets,
            "--audit" => &mut audit,
            "--deploy-log" => &mut deploy_log,
            other => {
                return Err(Failure::usage(format!(
                    "unknown argument `{other}`\n{USAGE}"
                )));
            }
        };
        *slot = Some(PathBuf::from(args.next().ok_or_else(|| {
            Failure::usage(format!("{arg} needs a value\n{USAGE}"))
        })?));
    }
    let command: Vec<String> = args.collect();
    let need = |v: Option<PathBuf>, what: &str| {
        v.ok_or_else(|| Failure::usage(format!("{what} is required\n{USAGE}")))
    };
    let config = Config {
        policy: need(policy, "--policy")?,
        key: need(key, "--key")?,
        secrets: need(secrets, "--secrets")?,
        audit: need(audit, "--audit")?,
        deploy_log,
        command,
    };
    if config.command.is_empty() {
        return Err(Failure::usage(format!(
            "no deploy command after `--`\n{USAGE}"
        )));
    }
    Ok(config)
}
