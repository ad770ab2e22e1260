//! The deployment files cannot drift from the binary. CI cannot pull or start images, so this
//! reads every one of them instead (Dockerfile, deploy/compose, deploy/k8s, the Prometheus
//! configuration and alert rules, the Grafana dashboard and provisioning, the Prometheus adapter's
//! rules) and checks what each uses against the binary itself:
//! - each `zkbatch` command line (a container's command and args, a compose service's entrypoint
//!   and command, `sh -c` scripts): its subcommand and every flag exist in that subcommand's
//!   `--help`; each environment variable given to it is one the help names (or one the command
//!   line expands, `$(NAME)`);
//! - each `zkbatch serve` is run for real with `--check-config`, with the configuration file its
//!   container mounts (so every key in it is one the binary reads), its environment and its
//!   flags: the address it would listen on is the port the manifest opens, probes and scrapes go
//!   to, and every file the configuration names lies in a volume the container mounts;
//! - every HTTP path (probes, scrape paths) is a route in the OpenAPI document of a live node,
//!   and every metric name (rules, dashboard, autoscaler) is in that node's `/metrics`;
//! - and the references between the files: kustomize resources and generator files exist,
//!   Services select pods that have the ports they target, the autoscaler scales a Deployment
//!   that exists, compose's mounted files and scrape targets exist.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::serve::{deploy, http, Node};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository")
}

/// `path` as the repository names it, for messages.
fn shown(path: &Path) -> String {
    let root = root();
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    path.strip_prefix(&root).unwrap_or(&path).display().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document in `path` (`---`-separated), merge keys (`<<: *anchor`) applied.
fn yaml_docs(path: &Path) -> Vec<Value> {
    use serde::Deserialize;
    let text = read(path);
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| {
            let mut v = serde_norway::Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: not YAML: {e}", path.display()));
            // Twice: a merged mapping may itself merge another (compose's `prove-2: <<: *prove`).
            for _ in 0..2 {
                v.apply_merge().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
            serde_json::to_value(v).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        })
        .filter(|v| !v.is_null())
        .collect()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_string)).collect()
}

/// What the checks found wrong, all of it, so one run names every drift.
#[derive(Default)]
struct Findings(Mutex<Vec<String>>);

impl Findings {
    fn check(&self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.lock().unwrap().push(what());
        }
    }
}

/// `zkbatch … --help`, once per subcommand.
#[derive(Default)]
struct Help(Mutex<HashMap<String, String>>);

impl Help {
    fn of(&self, sub: &str) -> String {
        self.0
            .lock()
            .unwrap()
            .entry(sub.to_string())
            .or_insert_with(|| {
                let args: Vec<&str> = sub.split_whitespace().chain(["--help"]).collect();
                let out = Command::new(env!("CARGO_BIN_EXE_zkbatch")).args(&args).output().expect("zkbatch --help");
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                if out.status.success() {
                    text
                } else {
                    String::new()
                }
            })
            .clone()
    }

    /// Whether `flag` (`--name`) is one of `sub`'s options.
    fn has_flag(&self, sub: &str, flag: &str) -> bool {
        let help = self.of(sub);
        help.lines().any(|l| l.trim_start().split([' ', ',', '=']).any(|w| w == flag) && l.trim_start().starts_with('-'))
    }

    /// Whether `name` is an environment variable `sub`'s help (or the top level's) names.
    fn has_env(&self, sub: &str, name: &str) -> bool {
        let word = |text: &str| text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == name);
        word(&self.of(sub)) || word(&self.of(""))
    }
}

/// A `zkbatch` command line as a manifest runs it.
#[derive(Debug)]
struct Invocation {
    /// Where it is: file and service or container.
    origin: String,
    /// `zkbatch` and its arguments.
    argv: Vec<String>,
    env: BTreeMap<String, String>,
    /// Mount path → what is there on this machine (a file or folder of the repository, or a
    /// scratch folder standing in for a volume).
    mounts: BTreeMap<String, PathBuf>,
    /// Ports the container opens.
    ports: Vec<u16>,
    /// How long the container has between SIGTERM and SIGKILL (seconds; Kubernetes' default 30,
    /// compose's 10, when not set).
    grace_s: u64,
}

/// The `zkbatch` command lines in a container's argv: itself, or each `zkbatch …` in a `sh -c`
/// script (split at `||`, `&&`, `;`, with `exec` and redirections dropped).
fn command_lines(argv: &[String]) -> Vec<Vec<String>> {
    if argv.len() == 3 && argv[0] == "sh" && argv[1] == "-c" {
        let script = &argv[2];
        return script
            .split("||")
            .flat_map(|s| s.split("&&"))
            .flat_map(|s| s.split(';'))
            .map(|part| {
                let mut words: Vec<String> = Vec::new();
                let mut it = part.split_whitespace().skip_while(|w| *w == "exec");
                while let Some(w) = it.next() {
                    if w == ">" || w == "<" {
                        it.next();
                    } else {
                        words.push(w.trim_matches(['"', '\'']).to_string());
                    }
                }
                words
            })
            .filter(|w| w.first().is_some_and(|c| c == "zkbatch"))
            .collect();
    }
    if argv.first().is_some_and(|c| c == "zkbatch") {
        vec![argv.to_vec()]
    } else {
        Vec::new()
    }
}

