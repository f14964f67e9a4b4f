//! One test pair per gate rule: a request the rule denies and one it passes. The whole gate is
//! exercised by the scenario cases (core/tests/cases/promotion-*.yaml); these pin each rule on
//! its own, with keys made here so nothing is read from disk.

use super::*;
use crate::attestation::ProvenanceBuilder;
use crate::keys::SigningKey;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BUILDER: &str = "https://ci.example.org/builders/trusted";
const PATCHSET_BUILDER: &str = "https://ci.example.org/builders/patchset";
const TEST_RESULT: &str = "https://in-toto.io/attestation/test-result/v0.1";

struct Keys {
    builder: SigningKey,
    patchset: SigningKey,
    deploy: SigningKey,
    stranger: SigningKey,
}

fn keys() -> Result<Keys, Box<dyn std::error::Error>> {
    Ok(Keys {
        builder: SigningKey::from_seed(&[1; 32])?,
        patchset: SigningKey::from_seed(&[2; 32])?,
        deploy: SigningKey::from_seed(&[3; 32])?,
        stranger: SigningKey::from_seed(&[4; 32])?,
    })
}

fn pem(key: &SigningKey) -> Result<String, serde_json::Error> {
    serde_json::to_string(&key.public_key().to_pem())
}

/// testing -> staging -> production, as in the scenario cases, with this module's keys.
fn policy(k: &Keys) -> Result<Policy, Box<dyn std::error::Error>> {
    let text = format!(
        r#"
zones:
  untrusted: {{}}
  trusted: {{dominates: [untrusted], publish: true}}
  deploy: {{dominates: [trusted], credentials: true}}
environments:
  testing: {{min_build_zone: trusted}}
  staging:
    from: [testing]
    attestations:
      - {{predicate_type: "{TEST_RESULT}", signer_zone: trusted, max_age: 7d}}
  sandbox: {{require_image_policy: true}}
  production:
    from: [staging]
    approvals: {{required: 2, role: approver, max_age: 72h}}
    version: ">=1.0.0, <3.0.0"
    freeze:
      - {{from: "2026-12-20T00:00:00Z", until: "2027-01-04T00:00:00Z", reason: end-of-year freeze}}
    emergency_role: incident-commander
principals: {{alice: {{}}, bob: {{}}, carol: {{}}, dave: {{}}, ivan: {{}}}}
roles:
  deployer: {{permissions: [deploy, promote]}}
  approver: {{permissions: [approve]}}
  incident-commander: {{permissions: [deploy, promote]}}
bindings:
  - {{role: deployer, principals: [alice]}}
  - {{role: approver, principals: [bob, carol, dave]}}
  - {{role: incident-commander, principals: [ivan], environment: production}}
builders:
  {BUILDER}: {{zone: trusted, keys: [{builder}]}}
  {PATCHSET_BUILDER}: {{zone: untrusted, keys: [{patchset}]}}
deploy_service:
  id: https://deploy.example.org/pingee
  zone: deploy
  keys: [{deploy}]
secrets:
  production-token: {{zones: [deploy], environments: [production]}}
  staging-token: {{zones: [deploy], environments: [staging]}}
  registry-push: {{zones: [trusted]}}
"#,
        builder = pem(&k.builder)?,
        patchset = pem(&k.patchset)?,
        deploy = pem(&k.deploy)?,
    );
    Ok(Policy::from_yaml(&text)?)
}

fn artifact() -> Digest {
    Digest::sha256(b"web-app-1.4.2.tar.gz")
}

fn time(text: &str) -> Timestamp {
    parse_time(text).unwrap_or_else(|e| panic!("{e}"))
}

fn version(text: &str) -> semver::Version {
    parse_version(text).unwrap_or_else(|e| panic!("{e}"))
}

fn sign(name: &str, key: &SigningKey, statement: &Statement) -> Evidence {
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement.to_json().as_bytes(), &[key]);
    Evidence::new(name, envelope.to_json())
}

fn provenance(builder: &str, digest: Digest) -> Statement {
    ProvenanceBuilder::new(builder)
        .subject("web-app.tar.gz", digest)
        .source(
            "git+https://gerrit.example.org/r/web/app",
            Some("refs/heads/main"),
            None,
        )
        .build()
}

