//! The theme: tera templates and static assets, built into the binary and overridable one
//! file at a time from a theme directory (zola and mdBook do the same), so an installed
//! binary needs nothing beside it.

use std::path::Path;

use serde::Serialize;
use tera::Tera;

/// Built-in templates, `(name, source)`.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("channel.html", include_str!("../../templates/channel.html")),
    ("day.html", include_str!("../../templates/day.html")),
    ("search.html", include_str!("../../templates/search.html")),
    ("incidents.html", include_str!("../../templates/incidents.html")),
    ("incidents_month.html", include_str!("../../templates/incidents_month.html")),
    ("incident.html", include_str!("../../templates/incident.html")),
];

/// Built-in assets, `(file name, bytes)`.
pub const ASSETS: &[(&str, &[u8])] = &[
    ("style.css", include_bytes!("../../themes/default/style.css")),
    ("scrollback.js", include_bytes!("../../themes/default/scrollback.js")),
    ("search.js", include_bytes!("../../themes/default/search.js")),
];

/// Problems loading a theme.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// An override could not be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A template does not parse; tera's error chain names the template and position.
    #[error("loading templates")]
    Template(#[source] tera::Error),
}

/// Loaded templates and assets.
pub struct Theme {
    tera: Tera,
    assets: Vec<(String, Vec<u8>)>,
    /// Per template, a hash of its source and of every template it may use.
    shapes: Vec<(String, blake3::Hash)>,
}

impl Theme {
    /// The built-in theme, with files from `dir/templates/` and `dir/assets/` replacing
    /// built-in files of the same name.
    pub fn load(dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let mut templates: Vec<(String, String)> =
            TEMPLATES.iter().map(|(n, s)| ((*n).to_owned(), (*s).to_owned())).collect();
        let mut assets: Vec<(String, Vec<u8>)> =
            ASSETS.iter().map(|(n, b)| ((*n).to_owned(), b.to_vec())).collect();
        if let Some(dir) = dir {
            for (name, source) in &mut templates {
                let path = dir.join("templates").join(&*name);
                if path.is_file() {
                    *source = fs_err::read_to_string(&path)?;
                }
            }
            for (name, bytes) in &mut assets {
                let path = dir.join("assets").join(&*name);
                if path.is_file() {
                    *bytes = fs_err::read(&path)?;
                }
            }
        }
        let shapes = shapes(&templates);
        let mut tera = Tera::default();
        // Tera 1's own escaper also escapes `/`, which makes every URL unreadable in the HTML.
        tera.set_escape_fn(crate::markup::escape);
        tera.add_raw_templates(templates).map_err(ThemeError::Template)?;
        Ok(Theme { tera, assets, shapes })
    }

    /// What a page rendered from `template` with `view` is made of: the binary (code shapes
    /// HTML too), the template with everything it uses, and the view. Equal keys give equal
    /// pages, so a page whose key is unchanged need not be rendered again. `None` if the
    /// binary cannot be read.
    pub fn page_key(&self, template: &str, view: &impl Serialize) -> Option<String> {
        self.key(template, |hasher| {
            // serde_json writes a token at a time; blake3 is much faster fed whole buffers.
            let mut buffered = std::io::BufWriter::with_capacity(64 * 1024, hasher);
            serde_json::to_writer(&mut buffered, view).ok()?;
            std::io::Write::flush(&mut buffered).ok()
        })
    }

    /// Like [`Theme::page_key`], from what the view would be made of (`inputs`: its hash,
    /// see `render::inputs`) instead of the view.
    pub fn input_key(&self, template: &str, inputs: &[u8]) -> Option<String> {
        self.key(template, |hasher| {
            hasher.update(b"inputs\0");
            hasher.update(inputs);
            Some(())
        })
    }

