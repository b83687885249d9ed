//! The server's modules form layers, in the order `src/lib.rs` lists them: a module may use the
//! modules listed below it, never one listed above (which is what an import circle needs).

use std::collections::BTreeMap;
use std::path::Path;

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The modules in the order of the `# Layout` section of `lib.rs`, top first.
fn layers() -> Vec<String> {
    let lib = std::fs::read_to_string(Path::new(SRC).join("lib.rs")).expect("lib.rs");
    lib.lines()
        .filter_map(|line| line.strip_prefix("//! - [`"))
        .filter_map(|rest| rest.split_once('`').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Every `.rs` file of the crate, by the top-level module it belongs to.
fn files_by_module(dir: &Path, module: Option<&str>, out: &mut BTreeMap<String, Vec<String>>) {
    for entry in std::fs::read_dir(dir).expect("src").flatten() {
        let path = entry.path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_owned();
        let owner = module.map_or(name.clone(), str::to_owned);
        if path.is_dir() {
            files_by_module(&path, Some(&owner), out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && !["lib", "main"].contains(&name.as_str())
        {
            let text = std::fs::read_to_string(&path).expect("source");
            out.entry(owner).or_default().push(text);
        }
    }
}

/// The top-level modules a file names as `crate::<module>` or in `crate::{<module>, …}`.
fn uses(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut used = Vec::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + 7..];
        match rest.strip_prefix('{') {
            Some(group) => {
                // Top-level names of the group: after `{` and after each `,` at depth 0.
                let (mut depth, mut start) = (0, 0);
                for (j, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => {
                            used.push(ident(&group[start..j]));
                            break;
                        }
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            used.push(ident(&group[start..j]));
                            start = j + 1;
                        }
                        _ => {}
                    }
                }
            }
            None => used.push(ident(rest)),
        }
    }
    used
}

#[test]
fn every_module_uses_only_the_modules_below_it() {
    let layers = layers();
    assert!(
        layers.len() > 10,
        "the layout section lists the modules: {layers:?}"
    );
    let rank = |m: &str| layers.iter().position(|l| l == m);
    let mut files = BTreeMap::new();
    files_by_module(Path::new(SRC), None, &mut files);
    let mut upward = Vec::new();
    for (module, texts) in &files {
        let own = rank(module).unwrap_or_else(|| panic!("{module} is not in lib.rs's layout"));
        for used in texts.iter().flat_map(|t| uses(t)) {
            if rank(&used).is_some_and(|theirs| theirs < own) {
                upward.push(format!("{module} uses {used}"));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "modules using one listed above them: {upward:?}"
    );
}
