//! The policies the site's pages and shared files are served under: in each page as a
//! `<meta>` tag, in `_headers` for hosts that read it (Netlify, Cloudflare Pages), and by
//! `scrollback serve`. A `<meta>` policy covers only the page that carries it; the headers also
//! cover files no page wraps, such as the files people shared.

/// The pages' Content Security Policy: the site's own scripts, styles and images, nothing else.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

/// Shared files under `assets/files/`: whatever a browser makes of one, it runs nothing and
/// belongs to no origin.
pub const FILES_CSP: &str = "default-src 'none'; sandbox";

/// Where shared files are stored, from the site root.
pub const FILES_DIR: &str = "assets/files/";

/// The site's `_headers` file.
pub const FILE: &str = "_headers";

/// `_headers`: every response typed by its extension only, pages under [`CSP`] and never
/// framed, shared files as sandboxed downloads.
pub fn netlify() -> String {
    format!(
        "# Response headers, for hosts that read this file (Netlify, Cloudflare Pages).\n\
         /*\n  Content-Security-Policy: {CSP}; frame-ancestors 'none'\n  X-Content-Type-Options: nosniff\n  Referrer-Policy: no-referrer\n\
         /{FILES_DIR}*\n  Content-Security-Policy: {FILES_CSP}\n  Content-Disposition: attachment\n"
    )
}
