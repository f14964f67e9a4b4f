//! Runs one `authorize` request of the policy bench many times, for `perf stat`: on a shared
//! machine the cycles and instructions spent in user space per call are steadier than wall
//! time. `perf stat -e cycles:u,instructions:u target/.../examples/authorize_calls CASE N`,
//! then divide by N (the policy is built before the calls: subtract a run with N = 0).

use std::hint::black_box;

use lockkeeper::{AuthorizeRequest, Policy, Scope};
use lockkeeper_benches::{AUTHORIZE_CASES, AUTHORIZE_REF, synthetic_policy};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "deny_undeclared".to_owned());
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let case = AUTHORIZE_CASES
        .iter()
        .find(|c| c.name == name)
        .ok_or(format!("no case {name}"))?;
    let policy = Policy::from_yaml(&synthetic_policy(10_000, 1_000))?;
    let scope = Scope::any().project(case.project).git_ref(AUTHORIZE_REF);
    let request = AuthorizeRequest::new(case.principal, "deploy", scope)?;
    let mut allowed = 0u64;
    for _ in 0..n {
        allowed += u64::from(policy.authorize(black_box(&request))?.allowed());
    }
    println!("{name}: {n} calls, {allowed} allowed");
    Ok(())
}
