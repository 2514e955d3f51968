//! Outside bytes as a TensorCash proof, and as a verifier's request: the
//! bounded decoder and every check must answer without panicking, a
//! decoded proof re-encodes to one that decodes equal (NaN aside), and the
//! checks' report always names all six checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use settlement::inference::{self, proof};
use tensorcash_fbs::planus::ReadAsRoot;

fuzz_target!(|data: &[u8]| {
    // The same bytes as a verifier's request: an enum value appended
    // upstream after this build is an error, never a panic.
    if let Ok(vr) = tensorcash_fbs::ValidationRequestRef::read_as_root(data) {
        let _ = vr.validation_type();
        let _ = vr.hash_id();
        if let Ok(Some(tensorcash_fbs::ValidationUnionRef::BlockValidation(b))) = vr.request()
            && let Ok(Some(p)) = b.pow_blob()
        {
            let _ = proof::from_ref(p);
        }
    }
    let Ok(p) = inference::decode(data) else { return };
    let report = inference::check(&p);
    assert_eq!(report.checks.len(), inference::CHECKS.len());
    assert_eq!(report.ok(), report.failed().is_none());
    let again = inference::decode(&proof::encode(&p)).expect("an encoded proof decodes");
    let nan = |v: &Vec<f32>| v.iter().any(|x| x.is_nan());
    if !p.topk_logits.iter().any(nan) && !nan(&p.sampling_u) && !nan(&p.chosen_probs)
        && !p.temperature.is_nan() && !p.top_p.is_nan() && !p.repetition_penalty.is_nan()
        && !nan(&p.softmax_normalizers) && !p.logsumexp_stats.iter().any(nan)
    {
        assert_eq!(again, p);
    }
    let _ = inference::request::validation_request(&p, inference::Mode::Full);
});
