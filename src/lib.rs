//! scrollback turns exported chat logs into a static website: readable channel history,
//! permalinks that last, incident pages, and full-text search that needs no server.
//!
//! The pipeline, one module per stage, each importing only from earlier ones:
//! [`ingest`] (formats → [`model::Archive`]) → [`privacy`] (what may be published) → [`redact`] (secrets and
//! personal data)
//! → [`markup`] (source markup → safe HTML) → [`render`] (tera templates over view structs)
//! → [`output`] (staging directory, content hashes, manifest, atomic swap). [`site`] runs
//! the phases; [`cli`] and [`config`] sit on top.

pub mod cache;
pub mod cli;
pub mod config;
pub mod continuity;
pub mod incidents;
pub mod index;
pub mod ingest;
pub mod layout;
pub mod ledger;
pub mod linkcheck;
pub mod markup;
pub mod memo;
pub mod model;
pub mod output;
pub mod people;
pub mod privacy;
pub mod progress;
pub mod redact;
pub mod render;
pub mod serve;
pub mod site;
pub mod snapshots;
