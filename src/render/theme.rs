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
        let mut tera = Tera::default();
        // Tera 1's own escaper also escapes `/`, which makes every URL unreadable in the HTML.
        tera.set_escape_fn(crate::markup::escape);
        tera.add_raw_templates(templates).map_err(ThemeError::Template)?;
        Ok(Theme { tera, assets })
    }

    /// Renders a template with a view struct as its context.
    pub fn render(&self, template: &str, view: &impl Serialize) -> Result<String, tera::Error> {
        let context = tera::Context::from_serialize(view)?;
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
