//! Redirect pages: a canonical link, a meta refresh and a small script that keeps the
//! `#fragment`.

/// A page that sends browsers on to `to` (relative to it), keeping the `#fragment` when
/// `script` (the site's redirect script, relative too) can run; crawlers follow the canonical
/// link.
pub(super) fn redirect_page(to: &str, script: &str, title: &str, text: &str) -> String {
    use std::fmt::Write as _;

    use crate::markup::escape;
    let (to, title, text) = (escape(to), escape(title), escape(text));
    let mut html = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(html, "<title>{title}</title>");
    let _ = writeln!(html, "<link rel=\"canonical\" href=\"{to}\">");
    let _ = writeln!(html, "<script src=\"{}\"></script>", escape(script));
    let _ = writeln!(html, "<meta http-equiv=\"refresh\" content=\"0; url={to}\">");
    html.push_str("<meta name=\"robots\" content=\"noindex\">\n</head>\n<body>\n");
    let _ = writeln!(html, "<p>{text} <a href=\"{to}\">{to}</a>.</p>");
    html.push_str("</body>\n</html>\n");
    html
}

/// Sent with every redirect page: follows the canonical link, keeping the `#fragment` that a
/// refresh would drop (so a message permalink into a renamed channel still lands).
pub const REDIRECT_JS: &str = "// scrollback: follow a moved page, keeping the #fragment.\nvar to = document.querySelector('link[rel=canonical]');\nif (to) location.replace(to.href + location.hash);\n";
