//! A native pipeline recognised from its top level alone.
//!
//! Recognising a file by content parses it into a tree, which for a pipeline of 10^5 jobs costs
//! three times reading it (and refused it once past the default parser budget). A native
//! pipeline says what it is in its top-level keys: a `jobs` mapping and none of the keys that
//! make another format (`on`, `apiVersion`, Zuul v2's `pipelines`/`projects`). This looks at
//! those keys only, and answers only when sure: anything unusual at the top level (a second
//! document, a directive, a sequence, a tab, a quoted or complex key, an anchor or tag on
//! `jobs`, a key written twice) leaves the decision to the full parse, so it never decides a
//! file differently (the tests compare both on every YAML and JSON file of the repository).

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Top-level keys that make (or may make) the file another format: GitHub's `on` (YAML 1.1
/// reads it as `true`, and its other spellings of true), Argo's and Kubeflow's `apiVersion`,
/// Zuul v2's `pipelines` and `projects`.
const OTHER_FORMATS: [&str; 7] = [
    "on",
    "true",
    "yes",
    "y",
    "apiversion",
    "pipelines",
    "projects",
];

/// Whether `text` is surely a native pipeline; `false` means "not known here".
pub(crate) fn surely_native(text: &str) -> bool {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => json_native(text),
        Some(_) => yaml_native(text),
        None => false,
    }
}

/// A block mapping at column 0 whose `jobs` value is a block mapping. One pass over the lines,
/// nothing kept but the top-level keys (a pipeline of a million jobs has a few).
fn yaml_native(text: &str) -> bool {
    let mut keys: Vec<&str> = Vec::new();
    // `None` before `jobs:`; then whether the first line of its value was a mapping's key.
    let mut jobs_value: Option<Option<bool>> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(' ') {
            // The first line of the `jobs` value: indented, and a plain key of a block mapping.
            if let Some(first @ None) = &mut jobs_value {
                *first = Some(plain_key(trimmed).is_some());
            }
            continue;
        }
        let Some((key, rest)) = plain_key(line) else {
            return false;
        };
        if keys.contains(&key) {
            return false;
        }
        keys.push(key);
        if let Some(None) = jobs_value {
            // `jobs:` was followed by another top-level key: its value is null.
            return false;
        }
        if key == "jobs" {
            let rest = rest.trim_start();
            if !(rest.is_empty() || rest.starts_with('#')) {
                return false;
            }
            jobs_value = Some(None);
        }
    }
    jobs_value == Some(Some(true))
        && !keys
            .iter()
            .any(|k| OTHER_FORMATS.contains(&k.to_ascii_lowercase().as_str()))
}

/// `key:` then the end of the line or a space, with a key of plain characters only.
fn plain_key(line: &str) -> Option<(&str, &str)> {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        .unwrap_or(line.len());
    let (key, rest) = line.split_at(end);
    let rest = rest.strip_prefix(':')?;
    let starts_well = key
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_');
    (starts_well && (rest.is_empty() || rest.starts_with(' '))).then_some((key, rest))
}

/// A JSON object whose `jobs` is an object. Values are skipped, not built.
fn json_native(text: &str) -> bool {
    let Ok(top) = serde_json::from_str::<BTreeMap<String, Shape>>(text) else {
        return false;
    };
    matches!(top.get("jobs"), Some(Shape::Map))
        && !top
            .keys()
            .any(|k| OTHER_FORMATS.contains(&k.to_ascii_lowercase().as_str()))
}

/// What a JSON value is, its content skipped.
enum Shape {
    Map,
    Other,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Other)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::surely_native;
    use crate::import::PipelineFormat;

    /// Every YAML and JSON file of the repository's test data and examples: where the glance
    /// is sure, the full parse decides the same (native); and it is sure of the native examples.
    #[test]
    fn the_glance_never_decides_differently() -> Result<(), Box<dyn std::error::Error>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut stack = vec![root.join("testdata"), root.join("examples")];
        let (mut sure, mut read) = (0, 0);
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or_default();
                if !matches!(ext, "yaml" | "yml" | "json") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                read += 1;
                if surely_native(&text) {
                    sure += 1;
                    assert_eq!(
                        super::super::detect_by_content(&text),
                        Some(PipelineFormat::Native),
                        "{}",
                        path.display()
                    );
                }
            }
        }
        assert!(read > 200, "{read} files read");
        // examples/pipelines/native holds two.
        assert!(
            sure >= 2,
            "only {sure} native pipelines recognised at a glance"
        );
        Ok(())
    }

    #[test]
    fn sure_only_of_a_plain_native_top_level() {
        let native = "version: 1\n# jobs below\njobs:\n  build: {trigger: merged}\n";
        assert!(surely_native(native));
        assert!(surely_native(
            r#"{"version": 1, "jobs": {"build": {"trigger": "merged"}}}"#
        ));
        for other in [
            "on: push\njobs:\n  build: {runs-on: x}\n",
            "jobs:\n  build: {}\n'on': push\n",
            "jobs:\n  - build\n",
            "jobs: &j\n  build: {}\n",
            "jobs: {build: {}}\n",
            "jobs:\nversion: 1\n",
            "---\njobs:\n  build: {}\n",
            "jobs:\n  build: {}\njobs:\n  test: {}\n",
            "apiVersion: v1\njobs:\n  build: {}\n",
            "pipelines: []\nprojects: []\njobs:\n  a: {}\n",
            "\tjobs:\n  build: {}\n",
            "stages: [test]\n",
            r#"{"on": "push", "jobs": {}}"#,
            r#"{"jobs": []}"#,
            "{not json",
        ] {
            assert!(!surely_native(other), "{other}");
        }
    }
}
