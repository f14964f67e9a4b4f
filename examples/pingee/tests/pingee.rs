//! Runs the pingee binary as a deploy stage would: an allowed deploy runs the deploy command
//! with only the released secrets, as file paths, and the caller sees none of them; its signed
//! promotion record carries the artifact to the next environment; a denied one runs nothing,
//! exits 1 and says why; every decision is in the audit log, which verifies.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use lockkeeper::attestation::IN_TOTO_PAYLOAD_TYPE;
use lockkeeper::{Digest, Envelope, ProvenanceBuilder, SigningKey};
use serde_json::{Value, json};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BUILDER: &str = "https://ci.example.org/builders/trusted";
const TESTING_SECRET: &str = "testing-token-VALUE-4f1c";
const STAGING_SECRET: &str = "staging-token-VALUE-9a2e";
const PUSH_SECRET: &str = "registry-push-VALUE-77d0";

/// The service's files, in a fresh directory: policy, deploy key, secret store, audit log.
struct Service {
    dir: PathBuf,
    deploy_key: SigningKey,
    builder_key: SigningKey,
}

impl Service {
    fn new(test: &str) -> Result<Service, Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("pingee-test-{}-{test}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(dir.join("secrets"))?;
        std::fs::create_dir_all(dir.join("out"))?;
        let builder_key = SigningKey::from_seed(&[11; 32])?;
        let deploy_key = SigningKey::from_seed(&[12; 32])?;
        let pem = |k: &SigningKey| serde_json::to_string(&k.public_key().to_pem());
        std::fs::write(
            dir.join("policy.yaml"),
            format!(
                r#"
zones:
  untrusted: {{}}
  trusted: {{dominates: [untrusted], publish: true}}
  deploy: {{dominates: [trusted], credentials: true}}
environments:
  testing: {{min_build_zone: trusted}}
  staging: {{from: [testing], min_build_zone: trusted}}
principals: {{alice: {{}}, mallory: {{}}}}
roles:
  deployer: {{permissions: [deploy, promote]}}
bindings:
  - {{role: deployer, principals: [alice]}}
builders:
  {BUILDER}: {{zone: trusted, keys: [{builder}]}}
deploy_service:
  id: https://deploy.example.org/pingee
  zone: deploy
  keys: [{deploy}]
secrets:
  testing-token: {{zones: [deploy], environments: [testing]}}
  staging-token: {{zones: [deploy], environments: [staging]}}
  registry-push: {{zones: [trusted]}}
"#,
                builder = pem(&builder_key)?,
                deploy = pem(&deploy_key)?,
            ),
        )?;
        std::fs::write(dir.join("deploy.pem"), deploy_key.to_pem())?;
        for (name, value) in [
            ("testing-token", TESTING_SECRET),
            ("staging-token", STAGING_SECRET),
            ("registry-push", PUSH_SECRET),
        ] {
            std::fs::write(dir.join("secrets").join(name), value)?;
        }
        Ok(Service {
            dir,
            deploy_key,
            builder_key,
        })
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.join("out").join(name)
    }

