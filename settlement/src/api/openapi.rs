//! The OpenAPI document, derived from the routes' `#[utoipa::path]`
//! annotations and the wire types: what is served and what is described
//! come from the same code.

use utoipa::OpenApi;

use super::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Settlement engine",
        description = "Charges compute receipts against signed payment authorizations, in a double-entry ledger; pays providers on chain; lets anyone re-verify every charge.",
    ),
    paths(
        healthz,
        readyz,
        metrics,
        openapi,
        exchange,
        did_json,
        records::post_record,
        records::get_record,
        records::post_revocation,
        records::list_receipts,
        records::verify_receipt,
        records::verify_settlement_query,
        settlements::settle,
        settlements::deposit,
        settlements::list_settlements,
        deposits::deposit,
        payouts::run_payouts,
        payouts::put_destination,
        payouts::provider_payouts,
        balances::authorization,
        balances::provider_balance,
        balances::requester_balance,
        balances::requester_statement,
        disputes::open,
        disputes::of_settlement,
        disputes::get,
        disputes::resolve,
        inference::upload,
        inference::download,
        inference::verdict,
        inference::held,
        inference::end_hold,
        contracts::accept,
        contracts::list,
        contracts::get,
        contracts::get_policy,
        contracts::put_policy,
        network::backfill,
        network::publication,
    )
)]
struct Document;

/// The document as served at `/openapi.json`.
pub fn document() -> String {
    Document::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use crate::records::json::{self, Value};

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r.clone()),
                        _ => refs(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    /// Every route is described, with an answer for success, and every
    /// schema a route names is in the document.
    #[test]
    fn the_document_describes_every_route_and_resolves() {
        let doc = json::parse(super::super::openapi_document().as_bytes()).expect("strict JSON");
        let paths = doc.get("paths").and_then(Value::as_object).expect("paths");
        for route in super::super::ROUTES {
            let ops = paths
                .get(*route)
                .and_then(Value::as_object)
                .unwrap_or_else(|| panic!("{route} missing"));
            for (method, op) in ops {
                let responses = op
                    .get("responses")
                    .and_then(Value::as_object)
                    .expect("responses");
                assert!(
                    responses.keys().any(|s| s.starts_with('2')),
                    "{method} {route}: no success answer"
                );
            }
        }
        assert_eq!(paths.len(), super::super::ROUTES.len());
        let schemas = doc
            .get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_object)
            .expect("schemas");
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 50, "{}", found.len());
        for r in found {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}: not a schema"));
            assert!(schemas.contains_key(name), "{r} does not resolve");
        }
        // Money is integers of minor units, never a number with a point.
        let money = schemas.get("Money").expect("Money");
        let amount = money
            .get("properties")
            .and_then(|p| p.get("amount"))
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str);
        assert_eq!(amount, Some("integer"));
        // Operation ids are unique (clients name their methods by them).
        let mut ids = std::collections::BTreeSet::new();
        for ops in paths.values().filter_map(Value::as_object) {
            for op in ops.values() {
                let id = op.get("operationId").and_then(Value::as_str).expect("id");
                assert!(ids.insert(id.to_owned()), "{id} twice");
            }
        }
    }
}
