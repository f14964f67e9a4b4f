//! `lockkeeper`: the command-line front end.
//!
//! Exit codes are the same for every command: 0 allowed / valid, 1 denied / problems found,
//! 2 bad input or usage (the error goes to stderr). CI systems can gate on them directly.

use std::fs;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use lockkeeper::{
    ApprovalRequest, AuthorizeRequest, Decision, Format, Pipeline, PipelineFormat, Policy,
    Problems, Scope, SourceFile,
};

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
    /// Check pipelines and other artifacts against a policy.
    #[command(subcommand)]
    Check(CheckCommand),
}

#[derive(Subcommand)]
enum CheckCommand {
    /// Import pipeline files (native, Argo, GitLab CI, Zuul, GitHub Actions) and check their
    /// trust flow; without --policy the built-in defaults apply.
    Pipeline(PipelineArgs),
}

#[derive(Args)]
struct PipelineArgs {
    /// Policy file (YAML or JSON); default: the built-in policy (see docs/pipelines.md).
    #[arg(long)]
    policy: Option<String>,
    /// Pipeline files; files of one format are imported together.
    #[arg(required = true)]
    files: Vec<String>,
    /// auto (by path and content), native, argo, gitlab, zuul or github.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Print the decision as JSON.
    #[arg(long)]
    json: bool,
    /// Print the imported pipeline model as JSON instead of checking it.
    #[arg(long)]
    dump: bool,
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
        Command::Check(CheckCommand::Pipeline(args)) => check_pipeline(&args),
    }
}

fn check_pipeline(args: &PipelineArgs) -> Result<ExitCode, Failure> {
    let format = match args.format.as_str() {
        "auto" => None,
        f => Some(f.parse::<PipelineFormat>().map_err(Failure)?),
    };
    let policy = match &args.policy {
        Some(path) => load_policy(path)?,
        None => Policy::builtin().map_err(|p| Failure(p.render("<built-in policy>")))?,
    };
    let texts = args
        .files
        .iter()
        .map(|f| read(f).map(|t| (f.as_str(), t)))
        .collect::<Result<Vec<_>, _>>()?;
    let files: Vec<SourceFile<'_>> = texts
        .iter()
        .map(|(name, text)| SourceFile { name, text })
        .collect();
    let pipeline = Pipeline::import(&files, format).map_err(|e| Failure(e.render()))?;
    if args.dump {
        println!("{}", pipeline.to_json_value());
        return Ok(ExitCode::SUCCESS);
    }
    let decision = policy.check_pipeline(&pipeline);
    if args.json {
        let mut value = decision.to_json_value();
        value["files"] = serde_json::json!(pipeline.files());
        value["jobs"] = serde_json::json!(pipeline.len());
        println!("{value}");
    } else {
        print!("{}", pipeline_text(&decision));
    }
    Ok(if decision.allowed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One block per violation, headed `FILE:LINE: error[CODE] job `NAME`: message`.
fn pipeline_text(decision: &Decision) -> String {
    use serde_json::Value;
    fn fact(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(fact).collect::<Vec<_>>().join(", "),
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{k}: {}", fact(v)))
                .collect::<Vec<_>>()
                .join("; "),
            Value::Null => "(none)".to_owned(),
            other => other.to_string(),
        }
    }
    let verdict = if decision.allowed() {
        "CLEAN"
    } else {
        "VIOLATIONS"
    };
    let mut out = format!("{verdict} {}\n", decision.subject());
    for v in decision.violations() {
        let get = |k: &str| v.facts.get(k).map(fact);
        let mut place = get("file").unwrap_or_default();
        if let Some(line) = get("line") {
            place.push_str(&format!(":{line}"));
        }
        let job = get("job")
            .map(|j| format!(" job `{j}`"))
            .unwrap_or_default();
        out.push_str(&format!("{place}: error[{}]{job}: {}\n", v.code, v.message));
        for (k, value) in &v.facts {
            if matches!(k.as_str(), "file" | "line" | "job" | "column") {
                continue;
            }
            match value {
                Value::Array(items) if items.iter().any(Value::is_object) => {
                    out.push_str(&format!("      {k}:\n"));
                    for item in items {
                        out.push_str(&format!("        - {}\n", fact(item)));
                    }
                }
                _ => out.push_str(&format!("      {k}: {}\n", fact(value))),
            }
        }
        out.push_str(&format!("    help: {}\n", v.help));
    }
    let n = decision.violations().len();
    out.push_str(&format!("{n} violation{}\n", if n == 1 { "" } else { "s" }));
    out
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
