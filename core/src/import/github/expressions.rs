//! What an expression `${{ ... }}` can hold: text an outsider wrote, or only facts of the base
//! repository. The two questions are not opposites: `steps.x.outputs.ref` is neither known to be
//! attacker-controlled nor provably the base repository's, which is why a checkout fails closed
//! on "not provably base" while an injection needs "attacker-controlled" (or a value derived
//! from it).

/// Event fields an outsider writes freely: titles, bodies, branch names, commit messages and
/// author identities. Logins, numbers, SHAs and repository names have restricted alphabets and
/// cannot carry a shell payload, so they are not listed.
const ATTACKER_FIELDS: [&str; 30] = [
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.pull_request.head.repo.description",
    "github.event.pull_request.head.repo.homepage",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages",
    "github.event.commits",
    "github.event.head_commit.message",
    "github.event.head_commit.author",
    "github.event.head_commit.committer",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.pull_requests",
    "github.event.workflow_run.head_repository.description",
    "github.event.changes",
    "github.event.issue.pull_request.title",
    "github.event.check_suite.head_branch",
    "github.event.check_run.check_suite.head_branch",
    "github.event.merge_group.head_commit",
    "github.head_ref",
];

/// Context fields that are the base repository's own, whatever the event: safe as a ref, a
/// path or an argument in a privileged job.
const BASE_FIELDS: [&str; 22] = [
    "github.sha",
    "github.ref",
    "github.ref_name",
    "github.base_ref",
    "github.repository",
    "github.repository_owner",
    "github.workspace",
    "github.server_url",
    "github.api_url",
    "github.run_id",
    "github.run_number",
    "github.run_attempt",
    "github.token",
    "github.event.repository.",
    "github.event.pull_request.base.",
    "github.event.release.",
    "github.event.before",
    "github.event.after",
    "github.event.merge_group.",
    "runner.",
    "vars.",
    "secrets.",
];

/// The expressions `${{ ... }}` in a text, without delimiters.
pub(super) fn expressions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${{") {
        rest = &rest[i + 3..];
        match rest.find("}}") {
            Some(j) => {
                out.push(rest[..j].trim());
                rest = &rest[j + 2..];
            }
            None => break,
        }
    }
    out
}

/// The context references in an expression (`github.event.issue.title`, `steps.x.outputs.y`),
/// string literals left out.
pub(super) fn references(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = false;
    for c in expr.chars().chain(std::iter::once(' ')) {
        if c == '\'' {
            quote = !quote;
            cur.clear();
            continue;
        }
        if quote {
            continue;
        }
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '*') {
            cur.push(c);
        } else if c == '[' {
            // `a['b']` reads as `a.b` well enough for prefixes.
            cur.push('.');
        } else if c == '(' {
            cur.clear();
        } else {
            if cur.contains('.') || cur == "github" || cur == "env" || cur == "inputs" {
                out.push(cur.trim_end_matches('.').to_owned());
            }
            cur.clear();
        }
    }
    out
}

/// Whether a reference is event text an outsider writes (the whole event counts, e.g. in
/// `toJSON(github.event)`).
pub(super) fn attacker_field(reference: &str) -> bool {
    reference == "github.event"
        || ATTACKER_FIELDS
            .iter()
            .any(|a| reference == *a || reference.starts_with(&format!("{a}.")))
}

/// Whether a reference is provably the base repository's: a base field, or `env.NAME` whose
/// every binding (in `env`) is itself provably base.
pub(super) fn base_field(reference: &str, env: &dyn Fn(&str) -> Option<String>) -> bool {
    if let Some(name) = reference.strip_prefix("env.") {
        return env(name).is_some_and(|v| provably_base(&v, env, 0));
    }
    if reference.starts_with("matrix.") || reference.starts_with("strategy.") {
        // Matrix values are written in the workflow (a matrix built from other outputs is
        // `fromJSON(needs...)`, whose references are checked themselves).
        return true;
    }
    BASE_FIELDS.iter().any(|b| {
        if b.ends_with('.') {
            reference.starts_with(b)
        } else {
            reference == *b
        }
    })
}

/// Whether every expression of a text refers only to the base repository (a text without
/// expressions is a literal, which is the base repository's unless it names a pull request).
pub(super) fn provably_base(text: &str, env: &dyn Fn(&str) -> Option<String>, depth: u8) -> bool {
    if depth > 4 || text.contains("refs/pull/") {
        return false;
    }
    expressions(text).iter().all(|e| {
        references(e).iter().all(|r| {
            if let Some(name) = r.strip_prefix("env.") {
                env(name).is_some_and(|v| provably_base(&v, env, depth + 1))
            } else {
                base_field(r, env)
            }
        })
    })
}

