//! The README and the book link only to files that exist, and every page of the book is in
//! its table of contents (`mdbook build` and `check --site` in `.ci/run` check the built
//! book's own links and anchors).

use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn book_pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = fs_err::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages
}

/// The relative link targets of the Markdown file at `path`, without their fragments.
fn relative_links(path: &Path) -> Vec<String> {
    let link = Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    // Code blocks and spans hold examples, not links.
    let code = Regex::new(r"(?s)```.*?```|`[^`\n]*`").unwrap();
    let text = fs_err::read_to_string(path).unwrap();
    let text = code.replace_all(&text, "");
    link.captures_iter(&text)
        .map(|c| c[1].split('#').next().unwrap().to_owned())
        .filter(|t| !t.is_empty() && !t.contains("://") && !t.starts_with("mailto:"))
        .collect()
}

#[test]
fn every_relative_link_of_the_readme_and_the_book_names_a_file() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in std::iter::once(root().join("README.md")).chain(book_pages()) {
        for target in relative_links(&file) {
            checked += 1;
            if !file.parent().unwrap().join(&target).exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }
    assert!(checked > 20, "only {checked} links were found");
    assert!(broken.is_empty(), "links to missing files:\n{}", broken.join("\n"));
}

#[test]
fn every_page_of_the_book_is_in_its_table_of_contents() {
    let summary = root().join("docs/SUMMARY.md");
    let listed = relative_links(&summary);
    let missing: Vec<String> = book_pages()
        .iter()
        .filter(|p| **p != summary)
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|name| !listed.contains(name))
        .collect();
    assert!(missing.is_empty(), "pages not in docs/SUMMARY.md: {missing:?}");
}