fn record(environment: &str, digest: Digest, version: &str) -> Statement {
    Statement::new(
        vec![("web-app.tar.gz".into(), digest)],
        PROMOTION_PREDICATE,
        json!({"environment": environment, "version": version, "decided_at": "2026-11-20T10:00:00Z"}),
    )
}

fn tests(result: &str, timestamp: &str) -> Statement {
    Statement::new(
        vec![("web-app.tar.gz".into(), artifact())],
        TEST_RESULT,
        json!({"result": result, "timestamp": timestamp}),
    )
}

fn env<'p>(policy: &'p Policy, name: &str) -> &'p Environment {
    policy
        .target_environment(name)
        .unwrap_or_else(|e| panic!("{e}"))
}

const NOW: &str = "2026-11-24T10:00:00Z";

/// The rules' view of a request for `artifact` into `env_name` at `now`, with empty base facts.
fn target<'p>(policy: &'p Policy, env_name: &str, artifact: &'p Digest, now: &str) -> Target<'p> {
    Target {
        policy,
        env: env(policy, env_name),
        artifact,
        now: time(now),
        scope: Scope::any().environment(env_name),
        base: Facts::new(),
    }
}

fn codes_of(d: &Decision) -> Vec<&str> {
    d.violations().iter().map(|v| v.code.as_str()).collect()
}

fn fresh() -> Decision {
    Decision::new("test")
}

#[test]
fn an_undefined_environment_is_an_error_and_a_defined_one_is_found() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let e = p.target_environment("prodution").err().ok_or("no error")?;
    assert_eq!(e.code(), codes::PROMOTION_UNKNOWN_ENVIRONMENT);
    assert!(e.to_string().contains("production"), "{e}");
    assert_eq!(p.target_environment("production")?.name, "production");
    Ok(())
}

#[test]
fn evidence_is_kept_only_when_a_trusted_key_signed_an_in_toto_statement() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let mut trusted = p.trusted_keys(true);
    let build = provenance(BUILDER, artifact());
    let other_type =
        Envelope::sign("text/plain", build.to_json().as_bytes(), &[&k.builder]).to_json();
    let (signed, ignored) = p.read_evidence(
        &[
            sign("good.json", &k.builder, &build),
            sign("stranger.json", &k.stranger, &build),
            Evidence::new("garbage.json", b"{not json".to_vec()),
            Evidence::new("plain.json", other_type),
        ],
        &artifact(),
        &mut trusted,
    );
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].name, "good.json");
    assert_eq!(signed[0].owners[0].name(), BUILDER);
    let names: Vec<&str> = ignored.iter().map(|i| i.evidence.as_str()).collect();
    assert_eq!(names, ["stranger.json", "garbage.json", "plain.json"]);
    assert!(
        ignored[0]
            .why
            .contains("no signature by a key the policy trusts")
    );
    assert!(ignored[2].why.contains("not in-toto"));
    Ok(())
}

#[test]
fn the_artifact_is_known_by_the_names_statements_about_its_digest_give() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let mut trusted = p.trusted_keys(true);
    let other = Statement::new(
        vec![("other.tar.gz".into(), Digest::sha256(b"other"))],
        TEST_RESULT,
        json!({}),
    );
    let (signed, _) = p.read_evidence(
        &[
            sign("a", &k.builder, &provenance(BUILDER, artifact())),
            sign("b", &k.builder, &other),
        ],
        &artifact(),
        &mut trusted,
    );
    assert_eq!(artifact_names(&signed, &artifact()), ["web-app.tar.gz"]);
    assert!(artifact_names(&signed, &Digest::sha256(b"nothing")).is_empty());
    Ok(())
}

#[test]
fn build_provenance_from_a_trusted_zone_passes_and_from_a_lower_zone_denies() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let check = |evidence: Evidence| {
        let mut trusted = p.trusted_keys(true);
        let (signed, _) = p.read_evidence(&[evidence], &a, &mut trusted);
        let mut d = fresh();
        target(&p, "testing", &a, NOW).check_build(&signed, &trusted, &mut d);
        d
    };
    let good = check(sign("b", &k.builder, &provenance(BUILDER, artifact())));
    assert!(good.allowed(), "{good}");
    assert!(good.passed().contains(&codes::PROMOTION_BUILD_ZONE_TOO_LOW));
    let low = check(sign(
        "b",
        &k.patchset,
        &provenance(PATCHSET_BUILDER, artifact()),
    ));
    assert_eq!(codes_of(&low), ["promotion/build-zone-too-low"]);
    let none = check(sign(
        "r",
        &k.deploy,
        &record("testing", artifact(), "1.0.0"),
    ));
    assert_eq!(codes_of(&none), ["promotion/missing-attestation"]);
    Ok(())
}

