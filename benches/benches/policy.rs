//! Policy load and RBAC decision cost on a large policy (10,000 principals, 1,000 bindings).
//! The same requests side by side with Cedar and regorus are in `benches/peers` (a crate of its
//! own, so that the peers' dependencies stay out of this workspace).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::{AuthorizeRequest, Policy, Scope};
use lockkeeper_benches::{AUTHORIZE_CASES, AUTHORIZE_REF, synthetic_policy};

fn bench(c: &mut Criterion) {
    let example = include_str!("../../examples/wikimedia/policy.yaml");
    c.bench_function("policy_load/example", |b| {
        b.iter(|| Policy::from_yaml(black_box(example)))
    });

    let big = synthetic_policy(10_000, 1_000);
    let mut group = c.benchmark_group("policy_load");
    group.sample_size(10);
    group.bench_function("10k_principals_1k_bindings", |b| {
        b.iter(|| Policy::from_yaml(black_box(&big)))
    });
    group.finish();

    let policy = match Policy::from_yaml(&big) {
        Ok(p) => p,
        Err(p) => panic!("synthetic policy is invalid: {p}"),
    };
    for case in &AUTHORIZE_CASES {
        let scope = Scope::any().project(case.project).git_ref(AUTHORIZE_REF);
        let request = AuthorizeRequest::new(case.principal, "deploy", scope)
            .unwrap_or_else(|e| panic!("bad request: {e}"));
        assert_eq!(
            policy.authorize(&request).is_ok_and(|d| d.allowed()),
            case.allowed,
            "{}",
            case.name
        );
        c.bench_function(
            &format!("authorize/10k_principals_1k_bindings/{}", case.name),
            |b| b.iter(|| policy.authorize(black_box(&request))),
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
