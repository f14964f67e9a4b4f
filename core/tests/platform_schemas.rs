//! Round trips with the platforms' own schemas, vendored in `tests/schema/`: what the Zuul
//! schema (zuulcilint's) accepts, the Zuul importer reads without calling it unknown, and what
//! the schema refuses as unknown, the importer reports; the Argo workflow objects of the
//! fixtures and examples validate against Argo Workflows' `schema.json`, whose field names the
//! Argo importer reads or reports.

use std::fs;
use std::path::{Path, PathBuf};

use lockkeeper::{Pipeline, PipelineFormat, Policy, SourceFile};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn zuul_schema() -> Result<jsonschema::Validator, Box<dyn std::error::Error>> {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/zuul-schema.json"),
    )?;
    let schema: Value = serde_json::from_str(&text)?;
    Ok(jsonschema::draft7::new(&schema)?)
}

/// YAML to JSON for the validator; Zuul's `!encrypted/pkcs1-oaep` tag marks a value, it is not
/// part of it.
fn yaml_value(text: &str) -> Result<Value, Box<dyn std::error::Error>> {
    Ok(serde_saphyr::from_str(
        &text.replace("!encrypted/pkcs1-oaep", ""),
    )?)
}

/// The unknown-attribute and unknown-object findings of a Zuul file checked alone.
fn unknown_to_importer(name: &str, text: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let p = Pipeline::import(&[SourceFile { name, text }], Some(PipelineFormat::Zuul))?;
    let d = Policy::builtin().check_pipeline(&p);
    Ok(d.violations()
        .iter()
        .filter(|v| v.code == "import/unsupported")
        .map(|v| v.message.clone())
        .filter(|m| m.contains("lockkeeper knows"))
        .collect())
}

fn zuul_fixtures() -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/fixtures");
    let mut out = Vec::new();
    let mut dirs = vec![root.join("zuul"), root.join("realworld/zuul")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().and_then(|e| e.to_str()) == Some("yaml") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Every vendored Zuul file the schema accepts is read without an unknown attribute or object;
/// the files it refuses are the schema's known gaps, named here so a new one is noticed.
#[test]
fn zuul_files_the_schema_accepts_are_understood() -> TestResult {
    let schema = zuul_schema()?;
    // The schema lags Zuul: the deprecated job attribute `override-branch`; and a tenant file
    // is not a project's configuration. Pipeline definitions are left out of the round trip:
    // the schema's alternatives for trigger entries overlap, so validators disagree on them
    // (the importer reads only a pipeline's `trigger` events, `manager` and `post-review`).
    let schema_gaps = [
        "openstack--project-config--zuul.d--jobs.yaml",
        "openstack-infra--zuul--single-tenant--main.yaml",
    ];
    let mut accepted = 0;
    for path in zuul_fixtures()? {
        let text = fs::read_to_string(&path)?;
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default();
        let mut value = yaml_value(&text)?;
        if let Value::Array(items) = &mut value {
            items.retain(|i| i.get("pipeline").is_none());
        }
        let valid = schema.is_valid(&value);
        let gap = schema_gaps.contains(&file);
        let why: Vec<String> = schema
            .iter_errors(&value)
            .take(3)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert_eq!(
            valid,
            !gap,
            "{}: schema says valid={valid} {why:?}",
            path.display()
        );
        let name = path.to_string_lossy();
        assert_eq!(
            unknown_to_importer(&name, &text)?,
            Vec::<String>::new(),
            "{name}"
        );
        accepted += usize::from(valid);
    }
    assert!(accepted >= 30, "only {accepted} files validated");
    Ok(())
}

/// Each job attribute the schema defines is one the importer knows; an attribute or object
/// kind the schema refuses, the importer reports as unknown.
#[test]
fn zuul_job_attributes_agree_with_the_schema() -> TestResult {
    let schema = zuul_schema()?;
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/zuul-schema.json"),
    )?;
    let raw: Value = serde_json::from_str(&text)?;
    let props = raw["definitions"]["anonymous-job"]["properties"]
        .as_object()
        .ok_or("the schema has no job properties")?;
    assert!(props.len() > 40, "{}", props.len());
    for key in props.keys().filter(|k| *k != "name") {
        let yaml =
            format!("- job:\n    name: j\n    {key}: null\n- project: {{check: {{jobs: [j]}}}}\n");
        assert_eq!(
            unknown_to_importer("zuul.yaml", &yaml)?,
            Vec::<String>::new(),
            "job attribute `{key}` of the schema"
        );
    }
    for (yaml, what) in [
        (
            "- job: {name: j, run-playbook: x.yaml}\n",
            "an unknown job attribute",
        ),
        ("- jobs: {name: j}\n", "an unknown object kind"),
    ] {
        assert!(
            !schema.is_valid(&yaml_value(yaml)?),
            "schema accepts {what}"
        );
        assert!(
            !unknown_to_importer("zuul.yaml", yaml)?.is_empty(),
            "the importer does not report {what}"
        );
    }
    Ok(())
}

