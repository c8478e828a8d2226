//! The end of a hook: staged relation data, ports, charm state and secret changes are
//! committed only when the charm exited 0 and Juju's commit-time checks pass (leadership,
//! and the controller's secret checks).

use super::*;

impl Model {
    /// Ends the hook: commits staged changes if `exit_code` is 0 and Juju's commit-time
    /// checks pass. Relations that vanished are gone either way.
    pub fn finish(&mut self, exit_code: i32) -> Commit {
        let mut commit = Commit {
            committed: exit_code == 0,
            failure: None,
        };
        if exit_code == 0 && self.app_written && !self.leader_now {
            commit = Commit {
                committed: false,
                failure: Some("commit refused: application data was written but leadership was lost before the hook ended".into()),
            };
        }
        if commit.committed {
            if let Err(failure) = self.commit_secrets() {
                commit = Commit {
                    committed: false,
                    failure: Some(failure),
                };
            }
        }
        if commit.committed {
            for r in &mut self.state.relations {
                if let Some((app, unit)) = self.pending.remove(&r.id) {
                    r.local_app = app;
                    r.local_unit = unit;
                }
            }
            self.state.opened_ports = std::mem::take(&mut self.pending_ports);
            self.state.charm_state = std::mem::take(&mut self.pending_state);
        }
        let vanished = &self.vanished;
        self.state.relations.retain(|r| !vanished.contains(&r.id));
        // A grant dies with the relation it is scoped to (§4).
        for s in &mut self.state.secrets {
            s.grants.retain(|g| !vanished.contains(&g.relation));
        }
        if !self.leader_now {
            self.state.leader = false;
        }
        commit
    }

    /// The state after [`Model::finish`], for the next hook.
    pub fn into_state(self) -> State {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn failed_hook_discards_relation_data_but_keeps_status() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "k=v"],
            None,
        ));
        out(&run(
            &mut m,
            "status-set",
            &["--application=False", "blocked", "--", "why"],
            None,
        ));
        out(&run(
            &mut m,
            "application-version-set",
            &["--", "2.7"],
            None,
        ));
        assert!(!m.finish(1).committed);
        let s = m.into_state();
        assert!(s.relation(3).unwrap().local_app.is_empty());
        assert_eq!(s.unit_status.unwrap().status, "blocked");
        assert_eq!(s.app_version.as_deref(), Some("2.7"));
    }

    #[test]
    fn commit_refused_when_leadership_lost_after_an_app_write() {
        let mut s = state(TWO);
        s.faults.leadership_lost_after_calls = Some(1);
        let mut m = Model::new(s, HookCtx::default());
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "k=v"],
            None,
        ));
        out(&run(&mut m, "status-set", &["active"], None));
        let c = m.finish(0);
        assert!(!c.committed && c.failure.is_some());
        assert!(m.state().relation(3).unwrap().local_app.is_empty());
    }

    #[test]
    fn injected_failures_hit_the_named_call() {
        let mut s = state(TWO);
        s.faults.fail_tool.push(crate::state::ToolFault {
            tool: "is-leader".into(),
            call: Some(2),
            exit_code: 3,
            stderr: "boom\n".into(),
        });
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(run(&mut m, "is-leader", &[], None).code, 0);
        assert_eq!(
            err(&run(&mut m, "is-leader", &[], None)),
            (3, "boom\n".into())
        );
        assert_eq!(m.calls().len(), 2);
    }
}