/// The image's entrypoint and default arguments, from the Dockerfile's runtime stage.
fn image_defaults(dockerfile: &str) -> (Vec<String>, Vec<String>) {
    let directive = |name: &str, starting: &str| -> Vec<String> {
        let line = dockerfile.lines().find(|l| l.starts_with(&format!("{name} {starting}"))).unwrap_or_else(|| panic!("Dockerfile: no {name} {starting}…"));
        serde_json::from_str(line[name.len()..].trim()).unwrap_or_else(|e| panic!("Dockerfile {name}: {e}"))
    };
    (directive("ENTRYPOINT", "[\"zkbatch\""), directive("CMD", "["))
}

fn is_zkbatch_image(image: &str) -> bool {
    let name = image.rsplit('/').next().unwrap_or(image);
    let name = name.split(':').next().unwrap_or(name);
    name == "zkbatch" || name == "zkbatch-deployer"
}

/// A scratch folder standing in for a volume, or a secret's files (a development key each).
fn scratch(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join("volumes").join(name);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The compose file's `zkbatch` services.
fn compose_invocations(file: &Path, image_entry: &[String], image_cmd: &[String], tmp: &Path) -> (Vec<Invocation>, Value) {
    let compose = yaml_docs(file).remove(0);
    let dir = file.parent().unwrap();
    let secrets = &compose["secrets"];
    let mut out = Vec::new();
    for (name, svc) in compose["services"].as_object().expect("services") {
        let image = svc["image"].as_str().unwrap_or("");
        if !is_zkbatch_image(image) {
            continue;
        }
        let entry = if svc["entrypoint"].is_array() { strs(&svc["entrypoint"]) } else { image_entry.to_vec() };
        let cmd = if svc["command"].is_array() { strs(&svc["command"]) } else { image_cmd.to_vec() };
        let argv: Vec<String> = entry.into_iter().chain(cmd).collect();
        let env: BTreeMap<String, String> = svc["environment"].as_object().map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()).unwrap_or_default();
        let mut mounts = BTreeMap::new();
        for v in strs(&svc["volumes"]) {
            let parts: Vec<&str> = v.split(':').collect();
            let source = if parts[0].starts_with('.') { dir.join(parts[0]) } else { scratch(tmp, parts[0]) };
            mounts.insert(parts[1].to_string(), source);
        }
        for s in strs(&svc["secrets"]) {
            let file = secrets[&s]["file"].as_str().unwrap_or_else(|| panic!("compose: secret {s} has no file"));
            mounts.insert(format!("/run/secrets/{s}"), dir.join(file));
        }
        let ports: Vec<u16> = strs(&svc["ports"]).iter().filter_map(|p| p.rsplit(':').next()?.parse().ok()).collect();
        let grace_s = svc["stop_grace_period"].as_str().map_or(10, |g| g.trim_end_matches('s').parse().unwrap_or_else(|_| panic!("compose service {name}: stop_grace_period {g}: give seconds, e.g. 150s")));
        for argv in command_lines(&argv) {
            out.push(Invocation { origin: format!("{} service {name}", shown(file)), argv, env: env.clone(), mounts: mounts.clone(), ports: ports.clone(), grace_s });
        }
    }
    (out, compose)
}

/// A kustomization's generated ConfigMaps and Secrets: name → (key → file).
fn generated(dir: &Path, kustomization: &Value) -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    for g in ["configMapGenerator", "secretGenerator"] {
        for gen in kustomization[g].as_array().into_iter().flatten() {
            let name = gen["name"].as_str().unwrap().to_string();
            let mut files = BTreeMap::new();
            for f in strs(&gen["files"]) {
                let (key, path) = f.split_once('=').unwrap_or((f.rsplit('/').next().unwrap(), &f));
                files.insert(key.to_string(), dir.join(path));
            }
            for l in strs(&gen["literals"]) {
                let (key, _) = l.split_once('=').unwrap();
                files.insert(key.to_string(), PathBuf::new());
            }
            out.insert(name, files);
        }
    }
    out
}

/// A value for an environment variable that comes from elsewhere (a Secret, the pod itself).
fn stand_in(value_from: &Value) -> String {
    if value_from["secretKeyRef"]["key"] == "url" {
        "postgres://zkbatch@db.invalid/zkbatch".into()
    } else if value_from["fieldRef"]["fieldPath"].as_str().is_some_and(|p| p.contains("pod-index")) {
        "0".into()
    } else {
        "zkbatch-0".into()
    }
}

