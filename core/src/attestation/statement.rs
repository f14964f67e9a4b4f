//! in-toto Statements (v1, and v0.1 for the evidence still in circulation).
//!
//! The statement says *which artifacts* (subjects, by digest) the predicate is about. Reading is
//! strict where a lax reader could be fooled (duplicate keys, empty subjects, a digest that is
//! not lowercase hex of the right length for its algorithm) and lenient where the spec says so
//! (unknown fields and unknown digest algorithms are ignored).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::strict_json;
use crate::digest::{Algorithm, Digest};

/// `_type` of in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of in-toto Statement v0.1.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// A statement that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// Not JSON, duplicate keys, or not an object.
    #[error("statement is not valid JSON: {0}")]
    Json(String),
    /// `_type` missing or not an in-toto Statement type.
    #[error("statement `_type` is {0}, not {STATEMENT_V1} (or v0.1)")]
    Type(String),
    /// A field missing or of the wrong type.
    #[error("statement field `{0}` is missing or malformed")]
    Field(String),
    /// No subject.
    #[error("statement has no subject")]
    NoSubject,
    /// A digest that is not in the one accepted spelling.
    #[error("subject[{index}] digest `{algorithm}` is malformed: `{value}`")]
    Digest {
        /// Which subject.
        index: usize,
        /// Algorithm key.
        algorithm: String,
        /// The value given.
        value: String,
    },
}

/// One artifact a statement is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The artifact's name (optional in v1).
    pub name: Option<String>,
    /// Algorithm -> lowercase hex.
    pub digest: BTreeMap<String, String>,
    /// The subject's `annotations` (in-toto ResourceDescriptor): free-form facts about the
    /// artifact, kept so that a statement read and written again says the same thing.
    pub annotations: Option<Map<String, Value>>,
}

impl Subject {
    /// Whether this subject is the artifact `digest` names.
    pub fn matches(&self, digest: &Digest) -> bool {
        self.digest
            .get(digest.algorithm().as_str())
            .is_some_and(|h| h == digest.hex())
    }
}

/// An in-toto Statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    statement_type: String,
    subjects: Vec<Subject>,
    predicate_type: String,
    predicate: Value,
}

/// Hex length for algorithms the in-toto digest-set spec defines as lowercase hex; other
/// algorithms are kept but never used to match an artifact.
fn hex_len(algorithm: &str) -> Option<&'static [usize]> {
    Some(match algorithm {
        "sha256" | "sha512_256" | "sha3_256" => &[64],
        "sha224" | "sha512_224" | "sha3_224" => &[56],
        "sha384" | "sha3_384" => &[96],
        "sha512" | "sha3_512" => &[128],
        "md5" => &[32],
        "sha1" => &[40],
        "gitBlob" | "gitTree" | "gitCommit" | "gitTag" => &[40, 64],
        _ => return None,
    })
}

