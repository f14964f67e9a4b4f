//! Runs the shared scenario files in `tests/cases/` (the Python and Node suites run the same
//! files), and checks that every rule in the catalogue has a case that triggers it and one that
//! does not, and is documented in `docs/rules.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod common;

use lockkeeper::attestation::{Envelope, Statement};
use lockkeeper::audit;
use lockkeeper::digest::Digest;
use lockkeeper::image::{ImageSet, InventoryEntry, RebuildReport, parse_inventory};
use lockkeeper::keys::{PublicKey, SigningKey};
use lockkeeper::promotion::{
    Approval, DeployOutcome, DeployRequest, Evidence, parse_time, parse_version,
};
use lockkeeper::sigstore::{Artifact, IdentityPolicy, SignedBy, TrustedRoot, check_bundles};
use lockkeeper::{
    ApprovalRequest, AuthorizeRequest, Decision, Error, Pipeline, PipelineFormat, Policy, RULES,
    Scope, SourceFile,
};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn case_files() -> Result<Vec<(PathBuf, Value)>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(cases_dir())? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
            let text = fs::read_to_string(&path)?;
            let value: Value = serde_saphyr::from_str(&text)?;
            out.push((path, value));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Whether `got` holds everything `want` says: an object's keys (a `null` one absent), a list's
