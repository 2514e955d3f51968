//! A requester's trust policy over vouch and denounce records, and the
//! decision it gives on one bidder, explained by the records it rests on.
//! Pure: the caller gathers the graph (see `contract::graph`).
//!
//! A denounce always refuses: the requester's own, and, when she says so,
//! one by anyone she vouches for directly. Then `open` takes anyone,
//! `vouched` only those she vouches for, and `network` those within `hops`
//! vouches of her (she vouches for Carol who vouches for Bob: two hops).

use std::collections::{BTreeMap, VecDeque};

use super::records::Kind;

/// Longest vouch path `network` may follow.
pub const HOPS_MAX: u32 = 4;
/// Accounts whose vouches are read for one decision, at most.
pub const GRAPH_OWNERS_MAX: usize = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Vouched,
    Network { hops: u32 },
    Open,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Vouched => "vouched",
            Mode::Network { .. } => "network",
            Mode::Open => "open",
        }
    }

    /// How far the graph must be read for this mode.
    pub fn depth(self) -> u32 {
        match self {
            Mode::Network { hops } => hops,
            _ => 1,
        }
    }
}

/// A requester's policy, as she set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// A denounce by anyone she vouches for directly refuses too.
    pub heed_vouchees: bool,
}

impl Default for Policy {
    /// Until she says otherwise: only bidders she vouches for.
    fn default() -> Self {
        Policy {
            mode: Mode::Vouched,
            heed_vouchees: false,
        }
    }
}

/// One record of the graph: `owner` says `kind` of `subject`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub subject: String,
    pub kind: Kind,
    pub uri: String,
}

/// The vouch records read, by owner.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub edges: BTreeMap<String, Vec<Edge>>,
}

impl Graph {
    pub fn add(&mut self, owner: &str, edge: Edge) {
        self.edges.entry(owner.to_owned()).or_default().push(edge);
    }

    fn said(&self, owner: &str, subject: &str) -> Option<&Edge> {
        self.edges.get(owner)?.iter().find(|e| e.subject == subject)
    }

    fn vouches_of<'a>(&'a self, owner: &str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.edges
            .get(owner)
            .into_iter()
            .flatten()
            .filter(|e| e.kind == Kind::Vouch)
    }
}

/// What the policy says of one bidder, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// `bidder-denounced`, `bidder-not-trusted`, `vouched`, `network`, `open`.
    pub code: &'static str,
    /// One sentence.
    pub explanation: String,
    /// The records the decision rests on, in the order they were followed.
    pub records: Vec<String>,
}

fn refuse(code: &'static str, explanation: String, records: Vec<String>) -> Decision {
    Decision {
        allowed: false,
        code,
        explanation,
        records,
    }
}

/// The decision of `policy` (the requester's) on `bidder` over `graph`.
pub fn decide(policy: &Policy, requester: &str, bidder: &str, graph: &Graph) -> Decision {
    if let Some(e) = graph.said(requester, bidder)
        && e.kind == Kind::Denounce
    {
        return refuse(
            "bidder-denounced",
            format!("{requester} denounces {bidder}"),
            vec![e.uri.clone()],
        );
    }
    if policy.heed_vouchees {
        for v in graph.vouches_of(requester) {
            if let Some(d) = graph.said(&v.subject, bidder)
                && d.kind == Kind::Denounce
            {
                return refuse(
                    "bidder-denounced",
                    format!(
                        "{} (whom {requester} vouches for, and whose denounces she heeds) denounces {bidder}",
                        v.subject
                    ),
                    vec![v.uri.clone(), d.uri.clone()],
                );
            }
        }
    }
    if policy.mode == Mode::Open {
        return Decision {
            allowed: true,
            code: "open",
            explanation: format!("{requester} takes bids from anyone she has not denounced"),
            records: Vec::new(),
        };
    }
    if let Some(path) = path(graph, requester, bidder, policy.mode.depth()) {
        let hops = path.len();
        return Decision {
            allowed: true,
            code: if hops == 1 { "vouched" } else { "network" },
            explanation: if hops == 1 {
                format!("{requester} vouches for {bidder}")
            } else {
                format!("{bidder} is {hops} vouches from {requester}")
            },
            records: path,
        };
    }
    let explanation = match policy.mode {
        Mode::Network { hops } => {
            format!("{bidder} is not within {hops} vouches of {requester}")
        }
        _ => format!("{requester} does not vouch for {bidder}"),
    };
    refuse("bidder-not-trusted", explanation, Vec::new())
}

