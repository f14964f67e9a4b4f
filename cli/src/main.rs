//! `lockkeeper`: the command-line front end.
//!
//! Exit codes are the same for every command: 0 allowed / valid, 1 denied / problems found,
//! 2 bad input or usage (the error goes to stderr). CI systems can gate on them directly.

mod audit;

use std::fs;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use lockkeeper::attestation::{Envelope, ProvenanceBuilder, Statement, VerifyError};
use lockkeeper::digest::{Algorithm, Digest};
use lockkeeper::keys::{PublicKey, SigningKey};
use lockkeeper::{ApprovalRequest, AuthorizeRequest, Decision, Format, Policy, Problems, Scope};

#[derive(Parser)]
#[command(
    name = "lockkeeper",
    version,
    about = "Decide what may move through a CI/CD pipeline, and explain every denial.",
    after_help = "Exit codes: 0 allowed/valid, 1 denied/problems found, 2 bad input or usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// May PRINCIPAL do ACTION in the given scope?
    Authorize(AuthorizeArgs),
    /// Do the approvals of a change reach the quorum?
    Approvals(ApprovalsArgs),
    /// Print the sha256 (or sha512) digest of each file, as `sha256:<hex>  FILE`.
    Digest {
        /// Files to hash.
        #[arg(required = true)]
        files: Vec<String>,
        /// sha256 (default) or sha512.
        #[arg(long, default_value = "sha256")]
        algorithm: String,
    },
    /// Generate an ed25519 key pair: PREFIX.key (PKCS#8 PEM), PREFIX.pub (SPKI PEM).
    Keygen {
        /// Path prefix of the two files.
        #[arg(long)]
        out: String,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
    },
    /// Sign a statement into a DSSE envelope (printed on stdout).
    Sign {
        /// Private key (PKCS#8 PEM); repeat to sign with several keys.
        #[arg(long = "key", required = true)]
        keys: Vec<String>,
        /// The statement (or other payload) file, signed byte for byte.
        #[arg(long)]
        statement: String,
        /// DSSE payload type.
        #[arg(long, default_value = lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE)]
        payload_type: String,
    },
    /// Verify provenance for an artifact against a policy.
    Verify {
        /// Policy file (YAML or JSON).
        #[arg(long)]
        policy: String,
        /// DSSE envelope file.
        #[arg(long)]
        envelope: String,
        /// The artifact's digest, `sha256:<hex>`.
        #[arg(long)]
        artifact: String,
        /// Target environment (checks its minimum build zone).
        #[arg(long)]
        environment: Option<String>,
        /// Print the decision as JSON.
        #[arg(long)]
        json: bool,
    },
    /// DSSE envelopes without a policy.
    #[command(subcommand)]
    Envelope(EnvelopeCommand),
    /// in-toto statements.
    #[command(subcommand)]
    Statement(StatementCommand),
    /// The signed, hash-chained audit log: append, verify, checkpoint.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

#[derive(Subcommand)]
enum EnvelopeCommand {
    /// Verify an envelope against public keys and a threshold of distinct keys.
    Verify {
        /// Public key file (PEM, securesystemslib JSON or hex); repeat for several.
        #[arg(long = "pub", required = true)]
        keys: Vec<String>,
        /// Distinct keys required.
        #[arg(long, default_value_t = 1)]
        threshold: usize,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// The envelope file.
        envelope: String,
    },
}

