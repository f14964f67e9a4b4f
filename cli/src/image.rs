//! `lockkeeper image ...`: reads layout directories and manifest files, then asks the core.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use lockkeeper::Format;
use lockkeeper::image::{ImageSet, InventoryEntry, RebuildReport, parse_inventory};
use serde_json::{Value, json};

use lockkeeper::render::{self, Finding, Output};

use crate::{Failure, load_policy, output, read};

#[derive(Subcommand)]
pub(crate) enum ImageCommand {
    /// Check OCI image layouts (or a manifest + config pair) against the policy's `images:` rules.
    Check(CheckArgs),
    /// Which images must be rebuilt, in which order, when a base is vulnerable?
    RebuildPlan(PlanArgs),
}

#[derive(Args)]
pub(crate) struct CheckArgs {
    /// Policy file (YAML or JSON).
    #[arg(long)]
    policy: String,
    /// OCI image layout directories (oci-layout, index.json, blobs/). Checked together, so an
    /// image's base can be found among them.
    layouts: Vec<String>,
    /// An image manifest file (with --config) instead of, or besides, layouts.
    #[arg(long, requires = "config")]
    manifest: Option<String>,
    /// The image config file that --manifest names.
    #[arg(long, requires = "manifest")]
    config: Option<String>,
    /// Print the decisions as JSON (the same as --output json).
    #[arg(long)]
    json: bool,
    /// text, json or sarif (SARIF 2.1.0, for code scanning).
    #[arg(long, conflicts_with = "json")]
    output: Option<String>,
}

#[derive(Args)]
pub(crate) struct PlanArgs {
    /// A vulnerable image or base digest, sha256:<hex> (repeat for several).
    #[arg(long, required = true)]
    vulnerable: Vec<String>,
    /// OCI image layout directories making up the inventory.
    #[arg(conflicts_with = "inventory", required_unless_present = "inventory")]
    layouts: Vec<String>,
    /// A JSON inventory: [{"name", "digest", "base_digest"}].
    #[arg(long)]
    inventory: Option<String>,
    /// Print the plan as JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: ImageCommand) -> Result<ExitCode, Failure> {
    match command {
        ImageCommand::Check(args) => check(args),
        ImageCommand::RebuildPlan(args) => plan(args),
    }
}

/// Reads a layout directory (see `lockkeeper_fs::read_layout`).
pub(crate) fn read_layout(dir: &str) -> Result<ImageSet, Failure> {
    lockkeeper_fs::read_layout(Path::new(dir))
        .map_err(|e| Failure(format!("error: cannot read {dir}: {e}")))
}

fn read_bytes(path: &str) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| Failure(format!("error: cannot read {path}: {e}")))
}

fn check(args: CheckArgs) -> Result<ExitCode, Failure> {
    let policy = load_policy(&args.policy)?;
    let mut sets = Vec::new();
    for dir in &args.layouts {
        sets.push(read_layout(dir)?);
    }
    if let (Some(m), Some(c)) = (&args.manifest, &args.config) {
        sets.push(ImageSet::from_manifest(m, &read_bytes(m)?, &read_bytes(c)?));
    }
    if sets.is_empty() {
        return Err(Failure(
            "error: name at least one layout directory, or --manifest and --config".to_owned(),
        ));
    }
    let mut decisions = policy.check_images(&sets);
    for d in &mut decisions {
        d.stamp_now();
    }
    let allowed = decisions.iter().all(|d| d.allowed());
    let out = output(args.json, args.output.as_deref())?;
    if out == Output::Sarif {
        // A finding without a file of its own is placed in the layout (or manifest) it came from.
        let findings: Vec<Finding<'_>> = decisions
            .iter()
            .zip(&sets)
            .flat_map(|(d, set)| {
                d.violations()
                    .iter()
                    .map(|v| Finding::violation(v).in_file(&set.origin))
            })
            .collect();
        outln!("{}", render::sarif::log(&findings));
    } else if out == Output::Json {
        let list: Vec<Value> = decisions
            .iter()
            .zip(&sets)
            .map(|(d, set)| {
                let mut v = d.to_json_value();
                if let Value::Object(map) = &mut v {
                    map.insert("origin".to_owned(), json!(set.origin));
                    map.insert(
                        "images".to_owned(),
                        json!(
                            set.images
                                .iter()
                                .map(|i| json!({
                                    "name": i.display_name(),
                                    "digest": i.digest,
                                    "platform": i.platform,
                                }))
                                .collect::<Vec<_>>()
                        ),
                    );
                    map.insert("skipped".to_owned(), json!(set.skipped));
                }
                v
            })
            .collect();
        outln!("{}", json!({"allowed": allowed, "decisions": list}));
    } else {
        for (d, set) in decisions.iter().zip(&sets) {
            outln!("{d}");
            for image in &set.images {
                outln!("  image: {}  {}", image.display_name(), image.digest);
            }
            for s in &set.skipped {
                outln!("  skipped: {} ({})", s.digest, s.reason);
            }
        }
    }
    Ok(crate::exit_for(allowed))
}

fn plan(args: PlanArgs) -> Result<ExitCode, Failure> {
    let inventory: Vec<InventoryEntry> = match &args.inventory {
        Some(path) => {
            let text = read(path)?;
            parse_inventory(&text, Format::for_path(path, &text))
                .map_err(|p| Failure(p.render(path)))?
        }
        None => {
            let mut sets = Vec::new();
            for dir in &args.layouts {
                sets.push(read_layout(dir)?);
            }
            InventoryEntry::from_image_sets(&sets)?
        }
    };
    let report = RebuildReport::plan(&inventory, &args.vulnerable)?;
    if args.json {
        outln!("{}", report.to_json_value());
    } else {
        out!("{}", report.to_text());
    }
    Ok(crate::exit_for(report.blocked.is_empty()))
}
