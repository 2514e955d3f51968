//! Security review, finding 6, on the identity side: an unsigned service
//! auth token whose `iss` is `did:web:localhost%3APORT` made the server
//! fetch its own ports and say, in the 401, what it met there (a port
//! scan). With the production default nothing on this machine is fetched,
//! and an open port and a closed one get the same answer.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use settlement::testkit::EXCHANGE;

use crate::app::{Backend, spawn_app_proven};

fn unsigned_token(iss: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256K","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"iss":"{iss}","aud":"{EXCHANGE}","lxm":"dev.cocore.compute.getProviderBalance","exp":9999999999}}"#
    ));
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode([1u8; 64]))
}

async fn a_token_cannot_probe_this_machine(b: Backend) {
    let (app, _clock) = spawn_app_proven(b, settlement::identity::IdentityConfig::default()).await;
    let open_port = app.base.rsplit(':').next().unwrap().to_owned();
    let mut answers = Vec::new();
    for port in [open_port.as_str(), "9"] {
        let did = format!("did:web:localhost%3A{port}");
        let token = unsigned_token(&did);
        let r = app
            .request(
                reqwest::Method::GET,
                // Escaped once more: the path is percent-decoded.
                &format!("/v1/providers/{}/balance", did.replace('%', "%25")),
                None,
                Some(&token),
            )
            .await;
        assert_eq!((r.status, r.code()), (401, "unauthorized"), "{port}: {r:?}");
        let detail = r
            .body
            .get("detail")
            .and_then(|d| d.as_str())
            .unwrap_or("")
            .replace(&did, "DID");
        answers.push(detail);
    }
    assert_eq!(answers[0], answers[1], "the answers tell the ports apart");
    assert!(
        answers[0].contains("could not be resolved"),
        "{}",
        answers[0]
    );
}

on_both_backends!(a_token_cannot_probe_this_machine);
