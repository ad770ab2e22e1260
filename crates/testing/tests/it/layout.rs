//! The workspace's layout keeps its promises: no dependency cycle between crates (normal, dev or
//! build dependencies), and none between the modules of any crate.
//!
//! Module dependencies are read from the sources: every path a module's code names through
//! `crate::`, `super::`, `self::` or a child module's name, resolved to the module that defines
//! the item (through `pub use` re-exports, which are a facade, not a dependency). Comments, doc
//! links, string literals and `#[cfg(test)] mod tests` blocks are left out: a test module may use
//! its parent, and a doc link is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use zkbatch_testing::root;

/// The crates' manifests.
fn manifests() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.path().join("Cargo.toml"))
        .filter(|p| p.exists())
        .collect();
    out.sort();
    out
}

/// A crate's name and the workspace crates it depends on, in any table (normal, dev, build, and
/// their per-target forms).
fn crate_deps(manifest: &Path) -> (String, BTreeSet<String>) {
    let text = std::fs::read_to_string(manifest).expect("read Cargo.toml");
    let toml: toml::Table = text.parse().expect("Cargo.toml is TOML");
    let name = toml["package"]["name"].as_str().expect("package.name").to_string();
    let tables = |t: &toml::Table| -> Vec<toml::Table> {
        ["dependencies", "dev-dependencies", "build-dependencies"]
            .iter()
            .filter_map(|k| t.get(*k).and_then(toml::Value::as_table).cloned())
            .collect()
    };
    let mut all = tables(&toml);
    for target in toml.get("target").and_then(toml::Value::as_table).into_iter().flat_map(|t| t.values()) {
        all.extend(target.as_table().map(tables).unwrap_or_default());
    }
    let deps = all.iter().flat_map(|t| t.keys()).filter(|k| k.starts_with("zkbatch-")).cloned().collect();
    (name, deps)
}

/// The cycles of a directed graph, each as the members of one strongly connected component of
/// more than one node (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        let graph = s.graph;
        for w in graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on_stack: BTreeSet::new(), out: Vec::new() };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// Source text without comments, string and char literals, and `#[cfg(test)]` items.
fn code(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'r' && (b[i..].starts_with(b"r#\"") || b[i..].starts_with(b"r\"")) && (i == 0 || !is_ident(b[i - 1])) {
            let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
            let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
            i += 2 + hashes;
            while i < b.len() && !b[i..].starts_with(&close) {
                i += 1;
            }
            i += close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal ('x', '\n', '\u{..}'); a lifetime has no closing quote.
            i += 1;
            while i < b.len() && b[i] != b'\'' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            let c = text[i..].chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    strip_cfg_test(&out)
}

/// Removes each `#[cfg(test)]` item (up to its matching brace, or its semicolon).
fn strip_cfg_test(code: &str) -> String {
    let mut out = String::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let open = after.find('{');
        let semi = after.find(';');
        let end = match (open, semi) {
            (Some(o), Some(s)) if s < o => s + 1,
            (Some(o), _) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, c) in after[o..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = o + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, Some(s)) => s + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// A crate's modules: path (`a::b`, "" for the root) → source file.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            out.insert(parts.join("::"), path);
        }
    }
    out
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}::{b}")
    }
}

fn parent(m: &str) -> String {
    m.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default()
}

/// `use` trees expanded to full paths: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(tree).trim().to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::").trim();
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| if p == "self" { prefix.to_string() } else if prefix.is_empty() { p } else { format!("{prefix}::{p}") })
        .collect()
}

/// The `use` declarations of a module's code: (whether re-exported, full path).
fn uses(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for stmt in code.split(';') {
        let s = stmt.trim();
        let Some(at) = s.find("use ") else { continue };
        let head = s[..at].trim();
        let head = head.rsplit(['}', ']']).next().unwrap_or(head).trim();
        if !(head.is_empty() || head.starts_with("pub")) || (at > 0 && is_ident(s.as_bytes()[at - 1])) {
            continue;
        }
        for path in expand(&s[at + 4..]) {
            out.push((head.starts_with("pub"), path));
        }
    }
    out
}

/// The paths a module's code names: `crate::…`, `super::…`, `self::…`, and `child::…`.
fn paths(code: &str, children: &BTreeSet<String>) -> Vec<String> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_ident(b[i]) || (i > 0 && (is_ident(b[i - 1]) || b[i - 1] == b':')) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && (is_ident(b[j]) || (b[j] == b':' && b.get(j + 1) == Some(&b':'))) {
            j += if b[j] == b':' { 2 } else { 1 };
        }
        let path = &code[i..j];
        let first = path.split("::").next().unwrap_or("");
        if path.contains("::") && (matches!(first, "crate" | "super" | "self") || children.contains(first)) {
            out.push(path.trim_end_matches("::").to_string());
        }
        i = j.max(i + 1);
    }
    out
}

/// The module a path names from `from`, and the item's name after it (if any).
fn resolve(path: &str, from: &str, mods: &BTreeMap<String, PathBuf>) -> Option<(String, Option<String>)> {
    let mut segs = path.split("::");
    let mut at = match segs.clone().next()? {
        "crate" => {
            segs.next();
            String::new()
        }
        "self" => {
            segs.next();
            from.to_string()
        }
        "super" => from.to_string(),
        _ => from.to_string(),
    };
    for seg in segs {
        if seg == "super" {
            at = parent(&at);
            continue;
        }
        let next = join(&at, seg);
        if mods.contains_key(&next) {
            at = next;
        } else {
            return Some((at, Some(seg.to_string())));
        }
    }
    Some((at, None))
}

