//! Network and ports: `network-get` (any binding, a deterministic pod address),
//! `open-port`/`close-port` (staged), `opened-ports` (committed ports only).

use super::*;

impl Model {
    pub(super) fn network_get(&self, args: &[String]) -> Response {
        const BIND: Flag = Flag("bind-address", &["--bind-address"], false);
        const INGRESS: Flag = Flag("ingress-address", &["--ingress-address"], false);
        const EGRESS: Flag = Flag("egress-subnets", &["--egress-subnets"], false);
        let (flags, pos) = match Self::parse(
            args,
            &[&FORMAT, &OUTPUT, &RELATION, &BIND, &INGRESS, &EGRESS],
        ) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.is_empty() {
            return Response::err(2, "no arguments specified");
        }
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        if flags.contains_key("relation") {
            if let Err(e) = self.relation_arg(&flags) {
                return e;
            }
        }
        // Juju knows the bindings from metadata; the state does not list them, so any binding
        // gets the unit's (deterministic) pod address, derived from the unit number.
        let n = self
            .state
            .unit
            .rsplit_once('/')
            .and_then(|(_, n)| n.parse::<u32>().ok())
            .unwrap_or(0);
        let addr = format!("10.1.{}.{}", n / 250, n % 250 + 2);
        let selected: Vec<(&str, Value)> = [
            ("bind-address", json!(addr)),
            ("ingress-address", json!(addr)),
            ("egress-subnets", json!([format!("{addr}/32")])),
        ]
        .into_iter()
        .filter(|(k, _)| flags.get(*k).is_some_and(|v| v == "true"))
        .collect();
        let value = match selected.len() {
            0 => json!({
                "bind-addresses": [{"mac-address": "", "interface-name": "", "addresses": [{"hostname": "", "value": addr, "cidr": format!("{addr}/32")}]}],
                "egress-subnets": [format!("{addr}/32")],
                "ingress-addresses": [addr],
            }),
            1 => selected[0].1.clone(),
            _ => Value::Object(
                selected
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ),
        };
        Self::render(&flags, &value)
    }

    pub(super) fn port(&mut self, open: bool, args: &[String]) -> Response {
        const ENDPOINTS: Flag = Flag("endpoints", &["--endpoints"], true);
        let (_, pos) = match Self::parse(args, &[&ENDPOINTS, &FORMAT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(spec) = pos.first() else {
            return Response::err(2, "no port or range specified");
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let spec = spec.to_ascii_lowercase();
        let normal = if spec == "icmp" {
            spec
        } else {
            let (range, proto) = spec.split_once('/').unwrap_or((spec.as_str(), "tcp"));
            let valid_range = range
                .split('-')
                .all(|p| p.parse::<u16>().is_ok_and(|n| n > 0))
                && range.split('-').count() <= 2;
            if !valid_range || !matches!(proto, "tcp" | "udp") {
                return Response::err(2, format!("invalid port {spec:?}"));
            }
            format!("{range}/{proto}")
        };
        if open {
            if !self.pending_ports.contains(&normal) {
                self.pending_ports.push(normal);
            }
        } else {
            self.pending_ports.retain(|p| *p != normal);
        }
        Response::ok(Vec::new())
    }

    pub(super) fn opened_ports(&self, args: &[String]) -> Response {
        const ENDPOINTS: Flag = Flag("endpoints", &["--endpoints"], false);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &ENDPOINTS]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        // Committed ports only: this hook's pending changes are not shown.
        let with_ep = flags.get("endpoints").is_some_and(|v| v == "true");
        let ports: Vec<String> = self
            .state
            .opened_ports
            .iter()
            .map(|p| {
                if with_ep {
                    format!("{p} (*)")
                } else {
                    p.clone()
                }
            })
            .collect();
        Self::render(&flags, &json!(ports))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn ports_are_transactional() {
        let mut m = Model::new(state("unit: t/0"), HookCtx::default());
        out(&run(&mut m, "open-port", &["3200/TCP"], None));
        out(&run(&mut m, "open-port", &["9096"], None));
        assert_eq!(
            out(&run(&mut m, "opened-ports", &["--format=json"], None)),
            "[]\n"
        );
        assert_eq!(err(&run(&mut m, "open-port", &["x"], None)).0, 2);
        m.finish(0);
        assert_eq!(m.state().opened_ports, vec!["3200/tcp", "9096/tcp"]);
    }
}
