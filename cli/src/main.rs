//! `lockkeeper`: the command-line front end.
//!
//! Exit codes are the same for every command: 0 allowed / valid, 1 denied / problems found,
//! 2 bad input or usage (the error goes to stderr). CI systems can gate on them directly.

/// `println!` for everything the CLI prints: see [`write_out`].
macro_rules! outln {
    () => {
        $crate::write_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!`, the same way.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_out(format_args!($($arg)*))
    };
}

/// Writes to standard output. `println!` panics when the reader has gone away (`| head`); here
/// the process ends quietly with the status SIGPIPE would give it (141: not 0, so a pipeline
/// with `pipefail` never reads a denial as an allow), and any other write error is exit 2.
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(2);
    }
}

mod image;

mod repo;

mod audit;

mod shell;

mod sigstore;

use std::fs;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use lockkeeper::attestation::{Envelope, ProvenanceBuilder, Statement};
use lockkeeper::digest::{Algorithm, Digest};
use lockkeeper::keys::{KeyError, PublicKey, SigningKey, SigningScheme};
use lockkeeper::promotion::{Approval, DeployRequest, Evidence, parse_time, parse_version};
use lockkeeper::render::{self, Output};
use lockkeeper::{
    ApprovalRequest, AuthorizeRequest, Decision, Format, Pipeline, PipelineFormat, Policy, Scope,
};

/// The version and the commit it was built from (see build.rs), e.g. `0.2.0 (1a2b3c4d5e6f)`.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("LOCKKEEPER_GIT_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "lockkeeper",
    version = VERSION,
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
    /// Generate a key pair: PREFIX.key (PKCS#8 PEM), PREFIX.pub (SPKI PEM).
    Keygen {
        /// Path prefix of the two files.
        #[arg(long)]
        out: String,
        /// `ed25519` (default) or `ecdsa-p256` (cosign's and securesystemslib's ECDSA keys).
        #[arg(long, default_value = "ed25519")]
        scheme: String,
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
    /// Verify provenance for an artifact: a DSSE envelope or a Sigstore bundle against a policy,
    /// or a bundle alone against an identity or a key.
    Verify {
        /// Policy file (YAML or JSON); optional with --bundle.
        #[arg(long, required_unless_present = "bundle")]
        policy: Option<String>,
        /// DSSE envelope file.
        #[arg(long, required_unless_present = "bundle")]
        envelope: Option<String>,
        /// The artifact's digest (`sha256:<hex>`), or with --bundle also the artifact file.
        #[arg(long)]
        artifact: Option<String>,
        /// Target environment (checks its minimum build zone).
        #[arg(long)]
        environment: Option<String>,
        /// Print the decision as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        bundle: sigstore::BundleArgs,
    },
    /// sigstore-conformance's `verify-bundle` protocol (for its test harness).
    #[command(hide = true)]
    VerifyBundle(sigstore::ConformanceArgs),
    /// May this artifact be promoted into an environment?
    Promote(GateArgs),
    /// May this artifact be deployed to an environment, and which secrets are released?
    DeployRequest(GateArgs),
    /// Container images: the image policy and the rebuild cascade.
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Check pipelines and other artifacts against a policy.
    #[command(subcommand)]
    Check(CheckCommand),
    /// DSSE envelopes without a policy.
    #[command(subcommand)]
    Envelope(EnvelopeCommand),
    /// in-toto statements.
    #[command(subcommand)]
    Statement(StatementCommand),
    /// The signed, hash-chained audit log: append, verify, checkpoint.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Print a shell completion script (bash, zsh or fish) to stdout.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: shell::Shell,
    },
    /// Print the man page (roff) to stdout, or write one page per command into a directory.
    Manpage {
        /// Write `lockkeeper.1` and a page per subcommand into this directory.
        #[arg(long)]
        dir: Option<String>,
    },
}

#[derive(Args)]
struct GateArgs {
    /// Policy file (YAML or JSON).
    #[arg(long)]
    policy: String,
    /// The artifact's digest, `sha256:<hex>`.
    #[arg(long)]
    artifact: String,
    /// Target environment.
    #[arg(long)]
    to: String,
    /// Evidence: DSSE envelope or Sigstore bundle files, or directories of them (*.json, *.jsonl).
    #[arg(long, num_args = 1..)]
    evidence: Vec<String>,
    /// Sigstore `trusted_root.json` (or public-good, staging, github) that bundles among the
    /// evidence are verified against; repeat for several instances.
    #[arg(long = "trusted-root")]
    trusted_roots: Vec<String>,
    /// Who asks (default: $USER).
    #[arg(long)]
    by: Option<String>,
    /// The change's author (excluded from approvals under separation of duties).
    #[arg(long)]
    author: Option<String>,
    /// JSON file: `[{"principal": "bob", "at": "2026-11-24T10:00:00Z"}, ...]`.
    #[arg(long)]
    approvals: Option<String>,
    /// The artifact's semantic version.
    #[arg(long)]
    version: Option<String>,
    /// The last version the environment received, if not among the evidence.
    #[arg(long)]
    last_version: Option<String>,
    /// The decision time, RFC 3339 (default: now).
    #[arg(long)]
    at: Option<String>,
    /// Project, for scoped bindings.
    #[arg(long)]
    project: Option<String>,
    /// Git ref, for scoped bindings.
    #[arg(long = "ref")]
    git_ref: Option<String>,
    /// A declared rollback may go below the last version.
    #[arg(long)]
    rollback: bool,
    /// Emergency override of freeze windows (needs the environment's emergency role).
    #[arg(long)]
    emergency: bool,
    /// OCI image layout directories, for environments that require the image policy.
    #[arg(long = "image")]
    images: Vec<String>,
    /// On allow, write the promotion record here, signed with --sign-with (both or neither).
    #[arg(long)]
    record: Option<String>,
    /// The deploy service's private key to sign the promotion record with (needs --record).
    #[arg(long)]
    sign_with: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum CheckCommand {
    /// Import pipeline files (native, Argo, GitLab CI, Zuul, GitHub Actions) and check their
    /// trust flow; without --policy the built-in defaults apply.
    Pipeline(PipelineArgs),
    /// Find every pipeline file of a repository (GitHub workflows and local actions, GitLab CI
    /// and its local includes, Zuul, Argo manifests) and check each format's files together.
    Repo(RepoArgs),
}

#[derive(Args)]
struct RepoArgs {
    /// Policy file (YAML or JSON); default: the built-in policy (see docs/pipelines.md).
    #[arg(long)]
    policy: Option<String>,
    /// The repository's root.
    #[arg(default_value = ".")]
    dir: String,
    /// Print the decision as JSON (the same as --output json).
    #[arg(long)]
    json: bool,
    /// text, json or sarif (SARIF 2.1.0, for code scanning).
    #[arg(long, conflicts_with = "json")]
    output: Option<String>,
    /// Accept a repository that was not read whole (no pipeline file, a file skipped, a
    /// construct not modelled) instead of failing with `import/incomplete`.
    #[arg(long)]
    allow_incomplete: bool,
    /// Whose findings to show: regular, pedantic or auditor (see `check pipeline --help`).
    #[arg(long, default_value = "regular")]
    persona: String,
}

#[derive(Args)]
struct PipelineArgs {
    /// Policy file (YAML or JSON); default: the built-in policy (see docs/pipelines.md).
    #[arg(long)]
    policy: Option<String>,
    /// Pipeline files; files of one format are imported together. A single directory is
    /// checked as a repository (`check repo DIR`).
    #[arg(required = true)]
    files: Vec<String>,
    /// auto (by path and content), native, argo, gitlab, zuul or github.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Print the decision as JSON (the same as --output json).
    #[arg(long)]
    json: bool,
    /// text, json or sarif (SARIF 2.1.0, for code scanning).
    #[arg(long, conflicts_with_all = ["json", "dump"])]
    output: Option<String>,
    /// Print the imported pipeline model as JSON instead of checking it.
    #[arg(long)]
    dump: bool,
    /// Accept a pipeline that was not read whole (no job, constructs not modelled, includes or
    /// job definitions not given) instead of failing with `import/incomplete`.
    #[arg(long)]
    allow_incomplete: bool,
    /// Where GitLab includes from elsewhere are found: `DIR/<project path>/<file>`,
    /// `DIR/templates/<name>`, `DIR/<component project>/templates/<name>.yml`.
    #[arg(long, value_name = "DIR")]
    include_dir: Option<String>,
    /// Whose findings to show (and so what the exit code follows): regular (direct,
    /// exploitable flows), pedantic (adds design lints and same-repository concerns) or
    /// auditor (adds findings resting on assumptions and flows a gate suppressed).
    #[arg(long, default_value = "regular")]
    persona: String,
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
        /// Print the result as JSON (an array, one object per file, when several are given).
        #[arg(long)]
        json: bool,
        /// The envelope file; several are verified together (ed25519 signatures in one batch),
        /// one result line each, exit 1 if any does not verify.
        #[arg(required = true)]
        envelopes: Vec<String>,
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
        /// Print the problems as JSON (the same as --output json).
        #[arg(long)]
        json: bool,
        /// text, json or sarif (SARIF 2.1.0, for code scanning).
        #[arg(long, conflicts_with = "json")]
        output: Option<String>,
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
pub(crate) struct Failure(pub(crate) String);

impl From<lockkeeper::Error> for Failure {
    fn from(e: lockkeeper::Error) -> Self {
        Failure(format!("error[{}]: {e}", e.code()))
    }
}

// A generated pipeline of a million jobs makes tens of millions of small allocations; glibc's
// allocator spent a third of such a run consolidating and splitting chunks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Policy(PolicyCommand::Check {
            policy,
            json,
            output: out,
        }) => policy_check(&policy, output(json, out.as_deref())?),
        Command::Completions { shell } => shell::completions(shell),
        Command::Manpage { dir } => shell::manpage(dir.as_deref()),
        Command::Authorize(args) => {
            let policy = load_policy(&args.policy)?;
            let request = AuthorizeRequest::new(&args.principal, &args.action, args.scope.scope())?;
            Ok(print_decision(&policy.authorize(&request)?, args.json))
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
                outln!("{d}  {f}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { out, scheme, force } => keygen(&out, &scheme, force),
        Command::Sign {
            keys,
            statement,
            payload_type,
        } => {
            let keys = keys
                .iter()
                .map(|k| SigningKey::from_pem(&read(k)?).map_err(|e| key_failure(k, e)))
                .collect::<Result<Vec<_>, _>>()?;
            let payload = read_bytes(&statement)?;
            if payload_type == lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE {
                Statement::from_json(&payload)
                    .map_err(|e| Failure(format!("error: {statement}: {e}")))?;
            }
            let refs: Vec<&SigningKey> = keys.iter().collect();
            outln!(
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
            bundle,
        } => {
            let Some(policy) = policy else {
                let file = bundle.bundle.clone().unwrap_or_default();
                return sigstore::verify_standalone(&bundle, &file, artifact.as_deref(), json);
            };
            let mut policy = load_policy(&policy)?;
            let digest = match (&bundle.digest, &artifact) {
                (Some(d), _) => parse_digest(d)?,
                (None, Some(a)) if bundle.bundle.is_some() && !sigstore::is_digest(a) => {
                    Digest::sha256(&read_bytes(a)?)
                }
                (None, Some(a)) => parse_digest(a)?,
                (None, None) => {
                    return Err(Failure(
                        "error: --artifact (or --digest) is required".into(),
                    ));
                }
            };
            let file = match (&bundle.bundle, &envelope) {
                (Some(b), _) => {
                    if let Some(root) = &bundle.trusted_root {
                        policy = policy.with_trusted_root(sigstore::load_root(root)?);
                    }
                    b.clone()
                }
                (None, Some(e)) => e.clone(),
                (None, None) => return Err(Failure("error: --envelope or --bundle".into())),
            };
            let bytes = read_bytes(&file)?;
            let decision = policy.verify_provenance(&bytes, &digest, environment.as_deref())?;
            Ok(print_decision(&decision, json))
        }
        Command::VerifyBundle(args) => sigstore::conformance(&args),
        Command::Image(command) => image::run(command),
        Command::Check(CheckCommand::Pipeline(args)) => check_pipeline(&args),
        Command::Check(CheckCommand::Repo(args)) => repo::check(&repo::Request {
            policy: args.policy.as_deref(),
            dir: &args.dir,
            output: output(args.json, args.output.as_deref())?,
            allow_incomplete: args.allow_incomplete,
            persona: &args.persona,
        }),
        Command::Promote(args) => gate(&args, false),
        Command::DeployRequest(args) => gate(&args, true),
        Command::Envelope(EnvelopeCommand::Verify {
            keys,
            threshold,
            json,
            envelopes,
        }) => envelope_verify(&keys, threshold, json, &envelopes),
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
            outln!("{}", b.build().to_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(command) => audit::run(command),
    }
}

fn check_pipeline(args: &PipelineArgs) -> Result<ExitCode, Failure> {
    if let Some(dir) = args.files.iter().find(|f| std::path::Path::new(f).is_dir()) {
        if args.files.len() > 1 || args.format != "auto" || args.dump || args.include_dir.is_some()
        {
            return Err(Failure(format!(
                "error: {dir} is a directory: it is checked as a repository on its own (`check repo {dir}`), without other files, --format, --dump or --include-dir"
            )));
        }
        return repo::check(&repo::Request {
            policy: args.policy.as_deref(),
            dir,
            output: output(args.json, args.output.as_deref())?,
            allow_incomplete: args.allow_incomplete,
            persona: &args.persona,
        });
    }
    let format = PipelineFormat::named(&args.format).map_err(|e| Failure(format!("error: {e}")))?;
    let loaded;
    let policy: &Policy = match &args.policy {
        Some(path) => {
            loaded = load_policy(path)?;
            &loaded
        }
        None => Policy::builtin(),
    };
    let texts = lockkeeper_fs::read_pipeline_files(
        &args.files,
        args.include_dir.as_deref().map(std::path::Path::new),
    )
    .map_err(|e| {
        Failure(format!(
            "error: cannot read {}: {}",
            e.path.display(),
            e.error
        ))
    })?;
    let pipeline = Pipeline::import_named(&texts, format).map_err(|e| match e {
        lockkeeper::Error::Import(e) => Failure(e.render()),
        other => other.into(),
    })?;
    if args.dump {
        outln!("{}", pipeline.to_json_value());
        return Ok(ExitCode::SUCCESS);
    }
    let persona: lockkeeper::Persona = args
        .persona
        .parse()
        .map_err(|e| Failure(format!("error: {e}")))?;
    let options = lockkeeper::pipeline::CheckOptions {
        allow_incomplete: args.allow_incomplete,
        persona,
    };
    let mut decision = policy.check_pipeline_with(&pipeline, options);
    decision.stamp_now();
    let output = output(args.json, args.output.as_deref())?;
    Ok(emit_check(&decision, output, |value| {
        value["files"] = serde_json::json!(pipeline.files());
        value["jobs"] = serde_json::json!(pipeline.len());
    }))
}

/// A check's decision in the form asked for, plus what the command adds to the JSON form; the
/// exit code follows the decision.
pub(crate) fn emit_check(
    decision: &Decision,
    output: Output,
    extra: impl FnOnce(&mut serde_json::Value),
) -> ExitCode {
    match output {
        Output::Json => {
            let mut value = decision.to_json_value();
            extra(&mut value);
            outln!("{value}");
        }
        Output::Sarif => outln!("{}", decision.to_sarif()),
        _ => out!("{}", render::located_text(decision)),
    }
    exit_for(decision.allowed())
}

/// 0 when allowed, 1 when denied (2 is kept for usage and input errors).
pub(crate) fn exit_for(allowed: bool) -> ExitCode {
    if allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The output form asked for: `--output`, or `--json` as its older spelling.
pub(crate) fn output(json: bool, output: Option<&str>) -> Result<Output, Failure> {
    match (json, output) {
        (true, _) => Ok(Output::Json),
        (false, None) => Ok(Output::Text),
        (false, Some(o)) => o.parse().map_err(|e| Failure(format!("error: {e}"))),
    }
}

fn read_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

fn parse_digest(text: &str) -> Result<Digest, Failure> {
    Digest::parse(text).map_err(|e| Failure(format!("error: {e}")))
}

/// A key that could not be read, with its rule code (`input/invalid-key`,
/// `input/unsupported-key`).
fn key_failure(path: &str, e: KeyError) -> Failure {
    let e = lockkeeper::Error::from(e);
    Failure(format!("error[{}]: {path}: {e}", e.code()))
}

fn keygen(out: &str, scheme: &str, force: bool) -> Result<ExitCode, Failure> {
    let scheme = SigningScheme::from_name(scheme).map_err(|e| key_failure("--scheme", e))?;
    let key = SigningKey::generate_scheme(scheme).map_err(|e| Failure(format!("error: {e}")))?;
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
    outln!("{}", key.keyid());
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
    paths: &[String],
) -> Result<ExitCode, Failure> {
    let keys = keys
        .iter()
        .map(|k| PublicKey::parse_bytes(&read_bytes(k)?).map_err(|e| key_failure(k, e)))
        .collect::<Result<Vec<_>, _>>()?;
    if threshold == 0 {
        return Err(Failure("error: --threshold must be at least 1".into()));
    }
    // A file that cannot be read is an error, not a denial: nothing is verified until every
    // file has been read.
    let envelopes = paths
        .iter()
        .map(|path| {
            Envelope::from_json(&read_bytes(path)?)
                .map_err(|e| Failure(format!("error: {path}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results = lockkeeper::attestation::verify_many(&envelopes, &keys, threshold);
    let mut all_ok = true;
    let mut reports = Vec::with_capacity(paths.len());
    for ((path, envelope), result) in paths.iter().zip(&envelopes).zip(results) {
        let (ok, keyids, message) = match result {
            Ok(v) => {
                let message = format!("verified by {} distinct key(s)", v.keyids.len());
                (true, v.keyids, message)
            }
            Err(e) => {
                let message = e.to_string();
                (false, e.keyids().to_vec(), message)
            }
        };
        all_ok &= ok;
        reports.push((path, envelope, ok, keyids, message));
    }
    let single = paths.len() == 1;
    if json {
        let objects: Vec<serde_json::Value> = reports
            .iter()
            .map(|(path, envelope, ok, keyids, message)| {
                let mut o = serde_json::json!({"verified": ok, "keyids": keyids,
                    "threshold": threshold, "payload_type": envelope.payload_type(),
                    "message": message});
                if !single {
                    o["file"] = serde_json::Value::String((*path).clone());
                }
                o
            })
            .collect();
        // One file keeps the single object it always printed.
        match objects.as_slice() {
            [one] => outln!("{one}"),
            _ => outln!("{}", serde_json::Value::Array(objects)),
        }
    } else {
        for (path, _, ok, keyids, message) in &reports {
            let verdict = if *ok { "VERIFIED" } else { "NOT VERIFIED" };
            if single {
                outln!("{verdict}: {message}");
                for k in keyids {
                    outln!("  keyid {k}");
                }
            } else if keyids.is_empty() {
                outln!("{path}: {verdict}: {message}");
            } else {
                outln!("{path}: {verdict}: {message}; keyids {}", keyids.join(", "));
            }
        }
    }
    Ok(exit_for(all_ok))
}

pub(crate) fn read(path: &str) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

fn parse_policy(path: &str, text: &str) -> Result<Policy, lockkeeper::Error> {
    Policy::parse(text, Format::for_path(path, text))
}

pub(crate) fn load_policy(path: &str) -> Result<Policy, Failure> {
    let text = read(path)?;
    parse_policy(path, &text).map_err(|p| Failure(p.render(path)))
}

fn policy_check(path: &str, out: Output) -> Result<ExitCode, Failure> {
    let text = read(path)?;
    let result = match parse_policy(path, &text) {
        Ok(policy) => Ok(policy),
        Err(lockkeeper::Error::Problems(problems)) => Err(problems),
        Err(other) => return Err(other.into()),
    };
    match out {
        Output::Json => {
            let problems = match &result {
                Ok(_) => serde_json::json!([]),
                Err(p) => serde_json::to_value(p).unwrap_or_default(),
            };
            outln!(
                "{}",
                serde_json::json!({"file": path, "valid": result.is_ok(), "problems": problems})
            );
        }
        Output::Sarif => {
            let findings = match &result {
                Ok(_) => Vec::new(),
                Err(p) => render::problem_findings(path, p),
            };
            outln!("{}", render::sarif::log(&findings));
        }
        _ => match &result {
            Ok(policy) => outln!(
                "{path}: valid ({} zones, {} environments, {} roles, {} bindings)",
                policy.zones().len(),
                policy.environments().len(),
                policy.roles().len(),
                policy.bindings().len()
            ),
            Err(problems) => {
                out!("{}", problems.render(path));
                outln!("{path}: {} problem(s)", problems.len());
            }
        },
    }
    Ok(exit_for(result.is_ok()))
}

fn print_decision(decision: &Decision, json: bool) -> ExitCode {
    if json {
        let mut decision = decision.clone();
        decision.stamp_now();
        outln!("{}", decision.to_json());
    } else {
        outln!("{decision}");
    }
    exit_for(decision.allowed())
}

/// Evidence files: each file one envelope, each line of a `.jsonl` file one envelope; a
/// directory contributes its `.json`/`.jsonl` files in name order. Each is named by its path
/// (`PATH:LINE` for a line of a `.jsonl` file), which is how the decision names ignored ones.
fn evidence(paths: &[String]) -> Result<Vec<Evidence>, Failure> {
    let mut files = Vec::new();
    for p in paths {
        let path = std::path::Path::new(p);
        if path.is_dir() {
            let mut entries: Vec<_> = fs::read_dir(path)
                .map_err(|e| Failure(format!("error: cannot read {p}: {e}")))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|x| x == "json" || x == "jsonl"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path.to_path_buf());
        }
    }
    let mut out = Vec::new();
    for f in files {
        let bytes = fs::read(&f)
            .map_err(|e| Failure(format!("error: cannot read {}: {e}", f.display())))?;
        let name = f.display().to_string();
        if f.extension().is_some_and(|x| x == "jsonl") {
            out.extend(
                bytes
                    .split(|b| *b == b'\n')
                    .enumerate()
                    .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
                    .map(|(i, l)| Evidence::new(format!("{name}:{}", i + 1), l)),
            );
        } else {
            out.push(Evidence::new(name, bytes));
        }
    }
    Ok(out)
}

/// The `--approvals` file: a JSON list of `{"principal", "at"}` objects. Any other key is
/// refused, as in Python and Node: a misspelt `when` for `at` would drop the approval's time and
/// with it the check of its age.
fn approvals_file(path: &str, text: &str) -> Result<Vec<Approval>, Failure> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Failure(format!("error: {path}: {e}")))?;
    let list = v.as_array().ok_or_else(|| {
        Failure(format!(
            "error: {path}: expected a JSON list of {{principal, at}}"
        ))
    })?;
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let object = a.as_object().ok_or_else(|| {
            Failure(format!(
                "error: {path}: approval {i} is not an object {{principal, at}}"
            ))
        })?;
        if let Some(key) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "principal" | "at"))
        {
            return Err(Failure(format!(
                "error: {path}: approval {i} has the unknown key `{key}` (known: principal, at)"
            )));
        }
        let principal = object
            .get("principal")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| {
                Failure(format!(
                    "error: {path}: approval {i} has no `principal` string"
                ))
            })?;
        let at =
            match object.get("at") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(t)) => Some(parse_time(t).map_err(|e| {
                    Failure(format!("error[{}]: {path}: approval {i}: {e}", e.code()))
                })?),
                Some(other) => {
                    return Err(Failure(format!(
                        "error: {path}: approval {i}: `at` is {other}, not an RFC 3339 string"
                    )));
                }
            };
        out.push(Approval::new(principal, at));
    }
    Ok(out)
}

fn gate(args: &GateArgs, deploy: bool) -> Result<ExitCode, Failure> {
    // A record is evidence for the next hop only when the deploy service signed it; a key
    // without a place to write the record would sign nothing. Both are refused before deciding.
    match (&args.record, &args.sign_with) {
        (Some(_), None) => {
            return Err(Failure(
                "error: --record needs --sign-with KEY: an unsigned promotion record is no evidence"
                    .into(),
            ));
        }
        (None, Some(_)) => {
            return Err(Failure(
                "error: --sign-with needs --record FILE: there is nothing else to sign".into(),
            ));
        }
        _ => {}
    }
    let signing_key = match &args.sign_with {
        Some(key) => Some(
            SigningKey::from_pem(&read(key)?).map_err(|e| Failure(format!("error: {key}: {e}")))?,
        ),
        None => None,
    };
    let mut policy = load_policy(&args.policy)?;
    for root in &args.trusted_roots {
        policy = policy.with_trusted_root(sigstore::load_root(root)?);
    }
    let approvals = match &args.approvals {
        None => Vec::new(),
        Some(path) => approvals_file(path, &read(path)?)?,
    };
    let principal = match &args.by {
        Some(p) => p.clone(),
        None => std::env::var("USER")
            .map_err(|_| Failure("error: give --by PRINCIPAL (USER is not set)".into()))?,
    };
    // Each argument is read into its type once; the core reads the clock when --at is absent.
    let mut request = DeployRequest::new(principal, parse_digest(&args.artifact)?, &args.to)
        .with_evidence(evidence(&args.evidence)?)
        .with_approvals(approvals)
        .with_rollback(args.rollback)
        .with_emergency(args.emergency)
        .with_images(
            args.images
                .iter()
                .map(|dir| image::read_layout(dir))
                .collect::<Result<Vec<_>, _>>()?,
        );
    request.version = args.version.as_deref().map(parse_version).transpose()?;
    request.last_version = args
        .last_version
        .as_deref()
        .map(parse_version)
        .transpose()?;
    request.at = args.at.as_deref().map(parse_time).transpose()?;
    request.author = args.author.clone();
    request.project = args.project.clone();
    request.git_ref = args.git_ref.clone();
    let outcome = if deploy {
        policy.deploy_request(&request)?
    } else {
        policy.promote(&request)?
    };
    if let (Some(path), Some(key), Some(record)) =
        (&args.record, &signing_key, &outcome.promotion_record)
    {
        let text = Envelope::sign(
            lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE,
            record.to_json().as_bytes(),
            &[key],
        )
        .to_json();
        fs::write(path, text + "\n")
            .map_err(|e| Failure(format!("error: cannot write {path}: {e}")))?;
    }
    if args.json {
        outln!("{}", outcome.to_json_value());
    } else {
        outln!("{outcome}");
        if deploy && outcome.decision.allowed() && outcome.released_secrets.is_empty() {
            outln!("  secrets released: (none)");
        }
        if let (Some(path), true) = (&args.record, outcome.decision.allowed()) {
            outln!("  promotion record written to {path}");
        }
    }
    Ok(exit_for(outcome.decision.allowed()))
}