/// Every workload's `zkbatch` containers in the kustomize tree `dir` (its resources; the
/// ConfigMaps and Secrets from this kustomization's generators, or its base's).
fn k8s_invocations(dir: &Path, inherited: &BTreeMap<String, BTreeMap<String, PathBuf>>, tmp: &Path, findings: &Findings, workloads: &mut Vec<(String, Value)>) -> Vec<Invocation> {
    let kfile = dir.join("kustomization.yaml");
    let kname = shown(&kfile);
    let k = yaml_docs(&kfile).remove(0);
    let mut gens = inherited.clone();
    for (name, files) in generated(dir, &k) {
        for f in files.values().filter(|f| !f.as_os_str().is_empty()) {
            findings.check(f.is_file(), || format!("{kname}: generator file {} is missing", f.display()));
        }
        gens.insert(name, files);
    }
    let mut out = Vec::new();
    for r in strs(&k["resources"]) {
        let path = dir.join(&r);
        if path.is_dir() {
            findings.check(path.join("kustomization.yaml").is_file(), || format!("{kname}: resource {r} has no kustomization.yaml"));
            out.extend(k8s_invocations(&path, &gens, tmp, findings, workloads));
            continue;
        }
        findings.check(path.is_file(), || format!("{kname}: resource {r} is missing"));
        if !path.is_file() {
            continue;
        }
        for doc in yaml_docs(&path) {
            let kind = doc["kind"].as_str().unwrap_or("").to_string();
            let name = doc["metadata"]["name"].as_str().unwrap_or("").to_string();
            workloads.push((shown(&path), doc.clone()));
            let pod = match kind.as_str() {
                "Deployment" | "StatefulSet" | "Job" => &doc["spec"]["template"]["spec"],
                _ => continue,
            };
            let volumes: HashMap<String, Value> = pod["volumes"].as_array().into_iter().flatten().map(|v| (v["name"].as_str().unwrap().to_string(), v.clone())).collect();
            for c in pod["containers"].as_array().into_iter().flatten().chain(pod["initContainers"].as_array().into_iter().flatten()) {
                let image = c["image"].as_str().unwrap_or("");
                if !is_zkbatch_image(image) {
                    continue;
                }
                let origin = format!("{} {kind} {name} container {}", shown(&path), c["name"].as_str().unwrap_or("?"));
                let argv: Vec<String> = if c["command"].is_array() { strs(&c["command"]) } else { vec!["zkbatch".into()] }.into_iter().chain(strs(&c["args"])).collect();
                let mut env = BTreeMap::new();
                for e in c["env"].as_array().into_iter().flatten() {
                    let value = e["value"].as_str().map(str::to_string).unwrap_or_else(|| stand_in(&e["valueFrom"]));
                    env.insert(e["name"].as_str().unwrap().to_string(), value);
                }
                let mut mounts = BTreeMap::new();
                for m in c["volumeMounts"].as_array().into_iter().flatten() {
                    let vname = m["name"].as_str().unwrap();
                    let Some(v) = volumes.get(vname) else {
                        findings.check(false, || format!("{origin}: mounts volume {vname}, which the pod does not have"));
                        continue;
                    };
                    let source = v["configMap"]["name"].as_str().or(v["secret"]["secretName"].as_str());
                    let local = match source {
                        Some(gen) => match gens.get(gen) {
                            Some(files) => {
                                let d = scratch(tmp, &format!("{}-{gen}", out.len()));
                                for (key, file) in files {
                                    // A Secret's key: a development key stands in for it.
                                    let text = if file.as_os_str().is_empty() { "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n".into() } else { read(file) };
                                    std::fs::write(d.join(key), text).unwrap();
                                }
                                d
                            }
                            // Made outside the kustomization (the base's Secrets): a stand-in.
                            None => {
                                let d = scratch(tmp, gen);
                                for key in ["key-0", "key-1", "key", "url"] {
                                    std::fs::write(d.join(key), "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n").unwrap();
                                }
                                d
                            }
                        },
                        None => scratch(tmp, vname),
                    };
                    mounts.insert(m["mountPath"].as_str().unwrap().to_string(), local);
                }
                let ports: Vec<u16> = c["ports"].as_array().into_iter().flatten().filter_map(|p| p["containerPort"].as_u64()).map(|p| p as u16).collect();
                for argv in command_lines(&argv) {
                    let grace_s = pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(30);
                    out.push(Invocation { origin: origin.clone(), argv, env: env.clone(), mounts: mounts.clone(), ports: ports.clone(), grace_s });
                }
            }
        }
    }
    for patch in k["patches"].as_array().into_iter().flatten() {
        let t = &patch["target"];
        let exists = workloads.iter().any(|(_, w)| w["kind"] == t["kind"] && w["metadata"]["name"] == t["name"]);
        findings.check(exists, || format!("{kname}: patches {} {}, which is not defined", t["kind"], t["name"]));
    }
    out
}

/// `path` on this machine: under the mount that holds it, else as it is.
fn local(mounts: &BTreeMap<String, PathBuf>, path: &str) -> Option<PathBuf> {
    mounts.iter().rev().find_map(|(m, l)| {
        let rest = path.strip_prefix(m.as_str())?;
        if rest.is_empty() {
            Some(l.clone())
        } else {
            rest.strip_prefix('/').map(|r| l.join(r))
        }
    })
}

/// `$(NAME)` in a Kubernetes argument, from the container's environment.
fn expand(arg: &str, env: &BTreeMap<String, String>) -> String {
    let mut s = arg.to_string();
    for (k, v) in env {
        s = s.replace(&format!("$({k})"), v);
    }
    s
}