#[test]
fn the_source_rule_wants_a_promotion_record_of_this_digest_from_a_source() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let staging = target(&p, "staging", &a, NOW);
    let check = |evidence: Vec<Evidence>| {
        let mut trusted = p.trusted_keys(true);
        let (signed, _) = p.read_evidence(&evidence, &a, &mut trusted);
        let names = artifact_names(&signed, &a);
        let records: Vec<&Signed<'_>> = signed.iter().filter(|s| s.is_promotion_record()).collect();
        let mut d = fresh();
        staging.check_source(&names, &records, &mut d);
        d
    };
    let build = sign("b", &k.builder, &provenance(BUILDER, artifact()));
    let ok = check(vec![
        build.clone(),
        sign("r", &k.deploy, &record("testing", artifact(), "1.4.2")),
    ]);
    assert!(ok.allowed(), "{ok}");
    assert!(ok.passed().contains(&codes::PROMOTION_NOT_IN_SOURCE));

    let none = check(vec![build.clone()]);
    assert_eq!(codes_of(&none), ["promotion/not-in-source"]);

    // A record signed by a builder is no promotion record.
    let forged = check(vec![
        build.clone(),
        sign("r", &k.builder, &record("testing", artifact(), "1.4.2")),
    ]);
    assert_eq!(codes_of(&forged), ["promotion/not-in-source"]);

    let rebuilt = check(vec![
        build.clone(),
        sign(
            "r",
            &k.deploy,
            &record("testing", Digest::sha256(b"rebuilt"), "1.4.2"),
        ),
    ]);
    assert_eq!(codes_of(&rebuilt), ["promotion/digest-mismatch"]);

    let elsewhere = check(vec![
        build,
        sign("r", &k.deploy, &record("sandbox", artifact(), "1.4.2")),
    ]);
    assert_eq!(codes_of(&elsewhere), ["promotion/no-edge"]);
    Ok(())
}

#[test]
fn a_required_test_result_must_pass_be_fresh_and_come_from_a_trusted_signer() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let staging = target(&p, "staging", &a, NOW);
    let check = |evidence: Evidence| {
        let mut trusted = p.trusted_keys(true);
        let (signed, _) = p.read_evidence(&[evidence], &a, &mut trusted);
        let mut d = fresh();
        staging.check_attestations(&signed, &mut d);
        d
    };
    let ok = check(sign(
        "t",
        &k.builder,
        &tests("PASSED", "2026-11-22T10:00:00Z"),
    ));
    assert!(ok.allowed(), "{ok}");
    assert!(ok.passed().contains(&codes::PROMOTION_TEST_FAILED));
    let failed = check(sign(
        "t",
        &k.builder,
        &tests("FAILED", "2026-11-22T10:00:00Z"),
    ));
    assert_eq!(codes_of(&failed), ["promotion/test-failed"]);
    let stale = check(sign(
        "t",
        &k.builder,
        &tests("PASSED", "2026-10-01T10:00:00Z"),
    ));
    assert_eq!(codes_of(&stale), ["promotion/stale-evidence"]);
    let low = check(sign(
        "t",
        &k.patchset,
        &tests("PASSED", "2026-11-22T10:00:00Z"),
    ));
    assert_eq!(codes_of(&low), ["promotion/missing-attestation"]);
    Ok(())
}

