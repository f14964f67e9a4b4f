//! docs/provenance.md promises that every command of "Verify what you already have" runs as
//! written from a clone's root: each `$ lockkeeper ...` line there is run here, from the root,
//! and must exit 0 and print what the page shows first (unless the page elides it with `...`).

mod common;

use std::process::Command;

use common::{TestResult, root};

/// The page's section, up to the next top-level heading.
fn section(page: &str, heading: &str) -> Option<String> {
    let start = page.find(heading)?;
    let rest = &page[start + heading.len()..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// Each command (continuation lines joined) with the first line the page shows it printing.
fn commands(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(first) = line.strip_prefix("$ ") else {
            continue;
        };
        let mut command = first.to_owned();
        while command.ends_with('\\') {
            command.pop();
            match lines.next() {
                Some(more) => command.push_str(more.trim_start()),
                None => break,
            }
        }
        let shown = lines
            .peek()
            .filter(|l| !l.starts_with("$ ") && !l.starts_with("```"))
            .map(|l| l.to_string());
        out.push((command, shown));
    }
    out
}

/// Splits a command line as the shell would for these commands: words, and single quotes.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut any) = (false, false);
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

#[test]
fn every_command_of_verify_what_you_already_have_runs_as_written() -> TestResult {
    let page = std::fs::read_to_string(root().join("docs/provenance.md"))?;
    let text = section(&page, "## Verify what you already have").ok_or("no such section")?;
    let commands = commands(&text);
    assert!(commands.len() >= 10, "only {} commands", commands.len());
    for (command, shown) in commands {
        let args = words(&command);
        assert_eq!(
            args.first().map(String::as_str),
            Some("lockkeeper"),
            "{command}"
        );
        let out = Command::new(env!("CARGO_BIN_EXE_lockkeeper"))
            .args(&args[1..])
            .current_dir(root())
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{command}\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(shown) = shown {
            let head = shown.strip_suffix("...").unwrap_or(&shown);
            assert!(
                stdout.lines().next().unwrap_or_default().starts_with(head),
                "{command}: the page shows `{shown}`, it printed:\n{stdout}"
            );
        }
    }
    Ok(())
}