/// The shortest chain of vouches from `from` to `to`, at most `hops` long:
/// the records' URIs in order.
fn path(graph: &Graph, from: &str, to: &str, hops: u32) -> Option<Vec<String>> {
    // Breadth first; each account is reached once, by its shortest path,
    // never through an account `from` denounces.
    let denounced: std::collections::BTreeSet<&str> = graph
        .edges
        .get(from)
        .into_iter()
        .flatten()
        .filter(|e| e.kind == Kind::Denounce)
        .map(|e| e.subject.as_str())
        .collect();
    let mut came: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    let mut queue = VecDeque::from([(from, 0u32)]);
    while let Some((at, depth)) = queue.pop_front() {
        if depth == hops {
            continue;
        }
        for e in graph.vouches_of(at) {
            if e.subject == from
                || denounced.contains(e.subject.as_str())
                || came.contains_key(e.subject.as_str())
            {
                continue;
            }
            came.insert(&e.subject, (at, &e.uri));
            if e.subject == to {
                let mut out = Vec::new();
                let mut cur = to;
                while let Some((prev, uri)) = came.get(cur) {
                    out.push((*uri).to_owned());
                    cur = prev;
                }
                out.reverse();
                return Some(out);
            }
            queue.push_back((&e.subject, depth + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(g: &mut Graph, owner: &str, subject: &str, kind: Kind) {
        g.add(
            owner,
            Edge {
                subject: subject.into(),
                kind,
                uri: format!("at://{owner}/sh.tangled.graph.vouch/{subject}"),
            },
        );
    }

    fn graph() -> Graph {
        let mut g = Graph::default();
        edge(&mut g, "alice", "bob", Kind::Vouch);
        edge(&mut g, "alice", "eve", Kind::Denounce);
        edge(&mut g, "alice", "carol", Kind::Vouch);
        edge(&mut g, "carol", "dave", Kind::Vouch);
        edge(&mut g, "carol", "mallory", Kind::Denounce);
        edge(&mut g, "dave", "frank", Kind::Vouch);
        g
    }

    #[test]
    fn a_denounce_refuses_under_every_mode() {
        for mode in [Mode::Vouched, Mode::Network { hops: 4 }, Mode::Open] {
            let p = Policy {
                mode,
                heed_vouchees: false,
            };
            let d = decide(&p, "alice", "eve", &graph());
            assert!(!d.allowed);
            assert_eq!(d.code, "bidder-denounced");
            assert_eq!(d.records, vec!["at://alice/sh.tangled.graph.vouch/eve"]);
        }
    }

    #[test]
    fn a_vouchees_denounce_refuses_only_when_heeded() {
        let mut p = Policy {
            mode: Mode::Open,
            heed_vouchees: false,
        };
        assert!(decide(&p, "alice", "mallory", &graph()).allowed);
        p.heed_vouchees = true;
        let d = decide(&p, "alice", "mallory", &graph());
        assert_eq!(d.code, "bidder-denounced");
        assert_eq!(d.records.len(), 2, "{d:?}");
        assert!(d.explanation.contains("carol"), "{d:?}");
    }

    #[test]
    fn vouched_takes_direct_vouches_only() {
        let p = Policy::default();
        assert_eq!(decide(&p, "alice", "bob", &graph()).code, "vouched");
        let d = decide(&p, "alice", "dave", &graph());
        assert_eq!(d.code, "bidder-not-trusted");
        assert!(d.explanation.contains("does not vouch"), "{d:?}");
    }

    #[test]
    fn network_follows_vouches_up_to_its_hops() {
        let p = |hops| Policy {
            mode: Mode::Network { hops },
            heed_vouchees: false,
        };
        let d = decide(&p(2), "alice", "dave", &graph());
        assert!(d.allowed);
        assert_eq!(d.code, "network");
        assert_eq!(
            d.records,
            vec![
                "at://alice/sh.tangled.graph.vouch/carol",
                "at://carol/sh.tangled.graph.vouch/dave"
            ]
        );
        assert_eq!(
            decide(&p(2), "alice", "frank", &graph()).code,
            "bidder-not-trusted"
        );
        assert!(decide(&p(3), "alice", "frank", &graph()).allowed);
        // A denounce is never a path, nor is anyone she denounces a link.
        assert!(!decide(&p(4), "alice", "mallory", &graph()).allowed);
        let mut g = graph();
        edge(&mut g, "eve", "oscar", Kind::Vouch);
        edge(&mut g, "bob", "eve", Kind::Vouch);
        assert_eq!(
            decide(&p(4), "alice", "oscar", &g).code,
            "bidder-not-trusted"
        );
    }
}
