//! Deployment states in YAML, shared by the tests and the benches: worker relations with
//! the databags Canonical's tempo-worker-k8s writes (JSON per value, as cosl does).

/// Tempo's roles, one worker application each in a distributed deployment.
pub const ROLES: [&str; 6] = [
    "querier",
    "query-frontend",
    "ingester",
    "distributor",
    "compactor",
    "metrics-generator",
];

/// A `tempo-cluster` relation `id` to application `app` with `roles` (comma-separated),
/// one unit per address: `app/0` at `addresses[0]`, and so on.
pub fn worker_relation_at(id: u32, app: &str, roles: &str, addresses: &[String]) -> String {
    let names: Vec<String> = (0..addresses.len()).map(|u| format!("{app}/{u}")).collect();
    let data: Vec<String> = names
        .iter()
        .zip(addresses)
        .map(|(unit, address)| {
            format!(
                "{unit}: {{address: '\"{address}\"', juju_topology: '{{\"application\": \"{app}\", \"unit\": \"{unit}\", \"charm_name\": \"tempo-worker-k8s\", \"model\": \"cos\"}}'}}"
            )
        })
        .collect();
    format!(
        "  - {{id: {id}, endpoint: tempo-cluster, remote_app: {app}, remote_units: [{}], remote_app_data: {{role: '\"{roles}\"'}}, remote_units_data: {{{}}}}}\n",
        names.join(", "),
        data.join(", ")
    )
}

/// As [`worker_relation_at`], with `units` units at their pod FQDNs in model `cos`.
pub fn worker_relation(id: u32, app: &str, roles: &str, units: usize) -> String {
    let addresses: Vec<String> = (0..units)
        .map(|u| format!("{app}-{u}.{app}-endpoints.cos.svc.cluster.local"))
        .collect();
    worker_relation_at(id, app, roles, &addresses)
}
