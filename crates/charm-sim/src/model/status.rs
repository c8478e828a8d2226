//! Leadership, status and logs: `is-leader` (sticky `false`), `status-set`/`status-get`
//! (application status only for the leader), `juju-log`, `application-version-set`.
//! These take effect at once and survive a failed hook.

use super::*;

impl Model {
    pub(super) fn is_leader(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        // Once a hook has been told "false" it keeps hearing "false".
        let answer = self.leader_now && !self.leader_said_false;
        if !answer {
            self.leader_said_false = true;
        }
        Self::render(&flags, &json!(answer))
    }

    pub(super) fn status_set(&mut self, args: &[String]) -> Response {
        const APPLICATION: Flag = Flag("application", &["--application"], false);
        let (flags, pos) = match Self::parse(args, &[&APPLICATION]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let (status, message) = match pos.as_slice() {
            [s] => (s.clone(), String::new()),
            [s, m] => (s.clone(), m.clone()),
            _ => return Response::err(2, "invalid args, require <status> [message]"),
        };
        if !matches!(
            status.as_str(),
            "maintenance" | "blocked" | "waiting" | "active"
        ) {
            return Response::err(2, format!("invalid status {status:?}, expected one of [maintenance blocked waiting active]"));
        }
        let new = Some(StatusState { status, message });
        if flags.get("application").is_some_and(|v| v == "true") {
            if !self.leader_now {
                return Response::err(1, "this unit is not the leader");
            }
            self.state.app_status = new;
        } else {
            self.state.unit_status = new;
        }
        Response::ok(Vec::new())
    }

    pub(super) fn status_get(&self, args: &[String]) -> Response {
        const DATA: Flag = Flag("include-data", &["--include-data"], false);
        const APPLICATION: Flag = Flag("application", &["--application"], false);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &DATA, &APPLICATION]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        let unknown = StatusState {
            status: "unknown".into(),
            message: String::new(),
        };
        let shape = |s: &StatusState| {
            if flags.get("include-data").is_some_and(|v| v == "true") {
                json!({"message": s.message, "status": s.status, "status-data": {}})
            } else {
                json!({"status": s.status})
            }
        };
        if flags.get("application").is_some_and(|v| v == "true") {
            if !self.leader_now {
                return Response::err(1, "finding application status: this unit is not the leader");
            }
            let app = self
                .state
                .app_status
                .clone()
                .unwrap_or_else(|| unknown.clone());
            let unit = self
                .state
                .unit_status
                .clone()
                .unwrap_or_else(|| unknown.clone());
            let mut inner = shape(&app);
            inner["units"] = json!({ self.state.unit.clone(): shape(&unit) });
            return Self::render(&flags, &json!({"application-status": inner}));
        }
        Self::render(
            &flags,
            &shape(self.state.unit_status.as_ref().unwrap_or(&unknown)),
        )
    }

    pub(super) fn juju_log(&mut self, args: &[String]) -> Response {
        const DEBUG: Flag = Flag("debug", &["--debug"], false);
        const LEVEL: Flag = Flag("level", &["-l", "--log-level"], true);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &DEBUG, &LEVEL]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.is_empty() {
            return Response::err(2, "no message specified");
        }
        let mut level = if flags.get("debug").is_some_and(|v| v == "true") {
            "DEBUG".to_owned()
        } else {
            "INFO".to_owned()
        };
        let mut stderr = Vec::new();
        if let Some(l) = flags.get("level") {
            let upper = l.to_ascii_uppercase();
            if matches!(
                upper.as_str(),
                "TRACE" | "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL"
            ) {
                level = upper;
            } else {
                stderr = format!("WARNING invalid log level {l:?}; using INFO\n").into_bytes();
            }
        }
        let mut message = pos.join(" ");
        if let Some(id) = self.ctx.relation.and_then(|id| self.state.relation(id)) {
            message = format!("{}:{}: {message}", id.endpoint, id.id);
        }
        self.logs.push(LogLine { level, message });
        Response {
            code: 0,
            stdout: Vec::new(),
            stderr,
        }
    }

    pub(super) fn application_version_set(&mut self, args: &[String]) -> Response {
        let (_, pos) = match Self::parse(args, &[]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match pos.as_slice() {
            [] => Response::err(2, "no version specified"),
            [v] => {
                self.state.app_version = Some(v.clone());
                Response::ok(Vec::new())
            }
            more => Self::extra(&more[1..]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn leadership_answer_sticks_at_false() {
        let mut s = state(TWO);
        s.faults.leadership_lost_after_calls = Some(1);
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(
            out(&run(&mut m, "is-leader", &["--format=json"], None)),
            "true\n"
        );
        assert_eq!(
            out(&run(&mut m, "is-leader", &["--format=json"], None)),
            "false\n"
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "--app", "k=v"],
                None
            ))
            .0,
            1
        );
    }

    #[test]
    fn status_and_log_grammar() {
        let ctx = HookCtx {
            relation: Some(3),
            ..Default::default()
        };
        let mut m = Model::new(state(TWO), ctx);
        assert_eq!(err(&run(&mut m, "status-set", &["error"], None)).1, "ERROR invalid status \"error\", expected one of [maintenance blocked waiting active]\n");
        assert_eq!(
            err(&run(&mut m, "status-set", &["active", "a", "b"], None)).1,
            "ERROR invalid args, require <status> [message]\n"
        );
        out(&run(
            &mut m,
            "status-set",
            &["--application=True", "waiting", "--", "-x"],
            None,
        ));
        assert_eq!(m.state().app_status.as_ref().unwrap().message, "-x");
        out(&run(
            &mut m,
            "juju-log",
            &["--log-level", "WARNING", "--", "hello", "there"],
            None,
        ));
        assert_eq!(
            m.logs()[0],
            LogLine {
                level: "WARNING".into(),
                message: "tempo-api:3: hello there".into()
            }
        );
        assert_eq!(
            err(&run(&mut m, "juju-log", &[], None)).1,
            "ERROR no message specified\n"
        );
        assert_eq!(err(&run(&mut m, "is-leader", &["--format=xml"], None)).0, 2);
        assert_eq!(out(&run(&mut m, "is-leader", &[], None)), "True\n");
    }
}