/// Folders the image makes (the Dockerfile's `install -d`): writable without a volume.
fn image_dirs(dockerfile: &str) -> Vec<String> {
    dockerfile
        .lines()
        .filter_map(|l| l.split("install -d").nth(1))
        .flat_map(|rest| rest.split_whitespace().filter(|w| w.starts_with('/')).map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// Checks one command line; for `serve`, runs it with `--check-config` and returns the port it
/// would listen on.
fn check_invocation(inv: &Invocation, help: &Help, findings: &Findings, tmp: &Path, writable: &[String]) -> Option<u16> {
    let mut args = inv.argv[1..].iter().map(|a| expand(a, &inv.env)).peekable();
    let mut globals = Vec::new();
    while args.peek().is_some_and(|a| a.starts_with('-')) {
        globals.push(args.next().unwrap());
    }
    let Some(sub) = args.next() else {
        findings.check(false, || format!("{}: zkbatch without a subcommand", inv.origin));
        return None;
    };
    let rest: Vec<String> = args.collect();
    let ok = !help.of(&sub).is_empty();
    findings.check(ok, || format!("{}: `zkbatch {sub}` is not a command of the binary", inv.origin));
    if !ok {
        return None;
    }
    for flag in globals.iter().chain(&rest).filter(|a| a.starts_with("--")) {
        let flag = flag.split('=').next().unwrap();
        findings.check(help.has_flag(&sub, flag), || format!("{}: `zkbatch {sub}` has no flag {flag}", inv.origin));
    }
    for name in inv.env.keys() {
        let expanded = inv.argv.iter().any(|a| a.contains(&format!("$({name})")));
        findings.check(expanded || help.has_env(&sub, name), || format!("{}: environment variable {name} is not one `zkbatch {sub}` reads", inv.origin));
    }
    if sub != "serve" || rest.iter().any(|a| a == "--help") {
        return None;
    }
    // Run it: the paths it names, in the mounts it has, mapped to this machine.
    let map = |a: &String| local(&inv.mounts, a).map_or_else(|| a.clone(), |p| p.display().to_string());
    let argv: Vec<String> = globals.iter().chain(&rest).map(map).collect();
    let env: BTreeMap<String, String> = inv.env.iter().map(|(k, v)| (k.clone(), map(v))).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(&env)
        .current_dir(tmp)
        .args(["--json", "serve"])
        .args(&argv)
        .arg("--check-config")
        .output()
        .expect("zkbatch serve --check-config");
    let ok = out.status.success();
    findings.check(ok, || {
        // With --json the error is a JSON document on stdout; clap's own errors go to stderr.
        let said = serde_json::from_slice::<Value>(&out.stdout).ok().and_then(|v| v["error"].as_str().map(str::to_string));
        let said = said.unwrap_or_else(|| String::from_utf8_lossy(&out.stderr).into_owned());
        format!("{}: `zkbatch serve {}` refuses its configuration: {}", inv.origin, inv.argv[2..].join(" "), said.trim())
    });
    if !ok {
        return None;
    }
    let config: Value = serde_json::from_slice(&out.stdout).expect("--check-config --json prints the configuration");
    // Every file the configuration names is in a volume of the container.
    let mut files: Vec<(String, bool)> = Vec::new();
    for c in config["circuits"].as_array().into_iter().flatten() {
        for key in ["zkey", "wasm", "r1cs", "pk", "vk"] {
            if let Some(p) = c[key].as_str() {
                files.push((p.to_string(), false));
            }
        }
    }
    if let Some(p) = config["cache_dir"].as_str() {
        files.push((p.to_string(), true));
    }
    for (path, write) in files {
        let mapped_back = inv.mounts.iter().any(|(m, l)| path.starts_with(&l.display().to_string()) || path.starts_with(m.as_str()));
        let in_image = write && writable.iter().any(|d| path.starts_with(d.as_str()));
        findings.check(mapped_back || in_image, || format!("{}: the configuration names {path}, which is in none of the container's volumes", inv.origin));
    }
    if let Some(key) = config["relay"]["key_file"].as_str() {
        findings.check(Path::new(key).is_file(), || format!("{}: the signer's key file {key} is in none of the container's volumes", inv.origin));
    }
    // A node on SIGTERM drains for drain_timeout_ms: the container must be given longer.
    let drain_ms = config["drain_timeout_ms"].as_u64().expect("drain_timeout_ms");
    findings.check(inv.grace_s * 1000 > drain_ms, || format!("{}: stopped {} s after SIGTERM, but drains for up to {drain_ms} ms", inv.origin, inv.grace_s));
    let listen = config["listen"].as_str().expect("listen");
    let port: u16 = listen.rsplit(':').next().unwrap().parse().unwrap();
    findings.check(listen.starts_with("0.0.0.0:") || listen.starts_with("[::]:"), || format!("{}: listens on {listen}: other containers cannot reach it", inv.origin));
    findings.check(inv.ports.is_empty() || inv.ports.contains(&port), || format!("{}: listens on port {port}, but opens {:?}", inv.origin, inv.ports));
    Some(port)
}

/// The local chain's command lines (the tools image runs anvil: its entrypoint's flags and the
/// manifest's) against the project's anvil's `--help`.
fn check_anvil(compose: &Value, workloads: &[(String, Value)], entry: &[String], findings: &Findings) -> usize {
    let help = Command::new(zkbatch_testing::tool("anvil")).arg("--help").output().expect("anvil --help");
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let known = |flag: &str| help.lines().any(|l| l.trim_start().starts_with('-') && l.trim_start().split([' ', ',']).any(|w| w == flag));
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    for (name, svc) in compose["services"].as_object().into_iter().flatten() {
        if svc["image"].as_str().is_some_and(|i| i.starts_with("zkbatch-tools")) {
            lines.push((format!("compose service {name}"), strs(&svc["command"])));
        }
    }
    for (file, doc) in workloads {
        for c in doc["spec"]["template"]["spec"]["containers"].as_array().into_iter().flatten() {
            if c["image"].as_str().is_some_and(|i| i.starts_with("zkbatch-tools")) {
                lines.push((format!("{file} container {}", c["name"]), strs(&c["args"])));
            }
        }
    }
    for (origin, args) in &lines {
        for flag in entry.iter().chain(args).filter(|a| a.starts_with('-')) {
            findings.check(known(flag), || format!("{origin}: anvil has no flag {flag}"));
        }
    }
    lines.len()
}

/// Metric names in a PromQL expression: `zkbatch_…` and `process_…` identifiers (not label names,
/// which stand before `=` or inside `by (…)`).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = (expr[i..].starts_with("zkbatch_") || expr[i..].starts_with("process_")) && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
        if starts {
            let end = expr[i..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(expr.len(), |e| i + e);
            let after = expr[end..].trim_start();
            if !after.starts_with('=') && !after.starts_with("!=") && !after.starts_with("=~") {
                out.insert(expr[i..end].to_string());
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// Every PromQL expression in the dashboard (targets and template variables).
fn dashboard_exprs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expr", Value::String(s)) => out.push(s.clone()),
                    ("query", Value::String(s)) if s.contains('_') => out.push(s.clone()),
                    ("query", Value::Object(q)) => {
                        if let Some(Value::String(s)) = q.get("query") {
                            out.push(s.clone());
                        }
                    }
                    _ => dashboard_exprs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| dashboard_exprs(v, out)),
        _ => {}
    }
}

/// A node with both roles on anvil (its registry and verifiers deployed), a job proved and
/// confirmed so the submitter's labelled series exist: its OpenAPI paths and its metric names.
async fn live_node(dir: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let anvil = zkbatch_testing::anvil().spawn();
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch"))
        .current_dir(dir)
        .args(["setup", "--circuit", "squares-2", "--pk", "circuit.pk", "--vk", "verification_key.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "setup: {}", String::from_utf8_lossy(&out.stderr));
    let (verifiers, relay, _) = deploy(dir, &anvil);
    let out = Command::new(env!("CARGO_BIN_EXE_zkbatch")).current_dir(dir).args(["inputs", "--circuit", "squares-2", "--count", "1", "--out", "inputs"]).output().unwrap();
    assert!(out.status.success(), "inputs: {}", String::from_utf8_lossy(&out.stderr));
    let input_file = std::fs::read_dir(dir.join("inputs")).unwrap().next().unwrap().unwrap().path();
    let input: Value = serde_json::from_str(&read(&input_file)).unwrap();
    std::fs::write(
        dir.join("zkbatch.toml"),
        format!("listen = \"127.0.0.1:0\"\nroles = [\"prove\", \"relay\"]\nworkers = 1\n[[circuits]]\nid = \"squares\"\nbuiltin = \"squares-2\"\npk = \"circuit.pk\"\n{verifiers}{relay}"),
    )
    .unwrap();
    let node = Node::start(dir, "zkbatch.toml", &[]);
    let client = http();
    let job = client.post(format!("{}/v1/jobs", node.url)).json(&json!({ "circuit": "squares", "input": input, "submit": true })).send().await.unwrap();
    let job: Value = job.json().await.unwrap();
    let id = job["id"].as_str().unwrap_or_else(|| panic!("job not queued: {job}"));
    let start = Instant::now();
    loop {
        let job: Value = client.get(format!("{}/v1/jobs/{id}?wait=5", node.url)).send().await.unwrap().json().await.unwrap();
        if job["chain"]["status"] == "confirmed" || job["chain"]["status"] == "finalized" {
            break;
        }
        assert!(job["status"] != "failed" && start.elapsed() < Duration::from_secs(120), "job not confirmed: {job}");
    }
    let doc: Value = client.get(format!("{}/v1/openapi.json", node.url)).send().await.unwrap().json().await.unwrap();
    let mut paths: BTreeSet<String> = doc["paths"].as_object().expect("paths").keys().cloned().collect();
    paths.insert("/v1/openapi.json".into());
    let text = client.get(format!("{}/metrics", node.url)).send().await.unwrap().text().await.unwrap();
    // The series the alerts on a stalled relayer and an empty signer read carry the chain's values.
    let value = |series: &str| -> f64 {
        let line = text.lines().find(|l| l.starts_with(series)).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let head = value("zkbatch_relayer_chain_head_block ");
    assert!(head >= value("zkbatch_relayer_last_confirmed_block ") && value("zkbatch_relayer_last_confirmed_block ") > 0.0, "{text}");
    let signer = format!("zkbatch_relayer_signer_balance_ether{{signer=\"{}\"}} ", anvil.addresses()[1]);
    assert!(value(&signer) > 9000.0 && value(&signer) <= 10000.0, "anvil funds its accounts with 10,000 ether: {text}");
    assert_eq!(value("zkbatch_relayer_gas_per_proof_count{mode=\"single\"} "), 1.0, "{text}");
    let mut names = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut w = rest.split_whitespace();
            let (name, kind) = (w.next().unwrap().to_string(), w.next().unwrap_or(""));
            if kind == "histogram" {
                names.extend(["_bucket", "_sum", "_count"].map(|s| format!("{name}{s}")));
            }
            names.insert(name);
        }
    }
    (paths, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_files_match_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let root = root();
    let deploy_dir = root.join("deploy");
    let findings = Findings::default();
    let help = Help::default();

    let node_dir = t.join("node");
    std::fs::create_dir_all(&node_dir).unwrap();
    let (paths, metrics) = live_node(&node_dir).await;
    for required in ["zkbatch_jobs_queue_depth", "zkbatch_relayer_gas_per_proof", "zkbatch_relayer_chain_head_block", "zkbatch_relayer_signer_balance_ether"] {
        assert!(metrics.contains(required), "the live node does not export {required}: the test would check nothing");
    }

    // The Dockerfile: the package and binary it builds, what it copies, the tools it links.
    let dockerfile = read(&root.join("Dockerfile"));
    let (entry, cmd) = image_defaults(&dockerfile);
    let tools_entry: Vec<String> = {
        let line = dockerfile.lines().find(|l| l.starts_with("ENTRYPOINT [\"anvil\"")).expect("Dockerfile: the tools stage runs anvil");
        serde_json::from_str(line["ENTRYPOINT".len()..].trim()).expect("ENTRYPOINT")
    };
    let cli: toml::Table = toml::from_str(&read(&root.join("crates/cli/Cargo.toml"))).unwrap();
    let package = cli["package"]["name"].as_str().unwrap();
    let bin = cli["bin"].as_array().unwrap()[0]["name"].as_str().unwrap();
    findings.check(dockerfile.contains(&format!("-p {package}")), || format!("Dockerfile: does not build the package {package}"));
    findings.check(dockerfile.contains(&format!("target/release/{bin} ")) && entry == [bin], || format!("Dockerfile: does not install and run the binary {bin}"));
    for line in dockerfile.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for src in &words[1..words.len() - 1] {
            findings.check(root.join(src).exists(), || format!("Dockerfile: COPY {src}: not in the repository"));
        }
    }
    let lock = read(&root.join("tools/package-lock.json"));
    for package in dockerfile.split("node_modules/").skip(1).filter_map(|s| s.split("/bin/").next()).filter(|p| p.starts_with('@')) {
        findings.check(lock.contains(&format!("\"node_modules/{package}\"")), || format!("Dockerfile: links {package}, which tools/package-lock.json does not install"));
    }
    // The runtime stage's ports (the tools stage exposes anvil's).
    let runtime = dockerfile.split("\nFROM ").find(|stage| stage.lines().next().is_some_and(|l| l.ends_with(" AS runtime"))).expect("Dockerfile: no runtime stage");
    let exposed: Vec<u16> = runtime.lines().filter_map(|l| l.strip_prefix("EXPOSE ")?.trim().parse().ok()).collect();
    let writable = image_dirs(&dockerfile);

    // Every `zkbatch` command line, compose's and Kubernetes'.
    let compose_file = deploy_dir.join("compose/compose.yaml");
    let (mut invocations, compose) = compose_invocations(&compose_file, &entry, &cmd, t);
    let mut workloads = Vec::new();
    for overlay in ["k8s/base", "k8s/overlays/dev"] {
        invocations.extend(k8s_invocations(&deploy_dir.join(overlay), &BTreeMap::new(), t, &findings, &mut workloads));
    }
    invocations.push(Invocation { origin: "Dockerfile CMD".into(), argv: entry.iter().chain(&cmd).cloned().collect(), env: BTreeMap::new(), mounts: BTreeMap::new(), ports: Vec::new(), grace_s: 10 });
    for name in dockerfile.lines().filter_map(|l| l.strip_prefix("ENV ")?.split('=').next()) {
        findings.check(["serve", "deploy"].iter().any(|sub| help.has_env(sub, name)), || format!("Dockerfile: ENV {name} is not a variable zkbatch reads"));
    }
    assert!(invocations.iter().filter(|i| i.argv.get(1).is_some_and(|s| s == "serve")).count() >= 5, "too few serve command lines found: {invocations:#?}");
    let mut listen_ports: BTreeMap<String, u16> = BTreeMap::new();
    for inv in &invocations {
        if let Some(port) = check_invocation(inv, &help, &findings, t, &writable) {
            findings.check(exposed.contains(&port), || format!("{}: listens on {port}, the Dockerfile exposes {exposed:?}", inv.origin));
            listen_ports.insert(inv.origin.clone(), port);
        }
    }

    assert!(check_anvil(&compose, &workloads, &tools_entry, &findings) >= 2, "no anvil command lines found");

    // compose: mounted files, secrets, dependencies; Prometheus's targets; Grafana's provisioning.
    let compose_dir = compose_file.parent().unwrap();
    let services = compose["services"].as_object().unwrap();
    for (name, svc) in services {
        for v in strs(&svc["volumes"]).iter().filter(|v| v.starts_with('.')) {
            let src = v.split(':').next().unwrap();
            findings.check(compose_dir.join(src).exists(), || format!("compose service {name}: mounts {src}, which is missing"));
        }
        for dep in svc["depends_on"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_else(|| strs(&svc["depends_on"])) {
            findings.check(services.contains_key(&dep), || format!("compose service {name}: depends on {dep}, no such service"));
        }
    }
    for (s, def) in compose["secrets"].as_object().into_iter().flatten() {
        findings.check(compose_dir.join(def["file"].as_str().unwrap_or("")).is_file(), || format!("compose secret {s}: its file is missing"));
    }
    let prometheus = yaml_docs(&deploy_dir.join("prometheus/prometheus.yml")).remove(0);
    for job in prometheus["scrape_configs"].as_array().expect("scrape_configs") {
        let path = job["metrics_path"].as_str().unwrap_or("/metrics");
        findings.check(paths.contains(path), || format!("prometheus.yml job {}: scrapes {path}, not a route of the node", job["job_name"]));
        for target in job["static_configs"].as_array().into_iter().flatten().flat_map(|c| strs(&c["targets"])) {
            let (host, port) = target.split_once(':').unwrap();
            let origin = format!("{} service {host}", shown(&compose_file));
            let listening = listen_ports.get(&origin).copied();
            findings.check(listening == port.parse().ok(), || format!("prometheus.yml: target {target}: compose service {host} listens on {listening:?}"));
        }
    }
    let grafana = &services["grafana"];
    let provider = yaml_docs(&deploy_dir.join("grafana/provisioning/dashboards/zkbatch.yml")).remove(0);
    for p in provider["providers"].as_array().expect("providers") {
        let want = p["options"]["path"].as_str().unwrap();
        findings.check(strs(&grafana["volumes"]).iter().any(|v| v.split(':').nth(1) == Some(want)), || format!("grafana provisioning loads {want}, which compose does not mount"));
    }

    // Kubernetes: probes and scrape annotations; Services, the autoscaler, the disruption budget.
    let pods: Vec<(String, &Value, &Value)> = workloads
        .iter()
        .filter(|(_, d)| matches!(d["kind"].as_str(), Some("Deployment" | "StatefulSet")))
        .map(|(f, d)| (format!("{f} {}", d["metadata"]["name"]), &d["spec"]["template"]["metadata"]["labels"], &d["spec"]["template"]))
        .collect();
    let selects = |selector: &Value, labels: &Value| selector.as_object().is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| &labels[k] == v));
    for (origin, _, template) in &pods {
        for c in template["spec"]["containers"].as_array().into_iter().flatten().filter(|c| is_zkbatch_image(c["image"].as_str().unwrap_or(""))) {
            let ports = c["ports"].as_array().cloned().unwrap_or_default();
            let has_port = |p: &Value| ports.iter().any(|q| (p.is_string() && q["name"] == *p) || (p.is_u64() && q["containerPort"] == *p) || (p.is_string() && p.as_str().is_some_and(|s| q["containerPort"].as_u64().is_some_and(|n| n.to_string() == s))));
            for probe in ["readinessProbe", "livenessProbe", "startupProbe"] {
                let get = &c[probe]["httpGet"];
                if get.is_null() {
                    findings.check(probe == "startupProbe", || format!("{origin}: no {probe}"));
                    continue;
                }
                let path = get["path"].as_str().unwrap_or("");
                findings.check(paths.contains(path), || format!("{origin}: {probe} on {path}, not a route of the node"));
                findings.check(has_port(&get["port"]), || format!("{origin}: {probe} on port {}, which the container does not open", get["port"]));
            }
            let a = &template["metadata"]["annotations"];
            if let Some(path) = a["prometheus.io/path"].as_str() {
                findings.check(paths.contains(path), || format!("{origin}: Prometheus scrapes {path}, not a route of the node"));
                findings.check(has_port(&a["prometheus.io/port"]), || format!("{origin}: Prometheus scrapes port {}, which the container does not open", a["prometheus.io/port"]));
            }
        }
    }
    for (file, d) in &workloads {
        let name = &d["metadata"]["name"];
        match d["kind"].as_str() {
            Some("Service") => {
                let matched: Vec<_> = pods.iter().filter(|(_, labels, _)| selects(&d["spec"]["selector"], labels)).collect();
                findings.check(!matched.is_empty(), || format!("{file}: Service {name} selects no pods"));
                for p in d["spec"]["ports"].as_array().into_iter().flatten() {
                    let target = &p["targetPort"];
                    let opened = matched.iter().all(|(_, _, t)| {
                        t["spec"]["containers"].as_array().into_iter().flatten().flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default()).any(|q| q["name"] == *target || q["containerPort"] == *target)
                    });
                    findings.check(opened, || format!("{file}: Service {name} targets port {target}, which its pods do not open"));
                }
            }
            Some("HorizontalPodAutoscaler") => {
                let t = &d["spec"]["scaleTargetRef"];
                findings.check(workloads.iter().any(|(_, w)| w["kind"] == t["kind"] && w["metadata"]["name"] == t["name"]), || format!("{file}: the autoscaler scales {} {}, which is not defined", t["kind"], t["name"]));
                for m in d["spec"]["metrics"].as_array().into_iter().flatten() {
                    if let Some(metric) = m["external"]["metric"]["name"].as_str() {
                        findings.check(metrics.contains(metric), || format!("{file}: the autoscaler scales on {metric}, which the node does not export"));
                    }
                }
            }
            Some("PodDisruptionBudget") => {
                findings.check(pods.iter().any(|(_, labels, _)| selects(&d["spec"]["selector"]["matchLabels"], labels)), || format!("{file}: PodDisruptionBudget {name} selects no pods"));
            }
            _ => {}
        }
    }

    // Metric names: alert rules, the dashboard, the Prometheus adapter's rules.
    let mut exprs: Vec<(String, String)> = Vec::new();
    for group in yaml_docs(&deploy_dir.join("prometheus/alerts.yml")).remove(0)["groups"].as_array().expect("groups") {
        for rule in group["rules"].as_array().into_iter().flatten() {
            exprs.push((format!("alert {}", rule["alert"].as_str().or(rule["record"].as_str()).unwrap_or("?")), rule["expr"].as_str().unwrap_or("").to_string()));
        }
    }
    let mut found = Vec::new();
    dashboard_exprs(&serde_json::from_str(&read(&deploy_dir.join("grafana/dashboards/zkbatch.json"))).expect("the dashboard is JSON"), &mut found);
    exprs.extend(found.into_iter().map(|e| ("dashboard".to_string(), e)));
    let adapter = yaml_docs(&deploy_dir.join("k8s/prometheus-adapter/values.yaml")).remove(0);
    for rule in adapter["rules"]["external"].as_array().expect("external rules") {
        exprs.push(("prometheus-adapter".into(), rule["seriesQuery"].as_str().unwrap_or("").to_string()));
    }
    let mut checked = 0;
    for (origin, expr) in &exprs {
        for name in metric_names(expr) {
            checked += 1;
            findings.check(metrics.contains(&name), || format!("{origin}: uses {name}, which the node does not export (in `{expr}`)"));
        }
    }
    assert!(checked > 50, "only {checked} metric uses found: the extraction is broken");

    // The base is read twice (alone and under the dev overlay): one line per finding.
    let found: Vec<String> = findings.0.into_inner().unwrap().into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    assert!(found.is_empty(), "the deployment files have drifted from the binary:\n- {}", found.join("\n- "));
}

/// The alert rules and the scrape configuration as Prometheus itself reads them, and the rules'
/// unit tests (deploy/prometheus/alerts_test.yml: series that fire each alert, and series that
/// must not), with Debian's promtool.
#[test]
fn alert_rules_pass_their_promtool_tests() {
    let promtool = zkbatch_testing::debian::promtool();
    let dir = root().join("deploy/prometheus");
    let run = |args: &[&str]| {
        let out = Command::new(&promtool).current_dir(&dir).args(args).output().expect("promtool");
        assert!(out.status.success(), "promtool {}:\n{}{}", args.join(" "), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["check", "rules", "alerts.yml"]);
    let tested = run(&["test", "rules", "alerts_test.yml"]);
    assert!(tested.contains("SUCCESS"), "{tested}");
    // The configuration names its rules where compose mounts them; here they are beside it.
    let tmp = tempfile::tempdir().unwrap();
    let config = read(&dir.join("prometheus.yml")).replace("/etc/prometheus/alerts.yml", &dir.join("alerts.yml").display().to_string());
    let copy = tmp.path().join("prometheus.yml");
    std::fs::write(&copy, config).unwrap();
    run(&["check", "config", copy.to_str().unwrap()]);
}

/// kustomize (kubectl's) builds the base and the dev overlay: their patches apply and their
/// generators find their files, and the overlay's images are the ones its README builds. kubectl
/// is on these machines' image but no Debian package has a recent one; where it is missing this
/// says so and checks nothing (the test above reads the same files without it).
#[test]
fn kustomize_builds_the_base_and_the_dev_overlay() {
    let Some(kubectl) = ["/usr/bin/kubectl", "/usr/local/bin/kubectl"].into_iter().map(PathBuf::from).find(|p| p.exists()) else {
        eprintln!("kubectl is not installed: kustomize builds not checked");
        return;
    };
    for dir in ["deploy/k8s/base", "deploy/k8s/overlays/dev"] {
        let out = Command::new(&kubectl).arg("kustomize").arg(root().join(dir)).output().expect("kubectl kustomize");
        assert!(out.status.success(), "kubectl kustomize {dir}: {}", String::from_utf8_lossy(&out.stderr));
        let rendered = String::from_utf8_lossy(&out.stdout).into_owned();
        let images: BTreeSet<&str> = rendered.lines().filter_map(|l| l.trim().strip_prefix("image: ")).collect();
        if dir.ends_with("dev") {
            let built = ["zkbatch:dev", "zkbatch-tools:dev", "zkbatch-deployer:dev", "postgres:16-bookworm"];
            assert!(images.iter().all(|i| built.contains(i)), "the dev overlay runs images its README does not build: {images:?}");
            assert!(rendered.contains("namespace: zkbatch-dev") && rendered.contains("- ReadWriteOnce"), "the overlay's namespace and patches");
        } else {
            assert_eq!(images, BTreeSet::from(["ghcr.io/zkbatch/zkbatch:0.1.0"]), "{dir}");
        }
    }
}