impl Statement {
    /// Reads a statement from the exact payload bytes of a verified envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Statement, StatementError> {
        let value = strict_json::parse(bytes).map_err(|e| StatementError::Json(e.to_string()))?;
        Statement::from_value(&value)
    }

    /// Reads a statement from a JSON value.
    pub fn from_value(value: &Value) -> Result<Statement, StatementError> {
        let obj = value
            .as_object()
            .ok_or_else(|| StatementError::Json("not a JSON object".into()))?;
        let statement_type = match obj.get("_type") {
            Some(Value::String(t)) if t == STATEMENT_V1 || t == STATEMENT_V01 => t.clone(),
            Some(other) => return Err(StatementError::Type(other.to_string())),
            None => return Err(StatementError::Type("missing".into())),
        };
        let predicate_type = obj
            .get("predicateType")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| StatementError::Field("predicateType".into()))?
            .to_owned();
        let list = obj
            .get("subject")
            .and_then(Value::as_array)
            .ok_or_else(|| StatementError::Field("subject".into()))?;
        if list.is_empty() {
            return Err(StatementError::NoSubject);
        }
        let mut subjects = Vec::with_capacity(list.len());
        for (index, s) in list.iter().enumerate() {
            let name = match s.get("name") {
                None | Some(Value::Null) => None,
                Some(Value::String(n)) => Some(n.clone()),
                Some(_) => return Err(StatementError::Field(format!("subject[{index}].name"))),
            };
            let digest_map = s
                .get("digest")
                .and_then(Value::as_object)
                .filter(|m| !m.is_empty())
                .ok_or_else(|| StatementError::Field(format!("subject[{index}].digest")))?;
            let mut digest = BTreeMap::new();
            for (algorithm, v) in digest_map {
                let hex = v.as_str().ok_or_else(|| StatementError::Digest {
                    index,
                    algorithm: algorithm.clone(),
                    value: v.to_string(),
                })?;
                let well_formed = match hex_len(algorithm) {
                    Some(lens) => {
                        lens.contains(&hex.len())
                            && hex
                                .bytes()
                                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                    }
                    None => !hex.is_empty(),
                };
                if !well_formed {
                    return Err(StatementError::Digest {
                        index,
                        algorithm: algorithm.clone(),
                        value: hex.to_owned(),
                    });
                }
                digest.insert(algorithm.clone(), hex.to_owned());
            }
            let annotations = match s.get("annotations") {
                None | Some(Value::Null) => None,
                Some(Value::Object(m)) => Some(m.clone()),
                Some(_) => {
                    return Err(StatementError::Field(format!(
                        "subject[{index}].annotations"
                    )));
                }
            };
            subjects.push(Subject {
                name,
                digest,
                annotations,
            });
        }
        Ok(Statement {
            statement_type,
            subjects,
            predicate_type,
            predicate: obj
                .get("predicate")
                .cloned()
                .unwrap_or(Value::Object(Map::new())),
        })
    }

    /// A v1 statement about `subjects`.
    pub fn new(
        subjects: Vec<(String, Digest)>,
        predicate_type: &str,
        predicate: Value,
    ) -> Statement {
        Statement {
            statement_type: STATEMENT_V1.to_owned(),
            subjects: subjects
                .into_iter()
                .map(|(name, d)| Subject {
                    name: Some(name),
                    digest: BTreeMap::from([(
                        d.algorithm().as_str().to_owned(),
                        d.hex().to_owned(),
                    )]),
                    annotations: None,
                })
                .collect(),
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// Sets the annotations of the first subject (statements made here have one subject: the
    /// artifact).
    pub fn with_subject_annotations(mut self, annotations: Map<String, Value>) -> Statement {
        if let Some(first) = self.subjects.first_mut() {
            first.annotations = Some(annotations);
        }
        self
    }

    /// The JSON form.
    pub fn to_json_value(&self) -> Value {
        let subjects: Vec<Value> = self
            .subjects
            .iter()
            .map(|s| {
                let mut v = match &s.name {
                    Some(n) => json!({"name": n, "digest": s.digest}),
                    None => json!({"digest": s.digest}),
                };
                if let (Some(a), Some(obj)) = (&s.annotations, v.as_object_mut()) {
                    obj.insert("annotations".into(), Value::Object(a.clone()));
                }
                v
            })
            .collect();
        json!({
            "_type": self.statement_type,
            "subject": subjects,
            "predicateType": self.predicate_type,
            "predicate": self.predicate,
        })
    }

    /// [`Statement::to_json_value`] as compact text (the bytes to sign).
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// `_type`.
    pub fn statement_type(&self) -> &str {
        &self.statement_type
    }

    /// The artifacts the statement is about.
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }

    /// `predicateType`.
    pub fn predicate_type(&self) -> &str {
        &self.predicate_type
    }

    /// The predicate (an empty object when absent).
    pub fn predicate(&self) -> &Value {
        &self.predicate
    }

    /// Whether some subject is the artifact `digest` names.
    pub fn covers(&self, digest: &Digest) -> bool {
        self.subjects.iter().any(|s| s.matches(digest))
    }

    /// The sha256 digests of the subjects that have one, for explanations.
    pub fn subject_digests(&self) -> Vec<String> {
        self.subjects
            .iter()
            .flat_map(|s| {
                s.digest
                    .iter()
                    .filter(|(a, _)| Algorithm::from_name(a).is_some())
                    .map(|(a, h)| format!("{a}:{h}"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(subject: &str) -> String {
        format!(
            r#"{{"_type": "{STATEMENT_V1}", "subject": {subject}, "predicateType": "p", "predicate": {{}}}}"#
        )
    }

    #[test]
    fn reads_v1_and_matches_subjects() -> Result<(), StatementError> {
        let d = Digest::sha256(b"artifact");
        let s = Statement::from_json(
            stmt(&format!(
                r#"[{{"name": "a", "digest": {{"sha256": "{}", "gitCommit": "{}"}}}}]"#,
                d.hex(),
                "a".repeat(40)
            ))
            .as_bytes(),
        )?;
        assert!(s.covers(&d));
        assert!(!s.covers(&Digest::sha256(b"other")));
        let round = Statement::from_json(s.to_json().as_bytes())?;
        assert_eq!(round, s);
        Ok(())
    }

    #[test]
    fn refuses_what_could_fool_a_reader() {
        let hex = "a".repeat(64);
        let cases = [
            stmt("[]"),
            stmt(&format!(
                r#"[{{"digest": {{"sha256": "{}"}}}}]"#,
                hex.to_uppercase()
            )),
            stmt(r#"[{"digest": {"sha256": "abc"}}]"#),
            stmt(r#"[{"digest": {}}]"#),
            stmt(r#"[{"name": "x"}]"#),
            format!(
                r#"{{"type": "{STATEMENT_V1}", "subject": [{{"digest": {{"sha256": "{hex}"}}}}], "predicateType": "p"}}"#
            ),
            format!(
                r#"{{"_type": "https://in-toto.io/Statement/v2", "subject": [{{"digest": {{"sha256": "{hex}"}}}}], "predicateType": "p"}}"#
            ),
            format!(
                r#"{{"_type": "{STATEMENT_V1}", "subject": [{{"digest": {{"sha256": "{hex}"}}}}], "predicateType": "p", "predicateType": "q"}}"#
            ),
        ];
        for c in cases {
            assert!(Statement::from_json(c.as_bytes()).is_err(), "accepted {c}");
        }
    }
}
