//! Relation tools and Juju's access rules for relation data: `-r` resolution, who may read
//! and write which databag, staging of writes until the commit, relations vanishing mid-hook.

use super::*;

impl Model {
    /// Resolves `-r`, or the hook's relation. Errors are Juju's.
    pub(super) fn relation_arg(&self, flags: &Flags) -> Result<u32, Response> {
        let Some(raw) = flags.get("relation") else {
            return self
                .ctx
                .relation
                .ok_or_else(|| Response::err(2, "no relation id specified"));
        };
        let invalid =
            |why: &str| Response::err(2, format!("invalid value {raw:?} for option -r: {why}"));
        let (endpoint, digits) = match raw.rsplit_once(':') {
            Some((e, d)) => (Some(e), d),
            None => (None, raw.as_str()),
        };
        let id: u32 = digits.parse().map_err(|_| invalid("invalid relation id"))?;
        let Some(rel) = self.state.relation(id) else {
            return Err(invalid("relation not found"));
        };
        if let Some(endpoint) = endpoint {
            if self.state.settings.check_relation_endpoint && endpoint != rel.endpoint {
                return Err(invalid(&format!(
                    "relation {id} is on endpoint {:?}, not {endpoint:?} (charm-sim refuses this as a charm bug; \
                     real Juju 3.6 would accept it; set settings.check_relation_endpoint: false to allow it)",
                    rel.endpoint
                )));
            }
        }
        Ok(id)
    }

    pub(super) fn is_peer(&self, id: u32) -> bool {
        self.state
            .relation(id)
            .is_some_and(|r| r.remote_app == self.state.app())
    }

