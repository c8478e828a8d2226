//! Everything the reconciler needs, read with the fewest hook-tool calls.
//!
//! Each input is read at most once per hook, and only where it can matter: Traefik's data
//! and the peers' FQDNs are read by the leader alone, and only when an ingress is related.

use charm_interfaces::pyjson;
use juju_charm::{
    Context, Databag, ErrorKind, Event, HookToolError, HookTools, RelationEventKind, RelationId,
    Runner, UnitName,
};

/// The tempo-api endpoint.
pub const TEMPO_API: &str = "tempo-api";
/// The traefik_route endpoint.
pub const INGRESS: &str = "ingress";
/// The peer endpoint.
pub const PEERS: &str = "peers";
/// The key each unit writes its FQDN under in its peer databag (as the Python coordinator does).
pub const PEER_FQDN_KEY: &str = "fqdn";

/// The ingress relation, as the leader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    /// The relation.
    pub relation: RelationId,
    /// Traefik's application databag (empty until Traefik writes, or when not read).
    pub traefik: Databag,
}

/// The peer relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peers {
    /// The relation.
    pub relation: RelationId,
    /// The other units and the FQDN each wrote, if it did (read only when needed).
    pub units: Vec<(UnitName, Option<String>)>,
}

/// What the reconciler decides from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// Our application.
    pub app: String,
    /// The model (namespace).
    pub model: String,
    /// This unit.
    pub unit: UnitName,
    /// This pod's FQDN when it is a Kubernetes one.
    pub own_fqdn: Option<String>,
    /// The event being handled.
    pub event: Event,
    /// A problem with the charm's config, reported as blocked.
    pub config_problem: Option<String>,
    /// Whether this unit is the leader.
    pub leader: bool,
    /// The tempo-api relations (without one being broken in this hook).
    pub tempo_api: Vec<RelationId>,
    /// The ingress relation, if any.
    pub ingress: Option<Ingress>,
    /// The peer relation, if it exists.
    pub peers: Option<Peers>,
}

/// Whether this event is one where the unit (re)writes its FQDN to the peer databag.
pub fn writes_peer_fqdn(event: &Event) -> bool {
    match event {
        Event::Relation(r) => {
            r.relation.endpoint == PEERS
                && matches!(
                    r.kind,
                    RelationEventKind::Created | RelationEventKind::Joined
                )
        }
        Event::UpgradeCharm | Event::ConfigChanged => true,
        _ => false,
    }
}

/// The relation being broken in this hook, which must not be used any more.
fn broken(event: &Event) -> Option<&RelationId> {
    event
        .relation()
        .filter(|r| r.kind == RelationEventKind::Broken)
        .map(|r| &r.relation)
}

/// A relation that vanished mid-hook: Juju says "relation not found" or "permission denied".
fn gone(e: &HookToolError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::RelationNotFound | ErrorKind::PermissionDenied
    )
}

/// The JSON-quoted FQDN a peer wrote (cosl's DatabagModel writes `json.dumps(value)`);
/// a bare string is accepted too. Bounded: anything long or odd is ignored.
pub fn parse_peer_fqdn(bag: &Databag) -> Option<String> {
    let raw = bag.get(PEER_FQDN_KEY)?;
    if raw.len() > 300 {
        return None;
    }
    let fqdn = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.clone());
    let ok = !fqdn.is_empty()
        && fqdn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    ok.then_some(fqdn)
}

/// The peer databag value for our FQDN.
pub fn peer_fqdn_value(fqdn: &str) -> String {
    let mut s = String::new();
    pyjson::push_str(&mut s, fqdn);
    s
}

