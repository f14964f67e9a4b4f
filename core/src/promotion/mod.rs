//! Promotion and the deploy gate.

pub mod rules;
