//! The local risk weight: the factors of AMO's auto-approval weight that can be computed from
//! the files alone, offline, each shown with its reason.
//!
//! AMO adds, per version (`AutoApprovalSummary.calculate_static_analysis_weight_factors`):
//! eval or document.write 50, implied eval 5, innerHTML 50 + 10 per further use, a custom CSP
//! 90, nativeMessaging 100, remote scripts 100, unknown minified code 100 + 10 per further
//! file, 1 per 5 kB of code change (at most 100), a coin miner 2000. Its other factors (abuse
//! reports, ratings, reputation, users, past rejections, admin flags) need the store's data.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vetter_manifest::Manifest;

use crate::{Sink, SinkKind};

/// One factor of the weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RiskFactor {
    /// AMO's name of the factor (`uses_innerhtml`).
    pub name: String,
    /// Its weight.
    pub weight: u32,
    /// Why, in words (`3 unsafe HTML assignments: 50 + 10 × 2`).
    pub reason: String,
}

/// The weight and its factors (only the ones that add something).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Risk {
    /// The sum of the factors.
    pub weight: u32,
    /// The factors, in AMO's order.
    pub factors: Vec<RiskFactor>,
}

fn count(sinks: &[Sink], kinds: &[SinkKind]) -> u32 {
    sinks.iter().filter(|s| kinds.contains(&s.kind)).count() as u32
}

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The weight of a version with these sinks and `unknown_minified` minified files that are
/// not known libraries (the size of the code change is added by [`with_change_size`] when
/// there is an older version to compare with).
pub(crate) fn weigh(manifest: Option<&Manifest>, sinks: &[Sink], unknown_minified: u32) -> Risk {
    let mut factors = Vec::new();
    let mut add = |name: &str, weight: u32, reason: String| {
        if weight > 0 {
            factors.push(RiskFactor {
                name: name.to_owned(),
                weight,
                reason,
            });
        }
    };
    let evals = count(
        sinks,
        &[
            SinkKind::Eval,
            SinkKind::FunctionConstructor,
            SinkKind::DocumentWrite,
        ],
    );
    if evals > 0 {
        add(
            "uses_eval_or_document_write",
            50,
            format!(
                "{} (eval, Function or document.write): 50",
                plural(evals, "use", "uses")
            ),
        );
    }
    let implied = count(sinks, &[SinkKind::StringTimer]);
    if implied > 0 {
        add(
            "uses_implied_eval",
            5,
            format!(
                "{} run as code: 5",
                plural(implied, "timer string", "timer strings")
            ),
        );
    }
    let html = count(
        sinks,
        &[
            SinkKind::HtmlAssignment,
            SinkKind::HtmlInsertion,
            SinkKind::DocumentWrite,
        ],
    );
    if html > 0 {
        add(
            "uses_innerhtml",
            50 + 10 * (html - 1),
            format!(
                "{} of non-literal HTML: 50 + 10 × {}",
                plural(html, "injection", "injections"),
                html - 1
            ),
        );
    }
    if manifest.is_some_and(|m| m.content_security_policy.is_some()) {
        add(
            "uses_custom_csp",
            90,
            "the manifest sets its own content security policy: 90".into(),
        );
    }
    if manifest.is_some_and(|m| m.permissions.iter().any(|p| p == "nativeMessaging")) {
        add(
            "uses_native_messaging",
            100,
            "the nativeMessaging permission: 100".into(),
        );
    }
    let remote = count(sinks, &[SinkKind::RemoteScript]);
    if remote > 0 {
        add(
            "uses_remote_scripts",
            100,
            format!(
                "{} loaded from the network: 100",
                plural(remote, "script", "scripts")
            ),
        );
    }
    if unknown_minified > 0 {
        add(
            "uses_unknown_minified_code",
            100 + 10 * (unknown_minified - 1),
            format!(
                "{} not identified as a known library: 100 + 10 × {}",
                plural(unknown_minified, "minified file", "minified files"),
                unknown_minified - 1
            ),
        );
    }
    if count(sinks, &[SinkKind::CoinMiner]) > 0 {
        add("uses_coinminer", 2000, "known coin-miner code: 2000".into());
    }
    Risk {
        weight: factors.iter().map(|f| f.weight).sum(),
        factors,
    }
}

/// `risk` with the size-of-change factor for a change of `bytes` added (or replaced).
pub(crate) fn with_change_size(risk: &Risk, bytes: u64) -> Risk {
    let mut factors: Vec<RiskFactor> = risk
        .factors
        .iter()
        .filter(|f| f.name != "size_of_code_changes")
        .cloned()
        .collect();
    let weight = (bytes / 5000).min(100) as u32;
    if weight > 0 {
        let at = factors
            .iter()
            .position(|f| f.name == "uses_coinminer")
            .unwrap_or(factors.len());
        factors.insert(
            at,
            RiskFactor {
                name: "size_of_code_changes".into(),
                weight,
                reason: format!(
                    "{bytes} bytes of code more or less than the older version: 1 per 5 kB"
                ),
            },
        );
    }
    Risk {
        weight: factors.iter().map(|f| f.weight).sum(),
        factors,
    }
}

/// One factor of two weights side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FactorPair {
    /// AMO's name of the factor.
    pub name: String,
    /// Its weight in the older version (0 when it does not apply).
    pub old: u32,
    /// Its weight in the newer version.
    pub new: u32,
    /// Why, from the newer version where it applies there, else from the older.
    pub reason: String,
}

impl Risk {
    /// The factors of `old` and `new` side by side, the newer version's first.
    pub fn compare(old: &Risk, new: &Risk) -> Vec<FactorPair> {
        let mut out: Vec<FactorPair> = Vec::new();
        for f in new.factors.iter().chain(&old.factors) {
            if out.iter().any(|p| p.name == f.name) {
                continue;
            }
            let weight = |r: &Risk| {
                r.factors
                    .iter()
                    .find(|g| g.name == f.name)
                    .map_or(0, |g| g.weight)
            };
            out.push(FactorPair {
                name: f.name.clone(),
                old: weight(old),
                new: weight(new),
                reason: f.reason.clone(),
            });
        }
        out
    }
}