/// The code without its `use` declarations (they are read whole by [`uses`]) and without the
/// paths of `pub(in …)` visibilities, which name no dependency.
fn body(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for (k, stmt) in code.split(';').enumerate() {
        if k > 0 {
            out.push(';');
        }
        match stmt.find("use ") {
            Some(at) if !uses(stmt).is_empty() && (at == 0 || !is_ident(stmt.as_bytes()[at - 1])) => {
                // Keep what comes before the declaration (the end of an item, an attribute).
                let head = &stmt[..at];
                out.push_str(head.rfind(['}', ']']).map_or("", |i| &head[..=i]));
            }
            _ => out.push_str(stmt),
        }
    }
    let mut rest = out.as_str();
    let mut cleaned = String::with_capacity(out.len());
    while let Some(at) = rest.find("pub(in ") {
        cleaned.push_str(&rest[..at]);
        let end = rest[at..].find(')').map_or(rest.len(), |e| at + e + 1);
        cleaned.push_str("pub(crate)");
        rest = &rest[end..];
    }
    cleaned.push_str(rest);
    cleaned
}

/// Module → the modules it depends on, within one crate.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let codes: BTreeMap<String, String> =
        mods.iter().map(|(m, p)| (m.clone(), code(&std::fs::read_to_string(p).expect("read a source file")))).collect();
    let children = |m: &str| -> BTreeSet<String> {
        mods.keys().filter(|c| !c.is_empty() && parent(c) == m).map(|c| c.rsplit("::").next().unwrap_or(c).to_string()).collect()
    };
    // Re-exports: (module, name) → the module the name comes from.
    let mut reexports: BTreeMap<(String, String), String> = BTreeMap::new();
    for (m, code) in &codes {
        for (public, path) in uses(code) {
            let last = path.rsplit("::").next().unwrap_or("").to_string();
            if public {
                if let Some((target, _)) = resolve(&path, m, &mods) {
                    reexports.insert((m.clone(), last), target);
                }
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = mods.keys().map(|m| (m.clone(), BTreeSet::new())).collect();
    for (m, code) in &codes {
        let own = children(m);
        let imported = uses(code).into_iter().filter(|(public, _)| !public).map(|(_, p)| p);
        let named = paths(&body(code), &own);
        for path in imported.chain(named) {
            let first = path.split("::").next().unwrap_or("");
            if !(matches!(first, "crate" | "super" | "self") || own.contains(first)) {
                continue;
            }
            let Some((mut target, item)) = resolve(&path, m, &mods) else { continue };
            // Follow re-exports to the module that defines the item.
            let mut hops = 0;
            while let Some(item) = &item {
                match reexports.get(&(target.clone(), item.clone())) {
                    Some(t) if hops < 8 && *t != target => {
                        target = t.clone();
                        hops += 1;
                    }
                    _ => break,
                }
            }
            if target != *m {
                graph.entry(m.clone()).or_default().insert(target);
            }
        }
    }
    graph
}

#[test]
fn no_dependency_cycle_between_crates() {
    let graph: BTreeMap<String, BTreeSet<String>> = manifests().iter().map(|m| crate_deps(m)).collect();
    assert!(graph.len() >= 7, "{graph:?}");
    assert!(graph["zkbatch-relayer"].contains("zkbatch-evm") && graph["zkbatch-relayer"].contains("zkbatch-testing"), "{graph:?}");
    assert_eq!(cycles(&graph), Vec::<Vec<String>>::new(), "crate dependency cycles: {graph:#?}");
}

#[test]
fn no_import_cycle_between_modules() {
    let mut found = Vec::new();
    let mut edges = 0;
    for manifest in manifests() {
        let src = manifest.parent().expect("a crate folder").join("src");
        let graph = module_graph(&src);
        edges += graph.values().map(BTreeSet::len).sum::<usize>();
        if src.ends_with("relayer/src") {
            // The reading sees what is there: the submitter runs the lifecycle and the policy.
            assert!(graph["submitter"].contains("tx") && graph["submitter"].contains("batching"), "{graph:#?}");
        }
        for cycle in cycles(&graph) {
            let edges: Vec<String> = cycle
                .iter()
                .flat_map(|m| graph[m].iter().filter(|t| cycle.contains(t)).map(move |t| format!("{m} → {t}")))
                .collect();
            found.push(format!("{}: {}", src.display(), edges.join(", ")));
        }
    }
    assert!(edges > 100, "only {edges} module dependencies read: the reading is broken");
    assert!(found.is_empty(), "import cycles:\n{}", found.join("\n"));
}

#[test]
fn the_checker_finds_a_cycle_it_is_shown() {
    let graph: BTreeMap<String, BTreeSet<String>> = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .iter()
        .fold(BTreeMap::new(), |mut g, (a, b)| {
            g.entry(a.to_string()).or_insert_with(BTreeSet::new).insert(b.to_string());
            g
        });
    assert_eq!(cycles(&graph), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let dir = scratch.path();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\npub use a::Thing;\n").expect("write");
    std::fs::write(dir.join("a.rs"), "use crate::b::Other; // crate::nothing\npub struct Thing(Other);\n").expect("write");
    std::fs::write(dir.join("b.rs"), "pub struct Other;\nfn f() -> crate::Thing { todo!(\"crate::a\") }\n#[cfg(test)]\nmod tests { use super::*; }\n")
        .expect("write");
    let graph = module_graph(dir);
    assert_eq!(graph["a"], BTreeSet::from(["b".to_string()]));
    assert_eq!(graph["b"], BTreeSet::from(["a".to_string()]), "crate::Thing is a's, through the root's re-export");
    assert!(graph[""].is_empty(), "a re-export is not a dependency");
    assert_eq!(cycles(&graph), vec![vec!["a".to_string(), "b".into()]]);
}