/// Argo Workflows' JSON schema (`api/jsonschema/schema.json`, vendored in `tests/schema/`).
fn argo_schema() -> Result<Value, Box<dyn std::error::Error>> {
    let text = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema/argo-workflows-schema.json"),
    )?;
    Ok(serde_json::from_str(&text)?)
}

/// A validator for one definition of the Argo schema. The document's own root is a `oneOf` over
/// the kinds; the root is replaced by a `$ref` to the one wanted so that a failure names that
/// kind's fields, while every other definition stays reachable for the references.
fn argo_validator(
    schema: &Value,
    definition: &str,
) -> Result<jsonschema::Validator, Box<dyn std::error::Error>> {
    let mut root = schema.clone();
    let obj = root
        .as_object_mut()
        .ok_or("the Argo schema is not an object")?;
    obj.remove("oneOf");
    obj.remove("type");
    obj.insert(
        "$ref".into(),
        Value::String(format!("#/definitions/{definition}")),
    );
    Ok(jsonschema::draft7::new(&root)?)
}

/// The field names the Argo schema defines for one definition (its `properties`), plus the
/// fields the API gained after this schema was generated (named from the API's generated models,
/// PyPI `argo-workflows` 6.7.18), so that those newer fields are checked too.
fn argo_fields(
    schema: &Value,
    definition: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut fields: Vec<String> = schema["definitions"][definition]["properties"]
        .as_object()
        .ok_or(format!("no definition {definition}"))?
        .keys()
        .cloned()
        .collect();
    let newer: &[&str] = match definition.rsplit('.').next() {
        Some("Template") => &["annotations", "http", "plugin"],
        Some("WorkflowStep" | "DAGTask") => &["hooks", "inline"],
        Some("WorkflowSpec") => &["archiveLogs", "artifactGC", "hooks", "workflowMetadata"],
        _ => &[],
    };
    for field in newer {
        if !fields.iter().any(|f| f == field) {
            fields.push((*field).to_owned());
        }
    }
    fields.sort();
    Ok(fields)
}

/// A file, the kind of one of its objects, and that object.
type ArgoDocument = (PathBuf, String, Value);

/// The Argo workflow objects among the vendored fixtures and the examples: every document whose
/// `apiVersion` is Argo's and whose kind is one the importer reads.
fn argo_documents() -> Result<Vec<ArgoDocument>, Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("testdata"), root.join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = fs::read_to_string(&path)?;
        if !text.contains("argoproj.io/") {
            continue;
        }
        // Files that are not YAML streams of objects (templated or broken on purpose) are not
        // workflow objects the schema speaks about.
        let Ok(docs) = serde_saphyr::from_multiple::<Value>(&text) else {
            continue;
        };
        for doc in docs {
            let api = doc["apiVersion"].as_str().unwrap_or_default();
            let kind = doc["kind"].as_str().unwrap_or_default().to_owned();
            if api.starts_with("argoproj.io/")
                && matches!(
                    kind.as_str(),
                    "Workflow" | "WorkflowTemplate" | "ClusterWorkflowTemplate" | "CronWorkflow"
                )
            {
                out.push((path.clone(), kind, doc));
            }
        }
    }
    Ok(out)
}

/// Every Argo workflow object of the fixtures and examples that the importer accepts validates
/// against the schema definition of its kind; the exceptions are the schema's own gaps.
#[test]
fn argo_files_validate_against_the_schema() -> TestResult {
    let schema = argo_schema()?;
    // The schema types Kubernetes' IntOrString as a string only, so an integer `retryStrategy.
    // limit` (which Argo itself accepts, and its own example uses) is refused.
    let schema_gaps = ["argo-workflows_workflow-template-templates.yaml"];
    let mut validated = 0;
    let mut refused = Vec::new();
    for (path, kind, doc) in argo_documents()? {
        let text = fs::read_to_string(&path)?;
        let name = path.to_string_lossy();
        Pipeline::import(
            &[SourceFile {
                name: &name,
                text: &text,
            }],
            Some(PipelineFormat::Argo),
        )
        .map_err(|e| format!("{name}: the importer refuses it: {e}"))?;
        let validator = argo_validator(&schema, &format!("io.argoproj.workflow.v1alpha1.{kind}"))?;
        let file = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_owned();
        if validator.is_valid(&doc) {
            validated += 1;
        } else {
            let why: Vec<String> = validator
                .iter_errors(&doc)
                .take(3)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                schema_gaps.contains(&file.as_str()),
                "{name} ({kind}) does not validate: {why:?}"
            );
            if !refused.contains(&file) {
                refused.push(file);
            }
        }
    }
    assert_eq!(refused, schema_gaps, "files the schema refuses");
    eprintln!(
        "{validated} Argo documents validated, {} file(s) refused",
        refused.len()
    );
    assert!(validated >= 30, "only {validated} documents validated");
    Ok(())
}

