//! Policy load and RBAC decision cost on a large policy (10,000 principals, 1,000 bindings).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::{AuthorizeRequest, Policy, Scope};
use lockkeeper_benches::synthetic_policy;

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
    let scope = Scope::any().project("org3/app").git_ref("refs/heads/main");
    let allowed = AuthorizeRequest::new("user3", "deploy", scope.clone());
    let denied = AuthorizeRequest::new("outsider", "deploy", scope);
    let (Ok(allowed), Ok(denied)) = (allowed, denied) else {
        panic!("bad request");
    };
    assert!(policy.authorize(&allowed).is_ok_and(|d| d.allowed()));
    assert!(policy.authorize(&denied).is_ok_and(|d| !d.allowed()));
    c.bench_function("authorize/10k_principals_1k_bindings/allow", |b| {
        b.iter(|| policy.authorize(black_box(&allowed)))
    });
    c.bench_function(
        "authorize/10k_principals_1k_bindings/deny_with_facts",
        |b| b.iter(|| policy.authorize(black_box(&denied))),
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