    fn key(&self, template: &str, feed: impl FnOnce(&mut blake3::Hasher) -> Option<()>) -> Option<String> {
        let binary = crate::store::binary_hash()?;
        let shape = self.shapes.iter().find(|(n, _)| n == template)?;
        let mut hasher = blake3::Hasher::new();
        hasher.update(binary.as_bytes());
        hasher.update(shape.1.as_bytes());
        feed(&mut hasher)?;
        Some(hasher.finalize().to_hex()[..32].to_owned())
    }

    /// Renders a template with a view struct as its context (the view is dropped once the
    /// context is made).
    pub fn render(&self, template: &str, view: impl Serialize) -> Result<String, tera::Error> {
        let context = tera::Context::from_serialize(&view)?;
        drop(view);
        self.tera.render(template, &context)
    }

    /// An asset's bytes.
    pub fn asset(&self, name: &str) -> &[u8] {
        self.assets.iter().find(|(n, _)| n == name).map_or(&[], |(_, bytes)| bytes.as_slice())
    }

    /// Writes the built-in theme into `dir` for editing (`scrollback init --theme`).
    pub fn write_defaults(dir: &Path) -> std::io::Result<Vec<String>> {
        let mut written = Vec::new();
        for (name, source) in TEMPLATES {
            let path = dir.join("templates").join(name);
            fs_err::create_dir_all(path.parent().expect("joined path has a parent"))?;
            fs_err::write(&path, source)?;
            written.push(path.display().to_string());
        }
        for (name, bytes) in ASSETS {
            let path = dir.join("assets").join(name);
            fs_err::create_dir_all(path.parent().expect("joined path has a parent"))?;
            fs_err::write(&path, bytes)?;
            written.push(path.display().to_string());
        }
        Ok(written)
    }
}

/// Each template's shape: a hash of its source and, transitively, of every template whose
/// name appears in it (what it extends, includes or imports). Any mention counts, so a
/// dependency is never missed; at worst a page renders again needlessly.
fn shapes(templates: &[(String, String)]) -> Vec<(String, blake3::Hash)> {
    let uses = |source: &str| -> Vec<usize> {
        templates
            .iter()
            .enumerate()
            .filter(|(_, (n, _))| source.contains(n.as_str()))
            .map(|(i, _)| i)
            .collect()
    };
    templates
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let mut seen = vec![i];
            let mut next = 0;
            while let Some(&at) = seen.get(next) {
                for used in uses(&templates[at].1) {
                    if !seen.contains(&used) {
                        seen.push(used);
                    }
                }
                next += 1;
            }
            seen.sort_unstable();
            let mut hasher = blake3::Hasher::new();
            for at in seen {
                let (name, source) = &templates[at];
                hasher.update(name.as_bytes());
                hasher.update(b"\0");
                hasher.update(source.as_bytes());
                hasher.update(b"\0");
            }
            (name.clone(), hasher.finalize())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_shapes_the_pages_of_every_template_that_uses_it() {
        let templates = |base: &str, day: &str| {
            vec![
                ("base.html".to_owned(), base.to_owned()),
                ("macros.html".to_owned(), "m".to_owned()),
                ("day.html".to_owned(), format!("{{% extends \"base.html\" %}}{day}")),
                (
                    "index.html".to_owned(),
                    "{% extends \"base.html\" %}{% import \"macros.html\" as m %}".to_owned(),
                ),
            ]
        };
        let shape =
            |t: &[(String, String)], name: &str| shapes(t).into_iter().find(|(n, _)| n == name).unwrap().1;
        let before = templates("b", "d");
        let day_changed = templates("b", "d2");
        let base_changed = templates("b2", "d");
        assert_ne!(shape(&before, "day.html"), shape(&day_changed, "day.html"));
        assert_eq!(shape(&before, "index.html"), shape(&day_changed, "index.html"));
        assert_ne!(shape(&before, "index.html"), shape(&base_changed, "index.html"));
        assert_ne!(shape(&before, "day.html"), shape(&base_changed, "day.html"));
        assert_eq!(shape(&before, "macros.html"), shape(&base_changed, "macros.html"));
    }
}
