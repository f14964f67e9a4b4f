//! Monotonicity of the deploy gate (in-toto's principle): removing evidence never turns a
//! denial into an allow, and adding a valid approval never turns an allow into a denial.

use std::fs;
use std::path::{Path, PathBuf};

use lockkeeper::Policy;
use lockkeeper::digest::Digest;
use lockkeeper::promotion::{Approval, DeployRequest, Evidence, parse_time};
use proptest::prelude::*;

const EVIDENCE: [&str; 12] = [
    "build",
    "build-untrusted",
    "in-testing",
    "in-staging",
    "rebuilt-in-testing",
    "production-had-2.0.0",
    "in-testing-wrong-signer",
    "tests-passed",
    "tests-failed",
    "tests-stale",
    "tests-untrusted-signer",
    "not-an-envelope",
];
const PRINCIPALS: [&str; 5] = ["alice", "bob", "carol", "dave", "ivan"];
const ENVIRONMENTS: [&str; 3] = ["testing", "staging", "production"];

fn cases() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

struct World {
    policy: Policy,
    evidence: Vec<Vec<u8>>,
    artifact: Digest,
}

fn world() -> World {
    let read = |p: &str| fs::read(cases().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let text = String::from_utf8(read("policies/promotion.yaml")).unwrap_or_default();
    let policy = Policy::from_yaml(&text).unwrap_or_else(|e| panic!("{e}"));
    let evidence = EVIDENCE
        .iter()
        .map(|e| {
            if *e == "not-an-envelope" {
                read("envelopes/not-an-envelope.json")
            } else {
                read(&format!("envelopes/promo-{e}.json"))
            }
        })
        .collect();
    let artifact = String::from_utf8(read("envelopes/promo-artifact.txt")).unwrap_or_default();
    World {
        policy,
        evidence,
        artifact: Digest::parse(artifact.trim()).unwrap_or_else(|e| panic!("{e}")),
    }
}

fn allowed(
    w: &World,
    env: usize,
    evidence: &[usize],
    approvals: &[(usize, bool)],
    now: &str,
) -> bool {
    let request = DeployRequest::new("alice", w.artifact.clone(), ENVIRONMENTS[env])
        .with_version(lockkeeper::Version::new(1, 4, 2))
        .with_evidence(Evidence::numbered(
            evidence.iter().map(|&i| w.evidence[i].clone()),
        ))
        .with_approvals(approvals.iter().map(|&(p, fresh)| {
            let at = parse_time(if fresh {
                "2026-11-23T10:00:00Z"
            } else {
                "2026-11-01T10:00:00Z"
            });
            Approval::new(PRINCIPALS[p], at.ok())
        }))
        .with_author("dave")
        .at(parse_time(now).unwrap_or_else(|e| panic!("{e}")));
    w.policy
        .promote(&request)
        .map(|o| o.decision.allowed())
        .unwrap_or(false)
}

fn evidence_set() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..EVIDENCE.len(), 0..8)
}

fn approval_set() -> impl Strategy<Value = Vec<(usize, bool)>> {
    proptest::collection::vec((0..PRINCIPALS.len(), any::<bool>()), 0..5)
}

fn now() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("2026-11-24T10:00:00Z"),
        Just("2026-11-27T17:00:00Z"),
        Just("2026-12-24T10:00:00Z")
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn removing_evidence_never_turns_a_denial_into_an_allow(
        env in 0..ENVIRONMENTS.len(), evidence in evidence_set(), approvals in approval_set(),
        drop in 0usize..8, now in now(),
    ) {
        let w = world();
        prop_assume!(!evidence.is_empty());
        let mut fewer = evidence.clone();
        fewer.remove(drop % evidence.len());
        if allowed(&w, env, &fewer, &approvals, now) {
            prop_assert!(allowed(&w, env, &evidence, &approvals, now));
        }
    }

    #[test]
    fn adding_an_approval_never_turns_an_allow_into_a_denial(
        env in 0..ENVIRONMENTS.len(), evidence in evidence_set(), approvals in approval_set(),
        extra in (0..PRINCIPALS.len(), any::<bool>()), now in now(),
    ) {
        let w = world();
        if allowed(&w, env, &evidence, &approvals, now) {
            let mut more = approvals.clone();
            more.push(extra);
            prop_assert!(allowed(&w, env, &evidence, &more, now));
        }
    }
}

#[test]
fn the_story_allows_something_so_the_properties_are_not_vacuous() {
    let w = world();
    // staging: build + testing record + passing tests.
    assert!(allowed(&w, 1, &[0, 2, 7], &[], "2026-11-24T10:00:00Z"));
    // production: build + staging record + two fresh approvals by release approvers.
    assert!(allowed(
        &w,
        2,
        &[0, 3],
        &[(1, true), (2, true)],
        "2026-11-24T10:00:00Z"
    ));
    assert!(!allowed(
        &w,
        2,
        &[0, 3],
        &[(1, true), (2, true)],
        "2026-11-27T17:00:00Z"
    ));
}
