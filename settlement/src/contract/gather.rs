//! The records a decision needs: each named record from the store, or
//! fetched from its owner's repository and proven where the exchange
//! proves records; and the vouch graph around a requester, as far as her
//! policy reaches.

use super::records::{Vouch, vouch_subject};
use super::trust::{Edge, GRAPH_OWNERS_MAX, Graph, Policy};
use crate::authentic::RecordTrust;
use crate::failure::{Failure, FailureKind};
use crate::records::cid::Cid;
use crate::records::formats::AtUri;
use crate::records::{RawRecord, Record, RecordError, RecordType, parse_record};
use crate::store::Store;

/// Most vouch records read of one owner, and for one decision.
const EDGES_PER_OWNER_MAX: i64 = 5_000;
const EDGES_MAX: usize = 50_000;

pub fn record_failure(e: RecordError) -> Failure {
    match e {
        RecordError::Invalid(e) => {
            Failure::new(FailureKind::Rejected, "invalid-record", e.to_string())
        }
        e @ RecordError::CidMismatch { .. } => {
            Failure::new(FailureKind::Rejected, "cid-mismatch", e.to_string())
        }
    }
}

/// The record at `uri` as a `T` (`root` names it in errors): stored, or
/// fetched, proven and stored.
pub(super) async fn record<T: RecordType>(
    store: &Store,
    trust: &RecordTrust,
    uri: &str,
    root: &str,
    now_us: i64,
) -> Result<Record<T>, Failure> {
    let parsed = AtUri::parse(uri).ok_or_else(|| {
        Failure::new(
            FailureKind::Rejected,
            "invalid-record",
            format!("{root}.uri: must be an AT URI of a record (at://DID/COLLECTION/RKEY)"),
        )
    })?;
    if parsed.collection() != T::NSID {
        return Err(Failure::new(
            FailureKind::Rejected,
            "invalid-record",
            format!("{root}.uri: {uri} is not a {} record", T::NSID),
        ));
    }
    let raw = match store.get_record(uri).await? {
        Some(s) => RawRecord {
            uri: s.uri,
            cid: Some(s.cid),
            value: s.value,
        },
        None => {
            let Some(accepted) = trust.fetch_missing(uri).await? else {
                return Err(Failure::new(
                    FailureKind::NotFound,
                    "record-not-found",
                    format!(
                        "{root}: {uri} is not known to this exchange; post it to /v1/records first"
                    ),
                ));
            };
            let r = parse_record::<T>(&accepted.raw, root).map_err(record_failure)?;
            // As every proven record: never from a commit older than one
            // already seen of that repository.
            if let Some(rev) = &accepted.rev {
                if let Some(newest) = store.repo_rev(parsed.did()).await?
                    && rev.as_str() < newest.as_str()
                {
                    return Err(Failure::stale_proof(uri, rev, &newest));
                }
                store.note_rev(parsed.did(), rev).await?;
            }
            store
                .put_record(&r.uri, &r.cid.to_string(), &r.value, now_us)
                .await?;
            return Ok(r);
        }
    };
    parse_record::<T>(&raw, root).map_err(record_failure)
}

/// A vouch record, checked: its subject (the record key) and its kind.
pub fn vouch_edge(raw: &RawRecord) -> Result<(String, Edge, Cid), Failure> {
    let r = parse_record::<Vouch>(raw, "vouch").map_err(record_failure)?;
    let subject = vouch_subject(r.owner(), r.uri.rkey())
        .map_err(|e| Failure::new(FailureKind::Rejected, "invalid-record", e.to_string()))?;
    Ok((
        r.owner().to_owned(),
        Edge {
            subject,
            kind: r.data.kind,
            uri: r.uri.to_string(),
        },
        r.cid,
    ))
}

/// The vouch records from `requester` outwards, as deep as `policy`
/// looks, and what her direct vouchees say when she heeds them. Whatever
/// bounds cut from the graph, her own word on `bidder` and a heeded
/// vouchee's denounce of him are read directly, so a bound can only
/// leave a bidder untrusted, never lift a denounce.
pub(super) async fn graph(
    store: &Store,
    requester: &str,
    bidder: &str,
    policy: &Policy,
) -> Result<Graph, Failure> {
    let mut g = Graph::default();
    if let Some(e) = super::graph_store::word_on(store, requester, bidder).await? {
        g.add(requester, e);
    }
    if policy.heed_vouchees
        && let Some((vouch, denounce)) =
            super::graph_store::heeded_denounce(store, requester, bidder).await?
    {
        let vouchee = vouch.subject.clone();
        g.add(requester, vouch);
        g.add(&vouchee, denounce);
    }
    let mut frontier = vec![requester.to_owned()];
    let mut seen = std::collections::BTreeSet::from([requester.to_owned()]);
    // Vouchees' words are read at least one level down when heeded.
    let depth = policy
        .mode
        .depth()
        .max(if policy.heed_vouchees { 2 } else { 1 });
    let mut read = 0usize;
    for _ in 0..depth {
        let mut next = Vec::new();
        for owner in &frontier {
            if read >= EDGES_MAX {
                // What is read so far decides: the requester's own words
                // (read first) always are.
                tracing::warn!(edges = read, "vouch graph cut at its bound");
                return Ok(g);
            }
            let edges = super::graph_store::vouches_of(store, owner, EDGES_PER_OWNER_MAX).await?;
            read += edges.len();
            for e in edges {
                if e.kind == super::records::Kind::Vouch
                    && seen.len() < GRAPH_OWNERS_MAX
                    && seen.insert(e.subject.clone())
                {
                    next.push(e.subject.clone());
                }
                g.add(owner, e);
            }
        }
        frontier = next;
    }
    Ok(g)
}