/// Reads the inputs. Tool failures other than a relation vanishing mid-hook are errors.
pub fn read<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    own_fqdn: Option<String>,
    config_problem: Option<String>,
) -> Result<Inputs, HookToolError> {
    let leader = tools.is_leader()?;
    let broken = broken(&ctx.event);
    let live = |ids: Vec<RelationId>| -> Vec<RelationId> {
        ids.into_iter().filter(|r| Some(r) != broken).collect()
    };

    let tempo_api = live(tools.relation_ids(TEMPO_API)?);
    let ingress_rel = live(tools.relation_ids(INGRESS)?).into_iter().next();
    let need_peers = writes_peer_fqdn(&ctx.event) || (leader && ingress_rel.is_some());
    let peer_rel = if need_peers {
        live(tools.relation_ids(PEERS)?).into_iter().next()
    } else {
        None
    };

    let mut ingress = None;
    if let (true, Some(relation)) = (leader, ingress_rel) {
        let traefik = match read_remote_app_bag(ctx, tools, &relation) {
            Ok(bag) => Some(bag),
            Err(e) if gone(&e) => {
                tracing::warn!(relation = %relation, "the ingress relation vanished during the hook; ignoring it");
                None
            }
            Err(e) => return Err(e),
        };
        ingress = traefik.map(|traefik| Ingress { relation, traefik });
    }

    let mut peers = None;
    if let Some(relation) = peer_rel {
        let mut units = Vec::new();
        if leader && ingress.is_some() {
            let departing = ctx.event.relation().and_then(|r| r.departing_unit.clone());
            match tools.relation_list(&relation) {
                Ok(list) => {
                    for unit in list.into_iter().filter(|u| Some(u) != departing.as_ref()) {
                        let fqdn = match tools.relation_get_unit(&relation, &unit) {
                            Ok(bag) => parse_peer_fqdn(&bag),
                            Err(e) if gone(&e) => None,
                            Err(e) => return Err(e),
                        };
                        units.push((unit, fqdn));
                    }
                }
                Err(e) if gone(&e) => {}
                Err(e) => return Err(e),
            }
            units.sort_by_key(|(u, _)| u.number());
        }
        peers = Some(Peers { relation, units });
    }

    Ok(Inputs {
        app: ctx.app().to_owned(),
        model: ctx.model_name.clone(),
        unit: ctx.unit.clone(),
        own_fqdn,
        event: ctx.event.clone(),
        config_problem,
        leader,
        tempo_api,
        ingress,
        peers,
    })
}

/// The remote app's databag; the app name comes from `JUJU_REMOTE_APP` when the hook is on
/// this relation (saving a `relation-list --app`), as ops does.
fn read_remote_app_bag<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    relation: &RelationId,
) -> Result<Databag, HookToolError> {
    let hinted = ctx
        .event
        .relation()
        .filter(|r| r.relation == *relation)
        .and_then(|r| r.remote_app.clone());
    let app = match hinted {
        Some(a) => a,
        None => tools.relation_list_app(relation)?,
    };
    if app.is_empty() {
        return Ok(Databag::new());
    }
    tools.relation_get_app(relation, &app)
}

/// This pod's FQDN, as Python's `socket.getfqdn()` finds it: the hostname looked up in
/// `/etc/hosts`. `None` when it is not there (not on Kubernetes). Reads two small files.
pub fn host_fqdn() -> Option<String> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    super::urls::fqdn_from_hosts(&hostname, &hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_fqdn_round_trip_and_bounds() {
        let bag: Databag = [(
            PEER_FQDN_KEY.to_owned(),
            peer_fqdn_value("tempo-1.tempo-endpoints.cos.svc.cluster.local"),
        )]
        .into();
        assert_eq!(
            bag[PEER_FQDN_KEY],
            "\"tempo-1.tempo-endpoints.cos.svc.cluster.local\""
        );
        assert_eq!(
            parse_peer_fqdn(&bag).as_deref(),
            Some("tempo-1.tempo-endpoints.cos.svc.cluster.local")
        );
        for bad in ["\"a b\"", "\"$(rm -rf /)\"", "\"\"", &"a".repeat(400)] {
            let bag: Databag = [(PEER_FQDN_KEY.to_owned(), bad.to_owned())].into();
            assert_eq!(parse_peer_fqdn(&bag), None, "{bad}");
        }
        let bare: Databag = [(PEER_FQDN_KEY.to_owned(), "host.example".to_owned())].into();
        assert_eq!(parse_peer_fqdn(&bare).as_deref(), Some("host.example"));
    }
}