#[derive(Subcommand)]
enum StatementCommand {
    /// Print a SLSA Provenance v1 statement for artifacts built by BUILDER.
    Provenance {
        /// Builder id (as declared in the policy's `builders`).
        #[arg(long)]
        builder: String,
        /// NAME=sha256:<hex> of an artifact the build produced; repeat for several.
        #[arg(long = "subject", required = true)]
        subjects: Vec<String>,
        /// Source repository URI, e.g. git+https://gerrit.example.org/r/app.
        #[arg(long)]
        source: Option<String>,
        /// Git ref the build came from.
        #[arg(long = "ref")]
        git_ref: Option<String>,
        /// Commit the build came from.
        #[arg(long)]
        commit: Option<String>,
        /// Build type URI.
        #[arg(long)]
        build_type: Option<String>,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy, reporting every problem with its line and column.
    Check {
        /// Policy file (YAML or JSON).
        policy: String,
        /// Print the problems as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct ScopeArgs {
    /// Project or repository, e.g. mediawiki/core.
    #[arg(long)]
    project: Option<String>,
    /// Git ref, e.g. refs/heads/main.
    #[arg(long = "ref")]
    git_ref: Option<String>,
    /// Target environment, e.g. production.
    #[arg(long)]
    environment: Option<String>,
}

impl ScopeArgs {
    fn scope(&self) -> Scope {
        Scope {
            project: self.project.clone(),
            git_ref: self.git_ref.clone(),
            environment: self.environment.clone(),
        }
    }
}

#[derive(Args)]
struct AuthorizeArgs {
    /// Policy file (YAML or JSON).
    #[arg(long)]
    policy: String,
    /// The account asking.
    #[arg(long)]
    principal: String,
    /// submit, review, merge, approve, deploy, promote or admin.
    #[arg(long)]
    action: String,
    #[command(flatten)]
    scope: ScopeArgs,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ApprovalsArgs {
    /// Policy file (YAML or JSON).
    #[arg(long)]
    policy: String,
    /// A principal who approved (repeat for each approval).
    #[arg(long = "approval")]
    approvals: Vec<String>,
    /// The change's author.
    #[arg(long)]
    author: Option<String>,
    /// How many distinct qualified approvers are needed.
    #[arg(long)]
    required: usize,
    /// The role approvers must hold (default: any role granting `approve`).
    #[arg(long)]
    role: Option<String>,
    #[command(flatten)]
    scope: ScopeArgs,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

/// Why a command could not run; always exit code 2.
struct Failure(String);

impl From<lockkeeper::Error> for Failure {
    fn from(e: lockkeeper::Error) -> Self {
        Failure(format!("error[{}]: {e}", e.code()))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(Failure(message)) => {
            eprintln!("{}", message.trim_end());
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Policy(PolicyCommand::Check { policy, json }) => policy_check(&policy, json),
        Command::Authorize(args) => {
            let policy = load_policy(&args.policy)?;
            let request = AuthorizeRequest::new(&args.principal, &args.action, args.scope.scope())?;
            Ok(print_decision(&policy.authorize(&request), args.json))
        }
        Command::Approvals(args) => {
            let policy = load_policy(&args.policy)?;
            let request = ApprovalRequest {
                approvals: args.approvals,
                author: args.author,
                required: args.required,
                role: args.role,
                scope: args.scope.scope(),
            };
            Ok(print_decision(
                &policy.check_approvals(&request)?,
                args.json,
            ))
        }
        Command::Digest { files, algorithm } => {
            let alg = Algorithm::from_name(&algorithm).ok_or_else(|| {
                Failure(format!(
                    "error: unknown algorithm `{algorithm}` (sha256, sha512)"
                ))
            })?;
            for f in files {
                let file = fs::File::open(&f)
                    .map_err(|e| Failure(format!("error: cannot read {f}: {e}")))?;
                let d = Digest::compute_reader(alg, std::io::BufReader::new(file))
                    .map_err(|e| Failure(format!("error: cannot read {f}: {e}")))?;
                println!("{d}  {f}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { out, force } => keygen(&out, force),
        Command::Sign {
            keys,
            statement,
            payload_type,
        } => {
            let keys = keys
                .iter()
                .map(|k| {
                    SigningKey::from_pem(&read(k)?).map_err(|e| Failure(format!("error: {k}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let payload = read_bytes(&statement)?;
            if payload_type == lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE {
                Statement::from_json(&payload)
                    .map_err(|e| Failure(format!("error: {statement}: {e}")))?;
            }
            let refs: Vec<&SigningKey> = keys.iter().collect();
            println!(
                "{}",
                Envelope::sign(&payload_type, &payload, &refs).to_json()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            policy,
            envelope,
            artifact,
            environment,
            json,
        } => {
            let policy = load_policy(&policy)?;
            let artifact = parse_digest(&artifact)?;
            let bytes = read_bytes(&envelope)?;
            let decision = policy.verify_provenance(&bytes, &artifact, environment.as_deref())?;
            Ok(print_decision(&decision, json))
        }
        Command::Envelope(EnvelopeCommand::Verify {
            keys,
            threshold,
            json,
            envelope,
        }) => envelope_verify(&keys, threshold, json, &envelope),
        Command::Statement(StatementCommand::Provenance {
            builder,
            subjects,
            source,
            git_ref,
            commit,
            build_type,
        }) => {
            let mut b = ProvenanceBuilder::new(&builder);
            if let Some(t) = &build_type {
                b = b.build_type(t);
            }
            for s in &subjects {
                let (name, digest) = s.split_once('=').ok_or_else(|| {
                    Failure(format!("error: --subject `{s}` is not NAME=sha256:<hex>"))
                })?;
                b = b.subject(name, parse_digest(digest)?);
            }
            if let Some(src) = &source {
                b = b.source(src, git_ref.as_deref(), commit.as_deref());
            }
            println!("{}", b.build().to_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(command) => audit::run(command),
    }
}

fn read_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

fn parse_digest(text: &str) -> Result<Digest, Failure> {
    Digest::parse(text).map_err(|e| Failure(format!("error: {e}")))
}

fn keygen(out: &str, force: bool) -> Result<ExitCode, Failure> {
    let key = SigningKey::generate().map_err(|e| Failure(format!("error: {e}")))?;
    let (private, public) = (format!("{out}.key"), format!("{out}.pub"));
    for path in [&private, &public] {
        if !force && std::path::Path::new(path).exists() {
            return Err(Failure(format!(
                "error: {path} exists (use --force to overwrite)"
            )));
        }
    }
    write_private(&private, &key.to_pem())?;
    fs::write(&public, key.public_key().to_pem())
        .map_err(|e| Failure(format!("error: cannot write {public}: {e}")))?;
    println!("{}", key.keyid());
    Ok(ExitCode::SUCCESS)
}

/// Writes a private key readable by its owner only.
fn write_private(path: &str, pem: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(pem.as_bytes()))
        .map_err(|e| Failure(format!("error: cannot write {path}: {e}")))
}

fn envelope_verify(
    keys: &[String],
    threshold: usize,
    json: bool,
    path: &str,
) -> Result<ExitCode, Failure> {
    let keys = keys
        .iter()
        .map(|k| PublicKey::parse(&read(k)?).map_err(|e| Failure(format!("error: {k}: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let envelope = Envelope::from_json(&read_bytes(path)?)
        .map_err(|e| Failure(format!("error: {path}: {e}")))?;
    let (ok, keyids, message) = match envelope.verify(&keys, threshold) {
        Ok(v) => {
            let message = format!("verified by {} distinct key(s)", v.keyids.len());
            (true, v.keyids, message)
        }
        Err(e @ VerifyError::ThresholdNotMet { .. }) => {
            let message = e.to_string();
            let VerifyError::ThresholdNotMet { keyids, .. } = e else {
                return Err(Failure(
                    "error: internal: unexpected verification result".into(),
                ));
            };
            (false, keyids, message)
        }
        Err(VerifyError::ZeroThreshold) => {
            return Err(Failure("error: --threshold must be at least 1".into()));
        }
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"verified": ok, "keyids": keyids, "threshold": threshold,
                "payload_type": envelope.payload_type(), "message": message})
        );
    } else {
        println!(
            "{}: {message}",
            if ok { "VERIFIED" } else { "NOT VERIFIED" }
        );
        for k in &keyids {
            println!("  keyid {k}");
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read(path: &str) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

fn parse_policy(path: &str, text: &str) -> Result<Policy, Problems> {
    Policy::parse(text, Format::for_path(path, text))
}

fn load_policy(path: &str) -> Result<Policy, Failure> {
    let text = read(path)?;
    parse_policy(path, &text).map_err(|p| Failure(p.render(path)))
}

fn policy_check(path: &str, json: bool) -> Result<ExitCode, Failure> {
    let text = read(path)?;
    let result = parse_policy(path, &text);
    if json {
        let problems = match &result {
            Ok(_) => serde_json::json!([]),
            Err(p) => serde_json::to_value(p).unwrap_or_default(),
        };
        println!(
            "{}",
            serde_json::json!({"file": path, "valid": result.is_ok(), "problems": problems})
        );
    }
    match result {
        Ok(policy) => {
            if !json {
                println!(
                    "{path}: valid ({} zones, {} environments, {} roles, {} bindings)",
                    policy.zones().len(),
                    policy.environments().len(),
                    policy.roles().len(),
                    policy.bindings().len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(problems) => {
            if !json {
                print!("{}", problems.render(path));
                println!("{path}: {} problem(s)", problems.len());
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn print_decision(decision: &Decision, json: bool) -> ExitCode {
    if json {
        println!("{}", decision.to_json());
    } else {
        println!("{decision}");
    }
    if decision.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
