//! Config and charm state: `config-get`, and `state-get`/`state-set`/`state-delete` with
//! Juju's size limits, staged until the commit.

use super::*;

impl Model {
    pub(super) fn config_get(&self, args: &[String]) -> Response {
        const ALL: Flag = Flag("all", &["-a", "--all"], false);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &ALL]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let mut config = self.ctx.config_defaults.clone();
        config.extend(
            self.state
                .config
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        match pos.first() {
            Some(k) if flags.get("all").is_some_and(|v| v == "true") => Response::err(
                2,
                format!("cannot use argument --all together with key {k:?}"),
            ),
            Some(k) => Self::render(&flags, config.get(k).unwrap_or(&Value::Null)),
            None => Self::render(&flags, &json!(config)),
        }
    }

    pub(super) fn state_get(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match pos.as_slice() {
            [] => Self::render(&flags, &json!(self.pending_state)),
            [key] => Self::render(
                &flags,
                &self
                    .pending_state
                    .get(key)
                    .map_or(Value::Null, |v| json!(v)),
            ),
            more => Self::extra(&more[1..]),
        }
    }

    pub(super) fn state_set(&mut self, args: &[String], stdin: Option<&[u8]>) -> Option<Response> {
        const FILE: Flag = Flag("file", &["--file"], true);
        let (flags, pos) = match Self::parse(args, &[&FILE]) {
            Ok(p) => p,
            Err(e) => return Some(e),
        };
        let changes = match settings_input(&flags, &pos, stdin)? {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        for (k, v) in &changes {
            if k.len() > STATE_KEY_MAX {
                return Some(Response::err(
                    1,
                    format!("key {k:?} exceeds the {STATE_KEY_MAX}-byte limit"),
                ));
            }
            if v.len() > STATE_VALUE_MAX {
                return Some(Response::err(
                    1,
                    format!("value of key {k:?} exceeds the {STATE_VALUE_MAX}-byte limit"),
                ));
            }
        }
        for (k, v) in changes {
            if v.is_empty() {
                self.pending_state.remove(&k);
            } else {
                self.pending_state.insert(k, v);
            }
        }
        Some(Response::ok(Vec::new()))
    }

    pub(super) fn state_delete(&mut self, args: &[String]) -> Response {
        let (_, pos) = match Self::parse(args, &[]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match pos.as_slice() {
            [key] => {
                self.pending_state.remove(key);
                Response::ok(Vec::new())
            }
            [] => Response::err(2, "no key specified"),
            more => Self::extra(&more[1..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn charm_state_is_staged_and_bounded() {
        let mut m = Model::new(
            state("unit: t/0\ncharm_state: {a: '1'}"),
            HookCtx::default(),
        );
        out(&run(
            &mut m,
            "state-set",
            &["--file", "-"],
            Some("{b: '2'}"),
        ));
        out(&run(&mut m, "state-delete", &["a"], None));
        assert_eq!(
            out(&run(&mut m, "state-get", &["--format=json"], None)),
            "{\"b\":\"2\"}\n"
        );
        assert_eq!(out(&run(&mut m, "state-get", &["b"], None)), "2\n");
        assert_eq!(
            out(&run(&mut m, "state-get", &["a"], None)),
            "",
            "smart format prints nothing for a missing key"
        );
        let big = format!("k={}", "x".repeat(64 * 1024 + 1));
        assert!(err(&run(&mut m, "state-set", &[big.as_str()], None))
            .1
            .contains("limit"));
        let mut failed = m.clone();
        assert!(!failed.finish(1).committed);
        assert_eq!(
            failed.state().charm_state.get("a").map(String::as_str),
            Some("1"),
            "a failed hook keeps the old state"
        );
        m.finish(0);
        assert_eq!(m.state().charm_state.len(), 1);
        assert_eq!(m.state().charm_state["b"], "2");
    }

    #[test]
    fn config_get_reports_defaults_under_what_the_state_sets() {
        let ctx = HookCtx {
            config_defaults: [("a".to_owned(), json!(1)), ("b".to_owned(), json!("x"))].into(),
            ..Default::default()
        };
        let mut m = Model::new(state("unit: t/0\nconfig: {b: y}"), ctx);
        assert_eq!(
            out(&run(&mut m, "config-get", &["--format=json"], None)),
            "{\"a\":1,\"b\":\"y\"}\n"
        );
        assert_eq!(out(&run(&mut m, "config-get", &["a"], None)), "1\n");
    }
}
