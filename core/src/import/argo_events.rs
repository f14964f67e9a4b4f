//! Argo Events: who sends the event a Sensor turns into a workflow.
//!
//! An `EventSource` names, per event, the kind of source (`webhook`, `github`, `gitlab`,
//! `gerrit`, `calendar`, `resource`, ...). A Sensor's dependency names an event source and an
//! event; given the EventSource, the importer knows whether the event's data comes from outside
//! (a webhook anyone can reach, a forge's hook carrying what a contributor wrote), from a
//! schedule, or from the cluster itself. Without it, the data is taken to come from anyone.

use super::tree::{NULL, Node};

/// Fields of an EventSource's `spec` that are not event kinds.
const NOT_KINDS: [&str; 5] = ["service", "template", "eventBusName", "replicas", "replica"];

/// Event kinds whose events the cluster or a clock makes, not an outsider.
const INSIDE: [&str; 2] = ["calendar", "resource"];

/// Forges whose hooks carry a change under review (a pull or merge request, a patchset).
const FORGES: [&str; 6] = [
    "github",
    "gitlab",
    "gerrit",
    "bitbucket",
    "bitbucketserver",
    "azureDevops",
];

/// One event an EventSource defines.
pub(super) struct Event {
    pub source: String,
    pub event: String,
    pub kind: String,
}

/// The events of every `EventSource` among the documents.
pub(super) fn events(docs: &[&Node]) -> Vec<Event> {
    let mut out = Vec::new();
    for doc in docs {
        if doc.get("kind").and_then(Node::as_str) != Some("EventSource") {
            continue;
        }
        let source = doc
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(Node::scalar)
            .unwrap_or_default();
        for k in doc.get("spec").unwrap_or(&NULL).entries() {
            if NOT_KINDS.contains(&k.key.as_str()) {
                continue;
            }
            for e in k.value.entries() {
                out.push(Event {
                    source: source.clone(),
                    event: e.key.clone(),
                    kind: k.key.clone(),
                });
            }
        }
    }
    out
}

/// What a Sensor learns from the EventSources given about the events it waits for.
pub(super) struct Senders {
    /// One description per dependency: `github` or `webhook (not given: assumed anyone)`.
    pub described: Vec<String>,
    /// The context of the event's source job: `argo/event-source/<kind>` when every
    /// dependency's kind is known and the same, else `argo/event-source`.
    pub context: String,
    /// Whether any event may carry an outsider's data.
    pub outside: bool,
    /// Whether an event may come from a forge (a change under review).
    pub forge: bool,
}

pub(super) fn senders(sensor: &Node, events: &[Event]) -> Senders {
    let mut described = Vec::new();
    let mut kinds: Vec<Option<&str>> = Vec::new();
    for d in sensor
        .get("spec")
        .and_then(|s| s.get("dependencies"))
        .map(Node::items)
        .unwrap_or_default()
    {
        let src = d
            .get("eventSourceName")
            .and_then(Node::scalar)
            .unwrap_or_default();
        let ev = d
            .get("eventName")
            .and_then(Node::scalar)
            .unwrap_or_default();
        match events.iter().find(|e| e.source == src && e.event == ev) {
            Some(e) => {
                described.push(format!("{src} ({})", e.kind));
                kinds.push(Some(e.kind.as_str()));
            }
            None => {
                described.push(format!(
                    "{src} (EventSource not given: assumed anyone can send it)"
                ));
                kinds.push(None);
            }
        }
    }
    let outside = kinds.is_empty()
        || kinds
            .iter()
            .any(|k| !k.is_some_and(|k| INSIDE.contains(&k)));
    let forge = kinds
        .iter()
        .any(|k| k.is_none_or(|k| FORGES.contains(&k) || k == "webhook"));
    let context = match kinds.first() {
        Some(Some(k)) if kinds.iter().all(|x| x == &Some(*k)) => format!("argo/event-source/{k}"),
        _ => "argo/event-source".to_owned(),
    };
    Senders {
        described,
        context,
        outside,
        forge,
    }
}