#[test]
fn approvals_count_distinct_fresh_qualified_approvers_but_not_the_author() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let production = target(&p, "production", &a, NOW);
    let check = |approvals: &[Approval], author: Option<&str>| -> Result<Decision, Error> {
        let mut d = fresh();
        production.check_quorum(approvals, author, &mut d)?;
        Ok(d)
    };
    let recent = Some(time("2026-11-23T10:00:00Z"));
    let ok = check(
        &[Approval::new("bob", recent), Approval::new("carol", recent)],
        Some("dave"),
    )?;
    assert!(ok.allowed(), "{ok}");
    assert!(
        ok.passed()
            .contains(&codes::PROMOTION_INSUFFICIENT_APPROVALS)
    );

    let old = Some(time("2026-11-01T10:00:00Z"));
    let expired = check(
        &[Approval::new("bob", recent), Approval::new("carol", old)],
        None,
    )?;
    assert_eq!(codes_of(&expired), ["promotion/insufficient-approvals"]);
    let facts = &expired.violations()[0].facts;
    assert_eq!(
        facts["approvals_expired_or_undated"][0]["principal"],
        "carol"
    );

    let undated = check(
        &[Approval::new("bob", recent), Approval::new("carol", None)],
        None,
    )?;
    assert_eq!(codes_of(&undated), ["promotion/insufficient-approvals"]);

    let own = check(
        &[Approval::new("bob", recent), Approval::new("carol", recent)],
        Some("carol"),
    )?;
    assert!(
        !own.allowed(),
        "the author's own approval does not count: {own}"
    );

    // An environment without an approvals rule runs no approval check.
    let mut d = fresh();
    target(&p, "testing", &a, NOW).check_quorum(&[], None, &mut d)?;
    assert!(d.allowed() && d.passed().is_empty());
    Ok(())
}

#[test]
fn an_image_policy_environment_needs_an_image_with_the_artifacts_digest() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let mut d = fresh();
    target(&p, "sandbox", &a, NOW).check_image_policy(&[], &mut d);
    assert_eq!(codes_of(&d), ["promotion/missing-attestation"]);
    assert!(d.violations()[0].message.contains("image policy"));
    let mut d = fresh();
    target(&p, "testing", &a, NOW).check_image_policy(&[], &mut d);
    assert!(d.allowed() && d.passed().is_empty());
    Ok(())
}

#[test]
fn a_version_must_meet_the_environments_requirement() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let production = target(&p, "production", &a, NOW);
    let check = |v: Option<&str>| {
        let mut d = fresh();
        production.check_version_constraint(v.map(version).as_ref(), &mut d);
        d
    };
    assert!(check(Some("1.4.2")).allowed());
    assert!(check(Some("v2.0.0")).allowed(), "a leading v is read");
    let high = check(Some("3.0.0"));
    assert_eq!(codes_of(&high), ["promotion/version-constraint"]);
    assert_eq!(high.violations()[0].facts["version"], "3.0.0");
    assert_eq!(codes_of(&check(None)), ["promotion/version-constraint"]);
    let mut d = fresh();
    target(&p, "testing", &a, NOW).check_version_constraint(None, &mut d);
    assert!(d.allowed() && d.passed().is_empty());
    Ok(())
}

#[test]
fn the_last_version_is_the_highest_of_the_request_and_the_records_into_the_environment()
-> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let mut trusted = p.trusted_keys(true);
    let (signed, _) = p.read_evidence(
        &[
            sign("a", &k.deploy, &record("production", artifact(), "2.0.0")),
            sign("b", &k.deploy, &record("staging", artifact(), "2.5.0")),
            sign("c", &k.builder, &record("production", artifact(), "2.9.0")),
        ],
        &artifact(),
        &mut trusted,
    );
    let records: Vec<&Signed<'_>> = signed.iter().filter(|s| s.is_promotion_record()).collect();
    let a = artifact();
    let production = target(&p, "production", &a, NOW);
    assert_eq!(
        production.last_version(Some(&version("1.0.0")), &records),
        Some(version("2.0.0")),
        "only the deploy service's records into production count"
    );
    assert_eq!(
        production.last_version(Some(&version("2.1.0")), &records),
        Some(version("2.1.0"))
    );
    let testing = target(&p, "testing", &a, NOW);
    assert_eq!(testing.last_version(None, &records), None);
    Ok(())
}

#[test]
fn a_downgrade_is_denied_unless_declared_a_rollback() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let production = target(&p, "production", &a, NOW);
    let check = |v: &str, rollback: bool| {
        let mut d = fresh();
        let last = version("2.0.0");
        production.check_downgrade(Some(&version(v)), Some(&last), rollback, &mut d);
        d
    };
    assert_eq!(
        codes_of(&check("1.4.2", false)),
        ["promotion/version-downgrade"]
    );
    assert!(check("1.4.2", true).allowed());
    let up = check("2.0.1", false);
    assert!(up.allowed() && up.passed().contains(&codes::PROMOTION_VERSION_DOWNGRADE));
    let mut d = fresh();
    production.check_downgrade(Some(&version("1.0.0")), None, false, &mut d);
    assert!(
        d.allowed() && d.passed().is_empty(),
        "nothing to compare with"
    );
    Ok(())
}