/// Whether the Argo importer calls `field` unknown in this workflow text.
fn argo_unknown(text: &str, field: &str) -> Result<bool, Box<dyn std::error::Error>> {
    let p = Pipeline::import(
        &[SourceFile {
            name: "wf.yaml",
            text,
        }],
        Some(PipelineFormat::Argo),
    )?;
    let d = Policy::builtin().check_pipeline(&p);
    Ok(d.violations().iter().any(|v| {
        v.code == "import/unsupported"
            && v.message.contains(&format!("`{field}` is not a"))
            && v.message.contains("lockkeeper knows")
    }))
}

/// Every field the Argo schema defines for a workflow spec, a template, a DAG task and a step is
/// one the importer reads; those it does not read are reported as not read (never ignored),
/// and are exactly the gaps named here.
#[test]
fn argo_fields_agree_with_the_api() -> TestResult {
    let schema = argo_schema()?;
    // Pod annotations on a template (`annotations`) are not modelled: an annotation can make an
    // agent inject secrets into the pod, so the importer reports it instead of guessing.
    let gaps = ["annotations"];
    let mut unknown = Vec::new();
    let leaf = "  - name: leaf\n    container: {image: alpine, command: [\"true\"]}\n";
    for field in argo_fields(&schema, "io.argoproj.workflow.v1alpha1.WorkflowSpec")? {
        let text = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: w}}\nspec:\n  entrypoint: leaf\n  {field}: {{}}\n  templates:\n{leaf}"
        );
        if field != "entrypoint" && field != "templates" && argo_unknown(&text, &field)? {
            unknown.push(format!("WorkflowSpec.{field}"));
        }
    }
    for field in argo_fields(&schema, "io.argoproj.workflow.v1alpha1.Template")? {
        let text = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: w}}\nspec:\n  entrypoint: leaf\n  templates:\n{leaf}    {field}: {{}}\n"
        );
        if field != "name" && argo_unknown(&text, &field)? {
            unknown.push(field);
        }
    }
    for (definition, wrap) in [
        (
            "io.argoproj.workflow.v1alpha1.DAGTask",
            "dag:\n      tasks:\n        - ",
        ),
        (
            "io.argoproj.workflow.v1alpha1.WorkflowStep",
            "steps:\n        - - ",
        ),
    ] {
        for field in argo_fields(&schema, definition)? {
            if matches!(field.as_str(), "name" | "template") {
                continue;
            }
            let text = format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: w}}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    {wrap}{{name: a, template: leaf, {field}: {{}}}}\n{leaf}"
            );
            if argo_unknown(&text, &field)? {
                unknown.push(format!("{definition}.{field}"));
            }
        }
    }
    assert_eq!(
        unknown, gaps,
        "fields the Argo API defines that the importer does not read"
    );
    // And a field the API does not define is reported wherever it is written.
    for (wrap, what) in [
        ("dag:\n      tasks:\n        - ", "task"),
        ("steps:\n        - - ", "step"),
    ] {
        let text = format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: w}}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    {wrap}{{name: a, template: leaf, bogusField: {{}}}}\n{leaf}"
        );
        assert!(
            argo_unknown(&text, "bogusField")?,
            "an unknown {what} field is not reported"
        );
    }
    Ok(())
}

/// A wrong template is caught on both sides. The schema leaves objects open (no
/// `additionalProperties: false` on `Template`), so a misspelled field such as `contianer`
/// passes it; the importer reports that one. A field of the wrong type, a `container` written
/// as a string, the schema refuses, and the importer reports too.
#[test]
fn argo_wrong_template_is_refused_by_both() -> TestResult {
    let schema = argo_schema()?;
    let validator = argo_validator(&schema, "io.argoproj.workflow.v1alpha1.Workflow")?;
    let head = "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: w}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n";
    let misspelled = format!("{head}    contianer: {{image: alpine, command: [\"true\"]}}\n");
    assert!(
        validator.is_valid(&serde_saphyr::from_str::<Value>(&misspelled)?),
        "the schema now refuses unknown template fields"
    );
    assert!(
        argo_unknown(&misspelled, "contianer")?,
        "the importer does not report a misspelled template field"
    );
    let wrong_type = format!("{head}    container: alpine\n");
    assert!(
        !validator.is_valid(&serde_saphyr::from_str::<Value>(&wrong_type)?),
        "the schema accepts a container written as a string"
    );
    let p = Pipeline::import(
        &[SourceFile {
            name: "wf.yaml",
            text: &wrong_type,
        }],
        Some(PipelineFormat::Argo),
    )?;
    let d = Policy::builtin().check_pipeline(&p);
    let reported = d.violations().iter().any(|v| {
        v.code == "import/unsupported"
            && v.message
                .contains("`container` of template `main` is a string, not a mapping")
    });
    assert!(
        reported,
        "the importer accepts a container written as a string"
    );
    Ok(())
}