/// Whether text fetches or checks out a git revision: a workflow that does so with a ref from
/// a forge's event builds the change under review.
pub(super) fn checks_out(text: &str) -> bool {
    [
        "git checkout",
        "git fetch",
        "git clone",
        "git switch",
        "git reset",
    ]
    .iter()
    .any(|c| text.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(files: &[(&str, &str)]) -> Result<crate::Decision, String> {
        let files: Vec<crate::SourceFile<'_>> = files
            .iter()
            .map(|(name, text)| crate::SourceFile { name, text })
            .collect();
        let p = crate::Pipeline::import(&files, Some(crate::PipelineFormat::Argo))
            .map_err(|e| e.to_string())?;
        let policy = crate::Policy::builtin();
        Ok(policy
            .check_pipeline(&p)
            .for_persona(crate::Persona::Regular))
    }

    const GITHUB: &str =
        include_str!("../../../testdata/fixtures/argo/argo-events_eventsource-github.yaml");
    const CALENDAR: &str =
        include_str!("../../../testdata/fixtures/argo/argo-events_eventsource-calendar.yaml");
    const WEBHOOK: &str =
        include_str!("../../../testdata/fixtures/argo/argo-events_eventsource-webhook.yaml");

    /// A Sensor whose workflow checks out the pull request's head and pushes with a secret.
    fn pr_build(source: &str, event: &str) -> String {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Sensor\nmetadata: {{name: pr-build}}\nspec:\n  dependencies:\n    - {{name: dep, eventSourceName: {source}, eventName: {event}}}\n  triggers:\n    - template:\n        name: build\n        argoWorkflow:\n          operation: submit\n          source:\n            resource:\n              apiVersion: argoproj.io/v1alpha1\n              kind: Workflow\n              metadata: {{generateName: build-}}\n              spec:\n                entrypoint: build\n                arguments:\n                  parameters:\n                    - name: sha\n                templates:\n                  - name: build\n                    container:\n                      image: alpine/git\n                      command: [sh, -c]\n                      args: [\"git fetch origin \\\"$SHA\\\" && git checkout FETCH_HEAD && make push\"]\n                      env:\n                        - {{name: SHA, value: \"{{{{workflow.parameters.sha}}}}\"}}\n                        - name: REGISTRY_PASSWORD\n                          valueFrom: {{secretKeyRef: {{name: registry, key: password}}}}\n          parameters:\n            - src: {{dependencyName: dep, dataKey: body.pull_request.head.sha}}\n              dest: spec.arguments.parameters.0.value\n"
        )
    }

    /// With the GitHub EventSource given, the Sensor's build of a pull request's head runs
    /// unreviewed code: its secret is refused, as a patchset's would be.
    #[test]
    fn a_sensor_building_a_pull_request_is_a_patchset() -> Result<(), String> {
        let d = pipeline(&[
            ("es.yaml", GITHUB),
            ("sensor.yaml", &pr_build("github", "example")),
        ])?;
        assert!(d.has("pipeline/secret-not-allowed"), "{d}");
        assert!(!d.has("import/unsupported"), "{d}");
        let v = d
            .violations()
            .iter()
            .find(|v| v.code == "pipeline/secret-not-allowed")
            .ok_or("no finding")?;
        assert_eq!(
            v.facts.get("trigger"),
            Some(&serde_json::json!("patchset")),
            "{v:?}"
        );
        Ok(())
    }

    /// A calendar's events carry no outsider's data, and start nothing under review.
    #[test]
    fn a_calendar_event_is_a_schedule() -> Result<(), String> {
        let d = pipeline(&[
            ("es.yaml", CALENDAR),
            (
                "sensor.yaml",
                &pr_build("calendar", "example-with-interval"),
            ),
        ])?;
        assert!(d.allowed(), "{d}");
        Ok(())
    }

    /// An EventSource with no Sensor given starts nothing that can be checked: incomplete.
    #[test]
    fn an_event_source_alone_is_not_read() -> Result<(), String> {
        let d = pipeline(&[("es.yaml", WEBHOOK)])?;
        assert!(
            d.has("import/unsupported") || d.has("import/incomplete"),
            "{d}"
        );
        Ok(())
    }

    #[test]
    fn event_kinds_are_read() {
        let Ok(docs) = super::super::tree::parse(GITHUB) else {
            panic!("fixture parses");
        };
        let refs: Vec<&Node> = docs.iter().collect();
        let ev = events(&refs);
        assert_eq!(ev.len(), 2);
        assert!(
            ev.iter()
                .all(|e| e.kind == "github" && e.source == "github")
        );
    }
}
