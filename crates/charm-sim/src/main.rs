//! `charm-sim`: run any charm (this one, or one in another language) exactly as Juju's unit
//! agent would, offline. Invoked under a hook tool's name (`relation-get`, ...) it is that
//! tool, talking to the simulator that started the hook.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use charm_sim::action_spec;
use charm_sim::model::TOOLS;
use charm_sim::process::{run_process, tool_client, ProcessOptions};
use charm_sim::scenario::{run_scenario, Scenario};
use charm_sim::{EventSpec, Report, State};

const USAGE: &str = "\
charm-sim: run a charm as Juju would, offline

USAGE:
  charm-sim run --charm-dir DIR --state STATE.yaml --event EVENT
                [--relation ENDPOINT:ID] [--remote-unit APP/N] [--departing-unit APP/N]
                [--check NAME] [--notice-key KEY] [--secret ID|LABEL [--revision N]]
                [--out NEW_STATE.yaml] [--format human|json] [--wrap \"COMMAND ARGS\"]
  charm-sim run --charm-dir DIR --state STATE.yaml --action NAME [--param KEY=VALUE]...
                [--out NEW_STATE.yaml] [--format human|json] [--wrap \"COMMAND ARGS\"]
  charm-sim scenario --charm-dir DIR --file SCENARIO.yaml [--out NEW_STATE.yaml] [--format human|json]

EVENT is a hook name (install, leader-elected, tempo-api-relation-joined, ...) or
actions/<name>. --action runs an action as `juju run` does: it must be declared
(actions.yaml, or charmcraft.yaml's actions:), each --param value is YAML and dots nest, the
schema's defaults are filled in; the report gives its status and results. The state file is YAML; see examples/ for the fields. A scenario's steps are
hooks, or changes of the world between them ({relate: RELATION}, {remote_writes: {relation,
app, units}}, {container_up: NAME}); see examples/deploy-scenario.yaml. --wrap runs the
charm's handler under a command (e.g. \"valgrind --tool=callgrind\") for measurements. Exit status: 0 when
every hook (and action) succeeded, 1 when one failed, 2 on a usage or state error.";

struct Args {
    cmd: String,
    charm_dir: Option<PathBuf>,
    state: Option<PathBuf>,
    file: Option<PathBuf>,
    out: Option<PathBuf>,
    json: bool,
    spec: EventSpec,
    wrap: Vec<String>,
    action: Option<String>,
    params: Vec<String>,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args> {
    let cmd = argv.next().unwrap_or_default();
    let mut a = Args {
        cmd,
        charm_dir: None,
        state: None,
        file: None,
        out: None,
        json: false,
        spec: EventSpec::default(),
        wrap: Vec::new(),
        action: None,
        params: Vec::new(),
    };
    while let Some(flag) = argv.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let mut value = || -> Result<String> {
            inline
                .clone()
                .or_else(|| argv.next())
                .with_context(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--charm-dir" => a.charm_dir = Some(value()?.into()),
            "--state" => a.state = Some(value()?.into()),
            "--file" => a.file = Some(value()?.into()),
            "--out" => a.out = Some(value()?.into()),
            "--event" => a.spec.event = value()?,
            "--action" => a.action = Some(value()?),
            "--param" => a.params.push(value()?),
            "--relation" => a.spec.relation = Some(value()?),
            "--remote-unit" => a.spec.remote_unit = Some(value()?),
            "--departing-unit" => a.spec.departing_unit = Some(value()?),
            "--check" => a.spec.check = Some(value()?),
            "--notice-key" => a.spec.notice_key = Some(value()?),
            "--secret" => a.spec.secret = Some(value()?),
            "--revision" => {
                let v = value()?;
                a.spec.secret_revision = Some(
                    v.parse()
                        .with_context(|| format!("--revision takes a number, not `{v}`"))?,
                );
            }
            "--wrap" => a.wrap = value()?.split_whitespace().map(str::to_owned).collect(),
            "--format" => match value()?.as_str() {
                "json" => a.json = true,
                "human" => a.json = false,
                other => bail!("--format takes human or json, not `{other}`"),
            },
            "-h" | "--help" => bail!("{USAGE}"),
            other => bail!("unknown option `{other}`\n\n{USAGE}"),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let mut argv = std::env::args();
    let argv0 = argv.next().unwrap_or_default();
    let name = Path::new(&argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    if TOOLS.contains(&name.as_str()) {
        let code = tool_client(&name, argv.collect());
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match real_main(argv) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("charm-sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(argv: impl Iterator<Item = String>) -> Result<bool> {
    let args = parse_args(argv)?;
    let charm_dir = args
        .charm_dir
        .clone()
        .with_context(|| format!("--charm-dir is required\n\n{USAGE}"))?;
    let mut opts = ProcessOptions::new(
        std::env::current_exe().context("cannot find the charm-sim executable")?,
    );
    opts.wrapper = args.wrap.clone();
    let reports: Vec<Report> = match args.cmd.as_str() {
        "run" => {
            let path = args
                .state
                .clone()
                .with_context(|| format!("--state is required\n\n{USAGE}"))?;
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read state file `{}`", path.display()))?;
            let mut state = State::from_yaml(&text)
                .with_context(|| format!("state file `{}`", path.display()))?;
            let mut spec = args.spec.clone();
            match (&args.action, spec.event.is_empty()) {
                (Some(name), true) => {
                    // As `juju run`: declared action, YAML values, schema defaults.
                    let given = action_spec::parse_params(name, &args.params)?;
                    state.action_params = action_spec::resolve(&charm_dir, name, given)?;
                    spec.event = format!("actions/{name}");
                }
                (Some(_), false) => bail!("give --event or --action, not both\n\n{USAGE}"),
                (None, true) => bail!("--event or --action is required\n\n{USAGE}"),
                (None, false) if !args.params.is_empty() => {
                    bail!("--param goes with --action\n\n{USAGE}")
                }
                (None, false) => {}
            }
            vec![run_process(&state, &spec, &charm_dir, &opts, 1)?]
        }
        "scenario" => {
            let path = args
                .file
                .clone()
                .with_context(|| format!("--file is required\n\n{USAGE}"))?;
            let (scenario, state) = Scenario::load(&path)
                .with_context(|| format!("scenario file `{}`", path.display()))?;
            run_scenario(state, &scenario.events, &charm_dir, &opts)?
        }
        "" | "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return Ok(true);
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    };
    if let (Some(out), Some(last)) = (&args.out, reports.last()) {
        std::fs::write(out, last.state.to_yaml())
            .with_context(|| format!("cannot write `{}`", out.display()))?;
    }
    if args.json {
        let value = if args.cmd == "run" {
            serde_json::to_value(&reports[0])?
        } else {
            serde_json::to_value(&reports)?
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let colour = std::io::stdout().is_terminal();
        for r in &reports {
            print!("{}", r.human(colour));
        }
    }
    // As `juju run`, a failed action fails the command (Juju itself does not retry it).
    Ok(reports
        .iter()
        .all(|r| r.ok() && r.action.as_ref().is_none_or(|a| a.status == "completed")))
}