    /// Sends `request` on stdin. The deploy command records what it was given (its PINGEE_
    /// variables and the contents of each secret file) and tries to print a secret.
    fn ping(&self, request: &Value) -> Result<Output, Box<dyn std::error::Error>> {
        let script = r#"env | grep '^PINGEE_' | sort > "$1/env"
printf '%s' "$PINGEE_SECRETS" | while IFS='=' read -r name path; do
  printf '%s=%s\n' "$name" "$(cat "$path")" >> "$1/values"
done
echo "leaked: $(cat "$PINGEE_SECRET_TESTING_TOKEN" "$PINGEE_SECRET_STAGING_TOKEN" 2>/dev/null)"
echo "leaked on stderr too" >&2
"#;
        let d = |p: &str| self.dir.join(p);
        let mut child = Command::new(env!("CARGO_BIN_EXE_pingee"))
            .arg("--policy")
            .arg(d("policy.yaml"))
            .arg("--key")
            .arg(d("deploy.pem"))
            .arg("--secrets")
            .arg(d("secrets"))
            .arg("--audit")
            .arg(d("audit.jsonl"))
            .arg("--deploy-log")
            .arg(d("deploy.log"))
            .args(["--", "sh", "-c", script, "sh"])
            .arg(d("out"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write as _;
            stdin.write_all(request.to_string().as_bytes())?;
        }
        Ok(child.wait_with_output()?)
    }

    fn audit_lines(&self) -> Result<usize, Box<dyn std::error::Error>> {
        let path = self.dir.join("audit.jsonl");
        if !path.exists() {
            return Ok(0);
        }
        Ok(std::fs::read_to_string(path)?.lines().count())
    }

    fn audit_verifies(&self) -> Result<bool, Box<dyn std::error::Error>> {
        let log = std::fs::read(self.dir.join("audit.jsonl"))?;
        Ok(lockkeeper::audit::verify(&log, self.deploy_key.public_key(), None).allowed())
    }

    /// Build provenance for `artifact` by the trusted builder, as an envelope object.
    fn build_provenance(&self, artifact: &Digest) -> Result<Value, serde_json::Error> {
        let statement = ProvenanceBuilder::new(BUILDER)
            .subject("web-app.tar.gz", artifact.clone())
            .source(
                "git+https://gerrit.example.org/r/web/app",
                Some("refs/heads/main"),
                None,
            )
            .build();
        let envelope = Envelope::sign(
            IN_TOTO_PAYLOAD_TYPE,
            statement.to_json().as_bytes(),
            &[&self.builder_key],
        );
        serde_json::from_str(&envelope.to_json())
    }
}

fn reply(out: &Output) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// What the caller sees: stdout and stderr together.
fn seen_by_caller(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn no_secret_in(text: &str) {
    for secret in [TESTING_SECRET, STAGING_SECRET, PUSH_SECRET] {
        assert!(
            !text.contains(secret),
            "a secret reached the caller: {text}"
        );
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn an_allowed_deploy_gets_only_its_secrets_and_a_denied_one_runs_nothing() -> TestResult {
    let service = Service::new("flow")?;
    let artifact = Digest::sha256(b"web-app-1.4.2.tar.gz");

    // 1. alice deploys a trusted build to testing: allowed, deployed with testing's secret.
    let to_testing = json!({
        "who": "alice",
        "what": {"artifact": artifact.to_string(), "version": "1.4.2"},
        "where": "testing",
        "evidence": [service.build_provenance(&artifact)?],
    });
    let out = service.ping(&to_testing)?;
    assert_eq!(out.status.code(), Some(0), "{}", seen_by_caller(&out));
    let answer = reply(&out)?;
    assert_eq!(answer["allowed"], true);
    assert_eq!(answer["deployed"], true);
    assert_eq!(
        answer["decision"]["released_secrets"][0]["name"],
        "testing-token"
    );
    no_secret_in(&seen_by_caller(&out));

    // The deploy command saw the released secret as a file path, and only that secret.
    let env = read(&service.out("env"));
    assert!(env.contains("PINGEE_ENVIRONMENT=testing"), "{env}");
    assert!(
        env.contains(&format!("PINGEE_ARTIFACT={artifact}")),
        "{env}"
    );
    let staged = env
        .lines()
        .find_map(|l| l.strip_prefix("PINGEE_SECRET_TESTING_TOKEN="))
        .ok_or("no PINGEE_SECRET_TESTING_TOKEN")?;
    assert!(!env.contains(TESTING_SECRET), "a value, not a path: {env}");
    assert!(!env.contains("PINGEE_SECRET_REGISTRY_PUSH") && !env.contains("STAGING"));
    assert_eq!(
        read(&service.out("values")),
        format!("testing-token={TESTING_SECRET}\n")
    );
    assert!(
        !Path::new(staged).exists(),
        "the staged copy is removed after the deploy"
    );
    // Its output went to the service's log, not to the caller.
    assert!(read(&service.dir.join("deploy.log")).contains(TESTING_SECRET));
    assert_eq!(service.audit_lines()?, 1);

    // 2. The signed promotion record is the evidence for the next hop: staging accepts it.
    let record = answer["promotion_record"].clone();
    assert!(record.is_object(), "{answer}");
    std::fs::remove_file(service.out("env"))?;
    std::fs::remove_file(service.out("values"))?;
    let to_staging = json!({
        "who": "alice",
        "what": {"artifact": artifact.to_string(), "version": "1.4.2"},
        "where": "staging",
        "evidence": [service.build_provenance(&artifact)?, record],
    });
    let out = service.ping(&to_staging)?;
    assert_eq!(out.status.code(), Some(0), "{}", seen_by_caller(&out));
    no_secret_in(&seen_by_caller(&out));
    assert_eq!(
        read(&service.out("values")),
        format!("staging-token={STAGING_SECRET}\n")
    );
    std::fs::remove_file(service.out("env"))?;

    // 3. Without that record staging is denied: exit 1, the reason given, nothing run.
    let skipping_testing = json!({
        "who": "alice",
        "what": {"artifact": artifact.to_string(), "version": "1.4.2"},
        "where": "staging",
        "evidence": [service.build_provenance(&artifact)?],
    });
    let out = service.ping(&skipping_testing)?;
    assert_eq!(out.status.code(), Some(1), "{}", seen_by_caller(&out));
    let answer = reply(&out)?;
    assert_eq!(answer["allowed"], false);
    assert_eq!(answer["deployed"], false);
    assert!(answer["promotion_record"].is_null());
    assert_eq!(
        answer["decision"]["violations"][0]["code"],
        "promotion/not-in-source"
    );
    assert!(
        answer["explanation"]
            .as_str()
            .is_some_and(|t| t.contains("no promotion record by the deploy service")),
        "{answer}"
    );
    assert!(
        !service.out("env").exists(),
        "the deploy command ran on a denial"
    );

    // 4. Someone without the role: denied as well.
    let mut by_mallory = to_testing.clone();
    by_mallory["who"] = json!("mallory");
    let out = service.ping(&by_mallory)?;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        reply(&out)?["decision"]["violations"][0]["code"],
        "rbac/missing-permission"
    );
    assert!(!service.out("env").exists());

    // Every decision is on record, allows and denials alike, and the chain verifies.
    assert_eq!(service.audit_lines()?, 4);
    assert!(service.audit_verifies()?);
    std::fs::remove_dir_all(&service.dir)?;
    Ok(())
}

#[test]
fn a_malformed_request_is_refused_undecided_and_unrecorded() -> TestResult {
    let service = Service::new("malformed")?;
    let artifact = Digest::sha256(b"web-app-1.4.2.tar.gz");
    let cases = [
        // A caller cannot pick the decision time (and so step around a freeze window).
        json!({"who": "alice", "what": {"artifact": artifact.to_string()}, "where": "testing", "at": "2026-01-01T00:00:00Z"}),
        json!({"who": "alice", "what": {"artifact": "sha256:XYZ"}, "where": "testing"}),
        json!({"who": "alice", "what": {"artifact": artifact.to_string(), "version": "1.x"}, "where": "testing"}),
        json!({"who": "alice", "what": {"artifact": artifact.to_string()}, "where": "prodution"}),
    ];
    for request in &cases {
        let out = service.ping(request)?;
        assert_eq!(
            out.status.code(),
            Some(2),
            "{request}: {}",
            seen_by_caller(&out)
        );
        assert!(out.stdout.is_empty(), "nothing was decided: {request}");
        assert!(!service.out("env").exists());
    }
    assert_eq!(service.audit_lines()?, 0);
    std::fs::remove_dir_all(&service.dir)?;
    Ok(())
}
