//! Action tools: `action-get`, `action-set` (Juju's key grammar and reserved keys),
//! `action-fail`, `action-log`; refused outside an action.

use super::*;

impl Model {
    pub(super) fn action(&mut self, tool: &str, args: &[String]) -> Response {
        if !self.ctx.action {
            return Response::err(1, "not running an action");
        }
        let spec: &[&Flag] = if tool == "action-get" {
            &[&FORMAT, &OUTPUT]
        } else {
            &[]
        };
        let (flags, pos) = match Self::parse(args, spec) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match tool {
            "action-get" => {
                let params = json!(self.state.action_params);
                let value = match pos.first() {
                    None => params,
                    Some(key) => key
                        .split('.')
                        .try_fold(&params, |v, k| v.get(k))
                        .cloned()
                        .unwrap_or(Value::Null),
                };
                Self::render(&flags, &value)
            }
            "action-set" => {
                for p in &pos {
                    let Some((k, v)) = p.split_once('=') else {
                        return Response::err(
                            2,
                            format!("argument {p:?} must be of the form key...=value"),
                        );
                    };
                    let valid = k.split('.').all(|seg| {
                        !seg.is_empty()
                            && seg
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                            && !seg.starts_with('-')
                            && !seg.ends_with('-')
                    });
                    if !valid {
                        return Response::err(2, format!("key {k:?} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods"));
                    }
                    if matches!(
                        k,
                        "stdout" | "stdout-encoding" | "stderr" | "stderr-encoding"
                    ) {
                        return Response::err(2, format!("cannot set reserved action key {k:?}"));
                    }
                    self.action_results.insert(k.to_owned(), v.to_owned());
                }
                Response::ok(Vec::new())
            }
            "action-fail" => {
                self.action_failed = Some(if pos.is_empty() {
                    "action failed without reason given, check action for errors".to_owned()
                } else {
                    pos.join(" ")
                });
                Response::ok(Vec::new())
            }
            _ => {
                if pos.is_empty() {
                    return Response::err(2, "no message specified");
                }
                self.logs.push(LogLine {
                    level: "ACTION".into(),
                    message: pos.join(" "),
                });
                Response::ok(Vec::new())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn action_tools_only_in_actions() {
        let mut m = Model::new(
            state("unit: t/0\naction_params: {a: {b: 1}}"),
            HookCtx::default(),
        );
        assert_eq!(
            err(&run(&mut m, "action-get", &[], None)),
            (1, "ERROR not running an action\n".into())
        );
        let mut m = Model::new(
            state("unit: t/0\naction_params: {a: {b: 1}}"),
            HookCtx {
                action: true,
                ..Default::default()
            },
        );
        assert_eq!(
            out(&run(&mut m, "action-get", &["--format=json", "a.b"], None)),
            "1\n"
        );
        out(&run(&mut m, "action-set", &["x.y=1"], None));
        assert_eq!(err(&run(&mut m, "action-set", &["stdout=1"], None)).0, 2);
        out(&run(&mut m, "action-fail", &["--", "nope"], None));
        assert_eq!(m.action_outcome().1, Some("nope"));
    }
}