/// items each somewhere in the list, scalars equal. How `verified` expectations are written.
fn contains(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().all(|(k, wv)| match g.get(k) {
            None => wv.is_null(),
            Some(gv) => contains(wv, gv),
        }),
        (Value::Array(w), Value::Array(g)) => {
            w.iter().all(|wv| g.iter().any(|gv| contains(wv, gv)))
        }
        (Value::Number(w), Value::Number(g)) => w.as_f64() == g.as_f64(),
        _ => want == got,
    }
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn scope(v: &Value) -> Scope {
    Scope {
        project: s(v, "project"),
        git_ref: s(v, "ref"),
        environment: s(v, "environment"),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What one case produced: violation codes of a decision, problem codes, or an error code.
#[derive(Debug)]
enum Outcome {
    Decision(Decision),
    Gate(DeployOutcome),
    Problems(Vec<(String, Option<String>, String)>),
    Error(String),
    Plan(RebuildReport),
}

fn problem_list(problems: lockkeeper::Problems) -> Vec<(String, Option<String>, String)> {
    problems
        .iter()
        .map(|p| {
            (
                p.code.to_string(),
                p.location.map(|l| l.to_string()),
                p.message.clone(),
            )
        })
        .collect()
}

/// Reads an OCI layout directory the way the CLI does: only the files the core asks for.
fn read_layout(dir: &Path) -> ImageSet {
    let source = |rel: &str, _limit: u64| -> Result<Option<Vec<u8>>, String> {
        match fs::read(dir.join(rel)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    };
    ImageSet::from_layout(&dir.display().to_string(), &source)
}

fn rebuild_case(req: &Value) -> Result<Outcome, Box<dyn std::error::Error>> {
    let text = match (s(req, "inventory"), s(req, "inventory_json")) {
        (Some(file), _) => fs::read_to_string(cases_dir().join(file))?,
        (None, Some(text)) => text,
        (None, None) => return Err("rebuild case without inventory".into()),
    };
    let inventory: Vec<InventoryEntry> =
        parse_inventory(&text, lockkeeper::Format::Json).map_err(|p| p.to_string())?;
    Ok(
        match RebuildReport::plan(&inventory, &strings(req.get("vulnerable"))) {
            Ok(report) => Outcome::Plan(report),
            Err(e) => Outcome::Error(e.code().to_string()),
        },
    )
}

fn run_case(file: &Value, case: &Value) -> Result<Outcome, Box<dyn std::error::Error>> {
    for (key, format) in [
        ("policy_yaml", lockkeeper::Format::Yaml),
        ("policy_json", lockkeeper::Format::Json),
    ] {
        if let Some(text) = case.get(key).and_then(Value::as_str) {
            return Ok(Outcome::Problems(match Policy::parse(text, format) {
                Ok(_) => Vec::new(),
                Err(Error::Problems(p)) => problem_list(p),
                Err(e) => return Err(e.into()),
            }));
        }
    }
    if let Some(text) = case.get("inventory_json").and_then(Value::as_str) {
        return Ok(Outcome::Problems(
            parse_inventory(text, lockkeeper::Format::Json)
                .err()
                .map(problem_list)
                .unwrap_or_default(),
        ));
    }
    if let Some(path) = s(case, "inventory_file") {
        let text = fs::read_to_string(cases_dir().join(path))?;
        return Ok(Outcome::Problems(
            parse_inventory(&text, lockkeeper::Format::Json)
                .err()
                .map(problem_list)
                .unwrap_or_default(),
        ));
    }
    if let Some(req) = case.get("rebuild") {
        return rebuild_case(req);
    }
    if let Some(req) = case.get("envelope_verify") {
        let envelope = fs::read(cases_dir().join(s(req, "envelope").unwrap_or_default()))?;
        let keys = strings(req.get("keys"))
            .iter()
            .map(|k| Ok(PublicKey::parse(&fs::read_to_string(cases_dir().join(k))?)?))
            .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
        let threshold = req.get("threshold").and_then(Value::as_u64).unwrap_or(1) as usize;
        let result = Envelope::from_json(&envelope)
            .map_err(Error::from)
            .and_then(|e| e.verify(&keys, threshold).map_err(Error::from));
        return Ok(match result {
            Ok(_) => Outcome::Decision(Decision::new("verified")),
            Err(e) => Outcome::Error(e.code().to_string()),
        });
    }
    if let Some(req) = case.get("bundle_verify") {
        return bundle_case(req);
    }
    if let Some(req) = case.get("parse") {
        let path = |key: &str| s(req, key).map(|p| cases_dir().join(p));
        let result: Result<(), Error> = if let Some(text) = s(req, "key") {
            PublicKey::parse(&text).map(drop).map_err(Error::from)
        } else if let Some(p) = path("key_file") {
            PublicKey::parse(&fs::read_to_string(p)?)
                .map(drop)
                .map_err(Error::from)
        } else if let Some(text) = s(req, "digest") {
            Digest::parse(&text).map(drop).map_err(Error::from)
        } else if let Some(p) = path("envelope") {
            Envelope::from_json(&fs::read(p)?)
                .map(drop)
                .map_err(Error::from)
        } else if let Some(p) = path("statement") {
            Statement::from_json(&fs::read(p)?)
                .map(drop)
                .map_err(Error::from)
        } else {
            return Err("parse case names nothing to parse".into());
        };
        return Ok(match result {
            Ok(()) => Outcome::Decision(Decision::new("parsed")),
            Err(e) => Outcome::Error(e.code().to_string()),
        });
    }
    if let Some(req) = case.get("audit_verify") {
        let path = |key: &str| cases_dir().join(s(req, key).unwrap_or_default());
        let log = fs::read(path("log"))?;
        let key = PublicKey::parse(&fs::read_to_string(path("pub"))?)?;
        let checkpoint = match s(req, "checkpoint") {
            None => None,
            Some(_) => match audit::Checkpoint::from_json(&fs::read(path("checkpoint"))?) {
                Ok(c) => Some(c),
                Err(e) => return Ok(Outcome::Error(e.code().to_string())),
            },
        };
        return Ok(Outcome::Decision(audit::verify(
            &log,
            &key,
            checkpoint.as_ref(),
        )));
    }
    if let Some(req) = case.get("audit_append") {
        let path = |key: &str| cases_dir().join(s(req, key).unwrap_or_default());
        let mut log = fs::read(path("log"))?;
        let key = SigningKey::from_pem(&fs::read_to_string(path("key"))?)?;
        let record = s(req, "record").unwrap_or_default();
        // An append that succeeds must leave a log that verifies.
        return Ok(match audit::append(&log, record.as_bytes(), &key) {
            Ok(appended) => {
                log.extend_from_slice(appended.line.as_bytes());
                Outcome::Decision(audit::verify(&log, key.public_key(), None))
            }
            Err(e) => Outcome::Error(e.code().to_string()),
        });
    }
    if let Some(text) = case.get("pipeline_yaml").and_then(Value::as_str) {
        return run_pipeline_case(file, case, text);
    }
    let policy_file = s(file, "policy").ok_or("case file names no policy")?;
    let policy = Policy::from_yaml(&fs::read_to_string(cases_dir().join(policy_file))?)?;
    if let Some(req) = case.get("gate") {
        let artifact = Digest::parse(&s(req, "artifact").ok_or("a gate case names no artifact")?)?;
        let evidence = strings(req.get("evidence"))
            .iter()
            .map(|e| fs::read(cases_dir().join(e)).map(|bytes| Evidence::new(e, bytes)))
            .collect::<Result<Vec<_>, _>>()?;
        // Times are read as every front end reads them: once, before the gate, whose error
        // is `input/invalid-time`.
        let time = |t: Option<String>| t.as_deref().map(parse_time).transpose();
        let approvals = req
            .get("approvals")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| {
                Ok(Approval::new(
                    s(a, "principal").unwrap_or_default(),
                    time(s(a, "at"))?,
                ))
            })
            .collect::<Result<Vec<_>, Error>>();
        let version = |v: Option<String>| v.as_deref().map(parse_version).transpose();
        let typed = (|| {
            Ok::<_, Error>((
                approvals?,
                time(s(req, "now"))?,
                version(s(req, "version"))?,
                version(s(req, "last_version"))?,
            ))
        })();
        let (approvals, now, version, last_version) = match typed {
            Ok(t) => t,
            Err(e) => return Ok(Outcome::Error(e.code().to_string())),
        };
        let mut request = DeployRequest::new(
            s(req, "principal").unwrap_or_default(),
            artifact,
            s(req, "environment").unwrap_or_default(),
        )
        .with_evidence(evidence)
        .with_approvals(approvals)
        .with_rollback(
            req.get("rollback")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        )
        .with_emergency(
            req.get("emergency")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        )
        .with_images(
            strings(req.get("images"))
                .iter()
                .map(|d| read_layout(&cases_dir().join(d))),
        );
        // Every gate case states its time: a case decided by the clock would not reproduce.
        request.at = Some(now.ok_or("a gate case states no `now`")?);
        request.version = version;
        request.last_version = last_version;
        request.author = s(req, "author");
        request.project = s(req, "project");
        request.git_ref = s(req, "ref");
        let result = match s(req, "action").as_deref() {
            Some("deploy") => policy.deploy_request(&request),
            _ => policy.promote(&request),
        };
        return Ok(match result {
            Ok(outcome) => Outcome::Gate(outcome),
            Err(e) if !matches!(e, Error::Problems(_)) => Outcome::Error(e.code().to_string()),
            Err(e) => return Err(e.into()),
        });
    }
    if let Some(req) = case.get("authorize") {
        let principal = s(req, "principal").unwrap_or_default();
        let action = s(req, "action").unwrap_or_default();
        return Ok(
            match AuthorizeRequest::new(&principal, &action, scope(req)) {
                Ok(r) => match policy.authorize(&r) {
                    Ok(d) => Outcome::Decision(d),
                    Err(e) => Outcome::Error(e.code().to_string()),
                },
                Err(e) => Outcome::Error(e.code().to_string()),
            },
        );
    }
    if let Some(dirs) = case.get("image_layouts") {
        let sets: Vec<ImageSet> = strings(Some(dirs))
            .iter()
            .map(|d| read_layout(&cases_dir().join(d)))
            .collect();
        let decision = policy
            .check_images(&sets)
            .into_iter()
            .next()
            .ok_or("no layout given")?;
        return Ok(Outcome::Decision(decision));
    }
    if let Some(pair) = case.get("image_manifest") {
        let manifest = fs::read(cases_dir().join(s(pair, "manifest").unwrap_or_default()))?;
        let config = fs::read(cases_dir().join(s(pair, "config").unwrap_or_default()))?;
        let set = ImageSet::from_manifest("manifest.json", &manifest, &config);
        return Ok(Outcome::Decision(policy.check_image(&set)));
    }
    if let Some(req) = case.get("approvals") {
        let request = ApprovalRequest {
            approvals: strings(req.get("approvals")),
            author: s(req, "author"),
            required: req.get("required").and_then(Value::as_u64).unwrap_or(0) as usize,
            role: s(req, "role"),
            scope: scope(req),
        };
        return Ok(match policy.check_approvals(&request) {
            Ok(d) => Outcome::Decision(d),
            Err(e) if !matches!(e, Error::Problems(_)) => Outcome::Error(e.code().to_string()),
            Err(e) => return Err(e.into()),
        });
    }
    if let Some(req) = case.get("provenance") {
        let envelope = fs::read(cases_dir().join(s(req, "envelope").unwrap_or_default()))?;
        let policy = match s(req, "trusted_root") {
            Some(root) => policy
                .with_trusted_root(TrustedRoot::from_json(&fs::read(cases_dir().join(root))?)?),
            None => policy,
        };
        let artifact = Digest::parse(&s(req, "artifact").unwrap_or_default())?;
        let environment = s(req, "environment");
        return Ok(
            match policy.verify_provenance(&envelope, &artifact, environment.as_deref()) {
                Ok(d) => Outcome::Decision(d),
                Err(e) if !matches!(e, Error::Problems(_)) => Outcome::Error(e.code().to_string()),
                Err(e) => return Err(e.into()),
            },
        );
    }
    Err("case has no request".into())
}

/// A Sigstore bundle checked without a policy: against `identity` or `keys`, over `artifact`
/// (a file) or `digest`, with the `trusted_root` file.
fn bundle_case(req: &Value) -> Result<Outcome, Box<dyn std::error::Error>> {
    let file = |key: &str| fs::read(cases_dir().join(s(req, key).unwrap_or_default()));
    let root = match TrustedRoot::from_json(&file("trusted_root")?) {
        Ok(r) => r,
        Err(e) => return Ok(Outcome::Error(e.code.to_string())),
    };
    let bundle = file("bundle")?;
    let keys = strings(req.get("keys"))
        .iter()
        .map(|k| Ok(PublicKey::parse(&fs::read_to_string(cases_dir().join(k))?)?))
        .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
    let identity = req
        .get("identity")
        .map(IdentityPolicy::from_value)
        .transpose()?;
    let signed_by = match &identity {
        Some(i) => SignedBy::Identity(i),
        None => SignedBy::Key(&keys),
    };
    let (content, digest);
    let artifact = match s(req, "digest") {
        Some(d) => {
            digest = Digest::parse(&d)?;
            Artifact::Digest(&digest)
        }
        None => {
            content = file("artifact")?;
            Artifact::Bytes(&content)
        }
    };
    Ok(Outcome::Decision(
        check_bundles(&bundle, artifact, &root, &signed_by).decision,
    ))
}

/// A pipeline case: import `pipeline_yaml` (as `format`, default native; `auto` detects from
/// `file`), then check it against the file's `policy`, or the built-in one when there is none.
fn run_pipeline_case(
    file: &Value,
    case: &Value,
    text: &str,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let format = match s(case, "format").as_deref() {
        None => Some(PipelineFormat::Native),
        Some("auto") => None,
        Some(f) => Some(f.parse::<PipelineFormat>()?),
    };
    let name = s(case, "file").unwrap_or_else(|| "pipeline.yaml".to_owned());
    let source = SourceFile { name: &name, text };
    let pipeline = match Pipeline::import(&[source], format) {
        Ok(p) => p,
        Err(Error::Import(e)) => {
            return Ok(Outcome::Problems(
                e.files()
                    .flat_map(|f| f.problems.iter())
                    .map(|p| {
                        (
                            p.code.to_string(),
                            p.location.map(|l| l.to_string()),
                            p.message.clone(),
                        )
                    })
                    .collect(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    let policy = match s(file, "policy") {
        Some(path) => Policy::from_yaml(&fs::read_to_string(cases_dir().join(path))?)?,
        None => Policy::builtin().clone(),
    };
    // A case may say whose findings it expects; by default every finding (the auditor's).
    let persona: lockkeeper::Persona = s(case, "persona")
        .unwrap_or_else(|| "auditor".to_owned())
        .parse()?;
    let options = lockkeeper::pipeline::CheckOptions {
        allow_incomplete: case
            .get("allow_incomplete")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        persona,
    };
    Ok(Outcome::Decision(
        policy.check_pipeline_with(&pipeline, options),
    ))
}

fn check(file: &Value, case: &Value) -> Result<(), String> {
    let expect = case.get("expect").ok_or("case has no expect")?;
    let mut outcome = run_case(file, case).map_err(|e| e.to_string())?;
    if let Outcome::Gate(g) = &outcome {
        // Secrets are released, and a record made, exactly when allowed.
        if g.decision.allowed() != g.promotion_record.is_some() {
            return Err(format!(
                "allowed={} but record={:?}",
                g.decision.allowed(),
                g.promotion_record
            ));
        }
        if let Some(want) = expect.get("released_secrets") {
            let got: Vec<&str> = g.released_secrets.iter().map(|r| r.name.as_str()).collect();
            if strings(Some(want)) != got {
                return Err(format!("released secrets {got:?}, expected {want}"));
            }
            if g.released_secrets.iter().any(|r| r.zone != "deploy") {
                return Err("a secret was released outside the deploy zone".into());
            }
        }
        if let Some(want) = expect.get("record_emergency").and_then(Value::as_bool) {
            let got = g
                .promotion_record
                .as_ref()
                .and_then(lockkeeper::promotion::record_emergency);
            if got != Some(want) {
                return Err(format!("record emergency {got:?}, expected {want}"));
            }
        }
        if g.to_json_value()["allowed"] != Value::Bool(g.decision.allowed()) {
            return Err("gate JSON disagrees with the decision".into());
        }
        outcome = Outcome::Decision(g.decision.clone());
    }
    match outcome {
        Outcome::Decision(d) => {
            if let Some(code) = s(expect, "error") {
                return Err(format!("expected error {code}, got decision {d}"));
            }
            let allowed = expect.get("allowed").and_then(Value::as_bool);
            if allowed != Some(d.allowed()) {
                return Err(format!("expected allowed={allowed:?}, got:\n{d}"));
            }
            // No decision both passes and denies one code.
            if let Some(both) = d.passed().iter().find(|&&c| d.has(c)) {
                return Err(format!("{both} is both passed and denied:\n{d}"));
            }
            let sarif_errors = sarif_errors(&d.to_sarif());
            if !sarif_errors.is_empty() {
                return Err(format!("invalid SARIF: {sarif_errors:?}"));
            }
            let decision_errors = decision_errors(&d.to_json_value());
            if !decision_errors.is_empty() {
                return Err(format!(
                    "decision JSON breaks docs/schema/decision.schema.json: {decision_errors:?}"
                ));
            }
            if let Some(want) = expect.get("verified") {
                let got = d.to_json_value()["verified"].clone();
                if !contains(want, &got) {
                    return Err(format!(
                        "verified evidence {got:#}, expected it to contain {want:#}:\n{d}"
                    ));
                }
            }
            let mut want = strings(expect.get("codes"));
            let mut got: Vec<String> = d.violations().iter().map(|v| v.code.to_string()).collect();
            want.sort();
            got.sort();
            if want != got {
                return Err(format!("expected codes {want:?}, got {got:?}:\n{d}"));
            }
            if let Some(needle) = s(expect, "message_contains")
                && !d.violations().iter().any(|v| v.message.contains(&needle))
            {
                return Err(format!("no message contains {needle:?}:\n{d}"));
            }
            // `path`: the job names along the last violation's `path` fact.
            if let Some(want_path) = expect.get("path") {
                let got: Vec<String> = d
                    .violations()
                    .last()
                    .and_then(|v| v.facts.get("path"))
                    .and_then(Value::as_array)
                    .map(|steps| {
                        steps
                            .iter()
                            .filter_map(|st| st.get("job").or(Some(st)).and_then(Value::as_str))
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                if strings(Some(want_path)) != got {
                    return Err(format!("expected path {want_path}, got {got:?}:\n{d}"));
                }
            }
            // The machine form must say the same thing.
            let json = d.to_json_value();
            if json["allowed"] != Value::Bool(d.allowed()) {
                return Err("JSON disagrees with the decision".into());
            }
        }
        Outcome::Problems(problems) => {
            let want = strings(expect.get("problems"));
            let got: Vec<String> = problems.iter().map(|p| p.0.clone()).collect();
            let (mut ws, mut gs) = (want.clone(), got.clone());
            ws.sort();
            gs.sort();
            if ws != gs {
                return Err(format!("expected problems {want:?}, got {problems:#?}"));
            }
            if let Some(at) = expect.get("at") {
                let want_at = strings(Some(at));
                let got_at: Vec<String> = problems
                    .iter()
                    .map(|p| p.1.clone().unwrap_or_default())
                    .collect();
                if want_at != got_at {
                    return Err(format!("expected positions {want_at:?}, got {problems:#?}"));
                }
            }
            if let Some(needle) = s(expect, "message_contains")
                && !problems.iter().any(|p| p.2.contains(&needle))
            {
                return Err(format!("no message contains {needle:?}: {problems:#?}"));
            }
        }
        Outcome::Gate(_) => return Err("unreachable: gate outcomes are converted above".into()),
        Outcome::Error(code) => {
            if s(expect, "error").as_deref() != Some(code.as_str()) {
                return Err(format!("unexpected error {code}"));
            }
        }
        Outcome::Plan(report) => check_plan(expect, &report)?,
    }
    Ok(())
}

fn check_plan(expect: &Value, report: &RebuildReport) -> Result<(), String> {
    if let Some(code) = s(expect, "error") {
        return Err(format!("expected error {code}, got a plan"));
    }
    let waves: Vec<Vec<String>> = report
        .waves
        .iter()
        .map(|w| w.iter().map(|i| i.name.clone()).collect())
        .collect();
    let want: Vec<Vec<String>> = expect
        .get("waves")
        .and_then(Value::as_array)
        .map(|ws| ws.iter().map(|w| strings(Some(w))).collect())
        .unwrap_or_default();
    if waves != want {
        return Err(format!("expected waves {want:?}, got {waves:?}"));
    }
    let blocked: Vec<String> = report.blocked.iter().map(|i| i.name.clone()).collect();
    if blocked != strings(expect.get("blocked")) {
        return Err(format!("unexpected blocked images {blocked:?}"));
    }
    if report.unmatched != strings(expect.get("unmatched")) {
        return Err(format!(
            "unexpected unmatched digests {:?}",
            report.unmatched
        ));
    }
    if let Some(cycles) = expect.get("cycles").and_then(Value::as_array) {
        let want: Vec<Vec<String>> = cycles.iter().map(|c| strings(Some(c))).collect();
        if report.cycles != want {
            return Err(format!("expected cycles {want:?}, got {:?}", report.cycles));
        }
    }
    if let Some(path) = expect.get("path_of_last") {
        let got: Vec<String> = report
            .waves
            .last()
            .and_then(|w| w.last())
            .map(|i| i.path.iter().map(|p| p.digest.clone()).collect())
            .unwrap_or_default();
        if got != strings(Some(path)) {
            return Err(format!("unexpected path {got:?}"));
        }
    }
    Ok(())
}

/// What the official SARIF 2.1.0 schema (vendored in tests/schema/) says is wrong with `log`.
fn sarif_errors(log: &Value) -> Vec<String> {
    static SCHEMA: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    let schema = SCHEMA.get_or_init(|| {
        // The schema's `language` pattern ends in a lone `]`, a literal in ECMA-262 regexes but
        // an error in Rust's: it is escaped here, meaning the same, and the file stays as issued.
        common::schema("tests/schema/sarif-2.1.0-rtm.5.json", &|text| {
            text.replace(
                r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"#,
                r#"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$"#,
            )
        })
    });
    common::schema_errors(schema, log)
}

/// What docs/schema/decision.schema.json says is wrong with a decision's JSON.
fn decision_errors(json: &Value) -> Vec<String> {
    static SCHEMA: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    let schema =
        SCHEMA.get_or_init(|| common::schema("../docs/schema/decision.schema.json", &|t| t));
    common::schema_errors(schema, json)
}

#[test]
fn sarif_of_policy_problems_is_valid_and_located() -> TestResult {
    let Err(Error::Problems(problems)) =
        Policy::from_yaml("zones:\n  trusted:\n    dominate: [untrusted]\n")
    else {
        return Err("the policy should have problems".into());
    };
    let log = lockkeeper::render::sarif::log(&lockkeeper::render::problem_findings(
        "policy.yaml",
        &problems,
    ));
    assert_eq!(sarif_errors(&log), Vec::<String>::new());
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "policy/unknown-field");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "policy.yaml");
    assert_eq!(location["region"]["startLine"], 3);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    assert_eq!(rules, RULES.len());
    // A log that breaks the schema is caught: the check is not vacuous.
    assert!(!sarif_errors(&serde_json::json!({"version": "2.1.0"})).is_empty());
    Ok(())
}

#[test]
fn every_shared_case_gives_the_expected_outcome() -> TestResult {
    let mut failures = Vec::new();
    let mut count = 0;
    for (path, file) in case_files()? {
        for case in file
            .get("cases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            count += 1;
            if let Err(e) = check(&file, case) {
                failures.push(format!(
                    "{} / {}: {e}",
                    path.display(),
                    s(case, "name").unwrap_or_default()
                ));
            }
        }
    }
    assert!(count > 20, "only {count} cases found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    Ok(())
}

/// The codes a case's expectation names (as violation, problem or error).
fn expected_codes(case: &Value) -> BTreeSet<String> {
    let e = case.get("expect").cloned().unwrap_or(Value::Null);
    let mut out: BTreeSet<String> = strings(e.get("codes")).into_iter().collect();
    out.extend(strings(e.get("problems")));
    out.extend(s(&e, "error"));
    out
}

#[test]
fn every_rule_is_triggered_by_one_case_and_not_by_another() -> TestResult {
    let files = case_files()?;
    let mut missing = Vec::new();
    for rule in RULES {
        let own: Vec<&Value> = files
            .iter()
            .filter(|(_, f)| s(f, "rule").as_deref() == Some(rule.code.as_str()))
            .flat_map(|(_, f)| {
                f.get("cases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .collect();
        let code = rule.code.as_str();
        let triggers = own.iter().any(|c| expected_codes(c).contains(code));
        let passes = own.iter().any(|c| !expected_codes(c).contains(code));
        if !(triggers && passes) {
            missing.push(format!(
                "{} (triggers: {triggers}, passes: {passes})",
                rule.code
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without both kinds of case: {missing:?}"
    );
    Ok(())
}

#[test]
fn the_rule_catalogue_and_docs_agree() -> TestResult {
    let docs = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/rules.md"))?;
    // Each heading `### `code`` is followed by the line that classifies it.
    let mut documented: BTreeMap<String, String> = BTreeMap::new();
    let mut lines = docs.lines();
    while let Some(line) = lines.next() {
        if let Some(code) = line.strip_prefix("### `").and_then(|l| l.split('`').next()) {
            documented.insert(code.to_owned(), lines.next().unwrap_or_default().to_owned());
        }
    }
    let catalogue: BTreeMap<String, String> = RULES
        .iter()
        .map(|r| (r.code.to_string(), classification(r)))
        .collect();
    let heads = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        heads(&documented),
        heads(&catalogue),
        "docs/rules.md headings vs rule catalogue"
    );
    for (code, line) in &catalogue {
        let doc = documented.get(code).cloned().unwrap_or_default();
        assert!(
            doc.starts_with(line.as_str()),
            "docs/rules.md, {code}: the line after the heading should start with\n{line}\nbut is\n{doc}"
        );
    }
    Ok(())
}

/// How docs/rules.md classifies a rule on the line under its heading.
fn classification(r: &lockkeeper::Rule) -> String {
    let kind = match r.kind {
        lockkeeper::RuleKind::Problem => "problem",
        lockkeeper::RuleKind::Violation => "violation",
        lockkeeper::RuleKind::Error => "error",
    };
    format!(
        "*{kind}* · severity **{}** · confidence **{}** · persona **{}**.",
        r.severity, r.confidence, r.persona
    )
}

#[test]
fn a_decision_names_its_schema_version_lockkeeper_version_and_policy() -> TestResult {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/wikimedia/policy.yaml"),
    )?;
    let policy = Policy::from_yaml(&text).map_err(|p| p.render("policy.yaml"))?;
    let digest = lockkeeper::digest::Digest::sha256(text.as_bytes()).to_string();
    assert_eq!(policy.digest(), digest);
    let scope = lockkeeper::Scope::any().project("mediawiki/core");
    let mut d = policy.authorize(&AuthorizeRequest::new("alice", "deploy", scope)?)?;
    let json = d.to_json_value();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["lockkeeper_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["policy_digest"], digest.as_str());
    assert!(json.get("decided_at").is_none(), "the core keeps no clock");
    d.decided_at("2026-11-24T12:00:00Z".parse()?);
    d.decided_at("2027-01-01T00:00:00Z".parse()?);
    assert_eq!(d.to_json_value()["decided_at"], "2026-11-24T12:00:00Z");
    assert_eq!(decision_errors(&d.to_json_value()), Vec::<String>::new());
    assert!(d.allowed());
    let mut forged = d.to_json_value();
    forged["violations"] = serde_json::json!([{
        "code": "rbac/missing-permission", "message": "m", "help": "", "severity": "error",
        "confidence": "high", "persona": "regular", "facts": {}
    }]);
    assert!(
        !decision_errors(&forged).is_empty(),
        "an allow that lists violations breaks the schema"
    );
    Ok(())
}

#[test]
fn the_example_policy_is_valid() -> TestResult {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/wikimedia/policy.yaml"),
    )?;
    let policy = Policy::from_yaml(&text).map_err(|p| p.render("policy.yaml"))?;
    assert_eq!(policy.zones().len(), 4);
    assert!(policy.require().merge_implies_deploy);
    Ok(())
}

#[test]
fn the_example_image_policy_passes_the_house_images_and_refuses_the_others() -> TestResult {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = fs::read_to_string(root.join("examples/images/policy.yaml"))?;
    let policy = Policy::from_yaml(&text).map_err(|p| p.render("policy.yaml"))?;
    assert_eq!(policy.images().approved_roots.len(), 2);
    let check = |dirs: &[&str]| -> Decision {
        let sets: Vec<ImageSet> = dirs
            .iter()
            .map(|d| read_layout(&cases_dir().join("images").join(d)))
            .collect();
        policy.check_images(&sets).remove(0)
    };
    for ok in [
        &["root"][..],
        &["app"],
        &["multi-platform"],
        &["app-on-app", "app"],
    ] {
        let d = check(ok);
        assert!(d.allowed(), "{ok:?}: {d}");
    }
    for (dir, code) in [
        ("app-secret", "image/secret-in-env"),
        ("app-as-root", "image/runs-as-root"),
        ("app-external", "image/external-base"),
        ("app-untooled", "image/not-built-by-toolchain"),
        ("app-docker-socket", "image/forbidden-volume"),
        ("tampered", "image/blob-digest-mismatch"),
    ] {
        let d = check(&[dir]);
        assert!(d.has(code), "{dir}: {d}");
    }
    Ok(())
}
