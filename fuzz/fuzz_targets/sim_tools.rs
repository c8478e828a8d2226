//! The simulator's hook-tool server on any argv and stdin: an answer, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use charm_sim::model::{HookCtx, Model, TOOLS};
use charm_sim::State;

fuzz_target!(|data: &[u8]| {
    let Some((t, rest)) = data.split_first() else {
        return;
    };
    let tool = TOOLS[usize::from(*t) % TOOLS.len()];
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.split('\n');
    let args: Vec<String> = parts
        .next()
        .unwrap_or("")
        .split(' ')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    let stdin: String = parts.collect::<Vec<_>>().join("\n");
    let Ok(state) = State::from_yaml("unit: t/0\nleader: true\nrelations:\n  - {id: 3, endpoint: tempo-api, remote_app: g, remote_units: [g/0]}\n  - {id: 1, endpoint: peers, remote_app: t}\n") else { return };
    let mut m = Model::new(
        state,
        HookCtx {
            relation: Some(3),
            remote_app: Some("g".into()),
            ..Default::default()
        },
    );
    let _ = m.call(tool, &args, Some(stdin.as_bytes()));
    let _ = m.finish(0);
});
