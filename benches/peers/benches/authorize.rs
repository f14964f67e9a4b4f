//! `authorize` on a large policy (10,000 principals, 1,000 bindings) side by side with Cedar
//! and regorus (Rego) deciding the same requests on an equivalent policy
//! (`lockkeeper_benches::AUTHORIZE_CASES`). Criterion reports each; the ratios are printed at
//! the end (`cd benches/peers && cargo bench`).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use lockkeeper::{AuthorizeRequest, Policy, Scope};
use lockkeeper_benches::{
    AUTHORIZE_CASES, AUTHORIZE_REF, AuthorizeCase as Case, synthetic_cedar, synthetic_policy,
    synthetic_rego,
};

const PRINCIPALS: usize = 10_000;
const BINDINGS: usize = 1_000;

const REF: &str = AUTHORIZE_REF;

fn best_of<F: FnMut()>(rounds: u32, mut f: F) -> f64 {
    let mut best = u128::MAX;
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..rounds {
            f();
        }
        best = best.min(t.elapsed().as_nanos());
    }
    best as f64 / f64::from(rounds)
}

/// Cedar's policies, entities and authorizer, and its request for each case.
struct Cedar {
    policies: cedar_policy::PolicySet,
    entities: cedar_policy::Entities,
    authorizer: cedar_policy::Authorizer,
}

impl Cedar {
    fn new() -> Cedar {
        let (policies, entities) = synthetic_cedar(PRINCIPALS, BINDINGS);
        Cedar {
            policies: policies.parse().unwrap_or_else(|e| panic!("cedar: {e}")),
            entities: cedar_policy::Entities::from_json_str(&entities, None)
                .unwrap_or_else(|e| panic!("cedar entities: {e}")),
            authorizer: cedar_policy::Authorizer::new(),
        }
    }

    fn request(case: &Case) -> cedar_policy::Request {
        let uid = |s: String| -> cedar_policy::EntityUid {
            s.parse().unwrap_or_else(|e| panic!("cedar uid: {e}"))
        };
        let context = cedar_policy::Context::from_pairs([
            (
                "project".to_owned(),
                cedar_policy::RestrictedExpression::new_string(case.project.to_owned()),
            ),
            (
                "ref".to_owned(),
                cedar_policy::RestrictedExpression::new_string(REF.to_owned()),
            ),
        ])
        .unwrap_or_else(|e| panic!("cedar context: {e}"));
        cedar_policy::Request::new(
            uid(format!("User::\"{}\"", case.principal)),
            uid("Action::\"deploy\"".to_owned()),
            uid("Project::\"p\"".to_owned()),
            context,
            None,
        )
        .unwrap_or_else(|e| panic!("cedar request: {e}"))
    }

    fn allows(&self, request: &cedar_policy::Request) -> bool {
        self.authorizer
            .is_authorized(request, &self.policies, &self.entities)
            .decision()
            == cedar_policy::Decision::Allow
    }
}

fn rego_engine() -> regorus::Engine {
    let (rego, data) = synthetic_rego(PRINCIPALS, BINDINGS);
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("bench.rego".to_owned(), rego)
        .unwrap_or_else(|e| panic!("rego: {e}"));
    engine
        .add_data(regorus::Value::from_json_str(&data).unwrap_or_else(|e| panic!("data: {e}")))
        .unwrap_or_else(|e| panic!("rego data: {e}"));
    engine
}

fn rego_input(case: &Case) -> regorus::Value {
    let input = format!(
        r#"{{"principal":"{}","action":"deploy","project":"{}","ref":"{REF}"}}"#,
        case.principal, case.project
    );
    regorus::Value::from_json_str(&input).unwrap_or_else(|e| panic!("input: {e}"))
}

fn rego_allows(engine: &mut regorus::Engine, input: &regorus::Value) -> bool {
    engine.set_input(input.clone());
    engine
        .eval_rule("data.lockkeeper.bench.allow".to_owned())
        .unwrap_or_else(|e| panic!("rego eval: {e}"))
        == regorus::Value::from(true)
}

fn bench(c: &mut Criterion) {
    let big = synthetic_policy(PRINCIPALS, BINDINGS);
    let policy = match Policy::from_yaml(&big) {
        Ok(p) => p,
        Err(p) => panic!("synthetic policy is invalid: {p}"),
    };
    let cedar = Cedar::new();
    let mut rego = rego_engine();

    let mut rows = Vec::new();
    for case in &AUTHORIZE_CASES {
        let scope = Scope::any().project(case.project).git_ref(REF);
        let request = AuthorizeRequest::new(case.principal, "deploy", scope)
            .unwrap_or_else(|e| panic!("bad request: {e}"));
        let cedar_request = Cedar::request(case);
        let input = rego_input(case);
        let decision = policy
            .authorize(&request)
            .unwrap_or_else(|e| panic!("lockkeeper: {}: {e}", case.name));
        assert_eq!(
            decision.allowed(),
            case.allowed,
            "lockkeeper: {}",
            case.name
        );
        assert_eq!(
            cedar.allows(&cedar_request),
            case.allowed,
            "cedar: {}",
            case.name
        );
        assert_eq!(
            rego_allows(&mut rego, &input),
            case.allowed,
            "rego: {}",
            case.name
        );
        let facts_bytes = decision
            .violations()
            .first()
            .map_or(0, |v| serde_json::to_vec(&v.facts).map_or(0, |b| b.len()));

        let name = format!("authorize/10k_principals_1k_bindings/{}", case.name);
        let mut group = c.benchmark_group(&name);
        group.bench_function("lockkeeper", |b| {
            b.iter(|| policy.authorize(black_box(&request)))
        });
        group.bench_function("cedar", |b| {
            b.iter(|| cedar.allows(black_box(&cedar_request)))
        });
        group.sample_size(10);
        group.bench_function("regorus", |b| {
            b.iter(|| rego_allows(&mut rego, black_box(&input)))
        });
        group.finish();

        let ours = best_of(2_000, || {
            black_box(policy.authorize(black_box(&request)));
        });
        let theirs = best_of(200, || {
            black_box(cedar.allows(black_box(&cedar_request)));
        });
        let rego_ns = best_of(5, || {
            black_box(rego_allows(&mut rego, black_box(&input)));
        });
        rows.push((case.name, ours, theirs, rego_ns, facts_bytes));
    }
    println!(
        "authorize on {PRINCIPALS} principals, {BINDINGS} bindings (best of 7 runs, per call):"
    );
    for (name, ours, cedar_ns, rego_ns, facts) in rows {
        println!(
            "  {name:<28} lockkeeper {:>8.2} us | cedar {:>9.2} us ({:>6.1}x) | regorus {:>9.2} us ({:>7.1}x) | facts {facts} bytes",
            ours / 1e3,
            cedar_ns / 1e3,
            cedar_ns / ours,
            rego_ns / 1e3,
            rego_ns / ours,
        );
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
