//! The modules' layers: `src/lib.rs` declares the modules lowest first, and no module may
//! use one declared after it (so there are no cycles). Comments and test modules are not
//! read; every other `crate::` path is.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

/// The top-level modules in the order `src/lib.rs` declares them.
fn declared_order(src: &Path) -> Vec<String> {
    let lib = fs_err::read_to_string(src.join("lib.rs")).unwrap();
    let declaration = Regex::new(r"(?m)^pub mod (\w+);").unwrap();
    declaration.captures_iter(&lib).map(|c| c[1].to_owned()).collect()
}

/// The code of a source file: comments dropped, and everything from a `#[cfg(test)]`
/// module with a body on (test modules come last in a file).
fn code(text: &str) -> String {
    let text = match Regex::new(r"#\[cfg\(test\)\]\s*mod \w+ \{").unwrap().find(text) {
        Some(tests) => &text[..tests.start()],
        None => text,
    };
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules `code` names through `crate::`, grouped imports included.
fn uses(code: &str) -> BTreeSet<String> {
    let path = Regex::new(r"crate::(\w+)").unwrap();
    let mut used: BTreeSet<String> = path.captures_iter(code).map(|c| c[1].to_owned()).collect();
    // `crate::{a::{…}, b}`: the first name of each item at the group's own depth.
    for (start, _) in code.match_indices("crate::{") {
        let (mut depth, mut first, mut word) = (0, true, String::new());
        for c in code[start + "crate::{".len()..].chars() {
            if depth == 0 && first && (c.is_alphanumeric() || c == '_') {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                used.insert(std::mem::take(&mut word));
                first = false;
            }
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => first = true,
                _ => {}
            }
        }
    }
    used
}

/// The top-level module a file under `src/` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel.components().next().unwrap().as_os_str().to_string_lossy();
    first.strip_suffix(".rs").unwrap_or(&first).to_owned()
}

/// Every `(module, used module)` pair that breaks the declared order.
fn violations(src: &Path) -> Vec<String> {
    let order = declared_order(src);
    let position = |m: &str| order.iter().position(|o| o == m);
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(src)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let module = module_of(src, &file);
        let Some(at) = position(&module) else {
            assert!(
                ["lib", "main"].contains(&module.as_str()),
                "{} is not declared in lib.rs",
                file.display()
            );
            continue;
        };
        for used in uses(&code(&fs_err::read_to_string(&file).unwrap())) {
            match position(&used) {
                Some(p) if p > at => {
                    found.push(format!("{}: {module} uses {used}, declared after it", file.display()))
                }
                _ => {}
            }
        }
    }
    found
}

#[test]
fn no_module_uses_one_declared_after_it() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    assert!(declared_order(&src).len() > 15);
    let found = violations(&src);
    assert!(found.is_empty(), "imports against the order of src/lib.rs:\n{}", found.join("\n"));
}

#[test]
fn grouped_imports_and_paths_are_read_and_comments_and_tests_are_not() {
    let code = code(
        "use crate::{model::{Archive, Message}, layout};\nlet x = crate::render::x();\n\
         // crate::site in a comment\n#[cfg(test)]\nmod tests {\n    use crate::cli;\n}\n",
    );
    let used: Vec<String> = uses(&code).into_iter().collect();
    assert_eq!(used, ["layout", "model", "render"]);
}