/// The gate a condition puts before a job or step, when it keeps outsiders out: an
/// author-association or actor check, a same-repository check, or a label only maintainers
/// can set. A condition that is always true (text around `${{ }}` makes a non-empty string)
/// gates nothing.
pub(super) fn gate(condition: &str) -> Option<&'static str> {
    let c = condition.trim();
    if c.contains("${{")
        && !(c.starts_with("${{") && c.ends_with("}}") && c.matches("${{").count() == 1)
    {
        return None;
    }
    let squashed: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
    let positive = |field: &str| {
        squashed.contains(&format!("{field}=="))
            || squashed.contains(&format!("{field}!='NONE'"))
            || squashed.contains(&format!(",{field})"))
            || squashed.contains(&format!(",{field}.login)"))
    };
    if positive("author_association")
        || squashed.contains("author_association,'MEMBER'")
        || squashed.contains("author_association,'OWNER'")
        || positive("github.event.comment.author_association")
        || positive("github.event.issue.author_association")
        || positive("github.event.pull_request.author_association")
        || positive("github.event.review.author_association")
    {
        return Some("author_association check");
    }
    if squashed.contains("head.repo.full_name==github.repository")
        || squashed.contains("github.repository==github.event.pull_request.head.repo.full_name")
        || squashed.contains("head.repo.fork==false")
        || squashed.contains("!github.event.pull_request.head.repo.fork")
        // The run a `workflow_run` follows names its head repository the same way.
        || squashed.contains("head_repository.fork==false")
        || squashed.contains("!github.event.workflow_run.head_repository.fork")
        || squashed.contains("head_repository.full_name==github.repository")
        || squashed
            .contains("github.repository==github.event.workflow_run.head_repository.full_name")
    {
        return Some("same-repository check");
    }
    if squashed.contains("github.actor==")
        || squashed.contains("github.triggering_actor==")
        || squashed.contains("user.login==")
        || positive("github.actor")
    {
        return Some("actor check");
    }
    if squashed.contains("github.event.label.name==")
        || squashed.contains("labels.*.name,")
        || squashed.contains("labels.*.name),")
    {
        return Some("label set by a maintainer");
    }
    None
}

/// Whether a condition can never hold: `false` written as such (how a job or step is switched
/// off for a while), with or without `${{ }}`. GitHub skips what it guards in every run.
pub(super) fn never(condition: &str) -> bool {
    let c = condition.trim();
    let c = c
        .strip_prefix("${{")
        .and_then(|r| r.strip_suffix("}}"))
        .unwrap_or(c)
        .trim();
    c == "false"
}

/// Actions and API calls that fail a job unless the actor may write to the repository.
pub(super) fn permission_check(uses: &str, text: &str) -> bool {
    const ACTIONS: [&str; 7] = [
        "actions-cool/check-user-permission",
        "prince-chrismc/check-actor-permissions-action",
        "sushichop/action-repository-permission",
        "lannonbr/repo-permission-check-action",
        "tspascoal/get-user-teams-membership",
        "theModdingInquisition/actions-team-membership",
        "xt0rted/slash-command-action",
    ];
    ACTIONS.iter().any(|a| uses.eq_ignore_ascii_case(a))
        || text.contains("getCollaboratorPermissionLevel")
        || text.contains("/permission") && text.contains("collaborators")
        || text.contains("checkMembershipForUser")
        || text.contains("author_association")
            && (text.contains("exit 1") || text.contains("setFailed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn event_text_is_attacker_controlled_and_numbers_are_not() {
        assert!(attacker_field("github.event.issue.title"));
        assert!(attacker_field("github.event.commits.*.message"));
        assert!(attacker_field("github.event"));
        assert!(!attacker_field("github.event.issue.number"));
        assert!(!attacker_field("github.event.pull_request.head.sha"));
        let refs = references("toJSON(github.event.pull_request.title) || 'github.head_ref'");
        assert_eq!(refs, vec!["github.event.pull_request.title"]);
    }

    #[test]
    fn a_ref_is_base_only_when_every_reference_is() {
        assert!(provably_base("main", &no_env, 0));
        assert!(provably_base(
            "${{ github.event.pull_request.base.sha }}",
            &no_env,
            0
        ));
        assert!(!provably_base(
            "${{ steps.condval.outputs.value }}",
            &no_env,
            0
        ));
        assert!(!provably_base("${{ inputs.ref }}", &no_env, 0));
        assert!(!provably_base(
            "refs/pull/${{ github.event.number }}/merge",
            &no_env,
            0
        ));
        let env = |n: &str| (n == "BASE").then(|| "${{ github.sha }}".to_owned());
        assert!(provably_base("${{ env.BASE }}", &env, 0));
        assert!(!provably_base("${{ env.OTHER }}", &env, 0));
    }

    #[test]
    fn gates_are_named_and_always_true_conditions_gate_nothing() {
        assert_eq!(
            gate(
                "contains(fromJSON('[\"OWNER\",\"MEMBER\"]'), github.event.comment.author_association)"
            ),
            Some("author_association check")
        );
        assert_eq!(
            gate("github.event.pull_request.head.repo.full_name == github.repository"),
            Some("same-repository check")
        );
        assert_eq!(
            gate(
                "${{ github.event.issue.pull_request }} && github.event.comment.author_association == 'OWNER'"
            ),
            None
        );
        assert_eq!(gate("github.event.issue.pull_request"), None);
        assert_eq!(
            gate(
                "github.event.workflow_run.head_repository.fork == false && github.event.workflow_run.conclusion == 'success'"
            ),
            Some("same-repository check")
        );
        assert_eq!(
            gate("!github.event.workflow_run.head_repository.fork"),
            Some("same-repository check")
        );
        // Reading the field is no check of it.
        assert_eq!(
            gate("github.event.workflow_run.head_repository.fork != ''"),
            None
        );
        assert!(never("false"));
        assert!(never("${{ false }}"));
        assert!(!never("github.event_name == 'false'"));
        assert!(!never("false || always()"));
        assert!(permission_check("actions-cool/check-user-permission", ""));
        assert!(!permission_check("actions/checkout", "echo hi"));
    }
}