#[test]
fn a_freeze_denies_unless_the_emergency_role_overrides_it() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let a = artifact();
    let check = |who: &str, emergency: bool, now: &str| {
        let mut d = fresh();
        let used = target(&p, "production", &a, now).check_freeze(who, emergency, &mut d);
        (d, used)
    };
    let (d, used) = check("alice", false, "2026-12-24T10:00:00Z");
    assert_eq!(codes_of(&d), ["promotion/freeze-window"]);
    assert!(!used);
    let (d, _) = check("alice", true, "2026-12-24T10:00:00Z");
    assert!(
        d.violations()[0]
            .message
            .contains("does not hold the emergency role")
    );
    let (d, used) = check("ivan", true, "2026-12-24T10:00:00Z");
    assert!(d.allowed() && used, "{d}");
    let (d, used) = check("alice", false, "2026-11-24T10:00:00Z");
    assert!(d.allowed() && !used);
    Ok(())
}

#[test]
fn only_a_deploy_services_zone_receives_the_environments_secrets() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let names = |env_name: &str| -> Vec<String> {
        p.released_secrets(env(&p, env_name))
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(names("production"), ["production-token"]);
    assert!(names("testing").is_empty());
    let no_service = Policy::from_yaml("environments: {production: {}}")?;
    assert!(
        no_service
            .released_secrets(env(&no_service, "production"))
            .is_empty()
    );
    Ok(())
}

#[test]
fn the_promotion_record_names_the_digest_the_environment_and_the_decision_time() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let request = DeployRequest::new("alice", artifact(), "staging").with_version(version("1.4.2"));
    let now = time("2026-11-24T10:00:00Z");
    let names = vec!["web-app.tar.gz".to_owned()];
    let build = sign("build.json", &k.builder, &provenance(BUILDER, artifact()));
    let mut trusted = p.trusted_keys(true);
    let (signed, _) = p.read_evidence(std::slice::from_ref(&build), &artifact(), &mut trusted);
    let inputs: Vec<&Signed<'_>> = signed.iter().collect();
    let record = p.promotion_record(
        env(&p, "staging"),
        &request,
        Permission::Promote,
        &names,
        &inputs,
        now,
        false,
        None,
    );
    assert_eq!(record.predicate_type(), VSA_PREDICATE);
    assert!(record.covers(&artifact()));
    let predicate = record.predicate();
    assert_eq!(
        predicate["verifier"]["id"],
        "https://deploy.example.org/pingee"
    );
    assert_eq!(predicate["timeVerified"], "2026-11-24T10:00:00Z");
    assert_eq!(predicate["resourceUri"], "lockkeeper:environment/staging");
    assert_eq!(predicate["verificationResult"], "PASSED");
    assert_eq!(predicate["slsaVersion"], "1.0");
    assert_eq!(
        predicate["verifiedLevels"],
        json!(["LOCKKEEPER_ENVIRONMENT_STAGING"])
    );
    assert_eq!(predicate["policy"]["uri"], POLICY_URI);
    assert_eq!(
        format!(
            "sha256:{}",
            predicate["policy"]["digest"]["sha256"]
                .as_str()
                .unwrap_or("")
        ),
        p.digest()
    );
    let used = Digest::sha256(&build.bytes);
    assert_eq!(
        predicate["inputAttestations"],
        json!([{"uri": "build.json", "digest": {"sha256": used.hex()}}])
    );
    assert_eq!(record_field(&record, "version"), Some(&json!("1.4.2")));
    assert_eq!(record_emergency(&record), Some(false));
    // The predicate holds the VSA's fields only: strict VSA readers reject unknown ones.
    let mut fields: Vec<&str> = predicate
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "inputAttestations",
            "policy",
            "resourceUri",
            "slsaVersion",
            "timeVerified",
            "verificationResult",
            "verifiedLevels",
            "verifier"
        ]
    );
    // Written and read back, it says the same (annotations included).
    assert_eq!(Statement::from_json(record.to_json().as_bytes())?, record);
    Ok(())
}

