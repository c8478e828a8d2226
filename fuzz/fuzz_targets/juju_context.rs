//! JUJU_* context parsing from `KEY=VALUE` lines.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use juju_charm::Context;

fuzz_target!(|s: &str| {
    let mut env: HashMap<String, String> = [
        ("JUJU_UNIT_NAME", "tempo/0"),
        ("JUJU_MODEL_NAME", "cos"),
        ("JUJU_CHARM_DIR", "/charm"),
        ("JUJU_VERSION", "3.6.4"),
        ("JUJU_DISPATCH_PATH", "hooks/install"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for line in s.lines() {
        if let Some((k, v)) = line.split_once('=') {
            env.insert(k.to_owned(), v.to_owned());
        }
    }
    let _ = Context::from_env(&env, s.lines().next());
});
