//! Parsing of what hook tools print (relation-get, relation-ids, relation-list, config-get,
//! network-get, is-leader, status-get, opened-ports), with any exit code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use juju_charm::runner::{RunError, ToolOutput};
use juju_charm::{HookTools, RelationId, Runner, UnitName};

struct Canned(ToolOutput);
impl Runner for Canned {
    fn run(&self, _: &str, _: &[String], _: Option<&[u8]>) -> Result<ToolOutput, RunError> {
        Ok(self.0.clone())
    }
}

fuzz_target!(|data: &[u8]| {
    let (code, out) = match data.split_first() {
        Some((c, rest)) => (i32::from(*c % 3), rest.to_vec()),
        None => (0, Vec::new()),
    };
    let t = HookTools::new(Canned(ToolOutput {
        code,
        stdout: out.clone(),
        stderr: out,
    }));
    let r = RelationId::new("x", 1);
    let _ = t.relation_get_app(&r, "a");
    let _ = t.relation_get_unit(&r, &UnitName::new("a", 0));
    let _ = t.relation_ids("x");
    let _ = t.relation_list(&r);
    let _ = t.relation_list_app(&r);
    let _ = t.config_get();
    let _ = t.network_get("x", None);
    let _ = t.is_leader();
    let _ = t.status_get_unit();
    let _ = t.opened_ports();
});
