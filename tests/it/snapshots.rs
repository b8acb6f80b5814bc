//! Snapshots of the interesting part of each page type (review changes like code).

use crate::harness::{Site, case, main_of};

fn everything() -> Site {
    Site::build(&[case("slack/everything")], &[])
}

#[test]
fn home_page() {
    insta::assert_snapshot!(main_of(&everything().page("")));
}

#[test]
fn channel_page() {
    insta::assert_snapshot!(main_of(&everything().page("c/general/")));
}

#[test]
fn day_page() {
    insta::assert_snapshot!(main_of(&everything().page("c/general/2020/03/01/")));
}

#[test]
fn page_head() {
    let page = everything().page("c/general/2020/03/02/");
    let head = &page[..page.find("<main").unwrap()];
    // Asset names carry content hashes; a CSS change is not a change to the page's head.
    insta::with_settings!({filters => vec![(r"assets/(\w+)\.[0-9a-f]{10}\.", "assets/$1.[hash].")]}, {
        insta::assert_snapshot!(head);
    });
}
