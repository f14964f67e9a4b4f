//! Node bindings: each export converts its arguments, calls one core function and converts the
//! result. Errors are real `Error` objects whose `code` is the rule code.
#![deny(clippy::all)]

mod attestation;
mod audit;
mod decision;
mod error;
mod image;
mod options;
mod pipeline;
mod policy;
mod promotion;
mod sigstore;