#[test]
fn our_vsa_carries_the_artifact_to_the_next_hop_and_a_failed_or_foreign_one_does_not() -> TestResult
{
    let k = keys()?;
    let p = policy(&k)?;
    let build = sign("b", &k.builder, &provenance(BUILDER, artifact()));
    let in_testing = p.promote(
        &DeployRequest::new("alice", artifact(), "testing")
            .with_version(version("1.4.2"))
            .with_evidence([build.clone()])
            .at(time(NOW)),
    )?;
    assert!(in_testing.decision.allowed(), "{}", in_testing.decision);
    let record = in_testing.promotion_record.ok_or("no record on allow")?;
    assert_eq!(record.predicate_type(), VSA_PREDICATE);

    let a = artifact();
    let staging = target(&p, "staging", &a, NOW);
    let check = |evidence: Vec<Evidence>| {
        let mut trusted = p.trusted_keys(true);
        let (signed, _) = p.read_evidence(&evidence, &a, &mut trusted);
        let names = artifact_names(&signed, &a);
        let records: Vec<&Signed<'_>> = signed.iter().filter(|s| s.is_promotion_record()).collect();
        let mut d = fresh();
        staging.check_source(&names, &records, &mut d);
        (d, staging.last_version(None, &records))
    };
    let (ok, _) = check(vec![build.clone(), sign("vsa", &k.deploy, &record)]);
    assert!(ok.allowed(), "{ok}");
    assert!(ok.passed().contains(&codes::PROMOTION_NOT_IN_SOURCE));

    // Signed by a builder, it is no promotion record.
    let (forged, _) = check(vec![build.clone(), sign("vsa", &k.builder, &record)]);
    assert_eq!(codes_of(&forged), ["promotion/not-in-source"]);

    // A VSA that says FAILED shows nothing passed.
    let mut failed = record.to_json_value();
    failed["predicate"]["verificationResult"] = json!("FAILED");
    let failed = Statement::from_value(&failed)?;
    let (denied, _) = check(vec![build.clone(), sign("vsa", &k.deploy, &failed)]);
    assert_eq!(codes_of(&denied), ["promotion/not-in-source"]);

    // A VSA about another resource names no environment.
    let mut foreign = record.to_json_value();
    foreign["predicate"]["resourceUri"] = json!("https://example.com/web-app.tar.gz");
    let foreign = Statement::from_value(&foreign)?;
    let (denied, _) = check(vec![build.clone(), sign("vsa", &k.deploy, &foreign)]);
    assert_eq!(codes_of(&denied), ["promotion/not-in-source"]);

    // The version a VSA into staging states counts as staging's last version.
    let into_staging = p.promote(
        &DeployRequest::new("alice", artifact(), "staging")
            .with_version(version("1.4.2"))
            .with_evidence([
                build.clone(),
                sign("vsa", &k.deploy, &record),
                sign("t", &k.builder, &tests("PASSED", "2026-11-22T10:00:00Z")),
            ])
            .at(time(NOW)),
    )?;
    assert!(into_staging.decision.allowed(), "{}", into_staging.decision);
    let staged = into_staging.promotion_record.ok_or("no record")?;
    let (_, last) = check(vec![sign("s", &k.deploy, &staged)]);
    assert_eq!(last, Some(version("1.4.2")));
    Ok(())
}

#[test]
fn a_real_vsa_by_others_reads_as_a_statement_and_names_no_environment() -> TestResult {
    // The SLSA v1.0 specification's example, with the placeholder digests made whole (the
    // spec abbreviates them) and its comments and trailing comma taken out.
    let text =
        include_str!("../../../testdata/fixtures/sigstore/vsa/slsa-spec_v1.0_vsa-example.jsonc");
    let json: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("\"5678...\"", &format!("\"{}\"", "5".repeat(64)))
        .replace("\"1234...\"", &format!("\"{}\"", "1".repeat(64)))
        .replace("\"abcd...\"", &format!("\"{}\"", "a".repeat(64)))
        .replace(",\n  }", "\n  }");
    let statement = Statement::from_json(format!("{{{json}}}").as_bytes())?;
    assert_eq!(statement.predicate_type(), VSA_PREDICATE);
    assert_eq!(
        statement.predicate()["verifiedLevels"],
        json!(["SLSA_BUILD_LEVEL_3"])
    );
    let k = keys()?;
    let p = policy(&k)?;
    let a = Digest::parse(&format!("sha256:{}", "5".repeat(64)))?;
    let mut trusted = p.trusted_keys(true);
    let (signed, ignored) =
        p.read_evidence(&[sign("spec", &k.deploy, &statement)], &a, &mut trusted);
    assert!(ignored.is_empty(), "{ignored:?}");
    let record = signed.first().ok_or("not kept")?;
    assert!(
        record.is_promotion_record(),
        "a PASSED VSA by the deploy service is a record"
    );
    assert_eq!(
        record.environment(),
        None,
        "its resourceUri names no environment"
    );
    Ok(())
}

