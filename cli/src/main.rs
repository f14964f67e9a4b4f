//! `lockkeeper`: the command-line front end.
//!
//! Exit codes are the same for every command: 0 allowed / valid, 1 denied / problems found,
//! 2 bad input or usage (the error goes to stderr). CI systems can gate on them directly.

mod image;

use std::fs;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
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
    /// Container images: the image policy and the rebuild cascade.
    #[command(subcommand)]
    Image(image::ImageCommand),
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
pub(crate) struct Failure(pub(crate) String);

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
        Command::Image(command) => image::run(command),
    }
}

pub(crate) fn read(path: &str) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

fn parse_policy(path: &str, text: &str) -> Result<Policy, Problems> {
    Policy::parse(text, Format::for_path(path, text))
}

pub(crate) fn load_policy(path: &str) -> Result<Policy, Failure> {
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
