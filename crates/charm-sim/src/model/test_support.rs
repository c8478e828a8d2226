//! Helpers for the model's tests: a state from YAML, one tool call, its output.

use super::*;

pub fn state(yaml: &str) -> State {
    State::from_yaml(yaml).unwrap()
}

pub const TWO: &str = "
unit: tempo/0
leader: true
relations:
  - {id: 3, endpoint: tempo-api, remote_app: grafana, remote_units: [grafana/0],
 remote_app_data: {a: b}, remote_units_data: {grafana/0: {u: v}}}
  - {id: 10, endpoint: tempo-api, remote_app: grafana2}
  - {id: 1, endpoint: peers, remote_app: tempo, local_app: {p: q}}
";

pub fn run(m: &mut Model, tool: &str, args: &[&str], stdin: Option<&str>) -> Response {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    match m.call(tool, &args, stdin.map(str::as_bytes)) {
        Answer::Done(r) => r,
        Answer::NeedsStdin => match m.call(tool, &args, Some(b"")) {
            Answer::Done(r) => r,
            Answer::NeedsStdin => panic!("asked for stdin twice"),
        },
    }
}

pub fn out(r: &Response) -> String {
    assert_eq!(r.code, 0, "stderr: {}", String::from_utf8_lossy(&r.stderr));
    String::from_utf8_lossy(&r.stdout).into_owned()
}
pub fn err(r: &Response) -> (i32, String) {
    (r.code, String::from_utf8_lossy(&r.stderr).into_owned())
}
