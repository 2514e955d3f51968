//! `settlement proof check`: the model-free checks of one TensorCash proof,
//! printed as one JSON object.

use serde_json::json;

use super::Outcome;
use crate::inference;

/// Exit 0 when every check but the header proof-of-work holds, 1 when one
/// fails, 2 (the reason on stderr) when the bytes are not a usable proof.
pub fn check(bytes: &[u8]) -> Outcome {
    let proof = match inference::decode(bytes) {
        Ok(p) => p,
        Err(e) => {
            return Outcome {
                exit: 2,
                stdout: String::new(),
                stderr: format!("proof check: {e}\n"),
            };
        }
    };
    let report = inference::check(&proof);
    let checks: Vec<_> = report
        .checks
        .iter()
        .map(|c| json!({"name": c.name, "ok": c.ok, "detail": c.detail}))
        .collect();
    let body = json!({
        "ok": report.ok(),
        "checks": checks,
        "model": report.model,
        "precision": report.precision,
        "steps": report.steps,
    });
    Outcome {
        exit: if report.ok() { 0 } else { 1 },
        stdout: format!("{body}\n"),
        stderr: String::new(),
    }
}

/// `settlement proof hold`: the operator ends a held share (`release`,
/// `refund`) or asks for a later verdict (`reverify`) over the admin API,
/// the token from `SETTLEMENT_ADMIN_TOKEN`.
pub async fn hold(
    server: &str,
    settlement: &str,
    action: &str,
    admin_token: Option<&str>,
) -> Outcome {
    let Some(token) = admin_token.filter(|t| !t.is_empty()) else {
        return Outcome {
            exit: 2,
            stdout: String::new(),
            stderr: "proof hold: SETTLEMENT_ADMIN_TOKEN must hold the exchange's admin token\n"
                .into(),
        };
    };
    let mut body = crate::records::json::Map::new();
    body.insert("settlement".into(), settlement.into());
    body.insert("action".into(), action.into());
    let body = crate::records::json::Value::Object(body);
    super::admin_post(
        "proof hold",
        server,
        "/v1/admin/inference/holds",
        &body,
        token,
    )
    .await
}

/// `serve`'s proof-of-inference gate (flags and environment only).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ProofGateArgs {
    /// Models whose receipts are charged only with a proof of inference,
    /// comma-separated (`*`: every model). None: no receipt needs one.
    #[arg(long, env = "SETTLEMENT_PROOF_REQUIRED_MODELS", value_delimiter = ',')]
    pub proof_required_models: Vec<String>,
    /// Base URL of the TensorCash verifier (`/v1/verify/...` is added).
    #[arg(long, env = "SETTLEMENT_PROOF_VERIFIER_URL")]
    pub proof_verifier_url: Option<String>,
    /// Which verification to ask for: full or logits (both replay the
    /// model; the quick tiers do not, and are refused).
    #[arg(long, env = "SETTLEMENT_PROOF_VERIFIER_MODE", default_value = "full")]
    pub proof_verifier_mode: String,
    /// File holding the verifier's bearer token, if it asks for one.
    #[arg(long, env = "SETTLEMENT_PROOF_VERIFIER_TOKEN_FILE")]
    pub proof_verifier_token_file: Option<std::path::PathBuf>,
    /// Seconds to wait for a verdict, polling included.
    #[arg(
        long,
        env = "SETTLEMENT_PROOF_VERIFIER_DEADLINE_SECS",
        default_value_t = 60
    )]
    pub proof_verifier_deadline_secs: u64,
}

impl ProofGateArgs {
    /// The gate, if any model needs a proof. The token, when read, is
    /// registered as a secret.
    pub fn gate(&self) -> Result<Option<crate::service::ProofGate>, String> {
        let models: Vec<String> = self
            .proof_required_models
            .iter()
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        if models.is_empty() {
            return Ok(None);
        }
        // The quick tiers replay no model: their pass proves no more than
        // this engine's own native checks, so the gate asks for a replay.
        let mode = match inference::Mode::parse(&self.proof_verifier_mode) {
            Some(m @ (inference::Mode::Full | inference::Mode::Logits)) => m,
            _ => {
                return Err(format!(
                    "--proof-verifier-mode: {:?} is not full or logits (the verifications that replay the model)",
                    self.proof_verifier_mode
                ));
            }
        };
        let verifier = match &self.proof_verifier_url {
            None => None,
            Some(url) => {
                let mut url =
                    reqwest::Url::parse(url).map_err(|e| format!("--proof-verifier-url: {e}"))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err("--proof-verifier-url: must be http or https".into());
                }
                // Its answer decides charges: never over plain http to
                // another machine.
                crate::tls::require_https("--proof-verifier-url", &url)?;
                if !url.path().ends_with('/') {
                    url.set_path(&format!("{}/", url.path()));
                }
                let mut config = crate::proof_verifier::Config::new(url, mode);
                config.deadline =
                    std::time::Duration::from_secs(self.proof_verifier_deadline_secs.max(1));
                if let Some(path) = &self.proof_verifier_token_file {
                    let token = std::fs::read_to_string(path)
                        .map_err(|e| {
                            format!("--proof-verifier-token-file {}: {e}", path.display())
                        })?
                        .trim()
                        .to_owned();
                    crate::secrets::register(&token);
                    config.token = Some(token);
                }
                Some(crate::proof_verifier::Verifier::new(config)?)
            }
        };
        Ok(Some(crate::service::ProofGate { models, verifier }))
    }
}

#[cfg(test)]
mod tests {
    use super::ProofGateArgs;

    #[test]
    fn the_gate_asks_only_for_a_model_replay() {
        let args = |mode: &str| ProofGateArgs {
            proof_required_models: vec!["Qwen/Qwen3-8B".into()],
            proof_verifier_url: Some("http://127.0.0.1:9/".into()),
            proof_verifier_mode: mode.into(),
            ..ProofGateArgs::default()
        };
        for mode in ["quick", "quick-smell", "model", ""] {
            let e = args(mode).gate().err().unwrap_or_default();
            assert!(e.contains("not full or logits"), "{mode}: {e}");
        }
        for mode in ["full", "logits"] {
            let g = args(mode).gate().unwrap().unwrap();
            assert!(g.requires("Qwen/Qwen3-8B") && g.requires("Qwen/Qwen3-8B@9c92"));
            assert!(!g.requires("Qwen/Qwen3-4B"));
        }
        assert!(
            ProofGateArgs::default().gate().unwrap().is_none(),
            "no model named: no gate"
        );
    }
}
