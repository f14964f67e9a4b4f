//! What an environment demands before an artifact may enter it, as the policy states it.

use jiff::civil::Weekday;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp};

use crate::rule::{Code, codes};
use crate::zone::ZoneId;

/// An attestation an environment requires (besides build provenance).
#[derive(Clone, Debug, PartialEq)]
pub struct AttestationRule {
    /// The in-toto predicate type, e.g. `https://in-toto.io/attestation/test-result/v0.1`.
    pub predicate_type: String,
    /// The least trusted zone a signer of the attestation may be in.
    pub signer_zone: Option<ZoneId>,
    /// How old the attestation may be (by the time it states), if limited.
    pub max_age: Option<SignedDuration>,
    /// Free text for explanations.
    pub description: Option<String>,
}

/// The approvals an environment requires.
#[derive(Clone, Debug, PartialEq)]
pub struct ApprovalRule {
    /// k distinct approvers.
    pub required: usize,
    /// The role they must hold (else any role granting `approve`).
    pub role: Option<String>,
    /// Approvals older than this are ignored.
    pub max_age: Option<SignedDuration>,
}

/// A time during which nothing may enter an environment (unless an emergency override is
/// allowed and recorded).
#[derive(Clone, Debug, PartialEq)]
pub enum FreezeWindow {
    /// From `from` (inclusive) to `until` (exclusive), UTC.
    Absolute {
        /// Start.
        from: Timestamp,
        /// End.
        until: Timestamp,
        /// Why, shown in explanations.
        reason: Option<String>,
    },
    /// Every week on `days`, from `from` to `until` minutes after midnight UTC (`until` may be
    /// smaller than `from` for a window that crosses midnight).
    Weekly {
        /// Days the window starts on.
        days: Vec<Weekday>,
        /// Start, minutes after midnight UTC.
        from: u16,
        /// End, minutes after midnight UTC.
        until: u16,
        /// Why, shown in explanations.
        reason: Option<String>,
    },
}

impl FreezeWindow {
    /// Whether `now` falls inside the window.
    pub fn contains(&self, now: Timestamp) -> bool {
        match self {
            FreezeWindow::Absolute { from, until, .. } => *from <= now && now < *until,
            FreezeWindow::Weekly {
                days, from, until, ..
            } => {
                let dt = TimeZone::UTC.to_datetime(now);
                let minute =
                    u16::try_from(i32::from(dt.hour()) * 60 + i32::from(dt.minute())).unwrap_or(0);
                let today = dt.weekday();
                if from <= until {
                    days.contains(&today) && *from <= minute && minute < *until
                } else {
                    // Crosses midnight: started today after `from`, or yesterday before `until`.
                    (days.contains(&today) && minute >= *from)
                        || (days.contains(&today.previous()) && minute < *until)
                }
            }
        }
    }

    /// Why the window exists.
    pub fn reason(&self) -> Option<&str> {
        match self {
            FreezeWindow::Absolute { reason, .. } | FreezeWindow::Weekly { reason, .. } => {
                reason.as_deref()
            }
        }
    }

    /// The window for explanations.
    pub fn describe(&self) -> String {
        match self {
            FreezeWindow::Absolute { from, until, .. } => format!("{from} to {until}"),
            FreezeWindow::Weekly {
                days, from, until, ..
            } => format!(
                "weekly on {} {:02}:{:02}-{:02}:{:02} UTC",
                days.iter()
                    .map(|d| day_name(*d))
                    .collect::<Vec<_>>()
                    .join(","),
                from / 60,
                from % 60,
                until / 60,
                until % 60
            ),
        }
    }
}

/// A time, duration, clock time or day name that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// Not a duration.
    #[error("`{text}` is not a duration like 72h or 7d: {reason}")]
    Duration {
        /// What was given.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// A duration that is zero or negative.
    #[error("`{text}` must be a positive duration")]
    NotPositive {
        /// What was given.
        text: String,
    },
    /// Not an RFC 3339 time.
    #[error("`{text}` is not an RFC 3339 time: {reason}")]
    Time {
        /// What was given.
        text: String,
        /// What the parser said.
        reason: String,
    },
    /// Not `HH:MM`.
    #[error("`{text}` is not a time of day like 16:30")]
    Clock {
        /// What was given.
        text: String,
    },
    /// Not a day of the week.
    #[error("`{text}` is not a day of the week")]
    Day {
        /// What was given.
        text: String,
    },
}

impl ValueError {
    /// The rule code: a time in a request is `input/invalid-time`; the others are only written in
    /// policies.
    pub fn code(&self) -> Code {
        match self {
            ValueError::Time { .. } => codes::INPUT_INVALID_TIME,
            _ => codes::POLICY_INVALID_VALUE,
        }
    }
}

/// Parses a duration such as `72h`, `7d` or `1h30m` (days are 24 hours).
pub fn parse_duration(text: &str) -> Result<SignedDuration, ValueError> {
    let bad = |e: jiff::Error| ValueError::Duration {
        text: text.to_owned(),
        reason: e.to_string(),
    };
    let span: Span = text.parse().map_err(bad)?;
    let d = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(bad)?;
    if d.is_negative() || d.is_zero() {
        return Err(ValueError::NotPositive {
            text: text.to_owned(),
        });
    }
    Ok(d)
}

/// Parses an RFC 3339 time (`2026-12-20T00:00:00Z`).
pub fn parse_time(text: &str) -> Result<Timestamp, ValueError> {
    text.parse::<Timestamp>().map_err(|e| ValueError::Time {
        text: text.to_owned(),
        reason: e.to_string(),
    })
}

/// Parses `HH:MM` as minutes after midnight (`24:00` is the end of the day).
pub fn parse_clock(text: &str) -> Result<u16, ValueError> {
    let bad = || ValueError::Clock {
        text: text.to_owned(),
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Parses a day name (`mon`, `monday`, ...).
pub fn parse_day(text: &str) -> Result<Weekday, ValueError> {
    let lower = text.to_ascii_lowercase();
    Ok(match lower.get(..3).unwrap_or_default() {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => {
            return Err(ValueError::Day {
                text: text.to_owned(),
            });
        }
    })
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_windows_including_across_midnight() -> Result<(), ValueError> {
        let w = FreezeWindow::Weekly {
            days: vec![parse_day("fri")?],
            from: parse_clock("16:00")?,
            until: parse_clock("08:00")?,
            reason: None,
        };
        // 2026-11-27 is a Friday.
        assert!(w.contains(parse_time("2026-11-27T17:00:00Z")?));
        assert!(w.contains(parse_time("2026-11-28T07:59:00Z")?));
        assert!(!w.contains(parse_time("2026-11-28T08:00:00Z")?));
        assert!(!w.contains(parse_time("2026-11-27T15:59:00Z")?));
        assert!(!w.contains(parse_time("2026-11-26T17:00:00Z")?));
        assert_eq!(parse_duration("7d")?, SignedDuration::from_hours(168));
        assert!(parse_duration("-1h").is_err());
        assert!(parse_clock("25:00").is_err());
        Ok(())
    }
}