#[test]
fn a_request_without_a_time_is_decided_now_and_with_one_at_that_time() -> TestResult {
    let request = DeployRequest::new("alice", artifact(), "testing");
    let before = Timestamp::now();
    let t = request.decision_time();
    assert!(before <= t && t <= Timestamp::now());
    let fixed = request.at(time("2026-11-24T10:00:00Z"));
    assert_eq!(fixed.decision_time(), time("2026-11-24T10:00:00Z"));
    Ok(())
}

#[test]
fn versions_and_times_are_read_once_with_their_own_codes() {
    assert_eq!(
        parse_version("1.x").err().map(|e| e.code()),
        Some(codes::INPUT_INVALID_VERSION)
    );
    assert_eq!(
        parse_time("yesterday").err().map(|e| e.code()),
        Some(codes::INPUT_INVALID_TIME)
    );
    assert_eq!(
        parse_version("v1.2.3").ok(),
        Some(semver::Version::new(1, 2, 3))
    );
}

/// With a build level known, the record lists `SLSA_BUILD_LEVEL_n` beside its environment level,
/// and counts the input VSAs by the build level each states (`dependencyLevels`); without one
/// (and no input VSA stating a level) it lists neither. The record's own level is read back.
#[test]
fn the_promotion_record_states_the_slsa_build_level_and_the_inputs_levels() -> TestResult {
    let k = keys()?;
    let p = policy(&k)?;
    let request = DeployRequest::new("alice", artifact(), "staging");
    let now = time("2026-11-24T10:00:00Z");
    let names = vec!["web-app.tar.gz".to_owned()];
    let upstream = Statement::new(
        vec![("web-app.tar.gz".to_owned(), artifact())],
        VSA_PREDICATE,
        json!({
            "verifier": {"id": "https://deploy.example.org/pingee"},
            "timeVerified": "2026-11-20T10:00:00Z",
            "resourceUri": "lockkeeper:environment/testing",
            "policy": {"uri": POLICY_URI},
            "verificationResult": "PASSED",
            "verifiedLevels": ["LOCKKEEPER_ENVIRONMENT_TESTING", "SLSA_BUILD_LEVEL_2"],
            "slsaVersion": "1.0",
        }),
    );
    assert_eq!(vsa_build_level(&upstream), Some(2));
    let evidence = [
        sign("build.json", &k.builder, &provenance(BUILDER, artifact())),
        sign("in-testing.json", &k.deploy, &upstream),
    ];
    let mut trusted = p.trusted_keys(true);
    let (signed, _) = p.read_evidence(&evidence, &artifact(), &mut trusted);
    let inputs: Vec<&Signed<'_>> = signed.iter().collect();
    let record = |level: Option<u8>, inputs: &[&Signed<'_>]| {
        p.promotion_record(
            env(&p, "staging"),
            &request,
            Permission::Promote,
            &names,
            inputs,
            now,
            false,
            level,
        )
    };
    let with = record(Some(3), &inputs);
    assert_eq!(
        with.predicate()["verifiedLevels"],
        json!(["LOCKKEEPER_ENVIRONMENT_STAGING", "SLSA_BUILD_LEVEL_3"])
    );
    assert_eq!(
        with.predicate()["dependencyLevels"],
        json!({"SLSA_BUILD_LEVEL_2": 1})
    );
    assert_eq!(vsa_build_level(&with), Some(3));
    let without = record(None, &inputs[..1]);
    assert_eq!(
        without.predicate()["verifiedLevels"],
        json!(["LOCKKEEPER_ENVIRONMENT_STAGING"])
    );
    assert!(without.predicate().get("dependencyLevels").is_none());
    assert_eq!(vsa_build_level(&without), None);
    Ok(())
}