    pub(super) fn relation_get(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &RELATION, &APP]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let id = match self.relation_arg(&flags) {
            Ok(id) => id,
            Err(e) => return e,
        };
        if pos.len() > 2 {
            return Self::extra(&pos[2..]);
        }
        let key = pos.first().filter(|k| k.as_str() != "-").cloned();
        let mut app = flags.get("app").is_some_and(|v| v == "true");
        let target = match pos.get(1) {
            Some(t) if app => t.split_once('/').map_or(t.clone(), |(a, _)| a.to_owned()),
            Some(t) => {
                if !t.contains('/') {
                    return Response::err(
                        2,
                        format!("expected unit name, got application name {t:?}"),
                    );
                }
                if t.parse::<UnitName>().is_err() {
                    return Response::err(2, format!("invalid unit name {t:?}"));
                }
                t.clone()
            }
            None if app => match &self.ctx.remote_app {
                Some(a) => a.clone(),
                None => return Response::err(2, "no unit or application specified"),
            },
            None => match (&self.ctx.remote_unit, &self.ctx.remote_app) {
                (Some(u), _) => u.clone(),
                (None, Some(a)) => {
                    app = true;
                    a.clone()
                }
                (None, None) => return Response::err(2, "no unit or application specified"),
            },
        };
        if self.vanished.contains(&id) {
            return Response::err(1, "permission denied");
        }
        let bag = match self.read_bag(id, &target, app) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let value = match key {
            Some(k) => bag
                .get(&k)
                .map_or(Value::Null, |v| Value::String(v.clone())),
            None => json!(bag),
        };
        Self::render(&flags, &value)
    }

    pub(super) fn read_bag(&self, id: u32, target: &str, app: bool) -> Result<Databag, Response> {
        let denied = || Response::err(1, "permission denied");
        let rel = self.state.relation(id).ok_or_else(denied)?;
        let (pending_app, pending_unit) = self.pending.get(&id).ok_or_else(denied)?;
        if app {
            if target == self.state.app() && !self.is_peer(id) {
                if !self.leader_now {
                    return Err(denied());
                }
                return Ok(pending_app.clone());
            }
            if target == self.state.app() {
                // Peer relation: the leader sees its own writes; others the committed bag.
                return Ok(if self.leader_now {
                    pending_app.clone()
                } else {
                    rel.local_app.clone()
                });
            }
            if target == rel.remote_app {
                return Ok(rel.remote_app_data.clone());
            }
            return Err(denied());
        }
        if target == self.state.unit {
            return Ok(pending_unit.clone());
        }
        let known = rel.remote_units.iter().any(|u| u == target)
            || rel.remote_units_data.contains_key(target);
        if !known {
            return Err(denied());
        }
        Ok(rel
            .remote_units_data
            .get(target)
            .cloned()
            .unwrap_or_default())
    }

    pub(super) fn relation_set(
        &mut self,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Option<Response> {
        const FILE: Flag = Flag("file", &["--file"], true);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &RELATION, &APP, &FILE]) {
            Ok(p) => p,
            Err(e) => return Some(e),
        };
        let id = match self.relation_arg(&flags) {
            Ok(id) => id,
            Err(e) => return Some(e),
        };
        let changes = match settings_input(&flags, &pos, stdin)? {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        let app = flags.get("app").is_some_and(|v| v == "true");
        if app && !self.leader_now {
            return Some(Response::err(1, "cannot write relation settings"));
        }
        if self.vanished.contains(&id) {
            return Some(Response::err(
                2,
                format!("invalid value \"{id}\" for option -r: relation not found"),
            ));
        }
        let Some((pending_app, pending_unit)) = self.pending.get_mut(&id) else {
            return Some(Response::err(
                1,
                "cannot read relation settings: relation not found",
            ));
        };
        let bag = if app { pending_app } else { pending_unit };
        for (k, v) in changes {
            if v.is_empty() {
                bag.remove(&k);
            } else {
                bag.insert(k, v);
            }
        }
        if app {
            self.app_written = true;
        }
        let mut r = Response::ok(Vec::new());
        if flags.contains_key("format") {
            r.stderr = b"--format flag deprecated for command \"relation-set\"\n".to_vec();
        }
        Some(r)
    }

    pub(super) fn relation_ids(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let endpoint = match pos.first() {
            Some(e) => e.clone(),
            None => match self.ctx.relation.and_then(|id| self.state.relation(id)) {
                Some(r) => r.endpoint.clone(),
                None => return Response::err(2, "no endpoint name specified"),
            },
        };
        let mut ids: Vec<String> = self
            .state
            .relations
            .iter()
            .filter(|r| r.endpoint == endpoint && !self.vanished.contains(&r.id))
            .filter(|r| {
                !(self.ctx.hook.ends_with("-relation-broken") && self.ctx.relation == Some(r.id))
            })
            .map(|r| format!("{}:{}", r.endpoint, r.id))
            .collect();
        ids.sort();
        Self::render(&flags, &json!(ids))
    }

    pub(super) fn relation_list(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &RELATION, &APP]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        let id = match self.relation_arg(&flags) {
            Ok(id) => id,
            Err(e) => return e,
        };
        if self.vanished.contains(&id) {
            return Response::err(1, "permission denied");
        }
        let Some(rel) = self.state.relation(id) else {
            return Response::err(1, "permission denied");
        };
        if flags.get("app").is_some_and(|v| v == "true") {
            return Self::render(&flags, &json!(rel.remote_app));
        }
        let mut units = rel.remote_units.clone();
        units.sort();
        Self::render(&flags, &json!(units))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn relation_ids_sorted_as_strings() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["tempo-api", "--format=json"],
                None
            )),
            "[\"tempo-api:10\",\"tempo-api:3\"]\n"
        );
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["nothing", "--format=json"],
                None
            )),
            "[]\n"
        );
        assert_eq!(
            err(&run(&mut m, "relation-ids", &[], None)),
            (2, "ERROR no endpoint name specified\n".into())
        );
    }

    #[test]
    fn relation_set_merges_deletes_and_reads_back_before_commit() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "--file", "-"],
            Some(r#"{"x": "1", "y": "2"}"#),
        ));
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "y=", "z=3"],
            None,
        ));
        let got = out(&run(
            &mut m,
            "relation-get",
            &["--format=json", "-r", "tempo-api:3", "--app", "-", "tempo"],
            None,
        ));
        assert_eq!(got, "{\"x\":\"1\",\"z\":\"3\"}\n");
        assert!(
            m.state().relation(3).unwrap().local_app.is_empty(),
            "not committed yet"
        );
        assert!(m.finish(0).committed);
        assert_eq!(m.state().relation(3).unwrap().local_app.len(), 2);
    }

    #[test]
    fn only_the_leader_writes_or_reads_its_app_bag() {
        let mut s = state(TWO);
        s.leader = false;
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "--app", "k=v"],
                None
            )),
            (1, "ERROR cannot write relation settings\n".into())
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-get",
                &["-r", "tempo-api:3", "--app", "-", "tempo"],
                None
            ))
            .0,
            1
        );
        // ...except on a peer relation, where followers read the committed bag.
        assert_eq!(
            out(&run(
                &mut m,
                "relation-get",
                &["--format=json", "-r", "peers:1", "--app", "-", "tempo"],
                None
            )),
            "{\"p\":\"q\"}\n"
        );
        assert_eq!(
            err(&run(
                &mut m,
                "status-set",
                &["--application", "active"],
                None
            )),
            (1, "ERROR this unit is not the leader\n".into())
        );
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "k=v"],
            None,
        ));
    }

    #[test]
    fn relation_references_are_checked() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        let (code, e) = err(&run(
            &mut m,
            "relation-get",
            &["-r", "tempo-api:99", "-", "tempo/0"],
            None,
        ));
        assert_eq!(
            (code, e.as_str()),
            (
                2,
                "ERROR invalid value \"tempo-api:99\" for option -r: relation not found\n"
            )
        );
        let (code, e) = err(&run(
            &mut m,
            "relation-get",
            &["-r", "x", "-", "tempo/0"],
            None,
        ));
        assert_eq!(
            (code, e.as_str()),
            (
                2,
                "ERROR invalid value \"x\" for option -r: invalid relation id\n"
            )
        );
        let (code, e) = err(&run(
            &mut m,
            "relation-get",
            &["-r", "peers:3", "-", "tempo/0"],
            None,
        ));
        assert_eq!(code, 2);
        assert!(e.contains("real Juju 3.6 would accept it"), "{e}");
        let (code, _) = err(&run(&mut m, "relation-get", &["-", "tempo/0"], None));
        assert_eq!(code, 2, "no -r outside a relation hook");
        let mut s = state(TWO);
        s.settings.check_relation_endpoint = false;
        let mut m = Model::new(s, HookCtx::default());
        out(&run(
            &mut m,
            "relation-get",
            &["-r", "peers:3", "-", "tempo/0"],
            None,
        ));
    }

    #[test]
    fn relation_get_targets() {
        let ctx = HookCtx {
            relation: Some(3),
            remote_unit: Some("grafana/0".into()),
            remote_app: Some("grafana".into()),
            ..Default::default()
        };
        let mut m = Model::new(state(TWO), ctx);
        assert_eq!(
            out(&run(&mut m, "relation-get", &["--format=json"], None)),
            "{\"u\":\"v\"}\n"
        );
        assert_eq!(
            out(&run(
                &mut m,
                "relation-get",
                &["--format=json", "--app"],
                None
            )),
            "{\"a\":\"b\"}\n"
        );
        assert_eq!(
            out(&run(&mut m, "relation-get", &["--format=json", "u"], None)),
            "\"v\"\n"
        );
        assert_eq!(
            out(&run(
                &mut m,
                "relation-get",
                &["--format=json", "missing"],
                None
            )),
            "null\n"
        );
        assert_eq!(
            out(&run(&mut m, "relation-get", &["u"], None)),
            "v\n",
            "smart format prints the raw string"
        );
        assert_eq!(
            err(&run(&mut m, "relation-get", &["-", "grafana"], None)).1,
            "ERROR expected unit name, got application name \"grafana\"\n"
        );
        assert_eq!(
            err(&run(&mut m, "relation-get", &["-", "grafana/7"], None)),
            (1, "ERROR permission denied\n".into())
        );
        assert_eq!(
            err(&run(&mut m, "relation-get", &["--app", "-", "other"], None)),
            (1, "ERROR permission denied\n".into())
        );
    }

    #[test]
    fn relation_set_file_from_stdin_is_lazy() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        let args: Vec<String> = ["-r", "tempo-api:3", "--file", "-"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(m.call("relation-set", &args, None), Answer::NeedsStdin);
        assert!(
            m.calls().is_empty(),
            "the first, stdin-less attempt is not a call"
        );
        assert!(matches!(
            m.call("relation-set", &args, Some(b"a: 1\nb: true\n")),
            Answer::Done(Response { code: 0, .. })
        ));
        let got = out(&run(
            &mut m,
            "relation-get",
            &["--format=json", "-r", "tempo-api:3", "-", "tempo/0"],
            None,
        ));
        assert_eq!(got, "{\"a\":\"1\",\"b\":\"true\"}\n");
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "--file", "-"],
                Some("[1, 2]")
            ))
            .0,
            1
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "nokey"],
                None
            ))
            .0,
            2
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "a=1", "a=2"],
                None
            ))
            .1,
            "ERROR key \"a\" specified more than once\n"
        );
    }

    #[test]
    fn vanished_relation() {
        let mut s = state(TWO);
        s.faults.relation_vanishes = Some(crate::state::VanishFault {
            id: 3,
            after_calls: 1,
        });
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["tempo-api", "--format=json"],
                None
            )),
            "[\"tempo-api:10\",\"tempo-api:3\"]\n"
        );
        assert!(err(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "k=v"],
            None
        ))
        .1
        .contains("relation not found"));
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["tempo-api", "--format=json"],
                None
            )),
            "[\"tempo-api:10\"]\n"
        );
        m.finish(0);
        assert!(m.state().relation(3).is_none());
    }
}
